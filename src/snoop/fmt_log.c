// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fmt_log.c - the log-line format (see fmt.h). */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "snoop/fmt_log.h"
#include "common/cgroups.h"
#include "lib/dns.h"
#include "snoop/resolved.h"
#include "lib/names.h"

/* "Dec 30 2024 22:05:25.454" at @p (FMT_TIME_LEN of room); the end. */
static char *put_log_time(char *p, uint64_t wall_ns)
{
	/* localtime_r is slow; events come in bursts within one second. */
	static __thread time_t cached_sec = -1;
	static __thread char cached[FMT_TIME_LEN];
	static __thread size_t cached_len;
	time_t sec = (time_t)(wall_ns / 1000000000ull);
	unsigned int ms = (unsigned int)(wall_ns / 1000000ull % 1000);

	if (sec != cached_sec) {
		struct tm tm;

		localtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%b %d %Y %H:%M:%S", &tm);
		cached_sec = sec;
	}
	p = fmt_put_mem(p, cached, cached_len);
	*p++ = '.';
	*p++ = (char)('0' + ms / 100);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	return p;
}

void fmt_log_time(struct strbuf *sb, uint64_t wall_ns)
{
	char text[FMT_TIME_LEN];

	strbuf_mem(sb, text, (size_t)(put_log_time(text, wall_ns) - text));
}

/* The text of an errno value, as strerror(3) words it. */
static void fmt_errno(struct strbuf *sb, int err)
{
	char text[128];

	strbuf_str(sb, strerror_r(err, text, sizeof(text)));
}

/* The label that starts each kind of event line. */
static const char *fmt_log_label(int kind)
{
	const char *label = names__kind_label(kind);

	return label ? label : "Unknown Event:";
}

/* A string at @p. */
static char *put_str(char *p, const char *s)
{
	return fmt_put_mem(p, s, strlen(s));
}

/* --thread-names: COMM= is the thread's name. */
static bool thread_names;

void fmt_log_set_thread_names(bool on)
{
	thread_names = on;
}

/* --fields, and where the cgroup fields are read from. */
static uint32_t log_fields;
static struct cgroup_cache *log_cgroups;

void fmt_log_set_fields(uint32_t fields, struct cgroup_cache *c)
{
	log_fields = fields;
	log_cgroups = c;
}

/* A field's value, or "-" when it has none (every line has the fields asked for). */
static char *put_or_dash(char *p, const char *s)
{
	return s && *s ? put_str(p, s) : FMT_PUT(p, "-");
}

/* " UNIT=... CONTAINER=..." of --fields, in SNOOP_LOG_FIELDS order. */
static char *put_log_extra(char *p, const struct snoop_event *e, uint64_t wall_ns)
{
	bool owned = !(e->flags & SNOOP_SF_NO_SOCKET) && e->attribution != SNOOP_ATTR_UNKNOWN;
	const struct cgroup_info *ci = NULL;

	if (owned && log_cgroups && (log_fields & ~(1u << SNOOP_FIELD_THREAD)))
		ci = cgroup_cache__get(log_cgroups, e->owner.cgroup_id, wall_ns);
	for (int f = 0; f < SNOOP_FIELD_COUNT; f++) {
		if (!(log_fields & (1u << f)))
			continue;
		*p++ = ' ';
		p = put_str(p, names__field_key(f));
		*p++ = '=';
		/* Names were checked by cgroup_name.c: a unit's or an id's characters only. */
		switch ((enum snoop_log_field)f) {
		case SNOOP_FIELD_UNIT:
			p = put_or_dash(p, ci ? ci->name.unit : NULL);
			break;
		case SNOOP_FIELD_CONTAINER:
			p = put_or_dash(p, ci ? ci->name.container_id : NULL);
			break;
		case SNOOP_FIELD_RUNTIME:
			p = put_or_dash(p, ci ? cgroup_runtime_name(ci->name.runtime) : NULL);
			break;
		case SNOOP_FIELD_POD:
			p = put_or_dash(p, ci ? ci->name.pod_uid : NULL);
			break;
		case SNOOP_FIELD_THREAD:
			p = owned && e->owner.thread_comm[0] ?
				    fmt_put_comm(p, e->owner.thread_comm) :
				    FMT_PUT(p, "-");
			break;
		case SNOOP_FIELD_COUNT:
			break;
		}
	}
	return p;
}

/* Where DST='s name is found (fmt_log_set_resolved()), or NULL. */
static struct resolved *log_resolved;

void fmt_log_set_resolved(struct resolved *r)
{
	log_resolved = r;
}

