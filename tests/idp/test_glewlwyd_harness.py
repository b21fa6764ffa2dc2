"""The test IdP itself (tests/idp/glewlwyd.py): a real Glewlwyd runs the OAuth 2.0 device
grant with password + TOTP, and its answers are what docs/idp-notes.md says they are.

Exits 77 (meson's skip) when not root or Glewlwyd is not installed (tools/deps test).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glewlwyd as gw  # noqa: E402

SKIP = 77
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def show(title, token):
    header, claims = gw.jwt_parts(token)
    print(f"# {title}")
    for k in ("alg", "kid", "typ"):
        print(f"#   header {k:18} {header.get(k)!r}")
    for k in ("iss", "aud", "azp", "sub", "preferred_username", "amr", "acr", "auth_time",
              "iat", "exp", "nonce", "sid", "at_hash"):
        print(f"#   claim  {k:18} {claims.get(k)!r}")
    extra = sorted(set(claims) - {"iss", "aud", "azp", "sub", "preferred_username", "amr",
                                  "acr", "auth_time", "iat", "exp", "nonce", "sid", "at_hash"})
    print(f"#   other claims: {extra}", flush=True)
    return header, claims


def run(idp):
    t0 = time.monotonic()
    client = (idp.client_id, idp.client_secret)

    # A device code on an instance whose codes live 1 s; checked at the end (expiry).
    idp.add_plugin("short", key=idp.keys[-1], device_authorization_expiration=1)
    short = idp.device_authorization(plugin="short")
    check(short["expires_in"] == 1, "a device code of the 'short' instance lives 1 s")

    disc = idp.discovery()
    check(disc["issuer"] == idp.issuer, f"discovery issuer is {idp.issuer}")
    check(disc.get("device_authorization_endpoint") == idp.issuer + "/device_authorization",
          "discovery names the device authorization endpoint")
    check(gw.DEVICE_GRANT in disc.get("grant_types_supported", []),
          "discovery lists the device_code grant")
    check(disc.get("jwks_uri") == idp.issuer + "/jwks", "discovery names the JWKS")
    jwks = idp.jwks()
    kids = [k["kid"] for k in jwks["keys"]]
    check(len(kids) == 1 and jwks["keys"][0]["kty"] == "RSA", f"the JWKS has one RSA key {kids}")

    # The device asks; nonce and max_age are sent but Glewlwyd's device grant ignores them.
    auth = idp.device_authorization(extra={"nonce": "n-0123456789", "max_age": "0"})
    print(f"# device authorization: {auth}")
    for k in ("device_code", "user_code", "verification_uri", "verification_uri_complete",
              "expires_in", "interval"):
        check(k in auth, f"device authorization has {k}")
    check(auth["interval"] == idp.device_interval, f"interval {idp.device_interval}")
    check(auth["verification_uri"] == idp.issuer + "/device", "verification_uri")
    check(auth["verification_uri_complete"].endswith("code=" + auth["user_code"]),
          "verification_uri_complete carries the user code")
    st, body = idp.token(auth["device_code"])
    check(st == 400 and body.get("error") == "authorization_pending",
          f"first poll: authorization_pending ({st} {body})")
    st, body = idp.token(auth["device_code"])
    check(st == 400 and body.get("error") == "slow_down",
          f"a poll sooner than the interval: slow_down ({st} {body})")

    # The IdP itself demands the second factor: a password-only session cannot approve.
    b = gw.Browser(idp.port)
    r = b.request("POST", "/api/auth/", {"username": "alice", "password": idp.users["alice"][0]})
    check(r.status == 200, "alice signs in with her password")
    loc = idp.try_approve(auth["user_code"], b)
    check("deviceComplete" not in loc and "login.html" in loc,
          "with the password only, the device page sends alice back to the login page")
    st, body = idp.token(auth["device_code"])
    check(body.get("error") in ("authorization_pending", "slow_down"),
          f"not approved: the token endpoint still says wait ({st} {body})")
    bad = gw.Browser(idp.port)
    bad.request("POST", "/api/auth/", {"username": "alice", "password": idp.users["alice"][0]})
    r = bad.request("POST", "/api/auth/", {
        "username": "alice", "scheme_type": "otp", "scheme_name": gw.OTP_SCHEME,
        "value": {"value": gw.totp(idp.users["alice"][1], at=time.time() + 300)}})
    check(r.status == 401, f"a wrong TOTP code is refused ({r.status})")

    # Password + TOTP: approved.
    idp.login("alice", browser=b)
    loc = idp.try_approve(auth["user_code"], b)
    check("prompt=deviceComplete" in loc,
          "with password + TOTP the device page says deviceComplete")
    st, body = idp.token(auth["device_code"])
    check(st == 200 and "id_token" in body, f"the token endpoint returns an ID token ({st})")
    print(f"# token response keys: {sorted(body)}; token_type {body.get('token_type')}, "
          f"expires_in {body.get('expires_in')}, scope {body.get('scope')!r}")
    now = int(time.time())
    header, claims = show("alice's ID token (client stepup-test)", body["id_token"])
    check(header["alg"] == "RS256" and header.get("kid") in kids, "RS256 with the JWKS's kid")
    check(gw.verify_rs256(body["id_token"], idp.keys[-1][1], idp.workdir),
          "openssl verifies the signature with the IdP's public key")
    check(claims["iss"] == idp.issuer, "iss is the discovered issuer")
    check(claims["aud"] == idp.client_id and claims["azp"] == idp.client_id,
          "aud and azp are the client id (a string, not a list)")
    check(claims["preferred_username"] == "alice", "preferred_username is alice")
    check(claims["sub"] != "alice" and len(claims["sub"]) >= 16, "sub is an opaque string")
    check(sorted(claims.get("amr", [])) == ["otp", "password"], "amr is password + otp")
    check("acr" not in claims, "no acr")
    check("nonce" not in claims, "no nonce although one was sent")
    check(abs(claims["iat"] - now) <= 5, "iat is now")
    check(claims["auth_time"] == claims["iat"], "auth_time equals iat (the token's time)")
    check(claims["exp"] - claims["iat"] == idp.token_duration, "exp = iat + token duration")
    st, body = idp.token(auth["device_code"])
    check(st == 400 and body.get("error") == "access_denied",
          f"the device code again after its token: access_denied ({st} {body})")

    # Still signed in with a fresh TOTP: the same session approves another code at once.
    auth = idp.device_authorization()
    loc = idp.try_approve(auth["user_code"], b)
    check("deviceComplete" in loc, "alice's session approves a second code without a new TOTP")
    st, body = idp.token(auth["device_code"])
    check(st == 200 and sorted(gw.jwt_parts(body["id_token"])[1]["amr"]) == ["otp", "password"],
          "its token still says amr password + otp")

    # Refusal: Glewlwyd has no deny button; deny() refuses in its database.
    auth = idp.device_authorization()
    idp.deny(auth["user_code"])
    st, body = idp.token(auth["device_code"])
    check(st == 400 and body.get("error") == "access_denied", f"denied: access_denied ({body})")
    loc = idp.try_approve(auth["user_code"], b)
    check("deviceCodeError" in loc, "a denied code can no longer be approved")

    # A wrong client secret, a code of another client.
    auth = idp.device_authorization()
    st, body = idp.token(auth["device_code"], client=(idp.client_id, "wrong"))
    check(st == 403 and body.get("error") == "unauthorized_client",
          f"wrong client secret: 403 unauthorized_client ({st} {body})")
    st, body = idp.token(auth["device_code"],
                         client=(idp.other_client_id, idp.other_client_secret))
    check(st == 400 and body.get("error") == "access_denied",
          f"another client's device code: access_denied ({st} {body})")

    # bob approves alice's device: a real token whose preferred_username is bob.
    bob = idp.login("bob")
    loc = idp.confirm(bob, auth["user_code"])
    check("deviceComplete" in loc, "bob can approve a code the device shows for alice")
    st, body = idp.token(auth["device_code"])
    check(gw.jwt_parts(body["id_token"])[1]["preferred_username"] == "bob",
          "that token names bob (the factor must compare it with the Unix user)")

    # A real token for another audience.
    auth = idp.device_authorization(client=(idp.other_client_id, idp.other_client_secret))
    idp.confirm(bob, auth["user_code"], client_id=idp.other_client_id)
    st, body = idp.token(auth["device_code"], client=(idp.other_client_id,
                                                       idp.other_client_secret))
    _, c = show("bob's ID token for client stepup-other", body["id_token"])
    check(c["aud"] == idp.other_client_id and c["iss"] == idp.issuer,
          "another client's token: same iss, aud stepup-other")

    # A real token with the right iss signed by a key the IdP's JWKS does not have.
    idp.add_plugin("rogue", iss=idp.issuer)
    auth = idp.device_authorization(plugin="rogue")
    idp.confirm(bob, auth["user_code"], plugin="rogue")
    st, body = idp.token(auth["device_code"], plugin="rogue")
    h, c = show("bob's ID token from the 'rogue' instance", body["id_token"])
    check(c["iss"] == idp.issuer and h["kid"] not in [k["kid"] for k in idp.jwks()["keys"]],
          "rogue: the right iss, a kid not in the IdP's JWKS")
    check(not gw.verify_rs256(body["id_token"], idp.keys[-1][1], idp.workdir),
          "rogue: the IdP's key does not verify it")

    # Key rotation: new kid in the JWKS and in new tokens.
    idp.rotate_key()
    new_kids = [k["kid"] for k in idp.jwks()["keys"]]
    check(len(new_kids) == 1 and new_kids != kids, f"after rotate_key the JWKS has {new_kids}")
    auth = idp.device_authorization()
    idp.confirm(bob, auth["user_code"])
    st, body = idp.token(auth["device_code"])
    check(gw.jwt_parts(body["id_token"])[0]["kid"] == new_kids[0], "new tokens carry the new kid")

    # Expiry (the code made first; its instance lets codes live 1 s).
    time.sleep(max(0, 2.1 - (time.monotonic() - t0)))
    st, body = idp.token(short["device_code"], plugin="short")
    check(st == 400 and body.get("error") == "expired_token",
          f"after its expires_in: expired_token ({st} {body})")
    loc = idp.confirm(bob, short["user_code"], plugin="short")
    check("deviceCodeError" in loc, "an expired code can no longer be approved")

    # The whole flow in one call, as later tests will use it.
    tokens, auth, secs = idp.device_flow("carol")
    check(gw.jwt_parts(tokens["id_token"])[1]["preferred_username"] == "carol",
          f"device_flow('carol') in {secs:.2f} s")


def main():
    if os.geteuid() != 0:
        print("SKIP: the idp tests run as root, like the other integration tests")
        sys.exit(SKIP)
    why = gw.available()
    if why:
        print("SKIP: " + why)
        sys.exit(SKIP)
    t0 = time.monotonic()
    idp = gw.Glewlwyd(device_interval=2)
    try:
        idp.start()
        idp.add_user("carol", "pw-idp-carol", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        t1 = time.monotonic()
        print(f"# Glewlwyd on {idp.base_url}, configured in {t1 - t0:.2f} s", flush=True)
        run(idp)
        t2 = time.monotonic()
    except Exception:
        print("# Glewlwyd's log:\n" + idp.log_tail(), flush=True)
        raise
    finally:
        idp.stop()
    print(f"# start {t1 - t0:.2f} s, cases {t2 - t1:.2f} s, stop {time.monotonic() - t2:.2f} s")
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
