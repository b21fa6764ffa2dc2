#!/usr/bin/env python3
"""Failing and giving up, through the real sudo: a wrong code, lockout after 3 failures,
Ctrl-C and Ctrl-D at the prompt, and a prompt left unanswered past challenge_timeout (also
with failmode=safe, which must not turn the late answer into an allow).  In each case: no
assurance granted, and for giving up the daemon counts an `abandon` event."""
import time

import e2e
from e2e import check

POLICY = """\
require totp within 15m when service sudo and command /usr/bin/systemctl*
allow
"""
CONF = "lockout_failures = 3\nlockout_duration = 60\nchallenge_timeout = 5\n"
SUDOERS = "Defaults passwd_tries=1\n"  # one PAM round per sudo: no "Sorry, try again" loop


def env(build, **kw):
    return e2e.Env(build, POLICY, conf=CONF, sudoers=SUDOERS, **kw)


def no_assurance(env, user):
    st = env.status(user)
    check(st.get("assurance_records") == 0, f"{user} got assurance", st)
    return st


def case_wrong_code(build):
    with env(build) as e:
        t = e.term("alice")
        rc, out, seen = t.sudo("systemctl --version", answers={"code": lambda: e.wrong_code("alice")})
        check(seen == ["sudo", "code"], "prompts", seen, out)
        check(rc == 1, "sudo did not fail", out)
        check("wrong verification code (1 of 3 failures before lockout)" in out,
              "the user was not told", out)
        check("systemd" not in out, "the command ran", out)
        st = no_assurance(e, "alice")
        check(st.get("consecutive_failures") == 1, "failure not counted", st)
        # a correct code afterwards works and resets the count
        rc, out, seen = t.sudo("systemctl --version")
        check(rc == 0 and seen == ["sudo", "code"], "correct code after a wrong one", out)
        check(e.status("alice").get("consecutive_failures", 0) == 0, "count not reset",
              e.status("alice"))


def case_lockout(build):
    with env(build) as e:
        t = e.term("carol")
        wrong = {"code": lambda: e.wrong_code("carol")}
        for n in (1, 2, 3):
            rc, out, seen = t.sudo("systemctl --version", answers=wrong)
            check(rc == 1 and seen[-1] == "code", f"attempt {n}", out)
        check("too many failures: locked for 60 seconds" in out, "lockout not announced", out)
        check(e.events("lockout", "carol"), "no lockout event", e.log())
        # locked: refused before any prompt, with the reason and the way out
        rc, out, seen = t.sudo("systemctl --version")
        check(seen == ["sudo"], "a locked user was prompted for a code", seen, out)
        check(rc == 1 and "too many failed verification codes: locked for" in out and
              "stepupctl unlock --user carol" in out, "locked message", out)
        st = no_assurance(e, "carol")
        check(st.get("locked_seconds", 0) > 0, "status does not show the lock", st)
        # harmless commands are not affected
        rc, out, seen = t.sudo("/usr/bin/id -un")
        check(rc == 0 and "root" in out, "a lockout blocked a command without step-up", out)
        e.ctl("unlock", "--user", "carol")
        rc, out, seen = t.sudo("systemctl --version")
        check(rc == 0 and seen == ["code"], "after unlock", seen, out)


def gave_up(e, user, mark, reason):
    ab = e.events("abandon", user, mark)
    check(ab, f"no abandon event for {user}", e.log()[mark:])
    check(any(reason in line for line in ab), f"abandon reason is not '{reason}'", ab)
    check(not e.events("verify-ok", user, mark), "a verification succeeded", e.log()[mark:])
    no_assurance(e, user)


def case_ctrl_c(build):
    with env(build) as e:
        t = e.term("dave")
        mark = e.mark()
        rc, out, seen = t.sudo("systemctl --version", answers={"code": e2e.CTRL_C})
        check(seen == ["sudo", "code"] and rc != 0 and "systemd" not in out, "Ctrl-C", rc, out)
        time.sleep(0.3)
        gave_up(e, "dave", mark, "connection closed")


def case_ctrl_d(build):
    with env(build) as e:
        t = e.term("erin")
        mark = e.mark()
        rc, out, seen = t.sudo("systemctl --version", answers={"code": e2e.CTRL_D})
        check(seen == ["sudo", "code"] and rc != 0 and "systemd" not in out, "Ctrl-D", rc, out)
        time.sleep(0.3)
        gave_up(e, "erin", mark, "connection closed")


def late_answer(e, user):
    t = e.term(user)
    mark = e.mark()

    def late():
        time.sleep(6.5)  # challenge_timeout = 5
        return e.code(user)

    rc, out, seen = t.sudo("systemctl --version", answers={"code": late})
    check(seen == ["sudo", "code"], "prompts", seen, out)
    check(rc == 1 and "systemd" not in out, "a late answer was let through", rc, out)
    check("challenge expired" in out, "the user was not told the code came too late", out)
    gave_up(e, user, mark, "timed out")


def case_prompt_timeout(build):
    with env(build) as e:
        late_answer(e, "frank")


def case_prompt_timeout_failmode_safe(build):
    with env(build, pam_args="failmode=safe") as e:
        late_answer(e, "bob")


if __name__ == "__main__":
    e2e.main([case_wrong_code, case_lockout, case_ctrl_c, case_ctrl_d, case_prompt_timeout,
              case_prompt_timeout_failmode_safe])