/* " SRC=... DST=... (name) PID=... COMM=..." shared by every event line. */
static char *put_log_fields(char *p, const struct snoop_event *e)
{
	const char *name;

	p = FMT_PUT(p, " SRC=");
	p = fmt_put_endpoint(p, e->saddr, e->sport);
	p = FMT_PUT(p, " DST=");
	p = fmt_put_endpoint(p, e->daddr, e->dport);
	/* A name of letters, digits, '-', '_' and dots only (lib/dns.c): written as it is. */
	name = log_resolved ? resolved__name(log_resolved, e->netns, e->daddr, e->ts_ns) : NULL;
	if (name) {
		p = FMT_PUT(p, " (");
		p = fmt_put_mem(p, name, strnlen(name, DNS_NAME_MAX));
		*p++ = ')';
	}
	p = FMT_PUT(p, " PID=");
	p = fmt_put_u64(p, e->owner.pid);
	p = FMT_PUT(p, " COMM=");
	if (e->flags & SNOOP_SF_NO_SOCKET)
		return FMT_PUT(p, "<closed>");
	if (e->attribution == SNOOP_ATTR_UNKNOWN)
		return FMT_PUT(p, "<unknown>");
	return fmt_put_comm(p, thread_names ? e->owner.thread_comm : e->owner.comm);
}

/* CLOSE_REASON=rst_sent CLOSE_SIDE=client RESET_REASON=TCP_STATE: why it ended. */
static char *put_log_close_reason(char *p, const struct snoop_event *e)
{
	const char *side = names__close_side(e->close.reason, e->flags);

	p = FMT_PUT(p, " CLOSE_REASON=");
	p = put_str(p, names__close_reason(e->close.reason));
	if (side) {
		p = FMT_PUT(p, " CLOSE_SIDE=");
		p = put_str(p, side);
	}
	if (e->close.rst_reason && names__reset_reason(e->close.rst_reason - 1)) {
		p = FMT_PUT(p, " RESET_REASON=");
		p = put_str(p, names__reset_reason(e->close.rst_reason - 1));
	}
	return p;
}

/* A duration in microseconds as milliseconds: KEY=0.123ms. */
static char *put_log_ms(char *p, const char *key, uint64_t us)
{
	struct strbuf sb;

	strbuf_init(&sb, p, 64);
	strbuf_str(&sb, key);
	fmt_duration(&sb, us * 1000, 1000000u, "ms");
	return sb.p;
}

/* The kernel's health counters of the close summary (tcp_info's, as ss -ti shows them). */
static char *put_log_health(char *p, const struct snoop_close_info *c)
{
	const char *ca = names__ca_state(c->ca_worst);

	p = put_log_ms(p, " RTTVAR=", c->rttvar_us);
	p = put_log_ms(p, " MIN_RTT=", c->min_rtt_us);
#define LOG_COUNT(member, key, json) p = fmt_put_u64(FMT_PUT(p, " " key "="), c->member);
	SNOOP_HEALTH_COUNTS(LOG_COUNT)
#undef LOG_COUNT
	p = c->ecn ? FMT_PUT(p, " ECN=yes") : FMT_PUT(p, " ECN=no");
	if (ca) {
		p = FMT_PUT(p, " CA_WORST=");
		p = put_str(p, ca);
	}
	return p;
}

/*
 * The counts of a close summary or an update: DURATION=1.234s SENT=...
 * (SENT/RECEIVED are payload bytes; an update's count what came since the last).
 */
static char *put_log_counts(char *p, const struct snoop_event *e)
{
	struct strbuf sb;

	/* The durations have their strbuf writer; 64 bytes are room for either. */
	strbuf_init(&sb, p, 64);
	strbuf_str(&sb, " DURATION=");
	fmt_duration(&sb, e->close.duration_ns, 1000000000u, "s");
	p = FMT_PUT(sb.p, " SENT=");
	p = fmt_put_u64(p, e->close.bytes_sent);
	p = FMT_PUT(p, " RECEIVED=");
	p = fmt_put_u64(p, e->close.bytes_received);
	p = FMT_PUT(p, " SEGS_OUT=");
	p = fmt_put_u64(p, e->close.segs_out);
	p = FMT_PUT(p, " SEGS_IN=");
	p = fmt_put_u64(p, e->close.segs_in);
	p = FMT_PUT(p, " RETRANS=");
	p = fmt_put_u64(p, e->close.total_retrans);
	strbuf_init(&sb, p, 64);
	strbuf_str(&sb, " RTT=");
	fmt_duration(&sb, (uint64_t)e->close.srtt_us * 1000, 1000000u, "ms");
	p = FMT_PUT(sb.p, " DIRECTION=");
	return put_str(p, names__direction(e->flags));
}

static char *put_log_close(char *p, const struct snoop_event *e)
{
	p = put_log_counts(p, e);
	p = FMT_PUT(p, " CLOSED_BY=");
	p = put_str(p, names__closed_by(e->close.closed_by));
	return put_log_health(put_log_close_reason(p, e), &e->close);
}

