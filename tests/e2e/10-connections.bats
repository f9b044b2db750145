#!/usr/bin/env bats
# Real connections between two network namespaces (RPS on, peers pinned to
# the other CPU): exact transition sequences, exact ports, and attribution of
# every event to the process that owns the socket, never to the task on CPU.
#
# Sequences are what this kernel does (inet_sock_set_state, measured):
#   client, closes first:  SYN_SENT(local port 0) ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT
#   server, closes second: SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE
#   listener:              LISTEN CLOSE
# The full socket never enters TIME_WAIT (a time-wait socket replaces it and
# goes there with the peer's FIN): socket-snoop shows that TIME_WAIT.
# The first test runs the monitor unfiltered; the others keep only this test's
# addresses in the kernel (ISOLATE), so traffic elsewhere on the host cannot
# crowd their events out.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
}

teardown() {
	e2e_teardown
}

@test "ipv4: client closes first: both sides' exact sequences, ports and owners" {
	local day_before day_after
	day_before=$(LC_ALL=C date '+%b %d %Y')
	snoop_start --no-log-file --no-report
	conv a 4 8080
	await_closed a
	snoop_stop
	day_after=$(LC_ALL=C date '+%b %d %Y')

	assert_conv a client server listener
	# The SYN_SENT event is the only one with local port 0 (port not chosen yet).
	assert_eq "lines with SRC=${C_EP0[a]}" "$(conn_lines "${C_EP0[a]}" "${S_EP[a]}" | grep -c .)" 1
	assert_contains "$T/mon.out" " SRC=${C_EP0[a]} DST=${S_EP[a]} PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[SYN_SENT]}"
	assert_contains "$T/mon.out" " SRC=${S_EP[a]} DST=0.0.0.0:0 PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[LISTEN]}"
	# Seed format, local time of today, on every line of this test's sockets.
	local re
	re="^($(re_quote "$day_before")|$(re_quote "$day_after")) [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} State Change: SRC=[^ ]+ DST=[^ ]+ PID=[1-9][0-9]* COMM=snoop-(srv|cli) STATE=(Connection [A-Za-z ()_0-9]+|Listening for Connections)\$"
	assert_every_re "$re" " State Change:.*$(ours_re)"
	assert_eq "exit status after SIGINT" "$SNOOP_STATUS" 0
}

@test "ipv4: server closes first: client goes through CLOSE_WAIT, server through FIN_WAIT" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	conv a 4 8081 --recv 100 --send 50 --close-first -- --send 100 --recv 50 --wait-peer-close
	await_closed a
	snoop_stop

	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli "${SEQ_PASSIVE_CLOSER_CLIENT[@]}"
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv "${SEQ_ACTIVE_CLOSER_SERVER[@]}"
	assert_conv a listener
}

@test "ipv6: client closes first: sequences, [addr]:port format and owners" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	conv a 6 8080
	await_closed a
	snoop_stop

	assert_eq "client endpoint" "${C_EP[a]}" "[$V6_C]:${CPORT[a]}"
	assert_contains "$T/mon.out" " SRC=[$V6_C]:0 DST=[$V6_S]:8080 PID=${CPID[a]} COMM=snoop-cli STATE=${STATE_DESC[SYN_SENT]}"
	assert_contains "$T/mon.out" " SRC=[$V6_S]:8080 DST=[::]:0 PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[LISTEN]}"
	assert_conv a client server listener
}

@test "ipv6: server closes first: sequences and owners" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	conv a 6 8081 --recv 100 --send 50 --close-first -- --send 100 --recv 50 --wait-peer-close
	await_closed a
	snoop_stop

	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli "${SEQ_PASSIVE_CLOSER_CLIENT[@]}"
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv "${SEQ_ACTIVE_CLOSER_SERVER[@]}"
	assert_conv a listener
}

