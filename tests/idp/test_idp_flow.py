#!/usr/bin/env python3
"""The idp factor against a real Glewlwyd (issue 15), through stepupd's protocol: the device
grant, approvals, refusals at the IdP, codes left to expire, ID tokens that must be refused
(another user, another audience, another key, issued before the step-up began), key rotation,
and an IdP that is down or hangs (the rule's failmode within a bounded time, while other
users' TOTP step-ups and allow decisions keep flowing).

One private mount namespace, one stepupd (tests/e2e/e2e.py's Env: Unix users alice, bob,
carol, dave, erin, frank with TOTP), one Glewlwyd (tests/idp/glewlwyd.py) behind the HTTP
forwarder of tests/idp/idp_front.py, which can swap a real token Glewlwyd issued elsewhere
into an answer, hang, or go down.  Root only; exits 77 without root or Glewlwyd.
Usage: test_idp_flow.py BUILD_DIR [CASE...]"""

import atexit
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idp_world as iw  # noqa: E402
from idp_world import e2e, gw  # noqa: E402
import stepup_client as sc  # noqa: E402

check = e2e.check

POLICY = """\
require idp within 0 when service idp-test
require idp within 0 failmode safe when service idp-safe
require totp+idp within 0 when service idp-both
require totp|idp within 0 when service idp-either
require totp within 0 when service totp-test
allow
"""

W = {}


def world(build):
    """The shared Glewlwyd and stepupd, made by the first case."""
    if "env" in W:
        return W["world"], W["env"]
    iw.skip_unless_available()
    w = iw.World(device_interval=1).start()
    W["world"] = w
    atexit.register(w.stop)
    W["conf_path"] = os.path.join(w.dir, "idp.conf")
    w.write_conf(W["conf_path"])
    env = e2e.Env(build, POLICY, conf=f"idp_config = {W['conf_path']}\n"
                  "rate_limit_attempts = 3\nrate_limit_window = 60\nchallenge_timeout = 60\n")
    env.__enter__()
    W["env"] = env
    atexit.register(env.__exit__, None, None, None)
    return w, env


def reload(env):
    rep = sc.call(env.sock, "RELOAD")
    check(rep["type"] == "OK", "RELOAD", rep)


def begin(env, user, service="idp-test"):
    c = sc.Conn(env.sock)
    return c, c.call("DECIDE", SERVICE=service, USER=user, PHASE=1)


def enter(c, rep):
    return c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER="")


def events(env, name, user, mark):
    return env.events(name, user, mark)


def status(env, user):
    return json.loads(sc.call(env.sock, "STATUS", USER=user)["DATA"])


def case_status_and_approval(build):
    w, env = world(build)
    st = status(env, "alice")["factors"]["idp"]
    check(st.get("state") == "available" and st.get("issuer") == w.idp.issuer,
          "STATUS: idp available, with the issuer", st)
    mark = env.mark()
    c, rep = begin(env, "alice")
    check(rep["type"] == "CHALLENGE" and rep.get("FACTOR") == "idp", "a challenge for idp", rep)
    p = rep.get("PROMPT", "")
    code = iw.user_code(p)
    check(code and re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), "the prompt has the code", p)
    check(iw.verification_uri(p) == w.idp.issuer + "/device", "the prompt has the URL", p)
    check(iw.has_qr(p), "the prompt has the QR code", p)
    check(p.rstrip().endswith("Press Enter once you have approved it:"), "it asks for Enter", p)
    check(rep.get("ECHO") == 1 and rep.get("ENTER") == 1, "ECHO and ENTER on the challenge", rep)
    # Enter before approving: asked again, never counted (rate limit here: 3 a minute).
    for i in range(4):
        rep = enter(c, rep)
        check(rep["type"] == "CHALLENGE" and "Not approved yet" in rep.get("PROMPT", ""),
              f"Enter #{i + 1} before approving: asked again", rep)
    check(status(env, "alice")["consecutive_failures"] == 0, "no failure counted")
    w.approve(code, "alice")
    t0 = time.monotonic()
    rep = enter(c, rep)
    took = time.monotonic() - t0
    c.close()
    check(rep["type"] == "ALLOW", "approved at Glewlwyd: ALLOW", rep, env.log()[mark:])
    check(took < 3, f"the Enter after approving answered in {took:.2f} s")
    ok = events(env, "verify-ok", "alice", mark)
    check(ok and "factor=idp" in ok[-1], "audit: verify-ok for factor idp", env.log()[mark:])
    stats = json.loads(sc.call(env.sock, "STATS")["DATA"])
    check(stats["factors"]["idp"]["outcomes"]["success"] >= 1, "metrics count the idp success",
          stats["factors"])
    st = status(env, "alice")["factors"]["idp"]
    check(st.get("discovered") is True, "STATUS: discovered", st)
    # stepupctl prints the factor's columns; policy test knows the keyword
    out = env.ctl("status", "--user", "alice").stdout
    line = re.search(r"^idp\s.*$", out, re.M)
    check(line and "state=available" in line.group(0) and
          "issuer=" + w.idp.issuer in line.group(0), "stepupctl status shows idp", out)
    r = env.ctl("policy", "test", "--file", os.path.join(env.tmp, "policy.conf"), "--user",
                "alice", "--service", "idp-both", check_rc=False)
    check("require" in r.stdout and "totp+idp" in r.stdout, "stepupctl policy test: totp+idp",
          r.stdout, r.stderr)
    log = env.log()[mark:]
    check(code not in log, "the user code is not in the log")


