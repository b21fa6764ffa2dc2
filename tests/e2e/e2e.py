"""Shared helpers for the end-to-end tests with the real sudo, sshd and su.

Each test script calls main(cases): it re-runs itself inside a private mount namespace
(unshare --mount --propagation private), where Env bind-mounts test copies of /etc/passwd,
/etc/shadow, /etc/group, /etc/gshadow, /etc/nsswitch.conf (tests/lib/accounts.py),
/etc/sudoers (+ an empty /etc/sudoers.d) and /etc/pam.d, a tmpfs on /run/sudo, copies the
built programs and module into its temporary directory (the test users cannot reach a build
tree under a 0700 home), starts its own stepupd on a temporary state directory (and sshd on
127.0.0.1 when asked), enrols the test users with known secrets, and removes everything at
the end.  The host's /etc is never written.  Interactive clients are driven with pexpect on
a pty.

Test users (only inside the namespace, replacing host accounts of the same names): alice,
carol, dave, erin, frank (groups wheel and admin), bob (neither).  Password of USER is
"pw-USER"; root's is "pw-root".
"""

import base64
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import accounts  # noqa: E402

SKIP = 77
ADMINS = ["alice", "carol", "dave", "erin", "frank"]
USERS = ADMINS + ["bob"]

# What the user sees, as patterns on the terminal.
SUDO_PW = r"\[sudo\] password for [a-z]+: "
CODE = r"Verification code: "
PASSWORD = r"(?<!\] )[Pp]assword: "  # pam_unix for su and sshd
IDP = r"Press Enter once you have approved it: "  # the idp factor (tests/idp)

# Special answers for Term.run.
CTRL_C = "<ctrl-c>"
CTRL_D = "<ctrl-d>"
SILENT = "<no answer>"


class Failure(Exception):
    pass


def check(cond, what, *context):
    if not cond:
        raise Failure(what + "".join("\n  | " + str(c).replace("\n", "\n  | ") for c in context))


def log(*a):
    print("#", *a, flush=True)


def have(cmd):
    return shutil.which(cmd) is not None or os.path.exists(cmd)


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


