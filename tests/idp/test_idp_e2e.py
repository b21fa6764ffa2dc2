#!/usr/bin/env python3
"""The idp factor everywhere a code works (issue 15), with the real programs: sudo (auth and
account phases; approved, denied at the IdP, left to expire), su, sshd keyboard-interactive
(the code and URL reach the ssh client's screen), the ssh gate (stepup-ssh) and stepupctl
policy edit.  Each person approves on Glewlwyd's real pages (tests/idp/idp_world.py) after
reading the code from the terminal, and presses Enter.

Each case runs in tests/e2e/e2e.py's private world (its own stepupd, users, PAM stack,
sudoers); one Glewlwyd serves every case.  Root only; exits 77 without root or Glewlwyd.
Usage: test_idp_e2e.py BUILD_DIR [CASE...]"""

import atexit
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ssh_gate"))
import idp_world as iw  # noqa: E402
from idp_world import e2e  # noqa: E402
import stepup_client as sc  # noqa: E402

check = e2e.check
W = {}


def world():
    if "w" not in W:
        iw.skip_unless_available()
        w = iw.World(device_interval=1).start()
        W["w"] = w
        atexit.register(w.stop)
    return W["w"]


def idp_env(build, policy, cls=None, **kw):
    """An e2e world whose stepupd uses our Glewlwyd (idp_config in stepupd.conf)."""
    w = world()
    path = w.write_conf(os.path.join(w.dir, "idp.conf"))
    conf = f"idp_config = {path}\n" + kw.pop("conf", "")
    return (cls or e2e.Env)(build, policy, conf=conf, **kw)


def approver(who, seen):
    """The 'idp' answer: reads the code off the screen, approves it at Glewlwyd as WHO, then
    presses Enter.  seen collects the screens (for checks)."""
    def answer(text):
        seen.append(text)
        codes = iw.CODE_RE.findall(text)
        check(codes, "no code on the screen", text)
        world().approve(codes[-1], who)
        return ""
    return answer


def refuser(seen):
    def answer(text):
        seen.append(text)
        world().idp.deny(iw.CODE_RE.findall(text)[-1])
        return ""
    return answer


def shows_code_and_url(text, qr=True):
    w = world()
    ok = bool(iw.CODE_RE.search(text)) and (w.idp.issuer + "/device") in text
    return ok and (not qr or iw.has_qr(text))


def expect(result, prompts, rc, out=None, what=""):
    code, text, seen = result
    check(seen == prompts, f"{what}: prompts {seen}, expected {prompts}", text)
    check(code == rc, f"{what}: exit status {code}, expected {rc}", text)
    if out is not None:
        check(re.search(out, text, re.M), f"{what}: {out!r} not in the output", text)
    return text


SUDO_POLICY = """\
require idp within 0 when service sudo and command /usr/bin/id*
allow
"""


def case_sudo(build):
    with idp_env(build, SUDO_POLICY) as env:
        t = env.term("alice")
        screens = []
        mark = env.mark()
        # auth phase: the password, then the idp prompt; approved, the command runs
        expect(t.sudo("id -u", answers={"idp": approver("alice", screens)}), ["sudo", "idp"], 0,
               r"^0\r?$", "sudo, approved")
        check(shows_code_and_url(screens[-1]), "the prompt shows the code, URL and QR code",
              screens[-1])
        ok = env.events("verify-ok", "alice", mark)
        check(ok and "factor=idp" in ok[-1] and "service=sudo" in ok[-1], "audit: verify-ok",
              env.log()[mark:])
        # account phase: sudo's timestamp is current, pam_authenticate is skipped; the
        # step-up is asked in pam_acct_mgmt
        expect(t.sudo("id -u", answers={"idp": approver("alice", screens)}), ["idp"], 0,
               r"^0\r?$", "sudo within sudo's timestamp (account phase)")


def case_sudo_denied_or_expired(build):
    w = world()
    with idp_env(build, SUDO_POLICY) as env:
        t = env.term("bob")
        screens = []
        mark = env.mark()
        # sudo asks again after a failed authentication (passwd_tries, 3): refused each time
        text = expect(t.sudo("id -u", answers={"idp": refuser(screens)}), ["sudo", "idp"] * 3,
                      1, None, "sudo, denied at the IdP")
        check(not re.search(r"^0\r?$", text, re.M), "the command ran", text)
        check("denied at the identity provider" in text, "the user is told", text)
        fail = env.events("verify-fail", "bob", mark)
        check(fail and "access_denied" in fail[-1], "audit: access_denied", env.log()[mark:])

        # a provider whose codes live 2 s; the person waits 3 s, then presses Enter
        if "short" not in w.idp.plugin_keys:
            w.idp.add_plugin("short", key=w.idp.keys[-1], device_authorization_expiration=2)
        w.write_conf(os.path.join(w.dir, "idp.conf"), issuer=w.idp.issuer_of("short"))
        try:
            check(sc.call(env.sock, "RELOAD")["type"] == "OK", "reload with the short-lived IdP")

            def late(text):
                time.sleep(3)
                return ""
            mark = env.mark()
            text = expect(t.sudo("id -u", answers={"idp": [late, e2e.CTRL_C]}),
                          ["sudo", "idp", "sudo", "idp"], 1, None,
                          "sudo, the code left to expire (then ^C at sudo's second try)")
            check(not re.search(r"^0\r?$", text, re.M), "the command ran", text)
            check("expired" in text, "the user is told", text)
            ab = env.events("abandon", "bob", mark)
            check(any("outcome=expired" in x and "expired_token" in x for x in ab),
                  "audit: expired (expired_token)", env.log()[mark:])
        finally:
            w.write_conf(os.path.join(w.dir, "idp.conf"))


