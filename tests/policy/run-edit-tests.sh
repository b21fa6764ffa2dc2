#!/bin/bash
# `stepupctl policy edit`: a valid edit with a successful PAM transaction on stepup-policy is
# installed (0644 root, atomically) and stepupd reloads it; an invalid edit, a failed step-up,
# an editor failure or another admin's change meanwhile installs nothing.  Root only.  Runs in
# its own mount namespace with a private /etc/pam.d (bind mount) holding a test stepup-policy
# stack (pam_exec to record the transaction, then pam_permit or pam_deny), and its own stepupd.
# Usage: run-edit-tests.sh BUILD_DIR DECIDE_CLIENT
set -euo pipefail
build=$(realpath "$1") decide=$(realpath "$2")
if [ "$(id -u)" != 0 ]; then echo "SKIP: the policy edit tests need root"; exit 77; fi
if [ -z "${STEPUP_EDIT_TEST_NS:-}" ]; then
        command -v unshare > /dev/null || { echo "SKIP: no unshare"; exit 77; }
        exec env STEPUP_EDIT_TEST_NS=1 unshare --mount --propagation private "$0" "$@"
fi
# Never touch the host's /etc: only go on inside a mount namespace of our own.
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
        echo "FAIL: not in a private mount namespace"; exit 1
fi
tmp=$(mktemp -d /tmp/stepup-edit.XXXXXX)
daemon_pid=
cleanup() {
        if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
        umount /etc/pam.d 2>/dev/null || true
        rm -rf "$tmp"
}
trap cleanup EXIT
# nobody runs stepupctl in section 9: a copy it can reach (the build may be in a 0700 home)
chmod 711 "$tmp"
mkdir -m 755 "$tmp/bin"
install -m 755 "$build/stepupctl/stepupctl" "$tmp/bin/stepupctl"
ctl="$tmp/bin/stepupctl"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

mkdir -m 755 "$tmp/etc" "$tmp/etc/policy.d" "$tmp/pam.d"
mkdir -m 700 "$tmp/state" "$tmp/tmpdir"
export TMPDIR="$tmp/tmpdir" # the private copies go here
unset VISUAL EDITOR SUDO_USER
pol="$tmp/etc/policy.conf"

cat > "$tmp/pam-log.sh" <<SCRIPT
#!/bin/sh
echo "\$PAM_TYPE \$PAM_SERVICE \$PAM_USER \$PAM_RUSER" >> "$tmp/pam.log"
SCRIPT
chmod 755 "$tmp/pam-log.sh"
: > "$tmp/pam.log"
stack() { # permit | deny
        printf 'auth required pam_exec.so quiet %s\nauth required pam_%s.so\naccount required pam_exec.so quiet %s\naccount required pam_%s.so\n' \
                "$tmp/pam-log.sh" "$1" "$tmp/pam-log.sh" "$1" > "$tmp/pam.d/stepup-policy"
}
stack permit
mount --bind "$tmp/pam.d" /etc/pam.d

# The editors: copy a file over the copy being edited ($1 = source, $2 = the copy).
cat > "$tmp/ed-copy.sh" <<'SCRIPT'
#!/bin/sh
cat "$1" > "$2"
SCRIPT
chmod 755 "$tmp/ed-copy.sh"
text() { printf '%s\n' "$2" > "$tmp/$1"; }
text v1 'deny "v1" when service probe
allow'
text v2 'deny "v2" when service probe
allow'
text bad 'deny "v3" when service probe
require totpp
allow'
text v3 'deny "v3" when service probe'
text dropin 'deny "dropin" when service probe2
allow'
install -m 644 "$tmp/v1" "$pol"

: > "$tmp/stepupd.conf"; chmod 644 "$tmp/stepupd.conf"
"$build/stepupd/stepupd" --socket "$tmp/pam.sock" --user-socket '' --db "$tmp/state/db" \
        --policy "$pol" --config "$tmp/stepupd.conf" --questions "$tmp/q.conf" 2> "$tmp/stepupd.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$tmp/pam.sock" ] && break; sleep 0.05; done
[ -S "$tmp/pam.sock" ] || { echo "stepupd did not start:"; cat "$tmp/stepupd.log"; exit 1; }

decides() { # SERVICE WANT
        local got; got=$("$decide" "$tmp/pam.sock" "$1" root 2>&1) || true
        [ "$got" = "$2" ] || { echo "  stepupd decides '$got', want '$2'"; return 1; }
}
edit() { # EXPECTED_RC EDITOR [ARGS...]: policy edit, stdin not a terminal
        local want=$1 rc=0; shift
        EDITOR=$1 "$ctl" --socket "$tmp/pam.sock" policy edit --file "$pol" "${@:2}" < /dev/null > "$tmp/out" 2> "$tmp/err" || rc=$?
        [ "$rc" = "$want" ] || { echo "  exit $rc, want $want"; cat "$tmp/out" "$tmp/err"; return 1; }
}
same() { cmp -s "$1" "$2" || { echo "  $1 differs from $2"; return 1; }; }
has() { grep -qF -- "$2" "$1" || { echo "  no '$2' in $1:"; cat "$1"; return 1; }; }
no_leftovers() {
        [ -z "$(ls -A "$TMPDIR")" ] || { echo "  left in TMPDIR: $(ls -A "$TMPDIR")"; return 1; }
        [ -z "$(find "$tmp/etc" -name '.*')" ] || { echo "  temporary files left: $(find "$tmp/etc" -name '.*')"; return 1; }
}
pam_calls() { wc -l < "$tmp/pam.log"; }
mode_owner() { [ "$(stat -c '%a %u %g' "$1")" = "644 0 0" ] || { stat -c '  %a %u %g' "$1"; return 1; }; }

