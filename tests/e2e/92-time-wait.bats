#!/usr/bin/env bats
# TIME_WAIT (issue 16): the side that closes first ends in TIME_WAIT, which
# the kernel gives a time-wait socket of its own, with no tracepoint of its
# own (src/bpf/time_wait.bpf.h).  Checked against ss(8) in the same run: every
# connection ss shows in TIME-WAIT has its "Connection Closed (TIME_WAIT)"
# line, and no other connection has one; one whose peer has not closed yet is
# FIN-WAIT-2 in ss and here until the peer's FIN; a close that had no
# time-wait bucket (tcp_max_tw_buckets 0) or was reset says so.

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

# "LOCAL PEER" of every socket ss shows in TIME-WAIT in namespace NS whose
# ports are from LO to HI (either end), sorted.  tw_of_ss NS LO HI
tw_of_ss() {
	ip netns exec "$1" ss -Htan state time-wait |
		awk -v lo="$2" -v hi="$3" '{
			l = $(NF - 1); p = $NF
			lp = l; sub(/.*:/, "", lp); pp = p; sub(/.*:/, "", pp)
			if ((lp >= lo && lp <= hi) || (pp >= lo && pp <= hi)) print l, p
		}' | sort
}

# "SRC DST" of every TIME_WAIT line of the monitor with a port from LO to HI, sorted.
tw_of_log() {
	sed -n "s/^.* State Change: SRC=\([^ ]*\) DST=\([^ ]*\) .* STATE=${STATE_DESC[TIME_WAIT]}\$/\1 \2/p" \
		"$T/mon.out" |
		awk -v lo="$1" -v hi="$2" '{
			lp = $1; sub(/.*:/, "", lp); pp = $2; sub(/.*:/, "", pp)
			if ((lp >= lo && lp <= hi) || (pp >= lo && pp <= hi)) print
		}' | sort
}

@test "whoever closes first ends in TIME_WAIT, as ss -tan shows it: IPv4, IPv6, client or server first; a peer that has not closed yet keeps it in FIN_WAIT2 until its FIN" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	# a, b: the client closes first (IPv4, IPv6); c: the server does.
	conv a 4 8901
	conv b 6 8902
	conv c 4 8903 --recv 100 --send 50 --close-first -- --send 100 --recv 50 --wait-peer-close
	# d: the client closes first and the server has not read it nor closed: the
	# client's time-wait socket is FIN-WAIT-2 in ss until the server's FIN.
	srv_start d 4 8904 --pause
	cli_run d d --send 0 --recv 0
	wait_line "$T/srv-d.peer" "$LINE_TIMEOUT" PAUSED || e2e_fail "server d not paused"
	await_state "${C_EP[a]}" "${S_EP[a]}" TIME_WAIT
	await_state "${C_EP[b]}" "${S_EP[b]}" TIME_WAIT
	await_state "${S_EP[c]}" "${C_EP[c]}" TIME_WAIT
	await_state "${C_EP[d]}" "${S_EP[d]}" FIN_WAIT2
	settle

	# Now: ss and the events agree, d included (in neither).
	local ss_tw log_tw
	ss_tw=$( (tw_of_ss "$NS_C" 8901 8904; tw_of_ss "$NS_S" 8901 8904) | sort)
	log_tw=$(tw_of_log 8901 8904)
	assert_eq "TIME-WAIT in ss vs TIME_WAIT lines" "$log_tw" "$ss_tw"
	assert_eq "the three in TIME_WAIT" "$log_tw" "$(printf '%s\n' \
		"${C_EP[a]} ${S_EP[a]}" "${C_EP[b]} ${S_EP[b]}" "${S_EP[c]} ${C_EP[c]}" | sort)"
	ip netns exec "$NS_C" ss -Htan state fin-wait-2 | grep -qF "${C_EP[d]}" ||
		e2e_fail "d's client is not FIN-WAIT-2 in ss:" "$(ip netns exec "$NS_C" ss -tan)"

	# d's server reads the end and closes: its FIN moves the client to TIME_WAIT.
	release "${SPID[d]}"
	srv_wait d
	await_state "${C_EP[d]}" "${S_EP[d]}" TIME_WAIT
	settle
	ss_tw=$( (tw_of_ss "$NS_C" 8901 8904; tw_of_ss "$NS_S" 8901 8904) | sort)
	assert_eq "TIME-WAIT in ss vs TIME_WAIT lines, after d's FIN" "$(tw_of_log 8901 8904)" "$ss_tw"
	snoop_stop

	# Each whole sequence, with its owner; the summaries are the sockets' ends.
	assert_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli "${SEQ_ACTIVE_CLOSER_CLIENT[@]}"
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv "${SEQ_PASSIVE_CLOSER_SERVER[@]}"
	assert_conn "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}" "${CPID[b]}" snoop-cli "${SEQ_ACTIVE_CLOSER_CLIENT[@]}"
	assert_conn "${S_EP[c]}" "${C_EP[c]}" "${SPID[c]}" snoop-srv "${SEQ_ACTIVE_CLOSER_SERVER[@]}"
	assert_conn "${C_EP0[c]},${C_EP[c]}" "${S_EP[c]}" "${CPID[c]}" snoop-cli "${SEQ_PASSIVE_CLOSER_CLIENT[@]}"
	assert_conn "${C_EP0[d]},${C_EP[d]}" "${S_EP[d]}" "${CPID[d]}" snoop-cli "${SEQ_ACTIVE_CLOSER_CLIENT[@]}"
	assert_summary "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli SENT=100 RECEIVED=50 \
		CLOSED_BY=local
	assert_summary "${C_EP[d]}" "${S_EP[d]}" "${CPID[d]}" snoop-cli SENT=0 RECEIVED=0 \
		CLOSED_BY=local
}

