#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# 20-systemd.sh - deploy/socket-snoop.service under a real systemd as PID 1:
# a Debian 12 container (tests/deploy/rootfs.sh) with socket-snoop, its unit
# and its logrotate snippet installed by "make install DESTDIR=".
#
#   the unit: systemd-analyze verify prints nothing, security --offline=yes
#   is at most MAX_EXPOSURE;
#   a log path the unit may not write: "systemctl start" fails, status 74,
#   no restart; the system call filter without bpf: fails, status 77 (the
#   filter is enforced, and what it refuses gets a clear message); the
#   --metrics port already taken, or the address families without AF_INET:
#   fails, status 74, no restart, no log file created;
#   systemctl start: returns once READY=1 came (a connection made right
#   after is logged), active (running), Type=notify, watchdog armed, nice -10;
#   connections inside the container: their lines, with the host's PID of
#   the client and its name;
#   systemctl reload with the log file renamed first: the same process, the
#   next lines in a new file, none in the old one;
#   systemctl reload with a new /etc/socket-snoop/filters.conf: the filters
#   change in place (a server's socket left out, then shown again); a file
#   with an error: a warning naming its line, the filters in use stay;
#   systemctl status: Status: "Monitoring: RECEIVED=n LOST=0", n > 0;
#   the unit's --metrics endpoint, with curl on the container's loopback
#   (and there only): /healthz 200 "ok"; /metrics (plain and gzip) with
#   socket_snoop_build_info of this VERSION, state changes counted at least
#   as many as the log has lines, no event lost, and the container's TCP
#   listeners counted (socket_snoop_tcp_sockets) as ss lists them;
#   the journal: a warning of priority 4 (JOURNAL_STREAM), no "<N>" left;
#   the watchdog pinged again meanwhile;
#   systemctl stop: exit status 0, the report and summary in the journal.
#
# Exit 0 when all of this held; else 1 with the reason on stderr.
set -euo pipefail

# rootfs.sh, and lib.sh through it: fail, say, wait_until... (see their headers)
# shellcheck source=tests/deploy/rootfs.sh
. "$(dirname "$0")/rootfs.sh"

MAX_EXPOSURE=3.0
PORT=9100
PRE_PORT=9101
# The unit's --metrics address (the container's loopback is its own).
METRICS_PORT=9580
METRICS=http://127.0.0.1:$METRICS_PORT

logfile() { tail -n 20 "$CT_ROOT$LOG" 2>/dev/null; }

ct_setup ss-systemd

say "make install DESTDIR=$CT_ROOT"
# shellcheck disable=SC2119 # the normal build: no make arguments
ct_install || fail "cannot install socket-snoop into the container"
# The test's client and server under names of their own (COMM= in the log).
ln -s /bin/bash "$CT_ROOT/usr/local/bin/ssclient"
ln -s /usr/bin/socat "$CT_ROOT/usr/local/bin/sssrv"

say "booting the container"
ct_boot || fail "the container did not boot"
ct test -r /sys/kernel/btf/vmlinux || fail "/sys/kernel/btf/vmlinux is not readable in the container"
# At debug level PID 1 logs every notify message it gets, and each state change.
ct systemd-analyze log-level debug

say "systemd-analyze verify and security --offline=yes"
unit_file=$(ct_show FragmentPath)
[ -n "$unit_file" ] || fail "systemd does not find $UNIT"
out=$(ct systemd-analyze verify "$unit_file" 2>&1) ||
	fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify is not clean: $out"
out=$(ct systemd-analyze security --offline=yes --no-pager "$unit_file" 2>&1) || true
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$exposure" ] || fail "systemd-analyze security printed no exposure: $out"
awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' ||
	fail "exposure $exposure is above $MAX_EXPOSURE"
say "$unit_file: exposure $exposure (at most $MAX_EXPOSURE)"

# socket-snoop itself (not PID 1, nor systemd's code before the exec) said
# $2 (a regular expression) after cursor $1, at priority $3 (any when not
# given).  (Read whole, then searched: grep -q leaving a pipe early would
# fail it.)
journal_says() {
	local text
	text=$(ct_said "$1" "${3:-}") && grep -E -q -- "$2" <<<"$text"
}
# The first lines of $1, for a message.
head20() { head -n 20 <<<"$1"; }
client_ended() { [ "$(ct_show ActiveState ss-client.service)" != active ]; }

