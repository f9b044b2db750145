#!/usr/bin/env bats
# Privilege (issue 10, items 2, 5, 6):
#   - a set-user-ID or set-group-ID copy refuses to run (77) before it opens
#     anything, so `-o` cannot append to a file its caller may not write;
#   - every face, once started, holds no capability at all (permitted,
#     effective, inheritable, ambient, bounding) and has no_new_privs set;
#   - every face runs as an unprivileged user with exactly the capabilities
#     the README documents for it, and attributes a real connection between
#     two network namespaces to the right process; with one of them less it
#     exits 77 and names the one missing.

# Each @test runs in a subshell (SC2030/SC2031); ts_start's arguments are optional (SC2119).
# shellcheck disable=SC2030,SC2031,SC2119
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"
# shellcheck source-path=SCRIPTDIR source=tcpsnoop.bash
source "$BATS_TEST_DIRNAME/tcpsnoop.bash"

setup() {
	ts_setup || return 1
	e2e_require_cmds setpriv findmnt || return 1
	NOBODY=$(id -u nobody) || { e2e_cannot_run "no user nobody"; return 1; }
	NOGROUP=$(id -g nobody)
}

teardown() {
	e2e_teardown
}

# Every set of a process that dropped everything, as /proc/PID/status shows it.
ZERO=0000000000000000

# The capability lines and NoNewPrivs of PID, one "Name: value" per line.
caps_of() {
	awk '/^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):/ { print $1, $2 }' "/proc/$1/status"
}

# What caps_of prints for a process left with bounding set BND and nothing else.
caps_dropped() {
	printf 'CapInh: %s\nCapPrm: %s\nCapEff: %s\nCapBnd: %s\nCapAmb: %s\nNoNewPrivs: 1' \
		"$ZERO" "$ZERO" "$ZERO" "$1" "$ZERO"
}

# The nice value of PID (field 19 of /proc/PID/stat; comm has no space here).
nice_of() {
	awk '{ print $19 }' "/proc/$1/stat"
}

