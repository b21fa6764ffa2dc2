#!/bin/bash
# Starts a private stepupd on a temporary state directory, drives a known flow through the
# built pam_stepup.so (test-metrics-flow), then checks 'stepupctl stats' (table, --json,
# --prometheus) against the exact counts, the audit trail against the counters, and that no
# secret or typed code reaches the audit output.  Needs root; skipped otherwise.
# Usage: run-metrics-tests.sh BUILD_DIR FLOW_BINARY SOURCE_DIR
set -euo pipefail
build=$1 flow=$2 src=$3
if [ "$(id -u)" != 0 ]; then echo "SKIP: metrics flow tests need root"; exit 77; fi

tmp=$(mktemp -d /tmp/stepup-metrics.XXXXXX)
daemon_pid=
cleanup() {
        if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
        rm -rf "$tmp"
}
trap cleanup EXIT
chmod 711 "$tmp" # the non-root STATS check below must reach user.sock
mod="$build/pam_stepup/pam_stepup.so"
# ... and run stepupctl: a copy it can reach (the build may be in a 0700 home)
mkdir -m 755 "$tmp/bin"
install -m 755 "$build/stepupctl/stepupctl" "$tmp/bin/stepupctl"
ctl=("$tmp/bin/stepupctl" --socket "$tmp/pam.sock" --user-socket "$tmp/user.sock")

cat > "$tmp/policy.conf" <<'POLICY'
allow when service mx-allow
deny "closed for testing" when service mx-deny
require totp within 15m when service mx-step
deny
POLICY
cat > "$tmp/stepupd.conf" <<'CONF'
rate_limit_attempts = 1000
lockout_failures = 3
CONF
chmod 644 "$tmp/policy.conf" "$tmp/stepupd.conf"
mkdir "$tmp/pam.d"
for svc in mx-allow mx-deny mx-step; do
        printf 'auth required %s socket=%s\n' "$mod" "$tmp/pam.sock" > "$tmp/pam.d/$svc"
done

mkdir -m 700 "$tmp/state"
"$build/stepupd/stepupd" --socket "$tmp/pam.sock" --user-socket "$tmp/user.sock" \
        --db "$tmp/state/stepup.db" --policy "$tmp/policy.conf" --config "$tmp/stepupd.conf" \
        2> "$tmp/stepupd.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$tmp/user.sock" ] && break; sleep 0.05; done
[ -S "$tmp/user.sock" ] || { echo "stepupd did not start:"; cat "$tmp/stepupd.log"; exit 1; }

secret_hex=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
secret_b32=$(python3 -c "import base64,sys; print(base64.b32encode(bytes.fromhex(sys.argv[1])).decode().rstrip('='))" "$secret_hex")
echo "$secret_b32" | "${ctl[@]}" enroll totp --user root --secret-stdin > /dev/null
printf '%s\n%s\n' "$secret_hex" "$secret_b32" > "$tmp/typed.root"

rc=0
STEPUP_TEST_CONFDIR="$tmp/pam.d" STEPUP_TEST_SOCKET="$tmp/pam.sock" \
STEPUP_TEST_SECRET_HEX="$secret_hex" STEPUP_TEST_TYPED="$tmp/typed" "$flow" || rc=$?

"${ctl[@]}" stats > "$tmp/stats.txt" || rc=1
"${ctl[@]}" stats --json > "$tmp/stats.json" || rc=1
"${ctl[@]}" stats --prometheus > "$tmp/stats.prom" || rc=1
# Not for others: a non-root caller on the user socket is refused.
if setpriv --reuid=65534 --regid=65534 --clear-groups "${ctl[@]}" stats > "$tmp/nonroot.out" 2>&1; then
        echo "FAIL: a non-root caller got the statistics"; rc=1
elif ! grep -q "root only" "$tmp/nonroot.out"; then
        echo "FAIL: unexpected refusal text: $(cat "$tmp/nonroot.out")"; rc=1
fi
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=
cat "$tmp/typed.root" >> "$tmp/typed"

python3 "$src/check_stats.py" "$tmp/stats.json" "$tmp/stats.prom" "$tmp/stats.txt" \
        "$tmp/stepupd.log" "$tmp/typed" || rc=1
if [ $rc != 0 ]; then
        echo "--- stepupctl stats"; cat "$tmp/stats.txt"
        echo "--- stepupd log"; cat "$tmp/stepupd.log"
fi
exit $rc
