"""A fleet for tests: private PostgreSQL 15 servers (initdb into a temporary directory, run as
the postgres user, listening only on a Unix socket in that directory) and stepupd "hosts"
(each with its own sockets, its own SQLite database and stepupd.conf, all sharing one
PostgreSQL), inside a private mount namespace with test users fleet00..fleet63 (the daemon
resolves the users it decides about through NSS).  Never a mock: the real servers.

Every process started here is stopped by its pid (PostgreSQL by pg_ctl with its data
directory) when the test ends."""
import base64
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "factors"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import accounts  # noqa: E402
import stepup_client as sc  # noqa: E402

PGBIN = "/usr/lib/postgresql/15/bin"
SKIP = 77
USERS = ["fleet%02d" % i for i in range(64)]

POLICY = """\
require totp within 15m when service fleet-15m
require totp within 0 when service fleet-always
require totp within 0 failmode safe when service fleet-safe
require recovery within 0 when service fleet-recovery
deny
"""

checks = failures = 0


def check(cond, what, *context):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, *context, flush=True)
    return cond


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


def setup():
    """Root, PostgreSQL 15 installed, then into a private mount namespace with the test
    users.  Returns (build dir, work dir)."""
    if os.geteuid() != 0:
        skip("the fleet tests need root (a private mount namespace, PostgreSQL as postgres)")
    if not os.path.exists(os.path.join(PGBIN, "initdb")):
        skip("PostgreSQL 15 is not installed (tools/deps test installs it)")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        skip("no postgres user (the postgresql package makes it)")
    if len(sys.argv) < 2:
        print("usage: %s BUILD_DIR" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    if os.environ.get("STEPUP_FLEET_NS") != "1":
        env = dict(os.environ, STEPUP_FLEET_NS="1")
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private",
                               sys.executable] + sys.argv, env)
    build = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="stepup-fleet.")
    os.chmod(work, 0o711)  # postgres reaches its own directory below
    etc = os.path.join(work, "etc")
    os.mkdir(etc, 0o755)
    texts, _ = accounts.build([{"name": u} for u in USERS], first_id=62000)
    accounts.install(etc, texts)
    return build, work


def finish(started):
    """The result line and exit code; started: monotonic time of the start."""
    print("%d checks, %d failed (%.1f s)" % (checks, failures, time.monotonic() - started),
          flush=True)
    sys.exit(1 if failures else 0)


