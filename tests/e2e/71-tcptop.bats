#!/usr/bin/env bats
# tcptop: per-connection bytes of each interval, counted in the kernel,
# in DTraceToolkit's columns (docs/tcptop.8).  Real traffic between two
# network namespaces; the expected byte counts come from the kernel's own
# segment counters (Tcp: OutSegs and InSegs of the client's namespace).

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"
# shellcheck source-path=SCRIPTDIR source=tcpsnoop.bash
source "$BATS_TEST_DIRNAME/tcpsnoop.bash"

TT_HEADER='   PID LADDR           LPORT RADDR           RPORT      SIZE NAME'
STATUS_RE='^[0-9]{4} [A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2},  load: [0-9]+\.[0-9]{2},  TCPin: +[0-9]+ KB,  TCPout: +[0-9]+ KB$'

setup() {
	ts_setup
}

teardown() {
	e2e_teardown
}

# A tcptop row as the original's printa() printed it.
tt_row() {
	printf '%4d %6d %-15s %5d %-15s %5d %9d %s\n' "$@"
}

# Start tcptop with ARGs; it is counting once "Tracing... Please wait." is out.
tt_start() {
	face_start "$TCPTOP" "$@" || return 1
	wait_line "$T/mon.out" "$LINE_TIMEOUT" "Tracing... Please wait." ||
		e2e_fail "no 'Tracing...' line"
}

# Wait for tcptop to end by itself (its count of reports); it must exit 0.
tt_await_end() {
	wait_exit "$SNOOP_PID" "$1" || { SNOOP_PID= && e2e_fail "tcptop did not end after its count"; return 1; }
	SNOOP_PID=
	assert_eq "tcptop exit status" "$WAIT_STATUS" 0
}

# One client -> server transfer of BYTES on PORT (tag TAG), then the link-layer
# bytes both sockets saw, from the client namespace's segment counters:
# payload + 66 per segment (Ethernet 14, IPv4 20, TCP 20 + 12 of timestamps)
# + 8 for each of SYN and SYN-ACK (20 bytes of options instead of 12).  A
# segment sent again counts too, and so do those of the client's connection
# once it is a time-wait socket (it may be one before the server's FIN: an
# orphan whose FIN the server ACKed).  Sets BYTES[TAG].  transfer TAG PORT BYTES
transfer() {
	local tag=$1 port=$2 bytes=$3 out0 in0
	out0=$(tcp_mib "$NS_C" OutSegs)
	in0=$(tcp_mib "$NS_C" InSegs)
	conv "$tag" 4 "$port" --recv "$bytes" --send 0 -- --send "$bytes" --recv 0 || return 1
	await_quiet "$NS_C" && await_quiet "$NS_S" || return 1
	local segs=$(($(tcp_mib "$NS_C" OutSegs) - out0 + $(tcp_mib "$NS_C" InSegs) - in0))
	BYTES[$tag]=$((bytes + ACK4 * segs + 2 * (SYN4 - ACK4)))
}

