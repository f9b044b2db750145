#!/usr/bin/env bats
# JSON Lines (-j/--json) against docs/json-schema.md: every line one object
# (lib.bash checks every JSON run with jq), the required fields and their
# types for every event.action, exact values for real traffic, ECS
# source/destination (the initiator is the source: the local end for egress,
# the remote end for ingress), complete escaping of hostile command names,
# lost objects, and JSON diagnostics on stderr.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	net_setup
	e2e_require_cmds nft
}

teardown() {
	e2e_teardown
}

MON=(--no-log-file --json)

# The schema as a jq program: for each object, one line per problem
# ("<action> #<sequence>: <field>"), nothing when it conforms.
# shellcheck disable=SC2016 # a jq program, not shell
SCHEMA_JQ='
def isint: type == "number" and . == floor;
def ts: type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$");
def states: ["established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
	"close", "close_wait", "last_ack", "listen", "closing", "new_syn_recv"];
def state: type == "string" and IN(states[]);
def endpoint: type == "object" and (keys == ["ip", "port"]) and (.ip | type == "string")
	and (.ip | test("^[0-9]+(\\.[0-9]+){3}$") or test(":")) and (.port | isint and . >= 0 and . <= 65535);
def want(cond; field): if cond then empty else field end;
# host.name, $host, right after the member NAME (the ends, or event).
def host_after(name): name as $n | want(.host == {"name": $host}; "host.name"),
	want((keys_unsorted | index("host")) == (keys_unsorted | index($n)) + 1; "host after \($n)");
