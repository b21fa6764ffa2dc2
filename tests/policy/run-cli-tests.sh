#!/bin/bash
# `stepupctl policy test`: decisions, the deciding rule, explanations, JSON, the request built as
# stepupd builds it (NSS groups, canonical command, /etc/shells), and errors.  Any user; as root
# it also starts a private stepupd on the same policy and checks that the daemon decides what
# `policy test` says, request by request.
# Usage: run-cli-tests.sh BUILD_DIR DECIDE_CLIENT
set -euo pipefail
build=$1 decide=$2
ctl="$build/stepupctl/stepupctl"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stepup-cli.XXXXXX")
daemon_pid=
cleanup() {
        if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
        rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
me=$(id -un)
mygroup=$(id -gn)

P="$tmp/policy.conf"
cat > "$P" <<POLICY
# policy test fixture
deny "root logs in with a personal account" when service sshd and user root
require totp within 0 when service sudo and command shell
require totp when service sudo and group $mygroup and not tty
require totp|recovery within 15m idle 5m scope session when service sudo and command /usr/bin/apt*
allow when service sudo and group wheel
require question within 1h when service su and target-group $mygroup
allow when service login and time 09:00-17:00 and weekday mon-fri
deny
POLICY
chmod 644 "$P"

# run NAME EXPECTED_RC ARGS...: policy test, output in $tmp/out and $tmp/err
run() {
        local name=$1 want=$2 rc=0
        shift 2
        "$ctl" policy test --file "$P" "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?
        if [ "$rc" != "$want" ]; then fail "$name: exit $rc, want $want"; cat "$tmp/out" "$tmp/err"; return 1; fi
}
has() { # NAME PATTERN [FILE]
        if grep -qF -- "$2" "${3:-$tmp/out}"; then ok "$1"; else fail "$1: no '$2' in"; cat "${3:-$tmp/out}"; fi
}
json() { # NAME PYTHON-EXPRESSION over d (the parsed object)
        if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$tmp/out"; then
                ok "$1"
        else
                fail "$1: ($2) is false for"; cat "$tmp/out"
        fi
}

# 1. The deciding rule and why each earlier rule did not match.
run "apt" 0 --user nobody-x --groups users,wheel --service sudo --tty pts/3 -- /usr/bin/apt update
has "apt: decision" "decision: require totp|recovery within 15m idle 5m scope session"
has "apt: rule" "rule:     $P:5"
has "apt: line 2 explained" "$P:2"
grep -q "^  $P:2 *no   service is 'sudo', not sshd$" "$tmp/out" && ok "apt: why line 2" || fail "apt: why line 2"
grep -q "^  $P:3 *no   command is not a shell$" "$tmp/out" && ok "apt: why line 3" || fail "apt: why line 3"
grep -q "^  $P:4 *no   user 'nobody-x' is not in group $mygroup$" "$tmp/out" && ok "apt: why line 4" || fail "apt: why line 4"
grep -q "^  $P:5 *yes  matched: service is 'sudo'; command '/usr/bin/apt update' matches /usr/bin/apt\*$" "$tmp/out" &&
        ok "apt: the deciding rule is last" || fail "apt: deciding line"
grep -q "$P:6" "$tmp/out" && fail "apt: rules after the deciding one are listed" || ok "apt: stops at the first match"

# 2. JSON: every field.
run "json" 0 --user nobody-x --groups users,wheel --service sudo --tty /dev/pts/3 --json -- /usr/bin/apt update
json "json: decision and rule" "d['decision']=='require' and d['matched'] and d['rule']=='$P:5' and d['file']=='$P' and d['line']==5"
json "json: require fields" "d['factors']=='totp|recovery' and d['within']==900 and d['idle']==300 and d['scope']=='session' and d['failmode']=='default'"
json "json: message and reason" "d['message'] is None and d['reason'] is None"
json "json: request" "d['request']['command']=='/usr/bin/apt update' and d['request']['groups']==['users','wheel'] and d['request']['tty']=='pts/3'"
json "json: explain" "[(e['line'],e['matched']) for e in d['explain']]==[(2,False),(3,False),(4,False),(5,True)] and d['explain'][0]['why']==\"service is 'sudo', not sshd\""
run "json deny" 0 --user root --groups root --service sshd --json
json "json: deny reason" "d['decision']=='deny' and d['reason']=='root logs in with a personal account' and d['factors'] is None and d['within'] is None"
printf 'allow when service sudo\nrequire totp when service su\n' > "$tmp/nocatch.conf"; chmod 644 "$tmp/nocatch.conf"
run "json default deny" 0 --file "$tmp/nocatch.conf" --user nobody-x --groups '' --service cron --json
json "json: no match" "d['decision']=='deny' and not d['matched'] and d['rule'] is None and d['line'] is None and len(d['explain'])==2"
run "text default deny" 0 --file "$tmp/nocatch.conf" --user nobody-x --groups '' --service cron
has "no match: says so" "decision: deny (no rule matched: the policy denies by default)"
# every factor of a set is named, idp (the fourth) too
printf 'require totp+idp|recovery within 0 when service sudo\n' > "$tmp/idp.conf"; chmod 644 "$tmp/idp.conf"
run "idp" 0 --file "$tmp/idp.conf" --user nobody-x --groups '' --service sudo
has "idp: named" "decision: require totp+idp|recovery within 0"

# 3. The command as stepupd sees it: PATH lookup, realpath, /etc/shells.
run "bare name" 0 --user nobody-x --groups users --service sudo --json --command "apt list"
json "a bare command name is looked up in PATH" "d['request']['command'].endswith('/apt list') and d['request']['command'].startswith('/')"
sh=$(readlink -f /bin/sh)
if grep -qx /bin/sh /etc/shells; then
        run "shell" 0 --user nobody-x --groups users --service sudo --json -- /bin/sh -c id
        json "/bin/sh is canonical and a shell" "d['request']['command']=='$sh -c id' and d['request']['command_is_shell'] and d['line']==3"
fi
ln -s /usr/bin/apt "$tmp/innocent"
run "symlink" 0 --user nobody-x --groups users --service sudo --json --command "$tmp/innocent update"
json "a symbolic link cannot dodge a rule" "d['request']['command']=='$(readlink -f /usr/bin/apt) update' and d['line']==5"
run "sudoedit" 0 --user nobody-x --groups users --service sudo --json -- sudoedit /etc/motd
json "sudoedit" "d['request']['command_is_sudoedit'] and d['request']['command']=='sudoedit /etc/motd'"
run "relative" 1 --user nobody-x --groups users --service sudo --command "bin/ls"
has "a relative path is refused" "must be absolute" "$tmp/err"

# Exec wrappers are seen through; what cannot be followed is unresolved (and a shell).
run "env" 0 --user nobody-x --groups users --service sudo -- /usr/bin/env bash -c id
has "env: the program it runs" 'command="/usr/bin/bash -c id" (a shell) (through 1 exec wrapper: "/usr/bin/env bash -c id")'
has "env: the shell rule" "rule:     $P:3"
run "env json" 0 --user nobody-x --groups users --service sudo --json -- env -i nice -n 5 /usr/bin/apt update
json "env nice: json" "d['request']['command']=='$(readlink -f /usr/bin/apt) update' and d['request']['command_given']=='/usr/bin/env -i nice -n 5 /usr/bin/apt update' and d['request']['command_wrappers']==2 and not d['request']['command_unresolved'] and d['request']['command_why'] is None and d['line']==5"
run "python -c" 0 --user nobody-x --groups users --service sudo --json -- /usr/bin/python3 -c 'print(1)'
json "python3 -c is a shell" "d['request']['command_is_shell'] and d['line']==3"
run "unresolved" 0 --user nobody-x --groups users --service sudo --json --command "/usr/bin/env --weird /usr/bin/apt update"
json "an option env does not have: unresolved, a shell" "d['request']['command_unresolved'] and 'not understood: --weird' in d['request']['command_why'] and d['request']['command_is_shell'] and d['request']['command']=='/usr/bin/env --weird /usr/bin/apt update' and d['line']==3"
run "unresolved text" 0 --user nobody-x --groups users --service sudo --command "/usr/bin/env --weird /usr/bin/apt update"
has "unresolved: said so" "(cannot be resolved: env: an option not understood: --weird)"
# a NAME=VALUE word could hold spaces in sudo's joined command text, never in stepup-ssh's words
run "joined" 0 --user nobody-x --groups users --service sudo --json --command "/usr/bin/env LANG=C /usr/bin/apt list"
json "sudo: env LANG=C is unresolved" "d['request']['command_unresolved'] and 'spaces' in d['request']['command_why']"
run "words" 0 --user nobody-x --groups users --service sshd-command --json --command "/usr/bin/env LANG=C /usr/bin/apt list"
json "sshd-command: env LANG=C is followed" "not d['request']['command_unresolved'] and d['request']['command']=='$(readlink -f /usr/bin/apt) list'"
# Control characters, quotes, a backslash and a byte that is not UTF-8 in a field: the JSON
# still parses (python3 json, strict), and the field reads back as it went in (the odd byte as
# its Latin-1 character).
run "control characters" 0 --user nobody-x --groups users --service sudo --json \
        --command "$(printf '/usr/bin/apt \001up\tdate "x" \\ \033[1m\377')"
json "control characters: valid JSON, exact field" "d['request']['command']=='/usr/bin/apt \\x01up\\tdate \"x\" \\\\ \\x1b[1m\\xff'"

# 4. Groups from NSS, as stepupd: the caller's own primary group.
run "nss groups" 0 --user "$me" --service sudo --json
json "NSS groups of $me" "'$mygroup' in d['request']['groups'] and d['line']==4"
run "unknown user" 1 --user no-such-user-stepup --service sudo
has "an unknown user needs --groups" "unknown to NSS" "$tmp/err"
run "target groups" 0 --user nobody-x --groups '' --service su --target-user "$me" --json
json "target user's groups from NSS" "d['line']==7 and d['factors']=='question' and d['within']==3600"
run "target groups override" 0 --user nobody-x --groups '' --service su --target-user x --target-groups other --json
json "--target-groups" "d['line']==9"

# 5. Time and weekday.
run "office hours" 0 --user nobody-x --groups '' --service login --time 10:00 --weekday wed --json
json "wednesday 10:00" "d['decision']=='allow' and d['line']==8"
run "weekend" 0 --user nobody-x --groups '' --service login --time 10:00 --weekday sat --json
json "saturday 10:00" "d['line']==9 and d['explain'][-2]['why']=='day is sat, not mon-fri'"
run "evening" 0 --user nobody-x --groups '' --service login --time 17:00 --weekday mon --json
json "monday 17:00 (end excluded)" "d['line']==9"
run "bad time" 1 --user nobody-x --groups '' --service login --time 25:00
run "bad day" 1 --user nobody-x --groups '' --service login --weekday xyz

# 6. What stepupd would refuse, and a policy that does not load.
run "bad tty" 1 --user nobody-x --groups '' --service sudo --tty ../../etc
has "a bad tty is refused like stepupd does" "invalid --tty" "$tmp/err"
run "bad user" 1 --user "-rf" --groups '' --service sudo
run "usage" 2 --user x
printf 'allow when\n' > "$tmp/broken.conf"; chmod 644 "$tmp/broken.conf"
rc=0; "$ctl" policy test --file "$tmp/broken.conf" --user x --groups '' --service sudo > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -q "^$tmp/broken.conf:1:" "$tmp/err" && ok "a broken policy: exit 1 with diagnostics" || { fail "broken policy: exit $rc"; cat "$tmp/err"; }
rc=0; "$ctl" policy check "$tmp/broken.conf" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 1 ] && ok "policy check: a broken file" || fail "policy check broken: exit $rc"
rc=0; "$ctl" policy check "$P" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 0 ] && grep -q "OK (8 rules" "$tmp/out" && ok "policy check: a good file" || fail "policy check good: exit $rc"
# a deny-list of commands: a warning (file:line, the allow that dodges it), not an error
printf '# a deny-list\nrequire totp within 0 when service sudo and command shell\nrequire totp when service sudo and command /usr/bin/systemctl*\nallow\n' > "$tmp/deny.conf"
printf '# an allow-list\nrequire totp within 0 when service sudo and command shell\nallow when service sudo and command /usr/bin/id\nrequire totp when service sudo\nallow\n' > "$tmp/allow.conf"
chmod 644 "$tmp/deny.conf" "$tmp/allow.conf"
rc=0; "$ctl" policy check "$tmp/deny.conf" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 0 ] && ok "policy check: a deny-list still loads" || fail "policy check deny-list: exit $rc"
has "policy check: deny-list counted" "$tmp/deny.conf: OK (3 rules, 2 warnings)"
has "policy check: deny-list warning, line 2" "$tmp/deny.conf:2: warning: deny-list: this require names commands, and the allow at line 4 lets every other command through, so a program that starts others (an editor, a pager, find -exec, python) dodges it; allow named commands instead" "$tmp/err"
has "policy check: deny-list warning, line 3" "$tmp/deny.conf:3: warning: deny-list: this require names commands" "$tmp/err"
rc=0; "$ctl" policy check "$tmp/allow.conf" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && ok "policy check: an allow-list, no warning" || { fail "policy check allow-list: exit $rc"; cat "$tmp/err"; }
has "policy check: allow-list counted" "$tmp/allow.conf: OK (4 rules, 0 warnings)"

