#!/usr/bin/env bats
# tcpsnoop: one row per TCP packet, attributed to the socket's owner, in
# DTraceToolkit's columns (docs/tcpsnoop.8).  Real traffic between two
# network namespaces; rows are compared byte for byte with what the shell's
# printf makes of the original's format strings and the known exchange.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"
# shellcheck source-path=SCRIPTDIR source=tcpsnoop.bash
source "$BATS_TEST_DIRNAME/tcpsnoop.bash"

setup() {
	ts_setup
}

teardown() {
	e2e_teardown
}

# Rows of one direction of the local address ADDR: "->" sent, "<-" received.
rows_dir() {
	awk -v a="$1" -v d="$2" '$3 == a && $5 == d' "$T/mon.out" | wc -l
}

@test "default: header and exact rows of a known exchange; one row per segment the kernel counted" {
	ts_start
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "$TS_HEADER"
	local out_c in_c out_s in_s
	out_c=$(tcp_mib "$NS_C" OutSegs) in_c=$(tcp_mib "$NS_C" InSegs)
	out_s=$(tcp_mib "$NS_S" OutSegs) in_s=$(tcp_mib "$NS_S" InSegs)
	ts_conv a 4 8130
	ts_stop
	assert_conv_rows a 4
	# Every segment each namespace's TCP sent and received has its row, no more.
	assert_eq "client rows sent" "$(rows_dir "$V4_C" '->')" $(($(tcp_mib "$NS_C" OutSegs) - out_c))
	assert_eq "client rows received" "$(rows_dir "$V4_C" '<-')" $(($(tcp_mib "$NS_C" InSegs) - in_c))
	assert_eq "server rows sent" "$(rows_dir "$V4_S" '->')" $(($(tcp_mib "$NS_S" OutSegs) - out_s))
	assert_eq "server rows received" "$(rows_dir "$V4_S" '<-')" $(($(tcp_mib "$NS_S" InSegs) - in_s))
}

@test "-w: IPv6 rows in 39-wide address columns" {
	ts_start -w
	assert_eq "header" "$(head -n 1 "$T/mon.out")" \
		"$(printf '%5s %6s %-39s %5s %2s %-39s %5s %5s %s' UID PID LADDR LPORT DR RADDR RPORT SIZE CMD)"
	ts_conv a 6 8131 ts_row_wide
	ts_stop
	assert_conv_rows a 6
}

@test "-v: STRTIME header and the wall-clock time of each row" {
	local t0 t1 t p
	t0=$(date +%s)
	ts_start -v
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "STRTIME              $TS_HEADER"
	ts_conv a 4 8132 ts_row "$STRIP_STRTIME"
	t1=$(date +%s)
	ts_stop
	assert_conv_rows a 4 "$STRIP_STRTIME"
	while IFS= read -r p; do
		[[ $p =~ ^[0-9]{4}\ [A-Z][a-z]{2}\ [\ 1-3][0-9]\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ $ ]] ||
			e2e_fail "bad STRTIME column: '$p'"
		t=$(strtime_epoch "$p")
		[ "$t" -ge "$t0" ] && [ "$t" -le "$t1" ] || e2e_fail "STRTIME '$p' not within the test ($t0..$t1)"
	done < <(ts_our_rows | cut -c 1-21)
}

@test "-s: TIME header and CLOCK_MONOTONIC microseconds" {
	local m0 m1 p
	m0=$(mono_us)
	ts_start -s
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "TIME           $TS_HEADER"
	ts_conv a 4 8133 ts_row "$STRIP_TIME"
	m1=$(mono_us)
	ts_stop
	assert_conv_rows a 4 "$STRIP_TIME"
	while IFS= read -r p; do
		[[ $p =~ ^[0-9]+\ +$ ]] || e2e_fail "bad TIME column: '$p'"
		p=${p%% *}
		[ "$p" -ge "$m0" ] && [ "$p" -le "$m1" ] || e2e_fail "TIME $p not within the test ($m0..$m1)"
	done < <(ts_our_rows | cut -c 1-15)
}

