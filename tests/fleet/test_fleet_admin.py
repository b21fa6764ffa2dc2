#!/usr/bin/env python3
"""The fleet's settings, secrets and admin verbs, against a real PostgreSQL 15.
  - bad input, each refused with one line naming the setting and nothing written (neither the
    host's database nor PostgreSQL): a connection string that does not parse, a fleet key of
    the wrong mode or length, another fleet key, a schema newer than the daemon, a role
    without the needed rights; a least-privilege role (fleet init --grant) works and has no
    DDL;
  - pg_dump holds no TOTP secret (neither base32 nor raw bytes), nor does the host's SQLite;
  - a forgotten user's revocation names the user by a keyed tag only;
  - a secret's ciphertext copied onto another user's row does not verify (whatever the
    failmode);
  - fleet rotate-key re-seals every secret in one transaction (refused whole when one row does
    not open); a daemon takes the new key file without a restart;
  - fleet import --from sqlite:PATH copies one host's enrolments, all or nothing: a user
    enrolled differently is reported and nothing is written; used codes stay used.
Root only.  Usage: test_fleet_admin.py BUILD_DIR"""
import base64
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_env as fe  # noqa: E402
from fleet_env import check  # noqa: E402

TABLES = ("meta", "totp", "totp_pending", "failures", "questions", "recovery", "factor_log",
          "revocations")


def pg_state(pg):
    """Every row of the stepup schema, as text: "nothing written" compares two of these."""
    return "\n".join(pg.psql("SELECT * FROM stepup.%s ORDER BY 1" % t) for t in TABLES)


def refused(build, work, pg, name, conninfo, key, setting, extra_check=None):
    """stepupd with this store and key must not start: one line (besides audit events) that
    names the setting, and nothing written anywhere."""
    before = pg_state(pg)
    h = fe.Host(build, work, name, conninfo, key)
    h.start(wait=False)
    try:
        rc = h.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    h.stop()
    lines = [line for line in h.logtext().splitlines() if not line.startswith("stepupd: event=")]
    check(rc not in (None, 0), "%s: stepupd refuses to start" % name, rc)
    check(len(lines) == 1 and setting in lines[0], "%s: one line naming %s" % (name, setting),
          lines)
    if extra_check and lines:
        check(extra_check(lines[0]), "%s: the line says why" % name, lines)
    check(os.listdir(os.path.join(h.dir, "state")) == [], "%s: the host's database is not made"
          % name, os.listdir(os.path.join(h.dir, "state")))
    check(pg_state(pg) == before, "%s: nothing written to PostgreSQL" % name)
    shutil.rmtree(h.dir)


