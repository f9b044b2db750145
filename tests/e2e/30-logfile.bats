#!/usr/bin/env bats
# The log file: which path, what is written, its mode, reopening on SIGHUP.
# Each @test runs in its own process: exporting SOCKET_SNOOP_LOG there is meant.
# shellcheck disable=SC2030,SC2031

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	unset SOCKET_SNOOP_LOG
}

teardown() {
	e2e_teardown
}

@test "--log-file appends exactly the console's event lines and wins over \$SOCKET_SNOOP_LOG" {
	printf 'a line written before\n' >"$T/a.log"
	export SOCKET_SNOOP_LOG=$T/env.log
	snoop_start "${ISOLATE[@]}" --no-report "--log-file=$T/a.log"
	conv a 4 8200
	await_closed a
	snoop_stop

	assert_eq "banner" "$(head -n 1 "$T/mon.err")" "Monitoring socket connections. Logs will be written to $T/a.log"
	assert_conv a client server listener
	assert_eq "first line kept" "$(head -n 1 "$T/a.log")" "a line written before"
	if ! diff <(tail -n +2 "$T/a.log") "$T/mon.out" >"$T/diff"; then
		e2e_fail "log file lines differ from the console's:" "$(cat "$T/diff")"
	fi
	[ ! -e "$T/env.log" ] || e2e_fail "\$SOCKET_SNOOP_LOG was created although --log-file was given"
}

@test "\$SOCKET_SNOOP_LOG is the default log file, created with mode 0640" {
	export SOCKET_SNOOP_LOG=$T/env.log
	umask 000
	snoop_start "${ISOLATE[@]}" --no-report
	conv a 4 8201
	await_closed a
	snoop_stop

	assert_eq "banner" "$(head -n 1 "$T/mon.err")" "Monitoring socket connections. Logs will be written to $T/env.log"
	assert_eq "mode of the new log file" "$(stat -c %a "$T/env.log")" 640
	assert_conv a client
	if ! diff "$T/env.log" "$T/mon.out" >"$T/diff"; then
		e2e_fail "log file lines differ from the console's:" "$(cat "$T/diff")"
	fi
}

@test "without --log-file nor \$SOCKET_SNOOP_LOG the log is /var/log/socket_monitor.log" {
	# A private mount namespace with a scratch directory over /var/log.
	mkdir "$T/varlog"
	# shellcheck disable=SC2016 # expanded by that sh
	snoop_run unshare -m -- sh -c 'mount --bind "$1" /var/log && shift && exec "$@"' \
		sh "$T/varlog" "$SNOOP" "${ISOLATE[@]}" --duration=1 --no-report
	assert_eq "exit status" "$RUN_STATUS" 0
	assert_eq "banner" "$(head -n 1 "$T/run.err")" \
		"Monitoring socket connections. Logs will be written to /var/log/socket_monitor.log"
	[ -f "$T/varlog/socket_monitor.log" ] || e2e_fail "/var/log/socket_monitor.log not created"
	assert_eq "mode" "$(stat -c %a "$T/varlog/socket_monitor.log")" 640
}

@test "when /var/log/socket_monitor.log cannot be created it falls back to ./socket_monitor.log with a warning" {
	mkdir "$T/varlog" "$T/cwd"
	cd "$T/cwd"
	# shellcheck disable=SC2016 # expanded by that sh
	snoop_run unshare -m -- sh -c \
		'mount --bind "$1" /var/log && mount -o remount,bind,ro /var/log && shift && exec "$@"' \
		sh "$T/varlog" "$SNOOP" "${ISOLATE[@]}" --duration=1 --no-report
	assert_eq "exit status" "$RUN_STATUS" 0
	[ -f "$T/cwd/socket_monitor.log" ] || e2e_fail "./socket_monitor.log not created"
	grep -qxE "Monitoring socket connections\\. Logs will be written to (\\./|$(re_quote "$T/cwd/"))socket_monitor\\.log" "$T/run.err" ||
		e2e_fail "banner does not name the fallback file"
	grep -v '^Monitoring socket connections' "$T/run.err" | grep -qF /var/log/socket_monitor.log ||
		e2e_fail "no warning naming /var/log/socket_monitor.log"
}

