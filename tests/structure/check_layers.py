#!/usr/bin/env python3
"""stepupd's layers, checked: no include or call cycle among stepupd/*.c, and every edge
goes from a higher layer to the same or a lower one:

    transport -> dispatch -> handlers -> services -> store -> base

An edge A -> B means A.c includes B.h (directly or through headers that have no .c of their
own), or A.o refers to a symbol that B.o defines (nm).  A file in no layer fails the check,
so a new file must be placed.  Usage: check_layers.py SRC_DIR OBJ_DIR [OBJ_DIR...]"""
import os
import re
import subprocess
import sys

LAYERS = [
    ("transport", {"main", "manager", "loops", "conn", "pool"}),
    ("dispatch", {"dispatch", "methods", "parse"}),
    ("handlers", {"h_decide", "h_gate", "h_verify", "h_status", "h_enrol", "h_factors",
                  "h_admin"}),
    ("services", {"decide", "policy_request", "challenge", "fresh_proof", "lockout", "factors",
                  "factor_totp", "factor_question", "factor_recovery", "factor_idp", "reply",
                  "peer", "remote", "clocks", "caps", "audit", "metrics", "ctx", "questions",
                  "settings", "admin_file", "idp_client", "idp_config", "idp_token",
                  "fleet_follow"}),
    ("store", {"sqldb", "local", "failures", "store_open", "store_sqlite", "store_pg",
               "store_stats", "fleet_key"}),
    # pure helpers below everything: TOTP, hashing, answers, recovery codes, fault points,
    # one bounded HTTP exchange (libcurl)
    ("base", {"totp", "answer", "secret_hash", "recovery", "faults", "http"}),
]
RANK = {name: i for i, (_, names) in enumerate(LAYERS) for name in names}


def includes(src, stem_of_header):
    """The .c stems each .c depends on through its includes (headers without a .c are
    followed to what they include)."""
    direct = {}
    for f in os.listdir(src):
        if f.endswith((".c", ".h")):
            text = open(os.path.join(src, f), encoding="utf-8").read()
            direct[f] = re.findall(r'^#include "([^"]+)"', text, re.M)
    out = {}
    for f in direct:
        if not f.endswith(".c"):
            continue
        seen, todo, deps = set(), list(direct[f]), set()
        while todo:
            h = todo.pop()
            if h in seen or h not in direct:
                continue
            seen.add(h)
            stem = h[:-2]
            if stem_of_header(stem):
                deps.add(stem)
            else:
                todo.extend(direct[h])  # a data-only header: what it includes counts
        out[f[:-2]] = deps - {f[:-2]}
    return out


def symbols(objs):
    """stem -> (defined, undefined) symbols, from nm."""
    out = {}
    for o in objs:
        stem = re.sub(r"\.c\.o$", "", os.path.basename(o))
        res = subprocess.run(["nm", o], capture_output=True, text=True, check=True)
        d, u = set(), set()
        for line in res.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "U":
                u.add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBRC":
                d.add(parts[2])
        out[stem] = (d, u)
    return out


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return comps


def main():
    src, objdirs = sys.argv[1], sys.argv[2:]
    cfiles = {f[:-2] for f in os.listdir(src) if f.endswith(".c") and not f.startswith("fuzz")}
    graph = {c: set() for c in cfiles}
    for c, deps in includes(src, lambda stem: stem in cfiles).items():
        if c in graph:  # not the fuzz targets (fuzz_*.c: test programs, in no layer)
            graph[c] |= deps
    objs = [os.path.join(d, f) for d in objdirs for f in os.listdir(d) if f.endswith(".c.o")]
    syms = symbols(objs)
    owner = {}
    for stem, (defined, _) in syms.items():
        for s in defined:
            owner[s] = stem
    calls = 0
    for stem, (_, undefined) in syms.items():
        for s in undefined:
            if s in owner and owner[s] != stem and stem in graph:
                graph[stem].add(owner[s])
                calls += 1
    bad = 0
    for c in sorted(cfiles):
        if c not in RANK:
            print("FAIL: stepupd/%s.c is in no layer (tests/structure/check_layers.py)" % c)
            bad += 1
    for a in sorted(graph):
        for b in sorted(graph[a]):
            if a in RANK and b in RANK and RANK[b] < RANK[a]:
                print("FAIL: %s (%s) depends on %s (%s), a higher layer" %
                      (a, LAYERS[RANK[a]][0], b, LAYERS[RANK[b]][0]))
                bad += 1
    for comp in cycles(graph):
        print("FAIL: a cycle among " + ", ".join(c + ".c" for c in comp))
        bad += 1
    edges = sum(len(v) for v in graph.values())
    print("%d files, %d dependencies (%d symbol references), %d problems" %
          (len(graph), edges, calls, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
