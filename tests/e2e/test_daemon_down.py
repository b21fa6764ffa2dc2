#!/usr/bin/env python3
"""stepupd down, through the real sudo: failmode=secure (the default) denies with a clear
message; failmode=safe allows and logs at LOG_CRIT through pam_syslog, which the test reads
from a private /dev/log."""
import e2e
from e2e import check

POLICY = """\
require totp within 15m when service sudo and command /usr/bin/systemctl*
allow
"""


def case_down_failmode_secure(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("alice")
        rc, out, seen = t.sudo("systemctl --version")
        check(rc == 0 and seen == ["sudo", "code"], "with the daemon up", seen, out)
        env.stop_stepupd()
        for cmd in ("systemctl --version", "/usr/bin/id -un"):
            rc, out, seen = t.sudo(cmd)
            check(seen == [], f"{cmd}: prompted with the daemon down", seen, out)
            check(rc == 1, f"{cmd}: allowed with the daemon down (failmode=secure)", rc, out)
            check("step-up service unavailable" in out, f"{cmd}: no clear message", out)
            check("systemd" not in out and "\nroot" not in out, f"{cmd}: the command ran", out)
        # and back: the same sudo works again once stepupd is up
        env.start_stepupd()
        rc, out, seen = t.sudo("/usr/bin/id -un")
        check(rc == 0 and "root" in out, "after restart", rc, out)


def case_down_failmode_safe(build):
    with e2e.Env(build, POLICY, pam_args="failmode=safe") as env:
        syslog = env.capture_syslog()
        t = env.term("bob")
        env.stop_stepupd()
        rc, out, seen = t.sudo("systemctl --version")
        check(seen == ["sudo"], "prompts with the daemon down", seen, out)
        check(rc == 0 and "systemd" in out, "failmode=safe did not allow", rc, out)
        check("step-up service unavailable" not in out, "denial text under failmode=safe", out)
        logged = syslog()
        crit = [m for m in logged.split("\n") if "ALLOWING without step-up" in m]
        check(crit, "no LOG_CRIT line reached syslog", logged)
        e2e.log("syslog got: " + crit[0])
        # <PRI> = facility*8 + severity; LOG_CRIT is 2 (LOG_AUTHPRIV is 10 -> 82)
        check(any(m.startswith("<82>") or m.startswith("<34>") for m in crit),
              "the line is not at LOG_CRIT", crit)
        check("pam_stepup(sudo:auth)" in crit[0], "not pam_syslog's prefix", crit)


if __name__ == "__main__":
    e2e.main([case_down_failmode_secure, case_down_failmode_safe])