def case_denied_at_idp(build):
    w, env = world(build)
    mark = env.mark()
    before = status(env, "bob")["consecutive_failures"]
    c, rep = begin(env, "bob")
    w.idp.deny(iw.user_code(rep["PROMPT"]))
    rep = enter(c, rep)
    c.close()
    check(rep["type"] == "DENY" and "denied at the identity provider" in rep.get("MESSAGE", ""),
          "denied at the IdP: DENY that says so", rep)
    fail = events(env, "verify-fail", "bob", mark)
    check(fail and "access_denied" in fail[-1] and "factor=idp" in fail[-1],
          "audit: verify-fail, access_denied", env.log()[mark:])
    check(status(env, "bob")["consecutive_failures"] == before + 1,
          "a refusal at the IdP counts as a failure")


def case_code_expired(build):
    w, env = world(build)
    # An instance whose codes live 2 s, as the provider stepupd asks.
    if "short" not in w.idp.plugin_keys:
        w.idp.add_plugin("short", key=w.idp.keys[-1], device_authorization_expiration=2)
    w.write_conf(W["conf_path"], issuer=w.idp.issuer_of("short"))
    reload(env)
    try:
        mark = env.mark()
        c, rep = begin(env, "carol")
        check(rep["type"] == "CHALLENGE", "a challenge", rep)
        time.sleep(3)
        rep = enter(c, rep)
        c.close()
        check(rep["type"] == "DENY" and "expired" in rep.get("MESSAGE", ""),
              "left to expire: DENY", rep)
        ab = events(env, "abandon", "carol", mark)
        check(ab and "outcome=expired" in ab[-1] and "expired_token" in ab[-1],
              "audit: abandon, expired (expired_token)", env.log()[mark:])
    finally:
        w.write_conf(W["conf_path"])
        reload(env)


def case_another_user_approves(build):
    w, env = world(build)
    mark = env.mark()
    c, rep = begin(env, "dave")
    w.approve(iw.user_code(rep["PROMPT"]), "bob")  # bob approves the code shown to dave
    rep = enter(c, rep)
    c.close()
    check(rep["type"] == "DENY" and "another user" in rep.get("MESSAGE", ""),
          "bob's approval for dave: DENY", rep)
    fail = events(env, "verify-fail", "dave", mark)
    check(fail and "another user" in fail[-1], "audit says another user", env.log()[mark:])


def swapped(w, env, user, token, why):
    """A real approval by USER whose token answer carries TOKEN instead; the DENY's text."""
    mark = env.mark()
    c, rep = begin(env, user)
    w.approve(iw.user_code(rep["PROMPT"]), user)
    w.front.swap_id_token(token)
    rep = enter(c, rep)
    c.close()
    check(rep["type"] == "DENY", f"{why}: DENY", rep, env.log()[mark:])
    fail = events(env, "verify-fail", user, mark)
    check(fail, f"{why}: audited", env.log()[mark:])
    return rep.get("MESSAGE", ""), fail[-1] if fail else ""


