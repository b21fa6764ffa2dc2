#!/bin/bash
# Runs one adversarial test binary as root inside a private mount namespace in which
# /etc/passwd and /etc/group are test copies with the users adv00..adv63 (group advgroup),
# replacing any host account of those names, with ids no host account uses
# (tests/lib/accounts.py; the daemon resolves the users it decides about through NSS).  The
# programs the tests start come from a copy of the build's files in a directory every user
# reaches (stepupd runs as adv61 in test_secrets; the build may be in a 0700 home).  The
# host's /etc is never changed.
# Usage: run-adv.sh BUILD_DIR TEST_BINARY [ARGS...]
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "SKIP: the adversarial tests need root"; exit 77; fi
if [ "${1:-}" != --inside ]; then
        exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) test_bin=$2
shift 2
tmp=$(mktemp -d /tmp/stepup-adv-etc.XXXXXX)
trap 'rm -rf "$tmp"' EXIT # the mounts end with the namespace
chmod 711 "$tmp"
mkdir -m 755 "$tmp/etc" "$tmp/build"
users=()
for i in $(seq -w 0 63); do users+=(--user "adv$i:advgroup"); done
python3 "$here/../lib/accounts.py" "$tmp/etc" --first-id 61000 --group advgroup \
        --gecos "adversarial test user" "${users[@]}" > /dev/null
for f in stepupd/stepupd stepupd/stepupd-faults stepupctl/stepupctl pam_stepup/pam_stepup.so \
        tests/adversarial/fail_getsockopt.so; do
        if [ -e "$build/$f" ]; then install -D -m 755 "$build/$f" "$tmp/build/$f"; fi
done
chmod -R a+rX "$tmp/build"
ulimit -n 4096 2>/dev/null || true
ADV_BUILD=$tmp/build "$test_bin" "$@"
