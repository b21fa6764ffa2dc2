#!/usr/bin/env python3
"""One enrolment for a fleet: three stepupd "hosts" (own sockets, own SQLite, one private
PostgreSQL 15 started here) share enrolments, used codes, failure counts and recovery codes.
  - a user enrolled through A verifies on B and C;
  - a code accepted on A is refused on B (and C) in the same step;
  - 32 parallel uses of one fresh code spread over A, B and C give exactly one grant;
  - 10 wrong codes spread over the three lock the user on all three;
  - forget on A leaves the user unenrolled on B and C;
  - a recovery code used on B is refused on C;
  - a reset on A ends the grants the user holds on B and C (the fleet's revocation list),
    and a grant earned after the reset stays.
Root only.  Usage: test_fleet.py BUILD_DIR"""
import base64
import json
import os
import shutil
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_env as fe  # noqa: E402
from fleet_env import check  # noqa: E402
import stepup_client as sc  # noqa: E402


def case_enrolled_on_a_verifies_on_b_and_c(a, b, c):
    u = "fleet01"
    fe.at_step_start(10)
    # Enrolment through A, as a user does it: a new secret, confirmed with its first code.
    rep = a.call("ENROLL_BEGIN", USER=u, WINDOW=5)
    check(rep["type"] == "OK", "A: enrolment started", rep)
    key = base64.b32decode(rep["SECRET"] + "=" * (-len(rep["SECRET"]) % 8))
    rep = a.call("ENROLL_CONFIRM", USER=u, ANSWER=fe.code(key, -4))
    check(rep["type"] == "OK", "A: enrolment confirmed", rep)
    for h in (b, c):
        st = h.status(u)
        check(st.get("totp_state") == "active", "%s sees the enrolment" % h.name, st)
        check(st.get("store") == "postgresql" and st.get("store_state") == "up",
              "%s: STATUS shows the store and its health" % h.name, st)
    rep = b.step_up(u, fe.code(key, -3))
    check(rep["type"] == "ALLOW", "B: a code of the enrolment made on A is accepted", rep)
    rep = c.step_up(u, fe.code(key, -2))
    check(rep["type"] == "ALLOW", "C: the next code is accepted too", rep)
    # The confirmation code itself (an older step) is refused anywhere.
    rep = b.step_up(u, fe.code(key, -4))
    check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""),
          "B: the confirmation code is spent", rep)


def case_code_once_in_the_fleet(a, b, c):
    u = "fleet02"
    key = fe.enrol(a, u, window=1)
    fe.at_step_start()
    now = fe.code(key)
    rep = a.step_up(u, now)
    check(rep["type"] == "ALLOW", "A: the code is accepted", rep)
    for h in (b, c):
        rep = h.step_up(u, now)
        check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""),
              "%s: the same code in the same step is refused" % h.name, rep)


def case_race_32_over_three_hosts(a, b, c):
    u = "fleet03"
    key = fe.enrol(a, u, window=1)
    fe.at_step_start(12)
    hosts = (a, b, c)
    conns = []
    for i in range(32):
        conn, rep = hosts[i % 3].challenge(u)
        if not check(rep["type"] == "CHALLENGE", "race: challenge %d" % i, rep):
            conn.close()
            continue
        conns.append((conn, rep["CHALLENGE"]))
    answer = fe.code(key)
    for conn, cid in conns:  # every answer goes out before any reply is read
        conn.s.sendall(sc.encode("VERIFY", CHALLENGE=cid, ANSWER=answer))
    allow = replay = locked = 0
    for conn, _ in conns:
        conn.s.settimeout(30)
        (length,) = struct.unpack(">I", conn._read(4))
        rep = sc.decode(conn._read(length))
        allow += rep["type"] == "ALLOW"
        replay += rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", "")
        locked += (rep["type"] == "DENY" and "locked" in rep.get("MESSAGE", "") and
                   "already used" not in rep.get("MESSAGE", ""))
        conn.close()
    # Each replay is a failure, so after 10 of them the rest meet the lockout: refused too.
    check(len(conns) == 32 and allow == 1 and replay + locked == 31 and replay >= 10,
          "race: 32 uses of one code over A, B, C: one grant, the rest refused",
          "allow=%d replay=%d locked=%d of %d" % (allow, replay, locked, len(conns)))
    # Every replay counted exactly once, fleet-wide (the grant's reset came first).
    st = b.status(u)
    check(st.get("consecutive_failures") == replay, "race: failures counted exactly",
          st.get("consecutive_failures"), replay)


