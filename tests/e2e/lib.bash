# shellcheck shell=bash
# shellcheck disable=SC2034 # globals set here are read by the .bats files
# lib.bash - helpers of the socket-snoop end-to-end suite, loaded by every .bats file.
#
# Each test gets its own world, built in setup and always torn down in teardown:
#   - a temp dir $T (mode 0755 so other uids can run the peer from it) holding
#     a copy of the peer and the symlinks that give it its command names;
#   - two network namespaces $NS_S (server) and $NS_C (client) joined by a veth
#     pair, 10.200.$NET_X.1/.2 and fd00:200:$NET_X::1/::2, with RPS so that
#     packets are processed in softirq on the CPU the receiving process is NOT
#     pinned to (server on CPU 0, client on CPU 1; see PLATFORM.md);
#   - socket-snoop itself in the background, stdout in $T/mon.out, stderr in
#     $T/mon.err, stopped with a signal and reaped.
# Every run of socket-snoop with -j/--json (snoop_start or snoop_run) has its
# stdout, stderr and log file checked line by line with jq when it ends: one
# JSON object per line, valid UTF-8, no raw control byte (json_check_run).
# Everything started is recorded (pids, namespaces, cgroups) and removed by
# e2e_teardown whatever the outcome.
#
# Under CI=true a test that cannot run (not root, a missing tool) fails;
# elsewhere it is skipped with the reason.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SNOOP=${SNOOP:-$E2E_ROOT/build/socket-snoop}
PEER_SRC=$E2E_ROOT/tests/e2e/peer.c
PEER=${PEER:-$E2E_ROOT/build/tests/peer}

SERVER_CPU=0
CLIENT_CPU=1
# Time allowed for the monitor to start, to stop, and for an expected line.
START_TIMEOUT=${E2E_START_TIMEOUT:-10}
STOP_TIMEOUT=${E2E_STOP_TIMEOUT:-10}
LINE_TIMEOUT=${E2E_LINE_TIMEOUT:-5}
# A uid no other process on the machine uses, for the --uid filter.
TEST_UID=4242

# The seed's state descriptions, by kernel state name.
declare -gA STATE_DESC=(
	[ESTABLISHED]="Connection Established"
	[SYN_SENT]="Connection Opening (SYN_SENT)"
	[SYN_RECV]="Connection Opening (SYN_RECV)"
	[FIN_WAIT1]="Connection Closing (FIN_WAIT1)"
	[FIN_WAIT2]="Connection Closing (FIN_WAIT2)"
	[TIME_WAIT]="Connection Closed (TIME_WAIT)"
	[CLOSE]="Connection Closed"
	[CLOSE_WAIT]="Connection Closing (CLOSE_WAIT)"
	[LAST_ACK]="Connection Closing (LAST_ACK)"
	[LISTEN]="Listening for Connections"
	[CLOSING]="Connection Closing (CLOSING)"
)

# What the kernel does, as measured on this kernel with inet_sock_set_state,
# and what socket-snoop shows of it: the side that closes first ends in
# TIME_WAIT (the kernel replaces its socket by a time-wait socket, whose
# FIN_WAIT2 -> TIME_WAIT comes with the peer's FIN; bpf/time_wait.bpf.h).
SEQ_ACTIVE_CLOSER_CLIENT=(SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT)
SEQ_PASSIVE_CLOSER_CLIENT=(SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE)
SEQ_ACTIVE_CLOSER_SERVER=(SYN_RECV ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT)
SEQ_PASSIVE_CLOSER_SERVER=(SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE)
SEQ_LISTENER=(LISTEN CLOSE)

# Timestamp of a log line: "Dec 30 2024 22:05:25.454".
TS_RE='[A-Z][a-z]{2} [0-9]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}'
# An event line with a socket: time, label, SRC, DST, PID, COMM, the rest.
EVENT_RE="^($TS_RE) ([A-Za-z ]+): SRC=([^ ]+) DST=([^ ]+) PID=([0-9]+) COMM=([^ ]*)( (.*))?\$"

# ---------------------------------------------------------------- basics

# Print a failure message (and what the test saw) and return 1.
e2e_fail() {
	printf 'FAIL: %s\n' "$@" >&2
	return 1
}

# Skip (or fail under CI=true) when a precondition does not hold.
e2e_cannot_run() {
	if [ "${CI:-}" = true ]; then
		e2e_fail "cannot run under CI: $*"
		return 1
	fi
	skip "$*"
}

e2e_require_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { e2e_cannot_run "missing command: $c"; return 1; }
	done
}

# Build the peer when it is missing or older than its source (run-e2e.sh does
# the same; this keeps `bats tests/e2e/X.bats` usable on its own).
e2e_build_peer() {
	if [ ! -x "$PEER" ] || [ "$PEER_SRC" -nt "$PEER" ]; then
		mkdir -p "$(dirname "$PEER")"
		cc -O2 -Wall -Wextra -Werror -o "$PEER" "$PEER_SRC" || return 1
	fi
}

# Per-test setup: preconditions, temp dir, peer and its command-name links.
e2e_setup() {
	E2E_PIDS=()
	E2E_NETNS=()
	E2E_CGROUPS=()
	SNOOP_PID=
	SNOOP_JSON=
	T=
	E2E_TRACE=
	E2E_TRACE_PKT=
	E2E_RETRY_WHY=
	E2E_PACKET_FACE=
	declare -gA SPID=() SPORT=() SADDR=() S_EP=() CPID=() CPORT=() C_EP=() C_EP0=()
	declare -gA CSTATUS=() BGPID=() SCOMM=() CCOMM=()

	[ "$(id -u)" -eq 0 ] || { e2e_cannot_run "the end-to-end suite needs root"; return 1; }
	e2e_require_cmds ip nsenter taskset setpriv unshare mount cc stat jq iconv || return 1
	[ "$(nproc)" -ge 2 ] || { e2e_cannot_run "needs 2 CPUs for the RPS set-up"; return 1; }
	[ -x "$SNOOP" ] || { e2e_cannot_run "$SNOOP not built (run make)"; return 1; }
	e2e_build_peer || { e2e_fail "cannot build the test peer"; return 1; }

	T=$(mktemp -d /tmp/snoop-e2e.XXXXXX)
	chmod 0755 "$T"
	e2e_trace_start || return 1
	cp "$PEER" "$T/peer"
	local name
	for name in snoop-srv snoop-cli snoop-cli-b snoop-srv-b; do
		ln -s peer "$T/$name"
	done
	# From the test process id: two runs on one host rarely share a subnet.
	NET_X=$(($$ % 250 + 1))
	NS_S="snoop-s-$$"
	NS_C="snoop-c-$$"
	V4_S="10.200.$NET_X.1"
	V4_C="10.200.$NET_X.2"
	V6_S="fd00:200:$NET_X::1"
	V6_C="fd00:200:$NET_X::2"
	# A kernel filter that keeps this test's addresses only: tests whose
	# subject is not filtering use it so that other traffic on the host
	# (a benchmark storm) cannot crowd their events out.
	ISOLATE=("--laddr=10.200.$NET_X.0/24,fd00:200:$NET_X::/64")
}

