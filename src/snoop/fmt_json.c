// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fmt_json.c - JSON Lines, ECS-shaped (see fmt_json.h and docs/json-schema.md). */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "common/cgroups.h"
#include "lib/dns.h"
#include "snoop/resolved.h"
#include "common/procinfo.h"
#include "snoop/fmt_json.h"
#include "snoop/fmt_log.h"
#include "lib/community_id.h"
#include "lib/names.h"
#include "lib/parse.h"
#include "lib/tcp_fsm.h"

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
	const char *domain; /* the name its address was resolved from, or NULL */
};

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

static char *put_endpoint(char *p, const struct json_end *end)
{
	p = JSON_PUT(p, "{\"ip\":\"");
	p = fmt_put_addr(p, end->addr);
	p = PUT_U64(p, "\",\"port\":", end->port);
	if (end->domain) {
		p = JSON_PUT(p, ",\"domain\":\"");
		p = json_put_escaped(p, end->domain, strnlen(end->domain, DNS_NAME_MAX));
		*p++ = '"';
	}
	*p++ = '}';
	return p;
}

static char *put_str(char *p, const char *s)
{
	return json_put(p, s, strlen(s));
}

char *fmt_json_put_head(char *p, uint64_t wall_ns, const char *action)
{
	p = JSON_PUT(p, "{\"@timestamp\":\"");
	p = fmt_put_rfc3339(p, wall_ns);
	p = JSON_PUT(p, "\",\"ecs\":{\"version\":\"" ECS_VERSION "\"},\"event\":{\"action\":\"");
	p = put_str(p, action);
	*p++ = '"';
	return p;
}

char *fmt_json_put_ends(char *p, const uint8_t laddr[SNOOP_ADDR_LEN], uint16_t lport,
			const uint8_t raddr[SNOOP_ADDR_LEN], uint16_t rport, int flags,
			bool listener, const char *remote_domain)
{
	/*
	 * ECS: the source is the initiator, so the remote end of an accepted
	 * connection.  A listener is in no flow: it is the server (ECS's
	 * responder), and a query on destination.port finds connections only.
	 */
	struct json_end local = { laddr, lport, NULL }, remote = { raddr, rport, remote_domain };
	bool passive = flags & SNOOP_SF_PASSIVE;

	if (listener)
		return put_endpoint(JSON_PUT(p, ",\"server\":"), &local);
	p = JSON_PUT(p, ",\"source\":");
	p = put_endpoint(p, passive ? &remote : &local);
	p = JSON_PUT(p, ",\"destination\":");
	return put_endpoint(p, passive ? &local : &remote);
}

char *fmt_json_put_state(char *p, int state)
{
	return put_word(p, state_word(state));
}

/* Room for the member with every byte of the name escaped at its longest (\u00XX). */
static char host_member[FMT_JSON_HOST_MEMBER_MAX];
static size_t host_member_len;

/*
 * How many of the @n bytes at @s to write (escaped): all of them when none
 * needs escaping, else at most @escaped_max, so that a hostile string costs
 * no more room than a plain one of @n bytes.  A cut falls before a UTF-8
 * continuation byte: a character stays whole or goes.
 */
static size_t escaped_keep(const char *s, size_t n, size_t escaped_max)
{
	for (size_t i = 0; i < n && n > escaped_max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			n = escaped_max;
			while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
				n--;
		}
	}
	return n;
}

void fmt_json_set_host(const char *name)
{
	size_t n = name ? strnlen(name, FMT_JSON_HOST_MAX) : 0;
	char *p = host_member;

	host_member_len = 0;
	n = n ? escaped_keep(name, n, FMT_JSON_HOST_ESCAPED_MAX) : 0;
	if (!n)
		return;
	p = JSON_PUT(p, ",\"host\":{\"name\":\"");
	p = json_put_escaped(p, name, n);
	p = JSON_PUT(p, "\"}");
	host_member_len = (size_t)(p - host_member);
}

char *fmt_json_put_host(char *p)
{
	memcpy(p, host_member, host_member_len);
	return p + host_member_len;
}

