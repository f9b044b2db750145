#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tidy.sh - clang-tidy over user-space C files, the checks of .clang-tidy
# (make lint runs it after building the skeleton headers it reads).
#
#   tests/tidy.sh BUILD-DIR FILE...
#
# TIDY_PENDING="FILE:CHECK ..." turns CHECK off for FILE only: a finding
# reported for its fix in a file being changed elsewhere.  Files are checked
# in parallel, one per CPU; any finding fails the run.
set -uo pipefail

out=$1
shift
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
export CLANG_TIDY TIDY_PENDING="${TIDY_PENDING:-}" TIDY_OUT=$out

# One file: its own check exceptions, clang-tidy's summary lines dropped.
tidy_one() {
	local f=$1 off="" p
	for p in $TIDY_PENDING; do
		[ "${p%%:*}" = "$f" ] && off+=",-${p#*:}"
	done
	"$CLANG_TIDY" --quiet ${off:+"--checks=$off"} "$f" -- \
		-std=gnu11 -D_GNU_SOURCE '-DSNOOP_VERSION="tidy"' -I"$TIDY_OUT" -Isrc 2>&1 |
		grep -v -E '^[0-9]+ warnings? generated\.$'
	return "${PIPESTATUS[0]}"
}
export -f tidy_one

# shellcheck disable=SC2016 # $1 is expanded by the inner bash
if ! printf '%s\n' "$@" | xargs -P "$(nproc)" -I{} bash -c 'tidy_one "$1"' _ {}; then
	echo "clang-tidy: findings above (checks in .clang-tidy)" >&2
	exit 1
fi
