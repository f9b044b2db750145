# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lib.sh - sourced by every deployment test (tests/deploy/NN-*.sh) and by the
# helpers of one kind of container, rootfs.sh (systemd-nspawn: 20, 25) and
# podman.sh (podman: 30, 40): what a test needs whatever it runs in.
#
#   say TEXT...        TEXT on stderr after the test's name (DEPLOY_TEST)
#   fail TEXT...       "NAME: FAIL: TEXT" on stderr, then each command of
#                      FAIL_DIAG (what helps to see why; rootfs.sh adds
#                      ct_diag), then exit 1
#   need_root          fail unless run as root
#   need CMD...        fail naming a CMD that is missing
#   need_btf           fail unless the kernel has BTF (socket-snoop needs it)
#   poll SECS CMD...   run CMD every 0.1 s until it succeeds (status 0), or
#                      until SECS seconds have passed (status 1)
#   wait_until SECS WHAT CMD...
#                      poll, and fail "waited SECS s for WHAT" when it timed out
#   file_has FILE RE   FILE holds a line matching RE (false while it is missing)
#   run_logged LOG WHAT CMD...
#                      CMD with its output to LOG; when it fails, LOG on
#                      stderr and fail "WHAT failed"
#   at_exit FUNC       run FUNC at exit, after SIGINT and SIGTERM too; the
#                      last registered first, each whatever the others did
#   test_tmp           T: a directory of the test's own, removed at exit
#   peer_build NAME    the test peer (tests/e2e/peer.c) in $T as NAME-srv and
#                      NAME-cli: processes whose PID and command a test knows
#   peer_connect TAG   one loopback connection on the host, from NAME-cli to a
#                      NAME-srv of its own: CLI_PID and PORT (the server's);
#                      both peers end by themselves and are killed at exit;
#                      with PEER_CGROUP (a cgroup v2 directory) the client
#                      runs in that cgroup
#   free_port FROM     FREE_PORT: the first TCP port from FROM on (100 tried)
#                      that no socket of this network namespace has bound but
#                      in TIME-WAIT (socket-snoop binds with SO_REUSEADDR): for
#                      a --metrics address on the host's loopback, where the
#                      default, 9580, may be taken (a socket-snoop service)
#
# Why three files and not one: each helper file holds what one kind of
# container needs (20 and 25 never run podman, 30 and 40 never boot a root
# file system), and neither depends on the other.  A test sources the one of
# its kind, which sources lib.sh (once: a second time does nothing), or
# lib.sh alone.

[ -z "${DEPLOY_LIB:-}" ] || return 0
DEPLOY_LIB=1

