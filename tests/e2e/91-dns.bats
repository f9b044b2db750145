#!/usr/bin/env bats
# The host name the process asked for (issue 15 item 4): the DNS answers a
# network namespace received for the queries it sent name the addresses they
# gave, for their TTL: a log line shows "DST=ADDR:PORT (NAME)", a JSON object
# destination.domain (egress) or source.domain (ingress).  The name is the
# question's, through a CNAME chain; no reverse lookups; per network namespace;
# a forged answer that matches no query counts for nothing; --no-dns: no names.
# shellcheck disable=SC2016 # jq programs (with $variables) in single quotes
#
# Real resolution: nsd from Debian, authoritative for snoop.test, runs in the
# server's namespace on $V4_S and $V6_S port 53 (UDP and TCP), as root, in the
# foreground in a session of its own, every file of it in $T/nsd.  The
# client's namespace asks it through glibc: `ip netns exec` bind-mounts
# /etc/netns/$NS_C/resolv.conf (and nsswitch.conf, hosts: files dns) over
# /etc, so the clients that resolve run through `ip netns exec` (the peers,
# started with nsenter, see the host's files and connect by address).  The
# client that resolves is dns.py (below) run as snoop-dns, a link to the
# Python interpreter: getaddrinfo(), connect to the first address, send 100
# bytes, read 50, close first; against a peer server (--recv 100 --send 50)
# its conversation is the peers' one, so assert_conv checks it.
#
# Zone snoop.test: web A $V4_S and AAAA $V6_S with TTL 3; alias CNAME web,
# TTL 60 (the chain lasts 3 s); other A $V4_S, TTL 300 (a second name of the
# same address); ns A $V4_S, TTL 300 (only in authority/additional sections,
# never asked for).

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	e2e_require_cmds nsd nsd-checkconf nsd-checkzone python3 getent setsid pgrep pkill
	# The names come from packets: a failure retries once when the kernel
	# ran no BPF program for some of this test's packets (lib.bash).
	E2E_PACKET_FACE=1
	NSD_PID=
	DNS_ETC=
	DNS_ETC_PARENT_MADE=
	dns_setup
}

teardown() {
	dns_teardown
	e2e_teardown
}

MON=(--no-log-file --no-report)
WEB_TTL=3

# ---------------------------------------------------------------- nsd, resolver

