#!/usr/bin/env python3
"""Every MESSAGE_ID in stepupd/audit.c has one well-formed entry in the journal catalog.

Usage: check_catalog.py AUDIT_C CATALOG
Checks the systemd catalog format (an '-- ID' line, 'Key: value' headers up to an empty
line, then text) with Subject, Defined-By: stepup and Support; then, when journalctl is
there, builds a catalog database in a temporary --root and reads every entry back."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def audit_ids(path):
    text = open(path, encoding="utf-8").read()
    block = re.search(r"message_ids\[SU_EV_MAX_\]\s*=\s*\{(.*?)\};", text, re.S)
    if not block:
        fail(f"{path}: no message_ids table")
        return {}
    ids = dict(re.findall(r"\[(SU_EV_[A-Z_]+)\]\s*=\s*\"([^\"]*)\"", block.group(1)))
    events = re.search(r"enum su_event\s*\{(.*?)\}", open(
        os.path.join(os.path.dirname(path), "audit.h"), encoding="utf-8").read(), re.S)
    if events:
        for ev in re.findall(r"(SU_EV_[A-Z_]+)", events.group(1)):
            if ev != "SU_EV_MAX_" and ev not in ids:
                fail(f"{ev} has no MESSAGE_ID in audit.c")
    return ids


def parse_catalog(path):
    """Returns {id: (headers, body_lines)}; reports format errors."""
    entries = {}
    cur = None
    in_headers = False
    for no, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        where = f"{path}:{no}"
        if line.startswith("#"):
            continue
        if line.startswith("-- "):
            m = re.fullmatch(r"-- ([0-9a-f]{32})(?: ([a-z]{2}(?:_[A-Z]{2})?))?", line)
            if not m:
                fail(f"{where}: bad entry line {line!r}")
                cur = None
                continue
            if m.group(1) in entries:
                fail(f"{where}: duplicate entry {m.group(1)}")
            cur = (m.group(1), {}, [])
            entries[m.group(1)] = cur
            in_headers = True
            continue
        if cur is None:
            if line.strip():
                fail(f"{where}: text outside an entry")
            continue
        if in_headers:
            if line == "":
                in_headers = False
                continue
            m = re.fullmatch(r"([A-Z][A-Za-z-]*): (.+)", line)
            if not m:
                fail(f"{where}: bad header {line!r}")
                continue
            if m.group(1) in cur[1]:
                fail(f"{where}: repeated header {m.group(1)}")
            cur[1][m.group(1)] = m.group(2)
        else:
            cur[2].append(line)
            for field in re.findall(r"@([^@\s]*)@", line):
                if not re.fullmatch(r"[A-Z][A-Z0-9_]*", field):
                    fail(f"{where}: bad field reference @{field}@")
    for mid, headers, body in entries.values():
        for h in ("Subject", "Defined-By", "Support"):
            if h not in headers:
                fail(f"entry {mid}: no {h}: header")
        if headers.get("Defined-By") != "stepup":
            fail(f"entry {mid}: Defined-By is not 'stepup'")
        if not any(l.strip() for l in body):
            fail(f"entry {mid}: no explanation text")
        for f in re.findall(r"@([A-Z0-9_]+)@", headers.get("Subject", "")):
            if not f.startswith("STEPUP_"):
                fail(f"entry {mid}: Subject uses @{f}@, not a stepup field")
    return entries


def journalctl_roundtrip(catalog, ids):
    jc = shutil.which("journalctl")
    if not jc:
        print("journalctl not found: database round trip skipped")
        return
    with tempfile.TemporaryDirectory() as root:
        d = os.path.join(root, "usr/lib/systemd/catalog")
        os.makedirs(d)
        shutil.copy(catalog, os.path.join(d, "stepup.catalog"))
        r = subprocess.run([jc, f"--root={root}", "--update-catalog"], capture_output=True,
                           text=True)
        if r.returncode != 0 or r.stderr.strip():
            fail(f"journalctl --update-catalog: rc={r.returncode} {r.stderr.strip()}")
        r = subprocess.run([jc, f"--root={root}", "--list-catalog"], capture_output=True,
                           text=True)
        listed = {}
        for line in r.stdout.splitlines():
            mid, _, rest = line.partition(" ")
            listed[mid] = rest
        for ev, mid in sorted(ids.items()):
            if not listed.get(mid, "").startswith("stepup: "):
                fail(f"journalctl --list-catalog lacks {ev} ({mid})")
        print(f"journalctl --root: {len(listed)} entries in the database")


def main():
    audit_c, catalog = sys.argv[1], sys.argv[2]
    ids = audit_ids(audit_c)
    for ev, mid in ids.items():
        if not re.fullmatch(r"[0-9a-f]{32}", mid):
            fail(f"{ev}: MESSAGE_ID {mid!r} is not 32 lower-case hex digits")
    if len(set(ids.values())) != len(ids):
        fail("two events share a MESSAGE_ID")
    entries = parse_catalog(catalog)
    for ev, mid in sorted(ids.items()):
        if mid not in entries:
            fail(f"{ev} ({mid}) has no catalog entry")
    for mid in entries:
        if mid not in ids.values():
            fail(f"catalog entry {mid} matches no event in audit.c")
    journalctl_roundtrip(catalog, ids)
    print(f"{len(ids)} events, {len(entries)} catalog entries, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