/* Where put_owner() reads what /proc says of a process (fmt_json_set_procinfo()), or NULL. */
static struct procinfo_cache *procinfo;

/* Of a command line or an executable's path with bytes to escape, the most kept. */
#define CMDLINE_ESCAPED_MAX 128

/* Where the remote end's name is found (fmt_json_set_resolved()), or NULL. */
static struct resolved *resolved;

void fmt_json_set_resolved(struct resolved *r)
{
	resolved = r;
}

/* Where put_owner() finds the owner's cgroup (fmt_json_set_cgroups()), or NULL. */
static struct cgroup_cache *cgroups;

/*
 * service, container and orchestrator of the owner's cgroup @ci: its unit,
 * its container and runtime, its pod.  Every name was checked by
 * cgroup_name.c for the characters a unit or an id may have: no escaping.
 */
static char *put_cgroup_members(char *p, const struct cgroup_info *ci)
{
	const struct cgroup_name *n = &ci->name;
	const char *rt = cgroup_runtime_name(n->runtime);

	if (n->unit[0]) {
		p = JSON_PUT(p, ",\"service\":{\"name\":\"");
		p = json_put_escaped(p, n->unit, strlen(n->unit));
		p = JSON_PUT(p, "\"}");
	}
	if (n->container_id[0]) {
		p = JSON_PUT(p, ",\"container\":{\"id\":\"");
		p = fmt_put_mem(p, n->container_id, strlen(n->container_id));
		if (rt) {
			p = JSON_PUT(p, "\",\"runtime\":\"");
			p = put_str(p, rt);
		}
		p = JSON_PUT(p, "\"}");
	}
	if (n->pod_uid[0]) {
		p = JSON_PUT(p, ",\"orchestrator\":{\"type\":\"kubernetes\",\"resource\":{"
				"\"type\":\"pod\",\"id\":\"");
		p = fmt_put_mem(p, n->pod_uid, strlen(n->pod_uid));
		p = JSON_PUT(p, "\"}}");
	}
	return p;
}

/*
 * The process and user objects of an event with a known owner; what /proc
 * says of the process now (@pi, or NULL: gone, or not asked for) adds its
 * parent now, command line and identity; its cgroup (@ci, or NULL) adds
 * the service, container and orchestrator objects.
 */
static char *put_owner_members(char *p, const struct snoop_owner *o, const struct procinfo *pi,
			       const struct cgroup_info *ci)
{
	size_t n;

	p = PUT_U64(p, ",\"process\":{\"pid\":", o->pid);
	p = PUT_U64(p, ",\"thread\":{\"id\":", o->tid);
	p = JSON_PUT(p, ",\"name\":\"");
	p = json_put_escaped(p, o->thread_comm, strnlen(o->thread_comm, SNOOP_COMM_LEN));
	p = JSON_PUT(p, "\"},\"name\":\"");
	p = json_put_escaped(p, o->comm, strnlen(o->comm, SNOOP_COMM_LEN));
	p = PUT_U64(p, "\",\"parent\":{\"pid\":", pi ? pi->ppid : o->ppid);
	*p++ = '}';
	if (pi && pi->cmdline_len) {
		p = JSON_PUT(p, ",\"command_line\":\"");
		n = escaped_keep(pi->cmdline, pi->cmdline_len, CMDLINE_ESCAPED_MAX);
		p = json_put_escaped(p, pi->cmdline, n);
		p = PUT_U64(p, "\",\"args_count\":", pi->args_count);
	}
	/* Whole or not at all: a path cut short names another file. */
	if (pi && pi->exe_len &&
	    escaped_keep(pi->exe, pi->exe_len, CMDLINE_ESCAPED_MAX) == pi->exe_len) {
		p = JSON_PUT(p, ",\"executable\":\"");
		p = json_put_escaped(p, pi->exe, pi->exe_len);
		*p++ = '"';
	}
	if (pi) {
		p = JSON_PUT(p, ",\"entity_id\":\"");
		p = fmt_put_mem(p, pi->entity_id, strlen(pi->entity_id));
		*p++ = '"';
	}
	/* ECS user.id is a keyword (a string). */
	p = PUT_U64(p, "},\"user\":{\"id\":\"", o->uid);
	p = JSON_PUT(p, "\"}");
	return ci ? put_cgroup_members(p, ci) : p;
}