@test "-Z: ZONE is the network namespace inode of each socket" {
	ts_start -Z
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "ZONE $TS_HEADER"
	ts_conv a 4 8134 ts_row "$STRIP_ID"
	ts_stop
	assert_conv_rows a 4 "$STRIP_ID"
	assert_eq "zones of the client rows" \
		"$(awk -v a="$V4_C" '$4 == a { print $1 }' "$T/mon.out" | sort -u)" "$(netns_inode "$NS_C")"
	assert_eq "zones of the server rows" \
		"$(awk -v a="$V4_S" '$4 == a { print $1 }' "$T/mon.out" | sort -u)" "$(netns_inode "$NS_S")"
}

@test "-j: PROJ is the cgroup v2 id of the owning process" {
	cgroup_make "snoop-e2e-$$/srv"
	SRV_CGROUP=$CGROUP_PATH
	cgroup_make "snoop-e2e-$$/cli"
	CLI_CGROUP=$CGROUP_PATH
	ts_start -j
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "PROJ $TS_HEADER"
	ts_conv a 4 8135 ts_row "$STRIP_ID"
	ts_stop
	assert_conv_rows a 4 "$STRIP_ID"
	assert_eq "projects of the client rows" \
		"$(awk -v a="$V4_C" '$4 == a { print $1 }' "$T/mon.out" | sort -u)" "$(stat -c %i "$CLI_CGROUP")"
	assert_eq "projects of the server rows" \
		"$(awk -v a="$V4_S" '$4 == a { print $1 }' "$T/mon.out" | sort -u)" "$(stat -c %i "$SRV_CGROUP")"
}

@test "-a: TIME, STRTIME, ZONE and PROJ in the original's order" {
	local m0 m1 t0 t1
	m0=$(mono_us) t0=$(date +%s)
	ts_start -a
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "TIME           STRTIME              ZONE PROJ $TS_HEADER"
	ts_conv a 4 8136 ts_row "$STRIP_ALL"
	m1=$(mono_us) t1=$(date +%s)
	ts_stop
	assert_conv_rows a 4 "$STRIP_ALL"
	local row time strtime zone
	while IFS= read -r row; do
		time=${row:0:14} time=${time%% *}
		strtime=${row:15:20}
		read -r zone _ <<<"${row:36}"
		[ "$time" -ge "$m0" ] && [ "$time" -le "$m1" ] || e2e_fail "TIME $time not in $m0..$m1: $row"
		[ "$(strtime_epoch "$strtime")" -ge "$t0" ] && [ "$(strtime_epoch "$strtime")" -le "$t1" ] ||
			e2e_fail "STRTIME '$strtime' not in the test: $row"
		assert_eq "ZONE of: $row" "$zone" "$(netns_inode "$NS_S")"
	done < <(awk -v a="$V4_S" '$10 == a' "$T/mon.out")
}

@test "-n NAME: only that command's packets, and no <closed> lines" {
	ts_start -n snoop-srv
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "$TS_HEADER"
	conv a 4 8137
	closed_attempt
	ts_await_rows 10 "$V4_S" 8137 "$V4_C" "${CPORT[a]}"
	settle
	ts_stop
	want_conv_rows a 4
	assert_rows_one_of "$(ts_rows "$V4_S" 8137 "$V4_C" "${CPORT[a]}")" "$WANT_SRV" "$WANT_SRV2"
	assert_eq "rows of other processes" "$(grep -vc -e snoop-srv "$T/mon.out")" 1 # the header
}

@test "-p PID: only that process's packets, and no <closed> lines" {
	conv_hold a 4 8138
	ts_start -p "${SPID[a]}"
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "$TS_HEADER"
	conv_go a
	closed_attempt
	ts_await_rows 10 "$V4_S" 8138 "$V4_C" "${CPORT[a]}"
	settle
	ts_stop
	want_conv_rows a 4
	assert_rows_one_of "$(ts_rows "$V4_S" 8138 "$V4_C" "${CPORT[a]}")" "$WANT_SRV" "$WANT_SRV2"
	assert_eq "rows of other processes" "$(awk -v p="${SPID[a]}" 'NR > 1 && $2 != p' "$T/mon.out")" ""
}