check "the first policy decides" decides probe "deny $pol:1: v1"

# 1. A valid edit, PAM permits: installed, reloaded.  EDITOR with arguments goes through sh.
check "valid edit: exit 0" edit 0 "$tmp/ed-copy.sh $tmp/v2"
check "valid edit: installed" same "$pol" "$tmp/v2"
check "valid edit: 0644 root:root" mode_owner "$pol"
check "valid edit: says installed" has "$tmp/out" "$pol: installed"
check "valid edit: reload requested" has "$tmp/out" "policy reloaded"
check "valid edit: stepupd decides with it" decides probe "deny $pol:1: v2"
check "valid edit: PAM auth on stepup-policy for root" has "$tmp/pam.log" "auth stepup-policy root root"
check "valid edit: PAM account on stepup-policy" has "$tmp/pam.log" "account stepup-policy root root"
check "valid edit: nothing left behind" no_leftovers

# 2. An invalid edit, stdin not a terminal: diagnostics, exit 1, not installed, no PAM.
n=$(pam_calls)
check "invalid edit: exit 1" edit 1 "$tmp/ed-copy.sh $tmp/bad"
check "invalid edit: the diagnostic names the file" has "$tmp/err" "$pol:2:9: error: unknown factor 'totpp'"
check "invalid edit: no terminal to ask on" has "$tmp/err" "no terminal"
check "invalid edit: not installed" same "$pol" "$tmp/v2"
check "invalid edit: no step-up asked" test "$(pam_calls)" = "$n"
check "invalid edit: stepupd unchanged" decides probe "deny $pol:1: v2"
check "invalid edit: nothing left behind" no_leftovers

