#!/usr/bin/env python3
"""sudo end to end: which commands step up, freshness and idle windows, sudo's own timestamp
versus step-up assurance, sudo -k and stepupctl revoke, shells, sudoedit, sudo -u.

Each case uses its own test user, so their assurance and TOTP steps do not interfere."""
import os

import e2e
from e2e import check

POLICY = """\
require totp within 0 message "A root shell needs a fresh code." \\
        when service sudo,sudo-i and command shell
require totp within 0 when service sudo and command sudoedit @TMP@/guarded/*
require totp within 0 when service sudo and target-user dave
require totp within 3s when service sudo and command /usr/bin/date*
require totp within 1h idle 3s when service sudo and command /usr/bin/uname*
require totp within 15m when service sudo and command /usr/bin/systemctl*
allow
"""


def expect(result, prompts, rc=0, out=None, what=""):
    code, text, seen = result
    check(seen == prompts, f"{what}: prompts {seen}, expected {prompts}", text)
    check(code == rc, f"{what}: exit status {code}, expected {rc}", text)
    if out is not None:
        check(out in text, f"{what}: '{out}' not in the output", text)
    return text


def case_privileged_vs_harmless(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("alice")
        mark = env.mark()
        expect(t.sudo("/usr/bin/id -u"), ["sudo"], 0, "\n0", "harmless command")
        check(any('command="/usr/bin/id -u"' in x for x in env.events("decision", "alice", mark)),
              "the daemon did not get sudo's command", env.log()[mark:])
        mark = env.mark()
        expect(t.sudo("systemctl --version"), ["code"], 0, "systemd", "privileged command")
        # the daemon matched sudo's command against the systemctl rule
        ok = env.events("verify-ok", "alice", mark)
        check(ok and env.rule("/usr/bin/systemctl") in ok[0], "not the systemctl rule",
              env.log()[mark:])
        expect(t.sudo("systemctl --version"), [], 0, "systemd", "inside the window")
        check(env.status("alice").get("assurance_records") == 1, "assurance not recorded",
              env.status("alice"))
        # a SUDO_COMMAND the caller exports changes nothing: inside sudo, getenv() answers
        # from sudoers' own environment
        env.ctl("revoke", "--user", "alice")
        expect(t.run("SUDO_COMMAND=/usr/bin/id sudo systemctl --version",
                     {"code": lambda: env.code("alice")}),
               ["code"], 0, "systemd", "forged SUDO_COMMAND")


def case_freshness_window(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("carol")
        # with -E too, a SUDO_COMMAND the caller exports is not what the module reads
        expect(t.run("SUDO_COMMAND=/usr/bin/true sudo -E date +%s",
                     {"sudo": "pw-carol", "code": lambda: env.code("carol")}),
               ["sudo", "code"], 0, None, "first date (forged SUDO_COMMAND, sudo -E)")
        expect(t.sudo("date +%s"), [], 0, None, "within 3s")
        __import__("time").sleep(4)
        expect(t.sudo("date +%s"), ["code"], 0, None, "after 3s")


def case_idle_timeout(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("dave")
        sleep = __import__("time").sleep
        expect(t.sudo("uname -s"), ["sudo", "code"], 0, "Linux", "first uname")
        sleep(2)
        expect(t.sudo("uname -s"), [], 0, "Linux", "2s idle")
        sleep(2)
        expect(t.sudo("uname -s"), [], 0, "Linux", "2s idle again (4s since the code)")
        sleep(4)
        expect(t.sudo("uname -s"), ["code"], 0, "Linux", "4s idle")


def case_sudo_timestamp_does_not_bypass(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("erin")
        expect(t.sudo("systemctl --version"), ["sudo", "code"], 0, "systemd", "first")
        # stepupctl revoke: drops step-up assurance only; sudo's timestamp stays, so sudo skips
        # pam_authenticate and the step-up is asked in the account phase
        rc, out, _ = t.run(f"{env.stepupctl} --user-socket {env.usock} revoke")
        check(rc == 0, "stepupctl revoke failed", out)
        check(env.status("erin").get("assurance_records") == 0, "revoke left assurance",
              env.status("erin"))
        expect(t.sudo("systemctl --version"), ["code"], 0, "systemd", "after revoke")
        # sudo -k: drops sudo's timestamp only; the step-up assurance is still fresh
        expect(t.run("sudo -k"), [], 0, None, "sudo -k")
        check(env.status("erin").get("assurance_records") == 1, "sudo -k touched assurance",
              env.status("erin"))
        expect(t.sudo("systemctl --version"), ["sudo"], 0, "systemd", "after sudo -k")


def case_shells(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("frank")
        text = expect(t.sudo("-s id -un"), ["sudo", "code"], 0, "root", "sudo -s")
        check("A root shell needs a fresh code." in text, "rule message not shown", text)
        expect(t.sudo("-i id -un"), ["code"], 0, "root", "sudo -i (service sudo-i)")


def case_sudoedit(build):
    with e2e.Env(build, POLICY) as env:
        guarded = os.path.join(env.tmp, "guarded")
        os.mkdir(guarded, 0o755)
        for name in ("motd", "other"):
            with open(os.path.join(guarded if name == "motd" else env.tmp, name), "w") as f:
                f.write("before\n")
        editor = env.write("editor.sh", "#!/bin/sh\necho edited >> \"$1\"\n", 0o755)
        t = env.term("bob")
        expect(t.sudo("true"), ["sudo"], 0, None, "plain sudo")
        expect(t.run(f"SUDO_EDITOR={editor} sudoedit {guarded}/motd", {"code": lambda: env.code("bob")}),
               ["code"], 0, None, "sudoedit of a guarded file")
        check(open(os.path.join(guarded, "motd")).read() == "before\nedited\n", "not edited")
        # relative name from inside the directory: the same rule
        expect(t.run(f"cd {guarded} && SUDO_EDITOR={editor} sudoedit ./motd; cd",
                     {"code": lambda: env.code("bob")}), ["code"], 0, None, "relative sudoedit")
        expect(t.run(f"SUDO_EDITOR={editor} sudoedit {env.tmp}/other"), [], 0, None,
               "sudoedit of another file")
        check(open(os.path.join(env.tmp, "other")).read() == "before\nedited\n", "not edited")


def case_target_user(build):
    with e2e.Env(build, POLICY) as env:
        t = env.term("alice")
        expect(t.sudo("-u bob id -un"), ["sudo"], 0, "bob", "sudo -u bob")
        mark = env.mark()
        expect(t.sudo("-u dave id -un"), ["code"], 0, "dave", "sudo -u dave")
        expect(t.sudo("--user=dave id -un"), ["code"], 0, "dave", "sudo --user=dave, within 0")
        check(len(env.events("challenge", "alice", mark)) == 2, "challenges not counted",
              env.log()[mark:])


if __name__ == "__main__":
    e2e.main([case_privileged_vs_harmless, case_freshness_window, case_idle_timeout,
              case_sudo_timestamp_does_not_bypass, case_shells, case_sudoedit,
              case_target_user])
