#!/usr/bin/env bats
# The sanitized build (make test-sanitize) through the paths that handle
# outside data at volume: a 2,000-connection storm with hostile command
# names, SIGHUP in the middle, log and JSON output, and the tcpsnoop and
# tcptop faces.  Every test asserts the events it caused, not just "no
# crash"; tests/sanitize.sh fails the run on any ASan or UBSan report.
# Only runs when SNOOP is a sanitized build (SANITIZED=1, set by sanitize.sh).

# shellcheck source-path=SCRIPTDIR source=../lib.bash
source "$BATS_TEST_DIRNAME/../lib.bash"
# shellcheck source-path=SCRIPTDIR source=../tcpsnoop.bash
source "$BATS_TEST_DIRNAME/../tcpsnoop.bash"

# Command names a process can give itself: a newline that would forge a log
# line, ESC and a CSI sequence, a C1 control, bidirectional overrides, and
# the 15-byte limit with multi-byte UTF-8 cut in the middle.
NAME_NL=$'evil\nSRC=1'
NAME_ESC=$'e\x1b[31m\x07'
NAME_C1=$'c\xc2\x9b31m'
NAME_BIDI=$'x\xe2\x80\xaey\xe2\x81\xa9'
NAME_LONG=$'\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9'

setup() {
	[ "${SANITIZED:-}" = 1 ] || e2e_cannot_run "runs under tests/sanitize.sh (make test-sanitize): SANITIZED=1 is not set"
	ts_setup || return 1
	local n
	for n in "$NAME_NL" "$NAME_ESC" "$NAME_C1" "$NAME_BIDI" "$NAME_LONG"; do
		ln -s peer "$T/$n"
	done
}

teardown() {
	e2e_teardown
}

# The log-line form of a command name as the kernel keeps it (15 bytes):
# bytes outside printable ASCII, space, '\' and '=' as \xNN.
log_comm() {
	local o out=""
	for o in $(printf '%s' "$1" | LC_ALL=C head -c 15 | od -An -v -tu1); do
		if [ "$o" -gt 32 ] && [ "$o" -lt 127 ] && [ "$o" -ne 61 ] && [ "$o" -ne 92 ]; then
			# shellcheck disable=SC2059 # an octal escape built for printf
			out+=$(printf "\\$(printf '%03o' "$o")")
		else
			out+=$(printf '\\x%02x' "$o")
		fi
	done
	printf '%s' "$out"
}

@test "sanitized: 2,000-connection storm with hostile names, SIGHUP mid-run: every event line accounted for" {
	local n=2000 made received lost printed
	snoop_start "${ISOLATE[@]}" --no-report --events=state "--log-file=$T/a.log"
	# Hostile names, one whole conversation each, before the storm.
	CLI_COMM=$NAME_NL conv nl 4 8951
	CLI_COMM=$NAME_ESC conv esc 6 8952
	CLI_COMM=$NAME_LONG conv long 4 8953
	await_closed long
	wait_line "$T/a.log" "$LINE_TIMEOUT" " SRC=${S_EP[long]} DST=${C_EP[long]} " "STATE=${STATE_DESC[CLOSE]}" ||
		e2e_fail "conversation before SIGHUP not in the log file"
	rotate_log "$T/a.log" "$T/a.log.1"
	srv_start s 4 8954 --accept "$n" --timeout 90
	PEER_WAIT=80 cli_run s s --repeat "$n" --timeout 90
	PEER_WAIT=10 srv_wait s
	assert_contains "$T/cli-s.peer" "CONNECTIONS $n"
	# Stop only once the kernel closed every socket of the storm (a server
	# socket waits in LAST_ACK for the client's last ACK, retransmitting its
	# FIN when that was dropped): every transition is made by then.
	for ((i = 0; i < 300; i++)); do
		[ -z "$(ip netns exec "$NS_S" ss -tanH state all '( sport = :8954 )')" ] && break
		sleep 0.1
	done
	settle 1
	snoop_stop

	assert_eq "exit status" "$SNOOP_STATUS" 0
	CLI_COMM=$(log_comm "$NAME_NL") assert_conv nl
	CLI_COMM=$(log_comm "$NAME_ESC") assert_conv esc
	CLI_COMM=$(log_comm "$NAME_LONG") assert_conv long
	assert_eq "escaped 15-byte name" "$(log_comm "$NAME_LONG")" '\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3'
	# No line forged, no raw control byte or non-ASCII byte on the console.
	if LC_ALL=C grep -naP '[^\x20-\x7e]' "$T/mon.out" >"$T/raw"; then
		e2e_fail "raw bytes in the output:" "$(cat -v "$T/raw" | head -n 5)"
	fi
	assert_eq "lines starting with SRC=1 (forged)" "$(grep -c '^SRC=1' "$T/mon.out")" 0
	# Exact accounting: 3 conversations (10 + 2 each) and the storm (10 n + 2).
	[[ $(tail -n 1 "$T/mon.err") =~ ^Summary:\ RECEIVED=([0-9]+)\ LOST=([0-9]+)( [A-Z_]+=[0-9]+)*$ ]] ||
		e2e_fail "last stderr line is not the summary: $(tail -n 1 "$T/mon.err")"
	received=${BASH_REMATCH[1]}
	lost=${BASH_REMATCH[2]}
	made=$((3 * 12 + 10 * n + 2))
	printed=$(grep -cE "^$TS_RE State Change: " "$T/mon.out") || true
	# Shown only on failure: what arrived, per port and state entered.
	sed -n 's/^.* SRC=[^ ]*:\([0-9]*\) DST=[^ ]*:\([0-9]*\) .* STATE=/\1 \2 /p' "$T/mon.out" |
		awk '{ $1 = ($1 >= 8951 && $1 <= 8954) ? $1 : "c"; $2 = ($2 >= 8951 && $2 <= 8954) ? $2 : "c"; print }' |
		sort | uniq -c >&2
	assert_eq "state lines vs RECEIVED" "$printed" "$received"
	assert_accounted "$made" "$received" "$lost"
	# The storm's client connections, which close first: one TIME_WAIT line
	# each unless lost.
	local closes
	closes=$(grep -cE " PID=${CPID[s]} COMM=snoop-cli STATE=Connection Closed \(TIME_WAIT\)$" "$T/mon.out") || true
	[ "$closes" -ge $((n - lost)) ] || e2e_fail "$closes storm client TIME_WAIT lines, lost $lost"
	# SIGHUP: the two files hold exactly the console's lines, split at the reopen.
	[ -e "$T/a.log" ] || e2e_fail "no new log file after SIGHUP"
	grep -qF -e "${S_EP[long]}" "$T/a.log.1" || e2e_fail "conversation before SIGHUP not in the old file"
	assert_eq "storm lines in the old file" "$(grep -cF -e ":8954 " "$T/a.log.1")" 0
	if ! diff <(cat "$T/a.log.1" "$T/a.log") "$T/mon.out" >"$T/diff"; then
		e2e_fail "the log files differ from the console:" "$(head -n 20 "$T/diff")"
	fi
	echo "# made=$made received=$received lost=$lost" >&3
}

