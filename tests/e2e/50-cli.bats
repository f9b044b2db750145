#!/usr/bin/env bats
# Command line: exit codes and their messages (DESIGN.md §3), --version, --help.
# Each @test runs in its own process: the E2E_PIDS it adds to are its own.
# shellcheck disable=SC2030,SC2031

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

# A bad option value: exit 64, nothing on stdout, no capture started, and the
# message on stderr names the option and the value.
# assert_usage_error OPTION VALUE ARG...
assert_usage_error() {
	local opt=$1 value=$2
	shift 2
	snoop_run "$SNOOP" --no-log-file --duration=1 "$@"
	assert_eq "exit status of '$*'" "$RUN_STATUS" 64
	[ ! -s "$T/run.out" ] || e2e_fail "stdout not empty:" "$(cat "$T/run.out")"
	grep -q '^Monitoring socket connections' "$T/run.err" && e2e_fail "capture started"
	grep -qF -e "$opt" "$T/run.err" || e2e_fail "stderr does not name $opt:" "$(cat "$T/run.err")"
	grep -qF -e "$value" "$T/run.err" || e2e_fail "stderr does not name '$value':" "$(cat "$T/run.err")"
}

@test "exit 64: --state=BOGUS names the option and the value" {
	assert_usage_error --state BOGUS --state=BOGUS
}

@test "exit 64: --laddr=10.0.0.0/33 names the option and the value" {
	assert_usage_error --laddr 10.0.0.0/33 --laddr=10.0.0.0/33
}

@test "exit 64: --lport=70000 names the option and the value" {
	assert_usage_error --lport 70000 --lport=70000
}

@test "exit 64: --pid=abc names the option and the value" {
	assert_usage_error --pid abc --pid=abc
}

@test "exit 64: --duration=-1 names the option and the value" {
	assert_usage_error --duration -1 --duration=-1
}

@test "exit 64: an unknown option is named" {
	assert_usage_error --bogus-option --bogus-option --bogus-option
}

@test "exit 77 without privilege (nobody), naming CAP_BPF" {
	cp "$SNOOP" "$T/socket-snoop"
	chmod 0755 "$T/socket-snoop"
	snoop_run setpriv --reuid=65534 --regid=65534 --clear-groups "$T/socket-snoop" --no-log-file --duration=1
	assert_eq "exit status" "$RUN_STATUS" 77
	grep -qF CAP_BPF "$T/run.err" || e2e_fail "stderr does not mention CAP_BPF:" "$(cat "$T/run.err")"
}

@test "exit 74 when an explicit --log-file cannot be opened, naming the path" {
	snoop_run "$SNOOP" --log-file=/nonexistent-dir/x.log --duration=1
	assert_eq "exit status" "$RUN_STATUS" 74
	grep -qF /nonexistent-dir/x.log "$T/run.err" || e2e_fail "stderr does not name the path:" "$(cat "$T/run.err")"
	grep -q '^Monitoring socket connections' "$T/run.err" && e2e_fail "capture started"
	[ ! -e /nonexistent-dir ]
}

@test "exit 69 without kernel BTF, naming BTF" {
	# In a private mount namespace, hide /sys/kernel/btf/vmlinux and every
	# other place libbpf looks for vmlinux BTF behind an empty file.
	# shellcheck disable=SC2016 # expanded by that sh
	local hide='
		r=$(uname -r)
		mount --bind /dev/null /sys/kernel/btf/vmlinux || exit 99
		for f in /boot/vmlinux-$r /lib/modules/$r/vmlinux-$r /lib/modules/$r/build/vmlinux \
			/usr/lib/modules/$r/kernel/vmlinux /usr/lib/debug/boot/vmlinux-$r \
			/usr/lib/debug/boot/vmlinux-$r.debug /usr/lib/debug/lib/modules/$r/vmlinux; do
			if [ -e "$f" ]; then mount --bind /dev/null "$f" || exit 99; fi
		done
		[ ! -s /sys/kernel/btf/vmlinux ] || exit 98
		exec "$@"'
	snoop_run unshare -m -- sh -c "$hide" sh "$SNOOP" --no-log-file --duration=1
	[ "$RUN_STATUS" -lt 98 ] || e2e_fail "could not hide the kernel BTF (status $RUN_STATUS)"
	assert_eq "exit status" "$RUN_STATUS" 69
	grep -qF BTF "$T/run.err" || e2e_fail "stderr does not name BTF:" "$(cat "$T/run.err")"
}

