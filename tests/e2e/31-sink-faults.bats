#!/usr/bin/env bats
# Output faults: a log path another user could have planted (symlink, FIFO)
# is refused; a full disk leaves whole lines and counts what it dropped; a
# console nobody reads stalls neither the log file nor the exit.
# Each @test runs in its own process: exporting SOCKET_SNOOP_LOG there is meant.
# shellcheck disable=SC2030,SC2031

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	unset SOCKET_SNOOP_LOG
	HOLDER=
}

teardown() {
	[ -z "${HOLDER:-}" ] || exec {HOLDER}>&-
	if [ -n "${T:-}" ] && mountpoint -q "$T/small" 2>/dev/null; then
		umount "$T/small"
	fi
	e2e_teardown
}

# A sticky world-writable directory like /tmp, $T/shared, holding x.log, a
# symlink planted by nobody to the root-owned 0600 file $T/secret.
plant_link() {
	mkdir -m 1777 "$T/shared"
	printf 'root only\n' >"$T/secret"
	chmod 0600 "$T/secret"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$T/secret" "$T/shared/x.log"
	[ "$(stat -c %U "$T/shared/x.log")" != root ] || e2e_fail "the link is not nobody's"
}

# Assert the run refused PATH with exit 74, naming it and the reason WHY.
assert_refused() {
	local path=$1 why=$2
	assert_eq "exit status" "$RUN_STATUS" 74 || return 1
	grep -F -e "$path" "$T/run.err" | grep -qF -e "$why" ||
		e2e_fail "no error naming $path and \"$why\": $(cat "$T/run.err")"
}

# Start socket-snoop like snoop_start, its stdout to FILE (a FIFO may be given).
snoop_start_to() {
	local out=$1
	shift
	rm -f "$T/mon.err"
	"$SNOOP" "$@" >"$out" 2>"$T/mon.err" </dev/null 3>&- &
	SNOOP_PID=$!
	local i
	for ((i = 0; i < START_TIMEOUT * 20; i++)); do
		grep -q '^Monitoring socket connections\.' "$T/mon.err" 2>/dev/null && return 0
		pid_running "$SNOOP_PID" || break
		sleep 0.05
	done
	e2e_fail "socket-snoop did not start: $(cat "$T/mon.err")"
}

# The N of FIELD=N in the last line of the monitor's stderr (the summary); 0 when absent.
summary_field() {
	local last
	last=$(tail -n 1 "$T/mon.err")
	[[ $last =~ ^Summary:\ RECEIVED= ]] || { e2e_fail "last stderr line is not the summary: '$last'"; return 1; }
	field_of "$last" "$1"
}

@test "--log-file: a symlink planted by nobody in a sticky directory is refused with 74, its target untouched" {
	plant_link
	snoop_run "$SNOOP" "${ISOLATE[@]}" --no-report --duration=1 "--log-file=$T/shared/x.log"
	assert_refused "$T/shared/x.log" "symbolic link"
	assert_eq "target" "$(cat "$T/secret")" "root only"
}

@test "\$SOCKET_SNOOP_LOG: a planted symlink is refused the same way" {
	plant_link
	export SOCKET_SNOOP_LOG=$T/shared/x.log
	snoop_run "$SNOOP" "${ISOLATE[@]}" --no-report --duration=1
	assert_refused "$T/shared/x.log" "symbolic link"
	assert_eq "target" "$(cat "$T/secret")" "root only"
}

@test "the ./socket_monitor.log fallback in a sticky directory refuses a planted symlink" {
	plant_link
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$T/secret" "$T/shared/socket_monitor.log"
	mkdir "$T/varlog"
	cd "$T/shared"
	# /var/log read-only in a private mount namespace: the fallback is taken.
	# shellcheck disable=SC2016 # expanded by that sh
	snoop_run unshare -m -- sh -c \
		'mount --bind "$1" /var/log && mount -o remount,bind,ro /var/log && shift && exec "$@"' \
		sh "$T/varlog" "$SNOOP" "${ISOLATE[@]}" --duration=1 --no-report
	assert_refused "socket_monitor.log" "symbolic link"
	assert_eq "target" "$(cat "$T/secret")" "root only"
}

@test "a symlink of our own in a sticky directory is followed" {
	mkdir -m 1777 "$T/shared"
	ln -s "$T/real.log" "$T/shared/x.log"
	snoop_run "$SNOOP" "${ISOLATE[@]}" --no-report --duration=1 "--log-file=$T/shared/x.log"
	assert_eq "exit status" "$RUN_STATUS" 0
	[ -f "$T/real.log" ] || e2e_fail "the link's target was not created"
}

@test "a file of nobody's in a sticky directory is refused" {
	mkdir -m 1777 "$T/shared"
	# shellcheck disable=SC2016 # expanded by that sh
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo mine >"$1"' sh "$T/shared/x.log"
	snoop_run "$SNOOP" "${ISOLATE[@]}" --no-report --duration=1 "--log-file=$T/shared/x.log"
	assert_refused "$T/shared/x.log" "another user could have planted"
	assert_eq "file" "$(cat "$T/shared/x.log")" "mine"
}

@test "a FIFO as --log-file is refused at once with 74, with or without a reader" {
	mkfifo "$T/log.fifo"
	snoop_run timeout 10 "$SNOOP" "${ISOLATE[@]}" --no-report "--log-file=$T/log.fifo"
	assert_refused "$T/log.fifo" "not a regular file"
	exec {HOLDER}<>"$T/log.fifo"
	snoop_run timeout 10 "$SNOOP" "${ISOLATE[@]}" --no-report "--log-file=$T/log.fifo"
	assert_refused "$T/log.fifo" "not a regular file"
}