# A refused connect: SYN_SENT (port 0), then the RST arrives in softirq on the
# other CPU and the socket goes to CLOSE with its real local port.
assert_refused() {
	local dst=$1 cli_addr=$2 pid=$3
	local -a lines
	mapfile -t lines < <(grep -F " DST=$dst " "$T/mon.out" | grep -F ' State Change: ')
	assert_eq "state lines towards $dst" "${#lines[@]}" 2
	local p0 p1
	p0="^$TS_RE State Change: SRC=$(re_quote "$(ep "$cli_addr" 0)") DST=$(re_quote "$dst") PID=$pid COMM=snoop-cli STATE=$(re_quote "${STATE_DESC[SYN_SENT]}")\$"
	p1="^$TS_RE State Change: SRC=$(re_quote "$(ep "$cli_addr" X)" | sed 's/X$/([1-9][0-9]*)/') DST=$(re_quote "$dst") PID=$pid COMM=snoop-cli STATE=$(re_quote "${STATE_DESC[CLOSE]}")\$"
	[[ ${lines[0]} =~ $p0 ]] || e2e_fail "first line is not the client's SYN_SENT: ${lines[0]}"
	[[ ${lines[1]} =~ $p1 ]] || e2e_fail "second line is not the client's CLOSE with its port: ${lines[1]}"
	# Any other event of that socket (error, reset) is the client's too.
	assert_every_re " PID=$pid COMM=snoop-cli " " DST=$(re_quote "$dst") "
}

@test "two servers in turn on one port: each one's connections are its own from SYN_RECV on" {
	# The first server accepted from its port, and exited; the second listens
	# on the same port: its connections must not be named after the first.
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	conv a 4 8084
	conv b 4 8084
	await_closed b
	settle
	snoop_stop

	assert_eq "two server processes" "$([ "${SPID[a]}" != "${SPID[b]}" ] && echo yes)" yes
	# The servers' sockets (the clients' SYN_SENT lines share their ends).
	assert_conv a server
	assert_conv b server
}

@test "refused connection (ipv4 and ipv6): SYN_SENT then CLOSE, attributed to the client" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	cli_refused_pair
	assert_contains "$T/cli-r4.peer" REFUSED
	assert_contains "$T/cli-r6.peer" REFUSED
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " DST=[$V6_S]:9 " "STATE=${STATE_DESC[CLOSE]}" || true
	settle 0.2
	snoop_stop

	assert_refused "$V4_S:9" "$V4_C" "${CPID[r4]}"
	assert_refused "[$V6_S]:9" "$V6_C" "${CPID[r6]}"
}

@test "reset on close (SO_LINGER 0): both sides go to CLOSE, still attributed" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	conv a 4 8082 --recv 100 --send 50 -- --send 100 --recv 50 --linger0
	assert_contains "$T/srv-a.peer" RESET
	await_closed a
	settle 0.2
	snoop_stop

	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli SYN_SENT ESTABLISHED CLOSE
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv SYN_RECV ESTABLISHED CLOSE
}

@test "accepted socket handed to a forked child: listener's owner first, then the child" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	conv a 4 8083 --recv 100 --send 50 --fork-child --child-comm snoop-srv-child
	await_closed a
	snoop_stop

	local child
	child=$(awk '$1 == "CHILD" { print $2; exit }' "$T/srv-a.peer")
	[ -n "$child" ]
	assert_conv a client listener
	# Before anyone touched it, the accepted socket is the listener's
	# (the parent's); the child receives, sends and closes it.
	assert_eq "server-side transitions" "$(server_states a)" "$(printf '%s\n' \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[SYN_RECV]}" \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[ESTABLISHED]}" \
		"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[CLOSE_WAIT]}" \
		"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[LAST_ACK]}" \
		"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[CLOSE]}")"
}

# Each send (with --owner-on-send) or receive may change the owner; socket-snoop
# skips the check for a socket whose last user was the caller (owner_hints).
# Parent, child and the parent again: the second hand-off must not be skipped
# on a stale hint.
@test "a socket used in turns by two processes: each event names the last user" {
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report --owner-on-send
	conv a 4 8090 --recv 100 --send 20 --take-turns --child-comm snoop-srv-child \
		-- --send 100 --recv 20
	await_closed a
	snoop_stop

	local child
	child=$(awk '$1 == "CHILD" { print $2; exit }' "$T/srv-a.peer")
	[ -n "$child" ]
	[ "$child" != "${SPID[a]}" ]
	assert_conv a client listener
	# The client's FIN arrives after the parent's last send: CLOSE_WAIT (in
	# softirq) reports the recorded owner, which must be the parent again.
	assert_eq "server-side transitions" "$(server_states a)" "$(printf '%s\n' \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[SYN_RECV]}" \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[ESTABLISHED]}" \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[CLOSE_WAIT]}" \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[LAST_ACK]}" \
		"PID=${SPID[a]} COMM=snoop-srv STATE=${STATE_DESC[CLOSE]}")"
}