# dns.py, the test's DNS tool (run by the interpreter under the name snoop-dns):
#   connect NAME PORT 4|6 SEND RECV  resolve NAME with getaddrinfo(), connect to
#                                    its first address, send SEND bytes, read
#                                    RECV, close; prints PID, RESOLVED <addr>,
#                                    CONNECTED <local addr> <port>, DONE
#   ask SERVER NAME:TYPE...          one UDP query each; prints every record of
#                                    the answer section, "NAME TYPE TTL DATA"
#   listen ADDR PORT                 prints READY, then GOT <bytes> <addr> <port>
#                                    for the first UDP datagram (5 s at most)
#   forge SRC DST PORT NAME ADDR     sends from SRC port 53 (a raw socket: nsd
#                                    holds the port) to DST:PORT a well-formed
#                                    answer "NAME A ADDR, TTL 300" to no query
dns_tool() {
	cat >"$T/dns.py" <<'EOF'
import os, random, socket, struct, sys

TYPES = {"A": 1, "CNAME": 5, "AAAA": 28}
NAMES = {v: k for k, v in TYPES.items()}

def out(*words):
    print(*words, flush=True)

def wire_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"

def read_name(msg, i):
    labels, end = [], None
    while True:
        n = msg[i]
        if n >= 0xC0:
            end = i + 2 if end is None else end
            i = ((n & 0x3F) << 8) | msg[i + 1]
        elif n == 0:
            return ".".join(labels), (i + 1 if end is None else end)
        else:
            labels.append(msg[i + 1:i + 1 + n].decode())
            i += 1 + n

def ask(server, name, qtype):
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire_name(name) + struct.pack("!HH", TYPES[qtype], 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.sendto(q, (server, 53))
    msg = s.recv(4096)
    rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid or flags & 0x000F:
        sys.exit("bad answer to %s %s: id %d flags %#x" % (name, qtype, rid, flags))
    i = 12
    for _ in range(qd):
        i = read_name(msg, i)[1] + 4
    for _ in range(an):
        owner, i = read_name(msg, i)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        rdata = msg[i:i + rdlen]
        if rtype == 1:
            data = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == 28:
            data = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rtype == 5:
            data = read_name(msg, i)[0]
        else:
            data = rdata.hex()
        i += rdlen
        out(owner, NAMES.get(rtype, rtype), ttl, data)

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def forge(src, dst, port, name, addr):
    dns = (struct.pack("!HHHHHH", 0x5353, 0x8580, 1, 1, 0, 0) + wire_name(name) + struct.pack("!HH", 1, 1)
           + struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton(addr))
    length = 8 + len(dns)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_UDP, length)
    csum = checksum(pseudo + struct.pack("!HHHH", 53, port, length, 0) + dns) or 0xFFFF
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.bind((src, 0))
    s.sendto(struct.pack("!HHHH", 53, port, length, csum) + dns, (dst, 0))
    out("SENT", len(dns))

def connect(name, port, fam, send, recv):
    out("PID", os.getpid())
    family = socket.AF_INET6 if fam == "6" else socket.AF_INET
    info = socket.getaddrinfo(name, int(port), family, socket.SOCK_STREAM)
    out("RESOLVED", info[0][4][0])
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(info[0][4])
    out("CONNECTED", *s.getsockname()[:2])
    s.sendall(b"q" * int(send))
    got = 0
    while got < int(recv):
        data = s.recv(int(recv) - got)
        if not data:
            sys.exit("the server closed after %d bytes" % got)
        got += len(data)
    s.close()
    out("DONE")

def listen(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    s.settimeout(5)
    out("READY")
    data, peer = s.recvfrom(4096)
    out("GOT", len(data), peer[0], peer[1])

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "ask":
    for q in args[1:]:
        ask(args[0], *q.split(":"))
elif cmd == "forge":
    forge(args[0], args[1], int(args[2]), args[3], args[4])
elif cmd == "connect":
    connect(*args)
elif cmd == "listen":
    listen(*args)
else:
    sys.exit("unknown command " + cmd)
EOF
	local py
	# The interpreter itself (python3 may be a wrapper script): a link to
	# it runs it with the link's name as its command name.
	py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))') ||
		{ e2e_fail "cannot find the python3 interpreter"; return 1; }
	ln -s "$py" "$T/snoop-dns"
}

# nsd in the server's namespace for zone snoop.test; NSD_PID (its session too).
# nsd adds the zone's NS record (authority) and ns's address (additional) to
# its answers: only the answer section's records may name anything.
nsd_start() {
	local d=$T/nsd
	mkdir "$d"
	cat >"$d/snoop.test.zone" <<EOF
\$ORIGIN snoop.test.
\$TTL 300
@	3600	IN	SOA	ns.snoop.test. hostmaster.snoop.test. 1 3600 600 86400 300
@	3600	IN	NS	ns
ns	300	IN	A	$V4_S
web	$WEB_TTL	IN	A	$V4_S
web	$WEB_TTL	IN	AAAA	$V6_S
alias	60	IN	CNAME	web
other	300	IN	A	$V4_S
EOF
	cat >"$d/nsd.conf" <<EOF
server:
	ip-address: $V4_S
	ip-address: $V6_S
	port: 53
	do-ip4: yes
	do-ip6: yes
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$d"
	database: ""
	zonelistfile: "$d/zone.list"
	xfrdfile: "$d/xfrd.state"
	xfrdir: "$d"
	pidfile: "$d/nsd.pid"
	logfile: "$d/nsd.log"
	cookie-secret-file: "$d/cookiesecrets.txt"
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
zone:
	name: "snoop.test"
	zonefile: "$d/snoop.test.zone"
EOF
	nsd-checkconf "$d/nsd.conf" || { e2e_fail "nsd-checkconf refuses $d/nsd.conf"; return 1; }
	nsd-checkzone snoop.test "$d/snoop.test.zone" >/dev/null ||
		{ e2e_fail "nsd-checkzone refuses the zone"; return 1; }
	# -d: no daemonising, so $! stays nsd (it becomes xfrd and forks the
	# rest); setsid execs (a background job is no group leader): the session
	# is $!.
	ip netns exec "$NS_S" taskset -c "$SERVER_CPU" setsid nsd -d -c "$d/nsd.conf" \
		</dev/null >"$d/nsd.out" 2>&1 3>&- &
	NSD_PID=$!
}