# Write $T/as-nobody-CAPS, a script that runs its arguments as user nobody
# holding exactly the capabilities CAPS ("bpf,perfmon"), and print its path.
as_nobody() {
	local caps=$1 list="-all" c w
	for c in ${caps//,/ }; do
		list+=",+$c"
	done
	w=$T/as-nobody-${caps//,/-}
	printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups --inh-caps=%s --ambient-caps=%s --bounding-set=%s "$@"\n' \
		"$NOBODY" "$NOGROUP" "$list" "$list" "$list" >"$w"
	chmod 0755 "$w"
	printf '%s\n' "$w"
}

# Fail unless TEXT contains the fixed string WANT.  assert_contains_text TEXT WANT
assert_contains_text() {
	[[ $1 == *"$2"* ]] || e2e_fail "no '$2' in: $1"
}

# Copy the binary into a fresh root-owned directory of $T as FACE links, mode
# MODE (4755 or 2755), and print the directory.  A nosuid mount ignores the
# bits: then the test cannot run.
setid_copy() {
	local mode=$1 d=$T/setid-$1
	mkdir -m 0755 "$d" || return 1
	cp "$SNOOP" "$d/socket-snoop" || return 1
	chown root:root "$d/socket-snoop"
	chmod "$mode" "$d/socket-snoop"
	ln -s socket-snoop "$d/tcpsnoop"
	ln -s socket-snoop "$d/tcptop"
	if findmnt -n -o OPTIONS --target "$d" | tr ',' '\n' | grep -qx nosuid; then
		e2e_cannot_run "$d is on a nosuid mount"
		return 1
	fi
	printf '%s\n' "$d"
}

# Run FACE (path) with ARGs as nobody, expecting 77 and the refusal, and the
# root-only file SECRET unchanged.  refuse_setid SECRET FACE [ARG...]
refuse_setid() {
	local secret=$1 before
	shift
	before=$(sha256sum <"$secret")
	run setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups "$@"
	assert_eq "exit status of set-id $*" "$status" 77 || return 1
	[[ $output == *"${1##*/}: refusing to run set-user-ID or set-group-ID (real uid $NOBODY, effective uid "* ]] ||
		e2e_fail "no refusal from $*: $output" || return 1
	assert_eq "root-only file after set-id $*" "$(sha256sum <"$secret")" "$before"
	assert_eq "mode of the root-only file" "$(stat -c '%a %U' "$secret")" "600 root"
}

@test "a set-user-ID root copy run by nobody exits 77 and does not append to a root-only file" {
	local d
	d=$(setid_copy 4755) || return 1
	printf 'root only\n' >"$T/secret.log"
	chmod 0600 "$T/secret.log"
	# Nobody cannot write the file itself: only the copy's privilege could.
	run setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups sh -c "echo x >>'$T/secret.log'"
	[ "$status" -ne 0 ] || e2e_fail "nobody could write the root-only file directly"
	refuse_setid "$T/secret.log" "$d/socket-snoop" -o "$T/secret.log" --no-report -d 1
	refuse_setid "$T/secret.log" "$d/socket-snoop" --log-file="$T/secret.log" -d 1
	refuse_setid "$T/secret.log" "$d/tcpsnoop"
	refuse_setid "$T/secret.log" "$d/tcptop" -C 1 1
	assert_eq "root-only file" "$(cat "$T/secret.log")" "root only"
}

@test "a set-group-ID root copy run by nobody exits 77 too" {
	local d
	d=$(setid_copy 2755) || return 1
	printf 'root only\n' >"$T/secret.log"
	chmod 0600 "$T/secret.log"
	refuse_setid "$T/secret.log" "$d/socket-snoop" -o "$T/secret.log" -d 1
	refuse_setid "$T/secret.log" "$d/tcpsnoop"
	refuse_setid "$T/secret.log" "$d/tcptop" -C 1 1
}

@test "socket-snoop as root drops every capability once started, keeps nice -10 and still attributes" {
	snoop_start --no-log-file --no-report
	assert_eq "capabilities while running" "$(caps_of "$SNOOP_PID")" "$(caps_dropped "$ZERO")"
	assert_eq "reader's nice value" "$(nice_of "$SNOOP_PID")" -10
	conv a 4 8860
	await_closed a
	snoop_stop
	assert_conv a client server listener
	assert_eq "exit status" "$SNOOP_STATUS" 0
}

@test "tcpsnoop as root drops every capability once started and still shows owned rows" {
	ts_start
	assert_eq "capabilities while running" "$(caps_of "$SNOOP_PID")" "$(caps_dropped "$ZERO")"
	assert_eq "reader's nice value" "$(nice_of "$SNOOP_PID")" -10
	ts_conv a 4 8861
	ts_stop
	assert_conv_rows a 4
}

@test "tcptop as root drops every capability once started" {
	face_start "$TCPTOP" -C 1 3
	assert_eq "capabilities while running" "$(caps_of "$SNOOP_PID")" "$(caps_dropped "$ZERO")"
	assert_eq "reader's nice value" "$(nice_of "$SNOOP_PID")" -10
	wait_exit "$SNOOP_PID" 10 || e2e_fail "tcptop did not end after its count"
	SNOOP_PID=
	assert_eq "exit status" "$WAIT_STATUS" 0
}

@test "socket-snoop as nobody with only CAP_BPF and CAP_PERFMON attributes a connection" {
	local w real=$SNOOP
	w=$(as_nobody bpf,perfmon)
	# A listener of another network namespace, open at start: without
	# CAP_SYS_ADMIN the kernel's iterators cannot enter its namespace, and
	# without CAP_SYS_PTRACE its descriptors cannot be taken either.
	srv_start z 4 8863 --timeout 20
	# snoop_start runs $SNOOP: here the wrapper, which runs the real binary.
	SNOOP=$w
	snoop_start "$real" "${ISOLATE[@]}" --no-log-file --no-report
	SNOOP=$real
	# Without CAP_SETPCAP the bounding set cannot shrink; nothing else is left.
	assert_eq "capabilities while running" "$(caps_of "$SNOOP_PID")" \
		"$(caps_dropped 000000c000000000)"
	conv a 4 8862
	await_closed a
	snoop_stop
	assert_conv a client server listener
	assert_eq "exit status" "$SNOOP_STATUS" 0
	# That listener's connections are not attributed: said, not fatal.
	grep -q 'CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH needed' "$T/mon.err" ||
		e2e_fail "no warning about connections open at start: $(cat "$T/mon.err")"
	# Nor is DNS over TCP watched (its programs need CAP_NET_ADMIN): said too.
	assert_contains "$T/mon.err" \
		"host names are learnt from DNS over UDP only, not TCP: CAP_NET_ADMIN is not held"
}

@test "socket-snoop with CAP_BPF or CAP_PERFMON less exits 77 naming it" {
	local w
	w=$(as_nobody perfmon)
	run "$w" "$SNOOP" --no-log-file -d 1
	assert_eq "exit status without CAP_BPF" "$status" 77
	assert_contains_text "$output" "socket-snoop: not enough privilege (missing CAP_BPF): run as root, or grant CAP_BPF and CAP_PERFMON"
	w=$(as_nobody bpf)
	run "$w" "$SNOOP" --no-log-file -d 1
	assert_eq "exit status without CAP_PERFMON" "$status" 77
	assert_contains_text "$output" "socket-snoop: not enough privilege (missing CAP_PERFMON): run as root, or grant CAP_BPF and CAP_PERFMON"
	w=$(as_nobody net_admin)
	run "$w" "$SNOOP" --no-log-file -d 1
	assert_eq "exit status with neither" "$status" 77
	assert_contains_text "$output" "(missing CAP_BPF and CAP_PERFMON)"
}

@test "tcpsnoop as nobody with only CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN shows owned rows" {
	local w
	w=$(as_nobody bpf,perfmon,net_admin)
	face_start "$w" "$TCPSNOOP"
	assert_eq "header" "$(head -n 1 "$T/mon.out")" "$TS_HEADER"
	assert_eq "capabilities while running" "$(caps_of "$SNOOP_PID")" \
		"$(caps_dropped 000000c000001000)"
	ts_conv a 4 8863
	ts_stop
	assert_conv_rows a 4
}

@test "tcptop as nobody with only CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN counts an owned connection" {
	local w rows
	w=$(as_nobody bpf,perfmon,net_admin)
	face_start "$w" "$TCPTOP" -C 3 1
	assert_eq "capabilities while running" "$(caps_of "$SNOOP_PID")" \
		"$(caps_dropped 000000c000001000)"
	conv a 4 8864
	await_quiet "$NS_C" && await_quiet "$NS_S"
	wait_exit "$SNOOP_PID" 10 || e2e_fail "tcptop did not end after its count"
	SNOOP_PID=
	assert_eq "exit status" "$WAIT_STATUS" 0
	# PID LADDR LPORT RADDR RPORT SIZE NAME, after UID: both ends, each with its owner.
	rows=$(awk -v c="$V4_C" -v s="$V4_S" -v cp="${CPORT[a]}" \
		'$3 == c && $4 == cp && $5 == s && $6 == 8864 { print $2, $8 }
		 $3 == s && $4 == 8864 && $5 == c && $6 == cp { print $2, $8 }' "$T/mon.out" | sort -u)
	assert_eq "owners of both ends" "$rows" \
		"$(printf '%s snoop-cli\n%s snoop-srv\n' "${CPID[a]}" "${SPID[a]}" | sort -u)"
}

@test "tcpsnoop and tcptop with one of CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN less exit 77 naming it" {
	local face caps missing w
	local -a args
	for face in "$TCPSNOOP" "$TCPTOP"; do
		args=()
		[ "$face" = "$TCPTOP" ] && args=(1 1)
		for caps in perfmon,net_admin:CAP_BPF bpf,net_admin:CAP_PERFMON bpf,perfmon:CAP_NET_ADMIN; do
			missing=${caps#*:}
			w=$(as_nobody "${caps%:*}")
			run timeout 10 "$w" "$face" "${args[@]}"
			assert_eq "${face##*/} exit status without $missing" "$status" 77
			assert_contains_text "$output" "${face##*/}: not enough privilege (missing $missing): run as root, or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN"
		done
	done
}
