#!/usr/bin/env python3
"""Summarises a tools/bench/run result directory: medians with (min..max) over the runs, and
ratios against the baseline measured in the same run.  Writes plot data (*.dat) for plot.gp
and prints a Markdown report with the targets of docs/performance.md."""
import collections
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_stats import fmt, mmm, read_tsv  # noqa: E402

out = sys.argv[1]


def rows(name):
    return read_tsv(f"{out}/{name}")


verdicts = []


def target(name, value, ok):
    verdicts.append((name, value, "met" if ok else "NOT met"))


print("## Results\n")
# --- decide vs floor ---------------------------------------------------------------------
d = rows("decide.tsv")
by = collections.defaultdict(dict)
for r in d:
    by[(r["run"], r["concurrency"])][r["server"]] = r
print("### DECIDE, allow path (fresh assurance), vs the floor server\n")
print("| clients | floor rps | stepupd rps | rps ratio | floor p50 | stepupd p50 | p50 ratio "
      "| floor p99 | stepupd p99 |")
print("|---|---|---|---|---|---|---|---|---|")
rps_dat = []
for c in ("1", "8", "64"):
    runs = [v for (run, cc), v in sorted(by.items()) if cc == c and len(v) == 2]
    g = lambda srv, k: [float(v[srv][k]) for v in runs]
    ratio = lambda k: [float(v["stepupd"][k]) / float(v["floor"][k]) for v in runs]
    print(f"| {c} | {fmt(mmm(g('floor', 'rps')))} | {fmt(mmm(g('stepupd', 'rps')))} | "
          f"{fmt(mmm(ratio('rps')), prec=2)} | {fmt(mmm(g('floor', 'p50_us')), ' us')} | "
          f"{fmt(mmm(g('stepupd', 'p50_us')), ' us')} | {fmt(mmm(ratio('p50_us')), prec=2)} | "
          f"{fmt(mmm(g('floor', 'p99_us')), ' us')} | {fmt(mmm(g('stepupd', 'p99_us')), ' us')} |")
    rps_dat.append((c, mmm(g("floor", "rps")), mmm(g("stepupd", "rps"))))
    if c == "1":
        m = mmm(ratio("p50_us"))
        target("DECIDE p50 at most 4x the floor (1 client)", f"{m[0]:.2f}x", m[0] <= 4.0)
        lat_dat = [("p50", mmm(g("floor", "p50_us")), mmm(g("stepupd", "p50_us"))),
                   ("p99", mmm(g("floor", "p99_us")), mmm(g("stepupd", "p99_us")))]
    if c == "64":
        m = mmm(ratio("rps"))
        target("DECIDE throughput with 64 clients at least 0.25x the floor's", f"{m[0]:.2f}x",
               m[0] >= 0.25)
with open(f"{out}/decide_rps.dat", "w") as f:
    for c, a, b in rps_dat:
        f.write(f"{c} {a[0]} {a[1]} {a[2]} {b[0]} {b[1]} {b[2]}\n")
with open(f"{out}/decide_lat.dat", "w") as f:
    for k, a, b in lat_dat:
        f.write(f"{k} {a[0]} {a[1]} {a[2]} {b[0]} {b[1]} {b[2]}\n")

# --- the required-work floor and stepupd's CPU ---------------------------------------------
try:
    req = rows("required.tsv")
except OSError:
    req = []
if req:
    print("\n### Against the work a correct DECIDE cannot skip "
          "(shared/tools/required_floor.c)\n")
    print("The required floor is a single-threaded server that, besides the bare socket work, "
          "reads SO_PEERCRED, /proc/PID/stat of the caller, its parent and its session leader, "
          "asks NSS (getpwnam_r, getgrouplist) and does one SQLite primary-key lookup.  It "
          "drives its own clients, so it reports the mean time per request (1 client) and "
          "requests/s (64 clients); stepupd's figures here are from the same run.\n")
    print("| clients | required floor | stepupd | stepupd / required |")
    print("|---|---|---|---|")
    for c in ("1", "64"):
        fl = [r for r in req if r["clients"] == c and r["kind"] == "work"]
        runs_ = [r["run"] for r in fl]
        mine = {(run, cc): v for (run, cc), v in by.items() if cc == c and "stepupd" in v}
        if c == "1":
            f_us = [float(r["ns_per_req"]) / 1000 for r in fl]
            s_us = [1e6 / float(mine[(r, c)]["stepupd"]["rps"]) for r in runs_ if (r, c) in mine]
            rr = [a / b for a, b in zip(s_us, f_us)]
            print(f"| 1 (mean us/request) | {fmt(mmm(f_us), ' us')} | {fmt(mmm(s_us), ' us')} | "
                  f"{fmt(mmm(rr), prec=2)} |")
        else:
            f_r = [float(r["rps"]) for r in fl]
            s_r = [float(mine[(r, c)]["stepupd"]["rps"]) for r in runs_ if (r, c) in mine]
            rr = [a / b for a, b in zip(s_r, f_r)]
            print(f"| 64 (requests/s) | {fmt(mmm(f_r))} | {fmt(mmm(s_r))} | "
                  f"{fmt(mmm(rr), prec=2)} |")
