#!/usr/bin/env bats
# Retransmits and resets, forced with real packet drops (nftables rules inside
# the test's namespaces) and real aborts, between two namespaces with RPS:
# every event is attributed to the socket's owner, never to the task on CPU,
# and carries the socket's exact tuple (SRC local, DST remote).
#
# What this kernel does, measured:
#   - a segment whose ACKs are dropped is retransmitted on RTO (about 0.2 s,
#     0.6 s, 1.5 s, 3.1 s after it was sent), one segment each time, so the
#     close summary's RETRANS (tcp_sock.total_retrans) equals the number of
#     Retransmit lines exactly;
#   - a SYN without answer is retransmitted 1 s later (then every second with
#     tcp_syn_linear_timeouts);
#   - a RST for a port where nothing listens has no socket: reason NO_SOCKET;
#     a SO_LINGER 0 close sends a RST from CLOSE, reason TCP_STATE (6.10+
#     kernels carry the reason).  The aborting server sends no data first:
#     the client then has nothing to acknowledge after the RST, and no late
#     segment of it meets the closed port (which would add a no-socket RST).

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	e2e_require_cmds nft
}

teardown() {
	e2e_teardown
}

MON=(--no-log-file --no-report)

@test "data retransmits: client's PID and exact tuple on each Retransmit line, RETRANS counts them" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	srv_start a 4 8800 --recv 100000 --send 0
	# The server's SYN-ACK passes, then every segment it sends (its ACKs)
	# is dropped: the client's data is never acknowledged.
	nft_drop "$NS_S" output "tcp sport 8800 tcp flags & syn == 0"
	cli_start a a --send 100000
	cli_connected a
	wait_count "$T/mon.out" "$LINE_TIMEOUT" 2 " Retransmit: SRC=${C_EP[a]} DST=${S_EP[a]} " ||
		e2e_fail "fewer than 2 Retransmit lines while the server's ACKs are dropped"
	nft_undrop "$NS_S" output
	cli_wait a
	srv_wait a
	await_closed a
	settle
	snoop_stop

	local -a rt
	mapfile -t rt < <(kind_lines Retransmit "${C_EP[a]}" "${S_EP[a]}")
	[ "${#rt[@]}" -ge 2 ] || e2e_fail "${#rt[@]} Retransmit lines for the client"
	local want l
	want="Retransmit: SRC=${C_EP[a]} DST=${S_EP[a]} PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[ESTABLISHED]}"
	for l in "${rt[@]}"; do
		[[ $l =~ ^$TS_RE\ (.*)$ ]] && [ "${BASH_REMATCH[1]}" = "$want" ] ||
			e2e_fail "retransmit line" "want: $want" "got:  $l"
	done
	# The server had nothing to retransmit (only its ACKs were dropped).
	assert_eq "server Retransmit lines" "$(kind_lines Retransmit "${S_EP[a]}" "${C_EP[a]}" | grep -c .)" 0
	assert_summary "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli \
		RETRANS="${#rt[@]}" SENT=100000 RECEIVED=0 DIRECTION=outbound CLOSED_BY=local
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv \
		RETRANS=0 SENT=0 RECEIVED=100000 DIRECTION=inbound CLOSED_BY=remote
	# The drops change no transition and no owner.
	assert_conv a client server listener
	echo "# client retransmits: ${#rt[@]}" >&3
}

@test "SYN retransmits of a blackholed connect: Retransmit lines in SYN_SENT, client's PID, real port" {
	# The server's namespace swallows every SYN to port 8801.
	nft_drop "$NS_S" input "tcp dport 8801"
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	SADDR[b]=$V4_S
	SPORT[b]=8801
	cli_start b b --expect-timeout
	wait_line "$T/mon.out" 3 " Retransmit: " " DST=$V4_S:8801 " ||
		e2e_fail "no Retransmit line within 3 s of the SYN"
	# Give up the connect after the first SYN retransmit: the close gives the summary.
	kill -TERM "${CPID[b]}"
	wait_exit "${BGPID[cli-b]}" "$LINE_TIMEOUT"
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " Connection Summary: " " DST=$V4_S:8801 " ||
		e2e_fail "no summary for the abandoned connect"
	settle
	snoop_stop

	local -a rt
	mapfile -t rt < <(grep -F " DST=$V4_S:8801 " "$T/mon.out" | grep -F ' Retransmit: ')
	[ "${#rt[@]}" -ge 1 ] || e2e_fail "no SYN Retransmit line"
	local re port l
	re="^$TS_RE Retransmit: SRC=$(re_quote "$V4_C"):([1-9][0-9]*) DST=$(re_quote "$V4_S:8801") PID=${CPID[b]} COMM=snoop-cli STATE=$(re_quote "${STATE_DESC[SYN_SENT]}")\$"
	for l in "${rt[@]}"; do
		[[ $l =~ $re ]] || e2e_fail "SYN retransmit line does not match /$re/:" "$l"
		port=${port:-${BASH_REMATCH[1]}}
		assert_eq "local port of every SYN retransmit" "${BASH_REMATCH[1]}" "$port"
	done
	# Exactly the transitions of a connect that never got an answer.
	assert_conn "$(ep "$V4_C" 0),$(ep "$V4_C" "$port")" "$V4_S:8801" "${CPID[b]}" snoop-cli SYN_SENT CLOSE
	assert_summary "$(ep "$V4_C" "$port")" "$V4_S:8801" "${CPID[b]}" snoop-cli \
		RETRANS="${#rt[@]}" SENT=0 RECEIVED=0 DIRECTION=outbound CLOSED_BY=local
}

