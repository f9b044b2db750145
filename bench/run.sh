#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#
# bench/run.sh - socket-snoop's benchmark driver (`make bench`).
#
# In one invocation, over BENCH_ROUNDS interleaved rounds, runs a connection storm (and a
# chatter workload) without a tracer, under each configuration of socket-snoop and under
# the peers found on this machine, and reports per configuration: workload rate (median,
# min, max) and its ratio to the untraced rate, the TCP transitions the kernel made
# (counted independently in the kernel), events received, lost and written, the tracer's
# CPU time, CPU per 1,000 events, peak RSS, start-up time and in-kernel cost per program
# run. Writes docs/BENCHMARKS.md and prints the table.
#
# It never asserts timings: it exits 0 unless something broke (a tracer failed to start or
# to stop cleanly, the workload failed, a tool is missing), 64 for a bad BENCH_* setting.
#
# Environment (default):
#   BENCH_ROUNDS (5)            interleaved rounds, with kernel.bpf_stats_enabled off; then
#                               one more, the cost round, with it on, for the in-kernel
#                               cost per program run (it adds its own cost to each run)
#   BENCH_CONNS (20000)         storm: connections per run
#   BENCH_THREADS (4)           storm: client threads (and as many server threads)
#   BENCH_PAYLOAD (0)           storm: payload bytes each way per connection
#   BENCH_FAMILY (4)            4 or 6
#   BENCH_TOPOLOGY (lo)         lo: the loopback of a fresh network namespace per run;
#                               veth: server and clients in two namespaces joined by veth
#   BENCH_CHATTER (1)           also run the chatter workload (0: storm only), untraced,
#                               with socket-snoop, tcpsnoop (every packet as a line to a
#                               file) and tcptop 1
#   BENCH_CHATTER_CONNS (8)  BENCH_CHATTER_MSGS (20000)  BENCH_CHATTER_SIZE (64)
#   BENCH_CHATTER_RUNS (3)      chatter runs of each configuration per round: a run is
#                               short and its rate noisy, so it gets more samples
#   BENCH_CHATTER_INLINE (0)    1: one thread drives both ends of each chatter connection
#                               (loadgen chatter -i: no scheduler wake-ups, steadier)
#   BENCH_PEERS (1)             also measure peers (a bpftrace script) when installed
#   BENCH_INSTALL (1)           apt-get install bpftrace when it is missing
#   BENCH_TIMEOUT (60)          loadgen's time bound per run, seconds
#   BENCH_SETTLE (1)            seconds of quiet before each run
#   BENCH_STARTUP (1)           also measure start-up with TCP sockets already open
#                               (bench/holdconns holds them; socket-snoop's snapshot of them)
#   BENCH_STARTUP_ONLY (0)      1: only that; the report's start-up section is replaced
#   BENCH_STARTUP_SOCKETS ("10000 100000")  open sockets (both ends count), one row each
#   BENCH_STARTUP_RUNS (3)      socket-snoop start-ups per row
#   BENCH_METRICS_PORT (19580)  loopback port of the storm's --metrics configuration, which
#                               a scraper polls every second (as Prometheus would)
#   BENCH_SCRAPE (1)            also measure what one scrape of /metrics costs socket-snoop
#                               with TCP sockets open in its network namespace
#   BENCH_SCRAPE_ONLY (0)       1: only that; the report's scrape section is replaced
#   BENCH_SCRAPE_SOCKETS ("10000")  open sockets (both ends count), one row each
#   BENCH_SCRAPES (200)         scrapes per row (CPU is read in clock ticks: many scrapes)
#   BENCH_INTERVAL (1)          also measure what --interval=1 costs with connections open
#   BENCH_INTERVAL_ONLY (0)     1: only that; the report's interval section is replaced
#   BENCH_INTERVAL_SOCKETS ("20000")  open sockets (both ends count: 10,000 connections)
#   BENCH_INTERVAL_SECS (20)    seconds measured per row, with and without --interval
#   BENCH_SCENARIOS ("storm fast rps big")  what runs, words from:
#                               storm: the storm above (with the chatter, start-up and
#                                 scrape parts, as their own settings say)
#                               fast: the fastest storm this machine makes, on the host
#                                 namespace's loopback, IPv4 and IPv6
#                               rps: a veth storm between two namespaces with RPS steering
#                                 each end's packets to another CPU, CPU hogs on every core
#                               big: BENCH_BIG_CONNS connections from BENCH_BIG_THREADS threads
#                               without storm, only the sections of the scenarios run are
#                               replaced in an existing report (the rest of it is kept)
#   BENCH_FAST_CONNS (20000)    fast: connections per run
#   BENCH_FAST_THREADS (CPUs)   fast: client threads (and as many server threads); one per
#                               CPU was the fastest here (1, 2, 4 and 8 tried on 2 CPUs)
#   BENCH_SCENARIO_PORT (19582) fast, rps, big: the server port, fixed so that the kernel's
#                               transitions and the lines written of the workload can be told
#                               from the machine's other TCP traffic (the host's, in fast)
#   BENCH_FAST_FAMILIES ("4 6") fast: address families, one table each
#   BENCH_RPS_CONNS (20000)     rps: connections per run (BENCH_FAMILY, veth topology)
#   BENCH_RPS_THREADS (4)       rps: client threads (and as many server threads)
#   BENCH_RPS_HOGS (CPUs)       rps: busy-looping processes, one pinned per CPU in turn, at
#                               normal priority, during every run of rps (untraced included)
#   BENCH_BIG_CONNS (100000)    big: connections per run (fresh namespace's loopback)
#   BENCH_BIG_THREADS (8)       big: client threads (and as many server threads)
#   BENCH_OUT (docs/BENCHMARKS.md)  report path; "-" writes none
#   BENCH_KEEP (0)              1: keep the temporary directory (logs of the last run)
#   SNOOP (build/socket-snoop)  the binary under test
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

rounds=${BENCH_ROUNDS:-5}
conns=${BENCH_CONNS:-20000}
threads=${BENCH_THREADS:-4}
payload=${BENCH_PAYLOAD:-0}
family=${BENCH_FAMILY:-4}
topology=${BENCH_TOPOLOGY:-lo}
chatter=${BENCH_CHATTER:-1}
chatter_conns=${BENCH_CHATTER_CONNS:-8}
chatter_msgs=${BENCH_CHATTER_MSGS:-20000}
chatter_size=${BENCH_CHATTER_SIZE:-64}
chatter_runs=${BENCH_CHATTER_RUNS:-3}
chatter_inline=${BENCH_CHATTER_INLINE:-0}
peers=${BENCH_PEERS:-1}
install=${BENCH_INSTALL:-1}
timeout=${BENCH_TIMEOUT:-60}
settle=${BENCH_SETTLE:-1}
out_md=${BENCH_OUT:-docs/BENCHMARKS.md}
keep=${BENCH_KEEP:-0}
startup=${BENCH_STARTUP:-1}
startup_only=${BENCH_STARTUP_ONLY:-0}
startup_sockets=${BENCH_STARTUP_SOCKETS:-10000 100000}
startup_runs=${BENCH_STARTUP_RUNS:-3}
metrics_port=${BENCH_METRICS_PORT:-19580}
scrape=${BENCH_SCRAPE:-1}
scrape_only=${BENCH_SCRAPE_ONLY:-0}
scrape_sockets=${BENCH_SCRAPE_SOCKETS:-10000}
scrapes=${BENCH_SCRAPES:-200}
interval=${BENCH_INTERVAL:-1}
interval_only=${BENCH_INTERVAL_ONLY:-0}
interval_sockets=${BENCH_INTERVAL_SOCKETS:-20000}
interval_secs=${BENCH_INTERVAL_SECS:-20}
scenarios=${BENCH_SCENARIOS:-storm fast rps big}
fast_conns=${BENCH_FAST_CONNS:-20000}
fast_threads=${BENCH_FAST_THREADS:-$(nproc)}
scenario_port=${BENCH_SCENARIO_PORT:-19582}
fast_families=${BENCH_FAST_FAMILIES:-4 6}
rps_conns=${BENCH_RPS_CONNS:-20000}
rps_threads=${BENCH_RPS_THREADS:-4}
rps_hogs=${BENCH_RPS_HOGS:-$(nproc)}
big_conns=${BENCH_BIG_CONNS:-100000}
big_threads=${BENCH_BIG_THREADS:-8}
snoop=${SNOOP:-build/socket-snoop}

loadgen=bench/loadgen
holdconns=bench/holdconns
scraper=bench/scraper
runstat=bench/runstat
filewrite=bench/filewrite
peer_script=bench/peers/seedlike.bt
banner='Monitoring socket connections'
counter_prog='tracepoint:sock:inet_sock_set_state /args->protocol == 6/ { @n = count(); }'
# With the fast, rps or big scenario, also the transitions of sockets with their server port
# at either end, which tells the workload's from the rest of the machine's traffic (the
# host's in fast; other namespaces', other benchmarks'): main() adds it.
counter_port_prog='if (args->sport == PORT || args->dport == PORT) { @port = count(); }'

tmp=
broke=0
tracer_pid= # runstat of the tracer currently running
counter_pid= # runstat of the in-kernel transition counter
hold_pid= # bench/holdconns holding sockets open for the start-up runs
scraper_pid= # the loop scraping the storm's --metrics configuration
section_pid= # socket-snoop of a scrape-cost or interval-cost row (cleanup() stops it)
scrape_results=
interval_results=
startup_results=
counter_map=
counter_port_map=
counter_prog_id=
hog_pids=() # busy loops of the rps scenario
netns_list=()
stats_old=
tracefs_mounted=0
snoop_copy=

say() { printf 'bench: %s\n' "$*" >&2; }
fail() {
	say "ERROR: $*"
	broke=1
}
die() {
	say "ERROR: $*"
	exit 1
}
usage() {
	say "ERROR: $*"
	exit 64
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# Stops a runstat-wrapped process: SIGINT, then SIGKILL after 30 s. Sets stopped_rc to
# runstat's exit code (the command's). Not in a subshell: only this shell can wait.
stopped_rc=0
stop_wrapped() {
	local pid=$1 ready=$2 i rc=0 child
	kill -INT "$pid" 2>/dev/null || true
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		child=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$ready" 2>/dev/null || true)
		[[ -z $child ]] || kill -KILL "$child" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	stopped_rc=$rc
}

cleanup() {
	local ns
	trap - EXIT INT TERM
	if [[ -n $tracer_pid ]]; then
		stop_wrapped "$tracer_pid" "$tmp/run/tracer.ready"
	fi
	if [[ -n $counter_pid ]]; then
		stop_wrapped "$counter_pid" /dev/null
	fi
	stop_hogs
	[[ -z $scraper_pid ]] || kill -TERM "$scraper_pid" 2>/dev/null || true
	if [[ -n $section_pid ]]; then
		kill -INT "$section_pid" 2>/dev/null || true
		wait "$section_pid" 2>/dev/null || true
	fi
	if [[ -n $hold_pid ]]; then
		kill -TERM "$hold_pid" 2>/dev/null || true
		wait "$hold_pid" 2>/dev/null || true
	fi
	for ns in "${netns_list[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [[ -n $stats_old ]]; then
		sysctl -qw kernel.bpf_stats_enabled="$stats_old" || true
	fi
	if ((tracefs_mounted)); then
		umount /sys/kernel/tracing 2>/dev/null || true
	fi
	if [[ -n $tmp && $keep != 1 ]]; then
		rm -rf "$tmp"
	elif [[ -n $tmp ]]; then
		say "kept $tmp"
	fi
}

# ---- BPF object helpers ------------------------------------------------------------

# Prints the ids of the BPF programs (through prog and link fds) a process holds.
pid_prog_ids() {
	local pid=$1 fd
	for fd in /proc/"$pid"/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in
		anon_inode:bpf-prog | anon_inode:bpf_link)
			sed -n 's/^prog_id:[[:space:]]*//p' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null
			;;
		esac
	done | sort -un
}

# Prints the ids of the BPF maps a process holds.
pid_map_ids() {
	local pid=$1 fd
	for fd in /proc/"$pid"/fd/*; do
		if [[ $(readlink "$fd" 2>/dev/null) == anon_inode:bpf-map ]]; then
			sed -n 's/^map_id:[[:space:]]*//p' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null
		fi
	done | sort -un
}