# A start that fails must fail "systemctl start" (Type=notify: no READY=1),
# with socket-snoop's status, and not be retried.
# $1: drop-in text (none when empty), $2: the exit status expected, $3: what
# the journal says.
start_fails() {
	local at status
	if [ -n "$1" ]; then
		mkdir -p "$CT_ROOT/etc/systemd/system/$UNIT.d"
		printf '%s\n' "$1" >"$CT_ROOT/etc/systemd/system/$UNIT.d/test.conf"
		ct systemctl daemon-reload
	fi
	at=$(ct_cursor) || fail "no journal cursor"
	if ct systemctl start "$UNIT" 2>/dev/null; then
		fail "systemctl start succeeded with $1"
	fi
	status=$(ct_show ExecMainStatus)
	[ "$status" = "$2" ] || fail "with $1: exit status '$status', not $2"
	[ "$(ct_show Result)" = exit-code ] || fail "with $1: result '$(ct_show Result)', not exit-code"
	[ "$(ct_show NRestarts)" = 0 ] || fail "with $1: restarted (RestartPreventExitStatus)"
	wait_until 10 "the journal to say '$3' at priority 3" journal_says "$at" "$3" 3
	if [ -n "$1" ]; then
		rm -r "$CT_ROOT/etc/systemd/system/$UNIT.d"
		ct systemctl daemon-reload
	fi
	ct systemctl reset-failed "$UNIT"
}

say "a log file the unit may not write: start fails with 74"
start_fails $'[Service]\nExecStart=\nExecStart=/usr/local/sbin/socket-snoop --quiet --log-file=/var/lib/socket_monitor.log' \
	74 "^socket-snoop: cannot open log file /var/lib/socket_monitor.log: Read-only file system$"
say "the system call filter without bpf: start fails with 77"
start_fails $'[Service]\nSystemCallFilter=~bpf' 77 \
	"^socket-snoop: the kernel refused to load the BPF programs \\(Operation not permitted\\)"
# (The refused start had opened, so created, the log file: start afresh.)
rm -f "$CT_ROOT$LOG"
# --metrics binds before anything else: a refused bind leaves no log file.
say "the --metrics port taken: start fails with 74, nothing created"
ct systemd-run -q --unit=ss-squatter -p Type=exec /usr/local/bin/sssrv \
	"TCP-LISTEN:$METRICS_PORT,bind=127.0.0.1" /dev/null ||
	fail "cannot start the listener on port $METRICS_PORT"
squatting() { [ -n "$(ct ss -Htln "sport = :$METRICS_PORT")" ]; }
wait_until 10 "a listener on 127.0.0.1:$METRICS_PORT" squatting
start_fails "" 74 \
	"^socket-snoop: cannot listen on 127\\.0\\.0\\.1:$METRICS_PORT \\(--metrics\\): Address already in use$"
ct systemctl stop ss-squatter.service
[ ! -e "$CT_ROOT$LOG" ] || fail "the start refused for the --metrics port created $LOG"
say "the address families without AF_INET, AF_INET6: start fails with 74"
start_fails $'[Service]\nRestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX AF_NETLINK' 74 \
	"^socket-snoop: cannot listen on 127\\.0\\.0\\.1:$METRICS_PORT \\(--metrics\\): Address family not supported by protocol$"
[ ! -e "$CT_ROOT$LOG" ] || fail "the start refused for the address families created $LOG"

# A connection already open when the service starts, of another user's
# processes: attributed by the start-up snapshot, under the sandbox
# (ProtectProc=invisible, the capabilities, the system call filter).
say "a connection of user nobody, open before the start"
ct systemd-run -q --unit=ss-pre-server -p User=nobody -p Type=exec /usr/local/bin/sssrv \
	"TCP-LISTEN:$PRE_PORT,bind=127.0.0.1,reuseaddr,fork" EXEC:/bin/cat ||
	fail "cannot start the server of the early connection"