# The no-socket RST answering a SYN to closed port 9 of the server, and the
# client receiving it.  assert_closed_port_reset SERVER_ADDR CLIENT_ADDR CLIENT_PID
assert_closed_port_reset() {
	local srv=$1 cli=$2 pid=$3 dst line cep
	dst=$(ep "$srv" 9)
	# The client's local end, from its CLOSE transition.
	line=$(grep -F " DST=$dst " "$T/mon.out" | grep -F " State Change: " | grep -F "STATE=${STATE_DESC[CLOSE]}") ||
		e2e_fail "no CLOSE line of the refused client towards $dst"
	[[ $line =~ \ SRC=([^ ]+)\  ]] || e2e_fail "no SRC in: $line"
	cep=${BASH_REMATCH[1]}
	[ "$cep" != "$(ep "$cli" 0)" ] || e2e_fail "CLOSE line with local port 0: $line"

	# Sent by the server's kernel with no socket: local end = the closed port.
	local -a sent recv
	mapfile -t sent < <(kind_lines "Reset Sent" "$dst" "$cep")
	assert_eq "Reset Sent lines for $dst -> $cep" "${#sent[@]}" 1
	[[ ${sent[0]} == *" Reset Sent: SRC=$dst DST=$cep PID=0 COMM=<closed> STATE=${STATE_DESC[CLOSE]} REASON=NO_SOCKET" ]] ||
		e2e_fail "no-socket reset line" "got: ${sent[0]}"
	[[ ${sent[0]} =~ ^$TS_RE\ Reset\ Sent: ]] || e2e_fail "bad time stamp: ${sent[0]}"
	# Received by the connecting client, in SYN_SENT, attributed to it.
	mapfile -t recv < <(kind_lines "Reset Received" "$cep" "$dst")
	assert_eq "Reset Received lines for $cep -> $dst" "${#recv[@]}" 1
	[[ ${recv[0]} == *" Reset Received: SRC=$cep DST=$dst PID=$pid COMM=snoop-cli STATE=${STATE_DESC[SYN_SENT]}" ]] ||
		e2e_fail "reset received line" "got: ${recv[0]}"
	# Nothing else claims that RST.
	assert_eq "Reset Received lines towards $dst" "$(grep -F " DST=$dst " "$T/mon.out" | grep -cF ' Reset Received: ')" 1
	assert_eq "Reset Sent lines from $dst" "$(grep -F " SRC=$dst " "$T/mon.out" | grep -cF ' Reset Sent: ')" 1
}

@test "RST to a port with no listener (ipv4, ipv6): Reset Sent PID=0 COMM=<closed> REASON=NO_SOCKET; client gets Reset Received" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	cli_refused_pair
	assert_contains "$T/cli-r4.peer" REFUSED
	assert_contains "$T/cli-r6.peer" REFUSED
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " DST=[$V6_S]:9 " "STATE=${STATE_DESC[CLOSE]}" || true
	settle
	snoop_stop

	assert_closed_port_reset "$V4_S" "$V4_C" "${CPID[r4]}"
	assert_closed_port_reset "$V6_S" "$V6_C" "${CPID[r6]}"
}

