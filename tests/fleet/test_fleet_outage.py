#!/usr/bin/env python3
"""PostgreSQL away: the fleet store's failure modes, against a real PostgreSQL 15.
  - stopped: a user with fresh local assurance is still allowed (this host's SQLite);
    a user who needs a code is refused within store_timeout under failmode secure, and
    allowed (with the LOG_CRIT event) under failmode safe; STATUS and STATS say "down";
  - hung (every server process stopped with SIGSTOP): refused within store_timeout;
  - started again: verification works again, the daemon never restarted.
Root only.  Usage: test_fleet_outage.py BUILD_DIR"""
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_env as fe  # noqa: E402
from fleet_env import check  # noqa: E402

TIMEOUT = 2  # store_timeout, seconds


def timed(fn, *args, **kw):
    t = time.monotonic()
    rep = fn(*args, **kw)
    return rep, time.monotonic() - t


def refused_unavailable(rep):
    return rep["type"] == "DENY" and "step-up service unavailable" in rep.get("MESSAGE", "")


def main():
    build, work = fe.setup()
    started = time.monotonic()
    pg = fe.Postgres(work, "pg")
    a = b = None
    stopped = []
    try:
        pg.initdb()
        pg.start()
        key = fe.new_key(build, os.path.join(work, "fleet.key"))
        r = fe.fleet_ctl(build, "init", "--store", "postgresql:" + pg.conninfo(), "--key", key)
        check(r.returncode == 0, "fleet init", r.stderr)
        a = fe.Host(build, work, "A", pg.conninfo(), key, store_timeout=TIMEOUT)
        a.start()
        pid = a.proc.pid
        fresh, coded = "fleet10", "fleet11"
        k_fresh, k_coded = fe.enrol(a, fresh), fe.enrol(a, coded)
        rep = a.step_up(fresh, fe.code(k_fresh, -3), service="fleet-15m")
        check(rep["type"] == "ALLOW", "fresh: stepped up while PostgreSQL is up", rep)

        print("# PostgreSQL stopped", flush=True)
        pg.stop()
        c, rep = a.challenge(fresh, service="fleet-15m")
        c.close()
        check(rep["type"] == "ALLOW", "stopped: fresh local assurance still allowed", rep)
        for service in ("fleet-always", "fleet-15m"):
            rep, took = timed(a.step_up, coded, fe.code(k_coded), service=service)
            check(refused_unavailable(rep) and took < TIMEOUT + 0.5,
                  "stopped: %s needs a code: refused within store_timeout" % service, rep,
                  "%.2f s" % took)
        rep, took = timed(a.step_up, coded, fe.code(k_coded), service="fleet-safe")
        check(rep["type"] == "ALLOW" and took < TIMEOUT + 0.5,
              "stopped: failmode safe allows", rep, "%.2f s" % took)
        check("allowed by the rule's failmode safe" in a.logtext(),
              "stopped: failmode safe's allow is logged (LOG_CRIT event)")
        r = a.ctl("status", "--user", coded)
        check(r.returncode != 0 and "postgresql" in r.stderr and "unavailable" in r.stderr,
              "stopped: stepupctl status names the store and that it is down", r.stdout,
              r.stderr)
        st = a.stats()["store_health"]
        check(st["up"] is False and st["errors"] > 0 and st["last_error"],
              "stopped: STATS says down, with errors and the last error", st)
        b = fe.Host(build, work, "B", pg.conninfo(), key, store_timeout=TIMEOUT)
        b.start()  # raises when it does not start
        check("serving, and connecting when it answers" in b.logtext(),
              "stopped: a daemon starting now starts, and says the store does not answer")

        print("# PostgreSQL started again", flush=True)
        pg.start()
        deadline = time.monotonic() + 15
        rep = None
        while time.monotonic() < deadline:
            rep = a.step_up(coded, fe.code(k_coded, -3))
            if rep["type"] == "ALLOW":
                break
            time.sleep(0.3)
        check(rep and rep["type"] == "ALLOW", "restarted: verification works again", rep)
        check(a.proc.pid == pid and a.proc.poll() is None, "restarted: the same daemon")
        # B has been trying too (it reads the fleet's revocation list every second here), so
        # it may be inside its back-off (at most 5 s) when PostgreSQL comes back, as A was.
        t0 = time.monotonic()
        while True:
            rep = b.step_up(coded, fe.code(k_coded, -2))
            if rep["type"] == "ALLOW" or time.monotonic() - t0 > 15:
                break
            time.sleep(0.3)
        check(rep["type"] == "ALLOW", "restarted: the daemon started while it was down "
              "reaches it (%.1f s)" % (time.monotonic() - t0), rep)
        st = a.stats()["store_health"]
        check(st["up"] is True and st["reconnects"] >= 1, "restarted: up, reconnected", st)

        print("# PostgreSQL hung (SIGSTOP)", flush=True)
        stopped = pg.pids()
        for p in stopped:
            os.kill(p, signal.SIGSTOP)
        rep, took = timed(a.step_up, coded, fe.code(k_coded, -2))
        check(refused_unavailable(rep) and TIMEOUT - 0.5 < took < TIMEOUT + 1.0,
              "hung: refused after store_timeout, not later", rep, "%.2f s" % took)
        c, rep = a.challenge(fresh, service="fleet-15m")
        c.close()
        check(rep["type"] == "ALLOW", "hung: fresh local assurance still allowed", rep)
        check(a.stats()["store_health"]["timeouts"] >= 1, "hung: a timeout is counted")
        for p in stopped:
            os.kill(p, signal.SIGCONT)
        stopped = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            rep = a.step_up(coded, fe.code(k_coded, -1))
            if rep["type"] == "ALLOW":
                break
            time.sleep(0.3)
        check(rep["type"] == "ALLOW", "resumed: verification works again", rep)
    finally:
        for p in stopped:
            os.kill(p, signal.SIGCONT)
        if b:
            b.stop()
        if a:
            a.stop()
            if fe.failures:
                print("--- A log (tail)\n" + "".join(a.logtext().splitlines(True)[-20:]))
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    fe.finish(started)


if __name__ == "__main__":
    main()
