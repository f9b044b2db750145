// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fmt_json.c - JSON Lines, ECS-shaped (see fmt_json.h and docs/json-schema.md). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "snoop/fmt_json.h"
#include "lib/names.h"
#include "lib/parse.h"

void fmt_state_name(struct strbuf *sb, int state)
{
	strbuf_str(sb, names__state_json(state));
}

/* A string this program writes unescaped, with its length. */
struct json_word {
	const char *s;
	size_t n;
};

#define JSON_WORD(lit) ((struct json_word){ "" lit, sizeof(lit) - 1 })

static char *put_word(char *p, struct json_word w)
{
	return json_put(p, w.s, w.n);
}

/* The lower-case state name, built once per state: every event has one or two. */
static struct json_word state_word(int state)
{
	/* From the states list (snoop_abi.h), with lengths known at compile time. */
	static const struct json_word words[SNOOP_TCP_MAX_STATES] = {
#define STATE_WORD(name, value, json, ...) [value] = JSON_WORD(json),
		SNOOP_TCP_STATES(STATE_WORD)
#undef STATE_WORD
	};

	if (state <= 0 || state >= SNOOP_TCP_MAX_STATES)
		return JSON_WORD("unknown");
	return words[state];
}

/* One end of a connection, as ECS source or destination. */
struct json_end {
	const uint8_t *addr;
	uint16_t port;
};

/*
 * ECS: the source is the initiator, so the remote end of an accepted
 * connection.  A listener has no remote end.  Returns the number of ends.
 */
static int json_ends(struct json_end end[2], const uint8_t laddr[SNOOP_ADDR_LEN], uint16_t lport,
		     const uint8_t raddr[SNOOP_ADDR_LEN], uint16_t rport, int flags,
		     int is_listener)
{
	struct json_end local = { laddr, lport }, remote = { raddr, rport };

	if (is_listener) {
		end[0] = local;
		return 1;
	}
	end[0] = flags & SNOOP_SF_PASSIVE ? remote : local;
	end[1] = flags & SNOOP_SF_PASSIVE ? local : remote;
	return 2;
}

/* An {"ip": ..., "port": ...} object under key fragment @kfrag (see JSON_K). */
static void json_endpoint(struct json *j, const char *kfrag, size_t kn, const struct json_end *end)
{
	char text[FMT_ADDR_LEN];
	struct strbuf ip;

	strbuf_init(&ip, text, sizeof(text));
	fmt_addr(&ip, end->addr);
	json_open_(j, kfrag, kn, '{');
	json_litn(j, "ip", text, (size_t)(ip.p - text));
	json_u64(j, "port", end->port);
	json_object_end(j);
}

void fmt_json_begin(struct json *j, uint64_t wall_ns, const char *action)
{
	char ts[40];
	struct strbuf sb;

	strbuf_init(&sb, ts, sizeof(ts));
	fmt_rfc3339(&sb, wall_ns);
	json_value_begin(j);
	json_lit(j, "@timestamp", ts);
	json_object_begin(j, "event");
	json_lit(j, "action", action);
}

void fmt_json_endpoints(struct json *j, const uint8_t laddr[SNOOP_ADDR_LEN], uint16_t lport,
			const uint8_t raddr[SNOOP_ADDR_LEN], uint16_t rport, int flags,
			int is_listener)
{
	struct json_end end[2];
	int n = json_ends(end, laddr, lport, raddr, rport, flags, is_listener);

	json_endpoint(j, JSON_K("source"), &end[0]);
	if (n > 1)
		json_endpoint(j, JSON_K("destination"), &end[1]);
}

static struct json_word json_action(int kind)
{
	/* From the kinds table (snoop_abi.h), with lengths known at compile time. */
	static const struct json_word actions[] = {
#define KIND_ACTION(name, value, option, action, ...) [value] = JSON_WORD(action),
		SNOOP_KINDS(KIND_ACTION)
#undef KIND_ACTION
	};

	if (kind <= 0 || kind >= (int)(sizeof(actions) / sizeof(actions[0])) || !actions[kind].s)
		return JSON_WORD("unknown");
	return actions[kind];
}

/* The symbolic errno name for error.code ("ECONNREFUSED"); NULL when glibc has none. */
static const char *errno_name(int err)
{
	return strerrorname_np(err);
}

