#!/usr/bin/env python3
"""Every factor in stepupd's factor table, walked through enrol -> challenge -> verify ->
reset against a private stepupd.  The factors come from the daemon (the "factors" of a
STATUS reply), so a factor added to stepupd without a walk here fails this test.

The idp factor is "enrolled" by the admin: its walk writes idp.conf for a real Glewlwyd
(tests/idp/glewlwyd.py, started here), approves the device code there as the IdP user alice
(mapped to root by a user map) and removes idp.conf again.  It is skipped only when Glewlwyd
is not installed (tools/deps test installs it).
Usage: test_factor_walk.py BUILD_DIR"""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "idp"))
import stepup_client as sc  # noqa: E402
import glewlwyd  # noqa: E402

QUESTIONS = "pet: Your first pet?\ncity: Your birth city?\n"
ANSWERS = {"pet": "Rex", "city": "Paris"}
USER = "root"
checks = failures = 0


def check(cond, what, *context):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, *context, flush=True)


def status(pam):
    rep = sc.call(pam, "STATUS", USER=USER)
    return json.loads(rep["DATA"])["factors"]


# Each walk: enrol(pam) -> None; answer(prompt, state) -> the answer to type.
def totp_enrol(pam, state):
    rep = sc.call(pam, "ENROLL_BEGIN", USER=USER)
    secret = base64.b32decode(rep["SECRET"] + "=" * (-len(rep["SECRET"]) % 8))
    rep = sc.call(pam, "ENROLL_CONFIRM", USER=USER, ANSWER=sc.totp(secret))
    check(rep["type"] == "OK", "totp: confirmed", rep)
    state["secret"] = secret


def totp_answer(prompt, state):
    # the confirmation used this step: the next code is the one to use
    return sc.totp(state["secret"], time.time() + 30)


def question_enrol(pam, state):
    body = "".join("%s\t%s\n" % kv for kv in ANSWERS.items())
    rep = sc.call(pam, "QUESTIONS_SET", USER=USER, BODY=body)
    check(rep["type"] == "OK", "question: enrolled", rep)


def question_answer(prompt, state):
    for line in QUESTIONS.splitlines():
        qid, text = line.split(":", 1)
        if text.strip() in prompt:
            return ANSWERS[qid]
    raise AssertionError("unknown question %r" % prompt)


def recovery_enrol(pam, state):
    rep = sc.call(pam, "RECOVERY_NEW", USER=USER)
    check(rep["type"] == "OK", "recovery: codes made", rep)
    state["codes"] = rep.get("BODY", "").split()


def recovery_answer(prompt, state):
    return state["codes"][0]


def reset(pam, name, state):
    rep = sc.call(pam, "RESET", USER=USER, FACTOR=name)
    check(rep["type"] == "OK", name + ": reset", rep)


# The idp factor: the admin provides it (idp.conf), the person approves at the IdP.
def idp_enrol(pam, state):
    idp, d = state["idp"], state["dir"]
    secret = os.path.join(d, "client.secret")
    with open(secret, "w") as f:
        f.write(idp.client_secret + "\n")
    os.chmod(secret, 0o600)
    with open(os.path.join(d, "idp.map"), "w") as f:
        f.write("alice %s\n" % USER)
    with open(os.path.join(d, "idp.conf"), "w") as f:
        f.write("issuer = %s\nclient_id = %s\nclient_secret_file = %s\nscopes = openid\n"
                "user_map = %s\nrequire_amr = otp\n"
                % (idp.issuer, idp.client_id, secret, os.path.join(d, "idp.map")))
    check(sc.call(pam, "RELOAD")["type"] == "OK", "idp: idp.conf loaded")


def idp_answer(prompt, state):
    m = re.search(r"enter the code ([A-Z0-9-]+)", prompt)
    if m:
        state["idp"].approve(m.group(1), "alice")
    return ""  # Enter


def idp_remove(pam, name, state):
    os.unlink(os.path.join(state["dir"], "idp.conf"))
    check(sc.call(pam, "RELOAD")["type"] == "OK", "idp: idp.conf removed")


