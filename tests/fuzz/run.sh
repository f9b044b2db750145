#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# run.sh - run libFuzzer targets for a bounded time each, from their seeds.
#
#   tests/fuzz/run.sh BUILD-DIR TARGET...     (make fuzz-run does this)
#
# Each target runs FUZZ_SECONDS (default 10) from the committed seeds in
# tests/fuzz/corpus/TARGET plus what earlier runs found (BUILD-DIR/corpus/
# TARGET, not committed), FUZZ_JOBS targets at a time (default: the CPUs).
# A crash, leak, sanitizer report or timeout fails the run: its input is
# kept as BUILD-DIR/artifacts/TARGET-crash-... and the end of its log shown.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
shift
seconds=${FUZZ_SECONDS:-10}
jobs=${FUZZ_JOBS:-$(nproc)}

mkdir -p "$out/artifacts" "$out/logs"

# Run one target; its status is the fuzzer's.
run_one() {
	local t=$1 bin=$out/fuzz/$1 seeds=$root/tests/fuzz/corpus/$1
	mkdir -p "$out/corpus/$t"
	[ -d "$seeds" ] || seeds=
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
		"$out/corpus/$t" ${seeds:+"$seeds"} >"$out/logs/$t.log" 2>&1
}

declare -A pid_of=()
status=0
finish() {
	local t=$1
	if wait "${pid_of[$t]}"; then
		printf '  %-8s %s: %s\n' FUZZ "$t" \
			"$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$out/logs/$t.log" | sed 's/.*: //') runs, no crash"
	else
		printf '  %-8s %s: FAILED, log %s\n' FUZZ "$t" "$out/logs/$t.log"
		grep -E -A40 '^==[0-9]+==|runtime error|^fuzz:|deadly signal|Test unit written' \
			"$out/logs/$t.log" | head -n 60
		status=1
	fi
	unset "pid_of[$t]"
}

running=()
for t in "$@"; do
	run_one "$t" &
	pid_of[$t]=$!
	running+=("$t")
	if [ "${#running[@]}" -ge "$jobs" ]; then
		finish "${running[0]}"
		running=("${running[@]:1}")
	fi
done
for t in "${running[@]}"; do
	finish "$t"
done
exit "$status"