/*
 * A Connection Update (--interval): the state now, the age, the counts since
 * the connection's last update, the health so far.
 */
static char *put_log_update(char *p, const struct snoop_event *e)
{
	p = FMT_PUT(p, " STATE=");
	p = put_str(p, names__state_desc(e->new_state));
	return put_log_health(put_log_counts(p, e), &e->close);
}

/*
 * The whole line at the cursor @p, which has FMT_LINE_MAX bytes of room:
 * several times the longest line (every field at its longest, the command
 * name escaped at 4 bytes per byte, an error text of 128).
 */
static char *put_log_event(char *p, const struct snoop_event *e, uint64_t wall_ns)
{
	p = put_log_time(p, wall_ns);
	*p++ = ' ';
	p = put_str(p, fmt_log_label(e->kind));
	p = put_log_fields(p, e);
	switch (e->kind) {
	case SNOOP_KIND_CLOSE:
		p = put_log_close(p, e);
		break;
	case SNOOP_KIND_UPDATE:
		p = put_log_update(p, e);
		break;
	case SNOOP_KIND_ERROR: {
		struct strbuf sb;

		p = FMT_PUT(p, " STATE=");
		p = put_str(p, names__state_desc(e->new_state));
		p = FMT_PUT(p, " ERROR=");
		strbuf_init(&sb, p, 160);
		fmt_errno(&sb, e->detail);
		p = sb.p;
		break;
	}
	case SNOOP_KIND_RESET_SENT:
		p = FMT_PUT(p, " STATE=");
		p = put_str(p, names__state_desc(e->new_state));
		if (e->detail) {
			long long number;
			const char *reason = names__reset_detail(e->detail, &number);

			p = FMT_PUT(p, " REASON=");
			p = reason ? put_str(p, reason) : fmt_put_i64(p, number);
		}
		break;
	default:
		p = FMT_PUT(p, " STATE=");
		p = put_str(p, names__state_desc(e->new_state));
		/* Closed where TIME_WAIT was due: the kernel had no time-wait bucket left. */
		if (e->kind == SNOOP_KIND_STATE && (e->flags & SNOOP_SF_TW_SKIPPED))
			p = FMT_PUT(p, " TIME_WAIT=skipped");
		/* A time-wait socket's early end: a RST it took, or its tuple reused. */
		if (e->kind == SNOOP_KIND_STATE && names__tw_end(e->detail)) {
			p = FMT_PUT(p, " TIME_WAIT=");
			p = put_str(p, names__tw_end(e->detail));
		}
		break;
	}
	if (log_fields)
		p = put_log_extra(p, e, wall_ns);
	*p++ = '\n';
	return p;
}

size_t fmt_log_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns)
{
	char room[FMT_LINE_MAX];
	char *at = size >= sizeof(room) ? buf : room;

	return fmt_cursor_end(buf, size, at, (size_t)(put_log_event(at, e, wall_ns) - at));
}

size_t fmt_loss_message(struct strbuf *sb, const struct snoop_loss *loss)
{
	const char *what = names__loss_what(loss->cause);
	char *start = sb->p;

	if (loss->cause != SNOOP_LOSS_RING_FULL) {
		strbuf_str(sb, what ? what : "events were lost");
		/* A property of the kernel, not of a setting of ours. */
		strbuf_str(sb, "; no setting avoids it");
		return (size_t)(sb->p - start);
	}
	strbuf_str(sb, "a CPU's ring buffer (");
	if (loss->ring_bytes >= (1u << 20) && !(loss->ring_bytes % (1u << 20))) {
		strbuf_u64(sb, loss->ring_bytes >> 20);
		strbuf_str(sb, " MiB");
	} else {
		strbuf_u64(sb, loss->ring_bytes >> 10);
		strbuf_str(sb, " KiB");
	}
	strbuf_str(sb, ") was full: the reader left it unread for up to ");
	strbuf_u64(sb, loss->away_ms);
	strbuf_str(sb, " ms; a larger --buffer-size, or kernel filters (--lport, --netns, "
		       "--comm, ...) that keep less, help");
	return (size_t)(sb->p - start);
}

size_t fmt_log_lost(char *buf, size_t size, const struct snoop_loss *loss, uint64_t wall_ns)
{
	const char *cause = names__loss_cause(loss->cause);
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	fmt_log_time(&sb, wall_ns);
	strbuf_str(&sb, " Events Lost: COUNT=");
	strbuf_u64(&sb, loss->count);
	strbuf_str(&sb, " CAUSE=");
	strbuf_str(&sb, cause ? cause : "unknown");
	strbuf_str(&sb, " (");
	fmt_loss_message(&sb, loss);
	strbuf_str(&sb, ")\n");
	return size ? (size_t)(sb.p - buf) : 0;
}