@test "no time-wait bucket (tcp_max_tw_buckets 0 in the client's namespace): no TIME-WAIT in ss, and the client's close says TIME_WAIT=skipped; JSON time_wait_skipped" {
	ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_max_tw_buckets=0
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8905
	await_closed a
	settle
	snoop_stop
	assert_eq "TIME-WAIT in the client's ss" "$(tw_of_ss "$NS_C" 8905 8905)" ""
	assert_eq "TIME_WAIT lines" "$(tw_of_log 8905 8905)" ""
	assert_eq "the client's close" \
		"$(kind_lines "State Change" "${C_EP[a]}" "${S_EP[a]}" | tail -n 1 | sed 's/.* STATE=//')" \
		"${STATE_DESC[CLOSE]} TIME_WAIT=skipped"

	snoop_start "${ISOLATE[@]}" "${MON[@]}" --json
	conv j 4 8906
	json_wait ".event.action == \"close\" and .network.direction == \"egress\" and .destination.port == 8906"
	settle
	snoop_stop
	local got
	got=$(json_select ".network.direction == \"egress\" and .destination.port == 8906 and (.socket_snoop.time_wait_skipped // false)" |
		jq -r '[.event.action, .socket_snoop.old_state // "-", .socket_snoop.state] | @tsv')
	assert_eq "objects saying time_wait_skipped" "$got" \
		"$(printf 'state_change\tfin_wait2\tclose\nclose\t-\tclose')"
}

@test "a connection reset in FIN_WAIT2 (the server aborts with SO_LINGER 0 after the client closed) has no TIME_WAIT, and ss shows none" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	conv a 4 8907 --recv 100 --linger0 -- --send 100
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE
	settle
	snoop_stop
	assert_contains "$T/mon.out" "Reset Sent: SRC=${S_EP[a]} DST=${C_EP[a]} "
	assert_eq "TIME-WAIT in ss" "$(tw_of_ss "$NS_C" 8907 8907)" ""
	assert_eq "TIME_WAIT lines" "$(tw_of_log 8907 8907)" ""
}

@test "--state TIME_WAIT: only the TIME_WAIT lines, of the side that closed first" {
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --state TIME_WAIT
	conv a 4 8908
	conv c 4 8909 --recv 100 --send 50 --close-first -- --send 100 --recv 50 --wait-peer-close
	await_state "${C_EP[a]}" "${S_EP[a]}" TIME_WAIT
	await_state "${S_EP[c]}" "${C_EP[c]}" TIME_WAIT
	settle
	snoop_stop
	local got
	got=$(grep -E "^$TS_RE State Change: " "$T/mon.out" | sed 's/^.* State Change: SRC=\([^ ]*\) DST=\([^ ]*\) PID=\([0-9]*\) .* STATE=/\1 \2 \3 /')
	assert_eq "state lines" "$got" "$(printf '%s\n' "${C_EP[a]} ${S_EP[a]} ${CPID[a]} ${STATE_DESC[TIME_WAIT]}" \
		"${S_EP[c]} ${C_EP[c]} ${SPID[c]} ${STATE_DESC[TIME_WAIT]}")"
}

# The state lines of SRC -> DST, from STATE= on.  states_of SRC DST
states_of() {
	kind_lines "State Change" "$1" "$2" | sed 's/.* STATE=//'
}