@test "--no-log-file: banner says so and no file is written" {
	export SOCKET_SNOOP_LOG=$T/env.log
	snoop_start "${ISOLATE[@]}" --no-report --no-log-file
	conv a 4 8202
	await_closed a
	snoop_stop

	assert_eq "banner" "$(head -n 1 "$T/mon.err")" "Monitoring socket connections. No log file."
	assert_conv a client
	[ ! -e "$T/env.log" ] || e2e_fail "a log file was written"
}

@test "SIGHUP reopens the log file: after a rename, new lines go to a new file" {
	snoop_start "${ISOLATE[@]}" --no-report "--log-file=$T/a.log"
	conv a 4 8203
	await_closed a
	wait_line "$T/a.log" "$LINE_TIMEOUT" " SRC=${S_EP[a]} DST=${C_EP[a]} " "STATE=${STATE_DESC[CLOSE]}" ||
		e2e_fail "first connection not in the log file"
	rotate_log "$T/a.log" "$T/a.log.1"
	conv b 4 8204
	await_closed b
	wait_line "$T/a.log" "$LINE_TIMEOUT" " SRC=${S_EP[b]} DST=${C_EP[b]} " "STATE=${STATE_DESC[CLOSE]}" || true
	snoop_stop

	assert_eq "still running until SIGINT, exit status" "$SNOOP_STATUS" 0
	assert_eq "mode of the reopened file" "$(stat -c %a "$T/a.log")" 640
	assert_conv a client server listener
	assert_conv b client server listener
	# Old lines stay in the renamed file, new lines only in the new one.
	local a_lines b_lines
	a_lines=$(grep -F -e "${S_EP[a]}" "$T/mon.out") || true
	b_lines=$(grep -F -e "${S_EP[b]}" "$T/mon.out") || true
	assert_eq "renamed file has conversation a" "$(grep -F -e "${S_EP[a]}" "$T/a.log.1")" "$a_lines"
	assert_eq "renamed file has nothing of b" "$(grep -cF -e "${S_EP[b]}" "$T/a.log.1")" 0
	assert_eq "new file has conversation b" "$(grep -F -e "${S_EP[b]}" "$T/a.log")" "$b_lines"
	assert_eq "new file has nothing of a" "$(grep -cF -e "${S_EP[a]}" "$T/a.log")" 0
	# Together they hold exactly the console's lines.
	if ! diff <(cat "$T/a.log.1" "$T/a.log") "$T/mon.out" >"$T/diff"; then
		e2e_fail "the two files differ from the console:" "$(cat "$T/diff")"
	fi
}

# ---------------------------------------------------------------- --log-max-size

# The rotated set of LOG: LOG.1 ... LOG.N exist and LOG.(N+1) does not; each
# file holds at most MAX bytes of whole lines (ends with a newline); a file
# was rotated only when full (the first line of the next would not fit).
# assert_rotated LOG N MAX
assert_rotated() {
	local log=$1 n=$2 max=$3 i f size first prev=
	[ -f "$log" ] || { e2e_fail "$log missing"; return 1; }
	for ((i = 1; i <= n; i++)); do
		[ -f "$log.$i" ] || { e2e_fail "$log.$i missing (want $n rotated files):" "$(ls -l "$T")"; return 1; }
	done
	[ ! -e "$log.$((n + 1))" ] || { e2e_fail "$log.$((n + 1)) exists: more than $n rotated files"; return 1; }
	for ((i = n; i >= 0; i--)); do
		f=$log
		[ "$i" -eq 0 ] || f=$log.$i
		size=$(stat -c %s "$f")
		[ "$size" -le "$max" ] || { e2e_fail "$f holds $size bytes, more than $max"; return 1; }
		if [ "$size" -gt 0 ]; then
			# $(...) drops one trailing newline: empty when the file ends with one.
			[ -z "$(tail -c 1 "$f")" ] || { e2e_fail "$f does not end with a newline"; return 1; }
			first=$(head -n 1 "$f" | wc -c)
			if [ -n "$prev" ] && [ $((prev + first)) -le "$max" ]; then
				e2e_fail "the file before $f was rotated at $prev bytes, yet $f's first line ($first bytes) fitted under $max"
				return 1
			fi
		elif [ "$i" -gt 0 ]; then
			e2e_fail "$f is empty"
			return 1
		fi
		prev=$size
	done
}

# The number of rotated files of LOG (LOG.1, LOG.2, ... up to the first missing).
rotated_count() {
	local i=0
	while [ -e "$1.$((i + 1))" ]; do
		i=$((i + 1))
	done
	echo "$i"
}