/* Punctuation and key @frag (a literal), then the number @v. */
#define PUT_U64(p, frag, v) fmt_put_u64(JSON_PUT((p), frag), (v))

/* The cursor's helpers that take a strbuf get one over the room they may use. */
static char *put_addr(char *p, const uint8_t addr[SNOOP_ADDR_LEN])
{
	struct strbuf sb;

	strbuf_init(&sb, p, FMT_ADDR_LEN);
	fmt_addr(&sb, addr);
	return sb.p;
}

static char *put_endpoint(char *p, const struct json_end *end)
{
	p = JSON_PUT(p, "{\"ip\":\"");
	p = put_addr(p, end->addr);
	p = PUT_U64(p, "\",\"port\":", end->port);
	*p++ = '}';
	return p;
}

static char *put_str(char *p, const char *s)
{
	return json_put(p, s, strlen(s));
}

/* The process and user objects of an event with a known owner. */
static char *put_owner(char *p, const struct snoop_owner *o)
{
	p = PUT_U64(p, ",\"process\":{\"pid\":", o->pid);
	p = PUT_U64(p, ",\"thread\":{\"id\":", o->tid);
	p = JSON_PUT(p, "},\"name\":\"");
	p = json_put_escaped(p, o->comm, strnlen(o->comm, SNOOP_COMM_LEN));
	p = PUT_U64(p, "\",\"parent\":{\"pid\":", o->ppid);
	/* ECS user.id is a keyword (a string). */
	p = PUT_U64(p, "}},\"user\":{\"id\":\"", o->uid);
	return JSON_PUT(p, "\"}");
}

static char *put_error(char *p, int err)
{
	char text[128];
	const char *name = errno_name(err);
	const char *msg = strerror_r(err, text, sizeof(text));

	p = JSON_PUT(p, ",\"error\":{");
	if (name) {
		p = JSON_PUT(p, "\"code\":\"");
		p = put_str(p, name);
		p = JSON_PUT(p, "\",");
	}
	p = JSON_PUT(p, "\"message\":\"");
	p = json_put_escaped(p, msg, strnlen(msg, sizeof(text) - 1));
	return JSON_PUT(p, "\"}");
}

static char *put_reset_reason(char *p, int detail)
{
	long long number;
	const char *reason = names__reset_detail(detail, &number);

	if (reason) {
		p = JSON_PUT(p, ",\"reset_reason\":\"");
		p = put_str(p, reason);
		*p++ = '"';
		return p;
	}
	p = JSON_PUT(p, ",\"reset_reason\":");
	return fmt_put_i64(p, number);
}

static char *put_close(char *p, const struct snoop_close_info *c)
{
	p = PUT_U64(p, ",\"bytes_sent\":", c->bytes_sent);
	p = PUT_U64(p, ",\"bytes_received\":", c->bytes_received);
	p = PUT_U64(p, ",\"segs_out\":", c->segs_out);
	p = PUT_U64(p, ",\"segs_in\":", c->segs_in);
	p = PUT_U64(p, ",\"retransmits\":", c->total_retrans);
	p = PUT_U64(p, ",\"srtt_us\":", c->srtt_us);
	p = JSON_PUT(p, ",\"closed_by\":\"");
	p = put_str(p, names__closed_by(c->closed_by));
	*p++ = '"';
	return p;
}

/*
 * The whole object at the cursor @p, which has FMT_LINE_MAX bytes of room:
 * more than twice the largest object (every member at its longest, the
 * process name and error message escaped at 6 bytes per byte).  The members
 * and their order are the schema's (docs/json-schema.md): keep them so.
 */