@test "-n and -p together: a packet of either is shown, as in the original" {
	conv_hold a 4 8139
	ts_start -n snoop-cli -p "${SPID[a]}"
	conv_go a
	ts_await_rows 10 "$V4_C" "${CPORT[a]}" "$V4_S" 8139
	ts_await_rows 10 "$V4_S" 8139 "$V4_C" "${CPORT[a]}"
	settle
	ts_stop
	want_conv_rows a 4
	assert_conv_rows a 4
}

@test "fork after accept: packets after the child's first receive are credited to the child" {
	ts_start
	conv a 4 8140 --recv 100 --send 50 --fork-child --child-comm snoop-child
	await_quiet "$NS_S"
	await_quiet "$NS_C"
	local child s=${SPID[a]} sp=8140 cp=${CPORT[a]}
	child=$(awk '$1 == "CHILD" { print $2; exit }' "$T/srv-a.peer")
	[ -n "$child" ] || e2e_fail "the server did not fork"
	ts_await_rows 10 "$V4_S" "$sp" "$V4_C" "$cp"
	settle
	ts_stop
	local head tail last
	# The listener's process until the child receives: the handshake, the
	# client's 100 bytes and their ACK (sent as they arrive, in softirq).
	head=$(
		ts_row 0 "$s" "$V4_S" "$sp" '<-' "$V4_C" "$cp" "$SYN4" snoop-srv
		ts_row 0 "$s" "$V4_S" "$sp" '->' "$V4_C" "$cp" "$SYN4" snoop-srv
		ts_row 0 "$s" "$V4_S" "$sp" '<-' "$V4_C" "$cp" "$ACK4" snoop-srv
		ts_row 0 "$s" "$V4_S" "$sp" '<-' "$V4_C" "$cp" $((ACK4 + 100)) snoop-srv
		ts_row 0 "$s" "$V4_S" "$sp" '->' "$V4_C" "$cp" "$ACK4" snoop-srv
		ts_row 0 "$child" "$V4_S" "$sp" '->' "$V4_C" "$cp" $((ACK4 + 50)) snoop-child
		ts_row 0 "$child" "$V4_S" "$sp" '<-' "$V4_C" "$cp" "$ACK4" snoop-child
		ts_row 0 "$child" "$V4_S" "$sp" '<-' "$V4_C" "$cp" "$ACK4" snoop-child
	)
	tail=$(ts_row 0 "$child" "$V4_S" "$sp" '->' "$V4_C" "$cp" "$ACK4" snoop-child)
	last=$(ts_row 0 "$child" "$V4_S" "$sp" '<-' "$V4_C" "$cp" "$ACK4" snoop-child)
	assert_rows_one_of "$(ts_rows "$V4_S" "$sp" "$V4_C" "$cp")" \
		"$head"$'\n'"$tail"$'\n'"$last" "$head"$'\n'"$tail"$'\n'"$tail"$'\n'"$last"
}

@test "<closed>: a SYN to a port where nothing listens and its RST, UID 0 PID 0 (IPv4 and IPv6)" {
	ts_start
	closed_attempt
	closed_attempt 6
	local c=${CPID[closed]} c6=${CPID[closed6]} cp cp6
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " $V6_C " "<- $V6_S" || e2e_fail "no RST row for IPv6"
	settle
	ts_stop
	cp=$(awk -v a="$V4_C" '$3 == a { print $4; exit }' "$T/mon.out")
	cp6=$(awk -v a="$V6_C" '$3 == a { print $4; exit }' "$T/mon.out")
	assert_eq "rows" "$(ts_our_rows)" "$(
		ts_row 0 "$c" "$V4_C" "$cp" '->' "$V4_S" 8199 "$SYN4" snoop-cli
		ts_row 0 0 "$V4_S" 8199 '<-' "$V4_C" "$cp" "$SYN4" '<closed>'
		ts_row 0 0 "$V4_S" 8199 '->' "$V4_C" "$cp" "$RST4" '<closed>'
		ts_row 0 "$c" "$V4_C" "$cp" '<-' "$V4_S" 8199 "$RST4" snoop-cli
		ts_row 0 "$c6" "$V6_C" "$cp6" '->' "$V6_S" 8199 "$SYN6" snoop-cli
		ts_row 0 0 "$V6_S" 8199 '<-' "$V6_C" "$cp6" "$SYN6" '<closed>'
		ts_row 0 0 "$V6_S" 8199 '->' "$V6_C" "$cp6" "$RST6" '<closed>'
		ts_row 0 "$c6" "$V6_C" "$cp6" '<-' "$V6_S" 8199 "$RST6" snoop-cli
	)"
}

