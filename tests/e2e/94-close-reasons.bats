#!/usr/bin/env bats
# Why each connection ended (issue 16 item 2): the close summary's
# CLOSE_REASON and CLOSE_SIDE (JSON socket_snoop.close_reason, close_side),
# each reason produced for real between the test's namespaces: nftables
# drops and ICMP rejects, the per-namespace retry sysctls, keepalive
# probes, TCP Fast Open with its final ACK dropped, ss -K, a close with
# unread data.  The normal closes (fin_local, fin_remote), a refused and a
# timed-out connect and SO_LINGER 0 are asserted in 81 and 82.  And the
# error of a failed connect is the one the application got, although the
# application may take it from the socket before the kernel reports it
# (issue 16 item 7c).

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	e2e_require_cmds nft python3 ss
	ender_setup
}

teardown() {
	e2e_teardown
}

MON=(--no-log-file --no-report)

@test "timeouts: retransmit (tcp_retries2), keepalive, SYN-ACK of TCP Fast Open: reason, side, RESET_REASON, health" {
	# Data retried twice (RTO 200 ms): about 1.4 s; keepalive: 1 s idle and
	# two probes a second apart; the Fast Open connection's SYN-ACK once.
	ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_retries2=2 net.ipv4.tcp_fastopen=5
	ip netns exec "$NS_S" sysctl -qw net.ipv4.tcp_fastopen=0x202
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	ender_srv r 8941 hold
	ender_srv k 8942 hold
	ender_srv f 8943 tfo
	ender_cli r 8941 send
	ender_cli k 8942 keepalive
	ender_cli_end r CONNECTED
	ender_cli_end k CONNECTED
	# From here the server's namespace takes nothing from the first two
	# clients, and only SYNs from the Fast Open one: its ACKs are lost.
	ip netns exec "$NS_S" nft -f - <<EOF
table inet snoop_e2e_94 {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport { 8941, 8942 } drop
		tcp dport 8943 tcp flags & syn == 0 drop
	}
}
EOF
	release "${CPID[r]}"
	release "${CPID[k]}"
	ender_cli f 8943 tfo
	ender_cli_end f CONNECTED
	wait_line "$T/srv-f.peer" "$LINE_TIMEOUT" ACCEPTED || e2e_fail "the Fast Open connection was not accepted"
	assert_eq "retransmitting client's read" "$(ender_result cli-r 15)" ETIMEDOUT
	assert_eq "keepalive client's read" "$(ender_result cli-k 15)" ETIMEDOUT
	assert_eq "Fast Open server's read" "$(ender_result srv-f 15)" ETIMEDOUT
	local fc
	fc=$(awk '$1 == "ACCEPTED" { print $2 ":" $3; exit }' "$T/srv-f.peer")
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " Connection Summary: SRC=${S_EP[f]} DST=$fc " ||
		e2e_fail "no summary of the Fast Open connection"
	settle
	snoop_stop

	assert_summary "${C_EP[r]}" "${S_EP[r]}" "${CPID[r]}" "${CCOMM[r]}" DIRECTION=outbound \
		CLOSE_REASON=retransmit_timeout CLOSE_SIDE=server CA_WORST=loss
	# Each timeout retransmitted the 1,000 bytes; the kernel counts the timeouts.
	local rto retr bytes
	rto=$(field_of "$SUMMARY" RTO)
	retr=$(field_of "$SUMMARY" RETRANS)
	bytes=$(field_of "$SUMMARY" BYTES_RETRANS)
	[ "$rto" -ge 2 ] || e2e_fail "RTO=$rto after tcp_retries2=2 timeouts: $SUMMARY"
	[ "$retr" -ge 2 ] || e2e_fail "RETRANS=$retr: $SUMMARY"
	assert_eq "BYTES_RETRANS: 1,000 bytes each time" "$bytes" $((retr * 1000))
	assert_summary "${C_EP[k]}" "${S_EP[k]}" "${CPID[k]}" "${CCOMM[k]}" DIRECTION=outbound \
		CLOSE_REASON=keepalive_timeout CLOSE_SIDE=server RESET_REASON=TCP_KEEPALIVE_TIMEOUT RETRANS=0
	assert_summary "${S_EP[f]}" "$fc" "${SPID[f]}" "${SCOMM[f]}" DIRECTION=inbound \
		CLOSE_REASON=synack_timeout CLOSE_SIDE=client
}