def case_lockout_across_hosts(a, b, c):
    u = "fleet04"
    key = fe.enrol(a, u, window=1)
    hosts = (a, b, c)
    good = fe.code(key)
    wrong = "%06d" % ((int(good) + 500000) % 1000000)
    for i in range(10):
        rep = hosts[i % 3].step_up(u, wrong)
        check(rep["type"] == "DENY", "wrong code %d refused" % (i + 1), rep)
    for h in hosts:
        st = h.status(u)
        check(st.get("consecutive_failures") == 10 and st.get("locked_seconds", 0) > 0,
              "%s: 10 failures over three hosts lock the user" % h.name, st)
        c_, rep = h.challenge(u)
        c_.close()
        check(rep["type"] == "DENY" and "locked" in rep.get("MESSAGE", ""),
              "%s: a locked user gets no challenge" % h.name, rep)
    rep = b.ctl("unlock", "--user", u)
    check(rep.returncode == 0, "unlock on B", rep.stderr)
    check(c.status(u).get("consecutive_failures") == 0, "C: unlocked by B's unlock")


def case_forget_on_a(a, b, c):
    u = "fleet05"
    key = fe.enrol(a, u)
    rep = b.step_up(u, fe.code(key, -2))
    check(rep["type"] == "ALLOW", "B: enrolled user steps up before forget", rep)
    r = a.ctl("forget", "--user", u)
    check(r.returncode == 0, "forget on A", r.stderr)
    for h in (b, c):
        st = h.status(u)
        check(st.get("totp_state") == "none", "%s: forgotten on A, unenrolled here" % h.name,
              st)
        c_, rep = h.challenge(u)
        c_.close()
        check(rep["type"] == "DENY" and "no enrolled factor" in rep.get("MESSAGE", ""),
              "%s: a forgotten user is not challenged" % h.name, rep)


def case_recovery_once(a, b, c):
    u = "fleet06"
    rep = a.call("RECOVERY_NEW", USER=u)
    check(rep["type"] == "OK" and rep.get("BODY"), "A: recovery codes made", rep)
    codes = rep.get("BODY", "").split()
    rep = b.step_up(u, codes[0], service="fleet-recovery")
    check(rep["type"] == "ALLOW", "B: a recovery code is accepted", rep)
    rep = c.step_up(u, codes[0], service="fleet-recovery")
    check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""),
          "C: the recovery code used on B is refused", rep)
    check(c.status(u).get("recovery_unused") == 9, "C: 9 recovery codes left")
    rep = c.step_up(u, codes[1], service="fleet-recovery")
    check(rep["type"] == "ALLOW", "C: another code is accepted", rep)


def grant_held(h, u):
    """A DECIDE under the 15-minute rule from this process: ALLOW only while it holds a
    grant on h."""
    c_, rep = h.challenge(u, "fleet-15m")
    c_.close()
    return rep["type"] == "ALLOW"


