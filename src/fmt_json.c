// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fmt_json.c - JSON Lines, ECS-shaped (see fmt_json.h and docs/json-schema.md). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "fmt_json.h"
#include "names.h"
#include "parse.h"

void fmt_rfc3339(struct strbuf *sb, uint64_t wall_ns)
{
	/* gmtime_r and strftime are slow; events come in bursts within one second. */
	static __thread time_t cached_sec = -1;
	static __thread char cached[32];
	static __thread size_t cached_len;
	time_t sec = (time_t)(wall_ns / 1000000000ull);
	uint32_t frac = (uint32_t)(wall_ns % 1000000000ull);
	char digits[10];

	if (sec != cached_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S.", &tm);
		cached_sec = sec;
	}
	strbuf_mem(sb, cached, cached_len);
	/* 32-bit arithmetic: the nanoseconds are below 10^9. */
	for (int i = 8; i >= 0; i--) {
		digits[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	digits[9] = 'Z';
	strbuf_mem(sb, digits, 10);
}

void fmt_state_name(struct strbuf *sb, int state)
{
	const char *name = parse_state_kernel_name(state);

	if (!name) {
		strbuf_str(sb, "unknown");
		return;
	}
	for (; *name; name++)
		strbuf_char(sb, (char)(*name >= 'A' && *name <= 'Z' ? *name + 32 : *name));
}

/* A member (key fragment @kfrag, see JSON_K) whose value is the lower-case state name. */
static void json_state(struct json *j, const char *kfrag, size_t kn, int state)
{
	/* Written once per state, on first use: every event has one or two. */
	static __thread char names[SNOOP_TCP_MAX_STATES + 1][24];
	static __thread uint8_t lens[SNOOP_TCP_MAX_STATES + 1];
	int i = state > 0 && state < SNOOP_TCP_MAX_STATES ? state : SNOOP_TCP_MAX_STATES;

	if (!lens[i]) {
		struct strbuf name;

		strbuf_init(&name, names[i], sizeof(names[i]));
		fmt_state_name(&name, state);
		lens[i] = (uint8_t)(name.p - names[i]);
	}
	json_litn_(j, kfrag, kn, names[i], lens[i]);
}

/* An {"ip": ..., "port": ...} object under key fragment @kfrag (see JSON_K). */
static void json_endpoint(struct json *j, const char *kfrag, size_t kn,
			  const uint8_t addr[SNOOP_ADDR_LEN], uint16_t port)
{
	char text[FMT_ADDR_LEN];
	struct strbuf ip;

	strbuf_init(&ip, text, sizeof(text));
	fmt_addr(&ip, addr);
	json_open_(j, kfrag, kn, '{');
	json_litn(j, "ip", text, (size_t)(ip.p - text));
	json_u64(j, "port", port);
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
	/* ECS: source is the initiator.  A listener has no remote end. */
	if (is_listener) {
		json_endpoint(j, JSON_K("source"), laddr, lport);
	} else if (flags & SNOOP_SF_PASSIVE) {
		json_endpoint(j, JSON_K("source"), raddr, rport);
		json_endpoint(j, JSON_K("destination"), laddr, lport);
	} else {
		json_endpoint(j, JSON_K("source"), laddr, lport);
		json_endpoint(j, JSON_K("destination"), raddr, rport);
	}
}

static const char *json_action(int kind)
{
	switch (kind) {
	case SNOOP_KIND_STATE:
		return "state_change";
	case SNOOP_KIND_RETRANSMIT:
		return "retransmit";
	case SNOOP_KIND_RESET_SENT:
		return "reset_sent";
	case SNOOP_KIND_RESET_RECV:
		return "reset_received";
	case SNOOP_KIND_ERROR:
		return "connect_error";
	case SNOOP_KIND_CLOSE:
		return "close";
	default:
		return "unknown";
	}
}

/* The symbolic errno name for error.code ("ECONNREFUSED"); NULL when glibc has none. */
static const char *errno_name(int err)
{
	return strerrorname_np(err);
}

size_t fmt_json_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns,
		      uint64_t seq)
{
	struct strbuf sb;
	struct json j;
	/* A listening socket has no remote end; LISTEN -> SYN_RECV is a new connection. */
	int listener = e->kind == SNOOP_KIND_STATE &&
		       (e->new_state == SNOOP_TCP_LISTEN ||
			(e->old_state == SNOOP_TCP_LISTEN && e->new_state == SNOOP_TCP_CLOSE));
	bool has_owner = e->attribution != SNOOP_ATTR_UNKNOWN;

	strbuf_init(&sb, buf, size);
	json_init(&j, &sb);
	fmt_json_begin(&j, wall_ns, json_action(e->kind));
	json_lit(&j, "kind", "event");
	json_u64(&j, "sequence", seq);
	if (e->kind == SNOOP_KIND_CLOSE)
		json_u64(&j, "duration", e->close.duration_ns);
	json_object_end(&j);

	json_object_begin(&j, "network");
	json_lit(&j, "transport", "tcp");
	json_lit(&j, "type", e->family == 10 ? "ipv6" : "ipv4");
	if (e->flags & SNOOP_SF_ACTIVE)
		json_lit(&j, "direction", "egress");
	else if (e->flags & SNOOP_SF_PASSIVE)
		json_lit(&j, "direction", "ingress");
	json_object_end(&j);
	fmt_json_endpoints(&j, e->saddr, e->sport, e->daddr, e->dport, e->flags, listener);

	if (has_owner) {
		json_object_begin(&j, "process");
		json_u64(&j, "pid", e->owner.pid);
		json_object_begin(&j, "thread");
		json_u64(&j, "id", e->owner.tid);
		json_object_end(&j);
		json_mem(&j, "name", e->owner.comm, strnlen(e->owner.comm, SNOOP_COMM_LEN));
		json_object_begin(&j, "parent");
		json_u64(&j, "pid", e->owner.ppid);
		json_object_end(&j);
		json_object_end(&j);
		json_object_begin(&j, "user");
		{
			char uid[12];
			struct strbuf u;

			/* ECS user.id is a keyword (a string). */
			strbuf_init(&u, uid, sizeof(uid));
			strbuf_u64(&u, e->owner.uid);
			json_litn(&j, "id", uid, (size_t)(u.p - uid));
		}
		json_object_end(&j);
	}
	if (e->kind == SNOOP_KIND_ERROR) {
		char text[128];
		const char *name = errno_name(e->detail);

		json_object_begin(&j, "error");
		if (name)
			json_lit(&j, "code", name);
		json_str(&j, "message", strerror_r(e->detail, text, sizeof(text)));
		json_object_end(&j);
	}

	json_object_begin(&j, "socket_snoop");
	json_lit(&j, "schema", SNOOP_JSON_SCHEMA);
	json_u64(&j, "cookie", e->cookie);
	json_lit(&j, "attribution",
		 e->flags & SNOOP_SF_NO_SOCKET ? "no_socket" : fmt_attribution(e->attribution));
	json_state(&j, JSON_K("state"), e->new_state);
	if (e->kind == SNOOP_KIND_STATE)
		json_state(&j, JSON_K("old_state"), e->old_state);
	json_u64(&j, "netns", e->netns);
	if (e->flags & SNOOP_SF_SNAPSHOT)
		json_bool(&j, "seen_at_start", true);
	if (has_owner)
		json_u64(&j, "cgroup_id", e->owner.cgroup_id);
	switch (e->kind) {
	case SNOOP_KIND_RETRANSMIT:
		json_bool(&j, "synack", e->detail == 1);
		break;
	case SNOOP_KIND_RESET_SENT:
		if (e->detail) {
			long long number;
			const char *reason = names__reset_detail(e->detail, &number);

			if (reason)
				json_lit(&j, "reset_reason", reason);
			else
				json_i64(&j, "reset_reason", number);
		}
		break;
	case SNOOP_KIND_CLOSE:
		json_u64(&j, "bytes_sent", e->close.bytes_sent);
		json_u64(&j, "bytes_received", e->close.bytes_received);
		json_u64(&j, "segs_out", e->close.segs_out);
		json_u64(&j, "segs_in", e->close.segs_in);
		json_u64(&j, "retransmits", e->close.total_retrans);
		json_u64(&j, "srtt_us", e->close.srtt_us);
		json_lit(&j, "closed_by", fmt_closed_by(e->close.closed_by));
		break;
	}
	json_object_end(&j);
	json_object_end(&j);
	strbuf_char(&sb, '\n');
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

size_t fmt_json_message(char *buf, size_t size, const char *level, const char *message,
			uint64_t wall_ns)
{
	struct strbuf sb;
	struct json j;
	char ts[40];
	struct strbuf t;

	strbuf_init(&t, ts, sizeof(ts));
	fmt_rfc3339(&t, wall_ns);
	strbuf_init(&sb, buf, size);
	json_init(&j, &sb);
	json_value_begin(&j);
	json_str(&j, "@timestamp", ts);
	json_object_begin(&j, "log");
	json_str(&j, "level", level);
	json_str(&j, "logger", "socket-snoop");
	json_object_end(&j);
	json_str(&j, "message", message);
	json_object_end(&j);
	strbuf_char(&sb, '\n');
	return (size_t)(sb.p - buf);
}