@test "connects: refused, unreachable (ICMP), abandoned; each of 20 unreachable ones reports the application's EHOSTUNREACH" {
	ip netns exec "$NS_S" nft -f - <<EOF
table inet snoop_e2e_94 {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 8951 reject with icmp type host-unreachable
		tcp dport 8952 drop
	}
}
EOF
	# An ICMP error that comes while connect() holds the socket is kept as a
	# soft error until the SYN is sent again: one retry (1 s, then 2 s) ends it.
	ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_retries=1
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	ender_cli a 8952 abandon
	ender_cli_end a CONNECTING
	ender_cli u 8951 connects 20
	wait_exit "${BGPID[cli-u]}" 70 || e2e_fail "the unreachable connects did not end"
	ender_cli x 9 connects 1
	wait_exit "${BGPID[cli-x]}" "$LINE_TIMEOUT" || e2e_fail "the refused connect did not end"
	wait_exit "${BGPID[cli-a]}" "$LINE_TIMEOUT" || e2e_fail "the abandoning client did not end"
	wait_count "$T/mon.out" "$LINE_TIMEOUT" 22 " Connection Summary: " || e2e_fail "not 22 summaries"
	settle
	snoop_stop

	assert_eq "the application's results" "$(grep -c '^RESULT EHOSTUNREACH$' "$T/cli-u.peer")" 20
	local dst failed summaries
	dst=$(ep "$V4_S" 8951)
	failed=$(grep -F " DST=$dst " "$T/mon.out" | grep -F " Connection Failed: ") || true
	assert_eq "Connection Failed lines towards $dst" "$(grep -c . <<<"$failed")" 20
	assert_eq "... each with the application's error" "$(grep -cF " ERROR=No route to host" <<<"$failed")" 20
	summaries=$(grep -F " DST=$dst " "$T/mon.out" | grep -F " Connection Summary: ") || true
	assert_eq "summaries towards $dst" "$(grep -c " PID=${CPID[u]} COMM=${CCOMM[u]} .* CLOSE_REASON=unreachable CLOSE_SIDE=server " <<<"$summaries")" 20
	assert_summary "$(ep "$V4_C" "$(awk '$1 == "CONNECTING" { print $3 }' "$T/cli-a.peer")")" "$(ep "$V4_S" 8952)" \
		"${CPID[a]}" "${CCOMM[a]}" CLOSE_REASON=connect_abandoned CLOSE_SIDE=client SENT=0 RECEIVED=0
	summaries=$(grep -F " DST=$(ep "$V4_S" 9) " "$T/mon.out" | grep -F " Connection Summary: ")
	[[ $summaries == *" PID=${CPID[x]} COMM=${CCOMM[x]} "*" CLOSE_REASON=connect_refused CLOSE_SIDE=server "* ]] ||
		e2e_fail "refused connect: $summaries"
}

@test "resets (JSON): ss -K is rst_sent with TCP_STATE, a close with unread data aborted_on_close, the peers rst_received" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}" -j
	ender_srv kill 8961 hold
	ender_cli kill 8961 hold
	ender_cli_end kill CONNECTED
	release "${CPID[kill]}"
	ender_srv unread 8962 unread
	ender_cli unread 8962 send
	ender_cli_end unread CONNECTED
	release "${CPID[unread]}"
	wait_line "$T/srv-kill.peer" "$LINE_TIMEOUT" ACCEPTED || e2e_fail "not accepted"
	ip netns exec "$NS_S" ss -K -t state established '( sport = :8961 )' >/dev/null
	assert_eq "killed server's read" "$(ender_result srv-kill)" ECONNABORTED
	assert_eq "its client's read" "$(ender_result cli-kill)" ECONNRESET
	assert_eq "unread data: the client's read" "$(ender_result cli-unread)" ECONNRESET
	json_wait '.event.action == "close" and .process.pid == '"${CPID[unread]}"
	json_wait '.event.action == "close" and .process.pid == '"${CPID[kill]}"
	settle
	snoop_stop

	local close='.event.action == "close"'
	assert_eq "killed server" "$(json_select "$close and .process.pid == ${SPID[kill]}" | jq -c '.socket_snoop |
		[.close_reason, .close_side, .reset_reason, .closed_by]')" '["rst_sent","server","TCP_STATE","reset"]'
	assert_eq "its client" "$(json_select "$close and .process.pid == ${CPID[kill]}" | jq -c '.socket_snoop |
		[.close_reason, .close_side, .reset_reason]')" '["rst_received","server",null]'
	assert_eq "server closing with unread data" "$(json_select "$close and .process.pid == ${SPID[unread]}" |
		jq -c '[.socket_snoop.close_reason, .socket_snoop.close_side, .socket_snoop.bytes_received]')" \
		'["aborted_on_close","server",1000]'
	assert_eq "its client" "$(json_select "$close and .process.pid == ${CPID[unread]}" |
		jq -c '[.socket_snoop.close_reason, .socket_snoop.close_side]')" '["rst_received","server"]'
}