ct mkfifo -m 0666 /run/ss-pregate
pre_listening() { [ -n "$(ct ss -Htln "sport = :$PRE_PORT")" ]; }
wait_until 10 "the early server to listen" pre_listening
ct systemd-run -q --unit=ss-pre-client -p User=nobody -p Type=exec /usr/local/bin/ssclient -c \
	"exec 3<>/dev/tcp/127.0.0.1/$PRE_PORT && echo ping >&3 && read -r -t 10 _ <&3 &&
	 exec 4<>/run/ss-pregate && read -r -t 60 _ <&4; exec 3>&-" ||
	fail "cannot start the client of the early connection"
pre_connected() { [ -n "$(ct ss -Htn state established "dport = :$PRE_PORT")" ]; }
wait_until 10 "the early connection" pre_connected
pre_pid=$(ct_host_pid "$(ct_show MainPID ss-pre-client.service)") ||
	fail "no host PID for the early client"
# The server's side is held by the child socat forked for it.
pre_child=$(ct pgrep -P "$(ct_show MainPID ss-pre-server.service)" -x sssrv) ||
	fail "no child of the early server"
pre_srv=$(ct_host_pid "$pre_child") || fail "no host PID for the early server's child"

say "systemctl enable --now $UNIT"
cursor=$(ct_cursor) || fail "no journal cursor"
ct systemctl enable --now "$UNIT" || fail "systemctl enable --now failed"
# READY=1 was sent once the programs were attached: a connection made now is
# logged.  A listener right away, with a PID and name to find.
ct systemd-run -q --unit=ss-server -p Type=exec /usr/local/bin/sssrv \
	"TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" EXEC:/bin/cat ||
	fail "cannot start the test server"
[ "$(ct_show ActiveState)/$(ct_show SubState)" = active/running ] ||
	fail "not active (running) after start: $(ct_show ActiveState)/$(ct_show SubState)"
[ "$(ct_show Type)" = notify ] || fail "Type is $(ct_show Type)"
[ "$(ct_show NotifyAccess)" = main ] || fail "NotifyAccess is $(ct_show NotifyAccess)"
case $(ct_show WatchdogUSec) in
0 | infinity | '') fail "no watchdog: WatchdogUSec=$(ct_show WatchdogUSec)" ;;
esac
main_pid=$(ct_show MainPID)
[ "$main_pid" -gt 0 ] || fail "no MainPID"
# Nice=-10, not CAP_SYS_NICE (the unit's bounding set lacks it).
nice=$(ct ps -o ni= -p "$main_pid" | tr -d ' ')
[ "$nice" = -10 ] || fail "the monitor runs at nice '$nice', not -10"
ready_ms=$((($(ct_show ActiveEnterTimestampMonotonic) - $(ct_show ExecMainStartTimestampMonotonic)) / 1000))
say "active (running) ${ready_ms} ms after exec (READY=1)"
wd0=$(ct_show WatchdogTimestampMonotonic)

srv_pid=$(ct_host_pid "$(ct_show MainPID ss-server.service)") || fail "no host PID for the test server"
wait_until 10 "the server's Listening line (PID=$srv_pid COMM=sssrv)" \
	ct_log_has "State Change: SRC=127\.0\.0\.1:$PORT DST=0\.0\.0\.0:0 PID=$srv_pid COMM=sssrv STATE=Listening for Connections$"

# A client connection with its host PID: the client waits on a FIFO until
# its PID has been read, then closes.  $1: the log file its lines go to.
connect_once() {
	local file=$1 cpid hpid
	ct rm -f /run/ss-gate
	ct mkfifo /run/ss-gate
	ct systemd-run -q --unit=ss-client -p Type=exec /usr/local/bin/ssclient -c \
		"exec 3<>/dev/tcp/127.0.0.1/$PORT && echo ping >&3 && read -r -t 10 _ <&3 &&
		 exec 4<>/run/ss-gate && read -r -t 30 _ <&4; exec 3>&-" ||
		fail "cannot start the test client"
	cpid=$(ct_show MainPID ss-client.service)
	hpid=$(ct_host_pid "$cpid") || fail "no host PID for the client (container PID $cpid)"
	wait_until 10 "the client's Established line (PID=$hpid COMM=ssclient) in $file" \
		ct_log_has "State Change: SRC=127\.0\.0\.1:[0-9]+ DST=127\.0\.0\.1:$PORT PID=$hpid COMM=ssclient STATE=Connection Established$" "$file"
	ct sh -c 'echo go >/run/ss-gate'
	wait_until 10 "the client to end" client_ended
	wait_until 10 "the client's Connection Summary (PID=$hpid) in $file" \
		ct_log_has "Connection Summary: SRC=127\.0\.0\.1:[0-9]+ DST=127\.0\.0\.1:$PORT PID=$hpid COMM=ssclient DURATION=" "$file"
	CLIENT_PID=$hpid
}

