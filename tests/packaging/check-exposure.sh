#!/bin/bash
# Fails unless `systemd-analyze security --offline=yes UNIT` rates the exposure at MAX or less.
# Usage: check-exposure.sh UNIT_FILE MAX
set -euo pipefail
unit=$1 max=$2
out=$(cd "$(dirname "$unit")" && systemd-analyze security --offline=yes "./$(basename "$unit")" 2>&1) || true
level=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
        echo "$out"
        echo "FAIL: no exposure level from systemd-analyze security" >&2
        exit 1
fi
if ! awk -v l="$level" -v m="$max" 'BEGIN { exit !(l + 0 <= m + 0) }'; then
        echo "$out" | grep '✗'
        echo "FAIL: $(basename "$unit"): exposure $level, more than $max" >&2
        exit 1
fi
echo "ok - systemd-analyze security --offline=yes $(basename "$unit"): exposure $level (at most $max)"
