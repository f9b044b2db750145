#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# 40-kubernetes.sh - the Kubernetes manifests of deploy/kubernetes, offline:
#
#   1. Every document of deploy/kubernetes/*.yaml is validated against the
#      Kubernetes API schema: kubernetes-models (JSON Schema of the
#      Kubernetes OpenAPI spec, compiled with ajv: types, required fields,
#      enums, formats), and no field unknown to the API (the models of
#      @kubernetes/client-node, generated from the same spec: what
#      `kubectl apply`'s strict field validation refuses).  Both from the npm
#      registry, pinned below, installed once into $DEPLOY_CACHE/npm.  Then
#      what the schema cannot say: the DaemonSet's selector matches its
#      template, the least privilege (capabilities, seccomp, no privilege
#      escalation, read-only root), host PID, every taint tolerated,
#      requests and limits, the node name from the downward API, the
#      heartbeat and its liveness probe, --metrics on the loopback and no
#      probe the kubelet would send to the pod's IP (httpGet, tcpSocket,
#      grpc: the node's, with hostNetwork, where nothing listens);
#      daemonset-privileged.yaml differs from daemonset.yaml in the
#      container's securityContext only.
#   2. For each manifest, a Pod made of the DaemonSet's template runs for
#      real with `podman kube play` (the image of `make image`): the monitor
#      starts, reports a connection made on the host with the client's PID
#      and command and host.name the node name given by the downward API;
#      its metrics are served on the host's loopback (hostNetwork): curl
#      from the host gets /healthz and /metrics (podman.sh, metrics_served);
#      the liveness probe passes, and fails when the monitor stops running
#      its loop (SIGSTOP); `podman kube down` stops it cleanly (SIGTERM: its
#      summary, within the grace period).
#
# What the Pod changes from the template, because podman is not a kubelet
# (each said where it is done): the image (local, never pulled), the node name
# (a literal: podman has no spec.nodeName), $(VAR) in args expanded (the
# kubelet does it, podman does not), the seccomp profile given as the
# annotation podman reads, with podman before 4.4, hostPID (ignored by
# `kube play` there) given by containers.conf's pidns, and the --metrics port
# when 9580 is taken on this host (the first free one after it).
set -euo pipefail

# podman.sh, and lib.sh through it: fail, say, wait_until... (see their headers)
# shellcheck source=tests/deploy/podman.sh
. "$(dirname "$0")/podman.sh"

# The validator and the schemas, pinned.
NPM_PINS=(kubernetes-models@4.5.1 @kubernetes/client-node@1.4.0 js-yaml@4.1.0)

need_root
need podman node npm jq cc timeout curl ss
need_btf

manifests=("$DEPLOY_ROOT/deploy/kubernetes/daemonset.yaml" "$DEPLOY_ROOT/deploy/kubernetes/daemonset-privileged.yaml")
node_name=node-deploy40.example
pods=()
stopped=
test_tmp