# The server's CLOSE_WAIT is the first event of its socket, made when the
# client's FIN arrives (in the client's context on loopback): only the
# start-up snapshot can name its owner.
say "the early connection closes: its owners known from the start-up snapshot"
ct sh -c 'echo go >/run/ss-pregate'
wait_until 10 "the early server's CLOSE_WAIT with PID=$pre_srv COMM=sssrv" \
	ct_log_has "State Change: SRC=127\.0\.0\.1:$PRE_PORT DST=127\.0\.0\.1:[0-9]+ PID=$pre_srv COMM=sssrv STATE=Connection Closing \(CLOSE_WAIT\)$"
wait_until 10 "the early connection's Connection Summary with PID=$pre_pid COMM=ssclient" \
	ct_log_has "Connection Summary: SRC=127\.0\.0\.1:[0-9]+ DST=127\.0\.0\.1:$PRE_PORT PID=$pre_pid COMM=ssclient DURATION="

say "connections in the container"
connect_once "$LOG"
first_client=$CLIENT_PID
grep -E -q "State Change: SRC=127\.0\.0\.1:$PORT DST=127\.0\.0\.1:[0-9]+ PID=[0-9]+ COMM=(sssrv|cat) STATE=Connection Established$" "$CT_ROOT$LOG" ||
	fail "no Established line for the server's side; the log ends: $(logfile)"
connect_once "$LOG"

say "systemctl reload with the log file renamed"
ct mv "$LOG" "$LOG.old"
ct systemctl reload "$UNIT" || fail "systemctl reload failed"
wait_until 10 "$LOG to be created again" test -e "$CT_ROOT$LOG"
[ "$(ct_show MainPID)" = "$main_pid" ] || fail "reload changed the main PID ($main_pid -> $(ct_show MainPID))"
[ "$(ct_show NRestarts)" = 0 ] || fail "the service restarted"
[ "$(ct_show ActiveState)/$(ct_show SubState)" = active/running ] ||
	fail "not active (running) after reload: $(ct_show ActiveState)/$(ct_show SubState)"
[ "$(stat -c %a "$CT_ROOT$LOG")" = 640 ] || fail "the new log file is mode $(stat -c %a "$CT_ROOT$LOG"), not 640"
old_lines=$(wc -l <"$CT_ROOT$LOG.old")
connect_once "$LOG"
grep -q "PID=$CLIENT_PID " "$CT_ROOT$LOG.old" && fail "the old log file got lines after the reload"
[ "$(wc -l <"$CT_ROOT$LOG.old")" = "$old_lines" ] || fail "the old log file grew after the reload"
grep -q "PID=$first_client " "$CT_ROOT$LOG.old" || fail "the first connection is not in the renamed file"

