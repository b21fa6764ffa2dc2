#!/bin/bash
# Runs one adversarial test binary as root inside a private mount namespace in which
# /etc/passwd and /etc/group are test copies with the users adv00..adv63 (the daemon
# resolves the users it decides about through NSS).  The host's /etc is never changed.
# Usage: run-adv.sh BUILD_DIR TEST_BINARY [ARGS...]
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "SKIP: the adversarial tests need root"; exit 77; fi
if [ "${1:-}" != --inside ]; then
        exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift
build=$(cd "$1" && pwd) test_bin=$2
shift 2
etc=$(mktemp -d /tmp/stepup-adv-etc.XXXXXX)
trap 'umount /etc/passwd /etc/group 2>/dev/null || true; rm -rf "$etc"' EXIT
cp /etc/passwd "$etc/passwd"
cp /etc/group "$etc/group"
for i in $(seq -w 0 63); do
        echo "adv$i:x:$((61000 + 10#$i)):61000:adversarial test user:/nonexistent:/usr/sbin/nologin" >> "$etc/passwd"
done
echo "advgroup:x:61000:" >> "$etc/group"
chmod 644 "$etc/passwd" "$etc/group"
mount --bind "$etc/passwd" /etc/passwd
mount --bind "$etc/group" /etc/group
ulimit -n 4096 2>/dev/null || true
ADV_BUILD=$build "$test_bin" "$@"
