#!/usr/bin/env bats
# --config: the filters from a file, read again on SIGHUP and changed in the
# kernel in place: no program detached, no event lost, no connection
# forgotten; a bad file keeps the filters in use.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
}

teardown() {
	e2e_teardown
}

# Replace the config file with LINEs, as an editor or a ConfigMap would (a
# new file renamed over the old).  config_write LINE...
config_write() {
	printf '%s\n' "$@" >"$T/filters.conf.new" &&
		chmod 0644 "$T/filters.conf.new" &&
		mv -f "$T/filters.conf.new" "$T/filters.conf"
}

# SIGHUP the monitor and wait for its Nth message starting with WHAT.
# config_reload N WHAT
config_reload() {
	kill -HUP "$SNOOP_PID"
	wait_count "$T/mon.err" "$LINE_TIMEOUT" "$1" "$2" ||
		{ e2e_fail "no message '$2' number $1 after SIGHUP: $(cat "$T/mon.err")"; return 1; }
}

# Assert bats' $output (of run) contains the fixed STRING.
assert_output_has() {
	grep -qF -e "$1" <<<"$output" ||
		{ printf 'FAIL: the output does not contain "%s"; it is:\n%s\n' "$1" "$output" >&2; return 1; }
}

RELOADED="filters reloaded from --config: "
KEPT="; the filters in use stay"

@test "SIGHUP during a storm: the filters change in place, and every transition of the port kept is received or counted lost" {
	local n=12000 port=8961 i
	config_write "# the storm's server" "lport = $port"
	snoop_start --config="$T/filters.conf" "${ISOLATE[@]}" --no-log-file --no-report --events=state
	assert_contains "$T/mon.err" "filters from --config and the command line: lport=$port laddr=10.200.$NET_X.0/24,fd00:200:$NET_X::/64"
	srv_start a 4 "$port" --accept "$n" --timeout 90
	cli_start a a --repeat "$n" --timeout 90
	# Each reload switches the kernel to the other filter set, and back.
	for i in 1 2 3 4; do
		config_write "lport = $port,$((9000 + i))"
		config_reload "$i" "$RELOADED" || return 1
	done
	grep -q '^DONE' "$T/cli-a.peer" &&
		{ e2e_fail "the storm was over before the reloads: they were not made during it"; return 1; }
	PEER_WAIT=80 cli_wait a || return 1
	assert_contains "$T/cli-a.peer" "CONNECTIONS $n"
	PEER_WAIT=10 srv_wait a || return 1
	settle 0.5
	snoop_stop || return 1

	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_contains "$T/mon.err" "${RELOADED}lport=$port,9004 laddr="
	local last received lost printed
	last=$(tail -n 1 "$T/mon.err")
	[[ $last =~ ^Summary:\ RECEIVED=([0-9]+)\ LOST=([0-9]+)( [A-Z_]+=[0-9]+)*$ ]] ||
		e2e_fail "last stderr line is not the summary: '$last'"
	received=${BASH_REMATCH[1]}
	lost=${BASH_REMATCH[2]}
	printed=$(grep -cE "^$TS_RE State Change: " "$T/mon.out") || true
	assert_eq "state lines printed vs RECEIVED" "$printed" "$received"
	# Only the server's sockets have the local port: its connections' 5
	# transitions each and the listener's 2, all made under the filters.
	assert_every_re " SRC=$(re_quote "$V4_S"):$port "
	local lines made hidden
	lines=$(e2e_kernel_transitions "$port" | LC_ALL=C grep -aF " sport=$port ") || true
	made=$(grep -c . <<<"$lines") || true
	hidden=$(e2e_count_hidden <<<"$lines")
	assert_eq "the server's transitions in the kernel's record" "$made" $((5 * n + 2))
	echo "# made=$made received=$received lost=$lost hidden by the kernel=$hidden" >&3
	[ $((received + lost)) -le "$made" ] ||
		e2e_fail "RECEIVED ($received) + LOST ($lost) exceeds the $made transitions made"
	[ $((received + lost)) -ge $((made - hidden)) ] ||
		e2e_fail "RECEIVED ($received) + LOST ($lost) short of the $made transitions made by more than the $hidden the kernel hid"
}

