# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# podman.sh - sourced by the deployment tests that run the image of
# `make image` with podman (30-container.sh, 40-kubernetes.sh); sources
# lib.sh (say, fail, poll, T...).
#
#   podman_version     PODMAN_VERSION: podman's version (the client's)
#   podman_older_than VERSION
#                      podman (podman_version first) is older than VERSION
#   podman_setup [LINE...]
#                      podman with a store of its own (PODMAN_STORE) and a
#                      containers.conf in $T (test_tmp first), each LINE added
#                      to its [containers] table; exported for what runs podman
#   podman_image       `make image` (scripts/build-image.sh): SNOOP_IMAGE,
#                      localhost/socket-snoop:SNOOP_VERSION, built or reused
#   seccomp_runtime_default FILE
#                      FILE: podman's default seccomp profile, with bpf(2) for
#                      CAP_BPF and perf_event_open(2) for CAP_PERFMON
#   ctr_fresh NAME     no container NAME now (left by an earlier run), nor at exit
#   ctr_inspect FORMAT CTR
#                      podman inspect --format FORMAT CTR
#   logs_have CTR TEXT the output of container CTR holds TEXT
#   wait_monitor CTR WHAT
#                      the monitor in CTR attached its programs; else its log
#                      and its state, and fail
#   has_event CTR HOST the JSON event of the established connection of the
#                      last peer_connect (CLI_PID, PORT, PEER-cli), host.name HOST
#                      (and service.name WANT_UNIT when set)
#   wait_event CTR HOST WHAT
#                      has_event within 20 s; else the monitor's stderr, and fail
#   exited_0 CTR WHAT  the monitor in CTR exited with status 0 (on SIGTERM)
#   metrics_served CTR PORT WHAT
#                      the monitor in CTR (host network, --metrics=127.0.0.1:
#                      PORT) serves its metrics on the host's loopback: the
#                      listener there is its process, curl from the host gets
#                      /healthz 200 "ok", and /metrics socket_snoop_build_info
#                      of this version, the losses, and at least as many
#                      state changes as its JSON state_change objects so far
#
# Podman runs with a store of its own under $DEPLOY_CACHE/podman (kept
# between runs: the image, podman's pause image), so the machine's own images
# are not touched; run-time state under /run.  Two host properties need
# settings podman does not guess:
# - without CAP_SYS_RESOURCE (some sandboxes take it from root) podman's
#   default RLIMIT_NOFILE of 1048576 cannot be set: no default rlimits then,
#   the container inherits ours;
# - a cgroup v1/v2 hybrid layout, which crun refuses ("cgroups in hybrid mode
#   not supported"): runc.

# shellcheck source=tests/deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SNOOP_VERSION=$(cat "$DEPLOY_ROOT/VERSION")
# shellcheck disable=SC2034 # for the tests
SNOOP_IMAGE=localhost/socket-snoop:$SNOOP_VERSION
PODMAN_STORE=$DEPLOY_CACHE/podman
PODMAN_VERSION=''
PODMAN_CONTAINERS=()

podman_version() {
	[ -n "$PODMAN_VERSION" ] ||
		PODMAN_VERSION=$(podman version --format '{{.Client.Version}}') ||
		fail "podman version failed"
}

podman_older_than() {
	[ "$PODMAN_VERSION" != "$1" ] && printf '%s\n%s\n' "$PODMAN_VERSION" "$1" | sort -V -C
}