/*
 * The longest process and user objects: four numbers, two names escaped at 6
 * bytes a byte, the command line and the executable at their longest plain or
 * escaped, the entity id.
 */
#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define OWNER_MEMBERS_MAX                                                                  \
	(256 + 4 * FMT_U64_LEN + 12 * SNOOP_COMM_LEN +                                     \
	 MAX2(PROCINFO_CMDLINE_MAX, 6 * CMDLINE_ESCAPED_MAX) +                             \
	 MAX2(PROCINFO_EXE_MAX, 6 * CMDLINE_ESCAPED_MAX) + PROCINFO_ENTITY_ID_SIZE + 256 + \
	 2 * CGROUP_UNIT_SIZE + CGROUP_CONTAINER_ID_SIZE + CGROUP_POD_UID_SIZE)

/*
 * The owners written last, by thread: a storm's events come from a few
 * threads, and an owner's members (numbers, names, command line) are the
 * same from one of its events to the next.  Direct-mapped by thread id.
 */
#define OWNER_CACHE_SIZE 16 /* a power of two */
static __thread struct owner_cached {
	struct snoop_owner owner;
	const struct procinfo *pi;
	uint32_t gen; /* pi's when written */
	const struct cgroup_info *ci;
	uint32_t ci_gen; /* ci's when written */
	size_t len;	 /* 0: empty */
	char text[OWNER_MEMBERS_MAX];
} owner_cache[OWNER_CACHE_SIZE];
/* The rest of an object (addresses, names of at most 64 escaped bytes, numbers) fits in the other half. */
_Static_assert(OWNER_MEMBERS_MAX <= FMT_LINE_MAX / 2, "an owner fits in half a line");

void fmt_json_set_cgroups(struct cgroup_cache *c)
{
	cgroups = c;
	for (size_t i = 0; i < OWNER_CACHE_SIZE; i++)
		owner_cache[i].len = 0;
}

void fmt_json_set_procinfo(struct procinfo_cache *c)
{
	procinfo = c;
	/* Owners written from another table's slots are not this one's (this thread's cache). */
	for (size_t i = 0; i < OWNER_CACHE_SIZE; i++)
		owner_cache[i].len = 0;
}

