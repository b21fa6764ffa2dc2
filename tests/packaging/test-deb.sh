#!/bin/bash
# Builds the Debian packages with tools/build-deb (dpkg-buildpackage + lintian), unpacks them
# into a throwaway root with dpkg-deb -x (the host's dpkg database and /etc are never
# touched), and checks from the unpacked files only:
#   - the layout: PAM module in the multiarch PAM dir, daemon, CLI, units, sysusers, man
#     pages, the default policy as a 0644 conffile that allows everything;
#   - the units: systemd-analyze verify is silent and the service's exposure is <= 2.0;
#   - the pam-auth-update profile: "Default: no" keeps it out of common-auth/-account on
#     install, --enable puts both lines after the primary block, removal takes them out;
#   - the daemon: started by socket activation (systemd-socket-activate, fds named pam and
#     user) as an unprivileged user, a user enrolled with the unpacked stepupctl, and one
#     TOTP step-up through the unpacked pam_stepup.so with pamtester and oathtool.
# Needs root (mount namespace, the PAM socket serves uid 0); skipped otherwise.
# Usage: test-deb.sh SOURCE_ROOT     (STEPUP_TEST_TRACE=1 traces every command)
set -euo pipefail
[ -z "${STEPUP_TEST_TRACE:-}" ] || set -x
src=$(cd "$1" && pwd)

if [ "${2:-}" = --inside ]; then
        inside=true tmp=$3 root=$4
else
        inside=false
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

if ! $inside; then
        if [ "$(id -u)" != 0 ]; then echo "SKIP: the packaging test needs root"; exit 77; fi
        for t in dpkg-buildpackage dh lintian pamtester oathtool systemd-analyze \
                systemd-socket-activate pam-auth-update setpriv unshare; do
                command -v "$t" >/dev/null || fail "$t is missing (tools/deps test installs it)"
        done
        tmp=$(mktemp -d /tmp/stepup-debtest.XXXXXX)
        trap 'rm -rf "$tmp"' EXIT
        chmod 711 "$tmp"

        # 1. Build.  The unit and policy suites run inside dpkg-buildpackage (dh_auto_test).
        start=$(date +%s)
        "$src/tools/build-deb" -o "$tmp/out" --lintian > "$tmp/build-deb.log" 2>&1 ||
                { cat "$tmp/build-deb.log"; fail "tools/build-deb"; }
        ok "dpkg-buildpackage -us -uc -b and lintian (no unjustified warning) in $(($(date +%s) - start)) s"
        grep '^[EWIO]:' "$tmp/out/lintian.log" | sed 's/^/    lintian: /' || true

        # 2. Unpack into a throwaway root.
        root=$tmp/root
        mkdir "$root"
        for p in libpam-stepup stepupd; do
                deb=$(ls "$tmp"/out/${p}_*.deb)
                dpkg-deb -x "$deb" "$root"
                dpkg-deb -e "$deb" "$tmp/control-$p"
        done
        ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
        for f in "lib/$ma/security/pam_stepup.so" usr/sbin/stepupd usr/bin/stepupctl \
                usr/share/pam-configs/stepup etc/stepup/policy.conf etc/pam.d/stepup-policy \
                lib/systemd/system/stepupd.service lib/systemd/system/stepupd.socket \
                lib/systemd/system/stepupd-user.socket usr/lib/sysusers.d/stepup.conf \
                usr/share/man/man8/pam_stepup.8.gz usr/share/man/man8/stepupd.8.gz \
                usr/share/man/man1/stepupctl.1.gz usr/share/man/man5/stepup.conf.5.gz \
                usr/share/man/man5/stepupd.conf.5.gz usr/share/man/man1/stepup-ssh.1.gz; do
                [ -e "$root/$f" ] || fail "/$f is not in the packages"
        done
        ok "layout: /lib/$ma/security/pam_stepup.so, /usr/sbin/stepupd, units, sysusers, 6 man pages"
        [ "$(stat -c '%a %U' "$root/etc/stepup/policy.conf")" = "644 root" ] ||
                fail "policy.conf is $(stat -c '%a %U' "$root/etc/stepup/policy.conf"), want 644 root"
        cmp -s "$root/etc/stepup/policy.conf" "$src/policy/default.conf" ||
                fail "the packaged policy.conf is not policy/default.conf"
        grep -qx /etc/stepup/policy.conf "$tmp/control-stepupd/conffiles" ||
                fail "/etc/stepup/policy.conf is not a conffile"
        [ "$(grep -v '^[[:space:]]*\(#\|$\)' "$root/etc/stepup/policy.conf")" = allow ] ||
                fail "the default policy is not a single 'allow'"
        ok "default policy: conffile, 0644 root, = policy/default.conf, a single allow"
        grep -qx /etc/pam.d/stepup-policy "$tmp/control-libpam-stepup/conffiles" ||
                fail "/etc/pam.d/stepup-policy is not a conffile of libpam-stepup"
        grep -q 'systemd-sysusers.*stepup.conf' "$tmp/control-stepupd/postinst" ||
                fail "postinst does not create the stepup user"
        grep -q "pam-auth-update --package --remove stepup" "$tmp/control-libpam-stepup/prerm" ||
                fail "prerm does not remove the PAM profile"
        syms=$(nm -D --defined-only "$root/lib/$ma/security/pam_stepup.so" | awk '{print $3}' |
                grep -v '^pam_sm_' || true)
        [ -z "$syms" ] || fail "pam_stepup.so exports more than pam_sm_*: $syms"
        if ldd "$root/lib/$ma/security/pam_stepup.so" | grep -E 'sqlite|oath|systemd|qrencode'; then
                fail "pam_stepup.so links more than libpam and libc"
        fi
        ok "module exports only pam_sm_*, links no sqlite/oath/systemd"
        if [ -e "$src/packaging/catalog/stepup.catalog" ]; then
                [ -e "$root/usr/lib/systemd/catalog/stepup.catalog" ] ||
                        fail "the journal catalog is not in the packages"
                # What the systemd trigger runs, into the unpacked root: every MESSAGE_ID
                # stepupd writes must be explained.
                journalctl --root "$root" --update-catalog || fail "journalctl --update-catalog"
                listed=$(journalctl --root "$root" --list-catalog)
                ids=$(grep -o '"[0-9a-f]\{32\}"' "$src/stepupd/audit.c" | tr -d '"' | sort -u)
                for id in $ids; do
                        grep -q "^$id " <<< "$listed" || fail "MESSAGE_ID $id is not in the catalog"
                done
                ok "journal catalog: packaged, compiles, explains all $(echo "$ids" | wc -l) MESSAGE_IDs"
        fi

        # 3. The units as shipped, with ExecStart pointing at the unpacked daemon and the
        #    man pages (Documentation=) found in the unpacked root.
        mkdir "$tmp/units"
        cp "$root"/lib/systemd/system/stepupd* "$tmp/units/"
        grep -qx 'ExecStart=/usr/sbin/stepupd --journal' "$tmp/units/stepupd.service" ||
                fail "stepupd.service does not start /usr/sbin/stepupd --journal"
        sed -i "s|^ExecStart=/usr/sbin/|ExecStart=$root/usr/sbin/|" "$tmp/units/stepupd.service"
        out=$(cd "$tmp/units" && MANPATH=$root/usr/share/man systemd-analyze verify \
                ./stepupd.service ./stepupd.socket ./stepupd-user.socket 2>&1) ||
                fail "systemd-analyze verify: $out"
        [ -z "$out" ] || fail "systemd-analyze verify is not silent: $out"
        ok "systemd-analyze verify: silent on the three units"
        "$src/tests/packaging/check-exposure.sh" "$tmp/units/stepupd.service" 2.0

        # 4 and 5 in a private mount namespace.
        unshare --mount --propagation private "$0" "$src" --inside "$tmp" "$root"
        exit 0