@test "a RST the time-wait socket takes ends its TIME_WAIT early (TIME_WAIT=reset), as ss shows; one out of sequence does not" {
	ender_setup
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --events=state
	ender_srv s 8911 seq
	ender_cli c 8911 close || return 1
	ender_cli_end c CONNECTED
	[ "$(ender_result srv-s)" = EOF ] || { e2e_fail "the server did not read to the end"; return 1; }
	local seq
	seq=$(awk '$1 == "SEQ" { print $2; exit }' "$T/srv-s.peer")
	[ -n "$seq" ] || { e2e_fail "the server printed no SEQ"; return 1; }
	await_state "${C_EP[c]}" "${S_EP[s]}" TIME_WAIT
	local local_end=${C_EP[c]} peer_end=${S_EP[s]}
	assert_eq "TIME-WAIT in the client's ss" "$(tw_of_ss "$NS_C" 8911 8911)" "$local_end $peer_end"
	# Its FIN took sequence number SEQ: the time-wait socket expects SEQ + 1.
	# One past that is out of sequence, and the kernel drops it.
	nsenter --net="/run/netns/$NS_S" python3 "$T/ender" rst "$V4_S" 8911 "$V4_C" "${local_end##*:}" \
		$(((seq + 2) % 4294967296)) >/dev/null || return 1
	settle
	assert_eq "TIME-WAIT in ss after a RST out of sequence" "$(tw_of_ss "$NS_C" 8911 8911)" "$local_end $peer_end"
	nsenter --net="/run/netns/$NS_S" python3 "$T/ender" rst "$V4_S" 8911 "$V4_C" "${local_end##*:}" \
		$(((seq + 1) % 4294967296)) >/dev/null || return 1
	settle
	assert_eq "TIME-WAIT in ss after the RST" "$(tw_of_ss "$NS_C" 8911 8911)" ""
	snoop_stop
	assert_eq "the client's states" "$(states_of "${C_EP[c]}" "${S_EP[s]}" | tail -n 2)" \
		"$(printf '%s\n' "${STATE_DESC[TIME_WAIT]}" "${STATE_DESC[CLOSE]} TIME_WAIT=reset")"
	assert_contains "$T/mon.out" " State Change: SRC=${C_EP[c]} DST=${S_EP[s]} PID=${CPID[c]} COMM=${CCOMM[c]} STATE=${STATE_DESC[CLOSE]} TIME_WAIT=reset"
}

@test "a new connection that takes a time-wait socket's 4-tuple ends its TIME_WAIT early (TIME_WAIT=reused); JSON time_wait_end" {
	ender_setup
	ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_tw_reuse=1
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --events=state --json
	ender_srv s 8912 twice
	ender_cli c 8912 reuse 40912 || return 1
	wait_count "$T/cli-c.peer" "$LINE_TIMEOUT" 2 "CONNECTED " ||
		{ e2e_fail "the client did not connect twice"; return 1; }
	# The first connection's TIME_WAIT is gone, the second is established.
	assert_eq "TIME-WAIT in the client's ss" "$(tw_of_ss "$NS_C" 8912 8912)" ""
	json_wait ".socket_snoop.time_wait_end == \"reused\""
	release "${CPID[c]}"
	settle
	snoop_stop
	local got
	got=$(json_select ".source.port == 40912 and .event.action == \"state_change\"" |
		jq -r '[.socket_snoop.old_state, .socket_snoop.state, .socket_snoop.time_wait_end // "-", .process.pid] | @tsv')
	# First connection: ... TIME_WAIT, then its end when the second took the
	# tuple (before the second's ESTABLISHED is written, in the same run).
	grep -qxF "$(printf 'time_wait\tclose\treused\t%s' "${CPID[c]}")" <<<"$got" ||
		{ e2e_fail "no state_change time_wait -> close, reused, of the client: $got"; return 1; }
	assert_eq "TIME_WAIT ends" "$(grep -c 'reused' <<<"$got")" 1
}

@test "a RST that reaches a time-wait socket still in FIN_WAIT2 ends it: FIN_WAIT2 to Connection Closed TIME_WAIT=reset" {
	ender_setup
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --events=state
	# The client closes at once: its orphaned socket becomes a time-wait
	# socket in FIN_WAIT2; the server reads to the end, waits, then aborts.
	ender_srv s 8913 abort
	ender_cli c 8913 close || return 1
	ender_cli_end c CONNECTED
	[ "$(ender_result srv-s)" = CLOSED ] || { e2e_fail "the server did not abort"; return 1; }
	await_state "${C_EP[c]}" "${S_EP[s]}" CLOSE
	settle
	snoop_stop
	assert_eq "the client's states" "$(states_of "${C_EP[c]}" "${S_EP[s]}" | tail -n 2)" \
		"$(printf '%s\n' "${STATE_DESC[FIN_WAIT2]}" "${STATE_DESC[CLOSE]} TIME_WAIT=reset")"
	assert_eq "FIN-WAIT-2 or TIME-WAIT in the client's ss" \
		"$(ip netns exec "$NS_C" ss -Htan "( sport = :${C_EP[c]##*:} )" | grep -cE 'FIN-WAIT-2|TIME-WAIT')" 0
}
