"""What the idp tests share: a real Glewlwyd (glewlwyd.py) behind the forwarder of
idp_front.py, an idp.conf for stepupd naming it, and the people who approve device codes on
Glewlwyd's real pages (each signs in once with password + TOTP, then approves more codes in
the same session, as a person still signed in to the IdP would).

Used inside the private mount namespace of tests/e2e/e2e.py (its Env makes the Unix users
alice, bob, carol, dave, erin, frank and runs stepupd): the Glewlwyd users carry the same
names, so the IdP's preferred_username is the Unix user name.
"""

import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "factors"))
import e2e  # noqa: E402
import glewlwyd as gw  # noqa: E402
import idp_front  # noqa: E402

PEOPLE = {  # Glewlwyd users besides the harness's alice and bob: password, TOTP secret
    "carol": ("pw-idp-carol", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    "dave": ("pw-idp-dave", "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"),
    "erin": ("pw-idp-erin", "ONSWG4TFORZWK3TJN5XHIZLTORSXG5DF"),
    "frank": ("pw-idp-frank", "MZXW6YTBOJRGC4TBMJQXEYLSMJQXEYLS"),
}

CODE_RE = re.compile(r"enter the code ([A-Z0-9-]+)")
URI_RE = re.compile(r"open (https?://\S+)")


def user_code(prompt):
    m = CODE_RE.search(prompt or "")
    return m.group(1) if m else None


def verification_uri(prompt):
    m = URI_RE.search(prompt or "")
    return m.group(1) if m else None


def has_qr(prompt):
    """The UTF-8 half-block QR code of common/qr_text.c: full, upper and lower blocks."""
    return prompt is not None and "\u2588" in prompt and ("\u2580" in prompt or "\u2584" in prompt)


def skip_unless_available():
    why = gw.available()
    if why:
        e2e.skip("Glewlwyd cannot run here: " + why)


class World:
    """Glewlwyd behind a Front, and idp.conf text for stepupd."""

    def __init__(self, device_interval=1, device_expiration=600, tls=False):
        """tls: the front speaks https with a certificate of its own (self.ca)."""
        self.dir = tempfile.mkdtemp(prefix="stepup-idp.")
        self.ca = idp_front.tls_pair(self.dir)[0] if tls else None
        self.front = idp_front.Front(tls=(self.ca, self.ca[:-4] + ".key") if tls else None)
        self.idp = gw.Glewlwyd(device_interval=device_interval,
                               device_expiration=device_expiration,
                               public_port=self.front.port,
                               public_scheme="https" if tls else "http")
        self.browsers = {}
        self.secret_path = os.path.join(self.dir, "client.secret")

    def start(self):
        self.idp.start()
        self.front.start(self.idp.port)
        for name, (pw, secret) in PEOPLE.items():
            self.idp.add_user(name, pw, secret)
        with open(self.secret_path, "w") as f:
            f.write(self.idp.client_secret + "\n")
        os.chmod(self.secret_path, 0o600)
        return self

    def stop(self):
        self.front.stop()
        self.idp.stop()
        e2e.safe_rmtree(self.dir)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("--- glewlwyd log (tail)\n" + self.idp.log_tail(), flush=True)
        self.stop()

    def conf(self, **extra):
        """idp.conf for the main instance (through the front); keys override or add."""
        keys = {"issuer": self.idp.issuer, "client_id": self.idp.client_id,
                "client_secret_file": self.secret_path, "scopes": "openid",
                "require_amr": "otp", "timeout": "2", "clock_skew": "1"}
        if self.ca:
            keys["ca_file"] = self.ca
        keys.update({k: str(v) for k, v in extra.items() if v is not None})
        return "".join(f"{k} = {v}\n" for k, v in keys.items() if v != "")

    def write_conf(self, path, **extra):
        with open(path, "w") as f:
            f.write(self.conf(**extra))
        os.chmod(path, 0o644)
        return path

    # ---- people -------------------------------------------------------------------------
    def browser(self, user):
        """USER's signed-in Glewlwyd session (password + TOTP, once)."""
        if user not in self.browsers:
            self.browsers[user] = self.idp.login(user)
        return self.browsers[user]

    def approve(self, code, user, plugin=gw.PLUGIN):
        loc = self.idp.confirm(self.browser(user), code, plugin=plugin)
        e2e.check("prompt=deviceComplete" in loc, f"{user} approves {code} at Glewlwyd",
                  loc, self.idp.log_tail(10))

    def mint(self, user, client=None, plugin=gw.PLUGIN):
        """A real ID token Glewlwyd issues for USER (for CLIENT, from PLUGIN), through USER's
        session: the device flow from Python."""
        client = client or (self.idp.client_id, self.idp.client_secret)
        auth = self.idp.device_authorization(client=client, plugin=plugin)
        loc = self.idp.confirm(self.browser(user), auth["user_code"], client_id=client[0],
                               plugin=plugin)
        e2e.check("deviceComplete" in loc, "minting a token", loc)
        for _ in range(20):
            st, body = self.idp.token(auth["device_code"], client=client, plugin=plugin)
            if st == 200:
                return body["id_token"]
            time.sleep(self.idp.device_interval)
        raise e2e.Failure(f"no token: {st} {body}")