# Wait until nsd answers, then check what it and glibc in the client's
# namespace say: every record and TTL as the zone has them.
dns_verify() {
	local i got want
	for ((i = 0; i < 100; i++)); do
		pid_running "$NSD_PID" || break
		ip netns exec "$NS_C" "$T/snoop-dns" "$T/dns.py" ask "$V4_S" web.snoop.test:A >/dev/null 2>&1 && break
		sleep 0.1
	done
	got=$(ip netns exec "$NS_C" "$T/snoop-dns" "$T/dns.py" ask "$V4_S" \
		web.snoop.test:A web.snoop.test:AAAA alias.snoop.test:A other.snoop.test:A 2>&1) ||
		{ e2e_fail "nsd does not answer on $V4_S:53: $got" "$(cat "$T/nsd/nsd.out" "$T/nsd/nsd.log" 2>/dev/null)"; return 1; }
	want="web.snoop.test A $WEB_TTL $V4_S
web.snoop.test AAAA $WEB_TTL $V6_S
alias.snoop.test CNAME 60 web.snoop.test
web.snoop.test A $WEB_TTL $V4_S
other.snoop.test A 300 $V4_S"
	assert_eq "nsd's answers (name type TTL data)" "$got" "$want" || return 1
	# glibc, through the namespace's resolv.conf and nsswitch.conf.
	got=$(ip netns exec "$NS_C" getent ahostsv4 web.snoop.test | awk 'NR == 1 { print $1 }')
	assert_eq "getent ahostsv4 web.snoop.test in $NS_C" "$got" "$V4_S" || return 1
	got=$(ip netns exec "$NS_C" getent ahostsv6 web.snoop.test | awk 'NR == 1 { print $1 }')
	assert_eq "getent ahostsv6 web.snoop.test in $NS_C" "$got" "$V6_S" || return 1
	got=$(ip netns exec "$NS_C" getent ahostsv4 alias.snoop.test | awk 'NR == 1 { print $1, $3 }')
	assert_eq "getent ahostsv4 alias.snoop.test in $NS_C (address, canonical name)" "$got" "$V4_S web.snoop.test"
}

# The client namespace's resolver: nsd on $V4_S, one try of one second; hosts
# from /etc/hosts, then DNS (no nss module that asks a daemon of the host's
# namespace, as systemd-resolved's would).
dns_setup() {
	dns_tool || return 1
	[ ! -S /var/run/nscd/socket ] ||
		{ e2e_cannot_run "nscd runs: glibc would ask it, in the host's namespace"; return 1; }
	[ -d /etc/netns ] || DNS_ETC_PARENT_MADE=1
	DNS_ETC=/etc/netns/$NS_C
	mkdir -p "$DNS_ETC" || return 1
	printf 'nameserver %s\noptions attempts:1 timeout:1\n' "$V4_S" >"$DNS_ETC/resolv.conf"
	# ip netns exec bind-mounts only over files that exist.
	if [ -e /etc/nsswitch.conf ]; then
		sed -E 's/^hosts:.*/hosts:          files dns/' /etc/nsswitch.conf >"$DNS_ETC/nsswitch.conf"
	fi
	nsd_start || return 1
	dns_verify
}