@test "a listener's RST for a stray ACK (hping3): one row each way, the listener's, as tcpdump shows them" {
	e2e_require_cmds hping3 tcpdump || return 1
	local sport=40124
	dump_start "$NS_S" vsrv || return 1
	ts_start
	srv_start a 4 8161 --timeout 30
	# A bare ACK no connection has: the listener's kernel answers with a RST.
	ip netns exec "$NS_C" hping3 -q -A -s "$sport" -k -p 8161 -c 1 "$V4_S" >"$T/hping.out" 2>&1 ||
		true
	ts_await_rows 2 "$V4_S" 8161 "$V4_C" "$sport" || return 1
	settle
	ts_stop
	kill -TERM "${SPID[a]}" 2>/dev/null || true
	dump_stop
	assert_rows_one_of "$(ts_rows "$V4_S" 8161 "$V4_C" "$sport")" "$(
		ts_row 0 "${SPID[a]}" "$V4_S" 8161 '<-' "$V4_C" "$sport" "$RST4" snoop-srv
		ts_row 0 "${SPID[a]}" "$V4_S" 8161 '->' "$V4_C" "$sport" "$RST4" snoop-srv
	)" || return 1
	assert_eq "rows against tcpdump" "$(ts_rows "$V4_S" 8161 "$V4_C" "$sport" | awk '{ print $5, $8 }')" \
		"$(dump_frames "$V4_S" 8161)"
}

@test "<closed> lines are not printed when a filter is set" {
	ts_start -n snoop-cli
	closed_attempt
	local c=${CPID[closed]} cp
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " $V4_C " "<- $V4_S" || e2e_fail "no RST row"
	settle
	ts_stop
	cp=$(awk -v a="$V4_C" '$3 == a { print $4; exit }' "$T/mon.out")
	assert_eq "rows" "$(ts_our_rows)" "$(
		ts_row 0 "$c" "$V4_C" "$cp" '->' "$V4_S" 8199 "$SYN4" snoop-cli
		ts_row 0 "$c" "$V4_C" "$cp" '<-' "$V4_S" 8199 "$RST4" snoop-cli
	)"
}

@test "a connection open before start is attributed to its owner (snapshot)" {
	srv_start a 4 8141 --recv 6 --send 0
	ln -s "$(command -v bash)" "$T/snoop-old"
	mkfifo "$T/go"
	# A client that connects now and sends once tcpsnoop runs.
	# shellcheck disable=SC2016 # expanded by that bash
	nsenter "--net=/run/netns/$NS_C" -- taskset -c "$CLIENT_CPU" "$T/snoop-old" -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		echo "PID $$"
		read -r _ <"$3"
		printf "hello\n" >&3
		exec 3>&-' snoop-old "$V4_S" 8141 "$T/go" >"$T/cli-old.peer" 2>&1 &
	E2E_PIDS+=("$!")
	wait_line "$T/cli-old.peer" "$LINE_TIMEOUT" "PID " || e2e_fail "old client did not start"
	wait_line "$T/srv-a.peer" "$LINE_TIMEOUT" "ACCEPTED " || e2e_fail "old client not accepted"
	local c cp s=${SPID[a]}
	c=$(awk '$1 == "PID" { print $2 }' "$T/cli-old.peer")
	cp=$(awk '$1 == "ACCEPTED" { print $3 }' "$T/srv-a.peer")
	ts_start
	echo go >"$T/go"
	srv_wait a
	ts_await_rows 2 "$V4_S" 8141 "$V4_C" "$cp"
	settle
	ts_stop
	# Data rows: 6 bytes each way of the wire, owners found at start-up.
	assert_eq "client data row" "$(ts_rows "$V4_C" "$cp" "$V4_S" 8141 | head -n 1)" \
		"$(ts_row 0 "$c" "$V4_C" "$cp" '->' "$V4_S" 8141 $((ACK4 + 6)) snoop-old)"
	assert_eq "server data row" "$(ts_rows "$V4_S" 8141 "$V4_C" "$cp" | head -n 1)" \
		"$(ts_row 0 "$s" "$V4_S" 8141 '<-' "$V4_C" "$cp" $((ACK4 + 6)) snoop-srv)"
	assert_eq "rows without an owner" "$(ts_our_rows | grep -c -e '<unknown>')" 0
}