# Prints "runs total_ns recursion_misses" summed over a process's programs; when some of
# them are named handle_* (socket-snoop's handlers), only those. Details go to $2.
prog_stats() {
	local pid=$1 detail=$2 ids all
	ids=$(pid_prog_ids "$pid" | jq -sc '.')
	# One listing for both: the sum and the details are of the same moment.
	all=$(bpftool prog show -j 2>/dev/null || true)
	jq -r --argjson ids "$ids" '
		[.[] | select(.id as $i | $ids | index($i))] as $mine
		| ([$mine[] | select(.name | startswith("handle"))]) as $h
		| (if ($h | length) > 0 then $h else $mine end) as $sel
		| [($sel | map(.run_cnt // 0) | add // 0),
		   ($sel | map(.run_time_ns // 0) | add // 0),
		   ($sel | map(.recursion_misses // 0) | add // 0)] | @tsv' <<<"$all" 2>/dev/null ||
		echo "- - -"
	jq -r --argjson ids "$ids" '
		.[] | select(.id as $i | $ids | index($i))
		| [.name, .type, (.run_cnt // 0), (.run_time_ns // 0), (.recursion_misses // 0)]
		| @tsv' <<<"$all" >"$detail" 2>/dev/null || true
}

# Sum over CPUs of the counter's per-CPU count, plus the runs the kernel skipped
# (recursion misses), so the count is what the kernel did, not what the counter saw.
# $1 = port: the count of the workload's port only (its misses are added too: an upper
# bound, a skipped run's port is unknown).
kcount() {
	local sum=0 hex misses map=$counter_map
	[[ ${1:-} != port ]] || map=$counter_port_map
	[[ -n $map ]] || {
		echo -
		return
	}
	while read -r hex; do
		sum=$((sum + 16#$hex))
	done < <(bpftool map dump id "$map" -j 2>/dev/null |
		jq -r '.[].values[].value | reverse | map(ltrimstr("0x")) | join("")')
	misses=$(bpftool prog show id "$counter_prog_id" -j 2>/dev/null | jq '.recursion_misses // 0')
	echo $((sum + ${misses:-0}))
}

# CPU time (s) a process has used so far, to the nanosecond, from its threads' schedstat.
cpu_so_far() {
	local pid=$1
	cat /proc/"$pid"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%.6f\n", ns / 1e9}'
}

# A TCP connection to a closed local port: two transitions (SYN_SENT, CLOSE).
probe_connection() {
	(exec 3<>/dev/tcp/127.0.0.1/1) 2>/dev/null || true
}

# "InSegs OutSegs" of TCP, summed over the run's network namespaces (fresh per run, so
# only the workload's segments are in them). Every segment is sent by one local socket
# and received by another: OutSegs is the packets on the wire, InSegs + OutSegs the
# packet lines tcpsnoop should print (one per packet sent, one per packet received).
ns_segs() {
	local ns
	for ns in "${netns_list[@]}"; do
		ip netns exec "$ns" cat /proc/net/snmp
	done | awk '$1 == "Tcp:" && $2 == "RtoAlgorithm" {
			for (i = 2; i <= NF; i++) col[$i] = i
			next
		}
		$1 == "Tcp:" {in_ += $col["InSegs"]; out += $col["OutSegs"]}
		END {print in_ + 0, out + 0}'
}

# ---- set-up ------------------------------------------------------------------------

have_bpftrace() { command -v bpftrace >/dev/null 2>&1; }

setup_bpftrace() {
	if ! have_bpftrace && [[ $install == 1 ]] && command -v apt-get >/dev/null; then
		say "bpftrace is missing: installing it (BENCH_INSTALL=0 to skip)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			bpftrace >/dev/null 2>&1 || say "could not install bpftrace: counts will be n/a"
	fi
	have_bpftrace || return 1
	# bpftrace's classic tracepoints need tracefs, which is not mounted everywhere.
	if [[ ! -e /sys/kernel/tracing/events ]]; then
		if mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
			tracefs_mounted=1
		else
			say "cannot mount tracefs: bpftrace will not work"
			return 1
		fi
	fi
}

# Starts the independent in-kernel counter of TCP transitions (bpftrace, kept running for
# the whole benchmark, read through bpftool between runs).
start_counter() {
	local i ids id
	"$runstat" -o "$tmp/counter.stats" -- bpftrace -e "$counter_prog" \
		>"$tmp/counter.out" 2>"$tmp/counter.err" &
	counter_pid=$!
	for ((i = 0; i < 600; i++)); do
		sleep 0.05
		kill -0 "$counter_pid" 2>/dev/null || break
		local child
		child=$(pgrep -P "$counter_pid" | head -n1 || true)
		[[ -n $child ]] || continue
		if [[ -z $counter_map ]]; then
			ids=$(pid_map_ids "$child" | jq -sc '.')
			# bpftrace names its maps AT_<name>: @n, and @port when counted.
			id=$(bpftool map show -j | jq -r --argjson ids "$ids" \
				'.[] | select((.id as $i | $ids | index($i)) and (.type | startswith("percpu"))
				and .name != "AT_port") | .id' |
				head -n1)
			counter_port_map=$(bpftool map show -j | jq -r --argjson ids "$ids" \
				'.[] | select((.id as $i | $ids | index($i)) and .name == "AT_port") | .id' |
				head -n1)
			counter_prog_id=$(pid_prog_ids "$child" | head -n1)
			# bpftrace creates its maps one by one: look again until every
			# count the program makes is there (@port only when it counts one).
			[[ $counter_prog != *@port* || -n $counter_port_map ]] || continue
			[[ -n $id && -n $counter_prog_id ]] && counter_map=$id
			continue
		fi
		# Attached once it counts a transition we make.
		probe_connection
		if [[ $(kcount) != 0 ]]; then
			return 0
		fi
	done
	say "the bpftrace transition counter did not start: counts will be n/a"
	sed 's/^/  /' "$tmp/counter.err" >&2 || true
	[[ -n $counter_pid ]] && stop_wrapped "$counter_pid" /dev/null
	counter_pid=
	counter_map=
	return 1
}

# ---- network namespaces --------------------------------------------------------------

ns_name=ssbench-$$

# Where and how much each workload runs, by its name in the results: storm, chatter and
# inline as BENCH_TOPOLOGY, BENCH_FAMILY, BENCH_CONNS and BENCH_THREADS say; the other
# scenarios by their own settings (define_workloads). Topologies: lo (a fresh namespace's
# loopback), veth (two namespaces joined by a veth pair), rps (veth with RPS on both
# ends), host (the host namespace's loopback: no namespace of ours).
declare -A wl_topo wl_family wl_conns wl_threads wl_port wl_hogs wl_off

define_workloads() {
	local w f
	for w in storm chatter inline; do
		wl_topo[$w]=$topology wl_family[$w]=$family wl_conns[$w]=$conns wl_threads[$w]=$threads
	done
	# The storm's own port too: the kernel count and the lines written are the
	# workload's, whatever else the machine does meanwhile.
	wl_port[storm]=$scenario_port
	for f in $fast_families; do
		wl_topo[fast$f]=host wl_family[fast$f]=$f wl_conns[fast$f]=$fast_conns
		wl_threads[fast$f]=$fast_threads wl_port[fast$f]=$scenario_port
	done
	wl_topo[rps]=rps wl_family[rps]=$family wl_conns[rps]=$rps_conns
	wl_threads[rps]=$rps_threads wl_hogs[rps]=$rps_hogs wl_port[rps]=$scenario_port
	wl_topo[big]=lo wl_family[big]=$family wl_conns[big]=$big_conns wl_threads[big]=$big_threads
	wl_port[big]=$scenario_port
}

# Fresh namespaces for a run of workload $1 (none for the host topology); non-zero, with
# rps_error set, when RPS cannot be set up.
netns_up() {
	local topo=${wl_topo[$1]}
	if [[ $topo == veth || $topo == rps ]]; then
		ip netns add "$ns_name-srv"
		netns_list+=("$ns_name-srv")
		ip netns add "$ns_name-cli"
		netns_list+=("$ns_name-cli")
		ip link add veth-srv netns "$ns_name-srv" type veth peer name veth-cli \
			netns "$ns_name-cli"
		ip -n "$ns_name-srv" addr add 198.18.0.1/30 dev veth-srv
		ip -n "$ns_name-cli" addr add 198.18.0.2/30 dev veth-cli
		ip -n "$ns_name-srv" addr add fd00:5353::1/64 dev veth-srv nodad
		ip -n "$ns_name-cli" addr add fd00:5353::2/64 dev veth-cli nodad
		ip -n "$ns_name-srv" link set veth-srv up
		ip -n "$ns_name-cli" link set veth-cli up
		ip -n "$ns_name-srv" link set lo up
		ip -n "$ns_name-cli" link set lo up
		# The kernel's default (2) reuses TIME_WAIT ports for loopback only: without
		# reuse, connect() searches ever longer for a free port once thousands of them
		# are in TIME_WAIT and the storm slows down five-fold. Only in our namespace.
		ip netns exec "$ns_name-cli" sysctl -qw net.ipv4.tcp_tw_reuse=1
		if [[ $topo == rps ]]; then
			# veth hands a packet to its peer's receive path on the sending CPU; RPS
			# moves that receive half (where most transitions are made, in softirq) to
			# the CPU of the mask, through an inter-processor interrupt. The server's
			# end receives on the last CPU, the client's on CPU 0: the two sockets of
			# a connection change state on different CPUs, as behind a multi-queue NIC.
			if ! rps_set "$ns_name-srv" veth-srv "$(printf '%x' $((1 << ($(nproc) - 1))))" ||
				! rps_set "$ns_name-cli" veth-cli 1; then
				return 1
			fi
		fi
	elif [[ $topo == lo ]]; then
		ip netns add "$ns_name"
		netns_list+=("$ns_name")
		ip -n "$ns_name" link set lo up
	fi
}

# Writes RPS mask $3 (hex) for rx-0 of device $2 in namespace $1 (ip netns exec mounts
# that namespace's /sys) and reads it back; non-zero with rps_error set when it did not take.
rps_error=
rps_set() {
	local ns=$1 dev=$2 mask=$3 f got
	f=/sys/class/net/$dev/queues/rx-0/rps_cpus
	if (($(nproc) < 2)); then
		rps_error="RPS needs 2 CPUs to steer to another one; this machine has $(nproc)"
		return 1
	fi
	# shellcheck disable=SC2016 # expanded by that sh
	ip netns exec "$ns" sh -c 'echo "$1" >"$2"' _ "$mask" "$f" 2>/dev/null || true
	got=$(ip netns exec "$ns" cat "$f" 2>/dev/null | tr -d ',\n' || true)
	if [[ -z $got ]] || ((16#$got != 16#$mask)); then
		rps_error="cannot set RPS: $f in $ns reads '${got:-nothing}' after writing $mask (CONFIG_RPS?)"
		return 1
	fi
}

# RPS inter-processor interrupts received so far, summed over CPUs (/proc/net/softnet_stat,
# column 10, received_rps): every packet RPS moves to another CPU wakes it with one, or
# joins a backlog already woken.
rps_ipis() {
	local n=0 col
	while read -r _ _ _ _ _ _ _ _ _ col _; do
		n=$((n + 16#$col))
	done </proc/net/softnet_stat
	echo "$n"
}

netns_down() {
	local ns
	for ns in "${netns_list[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	netns_list=()
}

# $2 busy loops (bash, normal priority), pinned to the CPUs in turn, for workload $1 (rps):
# CPU-bound work competing with the workload, the softirqs and the tracer on every core.
start_hogs() {
	local i ncpu
	ncpu=$(nproc)
	for ((i = 0; i < $1; i++)); do
		taskset -c $((i % ncpu)) bash -c 'while :; do :; done' &
		hog_pids+=($!)
	done
}

stop_hogs() {
	local pid
	for pid in "${hog_pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	hog_pids=()
}

# CPU seconds the hogs have used so far.
hog_cpu() {
	local pid t=0 ticks
	for pid in "${hog_pids[@]}"; do
		ticks=$(proc_ticks "$pid")
		[[ $ticks == - ]] || t=$((t + ticks))
	done
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}

# loadgen's options that place workload $1.
placement() {
	local wl=$1 fam='' where=''
	[[ ${wl_family[$wl]} == 6 ]] && fam=-6
	case ${wl_topo[$wl]} in
	veth | rps)
		local addr=198.18.0.1
		[[ $fam == -6 ]] && addr=fd00:5353::1
		where="--server-netns /run/netns/$ns_name-srv --client-netns /run/netns/$ns_name-cli -a $addr"
		;;
	lo) where="--server-netns /run/netns/$ns_name --client-netns /run/netns/$ns_name $fam" ;;
	host) where=$fam ;;
	esac
	# A known server port: the kernel's transitions and the written lines of the workload
	# can then be told from the rest of the machine's traffic.
	[[ -z ${wl_port[$wl]:-} ]] || where="${where:+$where }-p ${wl_port[$wl]}"
	echo "$where"
}

workload_args() {
	case $1 in
	storm | fast* | rps | big)
		echo "storm -n ${wl_conns[$1]} -c ${wl_threads[$1]} -P $payload -t $timeout"
		;;
	chatter)
		echo "chatter -k $chatter_conns -m $chatter_msgs -s $chatter_size -t $timeout$(
			[[ $chatter_inline == 1 ]] && echo " -i")"
		;;
	inline) echo "chatter -k $chatter_conns -m $chatter_msgs -s $chatter_size -t $timeout -i" ;;
	esac
}

# ---- configurations --------------------------------------------------------------------

declare -A cfg_desc cfg_cmd cfg_off
cfg_desc[base]="no tracer"

define_configs() {
	local help=
	if [[ -x $snoop ]]; then
		# Every round measures the same build, even if build/ changes meanwhile.
		snoop_copy=$tmp/socket-snoop
		cp "$snoop" "$snoop_copy"
		# The faces are chosen by the name the binary is started as.
		ln -s socket-snoop "$tmp/tcpsnoop"
		ln -s socket-snoop "$tmp/tcptop"
		help=$("$snoop_copy" --help 2>&1 || true)
		cfg_desc[log]="socket-snoop, log lines to a file"
		# As the systemd unit runs it (deploy/socket-snoop.service): events to the log
		# file only, written once, as the peer writes its lines once to its output.
		cfg_cmd[log]="$snoop --quiet --log-file=\$RUN/log --no-report > \$RUN/console"
		cfg_desc[json]="socket-snoop -j, JSON to a file"
		if grep -q -- '--json' <<<"$help"; then
			cfg_cmd[json]="$snoop -j --quiet --log-file=\$RUN/log --no-report > \$RUN/console"
		else
			cfg_off[json]="not available (--help has no --json)"
		fi
		cfg_desc[filtered]="socket-snoop --lport=1 (filter excludes the workload)"
		if grep -q -- '--lport' <<<"$help"; then
			cfg_cmd[filtered]="$snoop --lport=1 --quiet --log-file=\$RUN/log --no-report > \$RUN/console"
		else
			cfg_off[filtered]="not available (--help has no --lport)"
		fi
		# The same filter from a --config file: read as events come, records kept.
		cfg_desc[reloadable]="socket-snoop --config (lport = 1 in the file: reloadable, excludes the workload)"
		if grep -q -- '--config=' <<<"$help"; then
			printf 'lport = 1\n' >"$tmp/filters.conf"
			chmod 0644 "$tmp/filters.conf"
			cfg_cmd[reloadable]="$snoop --config=$tmp/filters.conf --quiet --log-file=\$RUN/log --no-report > \$RUN/console"
		else
			cfg_off[reloadable]="not available (--help has no --config)"
		fi
		cfg_desc[metrics]="socket-snoop --metrics, log lines to a file, scraped every second"
		if grep -q -- '--metrics=' <<<"$help"; then
			cfg_cmd[metrics]="$snoop --quiet --log-file=\$RUN/log --no-report --metrics=127.0.0.1:$metrics_port > \$RUN/console"
		else
			cfg_off[metrics]="not available (--help has no --metrics)"
		fi
		cfg_desc[tcpsnoop]="tcpsnoop, every packet as a line to a file"
		cfg_cmd[tcpsnoop]="build/tcpsnoop > \$RUN/console"
		cfg_desc[tcptop]="tcptop 1 (1 s interval), output to a file"
		cfg_cmd[tcptop]="build/tcptop 1 > \$RUN/console"
		for c in tcpsnoop tcptop; do
			if ! "$tmp/$c" -h 2>&1 | grep -q "USAGE: $c"; then
				cfg_off[$c]="not available ($c -h does not print its usage)"
				unset "cfg_cmd[$c]"
			fi
		done
	else
		for c in log json filtered reloadable metrics tcpsnoop tcptop; do
			cfg_desc[$c]="socket-snoop ($c)"
			cfg_off[$c]="not available: $snoop is not built"
		done
		fail "$snoop is missing: run make first"
	fi
	cfg_desc[bpftrace]="peer: bpftrace script like the seed tool ($peer_script)"
	if [[ $peers != 1 ]]; then
		cfg_off[bpftrace]="not run (BENCH_PEERS=0)"
	elif ! have_bpftrace; then
		cfg_off[bpftrace]="not available (bpftrace is not installed)"
	else
		cfg_cmd[bpftrace]="bpftrace $peer_script > \$RUN/console"
	fi
}

# Starts the tracer of configuration $1 under runstat; returns non-zero if it did not
# come up (its stderr is shown).
start_tracer() {
	local cfg=$1 run=$tmp/run i watch mark
	local -a cmd
	case $cfg in
	log | startup) cmd=("$snoop_copy" --quiet "--log-file=$run/log" --no-report) ;;
	json) cmd=("$snoop_copy" -j --quiet "--log-file=$run/log" --no-report) ;;
	filtered) cmd=("$snoop_copy" --lport=1 --quiet "--log-file=$run/log" --no-report) ;;
	reloadable)
		cmd=("$snoop_copy" "--config=$tmp/filters.conf" --quiet "--log-file=$run/log" --no-report)
		;;
	metrics)
		cmd=("$snoop_copy" --quiet "--log-file=$run/log" --no-report
			"--metrics=127.0.0.1:$metrics_port")
		;;
	bpftrace) cmd=(bpftrace "$peer_script") ;;
	tcpsnoop) cmd=("$tmp/tcpsnoop") ;;
	tcptop) cmd=("$tmp/tcptop" 1) ;;
	esac
	if [[ $cfg == bpftrace ]]; then
		# bpftrace says "Attaching N probes..." on stdout as it attaches.
		watch=$run/console mark=Attaching
	elif [[ $cfg == tcpsnoop ]]; then
		# tcpsnoop prints its header on stdout once its programs are attached.
		watch=$run/console mark=LADDR
	elif [[ $cfg == tcptop ]]; then
		watch=$run/console mark='Tracing...'
	else
		watch=$run/stderr mark=$banner
	fi
	"$runstat" -o "$run/tracer.stats" -f "$watch" -m "$mark" -r "$run/tracer.ready" -- \
		"${cmd[@]}" >"$run/console" 2>"$run/stderr" &
	tracer_pid=$!
	for ((i = 0; i < 3000; i++)); do
		[[ -e $run/tracer.ready ]] && return 0
		kill -0 "$tracer_pid" 2>/dev/null || break
		sleep 0.01
	done
	stop_wrapped "$tracer_pid" "$run/tracer.ready"
	tracer_pid=
	fail "$cfg: ${cmd[*]} did not start; its stderr:"
	sed 's/^/  /' "$run/stderr" >&2 || true
	return 1
}