dns_teardown() {
	local i
	if [ -n "${NSD_PID:-}" ]; then
		# The process started is nsd's xfrd (it forks "nsd: main", which
		# forks the server): on TERM they all stop.  Whatever is left of
		# the session after 5 s is killed.
		kill -TERM "$NSD_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			pgrep -s "$NSD_PID" >/dev/null || break
			sleep 0.1
		done
		pkill -KILL -s "$NSD_PID" 2>/dev/null
		wait "$NSD_PID" 2>/dev/null
		if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -d "$T/nsd" ]; then
			echo "--- nsd" >&2
			cat "$T/nsd/nsd.out" "$T/nsd/nsd.log" 2>/dev/null | tail -n 20 >&2
		fi
		NSD_PID=
	fi
	if [ -n "${DNS_ETC:-}" ]; then
		rm -rf "$DNS_ETC"
		[ -z "${DNS_ETC_PARENT_MADE:-}" ] || rmdir /etc/netns 2>/dev/null
		DNS_ETC=
	fi
	return 0
}

# ---------------------------------------------------------------- clients

# Resolve NAME in the client's namespace and hold conversation TAG with server
# SRVTAG (100 bytes sent, 50 read, the client closes first), as snoop-dns; the
# name must have resolved to the server's address.  dns_cli TAG SRVTAG NAME 4|6
dns_cli() {
	local tag=$1 stag=$2 name=$3 fam=$4 out=$T/cli-$1.peer got
	ip netns exec "$NS_C" taskset -c "$CLIENT_CPU" "$T/snoop-dns" "$T/dns.py" \
		connect "$name" "${SPORT[$stag]}" "$fam" 100 50 >"$out" 2>&1 </dev/null 3>&- &
	BGPID[cli-$tag]=$!
	E2E_PIDS+=("$!")
	wait_line "$out" "$LINE_TIMEOUT" "PID " || { e2e_fail "client $tag did not start: $(cat "$out")"; return 1; }
	CPID[$tag]=$(awk '$1 == "PID" { print $2; exit }' "$out")
	assert_eq "PID of client $tag" "${CPID[$tag]}" "${BGPID[cli-$tag]}" || return 1
	cli_wait "$tag" || { cat "$out" >&2; return 1; }
	got=$(awk '$1 == "RESOLVED" { print $2; exit }' "$out")
	assert_eq "$name resolved in $NS_C to" "$got" "${SADDR[$stag]}"
}

# A peer client by address, in the SERVER's namespace, of server SRVTAG:
# conversation TAG (as cli_run, other namespace).  cli_run_in_srv_ns TAG SRVTAG
cli_run_in_srv_ns() {
	local tag=$1 stag=$2
	peer_bg "cli-$tag" "$NS_S" "$CLIENT_CPU" snoop-cli client "${SADDR[$stag]}" "${SPORT[$stag]}" \
		--send 100 --recv 50 || return 1
	CPID[$tag]=$PEER_PID
	cli_wait "$tag"
}

# ---------------------------------------------------------------- assertions

# An event line with the name of its remote end: " (NAME)" after DST's endpoint.
DNS_EVENT_RE="^($TS_RE) ([A-Za-z ]+): SRC=([^ ]+) DST=([^ ]+)( \\(([^ ()]*)\\))? PID=([0-9]+) COMM=([^ ]*)( (.*))?\$"

# Keep the monitor's output in $T/mon.names and leave in $T/mon.out its lines
# without the names, for the lib's assertions (assert_conv).
strip_names() {
	cp "$T/mon.out" "$T/mon.names"
	sed -E 's/( DST=[^ ]+) \([^ ()]*\) PID=/\1 PID=/' "$T/mon.names" >"$T/mon.out"
}