# The volume "run" of the manifests (an emptyDir to podman), gone.
rm_run_volume() { timeout 60 podman volume rm -f run >/dev/null 2>&1 || true; }
# At exit: a monitor left stopped by SIGSTOP continued, the pods of play
# brought down, the volume "run" and the kept logs removed (podman touched
# only once play began: before, its store of its own is not set up).
cleanup() {
	local p
	[ -z "$stopped" ] || kill -CONT "$stopped" 2>/dev/null || true
	[ ${#pods[@]} -gt 0 ] || return 0
	for p in "${pods[@]}"; do
		timeout 60 podman kube down "$T/$p.yaml" >/dev/null 2>&1 ||
			timeout 60 podman pod rm -f "$p" >/dev/null 2>&1 || true
	done
	rm_run_volume
	rm -rf "$PODMAN_STORE/deploy40-logs"
}
at_exit cleanup

# ---- 1. the schema -------------------------------------------------------
npm_dir=$DEPLOY_CACHE/npm
if [ "$(cat "$npm_dir/.pins" 2>/dev/null)" != "${NPM_PINS[*]}" ]; then
	say "installing ${NPM_PINS[*]} into $npm_dir"
	rm -rf "$npm_dir"
	mkdir -p "$npm_dir"
	echo '{ "name": "socket-snoop-deploy-tests", "private": true }' >"$npm_dir/package.json"
	timeout 600 npm install --prefix "$npm_dir" --cache "$DEPLOY_CACHE/npm-cache" --save-exact \
		--no-audit --no-fund --ignore-scripts --loglevel=error "${NPM_PINS[@]}" >&2 ||
		fail "npm install ${NPM_PINS[*]} failed"
	echo "${NPM_PINS[*]}" >"$npm_dir/.pins"
fi

# The script lives beside its node_modules, so that its imports resolve there.
cat >"$npm_dir/deploy-kubernetes.mjs" <<'EOF'
// Written by tests/deploy/40-kubernetes.sh at each run.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { ObjectSerializer } from './node_modules/@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml');
const errors = [];
const err = (where, what) => errors.push(`${where}: ${what}`);
const load = (file) => yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d !== null);

// kubernetes-models: the JSON Schema of each kind, compiled with ajv.
function schemaCheck(where, doc) {
	const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
	let models;
	try {
		models = require(`kubernetes-models/${group ? `${group}/` : ''}${version}`);
	} catch {
		return err(where, `unknown apiVersion ${doc.apiVersion}`);
	}
	const Model = models[doc.kind];
	if (!Model || Model.apiVersion !== doc.apiVersion) return err(where, `unknown kind ${doc.kind} in ${doc.apiVersion}`);
	try {
		new Model(doc).validate();
	} catch (e) {
		for (const x of e.errors ?? [{ instancePath: '', message: e.message }]) err(where, `${x.instancePath || '/'} ${x.message}${x.params?.allowedValues ? ` (${x.params.allowedValues.join(', ')})` : ''}`);
	}
	// Unknown fields: read with the API's own types, written back; what is lost was unknown.
	const type = `${version[0].toUpperCase()}${version.slice(1)}${doc.kind}`;
	const back = ObjectSerializer.serialize(ObjectSerializer.deserialize(doc, type), type);
	const walk = (a, b, path) => {
		if (a === null || typeof a !== 'object') return;
		for (const k of Object.keys(a)) {
			if (b === null || typeof b !== 'object' || b[k] === undefined) err(where, `${path}/${k}: field unknown to the Kubernetes API`);
			else walk(a[k], b[k], `${path}/${k}`);
		}
	};
	walk(doc, back, '');
}

const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HEARTBEAT = '/run/socket-snoop/heartbeat';
// --metrics=ADDR:PORT on a loopback address: with hostNetwork any other is the node's.
const METRICS = /^--metrics=(127\.\d+\.\d+\.\d+|\[::1\]|localhost):(\d+)$/;
const LEAST_CAPS = ['BPF', 'DAC_READ_SEARCH', 'NET_ADMIN', 'PERFMON', 'SYS_NICE', 'SYS_PTRACE'];

// What the schema cannot say.
function policyCheck(file, docs) {
	const ns = docs.find((d) => d.kind === 'Namespace');
	const ds = docs.find((d) => d.kind === 'DaemonSet');
	if (!ns || !ds) return err(file, 'wants a Namespace and a DaemonSet');
	if (ds.metadata.namespace !== ns.metadata.name) err(file, 'the DaemonSet is not in the Namespace');
	if (ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'privileged') err(file, 'the Namespace does not allow host namespaces (Pod Security level)');
	const sel = ds.spec.selector?.matchLabels ?? {};
	const labels = ds.spec.template.metadata?.labels ?? {};
	if (!Object.keys(sel).length || Object.entries(sel).some(([k, v]) => labels[k] !== v)) err(file, 'the selector does not match the template');
	const pod = ds.spec.template.spec;
	if (pod.hostPID !== true) err(file, 'no hostPID');
	if (!(pod.tolerations ?? []).some((t) => t.operator === 'Exists' && !t.key && !t.effect)) err(file, 'not every taint is tolerated');
	if (pod.restartPolicy && pod.restartPolicy !== 'Always') err(file, 'a DaemonSet restarts Always');
	if (pod.containers.length !== 1) return err(file, 'one container');
	const c = pod.containers[0];
	const version = process.env.SNOOP_VERSION;
	if (!c.image?.endsWith(`:${version}`)) err(file, `the image is not of version ${version} (VERSION)`);
	if (ds.metadata.labels?.['app.kubernetes.io/version'] !== version) err(file, `app.kubernetes.io/version is not ${version} (VERSION)`);
	for (const n of [c.name, ...(pod.volumes ?? []).map((v) => v.name)]) if (!dns1123.test(n)) err(file, `${n}: not a DNS-1123 label`);
	for (const a of ['--json', '--no-log-file', '--host-name=$(NODE_NAME)', `--heartbeat=${HEARTBEAT}`]) if (!c.args?.includes(a)) err(file, `args lack ${a}`);
	const env = (c.env ?? []).find((e) => e.name === 'NODE_NAME');
	if (env?.valueFrom?.fieldRef?.fieldPath !== 'spec.nodeName') err(file, 'NODE_NAME is not spec.nodeName (downward API)');
	if (!isDeepStrictEqual(c.livenessProbe?.exec?.command, ['/socket-snoop', `--check-heartbeat=${HEARTBEAT}`])) err(file, 'the liveness probe is not --check-heartbeat');
	const metrics = (c.args ?? []).filter((a) => a.startsWith('--metrics='));
	if (metrics.length !== 1 || !METRICS.test(metrics[0])) err(file, `args: one --metrics on a loopback address, not ${metrics.join(' ') || 'none'}`);
	if (pod.hostNetwork !== true) err(file, 'no hostNetwork');
	for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
		for (const how of ['httpGet', 'tcpSocket', 'grpc']) if (c[kind]?.[how]) err(file, `${kind}.${how}: the kubelet sends it to the pod's IP (the node's), not to the loopback of --metrics`);
	}
	const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === '/run/socket-snoop');
	const vol = mount && (pod.volumes ?? []).find((v) => v.name === mount.name);
	if (!vol?.emptyDir) err(file, 'no emptyDir at /run/socket-snoop for the heartbeat');
	const r = c.resources ?? {};
	if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.memory) err(file, 'requests (cpu, memory) and a memory limit');
	const sc = c.securityContext ?? {};
	if (sc.readOnlyRootFilesystem !== true) err(file, 'the root file system is writable');
	if (sc.privileged === true) {
		if (sc.allowPrivilegeEscalation === false) err(file, 'privileged with allowPrivilegeEscalation false: the API refuses it');
	} else {
		if (!isDeepStrictEqual(sc.capabilities?.drop, ['ALL'])) err(file, 'capabilities: drop ALL');
		if (!isDeepStrictEqual([...(sc.capabilities?.add ?? [])].sort(), LEAST_CAPS)) err(file, `capabilities: add ${LEAST_CAPS.join(', ')}`);
		if (sc.allowPrivilegeEscalation !== false) err(file, 'allowPrivilegeEscalation is not false');
		if (!sc.seccompProfile?.type) err(file, 'no seccomp profile');
	}
	return ds;
}

