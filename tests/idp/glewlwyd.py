"""A private Glewlwyd 2.7.5 (Debian 12) as the OpenID Connect provider for the idp tests.

Nothing here installs anything: tools/deps installs glewlwyd (preseeded to "No configuration")
and openssl.  Glewlwyd(...).start() makes a temporary directory with its own libconfig file
and SQLite database (Debian's init.sqlite3.sql.gz), runs /usr/bin/glewlwyd in the foreground
on a free port of 127.0.0.1 and configures it through its admin API:

  - an RSA signing key made with openssl (RS256; the JWKS shows it with a kid);
  - the "oidc" plugin: issuer = <base>/api/oidc, the device grant enabled, a claim
    preferred_username = the Glewlwyd username;
  - the "otp" scheme (TOTP, 6 digits, 30 s) and the openid scope requiring password + otp,
    so that Glewlwyd itself demands two factors before it approves a device code;
  - users (USERS: password and a TOTP secret each) and two confidential clients
    (client_secret_basic, device_authorization grant): CLIENT for the tests and OTHER_CLIENT,
    whose real tokens carry another audience.

approve() does what a person does on Glewlwyd's pages, through the same endpoints its web
app calls: POST /api/auth/ with the password, then with the TOTP code, PUT /api/auth/grant/
(consent), then GET /api/oidc/device?code=...&g_continue, whose Location must say
prompt=deviceComplete.  Glewlwyd has no "deny" button for a device code; deny() marks the
request refused in Glewlwyd's own database, which is what its token endpoint reads, so that
the next poll answers access_denied exactly as a refused request would (see docs/idp-notes.md).

Glewlwyd accepts one TOTP login per user per 31 s (replay protection): login()/approve() wait
when the same user signed in with TOTP less than 31 s ago.  Use distinct users to stay fast,
or keep the Browser of login() and approve more codes with confirm(), as a person who is
still signed in to the IdP would (within otp_expiration, amr still says password + otp).

Standard library only (http.client, json, hmac, sqlite3); openssl makes the keys.
"""

import base64
import gzip
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time
import urllib.parse

GLEWLWYD = "/usr/bin/glewlwyd"
SCHEMA = "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz"
WEBAPP = "/usr/share/glewlwyd/webapp/"
MODULES = "/usr/lib/glewlwyd"
ADMIN = ("admin", "password")  # from Debian's init.sqlite3.sql
PLUGIN = "oidc"
OTP_SCHEME = "otp"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

