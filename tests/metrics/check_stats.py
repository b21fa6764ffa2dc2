#!/usr/bin/env python3
"""Checks what test-metrics-flow left behind against the exact expected counts.

Usage: check_stats.py STATS_JSON STATS_PROM STATS_TABLE STEPUPD_LOG TYPED
 - stepupctl stats --json: every counter, with rates and quantiles;
 - stepupctl stats --prometheus: the text exposition grammar, histogram rules, same numbers;
 - the audit trail (stepupd's stderr): one event per decision/verification, with
   STEPUP_LATENCY_US, agreeing with the counters;
 - no secret or typed code (TYPED, one a line) anywhere in the audit output."""
import json
import math
import re
import sys

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)


def eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


DECISIONS = {"allow": 3, "deny": 3, "challenge": 7}
TOTP = {"success": 1, "failure": 4, "abandoned": 1, "locked": 1, "error": 0}
SERVICES = {
    "mx-allow": dict(allow=2, deny=1, challenge=0, success=0, failure=0, abandoned=0,
                     locked=0, error=0),
    "mx-deny": dict(allow=0, deny=1, challenge=0, success=0, failure=0, abandoned=0,
                    locked=0, error=0),
    "mx-step": dict(allow=1, deny=1, challenge=7, success=1, failure=4, abandoned=1,
                    locked=1, error=0),
}
DECIDE_COUNT = 13  # every DECIDE of the flow
VERIFY_COUNT = 6   # every VERIFY of the flow
LOCKOUTS = 1


def check_json(j):
    for k, v in DECISIONS.items():
        eq(j["decisions"][k], v, f"decisions.{k}")
    eq(j["decisions"]["total"], 13, "decisions.total")
    eq(round(j["decision_shares"]["allow"], 4), round(3 / 13, 4), "share of allow")
    eq(set(j["verifications"]), {"totp", "total"}, "factors")
    for k, v in TOTP.items():
        eq(j["verifications"]["totp"][k], v, f"verifications.totp.{k}")
    eq(round(j["verifications"]["totp"]["success_rate"], 4), round(1 / 6, 4), "success rate")
    eq(j["lockouts"], LOCKOUTS, "lockouts")
    eq(j["services"], SERVICES, "services")
    eq(j["latency"]["decide"]["count"], DECIDE_COUNT, "decide latency count")
    eq(j["latency"]["verify"]["count"], VERIFY_COUNT, "verify latency count")
    for h in ("decide", "verify"):
        lat = j["latency"][h]
        check(lat["sum_us"] > 0, f"{h}: latency sum is 0")
        check(lat["buckets"][-1]["count"] <= lat["count"], f"{h}: buckets above count")


# --- Prometheus text format (version 0.0.4) -------------------------------------------------
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(rf"({NAME})(?:\{{((?:{LABEL}(?:,{LABEL})*)?,?)\}})? (\S+)(?: (-?\d+))?")


def parse_value(s):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", s):
        raise ValueError(s)
    return float(s)


