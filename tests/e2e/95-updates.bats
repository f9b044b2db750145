#!/usr/bin/env bats
# --interval=SECS (issue 16 item 4): a Connection Update of every connection
# open longer than SECS, each interval, with the bytes, segments and
# retransmits since its previous update and its health, read by a kernel
# iterator (no per-packet program).  A client between the test's namespaces
# sends 1,000 bytes, then 500, each held until the monitor showed an update
# with it: the updates must count each exactly once, every other update 0,
# and the close summary the total (here, where nothing comes after the last).

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	e2e_require_cmds python3
	ender_setup
}

teardown() {
	e2e_teardown
}

MON=(--no-log-file --no-report)

# The values of FIELD in the lines given on stdin, one per line.
values_of() {
	local line
	while IFS= read -r line; do
		field_of "$line" "$1"
		echo
	done
}

@test "--interval=1: updates count the bytes since the previous one exactly, on both ends; the summary the total" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --interval=1
	ender_srv h 8981 hold
	ender_cli h 8981 steps 1000,500
	ender_cli_end h CONNECTED
	wait_line "$T/cli-h.peer" "$LINE_TIMEOUT" SENT || e2e_fail "no first send"
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " Connection Update: SRC=${C_EP[h]} " " SENT=1000 " ||
		e2e_fail "no update with the first 1,000 bytes"
	release "${CPID[h]}"
	wait_count "$T/cli-h.peer" "$LINE_TIMEOUT" 2 SENT || e2e_fail "no second send"
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " Connection Update: SRC=${C_EP[h]} " " SENT=500 " ||
		e2e_fail "no update with the next 500 bytes"
	release "${CPID[h]}"
	assert_eq "the server's read" "$(ender_result srv-h)" EOF
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " Connection Summary: SRC=${S_EP[h]} " || e2e_fail "no server summary"
	settle
	snoop_stop

	local cu su
	cu=$(kind_lines "Connection Update" "${C_EP[h]}" "${S_EP[h]}")
	su=$(kind_lines "Connection Update" "${S_EP[h]}" "${C_EP[h]}")
	# Each send counted once, by exactly one update; every other update 0.
	assert_eq "client updates' SENT (non-zero)" "$(values_of SENT <<<"$cu" | grep -v '^0$' | tr '\n' ' ')" "1000 500 "
	assert_eq "server updates' RECEIVED (non-zero)" "$(values_of RECEIVED <<<"$su" | grep -v '^0$' | tr '\n' ' ')" "1000 500 "
	assert_eq "client updates' RECEIVED" "$(values_of RECEIVED <<<"$cu" | sort -u)" 0
	assert_eq "client updates' RETRANS" "$(values_of RETRANS <<<"$cu" | sort -u)" 0
	# Owner, state, direction; none before the connection was a second old.
	local re
	re="^$TS_RE Connection Update: SRC=$(re_quote "${C_EP[h]}") DST=$(re_quote "${S_EP[h]}") PID=${CPID[h]}"
	re+=" COMM=${CCOMM[h]} STATE=Connection Established DURATION=([1-9][0-9]*)\\.[0-9]{3}s SENT=[0-9]+ "
	re+="RECEIVED=0 SEGS_OUT=[0-9]+ SEGS_IN=[0-9]+ RETRANS=0 RTT=[0-9]+\\.[0-9]{3}ms DIRECTION=outbound"
	re+=" RTTVAR=.* CA_WORST=open$"
	local line
	while IFS= read -r line; do
		[[ $line =~ $re ]] || e2e_fail "update does not match /$re/:" "$line"
	done <<<"$cu"
	[[ $su == *" PID=${SPID[h]} COMM=${SCOMM[h]} STATE=Connection Established "*" DIRECTION=inbound "* ]] ||
		e2e_fail "server updates:" "$su"
	assert_summary "${C_EP[h]}" "${S_EP[h]}" "${CPID[h]}" "${CCOMM[h]}" SENT=1500 CLOSE_REASON=fin_local
}

@test "exit 64: --interval with --events that leaves out update; exit 69: --interval with the raw_tp build" {
	snoop_run "$SNOOP" --interval=1 --events=close --no-log-file --duration=1
	assert_eq "exit status" "$RUN_STATUS" 64
	grep -qF -- "--interval needs the event kind update, which --events leaves out" "$T/run.err" ||
		e2e_fail "stderr:" "$(cat "$T/run.err")"
	grep -q '^Monitoring socket connections' "$T/run.err" && e2e_fail "capture started"

	snoop_run "$SNOOP" --attach=raw_tp --interval=1 --no-log-file --duration=1
	assert_eq "exit status" "$RUN_STATUS" 69
	grep -qF -- "--interval" "$T/run.err" || e2e_fail "stderr does not name --interval:" "$(cat "$T/run.err")"
	grep -qF "raw_tp" "$T/run.err" || e2e_fail "stderr does not say raw_tp:" "$(cat "$T/run.err")"
}
