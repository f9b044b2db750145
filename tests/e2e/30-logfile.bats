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
	mv "$T/a.log" "$T/a.log.1"
	kill -HUP "$SNOOP_PID"
	# The reopen creates the file again: then it is safe to make traffic.
	local i
	for ((i = 0; i < LINE_TIMEOUT * 20; i++)); do
		[ -e "$T/a.log" ] && break
		sleep 0.05
	done
	[ -e "$T/a.log" ] || e2e_fail "no new log file after SIGHUP"
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