def parse_prom(text):
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}}."""
    fams, order, last = {}, [], None
    check(text.endswith("\n"), "exposition does not end with a newline")
    for no, line in enumerate(text.split("\n")[:-1], 1):
        where = f"prometheus line {no}: {line!r}"
        if line.startswith("#"):
            m = re.fullmatch(rf"# (HELP|TYPE) ({NAME}) ?(.*)", line)
            if not m:
                continue  # a plain comment
            kind, fam, rest = m.groups()
            f = fams.setdefault(fam, {"type": None, "help": None, "samples": []})
            if kind == "TYPE":
                check(rest in ("counter", "gauge", "histogram", "summary", "untyped"),
                      f"{where}: bad type")
                check(f["type"] is None, f"{where}: second TYPE")
                check(not f["samples"], f"{where}: TYPE after samples")
                f["type"] = rest
            else:
                check(f["help"] is None, f"{where}: second HELP")
                f["help"] = rest
            if fam not in order:
                order.append(fam)
            last = fam
            continue
        m = SAMPLE.fullmatch(line)
        check(m is not None, f"{where}: not a sample")
        if not m:
            continue
        name = m.group(1)
        labels = dict(re.findall(LABEL, m.group(2) or ""))
        try:
            value = parse_value(m.group(7))
        except ValueError:
            check(False, f"{where}: bad value")
            continue
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and name[: -len(suf)] in fams and \
                    fams[name[: -len(suf)]]["type"] == "histogram":
                fam = name[: -len(suf)]
        check(fam in fams and fam == last, f"{where}: sample outside its family's block")
        fams.setdefault(fam, {"type": None, "help": None, "samples": []})["samples"].append(
            (name, labels, value))
    for fam, f in fams.items():
        check(f["type"] is not None and f["help"], f"{fam}: no TYPE or HELP")
        if f["type"] == "counter":
            check(fam.endswith("_total"), f"{fam}: counter name without _total")
            for _, _, v in f["samples"]:
                check(v >= 0 and v == int(v), f"{fam}: counter value {v}")
        if f["type"] == "histogram":
            check_histogram(fam, f["samples"])
    return fams


def check_histogram(fam, samples):
    buckets = [(parse_value(l["le"]), v) for n, l, v in samples if n == fam + "_bucket"]
    sums = [v for n, _, v in samples if n == fam + "_sum"]
    counts = [v for n, _, v in samples if n == fam + "_count"]
    check(len(sums) == 1 and len(counts) == 1, f"{fam}: needs one _sum and one _count")
    check(buckets and buckets[-1][0] == math.inf, f"{fam}: no +Inf bucket last")
    les = [b[0] for b in buckets]
    check(les == sorted(les) and len(set(les)) == len(les), f"{fam}: le not increasing")
    cum = [b[1] for b in buckets]
    check(cum == sorted(cum), f"{fam}: buckets not cumulative")
    if counts and buckets:
        eq(buckets[-1][1], counts[0], f"{fam}: +Inf bucket vs _count")


def histogram_quantile(q, buckets):
    """Prometheus' histogram_quantile over [(le, cumulative)] (finite le, then +Inf)."""
    total = buckets[-1][1]
    if total == 0:
        return None
    rank = q * total
    prev_le, prev = 0.0, 0.0
    for le, c in buckets:
        if c >= rank and c > prev:
            if le == math.inf:
                return prev_le
            return prev_le + (le - prev_le) * (rank - prev) / (c - prev)
        prev_le, prev = le, c
    return prev_le


def check_prom(fams, j):
    dec = {s[1]["decision"]: s[2] for s in fams["stepup_decisions_total"]["samples"]}
    eq(dec, {k: float(v) for k, v in DECISIONS.items()}, "stepup_decisions_total")
    ver = {(s[1]["outcome"], s[1]["factor"]): s[2]
           for s in fams["stepup_verifications_total"]["samples"]}
    eq(ver, {(k, "totp"): float(v) for k, v in TOTP.items()}, "stepup_verifications_total")
    sd = {(s[1]["service"], s[1]["decision"]): s[2]
          for s in fams["stepup_service_decisions_total"]["samples"]}
    for svc, row in SERVICES.items():
        for d in ("allow", "deny", "challenge"):
            eq(sd.get((svc, d)), float(row[d]), f"stepup_service_decisions_total {svc} {d}")
    eq(fams["stepup_lockouts_total"]["samples"][0][2], float(LOCKOUTS), "stepup_lockouts_total")
    for h, want in (("decide", DECIDE_COUNT), ("verify", VERIFY_COUNT)):
        fam = f"stepup_{h}_duration_seconds"
        eq(fams[fam]["type"], "histogram", f"{fam} type")
        s = fams[fam]["samples"]
        count = [v for n, _, v in s if n == fam + "_count"][0]
        eq(count, float(want), f"{fam}_count")
        total = [v for n, _, v in s if n == fam + "_sum"][0]
        check(abs(total - j["latency"][h]["sum_us"] / 1e6) < 1e-6, f"{fam}_sum vs json")
        buckets = [(parse_value(l["le"]), v) for n, l, v in s if n == fam + "_bucket"]
        eq(len(buckets), 17, f"{fam} bucket count")
        eq(buckets[0][0], 0.00005, f"{fam} first bound")
        eq(buckets[-2][0], 5.0, f"{fam} last finite bound")
        for q, key in ((0.5, "p50_us"), (0.99, "p99_us")):
            want_q = histogram_quantile(q, buckets)
            check(abs(want_q * 1e6 - j["latency"][h][key]) < 0.2,
                  f"{h} {key}: stepupctl {j['latency'][h][key]} vs histogram {want_q * 1e6}")