# Assert every event line (at least one) of socket SRCS -> DST in
# $T/mon.names names its remote end NAME: "DST=<DST> (NAME)"; no name at all
# when NAME is empty.  assert_names SRCS DST NAME
assert_names() {
	local srcs=",$1," dst=$2 name=$3 line got n=0 bad=0
	local -a lines=()
	while IFS= read -r line; do
		[[ $line =~ $DNS_EVENT_RE ]] || continue
		[ "${BASH_REMATCH[4]}" = "$dst" ] || continue
		[[ $srcs == *",${BASH_REMATCH[3]},"* ]] || continue
		# A RST the kernel sent for no socket belongs to none.
		[[ ${BASH_REMATCH[7]} != 0 || ${BASH_REMATCH[8]} != "<closed>" ]] || continue
		lines+=("$line")
		n=$((n + 1))
		got=${BASH_REMATCH[6]}
		[ -n "${BASH_REMATCH[5]}" ] || got=
		[ "$got" = "$name" ] || bad=1
	done < <(grep -F -e " DST=$dst " "$T/mon.names")
	[ "$n" -gt 0 ] || { e2e_fail "no event line for SRC=$1 DST=$dst"; return 1; }
	if [ "$bad" = 1 ]; then
		if [ -n "$name" ]; then
			printf 'FAIL: SRC=%s DST=%s: every line must show "DST=%s (%s)":\n' "$1" "$dst" "$dst" "$name" >&2
		else
			printf 'FAIL: SRC=%s DST=%s: no line may name its remote end:\n' "$1" "$dst" >&2
		fi
		printf '  %s\n' "${lines[@]}" >&2
		return 1
	fi
}

# Assert no event line of $T/mon.names names a remote end.
assert_no_names() {
	local out
	out=$(grep -E "^$TS_RE .* DST=[^ ]+ \(" "$T/mon.names" | head -n 20) || true
	[ -z "$out" ] || { printf 'FAIL: event lines with a name:\n%s\n' "$out" >&2; return 1; }
}

# The log-line checks of conversation TAG, resolved as NAME in the client's
# namespace: the client's lines name the server NAME, the server's and the
# listener's name nobody (the client's address was never resolved), and both
# sockets' sequences and owners are the peers' (the client is snoop-dns).
assert_named_conv() {
	local tag=$1 name=$2
	assert_names "${C_EP0[$tag]},${C_EP[$tag]}" "${S_EP[$tag]}" "$name" || return 1
	assert_names "${S_EP[$tag]}" "${C_EP[$tag]}" "" || return 1
	assert_names "${S_EP[$tag]}" "$(listener_dst "$tag")" "" || return 1
	CLI_COMM=snoop-dns assert_conv "$tag"
}

# Wait for the last JSON objects of conversation TAG: the close of the
# client's socket and of the accepted one, the listener's (no destination)
# state change to close.
json_await_closed() {
	json_wait ".process.pid == ${CPID[$1]} and .event.action == \"close\"" &&
		json_wait ".process.pid == ${SPID[$1]} and .event.action == \"close\"" &&
		json_wait ".process.pid == ${SPID[$1]} and (has(\"destination\") | not) and .socket_snoop.state == \"close\""
}

# ---------------------------------------------------------------- tests

@test "a name resolved with glibc: every line of the client's connection shows DST=ADDR:PORT (web.snoop.test), JSON destination.domain; the server's lines and source name nobody" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}"
	srv_start a 4 9101 --recv 100 --send 50
	dns_cli a a web.snoop.test 4
	srv_wait a
	await_closed a
	await_state "${S_EP[a]}" 0.0.0.0:0 CLOSE
	settle
	snoop_stop
	strip_names
	assert_named_conv a web.snoop.test
	# The text itself, on the client's CLOSE line.
	assert_contains "$T/mon.names" " SRC=${C_EP[a]} DST=$V4_S:9101 (web.snoop.test) PID=${CPID[a]} COMM=snoop-dns STATE=${STATE_DESC[CLOSE]}"

	snoop_start "${MON[@]}" "${ISOLATE[@]}" --json
	srv_start j 4 9102 --recv 100 --send 50
	dns_cli j j web.snoop.test 4
	srv_wait j
	json_await_closed j
	settle
	snoop_stop
	# The client's objects, egress: the remote end is the destination.
	assert_json_pid "${CPID[j]}" \
		'.network.direction == "egress" and .destination.ip == $ip and .destination.port == 9102
		and .destination.domain == "web.snoop.test" and (.source | has("domain") | not)' \
		--arg ip "$V4_S"
	# The server's, ingress (the client, never resolved, is the source) and
	# its listener's: no domain anywhere.
	assert_json_pid "${SPID[j]}" \
		'(.source | has("domain") | not) and ((.destination // {}) | has("domain") | not)'
	local ingress
	ingress=$(json_select ".process.pid == ${SPID[j]} and .network.direction == \"ingress\" and .source.port == ${CPORT[j]}" | grep -c .) || true
	[ "$ingress" -gt 0 ] || e2e_fail "no ingress object of the server's accepted socket"
}

