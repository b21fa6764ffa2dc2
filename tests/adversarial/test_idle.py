#!/usr/bin/env python3
"""An idle stepupd does not wake: its event loops arm their deadline sweep only while they
hold a connection (stepupd/loops.c).  Counts the context switches of all its threads over
2 s of quiet, before any connection and after one has come and gone.
Usage: test_idle.py BUILD_DIR"""
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "factors"))
import stepup_client as sc  # noqa: E402

QUIET = 2.0
# The audit flush runs every 5 s on the main loop: at most one wake-up in 2 s, and a thread
# woken by it may switch twice.  The periodic sweep alone made about 16 (two loops, 4 a second).
MAX_SWITCHES = 4


def switches(pid):
    n = 0
    for path in glob.glob("/proc/%d/task/*/status" % pid):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
        except FileNotFoundError:
            pass
    return n


def quiet_switches(pid):
    before = switches(pid)
    time.sleep(QUIET)
    return switches(pid) - before


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (the PAM socket serves uid 0)")
        return 77
    build = sys.argv[1]
    d = tempfile.mkdtemp(prefix="stepup-idle.")
    os.mkdir(os.path.join(d, "state"), 0o700)
    with open(os.path.join(d, "policy.conf"), "w") as f:
        f.write("allow\n")
    with open(os.path.join(d, "stepupd.conf"), "w") as f:
        f.write("idle_timeout = 2\n")
    sock = os.path.join(d, "pam.sock")
    proc = subprocess.Popen([os.path.join(build, "stepupd", "stepupd"), "--socket", sock,
                             "--user-socket", "", "--db", os.path.join(d, "state", "db"),
                             "--policy", os.path.join(d, "policy.conf"),
                             "--config", os.path.join(d, "stepupd.conf")],
                            stderr=subprocess.DEVNULL, env={"PATH": os.environ["PATH"]})
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        print(("ok  " if ok else "FAIL ") + what)
        if ok:
            passed += 1
        else:
            failed += 1

    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        time.sleep(0.5)
        n = quiet_switches(proc.pid)
        check(n <= MAX_SWITCHES, "idle after start: %d context switches in %.0f s" % (n, QUIET))
        # Connections come and go (a DECIDE each, some held past a sweep): the sweeps that
        # they started stop once the loops are empty again.
        answered = sum(sc.call(sock, "DECIDE", SERVICE="sshd", USER="root",
                               PHASE=1)["type"] == "ALLOW" for _ in range(20))
        check(answered == 20, "20 DECIDEs answered ALLOW (%d)" % answered)
        time.sleep(0.6)  # the last sweep sees no connection and does not re-arm
        n = quiet_switches(proc.pid)
        check(n <= MAX_SWITCHES, "idle after connections: %d context switches in %.0f s"
              % (n, QUIET))
        # The sweep still closes a connection that says nothing (idle_timeout, 2 s here).
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.settimeout(15)
        t0 = time.monotonic()
        data = s.recv(16)
        waited = time.monotonic() - t0
        check(data == b"" and 1.9 <= waited <= 3.5,
              "a silent connection is closed at idle_timeout (%.1f s)" % waited)
        s.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(d)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