@test "a reload applies from then on: connections of the new filter shown, of the old not, one open across it named; a bad file keeps the filters" {
	local metrics
	metrics=$(free_tcp_port) || return 1
	ender_setup
	config_write "lport = 8971"
	snoop_start --config="$T/filters.conf" --no-log-file --no-report --events=state,close \
		--metrics="127.0.0.1:$metrics"
	# Before: 8972 is left out.
	conv a 4 8972
	# A connection to 8973 opened while 8973 is left out, closed after the reload.
	ender_srv h 8973 hold
	ender_cli h 8973 bulk 10 || return 1
	wait_line "$T/cli-h.peer" "$LINE_TIMEOUT" SENT || { e2e_fail "client h sent nothing"; return 1; }
	ender_cli_end h CONNECTED
	config_write "lport = 8972,8973" "  # and the established ones only" "state = ESTABLISHED,CLOSE"
	config_reload 1 "$RELOADED" || return 1
	assert_contains "$T/mon.err" "${RELOADED}lport=8972-8973 state=ESTABLISHED,CLOSE"
	release "${CPID[h]}"
	[ "$(ender_result srv-h)" = EOF ] || { e2e_fail "server h did not read to the end"; return 1; }
	conv b 4 8972
	conv c 4 8971
	# A bad file: the filters stay as they are (8971 still out, 8972 in).
	config_write "lport = 8971" "state = ESTABLISHED,NO_SUCH_STATE"
	config_reload 1 "$KEPT" || return 1
	assert_contains "$T/mon.err" "socket-snoop: --config file '$T/filters.conf', line 2: invalid value 'ESTABLISHED,NO_SUCH_STATE' for state: 'NO_SUCH_STATE' is not a TCP state name"
	conv d 4 8972
	conv e 4 8971
	# The cgroup filter is fixed at start: a reload that sets one is refused.
	config_write "lport = 8971" "cgroup = /"
	config_reload 2 "$KEPT" || return 1
	assert_contains "$T/mon.err" "the cgroup filter (cgroup, unit, container) cannot change while socket-snoop runs"
	conv f 4 8972
	local scrape
	scrape=$(curl -sS --max-time 5 "http://127.0.0.1:$metrics/metrics") ||
		{ e2e_fail "no metrics"; return 1; }
	await_state "${S_EP[f]}" "${C_EP[f]}" CLOSE
	settle
	snoop_stop

	assert_eq "exit status" "$SNOOP_STATUS" 0
	grep -qx 'socket_snoop_config_reloads_total{result="ok"} 1' <<<"$scrape" ||
		e2e_fail "metrics: not one reload ok: $(grep config_reloads <<<"$scrape")"
	grep -qx 'socket_snoop_config_reloads_total{result="failed"} 2' <<<"$scrape" ||
		e2e_fail "metrics: not two failed reloads: $(grep config_reloads <<<"$scrape")"
	# Before the reload: 8971 only (a's 8972 left out; its listener shares
	# its ends with b's, d's and f's, shown after the reload: CLOSE only).
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_eq "listener lines of 8972" "$(conn_lines "${S_EP[a]}" 0.0.0.0:0 | grep -c ' State Change: ')" 3
	# The connection open across it: its server socket's CLOSE, and its
	# summary, named after the server that held it from before the reload.
	assert_conn "${S_EP[h]}" "${C_EP[h]}" "${SPID[h]}" "${SCOMM[h]}" CLOSE
	local summary
	summary=$(conn_lines "${S_EP[h]}" "${C_EP[h]}" | grep -F ' Connection Summary: ') ||
		{ e2e_fail "no summary of connection h"; return 1; }
	[[ $summary == *" PID=${SPID[h]} COMM=${SCOMM[h]} "* ]] ||
		e2e_fail "connection h's summary not named after its server: $summary"
	[[ $summary == *" RECEIVED=10 "* ]] || e2e_fail "connection h's summary lost its counts: $summary"
	# After it: 8972's server sockets, ESTABLISHED and CLOSE only; 8971 none.
	local tag
	for tag in b d f; do
		assert_conn "${S_EP[$tag]}" "${C_EP[$tag]}" "${SPID[$tag]}" snoop-srv ESTABLISHED CLOSE
		assert_no_conn "${C_EP0[$tag]},${C_EP[$tag]}" "${S_EP[$tag]}"
	done
	for tag in c e; do
		assert_no_conv "$tag"
	done
}

