#!/usr/bin/env bats
# The close summary: one "Connection Summary" line per connection when its
# socket reaches CLOSE, read from the kernel's tcp_sock.  SENT and RECEIVED
# are payload bytes (the kernel counts SYN and FIN too; they are removed), so
# a transfer of known sizes gives exact numbers, and the client's SENT is the
# server's RECEIVED.  DIRECTION says who connected, CLOSED_BY who ended it.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
}

teardown() {
	e2e_teardown
}

MON=(--no-log-file --no-report)
UP=100000
DOWN=25000

# Assert the whole shape of the summary of socket SRC -> DST (exactly one),
# with the exact values given; DURATION, SEGS_* and RTT vary and are checked
# for form, SEGS_* and RTT also for being non-zero; the health counters of a
# clean loopback-fast transfer are 0, its worst congestion state "open".
# assert_summary_line SRCS SRC DST PID COMM SENT RECEIVED DIRECTION CLOSED_BY REASON SIDE
assert_summary_line() {
	local srcs=$1 src=$2 dst=$3 pid=$4 comm=$5 sent=$6 recv=$7 dir=$8 by=$9 reason=${10} side=${11}
	assert_summary "$srcs" "$dst" "$pid" "$comm" SENT="$sent" RECEIVED="$recv" RETRANS=0 \
		DIRECTION="$dir" CLOSED_BY="$by" CLOSE_REASON="$reason" CLOSE_SIDE="$side" || return 1
	local re ms='[0-9]+\.[0-9]{3}ms'
	re="^$TS_RE Connection Summary: SRC=$(re_quote "$src") DST=$(re_quote "$dst") PID=$pid COMM=$comm"
	re+=" DURATION=[0-9]+\\.[0-9]{3}s SENT=$sent RECEIVED=$recv SEGS_OUT=[1-9][0-9]* SEGS_IN=[1-9][0-9]*"
	re+=" RETRANS=0 RTT=$ms DIRECTION=$dir CLOSED_BY=$by CLOSE_REASON=$reason CLOSE_SIDE=$side"
	# A RST this side sent with its reason, then the health counters.
	re+="( RESET_REASON=[A-Z_]+)? RTTVAR=$ms MIN_RTT=$ms BYTES_RETRANS=0 RTO=0 RTO_RECOVERIES=0 LOST=0"
	re+=" REORDER=0 DSACK_DUPS=0 OOO_IN=0 DELIVERY_RATE=[0-9]+ CE=0 ECN=(yes|no) CA_WORST=open\$"
	# (Called in a || list, where set -e does not stop at a failure: return it.)
	[[ $SUMMARY =~ $re ]] || { e2e_fail "summary does not match /$re/:" "$SUMMARY"; return 1; }
	if [[ $SUMMARY =~ \ (MIN_)?RTT=0\.000ms ]]; then
		e2e_fail "RTT or MIN_RTT of an established connection is 0: $SUMMARY"
		return 1
	fi
}

# The standard checks of conversation TAG's two summaries and of its listener
# (which has none: it never was a connection).
# assert_conv_summaries TAG CLIENT_CLOSED_BY SERVER_CLOSED_BY CLIENT_REASON SERVER_REASON SIDE
assert_conv_summaries() {
	local tag=$1
	assert_summary_line "${C_EP[$tag]}" "${C_EP[$tag]}" "${S_EP[$tag]}" "${CPID[$tag]}" snoop-cli \
		"$UP" "$DOWN" outbound "$2" "$4" "$6" || return 1
	assert_summary_line "${S_EP[$tag]}" "${S_EP[$tag]}" "${C_EP[$tag]}" "${SPID[$tag]}" snoop-srv \
		"$DOWN" "$UP" inbound "$3" "$5" "$6" || return 1
	assert_eq "listener summaries" "$(kind_lines "Connection Summary" "${S_EP[$tag]}" "$(listener_dst "$tag")" | grep -c .)" 0
	assert_eq "summaries of the client's port-0 moment" \
		"$(kind_lines "Connection Summary" "${C_EP0[$tag]}" "${S_EP[$tag]}" | grep -c .)" 0
}

@test "client closes first (ipv4): exact SENT/RECEIVED both ways, outbound/inbound, CLOSED_BY local/remote" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8820 --recv "$UP" --send "$DOWN" -- --send "$UP" --recv "$DOWN"
	await_closed a
	settle
	snoop_stop

	assert_conv_summaries a local remote fin_local fin_remote client
	assert_conv a client server listener
}

@test "server closes first (ipv6): exact bytes, CLOSED_BY remote on the client, local on the server" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 6 8821 --recv "$UP" --send "$DOWN" --close-first -- --send "$UP" --recv "$DOWN" --wait-peer-close
	await_closed a
	settle
	snoop_stop

	assert_conv_summaries a remote local fin_remote fin_local server
	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli "${SEQ_PASSIVE_CLOSER_CLIENT[@]}"
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv "${SEQ_ACTIVE_CLOSER_SERVER[@]}"
}

@test "reset (client SO_LINGER 0 after the transfer): CLOSED_BY reset on both sides, bytes exact" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8822 --recv "$UP" --send "$DOWN" -- --send "$UP" --recv "$DOWN" --linger0
	assert_contains "$T/srv-a.peer" RESET
	await_closed a
	settle
	snoop_stop

	assert_conv_summaries a reset reset aborted_on_close rst_received client
	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli SYN_SENT ESTABLISHED CLOSE
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv SYN_RECV ESTABLISHED CLOSE
}

@test "--events=close,error: summaries and failures only, no state, reset or retransmit line" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --events=close,error
	conv a 4 8823 --recv "$UP" --send "$DOWN" -- --send "$UP" --recv "$DOWN" --linger0
	wait_count "$T/mon.out" "$LINE_TIMEOUT" 2 " Connection Summary: " ||
		e2e_fail "no two Connection Summary lines"
	settle
	snoop_stop

	assert_conv_summaries a reset reset aborted_on_close rst_received client
	# The server read the client's RST: reset by peer.
	assert_eq "failure lines" "$(grep -cF ' Connection Failed: ' "$T/mon.out")" 1
	assert_contains "$T/mon.out" " Connection Failed: SRC=${S_EP[a]} DST=${C_EP[a]} PID=${SPID[a]} COMM=snoop-srv "
	local other
	# (An "Events Lost" line is no event kind: losses are reported whatever -e says.)
	other=$(grep -E "^$TS_RE " "$T/mon.out" | grep -vE " (Connection Summary|Connection Failed|Events Lost): ") || true
	[ -z "$other" ] || e2e_fail "lines of kinds not selected:" "$other"
}
