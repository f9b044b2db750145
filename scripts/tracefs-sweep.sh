#!/usr/bin/env bash
# tracefs-sweep.sh - remove the tracefs instances our test suites left behind.
#
# The e2e suite (snoop-e2e-PID-N, snoop-e2e-PID-N-pkt) and the deploy suite
# (ss-deploy-PID) record TCP transitions and packets in tracefs instances of
# their own, removed at teardown.  A run killed before its teardown leaves them
# enabled, and every TCP transition and packet of the host then pays for their
# filtered trace events, in every later test and benchmark (found skewing
# make bench's in-kernel figures).  An instance whose PID no longer runs is
# removed; one whose PID runs (that run, or a process that took its number)
# is left alone.  Prints what it removed on standard error; exit status 0.
#
#   scripts/tracefs-sweep.sh [TRACEFS]     default /sys/kernel/tracing
set -u

tracing=${1:-/sys/kernel/tracing}
[ -d "$tracing/instances" ] || exit 0
for dir in "$tracing"/instances/snoop-e2e-* "$tracing"/instances/ss-deploy-*; do
	[ -d "$dir" ] || continue
	name=${dir##*/}
	pid=${name#snoop-e2e-}
	pid=${pid#ss-deploy-}
	pid=${pid%%-*}
	[[ $pid =~ ^[1-9][0-9]*$ ]] || continue
	kill -0 "$pid" 2>/dev/null && continue
	rmdir "$dir" 2>/dev/null &&
		echo "tracefs-sweep: removed $name, left recording by a run that ended (PID $pid)" >&2
done
exit 0
