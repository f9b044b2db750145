#!/usr/bin/env bats
# The lifecycle report at exit (SIGINT, SIGTERM, end of --duration), the stop
# messages on stderr, and --no-report.  The monitor keeps only this test's
# addresses (ISOLATE): the report is bounded and evicts the oldest connections,
# so a storm elsewhere on the host must not push this test's ones out.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
}

teardown() {
	e2e_teardown
}

# stderr ends with "Stopping monitoring..." then, last, the summary line.
assert_stop_messages() {
	local file=$T/mon.err last
	grep -qxF 'Stopping monitoring...' "$file" || e2e_fail "no 'Stopping monitoring...' on stderr"
	last=$(tail -n 1 "$file")
	[[ $last =~ ^Summary:\ RECEIVED=([0-9]+)\ LOST=([0-9]+)( [A-Z_]+=[0-9]+)*$ ]] ||
		e2e_fail "last stderr line is not the summary: '$last'"
	SUMMARY_RECEIVED=${BASH_REMATCH[1]}
	SUMMARY_LOST=${BASH_REMATCH[2]}
}

# The report follows the events: nothing but report lines after its title.
assert_report_after_events() {
	local title
	title=$(grep -nxF 'Connection Lifecycles:' "$T/mon.out" | cut -d: -f1)
	[ -n "$title" ] || e2e_fail "no 'Connection Lifecycles:' in stdout"
	if tail -n +"$title" "$T/mon.out" | grep -E "^$TS_RE " >"$T/late"; then
		e2e_fail "event lines after the report title:" "$(cat "$T/late")"
	fi
}

# The client's and the server's blocks of conversation TAG (client closed first).
assert_conv_report() {
	local tag=$1
	assert_report "${C_EP[$tag]}" "${S_EP[$tag]}" "${C_EP0[$tag]},${C_EP[$tag]}" \
		"${SEQ_ACTIVE_CLOSER_CLIENT[@]}"
	assert_report "${S_EP[$tag]}" "${C_EP[$tag]}" "${S_EP[$tag]}" "${SEQ_PASSIVE_CLOSER_SERVER[@]}"
}

@test "SIGINT: report per connection with its real local port and its transitions in order" {
	snoop_start "${ISOLATE[@]}" --no-log-file
	conv a 4 8300
	conv b 6 8301
	SADDR[r]=$V4_S
	SPORT[r]=9
	cli_run r r --expect-refused
	await_closed a
	await_closed b
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " DST=$V4_S:9 " "STATE=${STATE_DESC[CLOSE]}" || true
	snoop_stop INT

	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_stop_messages
	assert_report_after_events
	assert_conv_report a
	assert_conv_report b
	# The refused connection, under the port it really had.
	local rsrc
	rsrc=$(grep -F " DST=$V4_S:9 " "$T/mon.out" | grep -F "STATE=${STATE_DESC[CLOSE]}" |
		sed -n 's/.* SRC=\([^ ]*\) .*/\1/p' | head -n 1)
	[ -n "$rsrc" ] || e2e_fail "no CLOSE line for the refused connection"
	assert_report "$rsrc" "$V4_S:9" "$(ep "$V4_C" 0),$rsrc" SYN_SENT CLOSE
	# Never the :0 of the SYN_SENT moment.
	if grep -E '^Connection: [^ ]+:0 -> ' "$T/mon.out" | grep -vE -- '-> (0\.0\.0\.0|\[::\]):0$' >"$T/zero"; then
		e2e_fail "report connections with local port 0:" "$(cat "$T/zero")"
	fi
	[ "$SUMMARY_RECEIVED" -ge 26 ] || e2e_fail "RECEIVED=$SUMMARY_RECEIVED, this test alone made 26 transitions"
	assert_eq "events lost" "$SUMMARY_LOST" 0
}

@test "SIGTERM: same report and stop messages" {
	snoop_start "${ISOLATE[@]}" --no-log-file
	conv a 4 8302
	await_closed a
	snoop_stop TERM

	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_stop_messages
	assert_report_after_events
	assert_conv_report a
}

@test "--duration=2 stops by itself after 2 s, prints the report and exits 0" {
	local t0 t1 ms
	snoop_start "${ISOLATE[@]}" --no-log-file --duration=2
	# From the banner: the 2 s are counted from the start of capture, after the
	# programs are loaded (a start-up that takes seconds on a busy machine).
	t0=$(date +%s%N)
	conv a 4 8303
	await_closed a
	wait_exit "$SNOOP_PID" 8 || e2e_fail "still running 8 s after --duration=2"
	t1=$(date +%s%N)
	SNOOP_PID=
	ms=$(((t1 - t0) / 1000000))

	assert_eq "exit status" "$WAIT_STATUS" 0
	[ "$ms" -ge 1900 ] || e2e_fail "stopped after ${ms} ms, before 2 s"
	[ "$ms" -le 5000 ] || e2e_fail "stopped after ${ms} ms, long after 2 s"
	assert_stop_messages
	assert_report_after_events
	assert_conv_report a
}

@test "--no-report: events, stop messages, but no report" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	conv a 4 8304
	await_closed a
	snoop_stop INT

	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_conv a client server listener
	assert_stop_messages
	if grep -nE '^(Connection Lifecycles:|Connection: )' "$T/mon.out" >"$T/rep"; then
		e2e_fail "report printed despite --no-report:" "$(cat "$T/rep")"
	fi
}
