#!/usr/bin/env bats
# Each in-kernel filter keeps exactly the matching events and drops the others.
# The monitor runs in the root namespace; traffic flows between the test's two
# namespaces.  Every test makes at least one connection that must be kept and
# one that must be dropped, and checks whole sequences, not just presence.

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

@test "--pid keeps exactly the listed processes (a server and another conversation's client)" {
	conv_hold a 4 8101
	conv_hold b 4 8102
	conv_hold c 4 8103
	snoop_start "${MON[@]}" "--pid=${SPID[a]},${CPID[b]}"
	conv_go a
	conv_go b
	conv_go c
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE
	await_state "${C_EP[b]}" "${S_EP[b]}" CLOSE
	settle
	snoop_stop

	assert_conv a server listener
	assert_conv b client
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_no_conn "${S_EP[b]}" "${C_EP[b]}"
	assert_no_conn "${S_EP[b]}" 0.0.0.0:0
	assert_no_conv c
	assert_every_re " PID=(${SPID[a]}|${CPID[b]}) "
}

@test "--comm keeps exactly the named command (whole name, not a prefix)" {
	snoop_start "${MON[@]}" --comm=snoop-cli
	conv a 4 8111
	CLI_COMM=snoop-cli-b conv b 4 8112
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conv b
	assert_every_re " COMM=snoop-cli "
}

@test "--comm with a list keeps every named command" {
	snoop_start "${MON[@]}" --comm=snoop-srv-b,snoop-cli-b
	conv a 4 8113
	SRV_COMM=snoop-srv-b CLI_COMM=snoop-cli-b conv b 4 8114
	await_closed b
	settle
	snoop_stop

	SRV_COMM=snoop-srv-b CLI_COMM=snoop-cli-b assert_conv b client server listener
	assert_no_conv a
	assert_every_re " COMM=snoop-(srv|cli)-b "
}

@test "--uid keeps exactly the sockets of processes of that uid" {
	snoop_start "${MON[@]}" "--uid=$TEST_UID"
	CLI_UID=$TEST_UID conv a 4 8121
	conv b 4 8122
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conv b
	assert_every_re " PID=${CPID[a]} "
}

@test "--lport with a list and a range keeps sockets whose local port matches" {
	snoop_start "${MON[@]}" --lport=22,8000-8100
	conv a 4 8050
	conv b 4 9050
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a server listener
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_no_conv b
	assert_every_re " SRC=[^ ]+:(22|80[0-9][0-9]|8100) " "$(ours_re)"
}

@test "--rport with a range and a list keeps sockets whose remote port matches" {
	snoop_start "${MON[@]}" --rport=8000-8100,9999
	conv a 4 8050
	conv b 4 9050
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conv b
	assert_every_re " DST=[^ ]+:(80[0-9][0-9]|8100|9999) " "$(ours_re)"
}

# A socket whose whole tuple fails the filters is left at once, record and
# all.  A client's local port is 0 at SYN_SENT and a listener has no remote
# end: they must go on, or a connection matching on its ephemeral port would
# lose its owner.  The client's namespace hands out ports 45100-45103 only.
@test "filters on a connection's ephemeral port keep its owner: the client's from connect, the server's from its listener" {
	ip netns exec "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="45100 45103"
	snoop_start "${MON[@]}" --lport=45100-45103
	conv a 4 8071
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop
	[[ ${C_EP[a]} =~ :4510[0-3]$ ]] || e2e_fail "client port ${C_EP[a]} outside the range"
	# SYN_SENT has local port 0 (filtered out); the rest is the client's.
	assert_conn "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	# The excluded accepted socket's record (the listener's copy) stopped at LISTEN:
	# its destruction must not count a gap, nor must anything else here.
	grep -qE 'Summary: RECEIVED=[0-9]* LOST=0( [A-Z_]+=[0-9]+)*$' "$T/mon.err" || e2e_fail "lost: $(grep Summary "$T/mon.err")"

	snoop_start "${MON[@]}" --rport=45100-45103
	conv b 4 8072
	await_state "${S_EP[b]}" "${C_EP[b]}" CLOSE
	settle
	snoop_stop
	# The listener (remote port 0) is not shown, but its record is the accepted socket's.
	assert_conv b server
	assert_no_conn "${S_EP[b]}" 0.0.0.0:0
	assert_no_conn "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}"
	grep -qE 'Summary: RECEIVED=[0-9]* LOST=0( [A-Z_]+=[0-9]+)*$' "$T/mon.err" || e2e_fail "lost: $(grep Summary "$T/mon.err")"
}

@test "--laddr with IPv4 and IPv6 CIDRs keeps sockets whose local address matches" {
	# /32 selects the IPv4 client; ::/127 covers ::0-::1, the IPv6 server only.
	snoop_start "${MON[@]}" "--laddr=$V4_C/32,fd00:200:$NET_X::/127"
	conv a 4 8060
	conv b 6 8061
	await_state "${S_EP[b]}" "${C_EP[b]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_conv b server listener
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conn "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}"
	assert_every_re " SRC=($(re_quote "$V4_C")|\\[$(re_quote "$V6_S")\\]):" "$(ours_re)"
}

@test "--raddr with IPv4 and IPv6 CIDRs keeps sockets whose remote address matches" {
	# .0/31 covers .0-.1: the IPv4 server, seen from the client.
	snoop_start "${MON[@]}" "--raddr=10.200.$NET_X.0/31,$V6_C/128"
	conv a 4 8062
	conv b 6 8063
	await_state "${S_EP[b]}" "${C_EP[b]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_conv b server
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conn "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}"
	assert_no_conn "${S_EP[b]}" '[::]:0'
	assert_every_re " DST=($(re_quote "$V4_S")|\\[$(re_quote "$V6_C")\\]):" "$(ours_re)"
}

