#!/bin/bash
# Every C file of the project is as .clang-format says (clang-format from Debian 12, version
# 14): a file written by hand or by a helper and never formatted fails here, naming the file.
# Usage: check_format.sh SOURCE_ROOT
set -euo pipefail
cd "$1"
command -v clang-format > /dev/null || { echo "SKIP: clang-format is missing (tools/deps test)"; exit 77; }
mapfile -d '' files < <(find common pam_stepup stepupd stepupctl policy ssh_gate fleet tests tools \
        -name '*.[ch]' -not -path '*/build*' -print0 | sort -z)
# One clang-format for all of them (a process per file took 25 to 50 s on a busy 2-core
# machine); each violation is reported as FILE:LINE:COL: error: ...
out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1) && rc=0 || rc=$?
bad=$(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*clang-format-violations.*/\1/p' | sort -u)
for f in $bad; do
        echo "not formatted: $f (clang-format -i $f)"
done
echo "${#files[@]} C files checked"
if [ "$rc" != 0 ] && [ -z "$bad" ]; then
        printf 'clang-format failed:\n%s\n' "$out"
fi
exit $rc
