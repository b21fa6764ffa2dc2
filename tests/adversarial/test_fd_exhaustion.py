#!/usr/bin/env python3
"""Out of descriptors: stepupd must pause accepting (not spin at full CPU) and serve again
once descriptors are free.  Usage: test_fd_exhaustion.py BUILD_DIR"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "factors"))
import stepup_client as sc  # noqa: E402


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (the PAM socket serves uid 0)")
        return 77
    build = sys.argv[1]
    d = tempfile.mkdtemp(prefix="stepup-fd.")
    os.mkdir(os.path.join(d, "state"), 0o700)
    with open(os.path.join(d, "policy.conf"), "w") as f:
        f.write("allow\n")
    sock = os.path.join(d, "pam.sock")
    # A hard limit of 48 descriptors: far below max_connections (512); the daemon's own
    # threads hold about 30 (an event loop each, a database connection per thread).
    proc = subprocess.Popen(["prlimit", "--nofile=48:48", "--",
                             os.path.join(build, "stepupd", "stepupd"), "--socket", sock,
                             "--user-socket", "", "--db", os.path.join(d, "state", "db"),
                             "--policy", os.path.join(d, "policy.conf"),
                             "--config", os.path.join(d, "none.conf")],
                            stderr=subprocess.PIPE, text=True)
    ok = True
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        held = []
        for _ in range(60):  # more than the daemon can take
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            held.append(s)
        time.sleep(0.5)
        before = cpu_ticks(proc.pid)
        time.sleep(2.0)
        used = cpu_ticks(proc.pid) - before  # clock ticks (usually 100 per second)
        print("CPU ticks used in 2 s while out of descriptors:", used)
        if used > 40:
            print("FAIL: stepupd spins when out of descriptors")
            ok = False
        for s in held:
            s.close()
        time.sleep(11)  # the idle timeout (10 s) frees the accepted ones
        rep = sc.call(sock, "DECIDE", SERVICE="sshd", USER="root", PHASE=1)
        if rep["type"] != "ALLOW":
            print("FAIL: no decision after descriptors came back:", rep)
            ok = False
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        shutil.rmtree(d)
    if "accepting paused" not in err:
        print("FAIL: no audit line for the pause")
        ok = False
    print("%d passed, %d failed" % ((1, 0) if ok else (0, 1)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