def case_wrong_audience(build):
    w, env = world(build)
    token = w.mint("erin", client=(w.idp.other_client_id, w.idp.other_client_secret))
    check(gw.jwt_parts(token)[1]["aud"] == w.idp.other_client_id, "minted for stepup-other")
    msg, ev = swapped(w, env, "erin", token, "another audience")
    check("(aud)" in msg and "(aud)" in ev, "refused for its audience", msg, ev)


def case_other_key(build):
    w, env = world(build)
    if "rogue" not in w.idp.plugin_keys:
        w.idp.add_plugin("rogue", iss=w.idp.issuer)
    token = w.mint("frank", plugin="rogue")
    h, claims = gw.jwt_parts(token)
    check(claims["iss"] == w.idp.issuer and claims["preferred_username"] == "frank",
          "the rogue token has the right issuer and user")
    msg, ev = swapped(w, env, "frank", token, "another key")
    check("key" in msg and "key" in ev, "refused for its key", msg, ev)


def case_issued_before_the_step_up(build):
    w, env = world(build)
    token = w.mint("alice")
    time.sleep(2.2)  # clock_skew = 1 in idp.conf
    msg, ev = swapped(w, env, "alice", token, "an older token")
    check("issued before the step-up began" in msg, "refused as older than the step-up", msg)


def case_key_rotation(build):
    w, env = world(build)
    old = [k["kid"] for k in w.idp.jwks()["keys"]]
    w.idp.rotate_key()
    check([k["kid"] for k in w.idp.jwks()["keys"]] != old, "the IdP has a new key")
    c, rep = begin(env, "carol")
    w.approve(iw.user_code(rep["PROMPT"]), "carol")
    rep = enter(c, rep)
    c.close()
    check(rep["type"] == "ALLOW", "a token with the new kid: keys fetched again, ALLOW", rep,
          env.log()[-2000:])


def case_totp_and_idp(build):
    w, env = world(build)
    c, rep = begin(env, "dave", "idp-both")
    check(rep["type"] == "CHALLENGE" and rep.get("FACTOR") == "totp", "totp first", rep)
    rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=env.code("dave"))
    check(rep["type"] == "CHALLENGE" and rep.get("FACTOR") == "idp", "then idp", rep)
    w.approve(iw.user_code(rep["PROMPT"]), "dave")
    rep = enter(c, rep)
    c.close()
    check(rep["type"] == "ALLOW", "totp+idp: ALLOW", rep)
    # totp|idp: a user without TOTP gets idp
    env.ctl("reset", "--user", "erin", "--factor", "totp")
    try:
        c, rep = begin(env, "erin", "idp-either")
        check(rep["type"] == "CHALLENGE" and rep.get("FACTOR") == "idp",
              "totp|idp without TOTP: idp", rep)
        c.close()
    finally:
        env.enrol("erin")


def case_idp_down(build):
    w, env = world(build)
    w.front.down()
    try:
        mark = env.mark()
        t0 = time.monotonic()
        rep = sc.call(env.sock, "DECIDE", SERVICE="idp-test", USER="bob", PHASE=1)
        took = time.monotonic() - t0
        check(rep["type"] == "DENY" and "unavailable" in rep.get("MESSAGE", ""),
              "IdP down, failmode secure: DENY (unavailable)", rep)
        check(took < 2.5, f"answered in {took:.2f} s")
        dec = events(env, "decision", "bob", mark)
        check(dec and "reason=unavailable" in dec[-1], "audit: unavailable", env.log()[mark:])
        rep = sc.call(env.sock, "DECIDE", SERVICE="idp-safe", USER="bob", PHASE=1)
        check(rep["type"] == "ALLOW" and "failmode safe" in rep.get("MESSAGE", ""),
              "IdP down, failmode safe: ALLOW, said", rep)
        check(any("failmode safe" in x for x in events(env, "decision", "bob", mark)),
              "audit: allowed by failmode safe")
        st = status(env, "bob")["factors"]["idp"]
        check(st.get("last_error"), "STATUS shows the last error", st)
    finally:
        w.front.up()