@test "a time-wait socket's packets: the FIN it receives and its ACK, named after the connection's owner, frame by frame as tcpdump shows them (IPv4 and IPv6)" {
	e2e_require_cmds tcpdump python3 || return 1
	ender_setup
	# The client's frames as they cross its veth, from before tcpsnoop starts.
	dump_start "$NS_C" vcli || return 1
	ts_start
	local out_c in_c fam tag addr caddr port=8150 cp cpid ccomm s
	out_c=$(tcp_mib "$NS_C" OutSegs) in_c=$(tcp_mib "$NS_C" InSegs)
	for fam in 4 6; do
		tag=tw$fam addr=$V4_S caddr=$V4_C
		[ "$fam" = 6 ] && addr=$V6_S caddr=$V6_C
		# The client closes at once; the server 0.5 s after its FIN: the
		# client's socket is a time-wait socket (FIN_WAIT2) when the
		# server's FIN comes, which it receives and ACKs.
		ENDER_ADDR=$addr ender_srv "$tag" "$port" late
		ENDER_ADDR=$addr ender_cli "$tag" "$port" close
		[ "$(ender_result "srv-$tag")" = EOF ] || e2e_fail "server $tag: no EOF"
		wait_line "$T/srv-$tag.peer" "$LINE_TIMEOUT" DONE || e2e_fail "server $tag did not close"
		await_quiet "$NS_C" && await_quiet "$NS_S" || return 1
		[ -n "$(ip netns exec "$NS_C" ss -Htan state time-wait)" ] ||
			e2e_fail "the client's connection is not in TIME-WAIT"
		cp=$(awk '$1 == "CONNECTED" { print $3; exit }' "$T/cli-$tag.peer")
		ts_await_rows 7 "$caddr" "$cp" "$addr" "$port" || return 1
		eval "CP$fam=$cp"
		port=$((port + 1))
	done
	settle
	ts_stop
	dump_stop
	for fam in 4 6; do
		tag=tw$fam addr=$V4_S caddr=$V4_C s=0
		[ "$fam" = 6 ] && addr=$V6_S caddr=$V6_C s=20
		eval "cp=\$CP$fam"
		cpid=${CPID[$tag]} ccomm=${CCOMM[$tag]}
		port=$((8150 + (fam == 6)))
		# SYN, SYN-ACK, ACK, FIN; the server's ACK of it; then the
		# time-wait socket's: the server's FIN received, the last ACK sent.
		assert_rows_one_of "$(ts_rows "$caddr" "$cp" "$addr" "$port")" "$(
			ts_row 0 "$cpid" "$caddr" "$cp" '->' "$addr" "$port" $((SYN4 + s)) "$ccomm"
			ts_row 0 "$cpid" "$caddr" "$cp" '<-' "$addr" "$port" $((SYN4 + s)) "$ccomm"
			ts_row 0 "$cpid" "$caddr" "$cp" '->' "$addr" "$port" $((ACK4 + s)) "$ccomm"
			ts_row 0 "$cpid" "$caddr" "$cp" '->' "$addr" "$port" $((ACK4 + s)) "$ccomm"
			ts_row 0 "$cpid" "$caddr" "$cp" '<-' "$addr" "$port" $((ACK4 + s)) "$ccomm"
			ts_row 0 "$cpid" "$caddr" "$cp" '<-' "$addr" "$port" $((ACK4 + s)) "$ccomm"
			ts_row 0 "$cpid" "$caddr" "$cp" '->' "$addr" "$port" $((ACK4 + s)) "$ccomm"
		)" || return 1
		# Frame by frame, what tcpdump saw on the client's veth.
		assert_eq "IPv$fam rows against tcpdump" \
			"$(ts_rows "$caddr" "$cp" "$addr" "$port" | awk '{ print $5, $8 }')" \
			"$(dump_frames "$caddr" "$cp")" || return 1
	done
	# Every segment the client's TCP sent and received has its row, no more.
	assert_eq "client rows sent" $(($(rows_dir "$V4_C" '->') + $(rows_dir "$V6_C" '->'))) \
		$(($(tcp_mib "$NS_C" OutSegs) - out_c)) &&
		assert_eq "client rows received" $(($(rows_dir "$V4_C" '<-') + $(rows_dir "$V6_C" '<-'))) \
			$(($(tcp_mib "$NS_C" InSegs) - in_c))
}