# Receives record the owner, sends only with --owner-on-send (each costs as
# much again on small-message traffic): a child that only sends on the socket
# it was handed is named when it closes, or at its first send with the option.
@test "a forked child that only sends: named at its close by default, at its first send with --owner-on-send" {
	local child tag want_cw
	for tag in a b; do
		if [ "$tag" = a ]; then
			snoop_start "${ISOLATE[@]}" --no-log-file --no-report
		else
			snoop_start "${ISOLATE[@]}" --no-log-file --no-report --owner-on-send
		fi
		conv "$tag" 4 "$([ "$tag" = a ] && echo 8092 || echo 8093)" --send 50 \
			--first-byte-alone --fork-child --child-comm snoop-srv-child -- --recv 50
		await_closed "$tag"
		snoop_stop
		child=$(awk '$1 == "CHILD" { print $2; exit }' "$T/srv-$tag.peer")
		[ -n "$child" ]
		# The client's FIN arrives while the child waits in recv(): CLOSE_WAIT
		# names whoever the record holds then.
		want_cw="PID=${SPID[$tag]} COMM=snoop-srv"
		[ "$tag" = a ] || want_cw="PID=$child COMM=snoop-srv-child"
		assert_eq "server-side transitions ($tag)" "$(server_states "$tag")" "$(printf '%s\n' \
			"PID=${SPID[$tag]} COMM=snoop-srv STATE=${STATE_DESC[SYN_RECV]}" \
			"PID=${SPID[$tag]} COMM=snoop-srv STATE=${STATE_DESC[ESTABLISHED]}" \
			"$want_cw STATE=${STATE_DESC[CLOSE_WAIT]}" \
			"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[LAST_ACK]}" \
			"PID=$child COMM=snoop-srv-child STATE=${STATE_DESC[CLOSE]}")"
	done
}

@test "command names: space and = are escaped as \\x20 and \\x3d" {
	ln -s peer "$T/a b=c"
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	CLI_COMM='a b=c' conv a 4 8084
	await_closed a
	snoop_stop

	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" 'a\x20b\x3dc' "${SEQ_ACTIVE_CLOSER_CLIENT[@]}"
	assert_none 'COMM=a b'
}

@test "command names: newline and bytes >= 0x80 are escaped, no line can be forged" {
	local nl=$'nl\nSTATE=x' hi=$'caf\xc3\xa9'
	ln -s peer "$T/$nl"
	ln -s peer "$T/$hi"
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	CLI_COMM=$nl conv a 4 8085
	CLI_COMM=$hi conv b 4 8086
	await_closed a
	await_closed b
	snoop_stop

	# The kernel hands the raw bytes; the line must carry them as \xNN.
	local -a la lb
	mapfile -t la < <(conn_lines "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}")
	mapfile -t lb < <(conn_lines "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}")
	[ "${#la[@]}" -ge 5 ] || e2e_fail "client a has ${#la[@]} lines"
	[ "${#lb[@]}" -ge 5 ] || e2e_fail "client b has ${#lb[@]} lines"
	local l
	for l in "${la[@]}"; do
		[[ ${l,,} == *" pid=${CPID[a]} comm=nl\\x0astate\\x3dx "* ]] || e2e_fail "not escaped: $l"
	done
	for l in "${lb[@]}"; do
		[[ ${l,,} == *" pid=${CPID[b]} comm=caf\\xc3\\xa9 "* ]] || e2e_fail "not escaped: $l"
	done
	# Every output line is a whole event line (or an Events Lost line).
	if grep -nvE "^$TS_RE [A-Z]" "$T/mon.out" >"$T/odd"; then
		e2e_fail "lines that are not event lines:" "$(cat "$T/odd")"
	fi
}
