#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# 30-container.sh - the container image (deploy/Containerfile), run as
# deploy/README.md ("Container") says:
#
#   1. `make image` (scripts/build-image.sh) builds socket-snoop:VERSION with
#      podman, pulling nothing; an image holding the same binary is reused.
#      It holds one file, /socket-snoop, the fully static binary of
#      build-static, with the OCI labels and /socket-snoop as entry point.
#   2. podman run --privileged --pid=host --net=host --uts=host -v
#      CGROUP2:/sys/fs/cgroup:ro IMAGE --json --no-log-file
#      --metrics=127.0.0.1:PORT: a loopback connection made on the host by a
#      process whose PID and command are known, in a unit cgroup of the
#      test's own, is reported with that PID and command, that unit
#      (service.name) and the host's node name (host.name); the
#      metrics are served on the host's loopback (host network): curl from
#      the host gets /healthz and /metrics (podman.sh, metrics_served); and
#      SIGTERM (podman stop) ends the monitor with status 0.  PORT: 9580,
#      the default, or the first free port after it.
#   3. The same with the least privilege that works: --cap-drop=all and
#      the capabilities of deploy/README.md, the seccomp profile derived
#      from podman's default one (bpf(2) for CAP_BPF, perf_event_open(2) for
#      CAP_PERFMON), the host's tracefs read-only, a read-only root and
#      no-new-privileges: the same events, and no warning.
#   4. Those capabilities under podman's default seccomp profile: exit 77,
#      the kernel refused the BPF programs (why the profile is needed).
#
# Podman runs with a store of its own (tests/deploy/podman.sh), so the
# machine's own images are not touched.
set -euo pipefail

# podman.sh, and lib.sh through it: fail, say, wait_until... (see their headers)
# shellcheck source=tests/deploy/podman.sh
. "$(dirname "$0")/podman.sh"

need_root
need podman jq cc sha256sum tar timeout curl ss
need_btf
test_tmp

# ---- 1. the image ----------------------------------------------------------
# shellcheck disable=SC2119 # nothing to add to containers.conf
podman_setup
podman_image

bin_sha=$(sha256sum "$DEPLOY_ROOT/build-static/socket-snoop" | cut -d' ' -f1)
label() { timeout 30 podman image inspect --format "{{index .Config.Labels \"$1\"}}" "$SNOOP_IMAGE"; }
[ "$(label io.socket-snoop.binary.sha256)" = "$bin_sha" ] ||
	fail "the image does not hold build-static/socket-snoop (sha256 $bin_sha)"
[ "$(label org.opencontainers.image.title)" = socket-snoop ] || fail "label title"
[ "$(label org.opencontainers.image.version)" = "$SNOOP_VERSION" ] || fail "label version is not $SNOOP_VERSION"
[ "$(label org.opencontainers.image.licenses)" = "GPL-2.0 OR BSD-3-Clause" ] || fail "label licenses"
[ -n "$(label org.opencontainers.image.description)" ] || fail "label description"
[ -n "$(label org.opencontainers.image.revision)" ] || fail "label revision"
timeout 30 podman image inspect --format '{{json .Config.Labels}}' "$SNOOP_IMAGE" |
	jq -e 'has("org.opencontainers.image.source")' >/dev/null || fail "label source"
[ "$(timeout 30 podman image inspect --format '{{json .Config.Entrypoint}}' "$SNOOP_IMAGE")" = '["/socket-snoop"]' ] ||
	fail "the entry point is not /socket-snoop"

# Its layers hold one file: the binary (no shell, no library).
mkdir "$T/image"
timeout 120 podman image save --quiet --format docker-archive -o "$T/image.tar" "$SNOOP_IMAGE"
tar -xf "$T/image.tar" -C "$T/image"
: >"$T/files"
while read -r layer; do
	tar -tf "$T/image/$layer" >>"$T/files"
done < <(jq -r '.[0].Layers[]' "$T/image/manifest.json")
[ "$(sed 's#^\./##' "$T/files")" = socket-snoop ] ||
	fail "the image holds more than /socket-snoop: $(tr '\n' ' ' <"$T/files")"
say "image $SNOOP_IMAGE: one file, /socket-snoop, sha256 $bin_sha"

# ---- the test peer: a process whose PID and command we know ---------------
peer_build ssd-ctr

# Its client runs in a systemd-style unit cgroup of the test's own under the
# host's cgroup v2 root, which the container is given read-only (deploy/README.md):
# its events must name the unit (service.name).  The v2 root: /sys/fs/cgroup, or
# /sys/fs/cgroup/unified on a v1/v2 hybrid host such as the build machines.
cg_root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg_root" ] || fail "no cgroup v2 file system is mounted"
WANT_UNIT=ssd-deploy30-$$.service
PEER_CGROUP=$cg_root/ssd-deploy30-$$.slice/$WANT_UNIT
mkdir -p "$PEER_CGROUP"
cg_remove() { rmdir "$PEER_CGROUP" "${PEER_CGROUP%/*}" 2>/dev/null || true; }
at_exit cg_remove