# ---------------------------------------------------------------- kernel truth

# Every test records, in its own tracefs instance, each TCP state transition
# the kernel makes (the sock:inet_sock_set_state trace event, no BPF), with
# the thread group of the task that was current.  This kernel (a Firecracker
# build, "-fc-" in uname -r) does not run any BPF program while the current
# task belongs to thread group 1, the VM's init, unless init loaded it: read
# from the code of bpf_trace_run3, which tests current->tgid == 1 and
# prog->aux->init_owned before the recursion check, so no miss is counted.
# A softirq that interrupts one of init's threads makes its transitions
# unseen by every BPF program (ours, bpftrace's); the trace event still
# records them.  The record tells a test how many of its transitions the
# kernel hid that way (e2e_kernel_hidden), so accounting can be exact, and
# a failure can be put down to it (one retry, announced) or not (none).
e2e_trace_start() {
	local tracing=/sys/kernel/tracing
	if ! mountpoint -q "$tracing"; then
		mount -t tracefs nodev "$tracing" 2>/dev/null ||
			{ e2e_cannot_run "tracefs cannot be mounted at $tracing"; return 1; }
	fi
	[ -d "$tracing/events/sock/inet_sock_set_state" ] ||
		{ e2e_cannot_run "no sock:inet_sock_set_state trace event"; return 1; }
	E2E_TRACE="$tracing/instances/snoop-e2e-$$-${BATS_TEST_NUMBER:-0}"
	mkdir "$E2E_TRACE" || { e2e_fail "cannot create tracefs instance $E2E_TRACE"; return 1; }
	# About 80 bytes a transition: room for 100,000 per CPU.
	# Reading the record must not pause it (pause-on-trace is on by default).
	if ! { echo 8192 >"$E2E_TRACE/buffer_size_kb" &&
		echo 1 >"$E2E_TRACE/options/record-tgid" &&
		{ [ ! -e "$E2E_TRACE/options/pause-on-trace" ] ||
			echo 0 >"$E2E_TRACE/options/pause-on-trace"; } &&
		echo 'protocol == 6' >"$E2E_TRACE/events/sock/inet_sock_set_state/filter" &&
		echo 1 >"$E2E_TRACE/events/sock/inet_sock_set_state/enable"; }; then
		e2e_fail "cannot enable the trace event in $E2E_TRACE"
		return 1
	fi
	# Packet programs (cgroup_skb) are not run there either (the same test
	# is in __cgroup_bpf_run_filter_skb): a second instance records every
	# packet our veths received or sent, with the thread group that was
	# current, so the packets handled on a thread of PID 1 can be counted.
	# (A filter on PID 1's thread ids would miss the threads it starts
	# later: its runtime starts them on demand.)
	local ev
	E2E_TRACE_PKT="$E2E_TRACE-pkt"
	if ! { mkdir "$E2E_TRACE_PKT" && echo 1024 >"$E2E_TRACE_PKT/buffer_size_kb" &&
		echo 1 >"$E2E_TRACE_PKT/options/record-tgid"; }; then
		e2e_fail "cannot create the packet trace instance $E2E_TRACE_PKT"
		return 1
	fi
	for ev in netif_receive_skb net_dev_queue; do
		if ! { echo 'name == "vsrv" || name == "vcli"' \
			>"$E2E_TRACE_PKT/events/net/$ev/filter" &&
			echo 1 >"$E2E_TRACE_PKT/events/net/$ev/enable"; }; then
			e2e_fail "cannot enable the packet trace event net:$ev in $E2E_TRACE_PKT"
			return 1
		fi
	done
}

# Packets of this test's veths the kernel received or sent while a thread
# of PID 1 was current: their packet programs did not run.
e2e_kernel_hidden_packets() {
	[ -n "${E2E_TRACE_PKT:-}" ] || { echo 0; return 0; }
	LC_ALL=C grep -aE ' (netif_receive_skb|net_dev_queue): ' "$E2E_TRACE_PKT/trace" 2>/dev/null |
		e2e_count_hidden
}

# Copy the record so far to $T/kernel.trace (and its overrun count).
e2e_trace_save() {
	[ -n "${E2E_TRACE:-}" ] && [ -n "${T:-}" ] && [ -d "$T" ] || return 0
	# Text whatever the bytes: a command name may be anything (grep would
	# leave out lines that are not valid text in the locale).
	LC_ALL=C grep -aF ' inet_sock_set_state: ' "$E2E_TRACE/trace" >"$T/kernel.trace" 2>/dev/null
	grep -h '^overrun: ' "$E2E_TRACE"/per_cpu/cpu*/stats 2>/dev/null |
		awk '{ s += $2 } END { print s + 0 }' >"$T/kernel.overrun"
}

# Stop recording and drop the instance (teardown).
e2e_trace_stop() {
	if [ -n "${E2E_TRACE_PKT:-}" ]; then
		echo 0 >"$E2E_TRACE_PKT/events/net/netif_receive_skb/enable" 2>/dev/null
		echo 0 >"$E2E_TRACE_PKT/events/net/net_dev_queue/enable" 2>/dev/null
		rmdir "$E2E_TRACE_PKT" 2>/dev/null
		E2E_TRACE_PKT=
	fi
	[ -n "${E2E_TRACE:-}" ] || return 0
	echo 0 >"$E2E_TRACE/events/sock/inet_sock_set_state/enable" 2>/dev/null
	rmdir "$E2E_TRACE" 2>/dev/null
	E2E_TRACE=
}

# The recorded transitions of this test's addresses (and of PORT, local or
# remote, when given), one per line.  Fails when the record overflowed.
e2e_kernel_transitions() {
	local port=${1:-}
	e2e_trace_save
	[ -f "$T/kernel.trace" ] || { e2e_fail "no kernel trace recorded"; return 1; }
	[ "$(cat "$T/kernel.overrun")" = 0 ] ||
		{ e2e_fail "the kernel trace overflowed: hidden transitions unknown"; return 1; }
	LC_ALL=C grep -aF -e "saddr=10.200.$NET_X." -e "saddrv6=fd00:200:$NET_X::" "$T/kernel.trace" |
		if [ -n "$port" ]; then LC_ALL=C grep -aE " [sd]port=$port "; else cat; fi
}

# Of the record's lines on stdin, how many were made while a task of thread
# group 1 was current: made, but never shown to a BPF program.
e2e_count_hidden() {
	LC_ALL=C grep -acE '^.{16}-[0-9]+ +\( +1\) ' || true
}

