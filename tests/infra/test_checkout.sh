#!/bin/bash
# A checkout where a new user makes one: the tree copied into a fresh 0700 directory (as a
# clone in /root, mode 0700 on Debian), configured and built there, and the suites whose
# steps run as other users (e2e-sudo, policy-edit, ssh-gate) run from that build, in a
# private mount namespace whose /etc/passwd, /etc/group and /etc/shadow already hold
# accounts named like the test users (alice ... frank) with the ids the tests would pick
# first, bob in groups wheel and admin.  Passes when the tests reach what they run as
# non-root users without any change to the checkout's permissions and keep their users
# apart from the host's.  Root only (exit 77 otherwise).  See docs/e2e.md.
# Usage: test_checkout.sh SOURCE_ROOT        (STEPUP_KEEP=1 keeps the temporary directory)
set -euo pipefail
src=$(cd "$1" && pwd)
if [ "$(id -u)" != 0 ]; then echo "SKIP: the checkout test needs root"; exit 77; fi
for t in unshare setpriv sudo /usr/sbin/sshd meson ninja; do
        command -v "$t" > /dev/null || { echo "SKIP: $t is missing (tools/deps test)"; exit 77; }
done
suites=(e2e-sudo policy-edit ssh-gate)

if [ "${2:-}" != --inside ]; then
        tmp=$(mktemp -d /tmp/stepup-checkout.XXXXXX) # 0700, as /root
        if [ -z "${STEPUP_KEEP:-}" ]; then trap 'rm -rf "$tmp"' EXIT; else echo "# kept: $tmp"; fi
        [ "$(stat -c %a "$tmp")" = 700 ] || { echo "FAIL: $tmp is not 0700"; exit 1; }
        co=$tmp/stepup
        mkdir -m 755 "$co"
        # The files git knows (tracked or new, as they are in the work tree), else all but
        # the meson build directories.
        if git -C "$src" rev-parse --git-dir > /dev/null 2>&1; then
                git -C "$src" ls-files -z --cached --others --exclude-standard |
                        (cd "$src" && while IFS= read -r -d '' f; do
                                [ -e "$f" ] && printf '%s\0' "$f"; done) |
                        tar -C "$src" -c --null -T - -f - | tar -x -C "$co" -f -
        else
                for f in "$src"/* "$src"/.[!.]*; do
                        [ -e "$f" ] && [ ! -d "$f/meson-private" ] && [ "${f##*/}" != .git ] &&
                                cp -a "$f" "$co/"
                done
        fi
        start=$(date +%s)
        meson setup "$co/build" "$co" > "$tmp/setup.log" 2>&1 ||
                { cat "$tmp/setup.log"; echo "FAIL: meson setup in the copy"; exit 1; }
        # Only what the suites run: the whole tree would double tools/test's build time.
        meson compile -C "$co/build" stepupd stepupctl pam_stepup stepup-ssh \
                test-policy-decide > "$tmp/compile.log" 2>&1 ||
                { tail -40 "$tmp/compile.log"; echo "FAIL: meson compile in the copy"; exit 1; }
        echo "# copied into $co (under a 0700 directory) and built in $(($(date +%s) - start)) s"
        rc=0
        unshare --mount --propagation private "$0" "$co" --inside "$tmp" || rc=$?
        exit $rc
fi

# ---- inside the private mount namespace ----
co=$src tmp=$3
# Host accounts named like the test users, with the ids the tests would take first
# (64100...: tests/e2e/e2e.py), bob a member of wheel and admin: were any of it seen by a
# test, bob would be asked for codes (test_sudo) or gated (ssh-gate), or a user would own
# another's files.
etc=$tmp/host-etc
mkdir -m 755 "$etc"
cp /etc/passwd /etc/group /etc/shadow "$etc/"
id=64100
for u in alice bob carol dave erin frank; do
        echo "$u:x:$id:$id:host account $u:/home/$u:/bin/sh" >> "$etc/passwd"
        echo "$u:x:$id:" >> "$etc/group"
        echo "$u:*:19000:0:99999:7:::" >> "$etc/shadow"
        id=$((id + 1))
done
sed -i '/^\(wheel\|admin\):/d' "$etc/group"
echo "wheel:x:64200:bob" >> "$etc/group"
echo "admin:x:64201:bob" >> "$etc/group"
chmod 644 "$etc/passwd" "$etc/group"
chmod 640 "$etc/shadow"
for f in passwd group shadow; do mount --bind "$etc/$f" "/etc/$f"; done
sum() { (cd "$etc" && sha256sum passwd group shadow); }
before=$(sum)
[ "$(getent passwd alice | cut -d: -f3)" = 64100 ] || { echo "FAIL: the host alice is not set up"; exit 1; }

rc=0
(cd "$co" && meson test -C build --no-rebuild --print-errorlogs "${suites[@]}") || rc=$?
[ "$(sum)" = "$before" ] || { echo "FAIL: a test changed the host's account files"; rc=1; }
[ "$(getent passwd alice | cut -d: -f5)" = "host account alice" ] ||
        { echo "FAIL: the host's alice is gone after the tests"; rc=1; }

# Every suite ran (a skip would hide the non-root paths) and passed.
python3 - "$co/build/meson-logs/testlog.json" "${suites[@]}" <<'PY' || rc=1
import json, sys
got = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    got[r["name"].split(" / ")[-1]] = r["result"]
bad = [f"{s}: {got.get(s, 'not run')}" for s in sys.argv[2:] if got.get(s) != "OK"]
print("# from a 0700 checkout, with host accounts named like the test users:",
      ", ".join(f"{s} {got.get(s, 'not run')}" for s in sys.argv[2:]))
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
PY
exit $rc
