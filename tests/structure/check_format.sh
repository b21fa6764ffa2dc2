#!/bin/bash
# Every C file of the project is as .clang-format says (clang-format from Debian 12, version
# 14): a file written by hand or by a helper and never formatted fails here, naming the file.
# Usage: check_format.sh SOURCE_ROOT
set -euo pipefail
cd "$1"
command -v clang-format > /dev/null || { echo "SKIP: clang-format is missing (tools/deps test)"; exit 77; }
mapfile -d '' files < <(find common pam_stepup stepupd stepupctl policy ssh_gate fleet tests tools \
        -name '*.[ch]' -not -path '*/build*' -print0 | sort -z)
bad=0
for f in "${files[@]}"; do
        if ! clang-format --dry-run --Werror "$f" > /dev/null 2>&1; then
                echo "not formatted: $f (clang-format -i $f)"
                bad=1
        fi
done
echo "${#files[@]} C files checked"
exit $bad
