#!/usr/bin/env python3
"""su end to end (util-linux su): the decision is about the person who runs su (the real uid
of the su process), with PAM_USER (whom they become) as the target user."""
import e2e
from e2e import check

POLICY = """\
require totp within 0 message "Becoming root needs a one-time code." \\
        when service su,su-l and group wheel
require totp within 0 when service su,su-l and target-user dave
allow
"""


def case_su_to_root(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("alice")  # in wheel
        mark = env.mark()
        rc, out, seen = t.run("su -c 'id -un' root", {"password": "pw-root",
                                                      "code": lambda: env.code("alice")})
        check(seen == ["password", "code"], "wheel member: prompts", seen, out)
        check(rc == 0 and "\nroot" in out, "su failed", rc, out)
        check("Becoming root needs a one-time code." in out, "rule message not shown", out)
        ok = env.events("verify-ok", "alice", mark)
        check(ok and "service=su" in ok[0], "the step-up was not about alice", env.log()[mark:])
        # within 0: asked again every time; su -l uses the su-l service
        rc, out, seen = t.run("su - -c 'id -un' root", {"password": "pw-root",
                                                        "code": lambda: env.code("alice")})
        check(seen == ["password", "code"] and rc == 0 and "\nroot" in out, "su -", seen, out)
        # a wrong code: su refuses
        rc, out, seen = t.run("su -c 'id -un' root", {"password": "pw-root",
                                                      "code": lambda: env.wrong_code("alice")})
        check(seen == ["password", "code"] and rc != 0 and "\nroot" not in out,
              "wrong code accepted", seen, out)
        check("wrong verification code" in out, "the user was not told", out)

        t2 = env.term("bob")  # not in wheel
        rc, out, seen = t2.run("su -c 'id -un' root", {"password": "pw-root"})
        check(seen == ["password"] and rc == 0 and "\nroot" in out, "non-member", seen, out)
        # the target decides too: su to dave is guarded for everybody
        mark = env.mark()
        rc, out, seen = t2.run("su -c 'id -un' dave", {"password": "pw-dave",
                                                       "code": lambda: env.code("bob")})
        check(seen == ["password", "code"] and rc == 0 and "\ndave" in out, "su dave", seen, out)
        ch = env.events("challenge", "bob", mark)
        check(ch and env.rule("target-user dave") in ch[0], "not the target-user rule",
              env.log()[mark:])


if __name__ == "__main__":
    e2e.main([case_su_to_root], needs=("sudo", "oathtool", "setpriv", "unshare", "openssl",
                                       "su"))