static char *put_event(char *p, const struct snoop_event *e, uint64_t wall_ns, uint64_t seq)
{
	/* A listening socket has no remote end; LISTEN -> SYN_RECV is a new connection. */
	int listener = e->kind == SNOOP_KIND_STATE &&
		       (e->new_state == SNOOP_TCP_LISTEN ||
			(e->old_state == SNOOP_TCP_LISTEN && e->new_state == SNOOP_TCP_CLOSE));
	bool has_owner = e->attribution != SNOOP_ATTR_UNKNOWN;
	struct json_end end[2];
	struct strbuf ts;
	int ends;

	p = JSON_PUT(p, "{\"@timestamp\":\"");
	strbuf_init(&ts, p, 40);
	fmt_rfc3339(&ts, wall_ns);
	p = JSON_PUT(ts.p, "\",\"event\":{\"action\":\"");
	p = put_word(p, json_action(e->kind));
	p = PUT_U64(p, "\",\"kind\":\"event\",\"sequence\":", seq);
	if (e->kind == SNOOP_KIND_CLOSE)
		p = PUT_U64(p, ",\"duration\":", e->close.duration_ns);
	p = JSON_PUT(p, "},\"network\":{\"transport\":\"tcp\",\"type\":");
	p = e->family == AF_INET6 ? JSON_PUT(p, "\"ipv6\"") : JSON_PUT(p, "\"ipv4\"");
	if (e->flags & SNOOP_SF_ACTIVE)
		p = JSON_PUT(p, ",\"direction\":\"egress\"");
	else if (e->flags & SNOOP_SF_PASSIVE)
		p = JSON_PUT(p, ",\"direction\":\"ingress\"");
	ends = json_ends(end, e->saddr, e->sport, e->daddr, e->dport, e->flags, listener);
	p = JSON_PUT(p, "},\"source\":");
	p = put_endpoint(p, &end[0]);
	if (ends > 1) {
		p = JSON_PUT(p, ",\"destination\":");
		p = put_endpoint(p, &end[1]);
	}
	if (has_owner)
		p = put_owner(p, &e->owner);
	if (e->kind == SNOOP_KIND_ERROR)
		p = put_error(p, e->detail);

	p = PUT_U64(p, ",\"socket_snoop\":{\"schema\":\"" SNOOP_JSON_SCHEMA "\",\"cookie\":",
		    e->cookie);
	p = JSON_PUT(p, ",\"attribution\":\"");
	p = put_str(p, e->flags & SNOOP_SF_NO_SOCKET ? "no_socket" :
						       names__attribution(e->attribution));
	p = JSON_PUT(p, "\",\"state\":\"");
	p = put_word(p, state_word(e->new_state));
	if (e->kind == SNOOP_KIND_STATE) {
		p = JSON_PUT(p, "\",\"old_state\":\"");
		p = put_word(p, state_word(e->old_state));
	}
	p = PUT_U64(p, "\",\"netns\":", e->netns);
	if (e->flags & SNOOP_SF_SNAPSHOT)
		p = JSON_PUT(p, ",\"seen_at_start\":true");
	if (has_owner)
		p = PUT_U64(p, ",\"cgroup_id\":", e->owner.cgroup_id);
	switch (e->kind) {
	case SNOOP_KIND_RETRANSMIT:
		p = e->detail == SNOOP_RETRANSMIT_SYNACK ? JSON_PUT(p, ",\"synack\":true") :
							   JSON_PUT(p, ",\"synack\":false");
		break;
	case SNOOP_KIND_RESET_SENT:
		if (e->detail)
			p = put_reset_reason(p, e->detail);
		break;
	case SNOOP_KIND_CLOSE:
		p = put_close(p, &e->close);
		break;
	}
	return JSON_PUT(p, "}}\n");
}

size_t fmt_json_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns,
		      uint64_t seq)
{
	char room[FMT_LINE_MAX];
	struct strbuf sb;
	size_t len;

	if (size >= sizeof(room)) {
		len = (size_t)(put_event(buf, e, wall_ns, seq) - buf);
		buf[len] = '\0';
		return len;
	}
	/* A smaller buffer gets the object cut short, as every strbuf writer does. */
	len = (size_t)(put_event(room, e, wall_ns, seq) - room);
	strbuf_init(&sb, buf, size);
	strbuf_mem(&sb, room, len);
	return (size_t)(sb.p - buf);
}

size_t fmt_json_lost(char *buf, size_t size, uint64_t count, uint64_t wall_ns, uint64_t seq)
{
	struct strbuf sb;
	struct json j;

	strbuf_init(&sb, buf, size);
	json_init(&j, &sb);
	fmt_json_begin(&j, wall_ns, "lost");
	json_u64(&j, "sequence", seq);
	json_object_end(&j);
	json_object_begin(&j, "socket_snoop");
	json_str(&j, "schema", SNOOP_JSON_SCHEMA);
	json_u64(&j, "lost", count);
	json_object_end(&j);
	json_object_end(&j);
	strbuf_char(&sb, '\n');
	return (size_t)(sb.p - buf);
}