# 3. PAM denies: not installed, the edit is kept.
stack deny
check "PAM deny: exit 1" edit 1 "$tmp/ed-copy.sh $tmp/v3"
check "PAM deny: not installed" same "$pol" "$tmp/v2"
check "PAM deny: says so" has "$tmp/err" "not installed (the step-up for stepup-policy failed)"
check "PAM deny: PAM was asked" has "$tmp/pam.log" "auth stepup-policy"
kept=$(sed -n 's/^stepupctl: your edit is kept in //p' "$tmp/err")
check "PAM deny: the edit is kept" same "$kept" "$tmp/v3"
check "PAM deny: stepupd unchanged" decides probe "deny $pol:1: v2"
rm -rf "${TMPDIR:?}"/*

# 4. PAM permits, through sudo: the step-up is asked of SUDO_USER.
stack permit
SUDO_USER=alice check "PAM permit (SUDO_USER): exit 0" edit 0 "$tmp/ed-copy.sh $tmp/v3"
check "PAM permit: installed" same "$pol" "$tmp/v3"
check "PAM permit: the invoking user steps up" has "$tmp/pam.log" "auth stepup-policy alice alice"
check "PAM permit: a warning is not an error" has "$tmp/err" "warning: no rule matches every request"
check "PAM permit: stepupd decides with it" decides probe "deny $pol:1: v3"

# 5. No change, and a failing editor: nothing installed, no step-up.
n=$(pam_calls)
check "no change: exit 0" edit 0 true
check "no change: says so" has "$tmp/out" "no changes, nothing installed"
check "editor fails: exit 1" edit 1 false
check "editor fails: says so" has "$tmp/err" "the editor (false) failed"
check "no change / editor fails: no step-up" test "$(pam_calls)" = "$n"
check "no change / editor fails: file unchanged" same "$pol" "$tmp/v3"
check "no change / editor fails: nothing left behind" no_leftovers
# $VISUAL wins over $EDITOR
rc=0; VISUAL="$tmp/ed-copy.sh $tmp/v2" EDITOR=false "$ctl" --socket "$tmp/pam.sock" policy edit --file "$pol" < /dev/null > "$tmp/out" 2> "$tmp/err" || rc=$?
check "VISUAL before EDITOR" test "$rc" = 0
check "VISUAL: installed" same "$pol" "$tmp/v2"
install -m 644 "$tmp/v3" "$pol"

# 6. Another admin changes the file while we edit: not installed, theirs stays.
cat > "$tmp/ed-race.sh" <<SCRIPT
#!/bin/sh
cat "$tmp/v2" > "\$1"
printf 'deny "other admin"\n' > "$pol.other"; chmod 644 "$pol.other"; mv "$pol.other" "$pol"
SCRIPT
chmod 755 "$tmp/ed-race.sh"
check "concurrent change: exit 1" edit 1 "$tmp/ed-race.sh"
check "concurrent change: says so" has "$tmp/err" "changed by someone else while you were editing"
check "concurrent change: theirs stays" has "$pol" 'deny "other admin"'
rm -rf "${TMPDIR:?}"/*
install -m 644 "$tmp/v3" "$pol"

# 7. A new drop-in, checked in the set of the policy.conf next to policy.d.
check "new drop-in: exit 0" edit 0 "$tmp/ed-copy.sh $tmp/dropin" --file "$tmp/etc/policy.d/50-x.conf"
check "new drop-in: installed" same "$tmp/etc/policy.d/50-x.conf" "$tmp/dropin"
check "new drop-in: checked with policy.conf" has "$tmp/out" "OK (3 rules in the set"
check "new drop-in: stepupd decides with it" decides probe2 "deny $tmp/etc/policy.d/50-x.conf:1: dropin"
text baddropin 'allow when'
check "broken drop-in: exit 1" edit 1 "$tmp/ed-copy.sh $tmp/baddropin" --file "$tmp/etc/policy.d/50-x.conf"
check "broken drop-in: its diagnostic" has "$tmp/err" "$tmp/etc/policy.d/50-x.conf:1:"
check "broken drop-in: not installed" same "$tmp/etc/policy.d/50-x.conf" "$tmp/dropin"
# editing policy.conf is checked with the drop-ins: a catch-all there makes them unreachable
check "set check: exit 0" edit 0 "$tmp/ed-copy.sh $tmp/v2"
check "set check: the drop-in's rules are unreachable" has "$tmp/err" "$tmp/etc/policy.d/50-x.conf:1:1: warning: rule is unreachable"
check "nothing left behind" no_leftovers

# 8. On a terminal an invalid edit offers to edit again: 'e' re-runs the editor, 'q' gives up.
if command -v script > /dev/null; then
        cat > "$tmp/ed-twice.sh" <<SCRIPT
#!/bin/sh
# first run: a broken policy; second run: a good one
if [ -e "$tmp/ran-once" ]; then cat "$tmp/v3" > "\$1"; else : > "$tmp/ran-once"; cat "$tmp/bad" > "\$1"; fi
SCRIPT
        chmod 755 "$tmp/ed-twice.sh"
        rm -f "$tmp/ran-once"
        rc=0; printf 'e\n' | EDITOR="$tmp/ed-twice.sh" script -qec "'$ctl' --socket '$tmp/pam.sock' policy edit --file '$pol'" /dev/null > "$tmp/out" 2>&1 || rc=$?
        check "tty, e: exit 0" test "$rc" = 0
        check "tty, e: asked" has "$tmp/out" "What now? (e)dit again, (q)uit without installing"
        check "tty, e: the second edit is installed" same "$pol" "$tmp/v3"
        rm -f "$tmp/ran-once"
        rc=0; printf 'q\n' | EDITOR="$tmp/ed-copy.sh $tmp/bad" script -qec "'$ctl' --socket '$tmp/pam.sock' policy edit --file '$pol'" /dev/null > "$tmp/out" 2>&1 || rc=$?
        check "tty, q: exit 1" test "$rc" = 1
        check "tty, q: not installed" same "$pol" "$tmp/v3"
        check "tty, q: the diagnostic was shown" has "$tmp/out" "$pol:2:9: error: unknown factor 'totpp'"
        check "tty, q: nothing left behind" no_leftovers
        install -m 644 "$tmp/v2" "$pol"
fi

# 9. Files stepupd would refuse are not edited; only root edits.
ln -s "$pol" "$tmp/etc/link.conf"
check "symlink: refused" edit 1 true --file "$tmp/etc/link.conf"
check "symlink: says so" has "$tmp/err" "a symbolic link"
chmod 664 "$pol"
check "group-writable: refused" edit 1 true
chmod 644 "$pol"
rc=0; setpriv --reuid=65534 --regid=65534 --clear-groups env EDITOR=true "$ctl" policy edit --file "$pol" < /dev/null > "$tmp/out" 2> "$tmp/err" || rc=$?
check "non-root: refused" test "$rc" = 1
check "non-root: says so" has "$tmp/err" "policy edit is for root"

# 10. stepupd not running: installed anyway, and it says so.
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=
check "stepupd down: exit 0" edit 0 "$tmp/ed-copy.sh $tmp/v1"
check "stepupd down: installed" same "$pol" "$tmp/v1"
check "stepupd down: says so" has "$tmp/err" "stepupd did not reload"

if [ "$fails" != 0 ]; then echo "--- stepupd log"; cat "$tmp/stepupd.log"; echo "$fails failure(s)"; exit 1; fi
echo "all policy edit tests passed"