@test "two connections: one interval's rows by bytes with exact totals, and count ends the run" {
	declare -gA BYTES=()
	tt_start -C 4 1
	CLI_UID=$TEST_UID transfer a 8150 20000
	CLI_UID=$TEST_UID transfer b 8151 5000
	tt_await_end 10
	local rows
	mapfile -t out <"$T/mon.out"
	assert_eq "first line" "${out[0]}" "Tracing... Please wait."
	[[ ${out[1]} =~ $STATUS_RE ]] || e2e_fail "bad status line: '${out[1]}'"
	assert_eq "line after the status" "${out[2]}" ""
	assert_eq "header" "${out[3]}" " UID $TT_HEADER"
	assert_eq "last line" "${out[-1]}" ""
	# Host-wide payload: both ends of 25000 bytes are on this host.
	[[ ${out[1]} =~ TCPin:\ +([0-9]+)\ KB,\ \ TCPout:\ +([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -ge 24 ] && [ "${BASH_REMATCH[2]}" -ge 24 ] ||
		e2e_fail "TCPin/TCPout below 24 KB: '${out[1]}'"
	rows=$(grep -F -e " 10.200.$NET_X." "$T/mon.out")
	local a1 a2 b1 b2
	a1=$(tt_row "$TEST_UID" "${CPID[a]}" "$V4_C" "${CPORT[a]}" "$V4_S" 8150 "${BYTES[a]}" snoop-cli)
	a2=$(tt_row 0 "${SPID[a]}" "$V4_S" 8150 "$V4_C" "${CPORT[a]}" "${BYTES[a]}" snoop-srv)
	b1=$(tt_row "$TEST_UID" "${CPID[b]}" "$V4_C" "${CPORT[b]}" "$V4_S" 8151 "${BYTES[b]}" snoop-cli)
	b2=$(tt_row 0 "${SPID[b]}" "$V4_S" 8151 "$V4_C" "${CPORT[b]}" "${BYTES[b]}" snoop-srv)
	# Equal totals tie-break on the PID, lower first.
	if [ "${CPID[a]}" -lt "${SPID[a]}" ]; then
		assert_rows_one_of "$(head -n 2 <<<"$rows")" "$a1"$'\n'"$a2"
	else
		assert_rows_one_of "$(head -n 2 <<<"$rows")" "$a2"$'\n'"$a1"
	fi
	if [ "${CPID[b]}" -lt "${SPID[b]}" ]; then
		assert_rows_one_of "$(tail -n +3 <<<"$rows")" "$b1"$'\n'"$b2"
	else
		assert_rows_one_of "$(tail -n +3 <<<"$rows")" "$b2"$'\n'"$b1"
	fi
	# The whole table, other traffic of the host included, by bytes.
	assert_eq "rows sorted by SIZE" "$(printf '%s\n' "${out[@]:4}" | awk 'NF { print $7 }')" \
		"$(printf '%s\n' "${out[@]:4}" | awk 'NF { print $7 }' | sort -rn)"
}

@test "each report clears the screen unless -C; the count of reports ends the run" {
	tt_start 1 2
	tt_await_end 6
	assert_eq "clear sequences" "$(grep -o $'\033\\[H\033\\[2J' "$T/mon.out" | wc -l)" 2
	assert_eq "status lines" "$(sed 's/\x1b\[H\x1b\[2J//' "$T/mon.out" | grep -cE "$STATUS_RE")" 2
	[ "$(head -c 31 "$T/mon.out" | od -An -c | tr -d ' \n')" = 'Tracing...Pleasewait.\n033[H033[2J' ] ||
		e2e_fail "the screen is not cleared before the first report"
	tt_start -C 1 1
	tt_await_end 5
	assert_eq "clear sequences with -C" "$(grep -c $'\033' "$T/mon.out")" 0
}

@test "-Z: ZONE is the network namespace inode, -j: PROJ the owner's cgroup id" {
	declare -gA BYTES=()
	tt_start -C -Z 3 1
	transfer a 8152 3000
	tt_await_end 8
	assert_eq "header" "$(sed -n 4p "$T/mon.out")" "ZONE $TT_HEADER"
	assert_eq "rows" "$(grep -F -e " 10.200.$NET_X." "$T/mon.out" | sort)" "$(
		{
			tt_row "$(netns_inode "$NS_C")" "${CPID[a]}" "$V4_C" "${CPORT[a]}" "$V4_S" 8152 "${BYTES[a]}" snoop-cli
			tt_row "$(netns_inode "$NS_S")" "${SPID[a]}" "$V4_S" 8152 "$V4_C" "${CPORT[a]}" "${BYTES[a]}" snoop-srv
		} | sort
	)"

	cgroup_make "snoop-e2e-$$/srv"
	SRV_CGROUP=$CGROUP_PATH
	cgroup_make "snoop-e2e-$$/cli"
	CLI_CGROUP=$CGROUP_PATH
	tt_start -C -j 3 1
	transfer b 8153 3000
	tt_await_end 8
	assert_eq "header" "$(sed -n 4p "$T/mon.out")" "PROJ $TT_HEADER"
	assert_eq "rows" "$(grep -F -e " 10.200.$NET_X." "$T/mon.out" | sort)" "$(
		{
			tt_row "$(stat -c %i "$CLI_CGROUP")" "${CPID[b]}" "$V4_C" "${CPORT[b]}" "$V4_S" 8153 "${BYTES[b]}" snoop-cli
			tt_row "$(stat -c %i "$SRV_CGROUP")" "${SPID[b]}" "$V4_S" 8153 "$V4_C" "${CPORT[b]}" "${BYTES[b]}" snoop-srv
		} | sort
	)"
}

@test "a connection whose client is a time-wait socket before the server's FIN: that FIN and the last ACK count in the client's row" {
	ender_setup
	tt_start -C 3 1
	local out0 in0 cp
	out0=$(tcp_mib "$NS_C" OutSegs) in0=$(tcp_mib "$NS_C" InSegs)
	# The client closes at once, the server 0.5 s after the client's FIN.
	ender_srv tw 8154 late
	ender_cli tw 8154 close
	wait_line "$T/srv-tw.peer" "$LINE_TIMEOUT" DONE || e2e_fail "the server did not close"
	await_quiet "$NS_C" && await_quiet "$NS_S" || return 1
	tt_await_end 8
	cp=$(awk '$1 == "CONNECTED" { print $3; exit }' "$T/cli-tw.peer")
	# SYN, SYN-ACK, ACK, FIN, its ACK, the server's FIN, the last ACK: 7.
	assert_eq "client segments" $(($(tcp_mib "$NS_C" OutSegs) - out0 + $(tcp_mib "$NS_C" InSegs) - in0)) 7
	assert_eq "rows" "$(grep -F -e " 10.200.$NET_X." "$T/mon.out" | sort)" "$(
		{
			tt_row 0 "${CPID[tw]}" "$V4_C" "$cp" "$V4_S" 8154 $((2 * SYN4 + 5 * ACK4)) "${CCOMM[tw]}"
			tt_row 0 "${SPID[tw]}" "$V4_S" 8154 "$V4_C" "$cp" $((2 * SYN4 + 5 * ACK4)) "${SCOMM[tw]}"
		} | sort
	)"
}

