#!/usr/bin/env python3
"""sshd end to end: our own sshd on 127.0.0.1 (its own host key, config and port) with
UsePAM and keyboard-interactive; pam_unix then pam_stepup.  Admins are asked for a code,
others are not, a deny reason reaches the user; then publickey,keyboard-interactive."""
import re

import e2e
from e2e import check

POLICY = """\
deny "frank may not log in over ssh today" when service sshd and user frank
require totp within 15m when service sshd and group admin
allow
"""


def login(env, user, answers, key=None):
    return env.ssh(user, "id -un", answers, key=key)


def ran_as(out, user):
    """True when `id -un` printed user on a line of its own (the login got a shell)."""
    return re.search(rf"^{user}\r?$", out, re.M) is not None


def case_ssh_keyboard_interactive(build):
    with e2e.Env(build, POLICY) as env:
        env.start_sshd("keyboard-interactive")
        # an admin: password, then a code
        mark = env.mark()
        rc, out, seen = login(env, "alice", {"password": "pw-alice",
                                             "code": lambda: env.code("alice")})
        check(seen == ["password", "code"], "admin prompts", seen, out)
        check(rc == 0 and ran_as(out, "alice"), "admin login failed", rc, out)
        ok = env.events("verify-ok", "alice", mark)
        check(ok and "service=sshd" in ok[0], "no sshd step-up recorded", env.log()[mark:])
        # not an admin: password only
        rc, out, seen = login(env, "bob", {"password": "pw-bob"})
        check(seen == ["password"], "non-admin prompts", seen, out)
        check(rc == 0 and ran_as(out, "bob"), "non-admin login failed", rc, out)
        # a wrong code: refused, and the user is told why
        rc, out, seen = login(env, "carol", {"password": "pw-carol",
                                             "code": lambda: env.wrong_code("carol")})
        check(seen[:2] == ["password", "code"], "wrong-code prompts", seen, out)
        check(rc == 255 and not ran_as(out, "carol"), "a wrong code logged in", rc, out)
        # the deny reason reaches the user (kbd-int shows it with the next round's prompt)
        rc, out, seen = login(env, "frank", {"password": ["pw-frank"] * 3})
        check(rc == 255 and not ran_as(out, "frank"), "frank logged in", rc, out)
        check("frank may not log in over ssh today" in out, "deny reason not shown", out)


def case_ssh_publickey_then_kbdint(build):
    with e2e.Env(build, POLICY) as env:
        env.start_sshd("publickey,keyboard-interactive")
        key = env.user_key("dave")
        rc, out, seen = login(env, "dave", {"password": "pw-dave",
                                            "code": lambda: env.code("dave")}, key=key)
        check(seen == ["password", "code"], "prompts after the key", seen, out)
        check(rc == 0 and ran_as(out, "dave"), "key + code login failed", rc, out)
        # without the key the second method is never reached
        rc, out, seen = login(env, "erin", {"password": "pw-erin"})
        check(rc == 255 and seen == [], "logged in without a key", rc, seen, out)
        # a non-admin with a key: only the password
        bkey = env.user_key("bob")
        rc, out, seen = login(env, "bob", {"password": "pw-bob"}, key=bkey)
        check(seen == ["password"] and rc == 0 and ran_as(out, "bob"), "bob with key", seen, out)


if __name__ == "__main__":
    e2e.main([case_ssh_keyboard_interactive, case_ssh_publickey_then_kbdint],
             needs=("sudo", "oathtool", "setpriv", "unshare", "openssl", "ssh", "ssh-keygen",
                    "/usr/sbin/sshd"))
