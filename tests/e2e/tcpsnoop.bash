# shellcheck shell=bash
# shellcheck disable=SC2034 # globals set here are read by the .bats files
# shellcheck disable=SC2153 # CPORT, CPID... are lib.bash's arrays
# tcpsnoop.bash - helpers of the tcpsnoop and tcptop end-to-end tests
# (70-tcpsnoop.bats, 71-tcptop.bats), on top of lib.bash.
#
# The faces are the same binary started as tcpsnoop/tcptop (build/ links).
# Their stdout goes to $T/mon.out and stderr to $T/mon.err, like the
# monitor's, so lib.bash's teardown stops them and shows what they printed.
#
# Expected rows are built with the shell's printf and the original's format
# strings: an independent rendering of DTraceToolkit's columns.

TCPSNOOP=${TCPSNOOP:-$(dirname "$SNOOP")/tcpsnoop}
TCPTOP=${TCPTOP:-$(dirname "$SNOOP")/tcptop}

# The original's header, byte for byte (tcpsnoop's BEGIN clause).
TS_HEADER='  UID    PID LADDR           LPORT DR RADDR           RPORT  SIZE CMD'

# Sizes on the wire (SIZE = IP length + 14) of the segments of a test
# conversation: Ethernet 14 + IPv4 20 + TCP 20, plus TCP options: 20 on
# SYN and SYN-ACK (MSS, SACK-permitted, timestamps, window scale), 12 on
# every other segment (timestamps).  IPv6 headers are 20 bytes longer.
SYN4=74
ACK4=66
RST4=54
SYN6=94
ACK6=86
RST6=74

# Preconditions of these tests, on top of e2e_setup's.
ts_setup() {
	e2e_setup || return 1
	e2e_require_cmds ss awk || return 1
	[ -x "$TCPSNOOP" ] || { e2e_cannot_run "$TCPSNOOP not built (run make)"; return 1; }
	[ -x "$TCPTOP" ] || { e2e_cannot_run "$TCPTOP not built (run make)"; return 1; }
	net_setup
}

# Start FACE (a path) with ARGs in the background; wait for its first line
# (tcpsnoop's header, tcptop's "Tracing..."): it is capturing then.
face_start() {
	local face=$1
	shift
	# Its packets count: packets the kernel hid from BPF may explain a failure.
	E2E_PACKET_FACE=1
	rm -f "$T/mon.out" "$T/mon.err"
	"$face" "$@" >"$T/mon.out" 2>"$T/mon.err" </dev/null 3>&- &
	SNOOP_PID=$!
	local i
	for ((i = 0; i < START_TIMEOUT * 20; i++)); do
		[ -s "$T/mon.out" ] && return 0
		pid_running "$SNOOP_PID" || break
		sleep 0.05
	done
	wait_exit "$SNOOP_PID" 1 || true
	SNOOP_PID=
	e2e_fail "$face did not start (status $WAIT_STATUS): $(cat "$T/mon.err")"
}

ts_start() {
	face_start "$TCPSNOOP" "$@"
}

# Stop tcpsnoop with SIGINT; it must exit 0 and report no loss.
ts_stop() {
	snoop_stop INT || return 1
	assert_eq "tcpsnoop exit status" "$SNOOP_STATUS" 0 || return 1
	if grep -q 'lost' "$T/mon.err"; then
		e2e_fail "tcpsnoop reported lost lines: $(cat "$T/mon.err")"
	fi
}

# A tcpsnoop row as the original printed it:
# ts_row UID PID LADDR LPORT DR RADDR RPORT SIZE CMD
ts_row() {
	printf '%5d %6d %-15s %5d %2s %-15s %5d %5d %s\n' "$@"
}

# The same with -w (39-wide addresses).
ts_row_wide() {
	printf '%5d %6d %-39s %5d %2s %-39s %5d %5d %s\n' "$@"
}

