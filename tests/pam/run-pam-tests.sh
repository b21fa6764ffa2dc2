#!/bin/bash
# Starts a private stepupd on a temporary state directory and runs the PAM transaction tests
# (test-pam) against it through the built pam_stepup.so.  Needs root (the PAM socket serves
# uid 0 only); skipped otherwise.
# Usage: run-pam-tests.sh BUILD_DIR TEST_BINARY
set -euo pipefail
build=$1 test_bin=$2
if [ "$(id -u)" != 0 ]; then echo "SKIP: PAM tests need root"; exit 77; fi

tmp=$(mktemp -d /tmp/stepup-pamtest.XXXXXX)
daemon_pid=
cleanup() {
        if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
        rm -rf "$tmp"
}
trap cleanup EXIT
# 0711: the non-root peer test must reach the sockets; the PAM socket's own 0600 is
# opened up below so that the daemon's SO_PEERCRED check is what refuses it.
chmod 711 "$tmp"
mod="$build/pam_stepup/pam_stepup.so"

cat > "$tmp/policy.conf" <<'POLICY'
require totp within 15m when service stepup-test
require totp within 0 when service stepup-always
deny "closed for testing" when service stepup-deny
allow when service stepup-allow
deny
POLICY
cat > "$tmp/stepupd.conf" <<'CONF'
# generous limits: this suite tests the flow, lockout has its own test
rate_limit_attempts = 1000
lockout_failures = 100
CONF
chmod 644 "$tmp/policy.conf" "$tmp/stepupd.conf"

mkdir "$tmp/pam.d"
for svc in stepup-test stepup-always stepup-deny stepup-allow; do
        printf 'auth required %s socket=%s\naccount required %s socket=%s\n' \
                "$mod" "$tmp/pam.sock" "$mod" "$tmp/pam.sock" > "$tmp/pam.d/$svc"
done
printf 'auth required %s socket=%s/absent.sock timeout=1\naccount required %s socket=%s/absent.sock timeout=1\n' \
        "$mod" "$tmp" "$mod" "$tmp" > "$tmp/pam.d/stepup-down"
printf 'auth sufficient %s socket=%s/absent.sock timeout=1\nauth required pam_deny.so\n' \
        "$mod" "$tmp" > "$tmp/pam.d/stepup-down-sufficient"
printf 'auth [success=1 default=ignore] %s socket=%s/absent.sock timeout=1\nauth requisite pam_deny.so\nauth required pam_permit.so\n' \
        "$mod" "$tmp" > "$tmp/pam.d/stepup-down-jump"
printf 'auth required %s socket=%s/absent.sock timeout=1 failmode=safe\n' \
        "$mod" "$tmp" > "$tmp/pam.d/stepup-down-safe"
printf 'auth required %s socket=%s/pam.sock bogus=1\n' "$mod" "$tmp" > "$tmp/pam.d/stepup-badarg"

mkdir -m 700 "$tmp/state"
"$build/stepupd/stepupd" --socket "$tmp/pam.sock" --user-socket "$tmp/user.sock" \
        --db "$tmp/state/stepup.db" --policy "$tmp/policy.conf" --config "$tmp/stepupd.conf" \
        2> "$tmp/stepupd.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$tmp/user.sock" ] && break; sleep 0.05; done
[ -S "$tmp/user.sock" ] || { echo "stepupd did not start:"; cat "$tmp/stepupd.log"; exit 1; }

chmod 666 "$tmp/pam.sock"
secret_hex=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
secret_b32=$(python3 -c "import base64,sys; print(base64.b32encode(bytes.fromhex(sys.argv[1])).decode().rstrip('='))" "$secret_hex")
echo "$secret_b32" | "$build/stepupctl/stepupctl" --socket "$tmp/pam.sock" enroll totp --user root --secret-stdin

rc=0
STEPUP_TEST_CONFDIR="$tmp/pam.d" STEPUP_TEST_SOCKET="$tmp/pam.sock" \
STEPUP_TEST_USER_SOCKET="$tmp/user.sock" STEPUP_TEST_SECRET_HEX="$secret_hex" \
        "$test_bin" || rc=$?
if [ $rc != 0 ]; then echo "--- stepupd log"; cat "$tmp/stepupd.log"; fi
# Secrets never reach the log.
if grep -q "$secret_b32" "$tmp/stepupd.log"; then echo "FAIL: the secret appears in the log"; rc=1; fi
exit $rc