# 7. As root: the daemon decides what `policy test` says.
if [ "$(id -u)" = 0 ]; then
        P="$tmp/parity.conf"
        cat > "$P" <<'POLICY'
require totp within 0 when service sudo and command shell
require totp when service sudo and command /usr/bin/apt*
deny "edit" when service sudo and command sudoedit "*motd*"
allow when service sudo and group root and command /usr/bin/id ""
deny "root ssh" when service sshd and user root
allow when service sudo and group no-such-group-x
allow when service sudo and target-group root
deny
POLICY
        chmod 644 "$P"
        : > "$tmp/stepupd.conf"; chmod 644 "$tmp/stepupd.conf"
        mkdir -m 700 "$tmp/state"
        "$build/stepupd/stepupd" --socket "$tmp/pam.sock" --user-socket '' --db "$tmp/state/db" \
                --policy "$P" --config "$tmp/stepupd.conf" --questions "$tmp/q.conf" 2> "$tmp/stepupd.log" &
        daemon_pid=$!
        for _ in $(seq 100); do [ -S "$tmp/pam.sock" ] && break; sleep 0.05; done
        [ -S "$tmp/pam.sock" ] || { echo "stepupd did not start:"; cat "$tmp/stepupd.log"; exit 1; }
        # SERVICE USER [COMMAND]: policy test's rule must be the daemon's (no tty in either)
        for req in "sudo root" "sshd root" "cron root" "sudo root /usr/bin/apt update" \
                   "sudo root $tmp/innocent install x" "sudo root /bin/sh" "sudo root /usr/bin/id" \
                   "sudo root sudoedit /etc/motd" "sudo root /usr/bin/id -u" "sudo root sudoedit /etc/x" \
                   "sudo root /usr/bin/env bash -c id" "sudo root /usr/bin/nice -n5 /usr/bin/apt update" \
                   "sudo root /usr/bin/env --weird /usr/bin/id" "sudo root /usr/bin/env /usr/bin/id" \
                   "sudo root /usr/bin/timeout 5 /usr/bin/python3 -c 1"; do
                set -- $req
                svc=$1 usr=$2; shift 2
                args=(--user "$usr" --service "$svc" --json)
                [ $# -gt 0 ] && args+=(--command "$*")
                "$ctl" policy test --file "$P" "${args[@]}" > "$tmp/out" 2> "$tmp/err" || { fail "policy test $req"; continue; }
                want=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['rule'] or '-')" "$tmp/out")
                got=$("$decide" "$tmp/pam.sock" "$svc" "$usr" ${1+"$*"} 2>&1 | awk '{print $2}' | sed 's/:$//') || true
                [ "$got" = "$want" ] && ok "stepupd agrees: $req -> $want" || fail "stepupd says '$got', policy test '$want' for: $req"
        done
fi

if [ "$fails" != 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all policy test checks passed"
