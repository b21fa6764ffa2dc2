#!/usr/bin/env python3
"""Security questions, recovery codes, the enrolment lifecycle and imports, against a real
stepupd.  Root only (the PAM socket serves uid 0).  Usage: test_lifecycle.py BUILD_DIR"""
import base64
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stepup_client as sc  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
STEPUPD = os.path.join(BUILD, "stepupd", "stepupd")
STEPUPCTL = os.path.join(BUILD, "stepupctl", "stepupctl")
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)


POLICY = """\
require question within 15m when service q-test
require totp|recovery within 15m when service r-test
require totp within 15m when service t-test
allow
"""
QUESTIONS = """\
# the admin's catalogue
pet: What was the name of your first pet?
city: In which city were you born?
food: What is your favourite food?
street: On which street did you grow up?
"""
ANSWERS = {"pet": "Rex the Dog", "city": "Paris", "food": "pizza"}


class Daemon:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="stepup-life.")
        os.chmod(self.dir, 0o711)  # the non-root peer must reach the user socket
        os.mkdir(os.path.join(self.dir, "state"), 0o700)
        for name, text in (("policy.conf", POLICY), ("questions.conf", QUESTIONS),
                           ("stepupd.conf", "rate_limit_attempts = 1000\nlockout_failures = 100\n"
                                            "questions_enrol = 3\nquestions_ask = 2\n")):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.pam = os.path.join(self.dir, "pam.sock")
        self.user = os.path.join(self.dir, "user.sock")
        self.db = os.path.join(self.dir, "state", "stepup.db")
        self.log = open(os.path.join(self.dir, "stepupd.log"), "w+")
        self.proc = subprocess.Popen(
            [STEPUPD, "--socket", self.pam, "--user-socket", self.user, "--db", self.db,
             "--policy", os.path.join(self.dir, "policy.conf"),
             "--questions", os.path.join(self.dir, "questions.conf"),
             "--config", os.path.join(self.dir, "stepupd.conf")], stderr=self.log)
        for _ in range(200):
            if os.path.exists(self.user):
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("stepupd did not start")

    def ctl(self, *args, stdin=""):
        return subprocess.run([STEPUPCTL, "--socket", self.pam, "--user-socket", self.user,
                               *args], input=stdin, capture_output=True, text=True, timeout=30)

    def decide(self, service, user="root"):
        c = sc.Conn(self.pam)
        return c, c.call("DECIDE", SERVICE=service, USER=user, PHASE=1)

    def logtext(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir)


def answer_for(prompt, mangle=lambda s: s):
    for line in QUESTIONS.splitlines():
        if ":" in line and not line.startswith("#"):
            qid, text = line.split(":", 1)
            if text.strip() in prompt:
                return mangle(ANSWERS[qid])
    raise AssertionError("unknown question prompt %r" % prompt)


def status(d, user):
    """STATUS as JSON (stepupctl status --json), flattened: factor fields as FACTOR_KEY."""
    r = d.ctl("status", "--user", user, "--json")
    st = json.loads(r.stdout)
    for name, fields in st.pop("factors", {}).items():
        for k, v in fields.items():
            st["%s_%s" % (name, k)] = v
    return st


def test_questions(d):
    r = d.ctl("enroll", "questions", "--user", "root",
              stdin="".join("%s\t%s\n" % kv for kv in ANSWERS.items()))
    check(r.returncode == 0, "questions enrolled: %s" % r.stderr)
    # Stored only as yescrypt hashes.
    db = sqlite3.connect(d.db)
    hashes = [h for (h,) in db.execute("SELECT hash FROM questions WHERE user='root'")]
    db.close()
    check(len(hashes) == 3 and all(h.startswith("$y$") for h in hashes), "yescrypt hashes")
    check(not any("rex" in h.lower() or "paris" in h.lower() for h in hashes), "no plain text")

    # Two questions asked (questions_ask = 2); case and spacing do not matter.
    c, rep = d.decide("q-test")
    check(rep["type"] == "CHALLENGE" and rep.get("FACTOR") == "question", "question challenge")
    first = rep["PROMPT"]
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"],
                 ANSWER=answer_for(first, lambda s: "  " + s.upper().replace(" ", "   ") + " "))
    check(rep["type"] == "CHALLENGE" and rep["PROMPT"] != first, "second question asked")
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=answer_for(rep["PROMPT"]))
    check(rep["type"] == "ALLOW", "both answers accepted: %r" % rep)
    c.close()
    c, rep = d.decide("q-test")
    check(rep["type"] == "ALLOW", "fresh assurance from questions")
    c.close()

    # One letter off fails, and counts toward the same lockout as TOTP.
    d.ctl("revoke", "--user", "root")
    before = int(status(d, "root")["consecutive_failures"])
    c, rep = d.decide("q-test")
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"],
                 ANSWER=answer_for(rep["PROMPT"], lambda s: s[:-1] + ("x" if s[-1] != "x" else "y")))
    check(rep["type"] == "DENY" and "wrong answer" in rep.get("MESSAGE", ""), "a wrong letter fails")
    c.close()
    check(int(status(d, "root")["consecutive_failures"]) == before + 1, "failure counted")