def wait_until(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


REVOKED = "the user's factors were reset or removed on a host of the fleet"


def case_reset_on_a_ends_grants_elsewhere(a, b, c):
    u = "fleet07"
    key = fe.enrol(a, u)
    fe.at_step_start(10)
    for h, step in ((b, -2), (c, -1)):
        rep = h.step_up(u, fe.code(key, step), service="fleet-15m")
        check(rep["type"] == "ALLOW", "%s: a step-up under the 15-minute rule" % h.name, rep)
        check(grant_held(h, u), "%s: the grant holds" % h.name)
    r = a.ctl("reset", "--user", u)
    check(r.returncode == 0, "reset on A", r.stderr)
    t0 = time.monotonic()
    # fleet_revoke_interval = 1: each host looks at the list every second
    for h in (b, c):
        ended = wait_until(lambda: not grant_held(h, u), 5)
        took = time.monotonic() - t0
        print("%s: the grant ended %.1f s after the reset on A" % (h.name, took))
        check(ended, "%s: the grant ends after the reset on A (%.1f s)" % (h.name, took))
        check(wait_until(lambda: any(REVOKED in l and "user=%s" % u in l
                                     for l in h.logtext().splitlines()), 3),
              "%s: the revocation is audited" % h.name)
    check(not grant_held(a, u), "A: no grant either")
    # A grant earned after the reset is not ended by it, however often it is read again.
    time.sleep(3.1)  # past the store's clock margin (SU_REVOCATION_SKEW_S, 2 s)
    key = fe.enrol(a, u)
    rep = c.step_up(u, fe.code(key), service="fleet-15m")
    check(rep["type"] == "ALLOW", "C: a step-up with the new enrolment", rep)
    time.sleep(2.5)  # two more looks
    check(grant_held(c, u), "C: the grant earned after the reset stays")


def case_stats_show_the_store(a, b, c):
    st = a.stats().get("store_health", {})
    check(st.get("backend") == "postgresql" and st.get("up") is True,
          "STATS: the store is up", st)
    rt = st.get("round_trip_us", {})
    check(rt.get("count", 0) > 0 and len(rt.get("le", [])) == 16,
          "STATS: round trips are counted in a histogram", rt)
    r = a.ctl("stats", "--prometheus")
    check("stepup_store_up{backend=\"postgresql\"} 1" in r.stdout and
          "stepup_store_round_trip_seconds_count" in r.stdout,
          "stats --prometheus: the store's gauge and histogram", r.stdout[-400:])
    r = a.ctl("stats")
    check("store postgresql: up" in r.stdout, "stats: the store's line", r.stdout[-400:])
    # B ended fleet07's grant after the reset on A (case_reset_on_a_ends_grants_elsewhere)
    rv = b.stats().get("store_health", {}).get("revocations", {})
    check(rv.get("looks", 0) >= 1 and rv.get("grants_ended", 0) >= 1 and
          abs(time.time() - rv.get("last_ok", 0)) < 10,
          "STATS: B's looks at the revocation list, the grant they ended, the last good one", rv)
    r = b.ctl("stats", "--prometheus")
    ended = [l for l in r.stdout.splitlines()
             if l.startswith("stepup_store_revocation_grants_ended_total ")]
    check(len(ended) == 1 and int(ended[0].split()[1]) >= 1 and
          'stepup_store_revocation_looks_total{result="ok"}' in r.stdout,
          "stats --prometheus: the revocation list's counters", r.stdout[-600:])
    r = b.ctl("stats")
    check("revocation list:" in r.stdout and "grants ended, last read" in r.stdout,
          "stats: the revocation list's line", r.stdout[-400:])
    r = b.ctl("stats", "--json")
    rj = json.loads(r.stdout).get("store", {}).get("revocations", {}) if r.returncode == 0 else {}
    check(rj.get("grants_ended", 0) >= 1 and rj.get("looks", 0) >= 1,
          "stats --json: the revocation list under store", r.stdout[-400:])


def main():
    build, work = fe.setup()
    started = time.monotonic()
    pg = fe.Postgres(work, "pg")
    hosts = []
    try:
        pg.initdb()
        pg.start()
        key = fe.new_key(build, os.path.join(work, "fleet.key"))
        conninfo = pg.conninfo()
        r = fe.fleet_ctl(build, "init", "--store", "postgresql:" + conninfo, "--key", key)
        check(r.returncode == 0, "fleet init", r.stderr)
        hosts = [fe.Host(build, work, n, conninfo, key) for n in ("A", "B", "C")]
        for h in hosts:
            h.start()
        for case in (case_enrolled_on_a_verifies_on_b_and_c, case_code_once_in_the_fleet,
                     case_race_32_over_three_hosts, case_lockout_across_hosts,
                     case_forget_on_a, case_recovery_once,
                     case_reset_on_a_ends_grants_elsewhere, case_stats_show_the_store):
            t = time.monotonic()
            before = fe.failures
            case(*hosts)
            print("%s - %s (%.1f s)" % ("ok" if fe.failures == before else "not ok",
                                        case.__name__, time.monotonic() - t), flush=True)
    finally:
        for h in hosts:
            h.stop()
        if fe.failures:
            for h in hosts:
                print("--- %s log (tail)" % h.name)
                print("".join(h.logtext().splitlines(True)[-15:]))
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    fe.finish(started)


if __name__ == "__main__":
    main()