def main(cases, needs=("sudo", "oathtool", "setpriv", "unshare", "openssl")):
    """Runs the cases (functions taking the build dir) inside a private mount namespace."""
    if os.geteuid() != 0:
        skip("end-to-end tests need root (private mount namespace, real sudo/sshd/su)")
    for n in needs:
        if not have(n):
            skip(f"{n} is not installed (tools/deps test installs it)")
    import importlib.util
    if importlib.util.find_spec("pexpect") is None:
        skip("python3-pexpect is not installed (tools/deps test installs it)")
    if len(sys.argv) < 2:
        print("usage: %s BUILD_DIR" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    if os.environ.get("STEPUP_E2E_NS") != "1":
        env = dict(os.environ, STEPUP_E2E_NS="1")
        # A fresh namespace; nothing mounted in it is visible outside or survives it.
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private",
                               sys.executable] + sys.argv, env)
    build = os.path.abspath(sys.argv[1])
    only = sys.argv[2:]
    passed = failed = skipped = 0
    t0 = time.monotonic()
    for case in cases:
        if only and case.__name__ not in only:
            continue
        start = time.monotonic()
        try:
            case(build)
            passed += 1
            print(f"ok - {case.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Skipped as e:
            print(f"ok - {case.__name__} # SKIP {e}", flush=True)
            skipped += 1
        except Exception as e:  # noqa: BLE001 - report and go on with the next case
            failed += 1
            print(f"not ok - {case.__name__}", flush=True)
            if isinstance(e, Failure):
                print("  " + str(e), flush=True)
            else:
                traceback.print_exc(file=sys.stdout)
    print(f"# {time.monotonic() - t0:.1f}s")
    print(f"{passed} passed, {failed} failed, {skipped} skipped", flush=True)
    sys.exit(1 if failed else SKIP if skipped and not passed else 0)


class Skipped(Exception):
    pass


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def sha512_hash(password):
    r = run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n", check=True)
    return r.stdout.strip()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Env:
    """One private world: users, PAM services, sudoers, stepupd (and maybe sshd)."""

    def __init__(self, build, policy, conf="", pam_args="", sudoers="", failmode=None,
                 start_daemon=True):
        self.build = build
        self.policy = policy
        self.conf = conf
        self.pam_args = pam_args
        self.sudoers_extra = sudoers
        self.failmode = failmode
        self.start_daemon = start_daemon
        self.daemon = None
        self.sshd = None
        self.sock = self.usock = self.logpath = None
        self.mounts = []
        self.secrets = {}
        self.last_step = {}
        self.terms = []
        self.transcripts = []

    # ---- set-up -------------------------------------------------------------------------
    def __enter__(self):
        try:
            self._setup()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _bind(self, src, dst):
        run(["mount", "--bind", src, dst], check=True)
        self.mounts.append(dst)

    def _setup(self):
        self.tmp = tempfile.mkdtemp(prefix="stepup-e2e.")
        os.chmod(self.tmp, 0o711)  # the test users reach the sockets and their homes
        self.mod = self.stage("pam_stepup/pam_stepup.so")
        self.stepupd = self.stage("stepupd/stepupd")
        self.stepupctl = self.stage("stepupctl/stepupctl")
        self.sock = os.path.join(self.tmp, "pam.sock")
        self.usock = os.path.join(self.tmp, "user.sock")
        self._users()
        self._pam()
        self._sudoers()
        # Private sudo timestamps; login records stay out of the host's files.
        if os.path.isdir("/run/sudo"):
            run(["mount", "-t", "tmpfs", "-o", "mode=0711", "tmpfs", "/run/sudo"], check=True)
            self.mounts.append("/run/sudo")
        for f in ("/var/log/btmp", "/var/log/wtmp", "/var/log/lastlog", "/run/utmp",
                  "/var/run/utmp"):
            if os.path.isfile(f) and not os.path.islink(f):
                empty = os.path.join(self.tmp, "empty-" + os.path.basename(f))
                open(empty, "w").close()
                os.chmod(empty, 0o600)
                self._bind(empty, f)
        self.write("policy.conf", self.policy.replace("@TMP@", self.tmp), 0o644)
        conf = "rate_limit_attempts = 1000\nrate_limit_window = 30\n" + self.conf
        self.write("stepupd.conf", conf, 0o644)
        os.mkdir(os.path.join(self.tmp, "state"), 0o700)
        if self.start_daemon:
            self.start_stepupd()
            for u in USERS:
                self.enrol(u)

    def stage(self, built, required=True):
        """A copy of the build's file (e.g. "stepupctl/stepupctl") in TMP/bin, which every
        user can reach: sshd runs ForceCommands, bash runs stepupctl as the test users, and a
        build tree in a 0700 home (/root/...) is out of their reach.  None when not built
        and not required."""
        src = os.path.join(self.build, built)
        if not os.path.exists(src):
            check(not required, f"not built: {src}")
            return None
        d = os.path.join(self.tmp, "bin")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        dst = os.path.join(d, os.path.basename(built))
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o755)
        return dst

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def _users(self):
        """The test users, replacing any host account of the same name (tests/lib/accounts.py)
        and with ids no host account uses; NSS answers from these files only."""
        home = os.path.join(self.tmp, "home")
        os.mkdir(home, 0o755)
        self.home = {u: os.path.join(home, u) for u in USERS}
        users = [{"name": u, "groups": ["wheel", "admin"] if u in ADMINS else [],
                  "home": self.home[u], "shell": "/bin/bash", "gecos": f"stepup e2e {u}",
                  "hash": sha512_hash("pw-" + u)} for u in USERS]
        # root gets a known password in the copy (su to root asks for it)
        texts, ids = accounts.build(users, ["wheel", "admin"], first_id=64100,
                                    root_hash=sha512_hash("pw-root"))
        d = os.path.join(self.tmp, "etc")
        os.mkdir(d, 0o755)
        self.mounts += accounts.install(d, texts)
        self.uids = {u: ids[u][0] for u in USERS}
        self.gids = {u: ids[u][1] for u in USERS}
        for u in USERS:
            os.mkdir(self.home[u], 0o755)
            os.chown(self.home[u], ids[u][0], ids[u][1])

    def pam_line(self, kind, extra=""):
        args = f"socket={self.sock} {self.pam_args} {extra}".strip()
        return f"{kind} required {self.mod} {args}\n"

    def _pam(self):
        d = os.path.join(self.tmp, "pam.d")
        shutil.copytree("/etc/pam.d", d, symlinks=True)
        stack = ("auth required pam_unix.so\n" + self.pam_line("auth") +
                 "account required pam_unix.so\n" + self.pam_line("account") +
                 "session required pam_permit.so\npassword required pam_deny.so\n")
        for svc in ("sudo", "sudo-i", "su", "su-l", "sshd"):
            with open(os.path.join(d, svc), "w") as f:
                f.write("# stepup e2e test stack\n" + stack)
        # stepupctl policy edit authenticates through this service: step-up only
        with open(os.path.join(d, "stepup-policy"), "w") as f:
            f.write(self.pam_line("auth") + self.pam_line("account") +
                    "session required pam_permit.so\n")
        self._bind(d, "/etc/pam.d")

    def _sudoers(self):
        self.ts = os.path.join(self.tmp, "sudo-ts")
        os.mkdir(self.ts, 0o700)
        text = (
            "Defaults !syslog, !mail_badpass, lecture=never, !fqdn, timestamp_timeout=15\n"
            f"Defaults timestampdir={self.ts}\n"
            'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
            "Defaults env_keep += \"STEPUP_E2E\"\n"
            + self.sudoers_extra +
            "root ALL=(ALL:ALL) ALL\n"
            "%wheel ALL=(ALL:ALL) ALL\n"
            "bob ALL=(ALL:ALL) ALL\n")
        p = self.write("sudoers", text, 0o440)
        self._bind(p, "/etc/sudoers")
        sd = os.path.join(self.tmp, "sudoers.d")
        os.mkdir(sd, 0o755)
        if os.path.isdir("/etc/sudoers.d"):
            self._bind(sd, "/etc/sudoers.d")

    # ---- stepupd ------------------------------------------------------------------------
    def start_stepupd(self):
        self.logpath = os.path.join(self.tmp, "stepupd.log")
        self.logf = open(self.logpath, "a")
        self.daemon = subprocess.Popen(
            [self.stepupd, "--socket", self.sock, "--user-socket", self.usock,
             "--db", os.path.join(self.tmp, "state", "stepup.db"),
             "--policy", os.path.join(self.tmp, "policy.conf"),
             "--config", os.path.join(self.tmp, "stepupd.conf")],
            stdout=self.logf, stderr=self.logf, stdin=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"})
        for _ in range(200):
            if os.path.exists(self.usock):
                return
            if self.daemon.poll() is not None:
                break
            time.sleep(0.05)
        raise Failure("stepupd did not start:\n" + self.log())

    def stop_stepupd(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        self.daemon = None
        for s in (self.sock, self.usock):
            if s and os.path.exists(s):
                os.unlink(s)

    def log(self):
        try:
            return open(self.logpath).read() if self.logpath else ""
        except OSError:
            return ""

    def events(self, name, user=None, since=0):
        """stepupd's audit lines (event=NAME [user=USER]) from byte offset `since`."""
        out = []
        for line in self.log()[since:].splitlines():
            words = line.split()
            if f"event={name}" not in words:
                continue
            if user is None or f"user={user}" in words or f"STEPUP_USER={user}" in words:
                out.append(line)
        return out

    def rule(self, needle):
        """'policy.conf:N' of the first policy line containing needle."""
        for n, line in enumerate(self.policy.split("\n"), 1):
            if needle in line:
                return f"policy.conf:{n}"
        raise Failure(f"no policy line with {needle}")

    def mark(self):
        return len(self.log())

    def ctl(self, *args, check_rc=True):
        r = run([self.stepupctl, "--socket", self.sock, "--user-socket", self.usock] + list(args))
        if check_rc:
            check(r.returncode == 0, f"stepupctl {' '.join(args)} failed", r.stdout, r.stderr)
        return r

    def status(self, user):
        import json
        return json.loads(self.ctl("status", "--user", user, "--json").stdout)

    def enrol(self, user):
        raw = secrets.token_bytes(20)
        b32 = base64.b32encode(raw).decode().rstrip("=")
        r = run([self.stepupctl, "--socket", self.sock, "enroll", "totp", "--user", user,
                 "--secret-stdin"], input=b32 + "\n")
        check(r.returncode == 0, f"enrolling {user} failed", r.stdout, r.stderr)
        self.secrets[user] = b32

    # ---- codes (oathtool) -----------------------------------------------------------------
    def _oath(self, user, step):
        r = run(["oathtool", "--totp", "-b", self.secrets[user], "-N", "@%d" % (step * 30)],
                check=True)
        return r.stdout.strip()

    def wait_for_code(self, user):
        """Sleeps until a step later than the last accepted one is inside the +-1 window
        (TOTP refuses a replayed or older step)."""
        while True:
            now = int(time.time()) // 30
            if self.last_step.get(user, -10) + 1 <= now + 1:
                return
            time.sleep(max(0.2, (now + 1) * 30 - time.time() + 0.3))

    def code(self, user):
        """A correct code the daemon will accept (a step after the last accepted one)."""
        self.wait_for_code(user)
        now = int(time.time()) // 30
        step = max(now, self.last_step.get(user, -10) + 1)
        self.last_step[user] = step
        return self._oath(user, step)

    def wrong_code(self, user):
        now = int(time.time()) // 30
        valid = {self._oath(user, s) for s in range(now - 2, now + 3)}
        for c in ("000000", "111111", "123456", "654321", "999999"):
            if c not in valid:
                return c
        raise Failure("no wrong code found")

    # ---- terminals ----------------------------------------------------------------------
    def term(self, user):
        t = Term(self, user)
        self.terms.append(t)
        return t

    def transcript(self):
        return "\n".join(t.transcript() for t in self.terms) + "\n".join(self.transcripts)

    # ---- sshd ---------------------------------------------------------------------------
    def start_sshd(self, methods="keyboard-interactive"):
        check(have("/usr/sbin/sshd"), "sshd not installed")
        d = os.path.join(self.tmp, "ssh")
        os.mkdir(d, 0o700)
        key = os.path.join(d, "host_ed25519")
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        # sshd's privilege separation directory, private to this namespace
        if os.path.isdir("/run/sshd"):
            run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run/sshd"], check=True)
            self.mounts.append("/run/sshd")
        else:
            # no /run/sshd on the host (sshd never ran): a private /run holds it
            run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run"], check=True)
            self.mounts.append("/run")
            os.mkdir("/run/sshd", 0o755)
            os.mkdir("/run/sudo", 0o711)
        self.port = free_port()
        cfg = self.write("ssh/sshd_config", f"""\
ListenAddress 127.0.0.1
Port {self.port}
HostKey {key}
PidFile {d}/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication yes
AuthenticationMethods {methods}
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
MaxAuthTries 6
LoginGraceTime 60
""", 0o600)
        check(run(["/usr/sbin/sshd", "-t", "-f", cfg]).returncode == 0, "sshd -t failed",
              run(["/usr/sbin/sshd", "-t", "-f", cfg]).stderr)
        self.sshd_log = os.path.join(d, "sshd.log")
        self.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", cfg],
                                     stdout=open(self.sshd_log, "w"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise Failure("sshd did not start", open(self.sshd_log).read())

    def stop_sshd(self):
        if self.sshd and self.sshd.poll() is None:
            self.sshd.terminate()
            try:
                self.sshd.wait(10)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait()
        self.sshd = None

    def user_key(self, user):
        """An ed25519 key pair in the temp dir, authorised for user."""
        key = os.path.join(self.tmp, "ssh", "id_" + user)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        sd = os.path.join(self.home[user], ".ssh")
        os.makedirs(sd, 0o700, exist_ok=True)
        shutil.copy(key + ".pub", os.path.join(sd, "authorized_keys"))
        for p in (sd, os.path.join(sd, "authorized_keys")):
            os.chown(p, self.uids[user], self.gids[user])
        os.chmod(os.path.join(sd, "authorized_keys"), 0o600)
        return key

    def ssh(self, user, command, answers, key=None, timeout=30):
        """Runs the real ssh client against our sshd; returns (rc, output, prompts seen)."""
        import pexpect
        opts = ["-p", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", f"UserKnownHostsFile={self.tmp}/ssh/known_hosts",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=no",
                "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=10",
                "-F", "/dev/null", "-T"]
        if key:
            opts += ["-i", key, "-o", "IdentitiesOnly=yes",
                     "-o", "PreferredAuthentications=publickey,keyboard-interactive"]
        else:
            opts += ["-o", "PreferredAuthentications=keyboard-interactive",
                     "-o", "PubkeyAuthentication=no"]
        child = pexpect.spawn("ssh", opts + [f"{user}@127.0.0.1", command], encoding="utf-8",
                              timeout=timeout, env={"PATH": os.environ["PATH"], "HOME": self.tmp,
                                                    "TERM": "dumb"})
        logbuf = []
        child.logfile_read = _Collect(logbuf)
        seen, out = _converse(child, answers, [pexpect.EOF])
        child.close()
        text = "".join(logbuf)
        self.transcripts.append(f"--- ssh {user}@127.0.0.1 {command}\n{text}")
        return child.exitstatus if child.exitstatus is not None else -1, text, seen

    # ---- syslog -------------------------------------------------------------------------
    def capture_syslog(self):
        """Makes /dev/log, inside this namespace only, a datagram socket read by the test
        (pam_syslog writes there).  Without a /dev/log on the host, a private /dev is built:
        a tmpfs holding bind mounts of every host /dev entry plus the socket, moved onto
        /dev.  Returns a function that reads what arrived so far."""
        newdev = os.path.join(self.tmp, "dev")
        os.mkdir(newdev)
        run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", newdev], check=True)
        for name in sorted(os.listdir("/dev")):
            src, dst = "/dev/" + name, os.path.join(newdev, name)
            if name == "log":
                continue
            if name == "ptmx":
                # a bound /dev/ptmx node finds no devpts beside it; the instance's own does
                os.symlink("pts/ptmx", dst)
            elif os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif os.path.isdir(src):
                os.mkdir(dst)
                run(["mount", "--rbind", src, dst], check=True)
            else:
                open(dst, "w").close()
                run(["mount", "--bind", src, dst], check=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(os.path.join(newdev, "log"))
        os.chmod(os.path.join(newdev, "log"), 0o666)
        sock.setblocking(False)
        run(["mount", "--move", newdev, "/dev"], check=True)
        self.mounts.append("/dev")
        got = []

        def read():
            while True:
                try:
                    got.append(sock.recv(8192).decode(errors="replace"))
                except BlockingIOError:
                    return "\n".join(got)
        return read

    # ---- tear-down ----------------------------------------------------------------------
    def __exit__(self, et, ev, tb):
        if et is not None and getattr(self, "tmp", None):
            print("--- transcript", self.transcript(), "--- stepupd log", self.log(), sep="\n")
            if self.sshd is not None and os.path.exists(self.sshd_log):
                print("--- sshd log", open(self.sshd_log).read(), sep="\n")
        for t in self.terms:
            t.close()
        self.stop_sshd()
        self.stop_stepupd()
        for m in reversed(self.mounts):
            run(["umount", "-l", m])
        self.mounts = []
        if getattr(self, "tmp", None):
            safe_rmtree(self.tmp)
        return False


def safe_rmtree(top):
    """rm -rf that never crosses into another file system (a mount left behind)."""
    dev = os.lstat(top).st_dev
    for root, dirs, files in os.walk(top, topdown=False):
        if os.lstat(root).st_dev != dev:
            continue
        for f in files:
            p = os.path.join(root, f)
            if os.lstat(p).st_dev == dev:
                os.unlink(p)
        for d in dirs:
            p = os.path.join(root, d)
            if os.path.islink(p):
                os.unlink(p)
            elif os.lstat(p).st_dev == dev and not os.path.ismount(p):
                try:
                    os.rmdir(p)
                except OSError:
                    pass
    try:
        os.rmdir(top)
    except OSError:
        pass


class _Collect:
    def __init__(self, buf):
        self.buf = buf

    def write(self, s):
        self.buf.append(s)

    def flush(self):
        pass


def _converse(child, answers, enders, timeout=None):
    """Answers prompts until one of enders matches; returns (prompts seen, text before end).
    answers maps a prompt kind ('sudo', 'password', 'code', 'idp') to a string, a callable
    returning one, a list of those (used in turn), or CTRL_C / CTRL_D / SILENT.  An 'idp'
    callable gets the text shown so far (the prompt with the code to approve)."""
    kinds = [("sudo", SUDO_PW), ("code", CODE), ("password", PASSWORD), ("idp", IDP)]
    pats = [p for _, p in kinds] + enders
    seen, out = [], []
    used = {}
    while True:
        i = child.expect(pats, timeout=timeout if timeout is not None else child.timeout)
        out.append(child.before if isinstance(child.before, str) else "")
        if i >= len(kinds):
            return seen, "".join(out)
        kind = kinds[i][0]
        seen.append(kind)
        a = answers.get(kind)
        if isinstance(a, list):
            n = used.get(kind, 0)
            used[kind] = n + 1
            a = a[n] if n < len(a) else None
        if a is None:
            raise Failure(f"unexpected {kind} prompt", "".join(out) + child.after)
        if callable(a):
            a = a("".join(out)) if kind == "idp" else a()
        if a == CTRL_C:
            child.sendcontrol("c")
        elif a == CTRL_D:
            child.sendcontrol("d")
        elif a == SILENT:
            pass
        else:
            child.sendline(a)


class Term:
    """A login-like interactive bash of one test user on its own pty (one session, one tty:
    what sudo's tty timestamps and stepupd's tty scope key on)."""

    def __init__(self, env, user):
        import pexpect
        self.env = env
        self.user = user
        self.n = 0
        self.buf = []
        self.p = pexpect.spawn(
            "setpriv", ["--reuid", user, "--regid", user, "--init-groups", "--reset-env", "--",
                        "/bin/bash", "--norc", "--noprofile", "-i"],
            encoding="utf-8", timeout=30, dimensions=(40, 250), env={"TERM": "dumb"},
            cwd=env.home[user])
        self.p.logfile_read = _Collect(self.buf)
        self.p.sendline("export PS1='$ ' HISTFILE=/dev/null LANG=C; unset PROMPT_COMMAND")
        self._sync()

    def _sync(self):
        self.n += 1
        tag = "SYNC%d" % self.n
        self.p.sendline(f"echo @@{tag}@@$((1+1))")
        self.p.expect(f"@@{tag}@@2")

    def run(self, cmd, answers=None, timeout=30):
        """Types cmd; answers prompts; returns (exit status, output, prompts seen)."""
        self.n += 1
        tag = "RC%d" % self.n
        start = len("".join(self.buf))
        self.p.sendline(f"{cmd}; echo \"@@{tag}=$?@@\"")
        seen, _ = _converse(self.p, answers or {}, [rf"@@{tag}=(\d+)@@"], timeout=timeout)
        rc = int(self.p.match.group(1))
        out = "".join(self.buf)[start:]
        return rc, out, seen

    def sudo(self, args, code_for=None, password=True, **kw):
        """sudo ARGS as this user: answers the password and (when asked) a fresh code."""
        ans = {"sudo": "pw-" + self.user if password else None,
               "code": (lambda: self.env.code(code_for or self.user))}
        ans.update(kw.pop("answers", {}))
        return self.run("sudo " + args, ans, **kw)

    def transcript(self):
        return f"--- terminal of {self.user}\n" + "".join(self.buf)

    def close(self):
        try:
            self.p.sendline("exit")
            self.p.expect(__import__("pexpect").EOF, timeout=5)
        except Exception:  # noqa: BLE001
            pass
        self.p.close(force=True)