# The --metrics port on the host's loopback: 9580 unless taken (a
# socket-snoop service on this host, say).
free_port 9580
metrics_port=$FREE_PORT

# run_case TAG PODMAN-RUN-OPTION...: the monitor in a container, one connection.
run_case() {
	local tag=$1 ctr=socket-snoop-deploy30-$1 host
	shift
	host=$(uname -n)
	ctr_fresh "$ctr"
	timeout 60 podman run -d --name "$ctr" "$@" "$SNOOP_IMAGE" --json --no-log-file -v \
		--metrics="127.0.0.1:$metrics_port" >/dev/null ||
		fail "$tag: podman run failed"
	wait_monitor "$ctr" "$tag"
	peer_connect "$tag"
	wait_event "$ctr" "$host" "$tag"
	metrics_served "$ctr" "$metrics_port" "$tag"
	printf '%s\n' "$BODY" >"$T/$tag.metrics"
	timeout 60 podman stop -t 20 "$ctr" >/dev/null
	exited_0 "$ctr" "$tag"
	timeout 30 podman logs "$ctr" >/dev/null 2>"$T/$tag.stderr"
	grep -q 'Summary: RECEIVED=' "$T/$tag.stderr" || fail "$tag: no summary at exit"
	say "$tag: PID $CLI_PID $PEER-cli reported, host.name $host, service.name $WANT_UNIT, exit 0 on SIGTERM"
}

# ---- 2. privileged ------------------------------------------------------------
run_case privileged --privileged --pid=host --net=host --uts=host -v "$cg_root:/sys/fs/cgroup:ro"

# ---- 3. least privilege -------------------------------------------------------
# The seccomp profile: podman's default one, with bpf(2) and perf_event_open(2)
# for CAP_BPF and CAP_PERFMON too (podman.sh).
seccomp_runtime_default "$T/seccomp.json"

caps=BPF,PERFMON,SYS_PTRACE,DAC_READ_SEARCH,NET_ADMIN,SYS_NICE
least=(--cap-drop=all --cap-add="$caps" --security-opt seccomp="$T/seccomp.json"
	--security-opt no-new-privileges --read-only
	-v /sys/kernel/tracing:/sys/kernel/tracing:ro -v "$cg_root:/sys/fs/cgroup:ro"
	--pid=host --net=host --uts=host)
run_case least-privilege "${least[@]}"
# Nothing missing: no warning at start (a capability, tracefs, the
# --metrics listener under the seccomp profile and read-only root), and the
# transitions a kernel hides from BPF programs counted (tracefs, CAP_PERFMON,
# CAP_SYS_PTRACE).  Warnings once running (lines lost by a slow reader, a
# transition PID 1 made) say what the host did, not what the container lacks.
warnings=$(sed '/Monitoring socket connections/q' "$T/least-privilege.stderr" |
	jq -R -r 'fromjson? | select(.log.level == "warning" or .log.level == "error") | .message')
# A kernel that refuses the iterator counting the owner records (this one
# does, even to root) is no warning: its HELP says why, and -v says it once.
if grep -q '^# HELP socket_snoop_owner_records .*refused the counting iterator' "$T/least-privilege.metrics"; then
	grep -q 'owner records are not counted: the kernel refused' "$T/least-privilege.stderr" ||
		fail "least-privilege: -v did not say that the owner records are not counted"
	say "least-privilege: this kernel refused the owner-counting iterator: socket_snoop_owner_records left out, said once by -v"
fi
[ -z "$warnings" ] || fail "least-privilege: warnings at start: $warnings"
grep -q 'hidden by the kernel' "$T/least-privilege.stderr" ||
	fail "least-privilege: -v said nothing about the transitions hidden by the kernel"
if grep 'hidden by the kernel' "$T/least-privilege.stderr" | grep -q -i 'not counted'; then
	fail "least-privilege: the transitions hidden by the kernel were not counted"
fi

# ---- 4. why the profile: the same capabilities under the default one -----
ctr=socket-snoop-deploy30-default-seccomp
ctr_fresh "$ctr"
timeout 60 podman run --name "$ctr" --cap-drop=all --cap-add="$caps" --pid=host --net=host \
	"$SNOOP_IMAGE" --json --no-log-file --duration=5 >/dev/null 2>"$T/default-seccomp.stderr" && code=0 || code=$?
[ "$code" = 77 ] || fail "default seccomp profile: exit status $code, not 77"
grep -q 'refused to load the BPF programs' "$T/default-seccomp.stderr" ||
	fail "default seccomp profile: no word of the refused BPF programs"
say "default seccomp profile with the same capabilities: exit 77 (bpf(2) refused), as expected"
