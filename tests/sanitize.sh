#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# sanitize.sh - the unit tests and an end-to-end run of the ASan+UBSan build
# (make test-sanitize builds it and runs this, as root).
#
#   tests/sanitize.sh BUILD-DIR          default build-san
#
# Every sanitizer report is written to a file of its own (log_path) and the
# run fails when any exists, whatever the test made of the process's exit:
# a report in a process the tests stopped with a signal, or one that a test
# tolerated, still fails.  halt_on_error stops a process at its first one.
# Leak detection is on: socket-snoop frees what it allocates, libbpf's
# objects included (their destructors run at exit).
# SAN_E2E lists the end-to-end files (default: 95-sanitize.bats, written for
# this build, and the existing files on connections, log files, JSON and the
# tcpsnoop/tcptop faces).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
out=${1:-build-san}
bin=$root/$out/socket-snoop

[ -x "$bin" ] || { echo "sanitize: $bin not built (make test-sanitize)" >&2; exit 1; }
if ! grep -q __asan_init < <(nm "$bin"); then
	echo "sanitize: $bin is not built with AddressSanitizer" >&2
	exit 1
fi

logs=$(mktemp -d)
chmod 0755 "$logs"
trap 'rm -rf "$logs"' EXIT
common="halt_on_error=1:abort_on_error=1:log_path=$logs/report:log_exe_name=1"
export ASAN_OPTIONS="$common:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_EXTRA:+:$ASAN_EXTRA}"
export UBSAN_OPTIONS="$common:print_stacktrace=1"
export SANITIZED=1

status=0
step() {
	printf '  %-8s %s\n' SANITIZE "$*"
}

# Reports written since the last check fail the step that made them.
check_reports() {
	local f found=0
	for f in "$logs"/report*; do
		[ -e "$f" ] || continue
		found=1
		echo "sanitize: report from $1 ($f):" >&2
		cat "$f" >&2
		rm -f "$f"
	done
	if [ "$found" = 1 ]; then
		status=1
	fi
}

step "unit tests ($out/tests)"
./tests/run-unit.sh "$out"/tests/test_* || status=1
check_reports "the unit tests"

# Options, usage errors and --help of each face: the parsers with real argv.
step "command lines of socket-snoop, tcpsnoop, tcptop"
cli_case() { # expected-status face args...
	local want=$1 face=$2 rc=0
	shift 2
	"$root/$out/$face" "$@" >"$logs/cli.out" 2>"$logs/cli.err" </dev/null || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "sanitize: $face $* exited $rc, want $want:" >&2
		cat "$logs/cli.err" >&2
		status=1
	fi
}
cli_case 0 socket-snoop --help
cli_case 0 socket-snoop --version
cli_case 64 socket-snoop --lport=70000
cli_case 64 socket-snoop -j --laddr=10.0.0.0/33
cli_case 64 socket-snoop --state=bogus,established
cli_case 64 socket-snoop "--comm=$(printf 'x%.0s' {1..300})"
cli_case 64 socket-snoop $'--pid=1\n2'
cli_case 0 tcpsnoop -h
cli_case 64 tcpsnoop -p notapid
cli_case 64 tcpsnoop -n "$(printf 'y%.0s' {1..100})"
cli_case 0 tcptop -h
cli_case 64 tcptop 0
cli_case 64 tcptop 1 2 3
check_reports "the command lines"

step "end-to-end with SNOOP=$bin"
e2e=${SAN_E2E:-tests/e2e/sanitize/95-sanitize.bats tests/e2e/10-connections.bats tests/e2e/30-logfile.bats tests/e2e/84-json.bats tests/e2e/70-tcpsnoop.bats tests/e2e/71-tcptop.bats}
# shellcheck disable=SC2086 # a list of files
SNOOP=$bin ./tests/run-e2e.sh $e2e || status=1
check_reports "the end-to-end tests"

if [ "$status" = 0 ]; then
	step "no sanitizer report"
else
	step "FAILED"
fi
exit "$status"