@test "a bad --config at start: exit 64 naming the file, the line and the key; a file others may change is refused" {
	config_write "lport = 22" "comm = sshd,way-too-long-a-command-name"
	run "$SNOOP" --config="$T/filters.conf" --no-log-file
	assert_eq "exit status" "$status" 64
	assert_output_has "socket-snoop: --config file '$T/filters.conf', line 2: invalid value 'sshd,way-too-long-a-command-name' for comm: 'way-too-long-a-command-name' is not a command name of at most 15 bytes"
	config_write "lport = 22" "json = yes"
	run "$SNOOP" --config="$T/filters.conf" --no-log-file
	assert_eq "exit status" "$status" 64
	assert_output_has "line 2: key 'json' is not a filter: give --json on the command line"
	# Writable by its group, or in a directory others may rename it away in.
	config_write "lport = 22"
	chmod 0664 "$T/filters.conf"
	run "$SNOOP" --config="$T/filters.conf" --no-log-file
	assert_eq "exit status" "$status" 64
	assert_output_has "cannot read --config file '$T/filters.conf': refusing a file that another user could change"
	mkdir -m 0777 "$T/open"
	printf 'lport = 22\n' >"$T/open/filters.conf"
	chmod 0644 "$T/open/filters.conf"
	run "$SNOOP" --config="$T/open/filters.conf" --no-log-file
	assert_eq "exit status" "$status" 64
	assert_output_has "refusing a file that another user could change"
	# Owned by another user.
	chmod 0755 "$T/open"
	chown "$TEST_UID" "$T/open/filters.conf"
	run "$SNOOP" --config="$T/open/filters.conf" --no-log-file
	assert_eq "exit status" "$status" 64
	assert_output_has "refusing a file that another user could change"
	run "$SNOOP" --config="$T/none.conf" --no-log-file
	assert_eq "exit status" "$status" 64
	assert_output_has "cannot read --config file '$T/none.conf': No such file or directory"
}

@test "a reload from a narrow CIDR to a wider one: the addresses both hold are kept (one trie per filter set)" {
	# A trie answers with its longest prefix: the /32 of the set left must not
	# hide the /24 of the set in use from the server's address.
	config_write "laddr = $V4_S/32"
	snoop_start --config="$T/filters.conf" --no-log-file --no-report --events=state
	conv a 4 8981
	config_write "laddr = 10.200.$NET_X.0/24"
	config_reload 1 "$RELOADED" || return 1
	conv b 4 8982
	await_closed b
	settle
	snoop_stop
	# Before: the server's side only (its local address); after: both sides.
	assert_conv a server listener
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_conv b client server listener
}

@test "a reload keeps the cgroup filter the file gives as at start, though its directory is made again or removed: the other filters change" {
	cgroup_make "snoop-e2e-$$/cfg" || return 1
	local dir=$CGROUP_PATH
	config_write "cgroup = $dir" "lport = 8983"
	snoop_start --config="$T/filters.conf" --no-log-file --no-report --events=state
	# The same path, another cgroup: the line is the start's, so its cgroup stays.
	rmdir "$dir" && mkdir "$dir" || return 1
	config_write "cgroup = $dir" "lport = 8984"
	config_reload 1 "$RELOADED" || return 1
	assert_contains "$T/mon.err" "${RELOADED}lport=8984 cgroup=$dir"
	# Gone: the same.
	rmdir "$dir" || return 1
	config_write "cgroup = $dir" "lport = 8985"
	config_reload 2 "$RELOADED" || return 1
	assert_contains "$T/mon.err" "${RELOADED}lport=8985 cgroup=$dir"
	grep -qF -e "$KEPT" "$T/mon.err" && e2e_fail "a reload was refused: $(cat "$T/mon.err")"
	snoop_stop
}
