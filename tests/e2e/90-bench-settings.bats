#!/usr/bin/env bats
# bench/run.sh (make bench): a bad BENCH_* setting exits 64 before anything runs,
# naming the variable and its value.  The good settings are exercised by make bench.
# scripts/tracefs-sweep.sh, which bench/run.sh and the test runners call first: the
# tracefs instances of test runs that ended are removed.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

# assert_bad_setting VAR VALUE: exit 64, one error line naming VAR and VALUE, no report.
assert_bad_setting() {
	local status=0
	env "$1=$2" BENCH_OUT="$T/report.md" "$BATS_TEST_DIRNAME/../../bench/run.sh" \
		>"$T/bench.out" 2>"$T/bench.err" || status=$?
	assert_eq "exit status of $1=$2" "$status" 64
	grep -qF -e "ERROR: $1 " "$T/bench.err" || e2e_fail "stderr does not name $1:" "$(cat "$T/bench.err")"
	grep -qF -e "'$2'" "$T/bench.err" || e2e_fail "stderr does not name '$2':" "$(cat "$T/bench.err")"
	[ ! -e "$T/report.md" ] || e2e_fail "a report was written"
	[ "$(wc -l <"$T/bench.err")" -eq 1 ] || e2e_fail "more than the error:" "$(cat "$T/bench.err")"
}

@test "bench: whole-number settings reject other values" {
	assert_bad_setting BENCH_CHATTER_RUNS x
	assert_bad_setting BENCH_CONNS -5
	assert_bad_setting BENCH_TIMEOUT 1.5
}

@test "bench: counts of zero are rejected (rounds, runs, connections)" {
	assert_bad_setting BENCH_ROUNDS 0
	assert_bad_setting BENCH_CHATTER_RUNS 0
	assert_bad_setting BENCH_CONNS 0
}

@test "bench: switches, family, topology and settle time reject other values" {
	assert_bad_setting BENCH_KEEP yes
	assert_bad_setting BENCH_CHATTER_INLINE 2
	assert_bad_setting BENCH_FAMILY 5
	assert_bad_setting BENCH_TOPOLOGY wan
	assert_bad_setting BENCH_SETTLE 1s
	assert_bad_setting BENCH_INTERVAL 2
	assert_bad_setting BENCH_INTERVAL_SECS 0
	assert_bad_setting BENCH_INTERVAL_SOCKETS "ten thousand"
}

@test "bench: scenario list and address families reject other words" {
	assert_bad_setting BENCH_SCENARIOS "fast nope"
	assert_bad_setting BENCH_SCENARIOS "storm,fast"
	assert_bad_setting BENCH_FAST_FAMILIES 5
	assert_bad_setting BENCH_FAST_FAMILIES "4 4"
}

@test "bench: the new scenarios' counts reject non-numbers, zero and loadgen's limits" {
	assert_bad_setting BENCH_FAST_CONNS 0
	assert_bad_setting BENCH_FAST_THREADS many
	assert_bad_setting BENCH_RPS_CONNS 1.5
	assert_bad_setting BENCH_RPS_THREADS 0
	assert_bad_setting BENCH_RPS_HOGS -1
	assert_bad_setting BENCH_BIG_CONNS 200000000
	assert_bad_setting BENCH_BIG_THREADS 2000
}

@test "bench: the scenarios' server port must be a port" {
	assert_bad_setting BENCH_SCENARIO_PORT 0
	assert_bad_setting BENCH_SCENARIO_PORT 70000
	assert_bad_setting BENCH_SCENARIO_PORT http
}

@test "tracefs-sweep: the instances of runs that ended are removed, those of running ones and others' are left" {
	local tracing=/sys/kernel/tracing dead name
	mountpoint -q "$tracing" || mount -t tracefs nodev "$tracing" || e2e_cannot_run "no tracefs at $tracing"
	dead=$(sh -c 'echo $$')
	! kill -0 "$dead" 2>/dev/null || e2e_cannot_run "PID $dead was taken again"
	for name in "snoop-e2e-$dead-7" "snoop-e2e-$dead-7-pkt" "ss-deploy-$dead" "snoop-e2e-$$-990" \
		"other-tool-$dead"; do
		mkdir "$tracing/instances/$name" || e2e_fail "cannot create the instance $name"
	done
	# Left recording, as a killed run leaves it.
	echo 1 >"$tracing/instances/snoop-e2e-$dead-7/events/sock/inet_sock_set_state/enable"
	"$BATS_TEST_DIRNAME/../../scripts/tracefs-sweep.sh" 2>"$T/sweep.err" ||
		e2e_fail "tracefs-sweep failed:" "$(cat "$T/sweep.err")"
	local left=()
	for name in "snoop-e2e-$dead-7" "snoop-e2e-$dead-7-pkt" "ss-deploy-$dead"; do
		[ ! -d "$tracing/instances/$name" ] || left+=("$name")
		grep -qF "removed $name," "$T/sweep.err" || e2e_fail "not said removed: $name" "$(cat "$T/sweep.err")"
	done
	for name in "snoop-e2e-$$-990" "other-tool-$dead"; do
		[ -d "$tracing/instances/$name" ] || e2e_fail "removed, though not to be: $name"
		rmdir "$tracing/instances/$name"
	done
	[ ${#left[@]} -eq 0 ] || e2e_fail "left behind:" "${left[@]}"
}
