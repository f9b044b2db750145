#!/usr/bin/env bats
# Loss is never silent: what the monitor received plus what it reports lost
# equals the transitions the kernel made, and losses show in the stream.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
}

teardown() {
	e2e_teardown
}

@test "no silent loss: RECEIVED + LOST equals the kernel's transitions, losses shown as Events Lost lines" {
	local n=1000
	# The smallest ring buffer makes losses likely (not certain); the
	# accounting must hold either way.
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report --events=state --buffer-size=64K
	srv_start a 4 8600 --accept "$n" --timeout 60
	PEER_WAIT=50 cli_run a a --repeat "$n" --timeout 60
	PEER_WAIT=10 srv_wait a
	assert_contains "$T/cli-a.peer" "CONNECTIONS $n"
	settle 0.5
	snoop_stop

	assert_eq "exit status" "$SNOOP_STATUS" 0
	local last received lost
	last=$(tail -n 1 "$T/mon.err")
	[[ $last =~ ^Summary:\ RECEIVED=([0-9]+)\ LOST=([0-9]+)$ ]] ||
		e2e_fail "last stderr line is not the summary: '$last'"
	received=${BASH_REMATCH[1]}
	lost=${BASH_REMATCH[2]}
	# Per connection: client SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 CLOSE and
	# server SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE; the listener: 2.
	local made=$((10 * n + 2)) printed
	printed=$(grep -cE "^$TS_RE State Change: " "$T/mon.out") || true
	# Shown only on failure: what arrived, per state entered (n each, LISTEN 1,
	# "Connection Closed" 2n + 1, "Connection Established" 2n).
	sed -n 's/^.* State Change: .* STATE=//p' "$T/mon.out" | sort | uniq -c >&2
	assert_eq "state lines printed vs RECEIVED" "$printed" "$received"
	assert_eq "RECEIVED ($received) + LOST ($lost) vs transitions made" "$((received + lost))" "$made"
	# Losses are reported in the stream as they are seen.
	local counted
	counted=$(sed -n 's/^.* Events Lost: COUNT=\([0-9][0-9]*\)$/\1/p' "$T/mon.out" | awk '{ s += $1 } END { print s + 0 }')
	if [ "$lost" -gt 0 ]; then
		[ "$counted" -gt 0 ] || e2e_fail "LOST=$lost but no Events Lost line in the stream"
	fi
	[ "$counted" -le "$lost" ] || e2e_fail "Events Lost lines add up to $counted, more than LOST=$lost"
	echo "# made=$made received=$received lost=$lost in-stream=$counted" >&3
}
