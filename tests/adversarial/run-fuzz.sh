#!/bin/bash
# Builds the libFuzzer targets with clang (-Dfuzz=true) in BUILD_DIR and runs each for
# SECONDS from its seed corpus (new inputs go to a temporary directory, never into the
# tree).  A crash, leak or sanitizer report fails the run and leaves the input in
# BUILD_DIR/fuzz-artifacts/.  Usage: run-fuzz.sh [BUILD_DIR] [SECONDS]   (build-fuzz, 20)
# Targets: PATH-IN-BUILD:CORPUS[:DICT] below; a new fuzz target is added to this list.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-fuzz} secs=${2:-20}
targets=(
        "common/fuzz-codec:tests/adversarial/corpus-codec"
        "policy/fuzz-policy:tests/policy/corpus:policy/fuzz_policy.dict"
        "policy/fuzz-command:tests/policy/corpus-command"
        "stepupctl/fuzz-import:tests/factors/corpus-import"
        "stepupd/fuzz-idp-token:tests/idp/corpus-token"
)
if [ ! -f "$dir/build.ninja" ]; then
        CC=clang meson setup "$dir" --werror -Dfuzz=true >/dev/null
fi
names=()
for t in "${targets[@]}"; do names+=("$(basename "${t%%:*}")"); done
meson compile -C "$dir" "${names[@]}" >/dev/null
mkdir -p "$dir/fuzz-artifacts"
rc=0
for t in "${targets[@]}"; do
        IFS=: read -r bin corpus dict <<< "$t"
        work=$(mktemp -d /tmp/stepup-fuzz.XXXXXX)
        args=(-max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/"
              -rss_limit_mb=2048)
        [ -n "${dict:-}" ] && args+=(-dict="$dict")
        if "$dir/$bin" "${args[@]}" "$work" "$corpus" > "$work.log" 2>&1; then
                runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
                echo "fuzz $(basename "$bin"): ${runs:-?} executions in ${secs} s, no crash"
        else
                echo "fuzz $(basename "$bin"): FAILED"; tail -n 40 "$work.log"; rc=1
        fi
        rm -rf "$work" "$work.log"
done
exit $rc