def case_bad_input(build, work, pg, key):
    ci = pg.conninfo()
    refused(build, work, pg, "bad-conninfo", ci + " port", key, "store",
            lambda l: "does not parse" in l)
    open_key = os.path.join(work, "open.key")
    shutil.copy(key, open_key)
    os.chmod(open_key, 0o644)
    refused(build, work, pg, "bad-key-mode", ci, open_key, "fleet_key " + open_key,
            lambda l: "0644" in l)
    short_key = os.path.join(work, "short.key")
    with open(short_key, "wb") as f:
        f.write(os.urandom(31))
    os.chmod(short_key, 0o600)
    refused(build, work, pg, "bad-key-length", ci, short_key, "fleet_key " + short_key,
            lambda l: "31 bytes" in l)
    other_key = fe.new_key(build, os.path.join(work, "other.key"))
    refused(build, work, pg, "other-key", ci, other_key, "store",
            lambda l: "fleet key" in l)
    pg.psql("UPDATE stepup.meta SET schema_version = 2")
    refused(build, work, pg, "schema-newer", ci, key, "store",
            lambda l: "version 2" in l and "(1)" in l)
    before = pg_state(pg)
    r = fe.fleet_ctl(build, "init", "--store", "postgresql:" + ci, "--key", key)
    check(r.returncode != 0 and "version 2" in r.stderr and "(1)" in r.stderr and
          pg_state(pg) == before, "fleet init refuses a newer schema, naming both versions",
          r.stdout, r.stderr)
    pg.psql("UPDATE stepup.meta SET schema_version = 1")
    pg.psql("CREATE ROLE norights LOGIN")
    refused(build, work, pg, "no-rights", pg.conninfo(user="norights"), key, "store",
            lambda l: "permission denied" in l and "GRANT" in l)
    pg.psql("CREATE ROLE fewrights LOGIN; GRANT USAGE ON SCHEMA stepup TO fewrights; "
            "GRANT SELECT ON stepup.meta, stepup.totp TO fewrights")
    refused(build, work, pg, "few-rights", pg.conninfo(user="fewrights"), key, "store",
            lambda l: "lacks rights" in l and "stepup.totp (no INSERT UPDATE DELETE)" in l)
    # The least-privilege role of docs/fleet.md: rows, never DDL.
    pg.psql("CREATE ROLE stepup_app LOGIN")
    r = fe.fleet_ctl(build, "init", "--store", "postgresql:" + ci, "--key", key, "--grant",
                     "stepup_app")
    check(r.returncode == 0, "fleet init --grant stepup_app", r.stderr)
    r = subprocess.run(["psql", "-X", "-h", pg.dir, "-U", "stepup_app", "-d", "postgres", "-c",
                        "CREATE TABLE stepup.x (a int)"], capture_output=True, text=True)
    check(r.returncode != 0 and "permission denied" in r.stderr,
          "the runtime role may not run DDL", r.stderr)


def case_no_secret_at_rest(a, pg):
    u, p = "fleet30", "fleet31"
    key = fe.enrol(a, u)
    rep = a.call("ENROLL_BEGIN", USER=p)  # a pending secret too
    check(rep["type"] == "OK", "pending enrolment", rep)
    pending = base64.b32decode(rep["SECRET"] + "=" * (-len(rep["SECRET"]) % 8))
    dump = subprocess.run(["pg_dump", "-h", pg.dir, "-p", str(pg.port), "-U", "postgres",
                           "postgres"], capture_output=True, check=True).stdout
    check(b"stepup" in dump and b"totp_pending" in dump, "pg_dump has the stepup schema")
    for name, secret in (("active", key), ("pending", pending)):
        b32 = base64.b32encode(secret)
        forms = [secret, secret.hex().encode(), secret.hex().upper().encode(), b32,
                 b32.rstrip(b"="), b32.lower(), b32.rstrip(b"=").lower()]
        check(not any(f in dump for f in forms), "pg_dump holds no %s TOTP secret" % name)
        with open(a.db, "rb") as f:
            local = f.read()
        check(not any(f in local for f in forms),
              "the host's SQLite holds no %s TOTP secret in fleet mode" % name)
    rep = a.step_up(u, fe.code(key, -4))
    check(rep["type"] == "ALLOW", "the sealed secret verifies", rep)
    log = pg.psql("SELECT factor, change, by_uid, host <> '' FROM stepup.factor_log "
                  "WHERE username = '%s' ORDER BY id" % u)
    check(log == "totp|set by root|0|t", "the factor-change log: who, what, from which host", log)


def case_forget_keeps_no_name(a, pg):
    """forget adds the user to the revocation list (so every host ends the user's grants)
    under a keyed tag: no row and no dump names the forgotten user."""
    u = "fleet34"
    fe.enrol(a, u)
    before = int(pg.psql("SELECT count(*) FROM stepup.revocations"))
    r = a.ctl("forget", "--user", u)
    check(r.returncode == 0, "forget", r.stderr)
    rows = pg.psql("SELECT length(user_tag), host <> '', revoked_at > 0 FROM stepup.revocations")
    check(int(pg.psql("SELECT count(*) FROM stepup.revocations")) == before + 1 and
          rows.splitlines()[-1] == "16|t|t", "forget adds one revocation: a 16-byte tag, the "
          "host, the database's time", rows)
    dump = subprocess.run(["pg_dump", "-h", pg.dir, "-p", str(pg.port), "-U", "postgres",
                           "postgres"], capture_output=True, check=True).stdout
    check(b"revocations" in dump and u.encode() not in dump,
          "pg_dump does not name the forgotten user")