podman_setup() {
	local run=/run/socket-snoop-deploy capeff line
	podman_version
	mkdir -p "$PODMAN_STORE" "$run"
	cat >"$PODMAN_STORE/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$PODMAN_STORE/storage"
		runroot = "$run/storage"
	EOF
	capeff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	{
		echo "[containers]"
		if (((0x$capeff >> 24) & 1)); then :; else echo "default_ulimits = []"; fi
		for line in "$@"; do
			echo "$line"
		done
		echo "[engine]"
		echo "tmp_dir = \"$run/libpod\""
		if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] &&
			grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts; then
			command -v runc >/dev/null 2>&1 ||
				fail "this host's cgroup layout is a v1/v2 hybrid, which crun refuses, and runc is missing"
			echo 'runtime = "runc"'
		fi
	} >"$T/containers.conf"
	export CONTAINERS_STORAGE_CONF=$PODMAN_STORE/storage.conf CONTAINERS_CONF=$T/containers.conf
	say "podman $PODMAN_VERSION, store $PODMAN_STORE"
}

podman_image() {
	run_logged "$T/build.log" "make image" \
		env IMAGE="socket-snoop:$SNOOP_VERSION" "$DEPLOY_ROOT/scripts/build-image.sh"
	grep '^build-image:' "$T/build.log" >&2 || true
}

