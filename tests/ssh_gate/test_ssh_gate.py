#!/usr/bin/env python3
"""The ssh gate end to end (docs/ssh.md): the real sshd on 127.0.0.1 in a private mount
namespace, `ForceCommand stepup-ssh` for the group admin, publickey logins; sudo inside ssh
sessions with `remote`/`rhost` rules; the documented login and break-glass snippets.

The sshd_config, PAM and policy snippets come from docs/ssh.md (``<!-- ssh-snippet NAME -->``
blocks), with only paths and names replaced.  The world (users, sudo, stepupd) is the one of
tests/e2e/e2e.py, reused as it is: users alice, carol, dave, erin, frank (groups admin,
wheel) and bob; each case uses its own users, so their TOTP steps do not interfere."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import e2e  # noqa: E402
from e2e import check  # noqa: E402

DOC = os.path.join(HERE, "..", "..", "docs", "ssh.md")
NEEDS_TTY = "stepup-ssh: this command needs step-up; run ssh with -t"
UNAVAILABLE = "stepup-ssh: step-up service unavailable: access denied"


def snippet(name):
    """The code block after <!-- ssh-snippet NAME --> in docs/ssh.md."""
    text = open(DOC).read()
    m = re.search(r"<!-- ssh-snippet %s -->\n```\n(.*?)```\n" % re.escape(name), text, re.S)
    check(m is not None, f"docs/ssh.md has no snippet {name}")
    return m.group(1)


# Test-only rules in front of the documented ones: commands with a visible effect, and the
# test's own script that exits 3 (the documented allow-list does not name it).
TEST_RULES = """\
require totp within 0 when service sshd-command and command /usr/bin/touch*
require totp within 0 when service sshd-command and command /usr/bin/scp*
allow when service sshd-command and command /*/exit3
"""


def gate_policy(login=False):
    """The documented rules (policy-login only with keyboard-interactive logins: a key
    login has no way to answer a challenge in sshd's PAM account phase)."""
    return (TEST_RULES + snippet("policy-gate") + (snippet("policy-login") if login else "") +
            snippet("policy-remote").replace("10.20.0.0/16", "127.0.0.1") + "allow\n")


class GateEnv(e2e.Env):
    """e2e.Env plus our own sshd (its config from docs/ssh.md) and ssh/sftp/scp clients."""

    def gate(self, extra=""):
        """The ForceCommand: the build's stepup-ssh, copied where the users reach it."""
        if getattr(self, "gate_path", None) is None:
            self.gate_path = self.stage("ssh_gate/stepup-ssh")
        return f"{self.gate_path} --user-socket {self.usock}{extra}"

    def start_gate_sshd(self, config):
        d = os.path.join(self.tmp, "ssh")
        os.makedirs(d, 0o700, exist_ok=True)
        key = os.path.join(d, "host_ed25519")
        e2e.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        if os.path.isdir("/run/sshd"):
            e2e.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run/sshd"],
                    check=True)
            self.mounts.append("/run/sshd")
        else:
            e2e.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run"], check=True)
            self.mounts.append("/run")
            os.mkdir("/run/sshd", 0o755)
            os.mkdir("/run/sudo", 0o711)
        self.port = e2e.free_port()
        cfg = self.write("ssh/sshd_config", f"""\
ListenAddress 127.0.0.1
Port {self.port}
HostKey {key}
PidFile {d}/sshd.pid
PubkeyAuthentication yes
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
Subsystem sftp internal-sftp
{config}""", 0o600)
        t = e2e.run(["/usr/sbin/sshd", "-t", "-f", cfg])
        check(t.returncode == 0, "sshd -t failed", t.stderr, open(cfg).read())
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
        raise e2e.Failure("sshd did not start", open(self.sshd_log).read())

    def client_opts(self, user, kbdint=False):
        opts = ["-o", "StrictHostKeyChecking=no",
                "-o", f"UserKnownHostsFile={self.tmp}/ssh/known_hosts",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
                "-F", "/dev/null", "-i", self.keys[user], "-o", "IdentitiesOnly=yes"]
        if kbdint:
            opts += ["-o", "BatchMode=no", "-o", "NumberOfPasswordPrompts=1",
                     "-o", "PreferredAuthentications=publickey,keyboard-interactive"]
        else:
            opts += ["-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey"]
        return opts

    def spawn(self, prog, args, answers, send=None, timeout=40):
        """Runs a client on a pty; answers prompts; returns (rc, output, prompts seen)."""
        import pexpect
        child = pexpect.spawn(prog, args, encoding="utf-8", timeout=timeout,
                              env={"PATH": os.environ["PATH"], "HOME": self.tmp, "TERM": "dumb"},
                              cwd=self.tmp)
        buf = []
        child.logfile_read = e2e._Collect(buf)
        enders = [pexpect.EOF] if send is None else [send[0]]
        seen, _ = e2e._converse(child, answers, enders)
        if send is not None:
            child.sendline(send[1])
            child.expect(pexpect.EOF)
        child.close()
        text = "".join(buf)
        self.transcripts.append(f"--- {prog} {' '.join(args)}\n{text}")
        return (child.exitstatus if child.exitstatus is not None else -1), text, seen

    def ssh(self, user, command=None, answers=None, tty=True, kbdint=False, send=None):
        args = ["-p", str(self.port)] + self.client_opts(user, kbdint) + ["-t" if tty else "-T",
                                                                        f"{user}@127.0.0.1"]
        if command is not None:
            args.append(command)
        return self.spawn("ssh", args, answers or {}, send=send)

    def add_keys(self, *users):
        self.keys = getattr(self, "keys", {})
        os.makedirs(os.path.join(self.tmp, "ssh"), 0o700, exist_ok=True)
        for u in users:
            self.keys[u] = self.user_key(u)

    def decisions(self, user, since):
        return self.events("decision", user, since)


def expect(result, prompts, rc, out=None, what="", absent=None):
    code, text, seen = result
    check(seen == prompts, f"{what}: prompts {seen}, expected {prompts}", text)
    check(code == rc, f"{what}: exit status {code}, expected {rc}", text)
    if out is not None:
        check(re.search(out, text, re.M), f"{what}: /{out}/ not in the output", text)
    if absent is not None:
        check(absent not in text, f"{what}: '{absent}' in the output", text)
    return text


def gate_sshd_config(env):
    """Keys only; erin's gate with --failmode safe; then the documented gate block."""
    return ("AuthenticationMethods publickey\nUsePAM yes\nKbdInteractiveAuthentication no\n"
            "PasswordAuthentication no\n"
            f"Match User erin\n        ForceCommand {env.gate(' --failmode safe')}\n" +
            snippet("sshd-gate").replace("/usr/bin/stepup-ssh", env.gate()))


def case_gate_commands(build):
    with GateEnv(build, gate_policy()) as env:
        env.add_keys("alice", "carol", "erin", "frank", "bob")
        env.start_gate_sshd(gate_sshd_config(env))
        code = {u: (lambda u=u: env.code(u)) for u in e2e.USERS}

        # a harmless command: no prompt, the daemon saw its canonical form
        mark = env.mark()
        expect(env.ssh("alice", "id -un"), [], 0, r"^alice\r?$", "id over the gate")
        d = env.decisions("alice", mark)
        check(any('command="/usr/bin/id -un"' in x and "service=sshd-command" in x and
                  'ssh_command="id -un"' in x and "decision=allow" in x for x in d),
              "no gate decision for id", env.log()[mark:])

        # a privileged command: a code, then it runs
        mark = env.mark()
        expect(env.ssh("alice", "systemctl --version", {"code": code["alice"]}), ["code"], 0,
               r"^systemd \d+", "systemctl with a code")
        ok = env.events("verify-ok", "alice", mark)
        check(ok and "service=sshd-command" in ok[0] and env.rule("/usr/bin/systemctl") in ok[0],
              "not the gate's systemctl rule", env.log()[mark:])

        # exec wrappers are seen through: env and nice in front of systemctl ask the same code
        # (issue 13), each by its own user so that every code is in a fresh TOTP step
        for user, wrapped in (("carol", "env systemctl --version"),
                              ("erin", "nice -n 5 systemctl --version")):
            mark = env.mark()
            expect(env.ssh(user, wrapped, {"code": code[user]}), ["code"], 0,
                   r"^systemd \d+", wrapped + " with a code")
            ok = env.events("verify-ok", user, mark)
            check(ok and env.rule("/usr/bin/systemctl") in ok[0],
                  wrapped + ": not the gate's systemctl rule", env.log()[mark:])

        # no terminal: refused with the documented message, nothing run
        mark = env.mark()
        expect(env.ssh("alice", "systemctl --version", tty=False), [], 1, re.escape(NEEDS_TTY),
               "systemctl without -t", absent="systemd 2")
        check(env.events("abandon", "alice", mark), "challenge not abandoned", env.log()[mark:])

        # exit status: a simple command's, and a shell command's (shell rule: a code)
        exit3 = env.write("exit3", "#!/bin/sh\nexit 3\n", 0o755)
        expect(env.ssh("alice", exit3, tty=False), [], 3, None, "a simple command exiting 3")
        mark = env.mark()
        expect(env.ssh("alice", "sh -c 'exit 7'", {"code": code["alice"]}), ["code"], 7, None,
               "shell syntax exiting 7")
        ok = env.events("verify-ok", "alice", mark)
        check(ok and env.rule("command shell") in ok[0], "not the shell rule", env.log()[mark:])

        # the environment is sshd's: the same variables as an ungated session, plus
        # SSH_ORIGINAL_COMMAND
        a = expect(env.ssh("alice", "env", tty=False), [], 0, r"^SSH_CONNECTION=127\.0\.0\.1 ",
                   "env over the gate")
        b = expect(env.ssh("bob", "env", tty=False), [], 0, r"^SSH_CONNECTION=", "bob's env")

        def names(t):
            return {ln.split("=", 1)[0] for ln in t.splitlines() if re.match(r"^[A-Z_]+=", ln)}
        check(names(a) - {"SSH_ORIGINAL_COMMAND"} == names(b), "environment changed by the gate",
              sorted(names(a) ^ names(b)))
        check(re.search(r"^SSH_ORIGINAL_COMMAND=env\r?$", a, re.M), "SSH_ORIGINAL_COMMAND", a)

        # a wrong code runs nothing; the right one runs it
        os.mkdir(os.path.join(env.tmp, "xyz"))
        os.chmod(os.path.join(env.tmp, "xyz"), 0o777)
        marker = os.path.join(env.tmp, "xyz", "marker")
        text = expect(env.ssh("carol", f"touch {marker}", {"code": env.wrong_code("carol")}),
                      ["code"], 1, "wrong verification code", "touch with a wrong code")
        check(not os.path.exists(marker), "a wrong code ran the command", text)
        expect(env.ssh("carol", f"touch {marker}", {"code": code["carol"]}), ["code"], 0, None,
               "touch with the right code")
        check(os.path.exists(marker), "the right code did not run the command")

        # an interactive login is `command shell`: a code, then the login shell
        expect(env.ssh("frank", None, {"code": code["frank"]},
                       send=(r"\$ |# |> ", "echo hi-$((6*7)); exit 0")),
               ["code"], 0, r"hi-42", "interactive login")

        # not in group admin: no ForceCommand
        expect(env.ssh("bob", "systemctl --version", tty=False), [], 0, r"^systemd \d+",
               "bob without the gate")

        # stepupd down: refused (fail closed); erin's gate has --failmode safe.  sshd's own
        # PAM stack without pam_stepup here, or the login itself would be refused first.
        with open(os.path.join(env.tmp, "pam.d", "sshd"), "w") as f:
            f.write("auth required pam_unix.so\naccount required pam_unix.so\n"
                    "session required pam_permit.so\npassword required pam_deny.so\n")
        env.stop_stepupd()
        text = expect(env.ssh("alice", "id -un", tty=False), [], 1, re.escape(UNAVAILABLE),
                      "daemon down")
        check(not re.search(r"^alice\r?$", text, re.M), "ran with stepupd down", text)
        text = expect(env.ssh("erin", "id -un", tty=False), [], 0, r"^erin\r?$",
                      "daemon down, failmode safe")
        check("running without step-up (failmode safe)" in text, "failmode safe not said", text)


def case_sftp_scp(build):
    with GateEnv(build, gate_policy()) as env:
        env.add_keys("dave")
        env.start_gate_sshd(gate_sshd_config(env))
        src = env.write("upload.txt", "payload\n", 0o644)
        home = env.home["dave"]
        opts = ["-P", str(env.port)] + env.client_opts("dave")
        # sftp (internal-sftp, run by the gate as sftp-server): allowed by the documented rule
        batch = env.write("batch", f"put {src} up.txt\nget up.txt {env.tmp}/down.txt\n", 0o644)
        mark = env.mark()
        rc, out, _ = env.spawn("sftp", opts + ["-b", batch, "dave@127.0.0.1"], {})
        check(rc == 0, "sftp failed", out, env.log()[mark:])
        check(open(os.path.join(home, "up.txt")).read() == "payload\n", "sftp put", out)
        check(open(os.path.join(env.tmp, "down.txt")).read() == "payload\n", "sftp get", out)
        sftp_rule = env.rule("command /usr/lib/openssh/sftp-server")
        check(any('command=/usr/lib/openssh/sftp-server' in x and 'ssh_command=internal-sftp' in x
                  and sftp_rule in x for x in env.decisions("dave", mark)),
              "sftp not asked as /usr/lib/openssh/sftp-server", env.log()[mark:])
        # scp with the sftp protocol (OpenSSH 9's default): the same
        rc, out, _ = env.spawn("scp", opts + [src, "dave@127.0.0.1:scp.txt"], {})
        check(rc == 0 and os.path.exists(os.path.join(home, "scp.txt")), "scp (sftp) failed", out)
        # scp -O (the old protocol) runs `scp -t`: a command like any other, here one that
        # needs a step-up, and scp has no terminal: refused, nothing written
        mark = env.mark()
        rc, out, _ = env.spawn("scp", ["-O"] + opts + [src, "dave@127.0.0.1:legacy.txt"], {})
        check(rc != 0 and NEEDS_TTY in out, "scp -O not refused as documented", rc, out)
        check(not os.path.exists(os.path.join(home, "legacy.txt")), "scp -O wrote the file")
        ch = env.events("challenge", "dave", mark)
        check(ch and env.rule("/usr/bin/scp*") in ch[0], "scp -O not asked about as scp",
              env.log()[mark:])


def case_remote_sudo(build):
    with GateEnv(build, gate_policy()) as env:
        env.add_keys("dave", "bob")
        env.start_gate_sshd(gate_sshd_config(env))
        rhost_rule = env.rule("rhost 127.0.0.1")
        # sudo in a local session (a shell in the namespace): not remote, no code
        t = env.term("dave")
        mark = env.mark()
        expect(t.sudo("/usr/bin/id -u"), ["sudo"], 0, r"^0\r?$", "local sudo")
        d = env.decisions("dave", mark)
        check(d and all("remote=yes" not in x and "rhost=" not in x for x in d),
              "a local sudo counted as remote", env.log()[mark:])
        # sudo through the gate in an ssh session: remote from 127.0.0.1 (sshd's PAM_RHOST,
        # remembered by stepupd), so the rhost rule asks for a code
        mark = env.mark()
        expect(env.ssh("dave", "sudo /usr/bin/id -u", {"sudo": "pw-dave",
                                                       "code": lambda: env.code("dave")}),
               ["sudo", "code"], 0, r"^0\r?$", "sudo over ssh (gate)")
        ok = env.events("verify-ok", "dave", mark)
        check(ok and "service=sudo" in ok[0] and rhost_rule in ok[0],
              "sudo over ssh did not match the remote+rhost rule", env.log()[mark:])
        # and without the gate (bob is not in group admin): the same
        mark = env.mark()
        expect(env.ssh("bob", "sudo /usr/bin/id -u", {"sudo": "pw-bob",
                                                      "code": lambda: env.code("bob")}),
               ["sudo", "code"], 0, r"^0\r?$", "sudo over ssh (no gate)")
        ok = env.events("verify-ok", "bob", mark)
        check(ok and rhost_rule in ok[0], "bob's sudo over ssh not remote", env.log()[mark:])


def case_documented_logins(build):
    """The login snippets: key + keyboard-interactive (password, code) for admins, the gate,
    and the break-glass account (here bob), which still logs in with stepupd down."""
    with GateEnv(build, gate_policy(login=True)) as env:
        env.add_keys("alice", "bob")
        pam = os.path.join(env.tmp, "pam.d", "sshd")
        stack = snippet("pam-sshd").replace("breakglass", "bob").replace(
            "pam_stepup.so", f"{env.mod} socket={env.sock}")
        with open(pam, "w") as f:
            f.write(stack + "session required pam_permit.so\npassword required pam_deny.so\n")
        config = (snippet("sshd-key-kbdint") +
                  snippet("sshd-breakglass").replace("breakglass", "bob") +
                  snippet("sshd-gate").replace("/usr/bin/stepup-ssh", env.gate()))
        env.start_gate_sshd(config)
        mark = env.mark()
        expect(env.ssh("alice", "id -un", {"password": "pw-alice",
                                           "code": lambda: env.code("alice")}, kbdint=True),
               ["password", "code"], 0, r"^alice\r?$", "key + password + code")
        ok = env.events("verify-ok", "alice", mark)
        check(ok and "service=sshd" in ok[0] and env.rule("service sshd and group admin") in ok[0],
              "the login rule did not ask", env.log()[mark:])
        # keyboard-interactive runs PAM in a child of the connection's monitor, which exits
        # before the command runs: the monitor was remembered with the child's PAM_RHOST
        check(any("service=sshd-command" in x and "remote=yes" in x and "rhost=127.0.0.1" in x
                  for x in env.decisions("alice", mark)),
              "the command did not pass the gate, or not as remote from 127.0.0.1",
              env.log()[mark:])
        # the break-glass account: a key alone, no step-up, no gate
        expect(env.ssh("bob", "id -un", tty=False), [], 0, r"^bob\r?$", "break-glass login")
        env.stop_stepupd()
        rc, out, _ = env.ssh("alice", "id -un", {"password": "pw-alice"}, tty=False, kbdint=True)
        check(rc == 255 and not re.search(r"^alice\r?$", out, re.M),
              "alice logged in with stepupd down", rc, out)
        expect(env.ssh("bob", "id -un", tty=False), [], 0, r"^bob\r?$",
               "break-glass login with stepupd down")


# Protocol numbers (common/proto.h) for the raw client.
GATE, VERIFY = 31, 2
ALLOW, DENY, CHALLENGE, ERROR = 64, 65, 66, 68
T_USER, T_COMMAND, T_CHALLENGE, T_ANSWER, T_MESSAGE, T_SSH_COMMAND = 2, 6, 9, 10, 12, 38


class Client:
    """gate_client.py running as a user: raw protocol on connections that stay open."""

    def __init__(self, env, user):
        import json
        self.json = json
        # a copy the user can read (the source tree may be in a 0700 home)
        helper = os.path.join(env.tmp, "gate_client.py")
        if not os.path.exists(helper):
            shutil.copyfile(os.path.join(HERE, "gate_client.py"), helper)
            os.chmod(helper, 0o644)
        pre = [] if user == "root" else ["setpriv", "--reuid", user, "--regid", user,
                                         "--init-groups", "--"]
        self.p = subprocess.Popen(pre + ["/usr/bin/python3", helper], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, cwd="/")
        env.clients = getattr(env, "clients", []) + [self]

    def call(self, **req):
        self.p.stdin.write(self.json.dumps(req) + "\n")
        self.p.stdin.flush()
        return self.json.loads(self.p.stdout.readline())

    def connect(self, conn, sock):
        r = self.call(op="connect", conn=conn, socket=sock)
        check(r.get("ok"), f"connect {conn}", r)

    def send(self, conn, mtype, *fields):
        return self.call(op="send", conn=conn, type=mtype, fields=[list(f) for f in fields])

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


def case_gate_protocol(build):
    """GATE on the wire: a challenge is answered only on its own connection, the daemon
    believes nothing but the command, and that only in canonical form."""
    with GateEnv(build, gate_policy()) as env:
        alice, bob, root = Client(env, "alice"), Client(env, "bob"), Client(env, "root")
        try:
            alice.connect("A", env.usock)
            mark = env.mark()
            # USER in the message is ignored: the decision is about the peer's uid
            r = alice.send("A", GATE, (T_COMMAND, "/usr/bin/systemctl --version"),
                           (T_USER, "bob"))
            check(r.get("type") == CHALLENGE, "GATE for systemctl", r)
            cid = r["fields"][str(T_CHALLENGE)]
            ch = env.events("challenge", None, mark)
            check(len(ch) == 1 and "user=alice" in ch[0] and "service=sshd-command" in ch[0],
                  "not alice's challenge", env.log()[mark:])
            code = env.code("alice")
            # the right code on any other connection is refused and spends nothing
            alice.connect("B", env.usock)
            r = alice.send("B", VERIFY, (T_CHALLENGE, cid), (T_ANSWER, code))
            check(r.get("type") == ERROR, "VERIFY on another connection of alice", r)
            bob.connect("C", env.usock)
            r = bob.send("C", VERIFY, (T_CHALLENGE, cid), (T_ANSWER, code))
            check(r.get("type") == ERROR, "VERIFY by bob", r)
            root.connect("R", env.sock)
            r = root.send("R", VERIFY, (T_CHALLENGE, cid), (T_ANSWER, code))
            check(r.get("type") == DENY and "no such challenge" in r["fields"].get(str(T_MESSAGE), ""),
                  "VERIFY by root on the PAM socket", r)
            check(not env.events("verify-ok", "alice", mark), "someone else's answer counted",
                  env.log()[mark:])
            # on its own connection: allowed, once
            r = alice.send("A", VERIFY, (T_CHALLENGE, cid), (T_ANSWER, code))
            check(r.get("type") == ALLOW, "VERIFY on the GATE's connection", r, env.log()[mark:])
            r = alice.send("A", VERIFY, (T_CHALLENGE, cid), (T_ANSWER, code))
            check(r.get("type") != ALLOW, "a spent challenge answered twice", r)
            # GATE is for the user socket only
            root.connect("R2", env.sock)
            r = root.send("R2", GATE, (T_COMMAND, "/usr/bin/id"))
            check(r.get("type") == ERROR, "GATE on the PAM socket", r)
            # only canonical commands: a relative name, a path that realpath changes
            alice.connect("D", env.usock)
            r = alice.send("D", GATE, (T_COMMAND, "id -u"))
            check(r.get("type") == DENY and "absolute" in r["fields"].get(str(T_MESSAGE), ""),
                  "relative command", r)
            if os.path.realpath("/bin/id") != "/bin/id":  # merged /usr
                r = alice.send("D", GATE, (T_COMMAND, "/bin/id -u"))
                check(r.get("type") == DENY and "changed" in r["fields"].get(str(T_MESSAGE), ""),
                      "non-canonical path", r)
            # `shell` is the login shell, matched by `command shell` (within 15m): the code
            # just given was recorded for this process's scope, so it is fresh; the typed
            # text goes into the audit trail
            mark = env.mark()
            r = alice.send("D", GATE, (T_COMMAND, "shell"), (T_SSH_COMMAND, "echo hi; id"))
            check(r.get("type") == ALLOW and
                  r["fields"].get("13", "").endswith("/" + env.rule("command shell")),
                  "GATE shell", r)
            d = env.decisions("alice", mark)
            check(d and "fresh step-up" in d[0] and 'ssh_command="echo hi; id"' in d[0] and
                  "command=/usr/bin/bash" in d[0], "GATE shell's decision", env.log()[mark:])
            r = alice.send("D", GATE, (T_COMMAND, "/usr/bin/id -u"), (T_SSH_COMMAND, "id -u"))
            check(r.get("type") == ALLOW, "GATE id", r)
            d = env.decisions("alice", mark)
            check(any('command="/usr/bin/id -u"' in x and 'ssh_command="id -u"' in x for x in d),
                  "decision event for GATE", env.log()[mark:])
        finally:
            for c in (alice, bob, root):
                c.close()


def main():
    if os.geteuid() != 0:
        e2e.skip("the ssh gate tests need root (private namespaces, real sshd and sudo)")
    if os.environ.get("STEPUP_SSHGATE_NS") != "1":
        # Private mount and pid namespaces with their own /proc: the processes stepupd looks
        # at are this test's only, so a developer's own ssh session (an sshd above the test)
        # cannot make the "local" sessions here remote.  e2e.main then needs no namespace.
        env = dict(os.environ, STEPUP_SSHGATE_NS="1", STEPUP_E2E_NS="1")
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", "--pid",
                               "--fork", "--mount-proc", sys.executable] + sys.argv, env)
    e2e.main([case_gate_protocol, case_gate_commands, case_sftp_scp, case_remote_sudo,
              case_documented_logins],
             needs=("sudo", "oathtool", "setpriv", "unshare", "openssl", "ssh", "ssh-keygen",
                    "sftp", "scp", "/usr/sbin/sshd"))


if __name__ == "__main__":
    main()