say "systemctl reload with a new --config file: the filters change in place"
# Write the filters file (printf FORMAT, "" for an empty file), systemctl
# reload, and wait for the journal to say REGEX at PRIORITY.
# reload_filters FORMAT REGEX PRIORITY
reload_filters() {
	local from
	# shellcheck disable=SC2016 # expanded by that sh
	ct sh -c 'printf "$1" >/etc/socket-snoop/filters.conf' sh "$1"
	from=$(ct_cursor) || fail "no journal cursor"
	ct systemctl reload "$UNIT" || fail "systemctl reload failed"
	wait_until 10 "'$2' (priority $3) in the journal" journal_says "$from" "$2" "$3"
	[ "$(ct_show MainPID)" = "$main_pid" ] || fail "reload changed the main PID"
	[ "$(ct_show ActiveState)/$(ct_show SubState)" = active/running ] ||
		fail "not active (running) after the reload: $(ct_show ActiveState)/$(ct_show SubState)"
}
# The local port of the last connect_once's client, from its lines: the
# server's socket has it as DST.
client_port() {
	sed -n "s/.* State Change: SRC=127\.0\.0\.1:\([0-9]*\) DST=127\.0\.0\.1:$PORT PID=$CLIENT_PID .* STATE=Connection Established$/\1/p" \
		"$CT_ROOT$LOG" | head -n 1
}
# The installed file sets no filter.  Now the clients' side only (remote
# port $PORT): the server's socket of the next connection is left out.
reload_filters "# the clients only\nrport = $PORT\n" "^filters reloaded from --config: rport=$PORT\$" 6
connect_once "$LOG"
cport=$(client_port)
[ -n "$cport" ] || fail "no client port for PID $CLIENT_PID; the log ends: $(logfile)"
grep -q "SRC=127\.0\.0\.1:$PORT DST=127\.0\.0\.1:$cport " "$CT_ROOT$LOG" &&
	fail "the server's socket of a connection made under rport=$PORT was shown: $(logfile)"
# A file with an error: a warning, the filters in use stay, still running.
reload_filters "rport = $PORT\nlport = none\n" \
	"^socket-snoop: --config file '/etc/socket-snoop/filters\.conf', line 2: invalid value 'none' for lport: .*; the filters in use stay\$" 4
# Back to none: the server's socket is shown again.
reload_filters "" "^filters reloaded from --config: none\$" 6
connect_once "$LOG"
cport=$(client_port)
server_closed() {
	ct_log_has "State Change: SRC=127\.0\.0\.1:$PORT DST=127\.0\.0\.1:$cport PID=[0-9]+ COMM=(sssrv|cat) STATE=Connection Closed$"
}
poll 10 server_closed ||
	fail "waited 10 s for the server's socket's Connection Closed; the connection's lines: $(grep -F ":$cport " "$CT_ROOT$LOG")"
[ "$(ct_show NRestarts)" = 0 ] || fail "the service restarted"

say "systemctl status shows the counts"
status_ok() {
	local text
	text=$(ct_show StatusText)
	[[ $text =~ ^Monitoring:\ RECEIVED=([0-9]+)\ LOST=([0-9]+)$ ]] &&
		[ "${BASH_REMATCH[1]}" -ge 10 ] && [ "${BASH_REMATCH[2]}" = 0 ]
}
wait_until 5 "STATUS= with RECEIVED >= 10 and LOST=0 (now '$(ct_show StatusText)')" status_ok
out=$(ct systemctl status --no-pager "$UNIT" 2>&1) || fail "systemctl status failed: $out"
grep -E -q '^ +Status: "Monitoring: RECEIVED=[0-9]+ LOST=0"$' <<<"$out" ||
	fail "systemctl status shows no Status: line: $out"
grep -E -q '^ +Active: active \(running\)' <<<"$out" || fail "systemctl status: not active (running): $out"

