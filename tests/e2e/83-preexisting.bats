#!/usr/bin/env bats
# Connections that existed before socket-snoop started: found at start-up
# (sock_diag in every namespace, owners through /proc/PID/fd and pidfd_getfd),
# so their later events and close summaries are attributed to their owners,
# with RPS putting every softirq transition on the CPU the owner is not on.
# The peers connect, then wait (--pause) for SIGUSR1 before any data.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
}

teardown() {
	e2e_teardown
}

MON=(--no-log-file)

# Conversation TAG on PORT connected before the monitor, both sides paused;
# the server and the client then exchange the given ARGs once released.
# open_paused TAG PORT [SERVER_ARG...] [-- CLIENT_ARG...]
open_paused() {
	local tag=$1 port=$2
	shift 2
	local -a sargs=() cargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sargs+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	cargs=("$@")
	srv_start "$tag" 4 "$port" --pause "${sargs[@]}" || return 1
	cli_start "$tag" "$tag" --pause "${cargs[@]}" || return 1
	cli_connected "$tag" || return 1
	if ! wait_line "$T/cli-$tag.peer" "$LINE_TIMEOUT" PAUSED ||
		! wait_line "$T/srv-$tag.peer" "$LINE_TIMEOUT" PAUSED; then
		e2e_fail "peers of $tag not paused"
	fi
}

@test "open before start, closed after: events and summaries attributed to the owners, bytes exact, report says (seen at start)" {
	open_paused a 8830 --recv 3000 --send 2000 -- --send 3000 --recv 2000
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	release "${SPID[a]}"
	release "${CPID[a]}"
	cli_wait a
	srv_wait a
	await_closed a
	settle
	snoop_stop

	# Only what happened after start, all of it the owners'.
	assert_conn "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli FIN_WAIT1 FIN_WAIT2 TIME_WAIT
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv CLOSE_WAIT LAST_ACK CLOSE
	assert_conn "${S_EP[a]}" 0.0.0.0:0 "${SPID[a]}" snoop-srv CLOSE
	assert_summary "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli \
		SENT=3000 RECEIVED=2000 RETRANS=0 DIRECTION=outbound CLOSED_BY=local
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv \
		SENT=2000 RECEIVED=3000 RETRANS=0 DIRECTION=inbound CLOSED_BY=remote

	# The report: the state it was found in, marked, then the transitions seen.
	local block first
	block=$(report_block "${C_EP[a]}" "${S_EP[a]}")
	first=$(head -n 1 <<<"$block")
	[[ $first =~ ^\ \ $TS_RE:\ Connection\ Established\ \(seen\ at\ start\)$ ]] ||
		e2e_fail "first report line of the client: '$first'"
	assert_eq "client report after the first line" "$(tail -n +2 <<<"$block" | sed 's/^  .\{24\}: //')" \
		"$(printf '%s\n' "${STATE_DESC[FIN_WAIT1]}" "${STATE_DESC[FIN_WAIT2]}" "${STATE_DESC[TIME_WAIT]}")"
	block=$(report_block "${S_EP[a]}" "${C_EP[a]}")
	first=$(head -n 1 <<<"$block")
	[[ $first =~ ^\ \ $TS_RE:\ Connection\ Established\ \(seen\ at\ start\)$ ]] ||
		e2e_fail "first report line of the server: '$first'"
	block=$(report_block "${S_EP[a]}" 0.0.0.0:0)
	first=$(head -n 1 <<<"$block")
	[[ $first =~ ^\ \ $TS_RE:\ Listening\ for\ Connections\ \(seen\ at\ start\)$ ]] ||
		e2e_fail "first report line of the listener: '$first'"
	# Only connections found at start are marked.
	assert_eq "marked report lines" "$(grep -cF ' (seen at start)' "$T/mon.out")" 3
}

