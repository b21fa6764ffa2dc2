#!/usr/bin/env python3
"""stepupctl policy edit through the real sudo: the editor is a script (VISUAL), the install
is guarded by the PAM service stepup-policy (pam_stepup asks stepupd, whose policy demands a
code every time).  Skipped when this stepupctl has no `policy edit`."""
import os
import re
import shutil

import e2e
from e2e import check

POLICY = """\
require totp within 0 when service stepup-policy
allow
"""
SUDOERS = 'Defaults env_keep += "VISUAL"\n'
MARK = 'deny "marker from the e2e test" when service stepup-e2e-marker'


def supported(env):
    r = e2e.run([env.stepupctl, "policy", "edit", "--help"])
    return "policy edit" in r.stdout + r.stderr


def case_policy_edit(build):
    with e2e.Env(build, POLICY, sudoers=SUDOERS) as env:
        if not supported(env):
            raise e2e.Skipped("stepupctl has no 'policy edit' (stepupctl/cmd_policy.c)")
        path = os.path.join(env.tmp, "policy.conf")
        before = open(path).read()
        editor = env.write("editor.sh", f"#!/bin/sh\nsed -i '1i {MARK}' \"$1\"\n", 0o755)
        edit = (f"VISUAL={editor} sudo {env.stepupctl} --socket {env.sock} --user-socket "
                f"{env.usock} policy edit --file {path}")
        t = env.term("alice")
        # a wrong code: nothing installed, the edit kept for the user
        rc, out, seen = t.run(edit, {"sudo": "pw-alice",
                                     "code": lambda: env.wrong_code("alice")})
        check(seen == ["sudo", "code"], "prompts", seen, out)
        check(rc != 0 and "not installed" in out, "installed after a wrong code", rc, out)
        check(open(path).read() == before, "the policy changed after a wrong code")
        # the kept edit (in root's TMPDIR, sudo resets it) is the test's to remove
        kept = re.search(r"your edit is kept in (/\S+/stepup-policy\.\w+)/", out)
        check(kept is not None, "where the edit is kept is not said", out)
        shutil.rmtree(kept.group(1))
        # the right code: installed and reloaded
        mark = env.mark()
        rc, out, seen = t.run(edit, {"code": lambda: env.code("alice")})
        check(seen == ["code"], "prompts", seen, out)
        check(rc == 0 and "installed" in out, "policy edit failed", rc, out)
        check(open(path).read().startswith(MARK + "\n"), "the edit is not in the file")
        reload = env.events("reload", None, mark)
        check(reload and "rules=3" in reload[-1], "stepupd did not load the new policy",
              env.log()[mark:])
        ok = env.events("verify-ok", "alice", mark)
        check(ok and "service=stepup-policy" in ok[0], "no step-up on stepup-policy",
              env.log()[mark:])


if __name__ == "__main__":
    e2e.main([case_policy_edit])