@test "--version (and -V) print the version and the libbpf version, exit 0" {
	local version
	version=$(cat "$E2E_ROOT/VERSION")
	snoop_run "$SNOOP" --version
	assert_eq "exit status" "$RUN_STATUS" 0
	grep -qF -e "$version" "$T/run.out" || e2e_fail "no version $version:" "$(cat "$T/run.out")"
	grep -qiE 'libbpf[^0-9]*[0-9]+\.[0-9]+' "$T/run.out" || e2e_fail "no libbpf version:" "$(cat "$T/run.out")"
	cp "$T/run.out" "$T/version.out"
	snoop_run "$SNOOP" -V
	assert_eq "exit status of -V" "$RUN_STATUS" 0
	diff "$T/version.out" "$T/run.out" || e2e_fail "-V and --version differ"
}

@test "--version -v also lists the attach methods; tp_btf and raw_tp work on this kernel" {
	snoop_run "$SNOOP" --version
	cp "$T/run.out" "$T/version.out"
	snoop_run "$SNOOP" --version -v
	assert_eq "exit status" "$RUN_STATUS" 0
	[ "$(wc -l <"$T/run.out")" -gt "$(wc -l <"$T/version.out")" ] ||
		e2e_fail "--version -v says no more than --version:" "$(cat "$T/run.out")"
	# PLATFORM.md: both program types load and attach here.
	local m line
	for m in tp_btf raw_tp; do
		line=$(grep -F -e "$m" "$T/run.out" | head -n 1)
		[ -n "$line" ] || e2e_fail "--version -v does not mention $m:" "$(cat "$T/run.out")"
		if grep -qiwE 'no|unsupported|unavailable' <<<"$line"; then
			e2e_fail "--version -v reports $m as unsupported: '$line'"
		fi
	done
	# The start-up snapshot's iterators load here too, and are named as iterators.
	for m in task_file tcp; do
		grep -qxF "iterator iter/$m: yes" "$T/run.out" ||
			e2e_fail "--version -v does not say iterator iter/$m works:" "$(cat "$T/run.out")"
	done
}