class Postgres:
    """One PostgreSQL server: data and socket in DIR (owned by postgres)."""

    def __init__(self, work, name, port=5432):
        self.dir = os.path.join(work, name)
        self.data = os.path.join(self.dir, "data")
        self.port = port
        self.log = os.path.join(self.dir, "server.log")
        self.running = False
        if not os.path.exists(self.dir):
            os.mkdir(self.dir, 0o711)
            shutil.chown(self.dir, "postgres", "postgres")

    def _as_postgres(self, *argv, check=True, timeout=60):
        return subprocess.run(["runuser", "-u", "postgres", "--"] + list(argv),
                              capture_output=True, text=True, check=check, timeout=timeout)

    def initdb(self):
        self._as_postgres(os.path.join(PGBIN, "initdb"), "-D", self.data, "-A", "trust",
                          "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("fsync = off\nlisten_addresses = ''\nunix_socket_directories = '%s'\n"
                    "port = %d\nmax_connections = 60\nshared_buffers = 16MB\n" %
                    (self.dir, self.port))

    def start(self, *options):
        opts = " ".join("-c %s" % o for o in options)
        self._as_postgres(os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l", self.log,
                          "-o", opts, "-w", "-t", "30", "start")
        self.running = True

    def stop(self, mode="fast"):
        if self.running:
            self._as_postgres(os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w",
                              "stop", check=False)
        self.running = False

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def pids(self):
        """The postmaster and its children (the backends and helpers)."""
        pm = self.postmaster_pid()
        out = [pm]
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == pm:
                            out.append(int(d))
                except (OSError, ValueError, IndexError):
                    pass
        return out

    def kill9(self):
        """The crash: SIGKILL to the postmaster; its backends go when they notice."""
        pm = self.postmaster_pid()
        children = self.pids()[1:]
        os.kill(pm, signal.SIGKILL)
        for _ in range(200):
            alive = [p for p in children if os.path.exists("/proc/%d" % p)]
            if not alive:
                break
            time.sleep(0.05)
        self.running = False

    def promote(self):
        self._as_postgres(os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-w", "promote")

    def standby_of(self, primary):
        """A streaming standby of primary (pg_basebackup -R), not started."""
        self._as_postgres(os.path.join(PGBIN, "pg_basebackup"), "-h", primary.dir, "-p",
                          str(primary.port), "-U", "postgres", "-D", self.data, "-R", "-X",
                          "stream", "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("unix_socket_directories = '%s'\nport = %d\n" % (self.dir, self.port))

    def psql(self, sql, db="postgres", user="postgres", check=True):
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                            self.dir, "-p", str(self.port), "-U", user, "-d", db, "-c", sql],
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("psql %r: %s" % (sql, r.stderr))
        return r.stdout.strip()

    def conninfo(self, user="postgres", db="postgres"):
        return "host=%s port=%d user=%s dbname=%s" % (self.dir, self.port, user, db)


class Host:
    """One stepupd "host": its own sockets, SQLite database and stepupd.conf."""

    def __init__(self, build, work, name, conninfo, key, settings="", policy=POLICY,
                 store_timeout=2):
        self.build, self.name = build, name
        self.dir = os.path.join(work, name)
        os.makedirs(os.path.join(self.dir, "state"), 0o700, exist_ok=True)
        self.pam = os.path.join(self.dir, "pam.sock")
        self.user = os.path.join(self.dir, "user.sock")
        self.db = os.path.join(self.dir, "state", "stepup.db")
        self.config = os.path.join(self.dir, "stepupd.conf")
        self.policy = os.path.join(self.dir, "policy.conf")
        with open(self.policy, "w") as f:
            f.write(policy)
        store = "postgresql:" + conninfo if conninfo else "sqlite:" + self.db
        with open(self.config, "w") as f:
            f.write("store = %s\n" % store)
            if key:
                f.write("fleet_key = %s\n" % key)
            f.write("store_timeout = %d\nrate_limit_attempts = 1000\nchallenges_per_user = 64\n"
                    "pool_threads = 4\nthreads = 2\nfleet_revoke_interval = 1\n%s"
                    % (store_timeout, settings))
        self.logpath = os.path.join(self.dir, "stepupd.log")
        self.proc = None

    def start(self, wait=True):
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "stepupd", "stepupd"), "--socket", self.pam,
             "--user-socket", self.user, "--db", self.db, "--policy", self.policy, "--config",
             self.config], stderr=self.log)
        if not wait:
            return
        for _ in range(300):
            if os.path.exists(self.user):
                return
            if self.proc.poll() is not None:
                raise RuntimeError("%s: stepupd exited: %s" % (self.name, self.logtext()))
            time.sleep(0.02)
        raise RuntimeError("%s: stepupd did not start" % self.name)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None
        for p in (self.pam, self.user):
            if os.path.exists(p):
                os.unlink(p)

    def logtext(self):
        with open(self.logpath) as f:
            return f.read()

    def ctl(self, *args, stdin=""):
        return subprocess.run([os.path.join(self.build, "stepupctl", "stepupctl"), "--socket",
                               self.pam, "--user-socket", self.user, *args], input=stdin,
                              capture_output=True, text=True, timeout=60)

    def call(self, kind, **fields):
        return sc.call(self.pam, kind, **fields)

    def status(self, user):
        rep = self.call("STATUS", USER=user)
        if rep["type"] != "OK":
            return rep
        st = json.loads(rep["DATA"])
        for name, fields in st.pop("factors", {}).items():
            for k, v in fields.items():
                st["%s_%s" % (name, k)] = v
        return st

    def challenge(self, user, service="fleet-always"):
        """A connection with an open challenge (or the reply that was not one)."""
        c = sc.Conn(self.pam, timeout=20)
        rep = c.call("DECIDE", SERVICE=service, USER=user, PHASE=1)
        return c, rep

    def step_up(self, user, answer, service="fleet-always"):
        """DECIDE then VERIFY with answer: the final reply."""
        c, rep = self.challenge(user, service)
        try:
            if rep["type"] != "CHALLENGE":
                return rep
            return c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=answer)
        finally:
            c.close()

    def stats(self):
        return json.loads(self.call("STATS")["DATA"])


def new_key(build, path):
    r = subprocess.run([os.path.join(build, "stepupctl", "stepupctl"), "fleet", "keygen", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("keygen: " + r.stderr)
    return path


def fleet_ctl(build, *args):
    return subprocess.run([os.path.join(build, "stepupctl", "stepupctl"), "fleet", *args],
                          capture_output=True, text=True, timeout=120)


def enrol(host, user, window=5):
    """Root sets a random secret for user (ENROLL_SET); returns the secret's bytes."""
    key = os.urandom(20)
    rep = host.call("ENROLL_SET", USER=user, SECRET=base64.b32encode(key).decode(),
                    WINDOW=window)
    if rep["type"] != "OK":
        raise RuntimeError("enrol %s: %r" % (user, rep))
    return key


def code(key, step_offset=0):
    """The code of the step step_offset steps from now."""
    return sc.totp(key, time.time() + 30 * step_offset)


def at_step_start(margin=6):
    """Waits until at least margin seconds remain in the current 30 s step, so that codes of
    "this step" stay this step's while a case runs."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.1)
