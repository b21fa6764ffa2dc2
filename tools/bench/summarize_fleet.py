#!/usr/bin/env python3
"""Summarises the fleet part of a tools/bench/run result directory (tools/bench/fleet):
medians with (min..max) over the runs, the targets of docs/performance.md, and plot data
(fleet_*.dat) for tools/bench/plot_fleet.gp."""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_stats import fmt, mmm, read_tsv  # noqa: E402

out = sys.argv[1]


def rows(name):
    return read_tsv(f"{out}/{name}")


verdicts = []


def target(name, value, ok):
    verdicts.append((name, value, "met" if ok else "NOT met"))


CLIENTS = ("1", "8", "64")
print("## The fleet store: results\n")
d = rows("fleet_decide.tsv")
by = collections.defaultdict(dict)
for r in d:
    by[(r["run"], r["concurrency"])][r["backend"]] = r
print("### DECIDE, allow path (fresh assurance): SQLite, PostgreSQL up, PostgreSQL stopped\n")
print("| clients | SQLite rps | PostgreSQL rps | SQLite p50 | PostgreSQL p50 | p50 ratio "
      "| PostgreSQL stopped p50 | stopped/up | SQLite p99 | PostgreSQL p99 |")
print("|---|---|---|---|---|---|---|---|---|---|")
dat = []
for c in CLIENTS:
    runs = [v for (run, cc), v in sorted(by.items()) if cc == c and len(v) == 3]
    g = lambda b, k: [float(v[b][k]) for v in runs]
    ratio = lambda a, b, k: [float(v[a][k]) / float(v[b][k]) for v in runs]
    pg_sq = mmm(ratio("postgresql", "sqlite", "p50_us"))
    down_up = mmm(ratio("postgresql-stopped", "postgresql", "p50_us"))
    print(f"| {c} | {fmt(mmm(g('sqlite', 'rps')))} | {fmt(mmm(g('postgresql', 'rps')))} | "
          f"{fmt(mmm(g('sqlite', 'p50_us')), ' us')} | "
          f"{fmt(mmm(g('postgresql', 'p50_us')), ' us')} | {fmt(pg_sq, prec=2)} | "
          f"{fmt(mmm(g('postgresql-stopped', 'p50_us')), ' us')} | {fmt(down_up, prec=2)} | "
          f"{fmt(mmm(g('sqlite', 'p99_us')), ' us')} | {fmt(mmm(g('postgresql', 'p99_us')), ' us')} |")
    dat.append((c, mmm(g("sqlite", "p50_us")), mmm(g("postgresql", "p50_us")),
                mmm(g("postgresql-stopped", "p50_us"))))
    if c == "1":
        target("allow path on PostgreSQL within 1.1x of SQLite (DECIDE p50, 1 client)",
               f"{pg_sq[0]:.2f}x", pg_sq[0] <= 1.1)
        target("PostgreSQL stopped: allow path within 1.2x of PostgreSQL up (DECIDE p50, "
               "1 client)", f"{down_up[0]:.2f}x", down_up[0] <= 1.2)
with open(f"{out}/fleet_decide.dat", "w") as f:
    for c, a, b, e in dat:
        f.write(f"{c} {' '.join(str(x) for x in a + b + e)}\n")

v = rows("fleet_verify.tsv")
SETUPS = (("sqlite", "SQLite, 1 daemon"), ("postgresql", "PostgreSQL, 1 daemon"),
          ("postgresql-3-daemons", "PostgreSQL, 3 daemons (total)"))
print("\n### DECIDE+VERIFY flows (distinct users, each code once; latency of the whole flow)\n")
print("| clients per daemon | setup | flows/s | p50 | p99 |")
print("|---|---|---|---|---|")
rps_dat, lat_dat = [], []
for c in CLIENTS:
    rr, ll = [c], [c]
    for key, label in SETUPS:
        rs = [r for r in v if r["concurrency"] == c and r["setup"] == key]
        g = lambda k: [float(r[k]) for r in rs]
        print(f"| {c} | {label} | {fmt(mmm(g('rps')))} | {fmt(mmm(g('p50_us')), ' us')} | "
              f"{fmt(mmm(g('p99_us')), ' us')} |")
        rr += list(mmm(g("rps")))
        ll += list(mmm(g("p50_us")))
    rps_dat.append(rr)
    lat_dat.append(ll)
with open(f"{out}/fleet_flow_rps.dat", "w") as f:
    f.writelines(" ".join(str(x) for x in r) + "\n" for r in rps_dat)
with open(f"{out}/fleet_flow_lat.dat", "w") as f:
    f.writelines(" ".join(str(x) for x in r) + "\n" for r in lat_dat)

try:
    imp = dict(l.split("\t") for l in open(f"{out}/fleet_import.tsv").read().split("\n") if l)
    users, secs = int(imp["import_users"]), float(imp["import_seconds"])
    print(f"\n`stepupctl fleet import`: {users} users from one SQLite database in {secs:.1f} s "
          f"({users / secs:.0f} users/s, one transaction)")
except (OSError, KeyError, ValueError):
    pass

print("\n### Targets\n")
print("| target | measured | verdict |")
print("|---|---|---|")
for name, value, ok in verdicts:
    print(f"| {name} | {value} | {ok} |")