# How many transitions of this test of PORT the kernel hid that way.
e2e_kernel_hidden() {
	local port=$1 lines
	lines=$(e2e_kernel_transitions "$port") || return 1
	e2e_count_hidden <<<"$lines"
}

# The kernel's record must hold the MADE transitions too.
# assert_accounted MADE RECEIVED LOST [PORT]
assert_accounted() {
	local made=$1 received=$2 lost=$3 port=${4:-} lines recorded hidden
	lines=$(e2e_kernel_transitions "$port") || return 1
	recorded=$(grep -c . <<<"$lines") || true
	hidden=$(e2e_count_hidden <<<"$lines")
	assert_eq "transitions in the kernel's record" "$recorded" "$made" || return 1
	echo "# made=$made received=$received lost=$lost hidden by the kernel=$hidden" >&3
	[ $((received + lost)) -le "$made" ] ||
		{ e2e_fail "RECEIVED ($received) + LOST ($lost) exceeds the $made transitions made"; return 1; }
	[ $((received + lost)) -ge $((made - hidden)) ] ||
		{ e2e_fail "RECEIVED ($received) + LOST ($lost) short of the $made transitions made by more than the $hidden the kernel hid"; return 1; }
}

# A failed test runs once more, announced, only when the kernel hid some of
# its transitions or packets from BPF (e2e_trace_start); a second failure
# fails.  Any other failure fails at once.  (bats reads BATS_TEST_RETRIES
# after teardown, in this same shell.)
e2e_retry_if_kernel_hid() {
	local hidden packets
	[ "${BATS_TEST_TRY_NUMBER:-1}" -eq 1 ] || return 0
	hidden=$(e2e_kernel_transitions 2>/dev/null | e2e_count_hidden)
	packets=0
	[ -z "${E2E_PACKET_FACE:-}" ] || packets=$(e2e_kernel_hidden_packets)
	if [ "${hidden:-0}" -gt 0 ] || [ "${packets:-0}" -gt 0 ]; then
		# shellcheck disable=SC2034 # read by bats
		BATS_TEST_RETRIES=1
		printf '# retrying "%s": the kernel ran no BPF program for %s of its transitions and %s of its packets (made in a softirq on a thread of PID 1)\n' \
			"$BATS_TEST_DESCRIPTION" "${hidden:-0}" "${packets:-0}" >&3
	elif [ -n "${E2E_RETRY_WHY:-}" ]; then
		# A reason the test itself found and named (E2E_RETRY_WHY).
		# shellcheck disable=SC2034 # read by bats
		BATS_TEST_RETRIES=1
		printf '# retrying "%s": %s\n' "$BATS_TEST_DESCRIPTION" "$E2E_RETRY_WHY" >&3
	fi
}