# A storm of N connections to port PORT (each 10 transitions), run to its end.
storm() {
	local n=$1 port=$2
	srv_start s 4 "$port" --accept "$n" --timeout 60 || return 1
	PEER_WAIT=50 cli_run s s --repeat "$n" --timeout 60 || return 1
	PEER_WAIT=10 srv_wait s || return 1
	assert_contains "$T/cli-s.peer" "CONNECTIONS $n"
}

# RECEIVED= of the summary, the last line of FILE (text or JSON).
summary_received() {
	local last
	last=$(tail -n 1 "$1")
	[[ $last == '{'* ]] && last=$(jq -r .message <<<"$last")
	[[ $last =~ ^Summary:\ RECEIVED=([0-9]+)\ LOST=([0-9]+) ]] ||
		{ e2e_fail "last line of $1 is not the summary: '$last'"; return 1; }
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

@test "--log-max-size=64K --log-max-files=3 under a storm (JSON): 3 rotated files of whole lines under 64K, the newest lines in order, none split, doubled or missing" {
	local log=$T/j.log received lost kept first last total
	snoop_start "${ISOLATE[@]}" -j --no-report --events=state "--log-file=$log" \
		--log-max-size=64K --log-max-files=3
	storm 1000 8205
	settle 0.5
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	read -r received lost < <(summary_received "$T/mon.err")
	[ -n "$received" ] || e2e_fail "no summary"
	echo "# received=$received lost=$lost console=$(wc -c <"$T/mon.out") bytes" >&3
	# Far more than 4 files' worth was written: some was rotated away.
	[ "$(wc -c <"$T/mon.out")" -gt $((4 * 65536)) ] || e2e_fail "only $(wc -c <"$T/mon.out") bytes written"
	assert_rotated "$log" 3 65536
	cat "$log.3" "$log.2" "$log.1" "$log" >"$T/kept"
	json_check_file "$T/kept" || e2e_fail "the kept files are not JSON Lines"
	# Exactly the last lines of the console (which had them all), in order.
	kept=$(grep -c . "$T/kept")
	if ! diff <(tail -n "$kept" "$T/mon.out") "$T/kept" >"$T/diff"; then
		e2e_fail "the kept files are not the last $kept lines of the console:" "$(head -n 20 "$T/diff")"
	fi
	# Their sequence numbers run without a gap up to the run's last.
	jq -s -e '[.[].event.sequence] as $s | $s == [range($s[0]; $s[0] + ($s | length))]' "$T/kept" >/dev/null ||
		e2e_fail "event.sequence of the kept lines is not consecutive"
	first=$(head -n 1 "$T/kept" | jq .event.sequence)
	last=$(tail -n 1 "$T/kept" | jq .event.sequence)
	total=$(grep -c . "$T/mon.out")
	assert_eq "last sequence kept vs objects written" "$last" "$total"
	[ "$first" -gt 1 ] || e2e_fail "nothing was rotated away (first sequence kept $first)"
	assert_eq "state_change objects vs RECEIVED" "$(grep -c '"action":"state_change"' "$T/mon.out")" "$received"
}

@test "a storm's JSON log is handed to the disk as it grows: only its last part stays in the page cache, every line whole" {
	local log=$T/cache.log size res received lost
	# A tmpfs keeps its files in the page cache: nothing there can be dropped.
	[[ $(stat -f -c %T "$T") != tmpfs ]] || e2e_cannot_run "$T is on a tmpfs"
	snoop_start "${ISOLATE[@]}" -j --quiet --no-report "--log-file=$log"
	storm 6000 8207
	settle 0.5
	# While it runs, before anything reads the file (snoop_stop checks it: a
	# read brings its pages back).
	size=$(stat -c %s "$log")
	res=$(fincore -b -n -o RES "$log")
	echo "# $size bytes written, $res of them in the page cache" >&3
	[ "$size" -gt $((56 << 20)) ] || e2e_fail "only $size bytes written: too few to tell"
	# 16 MiB kept behind the end, a 4 MiB step, what the disk had not finished.
	[ "$res" -le $((28 << 20)) ] || e2e_fail "$res bytes of the $size-byte log file are in the page cache"
	# The thread doing it holds no capability (they are a thread's own), nor does the rest.
	local task threads=0
	for task in /proc/"$SNOOP_PID"/task/*; do
		threads=$((threads + 1))
		awk '/^Cap(Inh|Prm|Eff|Amb):/ && $2 != "0000000000000000" { held = 1 } END { exit held }' \
			"$task/status" || e2e_fail "thread ${task##*/} holds capabilities:" "$(grep ^Cap "$task/status")"
	done
	[ "$threads" -ge 2 ] || e2e_fail "one thread: nothing hands the log file to the disk"
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	read -r received lost < <(summary_received "$T/mon.err")
	json_check_file "$log" || e2e_fail "the log file is not JSON Lines"
	assert_eq "objects in the log file vs RECEIVED" "$(grep -c '"kind":"event"' "$log")" "$received"
}

