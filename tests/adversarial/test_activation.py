#!/usr/bin/env python3
"""Socket activation with several event loops: the sockets systemd passes are blocking, and
every loop polls them, so a loop that loses an accept must not block in accept4().  With
threads = 4, many connections are served and SIGTERM stops stepupd within seconds.
Usage: test_activation.py BUILD_DIR"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "factors"))
import stepup_client as sc  # noqa: E402


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (the PAM socket serves uid 0)")
        return 77
    if not shutil.which("systemd-socket-activate"):
        print("SKIP: no systemd-socket-activate")
        return 77
    build = sys.argv[1]
    d = tempfile.mkdtemp(prefix="stepup-act.")
    os.mkdir(os.path.join(d, "state"), 0o700)
    for name, text in (("policy.conf", "allow\n"), ("stepupd.conf", "threads = 4\n")):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    pam, user = os.path.join(d, "pam.sock"), os.path.join(d, "user.sock")
    proc = subprocess.Popen(
        ["systemd-socket-activate", "-l", pam, "-l", user, "--fdname=pam:user",
         os.path.join(build, "stepupd", "stepupd"), "--db", os.path.join(d, "state", "db"),
         "--policy", os.path.join(d, "policy.conf"),
         "--config", os.path.join(d, "stepupd.conf")],
        stderr=subprocess.PIPE, text=True)
    ok = True
    try:
        for _ in range(200):
            if os.path.exists(user):
                break
            time.sleep(0.02)
        n = 0
        for i in range(200):
            rep = sc.call(pam if i % 2 == 0 else user,
                          "DECIDE" if i % 2 == 0 else "QUESTIONS_GET",
                          **({"SERVICE": "sudo", "USER": "root", "PHASE": 1} if i % 2 == 0 else {}))
            n += rep["type"] in ("ALLOW", "ERROR")
        print("answered: %d of 200" % n)
        ok &= n == 200
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # systemd-socket-activate exec'd stepupd: same pid
        try:
            proc.wait(timeout=10)
            print("stopped %.2f s after SIGTERM" % (time.monotonic() - t0))
        except subprocess.TimeoutExpired:
            print("FAIL: stepupd did not stop within 10 s of SIGTERM")
            proc.kill()
            proc.wait()
            ok = False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(d)
    print("%d passed, %d failed" % ((1, 0) if ok else (0, 1)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