# Kill what is still running, reap it, delete namespaces, cgroups and files.
# On failure, show what the monitor and the peers said.  A JSON monitor run
# whose output the test did not have checked (it left the monitor running,
# or let it end by itself) is stopped and checked here: a bad line fails the
# test from here.
e2e_teardown() {
	local pid ns cg i status=0
	set +e # clean up everything, whatever fails
	if [ -n "${BATS_TEST_COMPLETED:-}" ] && [ -n "${SNOOP_JSON:-}" ]; then
		if [ -n "${SNOOP_PID:-}" ]; then
			snoop_stop || status=1
		else
			SNOOP_JSON=
			json_check_run "$T/mon.out" "$T/mon.err" || status=1
		fi
	fi
	if { [ -z "${BATS_TEST_COMPLETED:-}" ] || [ "$status" != 0 ]; } && [ -n "${T:-}" ] && [ -d "$T" ]; then
		e2e_show_logs >&2
		e2e_retry_if_kernel_hid
	fi
	if [ -n "${SNOOP_PID:-}" ]; then
		kill -KILL "$SNOOP_PID" 2>/dev/null
		wait "$SNOOP_PID" 2>/dev/null
	fi
	for pid in "${E2E_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${E2E_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# Deepest first; a cgroup of a just-reaped process may need a moment.
	for ((i = ${#E2E_CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${E2E_CGROUPS[i]}
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -d "$cg" ] || break
			rmdir "$cg" 2>/dev/null && break
			sleep 0.1
		done
	done
	e2e_trace_stop
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		rm -rf "$T"
	fi
	return "$status"
}

# What a failed test saw: monitor stderr, the monitor lines about our
# addresses, the output of a snoop_run, the peers' reports.
e2e_show_logs() {
	local f
	if [ -f "$T/mon.err" ]; then
		echo "--- socket-snoop stderr ($T/mon.err)"
		cat "$T/mon.err"
	fi
	if [ -f "$T/mon.out" ]; then
		echo "--- socket-snoop stdout, lines of this test's addresses and the report"
		grep -F -e "10.200.$NET_X." -e "fd00:200:$NET_X:" -e "Connection Lifecycles" \
			-e "Events Lost" "$T/mon.out" | head -n 200
	fi
	for f in run.out run.err; do
		if [ -s "$T/$f" ]; then
			echo "--- socket-snoop $f"
			head -n 50 "$T/$f"
		fi
	done
	for f in "$T"/*.peer; do
		[ -f "$f" ] || continue
		echo "--- ${f##*/}"
		head -n 20 "$f"
	done
	echo "---"
}

# Keep the lines of stdin that contain every fixed STRING.
grep_all() {
	if [ $# -eq 0 ]; then
		cat
	else
		grep -F -e "$1" | grep_all "${@:2}"
	fi
}

# What logrotate does: move the monitor's log file LOG to MOVED and send
# SIGHUP; returns once the reopen has created LOG again (then traffic may
# start), fails the test if it never does.  rotate_log LOG MOVED
rotate_log() {
	local log=$1 moved=$2 i
	mv "$log" "$moved"
	kill -HUP "$SNOOP_PID"
	for ((i = 0; i < LINE_TIMEOUT * 20; i++)); do
		[ -e "$log" ] && return 0
		sleep 0.05
	done
	e2e_fail "no new log file $log after SIGHUP"
}

# Wait until FILE has a line containing every fixed STRING (all on one line).
# wait_line FILE TIMEOUT STRING...
wait_line() {
	local file=$1 timeout=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	while :; do
		if [ -f "$file" ] && [ -n "$(grep_all "$@" <"$file" | head -n 1)" ]; then
			return 0
		fi
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# Wait until FILE has at least N lines containing every fixed STRING.
# wait_count FILE TIMEOUT N STRING...
wait_count() {
	local file=$1 timeout=$2 n=$3 have
	shift 3
	local deadline=$((SECONDS + timeout))
	while :; do
		have=0
		if [ -f "$file" ]; then
			have=$(grep_all "$@" <"$file" | grep -c .) || true
		fi
		[ "$have" -ge "$n" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# True while PID is alive and not a zombie.
pid_running() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# Wait up to TIMEOUT seconds for child PID to exit; its status in WAIT_STATUS.
# Returns 1 (after killing it) on timeout.
wait_exit() {
	local pid=$1 timeout=$2 i
	for ((i = 0; i < timeout * 20; i++)); do
		pid_running "$pid" || break
		sleep 0.05
	done
	if pid_running "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		WAIT_STATUS=137
		return 1
	fi
	WAIT_STATUS=0
	wait "$pid" || WAIT_STATUS=$?
	return 0
}

# ---------------------------------------------------------------- network

# Two namespaces joined by a veth pair, IPv4 and IPv6, RPS on both ends.
net_setup() {
	ip netns add "$NS_S" || return 1
	E2E_NETNS+=("$NS_S")
	ip netns add "$NS_C" || return 1
	E2E_NETNS+=("$NS_C")
	ip link add vsrv netns "$NS_S" type veth peer name vcli netns "$NS_C" || return 1
	ip -n "$NS_S" addr add "$V4_S/24" dev vsrv
	ip -n "$NS_C" addr add "$V4_C/24" dev vcli
	ip -n "$NS_S" -6 addr add "$V6_S/64" dev vsrv nodad
	ip -n "$NS_C" -6 addr add "$V6_C/64" dev vcli nodad
	ip -n "$NS_S" link set lo up
	ip -n "$NS_C" link set lo up
	ip -n "$NS_S" link set vsrv up
	ip -n "$NS_C" link set vcli up
	# Packets for the server are processed on CPU 1, for the client on CPU 0:
	# each on the CPU its receiver does not run on, as a real NIC would.
	# (ip netns exec mounts the namespace's own /sys.)
	ip netns exec "$NS_S" sh -c 'echo 2 > /sys/class/net/vsrv/queues/rx-0/rps_cpus' || return 1
	ip netns exec "$NS_C" sh -c 'echo 1 > /sys/class/net/vcli/queues/rx-0/rps_cpus' || return 1
	local i
	for ((i = 0; i < 100; i++)); do
		ip -n "$NS_C" link show vcli | grep -q 'LOWER_UP' &&
			ip -n "$NS_S" link show vsrv | grep -q 'LOWER_UP' && return 0
		sleep 0.02
	done
	e2e_fail "veth pair did not come up"
}

# Endpoint as socket-snoop prints it: a.b.c.d:port or [v6]:port.
ep() {
	case $1 in
	*:*) printf '[%s]:%s' "$1" "$2" ;;
	*) printf '%s:%s' "$1" "$2" ;;
	esac
}

# ---------------------------------------------------------------- peers

# Start a peer in the background inside namespace NS on CPU, named COMM.
# peer_bg TAG NS CPU COMM ARG...   (env: AS_UID, IN_CGROUP)
# Output goes to $T/TAG.peer (srv-X.peer, cli-X.peer for conversation X);
# waits for its PID line, which sets PEER_PID.
peer_bg() {
	local tag=$1 ns=$2 cpu=$3 comm=$4
	shift 4
	local out="$T/$tag.peer"
	local -a cmd=(nsenter "--net=/run/netns/$ns" -- taskset -c "$cpu")
	if [ -n "${AS_UID:-}" ]; then
		cmd+=(setpriv "--reuid=$AS_UID" "--regid=$AS_UID" --clear-groups)
	fi
	cmd+=("$T/$comm" "$@")
	if [ -n "${IN_CGROUP:-}" ]; then
		# Join the cgroup first: nsenter and the peer inherit it through exec.
		# shellcheck disable=SC2016 # expanded by that sh, not here
		cmd=(sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$IN_CGROUP" "${cmd[@]}")
	fi
	"${cmd[@]}" >"$out" 2>&1 </dev/null 3>&- &
	BGPID[$tag]=$!
	E2E_PIDS+=("$!")
	wait_line "$out" "$LINE_TIMEOUT" "PID " || { e2e_fail "peer $tag did not start"; return 1; }
	PEER_PID=$(awk '$1 == "PID" { print $2; exit }' "$out")
}

# Start a server: srv_start TAG 4|6 PORT [PEER_ARG...]
# Env: SRV_COMM (default snoop-srv), SRV_BIND (listen address, default the
# server's address), SRV_UID, SRV_CGROUP (run as that uid, in that cgroup),
# HOLD=1 (wait for srv_release before listening).
srv_start() {
	local tag=$1 fam=$2 port=$3
	shift 3
	local addr bind
	if [ "$fam" = 6 ]; then addr=$V6_S; else addr=$V4_S; fi
	bind=${SRV_BIND:-$addr}
	local -a extra=()
	[ "${HOLD:-}" = 1 ] && extra=(--hold)
	AS_UID=${SRV_UID:-} IN_CGROUP=${SRV_CGROUP:-} peer_bg "srv-$tag" "$NS_S" "$SERVER_CPU" "${SRV_COMM:-snoop-srv}" \
		server "-$fam" "$bind" "$port" "${extra[@]}" "$@" || return 1
	SPID[$tag]=$PEER_PID
	SPORT[$tag]=$port
	SADDR[$tag]=$addr
	S_EP[$tag]=$(ep "$addr" "$port")
	[ "${HOLD:-}" = 1 ] || srv_ready "$tag"
}

srv_ready() {
	wait_line "$T/srv-$1.peer" "$LINE_TIMEOUT" "READY " || { e2e_fail "server $1 not ready"; return 1; }
}

# Let a held peer go (SIGUSR1); a server is then waited for until it listens.
release() {
	kill -USR1 "$1"
}
srv_release() {
	release "${SPID[$1]}" && srv_ready "$1"
}

# Wait for server TAG to finish (it exits after its --accept connections);
# PEER_WAIT overrides the time allowed.
srv_wait() {
	wait_exit "${BGPID[srv-$1]}" "${PEER_WAIT:-$LINE_TIMEOUT}" || { e2e_fail "server $1 did not finish"; return 1; }
	[ "$WAIT_STATUS" -eq 0 ] || { e2e_fail "server $1 exited $WAIT_STATUS"; return 1; }
}

# Start a client of server SRVTAG in the background:
# cli_start TAG SRVTAG [PEER_ARG...]  (env: CLI_COMM, CLI_UID, CLI_CGROUP,
# HOLD=1, CLI_PORT to connect to another port than the server's).
cli_start() {
	local tag=$1 stag=$2
	shift 2
	local -a extra=()
	[ "${HOLD:-}" = 1 ] && extra=(--hold)
	AS_UID=${CLI_UID:-} IN_CGROUP=${CLI_CGROUP:-} peer_bg "cli-$tag" "$NS_C" "$CLIENT_CPU" "${CLI_COMM:-snoop-cli}" \
		client "${SADDR[$stag]}" "${CLI_PORT:-${SPORT[$stag]}}" "${extra[@]}" "$@" || return 1
	CPID[$tag]=$PEER_PID
}

# Wait for client TAG to finish and learn its local end from CONNECTED.
cli_wait() {
	local tag=$1
	wait_exit "${BGPID[cli-$tag]}" "${PEER_WAIT:-$LINE_TIMEOUT}" || { e2e_fail "client $tag did not finish"; return 1; }
	CSTATUS[$tag]=$WAIT_STATUS
	[ "$WAIT_STATUS" -eq 0 ] || { e2e_fail "client $tag exited $WAIT_STATUS"; return 1; }
	cli_learn_port "$tag"
}

# Set CPORT, C_EP and C_EP0 of client TAG from its CONNECTED line, if any.
cli_learn_port() {
	local tag=$1 addr port
	read -r addr port < <(awk '$1 == "CONNECTED" { print $2, $3; exit }' "$T/cli-$tag.peer") || true
	if [ -n "${addr:-}" ]; then
		CPORT[$tag]=$port
		C_EP[$tag]=$(ep "$addr" "$port")
		C_EP0[$tag]=$(ep "$addr" 0)
	fi
}

# Wait until running client TAG is connected; learn its local end.
cli_connected() {
	wait_line "$T/cli-$1.peer" "$LINE_TIMEOUT" CONNECTED || { e2e_fail "client $1 did not connect"; return 1; }
	cli_learn_port "$1"
}

# Two connects to port 9 of the server's namespace, where nothing listens,
# over IPv4 (tag r4) and IPv6 (tag r6): each refused by the kernel's RST.
cli_refused_pair() {
	SADDR[r4]=$V4_S
	SPORT[r4]=9
	SADDR[r6]=$V6_S
	SPORT[r6]=9
	cli_run r4 r4 --expect-refused
	cli_run r6 r6 --expect-refused
}

# Run a client to completion: cli_run TAG SRVTAG [PEER_ARG...]
cli_run() {
	cli_start "$@" && cli_wait "$1"
}

# One whole conversation: conv TAG 4|6 PORT [SERVER_ARG...] [-- CLIENT_ARG...]
# Server TAG.s and client TAG.c; by default the client sends 100 bytes, the
# server answers 50, the client closes first.  Sets the S*/C* arrays for TAG.
conv() {
	local tag=$1 fam=$2 port=$3
	shift 3
	local -a sargs=() cargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sargs+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	cargs=("$@")
	[ ${#sargs[@]} -gt 0 ] || sargs=(--recv 100 --send 50)
	[ ${#cargs[@]} -gt 0 ] || cargs=(--send 100 --recv 50)
	srv_start "$tag" "$fam" "$port" "${sargs[@]}" || return 1
	cli_run "$tag" "$tag" "${cargs[@]}" || return 1
	srv_wait "$tag"
}

# ---------------------------------------------------------------- ender.py peers

# ender.py (94, 95: connections ended or held as a test needs), run through
# peer_bg like the C peer.  Its processes are the interpreter: their command
# name is python3 (or python3.11...), kept in SCOMM and CCOMM.
ender_setup() {
	ln -s "$BATS_TEST_DIRNAME/ender.py" "$T/ender"
}

# ender_srv TAG PORT MODE: an ender.py server in the server's namespace, on
# its IPv4 address (ENDER_ADDR: another one).
ender_srv() {
	local addr=${ENDER_ADDR:-$V4_S}
	peer_bg "srv-$1" "$NS_S" "$SERVER_CPU" ender server "$addr" "$2" "$3" || return 1
	SPID[$1]=$PEER_PID
	S_EP[$1]=$(ep "$addr" "$2")
	SCOMM[$1]=$(awk '$1 == "PID" { print $3; exit }' "$T/srv-$1.peer")
	wait_line "$T/srv-$1.peer" "$LINE_TIMEOUT" READY || e2e_fail "server $1 not ready"
}

# ender_cli TAG PORT MODE [ARG]: an ender.py client in the client's namespace,
# of the server's IPv4 address (ENDER_ADDR: another one).
ender_cli() {
	local tag=$1 port=$2
	shift 2
	peer_bg "cli-$tag" "$NS_C" "$CLIENT_CPU" ender client "${ENDER_ADDR:-$V4_S}" "$port" "$@" || return 1
	CPID[$tag]=$PEER_PID
	CCOMM[$tag]=$(awk '$1 == "PID" { print $3; exit }' "$T/cli-$tag.peer")
}

# Wait for client TAG's line WORD ("CONNECTED", "CONNECTING"); its end in C_EP.
ender_cli_end() {
	local addr port
	wait_line "$T/cli-$1.peer" "$LINE_TIMEOUT" "$2 " || { e2e_fail "client $1: no $2 line"; return 1; }
	read -r addr port < <(awk -v w="$2" '$1 == w { print $2, $3; exit }' "$T/cli-$1.peer")
	C_EP[$1]=$(ep "$addr" "$port")
}

# The RESULT line of peer output TAG (its errno name, OK, EOF), waiting for it.
ender_result() {
	wait_line "$T/$1.peer" "${2:-$LINE_TIMEOUT}" "RESULT " || { e2e_fail "$1: no RESULT"; return 1; }
	awk '$1 == "RESULT" { print $2; exit }' "$T/$1.peer"
}

# ---------------------------------------------------------------- a kernel without a tracepoint

# A copy of the kernel's BTF, $T/vmlinux.btf, in which each tracepoint TP
# (its typedef btf_trace_TP) has another name of the same length: the type
# ids stay, so every other program still loads, and libbpf cannot find TP,
# as on a kernel without it.  Sets MISSING_BTF_RUN, the command prefix that
# runs a command (as the same process) in a mount namespace of its own where
# that copy is bind-mounted over /sys/kernel/btf/vmlinux.  missing_btf TP...
missing_btf() {
	python3 - "$T/vmlinux.btf" "$@" <<'PY'
import sys
out, tps = sys.argv[1], sys.argv[2:]
data = open("/sys/kernel/btf/vmlinux", "rb").read()
for tp in tps:
    old = ("btf_trace_" + tp + "\0").encode()
    new = old[:-2] + b"X\0"
    if data.count(old) != 1:
        sys.exit("btf_trace_%s: %d in the kernel's BTF" % (tp, data.count(old)))
    data = data.replace(old, new)
open(out, "wb").write(data)
PY
	# shellcheck disable=SC2016 # expanded by that sh
	MISSING_BTF_RUN=(unshare -m sh -c 'mount --bind "$1" /sys/kernel/btf/vmlinux && shift && exec "$@"'
		sh "$T/vmlinux.btf")
}

# ---------------------------------------------------------------- monitor

# Start socket-snoop with ARGs; wait for its banner (it is capturing then).
# With -j/--json the banner is a JSON object; the output is checked at stop.
snoop_start() {
	SNOOP_JSON=
	if snoop_args_json "$@"; then
		SNOOP_JSON=1
	fi
	# A banner left by an earlier run in this test must not be taken for
	# this one's: the shell truncates the files only once the child runs.
	rm -f "$T/mon.out" "$T/mon.err"
	"$SNOOP" "$@" >"$T/mon.out" 2>"$T/mon.err" </dev/null 3>&- &
	SNOOP_PID=$!
	local i
	for ((i = 0; i < START_TIMEOUT * 20; i++)); do
		grep -qE '^Monitoring socket connections\.|^\{.*"message":"Monitoring socket connections\.' \
			"$T/mon.err" 2>/dev/null && return 0
		pid_running "$SNOOP_PID" || break
		sleep 0.05
	done
	wait_exit "$SNOOP_PID" 1 || true
	SNOOP_PID=
	e2e_fail "socket-snoop did not start (status $WAIT_STATUS): $(cat "$T/mon.err")"
}

# Stop socket-snoop with SIG (default INT); status in SNOOP_STATUS.  A JSON
# run's stdout, stderr and log file are then checked (json_check_run).
# shellcheck disable=SC2120 # the signal is optional
snoop_stop() {
	local sig=${1:-INT}
	kill "-$sig" "$SNOOP_PID" 2>/dev/null
	if ! wait_exit "$SNOOP_PID" "$STOP_TIMEOUT"; then
		SNOOP_PID=
		e2e_fail "socket-snoop did not exit within ${STOP_TIMEOUT}s of SIG$sig"
		return 1
	fi
	SNOOP_STATUS=$WAIT_STATUS
	SNOOP_PID=
	if [ -n "$SNOOP_JSON" ]; then
		SNOOP_JSON=
		json_check_run "$T/mon.out" "$T/mon.err" || return 1
	fi
}

# Wait until the monitor printed an event line for SRC -> DST with STATE.
await_state() {
	wait_line "$T/mon.out" "$LINE_TIMEOUT" " SRC=$1 DST=$2 " "STATE=${STATE_DESC[$3]}" ||
		e2e_fail "no $3 line for $1 -> $2 within ${LINE_TIMEOUT}s"
}

# Wait for the final CLOSE of both sides of conversation TAG.
await_closed() {
	await_state "${C_EP[$1]}" "${S_EP[$1]}" CLOSE &&
		await_state "${S_EP[$1]}" "${C_EP[$1]}" CLOSE
}

# Give the monitor time to show events that must NOT appear (after the last
# expected one was seen: the ring buffer keeps order).
# shellcheck disable=SC2120 # the delay is optional
settle() {
	sleep "${1:-0.3}"
}

# ---------------------------------------------------------------- assertions

# Event lines of FILE (default the monitor's stdout) whose SRC is one of the
# comma-separated SRCS and DST is DST, in order.  conn_lines SRCS DST [FILE]
conn_lines() {
	local srcs=",$1," dst=$2 file=${3:-$T/mon.out} line
	while IFS= read -r line; do
		[[ $line =~ $EVENT_RE ]] || continue
		[ "${BASH_REMATCH[4]}" = "$dst" ] || continue
		[[ $srcs == *",${BASH_REMATCH[3]},"* ]] || continue
		printf '%s\n' "$line"
	done < <(grep -F -e " DST=$dst " "$file")
}

# The State Change lines of conversation TAG's accepted socket, from PID= on:
# who each transition was attributed to.  server_states TAG
server_states() {
	conn_lines "${S_EP[$1]}" "${C_EP[$1]}" | grep -F ' State Change: ' | sed 's/.* \(PID=\)/\1/'
}

# Assert the exact State Change sequence of one socket and its attribution:
# assert_conn SRCS DST PID COMM STATE...
# Every event line of the socket (any kind) must carry PID and COMM.  A RST
# the kernel sent for a segment no socket wanted ("PID=0 COMM=<closed>", e.g.
# a late ACK after an abort) belongs to no socket, even with this tuple.
assert_conn() {
	local srcs=$1 dst=$2 pid=$3 comm=$4
	shift 4
	local -a want_seq=() got=() lines=()
	local s line bad=0
	for s in "$@"; do
		want_seq+=("${STATE_DESC[$s]}")
	done
	mapfile -t lines < <(conn_lines "$srcs" "$dst" | grep -vF ' PID=0 COMM=<closed> ')
	for line in "${lines[@]}"; do
		[[ $line =~ $EVENT_RE ]] || continue
		if [ "${BASH_REMATCH[2]}" = "State Change" ]; then
			got+=("${BASH_REMATCH[8]#STATE=}")
		fi
		if [ "${BASH_REMATCH[5]}" != "$pid" ] || [ "${BASH_REMATCH[6]}" != "$comm" ]; then
			bad=1
		fi
	done
	if [ "$(printf '%s\n' "${got[@]}")" != "$(printf '%s\n' "${want_seq[@]}")" ]; then
		printf 'FAIL: wrong state sequence for SRC=%s DST=%s\n  want: %s\n  got:  %s\n' \
			"$srcs" "$dst" "$(printf '%s | ' "${want_seq[@]}")" "$(printf '%s | ' "${got[@]}")" >&2
		printf '  %s\n' "${lines[@]}" >&2
		return 1
	fi
	if [ "$bad" = 1 ]; then
		printf 'FAIL: SRC=%s DST=%s must all be PID=%s COMM=%s\n' "$srcs" "$dst" "$pid" "$comm" >&2
		printf '  %s\n' "${lines[@]}" >&2
		return 1
	fi
}

# Assert no event line at all for SRCS -> DST.
assert_no_conn() {
	local out
	out=$(conn_lines "$1" "$2")
	if [ -n "$out" ]; then
		printf 'FAIL: expected no events for SRC=%s DST=%s, got:\n%s\n' "$1" "$2" "$out" >&2
		return 1
	fi
}

# The standard checks of a whole conversation TAG (client closed first):
# both sockets' sequences and attribution, plus the listener's.
# assert_conv TAG [client|server|listener...]  (default: all three)
assert_conv() {
	local tag=$1
	shift
	local -a parts=("$@")
	[ ${#parts[@]} -gt 0 ] || parts=(client server listener)
	local p
	for p in "${parts[@]}"; do
		case $p in
		client)
			assert_conn "${C_EP0[$tag]},${C_EP[$tag]}" "${S_EP[$tag]}" "${CPID[$tag]}" \
				"${CLI_COMM:-snoop-cli}" "${SEQ_ACTIVE_CLOSER_CLIENT[@]}" || return 1
			;;
		server)
			assert_conn "${S_EP[$tag]}" "${C_EP[$tag]}" "${SPID[$tag]}" \
				"${SRV_COMM:-snoop-srv}" "${SEQ_PASSIVE_CLOSER_SERVER[@]}" || return 1
			;;
		listener)
			assert_conn "${S_EP[$tag]}" "$(listener_dst "$tag")" "${SPID[$tag]}" \
				"${SRV_COMM:-snoop-srv}" "${SEQ_LISTENER[@]}" || return 1
			;;
		esac
	done
}

# Assert conversation TAG left no event line at all (client, server, listener).
assert_no_conv() {
	local tag=$1
	assert_no_conn "${C_EP0[$tag]},${C_EP[$tag]}" "${S_EP[$tag]}" &&
		assert_no_conn "${S_EP[$tag]}" "${C_EP[$tag]}" &&
		assert_no_conn "${S_EP[$tag]}" "$(listener_dst "$tag")"
}

# The remote end a listener is shown with: the unspecified address, port 0.
listener_dst() {
	case ${SADDR[$1]} in
	*:*) echo '[::]:0' ;;
	*) echo '0.0.0.0:0' ;;
	esac
}

# Quote STRING for use inside an extended regular expression.
re_quote() {
	sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"
}

# Assert every event line with a socket in the monitor's stdout matches the
# extended regex RE; with SELECT, only lines matching SELECT are checked.
# assert_every_re RE [SELECT]
assert_every_re() {
	local re=$1 select=${2:-.} bad
	bad=$(grep -E -e "$EVENT_RE" "$T/mon.out" | grep -E -e "$select" | grep -vE -e "$re") || true
	if [ -n "$bad" ]; then
		printf 'FAIL: %d event line(s) not matching /%s/:\n' "$(grep -c . <<<"$bad")" "$re" >&2
		head -n 20 <<<"$bad" | sed 's/^/  /' >&2
		return 1
	fi
}

# Regex matching an event line whose SRC or DST is one of this test's addresses.
ours_re() {
	printf ' (SRC|DST)=(%s|\[%s\]):' "$(re_quote "10.200.$NET_X.")[0-9]+" "$(re_quote "fd00:200:$NET_X::")[0-9a-f]+"
}

# Assert no event line of FILE contains the fixed STRING.
assert_none() {
	local want=$1 file=${2:-$T/mon.out} out
	out=$(grep -F -e "$want" "$file" | grep -E "^$TS_RE " | head -n 20)
	if [ -n "$out" ]; then
		printf 'FAIL: event lines containing "%s":\n%s\n' "$want" "$out" >&2
		return 1
	fi
}

# Assert a fixed STRING occurs in FILE.
assert_contains() {
	local file=$1 want=$2
	grep -qF -e "$want" "$file" ||
		{ printf 'FAIL: %s does not contain "%s"; it has:\n' "$file" "$want" >&2; head -n 40 "$file" >&2; return 1; }
}

# Assert two values are equal, with a label.
assert_eq() {
	[ "$2" = "$3" ] || { printf 'FAIL: %s: want "%s", got "%s"\n' "$1" "$3" "$2" >&2; return 1; }
}

# The lines of the lifecycle report block "Connection: SRC -> DST" (FILE
# default the monitor's stdout), without the header; fails unless exactly
# one such block exists.
report_block() {
	local header="Connection: $1 -> $2" file=${3:-$T/mon.out} n
	n=$(grep -cxF -e "$header" "$file") || true
	[ "$n" -eq 1 ] || { printf 'FAIL: %s blocks "%s" in the report (want 1)\n' "$n" "$header" >&2; return 1; }
	awk -v h="$header" '
		found && /^  / { print; next }
		found { exit }
		$0 == h { found = 1 }' "$file"
}

# Assert the report block of SRC -> DST lists exactly the given states, each
# line "  <time>: <description>", with the times of the matching event lines
# of socket SRCS -> DST.  assert_report SRC DST SRCS STATE...
assert_report() {
	local src=$1 dst=$2 srcs=$3
	shift 3
	local block want="" s line times
	block=$(report_block "$src" "$dst") || return 1
	times=$(conn_lines "$srcs" "$dst" | grep -F ' State Change: ' | cut -c1-24)
	local -a tarr=()
	mapfile -t tarr <<<"$times"
	local i=0
	for s in "$@"; do
		want+="  ${tarr[i]:-<no event line>}: ${STATE_DESC[$s]}"$'\n'
		i=$((i + 1))
	done
	if [ "$block"$'\n' != "$want" ]; then
		printf 'FAIL: report block for %s -> %s\n--- want\n%s--- got\n%s\n' \
			"$src" "$dst" "$want" "$block" >&2
		return 1
	fi
	while IFS= read -r line; do
		[[ $line =~ ^\ \ $TS_RE:\ [A-Z] ]] ||
			{ printf 'FAIL: bad report line: "%s"\n' "$line" >&2; return 1; }
	done <<<"$block"
}

# Run socket-snoop expecting it to fail at once: status in RUN_STATUS,
# stdout in $T/run.out, stderr in $T/run.err.  The command is bounded in time.
# When the command runs socket-snoop with -j/--json, its output is checked as
# a JSON run's (json_check_run): a bad line fails the call.
snoop_run() {
	RUN_STATUS=0
	timeout 20 "$@" >"$T/run.out" 2>"$T/run.err" </dev/null 3>&- || RUN_STATUS=$?
	local i
	for ((i = 1; i <= $#; i++)); do
		if [ "${!i##*/}" = socket-snoop ]; then
			if snoop_args_json "${@:i+1}"; then
				json_check_run "$T/run.out" "$T/run.err" || return 1
			fi
			break
		fi
	done
	return 0
}

# Create a cgroup v2 directory (and its parents) under the v2 mount; its
# path in CGROUP_PATH.  cgroup_make RELPATH
cgroup_make() {
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$root" ] || { e2e_cannot_run "no cgroup v2 mount"; return 1; }
	local rel=$1 path=$root part
	local -a parts
	IFS=/ read -r -a parts <<<"$rel"
	for part in "${parts[@]}"; do
		path=$path/$part
		if [ ! -d "$path" ]; then
			mkdir "$path" || return 1
			E2E_CGROUPS+=("$path")
		fi
	done
	CGROUP_PATH=$path
	CGROUP_ROOT=$root
}

# Prepare conversation TAG with both peers started but held before their
# first socket, so their PIDs can be given to the monitor's filters.
# conv_hold TAG 4|6 PORT   (env as for srv_start and cli_start)
conv_hold() {
	HOLD=1 srv_start "$1" "$2" "$3" --recv 100 --send 50 || return 1
	HOLD=1 cli_start "$1" "$1" --send 100 --recv 50
}

# Let held conversation TAG run to its end.
conv_go() {
	srv_release "$1" || return 1
	release "${CPID[$1]}" || return 1
	cli_wait "$1" || return 1
	srv_wait "$1"
}

# ---------------------------------------------------------------- JSON

# True when socket-snoop ARGs ask for JSON Lines: --json, or j in a cluster of
# short options (up to the first option that takes a value: -qj, not -nj).
snoop_args_json() {
	local a k
	for a in "$@"; do
		case $a in
		--json) return 0 ;;
		--) return 1 ;;
		--*) ;;
		-?*)
			for ((k = 1; k < ${#a}; k++)); do
				case ${a:k:1} in
				j) return 0 ;;
				[oepnuLDscNdb]) break ;;
				esac
			done
			;;
		esac
	done
	return 1
}

# Assert every line of FILE is one JSON object, the file is valid UTF-8 and no
# line holds a raw control byte (tab, CR, NUL... must be escaped).  Prints the
# offending lines.  A missing or empty file passes.
json_check_file() {
	local file=$1 bad
	[ -s "$file" ] || return 0
	bad=$(jq -R -r '. as $l | try (fromjson | if type == "object" then empty
		else "line \(input_line_number): not an object: \($l)" end)
		catch "line \(input_line_number): not JSON: \($l)"' "$file" | head -n 10)
	if [ -n "$bad" ]; then
		printf 'FAIL: %s is not JSON Lines:\n%s\n' "$file" "$bad" >&2
		return 1
	fi
	if ! iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1; then
		printf 'FAIL: %s is not valid UTF-8:\n' "$file" >&2
		LC_ALL=C grep -naP '[\x80-\xff]' "$file" | head -n 5 >&2
		return 1
	fi
	bad=$(LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]' "$file" | head -n 5) || true
	if [ -n "$bad" ]; then
		printf 'FAIL: %s has raw control bytes in:\n%s\n' "$file" "$bad" >&2
		return 1
	fi
}

# Check a JSON run: its stdout and stderr files and the log file its banner
# names ("Monitoring socket connections. Logs will be written to PATH").
# json_check_run OUT ERR
json_check_run() {
	local out=$1 err=$2 log rc=0 f
	local prefix='Monitoring socket connections. Logs will be written to '
	log=$(jq -R -r --arg p "$prefix" 'fromjson? | objects | .message? | strings
		| select(startswith($p)) | ltrimstr($p)' "$err" 2>/dev/null | head -n 1)
	for f in "$out" "$err" ${log:+"$log"}; do
		json_check_file "$f" || rc=1
	done
	return "$rc"
}

# Objects of the monitor's JSON stdout (or FILE) for which the jq expression
# FILTER is true, one per line (compact).  json_select FILTER [FILE]
json_select() {
	jq -c "select($1)" "${2:-$T/mon.out}"
}

# Wait until the monitor's JSON stdout holds an object for which the jq
# expression FILTER is true.  json_wait FILTER [TIMEOUT]
json_wait() {
	local filter=$1 timeout=${2:-$LINE_TIMEOUT}
	local deadline=$((SECONDS + timeout))
	while :; do
		# fromjson? skips a line still being written.
		if [ -n "$(jq -R -c "fromjson? | select($filter)" "$T/mon.out" 2>/dev/null | head -n 1)" ]; then
			return 0
		fi
		[ "$SECONDS" -lt "$deadline" ] || { e2e_fail "no JSON object with ($filter) within ${timeout}s"; return 1; }
		sleep 0.1
	done
}

# ---------------------------------------------------------------- more event kinds

# Event lines with LABEL ("Retransmit", "Reset Sent", "Connection Summary"...)
# of socket SRCS -> DST, in order.  kind_lines LABEL SRCS DST [FILE]
kind_lines() {
	conn_lines "$2" "$3" "${4:-$T/mon.out}" | grep -F -e " $1: " || true
}

# The value of the space-free field NAME=value in LINE (empty when absent).
field_of() {
	local re=" $2=([^ ]*)( |\$)"
	[[ $1 =~ $re ]] && printf '%s' "${BASH_REMATCH[1]}"
	return 0
}

# Assert socket SRCS -> DST has exactly one Connection Summary line, owned by
# PID/COMM, with every given FIELD=VALUE.  The line is left in SUMMARY.
# assert_summary SRCS DST PID COMM FIELD=VALUE...
assert_summary() {
	local srcs=$1 dst=$2 pid=$3 comm=$4 kv got n
	shift 4
	SUMMARY=$(kind_lines "Connection Summary" "$srcs" "$dst")
	n=$(grep -c . <<<"$SUMMARY") || true
	if [ "$n" -ne 1 ]; then
		printf 'FAIL: %s Connection Summary lines for SRC=%s DST=%s (want 1):\n%s\n' \
			"$n" "$srcs" "$dst" "$SUMMARY" >&2
		return 1
	fi
	for kv in "PID=$pid" "COMM=$comm" "$@"; do
		got=$(field_of "$SUMMARY" "${kv%%=*}")
		if [ "$got" != "${kv#*=}" ]; then
			printf 'FAIL: summary of SRC=%s DST=%s: want %s, got %s=%s\n  %s\n' \
				"$srcs" "$dst" "$kv" "${kv%%=*}" "$got" "$SUMMARY" >&2
			return 1
		fi
	done
}

# Drop the packets of namespace NS at nftables hook HOOK (input or output)
# that match the nft expression MATCH, until nft_undrop NS HOOK (deleting the
# namespace at teardown removes the rule too).  nft_drop NS HOOK MATCH
nft_drop() {
	ip netns exec "$1" nft -f - <<EOF
table inet snoop_e2e_$2 {
	chain drop_$2 {
		type filter hook $2 priority 0; policy accept;
		$3 drop
	}
}
EOF
}

nft_undrop() {
	ip netns exec "$1" nft delete table inet "snoop_e2e_$2"
}

# ---------------------------------------------------------------- local ports

# A TCP port of this host no socket uses (listening or connected), from 20000
# to 32767 (below the ephemeral ports), for a server a test starts on
# loopback (--metrics, Prometheus); at random, so calls give different ones.
# Fails after 100 taken ones.  free_tcp_port
free_tcp_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 12768))
		if [ -z "$(ss -Htan "( sport = :$port or dport = :$port )")" ]; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	e2e_fail "no free TCP port found"
}

# Assert the JSON event objects of process PID: at least one state_change,
# every one (any action) satisfying the jq expression FILTER, which may use
# the jq variables given as further "--arg NAME VALUE" arguments.
# assert_json_pid PID FILTER [JQ_ARG...]
assert_json_pid() {
	local pid=$1 filter=$2 n bad
	shift 2
	n=$(jq -c --argjson pid "$pid" 'select(.process.pid? == $pid and .event.action == "state_change")' \
		"$T/mon.out" | grep -c .) || true
	[ "$n" -gt 0 ] || { e2e_fail "no state_change object of PID $pid"; return 1; }
	bad=$(jq -c --argjson pid "$pid" "$@" "select(.process.pid? == \$pid) | select(($filter) | not)" \
		"$T/mon.out" | head -n 5)
	if [ -n "$bad" ]; then
		printf 'FAIL: JSON objects of PID %s not matching (%s) %s:\n%s\n' "$pid" "$filter" "$*" "$bad" >&2
		return 1
	fi
}
