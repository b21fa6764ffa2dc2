#!/usr/bin/env python3
"""A returning user: one terminal, a long mix of ordinary and step-up sudo requests; the code
prompt must appear exactly when the policy says (freshness 12 s, idle 5 s), sudo's password
exactly when sudo's own timestamp says."""
import time

import e2e
from e2e import check

POLICY = """\
require totp within 12s idle 5s when service sudo and command /usr/bin/systemctl*
allow
"""

# (seconds to wait first, what the user types, prompts expected, why)
STEPS = [
    (0, "sudo id -un", ["sudo"], "ordinary: sudo's password, no code"),
    (0, "sudo systemctl --version", ["code"], "step-up: code"),
    (1, "sudo systemctl --version", [], "fresh (1 s)"),
    (0, "sudo id -un", [], "ordinary, cached password"),
    (2, "sudo systemctl --version", [], "idle 2 s < 5 s"),
    (0, "sudo date +%s", [], "ordinary"),
    (6, "sudo systemctl --version", ["code"], "idle 6 s > 5 s: code again"),
    (1, "sudo systemctl --version", [], "fresh again"),
    (0, "sudo -k; sudo id -un", ["sudo"], "sudo -k: password again, no code"),
    (1, "sudo systemctl --version", [], "sudo -k left the step-up alone"),
    (3, "sudo systemctl --version", [], "idle 3 s, age about 6 s"),
    (3, "sudo systemctl --version", [], "idle 3 s, age about 9 s"),
    # Both limits lapse here, each with seconds to spare, so a loaded CI machine cannot
    # turn the expected prompt into a pass (the integer-second clocks round either way).
    (7, "sudo systemctl --version", ["code"], "idle 7 s > 5 s and age over 12 s: code"),
    (0, "REVOKE", [], "stepupctl revoke"),
    (0, "sudo systemctl --version", ["code"], "after revoke: code"),
    (0, "sudo uname -s", [], "ordinary after all that"),
]


def case_returning_user(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("alice")
        answers = {"sudo": "pw-alice", "code": lambda: env.code("alice")}
        for n, (wait, cmd, prompts, why) in enumerate(STEPS, 1):
            if cmd == "REVOKE":
                cmd = f"{env.stepupctl} --user-socket {env.usock} revoke"
            # a code step may have to wait for an unused TOTP step: wait before the command,
            # so the time the policy sees is only `wait`
            if "code" in prompts:
                env.wait_for_code("alice")
            time.sleep(wait)
            rc, out, seen = t.run(cmd, answers)
            e2e.log(f"step {n:2d}: {cmd[:40]:40s} prompts={seen} ({why})")
            check(seen == prompts, f"step {n} ({why}): prompts {seen}, expected {prompts}", out)
            check(rc == 0, f"step {n} ({why}): exit status {rc}", out)


if __name__ == "__main__":
    e2e.main([case_returning_user])