@test "--log-max-size=4K, 1000 files kept: every line of a storm is in LOG.N ... LOG.1, LOG, whole and in order, as many as RECEIVED" {
	local log=$T/t.log n i received lost
	snoop_start "${ISOLATE[@]}" --no-report --events=state "--log-file=$log" \
		--log-max-size=4K --log-max-files=1000
	storm 200 8206
	settle 0.5
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	read -r received lost < <(summary_received "$T/mon.err")
	n=$(rotated_count "$log")
	echo "# received=$received lost=$lost in $((n + 1)) files" >&3
	[ "$n" -ge 20 ] || e2e_fail "only $n rotated files for $(wc -c <"$T/mon.out") bytes"
	assert_rotated "$log" "$n" 4096
	: >"$T/all"
	for ((i = n; i >= 1; i--)); do
		cat "$log.$i" >>"$T/all"
	done
	cat "$log" >>"$T/all"
	if ! diff "$T/all" "$T/mon.out" >"$T/diff"; then
		e2e_fail "the files together differ from the console:" "$(head -n 20 "$T/diff")"
	fi
	assert_eq "State Change lines in the files vs RECEIVED" "$(grep -cE "^$TS_RE State Change: " "$T/all")" "$received"
	assert_eq "mode of the newest file" "$(stat -c %a "$log")" 640
}

@test "a rotation that cannot be made (LOG.1 is a directory): a warning naming the log file, and every line still goes to the log file" {
	local log=$T/a.log n
	mkdir -p "$log.1/keep"
	snoop_start "${ISOLATE[@]}" --no-report --events=state "--log-file=$log" \
		--log-max-size=4K --log-max-files=1
	storm 100 8207
	wait_line "$T/mon.err" "$LINE_TIMEOUT" "cannot rotate the log file $log" ||
		e2e_fail "no warning on stderr:" "$(cat "$T/mon.err")"
	settle 1
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	[ -d "$log.1/keep" ] || e2e_fail "the directory in the way was touched"
	[ "$(stat -c %s "$log")" -gt 4096 ] || e2e_fail "the log file did not outgrow the limit"
	if ! diff "$log" "$T/mon.out" >"$T/diff"; then
		e2e_fail "the log file differs from the console:" "$(head -n 20 "$T/diff")"
	fi
	grep -qE "^socket-snoop: cannot rotate the log file $(re_quote "$log"): .*\(still writing to it\)\$" "$T/mon.err" ||
		e2e_fail "warning:" "$(grep -F 'cannot rotate' "$T/mon.err")"
	n=$(grep -cF 'cannot rotate the log file' "$T/mon.err")
	echo "# $n rotation warnings" >&3
}

@test "--log-max-size and SIGHUP: after logrotate moves the file, the new file is counted from 0" {
	local log=$T/h.log
	snoop_start "${ISOLATE[@]}" --no-report --events=state "--log-file=$log" \
		--log-max-size=4K --log-max-files=2
	conv a 4 8208
	await_closed a
	wait_line "$log" "$LINE_TIMEOUT" " SRC=${S_EP[a]} DST=${C_EP[a]} " || e2e_fail "conversation a not in the log"
	# An outside rotation, then our own ones.
	rotate_log "$log" "$T/moved.log"
	storm 60 8209
	settle 1
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_rotated "$log" 2 4096
	# Together: the moved file, then the kept files, are the console's tail.
	cat "$log.2" "$log.1" "$log" >"$T/kept"
	if ! diff <(tail -n "$(grep -c . "$T/kept")" "$T/mon.out") "$T/kept" >"$T/diff"; then
		e2e_fail "the kept files are not the console's last lines:" "$(head -n 20 "$T/diff")"
	fi
	assert_eq "the moved file" "$(cat "$T/moved.log")" "$(head -n "$(grep -c . "$T/moved.log")" "$T/mon.out")"
}
