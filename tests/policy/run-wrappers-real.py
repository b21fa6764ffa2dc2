#!/usr/bin/env python3
"""The wrappers themselves agree: every command of commands.table that stepupd follows through
an exec wrapper to a harmless program is run for real under strace, and the program the real
wrapper executes must be the one `stepupctl policy test` (su_command_canonical) names.

Only commands whose words are their arguments are run (the table's commands hold no argument
with a space), with PATH set to the fixed PATH stepupd assumes (sudo's secure_path), in a
scratch directory, and only when the program found is one of a few harmless ones (id, true,
date, and shells or interpreters running `id` or `1`): nothing that changes the system.
A wrapper that fails (an option the installed version lacks, no terminal for setsid -c)
runs nothing, which is reported and is never a difference.  Exit 77 without strace.

Usage: run-wrappers-real.py COMMANDS_TABLE STEPUPCTL"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
WRAPPERS = {"env", "nice", "nohup", "timeout", "stdbuf", "setsid", "ionice", "chrt",
            "taskset", "time"}
HARMLESS = {"id", "true", "date", "bash", "dash", "perl"}  # and python3.N, below


def harmless(path, args):
    name = os.path.basename(path)
    if name in ("bash", "dash", "perl") or name.startswith("python3"):
        # only as the table runs them: code that prints or runs id
        return not args or args in (["-c", "id"], ["-e", "1"], ["-c", "1"])
    return name in HARMLESS


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    table, ctl = sys.argv[1], sys.argv[2]
    if not shutil.which("strace"):
        print("strace is not installed: skipped")
        return 77
    work = tempfile.mkdtemp(prefix="stepup-wrappers.")
    try:
        policy = os.path.join(work, "policy.conf")
        with open(policy, "w") as f:
            f.write("allow\n")
        probe = subprocess.run(["strace", "-qq", "-o", os.path.join(work, "t"), "true"],
                               capture_output=True)
        if probe.returncode != 0:
            print("strace cannot trace here (ptrace refused): skipped")
            return 77
        compared = differ = nothing = 0
        for n, line in enumerate(open(table), 1):
            m = re.match(r'\s*(?:@merged-usr\s+)?(joined|words)\s+"((?:[^"\\]|\\.)*)"\s*=>',
                         line)
            if not m or line.lstrip().startswith("#"):
                continue
            cmd = re.sub(r'\\(["\\])', r"\1", m.group(2))
            words = cmd.split(" ")
            if "" in words or os.path.basename(os.path.realpath(words[0])) not in WRAPPERS:
                continue
            service = "sshd-command" if m.group(1) == "words" else "sudo"
            r = subprocess.run([ctl, "policy", "test", "--file", policy, "--user", "root",
                                "--groups", "", "--service", service, "--json", "--command",
                                cmd], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{table}:{n}: policy test failed: {r.stderr}")
                differ += 1
                continue
            req = json.loads(r.stdout)["request"]
            if req["command_unresolved"] or req["command_wrappers"] == 0:
                continue  # unresolved: nothing to agree on; a wrapper alone: not run here
            ours = req["command"].split(" ")
            if not harmless(ours[0], ours[1:]):
                continue
            trace = os.path.join(work, "trace")
            try:
                subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-e",
                                "signal=none", "-o", trace, "--"] + words,
                               env={"PATH": SAFE_PATH, "LANG": "C"}, cwd=work,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
            except subprocess.TimeoutExpired:
                print(f"{table}:{n}: timed out: {cmd}")
                differ += 1
                continue
            ran = [os.path.realpath(re.search(r'execve\("([^"]*)"', t).group(1))
                   for t in open(trace) if "execve(" in t and re.search(r"\) = 0$", t.strip())]
            programs = [p for p in ran if os.path.basename(p) not in WRAPPERS]
            compared += 1
            if not programs:
                nothing += 1
                print(f"{table}:{n}: the real wrapper ran nothing ({' > '.join(ran)}): {cmd}")
                continue
            if programs[0] != ours[0]:
                differ += 1
                print(f"{table}:{n}: DIFFERENT: stepupd says {ours[0]}, the wrapper ran "
                      f"{programs[0]} ({' > '.join(ran)}): {cmd}")
        print(f"{compared} commands run for real, {differ} different, {nothing} ran nothing")
        if compared < 40:
            print("too few commands compared")
            return 1
        return 1 if differ else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
