#!/usr/bin/env python3
"""Exec wrappers and interpreters through the real sudo (issue 13): under a policy that wants a
fresh code for `command shell` and `command /usr/bin/systemctl*`, a shell or systemctl run
through env, nice, timeout, or python3 -c needs that code too (docs/policy.md, Programs that
run programs); a harmless command through a wrapper still runs without one; and a wrapper
option stepupd does not understand is read as a shell, never waved through.

Each command is run by its own test user, so that every code is in a fresh TOTP step."""
import e2e
from e2e import check

# The deny-list of the issue (`stepupctl policy check` warns about it; it is what the
# wrappers used to dodge).
POLICY = """\
require totp within 0 when service sudo and command shell
require totp within 0 when service sudo and command /usr/bin/systemctl*
allow
"""

SHELL_RULE = "command shell"
SYSTEMCTL_RULE = "/usr/bin/systemctl*"


def expect(result, prompts, rc=0, out=None, what=""):
    code, text, seen = result
    check(seen == prompts, f"{what}: prompts {seen}, expected {prompts}", text)
    check(code == rc, f"{what}: exit status {code}, expected {rc}", text)
    if out is not None:
        check(out in text, f"{what}: '{out}' not in the output", text)
    return text


def case_wrapped_commands_need_a_code(build):
    runs = [
        # user, what sudo is given, its output, the rule that must ask (a shell rule for a
        # systemctl command would mean stepupd did not see systemctl, only "something")
        ("alice", "env bash -c id", "uid=0(root)", SHELL_RULE),
        ("carol", "env -i systemctl --version", "systemd", SYSTEMCTL_RULE),
        ("dave", "nice -n5 systemctl --version", "systemd", SYSTEMCTL_RULE),
        ("erin", "timeout 5 bash -c id", "uid=0(root)", SHELL_RULE),
        ("frank", "python3 -c 'print(6*7)'", "42", SHELL_RULE),
    ]
    with e2e.Env(build, POLICY) as env:
        for user, cmd, out, rule in runs:
            t = env.term(user)
            mark = env.mark()
            expect(t.sudo(cmd), ["sudo", "code"], 0, out, f"sudo {cmd}")
            ok = env.events("verify-ok", user, mark)
            check(ok and env.rule(rule) in ok[0], f"sudo {cmd}: not the rule '{rule}'",
                  env.log()[mark:])
            check(not env.events("decision", user, mark),
                  f"sudo {cmd}: allowed without a challenge", env.log()[mark:])
        # within 0: the same again needs a code again (the next TOTP step)
        t = env.terms[0]
        expect(t.sudo("env bash -c id"), ["code"], 0, "uid=0(root)", "sudo env bash again")


def case_harmless_and_unresolved(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("bob")
        # a harmless program through wrappers: seen for what it is, allowed without a code
        mark = env.mark()
        expect(t.sudo("nice -n 5 env -i id -u"), ["sudo"], 0, "\n0", "sudo nice env id")
        d = env.events("decision", "bob", mark)
        check(any('command="/usr/bin/id -u"' in x and "decision=allow" in x for x in d),
              "nice env id: not allowed as /usr/bin/id -u", env.log()[mark:])
        # an option env does not have: unresolved, so a shell: a code first, then env
        # itself refuses the option (exit 125) and runs nothing
        mark = env.mark()
        expect(t.sudo("env --no-such-option bash -c id"), ["code"], 125, None,
               "sudo env --no-such-option")
        ok = env.events("verify-ok", "bob", mark)
        check(ok and env.rule(SHELL_RULE) in ok[0], "unresolved: not the shell rule",
              env.log()[mark:])


if __name__ == "__main__":
    e2e.main([case_wrapped_commands_need_a_code, case_harmless_and_unresolved],
             needs=("sudo", "oathtool", "setpriv", "unshare", "openssl", "systemctl",
                    "python3"))