/* put_owner_members(), from the cache when this owner was written last in its slot. */
static char *put_owner(char *p, const struct snoop_owner *o, uint64_t wall_ns)
{
	struct owner_cached *c = &owner_cache[o->tid & (OWNER_CACHE_SIZE - 1)];
	const struct procinfo *pi = procinfo ? procinfo_cache__get(procinfo, o->pid, wall_ns) :
					       NULL;
	const struct cgroup_info *ci = cgroups ? cgroup_cache__get(cgroups, o->cgroup_id, wall_ns) :
						 NULL;

	/* The whole owner is compared, and what /proc and the cgroup said: anything new is written anew. */
	if (!c->len || c->pi != pi || (pi && c->gen != pi->gen) || c->ci != ci ||
	    (ci && c->ci_gen != ci->gen) || memcmp(&c->owner, o, sizeof(*o)) != 0) {
		c->len = (size_t)(put_owner_members(c->text, o, pi, ci) - c->text);
		memcpy(&c->owner, o, sizeof(*o));
		c->pi = pi;
		c->gen = pi ? pi->gen : 0;
		c->ci = ci;
		c->ci_gen = ci ? ci->gen : 0;
	}
	return fmt_put_mem(p, c->text, c->len);
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

/* The counts of a close summary, or an update's since the connection's last one. */
static char *put_counts(char *p, const struct snoop_close_info *c)
{
	p = PUT_U64(p, ",\"bytes_sent\":", c->bytes_sent);
	p = PUT_U64(p, ",\"bytes_received\":", c->bytes_received);
	p = PUT_U64(p, ",\"segs_out\":", c->segs_out);
	p = PUT_U64(p, ",\"segs_in\":", c->segs_in);
	p = PUT_U64(p, ",\"retransmits\":", c->total_retrans);
	return PUT_U64(p, ",\"srtt_us\":", c->srtt_us);
}

/* The health the kernel counted (tcp_info's names). */
static char *put_health(char *p, const struct snoop_close_info *c)
{
	const char *ca = names__ca_state(c->ca_worst);

	p = PUT_U64(p, ",\"rttvar_us\":", c->rttvar_us);
	p = PUT_U64(p, ",\"min_rtt_us\":", c->min_rtt_us);
#define JSON_COUNT(member, key, json) p = PUT_U64(p, ",\"" json "\":", c->member);
	SNOOP_HEALTH_COUNTS(JSON_COUNT)
#undef JSON_COUNT
	p = c->ecn ? JSON_PUT(p, ",\"ecn\":true") : JSON_PUT(p, ",\"ecn\":false");
	if (ca) {
		p = JSON_PUT(p, ",\"ca_state_worst\":\"");
		p = put_str(p, ca);
		*p++ = '"';
	}
	return p;
}

static char *put_close(char *p, const struct snoop_event *e)
{
	const struct snoop_close_info *c = &e->close;
	const char *side = names__close_side(c->reason, e->flags);

	p = put_counts(p, c);
	p = JSON_PUT(p, ",\"closed_by\":\"");
	p = put_str(p, names__closed_by(c->closed_by));
	p = JSON_PUT(p, "\",\"close_reason\":\"");
	p = put_str(p, names__close_reason(c->reason));
	*p++ = '"';
	if (side) {
		p = JSON_PUT(p, ",\"close_side\":\"");
		p = put_str(p, side);
		*p++ = '"';
	}
	if (c->rst_reason)
		p = put_reset_reason(p, c->rst_reason);
	return put_health(p, c);
}

/*
 * The Community ID of recent flows: a flow's events (six or so per socket,
 * and both its sockets when both ends are on this host) make one SHA-1, not
 * one each.  By the flow itself, either end first, so a socket connected
 * again elsewhere (connect() after connect(AF_UNSPEC)) gets its new flow's.
 */
#define CID_CACHE 1024
static struct cid_entry {
	uint8_t a[SNOOP_ADDR_LEN], b[SNOOP_ADDR_LEN];
	uint16_t aport, bport;
	char id[COMMUNITY_ID_SIZE];
} cid_cache[CID_CACHE];

/* True when entry @c is the flow between @s:@sport and @d:@dport, either way round. */
static bool cid_is(const struct cid_entry *c, const uint8_t *s, uint16_t sport, const uint8_t *d,
		   uint16_t dport)
{
	if (c->aport == sport && c->bport == dport)
		return !memcmp(c->a, s, SNOOP_ADDR_LEN) && !memcmp(c->b, d, SNOOP_ADDR_LEN);
	return c->aport == dport && c->bport == sport && !memcmp(c->a, d, SNOOP_ADDR_LEN) &&
	       !memcmp(c->b, s, SNOOP_ADDR_LEN);
}

/* The member network.community_id of @e (both ends known), at @p. */
static char *put_community_id(char *p, const struct snoop_event *e)
{
	uint32_t s4, d4, key;
	struct cid_entry *c;

	/* The same slot from either end: a symmetric mix of the ports and the addresses' tails. */
	memcpy(&s4, e->saddr + 12, 4);
	memcpy(&d4, e->daddr + 12, 4);
	key = (s4 ^ d4) * 0x9E3779B1u ^ (uint32_t)(e->sport ^ e->dport) * 0x85EBCA6Bu;
	c = &cid_cache[(key * 0x9E3779B1u) >> 22];
	if (!cid_is(c, e->saddr, e->sport, e->daddr, e->dport)) {
		community_id_v1(c->id, 0, e->family == AF_INET, e->saddr, e->sport, e->daddr,
				e->dport, IPPROTO_TCP);
		memcpy(c->a, e->saddr, SNOOP_ADDR_LEN);
		memcpy(c->b, e->daddr, SNOOP_ADDR_LEN);
		c->aport = e->sport;
		c->bport = e->dport;
	}
	p = JSON_PUT(p, ",\"community_id\":\"");
	memcpy(p, c->id, COMMUNITY_ID_SIZE - 1);
	p += COMMUNITY_ID_SIZE - 1;
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
	bool listener = e->kind == SNOOP_KIND_STATE &&
			tcp_fsm__listener(e->old_state, e->new_state);
	bool has_owner = e->attribution != SNOOP_ATTR_UNKNOWN;
	struct json_word action = json_action(e->kind);

	p = fmt_json_put_head(p, wall_ns, action.s);
	p = PUT_U64(p, ",\"kind\":\"event\",\"sequence\":", seq);
	/* A close's: the connection's life; an update's: its age so far. */
	if (e->kind == SNOOP_KIND_CLOSE || e->kind == SNOOP_KIND_UPDATE)
		p = PUT_U64(p, ",\"duration\":", e->close.duration_ns);
	p = JSON_PUT(p, "},\"network\":{\"transport\":\"tcp\",\"type\":");
	p = e->family == AF_INET6 ? JSON_PUT(p, "\"ipv6\"") : JSON_PUT(p, "\"ipv4\"");
	if (e->flags & SNOOP_SF_ACTIVE)
		p = JSON_PUT(p, ",\"direction\":\"egress\"");
	else if (e->flags & SNOOP_SF_PASSIVE)
		p = JSON_PUT(p, ",\"direction\":\"ingress\"");
	/* A flow has both ends: not a listener, nor a connect before its port is bound. */
	if (e->sport && e->dport)
		p = put_community_id(p, e);
	*p++ = '}';
	p = fmt_json_put_ends(p, e->saddr, e->sport, e->daddr, e->dport, e->flags, listener,
			      listener || !resolved ?
				      NULL :
				      resolved__name(resolved, e->netns, e->daddr, e->ts_ns));
	p = fmt_json_put_host(p);
	if (has_owner)
		p = put_owner(p, &e->owner, wall_ns);
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
	if (e->flags & SNOOP_SF_TW_SKIPPED)
		p = JSON_PUT(p, ",\"time_wait_skipped\":true");
	if (e->kind == SNOOP_KIND_STATE && names__tw_end(e->detail)) {
		p = JSON_PUT(p, ",\"time_wait_end\":\"");
		p = put_str(p, names__tw_end(e->detail));
		p = JSON_PUT(p, "\"");
	}
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
		p = put_close(p, e);
		break;
	case SNOOP_KIND_UPDATE:
		p = put_health(put_counts(p, &e->close), &e->close);
		break;
	}
	return JSON_PUT(p, "}}\n");
}