def case_ciphertext_moved(a, pg):
    alice, bob = "fleet32", "fleet33"
    k_alice = fe.enrol(a, alice)
    fe.enrol(a, bob)
    pg.psql("UPDATE stepup.totp SET nonce = x.nonce, secret = x.secret FROM "
            "(SELECT nonce, secret FROM stepup.totp WHERE username = '%s') AS x "
            "WHERE username = '%s'" % (alice, bob))
    for service in ("fleet-always", "fleet-safe"):
        rep = a.step_up(bob, fe.code(k_alice, -4), service=service)
        check(rep["type"] == "DENY", "a ciphertext moved to another user does not verify "
              "(%s)" % service, rep)
    rep = a.step_up(alice, fe.code(k_alice, -4))
    check(rep["type"] == "ALLOW", "its owner's row still verifies", rep)
    return alice, k_alice, bob


def case_rotate(build, work, a, pg, key, moved):
    alice, k_alice, bob = moved
    new = fe.new_key(build, os.path.join(work, "new.key"))
    store = "postgresql:" + pg.conninfo()
    before = pg_state(pg)
    r = fe.fleet_ctl(build, "rotate-key", "--new", new, "--store", store, "--key", key)
    check(r.returncode != 0 and bob in r.stderr and pg_state(pg) == before,
          "rotate-key: a row that does not open stops it, nothing changed", r.stderr)
    r = a.ctl("reset", "--user", bob)
    check(r.returncode == 0, "reset the moved row's user", r.stderr)
    nonces = pg.psql("SELECT nonce FROM stepup.totp ORDER BY username")
    r = fe.fleet_ctl(build, "rotate-key", "--new", new, "--store", store, "--key", key)
    check(r.returncode == 0 and "sealed" in r.stdout, "rotate-key", r.stdout, r.stderr)
    check(pg.psql("SELECT nonce FROM stepup.totp ORDER BY username") != nonces,
          "rotate-key: every secret sealed again")
    # The daemon still has the old key: refused, never a wrong answer.
    rep = a.step_up(alice, fe.code(k_alice, -3))
    check(rep["type"] == "DENY", "old key on this host: refused", rep)
    # Nor does it add a revocation nobody else could match (a tag made with the old key).
    revocations = pg.psql("SELECT count(*) FROM stepup.revocations")
    r = a.ctl("reset", "--user", alice, "--factor", "question")
    check(r.returncode != 0 and "fleet key changed" in r.stderr and pg.psql("SELECT count(*) FROM stepup.revocations") ==
          revocations, "old key on this host: a reset is refused, no revocation written",
          r.stdout, r.stderr)
    os.replace(new, key)  # the admin installs the new key; no restart
    # The first verification after it works, on whichever thread it lands: a thread whose
    # connection still has the old key reconnects, reading the key file again.
    rep = a.step_up(alice, fe.code(k_alice, -3))
    check(rep["type"] == "ALLOW", "new key installed: the same secret verifies at once", rep)


def case_rights_revoked_while_running(a, pg):
    """An error inside the attempt's transaction (its statements go in one round trip):
    refused, rolled back, and the same connection works again once the right is back."""
    u = "fleet34"
    key = fe.enrol(a, u)
    rep = a.step_up(u, fe.code(key, -4))
    check(rep["type"] == "ALLOW", "before: verified", rep)
    errors = a.stats()["store_health"]["errors"]
    pg.psql("REVOKE UPDATE ON stepup.failures FROM stepup_app")
    rep = a.step_up(u, fe.code(key, -3))
    check(rep["type"] == "DENY", "a right revoked under a running daemon: refused", rep)
    check(a.stats()["store_health"]["errors"] > errors, "... and counted as a store error")
    pg.psql("GRANT UPDATE ON stepup.failures TO stepup_app")
    rep = a.step_up(u, fe.code(key, -3))
    check(rep["type"] == "ALLOW", "the right back: the same code verifies (nothing was spent)",
          rep)
    check(pg.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'stepup_app' AND "
                  "state LIKE 'idle in transaction%'") == "0",
          "no transaction left open")