WALKS = {
    "totp": (totp_enrol, totp_answer, reset),
    "question": (question_enrol, question_answer, reset),
    "recovery": (recovery_enrol, recovery_answer, reset),
    "idp": (idp_enrol, idp_answer, idp_remove),
}


def enrolled(fields):
    """A factor's own STATUS columns say whether it is enrolled: state, a count."""
    if "state" in fields:
        return fields["state"] in ("active", "available")
    return any(isinstance(v, int) and not isinstance(v, bool) and v > 0
               for v in fields.values())


def walk(pam, name, state):
    enrol, answer, remove = WALKS[name]
    check(not enrolled(status(pam)[name]), name + ": not enrolled at first")
    enrol(pam, state)
    check(enrolled(status(pam)[name]), name + ": enrolled", status(pam)[name])
    c = sc.Conn(pam)
    rep = c.call("DECIDE", SERVICE="walk-" + name, USER=USER, PHASE=1)
    rounds = 0
    while rep["type"] == "CHALLENGE" and rounds < 8:
        check(rep.get("FACTOR") == name, name + ": challenged for it", rep)
        rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=answer(rep["PROMPT"], state))
        rounds += 1
    c.close()
    check(rep["type"] == "ALLOW" and rounds >= 1, name + ": verified", rep)
    remove(pam, name, state)
    check(not enrolled(status(pam)[name]), name + ": gone after reset", status(pam)[name])
    rep = sc.call(pam, "DECIDE", SERVICE="walk-" + name, USER=USER, PHASE=1)
    check(rep["type"] == "DENY" and "no enrolled factor" in rep.get("MESSAGE", ""),
          name + ": no step-up without it", rep)


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (the PAM socket)")
        return 77
    build = sys.argv[1]
    d = tempfile.mkdtemp(prefix="stepup-walk.")
    os.mkdir(os.path.join(d, "state"), 0o700)
    pam = os.path.join(d, "pam.sock")
    files = {"questions.conf": QUESTIONS,
             "stepupd.conf": "questions_enrol = 2\nquestions_ask = 2\n"
                             "rate_limit_attempts = 100\n"}
    proc = None
    idp = None
    try:
        # One rule per factor of the daemon's table (learnt from a first STATUS).
        policy = os.path.join(d, "policy.conf")
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        with open(policy, "w") as f:
            f.write("allow\n")
        args = [os.path.join(build, "stepupd", "stepupd"), "--socket", pam, "--user-socket", "",
                "--db", os.path.join(d, "state", "db"), "--policy", policy,
                "--questions", os.path.join(d, "questions.conf"),
                "--config", os.path.join(d, "stepupd.conf"),
                "--idp-config", os.path.join(d, "idp.conf")]
        log = open(os.path.join(d, "log"), "w")
        proc = subprocess.Popen(args, stderr=log)
        for _ in range(500):
            if os.path.exists(pam):
                break
            time.sleep(0.02)
        names = sorted(status(pam))
        print("factors in stepupd's table:", ", ".join(names))
        check(len(names) >= 3, "the table lists the factors", names)
        with open(policy, "w") as f:
            f.write("".join("require %s within 0 when service walk-%s\n" % (n, n)
                            for n in names) + "allow\n")
        check(sc.call(pam, "RELOAD")["type"] == "OK", "policy with one rule per factor")
        for name in names:
            if name not in WALKS:
                check(False, "factor %s has no walk in tests/factors/test_factor_walk.py" % name)
                continue
            state = {"dir": d}
            if name == "idp":
                why = glewlwyd.available()
                if why:
                    print("SKIP: idp: Glewlwyd cannot run here:", why, flush=True)
                    continue
                idp = state["idp"] = glewlwyd.Glewlwyd(device_interval=1).start()
            walk(pam, name, state)
            print("walked:", name, flush=True)
    finally:
        if idp:
            idp.stop()
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        shutil.rmtree(d)
    print("%d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