try:
    cpu = rows("cpu.tsv")
except OSError:
    cpu = []
if cpu:
    print("\n### stepupd's CPU per allow-path DECIDE (user + system, all threads)\n")
    print("| clients | CPU per DECIDE |")
    print("|---|---|")
    for c in ("1", "64"):
        xs = [float(r["cpu_us"]) for r in cpu if r["concurrency"] == c]
        if xs:
            print(f"| {c} | {fmt(mmm(xs), ' us')} |")
            if c == "1":
                verdicts.append(("daemon CPU per allow-path DECIDE (1 client)",
                                 f"{statistics.median(xs):.0f} us", "stated"))

# --- verify ----------------------------------------------------------------------------
v = rows("verify.tsv")
print("\n### VERIFY (TOTP check + durable commit), distinct users\n")
print("| clients | verifications/s (DECIDE+VERIFY) | VERIFY p50 | VERIFY p99 |")
print("|---|---|---|---|")
ver_dat = {}
for c in ("1", "8"):
    rs = [r for r in v if r["concurrency"] == c]
    g = lambda k: [float(r[k]) for r in rs]
    print(f"| {c} | {fmt(mmm(g('rps')))} | {fmt(mmm(g('p50_us')), ' us')} | "
          f"{fmt(mmm(g('p99_us')), ' us')} |")
    ver_dat[c] = (mmm(g("p50_us")), mmm(g("p99_us")))

# --- whole process -----------------------------------------------------------------------
times = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(f"{out}/pam.raw"):
    var, ns, st = line.split()
    if ":" not in var:
        continue
    run, name = var.split(":", 1)
    times[name][run].append(int(ns) / 1e6)
med = {name: {run: statistics.median(x) for run, x in rr.items()} for name, rr in times.items()}
order = ["pam_permit", "stepup_module_only", "stepup_allow_rule", "stepup_allow",
         "stepup_verify", "google_authenticator", "oath"]
print("\n### Whole process: pamtester SERVICE USER authenticate (ms; median of each run's "
      "median)\n")
print("| variant | ms | vs pam_permit | vs google_authenticator |")
print("|---|---|---|---|")
pam_dat = []
for name in order:
    if name not in med:
        continue
    runs = sorted(med[name])
    t = mmm([med[name][r] for r in runs])
    rp = mmm([med[name][r] / med["pam_permit"][r] for r in runs])
    rg = mmm([med[name][r] / med["google_authenticator"][r] for r in runs])
    print(f"| {name} | {fmt(t, prec=2)} | {fmt(rp, prec=3)} | {fmt(rg, prec=3)} |")
    pam_dat.append((name, t))
    if name == "stepup_allow":
        target("pam_stepup allow path at most 1.15x pam_permit (whole process)",
               f"{rp[0]:.3f}x", rp[0] <= 1.15)
    if name == "stepup_verify":
        target("pam_stepup verify path no slower than pam_google_authenticator",
               f"{rg[0]:.3f}x", rg[0] <= 1.0)
with open(f"{out}/pam.dat", "w") as f:
    for name, t in pam_dat:
        f.write(f"{name} {t[0]} {t[1]} {t[2]}\n")

# --- scale -------------------------------------------------------------------------------
s = rows("scale.tsv")
print("\n### Scale: 100,000 enrolled users, 1,000,000 assurance rows vs 10 users (1 client)\n")
print("| database | DECIDE p50 | DECIDE p99 | VmHWM |")
print("|---|---|---|---|")
runs = sorted({r["run"] for r in s})
get = lambda db, k: {r["run"]: float(r[k]) for r in s if r["db"] == db}
scale_dat = []
for db in ("small", "large"):
    p50, p99, hwm = get(db, "p50_us"), get(db, "p99_us"), get(db, "vmhwm_kb")
    print(f"| {db} | {fmt(mmm(list(p50.values())), ' us')} | "
          f"{fmt(mmm(list(p99.values())), ' us')} | "
          f"{fmt(mmm([x / 1024 for x in hwm.values()]), ' MiB', 1)} |")
    scale_dat.append((db, mmm(list(p50.values()))))
ratio = mmm([get("large", "p50_us")[r] / get("small", "p50_us")[r] for r in runs])
print(f"\np50 ratio large/small: {fmt(ratio, prec=2)}")
target("at scale, p50 within 1.2x of 10 users", f"{ratio[0]:.2f}x", ratio[0] <= 1.2)
peak = max(get("large", "vmhwm_kb").values()) / 1024
try:
    peak = max(peak, int(open(f"{out}/vmhwm_main_kb").read()) / 1024)
except (OSError, ValueError):
    pass
target("peak RSS under 32 MiB", f"{peak:.1f} MiB", peak < 32)
with open(f"{out}/scale.dat", "w") as f:
    for db, t in scale_dat:
        f.write(f"{db} {t[0]} {t[1]} {t[2]}\n")
    for c, (p50, p99) in ver_dat.items():
        f.write(f"verify-p50-c{c} {p50[0]} {p50[1]} {p50[2]}\n")

print("\n### Targets\n")
print("| target | measured (median) | |")
print("|---|---|---|")
for n, val, ok in verdicts:
    print(f"| {n} | {val} | {ok} |")
