#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#
# run-unit.sh - run cmocka test binaries and total their results.
#
#   tests/run-unit.sh build/tests/test_fmt build/tests/test_parse ...
#
# Each binary runs with cmocka's TAP output (every result and failure message
# on stdout, in order), under a time limit (UNIT_TIMEOUT seconds, default 60).
# A test that never reports (crash, hang, a binary that cannot run) counts as
# failed.  Skipped tests are neither passed nor failed.  The last line is
# always "N passed, N failed"; the exit status is 1 when anything failed.
set -u

timeout_s=${UNIT_TIMEOUT:-60}

if [ "$#" -eq 0 ]; then
	echo "usage: $0 TEST-BINARY..." >&2
	echo "0 passed, 0 failed"
	exit 2
fi

out=$(mktemp "${TMPDIR:-/tmp}/run-unit.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

total_pass=0
total_fail=0
total_skip=0

for bin in "$@"; do
	name=$(basename "$bin")
	echo "== $name"
	if [ ! -x "$bin" ]; then
		echo "$name: not an executable file: $bin"
		total_fail=$((total_fail + 1))
		continue
	fi

	# Line-buffered stdout keeps the test's own stderr messages in place.
	CMOCKA_MESSAGE_OUTPUT=TAP timeout --kill-after=5 "$timeout_s" \
		stdbuf -oL "$bin" >"$out" 2>&1
	rc=$?
	cat "$out"

	# TAP from cmocka: "1..N", "ok 1 - name", "not ok 2 - name", "not ok 3 # SKIP name".
	read -r planned pass fail skip < <(awk '
		/^1\.\.[0-9]+/ { split($0, a, "."); planned = a[3] + 0 }
		/^ok [0-9]+/ { pass++ }
		/^not ok [0-9]+ # SKIP/ { skip++; next }
		/^not ok [0-9]+/ { fail++ }
		END { printf "%d %d %d %d\n", planned, pass, fail, skip }' "$out")

	missing=$((planned - pass - fail - skip))
	if [ "$missing" -gt 0 ]; then
		echo "$name: $missing test(s) did not report a result (exit status $rc)"
		fail=$((fail + missing))
	fi
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		# Crashed before its plan, timed out (124/137), or a group setup failed.
		echo "$name: exited with status $rc without a failed test: counted as 1 failure"
		fail=1
	fi
	echo "$name: $pass passed, $fail failed, $skip skipped"

	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
done

if [ "$total_skip" -gt 0 ]; then
	echo "($total_skip skipped)"
	# Under CI a test that cannot run is a failure: CI has root and every package.
	if [ "${CI:-}" = true ]; then
		echo "run-unit: $total_skip test(s) skipped with CI=true: counted as failures"
		total_fail=$((total_fail + total_skip))
	fi
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