@test "accepted after start from a listener opened before start: every event the server's" {
	srv_start a 4 8831 --recv 100 --send 50
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report
	cli_run a a --send 100 --recv 50
	srv_wait a
	await_closed a
	settle
	snoop_stop

	assert_conv a client server
	assert_conn "${S_EP[a]}" 0.0.0.0:0 "${SPID[a]}" snoop-srv CLOSE
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv \
		SENT=50 RECEIVED=100 DIRECTION=inbound CLOSED_BY=remote
}

@test "json: attribution snapshot before the owner touches the socket, seen_at_start on every object of it" {
	# The client closes at once when released; the server, still paused,
	# gets the FIN in softirq: only the start-up snapshot knows its owner.
	open_paused a 8832
	srv_start b 4 8833
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --json
	release "${CPID[a]}"
	cli_wait a
	json_wait ".socket_snoop.state == \"close_wait\" and .destination.port == 8832"
	release "${SPID[a]}"
	srv_wait a
	cli_run b b
	srv_wait b
	json_wait ".event.action == \"close\" and .network.direction == \"ingress\" and .destination.port == 8833"
	settle
	snoop_stop

	local spid=${SPID[a]} cpid=${CPID[a]} got want
	# action, state entered (state changes only), attribution, pid, name, mark
	local proj='[.event.action, (if .event.action == "state_change" then .socket_snoop.state else "-" end),
		.socket_snoop.attribution, .process.pid, .process.name, .socket_snoop.seen_at_start] | @tsv'
	# Server side, in order: CLOSE_WAIT (snapshot owner), then the server's own calls.
	got=$(json_select ".network.direction == \"ingress\" and .destination.port == 8832" |
		jq -r "$proj")
	want=$(printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
		state_change close_wait snapshot "$spid" snoop-srv true \
		state_change last_ack owner "$spid" snoop-srv true \
		state_change close owner "$spid" snoop-srv true \
		close - owner "$spid" snoop-srv true)
	assert_eq "server objects of the connection found at start" "$got" "$want"
	# Client side: it closed the socket itself, and ends in TIME_WAIT (its
	# summary, the socket's end, comes before that when the server's FIN came
	# after the ACK of the client's: sorted).
	got=$(json_select ".network.direction == \"egress\" and .destination.port == 8832" |
		jq -r "$proj" | sort)
	want=$(printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
		state_change fin_wait1 owner "$cpid" snoop-cli true \
		state_change fin_wait2 owner "$cpid" snoop-cli true \
		state_change time_wait owner "$cpid" snoop-cli true \
		close - owner "$cpid" snoop-cli true | sort)
	assert_eq "client objects of the connection found at start" "$got" "$want"
	# The listener found at start: a listener is only a server.
	got=$(json_select ".event.action == \"state_change\" and .server.port == 8832 and (has(\"source\") | not)" |
		jq -r '[.socket_snoop.state, .socket_snoop.attribution, .process.pid, .socket_snoop.seen_at_start] | @tsv')
	# (Its close is the process's own: the last holder to let go of a listener closes it.)
	assert_eq "listener found at start" "$got" "$(printf 'close\towner\t%s\ttrue' "$spid")"
	# Lifecycle objects: the three sockets found at start are marked, each
	# starting with the state it was found in; the listener is only a server.
	got=$(json_select '.event.action == "lifecycle" and ((.source.port == 8832) or (.destination.port == 8832) or (.server.port == 8832))' |
		jq -r '[.socket_snoop.seen_at_start, .socket_snoop.transitions[0].state, has("destination"), (.socket_snoop.transitions | length)] | @tsv' | sort)
	want=$(printf '%s\n' $'true\testablished\ttrue\t4' $'true\testablished\ttrue\t4' $'true\tlisten\tfalse\t2' | sort)
	assert_eq "lifecycle objects of the sockets found at start" "$got" "$want"
	# Nothing of connection b (accepted after start) is marked, its listener is.
	got=$(json_select ".destination.port == 8833" |
		jq -s -c '[.[] | .socket_snoop.seen_at_start // false] | unique')
	assert_eq "seen_at_start on connection b" "$got" '[false]'
	local cookie
	cookie=$(json_select '.socket_snoop.old_state == "listen" and .socket_snoop.state == "close" and .server.port == 8833' |
		jq -r .socket_snoop.cookie)
	got=$(json_select ".event.action != \"lifecycle\" and .socket_snoop.cookie == ${cookie:-0}" |
		jq -s -c '[.[] | .socket_snoop.seen_at_start // false] | unique')
	assert_eq "seen_at_start on listener b" "$got" '[true]'
	# The accepted socket, by its cookie (from its close summary).
	cookie=$(json_select '.event.action == "close" and .network.direction == "ingress" and .destination.port == 8833' |
		jq -r .socket_snoop.cookie)
	# (CLOSE_WAIT comes while the server sits in recv(): listener or owner.)
	got=$(json_select ".event.action == \"state_change\" and .socket_snoop.cookie == ${cookie:-0}" |
		jq -r '.socket_snoop as $s | [$s.state, (if $s.state == "close_wait" and
			($s.attribution == "listener" or $s.attribution == "owner") then "listener|owner"
			else $s.attribution end), .process.pid] | @tsv')
	want=$(printf '%s\t%s\t%s\n' syn_recv listener "${SPID[b]}" established listener "${SPID[b]}" \
		close_wait 'listener|owner' "${SPID[b]}" last_ack owner "${SPID[b]}" close owner "${SPID[b]}")
	assert_eq "server side of b: the listener's owner, then the server's own" "$got" "$want"
}