@test "a time-wait socket's RST: the data it refused, then its RST, named after the connection's owner" {
	ender_setup
	ts_start
	local cp
	# The client closes at once; 0.5 s later the server sends 10 bytes to
	# what is by then the client's time-wait socket (FIN_WAIT2): a RST.
	ender_srv rst 8152 answer
	ender_cli rst 8152 close
	wait_line "$T/srv-rst.peer" "$LINE_TIMEOUT" DONE || e2e_fail "the server did not finish"
	cp=$(awk '$1 == "CONNECTED" { print $3; exit }' "$T/cli-rst.peer")
	ts_await_rows 7 "$V4_C" "$cp" "$V4_S" 8152 || return 1
	settle
	ts_stop
	local c=${CPID[rst]} n=${CCOMM[rst]}
	assert_rows_one_of "$(ts_rows "$V4_C" "$cp" "$V4_S" 8152)" "$(
		ts_row 0 "$c" "$V4_C" "$cp" '->' "$V4_S" 8152 "$SYN4" "$n"
		ts_row 0 "$c" "$V4_C" "$cp" '<-' "$V4_S" 8152 "$SYN4" "$n"
		ts_row 0 "$c" "$V4_C" "$cp" '->' "$V4_S" 8152 "$ACK4" "$n"
		ts_row 0 "$c" "$V4_C" "$cp" '->' "$V4_S" 8152 "$ACK4" "$n"
		ts_row 0 "$c" "$V4_C" "$cp" '<-' "$V4_S" 8152 "$ACK4" "$n"
		ts_row 0 "$c" "$V4_C" "$cp" '<-' "$V4_S" 8152 $((ACK4 + 10)) "$n"
		ts_row 0 "$c" "$V4_C" "$cp" '->' "$V4_S" 8152 "$RST4" "$n"
	)"
}

@test "ssh sessions (sshd and ssh): every frame of each connection as tcpdump shows it, the client's rows the ssh client's, the server's sshd's" {
	e2e_require_cmds /usr/sbin/sshd ssh ssh-keygen ethtool tcpdump || return 1
	local ns
	# Without TSO and GSO, TCP hands the device one segment per packet: one
	# frame in tcpdump, one row in tcpsnoop (which splits the others alike).
	for ns in "$NS_C:vcli" "$NS_S:vsrv"; do
		ip netns exec "${ns%:*}" ethtool -K "${ns#*:}" tso off gso off >/dev/null || return 1
	done
	ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$T/id" &&
		cp "$T/id.pub" "$T/authorized_keys" || return 1
	# sshd's privilege separation directory, which its package's unit makes.
	mkdir -p /run/sshd
	bg_start "$T/sshd.log" nsenter "--net=/run/netns/$NS_S" -- /usr/sbin/sshd -D -e -f /dev/null \
		-o "ListenAddress=$V4_S:2222" -o "HostKey=$T/host_key" \
		-o "AuthorizedKeysFile=$T/authorized_keys" -o StrictModes=no -o PidFile=none
	wait_line "$T/sshd.log" "$LINE_TIMEOUT" "Server listening" || e2e_fail "sshd did not start"
	dump_start "$NS_C" vcli || return 1
	ts_start
	local i pids=()
	# Sessions of one command each; the client ends each connection.
	for i in 1 2 3; do
		bg_start "$T/ssh$i.out" nsenter "--net=/run/netns/$NS_C" -- ssh -F /dev/null -i "$T/id" \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
			-p 2222 "root@$V4_S" echo "session $i"
		pids+=("$BG_PID")
		wait "$BG_PID" || e2e_fail "ssh session $i failed: $(cat "$T/ssh$i.out")"
		assert_eq "session $i's output" "$(cat "$T/ssh$i.out")" "session $i" || return 1
	done
	await_quiet "$NS_C" && await_quiet "$NS_S" || return 1
	settle 1
	ts_stop
	dump_stop
	local ports port rows owners
	ports=$(awk -v s="$V4_S" '$6 == s && $7 == 2222 { print $4 }' "$T/mon.out" | sort -u)
	assert_eq "connections" "$(wc -l <<<"$ports")" 3 || return 1
	for port in $ports; do
		rows=$(ts_rows "$V4_C" "$port" "$V4_S" 2222)
		assert_eq "port $port's frames against tcpdump" "$(awk '{ print $5, $8 }' <<<"$rows")" \
			"$(dump_frames "$V4_C" "$port")" || return 1
		# Every row of the client's end is one ssh's, every one of the server's end sshd's.
		owners=$(awk '{ print $2, $9 }' <<<"$rows" | sort -u)
		[[ " ${pids[*]} " == *" ${owners% ssh} "* && $owners == *" ssh" && $owners != *$'\n'* ]] ||
			e2e_fail "port $port: client rows of $owners, not of one of the ssh clients (${pids[*]})"
		assert_eq "port $port: server rows' command" \
			"$(ts_rows "$V4_S" 2222 "$V4_C" "$port" | awk '{ print $9 }' | sort -u)" sshd || return 1
	done
}