# name -> (password, base32 TOTP secret); fixed so that failures are reproducible.
USERS = {
    "alice": ("pw-idp-alice", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
    "bob": ("pw-idp-bob", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"),
}
CLIENT = ("stepup-test", "secret-stepup-test")
OTHER_CLIENT = ("stepup-other", "secret-stepup-other")


class GlewlwydError(Exception):
    pass


def available():
    """None when Glewlwyd can run here, else the reason."""
    for path in (GLEWLWYD, SCHEMA, WEBAPP, MODULES + "/plugin/libprotocol_oidc.so"):
        if not os.path.exists(path):
            return f"{path} is missing (tools/deps test installs glewlwyd)"
    if shutil.which("openssl") is None:
        return "openssl is missing"
    return None


def totp(secret_b32, at=None, step=30, digits=6):
    """RFC 6238 TOTP (HMAC-SHA1) of a base32 secret at time `at` (default now)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(token):
    """(header, claims) of a compact JWS, NOT verified: for printing and checking what
    Glewlwyd issued.  Verification is the product's job (and the C notes')."""
    h, c, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(c))


def verify_rs256(token, public_pem, workdir):
    """True when openssl verifies the RS256 signature of TOKEN with PUBLIC_PEM (a test
    helper: which of the harness's keys signed a token; not the product's verification)."""
    h, c, sig = token.split(".")
    pub = os.path.join(workdir, "verify.pub")
    sigf = os.path.join(workdir, "verify.sig")
    with open(pub, "w") as f:
        f.write(public_pem)
    with open(sigf, "wb") as f:
        f.write(b64url_decode(sig))
    r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sigf],
                       input=(h + "." + c).encode(), capture_output=True)
    return r.returncode == 0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rsa_key_pair(directory, name):
    """(private PEM, public PEM) of a new RSA 2048 key made by openssl."""
    key = os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", key], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"], check=True,
                         capture_output=True, text=True).stdout
    with open(key) as f:
        return f.read(), pub


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:300]!r}>"


class Browser:
    """One HTTP client with its own cookies (a person's browser or the admin's)."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, form=None, basic=None, timeout=10):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if basic is not None:
            cred = "%s:%s" % (urllib.parse.quote(basic[0], safe=""),
                              urllib.parse.quote(basic[1], safe=""))
            headers["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            resp = Response(r.status, r.getheaders(), r.read().decode(errors="replace"))
        finally:
            conn.close()
        for k, v in resp.headers:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp


class Glewlwyd:
    """A private Glewlwyd; use as a context manager or call start()/stop()."""

    def __init__(self, workdir=None, device_expiration=600, device_interval=5,
                 token_duration=3600, otp_expiration=600, log_level="WARNING",
                 public_port=None, public_scheme="http"):
        """device_expiration / device_interval: the device grant's expires_in and interval
        (s); token_duration: ID/access token lifetime (exp - iat); otp_expiration: how long
        a TOTP sign-in counts in a person's Glewlwyd session (the scheme's "expiration":
        within it the same Browser approves more codes without a new TOTP code).
        public_port: the port Glewlwyd tells clients to use (its external_url, and so the
        issuer and every endpoint in the discovery document), when something in front of it
        (tests/idp/idp_front.py) forwards to Glewlwyd's own port; the harness's own calls
        always go to Glewlwyd's port.  public_scheme: "https" when that front ends TLS."""
        self.workdir = workdir
        self.own_workdir = workdir is None
        self.device_expiration = device_expiration
        self.device_interval = device_interval
        self.token_duration = token_duration
        self.otp_expiration = otp_expiration
        self.log_level = log_level
        self.public_port = public_port
        self.public_scheme = public_scheme
        self.proc = None
        self.port = None
        self.users = dict(USERS)
        self.client_id, self.client_secret = CLIENT
        self.other_client_id, self.other_client_secret = OTHER_CLIENT
        self._last_otp_use = {}  # username -> time of the last TOTP login
        self.admin = None
        self.keys = []  # the main plugin's (private PEM, public PEM), newest last
        self.plugin_keys = {}  # other plugin instances' keys
        self.plugin_overrides = {}  # plugin name -> parameters changed from the defaults

    # ---- life cycle -------------------------------------------------------------------
    @property
    def base_url(self):
        return f"{self.public_scheme}://127.0.0.1:{self.public_port or self.port}"

    def issuer_of(self, plugin=PLUGIN):
        return f"{self.base_url}/api/{plugin}"

    @property
    def issuer(self):
        return self.issuer_of(PLUGIN)

    @property
    def discovery_url(self):
        return self.issuer + "/.well-known/openid-configuration"

    @property
    def log_path(self):
        return os.path.join(self.workdir, "glewlwyd.log")

    @property
    def db_path(self):
        return os.path.join(self.workdir, "glewlwyd.db")

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=15):
        why = available()
        if why:
            raise GlewlwydError(why)
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="stepup-glewlwyd-")
        os.makedirs(self.workdir, exist_ok=True)
        with gzip.open(SCHEMA, "rt") as f:
            schema = f.read()
        db = sqlite3.connect(self.db_path)
        db.executescript("PRAGMA synchronous=OFF; BEGIN;\n" + schema + "\nCOMMIT;")
        db.close()
        for attempt in range(3):
            self.port = free_port()
            self._write_config()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen([GLEWLWYD, "--config-file=" + self.conf_path],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         cwd=self.workdir)
            log.close()
            if self._wait_ready(timeout):
                break
            self.stop(keep_workdir=True)
        else:
            raise GlewlwydError("glewlwyd did not start:\n" + self.log_tail())
        self._configure()
        return self

    def _write_config(self):
        self.conf_path = os.path.join(self.workdir, "glewlwyd.conf")
        # libconfig; see REFERENCE.md: no use_secure_connection (even false demands a
        # certificate), no user_middleware_module_path.
        conf = f"""
port = {self.port}
bind_address = "127.0.0.1"
external_url = "{self.base_url}"
login_url = "login.html"
api_prefix = "api"
static_files_path = "{WEBAPP}"
log_mode = "console"
log_level = "{self.log_level}"
cookie_domain = "127.0.0.1"
cookie_secure = 0
session_key = "GLEWLWYD2_SESSION_ID"
admin_scope = "g_admin"
profile_scope = "g_profile"
user_module_path = "{MODULES}/user"
client_module_path = "{MODULES}/client"
user_auth_scheme_module_path = "{MODULES}/scheme"
plugin_module_path = "{MODULES}/plugin"
hash_algorithm = "SHA512"
database = {{
  type = "sqlite3"
  path = "{self.db_path}"
}};
"""
        with open(self.conf_path, "w") as f:
            f.write(conf)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                b = Browser(self.port)
                r = b.request("POST", "/api/auth/", {"username": ADMIN[0], "password": ADMIN[1]},
                              timeout=2)
                if r.status == 200:
                    self.admin = b
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self, keep_workdir=False):
        """SIGTERM and wait for the pid (Glewlwyd takes about 1.5 s to exit)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.own_workdir and not keep_workdir and self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    # ---- admin API --------------------------------------------------------------------
    def admin_call(self, method, path, body=None, ok=(200,)):
        r = self.admin.request(method, "/api" + path, body)
        if r.status not in ok:
            raise GlewlwydError(f"{method} /api{path}: {r.status} {r.body}\n{self.log_tail(10)}")
        return r

    def plugin_parameters(self, name=PLUGIN):
        """The oidc plugin's parameters: the defaults below, the instance's key and its
        overrides (add_plugin, set_plugin_parameters)."""
        priv, pub = self.plugin_keys.get(name) or self.keys[-1]
        params = {
            "iss": self.issuer_of(name),
            "jwt-type": "rsa", "jwt-key-size": "256", "key": priv, "cert": pub,
            "jwks-show": True,
            "access-token-duration": self.token_duration,
            "refresh-token-duration": 1209600,
            "code-duration": 600,
            "allow-non-oidc": False,
            "auth-type-code-enabled": False,
            "auth-type-token-enabled": False,
            "auth-type-id-token-enabled": False,
            "auth-type-none-enabled": False,
            "auth-type-password-enabled": False,
            "auth-type-client-enabled": False,
            "auth-type-refresh-enabled": False,
            "auth-type-device-enabled": True,
            "device-authorization-expiration": self.device_expiration,
            "device-authorization-interval": self.device_interval,
            "subject-type": "public",
            "claims": [{"name": "preferred_username", "user-property": "username",
                        "type": "string", "mandatory": True}],
        }
        params.update(self.plugin_overrides.get(name, {}))
        return params

    def _put_plugin(self, name, method="PUT"):
        self.admin_call(method, "/mod/plugin/" + ("" if method == "POST" else name), {
            "module": "oidc", "name": name, "display_name": "OIDC " + name, "enabled": True,
            "parameters": self.plugin_parameters(name)})
        if method == "PUT":  # an update is stored, but used only after a reset
            self.admin_call("PUT", f"/mod/plugin/{name}/reset")

    def add_plugin(self, name, key=None, **params):
        """Another oidc plugin instance at <base>/api/NAME serving the same users and
        clients, with its own new RSA key (or KEY = (private PEM, public PEM)) and
        parameters (Glewlwyd's names with '_' for '-'), e.g. iss=glewlwyd.issuer for real
        tokens with the right issuer signed by a key the main JWKS does not have, or
        access_token_duration=1 for ID tokens that expire a second after they are made."""
        self.plugin_keys[name] = key or rsa_key_pair(self.workdir, "key-" + name)
        self.plugin_overrides[name] = {k.replace("_", "-"): v for k, v in params.items()}
        self._put_plugin(name, "POST")

    def set_plugin_parameters(self, name=PLUGIN, **params):
        """Changes parameters of a plugin instance (Glewlwyd's names, '_' for '-')."""
        self.plugin_overrides.setdefault(name, {}).update(
            {k.replace("_", "-"): v for k, v in params.items()})
        self._put_plugin(name)

    def rotate_key(self, name=PLUGIN):
        """A new signing key for the plugin: tokens issued afterwards carry a new kid, and
        its JWKS shows only the new key."""
        key = rsa_key_pair(self.workdir, f"rot{len(self.keys)}")
        if name == PLUGIN:
            self.keys.append(key)
        else:
            self.plugin_keys[name] = key
        self._put_plugin(name)
        return key

    def add_user(self, name, password, totp_secret=None, scopes=("openid",)):
        self.admin_call("POST", "/user/", {"username": name, "name": name.title(),
                                           "password": password, "scope": list(scopes),
                                           "enabled": True})
        if totp_secret is not None:
            self.admin_call("POST", f"/delegate/{name}/profile/scheme/register/", {
                "username": name, "scheme_type": "otp", "scheme_name": OTP_SCHEME,
                "value": {"secret": totp_secret, "type": "TOTP", "time_step_size": 30}})
        self.users[name] = (password, totp_secret)

    def add_client(self, client_id, secret, auth="client_secret_basic"):
        """A confidential client with the device grant; auth: client_secret_basic or
        client_secret_post (how it authenticates at the token endpoint)."""
        self.admin_call("POST", "/client/", {
            "client_id": client_id, "client_name": client_id, "client_secret": secret,
            "confidential": True, "enabled": True,
            "authorization_type": ["device_authorization"],
            "token_endpoint_auth_method": [auth], "scope": ["openid"]})

    def _configure(self):
        self.keys.append(rsa_key_pair(self.workdir, "sign0"))
        self.admin_call("POST", "/mod/scheme/", {
            "module": "otp", "name": OTP_SCHEME, "display_name": "TOTP",
            "expiration": self.otp_expiration, "max_use": 0, "allow_user_register": True,
            "parameters": {"issuer": "stepup-test", "secret-minimum-size": 16,
                           "otp-length": 6, "hotp-allow": False, "hotp-window": 0,
                           "totp-allow": True, "totp-window": 0, "totp-start-offset": 0}})
        self.admin_call("PUT", "/scope/openid", {
            "name": "openid", "display_name": "Open ID", "description": "OpenID Connect",
            "password_required": True, "password_max_age": 0,
            "scheme": {"mfa": [{"scheme_type": "otp", "scheme_name": OTP_SCHEME}]},
            "scheme_required": {"mfa": 1}})
        self._put_plugin(PLUGIN, "POST")
        for name, (pw, secret) in USERS.items():
            self.add_user(name, pw, secret)
        self.add_client(*CLIENT)
        self.add_client(*OTHER_CLIENT)

    # ---- the device's side (what stepupd will do) --------------------------------------
    def discovery(self, plugin=PLUGIN):
        r = Browser(self.port).request("GET", f"/api/{plugin}/.well-known/openid-configuration")
        if r.status != 200:
            raise GlewlwydError(f"discovery: {r}")
        return r.json()

    def jwks(self, plugin=PLUGIN):
        return Browser(self.port).request("GET", f"/api/{plugin}/jwks").json()

    def device_authorization(self, scope="openid", client=None, plugin=PLUGIN, extra=None):
        """POST device_authorization; returns the JSON (device_code, user_code, ...)."""
        form = {"scope": scope}
        form.update(extra or {})
        r = Browser(self.port).request("POST", f"/api/{plugin}/device_authorization",
                                       form=form, basic=client or CLIENT)
        if r.status != 200:
            raise GlewlwydError(f"device_authorization: {r}")
        return r.json()

    def token(self, device_code, client=None, plugin=PLUGIN):
        """One poll of the token endpoint: (HTTP status, JSON body)."""
        r = Browser(self.port).request("POST", f"/api/{plugin}/token",
                                       form={"grant_type": DEVICE_GRANT,
                                             "device_code": device_code},
                                       basic=client or CLIENT)
        return r.status, r.json()

    def poll(self, device_code, interval, timeout=30, client=None, plugin=PLUGIN):
        """Polls like RFC 8628 section 3.5 until a token or a final error; returns
        (status, body, polls)."""
        deadline = time.monotonic() + timeout
        polls = 0
        while True:
            status, body = self.token(device_code, client, plugin)
            polls += 1
            err = (body or {}).get("error")
            if status == 200 or err not in ("authorization_pending", "slow_down"):
                return status, body, polls
            if err == "slow_down":
                interval += 5
            if time.monotonic() + interval > deadline:
                return status, body, polls
            time.sleep(interval)

    # ---- the person's side ------------------------------------------------------------
    def login(self, username, password=None, totp_secret=None, browser=None):
        """A person signs in to Glewlwyd (password, then TOTP); returns the Browser."""
        pw, secret = self.users.get(username, (None, None))
        password = pw if password is None else password
        totp_secret = secret if totp_secret is None else totp_secret
        b = browser or Browser(self.port)
        r = b.request("POST", "/api/auth/", {"username": username, "password": password})
        if r.status != 200:
            raise GlewlwydError(f"password login of {username}: {r}")
        if totp_secret:
            # Glewlwyd's otp scheme refuses any code while the last success is less than
            # 31 s old (gso_last_used < now - 30, whole seconds of time(), whose coarse clock
            # may lag Python's by a few ms: keep a margin).
            last = self._last_otp_use.get(username)
            if last is not None and time.time() < last + 31.2:
                time.sleep(last + 31.2 - time.time())
            # The scheme accepts the current step's code only (its window is 0): keep clear
            # of a step boundary.
            into_step = time.time() % 30
            if into_step > 29 or into_step < 0.2:
                time.sleep((30.2 - into_step) % 30)
            now = time.time()
            r = b.request("POST", "/api/auth/", {
                "username": username, "scheme_type": "otp", "scheme_name": OTP_SCHEME,
                "value": {"value": totp(totp_secret, at=now)}})
            if r.status != 200:
                raise GlewlwydError(f"TOTP login of {username}: {r}")
            self._last_otp_use[username] = int(time.time())
        return b

    def confirm(self, browser, user_code, client_id=None, plugin=PLUGIN, scope="openid"):
        """Consent, then the device page's "continue": returns the Location."""
        r = browser.request("PUT", f"/api/auth/grant/{client_id or self.client_id}",
                            {"scope": scope})
        if r.status != 200:
            raise GlewlwydError(f"grant: {r}")
        r = browser.request("GET", f"/api/{plugin}/device?" +
                            urllib.parse.urlencode({"code": user_code}) + "&g_continue")
        if r.status != 302:
            raise GlewlwydError(f"device verification: {r}")
        return r.header("Location")

    def approve(self, user_code, username, password=None, totp_secret=None, client_id=None,
                plugin=PLUGIN):
        """Signs in as USERNAME (password + TOTP) and approves USER_CODE; raises unless
        Glewlwyd answers prompt=deviceComplete.  Returns the Location."""
        b = self.login(username, password, totp_secret)
        loc = self.confirm(b, user_code, client_id, plugin)
        if "prompt=deviceComplete" not in loc:
            raise GlewlwydError(f"approval of {user_code} by {username}: Location {loc}")
        return loc

    def try_approve(self, user_code, browser, client_id=None, plugin=PLUGIN):
        """The device page's answer for this browser's session, without raising: the
        Location ("prompt=deviceComplete", "prompt=deviceCodeError", or a login page)."""
        return self.confirm(browser, user_code, client_id, plugin)

    def _hash(self, value):
        return "{SHA512}" + base64.b64encode(hashlib.sha512(value.encode()).digest()).decode()

    def deny(self, user_code):
        """Refuses a pending device request.  Glewlwyd 2.7.5 has no deny endpoint; this sets
        the request's status in its database to a value its token endpoint does not accept,
        so the next poll answers 400 access_denied (as for any refused request)."""
        db = sqlite3.connect(self.db_path, timeout=10)
        try:
            cur = db.execute("UPDATE gpo_device_authorization SET gpoda_status=3 "
                             "WHERE gpoda_user_code_hash=? AND gpoda_status=0",
                             (self._hash(user_code.upper()),))
            db.commit()
            if cur.rowcount != 1:
                raise GlewlwydError(f"deny: no pending request for {user_code}")
        finally:
            db.close()

    # ---- whole flows for tests --------------------------------------------------------
    def device_flow(self, username, client=None, plugin=PLUGIN, scope="openid"):
        """The whole device flow from Python: returns (token response JSON, device
        authorization JSON, seconds)."""
        t0 = time.monotonic()
        client = client or CLIENT
        auth = self.device_authorization(scope, client, plugin)
        self.approve(auth["user_code"], username, client_id=client[0], plugin=plugin)
        status, body, _ = self.poll(auth["device_code"], 0, client=client, plugin=plugin)
        if status != 200:
            raise GlewlwydError(f"token: {status} {body}")
        return body, auth, time.monotonic() - t0

    def id_token(self, username, client=None, plugin=PLUGIN):
        """A real ID token for USERNAME (for CLIENT, or OTHER_CLIENT for a wrong aud, or
        from another plugin instance for a foreign key or issuer)."""
        return self.device_flow(username, client, plugin)[0]["id_token"]


def main():
    """python3 tests/idp/glewlwyd.py: a Glewlwyd to try things by hand.  Prints the issuer,
    client and users, then reads commands: "approve USER_CODE USER", "deny USER_CODE",
    "token USER" (prints a fresh ID token), "quit"."""
    import sys
    with Glewlwyd() as idp:
        print(f"issuer    {idp.issuer}\ndiscovery {idp.discovery_url}\n"
              f"client    {idp.client_id} / {idp.client_secret}\n"
              f"other     {idp.other_client_id} / {idp.other_client_secret}\n"
              f"users     " + ", ".join(f"{u} ({p}, TOTP {s})" for u, (p, s) in idp.users.items()) +
              f"\nworkdir   {idp.workdir}\ncommands: approve CODE USER | deny CODE | token USER"
              " | quit", flush=True)
        for line in sys.stdin:
            w = line.split()
            try:
                if not w:
                    continue
                if w[0] == "approve" and len(w) == 3:
                    print(idp.approve(w[1], w[2]), flush=True)
                elif w[0] == "deny" and len(w) == 2:
                    idp.deny(w[1])
                    print("denied", flush=True)
                elif w[0] == "token" and len(w) == 2:
                    print(idp.id_token(w[1]), flush=True)
                elif w[0] == "quit":
                    break
                else:
                    print("?", flush=True)
            except GlewlwydError as e:
                print("error:", e, flush=True)


if __name__ == "__main__":
    main()