@test "server aborts (SO_LINGER 0): Reset Sent by the server's PID, Reset Received by the client's PID" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8802 --recv 100 --linger0 --close-first -- --send 100 --wait-peer-close
	assert_contains "$T/cli-a.peer" RESET
	await_closed a
	settle
	snoop_stop

	local -a sent recv
	mapfile -t sent < <(kind_lines "Reset Sent" "${S_EP[a]}" "${C_EP[a]}")
	assert_eq "server Reset Sent lines" "${#sent[@]}" 1
	[[ ${sent[0]} =~ ^$TS_RE\ (.*)$ ]]
	assert_eq "server reset line" "${BASH_REMATCH[1]}" \
		"Reset Sent: SRC=${S_EP[a]} DST=${C_EP[a]} PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[CLOSE]} REASON=TCP_STATE"
	mapfile -t recv < <(kind_lines "Reset Received" "${C_EP[a]}" "${S_EP[a]}")
	assert_eq "client Reset Received lines" "${#recv[@]}" 1
	[[ ${recv[0]} =~ ^$TS_RE\ (.*)$ ]]
	assert_eq "client reset line" "${BASH_REMATCH[1]}" \
		"Reset Received: SRC=${C_EP[a]} DST=${S_EP[a]} PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[ESTABLISHED]}"
	# The other directions did not happen.
	assert_eq "client Reset Sent lines" "$(kind_lines "Reset Sent" "${C_EP[a]}" "${S_EP[a]}" | grep -c .)" 0
	assert_eq "server Reset Received lines" "$(kind_lines "Reset Received" "${S_EP[a]}" "${C_EP[a]}" | grep -c .)" 0
	# An abort skips the FIN states on both sides.
	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli SYN_SENT ESTABLISHED CLOSE
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv SYN_RECV ESTABLISHED CLOSE
}

@test "SYN-ACK retransmits: listener owner's PID, the server's tuple, SYN_RECV; server RETRANS counts them" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	srv_start a 4 8803
	# The client's SYN leaves, nothing else it sends does: the server never
	# sees the handshake's ACK and retransmits its SYN-ACK.  (A drop on the
	# sending host fails the transmit, so the client retransmits nothing.)
	nft_drop "$NS_C" output "tcp dport 8803 tcp flags & syn == 0"
	cli_start a a --send 100
	cli_connected a
	wait_line "$T/mon.out" 3 " Retransmit: SRC=${S_EP[a]} DST=${C_EP[a]} " ||
		e2e_fail "no SYN-ACK Retransmit line within 3 s"
	nft_undrop "$NS_C" output
	cli_wait a
	srv_wait a
	await_closed a
	settle
	snoop_stop

	local -a rt
	mapfile -t rt < <(kind_lines Retransmit "${S_EP[a]}" "${C_EP[a]}")
	[ "${#rt[@]}" -ge 1 ] || e2e_fail "no SYN-ACK Retransmit line"
	local want l
	want="Retransmit: SRC=${S_EP[a]} DST=${C_EP[a]} PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[SYN_RECV]}"
	for l in "${rt[@]}"; do
		[[ $l =~ ^$TS_RE\ (.*)$ ]] && [ "${BASH_REMATCH[1]}" = "$want" ] ||
			e2e_fail "SYN-ACK retransmit line" "want: $want" "got:  $l"
	done
	assert_eq "client Retransmit lines" "$(kind_lines Retransmit "${C_EP[a]}" "${S_EP[a]}" | grep -c .)" 0
	# The accepted socket inherits the request's retransmit count.
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv \
		RETRANS="${#rt[@]}" SENT=0 RECEIVED=100 DIRECTION=inbound CLOSED_BY=remote
	assert_summary "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli \
		RETRANS=0 SENT=100 RECEIVED=0 DIRECTION=outbound CLOSED_BY=local
	assert_conv a client server listener
}

@test "a listener answers a stray ACK (hping3) with a RST: Reset Sent to the ACK's sender, the listener's owner; JSON source the sender, destination the listener" {
	e2e_require_cmds hping3
	local sport=40123
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report --json
	srv_start a 4 8806 --timeout 30
	# One bare ACK from the client's namespace to the listening port: no
	# connection has it, so the listener's kernel answers with a RST.
	ip netns exec "$NS_C" hping3 -q -A -s "$sport" -k -p 8806 -c 1 "$V4_S" >"$T/hping.out" 2>&1 ||
		true
	json_wait ".event.action == \"reset_sent\" and .destination.port == 8806"
	settle
	snoop_stop
	kill -TERM "${SPID[a]}" 2>/dev/null || true

	local got
	got=$(json_select ".event.action == \"reset_sent\" and .destination.port == 8806" |
		jq -c '{src: .source, dst: .destination, dir: .network.direction, pid: .process.pid,
			name: .process.name, state: .socket_snoop.state, attribution: .socket_snoop.attribution}')
	assert_eq "the listener's RST" "$got" "$(jq -nc --arg c "$V4_C" --arg s "$V4_S" \
		--argjson sport $sport --argjson pid "${SPID[a]}" \
		'{src: {ip: $c, port: $sport}, dst: {ip: $s, port: 8806}, dir: "ingress", pid: $pid,
		  name: "snoop-srv", state: "listen", attribution: "owner"}')"
	# The listening socket's own object: in no flow, the server (ECS).
	got=$(json_select ".event.action == \"state_change\" and .socket_snoop.state == \"listen\" and .server.port == 8806" |
		jq -c '[has("source"), has("destination"), .server.ip]')
	assert_eq "LISTEN object's ends" "$got" "[false,false,\"$V4_S\"]"
}