size_t fmt_json_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns,
		      uint64_t seq)
{
	char room[FMT_LINE_MAX];
	char *at = size >= sizeof(room) ? buf : room;

	return fmt_cursor_end(buf, size, at, (size_t)(put_event(at, e, wall_ns, seq) - at));
}

size_t fmt_json_lost(char *buf, size_t size, const struct snoop_loss *loss, uint64_t wall_ns,
		     uint64_t seq)
{
	char room[FMT_LINE_MAX], msg[512];
	char *at = size >= sizeof(room) ? buf : room;
	char *p = fmt_json_put_head(at, wall_ns, "lost");
	const char *cause = names__loss_cause(loss->cause);
	struct strbuf sb;

	strbuf_init(&sb, msg, sizeof(msg));
	fmt_loss_message(&sb, loss);
	p = PUT_U64(p, ",\"sequence\":", seq);
	*p++ = '}';
	p = fmt_json_put_host(p);
	p = PUT_U64(p, ",\"socket_snoop\":{\"schema\":\"" SNOOP_JSON_SCHEMA "\",\"lost\":",
		    loss->count);
	p = JSON_PUT(p, ",\"lost_cause\":\"");
	p = put_str(p, cause ? cause : "unknown");
	p = JSON_PUT(p, "\",\"lost_message\":\"");
	p = json_put(p, msg, (size_t)(sb.p - msg));
	p = JSON_PUT(p, "\"}}\n");
	return fmt_cursor_end(buf, size, at, (size_t)(p - at));
}