def test_recovery(d, secret):
    d.ctl("enroll", "totp", "--user", "root", "--secret-stdin",
          stdin=base64.b32encode(secret).decode().rstrip("=") + "\n")
    r = d.ctl("recovery-codes", "--user", "root")
    codes = re.findall(r"^([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})$", r.stdout, re.M)
    check(r.returncode == 0 and len(codes) == 10 and len(set(codes)) == 10, "10 recovery codes")
    check(status(d, "root").get("recovery_unused") == 10, "10 unused")
    db = sqlite3.connect(d.db)
    stored = [h for (h,) in db.execute("SELECT hash FROM recovery WHERE user='root'")]
    db.close()
    check(all(h.startswith("$y$") for h in stored) and not any(c[5:] in h for c in codes for h in stored),
          "recovery codes stored hashed")

    d.ctl("revoke", "--user", "root")
    c, rep = d.decide("r-test")
    check("recovery code" in rep.get("PROMPT", ""), "the prompt offers a recovery code")
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=codes[0].upper())
    check(rep["type"] == "ALLOW", "a recovery code passes where policy allows it")
    c.close()
    check("recovery code used" in d.logtext(), "recovery use is an audit event")
    check(status(d, "root").get("recovery_unused") == 9, "the code is consumed")

    d.ctl("revoke", "--user", "root")
    c, rep = d.decide("r-test")
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=codes[0])
    check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""), "a used code is refused")
    c.close()

    # Where policy does not allow recovery, a code is no answer (and is not spent).
    c, rep = d.decide("t-test")
    check(rep.get("PROMPT") == "Verification code: ", "no recovery offered for t-test")
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=codes[1])
    check(rep["type"] == "DENY", "recovery refused where policy forbids it")
    c.close()
    check(status(d, "root").get("recovery_unused") == 9, "refused code not consumed")


def test_reenrol_gate(d):
    import pwd
    nobody = pwd.getpwnam("nobody")

    def child():
        ok = True
        rep = sc.call(d.user, "ENROLL_BEGIN")
        ok &= rep["type"] == "OK"
        secret = base64.b32decode(rep["SECRET"] + "=" * (-len(rep["SECRET"]) % 8))
        rep = sc.call(d.user, "ENROLL_CONFIRM", ANSWER=sc.totp(secret))
        ok &= rep["type"] == "OK"
        print("first enrolment:", ok, flush=True)
        # Re-enrolment: a fresh proof first; a wrong one changes nothing.
        c = sc.Conn(d.user)
        rep = c.call("ENROLL_BEGIN")
        ok &= rep["type"] == "CHALLENGE" and "SECRET" not in rep
        rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER="000000")
        ok &= rep["type"] == "DENY"
        rep = c.call("ENROLL_BEGIN")
        ok &= rep["type"] == "CHALLENGE"  # still no secret handed out
        c.close()
        st = sc.call(d.user, "STATUS")
        ok &= json.loads(st["DATA"])["factors"]["totp"]["pending"] is False
        print("refused without proof:", ok, flush=True)
        for kind in ("RECOVERY_NEW", "REMOVE"):
            extra = {"FACTOR": "totp"} if kind == "REMOVE" else {}
            ok &= sc.call(d.user, kind, **extra)["type"] == "CHALLENGE"
        # With the current code (next step: the confirmation used this one): allowed.
        c = sc.Conn(d.user)
        rep = c.call("ENROLL_BEGIN")
        rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=sc.totp(secret, time.time() + 30))
        ok &= rep["type"] == "ALLOW"
        rep = c.call("ENROLL_BEGIN")
        ok &= rep["type"] == "OK" and "SECRET" in rep
        c.close()
        print("allowed with proof:", ok, flush=True)
        # A non-root peer has no admin verbs and cannot name another user.
        for kind in ("RESET", "FORGET", "LIST", "RECOVERY_SET"):
            ok &= sc.call(d.user, kind, USER="root")["type"] == "ERROR"
        ok &= sc.call(d.user, "ENROLL_BEGIN", USER="root")["type"] == "ERROR"
        print("admin verbs refused:", ok, flush=True)
        return ok

    check(sc.as_user(nobody.pw_uid, nobody.pw_gid, child) == 0, "re-enrolment gate")


def verify_code(d, service, code):
    d.ctl("revoke", "--user", "root")
    c, rep = d.decide(service)
    if rep["type"] != "CHALLENGE":
        c.close()
        return rep["type"]
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=code)
    c.close()
    return rep["type"]