# podman's default profile allows bpf(2) and perf_event_open(2) only with
# CAP_SYS_ADMIN (containers-common before 0.60); this one, derived from it,
# also for CAP_BPF and CAP_PERFMON, as containers-common 0.60 (and
# containerd 1.7's RuntimeDefault) does.
seccomp_runtime_default() {
	local default_profile
	default_profile=$(podman info --format '{{.Host.Security.SECCOMPProfilePath}}')
	[ -r "$default_profile" ] || fail "podman's default seccomp profile ($default_profile) cannot be read"
	jq '
		.syscalls |= (map(if .action == "SCMP_ACT_ERRNO" and ((.names // []) | any(. == "bpf" or . == "perf_event_open"))
				then .names -= ["bpf", "perf_event_open"] else . end)
			| map(select((.names // []) | length > 0))
			+ [{names: ["bpf"], action: "SCMP_ACT_ERRNO", errnoRet: 1, excludes: {caps: ["CAP_SYS_ADMIN", "CAP_BPF"]}},
			   {names: ["bpf"], action: "SCMP_ACT_ALLOW", includes: {caps: ["CAP_BPF"]}},
			   {names: ["perf_event_open"], action: "SCMP_ACT_ERRNO", errnoRet: 1, excludes: {caps: ["CAP_SYS_ADMIN", "CAP_PERFMON"]}},
			   {names: ["perf_event_open"], action: "SCMP_ACT_ALLOW", includes: {caps: ["CAP_PERFMON"]}}])
	' "$default_profile" >"$1"
}

ctr_fresh() {
	[ ${#PODMAN_CONTAINERS[@]} -gt 0 ] || at_exit ctr_remove_all
	PODMAN_CONTAINERS+=("$1")
	timeout 60 podman rm -f -t 0 "$1" >/dev/null 2>&1 || true
}
ctr_remove_all() {
	local c
	for c in "${PODMAN_CONTAINERS[@]}"; do
		timeout 60 podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
	done
}

ctr_inspect() { timeout 30 podman inspect --format "$1" "$2"; }

# (Read whole, then searched: grep -q leaving the pipe early would fail it,
# with pipefail, once the log outgrows the pipe: a busy host.)
logs_have() {
	local out
	out=$(timeout 30 podman logs "$1" 2>&1) && grep -q -- "$2" <<<"$out"
}

wait_monitor() {
	local ctr=$1 what=$2
	if ! poll 30 logs_have "$ctr" 'Monitoring socket connections'; then
		timeout 30 podman logs "$ctr" 2>&1 | tail -20 >&2
		fail "$what: the monitor did not start within 30 s ($(ctr_inspect \
			'{{.State.Status}}, exit status {{.State.ExitCode}}, restarted {{.RestartCount}} times' "$ctr" 2>&1))"
	fi
}

# (jq -e is not used: jq 1.6 gets its status wrong after a line that is not JSON.)
has_event() {
	local n
	n=$(timeout 30 podman logs "$1" 2>/dev/null |
		jq -R -c --argjson pid "$CLI_PID" --argjson port "$PORT" --arg name "$PEER-cli" --arg host "$2" \
			--arg unit "${WANT_UNIT:-}" '
			fromjson? | select(.event.action == "state_change"
				and .socket_snoop.state == "established"
				and .destination.port == $port and .process.pid == $pid
				and .process.name == $name and .host.name == $host
				and ($unit == "" or .service.name == $unit))' | wc -l)
	[ "$n" -gt 0 ]
}

wait_event() {
	local ctr=$1 host=$2 what=$3
	if ! poll 20 has_event "$ctr" "$host"; then
		timeout 30 podman logs "$ctr" 2>&1 >/dev/null | tail -20 >&2
		fail "$what: no JSON event for PID $CLI_PID ($PEER-cli, port $PORT, host.name $host${WANT_UNIT:+, service.name $WANT_UNIT})"
	fi
}

exited_0() {
	local code
	code=$(ctr_inspect '{{.State.ExitCode}}' "$1")
	[ "$code" = 0 ] || fail "$2: the monitor exited with status $code on SIGTERM"
}

# GET $1 from the host with curl (further arguments $2...): BODY, HTTP_CODE.
host_get() {
	local url=$1 out
	shift
	out=$(curl -sS --max-time 5 -w '\n%{http_code}' "$@" "$url") || fail "curl $* $url failed: $out"
	BODY=${out%$'\n'*}
	HTTP_CODE=${out##*$'\n'}
}

metrics_served() {
	local ctr=$1 port=$2 what=$3 url=http://127.0.0.1:$2 pid listener objects state_changes lost
	pid=$(ctr_inspect '{{.State.Pid}}' "$ctr")
	listener=$(ss -Htlnp "sport = :$port")
	{ [ "$(awk '{ print $4 }' <<<"$listener")" = "127.0.0.1:$port" ] && [[ $listener == *",pid=$pid,"* ]]; } ||
		fail "$what: 127.0.0.1:$port on the host is not the monitor's (PID $pid) alone: ${listener:-no listener}"
	host_get "$url/healthz"
	[ "$HTTP_CODE $BODY" = $'200 ok\n' ] ||
		fail "$what: GET /healthz: $HTTP_CODE $(printf %q "${BODY:0:200}"), not 200 \$'ok\\n'"
	# Each object is written after its event was counted: read them first.
	objects=$(timeout 30 podman logs "$ctr" 2>/dev/null |
		jq -R -c 'fromjson? | select(.event.action == "state_change")' | wc -l)
	host_get "$url/metrics"
	[ "$HTTP_CODE" = 200 ] || fail "$what: GET /metrics: $HTTP_CODE: $(head -n 20 <<<"$BODY")"
	grep -E -q "^socket_snoop_build_info\{attach=\"(tp_btf|raw_tp)\",libbpf=\"[^\"]+\",version=\"${SNOOP_VERSION//./\\.}\"\} 1$" <<<"$BODY" ||
		fail "$what: no socket_snoop_build_info of version $SNOOP_VERSION: $(grep build_info <<<"$BODY")"
	state_changes=$(awk '$1 == "socket_snoop_events_received_total{kind=\"state_change\"}" { print $2 }' <<<"$BODY")
	{ [ -n "$state_changes" ] && [ "$objects" -ge 1 ] && [ "$state_changes" -ge "$objects" ]; } ||
		fail "$what: state changes counted: '$state_changes', not at least the $objects JSON state_change objects (and 1)"
	# (Losses depend on the rest of the host: counted, whatever their number.)
	lost=$(awk '$1 ~ /^socket_snoop_events_lost_total\{/ { n += $2; k++ } END { print k ? n : "none" }' <<<"$BODY")
	[ "$lost" != none ] || fail "$what: no socket_snoop_events_lost_total"
	say "$what: metrics on the host's 127.0.0.1:$port: /healthz ok, state changes $state_changes >= $objects JSON objects, lost $lost"
}
