#!/usr/bin/env bats
# Connection failures (sock/inet_sk_error_report): one "Connection Failed"
# line per failed socket, with the errno text, attributed to the socket's
# owner; in JSON a connect_error object with error.code and error.message.
#
# Forced for real between the test's namespaces: a closed port (the server's
# kernel answers the SYN with a RST), a blackholed port (an nftables rule in
# the server's namespace drops the SYNs; tcp_syn_retries=1 in the client's
# namespace makes connect() give up after 3 s on this kernel), and a server
# that aborts with SO_LINGER 0 (the client's read fails: reset by peer).

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

# A refused connect to port 9 (tag r4/r6) and a timed-out one to port PORT
# (tag t), run side by side; the monitor must be running.  fail_connects PORT
fail_connects() {
	local port=$1
	nft_drop "$NS_S" input "tcp dport $port"
	ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_retries=1
	SADDR[t]=$V4_S
	SPORT[t]=$port
	cli_start t t --expect-timeout
	cli_refused_pair
	PEER_WAIT=8 cli_wait t
	assert_contains "$T/cli-r4.peer" REFUSED
	assert_contains "$T/cli-r6.peer" REFUSED
	assert_contains "$T/cli-t.peer" TIMEDOUT
}

# The local end of the client that connected to DST, from its CLOSE line.
closed_client_ep() {
	local line
	line=$(grep -F " DST=$1 " "$T/mon.out" | grep -F ' State Change: ' | grep -F "STATE=${STATE_DESC[CLOSE]}" | head -n 1)
	[[ $line =~ \ SRC=([^ ]+)\  ]] || { e2e_fail "no CLOSE line towards $1"; return 1; }
	printf '%s' "${BASH_REMATCH[1]}"
}

# Exactly one Connection Failed line for SRC -> DST, equal to the given text
# after the time stamp, and no other towards DST.  assert_failed SRC DST TEXT
assert_failed() {
	local -a lines
	mapfile -t lines < <(grep -F " DST=$2 " "$T/mon.out" | grep -F ' Connection Failed: ')
	if [ "${#lines[@]}" -ne 1 ]; then
		printf 'FAIL: %d Connection Failed lines towards %s (want 1):\n' "${#lines[@]}" "$2" >&2
		printf '  %s\n' "${lines[@]}" >&2
		return 1
	fi
	[[ ${lines[0]} =~ ^$TS_RE\ (.*)$ ]] || e2e_fail "bad line: ${lines[0]}"
	assert_eq "failure line towards $2" "${BASH_REMATCH[1]}" "$3"
}

@test "refused (ipv4, ipv6) and timed out: one exact Connection Failed line each, client's PID" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	fail_connects 8811
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " DST=$V4_S:8811 " "STATE=${STATE_DESC[CLOSE]}" || true
	settle
	snoop_stop

	local c4 c6 ct
	c4=$(closed_client_ep "$V4_S:9")
	c6=$(closed_client_ep "[$V6_S]:9")
	ct=$(closed_client_ep "$V4_S:8811")
	assert_failed "$c4" "$V4_S:9" \
		"Connection Failed: SRC=$c4 DST=$V4_S:9 PID=${CPID[r4]} COMM=snoop-cli STATE=${STATE_DESC[CLOSE]} ERROR=Connection refused"
	assert_failed "$c6" "[$V6_S]:9" \
		"Connection Failed: SRC=$c6 DST=[$V6_S]:9 PID=${CPID[r6]} COMM=snoop-cli STATE=${STATE_DESC[CLOSE]} ERROR=Connection refused"
	assert_failed "$ct" "$V4_S:8811" \
		"Connection Failed: SRC=$ct DST=$V4_S:8811 PID=${CPID[t]} COMM=snoop-cli STATE=${STATE_DESC[CLOSE]} ERROR=Connection timed out"
	# The sockets' transitions: SYN_SENT (port 0) then CLOSE with the real port.
	assert_conn "$(ep "$V4_C" 0),$c4" "$V4_S:9" "${CPID[r4]}" snoop-cli SYN_SENT CLOSE
	assert_conn "$(ep "$V6_C" 0),$c6" "[$V6_S]:9" "${CPID[r6]}" snoop-cli SYN_SENT CLOSE
	assert_conn "$(ep "$V4_C" 0),$ct" "$V4_S:8811" "${CPID[t]}" snoop-cli SYN_SENT CLOSE
	# Why each ended, counted against the server (issue 16 item 2).
	assert_summary "$c4" "$V4_S:9" "${CPID[r4]}" snoop-cli CLOSE_REASON=connect_refused CLOSE_SIDE=server
	assert_summary "$c6" "[$V6_S]:9" "${CPID[r6]}" snoop-cli CLOSE_REASON=connect_refused CLOSE_SIDE=server
	assert_summary "$ct" "$V4_S:8811" "${CPID[t]}" snoop-cli CLOSE_REASON=connect_timeout CLOSE_SIDE=server
	# Nothing on the server side fails: it had no socket.
	assert_eq "failures from the server's addresses" \
		"$(grep -E " Connection Failed: SRC=($(re_quote "$V4_S")|\[$(re_quote "$V6_S")\]):" "$T/mon.out" | grep -c .)" 0
}