def event_problems:
	want(.["@timestamp"] | ts; "@timestamp"),
	host_after(if has("destination") then "destination" elif has("server") then "server" else "source" end),
	want(.event.kind == "event"; "event.kind"),
	want(.event.sequence | isint and . >= 1; "event.sequence"),
	want(.network.transport == "tcp"; "network.transport"),
	want(.network.type | IN("ipv4", "ipv6"); "network.type"),
	want((.network | has("direction") | not) or (.network.direction | IN("egress", "ingress")); "network.direction"),
	want((.network | has("community_id")) == (has("destination") and .source.port > 0 and .destination.port > 0); "network.community_id (both ends, and only then)"),
	want((.network | has("community_id") | not) or (.network.community_id | test("^1:[A-Za-z0-9+/]{27}=$")); "network.community_id"),
	want((has("source") | not) or (.source | endpoint); "source"),
	want(has("source") != has("server"); "source, or server (a listener)"),
	want((has("server") | not) or .socket_snoop.state == "listen" or .socket_snoop.old_state == "listen"; "server (only a listener)"),
	want((has("server") | not) or ((.server | endpoint) and (has("destination") | not)); "server"),
	want((has("destination") | not) or (.destination | endpoint); "destination"),
	want(.socket_snoop.schema == "3"; "socket_snoop.schema"),
	want(.ecs.version == "8.11.0"; "ecs.version"),
	want(.socket_snoop.cookie | isint and . >= 0; "socket_snoop.cookie"),
	want(.socket_snoop.attribution | IN("owner", "listener", "snapshot", "unknown", "no_socket"); "socket_snoop.attribution"),
	want(.socket_snoop.state | state; "socket_snoop.state"),
	want(.socket_snoop.netns | isint and . > 0; "socket_snoop.netns"),
	want((.socket_snoop | has("seen_at_start") | not) or .socket_snoop.seen_at_start == true; "socket_snoop.seen_at_start"),
	(if .socket_snoop.attribution | IN("unknown", "no_socket") then
		want(has("process") | not; "process (no owner)"),
		want(has("user") | not; "user (no owner)")
	else
		want(.process.pid | isint and . > 0; "process.pid"),
		want(.process.thread.id | isint and . > 0; "process.thread.id"),
		want(.process.thread.name | type == "string" and length > 0; "process.thread.name"),
		want(.process.name | type == "string" and length > 0; "process.name"),
		want((.process | has("command_line")) == (.process | has("args_count")); "command_line with args_count"),
		want((.process | has("args_count") | not) or (.process.args_count | isint and . >= 1); "process.args_count"),
		want((.process | has("entity_id") | not) or (.process.entity_id | test("^[0-9a-f]{32}$")); "process.entity_id"),
		want((.process | has("executable") | not) or (.process.executable | type == "string" and startswith("/")); "process.executable"),
		want((.process | has("executable") | not) or (.process | has("entity_id")); "process.executable only with what /proc said"),
		want(.process.parent.pid | isint and . >= 0; "process.parent.pid"),
		want(.user.id | type == "string" and test("^[0-9]+$"); "user.id"),
		want(.socket_snoop.cgroup_id | isint and . > 0; "socket_snoop.cgroup_id")
	end),
	(.event.action as $a |
	if $a == "state_change" then want(.socket_snoop.old_state | state; "socket_snoop.old_state")
	elif $a == "close" then
		want(.event.duration | isint and . >= 0; "event.duration"),
		(("bytes_sent", "bytes_received", "segs_out", "segs_in", "retransmits", "srtt_us") as $f |
			want(.socket_snoop[$f] | isint and . >= 0; "socket_snoop.\($f)")),
		want(.socket_snoop.closed_by | IN("local", "remote", "reset", "unknown"); "socket_snoop.closed_by"),
		(("rttvar_us", "min_rtt_us", "bytes_retrans", "total_rto", "total_rto_recoveries", "lost", "reord_seen",
		  "dsack_dups", "rcv_ooopack", "delivery_rate", "delivered_ce") as $f |
			want(.socket_snoop[$f] | isint and . >= 0; "socket_snoop.\($f)")),
		want(.socket_snoop.close_reason | IN("unknown", "fin_local", "fin_remote", "rst_sent", "rst_received",
			"connect_refused", "connect_timeout", "connect_abandoned", "synack_timeout", "unreachable",
			"retransmit_timeout", "keepalive_timeout", "aborted_on_close"); "socket_snoop.close_reason"),
		want((.socket_snoop | has("close_side") | not) or (.socket_snoop.close_side | IN("client", "server")); "socket_snoop.close_side"),
		want((.socket_snoop | has("reset_reason") | not) or (.socket_snoop.reset_reason | type == "string"); "socket_snoop.reset_reason"),
		want(.socket_snoop.ecn | type == "boolean"; "socket_snoop.ecn"),
		want((.socket_snoop | has("ca_state_worst") | not) or (.socket_snoop.ca_state_worst | IN("open", "disorder", "cwr", "recovery", "loss")); "socket_snoop.ca_state_worst")
	elif $a == "update" then
		want(.event.duration | isint and . >= 0; "event.duration"),
		(("bytes_sent", "bytes_received", "segs_out", "segs_in", "retransmits", "srtt_us", "rttvar_us",
		  "min_rtt_us", "bytes_retrans", "total_rto", "total_rto_recoveries", "lost", "reord_seen",
		  "dsack_dups", "rcv_ooopack", "delivery_rate", "delivered_ce") as $f |
			want(.socket_snoop[$f] | isint and . >= 0; "socket_snoop.\($f)")),
		want(.socket_snoop.ecn | type == "boolean"; "socket_snoop.ecn"),
		want(.socket_snoop | has("close_reason") | not; "update: no close_reason")
	elif $a == "retransmit" then want(.socket_snoop.synack | type == "boolean"; "socket_snoop.synack")
	elif $a == "reset_sent" then
		want((.socket_snoop | has("reset_reason") | not) or (.socket_snoop.reset_reason | type == "string"); "socket_snoop.reset_reason")
	elif $a == "reset_received" then empty
	elif $a == "accept" then
		want(.network.direction == "ingress"; "accept: network.direction"),
		want(.socket_snoop.attribution == "owner"; "accept: socket_snoop.attribution")
	elif $a == "connect_error" then
		want(.error.code | type == "string" and test("^E[A-Z0-9]+$"); "error.code"),
		want(.error.message | type == "string" and length > 0; "error.message")
	else "unknown event.action" end),
	want(.event.action == "close" or .event.action == "update" or (.event | has("duration") | not); "event.duration outside close and update"),
	want(.event.action == "connect_error" or (has("error") | not); "error outside connect_error"),
	want(.event.action == "state_change" or (.socket_snoop | has("old_state") | not); "old_state outside state_change"),
	want(.event.action == "close" or (.socket_snoop | has("closed_by") | not); "close fields outside close");
def lost_problems:
	want(.["@timestamp"] | ts; "@timestamp"),
	host_after("event"),
	want(.event.sequence | isint and . >= 1; "event.sequence"),
	want(.socket_snoop.schema == "3"; "socket_snoop.schema"),
	want(.ecs.version == "8.11.0"; "ecs.version"),
	want(.socket_snoop.lost | isint and . > 0; "socket_snoop.lost"),
	want(.socket_snoop.lost_cause | IN("ring_full", "skipped", "undelivered"); "socket_snoop.lost_cause"),
	want(.socket_snoop.lost_message | type == "string" and length > 20; "socket_snoop.lost_message"),
	want(.socket_snoop.lost_cause != "ring_full" or (.socket_snoop.lost_message | test("--buffer-size")); "ring_full remedy");