@test "a name read from /proc at start is taken byte for byte: 'sshd<newline>X' is not shown as, nor matched by, sshd" {
	# The server is only known from the start-up scan (/proc/PID/comm): the
	# client closes when released and the server's CLOSE_WAIT comes in softirq.
	local nm=$'sshd\nX'
	ln -s peer "$T/$nm"
	SRV_COMM=$nm open_paused a 8834
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report
	release "${CPID[a]}"
	cli_wait a
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE_WAIT
	snoop_stop
	local line
	line=$(conn_lines "${S_EP[a]}" "${C_EP[a]}" | grep -F "STATE=${STATE_DESC[CLOSE_WAIT]}")
	[[ $line == *" PID=${SPID[a]} COMM=sshd\\x0aX STATE="* ]] || e2e_fail "server line: '$line'"

	# --comm=sshd keeps nothing of it: the name is not "sshd".
	SRV_COMM=$nm open_paused b 8835
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report --comm=sshd
	release "${CPID[b]}"
	cli_wait b
	release "${SPID[b]}"
	srv_wait b
	settle 1
	snoop_stop
	assert_none " SRC=${S_EP[b]} "
	assert_none "COMM=sshd"
}

@test "a namespace holding 2,000 TCP sockets (read through sock_diag): directions and owners of connections open at start, and of one accepted after start" {
	# Over 1,000 TCP sockets in a namespace, the start-up snapshot reads them all with
	# one sock_diag dump instead of asking each socket: the server's namespace gets
	# 2,000 (bench/holdconns, loopback, outside the --laddr filter), the client's has
	# only the conversation's, so each connection has one end found either way.
	cc -O2 -o "$T/holdconns" "$E2E_ROOT/bench/holdconns.c" || e2e_fail "cannot build bench/holdconns"
	ip netns exec "$NS_S" "$T/holdconns" -n 2000 -t 60 >"$T/hold.out" 2>&1 &
	E2E_PIDS+=("$!")
	wait_line "$T/hold.out" "$LINE_TIMEOUT" "ready sockets=2000 " || e2e_fail "holdconns not ready"
	open_paused a 8836 --recv 300 --send 200 -- --send 300 --recv 200
	srv_start b 4 8837 --recv 100 --send 50
	snoop_start "${ISOLATE[@]}" "${MON[@]}"
	release "${SPID[a]}"
	release "${CPID[a]}"
	cli_wait a
	srv_wait a
	await_closed a
	cli_run b b --send 100 --recv 50
	srv_wait b
	await_closed b
	settle
	snoop_stop

	assert_summary "${C_EP[a]}" "${S_EP[a]}" "${CPID[a]}" snoop-cli \
		SENT=300 RECEIVED=200 RETRANS=0 DIRECTION=outbound CLOSED_BY=local
	assert_summary "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv \
		SENT=200 RECEIVED=300 RETRANS=0 DIRECTION=inbound CLOSED_BY=remote
	assert_summary "${S_EP[b]}" "${C_EP[b]}" "${SPID[b]}" snoop-srv \
		SENT=50 RECEIVED=100 DIRECTION=inbound CLOSED_BY=remote
	assert_conn "${S_EP[a]}" 0.0.0.0:0 "${SPID[a]}" snoop-srv CLOSE
	# Found at start and marked: both ends of a and the two listeners, nothing else.
	local end first
	for end in "${C_EP[a]} ${S_EP[a]}" "${S_EP[a]} ${C_EP[a]}"; do
		# shellcheck disable=SC2086 # two endpoints
		first=$(report_block $end | head -n 1)
		[[ $first =~ ^\ \ $TS_RE:\ Connection\ Established\ \(seen\ at\ start\)$ ]] ||
			e2e_fail "first report line of $end: '$first'"
	done
	assert_eq "marked report lines" "$(grep -cF ' (seen at start)' "$T/mon.out")" 4
}

