"""What stands between stepupd and the identity provider, for the idp tests: a small HTTP
forwarder on 127.0.0.1 in front of the real Glewlwyd (tests/idp/glewlwyd.py, started with
public_port=front.port so that its discovery document sends stepupd here).

By default it forwards every request to Glewlwyd and every answer back unchanged.  A test
can make it behave like the network or a compromised provider would:

  front.swap_id_token(token)  the next approved token answer carries TOKEN as its id_token
                              (a real token Glewlwyd issued elsewhere: another client,
                              another signing key, another time) instead of the real one
  front.hang()                accept connections and never answer (a provider that hangs)
  front.down()                stop listening: connections are refused (a provider that is
                              down); front.up() listens again on the same port
  front.resume()              forward again after hang()
  front.device_interval = N   device authorization answers say interval N (a device that
                              polls faster than the provider wants, to see slow_down)

Front(tls=(CERT, KEY)) speaks https (its certificate for 127.0.0.1; see tls_pair()).

Nothing here answers in Glewlwyd's place: every answer that reaches stepupd is Glewlwyd's,
except the one id_token a test swaps in, which Glewlwyd also issued.
Standard library only.
"""

import http.client
import http.server
import json
import socket
import os
import socketserver
import ssl
import subprocess
import threading
import time


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client (stepupd) that gave up and closed: nothing to report


class Front:
    def __init__(self, port=None, tls=None):
        self.tls = tls
        self.backend_port = None
        self.port = port or _free_port()
        self._swap = None
        self._hang = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.requests = []  # (time.monotonic(), method, path) of each request seen
        self.device_interval = None
        self.server = None
        self.thread = None

    # ---- control -----------------------------------------------------------------------
    def start(self, backend_port=None):
        if backend_port is not None:
            self.backend_port = backend_port
        self.up()
        return self

    def up(self):
        if self.server is not None:
            return
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                front._handle(self, None)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                front._handle(self, self.rfile.read(n) if n else b"")

            def do_PUT(self):
                self.do_POST()

        self.server = _Server(("127.0.0.1", self.port), Handler)
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def down(self):
        """Closes the listening socket: new connections are refused."""
        if self.server is None:
            return
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.server = None
        self._release.clear()

    def hang(self):
        self._release.clear()
        self._hang.set()

    def resume(self):
        self._hang.clear()
        self._release.set()

    def swap_id_token(self, token):
        with self._lock:
            self._swap = token

    def stop(self):
        self.resume()
        self.down()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- forwarding --------------------------------------------------------------------
    def _handle(self, h, body):
        with self._lock:
            self.requests.append((time.monotonic(), h.command, h.path))
        if self._hang.is_set():
            # Hold the connection open without a word until resumed or stopped (at most a
            # minute), then drop it.
            self._release.wait(60)
            h.close_connection = True
            return
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in ("host", "connection", "content-length")}
        conn = http.client.HTTPConnection("127.0.0.1", self.backend_port, timeout=30)
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            r = conn.getresponse()
            status, rheaders, data = r.status, r.getheaders(), r.read()
        finally:
            conn.close()
        if (h.command == "POST" and h.path.endswith("/device_authorization") and status == 200
                and self.device_interval is not None):
            doc = json.loads(data)
            doc["interval"] = self.device_interval
            data = json.dumps(doc).encode()
        if h.command == "POST" and h.path.endswith("/token") and status == 200:
            with self._lock:
                swap, self._swap = self._swap, None
            if swap is not None:
                doc = json.loads(data)
                doc["id_token"] = swap
                data = json.dumps(doc).encode()
        h.send_response(status)
        for k, v in rheaders:
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date",
                                 "server"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def tls_pair(directory, name="front"):
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key, made by openssl:
    (certificate path, key path)."""
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