@test "--help exits 0 and lists every option of DESIGN.md §3" {
	snoop_run "$SNOOP" --help
	assert_eq "exit status" "$RUN_STATUS" 0
	local pair short long missing=()
	for pair in j:json o:log-file q:quiet e:events p:pid n:comm u:uid L:lport D:rport \
		4:ipv4 6:ipv6 s:state c:cgroup N:netns d:duration v:verbose V:version h:help; do
		short=${pair%%:*}
		long=${pair#*:}
		grep -qE -- "(^|[ ,])-${short}[ ,=].*(^|[ ,])--${long}([ =[,]|\$)" "$T/run.out" ||
			missing+=("-$short/--$long")
	done
	for long in no-log-file no-report laddr raddr all-addresses src-ip dst-ip src-port \
		dst-port active-only; do
		grep -qE -- "(^|[ ,])--${long}([ =[,]|\$)" "$T/run.out" || missing+=("--$long")
	done
	[ ${#missing[@]} -eq 0 ] || e2e_fail "--help does not list: ${missing[*]}"
}

@test "README's Options section is --help, word for word" {
	snoop_run "$SNOOP" --help
	assert_eq "exit status" "$RUN_STATUS" 0
	# The block that follows the line ending "This is" and the `socket-snoop --help`: line.
	awk '/^`socket-snoop --help`:$/ { want = 1; next }
		want && /^```$/ { if (inside) exit; inside = 1; next }
		inside { print }' "$BATS_TEST_DIRNAME/../../README.md" >"$T/readme-help"
	[ -s "$T/readme-help" ] || e2e_fail "no --help block found in README.md"
	diff -u "$T/readme-help" "$T/run.out" >&2 || e2e_fail "README.md's --help block differs from --help (above)"
}

@test "without CAP_SYS_PTRACE a listener opened before start by another user is still attributed: the kernel walks the descriptors" {
	# A listener owned by nobody, opened before the monitor starts: root without
	# CAP_SYS_PTRACE may not take its descriptors (pidfd_getfd), the kernel's
	# iterators need not.  Its connection accepted after start is its own.
	setpriv --reuid=65534 --regid=65534 --clear-groups "$PEER" server -4 127.0.0.1 18871 \
		--accept 1 --timeout 20 >"$T/nobody.peer" 2>&1 &
	local peer_pid=$! real=$SNOOP w=$T/no-ptrace cport lines
	E2E_PIDS+=("$peer_pid")
	wait_line "$T/nobody.peer" 10 READY || e2e_fail "the nobody-owned listener did not start"
	cat >"$w" <<-'EOS'
		#!/bin/sh
		exec capsh --drop=cap_sys_ptrace,cap_dac_read_search,cap_dac_override -- -c 'exec "$0" "$@"' "$@"
	EOS
	chmod 0755 "$w"
	# snoop_start runs $SNOOP: here the wrapper, which runs the real binary.
	SNOOP=$w snoop_start "$real" -v --no-log-file --no-report --lport=18871
	"$PEER" client 127.0.0.1 18871 >"$T/cli.peer" 2>&1 || e2e_fail "client failed: $(cat "$T/cli.peer")"
	wait "$peer_pid" 2>/dev/null || true
	settle
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	grep -qE "^[0-9]+ TCP sockets were open at start \(found by the kernel's iterators, " "$T/mon.err" ||
		e2e_fail "no start-up line naming the iterators:" "$(cat "$T/mon.err")"
	cport=$(awk '$1 == "CONNECTED" { print $3 }' "$T/cli.peer")
	[ -n "$cport" ] || e2e_fail "no client port: $(cat "$T/cli.peer")"
	lines=$(grep -F " SRC=127.0.0.1:18871 DST=127.0.0.1:$cport " "$T/mon.out")
	[ "$(grep -c . <<<"$lines")" -ge 4 ] || e2e_fail "too few lines of the accepted connection:" "$lines"
	if grep -vqF " PID=$peer_pid COMM=peer " <<<"$lines"; then
		e2e_fail "a line of the accepted connection is not the listener owner's ($peer_pid):" "$lines"
	fi
}

@test "-v ends with the gap cross-check just before the summary; without -v there is none" {
	snoop_run "$SNOOP" -v --no-log-file --no-report --duration=1 --lport=1
	assert_eq "exit status" "$RUN_STATUS" 0
	assert_eq "next-to-last stderr line" "$(tail -n 2 "$T/run.err" | head -n 1)" "Gaps seen in connections: 0"
	snoop_run "$SNOOP" --no-log-file --no-report --duration=1 --lport=1
	assert_eq "exit status" "$RUN_STATUS" 0
	if grep -q "Gaps seen" "$T/run.err"; then
		e2e_fail "gap line without -v:" "$(cat "$T/run.err")"
	fi
}

@test "exit 64: --cgroup= (empty) is not the root cgroup" {
	assert_usage_error --cgroup "''" --cgroup=
}

@test "exit 64: a 100 kB --pid value is cut after the option is named" {
	local big
	big=$(printf '7%.0s' {1..100000})
	assert_usage_error --pid "'${big:0:64}...'" --pid="$big"
	[ "$(wc -c <"$T/run.err")" -lt 1000 ] || e2e_fail "message of $(wc -c <"$T/run.err") bytes"
}

@test "exit 64: single-value options given twice, --log-file with --no-log-file" {
	assert_usage_error --attach "given twice" --attach=tp_btf --attach=raw_tp
	assert_usage_error --duration "given twice" --duration=2
	snoop_run "$SNOOP" --log-file="$T/a.log" --no-log-file --duration=1
	assert_eq "exit status" "$RUN_STATUS" 64
	grep -qF -e "--log-file and --no-log-file exclude each other" "$T/run.err" ||
		e2e_fail "stderr:" "$(cat "$T/run.err")"
	[ ! -e "$T/a.log" ] || e2e_fail "the log file was created"
}

@test "tcpsnoop --help and tcptop --help: usage, exit 0; --version names both" {
	local face
	for face in tcpsnoop tcptop; do
		ln -sf "$SNOOP" "$T/$face"
		snoop_run "$T/$face" --help
		assert_eq "$face --help exit status" "$RUN_STATUS" 0
		grep -q "^USAGE: $face " "$T/run.err" || e2e_fail "$face --help:" "$(cat "$T/run.err")"
		grep -qF "unknown option" "$T/run.err" && e2e_fail "$face --help:" "$(cat "$T/run.err")"
		snoop_run "$T/$face" --version
		assert_eq "$face --version exit status" "$RUN_STATUS" 0
		grep -qE "^$face \(socket-snoop [0-9.]+, libbpf v?[0-9.]+\)$" "$T/run.out" ||
			e2e_fail "$face --version:" "$(cat "$T/run.out")"
		snoop_run "$T/$face" --bogus
		assert_eq "$face --bogus exit status" "$RUN_STATUS" 64
		grep -qF "$face: unknown option '--bogus'" "$T/run.err" || e2e_fail "$face --bogus:" "$(cat "$T/run.err")"
	done
}

# The signal mask of process PID in hex (SigBlk of /proc/PID/status), read with builtins only.
sig_blocked() {
	local k v
	while read -r k v; do
		[ "$k" = SigBlk: ] && { printf '%s' "$v"; return 0; }
	done <"/proc/$1/status"
	return 1
}

@test "a SIGHUP while it starts does not kill it: taken by the loop, then SIGINT stops it with status 0" {
	local i pid mask
	for i in 1 2 3; do
		rm -f "$T/hup.err"
		"$SNOOP" --no-log-file --duration=5 >"$T/hup.out" 2>"$T/hup.err" </dev/null &
		pid=$!
		# Once the program holds SIGHUP (bit 0 of the mask), and while it still starts.
		mask=0
		while pid_running "$pid"; do
			mask=$(sig_blocked "$pid" 2>/dev/null) || mask=0
			((0x${mask:-0} & 1)) && break
		done
		kill -HUP "$pid"
		grep -q '^Monitoring socket connections' "$T/hup.err" &&
			e2e_fail "run $i: SIGHUP came only after start-up (mask $mask)"
		wait_line "$T/hup.err" "$START_TIMEOUT" 'Monitoring socket connections' >/dev/null ||
			{ wait "$pid"; e2e_fail "run $i: did not start after SIGHUP (status $?):" "$(cat "$T/hup.err")"; }
		kill -INT "$pid"
		wait_exit "$pid" "$STOP_TIMEOUT" || e2e_fail "run $i did not stop"
		assert_eq "run $i exit status" "$WAIT_STATUS" 0
	done
}

@test "-j: every diagnostic line is one JSON object, a hostile 700-byte path and libbpf's own messages (-v -v) too" {
	# 700 bytes a terminal or a parser would trip on: quotes, controls, ESC, C1, invalid UTF-8.
	local seg=$'a"\\\x1b[31m\x01\xc2\x9b\xff\n' path
	path=$T/$(printf '%s' "$(for _ in $(seq 70); do printf '%s' "$seg"; done)" | head -c 700)
	snoop_run "$SNOOP" -j --log-file="$path/x.log" --duration=1
	assert_eq "exit status" "$RUN_STATUS" 74
	json_check_file "$T/run.err" || e2e_fail "stderr is not JSON Lines:" "$(cat -v "$T/run.err")"
	assert_eq "error lines" "$(grep -c . "$T/run.err")" 1
	jq -e '.message | contains("cannot open log file")' "$T/run.err" >/dev/null ||
		e2e_fail "message:" "$(cat -v "$T/run.err")"

	snoop_run "$SNOOP" -j -v -v --no-log-file -q --duration=1
	assert_eq "exit status of -j -v -v" "$RUN_STATUS" 0
	json_check_file "$T/run.err" || e2e_fail "stderr of -j -v -v is not JSON Lines"
	local n
	n=$(jq -r 'select(.message | startswith("libbpf: ")) | .log.level' "$T/run.err" | sort -u | tr '\n' ' ')
	assert_eq "levels of libbpf's messages" "$n" "debug "
}

@test "text diagnostics: a hostile path cannot put control bytes on the terminal" {
	local path=$T/$'x\n\x1b]0;pwned\x07\xc2\x9b'
	snoop_run "$SNOOP" --log-file="$path/x.log" --duration=1
	assert_eq "exit status" "$RUN_STATUS" 74
	assert_eq "stderr lines" "$(grep -c . "$T/run.err")" 1
	if LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f-\xff]' "$T/run.err"; then
		e2e_fail "raw bytes on stderr:" "$(cat -v "$T/run.err")"
	fi
	grep -qF 'x\x0a\x1b]0;pwned\x07\xc2\x9b/x.log' "$T/run.err" || e2e_fail "stderr:" "$(cat -v "$T/run.err")"
}

@test "exit 64: bad --log-max-size, --log-max-files, --host-name, --heartbeat and --check-heartbeat values are named" {
	local v
	for v in 1K 4095 2T abc 4KB; do
		assert_usage_error --log-max-size "'$v'" "--log-max-size=$v"
	done
	assert_usage_error --log-max-size "''" --log-max-size=
	for v in 0 1001 x -1; do
		assert_usage_error --log-max-files "'$v'" --log-max-size=64K "--log-max-files=$v"
	done
	assert_usage_error --host-name "''" --host-name=
	v=$(printf 'h%.0s' {1..254})
	assert_usage_error --host-name "'${v:0:64}...'" -j "--host-name=$v"
	assert_usage_error --heartbeat "''" --heartbeat=
	assert_usage_error --check-heartbeat "''" --check-heartbeat=
}

@test "exit 64: --log-max-files without --log-max-size, --log-max-size with --no-log-file, the new options given twice" {
	snoop_run "$SNOOP" "--log-file=$T/a.log" --log-max-files=3 --duration=1
	assert_eq "exit status" "$RUN_STATUS" 64
	grep -qF -e "option --log-max-files needs --log-max-size" "$T/run.err" || e2e_fail "stderr:" "$(cat "$T/run.err")"
	[ ! -e "$T/a.log" ] || e2e_fail "the log file was created"
	# (assert_usage_error gives --no-log-file.)
	assert_usage_error "--log-max-size and --no-log-file exclude each other" "" --log-max-size=64K
	assert_usage_error --log-max-size "given twice" --log-max-size=64K --log-max-size=1M
	assert_usage_error --host-name "given twice" --host-name=a --host-name=b
	assert_usage_error --heartbeat "given twice" "--heartbeat=$T/a" "--heartbeat=$T/b"
	assert_usage_error --check-heartbeat "given twice" "--check-heartbeat=$T/a" "--check-heartbeat=$T/b"
	[ ! -e "$T/a" ] && [ ! -e "$T/b" ] || e2e_fail "a heartbeat file was created"
}

# --check-heartbeat=PATH as root: status in RUN_STATUS, stderr in $T/run.err.
check_hb() {
	snoop_run "$SNOOP" "--check-heartbeat=$1"
}

# Assert the last check failed with 1, naming PATH (and WHAT, when given, on stderr).
assert_check_failed() {
	assert_eq "exit status of the check of $1" "$RUN_STATUS" 1
	grep -qF -e "$1" "$T/run.err" || e2e_fail "stderr does not name $1:" "$(cat "$T/run.err")"
	[ -z "${2:-}" ] || grep -qF -e "$2" "$T/run.err" || e2e_fail "stderr does not say '$2':" "$(cat "$T/run.err")"
	[ ! -s "$T/run.out" ] || e2e_fail "stdout:" "$(cat "$T/run.out")"
}

@test "--heartbeat: the running monitor touches the file every second; --check-heartbeat exits 0 then, 1 naming the path once it is over 10 s old, in the future, or missing" {
	local hb=$T/hb i age=99
	snoop_start --no-log-file --no-report --lport=1 "--heartbeat=$hb"
	[ -f "$hb" ] || e2e_fail "no heartbeat file once monitoring"
	# Made old while the monitor runs: a tick touches it again.
	touch -d '-30 seconds' "$hb"
	for ((i = 0; i < 50; i++)); do
		age=$(($(date +%s) - $(stat -c %Y "$hb")))
		[ "$age" -le 1 ] && break
		sleep 0.1
	done
	[ "$age" -le 1 ] || e2e_fail "the heartbeat file was not touched within 5 s (age $age s)"
	check_hb "$hb"
	assert_eq "exit status of the check while running" "$RUN_STATUS" 0
	[ ! -s "$T/run.out" ] && [ ! -s "$T/run.err" ] || e2e_fail "the check said something:" "$(cat "$T/run.out" "$T/run.err")"
	# Still touched, a few ticks later.
	touch -d '-30 seconds' "$hb"
	sleep 2.5
	check_hb "$hb"
	assert_eq "exit status of the check 2.5 s after it was made old" "$RUN_STATUS" 0
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	if grep -qF "$hb" "$T/mon.err"; then
		e2e_fail "a warning about the heartbeat:" "$(cat "$T/mon.err")"
	fi

	# Nobody touches it now.
	touch -d '-30 seconds' "$hb"
	check_hb "$hb"
	assert_check_failed "$hb" seconds
	touch -d '-11 seconds' "$hb"
	check_hb "$hb"
	assert_check_failed "$hb"
	touch -d '-8 seconds' "$hb"
	check_hb "$hb"
	assert_eq "exit status of the check of an 8 s old file" "$RUN_STATUS" 0
	touch -d '+60 seconds' "$hb"
	check_hb "$hb"
	assert_check_failed "$hb"
	check_hb "$T/missing"
	assert_check_failed "$T/missing" "No such file or directory"
}

@test "--check-heartbeat needs no privilege: as nobody, 0 on a running monitor's heartbeat file, 1 on a stale one" {
	local hb=$T/hb
	cp "$SNOOP" "$T/socket-snoop"
	chmod 0755 "$T/socket-snoop"
	snoop_start --no-log-file --no-report --lport=1 "--heartbeat=$hb"
	# The monitor's file (root's, 0640): looking at it needs no more than the directory.
	snoop_run setpriv --reuid=65534 --regid=65534 --clear-groups "$T/socket-snoop" "--check-heartbeat=$hb"
	assert_eq "exit status as nobody" "$RUN_STATUS" 0
	snoop_stop
	touch -d '-30 seconds' "$hb"
	snoop_run setpriv --reuid=65534 --regid=65534 --clear-groups "$T/socket-snoop" "--check-heartbeat=$hb"
	assert_check_failed "$hb"
	if grep -qF CAP_BPF "$T/run.err"; then
		e2e_fail "the check asked for privilege:" "$(cat "$T/run.err")"
	fi
	# A readable file of nobody's own, fresh.
	touch "$T/hb2"
	chmod 0644 "$T/hb2"
	snoop_run setpriv --reuid=65534 --regid=65534 --clear-groups "$T/socket-snoop" "--check-heartbeat=$T/hb2"
	assert_eq "exit status as nobody on a fresh file" "$RUN_STATUS" 0
}

@test "exit 74 when the --heartbeat file cannot be opened, naming it" {
	snoop_run "$SNOOP" --no-log-file --duration=1 --heartbeat=/nonexistent-dir/hb
	assert_eq "exit status" "$RUN_STATUS" 74
	grep -qF /nonexistent-dir/hb "$T/run.err" || e2e_fail "stderr does not name the path:" "$(cat "$T/run.err")"
	if grep -q '^Monitoring socket connections' "$T/run.err"; then
		e2e_fail "capture started"
	fi
}

# Build $T/notify-recv: bound at PATH (or @NAME, abstract), it prints each
# datagram it gets as one line, newlines inside shown as '|', until killed.
notify_recv_build() {
	cat >"$T/notify-recv.c" <<'EOC'
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = strlen(argv[argc - 1]);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[4096];
	ssize_t n;

	memcpy(a.sun_path, argv[argc - 1], len);
	if (a.sun_path[0] == '@')
		a.sun_path[0] = '\0';
	else
		len++;
	if (bind(fd, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + len)) {
		perror("bind");
		return 1;
	}
	printf("BOUND\n");
	fflush(stdout);
	while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		for (ssize_t i = 0; i < n; i++)
			putchar(buf[i] == '\n' ? '|' : buf[i]);
		putchar('\n');
		fflush(stdout);
	}
	return 0;
}
EOC
	cc -O2 -Wall -Werror -o "$T/notify-recv" "$T/notify-recv.c"
}

# Start the receiver at NAME in the background (its pid in NOTIFY_RECV_PID, for
# the test to put in E2E_PIDS); wait until it is bound.  Its output in $T/notify.out.
notify_recv_start() {
	"$T/notify-recv" "$1" >"$T/notify.out" 2>&1 </dev/null 3>&- &
	NOTIFY_RECV_PID=$!
	wait_line "$T/notify.out" "$LINE_TIMEOUT" BOUND || { e2e_fail "the receiver did not start:" "$(cat "$T/notify.out")"; return 1; }
}

@test "NOTIFY_SOCKET: READY=1 with STATUS= once monitoring, STATUS= as counts change, WATCHDOG=1 each tick, RELOADING=1 and READY=1 around SIGHUP, STOPPING=1 last" {
	local n mono now i up
	notify_recv_build || e2e_fail "cannot build the receiver"
	notify_recv_start "$T/notify"
	E2E_PIDS+=("$NOTIFY_RECV_PID")
	NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=1000000 snoop_start --no-log-file --no-report --lport=18873
	assert_eq "first datagram" "$(sed -n 2p "$T/notify.out")" "READY=1|STATUS=Monitoring: RECEIVED=0 LOST=0"
	# Half a second asked: one each tick.
	wait_count "$T/notify.out" 4 2 "WATCHDOG=1" || e2e_fail "fewer than 2 WATCHDOG=1 in 4 s:" "$(cat "$T/notify.out")"
	# A connection: events received, said in the next STATUS=.
	"$PEER" server -4 127.0.0.1 18873 --accept 1 --timeout 10 >"$T/srv.peer" 2>&1 &
	E2E_PIDS+=("$!")
	wait_line "$T/srv.peer" "$LINE_TIMEOUT" READY || e2e_fail "server did not start"
	"$PEER" client 127.0.0.1 18873 >"$T/cli.peer" 2>&1 || e2e_fail "client failed: $(cat "$T/cli.peer")"
	for ((i = 0; i < 50; i++)); do
		grep -qE '^STATUS=Monitoring: RECEIVED=[1-9][0-9]* LOST=0$' "$T/notify.out" && break
		sleep 0.1
	done
	grep -qE '^STATUS=Monitoring: RECEIVED=[1-9][0-9]* LOST=0$' "$T/notify.out" ||
		e2e_fail "no STATUS= with events received within 5 s:" "$(cat "$T/notify.out")"
	# Said when the counts change, not every tick.
	sleep 2
	assert_eq "STATUS= datagrams with events received" \
		"$(grep -cE '^STATUS=Monitoring: RECEIVED=[1-9][0-9]* LOST=0$' "$T/notify.out")" 1
	# A reload: RELOADING=1 with the monotonic clock, then READY=1 again.
	n=$(grep -c . "$T/notify.out")
	kill -HUP "$SNOOP_PID"
	wait_line "$T/notify.out" 5 "RELOADING=1|MONOTONIC_USEC=" || e2e_fail "no RELOADING=1:" "$(cat "$T/notify.out")"
	wait_count "$T/notify.out" 5 2 "READY=1" || e2e_fail "no READY=1 after the reload:" "$(cat "$T/notify.out")"
	tail -n +$((n + 1)) "$T/notify.out" | grep -v '^WATCHDOG=1$' | grep -v '^STATUS=' >"$T/reload"
	assert_eq "datagrams of the reload" "$(sed 's/MONOTONIC_USEC=[0-9]*$/MONOTONIC_USEC=N/' "$T/reload")" \
		"$(printf '%s\n' 'RELOADING=1|MONOTONIC_USEC=N' 'READY=1')"
	mono=$(sed -n 's/^RELOADING=1|MONOTONIC_USEC=\([0-9]*\)$/\1/p' "$T/reload")
	read -r up _ </proc/uptime
	now=$((${up%.*} * 1000000 + 10#${up#*.} * 10000))
	# CLOCK_MONOTONIC, in microseconds: about the uptime here (no suspend in a VM).
	[ $((now - mono)) -ge -2000000 ] && [ $((now - mono)) -le 10000000 ] ||
		e2e_fail "MONOTONIC_USEC=$mono, uptime $now us"
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_eq "last datagram" "$(tail -n 1 "$T/notify.out")" "STOPPING=1"
	assert_eq "STOPPING=1 datagrams" "$(grep -c '^STOPPING=1$' "$T/notify.out")" 1
	if grep -qF NOTIFY_SOCKET "$T/mon.err"; then
		e2e_fail "a warning:" "$(cat "$T/mon.err")"
	fi
}

@test "NOTIFY_SOCKET: an abstract @name works; a relative path is warned of and the monitor runs unannounced; no WATCHDOG=1 for another pid" {
	local name=@socket-snoop-e2e-$$
	notify_recv_build || e2e_fail "cannot build the receiver"
	notify_recv_start "$name"
	E2E_PIDS+=("$NOTIFY_RECV_PID")
	NOTIFY_SOCKET=$name WATCHDOG_USEC=1000000 WATCHDOG_PID=1 snoop_start --no-log-file --no-report --lport=1
	wait_line "$T/notify.out" 5 "READY=1|STATUS=Monitoring: RECEIVED=0 LOST=0" ||
		e2e_fail "nothing at the abstract name:" "$(cat "$T/notify.out")"
	sleep 2.5
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	if grep -q WATCHDOG "$T/notify.out"; then
		e2e_fail "WATCHDOG=1 although WATCHDOG_PID is another process's:" "$(cat "$T/notify.out")"
	fi
	assert_eq "last datagram" "$(tail -n 1 "$T/notify.out")" "STOPPING=1"

	NOTIFY_SOCKET=run/notify snoop_start --no-log-file --no-report --lport=1
	snoop_stop
	assert_eq "exit status with a relative NOTIFY_SOCKET" "$SNOOP_STATUS" 0
	grep -qE '^socket-snoop: cannot notify the service manager through NOTIFY_SOCKET: ' "$T/mon.err" ||
		e2e_fail "no warning:" "$(cat "$T/mon.err")"
}

# The device and inode of FILE as systemd puts them in $JOURNAL_STREAM.
stream_of() {
	stat -c '%d:%i' "$1"
}

@test "JOURNAL_STREAM naming stderr: every diagnostic line starts with its syslog priority, text and JSON; naming another file: none" {
	local err=$T/j.err line
	: >"$err"
	# Info lines and a warning (a NOTIFY_SOCKET that cannot be used).
	# shellcheck disable=SC2094 # stderr's own device and inode, as systemd gives them
	JOURNAL_STREAM=$(stream_of "$err") NOTIFY_SOCKET=relative timeout 20 "$SNOOP" --no-log-file --no-report \
		--duration=1 --lport=1 >/dev/null 2>>"$err" </dev/null 3>&- || e2e_fail "run failed:" "$(cat "$err")"
	grep -qxF '<6>Monitoring socket connections. No log file.' "$err" || e2e_fail "banner:" "$(cat "$err")"
	grep -qE '^<4>socket-snoop: cannot notify the service manager' "$err" || e2e_fail "warning:" "$(cat "$err")"
	grep -qE '^<6>Summary: RECEIVED=' "$err" || e2e_fail "summary:" "$(cat "$err")"
	if grep -vqE '^<[3467]>' "$err"; then
		e2e_fail "lines without a priority:" "$(grep -vE '^<[3467]>' "$err")"
	fi
	# An error.
	: >"$err"
	# shellcheck disable=SC2094 # stderr's own device and inode, as systemd gives them
	if JOURNAL_STREAM=$(stream_of "$err") timeout 20 "$SNOOP" --log-file=/nonexistent-dir/x.log \
		--duration=1 >/dev/null 2>>"$err" </dev/null 3>&-; then
		e2e_fail "ran with a log file it cannot open"
	fi
	assert_eq "error line" "$(cat "$err")" "<3>socket-snoop: cannot open log file /nonexistent-dir/x.log: No such file or directory"
	# JSON: the priority, then the whole object.
	: >"$err"
	# shellcheck disable=SC2094 # stderr's own device and inode, as systemd gives them
	JOURNAL_STREAM=$(stream_of "$err") NOTIFY_SOCKET=relative timeout 20 "$SNOOP" -j --no-log-file --no-report \
		--duration=1 --lport=1 >/dev/null 2>>"$err" </dev/null 3>&- || e2e_fail "JSON run failed:" "$(cat "$err")"
	while IFS= read -r line; do
		[[ $line =~ ^\<([3467])\>(\{.*)$ ]] || e2e_fail "JSON line without a priority: $line"
		jq -e --arg p "${BASH_REMATCH[1]}" '.log.level == ({"3": "error", "4": "warning", "6": "info", "7": "debug"}[$p])' \
			<<<"${BASH_REMATCH[2]}" >/dev/null || e2e_fail "priority and level disagree: $line"
	done <"$err"
	grep -q '^<4>{' "$err" || e2e_fail "no warning object:" "$(cat "$err")"
	# Naming another file (stderr redirected since), or malformed: no priority.
	: >"$T/other"
	for v in "$(stream_of "$T/other")" "" "1" "$(stream_of "$err")x" "a:b"; do
		: >"$err"
		JOURNAL_STREAM=$v timeout 20 "$SNOOP" --no-log-file --no-report --duration=1 --lport=1 \
			>/dev/null 2>>"$err" </dev/null 3>&- || e2e_fail "run failed:" "$(cat "$err")"
		assert_eq "first line with JOURNAL_STREAM='$v'" "$(head -n 1 "$err")" "Monitoring socket connections. No log file."
	done
}

@test "JOURNAL_STREAM naming stderr: a usage error's lines have a priority too" {
	local err=$T/j.err
	: >"$err"
	# shellcheck disable=SC2094 # stderr's own device and inode, as systemd gives them
	if JOURNAL_STREAM=$(stream_of "$err") timeout 20 "$SNOOP" --no-log-file --lport=70000 \
		>/dev/null 2>>"$err" </dev/null 3>&-; then
		e2e_fail "ran with --lport=70000"
	fi
	grep -qE "^<3>socket-snoop: invalid value '70000' for --lport" "$err" || e2e_fail "error line:" "$(cat "$err")"
	if grep -vqE '^<[3467]>' "$err"; then
		e2e_fail "lines without a priority:" "$(grep -vE '^<[3467]>' "$err")"
	fi
}
