#!/bin/bash
# A broken policy never replaces a working one in a running stepupd: SIGHUP and
# `stepupctl policy reload` with a broken (or unsafe) file keep the old policy deciding, and
# `policy reload` exits 1 with the file:line:column diagnostics.  Root only (DECIDE and RELOAD
# are for uid 0 on the PAM socket); touches nothing outside its temporary directory.
# Usage: run-reload-tests.sh BUILD_DIR DECIDE_CLIENT SLOW_CLOSE_SHIM
set -euo pipefail
build=$1 decide=$2 shim=$3
if [ "$(id -u)" != 0 ]; then echo "SKIP: the reload tests need root"; exit 77; fi
ctl="$build/stepupctl/stepupctl"

tmp=$(mktemp -d /tmp/stepup-reload.XXXXXX)
daemon_pid=
cleanup() {
        if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
        rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# put FILE TEXT: replace FILE atomically, 0644 (what an admin's editor or `policy edit` does)
put() { printf '%s\n' "$2" > "$1.new"; chmod 644 "$1.new"; mv -f "$1.new" "$1"; }
expect_decision() { # WHAT SERVICE WANT
        local got
        got=$("$decide" "$tmp/pam.sock" "$2" root 2>&1) || true
        if [ "$got" = "$3" ]; then ok "$1: $got"; else fail "$1: got '$got', want '$3'"; fi
}
log_count() { grep -c "$1" "$tmp/stepupd.log" || true; }

put "$tmp/policy.conf" 'deny "old policy" when service probe
allow'
: > "$tmp/stepupd.conf"; chmod 644 "$tmp/stepupd.conf"
mkdir -m 700 "$tmp/state"
# The shim does nothing until $tmp/slow exists (case 6).
LD_PRELOAD=$shim STEPUP_TEST_SLOW_FLAG=$tmp/slow \
        "$build/stepupd/stepupd" --socket "$tmp/pam.sock" --user-socket '' \
        --db "$tmp/state/stepup.db" --policy "$tmp/policy.conf" --config "$tmp/stepupd.conf" \
        --questions "$tmp/questions.conf" 2> "$tmp/stepupd.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$tmp/pam.sock" ] && break; sleep 0.05; done
[ -S "$tmp/pam.sock" ] || { echo "stepupd did not start:"; cat "$tmp/stepupd.log"; exit 1; }
old="deny $tmp/policy.conf:1: old policy"
expect_decision "the first policy decides" probe "$old"

# 1. SIGHUP with a broken file: refused, the old policy stays.
put "$tmp/policy.conf" 'require totpp when service probe
allow'
before=$(log_count "policy reload failed")
kill -HUP "$daemon_pid"
for _ in $(seq 100); do [ "$(log_count "policy reload failed")" -gt "$before" ] && break; sleep 0.05; done
if [ "$(log_count "policy reload failed")" -gt "$before" ]; then ok "SIGHUP: the reload failed"; else fail "SIGHUP: no failed reload in the log"; fi
grep -q "policy.conf:1:9: error: unknown factor 'totpp'" "$tmp/stepupd.log" && ok "SIGHUP: the diagnostic is logged" || fail "SIGHUP: no diagnostic in the log"
expect_decision "after SIGHUP with a broken file" probe "$old"

# 2. policy reload with the broken file: exit 1, diagnostics printed, the old policy stays.
rc=0
"$ctl" --socket "$tmp/pam.sock" policy reload > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 1 ] && ok "policy reload: exit 1" || fail "policy reload: exit $rc, want 1"
grep -q "^$tmp/policy.conf:1:9: error: unknown factor 'totpp' (expected totp, question, recovery or idp)" "$tmp/err" &&
        ok "policy reload: prints file:line:column" || { fail "policy reload: no diagnostic"; cat "$tmp/err"; }