// A Pod of the DaemonSet's template, for podman kube play (see the test's header).
function makePod(ds, podName, image, node, profile, metricsPort) {
	const spec = structuredClone(ds.spec.template.spec);
	const annotations = { ...(ds.spec.template.metadata?.annotations ?? {}) };
	for (const c of spec.containers) {
		c.image = image;
		c.imagePullPolicy = 'Never';
		const env = {};
		for (const e of c.env ?? []) {
			if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') {
				delete e.valueFrom;
				e.value = node;
			}
			if (e.value !== undefined) env[e.name] = e.value;
		}
		const expand = (s) => s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => (m === '$$' ? '$' : v in env ? env[v] : m));
		if (c.command) c.command = c.command.map(expand);
		if (c.args) c.args = c.args.map(expand);
		if (c.args && metricsPort) c.args = c.args.map((a) => (METRICS.test(a) ? a.replace(/:\d+$/, `:${metricsPort}`) : a));
		const sp = c.securityContext?.seccompProfile ?? spec.securityContext?.seccompProfile;
		const key = `container.seccomp.security.alpha.kubernetes.io/${c.name}`;
		if (sp?.type === 'RuntimeDefault') annotations[key] = `localhost/${profile}`;
		else if (sp?.type === 'Unconfined') annotations[key] = 'unconfined';
		else if (sp?.type === 'Localhost') annotations[key] = `localhost/${sp.localhostProfile}`;
	}
	return { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, labels: ds.spec.template.metadata?.labels, annotations }, spec };
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'validate') {
	const seen = {};
	for (const file of args) {
		const docs = load(file);
		docs.forEach((d, i) => schemaCheck(`${file} document ${i + 1} (${d.kind} ${d.metadata?.name})`, d));
		const ds = policyCheck(file, docs);
		if (ds) {
			const c = structuredClone(ds);
			delete c.spec.template.spec.containers[0].securityContext;
			seen[file] = { docs: docs.map((d) => (d === ds ? c : d)), sc: ds.spec.template.spec.containers[0].securityContext };
		}
	}
	const files = Object.keys(seen);
	for (const f of files.slice(1)) if (!isDeepStrictEqual(seen[f].docs, seen[files[0]].docs)) err(f, `differs from ${files[0]} elsewhere than in the container's securityContext`);
	if (files.length > 1 && !files.some((f) => seen[f].sc?.privileged === true)) err(files.join(', '), 'no privileged variant');
} else if (cmd === 'pod') {
	const [file, podName, image, node, profile, metricsPort] = args;
	const ds = load(file).find((d) => d.kind === 'DaemonSet');
	const pod = makePod(ds, podName, image, node, profile, metricsPort);
	schemaCheck(`${podName} (the Pod made of ${file})`, pod);
	if (!errors.length) process.stdout.write(yaml.dump(pod));
} else {
	err('usage', 'validate FILE... | pod FILE POD IMAGE NODE PROFILE [METRICS-PORT]');
}
if (errors.length) {
	for (const e of errors) console.error(e);
	process.exit(1);
}
EOF