@test "DNS over TCP (glibc with options use-vc): the answers of a TCP connection to port 53 name the client's connection, and that DNS connection is shown itself" {
	# glibc sends its queries over TCP, the A and AAAA ones in one segment.
	printf 'nameserver %s\noptions attempts:1 timeout:1 use-vc\n' "$V4_S" >"$DNS_ETC/resolv.conf"
	snoop_start "${MON[@]}" "${ISOLATE[@]}" -v
	srv_start t 4 9109 --recv 100 --send 50
	dns_cli t t web.snoop.test 4
	srv_wait t
	await_closed t
	await_state "${S_EP[t]}" 0.0.0.0:0 CLOSE
	settle
	snoop_stop
	# The resolver's own connection to nsd over TCP, by the client's process.
	grep -E " DST=$V4_S:53 PID=${CPID[t]} COMM=snoop-dns STATE=${STATE_DESC[ESTABLISHED]}" "$T/mon.out" >/dev/null ||
		e2e_fail "no TCP connection of the client to $V4_S:53: was TCP used?"
	strip_names
	assert_named_conv t web.snoop.test
	assert_contains "$T/mon.names" " SRC=${C_EP[t]} DST=$V4_S:9109 (web.snoop.test) PID=${CPID[t]} COMM=snoop-dns STATE=${STATE_DESC[CLOSE]}"
	# Counted as queries and answers: none unmatched (a segment that only
	# acknowledges carries no payload and is not copied).
	grep -E '^DNS: [1-9][0-9]* queries, [1-9][0-9]* answers \([1-9][0-9]* addresses named\), 0 responses to no query seen, 0 malformed' "$T/mon.err" >/dev/null ||
		e2e_fail "DNS counts: $(grep '^DNS:' "$T/mon.err")"
}

@test "a CNAME: the name shown is the one asked for (alias.snoop.test), not the chain's end; a second name of the address, asked for later, replaces it" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}"
	srv_start a 4 9111 --recv 100 --send 50
	dns_cli a a alias.snoop.test 4
	srv_wait a
	await_closed a
	# The same address under another name (TTL 300): the newest answer names it.
	srv_start o 4 9112 --recv 100 --send 50
	dns_cli o o other.snoop.test 4
	srv_wait o
	await_closed o
	settle
	snoop_stop
	strip_names
	assert_named_conv a alias.snoop.test
	assert_named_conv o other.snoop.test
	assert_none "(web.snoop.test)" "$T/mon.names"
	assert_none "(ns.snoop.test)" "$T/mon.names"
}

@test "IPv6: an AAAA answer names the connection: DST=[ADDR]:PORT (web.snoop.test)" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}"
	srv_start a 6 9121 --recv 100 --send 50
	dns_cli a a web.snoop.test 6
	srv_wait a
	await_closed a
	settle
	snoop_stop
	strip_names
	assert_named_conv a web.snoop.test
	assert_contains "$T/mon.names" " SRC=${C_EP[a]} DST=[$V6_S]:9121 (web.snoop.test) PID=${CPID[a]} COMM=snoop-dns STATE=${STATE_DESC[CLOSE]}"
}