def case_import(build, work, a, pg, key):
    store = "postgresql:" + pg.conninfo()
    s = fe.Host(build, work, "S", None, None)  # a host on its own SQLite
    s.start()
    k40, k42 = fe.enrol(s, "fleet40"), fe.enrol(s, "fleet42")
    used = fe.code(k42, -4)
    rep = s.step_up("fleet42", used)
    check(rep["type"] == "ALLOW", "S: a code used before the move", rep)
    rep = s.call("RECOVERY_NEW", USER="fleet41")
    codes = rep.get("BODY", "").split()
    s.stop()
    # A second host that enrolled fleet40 differently, and fleet43 anew.
    s2 = fe.Host(build, work, "S2", None, None)
    s2.start()
    fe.enrol(s2, "fleet40")
    fe.enrol(s2, "fleet43")
    s2.stop()

    r = fe.fleet_ctl(build, "import", "--from", "sqlite:" + s.db, "--store", store, "--key", key)
    check(r.returncode == 0 and "TOTP 2 new" in r.stdout, "import S", r.stdout, r.stderr)
    rep = a.step_up("fleet40", fe.code(k40, -3))
    check(rep["type"] == "ALLOW", "imported TOTP verifies on a fleet host", rep)
    rep = a.step_up("fleet42", used)
    check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""),
          "a code used before the import stays used", rep)
    rep = a.step_up("fleet41", codes[0], service="fleet-recovery")
    check(rep["type"] == "ALLOW", "imported recovery code works", rep)

    before = pg_state(pg)
    r = fe.fleet_ctl(build, "import", "--from", "sqlite:" + s2.db, "--store", store, "--key",
                     key)
    check(r.returncode != 0 and "fleet40" in r.stderr and "nothing imported" in r.stderr,
          "a user enrolled differently is reported", r.stdout, r.stderr)
    check(pg_state(pg) == before and a.status("fleet43").get("totp_state") == "none",
          "all or nothing: fleet43 was not imported either")
    r = fe.fleet_ctl(build, "import", "--from", "sqlite:" + s.db, "--store", store, "--key", key)
    check(r.returncode == 0 and "2 already in the fleet" in r.stdout,
          "importing the same host again merges", r.stdout, r.stderr)
    rep = a.step_up("fleet41", codes[0], service="fleet-recovery")
    check(rep["type"] == "DENY" and "already used" in rep.get("MESSAGE", ""),
          "a merge never makes a used recovery code usable again", rep)


def main():
    build, work = fe.setup()
    started = time.monotonic()
    pg = fe.Postgres(work, "pg")
    a = None
    try:
        pg.initdb()
        pg.start()
        key = fe.new_key(build, os.path.join(work, "fleet.key"))
        r = fe.fleet_ctl(build, "init", "--store", "postgresql:" + pg.conninfo(), "--key", key)
        check(r.returncode == 0, "fleet init", r.stderr)
        cases = []

        def run(fn, *args):
            t = time.monotonic()
            before = fe.failures
            out = fn(*args)
            print("%s - %s (%.1f s)" % ("ok" if fe.failures == before else "not ok",
                                        fn.__name__, time.monotonic() - t), flush=True)
            cases.append(fn)
            return out

        run(case_bad_input, build, work, pg, key)
        a = fe.Host(build, work, "A", pg.conninfo(user="stepup_app"), key)
        a.start()
        run(case_no_secret_at_rest, a, pg)
        run(case_forget_keeps_no_name, a, pg)
        moved = run(case_ciphertext_moved, a, pg)
        run(case_rotate, build, work, a, pg, key, moved)
        run(case_rights_revoked_while_running, a, pg)
        run(case_import, build, work, a, pg, key)
    finally:
        if a:
            a.stop()
            if fe.failures:
                print("--- A log (tail)\n" + "".join(a.logtext().splitlines(True)[-20:]))
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    fe.finish(started)


if __name__ == "__main__":
    main()