# The number after KEY= in a line of key=value pairs (or in a JSON message holding one).
field() { sed -n "s/.*\\b$1=\\(-\\{0,1\\}[0-9][0-9.]*\\).*/\\1/p" <<<"$2" | head -n1; }

# Scrapes 127.0.0.1:$metrics_port/metrics every second, as Prometheus would (gzip),
# into $1/scrapes: one line per scrape, its HTTP status.  bench/scraper is one process
# for the run: a curl started each second would charge the workload with its start-up.
start_scraper() {
	local run=$1
	"$scraper" -o "$run/scrapes" 127.0.0.1 "$metrics_port" &
	scraper_pid=$!
}

# Stops the scraper; a scrape that did not answer 200 breaks the run ($1 names it).
stop_scraper() {
	local what=$1 run=$2 n bad
	kill -TERM "$scraper_pid" 2>/dev/null || true
	wait "$scraper_pid" 2>/dev/null || true
	scraper_pid=
	n=$(wc -l <"$run/scrapes" 2>/dev/null || echo 0)
	bad=$(grep -vc '^200$' "$run/scrapes" 2>/dev/null || true)
	if ((n == 0 || ${bad:-0} > 0)); then
		fail "$what: $n scrapes, ${bad:-0} not answered 200"
	else
		say "$what: $n scrapes of /metrics, all 200"
	fi
}

# State-change lines in socket-snoop's output file $1 (log lines or JSON objects); with a
# port $2, only those with it at either end (the workload's, among the host's traffic).
state_lines() {
	local file=$1 port=$2
	[[ -e $file ]] || {
		echo 0
		return
	}
	# A time-wait socket's early end (TIME_WAIT=reset or reused) is a line of its own,
	# made by no transition of the kernel's: not counted.
	if [[ -z $port ]]; then
		grep -E 'State Change:|"state_change"' "$file" |
			grep -Evc 'TIME_WAIT=re(set|used)|"time_wait_end"' || true
	else
		grep -E 'State Change:|"state_change"' "$file" |
			grep -Ev 'TIME_WAIT=re(set|used)|"time_wait_end"' |
			grep -Ec "(SRC|DST)=[^ ]*:$port( |\$)|\"port\":${port}[,}]" || true
	fi
}

# "ring_full skipped undelivered": events lost by cause, summed over the loss events in
# socket-snoop's output file $1 (its "Events Lost: COUNT=n CAUSE=x" lines or JSON "lost"
# objects), which are written where the events go, -v or not.
lost_causes() {
	sed -n -e 's/.* Events Lost: COUNT=\([0-9]*\) CAUSE=\([a-z_]*\).*/\2 \1/p' \
		-e 's/.*"lost":\([0-9]*\),"lost_cause":"\([a-z_]*\)".*/\2 \1/p' "$1" 2>/dev/null |
		awk '{n[$1] += $2} END {print n["ring_full"] + 0, n["skipped"] + 0, n["undelivered"] + 0}'
}

results=
# Sets write_k: the CPU ms per 1,000 of $2 events that writing run $1's log file alone
# costs. bench/filewrite appends as many bytes as socket-snoop wrote, as its sink does
# (writes of 256 KiB), to a file beside it: that part of socket-snoop's CPU per event is
# the kernel's work for any program writing those bytes (the page cache; JSON lines are
# about 5 times as long as log lines). The log is removed first (kept with BENCH_KEEP=1):
# its pages, just freed, are the ones the page cache takes again. Pages free for longer
# cost more on this machine (the balloon reports them to the host, which must back them
# anew), so this is the least those bytes cost here. "-" without a log file.
write_cost() {
	local run=$1 events=$2 line bytes
	write_k=-
	[[ -s $run/log ]] || return 0
	bytes=$(stat -c %s "$run/log")
	[[ $keep == 1 ]] || rm -f "$run/log"
	if ! line=$("$filewrite" "$run/filewrite" "$bytes" 2>&1); then
		fail "bench/filewrite: $line"
		return 0
	fi
	rm -f "$run/filewrite"
	write_k=$(awk -v c="$(field cpu_s "$line")" -v e="$events" 'BEGIN {printf "%.3f", c * 1e6 / e}')
}