@test "a SYN to a closed port and its RST make a <closed> row of 128 bytes" {
	tt_start -C 2 1
	closed_attempt 4
	tt_await_end 6
	local cp
	cp=$(awk -v a="$V4_C" '$3 == a { print $4; exit }' "$T/mon.out")
	[ -n "$cp" ] || e2e_fail "no row of the client"
	assert_eq "rows" "$(grep -F -e " 10.200.$NET_X." "$T/mon.out" | sort)" "$(
		{
			tt_row 0 "${CPID[closed]}" "$V4_C" "$cp" "$V4_S" 8199 $((SYN4 + RST4)) snoop-cli
			tt_row 0 0 "$V4_S" 8199 "$V4_C" "$cp" $((SYN4 + RST4)) '<closed>'
		} | sort
	)"
}

@test "-h prints the usage on stderr and exits 0; usage errors exit 64" {
	snoop_run "$TCPTOP" -h
	assert_eq "exit status of -h" "$RUN_STATUS" 0
	assert_eq "usage" "$(head -n 1 "$T/run.err")" "USAGE: tcptop [-Ch] [-j|-Z] [interval [count]]"
	local args
	for args in "-x" "0" "abc" "1 0" "1 2 3"; do
		# shellcheck disable=SC2086 # one string, several arguments
		snoop_run "$TCPTOP" $args
		assert_eq "exit status of tcptop $args" "$RUN_STATUS" 64
		assert_eq "stdout of tcptop $args" "$(cat "$T/run.out")" ""
		grep -q '^USAGE: tcptop ' "$T/run.err" || e2e_fail "no usage for '$args'"
		head -n 1 "$T/run.err" | grep -q -F -e "'${args##* }'" ||
			e2e_fail "the message does not name '${args##* }': $(cat "$T/run.err")"
	done
}