fi

# ---- inside the mount namespace: nothing below changes the host ----
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
mod=$root/lib/$ma/security/pam_stepup.so

# 4. The pam-auth-update profile, run as the maintainer scripts run it, on a copy of the
#    PAM configuration (--root) and of the debconf database it records the choice in.
pr=$tmp/pamroot
mkdir -p "$pr/etc" "$pr/usr/share" "$pr/var/lib" "$tmp/debconf"
cp -a /etc/pam.d "$pr/etc/pam.d"
cp -a /usr/share/pam-configs "$pr/usr/share/pam-configs"
cp "$root/usr/share/pam-configs/stepup" "$pr/usr/share/pam-configs/"
cp -a /var/lib/pam "$pr/var/lib/pam"
cp -a /var/cache/debconf/. "$tmp/debconf/"
mount --bind "$tmp/debconf" /var/cache/debconf
export DEBIAN_FRONTEND=noninteractive
pam-auth-update --root "$pr" --package
if grep -q pam_stepup "$pr/etc/pam.d/common-auth" "$pr/etc/pam.d/common-account"; then
        fail "installing the profile (Default: no) enabled it"
fi
pam-auth-update --root "$pr" --enable stepup
auth_line=$(grep -nE '^auth[[:space:]]+required[[:space:]]+pam_stepup\.so[[:space:]]*$' \
        "$pr/etc/pam.d/common-auth" | cut -d: -f1 || true)
acct_line=$(grep -nE '^account[[:space:]]+required[[:space:]]+pam_stepup\.so[[:space:]]*$' \
        "$pr/etc/pam.d/common-account" | cut -d: -f1 || true)
[ -n "$auth_line" ] && [ -n "$acct_line" ] || fail "--enable stepup did not add both lines"
permit=$(grep -nE '^auth[[:space:]].*pam_permit\.so' "$pr/etc/pam.d/common-auth" | cut -d: -f1 || true)
[ -n "$permit" ] || fail "no primary auth block in common-auth"
[ "$auth_line" -gt "$permit" ] || fail "pam_stepup is not after the primary auth block"
pam-auth-update --root "$pr" --package --remove stepup
if grep -q pam_stepup "$pr/etc/pam.d/common-auth" "$pr/etc/pam.d/common-account"; then
        fail "removing the profile left pam_stepup in the stack"