say "the metrics endpoint: curl $METRICS on the container's loopback"
# GET $1 with curl (as a scraper would, and with its further arguments $2...):
# BODY, HTTP_CODE, HTTP_TYPE (Content-Type), HEADERS (the response's head).
http_get() {
	local url=$1 out
	shift
	out=$(ct curl -sS --max-time 5 -D /run/ss-headers -w '\n%{http_code} %{content_type}' "$@" "$url") ||
		fail "curl $* $url failed: $out"
	HEADERS=$(ct cat /run/ss-headers | tr -d '\r')
	BODY=${out%$'\n'*}
	HTTP_CODE=${out##*$'\n'}
	HTTP_TYPE=${HTTP_CODE#* }
	HTTP_CODE=${HTTP_CODE%% *}
}
# The value of sample $1 (name and labels, as exposed) in BODY.
sample() { awk -v s="$1" '$1 == s { print $2; found = 1; exit } END { exit !found }' <<<"$BODY"; }

listeners=$(ct ss -Htln "sport = :$METRICS_PORT")
[ "$(awk '{ print $4 }' <<<"$listeners")" = "127.0.0.1:$METRICS_PORT" ] ||
	fail "the --metrics listener is not 127.0.0.1:$METRICS_PORT alone: $listeners"
http_get "$METRICS/healthz"
[ "$HTTP_CODE $BODY" = $'200 ok\n' ] ||
	fail "GET /healthz: $HTTP_CODE $(printf %q "${BODY:0:200}"), not 200 \$'ok\\n'"

# Every State Change line of the log comes from an event the exporter
# counted before the line was written: read the log first, then scrape.
log_lines=$(cat "$CT_ROOT$LOG.old" "$CT_ROOT$LOG" | grep -c ' State Change: ')
test_lines=$(cat "$CT_ROOT$LOG.old" "$CT_ROOT$LOG" |
	grep -c -E " State Change: .*(127\.0\.0\.1:($PORT|$PRE_PORT) )")
status=$(ct_show StatusText)
[[ $status =~ RECEIVED=([0-9]+) ]] || fail "no RECEIVED= in the status '$status'"
status_received=${BASH_REMATCH[1]}
http_get "$METRICS/metrics"
[ "$HTTP_CODE" = 200 ] || fail "GET /metrics: $HTTP_CODE: $(head20 "$BODY")"
[ "$HTTP_TYPE" = "text/plain; version=0.0.4; charset=utf-8" ] ||
	fail "GET /metrics: Content-Type '$HTTP_TYPE'"
version=$(cat "$DEPLOY_ROOT/VERSION")
grep -E -q "^socket_snoop_build_info\{attach=\"(tp_btf|raw_tp)\",libbpf=\"[^\"]+\",version=\"${version//./\\.}\"\} 1$" <<<"$BODY" ||
	fail "no socket_snoop_build_info of version $version: $(grep build_info <<<"$BODY")"
state_changes=$(sample 'socket_snoop_events_received_total{kind="state_change"}') ||
	fail "no socket_snoop_events_received_total{kind=\"state_change\"}: $(head20 "$BODY")"
[ "$test_lines" -ge 8 ] || fail "the log has $test_lines State Change lines of the test's 4 connections, not 2 or more each"
[ "$state_changes" -ge "$log_lines" ] ||
	fail "state changes counted: $state_changes, fewer than the log's $log_lines State Change lines"
received=$(awk '$1 ~ /^socket_snoop_events_received_total\{/ { n += $2 } END { print n + 0 }' <<<"$BODY")
[ "$received" -ge "$status_received" ] ||
	fail "events counted: $received, fewer than the earlier status's RECEIVED=$status_received"
lost=$(awk '$1 ~ /^socket_snoop_events_lost_total\{/ { n += $2; k++ } END { print k ? n : "none" }' <<<"$BODY")
[ "$lost" = 0 ] || fail "socket_snoop_events_lost_total: $lost, not 0 (the status said LOST=0)"
say "/metrics: state changes $state_changes >= the log's $log_lines lines ($test_lines of the test's connections), events $received >= RECEIVED=$status_received, none lost"

# The container's TCP sockets, counted at the scrape under the unit's sandbox
# (AF_NETLINK: socket diagnostics): its listeners, as ss lists them.
listen='' listen_ss=''
listen_counted() {
	http_get "$METRICS/metrics"
	listen=$(sample 'socket_snoop_tcp_sockets{state="listen"}') || return 1
	listen_ss=$(ct ss -Htl | wc -l)
	[ "$listen" -ge 1 ] && [ "$listen" = "$listen_ss" ]
}
poll 5 listen_counted ||
	fail "socket_snoop_tcp_sockets{state=\"listen\"} is '$listen', not the $listen_ss listeners ss lists: $(grep tcp_sockets <<<"$BODY")"
say "/metrics: socket_snoop_tcp_sockets{state=\"listen\"} $listen, as ss lists"

http_get "$METRICS/metrics" --compressed
grep -q -i '^Content-Encoding: gzip$' <<<"$HEADERS" || fail "GET /metrics with gzip accepted: not gzip: $HEADERS"
grep -q '^socket_snoop_build_info{' <<<"$BODY" || fail "GET /metrics, gzip: no socket_snoop_build_info once inflated"
say "/healthz 200 ok; /metrics plain and gzip"

say "a reload that cannot reopen: a warning of priority 4, the old file kept"
# The monitor reopens a moved log file on its own within a second: the
# rename and the directory in one command, again if that reopen came between.
# shellcheck disable=SC2016 # $1 is the inner shell's
moved_to_dir() { ct sh -c 'mv "$1" "$1.2" && mkdir "$1"' sh "$LOG" 2>/dev/null; }
wait_until 10 "$LOG renamed and replaced by a directory" moved_to_dir
ct systemctl reload "$UNIT" || fail "systemctl reload failed"
wait_until 10 "the priority 4 warning that $LOG cannot be reopened" \
	journal_says "$cursor" "^socket-snoop: cannot reopen $LOG: .* \\(still writing to the old file\\)$" 4
connect_once "$LOG.2"
ct rmdir "$LOG"
ct systemctl reload "$UNIT" || fail "systemctl reload failed"
wait_until 10 "$LOG to be created again" test -f "$CT_ROOT$LOG"
connect_once "$LOG"
if grep -q '^<[0-7]>' <<<"$(ct_said "$cursor")"; then
	fail "a journal entry kept its <N> prefix"
fi

say "the watchdog pinged again"
watchdog_moved() { [ "$(ct_show WatchdogTimestampMonotonic)" != "$wd0" ]; }
wait_until 15 "WATCHDOG=1 (WatchdogTimestamp still $wd0)" watchdog_moved

say "systemctl stop $UNIT"
ct systemctl stop "$UNIT" || fail "systemctl stop failed"
# PID 1's own account, in order: READY=1 (with the first STATUS=) before
# start -> running, RELOADING=1 then READY=1 around a reload, STOPPING=1,
# exit status 0; and WATCHDOG=1 and a later STATUS= somewhere.
pid1_done() {
	pid1=$(ct_journal "$cursor" "._PID == \"1\" and .UNIT == \"$UNIT\"") &&
		grep -q "^$UNIT: Main process exited" <<<"$pid1"
}
wait_until 10 "PID 1's account of the exit in the journal" pid1_done
in_order() {
	local text=$1 at=0 n re
	shift
	for re in "$@"; do
		n=$(RE=$re awk -v at="$at" 'NR > at && $0 ~ ENVIRON["RE"] { print NR; exit }' <<<"$text")
		[ -n "$n" ] ||
			fail "PID 1 did not log /$re/ (after line $at of its messages about the unit):
$(grep -n -E 'Changed|notification|exited' <<<"$text" | head -n 40)"
		at=$n
	done
}
msg="$UNIT: Got notification message from PID $main_pid"
in_order "$pid1" \
	"^$msg \(READY=1, STATUS=Monitoring: RECEIVED=0 LOST=0\)$" \
	"^$UNIT: Changed start -> running$" \
	"^$UNIT: Changed running -> reload$" \
	"^$msg \(RELOADING=1, MONOTONIC_USEC=[0-9]+\)$" \
	"^$msg \(READY=1\)$" \
	"^$UNIT: Changed reload -> running$" \
	"^$UNIT: Changed running -> stop-sigterm$" \
	"^$msg \(STOPPING=1\)$" \
	"^$UNIT: Main process exited, code=exited, status=0/SUCCESS"
in_order "$pid1" "^$msg \(WATCHDOG=1\)$"
in_order "$pid1" "^$msg \(STATUS=Monitoring: RECEIVED=[1-9][0-9]* LOST=0\)$"
[ "$(ct_show ExecMainCode)/$(ct_show ExecMainStatus)" = 1/0 ] ||
	fail "did not exit with status 0: code $(ct_show ExecMainCode) status $(ct_show ExecMainStatus)"
[ "$(ct_show Result)" = success ] || fail "result '$(ct_show Result)'"
ct_wait_summary "$cursor"
journal=$CT_SAID
grep -q '^Connection Lifecycles:$' <<<"$journal" || fail "no report in the journal: $(head20 "$journal")"
grep -E -q "^Connection: 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:$PORT$" <<<"$journal" ||
	fail "the report has no client connection"
grep -E -q '^Summary: RECEIVED=[0-9]+ LOST=0$' <<<"$journal" ||
	fail "events lost: $(grep '^Summary:' <<<"$journal")"
if grep -q -i 'operation not permitted' <<<"$journal"; then
	fail "something was refused under the unit's sandbox: $(grep -i 'operation not permitted' <<<"$journal" | head -n 5)"
fi
say "passed"