def lifecycle_problems:
	want(.["@timestamp"] | ts; "@timestamp"),
	host_after(if has("destination") then "destination" elif has("server") then "server" else "source" end),
	want((has("source") | not) or (.source | endpoint); "source"),
	want(has("source") != has("server"); "source, or server (a listener)"),
	want((has("server") | not) or ((.server | endpoint) and (has("destination") | not)); "server"),
	want((has("destination") | not) or (.destination | endpoint); "destination"),
	want(.socket_snoop.schema == "3"; "socket_snoop.schema"),
	want(.ecs.version == "8.11.0"; "ecs.version"),
	want(.socket_snoop.cookie | isint and . > 0; "socket_snoop.cookie"),
	want((.socket_snoop | has("seen_at_start") | not) or .socket_snoop.seen_at_start == true; "socket_snoop.seen_at_start"),
	want((.socket_snoop | has("transitions_not_shown") | not) or (.socket_snoop.transitions_not_shown | isint); "socket_snoop.transitions_not_shown"),
	want(.socket_snoop.transitions | type == "array" and length > 0; "socket_snoop.transitions"),
	(.socket_snoop.transitions[]? |
		want((.["@timestamp"] | ts) and (.state | state) and (.description | type == "string" and length > 0)
			and (keys == ["@timestamp", "description", "state"]); "socket_snoop.transitions[]"));