fi
ok "pam-auth-update: off on install, --enable adds auth+account after the primary block, --remove clears"

# 5. The daemon from the unpacked files, socket-activated, as an unprivileged user.
user=stepuptest
# Only in this namespace, replacing a host account of that name, with an id no host
# account uses (tests/lib/accounts.py).
mkdir -m 755 "$tmp/accounts"
python3 "$src/tests/lib/accounts.py" "$tmp/accounts" --user "$user" --shell /bin/sh \
        --gecos "stepup package test" > /dev/null
mkdir "$tmp/pam.d"
cp -a /etc/pam.d/. "$tmp/pam.d/"
printf 'auth required %s socket=%s\naccount required %s socket=%s\n' \
        "$mod" "$tmp/run/pam.sock" "$mod" "$tmp/run/pam.sock" > "$tmp/pam.d/stepup-pkgtest"
mount --bind "$tmp/pam.d" /etc/pam.d

cat > "$tmp/policy.conf" <<'POLICY'
require totp within 15m when service stepup-pkgtest
allow
POLICY
chmod 644 "$tmp/policy.conf"
mkdir -m 755 "$tmp/run"
mkdir -m 700 "$tmp/state"
chown nobody:nogroup "$tmp/state"

daemon_pid=
stop_daemon() {
        if [ -n "$daemon_pid" ]; then
                kill "$daemon_pid" 2>/dev/null || true
                wait "$daemon_pid" 2>/dev/null || true
                daemon_pid=
        fi
}
trap stop_daemon EXIT
# systemd-socket-activate binds both paths, waits for the first connection, then execs
# setpriv, which execs the unpacked stepupd as nobody (as stepupd.service runs as stepup).
systemd-socket-activate -l "$tmp/run/pam.sock" -l "$tmp/run/user.sock" --fdname=pam:user \
        setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$root/usr/sbin/stepupd" --db "$tmp/state/stepup.db" --policy "$tmp/policy.conf" \
        --config "$tmp/stepupd.conf" 2> "$tmp/stepupd.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$tmp/run/user.sock" ] && break; sleep 0.05; done
[ -S "$tmp/run/user.sock" ] || fail "systemd-socket-activate did not listen"
chmod 600 "$tmp/run/pam.sock"
chmod 666 "$tmp/run/user.sock"
ctl() { "$root/usr/bin/stepupctl" --socket "$tmp/run/pam.sock" --user-socket "$tmp/run/user.sock" "$@"; }
show_log() { echo "--- stepupd log"; cat "$tmp/stepupd.log"; }

secret=$(head -c 20 /dev/urandom | base32 | tr -d '=')
echo "$secret" | ctl enroll totp --user "$user" --secret-stdin > "$tmp/enroll.out" 2>&1 ||
        { cat "$tmp/enroll.out"; show_log; fail "enrolment with the unpacked stepupctl"; }
[ "$(stat -c %U "$tmp/state/stepup.db")" = nobody ] ||
        fail "the database is not owned by the daemon's user"
# The first connection started the daemon: it is now the activated process, as nobody.
[ "$(awk '/^Uid:/ {print $2}' "/proc/$daemon_pid/status")" = "$(id -u nobody)" ] ||
        fail "stepupd does not run as nobody"
grep -q 'event=start' "$tmp/stepupd.log" || { show_log; fail "no start event"; }
ok "stepupd socket-activated as nobody; $user enrolled with the unpacked stepupctl"

# The user socket is the one named "user": a non-root caller gets its own status there.
status=$(setpriv --reuid="$user" --regid="$user" --clear-groups \
        "$root/usr/bin/stepupctl" --user-socket "$tmp/run/user.sock" status 2>&1) ||
        { echo "$status"; show_log; fail "stepupctl status as $user on the user socket"; }
grep -Eq "^user +$user$" <<< "$status" || { echo "$status"; fail "status is not about $user"; }
ok "fd named user serves the non-root $user"

pam() { printf '%s\n' "$1" | pamtester stepup-pkgtest "$user" authenticate acct_mgmt > "$tmp/pam.out" 2>&1; }
if pam 000000; then cat "$tmp/pam.out"; show_log; fail "a wrong code was accepted"; fi
code=$(oathtool --totp -b "$secret")
pam "$code" || { cat "$tmp/pam.out"; show_log; fail "the step-up with a correct code failed"; }
grep -q 'event=verify-ok' "$tmp/stepupd.log" || { show_log; fail "no verify-ok event"; }
pam "" || { cat "$tmp/pam.out"; show_log; fail "a fresh step-up was not remembered"; }
ok "pamtester through the unpacked pam_stepup.so: wrong code refused, oathtool code accepted, then no prompt"
status=$(ctl status --user "$user")
grep -Eq '^assurance_records +1$' <<< "$status" || { echo "$status"; fail "no assurance record"; }
stop_daemon
trap - EXIT
