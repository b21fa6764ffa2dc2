#!/usr/bin/env python3
"""A raw stepup protocol client for the tests (docs/protocol.md), run as some user.

Reads JSON lines on stdin and answers each with one JSON line on stdout:
  {"op": "connect", "conn": NAME, "socket": PATH}          -> {"ok": true} | {"error": ...}
  {"op": "send", "conn": NAME, "type": T, "fields": [[TAG, "text" or int], ...]}
      -> {"type": T, "fields": {"TAG": value}} | {"error": "closed"}
Connections stay open until stdin ends, so a test can interleave several of them."""
import json
import socket
import struct
import sys


def encode(mtype, fields):
    body = b""
    for tag, value in fields:
        raw = struct.pack(">I", value) if isinstance(value, int) else value.encode()
        body += struct.pack(">BH", tag, len(raw)) + raw
    payload = b"S" + bytes([1, mtype, len(fields)]) + body
    return struct.pack(">I", len(payload)) + payload


def read_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def decode(sock):
    (length,) = struct.unpack(">I", read_exact(sock, 4))
    p = read_exact(sock, length)
    if p[0:2] != b"S\x01":
        raise ValueError("bad magic")
    mtype, count, pos, fields = p[2], p[3], 4, {}
    for _ in range(count):
        tag, flen = struct.unpack(">BH", p[pos:pos + 3])
        pos += 3
        raw = p[pos:pos + flen]
        pos += flen
        fields[str(tag)] = (struct.unpack(">I", raw)[0] if tag in (17, 23, 25)
                            else raw.decode(errors="replace"))
    return {"type": mtype, "fields": fields}


def main():
    conns = {}
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["op"] == "connect":
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(10)
                s.connect(req["socket"])
                conns[req["conn"]] = s
                out = {"ok": True}
            else:
                s = conns[req["conn"]]
                s.sendall(encode(req["type"], [tuple(f) for f in req["fields"]]))
                out = decode(s)
        except (OSError, EOFError, ValueError) as e:
            out = {"error": type(e).__name__ + ": " + str(e)}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