def case_su(build):
    policy = "require idp within 0 when service su,su-l\nallow\n"
    with idp_env(build, policy) as env:
        t = env.term("carol")
        screens = []
        expect(t.run("su -c 'id -un' root", {"password": "pw-root",
                                             "idp": approver("carol", screens)}),
               ["password", "idp"], 0, r"^root\r?$", "su, approved")
        check(shows_code_and_url(screens[-1]), "su shows the code, URL and QR", screens[-1])


def case_sshd_keyboard_interactive(build):
    policy = "require idp within 15m when service sshd and user dave\nallow\n"
    with idp_env(build, policy) as env:
        env.start_sshd("keyboard-interactive")
        screens = []
        rc, out, seen = env.ssh("dave", "id -un", {"password": "pw-dave",
                                                   "idp": approver("dave", screens)})
        check(seen == ["password", "idp"], "ssh prompts", seen, out)
        check(rc == 0 and re.search(r"^dave\r?$", out, re.M), "ssh login", rc, out)
        # the client's screen: ssh prints the prompt it got over keyboard-interactive
        check(shows_code_and_url(out, qr=False), "the code and URL reach the ssh client", out)
        print("# the ssh client showed:\n# " + "\n# ".join(
            ln for ln in out.splitlines() if "code" in ln or "open " in ln or "Enter" in ln),
            flush=True)


def case_ssh_gate(build):
    import test_ssh_gate as tg
    policy = "require idp within 0 when service sshd-command and command /usr/bin/id*\nallow\n"
    with idp_env(build, policy, cls=tg.GateEnv) as env:
        env.add_keys("erin")
        env.start_gate_sshd(tg.gate_sshd_config(env))
        screens = []
        text = expect(env.ssh("erin", "id -un", {"idp": approver("erin", screens)}), ["idp"],
                      0, r"^erin\r?$", "the gate, approved")
        check(shows_code_and_url(screens[-1]), "stepup-ssh shows the code, URL and QR",
              screens[-1])


def case_policy_edit(build):
    import test_policy_edit as tp
    policy = "require idp within 0 when service stepup-policy\nallow\n"
    with idp_env(build, policy, sudoers=tp.SUDOERS) as env:
        if not tp.supported(env):
            raise e2e.Skipped("stepupctl has no 'policy edit'")
        path = os.path.join(env.tmp, "policy.conf")
        editor = env.write("editor.sh", f"#!/bin/sh\nsed -i '1i {tp.MARK}' \"$1\"\n", 0o755)
        edit = (f"VISUAL={editor} sudo {env.stepupctl} --socket {env.sock} --user-socket "
                f"{env.usock} policy edit --file {path}")
        t = env.term("frank")
        screens = []
        rc, out, seen = t.run(edit, {"sudo": "pw-frank", "idp": approver("frank", screens)})
        check(seen == ["sudo", "idp"], "prompts", seen, out)
        check(rc == 0 and "installed" in out, "policy edit with an idp approval", rc, out)
        check(open(path).read().startswith(tp.MARK + "\n"), "the edit is not in the file")


def case_stepupctl_fresh_proof(build):
    """Changing one's factors needs a fresh proof with a factor one has: the identity
    provider's approval is one (stepupctl's prompt), yet it is no first enrolment."""
    with idp_env(build, "allow\n") as env:
        env.ctl("reset", "--user", "erin", "--factor", "totp")
        env.ctl("recovery-codes", "--user", "erin")
        t = env.term("erin")
        ctl = f"{env.stepupctl} --user-socket {env.usock}"
        rc, out, seen = t.run(f"{ctl} remove idp")
        check(rc != 0 and "nothing of yours to remove" in out, "remove idp: refused", rc, out)
        screens = []
        rc, out, seen = t.run(f"{ctl} remove recovery", {"idp": approver("erin", screens)})
        check(seen == ["idp"], "the fresh proof is an idp approval", seen, out)
        check(rc == 0 and "factor removed" in out, "removed after the approval", rc, out)
        check(shows_code_and_url(screens[-1]), "stepupctl shows the code, URL and QR",
              screens[-1])
        check(env.status("erin")["factors"]["recovery"].get("unused") == 0, "codes gone")


if __name__ == "__main__":
    e2e.main([case_sudo, case_sudo_denied_or_expired, case_su, case_sshd_keyboard_interactive,
              case_ssh_gate, case_policy_edit, case_stepupctl_fresh_proof],
             needs=("sudo", "oathtool", "setpriv", "unshare", "openssl", "su", "ssh",
                    "ssh-keygen", "/usr/sbin/sshd"))