@test "--cgroup with connections open at start: the kernel's iterators tell whose process is in the cgroup" {
	# Both conversations connected before start, only a's server in the cgroup: the
	# iterators mark each socket found with its owner's place (the programs can only
	# ask the current task, and the server's CLOSE_WAIT comes in softirq).
	cgroup_make "snoop-e2e-$$/leaf"
	local leaf=$CGROUP_PATH parent=${CGROUP_PATH%/*}
	SRV_CGROUP=$leaf open_paused a 8838
	open_paused b 8839
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report -v "--cgroup=$parent"
	release "${CPID[a]}"
	release "${CPID[b]}"
	cli_wait a
	cli_wait b
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE_WAIT
	settle
	snoop_stop
	grep -qE "^[0-9]+ TCP sockets were open at start \(found by the kernel's iterators, " "$T/mon.err" ||
		e2e_fail "no start-up line naming the iterators:" "$(cat "$T/mon.err")"
	assert_conn "${S_EP[a]}" "${C_EP[a]}" "${SPID[a]}" snoop-srv CLOSE_WAIT
	assert_no_conn "${C_EP[a]}" "${S_EP[a]}"
	assert_no_conn "${S_EP[b]}" "${C_EP[b]}"
	assert_no_conn "${C_EP[b]}" "${S_EP[b]}"
}

@test "twenty connections busy with traffic while socket-snoop starts: every one seen at start, with its direction, on both sides" {
	# Each client sends as fast as its server reads: their receives and sends run
	# socket-snoop's programs between its attach and its start-up scan, which
	# then finds records already there and must still mark them.
	# All twenty at once, 8 GiB each: more traffic than a start-up lasts (they are
	# stopped once it is over).
	local i n=20 port
	for ((i = 1; i <= n; i++)); do
		srv_start "b$i" 4 $((8860 + i)) --recv 8589934592 --timeout 120
	done
	for ((i = 1; i <= n; i++)); do
		cli_start "b$i" "b$i" --send 8589934592 --timeout 120
	done
	for ((i = 1; i <= n; i++)); do
		cli_connected "b$i"
	done
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --json
	for ((i = 1; i <= n; i++)); do
		grep -q '^DONE' "$T/cli-b$i.peer" && e2e_fail "connection $i was over before the start"
		kill -TERM "${CPID[b$i]}"
	done
	for ((i = 1; i <= n; i++)); do
		port=$((8860 + i))
		json_wait ".event.action == \"close\" and .network.direction == \"ingress\" and .destination.port == $port" 10
		json_wait ".event.action == \"close\" and .network.direction == \"egress\" and .destination.port == $port" 10
	done
	settle
	snoop_stop

	local got
	for ((i = 1; i <= n; i++)); do
		port=$((8860 + i))
		# Every object of both sockets of the flow: marked, and its direction known.
		got=$(json_select ".event.action != \"lifecycle\" and .destination.port == $port" |
			jq -r '[.network.direction // "none", (.socket_snoop.seen_at_start // false)] | @tsv' | sort -u)
		assert_eq "connection $i: direction and seen_at_start of every object" "$got" \
			"$(printf 'egress\ttrue\ningress\ttrue')"
		got=$(json_select ".event.action == \"close\" and .destination.port == $port" | jq -r .network.direction | sort | tr '\n' ' ')
		assert_eq "connection $i: both summaries" "$got" "egress ingress "
	done
}

@test "connections losing packets while socket-snoop starts: their retransmits from before the start-up scan carry their owners, direction and seen_at_start" {
	# A fiftieth of the clients' segments dropped: their sockets retransmit
	# from the timer and on duplicate ACKs, in softirq, in bursts, also between
	# socket-snoop's attach and the moment its start-up scan finds them.  Those
	# events left the kernel before the scan recorded the owner; the scan's
	# record is the answer they get.  Every start is checked; one with a
	# retransmit before its scan ended must come within five.
	local i n=8 port=8881 got early run proved=0 sel want=
	nft_drop "$NS_S" input "tcp dport $port tcp flags & syn == 0 numgen random mod 50 0"
	# One segment a packet (no segmentation offload), each dropped on its own;
	# at 1 Gbit/s the 8 GiB last a minute, of which a start takes a second.
	ip -n "$NS_C" link set vcli gso_max_segs 1
	ip netns exec "$NS_C" tc qdisc add dev vcli root tbf rate 1gbit burst 256kb latency 50ms
	# A lost retransmit waits out a timeout of 5 ms, not 200: bursts come often.
	ip -n "$NS_C" route change "$(ip -n "$NS_C" -4 route show dev vcli | awk '{ print $1; exit }')" dev vcli rto_min 5ms
	srv_start l 4 $port --accept $n --recv 8589934592 --timeout 120
	for ((i = 1; i <= n; i++)); do
		cli_start "l$i" l --send 8589934592 --timeout 120
	done
	for ((i = 1; i <= n; i++)); do
		cli_connected "l$i"
		want+="${CPID[l$i]}	${CPORT[l$i]}	egress	true"$'\n'
	done
	want=$(sort -u <<<"$want")
	sel=".event.action == \"retransmit\" and .destination.port == $port"
	for ((run = 1; run <= 5 && !proved; run++)); do
		snoop_start "${ISOLATE[@]}" "${MON[@]}" --json -v -e retransmit
		settle
		snoop_stop
		# Every one: its client's, outbound, there at start.  (Not every client
		# retransmits in each start: the lines are compared as a set.)
		got=$(json_select "$sel" |
			jq -r '[.process.pid // 0, .source.port, .network.direction // "none", (.socket_snoop.seen_at_start // false)] | @tsv' | sort -u)
		[ -n "$got" ] || e2e_fail "start $run: no retransmit seen"
		got=$(comm -23 <(echo "$got") <(echo "$want"))
		assert_eq "start $run: retransmits not of their client, outbound, there at start" "$got" ""
		# Were some sent before the scan ended?  Its -v line is written after it.
		early=$(jq -r 'select(.message // "" | test("TCP sockets were open at start")) | .["@timestamp"]' "$T/mon.err")
		[ -n "$early" ] || e2e_fail "start $run: no start-up line" "$(cat "$T/mon.err")"
		got=$(json_select "$sel and .[\"@timestamp\"] < \"$early\"" | wc -l)
		[ "$got" -gt 0 ] && proved=1
	done
	[ "$proved" = 1 ] || e2e_fail "in five starts no retransmit came before the start-up scan ended: the test proves nothing"
	for ((i = 1; i <= n; i++)); do
		grep -q '^DONE' "$T/cli-l$i.peer" && e2e_fail "client $i was done before the last start"
	done
	return 0
}