@test "-4 keeps IPv4 sockets only" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}" -4
	conv b 6 8071
	conv a 4 8070
	await_closed a
	settle
	snoop_stop

	assert_conv a client server listener
	assert_no_conv b
	assert_none ' SRC=['
}

@test "--ipv6 keeps IPv6 sockets only" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --ipv6
	conv a 4 8070
	conv b 6 8071
	await_closed b
	settle
	snoop_stop

	assert_conv b client server listener
	assert_no_conv a
	assert_every_re " SRC=\\[" "$(ours_re)"
}

@test "--state=ESTABLISHED,syn_sent (any case) keeps only transitions into those states" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --state=ESTABLISHED,syn_sent
	conv a 4 8130
	await_state "${S_EP[a]}" "${C_EP[a]}" ESTABLISHED
	settle
	snoop_stop

	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli SYN_SENT ESTABLISHED
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv ESTABLISHED
	assert_conn "${S_EP[a]}" 0.0.0.0:0 "${SPID[a]}" snoop-srv
	assert_every_re "STATE=(Connection Established|Connection Opening \\(SYN_SENT\\))\$" " State Change: "
}

@test "--netns=PATH keeps the sockets of that network namespace only" {
	snoop_start "${MON[@]}" "--netns=/var/run/netns/$NS_C"
	conv a 4 8140
	conv b 6 8141
	await_state "${C_EP[b]}" "${S_EP[b]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_conv b client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conn "${S_EP[b]}" "${C_EP[b]}"
	assert_no_conn "${S_EP[b]}" '[::]:0'
	assert_every_re " SRC=($(re_quote "$V4_C")|\\[$(re_quote "$V6_C")\\]):"
}

@test "--netns=INODE keeps the sockets of that network namespace only" {
	local inode
	inode=$(stat -L -c %i "/var/run/netns/$NS_S")
	snoop_start "${MON[@]}" "--netns=$inode"
	conv a 4 8142
	conv b 6 8143
	await_state "${S_EP[b]}" "${C_EP[b]}" CLOSE
	settle
	snoop_stop

	assert_conv a server listener
	assert_conv b server listener
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_no_conn "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}"
	assert_every_re " SRC=($(re_quote "$V4_S")|\\[$(re_quote "$V6_S")\\]):"
}

@test "--cgroup=PATH keeps the sockets of processes in that cgroup and its descendants" {
	cgroup_make "snoop-e2e-$$/leaf"
	local leaf=$CGROUP_PATH parent=${CGROUP_PATH%/*}
	snoop_start "${MON[@]}" "--cgroup=$parent"
	CLI_CGROUP=$leaf conv a 4 8150
	conv b 4 8151
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conv b
	assert_every_re " PID=${CPID[a]} "
}

@test "different options AND together: --comm=snoop-srv --lport=8050" {
	snoop_start "${MON[@]}" --comm=snoop-srv --lport=8050
	conv a 4 8050
	conv b 4 9050
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a server listener
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_no_conv b
	assert_every_re " SRC=[^ ]+:8050 DST=[^ ]+ PID=${SPID[a]} COMM=snoop-srv "
}

@test "seed alias --src-ip=CIDR filters the local address like --laddr" {
	snoop_start "${MON[@]}" "--src-ip=$V4_S/32"
	conv a 4 8160
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a server listener
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
}

@test "seed alias --dst-ip=CIDR filters the remote address like --raddr" {
	snoop_start "${MON[@]}" "--dst-ip=$V4_S/32"
	conv a 4 8161
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
}

@test "seed alias --src-port=PORTS filters the local port like --lport" {
	snoop_start "${MON[@]}" --src-port=8000-8100
	conv a 4 8050
	conv b 4 9050
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a server listener
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_no_conv b
}

@test "seed alias --dst-port=PORTS filters the remote port like --rport" {
	snoop_start "${MON[@]}" --dst-port=8000-8100
	conv a 4 8050
	conv b 4 9050
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_conv a client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conv b
}

@test "seed alias --active-only keeps only transitions into ESTABLISHED" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --active-only
	conv a 4 8162
	await_state "${S_EP[a]}" "${C_EP[a]}" ESTABLISHED
	settle
	snoop_stop

	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli ESTABLISHED
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv ESTABLISHED
	assert_conn "${S_EP[a]}" 0.0.0.0:0 "${SPID[a]}" snoop-srv
	assert_every_re "STATE=Connection Established\$" " State Change: "
}

@test "wildcard listeners (0.0.0.0, ::) are not shown by default; their connections are" {
	snoop_start "${MON[@]}"
	SRV_BIND=0.0.0.0 conv a 4 8170
	SRV_BIND=:: conv b 6 8171
	await_closed a
	await_closed b
	settle
	snoop_stop

	assert_conv a client server
	assert_conv b client server
	assert_none " SRC=0.0.0.0:8170 "
	assert_none " SRC=[::]:8171 "
}

@test "--all-addresses also shows wildcard listeners, attributed to the server" {
	snoop_start "${MON[@]}" --all-addresses
	SRV_BIND=0.0.0.0 conv a 4 8172
	SRV_BIND=:: conv b 6 8173
	await_state "[::]:8173" "[::]:0" CLOSE
	await_closed a
	await_closed b
	snoop_stop

	assert_conn 0.0.0.0:8172 0.0.0.0:0 "${SPID[a]}" snoop-srv "${SEQ_LISTENER[@]}"
	assert_conn "[::]:8173" "[::]:0" "${SPID[b]}" snoop-srv "${SEQ_LISTENER[@]}"
	assert_conv a client server
	assert_conv b client server
}
