#!/usr/bin/env bats
# Real servers from Debian packages, started the way their units start them
# (they daemonise: listen, fork, exit) after socket-snoop, with RPS putting every
# softirq transition on the CPU the server is not on:
#   - nginx, a master and two workers; apache2 with the prefork MPM, two children.
#     The worker that accept()s a connection is its owner from there on (the
#     Accepted: event and every later event name it, as `ss -tnp` shows it holding
#     the connection); before accept, a connection is named after a live process
#     that holds the listener, never the PID that called listen() and is gone.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	SERVER_SID=
}

teardown() {
	# The daemons started a session of their own (setsid): all of it goes.
	[ -z "${SERVER_SID:-}" ] || pkill -KILL -s "$SERVER_SID" 2>/dev/null
	e2e_teardown
}

# Process ids holding the server-side socket LOCAL -> REMOTE, as ss -tnp shows them.
ss_holders() {
	ip netns exec "$NS_S" ss -Htnp state all src "$1" dst "$2" |
		grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un
}

# Process ids holding the listener on PORT of the server's namespace.
listener_holders() {
	ip netns exec "$NS_S" ss -Htlnp "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un
}

# Wait until the daemon with pid file FILE has N processes holding its listener on
# PORT; sets SERVER_SID (its session, for the teardown) and HOLDERS.
await_daemon() {
	local file=$1 port=$2 n=$3 i
	for ((i = 0; i < 100; i++)); do
		if [ -s "$file" ]; then
			SERVER_SID=$(cat "$file")
			mapfile -t HOLDERS < <(listener_holders "$port")
			[ "${#HOLDERS[@]}" -ge "$n" ] && return 0
		fi
		sleep 0.1
	done
	e2e_fail "the daemon did not come up with $n processes on port $port: ${HOLDERS[*]:-none}"
}

# Connections C1..CN to the server on PORT, each paused once connected, until the
# worker that accepted it shows in ss -tnp; OWNER[Ci] is that worker.  Then all go:
# each client sends 16 bytes and closes first.
declare -gA OWNER=()
hold_and_release() {
	local port=$1 n=$2 i j tag who
	SADDR[srv]=$V4_S
	SPORT[srv]=$port
	S_EP[srv]=$(ep "$V4_S" "$port")
	for ((i = 1; i <= n; i++)); do
		tag=c$i
		cli_start "$tag" srv --pause --send 16 || return 1
		cli_connected "$tag" || return 1
		wait_line "$T/cli-$tag.peer" "$LINE_TIMEOUT" PAUSED || return 1
		who=
		for ((j = 0; j < 100; j++)); do
			who=$(ss_holders "${S_EP[srv]}" "${C_EP[$tag]}")
			[ -n "$who" ] && break
			sleep 0.05
		done
		if [ -z "$who" ] || [ "$(wc -l <<<"$who")" != 1 ]; then
			e2e_fail "connection $tag: no single holder in ss -tnp: '$who'"
			return 1
		fi
		OWNER[$tag]=$who
	done
	for ((i = 1; i <= n; i++)); do
		release "${CPID[c$i]}"
	done
	for ((i = 1; i <= n; i++)); do
		await_state "${S_EP[srv]}" "${C_EP[c$i]}" CLOSE || return 1
	done
}