def case_idp_down_after_the_code(build):
    w, env = world(build)
    for service, want in (("idp-test", "DENY"), ("idp-safe", "ALLOW")):
        c, rep = begin(env, "carol", service)
        check(rep["type"] == "CHALLENGE", "the code is shown", rep)
        w.front.down()
        try:
            rep = enter(c, rep)
        finally:
            w.front.up()
        c.close()
        check(rep["type"] == want and "unavailable" in rep.get("MESSAGE", ""),
              f"IdP gone before Enter ({service}): {want}", rep)


def case_idp_hangs_others_flow(build):
    """Four idp step-ups wait on a hung IdP (Glewlwyd stopped with SIGSTOP: connections are
    accepted by the kernel, nothing answers), more than the three pool threads it may hold;
    meanwhile TOTP step-ups and allow decisions of other users are answered at once."""
    w, env = world(build)
    w.idp.proc.send_signal(signal.SIGSTOP)
    results = []

    def hung(user):
        t0 = time.monotonic()
        try:
            rep = sc.call(env.sock, "DECIDE", SERVICE="idp-test", USER=user, PHASE=1)
        except OSError as e:
            rep = {"type": "error", "e": str(e)}
        results.append((user, rep, time.monotonic() - t0))

    try:
        threads = [threading.Thread(target=hung, args=(u,)) for u in ("alice", "bob", "carol")]
        for t in threads:
            t.start()
        time.sleep(0.3)  # they are on the pool, waiting on the IdP
        # a fourth finds the three pool threads an IdP may hold taken: busy, which a local
        # user could bring about, so refused even under failmode safe
        t0 = time.monotonic()
        rep = sc.call(env.sock, "DECIDE", SERVICE="idp-safe", USER="dave", PHASE=1)
        busy_took = time.monotonic() - t0
        check(rep["type"] == "DENY" and "busy" in rep.get("MESSAGE", ""),
              "a fourth idp step-up (failmode safe): DENY, busy", rep)
        check(busy_took < 0.5, f"busy answered at once ({busy_took:.2f} s)")
        lat = []
        for _ in range(3):
            t0 = time.monotonic()
            rep = sc.call(env.sock, "DECIDE", SERVICE="other", USER="frank", PHASE=1)
            lat.append(time.monotonic() - t0)
            check(rep["type"] == "ALLOW", "an allow decision meanwhile", rep)
        t0 = time.monotonic()
        c, rep = begin(env, "erin", "totp-test")
        check(rep["type"] == "CHALLENGE" and rep.get("FACTOR") == "totp", "erin's TOTP", rep)
        rep = c.call("VERIFY", CHALLENGE=rep["CHALLENGE"], ANSWER=env.code("erin"))
        c.close()
        totp_took = time.monotonic() - t0
        check(rep["type"] == "ALLOW", "erin's TOTP step-up meanwhile: ALLOW", rep)
        for t in threads:
            t.join(10)
    finally:
        w.idp.proc.send_signal(signal.SIGCONT)
    check(max(lat) < 0.5, f"allow decisions while the IdP hangs: {[round(x, 3) for x in lat]}")
    check(totp_took < 1.0, f"a TOTP step-up while the IdP hangs: {totp_took:.2f} s")
    check(len(results) == 3, "every hung step-up answered", results)
    for user, rep, took in results:
        check(rep["type"] == "DENY" and "unavailable" in rep.get("MESSAGE", ""),
              f"{user}: IdP hangs: DENY (unavailable)", rep)
        check(took < 3.5, f"{user}: answered within the bound ({took:.2f} s, timeout 2 s)")
    print(f"# meanwhile: allow decisions in {[round(x * 1000, 1) for x in lat]} ms, a TOTP "
          f"step-up (DECIDE + VERIFY) in {totp_took * 1000:.0f} ms", flush=True)
    print("# hung idp step-ups answered after " +
          ", ".join(f"{u} {t:.2f}s" for u, _, t in sorted(results)), flush=True)


def run_stepupd(build, idp_conf, tmp):
    policy = os.path.join(tmp, "policy.conf")
    with open(policy, "w") as f:
        f.write("allow\n")
    os.makedirs(os.path.join(tmp, "state"), 0o700, exist_ok=True)
    r = subprocess.run([os.path.join(build, "stepupd", "stepupd"),
                        "--socket", os.path.join(tmp, "pam.sock"), "--user-socket", "",
                        "--db", os.path.join(tmp, "state", "db"), "--policy", policy,
                        "--config", os.path.join(tmp, "none.conf"), "--idp-config", idp_conf],
                       capture_output=True, text=True, timeout=20)
    return r.returncode, r.stderr


