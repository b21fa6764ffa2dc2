"""A small client of the stepup protocol (docs/protocol.md) for tests."""
import hashlib
import hmac
import os
import socket
import struct
import time

REQ = dict(DECIDE=1, VERIFY=2, RELOAD=3, ENROLL_SET=4, STATUS=16, REVOKE=17,
           ENROLL_BEGIN=18, ENROLL_CONFIRM=19, UNLOCK=20, QUESTIONS_GET=21,
           QUESTIONS_SET=22, RECOVERY_NEW=23, RESET=24, FORGET=25, LIST=26,
           RECOVERY_SET=27, REMOVE=28, STATS=30, GATE=31)
REP = {64: "ALLOW", 65: "DENY", 66: "CHALLENGE", 67: "OK", 68: "ERROR"}
TAGS = dict(SERVICE=1, USER=2, RUSER=3, TTY=4, RHOST=5, COMMAND=6, TARGET_USER=7, PHASE=8,
            CHALLENGE=9, ANSWER=10, PROMPT=11, MESSAGE=12, RULE=13, FACTOR=14, SECRET=15,
            ERRNO=17, ECHO=18, BODY=19, DIGITS=20, PERIOD=21, ALGO=22, WAIT=23,
            TARGET_GROUP=24, WINDOW=26, SSH_COMMAND=38, DATA=39, ENTER=40)
U32 = {"PHASE", "ERRNO", "ECHO", "DIGITS", "PERIOD", "WAIT", "WINDOW", "ENTER"}
NAMES = {v: k for k, v in TAGS.items()}


def encode(kind, **fields):
    body = b""
    for name, value in fields.items():
        tag = TAGS[name]
        raw = struct.pack(">I", value) if name in U32 else value.encode()
        body += struct.pack(">BH", tag, len(raw)) + raw
    payload = b"S" + bytes([1, REQ[kind], len(fields)]) + body
    return struct.pack(">I", len(payload)) + payload


def decode(payload):
    assert payload[0:2] == b"S\x01", payload[:4]
    kind = REP.get(payload[2], payload[2])
    count, pos, out = payload[3], 4, {"type": kind}
    for _ in range(count):
        tag, length = struct.unpack(">BH", payload[pos:pos + 3])
        raw = payload[pos + 3:pos + 3 + length]
        name = NAMES[tag]
        out[name] = struct.unpack(">I", raw)[0] if name in U32 else raw.decode()
        pos += 3 + length
    return out


class Conn:
    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise ConnectionResetError("closed by stepupd")
            buf += chunk
        return buf

    def call(self, kind, **fields):
        self.s.sendall(encode(kind, **fields))
        (length,) = struct.unpack(">I", self._read(4))
        return decode(self._read(length))

    def close(self):
        self.s.close()


def call(path, kind, **fields):
    c = Conn(path)
    try:
        return c.call(kind, **fields)
    finally:
        c.close()


def totp(secret, t=None, digits=6, period=30, algo="sha1"):
    counter = int((time.time() if t is None else t) // period)
    mac = hmac.new(secret, struct.pack(">Q", counter), getattr(hashlib, algo)).digest()
    off = mac[-1] & 15
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def as_user(uid, gid, fn):
    """Runs fn() in a child with the given uid; returns its exit status (0 = fn returned)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            code = 0 if fn() else 3
        except BaseException as e:  # report and exit, never return into the parent's code
            print("child failed:", repr(e), flush=True)
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
