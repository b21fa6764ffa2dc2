#!/usr/bin/env python3
"""Failover: a primary and a streaming standby (synchronous_standby_names on the primary,
pg_basebackup -R), two stepupd hosts whose connection string names both servers with
target_session_attrs=read-write.  While verifications flow, the primary is killed (SIGKILL to
the postmaster) and the standby promoted; the daemons reconnect by themselves, the last code
accepted before the kill is refused after it, and failure counts are intact.
Root only.  Usage: test_fleet_failover.py BUILD_DIR"""
import os
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_env as fe  # noqa: E402
from fleet_env import check  # noqa: E402


class Flow(threading.Thread):
    """Verifications without pause but a short one, each user's codes in step order,
    alternating hosts; keeps the last code each host accepted."""

    def __init__(self, hosts, users):
        super().__init__(daemon=True)
        self.hosts, self.users = hosts, users  # users: [(name, key)]
        self.next_step = {u: int(time.time() // 30) - 4 for u, _ in users}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.last_allow = None  # (host index, user, code)
        self.allowed = self.refused = 0
        self.allowed_after = [0] * len(hosts)  # ALLOWs after mark(), per host
        self.marked = False

    def mark(self):
        with self.lock:
            self.marked = True
            return self.last_allow

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            user, key = self.users[i % len(self.users)]
            step = self.next_step[user]
            if step > time.time() // 30 + 4:
                time.sleep(0.02)
                continue
            code = fe.sc.totp(key, step * 30)
            h = i % len(self.hosts)
            try:
                rep = self.hosts[h].step_up(user, code)
            except OSError:
                rep = {"type": "ERROR"}
            with self.lock:
                if rep["type"] == "ALLOW":
                    self.allowed += 1
                    self.last_allow = (h, user, code)
                    self.allowed_after[h] += self.marked
                    self.next_step[user] = step + 1
                else:
                    self.refused += 1
                    if "already used" in rep.get("MESSAGE", ""):
                        self.next_step[user] = step + 1  # committed, the reply was lost
            time.sleep(0.03)


def main():
    build, work = fe.setup()
    started = time.monotonic()
    primary = fe.Postgres(work, "primary", 5432)
    standby = fe.Postgres(work, "standby", 5433)
    hosts = []
    flow = None
    try:
        primary.initdb()
        primary.start("synchronous_standby_names='*'", "synchronous_commit=on")
        standby.standby_of(primary)
        standby.start()
        for _ in range(100):
            if primary.psql("SELECT sync_state FROM pg_stat_replication") == "sync":
                break
            time.sleep(0.1)
        check(primary.psql("SELECT sync_state FROM pg_stat_replication") == "sync",
              "the standby streams synchronously")
        key = fe.new_key(build, os.path.join(work, "fleet.key"))
        r = fe.fleet_ctl(build, "init", "--store", "postgresql:" + primary.conninfo(), "--key",
                         key)
        check(r.returncode == 0, "fleet init on the primary", r.stderr)
        conninfo = ("host=%s,%s port=%d,%d user=postgres dbname=postgres "
                    "target_session_attrs=read-write" %
                    (primary.dir, standby.dir, primary.port, standby.port))
        hosts = [fe.Host(build, work, n, conninfo, key) for n in ("A", "B")]
        for h in hosts:
            h.start()
        a, b = hosts
        users = [(u, fe.enrol(a, u)) for u in fe.USERS[20:32]]
        # Failures before the crash: 3 wrong codes for one user, over both hosts.
        fu, fkey = "fleet40", fe.enrol(a, "fleet40")
        wrong = "%06d" % ((int(fe.code(fkey)) + 500000) % 1000000)
        for i in range(3):
            hosts[i % 2].step_up(fu, wrong)
        check(a.status(fu).get("consecutive_failures") == 3, "3 failures before the crash")

        flow = Flow(hosts, users)
        flow.start()
        time.sleep(1.5)
        last = flow.mark()
        check(last is not None and flow.allowed > 5, "verifications flow before the crash",
              flow.allowed)
        print("# kill -9 the primary after %d verifications" % flow.allowed, flush=True)
        primary.kill9()
        time.sleep(0.5)
        standby.promote()
        promoted = time.monotonic()
        print("# standby promoted", flush=True)
        deadline = promoted + 25
        while time.monotonic() < deadline and min(flow.allowed_after) < 2:
            time.sleep(0.1)
        print("# verifications flow again %.1f s after the promotion (%d refused meanwhile)" %
              (time.monotonic() - promoted, flow.refused), flush=True)
        flow.stop.set()
        flow.join(timeout=30)
        check(min(flow.allowed_after) >= 2, "both daemons reconnected: verifications flow again",
              flow.allowed_after)
        for h in hosts:
            st = h.stats()["store_health"]
            check(st["up"] and st["reconnects"] >= 1, "%s: reconnected, no restart" % h.name,
                  st)
            check(h.proc.poll() is None, "%s: the same daemon" % h.name)
        if last:
            h, user, code = last
            other = hosts[1 - h]
            rep = other.step_up(user, code)
            check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""),
                  "the last code accepted before the kill is refused after it", last, rep)
            rep = hosts[h].step_up(user, code)
            check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""),
                  "... on the host that accepted it too", rep)
        for h in hosts:
            check(h.status(fu).get("consecutive_failures") == 3,
                  "%s: failure counts intact after the failover" % h.name, h.status(fu))
        check(standby.psql("SELECT pg_is_in_recovery()") == "f", "the standby is the primary")
    finally:
        if flow:
            flow.stop.set()
            flow.join(timeout=30)
        for h in hosts:
            h.stop()
        if fe.failures:
            for h in hosts:
                print("--- %s log (tail)\n" % h.name +
                      "".join(h.logtext().splitlines(True)[-20:]))
        standby.stop()
        if primary.running:
            primary.stop("immediate")
        shutil.rmtree(work, ignore_errors=True)
    fe.finish(started)


if __name__ == "__main__":
    main()