def check_table(text):
    check(re.search(r"^\s+allow\s+3\s+23\.1%$", text, re.M) is not None, "table: allow line")
    check(re.search(r"^\s+totp\s+1\s+4\s+1\s+1\s+0\s+16\.7%$", text, re.M) is not None,
          "table: totp line with its success rate")
    check(re.search(r"^\s+decide\s+13\s", text, re.M) is not None, "table: decide latency")
    check(re.search(r"^\s+mx-step\s+1\s+1\s+7\s+1\s+4\s+1\s+1\s+0$", text, re.M) is not None,
          "table: mx-step service line")


# --- audit trail ------------------------------------------------------------------------------
TOKEN = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)')
NUMERIC = {"latency_us", "assurance_age", "rules", "errors", "records"}


def parse_log(path):
    events = []
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line.startswith("stepupd: event="):
            continue
        fields = {}
        for k, v in TOKEN.findall(line[len("stepupd: "):]):
            if v.startswith('"'):
                v = re.sub(r"\\(.)", r"\1", v[1:-1])
            fields[k] = v
        fields["_line"] = line
        events.append(fields)
    return events


def check_audit(events, typed, j):
    by = {}
    for e in events:
        by.setdefault(e["event"], []).append(e)
    n = lambda ev, cond=lambda e: True: sum(1 for e in by.get(ev, []) if cond(e))
    decided = lambda e: "decision" in e
    eq(n("decision"), 5, "decision events")
    eq(n("challenge"), 7, "challenge events")
    eq(n("verify-ok"), 1, "verify-ok events")
    eq(n("verify-fail"), 4, "verify-fail events")
    eq(n("abandon"), 1, "abandon events")
    eq(n("lockout", decided), 2, "refused-while-locked events")
    eq(n("lockout", lambda e: not decided(e) and e.get("outcome") == "locked"), 1,
       "lockout-start events")
    eq(n("enroll"), 3, "enrolment events (root set, nobody begin and confirm)")
    eq(n("revoke"), 1, "revoke events")
    # The counters and the trail agree: one event per decision and per answer.
    t = j["verifications"]["total"]
    eq(n("decision") + n("challenge") + n("lockout", decided),
       j["decisions"]["total"] + t["locked"], "decision-type events vs counters")
    eq(n("verify-ok") + n("verify-fail") + n("abandon"),
       t["success"] + t["failure"] + t["abandoned"] + t["error"], "answer events vs counters")
    for e in events:
        if e["event"] in ("decision", "challenge", "verify-ok", "verify-fail") or \
                (e["event"] == "lockout" and decided(e)):
            check(re.fullmatch(r"\d+", e.get("latency_us", "")) is not None,
                  f"no latency_us: {e['_line']}")
        for k in NUMERIC & e.keys():
            check(re.fullmatch(r"-?\d+", e[k]) is not None, f"{k} not a number: {e['_line']}")
    # No secret, seed or typed code in any value (numeric fields are numbers, checked above).
    for secret in typed:
        for e in events:
            for k, v in e.items():
                if k in NUMERIC or k == "_line":
                    continue
                check(secret not in v, f"secret or typed code {secret!r} in {k}: {e['_line']}")


def main():
    j = json.load(open(sys.argv[1]))
    prom = open(sys.argv[2]).read()
    table = open(sys.argv[3]).read()
    events = parse_log(sys.argv[4])
    typed = [l.strip() for l in open(sys.argv[5]) if l.strip()]
    check(len(typed) >= 10, "too few typed codes recorded")
    raw = open(sys.argv[4], encoding="utf-8", errors="replace").read()
    for s in typed:
        if len(s) >= 16:  # seeds: never anywhere in the log, not even inside other text
            check(s not in raw and s.lower() not in raw, "a secret seed is in the log")
    check_json(j)
    fams = parse_prom(prom)
    check_prom(fams, j)
    check_table(table)
    check_audit(events, typed, j)
    print(f"{len(events)} audit events, {len(fams)} metric families, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