SNOOP_VERSION=$SNOOP_VERSION timeout 120 node "$npm_dir/deploy-kubernetes.mjs" validate "${manifests[@]}" ||
	fail "the manifests are not valid (see above)"
say "${manifests[*]##*/}: valid (${NPM_PINS[*]})"

# ---- podman ---------------------------------------------------------------
# A store of its own (podman.sh).  Podman before 4.4 ignores hostPID in kube
# play: pidns = "host" gives the containers the host's PID namespace instead.
podman_version
old_podman=
graceful_down=1
podman_older_than 4.4.0 && old_podman=1
podman_older_than 5.1.0 && graceful_down=
if [ -n "$old_podman" ]; then
	podman_setup 'pidns = "host"'
	say "podman $PODMAN_VERSION: before 4.4: hostPID through containers.conf, exec probes run by podman exec"
else
	podman_setup
fi
podman_image

# RuntimeDefault, as containerd >= 1.7 and containers-common >= 0.60 have it
# (podman.sh).
mkdir "$T/seccomp"
seccomp_runtime_default "$T/seccomp/runtime-default.json"

# ---- the test peer ------------------------------------------------------------
peer_build ssd-k8s

# The --metrics port of the Pods: the manifests' 9580 unless taken on this
# host (a socket-snoop service, say), where the Pods share its loopback.
manifest_port=$(grep -o -m 1 -E -- '--metrics=127\.0\.0\.1:[0-9]+' "${manifests[0]}" | sed 's/.*://')
[ -n "$manifest_port" ] || fail "no --metrics=127.0.0.1:PORT in ${manifests[0]##*/}"
free_port "$manifest_port"
metrics_port=$FREE_PORT
[ "$metrics_port" = "$manifest_port" ] ||
	say "port $manifest_port is taken on this host: the Pods serve their metrics on $metrics_port"

probe() { timeout 30 podman exec "$1" /socket-snoop --check-heartbeat=/run/socket-snoop/heartbeat; }
probe_fails() { ! probe "$1" >"$T/probe.out" 2>&1; }
probe_passes() { probe "$1" >/dev/null 2>&1; }