@test "sanitized: JSON with hostile names: valid objects, names escaped, never raw" {
	local tag name raw total n
	snoop_start "${ISOLATE[@]}" --json --no-report --no-log-file
	CLI_COMM=$NAME_NL conv nl 4 8961
	CLI_COMM=$NAME_ESC conv esc 4 8962
	CLI_COMM=$NAME_C1 conv c1 6 8963
	CLI_COMM=$NAME_BIDI conv bidi 4 8964
	json_wait '.event.action == "close" and .network.direction == "egress" and .destination.port == 8964'
	settle
	snoop_stop # checks every line: one object, valid UTF-8, no raw control byte

	for tag in nl esc c1 bidi; do
		case $tag in
		nl) name=$NAME_NL raw='"name":"evil\\(n|u000a)SRC=1"' ;;
		esc) name=$NAME_ESC raw='"name":"e\\u001b\[31m\\u0007"' ;;
		c1) name=$NAME_C1 raw='"name":"c\\u009b31m"' ;;
		bidi) name=$NAME_BIDI raw='"name":"x\\u202ey\\u2069"' ;;
		esac
		total=$(json_select ".process.pid == ${CPID[$tag]}" | grep -c .) || true
		[ "$total" -ge 6 ] || e2e_fail "client $tag: $total objects"
		n=$(grep -F -e "\"pid\":${CPID[$tag]}," "$T/mon.out" | grep -cE -e "$raw") || true
		assert_eq "client $tag objects with the name written as /$raw/" "$n" "$total"
		# jq reads the escapes back into the very name, in every object.
		n=$(jq -c --arg name "$name" "select(.process.pid == ${CPID[$tag]} and .process.name == \$name)" \
			"$T/mon.out" | grep -c .) || true
		assert_eq "client $tag objects whose name decodes to the very name" "$n" "$total"
	done
}

@test "sanitized: tcpsnoop rows of a known exchange, hostile name escaped; tcptop totals" {
	ts_start -a -w
	CLI_COMM=$NAME_ESC conv a 4 8971
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " ${CPORT[a]} " || true
	settle
	ts_stop
	local rows
	# Every segment of the conversation: client rows named by the escaped name.
	rows=$(grep -F -e " ${CPORT[a]} " "$T/mon.out" | grep -cF -e " $(log_comm "$NAME_ESC")") || true
	[ "$rows" -ge 6 ] || e2e_fail "only $rows tcpsnoop rows of the client named $(log_comm "$NAME_ESC")"
	rows=$(grep -F -e " ${CPORT[a]} " "$T/mon.out" | grep -cE -e " snoop-srv$") || true
	[ "$rows" -ge 6 ] || e2e_fail "only $rows tcpsnoop rows of the server"
	if LC_ALL=C grep -naP '[^\x20-\x7e]' "$T/mon.out" >"$T/raw"; then
		e2e_fail "raw bytes in tcpsnoop output:" "$(cat -v "$T/raw" | head -n 5)"
	fi

	face_start "$TCPTOP" -C 1 3
	CLI_COMM=$NAME_BIDI conv b 4 8972
	wait_exit "$SNOOP_PID" 10 || e2e_fail "tcptop did not end after 3 reports"
	SNOOP_PID=
	assert_eq "tcptop exit status" "$WAIT_STATUS" 0
	assert_eq "tcptop reports" "$(grep -c 'load: ' "$T/mon.out")" 3
	grep -qF -e "$(log_comm "$NAME_BIDI")" "$T/mon.out" ||
		e2e_fail "no tcptop row of the client named $(log_comm "$NAME_BIDI")"
	if LC_ALL=C grep -naP '[^\x20-\x7e]' "$T/mon.out" >"$T/raw"; then
		e2e_fail "raw bytes in tcptop output:" "$(cat -v "$T/raw" | head -n 5)"
	fi
}