def test_import_ga(d):
    path = os.path.join(d.dir, "google_authenticator")
    ga = shutil.which("google-authenticator")
    if ga:
        r = subprocess.run([ga, "-t", "-d", "-f", "-r", "3", "-R", "30", "-w", "3", "-e", "3",
                            "-q", "-Q", "NONE", "-s", path], capture_output=True, text=True)
        check(r.returncode == 0, "google-authenticator wrote a file: %s" % r.stderr)
    else:
        print("google-authenticator not installed: using a file written by the test")
        with open(path, "w") as f:
            f.write("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" RATE_LIMIT 3 30\n\" WINDOW_SIZE 3\n"
                    "\" DISALLOW_REUSE\n\" TOTP_AUTH\n11111111\n22222222\n33333333\n")
    os.chmod(path, 0o600)
    lines = open(path).read().splitlines()
    secret_b32 = lines[0]
    scratch = [l for l in lines if re.fullmatch(r"\d{8}", l)]
    r = d.ctl("import", "google-authenticator", "--user", "root", path)
    check(r.returncode == 0, "GA import: %s %s" % (r.stdout, r.stderr))
    code = subprocess.run(["oathtool", "--totp", "-b", secret_b32], capture_output=True,
                          text=True).stdout.strip()
    check(verify_code(d, "t-test", code) == "ALLOW", "imported GA secret verifies (oathtool)")
    check(verify_code(d, "r-test", scratch[0]) == "ALLOW", "a GA scratch code is a recovery code")
    check(verify_code(d, "r-test", scratch[0]) == "DENY", "and works once")

    bad = os.path.join(d.dir, "ga_hotp")
    with open(bad, "w") as f:
        f.write("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" HOTP_COUNTER 1\n")
    r = d.ctl("import", "google-authenticator", "--user", "root", bad)
    check(r.returncode == 1 and bad + ":2:" in r.stderr, "HOTP GA file refused with file:line")
    code = subprocess.run(["oathtool", "--totp", "-b", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"],
                          capture_output=True, text=True).stdout.strip()
    check(verify_code(d, "t-test", code) == "DENY", "the refused file changed nothing")


def test_import_oath(d):
    hexsecret = os.urandom(20).hex()
    path = os.path.join(d.dir, "users.oath")
    with open(path, "w") as f:
        f.write("# pam_oath usersfile\nHOTP/T30 root - %s\n" % hexsecret)
    r = d.ctl("import", "oath", path)
    check(r.returncode == 0, "oath import: %s" % r.stderr)
    code = subprocess.run(["oathtool", "--totp", hexsecret], capture_output=True,
                          text=True).stdout.strip()
    check(verify_code(d, "t-test", code) == "ALLOW", "imported oath secret verifies (oathtool)")

    other = os.urandom(20).hex()
    with open(path, "w") as f:
        f.write("HOTP/T30 root - %s\nHOTP nobody - %s\n" % (other, other))
    r = d.ctl("import", "oath", path)
    check(r.returncode == 1 and path + ":2:" in r.stderr and "event-based" in r.stderr,
          "HOTP line refused with a clear message")
    code = subprocess.run(["oathtool", "--totp", other], capture_output=True,
                          text=True).stdout.strip()
    check(verify_code(d, "t-test", code) == "DENY", "nothing imported from the refused file")


def test_import_ownership(d):
    """An import file must belong to whom it speaks for; the refusal names the file and why."""
    import pwd
    nobody = pwd.getpwnam("nobody")
    secret = os.urandom(20).hex()
    path = os.path.join(d.dir, "owned.oath")
    with open(path, "w") as f:
        f.write("HOTP/T30 root - %s\n" % secret)
    os.chmod(path, 0o600)
    code = lambda: subprocess.run(["oathtool", "--totp", secret], capture_output=True,
                                  text=True).stdout.strip()

    # A usersfile owned by a user could name root: refused, nothing imported.
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    r = d.ctl("import", "oath", path)
    check(r.returncode == 1 and "%s: owned by uid %d, must be root" % (path, nobody.pw_uid)
          in r.stderr, "oath file not owned by root refused: %r" % r.stderr)
    check(verify_code(d, "t-test", code()) == "DENY", "nothing imported from a user's usersfile")
    r = d.ctl("import", "oath", "--dry-run", path)
    check(r.returncode == 1, "a dry run refuses it too")
    # Root's, but group- or world-writable: refused.
    os.chown(path, 0, 0)
    for mode in (0o666, 0o620):
        os.chmod(path, mode)
        r = d.ctl("import", "oath", path)
        check(r.returncode == 1 and "%s: group or world writable (mode %04o)" % (path, mode)
              in r.stderr, "oath file mode %04o refused: %r" % (mode, r.stderr))
    check(verify_code(d, "t-test", code()) == "DENY", "nothing imported from a writable file")
    # A symbolic link to a good file is refused.
    os.chmod(path, 0o600)
    link = path + ".link"
    os.symlink(path, link)
    r = d.ctl("import", "oath", link)
    check(r.returncode == 1 and link + ": is a symbolic link" in r.stderr, "symlink refused")
    os.unlink(link)

    # google-authenticator: the user's own file or root's, nobody else's.
    ga = os.path.join(d.dir, "ga_owned")
    with open(ga, "w") as f:
        f.write("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n")
    os.chmod(ga, 0o400)
    os.chown(ga, nobody.pw_uid, nobody.pw_gid)
    r = d.ctl("import", "google-authenticator", "--user", "root", ga)
    check(r.returncode == 1 and "%s: owned by uid %d, must be root" % (ga, nobody.pw_uid)
          in r.stderr, "GA file of another user refused: %r" % r.stderr)
    r = d.ctl("import", "google-authenticator", "--user", "nobody", "--dry-run", ga)
    check(r.returncode == 0, "GA file of its own user accepted: %r" % r.stderr)
    os.chown(ga, 0, 0)
    r = d.ctl("import", "google-authenticator", "--user", "nobody", "--dry-run", ga)
    check(r.returncode == 0, "GA file owned by root accepted for a user: %r" % r.stderr)
    os.chmod(ga, 0o646)
    os.chown(ga, nobody.pw_uid, nobody.pw_gid)
    r = d.ctl("import", "google-authenticator", "--user", "nobody", "--dry-run", ga)
    check(r.returncode == 1 and "%s: group or world writable (mode 0646)" % ga in r.stderr,
          "world-writable GA file refused: %r" % r.stderr)
    r = d.ctl("import", "google-authenticator", "--user", "no-such-user-x", "--dry-run", ga)
    check(r.returncode == 1 and "no such user" in r.stderr, "unknown --user refused")


def test_admin(d):
    r = d.ctl("list", "--json")
    users = [u["user"] for u in json.loads(r.stdout)] if r.returncode == 0 else []
    check("root" in users and "nobody" in users, "list shows users: %s" % r.stdout)
    # Whatever stepupd's database holds, `list --json` is valid JSON: a user name with a quote,
    # a backslash and a byte that is not UTF-8 (written into the database behind stepupd's
    # back) reads back, the odd byte as its Latin-1 character.
    odd = b'caf\xe9 "q" \\'
    db = sqlite3.connect(d.db)
    db.execute("INSERT INTO recovery(user, tag, hash, created_at) "
               "VALUES (CAST(? AS TEXT), 'zzzz', 'x', 0)", (odd,))
    db.commit()
    db.close()
    r = subprocess.run([STEPUPCTL, "--socket", d.pam, "list", "--json"], capture_output=True,
                       timeout=30)
    try:
        users = {u["user"]: u for u in json.loads(r.stdout)}
    except ValueError as e:
        users = {}
        check(False, "list --json is not valid JSON (%s): %r" % (e, r.stdout))
    odd_user = users.get(odd.decode("latin-1"), {})
    check(odd_user.get("factors", {}).get("recovery", {}).get("unused") == 1
          and users["root"]["factors"]["question"]["enrolled"] == 3,
          "odd user name in list --json: %r" % users)
    db = sqlite3.connect(d.db)
    db.execute("DELETE FROM recovery WHERE tag = 'zzzz'")
    db.commit()
    db.close()
    r = d.ctl("reset", "--user", "nobody", "--factor", "totp")
    check(r.returncode == 0 and status(d, "nobody").get("totp_state") == "none", "reset one factor")
    r = d.ctl("forget", "--user", "root")
    check(r.returncode == 0, "forget: %s %s" % (r.stdout, r.stderr))
    print("forget:", r.stdout.strip())
    db = sqlite3.connect(d.db)
    counts = {t: db.execute("SELECT count(*) FROM %s WHERE user='root'" % t).fetchone()[0]
              for t in ("totp", "totp_pending", "assurance", "failures", "questions", "recovery",
                        "factor_log")}
    print("rows left after forget:", counts)
    left = sum(counts.values())
    db.close()
    check(left == 0, "forget erased every row (%d left)" % left)
    check("root" not in d.ctl("list").stdout.split(), "root gone from list")


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    d = Daemon()
    try:
        test_questions(d)
        test_recovery(d, os.urandom(20))
        test_reenrol_gate(d)
        test_import_ga(d)
        test_import_oath(d)
        test_import_ownership(d)
        test_admin(d)
        log = d.logtext()
        check("Rex" not in log and "pizza" not in log, "answers never logged")
    finally:
        if failures:
            print(d.logtext()[-4000:])
        d.stop()
    print("%d passed, %d failed" % (checks - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