# Every server-side event line of connection TAG: the Accepted line and every
# one after it name OWNER[TAG]; those before it name one of HOLDERS (alive,
# holding the listener), and there are both.
assert_served_by_acceptor() {
	local tag=$1 line pid accepted=0 before=0 after=0
	local -a lines=()
	mapfile -t lines < <(conn_lines "${S_EP[srv]}" "${C_EP[$tag]}")
	for line in "${lines[@]}"; do
		[[ $line =~ $EVENT_RE ]] || continue
		pid=${BASH_REMATCH[5]}
		if [ "${BASH_REMATCH[2]}" = Accepted ]; then
			accepted=$((accepted + 1))
		fi
		if [ "$accepted" = 0 ]; then
			before=$((before + 1))
			[[ " ${HOLDERS[*]} " == *" $pid "* ]] ||
				{ e2e_fail "$tag before accept: PID=$pid holds no listener (${HOLDERS[*]}): $line"; printf '  %s\n' "${lines[@]}" >&2; return 1; }
		else
			after=$((after + 1))
			[ "$pid" = "${OWNER[$tag]}" ] ||
				{ e2e_fail "$tag after accept: PID=$pid, ss showed ${OWNER[$tag]}: $line"; printf '  %s\n' "${lines[@]}" >&2; return 1; }
		fi
	done
	# A server may reset instead of closing (CLOSE_WAIT straight to CLOSE, no
	# LAST_ACK): nginx does at times, when the client's FIN comes with the close.
	if [ "$accepted" != 1 ] || [ "$before" != 2 ] || { [ "$after" != 4 ] && [ "$after" != 3 ]; } ||
		[[ ${lines[-1]} != *" STATE=${STATE_DESC[CLOSE]}" ]]; then
		e2e_fail "$tag: want SYN_RECV, ESTABLISHED, Accepted, CLOSE_WAIT, [LAST_ACK,] CLOSE; got $accepted Accepted, $before before, $after from it"
		printf '  %s\n' "${lines[@]}" >&2
		return 1
	fi
}

# The listener's CLOSE names one of the processes that held it.
assert_listener_close() {
	local port=$1 line pid
	line=$(grep -F " SRC=$(ep "$V4_S" "$port") DST=0.0.0.0:0 " "$T/mon.out" |
		grep -F "STATE=${STATE_DESC[CLOSE]}") || { e2e_fail "no listener CLOSE line"; return 1; }
	[[ $line =~ $EVENT_RE ]] && pid=${BASH_REMATCH[5]}
	[[ " ${HOLDERS[*]} " == *" $pid "* ]] ||
		{ e2e_fail "the listener's close names PID=$pid, which did not hold it (${HOLDERS[*]})"; return 1; }
}

@test "nginx, daemonising, master and two workers: the accepting worker owns each connection from accept on; before it, a live holder of the listener" {
	e2e_require_cmds nginx ss || return 1
	local port=8088 conf=$T/nginx.conf
	mkdir -p "$T/nginx"
	cat >"$conf" <<EOF
worker_processes 2;
pid $T/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; accept_mutex off; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server { listen $V4_S:$port; location / { return 200 "ok\n"; } }
}
EOF
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report --events=state,accept
	ip netns exec "$NS_S" taskset -c "$SERVER_CPU" nginx -c "$conf"
	await_daemon "$T/nginx.pid" "$port" 3
	hold_and_release "$port" 4
	kill -QUIT "$SERVER_SID"
	await_state "$(ep "$V4_S" "$port")" 0.0.0.0:0 CLOSE
	snoop_stop

	local i
	for ((i = 1; i <= 4; i++)); do
		assert_served_by_acceptor "c$i"
	done
	assert_listener_close "$port"
}

@test "apache2 prefork, daemonising, two children: the accepting child owns each connection from accept on; before it, a live holder of the listener" {
	e2e_require_cmds apache2 ss || return 1
	local port=8089 conf=$T/httpd.conf mods=/usr/lib/apache2/modules
	[ -e "$mods/mod_mpm_prefork.so" ] || { e2e_cannot_run "no $mods/mod_mpm_prefork.so"; return 1; }
	cat >"$conf" <<EOF
ServerRoot $T
DefaultRuntimeDir $T
PidFile $T/httpd.pid
ErrorLog $T/httpd-error.log
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
StartServers 2
MinSpareServers 2
MaxSpareServers 2
ServerLimit 2
MaxRequestWorkers 2
User www-data
Group www-data
ServerName snoop-e2e
Listen $V4_S:$port
# Accepted at once (not only once data came, TCP_DEFER_ACCEPT): the clients pause first.
AcceptFilter http none
DocumentRoot $T
EOF
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report --events=state,accept
	ip netns exec "$NS_S" taskset -c "$SERVER_CPU" apache2 -f "$conf" -k start
	await_daemon "$T/httpd.pid" "$port" 3
	hold_and_release "$port" 2
	kill -TERM "$SERVER_SID"
	await_state "$(ep "$V4_S" "$port")" 0.0.0.0:0 CLOSE
	snoop_stop

	assert_served_by_acceptor c1
	assert_served_by_acceptor c2
	assert_listener_close "$port"
}