(.event.action? // "?") as $a | (.event.sequence? // "-") as $seq |
try (if $a == "lost" then lost_problems
	elif $a == "lifecycle" then lifecycle_problems
	elif $a == "lifecycle_truncated" then want(.socket_snoop.connections_not_shown | isint; "connections_not_shown"), host_after("event"),
		want(.ecs.version == "8.11.0"; "ecs.version")
	else event_problems end)
catch "malformed (\(.))" | "\($a) #\($seq): \(.)"
'

# Assert every object of FILE conforms to the schema, and event.sequence runs
# 1, 2, 3... over event and lost objects.  host.name must be HOST (default
# the kernel's node name, what socket-snoop uses without --host-name).
# assert_schema FILE [HOST]
assert_schema() {
	local file=$1 host=${2:-$(uname -n)} bad
	bad=$(jq -r --arg host "$host" "$SCHEMA_JQ" "$file" | head -n 20)
	if [ -n "$bad" ]; then
		printf 'FAIL: objects not conforming to docs/json-schema.md:\n%s\n' "$bad" >&2
		return 1
	fi
	bad=$(jq -s -r '[.[] | select(.event.action | IN("lifecycle", "lifecycle_truncated") | not) | .event.sequence]
		| if . == [range(1; length + 1)] then empty else "sequences: \(.)" end' "$file")
	[ -z "$bad" ] || e2e_fail "event.sequence is not 1, 2, 3...:" "${bad:0:400}"
}

# The objects of one socket, by the cookie of its close object (selected by
# the jq FILTER), projected by the jq expression PROJ, one per line.
# sock_objects FILTER PROJ
sock_objects() {
	local cookie
	cookie=$(json_select ".event.action == \"close\" and ($1)" | jq -r .socket_snoop.cookie)
	[ -n "$cookie" ] || { e2e_fail "no close object with ($1)"; return 1; }
	json_select ".event.action != \"lifecycle\" and .socket_snoop.cookie == $cookie" | jq -r "$2"
}

# Projection of an object: action, states, direction, source, destination, owner.
PROJ='[.event.action, (.socket_snoop.old_state // "-"), .socket_snoop.state, (.network.direction // "-"),
	(if has("server") then "server \(.server.ip):\(.server.port)" else "\(.source.ip):\(.source.port)" end),
	(if has("destination") then "\(.destination.ip):\(.destination.port)" else "-" end),
	(.process.pid // 0), (.process.name // "-"), .socket_snoop.attribution] | join(" ")'

@test "a run with every event.action: every object conforms to the schema; exact values; log file = the events" {
	nft_drop "$NS_S" input "tcp dport 8843"
	snoop_start "${ISOLATE[@]}" --json "--log-file=$T/j.log" \
		--events=state,retransmit,reset,error,close,accept
	# state_change + close + accept: a plain conversation.
	conv n 4 8840
	# reset_sent (no socket), reset_received, connect_error ECONNREFUSED.
	SADDR[r]=$V4_S
	SPORT[r]=9
	cli_run r r --expect-refused
	# reset_sent (the server's abort), reset_received, connect_error ECONNRESET.
	conv x 4 8841 --recv 100 --linger0 --close-first -- --send 100 --wait-peer-close
	# retransmit: a SYN nobody answers, given up after its first retransmit.
	SADDR[b]=$V4_S
	SPORT[b]=8843
	cli_start b b --expect-timeout
	json_wait '.event.action == "retransmit" and .destination.port == 8843' 3
	kill -TERM "${CPID[b]}"
	json_wait '.event.action == "close" and .destination.port == 8843'
	settle
	snoop_stop

	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_schema "$T/mon.out"
	local c=${C_EP[n]} s=${S_EP[n]} cp=${CPID[n]} sp=${SPID[n]} got want
	# Client of n: egress, source = its own end (port 0 before it is chosen).
	got=$(sock_objects ".network.direction == \"egress\" and .destination.port == 8840" "$PROJ")
	want=$(printf '%s\n' \
		"state_change close syn_sent egress $V4_C:0 $s $cp snoop-cli owner" \
		"state_change syn_sent established egress $c $s $cp snoop-cli owner" \
		"state_change established fin_wait1 egress $c $s $cp snoop-cli owner" \
		"state_change fin_wait1 fin_wait2 egress $c $s $cp snoop-cli owner" \
		"state_change fin_wait2 time_wait egress $c $s $cp snoop-cli owner")
	assert_eq "client transitions of n" "$(grep '^state_change ' <<<"$got")" "$want"
	# Its summary: the socket's end (CLOSE), before or after its TIME_WAIT
	# (which comes with the server's FIN when the ACK of its own came first).
	assert_eq "client summary of n" "$(grep '^close ' <<<"$got")" "close - close egress $c $s $cp snoop-cli owner"
	# Server of n: ingress, source = the client (the initiator), destination = itself.
	got=$(sock_objects ".network.direction == \"ingress\" and .destination.port == 8840" "$PROJ")
	want=$(printf '%s\n' \
		"state_change listen syn_recv ingress $c $s $sp snoop-srv listener" \
		"state_change syn_recv established ingress $c $s $sp snoop-srv listener" \
		"accept - established ingress $c $s $sp snoop-srv owner" \
		"state_change established close_wait ingress $c $s $sp snoop-srv owner" \
		"state_change close_wait last_ack ingress $c $s $sp snoop-srv owner" \
		"state_change last_ack close ingress $c $s $sp snoop-srv owner" \
		"close - close ingress $c $s $sp snoop-srv owner")
	assert_eq "server objects of n" "$got" "$want"
	# What /proc says of the server's process, the same in each of its objects:
	# its command line, one identity.
	got=$(json_select ".process.pid == $sp" |
		jq -r '[.process.command_line, .process.args_count, .process.entity_id] | @tsv' | sort -u)
	[ "$(wc -l <<<"$got")" = 1 ] || e2e_fail "the server's process members differ between its objects: $got"
	[[ $got == "$T/snoop-srv server -4 $V4_S 8840 "* ]] || e2e_fail "the server's command line: $got"
	[[ $got =~ $'\t'[0-9]+$'\t'[0-9a-f]{32}$ ]] || e2e_fail "the server's args_count and entity_id: $got"
	# (The peer's arguments hold no spaces: one word each.)
	assert_eq "args_count of the server" "$(cut -f2 <<<"$got")" "$(cut -f1 <<<"$got" | wc -w)"
	# The listener of n: only a server, no direction.
	got=$(json_select ".server.port == 8840 and .socket_snoop.old_state == \"listen\" and .socket_snoop.state == \"close\"" | jq -r "$PROJ")
	assert_eq "listener of n closing" "$got" "state_change listen close - server $s - $sp snoop-srv owner"
	# Close summaries of n: the payload both ways.
	got=$(json_select ".event.action == \"close\" and .destination.port == 8840" |
		jq -r '[.network.direction, .socket_snoop.bytes_sent, .socket_snoop.bytes_received,
			.socket_snoop.retransmits, .socket_snoop.closed_by, (.event.duration > 0),
			(.socket_snoop.segs_out > 0), (.socket_snoop.segs_in > 0)] | join(" ")')
	assert_eq "close objects of n" "$got" "$(printf '%s\n' "egress 100 50 0 local true true true" "ingress 50 100 0 remote true true true")"
	# One Community ID for the flow n from both ends: every object of its two
	# sockets (the accept too) but the client's SYN_SENT (local port not chosen
	# yet); x's differs.
	got=$(json_select ".destination.port == 8840 and .source.port > 0 and .event.action != \"lifecycle\"" |
		jq -r .network.community_id | sort | uniq -c | awk '{ print $1 }')
	assert_eq "objects of n with its one community_id" "$got" 12
	[ "$(json_select '.network.community_id and .destination.port == 8840' | jq -r .network.community_id | sort -u)" != \
		"$(json_select '.network.community_id and .destination.port == 8841' | jq -r .network.community_id | sort -u | head -n 1)" ] ||
		e2e_fail "flows n and x have the same community_id"

	# The refused connect: the RST sent with no socket, nobody's.
	local rc
	rc=$(json_select '.event.action == "connect_error" and .destination.port == 9' | jq -r '"\(.source.ip):\(.source.port)"')
	got=$(json_select '.event.action == "reset_sent" and .socket_snoop.attribution == "no_socket" and ([.source.port, .destination.port] | index(9))' |
		jq -c '{cookie: .socket_snoop.cookie, state: .socket_snoop.state, reason: .socket_snoop.reset_reason,
			process: has("process"), user: has("user"), direction: .network.direction,
			ends: ([.source, .destination] | map("\(.ip):\(.port)") | sort)}')
	want=$(jq -nc --arg a "$V4_S:9" --arg b "$rc" \
		'{cookie: 0, state: "close", reason: "NO_SOCKET", process: false, user: false, direction: null, ends: ([$a, $b] | sort)}')
	assert_eq "no-socket reset" "$got" "$want"
	got=$(json_select '.destination.port == 9 and (.event.action | IN("reset_received", "connect_error"))' |
		jq -r "($PROJ) + \" \" + (.error.code // \"-\")")
	want=$(printf '%s\n' \
		"reset_received - syn_sent egress $rc $V4_S:9 ${CPID[r]} snoop-cli owner -" \
		"connect_error - close egress $rc $V4_S:9 ${CPID[r]} snoop-cli owner ECONNREFUSED")
	assert_eq "refused client" "$got" "$want"

	# The abort of x: the server's reset_sent, the client's reset_received and ECONNRESET.
	got=$(json_select '.destination.port == 8841 and (.event.action | IN("reset_sent", "reset_received", "connect_error"))' |
		jq -r "($PROJ) + \" \" + (.socket_snoop.reset_reason // .error.code // \"-\")" | sort)
	want=$(printf '%s\n' \
		"connect_error - close egress ${C_EP[x]} ${S_EP[x]} ${CPID[x]} snoop-cli owner ECONNRESET" \
		"reset_received - established egress ${C_EP[x]} ${S_EP[x]} ${CPID[x]} snoop-cli owner -" \
		"reset_sent - close ingress ${C_EP[x]} ${S_EP[x]} ${SPID[x]} snoop-srv owner TCP_STATE" | sort)
	assert_eq "abort of x" "$got" "$want"

	# The SYN retransmit.
	got=$(json_select '.event.action == "retransmit" and .destination.port == 8843' |
		jq -r "($PROJ) + \" synack=\(.socket_snoop.synack) port_set=\(.source.port > 0)\"" | sed 's/:[0-9]* / /')
	[ -n "$got" ] || e2e_fail "no retransmit object"
	while IFS= read -r line; do
		assert_eq "SYN retransmit" "$line" \
			"retransmit - syn_sent egress $V4_C $V4_S:8843 ${CPID[b]} snoop-cli owner synack=false port_set=true"
	done <<<"$got"

	# Lifecycle objects: initiator first, as events; the client of n in order.
	got=$(json_select ".event.action == \"lifecycle\" and .destination.port == 8840" |
		jq -r '"\(.source.ip):\(.source.port) \(.destination.ip):\(.destination.port) " + ([.socket_snoop.transitions[].state] | join(","))' | sort)
	want=$(printf '%s\n' "$c $s syn_recv,established,close_wait,last_ack,close" \
		"$c $s syn_sent,established,fin_wait1,fin_wait2,time_wait" | sort)
	assert_eq "lifecycle objects of n" "$got" "$want"
	got=$(json_select '.event.action == "lifecycle" and .server.port == 8840' | jq -c '[has("source") or has("destination"), [.socket_snoop.transitions[].description]]')
	assert_eq "lifecycle of n's listener" "$got" '[false,["Listening for Connections","Connection Closed"]]'

	# The log file holds the event objects, the report stays on stdout.
	if ! diff <(json_select '.event.action != "lifecycle"') <(jq -c . "$T/j.log") >"$T/diff"; then
		e2e_fail "log file differs from the console's events:" "$(head -n 20 "$T/diff")"
	fi
	assert_eq "stderr log levels" "$(jq -r '.log.level' "$T/mon.err" | sort -u | tr '\n' ' ')" "info "
	[[ $(tail -n 1 "$T/mon.err" | jq -r .message) =~ ^Summary:\ RECEIVED=[0-9]+\ LOST=0( [A-Z_]+=[0-9]+)*$ ]] ||
		e2e_fail "last stderr object is not the summary:" "$(tail -n 1 "$T/mon.err")"
}

@test "process.name of hostile command names: quote, backslash, control bytes escaped, invalid UTF-8 as U+FFFD" {
	# Bytes of the names: q " b \ TAB 0xff z   and   c a f é(c3 a9) DEL 0xc3 (cut short)
	local n1=$'q"b\\\t\xffz' n2=$'caf\xc3\xa9\x7f\xc3'
	ln -s peer "$T/$n1"
	ln -s peer "$T/$n2"
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report
	CLI_COMM=$n1 conv a 4 8844
	CLI_COMM=$n2 conv b 4 8845
	json_wait '.event.action == "close" and .network.direction == "egress" and .destination.port == 8845'
	settle
	snoop_stop

	# As written on the line: escapes, and EF BF BD (U+FFFD) for each invalid byte.
	local raw1=$'"name":"q\\"b\\\\\\u0009\xef\xbf\xbdz"' raw2=$'"name":"caf\xc3\xa9\\u007f\xef\xbf\xbd"'
	local tag raw name n total
	for tag in a b; do
		if [ "$tag" = a ]; then raw=$raw1 name=$'q"b\\\t\xef\xbf\xbdz'; else raw=$raw2 name=$'caf\xc3\xa9\x7f\xef\xbf\xbd'; fi
		total=$(json_select ".process.pid == ${CPID[$tag]}" | grep -c .) || true
		[ "$total" -ge 6 ] || e2e_fail "client $tag: $total objects"
		n=$(grep -F -e "\"pid\":${CPID[$tag]}," "$T/mon.out" | grep -cF -e "$raw") || true
		assert_eq "client $tag objects with the name written as $(printf %q "$raw")" "$n" "$total"
		n=$(json_select ".process.pid == ${CPID[$tag]}" | jq -r --arg want "$name" 'select(.process.name == $want) | 1' | grep -c .) || true
		assert_eq "client $tag objects whose name decodes to $(printf %q "$name")" "$n" "$total"
	done
}

@test "usage errors with -j/--json: one JSON error object on stderr naming option and value, exit 64, stdout empty" {
	local args
	for args in "-j --lport=70000" "--lport=70000 --json" "--json --bogus-option" "-qj --lport=70000"; do
		# shellcheck disable=SC2086 # split on purpose
		snoop_run "$SNOOP" --no-log-file $args
		assert_eq "exit status of '$args'" "$RUN_STATUS" 64
		[ ! -s "$T/run.out" ] || e2e_fail "stdout of '$args' not empty:" "$(cat "$T/run.out")"
		# (snoop_run checked the lines are JSON when it saw -j or --json.)
		json_check_file "$T/run.err" || e2e_fail "stderr of '$args' is not JSON Lines"
		assert_eq "stderr lines of '$args'" "$(grep -c . "$T/run.err")" 1
		local got want
		got=$(jq -c '{level: .log.level, logger: .log.logger, ts: (.["@timestamp"] | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{9}Z$")),
			names: (.message | (contains("70000") and contains("--lport")) or contains("--bogus-option"))}' "$T/run.err")
		want='{"level":"error","logger":"socket-snoop","ts":true,"names":true}'
		assert_eq "error object of '$args'" "$got" "$want"
	done
}

# N connections on PORT while the monitor (the smallest ring, state events,
# any extra ARGs) is stopped: the ring fills, losses are certain.  Stopped
# after.  stalled_storm N PORT [ARG...]
stalled_storm() {
	local n=$1 port=$2
	shift 2
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report --events=state --buffer-size=64K "$@"
	kill -STOP "$SNOOP_PID"
	srv_start a 4 "$port" --accept "$n" --timeout 60
	PEER_WAIT=30 cli_run a a --repeat "$n" --timeout 60
	srv_wait a
	kill -CONT "$SNOOP_PID"
	settle 1
	snoop_stop
}

@test "lost events: a stalled reader loses events; lost objects carry the count; RECEIVED + LOST = transitions made" {
	local n=300
	stalled_storm "$n" 8846

	assert_eq "exit status" "$SNOOP_STATUS" 0
	assert_schema "$T/mon.out"
	local summary received lost inline states
	summary=$(tail -n 1 "$T/mon.err" | jq -r .message)
	[[ $summary =~ ^Summary:\ RECEIVED=([0-9]+)\ LOST=([0-9]+)( [A-Z_]+=[0-9]+)*$ ]] || e2e_fail "last stderr object: $summary"
	received=${BASH_REMATCH[1]}
	lost=${BASH_REMATCH[2]}
	[ "$lost" -gt 0 ] || e2e_fail "no loss although the reader was stopped"
	inline=$(json_select '.event.action == "lost"' | jq -s '[.[].socket_snoop.lost] | add // 0')
	states=$(json_select '.event.action == "state_change"' | grep -c .) || true
	assert_eq "lost objects' counts vs LOST" "$inline" "$lost"
	assert_eq "state_change objects vs RECEIVED" "$states" "$received"
	# Per connection 5 client and 5 server transitions; the listener's 2.
	assert_accounted "$((10 * n + 2))" "$received" "$lost"
	echo "# received=$received lost=$lost" >&3
}

@test "process.name: C1 controls and bidirectional overrides are written as \\u escapes, never raw" {
	# c CSI(U+009B) 3 1 m, then RLO (U+202E) and PDI (U+2069): valid UTF-8 a terminal obeys.
	local n1=$'c\xc2\x9b31m' n2=$'x\xe2\x80\xaey\xe2\x81\xa9'
	ln -s peer "$T/$n1"
	ln -s peer "$T/$n2"
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report
	CLI_COMM=$n1 conv a 4 8846
	CLI_COMM=$n2 conv b 4 8847
	json_wait '.event.action == "close" and .network.direction == "egress" and .destination.port == 8847'
	settle
	snoop_stop

	local tag raw total n
	for tag in a b; do
		if [ "$tag" = a ]; then raw='"name":"c\u009b31m"'; else raw='"name":"x\u202ey\u2069"'; fi
		total=$(json_select ".process.pid == ${CPID[$tag]}" | grep -c .) || true
		[ "$total" -ge 6 ] || e2e_fail "client $tag: $total objects"
		n=$(grep -F -e "\"pid\":${CPID[$tag]}," "$T/mon.out" | grep -cF -e "$raw") || true
		assert_eq "client $tag objects with the name written as $raw" "$n" "$total"
	done
	# Not one raw C1 or bidi control anywhere in the output.
	if LC_ALL=C grep -naP '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$T/mon.out" >"$T/raw"; then
		e2e_fail "raw controls:" "$(cat -v "$T/raw")"
	fi
}

@test "host.name: the kernel's node name by default, --host-name's value (any bytes, escaped) when given, in every object; none in text lines" {
	local node name got
	node=$(uname -n)
	snoop_start "${ISOLATE[@]}" --json
	conv a 4 8848
	json_wait '.event.action == "close" and .network.direction == "egress" and .destination.port == 8848'
	settle
	snoop_stop
	assert_eq "exit status" "$SNOOP_STATUS" 0
	# Events and the report's lifecycle objects alike.
	assert_schema "$T/mon.out"
	got=$(jq -r '.event.action' "$T/mon.out" | sort -u | tr '\n' ' ')
	[[ $got == *lifecycle* ]] || e2e_fail "no lifecycle objects: $got"
	assert_eq "objects without host.name $node" "$(jq -c --arg n "$node" 'select(.host.name != $n)' "$T/mon.out")" ""

	# Quote, brace, backslash, a control byte, C1 CSI, invalid UTF-8, é.
	name=$'node"},{\\\x01\xc2\x9b\xff\xc3\xa9-1'
	snoop_start "${ISOLATE[@]}" --json "--host-name=$name"
	conv b 4 8849
	json_wait '.event.action == "close" and .network.direction == "egress" and .destination.port == 8849'
	settle
	snoop_stop
	assert_eq "exit status with --host-name" "$SNOOP_STATUS" 0
	assert_schema "$T/mon.out" $'node"},{\\\x01\xc2\x9b\xef\xbf\xbd\xc3\xa9-1'
	# As written: escapes, U+FFFD for the invalid byte, é as it is.
	got=$(grep -cF -e $'"host":{"name":"node\\"},{\\\\\\u0001\\u009b\xef\xbf\xbd\xc3\xa9-1"}' "$T/mon.out") || true
	assert_eq "objects with the name written escaped" "$got" "$(grep -c . "$T/mon.out")"

	# Text lines carry no host.
	snoop_start "${ISOLATE[@]}" --no-report --no-log-file "--host-name=text-host"
	conv c 4 8850
	await_closed c
	snoop_stop
	assert_conv c client
	if grep -qF text-host "$T/mon.out"; then
		e2e_fail "a text line has the host name:" "$(grep -F text-host "$T/mon.out" | head -n 3)"
	fi
}

@test "host.name of lost objects: --host-name's value there too" {
	local n=300 lost
	stalled_storm "$n" 8851 --host-name=node-lost
	assert_eq "exit status" "$SNOOP_STATUS" 0
	lost=$(json_select '.event.action == "lost"' | grep -c .) || true
	[ "$lost" -gt 0 ] || e2e_fail "no lost object although the reader was stopped"
	assert_schema "$T/mon.out" node-lost
}

@test "process.parent.pid is the parent when the object is written: a client whose parent exited after the connect names its new parent" {
	srv_start a 4 8846 --recv 1
	snoop_start "${ISOLATE[@]}" --json --no-log-file --no-report
	# A shell starts the client and exits once it is connected (paused): the
	# client's owner was recorded with the shell as parent, then re-parented.
	local sh_pid cpid ppid got
	# shellcheck disable=SC2016 # expanded by that sh
	nsenter "--net=/run/netns/$NS_C" -- sh -c '"$1" client "$2" "$3" --pause --send 1 >"$4" 2>&1 </dev/null &
		echo $$; until grep -q PAUSED "$4" 2>/dev/null; do sleep 0.05; done' \
		sh "$T/snoop-cli" "$V4_S" 8846 "$T/cli-r.peer" >"$T/sh.pid"
	sh_pid=$(cat "$T/sh.pid")
	cpid=$(awk '$1 == "PID" { print $2; exit }' "$T/cli-r.peer")
	E2E_PIDS+=("$cpid")
	ppid=$(awk '{ print $4 }' "/proc/$cpid/stat")
	[ "$ppid" != "$sh_pid" ] || e2e_fail "the client was not re-parented"
	json_wait ".process.pid == $cpid and .socket_snoop.state == \"established\""
	# What /proc said is kept a second (PROCINFO_TTL_NS).
	sleep 1.2
	kill -USR1 "$cpid"
	json_wait ".process.pid == $cpid and .event.action == \"close\""
	settle
	snoop_stop
	# Recorded at connect, while the shell was alive; written after it exited.
	got=$(json_select ".process.pid == $cpid and .socket_snoop.state == \"fin_wait1\"" | jq -r .process.parent.pid)
	assert_eq "parent of the client's close" "$got" "$ppid"
}

@test "process.executable: the file each process runs, read without ptrace access (a server of another user, at a hostile path), escaped" {
	# A copy of the peer under a directory with a space, named with a quote,
	# a backslash, a TAB and é: the server runs it as nobody, whose
	# /proc/PID/exe socket-snoop (root, no capability once started) may not
	# read; a second server (root) runs $T/peer through its snoop-srv link.
	local dir="$T/sub dir" n=$'ex"q\\\t\xc3\xa9'
	mkdir "$dir"
	chmod 0755 "$dir"
	cp "$T/peer" "$dir/$n"
	chmod 0755 "$dir/$n"
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report
	SRV_UID=65534 SRV_COMM="sub dir/$n" conv a 4 8847
	conv b 4 8848
	json_wait '.event.action == "close" and .network.direction == "ingress" and .destination.port == 8848'
	settle
	snoop_stop

	local got total
	[ "$(stat -c %u "/proc/${SPID[a]}" 2>/dev/null || echo 65534)" = 65534 ] || e2e_fail "the server did not run as nobody"
	total=$(json_select ".process.pid == ${SPID[a]}" | grep -c .) || true
	[ "$total" -ge 4 ] || e2e_fail "server: $total objects"
	got=$(json_select ".process.pid == ${SPID[a]}" | jq -r '.process.executable' | sort | uniq -c | sed 's/^ *//')
	assert_eq "the server's executable, in each of its $total objects" "$got" "$total $dir/$n"
	# As written on the line: the quote, backslash and TAB escaped, é as is.
	got=$(grep -F -e "\"pid\":${SPID[a]}," "$T/mon.out" | grep -cF -e $'"executable":"'"$T"$'/sub dir/ex\\"q\\\\\\u0009\xc3\xa9"') || true
	assert_eq "server objects with the path written escaped" "$got" "$total"
	# A server started through its snoop-srv link: the link's target, the file the kernel ran.
	got=$(json_select ".process.pid == ${SPID[b]}" | jq -r '.process.executable' | sort -u)
	assert_eq "the second server's executable" "$got" "$T/peer"
}

@test "--interval=1: update objects conform to the schema: the age, the bytes since the last update, the health" {
	ender_setup
	snoop_start "${ISOLATE[@]}" "${MON[@]}" --no-report --interval=1
	ender_srv u 8986 hold
	ender_cli u 8986 steps 700
	ender_cli_end u CONNECTED
	json_wait ".event.action == \"update\" and .process.pid == ${CPID[u]} and .socket_snoop.bytes_sent == 700"
	release "${CPID[u]}"
	assert_eq "the server's read" "$(ender_result srv-u)" EOF
	json_wait ".event.action == \"close\" and .process.pid == ${SPID[u]}"
	settle
	snoop_stop

	assert_schema "$T/mon.out"
	local up=".event.action == \"update\" and .process.pid == ${CPID[u]}"
	assert_eq "the client's updates: bytes sent in all" \
		"$(json_select "$up" | jq -s '[.[].socket_snoop.bytes_sent] | add')" 700
	assert_eq "... each at least a second into the connection, established, egress" \
		"$(json_select "$up" | jq -s -c '[.[] | select(.event.duration < 1000000000 or
			.socket_snoop.state != "established" or .network.direction != "egress")] | length')" 0
	assert_eq "the server's: bytes received in all" \
		"$(json_select ".event.action == \"update\" and .process.pid == ${SPID[u]}" |
			jq -s '[.[].socket_snoop.bytes_received] | add')" 700
}
