#!/usr/bin/env bash
# Run the socket-snoop end-to-end suite (as root): build the test peer, run
# the bats files of tests/e2e in order, print "N passed, N failed[, N skipped]".
#
#   tests/run-e2e.sh                      every file of tests/e2e
#   tests/run-e2e.sh tests/e2e/20-filters.bats
#   tests/run-e2e.sh -f 'ipv6'            bats options pass through
#
# Exit status: 0 when every test passed (or was skipped outside CI), 1 otherwise.
# Under CI=true a test that cannot run fails instead of being skipped.
# SNOOP=/path/to/socket-snoop tests another binary than build/socket-snoop.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

# Instances a killed run left recording would slow every transition of this one.
scripts/tracefs-sweep.sh

peer=build/tests/peer
if [ ! -x "$peer" ] || [ tests/e2e/peer.c -nt "$peer" ]; then
	mkdir -p build/tests
	cc -O2 -Wall -Wextra -Wshadow -Wformat=2 -Werror -o "$peer" tests/e2e/peer.c || {
		echo "run-e2e: cannot build the test peer" >&2
		echo "0 passed, 1 failed"
		exit 1
	}
fi

if ! command -v bats >/dev/null 2>&1; then
	echo "run-e2e: bats is not installed (scripts/install-deps.sh)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

args=("$@")
have_files=0
for a in "${args[@]}"; do
	case $a in
	*.bats | */) have_files=1 ;;
	esac
done
[ "$have_files" = 1 ] || args+=(tests/e2e)

# A wedged test is killed instead of hanging the run.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}

tap=$(mktemp /tmp/snoop-e2e-tap.XXXXXX)
trap 'rm -f "$tap"' EXIT

bats --tap "${args[@]}" | tee "$tap"
bats_status=${PIPESTATUS[0]}

skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$tap")
passed=$(($(grep -cE '^ok [0-9]+' "$tap") - skipped))
failed=$(grep -cE '^not ok [0-9]+' "$tap")
planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$tap" | head -n 1)

status=0
if [ "$failed" -gt 0 ] || [ "$bats_status" -ne 0 ]; then
	status=1
fi
if [ -z "$planned" ] || [ $((passed + failed + skipped)) -ne "$planned" ]; then
	echo "run-e2e: bats planned ${planned:-no} tests but reported $((passed + failed + skipped))" >&2
	status=1
fi
if [ "$passed" -eq 0 ] && [ "$skipped" -eq 0 ]; then
	status=1
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
exit "$status"