def case_bad_config_stops_stepupd(build):
    w, _ = world(build)
    tmp = os.path.join(w.dir, "bad")
    os.makedirs(tmp, exist_ok=True)
    conf = os.path.join(tmp, "idp.conf")
    good = w.conf()
    cases = [
        (good + "colour = blue\n", 0o644, f"{conf}:8: unknown key 'colour'"),
        (good + "cache = 99999\n", 0o644, f"{conf}:8: cache must be a number from 0 to 86400"),
        (good.replace(w.idp.issuer, "http://idp.example.com"), 0o644,
         f"{conf}:1: issuer must be an https:// URL"),
        (good + "issuer = https://x\n", 0o644, f"{conf}:8: issuer given twice"),
        (good.replace("client_id", "#client_id"), 0o644, "issuer and client_id are required"),
        (good, 0o664, f"{conf}: "),  # group-writable
    ]
    for text, mode, want in cases:
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, mode)
        rc, err = run_stepupd(build, conf, tmp)
        check(rc != 0 and want in err, f"stepupd refuses ({want})", rc, err)
    # the client secret must be readable by its owner only
    secret = os.path.join(tmp, "secret")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    os.chmod(secret, 0o644)
    with open(conf, "w") as f:
        f.write(w.conf(client_secret_file=secret))
    os.chmod(conf, 0o644)
    rc, err = run_stepupd(build, conf, tmp)
    check(rc != 0 and secret in err, "a client secret readable by others stops stepupd", err)
    # a broken idp.conf on RELOAD keeps the old rules, and says file:line
    env = W["env"]
    with open(W["conf_path"], "w") as f:
        f.write(w.conf() + "bogus\n")
    try:
        rep = sc.call(env.sock, "RELOAD")
        check(rep["type"] == "ERROR" and f"{W['conf_path']}:8:" in rep.get("BODY", ""),
              "RELOAD with a broken idp.conf: ERROR with file:line", rep)
    finally:
        w.write_conf(W["conf_path"])
        reload(env)
    c, rep = begin(env, "bob")
    check(rep["type"] == "CHALLENGE" and rep.get("FACTOR") == "idp", "the old idp.conf stayed",
          rep)
    c.close()


def case_discovery_issuer_must_match(build):
    w, env = world(build)
    # Glewlwyd's document says its own issuer; stepupd configured with another spelling
    w.write_conf(W["conf_path"], issuer=w.idp.issuer + "/")
    reload(env)
    try:
        rep = sc.call(env.sock, "DECIDE", SERVICE="idp-test", USER="frank", PHASE=1)
        check(rep["type"] == "DENY" and "unavailable" in rep.get("MESSAGE", ""),
              "an issuer that differs from the document's: unavailable", rep)
        st = status(env, "frank")["factors"]["idp"]
        check("issuer" in st.get("last_error", ""), "STATUS says why", st)
    finally:
        w.write_conf(W["conf_path"])
        reload(env)


def case_client_secret_post(build):
    """A client that authenticates with client_secret_post (the secret in the form)."""
    w, env = world(build)
    if "post" not in W:
        w.idp.add_client("stepup-post", "secret-stepup-post", auth="client_secret_post")
        W["post"] = os.path.join(w.dir, "post.secret")
        with open(W["post"], "w") as f:
            f.write("secret-stepup-post\n")
        os.chmod(W["post"], 0o600)
    w.write_conf(W["conf_path"], client_id="stepup-post", client_secret_file=W["post"],
                 client_auth="client_secret_post")
    reload(env)
    try:
        c, rep = begin(env, "carol")
        check(rep["type"] == "CHALLENGE", "client_secret_post: the code is shown", rep)
        loc = w.idp.confirm(w.browser("carol"), iw.user_code(rep["PROMPT"]),
                            client_id="stepup-post")
        check("deviceComplete" in loc, "carol approves for stepup-post", loc)
        rep = enter(c, rep)
        c.close()
        check(rep["type"] == "ALLOW", "client_secret_post: ALLOW", rep)
        # the same client with HTTP Basic: Glewlwyd refuses it, so the step-up is unavailable
        w.write_conf(W["conf_path"], client_id="stepup-post", client_secret_file=W["post"])
        reload(env)
        rep = sc.call(env.sock, "DECIDE", SERVICE="idp-test", USER="carol", PHASE=1)
        check(rep["type"] == "DENY" and "unavailable" in rep.get("MESSAGE", ""),
              "a client refused by the IdP: unavailable", rep)
    finally:
        w.write_conf(W["conf_path"])
        reload(env)