DEPLOY_TEST=${0##*/}
DEPLOY_TEST=${DEPLOY_TEST%.sh}
DEPLOY_ROOT=${DEPLOY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DEPLOY_CACHE=${DEPLOY_CACHE:-/var/cache/socket-snoop}
FAIL_DIAG=()
AT_EXIT=()
T=''

say() { echo "$DEPLOY_TEST: $*" >&2; }

fail() {
	local d
	echo "$DEPLOY_TEST: FAIL: $*" >&2
	for d in "${FAIL_DIAG[@]}"; do
		"$d" || true
	done
	exit 1
}

need_root() { [ "$(id -u)" -eq 0 ] || fail "needs root"; }

need() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || fail "$cmd is missing (sudo make deps installs it)"
	done
}

need_btf() {
	[ -r /sys/kernel/btf/vmlinux ] || fail "the kernel has no BTF (/sys/kernel/btf/vmlinux): socket-snoop cannot run here"
}

poll() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

wait_until() {
	local secs=$1 what=$2
	shift 2
	poll "$secs" "$@" || fail "waited $secs s for $what"
}

file_has() { grep -E -q -- "$2" "$1" 2>/dev/null; }

run_logged() {
	local log=$1 what=$2
	shift 2
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		fail "$what failed"
	fi
}

at_exit() { AT_EXIT=("$1" "${AT_EXIT[@]}"); }
run_at_exit() {
	local f
	for f in "${AT_EXIT[@]}"; do
		"$f" || true
	done
	AT_EXIT=()
}
trap run_at_exit EXIT
trap 'exit 130' INT TERM

# This kernel (a Firecracker build) runs no BPF program while a thread of
# PID 1, the VM's init, is current (see e2e_trace_start in
# tests/e2e/lib.bash): a TCP transition a softirq makes then is lost to
# every BPF program, and where the monitor runs in a PID namespace of its
# own it cannot count them (HIDDEN=).  The kernel's own trace event still
# records them: kernel_trace_start PORT records, in a tracefs instance of
# its own, the transitions of sockets with PORT at either end and the
# thread group current at each; kernel_hidden says how many were made
# while thread group 1 was current.
kernel_trace_start() {
	local tracing=/sys/kernel/tracing ev
	mountpoint -q "$tracing" || mount -t tracefs nodev "$tracing" ||
		fail "tracefs cannot be mounted at $tracing"
	KTRACE=$tracing/instances/ss-deploy-$$
	ev=$KTRACE/events/sock/inet_sock_set_state
	mkdir "$KTRACE" || fail "cannot create the tracefs instance $KTRACE"
	at_exit kernel_trace_stop
	# Reading the record must not pause it (pause-on-trace is on by default).
	{ echo 4096 >"$KTRACE/buffer_size_kb" && echo 1 >"$KTRACE/options/record-tgid" &&
		{ [ ! -e "$KTRACE/options/pause-on-trace" ] ||
			echo 0 >"$KTRACE/options/pause-on-trace"; } &&
		echo "protocol == 6 && (sport == $1 || dport == $1)" >"$ev/filter" &&
		echo 1 >"$ev/enable"; } || fail "cannot record TCP transitions in $KTRACE"
}
kernel_trace_stop() {
	[ -n "${KTRACE:-}" ] || return 0
	echo 0 >"$KTRACE/events/sock/inet_sock_set_state/enable"
	rmdir "$KTRACE"
	KTRACE=
}
kernel_hidden() {
	local overrun
	overrun=$(cat "$KTRACE"/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
	[ "$overrun" = 0 ] || fail "the kernel's record of transitions overflowed: hidden ones unknown"
	LC_ALL=C grep -acE '^.{16}-[0-9]+ +\( +1\) ' "$KTRACE/trace" || true
}

test_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/socket-snoop-$DEPLOY_TEST.XXXXXX")
	at_exit test_tmp_remove
}
test_tmp_remove() { [ -z "$T" ] || rm -rf "$T"; }

PEER='' PEER_PIDS=()
peer_build() {
	PEER=$1
	cc -O2 -o "$T/peer" "$DEPLOY_ROOT/tests/e2e/peer.c" || fail "cannot build the test peer (tests/e2e/peer.c)"
	ln -s peer "$T/$PEER-srv"
	ln -s peer "$T/$PEER-cli"
	at_exit peer_kill
}
peer_kill() {
	local p
	for p in "${PEER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
}
peer_connect() {
	local tag=$1
	"$T/$PEER-srv" server -4 127.0.0.1 0 --timeout 20 >"$T/$tag.srv" 2>&1 &
	PEER_PIDS+=($!)
	wait_until 10 "the test server" file_has "$T/$tag.srv" READY
	PORT=$(awk '$1 == "READY" { print $2; exit }' "$T/$tag.srv")
	local -a cli=("$T/$PEER-cli" client 127.0.0.1 "$PORT" --timeout 20)
	if [ -n "${PEER_CGROUP:-}" ]; then
		# Joined first: the client inherits the cgroup through exec.
		# shellcheck disable=SC2016 # expanded by that sh
		cli=(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$PEER_CGROUP" "${cli[@]}")
	fi
	"${cli[@]}" >"$T/$tag.cli" 2>&1 || fail "the test client failed: $(cat "$T/$tag.cli")"
	# shellcheck disable=SC2034 # for the test (and podman.sh's has_event)
	CLI_PID=$(awk '$1 == "PID" { print $2; exit }' "$T/$tag.cli")
}

free_port() {
	local p
	for ((p = $1; p < $1 + 100; p++)); do
		if [ -z "$(ss -Htan exclude time-wait "sport = :$p")" ]; then
			# shellcheck disable=SC2034 # for the test
			FREE_PORT=$p
			return 0
		fi
	done
	fail "no free TCP port in $1-$(($1 + 99))"
}