@test "SIGHUP: a symlink planted in the log file's place is refused, the old file kept" {
	mkdir -m 1777 "$T/shared"
	printf 'root only\n' >"$T/secret"
	chmod 0600 "$T/secret"
	snoop_start "${ISOLATE[@]}" --no-report "--log-file=$T/shared/x.log"
	mv "$T/shared/x.log" "$T/shared/x.log.1"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$T/secret" "$T/shared/x.log"
	kill -HUP "$SNOOP_PID"
	wait_line "$T/mon.err" "$LINE_TIMEOUT" "cannot reopen $T/shared/x.log" "symbolic link" ||
		e2e_fail "no warning of the refused reopen: $(cat "$T/mon.err")"
	conv a 4 8310
	await_closed a
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_eq "target" "$(cat "$T/secret")" "root only"
	assert_contains "$T/shared/x.log.1" "SRC=${C_EP[a]} DST=${S_EP[a]}"
}

@test "a full disk leaves only whole lines, counts the dropped lines, and writing resumes when space returns" {
	mkdir "$T/small"
	mount -t tmpfs -o size=64k,mode=0755 snoop-e2e-small "$T/small"
	# Most of the space taken by a file removed later: "space returns".
	head -c 40960 /dev/zero >"$T/small/filler"
	snoop_start "${ISOLATE[@]}" --no-report --events=state "--log-file=$T/small/log"
	srv_start a 4 8311 --accept 300 --timeout 60
	PEER_WAIT=50 cli_run a a --repeat 300 --timeout 60
	PEER_WAIT=10 srv_wait a
	settle 0.5
	[ "$(df --output=avail "$T/small" | tail -n 1)" -lt 8 ] || e2e_fail "the tmpfs did not fill up"

	rm "$T/small/filler"
	conv b 4 8312
	wait_line "$T/small/log" "$LINE_TIMEOUT" " SRC=${C_EP[b]} DST=${S_EP[b]} " "STATE=Connection Closed" ||
		e2e_fail "no line written once space returned"
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0

	# Every line whole: a timestamped event or loss line, none glued to another.
	local bad
	bad=$(grep -cvE "^$TS_RE (State Change: SRC=[^ ]+ DST=[^ ]+ PID=[0-9]+ COMM=[^ ]* STATE=[A-Za-z0-9_ ()]+|Events Lost: COUNT=[0-9]+ CAUSE=[a-z_]+ \(.*\))\$" \
		"$T/small/log") || true
	assert_eq "lines of the log file that are not whole event lines" "$bad" 0
	[ "$(tail -c 1 "$T/small/log" | od -An -c | tr -d ' ')" = '\n' ] || e2e_fail "the log file ends in a cut line"
	local dropped in_log received loss_lines
	dropped=$(summary_field DROPPED_LOGFILE)
	received=$(summary_field RECEIVED)
	in_log=$(grep -c . "$T/small/log")
	loss_lines=$(grep -c ' Events Lost: ' "$T/mon.out") || true
	[ "${dropped:-0}" -gt 0 ] || e2e_fail "no DROPPED_LOGFILE in the summary: $(tail -n 1 "$T/mon.err")"
	# Every line the console got went to the log file or was counted dropped.
	assert_eq "lines in the log file + dropped vs lines emitted" "$((in_log + dropped))" "$((received + loss_lines))"
	grep -qE '^socket-snoop: Output Lost: SINK=logfile LINES=[0-9]+ TOTAL=[0-9]+ ' "$T/mon.err" ||
		e2e_fail "no Output Lost warning for the log file"
	assert_eq "console (not full) got every line" "$(grep -c 'State Change: ' "$T/mon.out")" "$received"
}

@test "a console nobody reads stalls neither the log file nor SIGTERM; its dropped lines are counted" {
	local n=1500
	mkfifo "$T/out.fifo"
	# Held open for reading and never read: the pipe fills, then stays full.
	exec {HOLDER}<>"$T/out.fifo"
	snoop_start_to "$T/out.fifo" "${ISOLATE[@]}" --no-report --events=state "--log-file=$T/a.log"
	srv_start a 4 8313 --accept "$n" --timeout 60
	PEER_WAIT=50 cli_run a a --repeat "$n" --timeout 60
	PEER_WAIT=10 srv_wait a
	settle 0.5
	snoop_stop TERM
	assert_eq "exit status" "$SNOOP_STATUS" 0

	local received lost dropped in_log
	received=$(summary_field RECEIVED)
	lost=$(summary_field LOST)
	dropped=$(summary_field DROPPED_CONSOLE)
	in_log=$(grep -c ' State Change: ' "$T/a.log") || true
	echo "# received=$received lost=$lost console dropped=$dropped log=$in_log" >&3
	assert_eq "state lines in the log file vs RECEIVED" "$in_log" "$received"
	assert_accounted "$((10 * n + 2))" "$received" "$lost"
	[ "${dropped:-0}" -gt 0 ] || e2e_fail "no DROPPED_CONSOLE in the summary: $(tail -n 1 "$T/mon.err")"
	grep -qE '^socket-snoop: Output Lost: SINK=console LINES=[0-9]+ TOTAL=[0-9]+ ' "$T/mon.err" ||
		e2e_fail "no Output Lost warning for the console"
}