@test "names are per network namespace and by address: a connection by address in the namespace that resolved it is named, one from the server's namespace, which never resolved it, is not" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}"
	srv_start a 4 9131 --recv 100 --send 50
	dns_cli a a other.snoop.test 4
	srv_wait a
	# By address, same (client) namespace, within the TTL of 300 s: named.
	srv_start b 4 9132 --recv 100 --send 50
	cli_run b b --send 100 --recv 50
	srv_wait b
	# By address, from the server's namespace: no name.
	srv_start x 4 9133 --recv 100 --send 50
	cli_run_in_srv_ns x x
	srv_wait x
	await_closed a
	await_closed b
	await_closed x
	settle
	snoop_stop
	strip_names
	assert_named_conv a other.snoop.test
	assert_names "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}" other.snoop.test
	assert_names "${S_EP[b]}" "${C_EP[b]}" ""
	assert_conv b
	assert_names "${C_EP0[x]},${C_EP[x]}" "${S_EP[x]}" ""
	assert_names "${S_EP[x]}" "${C_EP[x]}" ""
	assert_names "${S_EP[x]}" 0.0.0.0:0 ""
	assert_eq "client x's address" "${C_EP[x]%:*}" "$V4_S"
	assert_conv x
}

@test "after the TTL (3 s) the address has no name: a new connection to it, by address in the same namespace, shows none" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}"
	srv_start a 4 9141 --recv 100 --send 50
	dns_cli a a web.snoop.test 4
	srv_wait a
	await_closed a
	# The answer came before the connection: more than TTL + 1.5 s ago.
	sleep "$((WEB_TTL + 1)).5"
	srv_start b 4 9142 --recv 100 --send 50
	cli_run b b --send 100 --recv 50
	srv_wait b
	await_closed b
	settle
	snoop_stop
	strip_names
	assert_named_conv a web.snoop.test
	assert_names "${C_EP0[b]},${C_EP[b]}" "${S_EP[b]}" ""
	assert_conv b
}

@test "a forged answer (from port 53, to no query) names nothing: a connection by address to the address it claims shows no name" {
	local got
	snoop_start "${MON[@]}" "${ISOLATE[@]}"
	# Received for sure: a socket in the client's namespace takes it.
	ip netns exec "$NS_C" "$T/snoop-dns" "$T/dns.py" listen "$V4_C" 40053 >"$T/udp.out" 2>&1 </dev/null 3>&- &
	E2E_PIDS+=("$!")
	local listener=$!
	wait_line "$T/udp.out" "$LINE_TIMEOUT" READY || { e2e_fail "the UDP listener did not start: $(cat "$T/udp.out")"; return 1; }
	ip netns exec "$NS_S" "$T/snoop-dns" "$T/dns.py" forge "$V4_S" "$V4_C" 40053 forged.snoop.test "$V4_S" ||
		{ e2e_fail "cannot send the forged answer"; return 1; }
	wait_exit "$listener" "$LINE_TIMEOUT" || { e2e_fail "the UDP listener did not finish"; return 1; }
	got=$(awk '$1 == "GOT" { print $3, $4 }' "$T/udp.out")
	assert_eq "the forged answer's source, as received in $NS_C" "$got" "$V4_S 53"
	conv f 4 9151
	await_closed f
	settle
	snoop_stop
	strip_names
	assert_no_names
	assert_none "forged.snoop.test" "$T/mon.names"
	assert_conv f
}

@test "--no-dns: a name resolved and connected to is not shown" {
	snoop_start "${MON[@]}" "${ISOLATE[@]}" --no-dns
	srv_start a 4 9161 --recv 100 --send 50
	dns_cli a a web.snoop.test 4
	srv_wait a
	await_closed a
	settle
	snoop_stop
	strip_names
	assert_no_names
	assert_names "${C_EP0[a]},${C_EP[a]}" "${S_EP[a]}" ""
	CLI_COMM=snoop-dns assert_conv a
}
