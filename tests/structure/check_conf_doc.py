#!/usr/bin/env python3
"""Every key stepupd.conf accepts (stepupd/settings.c) is documented in stepupd.conf(5) with
the range the code enforces, and every key the page documents is accepted.
Usage: check_conf_doc.py SOURCE_ROOT"""
import re
import sys

root = sys.argv[1]
code = open(f"{root}/stepupd/settings.c").read()
table = code[code.index("static const struct key keys[]"):]
table = table[:table.index("};")]
ranges = {}
for name, lo, hi in re.findall(r'K\("([a-z_]+)",\s*\w+,\s*(\w+),\s*([\w *]+)\)', table):
    ranges[name] = (lo, hi)
for name, lo, hi in re.findall(r'\{"([a-z_]+)",\s*offsetof\([^)]*\),\s*(\w+),\s*(\w+),', table):
    ranges[name] = (lo, hi)
strings = set(re.findall(r'strcmp\(k, "([a-z_]+)"\)', code))
keys = set(ranges) | strings
page = open(f"{root}/docs/man/stepupd.conf.5.scd").read()
section = page[page.index("# KEYS"):page.index("# SECURITY QUESTIONS")]
documented = {}
for line in section.splitlines():
    if line.startswith("*"):
        for name, rng in re.findall(r"\*([a-z_]+)\* \(([^,)]*)", line):
            documented[name] = rng
fails = 0


def fail(text):
    global fails
    print("FAIL: " + text)
    fails += 1


for k in sorted(keys - set(documented)):
    fail(f"stepupd.conf key {k} is not in docs/man/stepupd.conf.5.scd")
for k in sorted(set(documented) - keys):
    fail(f"stepupd.conf(5) documents {k}, which stepupd does not accept")
consts = {"SU_POOL_THREADS_MAX": "64"}
for k, (lo, hi) in sorted(ranges.items()):
    if k not in documented:
        continue
    hi = consts.get(hi, hi)
    if re.fullmatch(r"[\d *]+", hi):
        hi = str(eval(hi))  # e.g. 31 * 86400
    if documented[k] != f"{lo}-{hi}":
        fail(f"{k}: the code accepts {lo}-{hi}, stepupd.conf(5) says ({documented[k]}")
print(f"{len(keys)} keys, {fails} failed")
sys.exit(1 if fails or len(keys) < 20 else 0)