# memcached on PORT in the server's namespace, run by the test (no fork), two
# worker threads; MEMCACHED_PID.
memcached_start() {
	local port=$1 i
	ip netns exec "$NS_S" taskset -c "$SERVER_CPU" \
		memcached -u nobody -l "$V4_S" -p "$port" -U 0 -t 2 </dev/null >"$T/memcached.out" 2>&1 &
	MEMCACHED_PID=$!
	E2E_PIDS+=("$MEMCACHED_PID")
	for ((i = 0; i < 100; i++)); do
		[ -n "$(listener_holders "$port")" ] && return 0
		sleep 0.1
	done
	e2e_fail "memcached did not listen on $port: $(cat "$T/memcached.out")"
}

# One connection to memcached: 16 bytes sent, the client closes first; its
# server side is then closed by memcached's worker thread.
memcached_conn() {
	local tag=$1 port=$2
	SADDR[srv]=$V4_S
	SPORT[srv]=$port
	S_EP[srv]=$(ep "$V4_S" "$port")
	cli_run "$tag" srv --send 16
	if [ -n "${SNOOP_JSON:-}" ]; then
		json_wait ".network.direction == \"ingress\" and .source.port == ${CPORT[$tag]} and .destination.port == $port and .event.action == \"close\""
	else
		await_state "${S_EP[srv]}" "${C_EP[$tag]}" CLOSE
	fi
}

@test "memcached (worker threads): COMM= and process.name say memcached, process.thread.name mc-worker; --comm matches either name; --thread-names shows the thread" {
	e2e_require_cmds memcached ss || return 1
	local port=11311 got
	memcached_start "$port"
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report --json --comm=memcached
	memcached_conn a "$port"
	settle
	snoop_stop
	# Every object of the server side, by process and thread name: the process's
	# name everywhere; its close (LAST_ACK, in the worker's close()) by mc-worker.
	got=$(json_select ".destination.port == $port and .network.direction == \"ingress\"" |
		jq -r '[.event.action, (.socket_snoop.state), .process.pid, .process.name] | @tsv')
	assert_eq "server-side objects with --comm=memcached" "$got" "$(printf '%s\n' \
		$'state_change\tsyn_recv\t'"$MEMCACHED_PID"$'\tmemcached' \
		$'state_change\testablished\t'"$MEMCACHED_PID"$'\tmemcached' \
		$'state_change\tclose_wait\t'"$MEMCACHED_PID"$'\tmemcached' \
		$'state_change\tlast_ack\t'"$MEMCACHED_PID"$'\tmemcached' \
		$'state_change\tclose\t'"$MEMCACHED_PID"$'\tmemcached' \
		$'close\tclose\t'"$MEMCACHED_PID"$'\tmemcached')"
	got=$(json_select ".destination.port == $port and .socket_snoop.state == \"last_ack\"" | jq -r .process.thread.name)
	assert_eq "thread of the close" "$got" mc-worker

	# --comm=mc-worker keeps the events the worker thread owns: from its first
	# read on (the last of them, LAST_ACK and CLOSE, at least), never the client's.
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report --thread-names --comm=mc-worker
	memcached_conn b "$port"
	settle
	snoop_stop
	assert_contains "$T/mon.out" "SRC=${S_EP[srv]} DST=${C_EP[b]} PID=$MEMCACHED_PID COMM=mc-worker STATE=${STATE_DESC[LAST_ACK]}"
	assert_contains "$T/mon.out" "SRC=${S_EP[srv]} DST=${C_EP[b]} PID=$MEMCACHED_PID COMM=mc-worker STATE=${STATE_DESC[CLOSE]}"
	[ -z "$(conn_lines "${C_EP[b]}" "${S_EP[srv]}")" ] || e2e_fail "the client's lines passed --comm=mc-worker"

	# Without --thread-names, COMM= is the process's name on every line of it.
	snoop_start "${ISOLATE[@]}" --no-log-file --no-report
	memcached_conn c "$port"
	settle
	snoop_stop
	got=$(conn_lines "${S_EP[srv]}" "${C_EP[c]}" | sed -n 's/.* PID=\([0-9]*\) COMM=\([^ ]*\) .*/\1 \2/p' | sort -u)
	assert_eq "server-side owners of c" "$got" "$MEMCACHED_PID memcached"
}