results_header="workload	config	round	status	rate	errors	kernel	events	lost	written	written%	cpu_s	cpu_start_s	cpu_ms_per_1k	rss_mib	startup_ms	bpf_runs	bpf_ns_per_run	bpf_misses	bpf_ns_per_transition	segs_in	segs_out	packets_per_s	workload_cpu_s	lost_ring_full	lost_skipped	lost_undelivered	rps_ipis	hog_cpu_percent	lost_hidden	write_ms_per_1k"
# One run: workload $1 under configuration $2 in round $3; appends a row to $results.
run_one() {
	local wl=$1 cfg=$2 round=$3 run=$tmp/run
	local status=ok rate=- errors=- kernel=- events=- lost=- logged=- kept=- cpu=- cpu_start=-
	local per_k=- rss=- startup=- runs=- ns_run=- ns_kt=- misses=- k0 k1 line lrc=0 child="" st rc
	local cpu_end=
	local lost_rf lost_sk lost_ud
	local s0i s0o s1i s1o segs_in=- segs_out=- pps=- secs port wcpu=- detail=/dev/null
	local kc='' causes="- - -" ipi0 ipis=- hog0 hog_t0 hog_share=- hidden=- write_k=-
	local -a args
	rm -rf "$run"
	mkdir -p "$run"
	sleep "$settle"
	if ! netns_up "$wl"; then
		# Loudly: the scenario is marked failed in the report and the exit status.
		wl_off[$wl]="FAILED: $rps_error"
		fail "$wl: $rps_error"
		netns_down
		return
	fi
	# Started before the tracer and stopped after it: the whole run competes for the CPUs.
	[[ -z ${wl_hogs[$wl]:-} ]] || start_hogs "${wl_hogs[$wl]}"
	if [[ $cfg != base ]]; then
		if ! start_tracer "$cfg"; then
			cfg_off[$cfg]="FAILED to start (round $round)"
			stop_hogs
			netns_down
			return
		fi
		child=$(field pid "$(cat "$run/tracer.ready")")
		startup=$(field startup_ms "$(cat "$run/tracer.ready")")
		cpu_start=$(cpu_so_far "$child")
	fi
	read -ra args <<<"$(workload_args "$wl") $(placement "$wl")"
	[[ $cfg != metrics ]] || start_scraper "$run"
	# With a known server port, only the transitions of the workload's port are its own.
	[[ -z ${wl_port[$wl]:-} ]] || kc=port
	k0=$(kcount $kc)
	read -r s0i s0o <<<"$(ns_segs)"
	ipi0=$(rps_ipis)
	hog0=$(hog_cpu)
	hog_t0=$(date +%s.%N)
	"$loadgen" "${args[@]}" >"$run/loadgen.out" 2>"$run/loadgen.err" || lrc=$?
	# Let transitions still queued in softirq (ksoftirqd) land inside the counted window.
	sleep 0.2
	k1=$(kcount $kc)
	read -r s1i s1o <<<"$(ns_segs)"
	if ((${#hog_pids[@]})); then
		# The hogs' share of all CPUs' time over the same window (clock ticks: coarse).
		hog_share=$(awk -v a="$hog0" -v b="$(hog_cpu)" -v t0="$hog_t0" -v t1="$(date +%s.%N)" \
			-v n="$(nproc)" 'BEGIN {printf "%.1f", 100 * (b - a) / ((t1 - t0) * n)}')
	fi
	if [[ ${wl_topo[$wl]} == rps ]]; then
		ipis=$(($(rps_ipis) - ipi0))
		# Other traffic of the machine may add some, but none means RPS did not act.
		((ipis > 0)) || fail "$wl/$cfg round $round: RPS moved no packet (softnet_stat received_rps did not grow)"
	fi
	# In the host namespace (fast) the segments are not the workload's alone: none counted.
	if ((${#netns_list[@]})); then
		segs_in=$((s1i - s0i))
		segs_out=$((s1o - s0o))
	fi
	line=$(tail -n1 "$run/loadgen.out")
	rate=$(field rate "$line")
	wcpu=$(field cpu_s "$line")
	errors=$(field errors "$line")
	secs=$(field secs "$line")
	port=$(field port "$line")
	if [[ -n $secs && $segs_out != - ]]; then
		pps=$(awk -v n="$segs_out" -v s="$secs" 'BEGIN {if (s > 0) printf "%.0f", n / s; else print "-"}')
	fi
	if ((lrc != 0)) || [[ -z $rate ]]; then
		status=workload-failed
		fail "$wl/$cfg round $round: loadgen exited $lrc: $(tr '\n' ' ' <"$run/loadgen.err")"
	fi
	[[ $k0 != - && $k1 != - ]] && kernel=$((k1 - k0))
	[[ $cfg != metrics ]] || stop_scraper "$wl/$cfg round $round" "$run"
	if [[ -n $child ]]; then
		# Runs and run time are only counted with stats on: in the cost round.
		[[ $round != cost ]] || detail=$tmp/progs-$wl-$cfg.tsv
		# Waited for (not read from a process substitution, which would go on listing
		# the programs while the tracer is stopped and leave the details empty).
		line=$(prog_stats "$child" "$detail")
		read -r runs st misses <<<"$line"
		if [[ $round != cost ]]; then
			runs=-
			st=-
		fi
		# The events are all read by now (the reader drains every 10 ms): what the stop
		# costs (freeing tables and maps, the summary) is paid once, like the start-up.
		cpu_end=$(cpu_so_far "$child")
		stop_wrapped "$tracer_pid" "$run/tracer.ready"
		rc=$stopped_rc
		tracer_pid=
		stop_hogs
		if [[ $rc != 0 ]]; then
			status=tracer-failed
			fail "$wl/$cfg round $round: the tracer exited with $rc; its stderr:"
			sed 's/^/  /' "$run/stderr" >&2 || true
		fi
		if is_uint "$runs" && ((runs > 0)); then
			ns_run=$(awk -v t="$st" -v n="$runs" 'BEGIN {printf "%.0f", t / n}')
		fi
		# Per-transition figures only mean something when transitions are the load.
		if is_uint "$st" && [[ $kernel != - ]] && ((kernel >= 1000)); then
			ns_kt=$(awk -v t="$st" -v n="$kernel" 'BEGIN {printf "%.0f", t / n}')
		fi
		line=$(cat "$run/tracer.stats" 2>/dev/null || true)
		cpu=$(field cpu_s "$line")
		rss=$(awk -v k="$(field maxrss_kb "$line")" 'BEGIN {printf "%.1f", k / 1024}')
		if [[ $cfg == bpftrace ]]; then
			events=$(grep -c 'State Change:' "$run/console" || true)
			lost=$(cat "$run/console" "$run/stderr" | sed -n 's/.*Lost \([0-9]*\) events.*/\1/p' |
				awk '{n += $1} END {print n + 0}')
			logged=$events
		elif [[ $cfg == tcpsnoop ]]; then
			# events: every packet line (the header left out); written: the workload's
			# lines (its port at either end), against the namespaces' InSegs + OutSegs.
			events=$(awk 'NR > 1' "$run/console" | wc -l)
			logged=$(awk -v p="${port:-x}" 'NR > 1 && ($4 == p || $7 == p)' "$run/console" | wc -l)
			lost=$(sed -n 's/^tcpsnoop: \([0-9]*\) packet lines lost.*/\1/p' "$run/stderr" |
				awk '{n += $1} END {print n + 0}')
		elif [[ $cfg == tcptop ]]; then
			events=-
			logged=$(grep -c 'LADDR' "$run/console" || true) # reports printed
			lost=$(sed -n 's/^tcptop: \([0-9]*\) packets not counted.*/\1/p' "$run/stderr" |
				awk '{n += $1} END {print n + 0}')
		else
			line=$(grep -a 'Summary:' "$run/stderr" | tail -n1 || true)
			events=$(field RECEIVED "$line")
			lost=$(field LOST "$line")
			# Said only when the kernel hid any (common/hidden.c); host-wide.
			hidden=$(field HIDDEN "$line")
			[[ -n $events ]] || events=-
			[[ -n $lost ]] || lost=-
			[[ -n $hidden || $lost == - ]] || hidden=0
			[[ -n $hidden ]] || hidden=-
			logged=$(state_lines "$run/log" "${wl_port[$wl]:-}")
			causes=$(lost_causes "$run/log")
		fi
		[[ -n $logged ]] || logged=0
		if [[ $cfg == tcpsnoop ]]; then
			if ((segs_in + segs_out > 0)); then
				kept=$(awk -v l="$logged" -v k="$((segs_in + segs_out))" \
					'BEGIN {printf "%.3f", 100 * l / k}')
			fi
		elif [[ $cfg == tcptop ]]; then
			: # no per-event figure: tcptop counts in the kernel
		elif [[ $kernel != - ]] && ((kernel >= 1000)); then
			kept=$(awk -v l="$logged" -v k="$kernel" 'BEGIN {printf "%.1f", 100 * l / k}')
		fi
		# CPU per 1,000 events, start-up and stop excluded: they are paid once, not per event.
		if is_uint "$events" && ((events >= 1000)) && [[ -n $cpu_end ]]; then
			per_k=$(awk -v c="$cpu_end" -v s="$cpu_start" -v e="$events" \
				'BEGIN {printf "%.3f", (c - s) * 1e6 / e}')
			write_cost "$run" "$events"
		fi
	fi
	stop_hogs
	read -r lost_rf lost_sk lost_ud <<<"$causes"
	printf '%s\n' "$wl	$cfg	$round	$status	$rate	$errors	$kernel	$events	$lost	$logged	$kept	${cpu:--}	$cpu_start	$per_k	$rss	${startup:--}	$runs	$ns_run	$misses	$ns_kt	$segs_in	$segs_out	$pps	${wcpu:--}	$lost_rf	$lost_sk	$lost_ud	$ipis	$hog_share	$hidden	$write_k" >>"$results"
	say "$(printf 'round %s/%d %-7s %-9s rate=%s kernel=%s events=%s lost=%s (%s/%s/%s) written=%s cpu=%s write=%sms/1k rss=%sMiB start=%sms bpf=%sns/run segs=%s+%s pkt/s=%s%s' \
		"$round" "$rounds" "$wl" "$cfg" "$rate" "$kernel" "$events" "$lost" "$lost_rf" \
		"$lost_sk" "$lost_ud" "$logged" "${cpu:--}" "$write_k" "$rss" "${startup:--}" "$ns_run" \
		"$segs_in" "$segs_out" "$pps" \
		"$([[ $ipis == - ]] || echo " rps_ipis=$ipis hogs=$hog_share%")")"
	netns_down
}

# ---- start-up with sockets open -------------------------------------------------------

# Start-up of socket-snoop (as the log configuration runs it) while bench/holdconns holds
# $1 TCP sockets open in a fresh namespace: its snapshot of the connections open at start
# finds and records every one of them before the banner. Appends a row per start-up to
# $startup_results: sockets run status startup_ms maxrss_kb cpu_s.
startup_one() {
	local n=$1 r i run=$tmp/run ns=$ns_name-hold stats status
	ip netns add "$ns"
	netns_list+=("$ns")
	ip -n "$ns" link set lo up
	# Bounded by itself too: each start-up may take the 30 s start_tracer allows.
	ip netns exec "$ns" "$holdconns" -n "$n" -t $((startup_runs * 40 + 120)) \
		>"$tmp/hold.out" 2>"$tmp/hold.err" &
	hold_pid=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready ' "$tmp/hold.out" 2>/dev/null && break
		kill -0 "$hold_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '^ready ' "$tmp/hold.out"; then
		fail "holdconns -n $n did not get ready; its stderr:"
		sed 's/^/  /' "$tmp/hold.err" >&2 || true
		kill -TERM "$hold_pid" 2>/dev/null || true
		wait "$hold_pid" 2>/dev/null || true
		hold_pid=
		netns_down
		return
	fi
	say "start-up: $(cat "$tmp/hold.out")"
	for ((r = 1; r <= startup_runs; r++)); do
		rm -rf "$run"
		mkdir -p "$run"
		sleep "$settle"
		status=ok
		if start_tracer startup; then
			stop_wrapped "$tracer_pid" "$run/tracer.ready"
			tracer_pid=
			if ((stopped_rc != 0)); then
				status=stop-failed
				fail "start-up run $r with $n sockets: socket-snoop exited $stopped_rc"
			fi
		else
			status=start-failed
		fi
		stats=$(cat "$run/tracer.stats" 2>/dev/null || true)
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$r" "$status" \
			"$(field startup_ms "$stats")" "$(field maxrss_kb "$stats")" \
			"$(field cpu_s "$stats")" >>"$startup_results"
	done
	kill -TERM "$hold_pid" 2>/dev/null || true
	wait "$hold_pid" 2>/dev/null || true
	hold_pid=
	netns_down
}

# ---- what a scrape costs ----------------------------------------------------------------

# User + system CPU of process $1 so far, in clock ticks (/proc/PID/stat fields 14, 15).
proc_ticks() {
	awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo -
}

# Start bench/holdconns in a fresh namespace NS holding N TCP sockets open for at most
# SECS seconds, its output in DIR/hold.out and DIR/hold.err (hold_pid set); 0 once it
# is ready.  hold_start NS N SECS DIR
hold_start() {
	local ns=$1 n=$2 secs=$3 dir=$4 i
	ip netns add "$ns"
	netns_list+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" "$holdconns" -n "$n" -t "$secs" >"$dir/hold.out" 2>"$dir/hold.err" &
	hold_pid=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready ' "$dir/hold.out" 2>/dev/null && return 0
		kill -0 "$hold_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^ready ' "$dir/hold.out"
}

# socket-snoop --metrics in a fresh namespace where bench/holdconns holds $1 TCP sockets
# open; $scrapes scrapes of /metrics, one after another, and the CPU they cost it. Appends
# a row to $scrape_results: sockets status scrapes cpu_ms_per_scrape render_ms_median
# bytes_gzip bytes_plain tcp_sockets.
scrape_one() {
	local n=$1 i ns=$ns_name-scrape run=$tmp/scrape url t0 t1 status=ok render=- bytes_gz=-
	local bytes=- tcp=- per=- states=-
	url=http://127.0.0.1:$metrics_port/metrics
	rm -rf "$run"
	mkdir -p "$run"
	if hold_start "$ns" "$n" $((scrapes / 5 + 180)) "$run"; then
		ip netns exec "$ns" "$snoop_copy" --quiet --no-log-file --no-report \
			"--metrics=127.0.0.1:$metrics_port" >"$run/console" 2>"$run/stderr" &
		section_pid=$!
		for ((i = 0; i < 300; i++)); do
			ip netns exec "$ns" curl -sf -o /dev/null -m 1 "${url%/metrics}/healthz" && break
			sleep 0.1
		done
	else
		fail "scrape: holdconns -n $n did not get ready: $(tr '\n' ' ' <"$run/hold.err")"
		status=hold-failed
	fi
	if [[ $status == ok ]] && ip netns exec "$ns" curl -sf -o "$run/plain" "$url"; then
		ip netns exec "$ns" curl -sf -o "$run/gz" -H 'Accept-Encoding: gzip' "$url"
		t0=$(proc_ticks "$section_pid")
		for ((i = 0; i < scrapes; i++)); do
			# As Prometheus asks (gzip), then a plain one that reads what the previous
			# one's writing took by socket-snoop's own thread clock.
			ip netns exec "$ns" curl -s -H 'Accept-Encoding: gzip' "$url" -o /dev/null
			ip netns exec "$ns" curl -s "$url" -o "$run/last"
			sed -n 's/^socket_snoop_scrape_cpu_seconds //p' "$run/last" >>"$run/render"
			sed -n 's/^socket_snoop_tcp_sockets_read_cpu_seconds //p' "$run/last" >>"$run/states"
		done
		t1=$(proc_ticks "$section_pid")
		per=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v n="$((scrapes * 2))" \
			'BEGIN {printf "%.2f", (b - a) * 1000 / hz / n}')
		render=$(sort -g "$run/render" |
			awk '{v[NR] = $1} END {if (NR) printf "%.2f", v[int((NR + 1) / 2)] * 1000; else print "-"}')
		states=$(sort -g "$run/states" |
			awk '{v[NR] = $1} END {if (NR) printf "%.2f", v[int((NR + 1) / 2)] * 1000; else print "-"}')
		bytes=$(wc -c <"$run/plain")
		bytes_gz=$(wc -c <"$run/gz")
		tcp=$(awk '/^socket_snoop_tcp_sockets\{/ {n += $2} END {print n + 0}' "$run/plain")
	elif [[ $status == ok ]]; then
		status=no-answer
		fail "scrape: /metrics did not answer; socket-snoop said: $(tr '\n' ' ' <"$run/stderr")"
	fi
	if [[ -n $section_pid ]]; then
		kill -INT "$section_pid" 2>/dev/null || true
		if ! wait "$section_pid" 2>/dev/null; then
			status=stop-failed
			fail "scrape: socket-snoop did not exit 0"
		fi
		section_pid=
	fi
	kill -TERM "$hold_pid" 2>/dev/null || true
	wait "$hold_pid" 2>/dev/null || true
	hold_pid=
	netns_down
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$status" "$((scrapes * 2))" "$per" \
		"$render" "$bytes_gz" "$bytes" "$tcp" "$states" >>"$scrape_results"
	say "scrape: $n sockets: $per ms CPU per scrape (writing $render ms, reading the TCP states $states ms), $bytes_gz bytes gzip ($bytes plain), $tcp TCP sockets counted"
}

# socket-snoop in a fresh namespace where bench/holdconns holds $1 TCP sockets open
# (found at start, so followed), writing its lines to a log file, for $interval_secs
# seconds with --interval=1, then as long without it.  Appends a row to
# $interval_results: sockets status cpu_ms_per_s_with cpu_ms_per_s_without
# updates_per_s.
interval_one() {
	local n=$1 i ns=$ns_name-interval run=$tmp/interval status=ok with=- without=- lines=-
	local t0 t1 l0 l1 pid mode cpu
	rm -rf "$run"
	mkdir -p "$run"
	if ! hold_start "$ns" "$n" $((interval_secs * 2 + 180)) "$run"; then
		fail "interval: holdconns -n $n did not get ready: $(tr '\n' ' ' <"$run/hold.err")"
		status=hold-failed
	fi
	for mode in with without; do
		[[ $status == ok ]] || break
		local -a extra=()
		[[ $mode == with ]] && extra=(--interval=1)
		ip netns exec "$ns" "$snoop_copy" --quiet "--log-file=$run/$mode.log" --no-report \
			"${extra[@]}" >"$run/console" 2>"$run/stderr" &
		section_pid=$!
		pid=$section_pid
		for ((i = 0; i < 300; i++)); do
			grep -q '^Monitoring socket connections' "$run/stderr" && break
			sleep 0.1
		done
		# Past start-up and the first updates (an interval after it).
		sleep 2
		l0=$(grep -c ' Connection Update: ' "$run/$mode.log" || true)
		t0=$(proc_ticks "$pid")
		sleep "$interval_secs"
		t1=$(proc_ticks "$pid")
		l1=$(grep -c ' Connection Update: ' "$run/$mode.log" || true)
		cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v s="$interval_secs" \
			'BEGIN {printf "%.1f", (b - a) * 1000 / hz / s}')
		if [[ $mode == with ]]; then
			with=$cpu
			lines=$(awk -v a="$l0" -v b="$l1" -v s="$interval_secs" 'BEGIN {printf "%.0f", (b - a) / s}')
		else
			without=$cpu
		fi
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || { status=stop-failed; fail "interval: socket-snoop did not exit 0"; }
		section_pid=
	done
	kill -TERM "$hold_pid" 2>/dev/null || true
	wait "$hold_pid" 2>/dev/null || true
	hold_pid=
	netns_down
	printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$status" "$with" "$without" "$lines" >>"$interval_results"
	say "interval: $n sockets: $with ms CPU a second with --interval=1 ($without without), $lines updates a second"
}

interval_table() {
	echo "| TCP sockets open | socket-snoop CPU ms a second, --interval=1 | without | updates written a second |"
	echo "|---:|---:|---:|---:|"
	awk -F'\t' '{printf "| %s | %s | %s | %s |\n", $1, $3, $4, $5}' "$interval_results"
}

interval_section() {
	cat <<EOF
## What --interval costs

socket-snoop writing its lines to a log file in a fresh namespace where \`bench/holdconns\`
holds TCP sockets open (both ends count: 20,000 sockets are 10,000 connections), with
\`--interval=1\` (a Connection Update of every connection each second, read by the
\`connection_updates\` iterator over every process's open files) and without it, for
$interval_secs seconds each. The CPU is socket-snoop's, user and system: the iterator runs in
its \`read()\` of the iterator, so the kernel's walk is in it.

$(interval_table)

\`\`\`sh
BENCH_INTERVAL_ONLY=1 BENCH_INTERVAL_SOCKETS="$interval_sockets" bench/run.sh
ip netns exec ssbench-interval socket-snoop --quiet --log-file=FILE --no-report --interval=1
\`\`\`
EOF
}

scrape_table() {
	echo "| TCP sockets open | TCP sockets counted | scrapes | socket-snoop CPU ms per scrape | writing the exposition ms (median) | reading the TCP states ms (median) | bytes gzip (plain) |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s (%s) |\n", $1, $8, $3, $4, $5, $9, $6, $7}' \
		"$scrape_results"
}

scrape_section() {
	cat <<EOF
## What a scrape of /metrics costs

socket-snoop with \`--metrics\` in a fresh namespace where \`bench/holdconns\` holds TCP
sockets open (both ends count, plus a listener per holding process), scraped one request
after another: every scrape reads the BPF programs' and maps' figures and /proc/self,
and writes (and, asked for gzip, compresses) the exposition; the TCP-states gauge is
read again (one socket diagnostics dump and two /proc files) only when the last read is
older than 1000 times what it cost, so a scraper polling as fast as it can pays for it
a few times only: the dump's own cost is its column. A scrape that reads it costs the
writing plus the reading. Measured before the storms: the dump
walks the kernel's established table, which every namespace shares, and the storms
leave tens of thousands of time-wait sockets in it for a minute, each visited by the
walk (5.4 ms per scrape right after them, at 0ff24ad).

$(scrape_table)

\`\`\`sh
BENCH_SCRAPE_ONLY=1 BENCH_SCRAPE_SOCKETS="$scrape_sockets" BENCH_SCRAPES=$scrapes bench/run.sh
ip netns exec ssbench-scrape socket-snoop --quiet --no-log-file --no-report --metrics=127.0.0.1:$metrics_port
\`\`\`

- **CPU ms per scrape**: socket-snoop's user + system time over all the scrapes (its
  /proc/PID/stat, in clock ticks), divided by their number: the kernel's share (the
  dump, the reads) included. Half the scrapes ask for gzip, as Prometheus does.
- **reading the TCP states**: socket-snoop's own figure,
  \`socket_snoop_tcp_sockets_read_cpu_seconds\`: its thread's CPU time, the kernel's walk
  of its connection table included.
- **writing the exposition**: socket-snoop's own figure,
  \`socket_snoop_scrape_cpu_seconds\`: its thread's CPU time reading the figures and
  writing them, compression left out.
EOF
}

# "median min max" of column $2 over the good start-ups with $1 sockets.
startup_agg() {
	awk -F'\t' -v n="$1" -v k="$2" '$1 == n && $3 == "ok" && $k != "" {print $k}' \
		"$startup_results" | sort -g | awk '{v[NR] = $1}
		END {
			if (!NR) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR]
		}'
}

kib_mib() { if [[ $1 == - ]]; then echo -; else awk -v k="$1" 'BEGIN {print k / 1024}'; fi; }

startup_table() {
	local n good
	local -a ms rss cpu
	echo "| TCP sockets open at start | start-up ms median (min – max) | peak RSS MiB median (max) | CPU s median | good runs |"
	echo "|---:|---:|---:|---:|---:|"
	for n in $startup_sockets; do
		read -ra ms <<<"$(startup_agg "$n" 4)"
		read -ra rss <<<"$(startup_agg "$n" 5)"
		read -ra cpu <<<"$(startup_agg "$n" 6)"
		good=$(awk -F'\t' -v n="$n" '$1 == n && $3 == "ok"' "$startup_results" | wc -l)
		printf '| %s | %s (%s – %s) | %s (%s) | %s | %s of %s |\n' "$n" \
			"$(fmt %.0f "${ms[0]}")" "$(fmt %.0f "${ms[1]}")" "$(fmt %.0f "${ms[2]}")" \
			"$(fmt %.1f "$(kib_mib "${rss[0]}")")" "$(fmt %.1f "$(kib_mib "${rss[2]}")")" \
			"$(fmt %.2f "${cpu[0]}")" "$good" "$startup_runs"
	done
}

# The report's start-up section, heading included.
startup_section() {
	cat <<EOF
## Start-up with connections open

socket-snoop's start-up while \`bench/holdconns\` holds established loopback connections
in a fresh namespace (both ends count as sockets, spread over processes of at most
18,000 descriptors each, plus a listener per process): everything it does before its
banner, including the snapshot of the connections open at start, which finds, attributes
and records every one of them. $startup_runs start-ups per row.

$(startup_table)

\`\`\`sh
BENCH_STARTUP_ONLY=1 BENCH_STARTUP_SOCKETS="$startup_sockets" BENCH_STARTUP_RUNS=$startup_runs bench/run.sh
ip netns exec ssbench-hold bench/holdconns -n SOCKETS -t SECS
socket-snoop --quiet --log-file=\$RUN/log --no-report   # under bench/runstat
\`\`\`

- **start-up ms**: from fork() of socket-snoop to its \`$banner\` banner, as in the
  other tables; **peak RSS**: its \`ru_maxrss\`; **CPU s**: user + system over its whole
  life (start-up, snapshot, stop).

<details><summary>All start-ups (tab-separated)</summary>

\`\`\`
sockets	run	status	startup_ms	maxrss_kb	cpu_s
$(cat "$startup_results")
\`\`\`
</details>
EOF
}

# BENCH_STARTUP_ONLY=1 and BENCH_SCRAPE_ONLY=1: the section $1 ("## $2") of an existing
# report is replaced, or put where make bench puts it (before the in-kernel cost), and the
# rest of the report kept; without a report, one of that section alone.
write_section_report() {
	local section=$1 title=$2
	if [[ -f $out_md ]]; then
		SECTION=$section TITLE="## $title" awk '
			$0 == ENVIRON["TITLE"] { print ENVIRON["SECTION"]; print ""; skip = 1; done = 1; next }
			/^## In-kernel cost per program/ && !done { print ENVIRON["SECTION"]; print ""; done = 1 }
			skip && /^## / { skip = 0 }
			!skip { print }
			END { if (!done) { print ""; print ENVIRON["SECTION"] } }' "$out_md"
	else
		echo "# socket-snoop benchmarks"
		echo
		echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'):"
		echo "$(nproc) CPUs, kernel $(uname -r). \`make bench\` writes every section."
		echo
		printf '%s\n' "$section"
	fi
}

# Writes report $1 to $out_md (unless "-").
save_report() {
	if [[ $out_md != - ]]; then
		mkdir -p "$(dirname "$out_md")"
		printf '%s\n' "$1" >"$out_md"
		say "wrote $out_md"
	fi
}

# ---- report ---------------------------------------------------------------------------

# Column numbers in $results.
c_status=4 c_rate=5 c_kernel=7 c_events=8 c_lost=9 c_logged=10 c_kept=11 c_cpu=12
c_cpu_start=13 c_per_k=14 c_rss=15 c_startup=16 c_runs=17 c_ns_run=18 c_misses=19
c_ns_kt=20 c_segs_in=21 c_segs_out=22 c_pps=23 c_wcpu=24 c_lost_rf=25 c_lost_sk=26
c_lost_ud=27 c_ipis=28 c_hog=29 c_hidden=30 c_write_k=31

# Columns of the workload's speed: the cost round (stats on, which slows every program
# run) is left out of them.
speed_cols=" $c_rate $c_pps $c_wcpu "

# Prints "median min max" of column $3 over the good runs of workload $1, configuration $2.
agg() {
	local cost=1
	[[ $speed_cols != *" $3 "* ]] || cost=0
	awk -F'\t' -v w="$1" -v c="$2" -v k="$3" -v s="$c_status" -v cost="$cost" \
		'$1 == w && $2 == c && $s == "ok" && $k != "-" && $k != "" &&
		 (cost || $3 != "cost") {print $k}' "$results" |
		sort -g | awk '{v[NR] = $1}
		END {
			if (!NR) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR]
		}'
}

med() { agg "$@" | cut -d' ' -f1; }

# "median (worst)" of a column: worst is its max ($5 = max) or min ($5 = min).
worst() {
	local m lo hi w
	read -r m lo hi <<<"$(agg "$1" "$2" "$3")"
	[[ $m != - ]] || {
		echo -
		return
	}
	w=$hi
	[[ $5 == min ]] && w=$lo
	echo "$(fmt "$4" "$m") ($(fmt "$4" "$w"))"
}

# Per-round ratios of configuration $2's rate to the untraced rate, one per line.
round_ratios() {
	awk -F'\t' -v w="$1" -v c="$2" -v s="$c_status" -v r="$c_rate" '
		$3 == "cost" {next}
		$1 == w && $s == "ok" && $2 == "base" {b[$3] = $r}
		$1 == w && $s == "ok" && $2 == c {t[$3] = $r}
		END {for (k in t) if (k in b && b[k] > 0) printf "%.6f\n", t[k] / b[k]}' "$results"
}

# Per-round ratios of configuration $2's rate to the untraced rate: "min max".
ratio_range() {
	round_ratios "$1" "$2" | sort -g |
		awk 'NR == 1 {lo = $1} {hi = $1} END {if (NR) printf "%.3f %.3f\n", lo, hi; else print "- -"}'
}

fmt() { # fmt PRINTF_FORMAT VALUE: "-" passes through
	if [[ $2 == - || -z $2 ]]; then echo -; else awk -v v="$2" "BEGIN {printf \"$1\", v}"; fi
}

# Rate and ratio cells of configuration $2 in workload $1: "median | min – max | ratio".
rate_cells() {
	local wl=$1 cfg=$2 m lo hi base r rlo rhi
	read -r base _ _ <<<"$(agg "$wl" base $c_rate)"
	read -r m lo hi <<<"$(agg "$wl" "$cfg" $c_rate)"
	r=-
	if [[ $m != - && $base != - ]]; then
		r=$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.3f", a / b}')
	fi
	read -r rlo rhi <<<"$(ratio_range "$wl" "$cfg")"
	if [[ $cfg == base ]]; then
		r=1
	elif [[ $rlo != - ]]; then
		r="$r ($rlo – $rhi)"
	fi
	printf '%s | %s – %s | %s' "$(fmt %.0f "$m")" "$(fmt %.0f "$lo")" "$(fmt %.0f "$hi")" "$r"
}

# The effect of storm workload $1 on its rate and what reached the log: one row per
# configuration $2...
storm_table() {
	local wl=$1 cfg
	shift
	echo "| configuration | conn/s median | min – max | ratio to untraced (per-round range) | kernel transitions | events received | events lost (worst run) | lost by cause, worst run: ring full / skipped / undelivered / hidden by the kernel (host-wide) | state lines written | written / kernel (worst run) |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	if [[ -n ${wl_off[$wl]:-} ]]; then
		echo "| $wl | ${wl_off[$wl]} | | | | | | | | |"
		return
	fi
	for cfg in "$@"; do
		if [[ -n ${cfg_off[$cfg]:-} ]]; then
			echo "| ${cfg_desc[$cfg]} | ${cfg_off[$cfg]} | | | | | | | | |"
			continue
		fi
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${cfg_desc[$cfg]}" \
			"$(rate_cells "$wl" "$cfg")" \
			"$(fmt %.0f "$(med "$wl" "$cfg" $c_kernel)")" \
			"$(fmt %.0f "$(med "$wl" "$cfg" $c_events)")" \
			"$(worst "$wl" "$cfg" $c_lost %.0f max)" \
			"$(lost_cause_cell "$wl" "$cfg")" \
			"$(fmt %.0f "$(med "$wl" "$cfg" $c_logged)")" \
			"$(worst "$wl" "$cfg" $c_kept %.1f%% min)"
	done
}

# "ring full / skipped / undelivered / hidden" lost in the worst run of each cause, "-"
# without them.
lost_cause_cell() {
	local rf sk ud hd
	read -r _ _ rf <<<"$(agg "$1" "$2" $c_lost_rf)"
	read -r _ _ sk <<<"$(agg "$1" "$2" $c_lost_sk)"
	read -r _ _ ud <<<"$(agg "$1" "$2" $c_lost_ud)"
	read -r _ _ hd <<<"$(agg "$1" "$2" $c_hidden)"
	if [[ $rf == - && $sk == - && $ud == - ]]; then
		echo -
	else
		echo "$rf / $sk / $ud / $hd"
	fi
}

# What storm workload $1 cost each tracer: one row per tracer configuration $2...
# Whether scraping --metrics every second costs more than the noise of workload $1: the
# scraped configuration's median against the range of the unscraped log runs (the same
# output, the same rounds), for the rate ratio and the CPU per 1,000 events. A sentence.
scrape_verdict() {
	local wl=$1 r_log r_met c_log_lo c_log_hi c_met
	[[ -z ${cfg_off[metrics]:-} && -z ${cfg_off[log]:-} ]] || return 0
	r_log=$(round_ratios "$wl" log | sort -g | tr '\n' ' ')
	r_met=$(round_ratios "$wl" metrics | sort -g | tr '\n' ' ')
	read -r _ c_log_lo c_log_hi <<<"$(agg "$wl" log $c_per_k)"
	read -r c_met _ _ <<<"$(agg "$wl" metrics $c_per_k)"
	[[ -n $r_log && -n $r_met && $c_met != - && $c_log_hi != - ]] || return 0
	awk -v rl="$r_log" -v rm="$r_met" -v clo="$c_log_lo" -v chi="$c_log_hi" -v cm="$c_met" '
		function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
		BEGIN {
			nl = split(rl, l, " "); nm = split(rm, m, " ")
			rmed = med(m, nm)
			ok_r = rmed >= l[1]; ok_c = cm <= chi
			printf "Scraped every second against not scraped (the log lines runs): rate ratio %.3f, median of %d rounds, against %.3f – %.3f; CPU per 1,000 events %.3f ms against %.3f – %.3f ms. ", rmed, nm, l[1], l[nl], cm, clo, chi
			if (ok_r && ok_c) print "Both within the noise of the runs without the scraper."
			else printf "Outside the noise of the runs without the scraper: %s.\n", \
				!ok_r && !ok_c ? "the rate and the CPU" : !ok_r ? "the rate" : "the CPU"
		}'
}

storm_cost_table() {
	local wl=$1 cfg
	shift
	echo "| configuration | CPU s (start-up) | CPU ms / 1k events | of which the file write alone | peak RSS MiB | start-up ms | BPF ns / run | BPF runs | BPF ns / kernel transition | recursion misses |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	if [[ -n ${wl_off[$wl]:-} ]]; then
		echo "| $wl | ${wl_off[$wl]} | | | | | | | | |"
		return
	fi
	for cfg in "$@"; do
		[[ $cfg != base ]] || continue
		if [[ -n ${cfg_off[$cfg]:-} ]]; then
			echo "| ${cfg_desc[$cfg]} | ${cfg_off[$cfg]} | | | | | | | | |"
			continue
		fi
		printf '| %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${cfg_desc[$cfg]}" \
			"$(fmt %.3f "$(med "$wl" "$cfg" $c_cpu)")" \
			"$(fmt %.3f "$(med "$wl" "$cfg" $c_cpu_start)")" \
			"$(fmt %.3f "$(med "$wl" "$cfg" $c_per_k)")" \
			"$(fmt %.3f "$(med "$wl" "$cfg" $c_write_k)")" \
			"$(fmt %.1f "$(med "$wl" "$cfg" $c_rss)")" \
			"$(fmt %.1f "$(med "$wl" "$cfg" $c_startup)")" \
			"$(fmt %.0f "$(med "$wl" "$cfg" $c_ns_run)")" \
			"$(fmt %.0f "$(med "$wl" "$cfg" $c_runs)")" \
			"$(fmt %.0f "$(med "$wl" "$cfg" $c_ns_kt)")" \
			"$(fmt %.0f "$(med "$wl" "$cfg" $c_misses)")"
	done
}

chatter_table() {
	local cfg base w
	echo "| configuration | round trips/s median | min – max | ratio to untraced (per-run range) | workload CPU µs / round trip (ratio) | packets/s median | CPU s (start-up) | peak RSS MiB | BPF ns / run | BPF runs |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	base=$(med chatter base $c_wcpu)
	for cfg in "${chatter_configs[@]}"; do
		if [[ -n ${cfg_off[$cfg]:-} ]]; then
			echo "| ${cfg_desc[$cfg]} | ${cfg_off[$cfg]} | | | | | | | | |"
			continue
		fi
		w=$(med chatter "$cfg" $c_wcpu)
		printf '| %s | %s | %s | %s | %s (%s) | %s | %s | %s |\n' "${cfg_desc[$cfg]}" \
			"$(rate_cells chatter "$cfg")" \
			"$(awk -v w="$w" -v b="$base" -v n="$((chatter_conns * chatter_msgs))" 'BEGIN {
				if (w == "-" || w == "" || n == 0) { print "-"; exit }
				printf "%.2f", w * 1e6 / n
				if (b != "-" && b > 0) printf " (%.3f)", w / b
			}')" \
			"$(fmt %.0f "$(med chatter "$cfg" $c_pps)")" \
			"$(fmt %.3f "$(med chatter "$cfg" $c_cpu)")" \
			"$(fmt %.3f "$(med chatter "$cfg" $c_cpu_start)")" \
			"$(fmt %.1f "$(med chatter "$cfg" $c_rss)")" \
			"$(fmt %.0f "$(med chatter "$cfg" $c_ns_run)")" \
			"$(fmt %.0f "$(med chatter "$cfg" $c_runs)")"
	done
}

# The programs' cost per round trip, from the inline chatter (one thread drives both ends
# of a connection: no wake-ups, so its rate varies far less than the threaded chatter's):
# the median over the runs of the log run's workload CPU minus the untraced run's of the
# same repetition, per round trip, and that as a share of the threaded chatter's
# untraced CPU per round trip (the same four program runs per round trip are added there).
inline_table() {
	local n=$((chatter_conns * chatter_msgs)) added threaded
	added=$(awk -F'\t' -v s="$c_status" -v c="$c_wcpu" -v n="$n" '
		$1 == "inline" && $s == "ok" && $c != "-" && $2 == "base" {b[$3] = $c}
		$1 == "inline" && $s == "ok" && $c != "-" && $2 == "log" {t[$3] = $c}
		END { for (k in t) if (k in b) printf "%.3f\n", (t[k] - b[k]) * 1e9 / n }' "$results" |
		sort -g | awk '{v[NR] = $1} END {
			if (!NR) { print "-"; exit }
			print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
		}')
	threaded=$(med chatter base $c_wcpu)
	echo 'The same chatter with each connection driven at both ends by one thread'
	echo "(\`loadgen chatter -i\`), $chatter_runs runs per round, to measure what socket-snoop adds to a round trip:"
	echo
	echo "| configuration | round trips/s median | min – max | ratio to untraced (per-run range) | workload CPU µs / round trip (ratio) | CPU added per round trip, ns | as a share of the threaded chatter's CPU per round trip |"
	echo "|---|---|---|---|---|---|---|"
	for cfg in base log; do
		local w b a=- share=-
		w=$(med inline "$cfg" $c_wcpu)
		b=$(med inline base $c_wcpu)
		if [[ $cfg == log ]]; then
			a=$(fmt %.0f "$added")
			share=$(awk -v a="$added" -v t="$threaded" -v n="$n" 'BEGIN {
				if (a == "-" || t == "-" || t <= 0) { print "-"; exit }
				printf "%.2f%%", 100 * a / (t * 1e9 / n)
			}')
		fi
		printf '| %s | %s | %s | %s | %s |\n' "${cfg_desc[$cfg]}" "$(rate_cells inline "$cfg")" \
			"$(awk -v w="$w" -v b="$b" -v n="$n" 'BEGIN {
				if (w == "-" || w == "") { print "-"; exit }
				printf "%.3f", w * 1e6 / n
				if (b != "-" && b > 0) printf " (%.3f)", w / b
			}')" \
			"$a" "$share"
	done
}

# Sum of columns $3 and $4 per good run of workload $1, configuration $2: "median min max".
agg_sum() {
	awk -F'\t' -v w="$1" -v c="$2" -v a="$3" -v b="$4" -v s="$c_status" \
		'$1 == w && $2 == c && $s == "ok" && $a != "-" && $b != "-" {print $a + $b}' "$results" |
		sort -g | awk '{v[NR] = $1}
		END {
			if (!NR) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR]
		}'
}

# tcpsnoop under chatter: did every packet of the workload become a line?
tcpsnoop_table() {
	local cfg=tcpsnoop
	echo "| configuration | packets/s median (slowest run) | packet lines expected (kernel InSegs + OutSegs) | workload lines written | written / expected (worst run) | lines lost, as tcpsnoop reports them (worst run) | all lines written | CPU s (start-up) | CPU ms / 1k lines | peak RSS MiB |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	if [[ -n ${cfg_off[$cfg]:-} ]]; then
		echo "| ${cfg_desc[$cfg]} | ${cfg_off[$cfg]} | | | | | | | | |"
		return
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s |\n' "${cfg_desc[$cfg]}" \
		"$(worst chatter "$cfg" $c_pps %.0f min)" \
		"$(fmt %.0f "$(agg_sum chatter "$cfg" $c_segs_in $c_segs_out | cut -d' ' -f1)")" \
		"$(fmt %.0f "$(med chatter "$cfg" $c_logged)")" \
		"$(worst chatter "$cfg" $c_kept %.3f%% min)" \
		"$(worst chatter "$cfg" $c_lost %.0f max)" \
		"$(fmt %.0f "$(med chatter "$cfg" $c_events)")" \
		"$(fmt %.3f "$(med chatter "$cfg" $c_cpu)")" \
		"$(fmt %.3f "$(med chatter "$cfg" $c_cpu_start)")" \
		"$(fmt %.3f "$(med chatter "$cfg" $c_per_k)")" \
		"$(fmt %.1f "$(med chatter "$cfg" $c_rss)")"
}

# Per-program in-kernel cost, from the cost round's run of each tracer configuration of
# the workloads $@.
program_table() {
	local f cfg wl
	echo "| workload | configuration | program | type | runs | ns / run | recursion misses |"
	echo "|---|---|---|---|---|---|---|"
	for f in "$tmp"/progs-*.tsv; do
		[[ -e $f ]] || continue
		wl=${f##*/progs-}
		cfg=${wl#*-}
		cfg=${cfg%.tsv}
		wl=${wl%%-*}
		[[ " $* " == *" $wl "* ]] || continue
		awk -F'\t' -v w="$wl" -v c="$cfg" '{
			printf "| %s | %s | %s | %s | %d | %s | %d |\n", w, c, $1, $2, $3,
				($3 > 0 ? sprintf("%.0f", $4 / $3) : "-"), $5
		}' "$f"
	done
}

# Per-program in-kernel cost of workload $1's cost round, configuration by configuration
# ($2...): every program socket-snoop loaded (handlers, iterators), its runs and ns per
# run, and its run time per kernel transition of that run; a total row per configuration.
scenario_program_table() {
	local wl=$1 cfg f kernel
	shift
	echo "| configuration | program | type | runs | ns / run | ns per kernel transition | recursion misses |"
	echo "|---|---|---|---:|---:|---:|---:|"
	for cfg in "$@"; do
		f=$tmp/progs-$wl-$cfg.tsv
		[[ -s $f ]] || continue
		kernel=$(awk -F'\t' -v w="$wl" -v c="$cfg" -v k="$c_kernel" \
			'$1 == w && $2 == c && $3 == "cost" {print $k}' "$results" | tail -n1)
		sort -t$'\t' -k4,4nr "$f" | awk -F'\t' -v c="${cfg_desc[$cfg]}" -v kt="${kernel:--}" '
			function per(t) { return (kt != "-" && kt > 0) ? sprintf("%.1f", t / kt) : "-" }
			{
				printf "| %s | %s | %s | %d | %s | %s | %d |\n", c, $1, $2, $3,
					($3 > 0 ? sprintf("%.0f", $4 / $3) : "-"), per($4), $5
				runs += $3; ns += $4; miss += $5
			}
			END {
				printf "| %s | **all programs** | | %d | %s | **%s** | %d |\n", c, runs,
					(runs > 0 ? sprintf("%.0f", ns / runs) : "-"), per(ns), miss
			}'
	done
}

# The report's title of new scenario $1 (stable: a later run replaces its section by it).
scenario_title() {
	case $1 in
	fast) echo "Fastest storm: the host namespace's loopback" ;;
	rps) echo "Storm over veth with RPS, every CPU contended" ;;
	big) echo "Large storm: many connections, many client threads" ;;
	esac
}

# Per configuration of workload $1: RPS interrupts and the hogs' share of the CPUs while
# the workload ran (medians).
contention_table() {
	local wl=$1 cfg
	echo "| configuration | RPS interrupts received, all CPUs (median) | hogs' share of all CPUs' time while the workload ran (median) |"
	echo "|---|---:|---:|"
	for cfg in "${new_configs[@]}"; do
		[[ -z ${cfg_off[$cfg]:-} ]] || continue
		printf '| %s | %s | %s |\n' "${cfg_desc[$cfg]}" "$(fmt %.0f "$(med "$wl" "$cfg" $c_ipis)")" \
			"$(fmt %.0f%% "$(med "$wl" "$cfg" $c_hog)")"
	done
}

# The loadgen command of workload $1 as the report shows it.
loadgen_line() {
	echo "bench/loadgen $(workload_args "$1") $(placement "$1" | sed "s/$ns_name/ssbench/g; s/ $//")"
}

# The workloads of new scenario $1, one per line: fast4 and fast6 for fast.
scenario_workloads() {
	local f
	if [[ $1 == fast ]]; then
		for f in $fast_families; do
			echo "fast$f"
		done
	else
		echo "$1"
	fi
}

# The tables of new scenario $1 (fast, rps, big), for the report and the terminal.
scenario_tables() {
	local sc=$1 wl
	for wl in $(scenario_workloads "$sc"); do
		echo "### $(workload_title "$wl")"
		echo
		storm_table "$wl" "${new_configs[@]}"
		echo
		echo "What it cost the tracer:"
		echo
		storm_cost_table "$wl" "${new_configs[@]}"
		echo
		if [[ $sc == rps ]]; then
			echo "The contention:"
			echo
			contention_table "$wl"
			echo
		fi
		echo "In-kernel cost per program (cost round):"
		echo
		scenario_program_table "$wl" "${new_configs[@]}"
		echo
	done
}

# A heading for workload $1's tables: what ran.
workload_title() {
	local wl=$1
	case ${wl_topo[$wl]} in
	host) printf "IPv%s, the host's loopback, " "${wl_family[$wl]}" ;;
	rps) printf 'IPv%s over veth, RPS, %s CPU hogs, ' "${wl_family[$wl]}" "${wl_hogs[$wl]}" ;;
	lo) printf "IPv%s, a fresh namespace's loopback, " "${wl_family[$wl]}" ;;
	esac
	printf "%s connections, %s client threads and as many server threads, %s rounds" \
		"${wl_conns[$wl]}" "${wl_threads[$wl]}" "$rounds"
}

# The report's section of new scenario $1, heading included.
scenario_section() {
	local sc=$1 wl cfg
	echo "## $(scenario_title "$sc")"
	echo
	case $sc in
	fast)
		cat <<EOT
The fastest storm this machine makes: client and server threads in the host namespace
(no namespace of ours, no veth), on its loopback, connection after connection with no
pause, from $fast_threads client threads (\`BENCH_FAST_THREADS\`; its default, one per CPU,
was the fastest when 1, 2, 4 and 8 were tried on this 2-CPU machine: 20,000 connections,
3 runs each, untraced, 2 threads 16.1k – 16.6k conn/s, 4 and 8 threads 14.9k – 15.8k):
with a server thread per client thread, two of each already keep both CPUs busy, and
more only add context switches and contention on the listener's accept queue.

The host namespace keeps the TIME_WAIT sockets of earlier runs (60 s, up to
\`tcp_max_tw_buckets\`): unlike the other storms, a run does not start from a clean table;
the interleaving spreads that over the configurations.
EOT
		;;
	rps)
		cat <<EOT
Server and clients in two namespaces joined by a veth pair (as \`BENCH_TOPOLOGY=veth\`),
with RPS on both ends' receive queue (\`/sys/class/net/DEV/queues/rx-0/rps_cpus\`, set in
each namespace): what the client sends is received on the last CPU, what the server sends
on CPU 0, so the two sockets of a connection change state on different CPUs, each handed
over by an inter-processor interrupt. During every run of it, untraced included, $rps_hogs
busy-looping processes (pinned to the CPUs in turn, normal priority) compete with the
workload, its softirqs and the tracer for every core. A run in which RPS moved no packet
(\`received_rps\` of \`/proc/net/softnet_stat\` did not grow) fails the benchmark.
EOT
		;;
	big)
		cat <<EOT
A long storm from many client threads on a fresh namespace's loopback: the TIME_WAIT
ports of its first seconds are reused later in the run (\`tcp_tw_reuse\`, loopback), and
socket-snoop's tables of live connections and owners see that many sockets come and go.
EOT
		;;
	esac
	echo
	cat <<EOT
Columns as in the connection storm's tables (see How to read this), except that
**kernel transitions** count only the sockets with the workload's server port
($scenario_port, \`loadgen -p\`) at either end (a second count of the same bpftrace
counter) and **state lines written** only the lines with that port at either end: the
machine's other TCP traffic is left out of both. **events received** and **lost** are
socket-snoop's own figures, for every event it saw. **lost by cause** sums the loss
events it wrote to its file (\`Events Lost: COUNT=n CAUSE=x\` lines, JSON \`lost\`
objects): ring buffer full, runs the kernel skipped and did not recover, transitions
the kernel made without running the programs; then the transitions the kernel hid
(\`HIDDEN=\` of the summary: made while a task of PID 1 was current, which this
machine's kernel runs no program for, counted host-wide and not part of **lost**). The in-kernel cost per program comes from
the cost round (\`kernel.bpf_stats_enabled=1\`): every program the tracer holds, its
ns per run, and its run time per kernel transition of the workload; the total row sums
them over all programs. The programs run for every TCP socket of the machine: when other
traffic ran meanwhile (more runs than the workload makes), its runs are in these figures.
EOT
	echo
	scenario_tables "$sc"
	echo '```sh'
	echo "BENCH_SCENARIOS=$sc BENCH_ROUNDS=$rounds $(scenario_settings "$sc") bench/run.sh"
	for wl in $(scenario_workloads "$sc"); do
		loadgen_line "$wl"
	done
	echo "# tracers, each under bench/runstat; \$RUN: a scratch directory"
	for cfg in "${new_configs[@]}"; do
		[[ -z ${cfg_cmd[$cfg]:-} ]] || echo "${cfg_cmd[$cfg]}"
	done
	[[ $sc != rps ]] || echo "taskset -c CPU bash -c 'while :; do :; done'   # $rps_hogs of them"
	[[ -z $counter_map ]] || echo "bpftrace -e '$counter_prog'"
	echo '```'
	echo
	echo "<details><summary>All runs of this scenario (tab-separated)</summary>"
	echo
	echo '```'
	echo "$results_header"
	for wl in $(scenario_workloads "$sc"); do
		awk -F'\t' -v w="$wl" '$1 == w' "$results"
	done
	echo '```'
	echo "</details>"
}

# The settings of new scenario $1, as run.
scenario_settings() {
	case $1 in
	fast) echo "BENCH_FAST_CONNS=$fast_conns BENCH_FAST_THREADS=$fast_threads BENCH_SCENARIO_PORT=$scenario_port BENCH_FAST_FAMILIES=\"$fast_families\"" ;;
	rps) echo "BENCH_RPS_CONNS=$rps_conns BENCH_RPS_THREADS=$rps_threads BENCH_RPS_HOGS=$rps_hogs BENCH_FAMILY=$family" ;;
	big) echo "BENCH_BIG_CONNS=$big_conns BENCH_BIG_THREADS=$big_threads BENCH_FAMILY=$family" ;;
	esac
}

commands_section() {
	local cfg
	echo '```sh'
	echo "# all of it: sudo make bench (builds, then runs bench/run.sh); this report came from"
	echo "BENCH_ROUNDS=$rounds BENCH_CONNS=$conns BENCH_THREADS=$threads BENCH_PAYLOAD=$payload \\"
	echo "  BENCH_FAMILY=$family BENCH_TOPOLOGY=$topology BENCH_CHATTER=$chatter \\"
	echo "  BENCH_SCENARIOS=\"$scenarios\" bench/run.sh   # the other scenarios' commands are in their sections"
	echo "# workload (the netns is created fresh for each run: $topology topology)"
	echo "bench/loadgen $(workload_args storm) $(placement storm | sed "s/$ns_name/ssbench/g; s/ $//")"
	if [[ $chatter == 1 ]]; then
		echo "bench/loadgen $(workload_args chatter) $(placement chatter | sed "s/$ns_name/ssbench/g; s/ $//")"
		[[ $chatter_inline == 1 ]] ||
			echo "bench/loadgen $(workload_args inline) $(placement inline | sed "s/$ns_name/ssbench/g; s/ $//")"
	fi
	echo "# tracers, each under bench/runstat (start-up, CPU, peak RSS); \$RUN: a scratch directory"
	for cfg in "${configs[@]}"; do
		[[ -n ${cfg_cmd[$cfg]:-} ]] && echo "${cfg_cmd[$cfg]}"
	done
	if [[ $chatter == 1 ]]; then
		echo "# chatter only"
		for cfg in tcpsnoop tcptop; do
			[[ -n ${cfg_cmd[$cfg]:-} ]] && echo "${cfg_cmd[$cfg]}"
		done
		echo "# independent packet count: TCP InSegs and OutSegs of the run's namespace(s), before and after"
		echo "ip netns exec ssbench cat /proc/net/snmp"
	fi
	if [[ -n $counter_map ]]; then
		echo "# independent in-kernel count of TCP transitions, running for the whole benchmark"
		echo "bpftrace -e '$counter_prog'"
	fi
	echo "sysctl -w kernel.bpf_stats_enabled=1   # the cost round only; restored at the end"
	echo '```'
}

write_report() {
	local cpu kernel date snoop_version bpftrace_version commit binsum
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	kernel=$(uname -r)
	date=$(date -u '+%Y-%m-%d %H:%M UTC')
	snoop_version=$([[ -n $snoop_copy ]] && "$snoop_copy" --version 2>/dev/null | head -n1 ||
		echo "socket-snoop not built")
	bpftrace_version=$(have_bpftrace && bpftrace --version 2>/dev/null | head -n1 || echo "not installed")
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo "uncommitted")
	binsum=-
	[[ -z $snoop_copy ]] || binsum=$(sha256sum "$snoop_copy" | cut -c1-12)
	cat <<EOF
# socket-snoop benchmarks

Written by \`bench/run.sh\` (\`make bench\`) on $date. Do not edit by hand: run it again.

## Machine

- $(nproc) CPUs: ${cpu:-unknown}; $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) of memory
- kernel $kernel; $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release)
- $snoop_version, binary sha256 $binsum (tree at $commit); $bpftrace_version

## Settings

$rounds rounds, configurations interleaved (each round starts with a different one), then
a cost round with \`kernel.bpf_stats_enabled=1\` for the in-kernel figures.
$(if [[ $chatter == 1 ]]; then
	echo "Chatter runs $chatter_runs times per configuration in each round."
fi)
Storm: $conns connections from $threads client threads to $threads server threads,
payload $payload bytes each way, IPv$family, topology \`$topology\`.
$(if [[ $chatter == 1 ]]; then
	echo "Chatter: $chatter_conns connections x $chatter_msgs round trips of $chatter_size bytes,"
	if [[ $chatter_inline == 1 ]]; then
		echo "each connection driven at both ends by one thread (no wake-ups)."
	else
		echo "each between a client thread and its own server thread."
	fi
fi)

## Connection storm

$(storm_table storm "${configs[@]}")

What it cost the tracer:

$(storm_cost_table storm "${configs[@]}")

$(scrape_verdict storm)

$(if [[ $chatter == 1 ]]; then
	echo "## Chatter (long-lived connections, small messages)"
	echo
	chatter_table
	echo
	echo "tcpsnoop's packet lines (every packet of the workload, sent and received, as a line):"
	echo
	tcpsnoop_table
	if [[ $chatter_inline == 0 ]]; then
		echo
		inline_table
	fi
fi)

$(if [[ $startup == 1 ]]; then
	startup_section
fi)

$(if [[ $scrape == 1 ]]; then
	scrape_section
fi)

$(if [[ $interval == 1 ]]; then
	interval_section
fi)

$(for sc in "${new_sections[@]}"; do
	scenario_section "$sc"
	echo
done)

## In-kernel cost per program (cost round)

$(program_table storm chatter)

## Commands

$(commands_section)

## How to read this

- **conn/s**: connections per second of the storm (connect, close, both sides fully
  closed), median over the rounds, with the smallest and largest. **ratio**: median
  traced rate / median untraced rate; in brackets, the range of the per-round ratios
  (each traced run against the untraced run of the same round; for chatter, of the same
  repetition in the round). The machine is noisy: read ratios within a few percent as
  equal. Speed columns (rates, ratios, workload CPU) leave the cost round out: with
  \`kernel.bpf_stats_enabled=1\` the kernel reads the clock twice around every program
  run, about 30 ns a run here, which the users of a tracer do not pay.
- **kernel transitions**: TCP state changes the kernel made while the workload ran,
  counted by a separate bpftrace program (\`@n = count()\` on
  \`sock:inet_sock_set_state\`) plus the runs the kernel skipped for it (recursion misses),
  so it is the kernel's figure, not the tracer's. A storm connection makes 10
  transitions (client: SYN_SENT, ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE; server:
  SYN_RECV, ESTABLISHED, CLOSE_WAIT, LAST_ACK, CLOSE; TIME_WAIT is a separate mini-socket
  that the tracepoint does not report), plus one for the listener: about 200,000 for
  20,000 connections. It varies by a few dozen from run to run: on loopback a few late
  ACKs reach the listener after their connection is gone and are answered with a reset,
  and the counter also sees the rest of the machine's TCP traffic. It runs during every
  run, the untraced one included, so its small cost is in every row alike.
- socket-snoop's storm configurations run as its systemd unit does: \`--quiet
  --log-file=FILE\`, every event written once, to the file (the bpftrace peer writes its
  lines once too, to its output). Without \`--quiet\` the same lines also go to standard
  output; redirected to a file, that doubles the kernel's share of the writing.
- Every column is a median over the rounds, taken column by column; for the loss
  columns the worst run is in brackets.
- **events received / lost**: socket-snoop's own \`Summary: RECEIVED=... LOST=...\` line
  at exit (all event kinds, over its whole life). For the bpftrace peer: lines printed and
  the \`Lost N events\` it reported. **lost by cause** (the loss lines socket-snoop wrote
  to its file) adds what the kernel hid (\`HIDDEN=\` of the same summary: transitions
  made while a task of PID 1 was current, for which this machine's kernel runs no
  program; counted host-wide, so not necessarily the workload's, and not part of
  **lost**).
- **state lines written**: state-change lines in the log file (\`State Change:\` lines, or
  \`state_change\` objects in JSON), less those of time-wait sockets ending early
  (\`TIME_WAIT=reused\`: on loopback a storm's connections take the ports of its earlier
  ones still in TIME_WAIT), which no transition of the kernel's made; **written /
  kernel** is the share of the kernel's transitions that reached the file. 100% means
  nothing was lost.
- **CPU s**: the tracer's user + system CPU from \`wait4()\` (exact, including start-up
  and shutdown), with the start-up part in brackets (CPU used until it was ready,
  from the threads' schedstat). **CPU ms / 1k events** leaves start-up and the stop out:
  the threads' schedstat when the tracer was ready and just before it was stopped (the
  workload's events all read by then). **of which
  the file write alone**: right after the run, \`bench/filewrite\` appends as many bytes
  as the tracer wrote to its log file to a file beside it, as socket-snoop's sink does
  (\`write()\` of 256 KiB), and its CPU per 1,000 of the run's events is shown: the part
  of the tracer's CPU that any program writing those bytes pays the kernel's page cache.
  JSON lines are about five times as long as log lines; the rest is socket-snoop's own
  work (reading the rings, formatting, its other system calls). The log file is removed
  first, so the page cache takes the pages it just freed. A page free for longer costs
  more on this machine: the balloon reports free pages to the host, which must back
  them anew when they are taken again (appending 1 GB cost 0.2 s of system time on
  pages just freed, 1.4 s on pages free for 30 s). So this is the least those bytes
  cost here, and the tracer's own figure varies from run to run with what the runs
  before it freed.
- **peak RSS**: \`ru_maxrss\` of the tracer (its VmHWM).
- **start-up ms**: from fork() of the tracer to its ready line appearing on its output:
  socket-snoop's \`$banner\` banner (printed once its programs are
  attached), bpftrace's \`Attaching N probes...\` (printed as it attaches them). Polled
  every 0.5 ms.
- **BPF ns / run, runs, recursion misses**: from \`kernel.bpf_stats_enabled=1\` and
  \`bpftool prog show\`, summed over the tracer's programs (socket-snoop: its \`handle_*\`
  programs), read just before the tracer is stopped, in the cost round (the only one
  with stats on). **BPF ns / kernel transition**: the same total run time divided by the
  kernel's transitions, a per-event cost that compares tools with different numbers of
  programs. The figures include the stats' own clock reads (an empty program measures
  about 30 ns a run here). Recursion misses are counted in every round.
- Every run uses a fresh network namespace: TIME_WAIT sockets of earlier runs (the client
  closes first, so each connection leaves one) are gone, and every run starts from the
  same state. Without this the kernel's TIME_WAIT table fills up after a few storms
  (\`tcp_max_tw_buckets\`) and later runs get much faster than earlier ones. Client ports
  are chosen by the kernel; 20,000 connections fit in the default ephemeral range, and
  \`net.ipv4.tcp_tw_reuse\` (2 by default: loopback only; set to 1 inside the client's
  namespace for the veth topology) lets connect() reuse TIME_WAIT ports older than a
  second instead of searching ever longer for a free one. No sysctl of the host changes
  except \`kernel.bpf_stats_enabled\`, restored at the end.
- **Chatter**: round trips/s of the whole chatter run (every connection's round trips /
  loadgen's wall time); **packets/s**: TCP segments the workload put on the wire per
  second (the namespaces' \`OutSegs\` delta / loadgen's time), handshake and teardown
  included; each round trip is a request and a response segment, plus the occasional
  pure ACK. **workload CPU µs / round trip**: loadgen's own CPU time (all its threads, user
  and system, which includes the programs run in its system calls) per round trip, in
  brackets its ratio to the untraced run: the cost to the workload in CPU rather than in
  wall time. The **tcpsnoop** row is \`tcpsnoop\` with its standard output redirected to a
  file; the **tcptop** row is \`tcptop 1\` (a report every second) to a file. Their ratio
  to untraced is the cost to the workload (targets: tcptop under 5%, a ratio above 0.95).
- **Inline chatter**: the same connections and round trips with one thread driving both
  ends of each connection (\`loadgen chatter -i\`): no scheduler wake-ups, so its rate
  varies by a few percent from run to run where the threaded chatter's varies by 20%, and
  the cost of socket-snoop's programs shows above the noise. **CPU added per round
  trip**: the median over the repetitions of the traced run's workload CPU minus the
  untraced run's of the same repetition, per round trip; a round trip runs the same four
  programs (a send and a receive at each end) in both chatters, so **as a share of the
  threaded chatter's CPU per round trip** is what it adds to the threaded workload.
- **tcpsnoop's packet lines**: every packet is sent by one local socket and received by
  another, so tcpsnoop owes one \`->\` line and one \`<-\` line per packet. **expected**
  is counted independently by the kernel: TCP \`InSegs + OutSegs\` from
  \`/proc/net/snmp\` of the run's fresh network namespace(s), read before and after the
  workload, so only the workload's segments are in it (\`OutSegs\` leaves out
  retransmissions: on loopback there are none to speak of). **workload lines written**:
  packet lines in the file with the workload's port at either end (the file also gets
  the rest of the machine's TCP traffic; **all lines written** counts those too).
  **written / expected** at 100% and **lines lost** at 0 (the sum of tcpsnoop's
  \`tcpsnoop: N packet lines lost (ring buffer full or runs skipped)\` lines on stderr,
  which it prints during the run and at exit; none means none lost) mean no packet line
  was lost; the **packets/s** column of the same row (the slowest run in brackets) is the
  rate at which that held, to compare with the target of no loss at 50,000 packets/s.
  **CPU ms / 1k lines**: tcpsnoop's CPU after start-up and before the stop per 1,000 lines written.

<details><summary>All runs (tab-separated)</summary>

\`\`\`
$results_header
$(awk -F'\t' '$1 == "storm" || $1 == "chatter" || $1 == "inline"' "$results")
\`\`\`
</details>
EOF
}

# ---- rounds ---------------------------------------------------------------------------

configs=(base log json filtered reloadable metrics bpftrace)
chatter_configs=(base log tcpsnoop tcptop)
# The new scenarios' configurations: untraced, and socket-snoop as its unit runs it, in
# log lines and in JSON.
new_configs=(base log json)
new_workloads=() # fast4 fast6 rps big, as BENCH_SCENARIOS selects them
new_sections=()  # fast rps big: one report section each

has_scenario() { [[ " $scenarios " == *" $1 "* ]]; }

# Runs workload $1 once under each configuration $4... in round $2, starting with the
# configuration at offset $3 so that each round starts with a different one. Stops early
# when the workload cannot run (wl_off).
run_rotated() {
	local wl=$1 id=$2 off=$3 i cfg
	shift 3
	local -a cfgs=("$@")
	for ((i = 0; i < ${#cfgs[@]}; i++)); do
		[[ -z ${wl_off[$wl]:-} ]] || return 0
		cfg=${cfgs[$(((i + off) % ${#cfgs[@]}))]}
		[[ -z ${cfg_off[$cfg]:-} ]] || continue
		run_one "$wl" "$cfg" "$id"
	done
}

# The chatter runs of round $1 (id $2): BENCH_CHATTER_RUNS repetitions, each rotated.
chatter_round() {
	local round=$1 id=$2 k cfg
	for ((k = 1; k <= (round > rounds ? 1 : chatter_runs); k++)); do
		run_rotated chatter "$([[ $id == cost ]] && echo cost || echo "$id.$k")" \
			$((round + k - 2)) "${chatter_configs[@]}"
		# The steadier inline chatter measures the programs' cost per round trip.
		[[ $chatter_inline == 0 && $id != cost && -z ${cfg_off[log]:-} ]] || continue
		for cfg in $( ((k % 2)) && echo base log || echo log base); do
			run_one inline "$cfg" "$id.$k"
		done
	done
}

# What the new scenarios need, checked before the rounds: a scenario that cannot run is
# marked failed (in the report and the exit status), never skipped in silence.
preflight_scenarios() {
	local wl
	if has_scenario fast; then
		if [[ -n $(ss -Htln "sport = :$scenario_port" 2>/dev/null) ]]; then
			for wl in "${new_workloads[@]}"; do
				[[ ${wl_topo[$wl]} != host ]] ||
					wl_off[$wl]="FAILED: port $scenario_port is in use in the host namespace (BENCH_SCENARIO_PORT)"
			done
			fail "fast: port $scenario_port is in use in the host namespace: set BENCH_SCENARIO_PORT"
		fi
		if [[ " $fast_families " == *" 6 "* ]] && ! ip -6 addr show dev lo | grep -q 'inet6 ::1/128'; then
			wl_off[fast6]="FAILED: the host's lo has no ::1 (IPv6 disabled?)"
			fail "fast: IPv6: the host's lo has no ::1 (IPv6 disabled?)"
		fi
	fi
	if ((${#new_workloads[@]})) && [[ -n $counter_map && -z $counter_port_map ]]; then
		fail "the transition counter has no count of port $scenario_port: kernel columns of fast, rps and big n/a"
	fi
	if has_scenario rps && ! command -v taskset >/dev/null; then
		wl_off[rps]="FAILED: taskset is missing (util-linux)"
		fail "rps: taskset is missing (util-linux): cannot pin the CPU hogs"
	fi
}

# ---- main -----------------------------------------------------------------------------

main() {
	local round i n m k id cfg report
	[[ $(id -u) == 0 ]] || die "run as root (BPF, network namespaces)"
	# Bad settings: exit 64 naming the variable and its value, before anything runs.
	for v in rounds conns threads payload chatter_conns chatter_msgs chatter_size chatter_runs \
		timeout startup_runs scrapes metrics_port fast_conns fast_threads scenario_port rps_conns \
		rps_threads rps_hogs big_conns big_threads; do
		is_uint "${!v}" || usage "BENCH_${v^^} must be a whole number, not '${!v}'"
	done
	for v in rounds conns threads chatter_conns chatter_msgs chatter_size chatter_runs timeout \
		startup_runs scrapes metrics_port fast_conns fast_threads scenario_port rps_conns \
		rps_threads big_conns big_threads; do
		((10#${!v} >= 1)) || usage "BENCH_${v^^} must be at least 1, not '${!v}'"
	done
	# loadgen's limits: 1,024 threads of each side, 100,000,000 connections.
	for v in threads fast_threads rps_threads big_threads; do
		((10#${!v} <= 1024)) || usage "BENCH_${v^^} must be at most 1024, not '${!v}'"
	done
	for v in conns fast_conns rps_conns big_conns; do
		((10#${!v} <= 100000000)) || usage "BENCH_${v^^} must be at most 100000000, not '${!v}'"
	done
	((metrics_port <= 65535)) || usage "BENCH_METRICS_PORT must be a port from 1 to 65535, not '$metrics_port'"
	((10#$scenario_port <= 65535)) || usage "BENCH_SCENARIO_PORT must be a port from 1 to 65535, not '$scenario_port'"
	[[ $scenarios =~ ^\ *(storm|fast|rps|big)(\ +(storm|fast|rps|big))*\ *$ ]] ||
		usage "BENCH_SCENARIOS must be words from: storm fast rps big, not '$scenarios'"
	[[ $fast_families =~ ^\ *(4|6|4\ +6|6\ +4)\ *$ ]] ||
		usage "BENCH_FAST_FAMILIES must be 4, 6 or \"4 6\", not '$fast_families'"
	[[ $interval_sockets =~ ^\ *[0-9]+(\ +[0-9]+)*\ *$ ]] ||
		usage "BENCH_INTERVAL_SOCKETS must be whole numbers, not '$interval_sockets'"
	[[ $interval_secs =~ ^[1-9][0-9]*$ ]] ||
		usage "BENCH_INTERVAL_SECS must be a whole number of seconds, not '$interval_secs'"
	for v in chatter chatter_inline peers install keep startup startup_only scrape scrape_only \
		interval interval_only; do
		[[ ${!v} == 0 || ${!v} == 1 ]] || usage "BENCH_${v^^} must be 0 or 1, not '${!v}'"
	done
	[[ $settle =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
		usage "BENCH_SETTLE must be a number of seconds, not '$settle'"
	[[ $family == 4 || $family == 6 ]] || usage "BENCH_FAMILY must be 4 or 6, not '$family'"
	[[ $topology == lo || $topology == veth ]] ||
		usage "BENCH_TOPOLOGY must be lo or veth, not '$topology'"
	# bench/holdconns: an even number (both ends of each connection), at most 64 x 18,000.
	[[ $startup_sockets =~ ^\ *[0-9]+(\ +[0-9]+)*\ *$ ]] ||
		usage "BENCH_STARTUP_SOCKETS must be even whole numbers from 2 to 1152000, not '$startup_sockets'"
	for n in $startup_sockets; do
		((10#$n >= 2 && 10#$n <= 1152000 && 10#$n % 2 == 0)) ||
			usage "BENCH_STARTUP_SOCKETS must be even whole numbers from 2 to 1152000, not '$startup_sockets'"
	done
	[[ $scrape_sockets =~ ^\ *[0-9]+(\ +[0-9]+)*\ *$ ]] ||
		usage "BENCH_SCRAPE_SOCKETS must be even whole numbers from 2 to 1152000, not '$scrape_sockets'"
	for n in $scrape_sockets; do
		((10#$n >= 2 && 10#$n <= 1152000 && 10#$n % 2 == 0)) ||
			usage "BENCH_SCRAPE_SOCKETS must be even whole numbers from 2 to 1152000, not '$scrape_sockets'"
	done
	[[ $startup_only == 0 ]] || startup=1
	# The storm word brings the chatter, start-up and scrape parts with it.
	if ! has_scenario storm; then
		startup=0
		scrape=0
	fi
	# As loadgen and the filters read them: no leading zero.
	scenario_port=$((10#$scenario_port))
	define_workloads
	for w in $scenarios; do
		[[ " ${new_sections[*]} " != *" $w "* ]] || continue
		case $w in
		fast) for f in $fast_families; do new_workloads+=("fast$f"); done ;;
		rps | big) new_workloads+=("$w") ;;
		*) continue ;;
		esac
		new_sections+=("$w")
	done
	if ((${#new_workloads[@]})); then
		counter_prog="${counter_prog%\}} ${counter_port_prog//PORT/$scenario_port} }"
	fi
	for t in ip jq bpftool curl ss; do
		command -v "$t" >/dev/null || die "$t is missing (scripts/install-deps.sh installs it)"
	done
	if [[ ! -x $loadgen || ! -x $runstat || ! -x $holdconns || ! -x $scraper ||
		$loadgen -ot bench/loadgen.c || $runstat -ot bench/runstat.c ||
		$holdconns -ot bench/holdconns.c || $scraper -ot bench/scraper.c ]]; then
		make --no-print-directory -C bench >&2
	fi

	tmp=$(mktemp -d /tmp/socket-snoop-bench.XXXXXX)
	results=$tmp/results.tsv
	: >"$results"
	startup_results=$tmp/startup.tsv
	: >"$startup_results"
	scrape_results=$tmp/scrape.tsv
	interval_results=$tmp/interval.tsv
	: >"$interval_results"
	: >"$scrape_results"
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	stats_old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=0
	# A test run killed before its teardown leaves trace events recording every TCP
	# transition and packet: they would be in every figure here.
	"$root/scripts/tracefs-sweep.sh"

	if [[ $startup_only == 1 ]]; then
		define_configs
		[[ -n $snoop_copy ]] || die "$snoop is missing: build it first (make)"
		for n in $startup_sockets; do
			startup_one "$n"
		done
		save_report "$(write_section_report "$(startup_section)" "Start-up with connections open")"
		echo
		echo "Start-up with TCP sockets open ($startup_runs start-ups per row):"
		startup_table
		return "$broke"
	fi
	if [[ $interval_only == 1 ]]; then
		define_configs
		[[ -n $snoop_copy ]] || die "$snoop is missing: build it first (make)"
		for n in $interval_sockets; do
			interval_one "$n"
		done
		save_report "$(write_section_report "$(interval_section)" "What --interval costs")"
		echo
		interval_table
		return "$broke"
	fi
	if [[ $scrape_only == 1 ]]; then
		define_configs
		[[ -n $snoop_copy ]] || die "$snoop is missing: build it first (make)"
		for n in $scrape_sockets; do
			scrape_one "$n"
		done
		save_report "$(write_section_report "$(scrape_section)" "What a scrape of /metrics costs")"
		echo
		scrape_table
		return "$broke"
	fi

	if setup_bpftrace; then
		start_counter || true
	else
		say "bpftrace is not available: kernel transition counts will be n/a"
	fi
	define_configs

	preflight_scenarios
	# What a scrape costs, first: every scrape walks the kernel's established
	# table, which all namespaces share, and the storms below leave tens of
	# thousands of time-wait sockets in it for a minute (the fastest storm's in
	# the host's namespace), which every walk then visits too.
	if [[ $scrape == 1 && -n $snoop_copy && -z ${cfg_off[metrics]:-} ]] && has_scenario storm; then
		for n in $scrape_sockets; do
			scrape_one "$n"
		done
	elif [[ $scrape == 1 ]]; then
		scrape=0
	fi
	if [[ $interval == 1 && -n $snoop_copy ]] && has_scenario storm; then
		for n in $interval_sockets; do
			interval_one "$n"
		done
	else
		interval=0
	fi
	# Rounds 1..N measure speed with stats off; the cost round after them has stats on.
	for ((round = 1; round <= rounds + 1; round++)); do
		id=$round
		if ((round > rounds)); then
			id=cost
			sysctl -qw kernel.bpf_stats_enabled=1
		fi
		if has_scenario storm; then
			run_rotated storm "$id" $((round - 1)) "${configs[@]}"
			[[ $chatter == 0 ]] || chatter_round "$round" "$id"
		fi
		for wl in "${new_workloads[@]}"; do
			run_rotated "$wl" "$id" $((round - 1)) "${new_configs[@]}"
		done
	done

	if ! has_scenario storm; then
		# Only the sections of the scenarios run are replaced; the rest of the report is kept.
		for wl in "${new_sections[@]}"; do
			save_report "$(write_section_report "$(scenario_section "$wl")" "$(scenario_title "$wl")")"
		done
		for wl in "${new_sections[@]}"; do
			echo
			scenario_tables "$wl"
		done
		return "$broke"
	fi

	if [[ $startup == 1 && -n $snoop_copy ]]; then
		# As users run it: the cost round left the stats on.
		sysctl -qw kernel.bpf_stats_enabled=0
		for n in $startup_sockets; do
			startup_one "$n"
		done
	fi

	report=$(write_report)
	save_report "$report"
	echo
	echo "Connection storm ($conns connections, $threads threads, IPv$family, $topology), $rounds rounds:"
	storm_table storm "${configs[@]}"
	echo
	storm_cost_table storm "${configs[@]}"
	if [[ $chatter == 1 ]]; then
		echo
		echo "Chatter ($chatter_conns connections x $chatter_msgs round trips of $chatter_size bytes):"
		chatter_table
		echo
		tcpsnoop_table
	fi
	if [[ $startup == 1 ]]; then
		echo
		echo "Start-up with TCP sockets open ($startup_runs start-ups per row):"
		startup_table
	fi
	if [[ $scrape == 1 ]]; then
		echo
		scrape_table
	fi
	if [[ $interval == 1 ]]; then
		echo
		interval_table
	fi
	for wl in "${new_sections[@]}"; do
		echo
		scenario_tables "$wl"
	done
	return "$broke"
}

main "$@"
