// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fmt_log.c - the log-line format (see fmt.h). */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "snoop/fmt_log.h"
#include "lib/names.h"

void fmt_log_time(struct strbuf *sb, uint64_t wall_ns)
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
	strbuf_mem(sb, cached, cached_len);
	strbuf_char(sb, '.');
	strbuf_char(sb, (char)('0' + ms / 100));
	strbuf_char(sb, (char)('0' + ms / 10 % 10));
	strbuf_char(sb, (char)('0' + ms % 10));
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

/* " SRC=... DST=... PID=... COMM=..." shared by every event line. */
static void fmt_log_fields(struct strbuf *sb, const struct snoop_event *e)
{
	strbuf_str(sb, " SRC=");
	fmt_endpoint(sb, e->saddr, e->sport);
	strbuf_str(sb, " DST=");
	fmt_endpoint(sb, e->daddr, e->dport);
	strbuf_str(sb, " PID=");
	strbuf_u64(sb, e->owner.pid);
	strbuf_str(sb, " COMM=");
	if (e->flags & SNOOP_SF_NO_SOCKET)
		strbuf_str(sb, "<closed>");
	else if (e->attribution == SNOOP_ATTR_UNKNOWN)
		strbuf_str(sb, "<unknown>");
	else
		fmt_comm(sb, e->owner.comm);
}

/* Close summary fields: DURATION=1.234s SENT=... (SENT/RECEIVED are payload bytes). */
static void fmt_log_close(struct strbuf *sb, const struct snoop_event *e)
{
	strbuf_str(sb, " DURATION=");
	fmt_duration(sb, e->close.duration_ns, 1000000000u, "s");
	strbuf_str(sb, " SENT=");
	strbuf_u64(sb, e->close.bytes_sent);
	strbuf_str(sb, " RECEIVED=");
	strbuf_u64(sb, e->close.bytes_received);
	strbuf_str(sb, " SEGS_OUT=");
	strbuf_u64(sb, e->close.segs_out);
	strbuf_str(sb, " SEGS_IN=");
	strbuf_u64(sb, e->close.segs_in);
	strbuf_str(sb, " RETRANS=");
	strbuf_u64(sb, e->close.total_retrans);
	strbuf_str(sb, " RTT=");
	fmt_duration(sb, (uint64_t)e->close.srtt_us * 1000, 1000000u, "ms");
	strbuf_str(sb, " DIRECTION=");
	strbuf_str(sb, names__direction(e->flags));
	strbuf_str(sb, " CLOSED_BY=");
	strbuf_str(sb, names__closed_by(e->close.closed_by));
}

size_t fmt_log_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	fmt_log_time(&sb, wall_ns);
	strbuf_char(&sb, ' ');
	strbuf_str(&sb, fmt_log_label(e->kind));
	fmt_log_fields(&sb, e);
	switch (e->kind) {
	case SNOOP_KIND_CLOSE:
		fmt_log_close(&sb, e);
		break;
	case SNOOP_KIND_ERROR:
		strbuf_str(&sb, " STATE=");
		strbuf_str(&sb, names__state_desc(e->new_state));
		strbuf_str(&sb, " ERROR=");
		fmt_errno(&sb, e->detail);
		break;
	case SNOOP_KIND_RESET_SENT:
		strbuf_str(&sb, " STATE=");
		strbuf_str(&sb, names__state_desc(e->new_state));
		if (e->detail) {
			long long number;
			const char *reason = names__reset_detail(e->detail, &number);

			strbuf_str(&sb, " REASON=");
			if (reason)
				strbuf_str(&sb, reason);
			else
				strbuf_i64(&sb, number);
		}
		break;
	default:
		strbuf_str(&sb, " STATE=");
		strbuf_str(&sb, names__state_desc(e->new_state));
		break;
	}
	strbuf_char(&sb, '\n');
	return size ? (size_t)(sb.p - buf) : 0;
}

size_t fmt_log_lost(char *buf, size_t size, uint64_t count, uint64_t wall_ns)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	fmt_log_time(&sb, wall_ns);
	strbuf_str(&sb, " Events Lost: COUNT=");
	strbuf_u64(&sb, count);
	strbuf_char(&sb, '\n');
	return size ? (size_t)(sb.p - buf) : 0;
}