def case_slow_down(build):
    """The provider wants 3 s between polls; the device answer says 1 (the forwarder): the
    second poll gets slow_down, and from then on stepupd polls 6 s apart however often
    Enter is pressed (RFC 8628 3.5), then succeeds."""
    w, env = world(build)
    if "slow" not in w.idp.plugin_keys:
        w.idp.add_plugin("slow", key=w.idp.keys[-1], device_authorization_interval=3)
    w.write_conf(W["conf_path"], issuer=w.idp.issuer_of("slow"))
    reload(env)
    w.front.device_interval = 1
    try:
        c, rep = begin(env, "dave")
        code = iw.user_code(rep.get("PROMPT"))
        start = time.monotonic()
        approved = False
        while rep["type"] == "CHALLENGE" and time.monotonic() - start < 10:
            if not approved and time.monotonic() - start > 1.5:  # after the slow_down
                w.idp.confirm(w.browser("dave"), code, plugin="slow")
                approved = True
            rep = enter(c, rep)
        took = time.monotonic() - start
        c.close()
        check(rep["type"] == "ALLOW", "approved: ALLOW", rep)
        polls = [t for t, m, p in w.front.requests if p.endswith("/slow/token") and t >= start]
        gaps = [round(b - a, 1) for a, b in zip(polls, polls[1:])]
        print(f"# token polls: gaps {gaps} s; ALLOW after {took:.1f} s", flush=True)
        check(len(polls) == 3 and gaps[0] < 2 and gaps[1] >= 5.9,
              "after slow_down the next poll waits 1 + 5 s, however often Enter is pressed",
              gaps)
    finally:
        w.front.device_interval = None
        w.write_conf(W["conf_path"])
        reload(env)


def case_tls(build):
    """An https provider (the front with a certificate of its own): trusted through
    ca_file, refused without it (the system's store does not know it)."""
    _, env = world(build)
    with iw.World(device_interval=1, tls=True) as t:
        check(t.idp.issuer.startswith("https://"), "an https issuer", t.idp.issuer)
        t.write_conf(W["conf_path"])
        reload(env)
        try:
            c, rep = begin(env, "bob")
            check(rep["type"] == "CHALLENGE" and iw.verification_uri(rep.get("PROMPT")) ==
                  t.idp.issuer + "/device", "https with ca_file: the code is shown", rep)
            t.approve(iw.user_code(rep["PROMPT"]), "bob")
            rep = enter(c, rep)
            c.close()
            check(rep["type"] == "ALLOW", "https with ca_file: ALLOW", rep)
            t.write_conf(W["conf_path"], ca_file="")
            reload(env)
            rep = sc.call(env.sock, "DECIDE", SERVICE="idp-test", USER="bob", PHASE=1)
            check(rep["type"] == "DENY" and "unavailable" in rep.get("MESSAGE", ""),
                  "https without ca_file: the certificate is not trusted, DENY", rep)
            st = status(env, "bob")["factors"]["idp"]
            print("# without ca_file, STATUS says:", st.get("last_error"), flush=True)
            check("certificate" in st.get("last_error", "").lower(), "STATUS says why", st)
        finally:
            W["world"].write_conf(W["conf_path"])
            reload(env)


CASES = [case_status_and_approval, case_denied_at_idp, case_code_expired,
         case_another_user_approves, case_wrong_audience, case_other_key,
         case_issued_before_the_step_up, case_key_rotation, case_totp_and_idp, case_idp_down,
         case_idp_down_after_the_code, case_idp_hangs_others_flow,
         case_bad_config_stops_stepupd, case_discovery_issuer_must_match,
         case_client_secret_post, case_slow_down, case_tls]

if __name__ == "__main__":
    e2e.main(CASES, needs=("oathtool", "setpriv", "unshare", "openssl"))