grep -q "the old one stays" "$tmp/err" && ok "policy reload: says the old policy stays" || fail "policy reload: message"
expect_decision "after policy reload with a broken file" probe "$old"

# 3. A file that parses but is group writable is refused too (file safety, not syntax).
put "$tmp/policy.conf" 'deny "writable policy" when service probe
allow'
chmod 664 "$tmp/policy.conf"
rc=0
"$ctl" --socket "$tmp/pam.sock" policy reload > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -q "group or world writable" "$tmp/err" && ok "a group-writable policy is refused" ||
        { fail "group-writable policy: exit $rc"; cat "$tmp/err"; }
expect_decision "after a group-writable file" probe "$old"

# 4. A broken drop-in refuses the whole set.
chmod 644 "$tmp/policy.conf"
mkdir -m 755 "$tmp/policy.d"
put "$tmp/policy.d/10-x.conf" 'allow when'
rc=0
"$ctl" --socket "$tmp/pam.sock" policy reload > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -q "^$tmp/policy.d/10-x.conf:1:" "$tmp/err" && ok "a broken drop-in refuses the set" ||
        { fail "broken drop-in: exit $rc"; cat "$tmp/err"; }
expect_decision "after a broken drop-in" probe "$old"
rm "$tmp/policy.d/10-x.conf"

# 5. A good file is taken, by policy reload and by SIGHUP.
rc=0
"$ctl" --socket "$tmp/pam.sock" policy reload > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 0 ] && grep -q "policy reloaded" "$tmp/out" && ok "policy reload: a good file is taken" ||
        { fail "policy reload of a good file: exit $rc"; cat "$tmp/err"; }
expect_decision "after a good reload" probe "deny $tmp/policy.conf:1: writable policy"
put "$tmp/policy.conf" 'deny "sighup policy" when service probe
allow'
before=$(log_count "policy loaded")
kill -HUP "$daemon_pid"
for _ in $(seq 100); do [ "$(log_count "policy loaded")" -gt "$before" ] && break; sleep 0.05; done
expect_decision "after SIGHUP with a good file" probe "deny $tmp/policy.conf:1: sighup policy"
expect_decision "other services" other "allow $tmp/policy.conf:2"

# 6. Two reloads at once: a RELOAD (on a pool thread) still loading the file as it was, and a
# SIGHUP after the file was replaced.  The newer file must be in force at the end: the slow
# load must not install last the policy the admin had just replaced.
put "$tmp/policy.conf" 'deny "version A" when service probe
allow'
"$ctl" --socket "$tmp/pam.sock" policy reload > /dev/null 2>&1 || fail "reload of version A"
expect_decision "version A in force" probe "deny $tmp/policy.conf:1: version A"
touch "$tmp/slow"
before=$(log_count "policy loaded")
"$ctl" --socket "$tmp/pam.sock" policy reload > "$tmp/slow.out" 2>&1 &
slow_pid=$!
sleep 0.5 # the RELOAD has read version A and waits in the shim
put "$tmp/policy.conf" 'deny "version B" when service probe
allow'
kill -HUP "$daemon_pid"
wait "$slow_pid" || fail "the slow RELOAD failed: $(cat "$tmp/slow.out")"
rm -f "$tmp/slow"
for _ in $(seq 200); do [ "$(log_count "policy loaded")" -ge $((before + 2)) ] && break; sleep 0.05; done
[ "$(log_count "policy loaded")" -ge $((before + 2)) ] && ok "both overlapping reloads finished" ||
        fail "overlapping reloads: $(( $(log_count "policy loaded") - before )) of 2 finished"
expect_decision "after overlapping reloads, the newer file" probe "deny $tmp/policy.conf:1: version B"

kill -0 "$daemon_pid" && ok "stepupd still running" || fail "stepupd died"
if [ "$fails" != 0 ]; then echo "--- stepupd log"; cat "$tmp/stepupd.log"; echo "$fails failure(s)"; exit 1; fi
echo "all reload tests passed"