# Rows of $T/mon.out whose local end is LADDR LPORT and remote end RADDR
# RPORT, in order, with the optional columns removed by the sed -E script
# STRIP (see STRIP_* below).  ts_rows LADDR LPORT RADDR RPORT [STRIP]
ts_rows() {
	sed -E -e "${5:-}" "$T/mon.out" |
		awk -v la="$1" -v lp="$2" -v ra="$3" -v rp="$4" \
			'NF >= 9 && $3 == la && $4 == lp && $6 == ra && $7 == rp'
}

# Rows of $T/mon.out that mention this test's addresses.
ts_our_rows() {
	grep -F -e " 10.200.$NET_X." -e " fd00:200:$NET_X:" "$T/mon.out" || true
}

# The sed -E scripts that remove optional columns: TIME ("%-14d "), STRTIME
# ("%-20s "), ZONE or PROJ ("%4d ", wider for big ids).
STRIP_TIME='s/^.{15}//'
STRIP_STRTIME='s/^.{21}//'
STRIP_ID='s/^ *[0-9]+ //'
STRIP_ALL='s/^.{36}//; s/^ *[0-9]+ //; s/^ *[0-9]+ //'

# Wait until $T/mon.out has COUNT rows of the given socket.
# ts_await_rows COUNT LADDR LPORT RADDR RPORT [STRIP]
ts_await_rows() {
	local want=$1
	shift
	local deadline=$((SECONDS + LINE_TIMEOUT)) n
	while :; do
		n=$(ts_rows "$@" | wc -l)
		[ "$n" -ge "$want" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.05
	done
	e2e_fail "only $n of $want rows for $1:$2 <-> $3:$4 within ${LINE_TIMEOUT}s"
}

# Assert the rows of one socket equal one of the expected row lists.
# assert_rows_one_of GOT WANT [WANT...]   (each a newline-separated string)
assert_rows_one_of() {
	local got=$1 want
	shift
	for want in "$@"; do
		[ "$got" = "$want" ] && return 0
	done
	printf 'FAIL: rows differ from what the exchange sends.\n--- want\n%s\n--- got\n%s\n' \
		"$1" "$got" >&2
	[ $# -gt 1 ] && printf -- '--- (or)\n%s\n' "${@:2}" >&2
	return 1
}

# Value of counter NAME of the Tcp: lines of /proc/net/snmp in namespace NS.
tcp_mib() {
	# shellcheck disable=SC2016 # awk's $fields, not the shell's
	ip netns exec "$1" awk -v name="$2" '
		$1 == "Tcp:" && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == "Tcp:" && hdr { print $col[name]; exit }' /proc/net/snmp
}

# Wait until namespace NS has no TCP socket left but TIME-WAIT ones: every
# segment of its closed connections has been sent and received.
await_quiet() {
	local ns=$1 deadline=$((SECONDS + LINE_TIMEOUT))
	while [ -n "$(ip netns exec "$ns" ss -Htan state all exclude time-wait exclude listening)" ]; do
		[ "$SECONDS" -lt "$deadline" ] || { e2e_fail "sockets of $ns did not close"; return 1; }
		sleep 0.05
	done
}

# CLOCK_MONOTONIC in microseconds (ktime_get(), the clock of DTrace's timestamp and ours).
mono_us() {
	awk '/^now at/ { printf "%.0f\n", $3 / 1000; exit }' /proc/timer_list
}

# Inode of a network namespace: the ZONE tcpsnoop prints.
netns_inode() {
	stat -L -c %i "/run/netns/$1"
}

# The client (CLI) and server (SRV) rows of the standard conversation TAG
# (the client sends 100 bytes, the server answers 50, the client closes
# first), for family 4 or 6, as two variants each: the server's ACK of the
# client's FIN is delayed (ATO) and normally rides on its own FIN; when the
# server is slow to close, it goes alone first.  Sets WANT_CLI, WANT_CLI2,
# WANT_SRV, WANT_SRV2.  want_conv_rows TAG FAMILY [ROW_FN]
want_conv_rows() {
	local tag=$1 fam=$2 row=${3:-ts_row}
	local ca=${V4_C} sa=${V4_S} syn=$SYN4 ack=$ACK4
	if [ "$fam" = 6 ]; then
		ca=$V6_C sa=$V6_S syn=$SYN6 ack=$ACK6
	fi
	local cp=${CPORT[$tag]} sp=${SPORT[$tag]} c=${CPID[$tag]} s=${SPID[$tag]}
	local cc=${CLI_COMM:-snoop-cli} sc=${SRV_COMM:-snoop-srv}
	local cu=${CLI_UID:-0} su=${SRV_UID:-0}
	local head tail
	head=$(
		"$row" "$cu" "$c" "$ca" "$cp" '->' "$sa" "$sp" "$syn" "$cc"       # SYN
		"$row" "$cu" "$c" "$ca" "$cp" '<-' "$sa" "$sp" "$syn" "$cc"       # SYN-ACK
		"$row" "$cu" "$c" "$ca" "$cp" '->' "$sa" "$sp" "$ack" "$cc"       # ACK
		"$row" "$cu" "$c" "$ca" "$cp" '->' "$sa" "$sp" $((ack + 100)) "$cc" # 100 bytes
		"$row" "$cu" "$c" "$ca" "$cp" '<-' "$sa" "$sp" "$ack" "$cc"       # ACK (quick ACK)
		"$row" "$cu" "$c" "$ca" "$cp" '<-' "$sa" "$sp" $((ack + 50)) "$cc"  # 50 bytes
		"$row" "$cu" "$c" "$ca" "$cp" '->' "$sa" "$sp" "$ack" "$cc"       # ACK
		"$row" "$cu" "$c" "$ca" "$cp" '->' "$sa" "$sp" "$ack" "$cc"       # FIN
	)
	tail=$("$row" "$cu" "$c" "$ca" "$cp" '<-' "$sa" "$sp" "$ack" "$cc")  # FIN (+ ACK)
	WANT_CLI=$head$'\n'$tail$'\n'$("$row" "$cu" "$c" "$ca" "$cp" '->' "$sa" "$sp" "$ack" "$cc")
	WANT_CLI2=$head$'\n'$tail$'\n'$tail$'\n'$("$row" "$cu" "$c" "$ca" "$cp" '->' "$sa" "$sp" "$ack" "$cc")
	head=$(
		"$row" "$su" "$s" "$sa" "$sp" '<-' "$ca" "$cp" "$syn" "$sc"
		"$row" "$su" "$s" "$sa" "$sp" '->' "$ca" "$cp" "$syn" "$sc"
		"$row" "$su" "$s" "$sa" "$sp" '<-' "$ca" "$cp" "$ack" "$sc"
		"$row" "$su" "$s" "$sa" "$sp" '<-' "$ca" "$cp" $((ack + 100)) "$sc"
		"$row" "$su" "$s" "$sa" "$sp" '->' "$ca" "$cp" "$ack" "$sc"
		"$row" "$su" "$s" "$sa" "$sp" '->' "$ca" "$cp" $((ack + 50)) "$sc"
		"$row" "$su" "$s" "$sa" "$sp" '<-' "$ca" "$cp" "$ack" "$sc"
		"$row" "$su" "$s" "$sa" "$sp" '<-' "$ca" "$cp" "$ack" "$sc"
	)
	tail=$("$row" "$su" "$s" "$sa" "$sp" '->' "$ca" "$cp" "$ack" "$sc")
	WANT_SRV=$head$'\n'$tail$'\n'$("$row" "$su" "$s" "$sa" "$sp" '<-' "$ca" "$cp" "$ack" "$sc")
	WANT_SRV2=$head$'\n'$tail$'\n'$tail$'\n'$("$row" "$su" "$s" "$sa" "$sp" '<-' "$ca" "$cp" "$ack" "$sc")
}

# Run the standard conversation TAG (family 4 or 6, PORT) under a running
# tcpsnoop, wait for every row of both sockets (10 each, 11 when the FIN's
# ACK went alone), and fill the WANT_* variants.
# ts_conv TAG FAMILY PORT [ROW_FN [STRIP]]
ts_conv() {
	local tag=$1 fam=$2 port=$3 row=${4:-ts_row} strip=${5:-}
	conv "$tag" "$fam" "$port" || return 1
	await_quiet "$NS_C" && await_quiet "$NS_S" || return 1
	local ca=$V4_C sa=$V4_S
	[ "$fam" = 6 ] && ca=$V6_C sa=$V6_S
	ts_await_rows 10 "$ca" "${CPORT[$tag]}" "$sa" "${SPORT[$tag]}" "$strip" || return 1
	ts_await_rows 10 "$sa" "${SPORT[$tag]}" "$ca" "${CPORT[$tag]}" "$strip" || return 1
	settle
	want_conv_rows "$tag" "$fam" "$row"
}

# Assert the rows of conversation TAG are exactly what it sent and received.
# assert_conv_rows TAG FAMILY [STRIP]
assert_conv_rows() {
	local tag=$1 fam=$2 strip=${3:-} ca=$V4_C sa=$V4_S
	[ "$fam" = 6 ] && ca=$V6_C sa=$V6_S
	assert_rows_one_of "$(ts_rows "$ca" "${CPORT[$tag]}" "$sa" "${SPORT[$tag]}" "$strip")" \
		"$WANT_CLI" "$WANT_CLI2" &&
		assert_rows_one_of "$(ts_rows "$sa" "${SPORT[$tag]}" "$ca" "${CPORT[$tag]}" "$strip")" \
			"$WANT_SRV" "$WANT_SRV2"
}

# Connect from the client namespace to port 8199 of the server, where
# nothing listens (family 4 or 6): client tag closed or closed6.
# shellcheck disable=SC2004 # associative arrays (lib.bash), not arithmetic
closed_attempt() {
	local fam=${1:-4} tag=closed srv=none
	SADDR[$srv]=$V4_S
	if [ "$fam" = 6 ]; then
		SADDR[$srv]=$V6_S
		tag=closed6
	fi
	SPORT[$srv]=8199
	cli_run "$tag" "$srv" --expect-refused
}

# Seconds since the epoch of a STRTIME ("2005 Jul 11 21:21:19", local time).
strtime_epoch() {
	local y m d t
	read -r y m d t <<<"$1"
	date -d "$m $d $y $t" +%s
}

# Start tcpdump on device DEV of namespace NS (the test's veth ends: vcli,
# vsrv), its lines (-nn -e: with each frame's length) in $T/dump, with what
# it says (no frame's line); it is capturing once it says so.
# dump_start NS DEV
dump_start() {
	bg_start "$T/dump" ip netns exec "$1" tcpdump -i "$2" -nn -e -l tcp
	DUMP_PID=$BG_PID
	wait_line "$T/dump" "$LINE_TIMEOUT" listening || e2e_fail "tcpdump did not start"
}

# Run CMD ARG... in the background, its output (stdout and stderr) in OUT,
# stopped at teardown if still running; its PID in BG_PID.
# bg_start OUT CMD ARG...
bg_start() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 </dev/null 3>&- &
	BG_PID=$!
	E2E_PIDS+=("$BG_PID")
}

# Stop tcpdump: every frame it captured is in $T/dump then.
dump_stop() {
	kill -INT "$DUMP_PID"
	wait "$DUMP_PID" || true
}

# The frames in $T/dump of the connection whose one end is ADDR PORT, in
# order, as "DR SIZE": DR -> for a frame that end sent, <- for one it
# received; SIZE the frame's length (the IP packet's and 14, tcpsnoop's
# SIZE).  dump_frames ADDR PORT
dump_frames() {
	awk -v me="$1.$2" '
		{
			for (i = 1; i < NF; i++)
				if ($i == "length" && $(i + 1) ~ /:$/) break
			if (i >= NF) next
			size = $(i + 1); sub(/:$/, "", size)
			src = $(i + 2); dst = $(i + 4); sub(/:$/, "", dst)
			if (src == me) print "-> " size
			else if (dst == me) print "<- " size
		}' "$T/dump"
}
