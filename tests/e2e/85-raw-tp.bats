#!/usr/bin/env bats
# --attach=raw_tp: the fallback build for kernels that refuse tp_btf (raw
# tracepoints, no sk_storage: owners live in a hash, listeners in a map).
# Same contract as the default build: exact transitions, every event of a
# socket attributed to its owner (server side through the listener, then the
# process that touches it), exact close summaries, with RPS so that softirq
# runs on the CPU the owner is not on.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
}

teardown() {
	e2e_teardown
}

MON=(--attach=raw_tp --no-log-file --no-report)

# Assert the running monitor's BPF programs are all raw tracepoints
# (prog_type 17, BPF_PROG_TYPE_RAW_TRACEPOINT; tp_btf would be 26, tracing)
# but the two at the exits of accept and accept4, classic tracepoints (5) in
# both builds.
assert_raw_tp_programs() {
	local types
	types=$(grep -h '^prog_type:' "/proc/$SNOOP_PID/fdinfo/"* 2>/dev/null | awk '{ print $2 }' | sort | uniq -c)
	[ -n "$types" ] || e2e_fail "the monitor holds no BPF program"
	[[ $types =~ ^\ *[0-9]+\ 17$'\n'\ *2\ 5$ ]] ||
		e2e_fail "program types other than raw_tracepoint (17) and the accept exits (two of 5):" "$types"
}

@test "raw_tp: ipv4 exchange with RPS: exact sequences, every event the owner's, summaries exact; warns about connections open at start" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	assert_raw_tp_programs
	conv a 4 8850 --recv 100000 --send 25000 -- --send 100000 --recv 25000
	await_closed a
	settle
	snoop_stop

	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_contains "$T/mon.err" "connections open at start are not attributed"
	assert_conv a client server listener
	assert_summary "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli \
		SENT=100000 RECEIVED=25000 RETRANS=0 DIRECTION=outbound CLOSED_BY=local
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv \
		SENT=25000 RECEIVED=100000 RETRANS=0 DIRECTION=inbound CLOSED_BY=remote
	assert_contains "$T/mon.out" " SRC=${C_EP0[a]} DST=${S_EP[a]} PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[SYN_SENT]}"
}

@test "raw_tp: accepted socket handed to a forked child: the listener's owner first, then the child" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8851 --recv 100 --send 50 --fork-child --child-comm snoop-srv-child
	await_closed a
	settle
	snoop_stop

	local child
	child=$(awk '$1 == "CHILD" { print $2; exit }' "$T/srv-a.peer")
	[ -n "$child" ] || e2e_fail "the server forked no child"
	assert_conv a client listener
	local want
	want=$(printf '%s\n' \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[SYN_RECV]}" \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[ESTABLISHED]}" \
		"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[CLOSE_WAIT]}" \
		"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[LAST_ACK]}" \
		"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[CLOSE]}")
	assert_eq "server-side transitions" "$(server_states a)" "$want"
	# The summary is the child's: it closed the socket.
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "$child" snoop-srv-child \
		SENT=50 RECEIVED=100 DIRECTION=inbound CLOSED_BY=remote
}

@test "raw_tp: resets and failures attributed: server abort and a refused connect" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8852 --recv 100 --linger0 --close-first -- --send 100 --wait-peer-close
	SADDR[r]=$V4_S
	SPORT[r]=9
	cli_run r r --expect-refused
	await_closed a
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " Connection Failed: " " DST=$V4_S:9 " || true
	settle
	snoop_stop

	local c=${C_EP[a]} s=${S_EP[a]}
	assert_eq "server reset" "$(kind_lines "Reset Sent" "$s" "$c" | cut -c26-)" \
		"Reset Sent: SRC=$s DST=$c PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[CLOSE]} REASON=TCP_STATE"
	assert_eq "client reset" "$(kind_lines "Reset Received" "$c" "$s" | cut -c26-)" \
		"Reset Received: SRC=$c DST=$s PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[ESTABLISHED]}"
	assert_eq "client failure" "$(kind_lines "Connection Failed" "$c" "$s" | cut -c26-)" \
		"Connection Failed: SRC=$c DST=$s PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[CLOSE]} ERROR=Connection reset by peer"
	assert_conn "${C_EP0[a]},$c" "$s" "${CPID[a]}" snoop-cli SYN_SENT ESTABLISHED CLOSE
	assert_conn "$s" "$c" "${SPID[a]}" snoop-srv SYN_RECV ESTABLISHED CLOSE
	# The refused connect: the RST has no socket; the failure is the client's.
	local line
	line=$(grep -F " DST=$V4_S:9 " "$T/mon.out" | grep -F ' Connection Failed: ')
	[[ $line =~ ^$TS_RE\ Connection\ Failed:\ SRC=$(re_quote "$V4_C"):[1-9][0-9]*\ DST=$(re_quote "$V4_S"):9\ PID=${CPID[r]}\ COMM=snoop-cli\ STATE=Connection\ Closed\ ERROR=Connection\ refused$ ]] ||
		e2e_fail "refused connect's failure line:" "$line"
	assert_eq "no-socket resets" "$(grep -F " SRC=$V4_S:9 " "$T/mon.out" | grep -F ' Reset Sent: ' | grep -cF ' PID=0 COMM=<closed> ')" 1
}
