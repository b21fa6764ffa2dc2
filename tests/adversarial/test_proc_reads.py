#!/usr/bin/env python3
"""One peer snapshot per request: a DECIDE opens /proc/<caller>/stat at most once (the
snapshot), whatever rule decides and whatever remote detection needs, counted with
strace -f -e openat on a private stepupd.  Usage: test_proc_reads.py BUILD_DIR"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "factors"))
import stepup_client as sc  # noqa: E402

POLICY = """require totp within 15m when service proc-tty
require totp within 15m scope session when service proc-session
allow when service proc-allow
deny
"""


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (the PAM socket serves uid 0)")
        return 77
    if not shutil.which("strace"):
        print("FAIL: strace is missing (tools/deps installs it)")
        return 1
    build = sys.argv[1]
    d = tempfile.mkdtemp(prefix="stepup-proc.")
    os.mkdir(os.path.join(d, "state"), 0o700)
    with open(os.path.join(d, "policy.conf"), "w") as f:
        f.write(POLICY)
    sock = os.path.join(d, "pam.sock")
    trace = os.path.join(d, "trace")
    proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=openat", "-o", trace,
                             os.path.join(build, "stepupd", "stepupd"), "--socket", sock,
                             "--user-socket", "", "--db", os.path.join(d, "state", "db"),
                             "--policy", os.path.join(d, "policy.conf"),
                             "--config", os.path.join(d, "none.conf")],
                            stderr=subprocess.PIPE, text=True)
    ok = True
    try:
        for _ in range(500):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        me = os.getpid()
        stat = re.compile(r'openat\([^,]*, "/proc/%d/stat"' % me)
        for service in ("proc-allow", "proc-tty", "proc-session", "proc-tty"):
            before = open(trace).read().count("\n")
            rep = sc.call(sock, "DECIDE", SERVICE=service, USER="root", PHASE=1)
            # strace writes its lines a little after the fact: wait for the read to show
            for _ in range(40):
                time.sleep(0.05)
                lines = open(trace).read().splitlines()[before:]
                n = sum(1 for line in lines if stat.search(line))
                if n:
                    break
            time.sleep(0.1)  # and for any second read to show too
            lines = open(trace).read().splitlines()[before:]
            n = sum(1 for line in lines if stat.search(line))
            print("%-13s -> %-9s opens of /proc/%d/stat: %d" % (service, rep["type"], me, n))
            if rep["type"] not in ("ALLOW", "DENY"):
                print("FAIL: unexpected reply", rep)
                ok = False
            if n > 1:
                print("FAIL: the caller's stat was read %d times in one DECIDE" % n)
                ok = False
        # The snapshot is read at all: without it there would be no scope for the rules.
        if not any(stat.search(line) for line in open(trace)):
            print("FAIL: the caller's /proc/PID/stat was never read")
            ok = False
    finally:
        # SIGTERM to stepupd itself (strace's child); strace ends when it does.
        kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                              text=True).stdout.split()
        for pid in kids:
            os.kill(int(pid), 15)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        shutil.rmtree(d)
    print("%d passed, %d failed" % ((1, 0) if ok else (0, 1)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
