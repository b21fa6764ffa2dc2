#!/bin/bash
# `meson install --destdir` of this build, then checks what landed where, and the units:
#   - the PAM module in the PAM dir (the pamlibdir option, or pkg-config pam's libdir),
#     stepupd in sbindir, stepupctl in bindir, man pages in mandir/manN;
#   - the units in systemd's unit dir (pkg-config systemd under its own prefix, else
#     PREFIX/lib/systemd/system), ExecStart=SBINDIR/stepupd --journal, and the two sockets
#     named pam (0600) and user (0666);
#   - sysusers.d/stepup.conf creates the user the service runs as;
#   - SYSCONFDIR/stepup/policy.conf is policy/default.conf, mode 0644, and the PAM service
#     of `stepupctl policy edit` is SYSCONFDIR/pam.d/stepup-policy;
#   - systemd-analyze verify is silent (ExecStart and Documentation= resolved in DESTDIR)
#     and `systemd-analyze security --offline=yes` rates the service at 2.0 or less.
# Usage: test-install.sh SOURCE_ROOT BUILD_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (package systemd)"

tmp=$(mktemp -d /tmp/stepup-installtest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
d=$tmp/dest
meson install -C "$build" --destdir "$d" > "$tmp/install.log" 2>&1 ||
        { cat "$tmp/install.log"; fail "meson install"; }

# Where meson says each directory is, from this build's options.
opt() {
        python3 - "$build" "$1" <<'PY'
import json, os, sys
opts = json.load(open(os.path.join(sys.argv[1], 'meson-info', 'intro-buildoptions.json')))
print(next(o['value'] for o in opts if o['name'] == sys.argv[2]))
PY
}
prefix=$(opt prefix)
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
sbindir=$(abs "$(opt sbindir)")
bindir=$(abs "$(opt bindir)")
mandir=$(abs "$(opt mandir)")
pamlibdir=$(opt pamlibdir)
if [ -z "$pamlibdir" ]; then pamlibdir=$(pkg-config --variable=libdir pam)/security; fi
unitdir=$(opt systemdsystemunitdir)
if [ -z "$unitdir" ]; then
        if [ "$prefix" = "$(pkg-config --variable=prefix systemd)" ]; then
                unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
        else
                unitdir=$prefix/lib/systemd/system
        fi
fi
sysconfdir=$(abs "$(opt sysconfdir)")
[ "$prefix" = /usr ] && sysconfdir=/etc

for f in "$pamlibdir/pam_stepup.so" "$sbindir/stepupd" "$bindir/stepupctl" \
        "$mandir/man8/pam_stepup.8" "$mandir/man8/stepupd.8" "$mandir/man1/stepupctl.1" \
        "$mandir/man5/stepup.conf.5" "$mandir/man5/stepupd.conf.5" "$mandir/man1/stepup-ssh.1" \
        "$unitdir/stepupd.service" "$unitdir/stepupd.socket" "$unitdir/stepupd-user.socket" \
        "$sysconfdir/stepup/policy.conf" "$sysconfdir/pam.d/stepup-policy"; do
        [ -e "$d$f" ] || { find "$d" -type f | sed "s|^$d||"; fail "$f was not installed"; }
done
ok "installed under prefix $prefix: module in $pamlibdir, daemon in $sbindir, units in $unitdir"
[ -n "$(find "$d" -path '*/sysusers.d/stepup.conf')" ] || fail "sysusers.d/stepup.conf not installed"
grep -Eq '^u stepup ' "$(find "$d" -path '*/sysusers.d/stepup.conf')" || fail "sysusers does not create stepup"
cmp -s "$d$sysconfdir/stepup/policy.conf" "$src/policy/default.conf" || fail "policy.conf is not policy/default.conf"
[ "$(stat -c %a "$d$sysconfdir/stepup/policy.conf")" = 644 ] || fail "policy.conf is not 0644"
ok "policy.conf = policy/default.conf, 0644; sysusers.d creates stepup"

svc=$d$unitdir/stepupd.service
grep -qx "ExecStart=$sbindir/stepupd --journal" "$svc" || fail "ExecStart is not $sbindir/stepupd --journal"
grep -qx 'User=stepup' "$svc" || fail "the service does not run as stepup"
for pair in stepupd.socket:pam:0600 stepupd-user.socket:user:0666; do
        IFS=: read -r unit name mode <<< "$pair"
        grep -qx "FileDescriptorName=$name" "$d$unitdir/$unit" || fail "$unit: not named $name"
        grep -qx "SocketMode=$mode" "$d$unitdir/$unit" || fail "$unit: not mode $mode"
        grep -qx 'Service=stepupd.service' "$d$unitdir/$unit" || fail "$unit: does not activate stepupd"
done
ok "units: ExecStart=$sbindir/stepupd --journal, User=stepup, sockets pam 0600 and user 0666"

# verify resolves ExecStart= and runs man(1) for Documentation=: point both into DESTDIR.
mkdir "$tmp/units"
cp "$d$unitdir"/stepupd* "$tmp/units/"
sed -i "s|^ExecStart=$sbindir/|ExecStart=$d$sbindir/|" "$tmp/units/stepupd.service"
out=$(cd "$tmp/units" && MANPATH=$d$mandir systemd-analyze verify \
        ./stepupd.service ./stepupd.socket ./stepupd-user.socket 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify is not silent: $out"
ok "systemd-analyze verify: silent"
"$src/tests/packaging/check-exposure.sh" "$tmp/units/stepupd.service" 2.0
