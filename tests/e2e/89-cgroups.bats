#!/usr/bin/env bats
# Service, container, pod (issue 15 item 3): the unit, container (and its
# runtime) and Kubernetes pod read from the names of an event owner's cgroup
# v2 directories, in log lines (--fields) and JSON (service.name, container.*,
# orchestrator.*); the --unit and --container kernel filters; the trust rule
# (a name counts only when every directory above it belongs to root); and the
# bad values of the new options.
# shellcheck disable=SC2016 # jq programs (with $variables) in single quotes
#
# Each test makes its cgroups under a top-level directory of its own
# ($TOP, a ".slice" that is no unit), with cgroup_make: teardown removes them,
# deepest first, after killing the processes.  The peers join their cgroup
# before exec (SRV_CGROUP, CLI_CGROUP of lib.bash).  Most cgroups are made
# before the monitor starts; one test makes them after, one per conversation.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	e2e_require_cmds od chown
	TOP="snoop-e2e-$$-${BATS_TEST_NUMBER}.slice"
}

teardown() {
	e2e_teardown
}

MON=(--no-log-file --no-report)
ALL_FIELDS=--fields=unit,container,runtime,pod,thread

# ---------------------------------------------------------------- helpers

# A container id as the runtimes write it: 64 lower-case hexadecimal digits
# (the first a letter, so that its upper-case form differs).
rand_id() {
	local h
	h=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	[ ${#h} -eq 64 ] || { e2e_fail "cannot make a random id"; return 1; }
	printf 'e%s\n' "${h:1}"
}

# A pod uid: 8-4-4-4-12 lower-case hexadecimal digits.
rand_uid() {
	local u
	u=$(</proc/sys/kernel/random/uuid)
	[[ $u =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
		{ e2e_fail "bad uuid '$u'"; return 1; }
	printf '%s\n' "$u"
}

# Assert every event line of socket SRCS -> DST (at least one) ends with
# TAIL (" UNIT=... CONTAINER=..."), and that none of the --fields keys
# appears in it anywhere else.  assert_tail SRCS DST TAIL
assert_tail() {
	local srcs=$1 dst=$2 tail=$3 line head key
	local -a lines=()
	mapfile -t lines < <(conn_lines "$srcs" "$dst" | grep -vF ' PID=0 COMM=<closed> ')
	[ ${#lines[@]} -gt 0 ] || { e2e_fail "no event line for SRC=$srcs DST=$dst"; return 1; }
	for line in "${lines[@]}"; do
		if [[ $line != *"$tail" ]]; then
			printf 'FAIL: SRC=%s DST=%s: a line does not end with "%s":\n  %s\n' \
				"$srcs" "$dst" "$tail" "$line" >&2
			printf '  all its lines:\n' >&2
			printf '    %s\n' "${lines[@]}" >&2
			return 1
		fi
		head=${line%"$tail"}
		for key in UNIT CONTAINER RUNTIME POD THREAD; do
			if [[ $head == *" $key="* ]]; then
				printf 'FAIL: SRC=%s DST=%s: %s= before the fields "%s":\n  %s\n' \
					"$srcs" "$dst" "$key" "$tail" "$line" >&2
				return 1
			fi
		done
	done
}

# After the --fields assertions: keep the monitor's output in $T/mon.fields
# and leave in $T/mon.out its lines without the fields, for assert_conv.
strip_fields() {
	cp "$T/mon.out" "$T/mon.fields"
	sed -E 's/( (UNIT|CONTAINER|RUNTIME|POD|THREAD)=[^ ]*)+$//' "$T/mon.fields" >"$T/mon.out"
}

# Wait until the monitor's JSON stdout holds N objects for which the jq
# expression FILTER is true.  json_wait_n N FILTER
json_wait_n() {
	local n=$1 filter=$2 have
	local deadline=$((SECONDS + LINE_TIMEOUT))
	while :; do
		have=$(jq -R -c "fromjson? | select($filter)" "$T/mon.out" 2>/dev/null | grep -c .) || true
		[ "$have" -ge "$n" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] ||
			{ e2e_fail "$have JSON objects with ($filter) after ${LINE_TIMEOUT}s, want $n"; return 1; }
		sleep 0.1
	done
}

# Wait for the final close of every socket of conversation TAG in JSON: the
# client's, the accepted socket's and the listener's.
json_await_closed() {
	json_wait_n 1 ".process.pid == ${CPID[$1]} and .socket_snoop.state == \"close\"" &&
		json_wait_n 2 ".process.pid == ${SPID[$1]} and .socket_snoop.state == \"close\""
}

# No service, container or orchestrator object: a cgroup whose names say nothing.
NO_CGROUP_NAMES='(has("service") | not) and (has("container") | not) and (has("orchestrator") | not)'

# A bad option value: exit 64 at once, nothing on stdout, no capture, no log
# file, and stderr says "invalid value 'VALUE' for OPTION: REASON" (a VALUE
# of more than 64 bytes named by its first 64 and "...", as every option's).
# assert_bad OPTION VALUE REASON ARG...
assert_bad() {
	local opt=$1 value=$2 reason=$3
	shift 3
	[ ${#value} -le 64 ] || value="${value:0:64}..."
	mkdir -p "$T/logs"
	rm -f "$T/logs/bad.log"
	snoop_run "$SNOOP" "--log-file=$T/logs/bad.log" --no-report --duration=1 "$@"
	assert_eq "exit status of '$*'" "$RUN_STATUS" 64
	[ ! -s "$T/run.out" ] || { e2e_fail "'$*': stdout not empty:" "$(cat "$T/run.out")"; return 1; }
	if grep -q 'Monitoring socket connections' "$T/run.err"; then
		e2e_fail "'$*': capture started:" "$(cat "$T/run.err")"
		return 1
	fi
	grep -qF -e "invalid value '$value' for $opt: $reason" "$T/run.err" ||
		{ e2e_fail "'$*': stderr does not say \"invalid value '$value' for $opt: $reason\":" "$(cat "$T/run.err")"; return 1; }
	[ ! -e "$T/logs/bad.log" ] || { e2e_fail "'$*': the log file was created"; return 1; }
}

# ---------------------------------------------------------------- tests

@test "unit and docker container: log --fields (any order given, fixed order shown) and JSON service/container; nothing for the root cgroup" {
	local id unit svc ctr
	id=$(rand_id)
	unit="web-$RANDOM$RANDOM.service"
	cgroup_make "$TOP/$unit"
	svc=$CGROUP_PATH
	cgroup_make "$TOP/docker-$id.scope"
	ctr=$CGROUP_PATH

	# The fields asked for in reverse order come in their fixed order.
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --fields=thread,pod,runtime,container,unit
	SRV_CGROUP=$svc CLI_CGROUP=$ctr conv a 4 8901
	conv r 4 8902
	await_closed a
	await_closed r
	settle
	snoop_stop

	local srv_tail=" UNIT=$unit CONTAINER=- RUNTIME=- POD=- THREAD=snoop-srv"
	local cli_tail=" UNIT=docker-$id.scope CONTAINER=$id RUNTIME=docker POD=- THREAD=snoop-cli"
	assert_tail "${S_EP[a]}" "${C_EP[a]}" "$srv_tail"
	assert_tail "${S_EP[a]}" 0.0.0.0:0 "$srv_tail"
	assert_tail "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "$cli_tail"
	# The root cgroup names nothing; the thread is still known.
	assert_tail "${S_EP[r]}" "${C_EP[r]}" " UNIT=- CONTAINER=- RUNTIME=- POD=- THREAD=snoop-srv"
	assert_tail "${C_EP0[r]},${C_EP[r]}" "${S_EP[r]}" " UNIT=- CONTAINER=- RUNTIME=- POD=- THREAD=snoop-cli"
	# Each of our event lines has the five fields.
	assert_every_re " UNIT=[^ ]+ CONTAINER=[^ ]+ RUNTIME=[^ ]+ POD=[^ ]+ THREAD=[^ ]+\$" "$(ours_re)"
	strip_fields
	assert_conv a
	assert_conv r

	# A subset: only those, still in the fixed order.
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --fields=container,unit
	SRV_CGROUP=$svc CLI_CGROUP=$ctr conv b 4 8903
	await_closed b
	settle
	snoop_stop
	assert_tail "${S_EP[b]}" "${C_EP[b]}" " UNIT=$unit CONTAINER=-"
	assert_tail "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}" " UNIT=docker-$id.scope CONTAINER=$id"
	assert_every_re " UNIT=[^ =]+ CONTAINER=[^ =]+\$" "$(ours_re)"
	strip_fields
	assert_conv b

	# JSON has them without being asked.
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --json
	SRV_CGROUP=$svc CLI_CGROUP=$ctr conv j 4 8904
	conv k 4 8905
	json_await_closed j
	json_await_closed k
	settle
	snoop_stop
	assert_json_pid "${SPID[j]}" \
		'.service == {"name": $unit} and (has("container") | not) and (has("orchestrator") | not) and .process.thread.name == "snoop-srv"' \
		--arg unit "$unit"
	assert_json_pid "${CPID[j]}" \
		'.service == {"name": $unit} and .container == {"id": $id, "runtime": "docker"} and (has("orchestrator") | not) and .process.thread.name == "snoop-cli"' \
		--arg unit "docker-$id.scope" --arg id "$id"
	assert_json_pid "${SPID[k]}" "$NO_CGROUP_NAMES"
	assert_json_pid "${CPID[k]}" "$NO_CGROUP_NAMES"
}

@test "containers started after the monitor: each named from its first event" {
	local -a ids=() paths=()
	local i
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --fields=unit,container,runtime
	# Made now, each just before its processes: every one is new to the
	# monitor's table at its first event, one after the other.
	for i in 0 1 2 3; do
		ids[i]=$(rand_id)
		cgroup_make "$TOP/docker-${ids[i]}.scope"
		paths[i]=$CGROUP_PATH
		SRV_CGROUP=${paths[i]} CLI_CGROUP=${paths[i]} conv "n$i" 4 $((8921 + i))
	done
	for i in 0 1 2 3; do
		await_closed "n$i"
	done
	settle
	snoop_stop
	for i in 0 1 2 3; do
		local tail=" UNIT=docker-${ids[i]}.scope CONTAINER=${ids[i]} RUNTIME=docker"
		assert_tail "${S_EP[n$i]}" "${C_EP[n$i]}" "$tail"
		assert_tail "${S_EP[n$i]}" 0.0.0.0:0 "$tail"
		assert_tail "${C_EP0[n$i]},${C_EP[n$i]}" "${S_EP[n$i]}" "$tail"
	done
	strip_fields
	for i in 0 1 2 3; do
		assert_conv "n$i"
	done
}

@test "Kubernetes pods: systemd driver (cri-containerd scope in a kubepods-...-pod<uid>.slice) and cgroupfs driver (kubepods/burstable/pod<uid>/<id>)" {
	local id1 id2 uid1 uid2 sysd cgfs
	id1=$(rand_id)
	id2=$(rand_id)
	uid1=$(rand_uid)
	uid2=$(rand_uid)
	cgroup_make "$TOP/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid1//-/_}.slice/cri-containerd-$id1.scope"
	sysd=$CGROUP_PATH
	cgroup_make "$TOP/kubepods/burstable/pod$uid2/$id2"
	cgfs=$CGROUP_PATH

	snoop_start "${MON[@]}" "${ISOLATE[@]}" "$ALL_FIELDS"
	SRV_CGROUP=$sysd CLI_CGROUP=$cgfs conv a 4 8911
	await_closed a
	settle
	snoop_stop
	local srv_tail=" UNIT=cri-containerd-$id1.scope CONTAINER=$id1 RUNTIME=containerd POD=$uid1 THREAD=snoop-srv"
	local cli_tail=" UNIT=- CONTAINER=$id2 RUNTIME=- POD=$uid2 THREAD=snoop-cli"
	assert_tail "${S_EP[a]}" "${C_EP[a]}" "$srv_tail"
	assert_tail "${S_EP[a]}" 0.0.0.0:0 "$srv_tail"
	assert_tail "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" "$cli_tail"
	strip_fields
	assert_conv a

	# --fields=pod,runtime: those two only.
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --fields=pod,runtime
	SRV_CGROUP=$sysd CLI_CGROUP=$cgfs conv b 4 8912
	await_closed b
	settle
	snoop_stop
	assert_tail "${S_EP[b]}" "${C_EP[b]}" " RUNTIME=containerd POD=$uid1"
	assert_tail "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}" " RUNTIME=- POD=$uid2"
	assert_every_re "[^ ] RUNTIME=[^ =]+ POD=[^ =]+\$" "$(ours_re)"
	strip_fields
	assert_conv b

	snoop_start "${MON[@]}" "${ISOLATE[@]}" --json
	SRV_CGROUP=$sysd CLI_CGROUP=$cgfs conv j 4 8913
	json_await_closed j
	settle
	snoop_stop
	assert_json_pid "${SPID[j]}" \
		'.service == {"name": $unit} and .container == {"id": $id, "runtime": "containerd"}
		and .orchestrator == {"type": "kubernetes", "resource": {"type": "pod", "id": $uid}}' \
		--arg unit "cri-containerd-$id1.scope" --arg id "$id1" --arg uid "$uid1"
	# No runtime member at all when the path does not tell it.
	assert_json_pid "${CPID[j]}" \
		'(has("service") | not) and .container == {"id": $id}
		and .orchestrator == {"type": "kubernetes", "resource": {"type": "pod", "id": $uid}}' \
		--arg id "$id2" --arg uid "$uid2"
}

@test "the other runtimes' names: crio-<id>.scope, libpod-<id>, libpod-<id>.scope/container, docker/<id>; crio-conmon and libpod-conmon are no containers" {
	local id1 id2 id3 id4 id5 id6 c1 c2 c3 c4 c5 c6
	id1=$(rand_id)
	id2=$(rand_id)
	id3=$(rand_id)
	id4=$(rand_id)
	id5=$(rand_id)
	id6=$(rand_id)
	cgroup_make "$TOP/crio-$id1.scope"
	c1=$CGROUP_PATH
	cgroup_make "$TOP/machine.slice/libpod-$id2"
	c2=$CGROUP_PATH
	cgroup_make "$TOP/crio-conmon-$id3.scope"
	c3=$CGROUP_PATH
	cgroup_make "$TOP/docker/$id4"
	c4=$CGROUP_PATH
	cgroup_make "$TOP/machine.slice/libpod-conmon-$id5.scope"
	c5=$CGROUP_PATH
	cgroup_make "$TOP/machine.slice/libpod-$id6.scope/container"
	c6=$CGROUP_PATH

	snoop_start "${MON[@]}" "${ISOLATE[@]}" "$ALL_FIELDS"
	SRV_CGROUP=$c1 CLI_CGROUP=$c2 conv a 4 8921
	SRV_CGROUP=$c3 CLI_CGROUP=$c4 conv b 4 8922
	SRV_CGROUP=$c5 CLI_CGROUP=$c6 conv c 4 8923
	await_closed a
	await_closed b
	await_closed c
	settle
	snoop_stop

	assert_tail "${S_EP[a]}" "${C_EP[a]}" " UNIT=crio-$id1.scope CONTAINER=$id1 RUNTIME=cri-o POD=- THREAD=snoop-srv"
	assert_tail "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" " UNIT=- CONTAINER=$id2 RUNTIME=podman POD=- THREAD=snoop-cli"
	assert_tail "${S_EP[b]}" "${C_EP[b]}" " UNIT=crio-conmon-$id3.scope CONTAINER=- RUNTIME=- POD=- THREAD=snoop-srv"
	assert_tail "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}" " UNIT=- CONTAINER=$id4 RUNTIME=docker POD=- THREAD=snoop-cli"
	assert_tail "${S_EP[c]}" "${C_EP[c]}" " UNIT=libpod-conmon-$id5.scope CONTAINER=- RUNTIME=- POD=- THREAD=snoop-srv"
	assert_tail "${C_EP0[c]},${C_EP[c]}" "${S_EP[c]}" " UNIT=libpod-$id6.scope CONTAINER=$id6 RUNTIME=podman POD=- THREAD=snoop-cli"
	strip_fields
	assert_conv a
	assert_conv b
	assert_conv c
}

@test "trust: names under a subtree chowned to uid 65534 do not count (evil.service, docker-<id>.scope); the unit is the root-made user@65534.service" {
	local id user evil ctr
	id=$(rand_id)
	cgroup_make "$TOP/user@65534.service/evil.service/docker-$id.scope"
	ctr=$CGROUP_PATH
	evil=${ctr%/*}
	user=${evil%/*}
	# A delegated subtree: its user may name directories in it as it likes.
	chown -R 65534:65534 "$user"
	assert_eq "owner of $user" "$(stat -c %u "$user")" 65534
	assert_eq "owner of $ctr" "$(stat -c %u "$ctr")" 65534
	assert_eq "owner of ${user%/*}" "$(stat -c %u "${user%/*}")" 0

	snoop_start "${MON[@]}" "${ISOLATE[@]}" "$ALL_FIELDS"
	SRV_CGROUP=$ctr CLI_CGROUP=$evil conv a 4 8931
	await_closed a
	settle
	snoop_stop
	assert_tail "${S_EP[a]}" "${C_EP[a]}" " UNIT=user@65534.service CONTAINER=- RUNTIME=- POD=- THREAD=snoop-srv"
	assert_tail "${S_EP[a]}" 0.0.0.0:0 " UNIT=user@65534.service CONTAINER=- RUNTIME=- POD=- THREAD=snoop-srv"
	assert_tail "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" " UNIT=user@65534.service CONTAINER=- RUNTIME=- POD=- THREAD=snoop-cli"
	assert_none "evil.service"
	assert_none "$id"
	strip_fields
	assert_conv a

	snoop_start "${MON[@]}" "${ISOLATE[@]}" --json
	SRV_CGROUP=$ctr CLI_CGROUP=$evil conv j 4 8932
	json_await_closed j
	settle
	snoop_stop
	assert_json_pid "${SPID[j]}" '.service == {"name": "user@65534.service"} and (has("container") | not) and (has("orchestrator") | not)'
	assert_json_pid "${CPID[j]}" '.service == {"name": "user@65534.service"} and (has("container") | not) and (has("orchestrator") | not)'

	# The filters do not find the user's names either.
	assert_bad --container "$id" "$id has no cgroup" "--container=$id"
	assert_bad --container "${id:0:12}" "${id:0:12} has no cgroup" "--container=${id:0:12}"
	assert_bad --unit evil "evil.service has no cgroup" --unit=evil
	assert_bad --unit evil.service "evil.service has no cgroup" --unit=evil.service
	assert_bad --unit "docker-$id.scope" "docker-$id.scope has no cgroup" "--unit=docker-$id.scope"

	# The root-made unit above them is one, and keeps its whole subtree.
	snoop_start "${MON[@]}" --unit=user@65534.service
	SRV_CGROUP=$ctr CLI_CGROUP=$evil conv b 4 8933
	conv c 4 8934
	await_closed b
	settle
	snoop_stop
	assert_conv b
	assert_no_conv c
	assert_every_re " PID=(${SPID[b]}|${CPID[b]}) "
}

@test "--unit=NAME keeps exactly its unit's processes and its sub-cgroups' (NAME.service added)" {
	local unit svc worker other
	unit="web-$RANDOM$RANDOM"
	cgroup_make "$TOP/$unit.service/worker"
	worker=$CGROUP_PATH
	svc=${worker%/*}
	cgroup_make "$TOP/other-$RANDOM.service"
	other=$CGROUP_PATH

	snoop_start "${MON[@]}" "--unit=$unit" --fields=unit
	SRV_CGROUP=$svc conv a 4 8941
	SRV_CGROUP=$other CLI_CGROUP=$worker conv b 4 8942
	CLI_CGROUP=$other conv c 4 8943
	await_state "${S_EP[a]}" "${C_EP[a]}" CLOSE
	await_state "${C_EP[b]}" "${S_EP[b]}" CLOSE
	settle
	snoop_stop

	# A sub-cgroup's process is the unit's.
	assert_tail "${S_EP[a]}" "${C_EP[a]}" " UNIT=$unit.service"
	assert_tail "${S_EP[a]}" 0.0.0.0:0 " UNIT=$unit.service"
	assert_tail "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}" " UNIT=$unit.service"
	strip_fields
	assert_conv a server listener
	assert_conv b client
	assert_no_conn "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}"
	assert_no_conn "${S_EP[b]}" "${C_EP[b]}"
	assert_no_conn "${S_EP[b]}" 0.0.0.0:0
	assert_no_conv c
	assert_every_re " PID=(${SPID[a]}|${CPID[b]}) "

	# The same unit named with its suffix.
	snoop_start "${MON[@]}" "--unit=$unit.service"
	SRV_CGROUP=$svc conv d 4 8944
	conv e 4 8945
	await_state "${S_EP[d]}" "${C_EP[d]}" CLOSE
	settle
	snoop_stop
	assert_conv d server listener
	assert_no_conn "${C_EP0[d]},${C_EP[d]}" "${S_EP[d]}"
	assert_no_conv e
	assert_every_re " PID=${SPID[d]} "
}

@test "--container=<first 12 digits, upper case> keeps exactly that container's processes" {
	local id id2 ctr ctr2 short
	id=$(rand_id)
	id2=$(rand_id)
	cgroup_make "$TOP/docker-$id.scope"
	ctr=$CGROUP_PATH
	cgroup_make "$TOP/docker-$id2.scope"
	ctr2=$CGROUP_PATH
	short=${id:0:12}
	short=${short^^}
	[ "$short" != "${id:0:12}" ] || e2e_fail "the id's upper-case prefix is its own: $short"

	snoop_start "${MON[@]}" "--container=$short" --fields=container,runtime
	CLI_CGROUP=$ctr conv a 4 8951
	SRV_CGROUP=$ctr2 CLI_CGROUP=$ctr2 conv b 4 8952
	conv c 4 8953
	await_state "${C_EP[a]}" "${S_EP[a]}" CLOSE
	settle
	snoop_stop

	assert_tail "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" " CONTAINER=$id RUNTIME=docker"
	strip_fields
	assert_conv a client
	assert_no_conn "${S_EP[a]}" "${C_EP[a]}"
	assert_no_conn "${S_EP[a]}" 0.0.0.0:0
	assert_no_conv b
	assert_no_conv c
	assert_every_re " PID=${CPID[a]} "

	# The whole id keeps the same; a sub-cgroup of the container is its.
	cgroup_make "$TOP/docker-$id.scope/init"
	snoop_start "${MON[@]}" "--container=$id"
	SRV_CGROUP=$CGROUP_PATH CLI_CGROUP=$ctr2 conv d 4 8954
	await_state "${S_EP[d]}" "${C_EP[d]}" CLOSE
	settle
	snoop_stop
	assert_conv d server listener
	assert_no_conn "${C_EP0[d]},${C_EP[d]}" "${S_EP[d]}"
	assert_every_re " PID=${SPID[d]} "
}

@test "exit 64: bad --unit, --container and --fields values, two cgroup options; the option and value named, no log file" {
	local id p unit
	id=$(rand_id)
	unit="web-$RANDOM$RANDOM"
	cgroup_make "$TOP/$unit.service"
	cgroup_make "$TOP/docker-$id.scope"
	# Two containers whose ids share their first 12 digits.
	p=$(rand_id)
	p=${p:0:12}
	cgroup_make "$TOP/docker-$p$(rand_id | cut -c1-52).scope"
	cgroup_make "$TOP/crio-$p$(rand_id | cut -c1-52).scope"

	local unit_re="expected a systemd unit name"
	assert_bad --unit "" "$unit_re" --unit=
	assert_bad --unit a/b "$unit_re" --unit=a/b
	assert_bad --unit x.socket "$unit_re" --unit=x.socket
	assert_bad --unit nosuch "nosuch.service has no cgroup" --unit=nosuch
	assert_bad --unit "$unit.scope" "$unit.scope has no cgroup" "--unit=$unit.scope"

	local ctr_re="expected a container id of 12 to 64 hexadecimal digits"
	assert_bad --container xyz "$ctr_re" --container=xyz
	assert_bad --container "" "$ctr_re" --container=
	assert_bad --container "${id:0:11}" "$ctr_re" "--container=${id:0:11}"
	assert_bad --container "${id}a" "$ctr_re" "--container=${id}a"
	assert_bad --container "${id:0:11}g" "$ctr_re" "--container=${id:0:11}g"
	assert_bad --container "$p" "$p names more than one cgroup" "--container=$p"
	assert_bad --container "${p^^}" "$p names more than one cgroup" "--container=${p^^}"

	local fld_re="expected a log line field"
	assert_bad --fields bogus "$fld_re" --fields=bogus
	assert_bad --fields unit,,pod "$fld_re" --fields=unit,,pod

	local excl="chose the cgroup already"
	assert_bad --cgroup / "--unit $excl" "--unit=$unit" --cgroup=/
	assert_bad --container "$id" "--cgroup $excl" --cgroup=/ "--container=$id"
	assert_bad --unit "$unit" "--container $excl" "--container=${id:0:12}" "--unit=$unit"

	# The good values alone are taken: the failures above were the values'.
	snoop_run "$SNOOP" --no-log-file --no-report --duration=1 "--unit=$unit" --fields=unit,pod
	assert_eq "exit status of --unit=$unit" "$RUN_STATUS" 0
	snoop_run "$SNOOP" --no-log-file --no-report --duration=1 "--container=${id:0:12}"
	assert_eq "exit status of --container=${id:0:12}" "$RUN_STATUS" 0
}