# The value of FIELD ("bytes_retrans", "retrans" gives the total after the
# slash) in ss -ti's line for the established socket of namespace NS matching
# the ss filter FILTER; 0 when ss leaves it out (it does for 0).
# ss_field NS FILTER FIELD
ss_field() {
	local info
	info=$(ip netns exec "$1" ss -Htin state established "$2" | tail -n 1)
	case $3 in
	retrans) [[ $info =~ \ retrans:[0-9]+/([0-9]+) ]] ;;
	*) [[ $info =~ \ $3:([0-9.]+) ]] ;;
	esac && printf '%s' "${BASH_REMATCH[1]}" || printf 0
}

@test "health at close: loss (nftables) and reordering (htb) counted as ss -ti shows them just before the close" {
	# From the client: one data segment in 50 dropped at the server, one in
	# 10 sent through a slow htb class that the others overtake.
	ip netns exec "$NS_C" tc qdisc add dev vcli root handle 1: htb default 10
	ip netns exec "$NS_C" tc class add dev vcli parent 1: classid 1:10 htb rate 10gbit
	ip netns exec "$NS_C" tc class add dev vcli parent 1: classid 1:20 htb rate 20mbit
	ip netns exec "$NS_C" nft -f - <<EOF
table inet snoop_e2e_94 {
	chain output {
		type filter hook output priority 0; policy accept;
		tcp dport 8971 meta length > 100 meta priority set numgen random mod 10 map { 0 : 1:20, 1-9 : 1:10 }
	}
}
EOF
	ip netns exec "$NS_S" nft -f - <<EOF
table inet snoop_e2e_94 {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 8971 meta length > 100 numgen random mod 50 == 0 drop
	}
}
EOF
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	ender_srv h 8971 hold
	ender_cli h 8971 bulk 4000000
	ender_cli_end h CONNECTED
	wait_line "$T/cli-h.peer" 30 SENT || e2e_fail "the client did not send its 4 MB"
	# Everything acknowledged: nothing in flight that could still change a count.
	local i info cf='( dport = :8971 )' sf='( sport = :8971 )'
	for ((i = 0; i < 100; i++)); do
		info=$(ip netns exec "$NS_C" ss -Htin state established "$cf")
		[[ $info == *unacked:* ]] || break
		sleep 0.1
	done
	local -A want
	for f in retrans bytes_retrans reord_seen dsack_dups; do
		want[$f]=$(ss_field "$NS_C" "$cf" "$f")
	done
	want[rcv_ooopack]=$(ss_field "$NS_S" "$sf" rcv_ooopack)
	want[minrtt]=$(ss_field "$NS_C" "$cf" minrtt)
	release "${CPID[h]}"
	assert_eq "the server's read" "$(ender_result srv-h)" EOF
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " Connection Summary: SRC=${S_EP[h]} " || e2e_fail "no server summary"
	settle
	snoop_stop

	# The test proves something only if there was loss and reordering.
	[ "${want[retrans]}" -gt 0 ] || e2e_fail "no retransmits: $info"
	[ "${want[rcv_ooopack]}" -gt 0 ] || e2e_fail "nothing came out of order"
	assert_summary "${C_EP[h]}" "${S_EP[h]}" "${CPID[h]}" "${CCOMM[h]}" SENT=4000000 \
		RETRANS="${want[retrans]}" BYTES_RETRANS="${want[bytes_retrans]}" REORDER="${want[reord_seen]}" \
		DSACK_DUPS="${want[dsack_dups]}" CLOSE_REASON=fin_local
	local client=$SUMMARY ca min
	ca=$(field_of "$client" CA_WORST)
	[[ $ca == recovery || $ca == loss ]] || e2e_fail "CA_WORST=$ca after losses: $client"
	min=$(field_of "$client" MIN_RTT)
	awk -v m="${min%ms}" -v s="${want[minrtt]}" 'BEGIN { exit !(m > 0 && m <= s + 0.0005) }' ||
		e2e_fail "MIN_RTT=$min, ss said minrtt:${want[minrtt]}: $client"
	assert_summary "${S_EP[h]}" "$(awk '$1 == "ACCEPTED" { print $2 ":" $3; exit }' "$T/srv-h.peer")" "${SPID[h]}" \
		"${SCOMM[h]}" RECEIVED=4000000 OOO_IN="${want[rcv_ooopack]}" CLOSE_REASON=fin_remote CLOSE_SIDE=client
}