# ---- 2. kube play ---------------------------------------------------------
# play MANIFEST POD least|privileged
play() {
	local manifest=$1 pod=$2 mode=$3 ctr pid hc start took caps status
	ctr=$pod-socket-snoop
	timeout 120 node "$npm_dir/deploy-kubernetes.mjs" pod "$manifest" "$pod" "$SNOOP_IMAGE" "$node_name" \
		runtime-default.json "$metrics_port" >"$T/$pod.yaml" || fail "cannot make a Pod of $manifest"
	grep -q -F -- "--metrics=127.0.0.1:$metrics_port" "$T/$pod.yaml" ||
		fail "$pod: the Pod has no --metrics=127.0.0.1:$metrics_port"
	rm_run_volume
	pods+=("$pod")
	run_logged "$T/$pod.play" "$pod: podman kube play" \
		timeout 180 podman kube play --seccomp-profile-root "$T/seccomp" "$T/$pod.yaml"
	wait_monitor "$ctr" "$pod"

	# The pod podman made: the host's PID and network namespaces; for the
	# least privilege, just the capabilities of the manifest, no new
	# privileges, a seccomp filter, a read-only root, and no capability at
	# all once the monitor runs (it drops them after start).
	[ "$(ctr_inspect '{{.HostConfig.PidMode}} {{.HostConfig.NetworkMode}}' "$ctr")" = "host host" ] ||
		fail "$pod: not in the host's PID and network namespaces"
	if [ "$mode" = least ]; then
		caps=$(ctr_inspect '{{json .EffectiveCaps}}' "$ctr")
		[ "$caps" = '["CAP_BPF","CAP_DAC_READ_SEARCH","CAP_NET_ADMIN","CAP_PERFMON","CAP_SYS_NICE","CAP_SYS_PTRACE"]' ] ||
			fail "$pod: capabilities $caps"
		[ "$(ctr_inspect '{{.HostConfig.ReadonlyRootfs}}' "$ctr")" = true ] ||
			fail "$pod: the root file system is writable"
		pid=$(ctr_inspect '{{.State.Pid}}' "$ctr")
		status=$(cat "/proc/$pid/status")
		grep -q '^Seccomp:[[:space:]]*2$' <<<"$status" || fail "$pod: no seccomp filter"
		grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$status" || fail "$pod: no no_new_privs"
		grep -q '^CapEff:[[:space:]]*0*$' <<<"$status" || fail "$pod: the running monitor holds capabilities"
		say "$pod: least privilege: $caps, seccomp, no_new_privs, read-only root; none held once running"
	fi

	peer_connect "$pod"
	wait_event "$ctr" "$node_name" "$pod"
	say "$pod: PID $CLI_PID $PEER-cli reported, host.name $node_name"
	metrics_served "$ctr" "$metrics_port" "$pod"

	# The liveness probe, as podman made it of the manifest's.
	hc=$(ctr_inspect '{{json .Config.Healthcheck}}' "$ctr")
	jq -e '(.Test | index("--check-heartbeat=/run/socket-snoop/heartbeat")) != null
		and .Interval == 10000000000 and .Retries == 3' <<<"$hc" >/dev/null ||
		fail "$pod: the health check is not the liveness probe: $hc"
	wait_until 15 "the liveness probe of $pod to pass" probe_passes "$ctr"
	if [ -z "$old_podman" ]; then
		timeout 60 podman healthcheck run "$ctr" >/dev/null || fail "$pod: podman healthcheck run: unhealthy"
		say "$pod: podman healthcheck run: healthy"
	else
		# Podman 4.3 runs an exec probe as /bin/sh -c "COMMAND || exit 1",
		# and the image has no shell: run the command itself, as the
		# kubelet does (podman exec).
		say "$pod: liveness probe passes (run with podman exec: podman $PODMAN_VERSION wraps exec probes in /bin/sh)"
	fi
	if [ "$mode" = least ]; then
		pid=$(ctr_inspect '{{.State.Pid}}' "$ctr")
		[ "$pid" -gt 1 ] || fail "$pod: no PID for the monitor"
		stopped=$pid
		kill -STOP "$pid"
		wait_until 30 "the liveness probe of $pod to fail once the monitor stopped" probe_fails "$ctr"
		kill -CONT "$pid"
		stopped=
		say "$pod: SIGSTOP: the probe failed: $(tail -1 "$T/probe.out")"
		wait_until 15 "the liveness probe of $pod to pass again after SIGCONT" probe_passes "$ctr"
	fi

	# Stopped cleanly: SIGTERM, exit 0 with the summary, within podman's stop
	# timeout.  Podman before 5.1 stops the pods of `kube down` with no grace
	# (SIGKILL at once): there `podman pod stop` stops it first, as the
	# kubelet would, and `kube down` removes what is left.
	local logpath keep=$PODMAN_STORE/deploy40-logs/$pod.log how=
	logpath=$(ctr_inspect '{{.HostConfig.LogConfig.Path}}' "$ctr")
	mkdir -p "$PODMAN_STORE/deploy40-logs"
	# The log goes with the container: a second link keeps its last lines.
	ln -f "$logpath" "$keep" || fail "$pod: cannot keep the container's log $logpath"
	start=$SECONDS
	if [ -z "$graceful_down" ]; then
		# (Without systemd podman says it cannot remove the health check's
		# timer: it had none.)
		run_logged "$T/$pod.stop" "$pod: podman pod stop" timeout 120 podman pod stop "$pod"
		exited_0 "$ctr" "$pod"
		how="podman pod stop (exit 0), then "
	fi
	run_logged "$T/$pod.down" "$pod: podman kube down" timeout 120 podman kube down "$T/$pod.yaml"
	took=$((SECONDS - start))
	if timeout 30 podman pod exists "$pod"; then fail "$pod: still there after podman kube down"; fi
	mv "$keep" "$T/$pod.log"
	grep -q ' stderr .*Summary: RECEIVED=' "$T/$pod.log" || fail "$pod: no summary: not stopped by SIGTERM"
	[ "$took" -lt 10 ] || fail "$pod: stopping took $took s (SIGTERM ignored?)"
	say "$pod: ${how}podman kube down: stopped by SIGTERM in ${took} s, summary written"
}

play "${manifests[0]}" socket-snoop-deploy40 least
play "${manifests[1]}" socket-snoop-deploy40-privileged privileged