@test "a kernel without tcp_send_reset and without kfree_skb's socket: both said at start, the rest shown" {
	e2e_require_cmds unshare mount python3 || return 1
	missing_btf tcp_send_reset kfree_skb || return 1
	face_start "${MISSING_BTF_RUN[@]}" "$TCPSNOOP"
	ts_conv a 4 8160
	ts_stop
	assert_conv_rows a 4
	assert_eq "warning" "$(cat "$T/mon.err")" "tcpsnoop: this kernel lacks the tracepoint \
tcp/tcp_send_reset: packets answering closed ports (<closed>) are not shown; this kernel's \
skb/kfree_skb does not name the socket (Linux 6.11 does): the segments time-wait sockets \
receive are not shown, the ACKs they send are shown as <unknown>"
}

@test "-6 shows IPv6 packets only, -4 IPv4 only" {
	ts_start -6
	conv a 4 8142
	conv b 6 8143
	ts_await_rows 10 "$V6_C" "${CPORT[b]}" "$V6_S" 8143
	settle
	ts_stop
	assert_eq "IPv4 rows with -6" "$(grep -c -F -e " $V4_S " "$T/mon.out")" 0
	ts_start -4
	conv e4 4 8144
	conv e6 6 8145
	ts_await_rows 10 "$V4_C" "${CPORT[e4]}" "$V4_S" 8144
	settle
	ts_stop
	assert_eq "IPv6 rows with -4" "$(grep -c -F -e " $V6_S " "$T/mon.out")" 0
}

@test "-h prints the usage on stderr and exits 0" {
	snoop_run "$TCPSNOOP" -h
	assert_eq "exit status" "$RUN_STATUS" 0
	assert_eq "stdout" "$(cat "$T/run.out")" ""
	assert_eq "first line" "$(head -n 1 "$T/run.err")" "USAGE: tcpsnoop [-a|hjsvZ] [-n name] [-p pid] [-46w]"
}

@test "usage errors exit 64 with the usage on stderr, naming the option" {
	local args
	for args in "-x" "-p abc" "-p 0" "-n 0123456789abcdef" "-4 -6" "-n" "extra"; do
		# shellcheck disable=SC2086 # one string, several arguments
		snoop_run "$TCPSNOOP" $args
		assert_eq "exit status of tcpsnoop $args" "$RUN_STATUS" 64
		assert_eq "stdout of tcpsnoop $args" "$(cat "$T/run.out")" ""
		grep -q '^USAGE: tcpsnoop ' "$T/run.err" || e2e_fail "no usage for '$args': $(cat "$T/run.err")"
		head -n 1 "$T/run.err" | grep -q -F -e "${args%% *}" ||
			e2e_fail "the message does not name '${args%% *}': $(cat "$T/run.err")"
	done
}