# The one connect_error object towards DIP:DPORT, projected in a fixed order,
# against what it must say; its cookie is the client socket's.
# assert_connect_error DIP DPORT CODE MESSAGE PID CLIENT_IP TYPE
assert_connect_error() {
	local dip=$1 dport=$2 got want
	local proj='{action: .event.action, code: .error.code, message: .error.message,
		direction: .network.direction, type: .network.type, src: .source.ip,
		port_set: (.source.port > 0), dst: .destination, pid: .process.pid,
		name: .process.name, attribution: .socket_snoop.attribution, state: .socket_snoop.state}'
	got=$(json_select ".event.action == \"connect_error\" and .destination.ip == \"$dip\" and .destination.port == $dport" |
		jq -c "$proj")
	want=$(jq -nc --arg code "$3" --arg msg "$4" --argjson pid "$5" --arg cip "$6" --arg type "$7" \
		--arg dip "$dip" --argjson dport "$dport" \
		'{action: "connect_error", code: $code, message: $msg, direction: "egress", type: $type,
		  src: $cip, port_set: true, dst: {ip: $dip, port: $dport}, pid: $pid,
		  name: "snoop-cli", attribution: "owner", state: "close"}')
	assert_eq "connect_error towards $dip:$dport" "$got" "$want"
	# One socket (cookie) for every event of that connection.
	got=$(json_select "(.event.action != \"lifecycle\") and .destination.ip == \"$dip\" and .destination.port == $dport" |
		jq -s -c '[.[] | .socket_snoop.cookie] | unique | length')
	assert_eq "cookies of the connection to $dip:$dport" "$got" 1
}

@test "json: connect_error with error.code ECONNREFUSED / ETIMEDOUT and error.message, client's process" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --json
	fail_connects 8812
	json_wait '.event.action == "connect_error" and .destination.port == 8812'
	settle
	snoop_stop

	assert_connect_error "$V4_S" 9 ECONNREFUSED "Connection refused" "${CPID[r4]}" "$V4_C" ipv4
	assert_connect_error "$V6_S" 9 ECONNREFUSED "Connection refused" "${CPID[r6]}" "$V6_C" ipv6
	assert_connect_error "$V4_S" 8812 ETIMEDOUT "Connection timed out" "${CPID[t]}" "$V4_C" ipv4
}

@test "reset by peer: Connection Failed ERROR=Connection reset by peer on the client, none for the aborting server" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8813 --recv 100 --linger0 --close-first -- --send 100 --wait-peer-close
	assert_contains "$T/cli-a.peer" RESET
	await_closed a
	settle
	snoop_stop

	assert_failed "${C_EP[a]}" "${S_EP[a]}" \
		"Connection Failed: SRC=${C_EP[a]} DST=${S_EP[a]} PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[CLOSE]} ERROR=Connection reset by peer"
	# Our own abort is no failure.
	assert_eq "server failure lines" "$(kind_lines "Connection Failed" "${S_EP[a]}" "${C_EP[a]}" | grep -c .)" 0
	# SO_LINGER 0 on the server: its close aborted, the client got the RST.
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv CLOSE_REASON=aborted_on_close CLOSE_SIDE=server
	assert_summary "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli CLOSE_REASON=rst_received CLOSE_SIDE=server
}

@test "shutdown() of a listener is no failure: its LISTEN and CLOSE, no Connection Failed (the kernel reports an error of 0)" {
	# shutdown(SHUT_RDWR) of a listening socket runs tcp_disconnect(), which
	# ends with an error report whatever sk_err holds: 0 for a listener.
	local pid
	e2e_require_cmds python3
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	# shellcheck disable=SC2016 # a python program, not shell
	ip netns exec "$NS_S" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen()
time.sleep(0.3)
s.shutdown(socket.SHUT_RDWR)
s.close()' "$V4_S" 8815 &
	pid=$!
	wait_exit "$pid" "$LINE_TIMEOUT" || e2e_fail "the listener did not finish"
	assert_eq "listener's exit status" "$WAIT_STATUS" 0
	settle
	snoop_stop

	assert_conn "$V4_S:8815" 0.0.0.0:0 "$pid" python3 LISTEN CLOSE
	assert_eq "failure lines of the listener" \
		"$(kind_lines "Connection Failed" "$V4_S:8815" 0.0.0.0:0 | grep -c .)" 0
}
