#!/usr/bin/env python3
"""Every key idp.conf accepts (stepupd/idp_config.c's table) is documented in idp.conf(5),
and every key idp.conf(5) documents is accepted.  Usage: check_doc_keys.py SOURCE_ROOT"""
import re
import sys

root = sys.argv[1]
code = open(f"{root}/stepupd/idp_config.c").read()
table = code[code.index("static const struct key keys[]"):]
table = table[:table.index("};")]
keys = set(re.findall(r'\{"([a-z_]+)", K_', table))
page = open(f"{root}/docs/man/idp.conf.5.scd").read()
section = page[page.index("# KEYS"):page.index("# THE FLOW")]
documented = set(re.findall(r"^\*([a-z_]+)\*", section, re.M))
fails = 0
for k in sorted(keys - documented):
    print(f"FAIL: idp.conf key {k} is not in docs/man/idp.conf.5.scd")
    fails += 1
for k in sorted(documented - keys):
    print(f"FAIL: idp.conf(5) documents {k}, which stepupd does not accept")
    fails += 1
print(f"{len(keys)} keys, {fails} failed")
sys.exit(1 if fails or len(keys) < 10 else 0)
