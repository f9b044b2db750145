// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* fmt_log.c - the log-line format (see fmt.h). */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "names.h"

void strbuf_init(struct strbuf *sb, char *buf, size_t size)
{
	static char empty[1];

	/* A zero-size buffer gets nothing, not even the NUL. */
	if (!size) {
		buf = empty;
		size = 1;
	}
	sb->p = buf;
	sb->end = buf + size - 1;
	*sb->p = '\0';
}

char *fmt_put_u64(char *p, uint64_t v)
{
	/* Two digits per division: numbers are in every field of every event. */
	static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
				       "25262728293031323334353637383940414243444546474849"
				       "50515253545556575859606162636465666768697071727374"
				       "75767778798081828384858687888990919293949596979899";
	static const uint64_t pow10[19] = {
		10ull,
		100ull,
		1000ull,
		10000ull,
		100000ull,
		1000000ull,
		10000000ull,
		100000000ull,
		1000000000ull,
		10000000000ull,
		100000000000ull,
		1000000000000ull,
		10000000000000ull,
		100000000000000ull,
		1000000000000000ull,
		10000000000000000ull,
		100000000000000000ull,
		1000000000000000000ull,
		10000000000000000000ull,
	};
	unsigned int n = 1;
	char *q;
	uint32_t w;

	/* Count the digits first, so they are written in place, right to left. */
	while (n < 20 && v >= pow10[n - 1])
		n++;
	q = p + n;
	while (v > UINT32_MAX) {
		unsigned int d = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--q = pairs[d + 1];
		*--q = pairs[d];
	}
	/* 32-bit divisions from here: most numbers (ports, pids, counts) start here. */
	w = (uint32_t)v;
	while (w >= 100) {
		unsigned int d = (w % 100) * 2;

		w /= 100;
		*--q = pairs[d + 1];
		*--q = pairs[d];
	}
	if (w >= 10) {
		*--q = pairs[w * 2 + 1];
		*--q = pairs[w * 2];
	} else {
		*--q = (char)('0' + w);
	}
	return p + n;
}

void strbuf_u64(struct strbuf *sb, uint64_t v)
{
	char tmp[FMT_U64_LEN];

	strbuf_mem(sb, tmp, (size_t)(fmt_put_u64(tmp, v) - tmp));
}

char *fmt_put_i64(char *p, int64_t v)
{
	if (v >= 0)
		return fmt_put_u64(p, (uint64_t)v);
	*p++ = '-';
	return fmt_put_u64(p, (uint64_t)0 - (uint64_t)v);
}

void strbuf_i64(struct strbuf *sb, int64_t v)
{
	char tmp[FMT_U64_LEN + 1];

	strbuf_mem(sb, tmp, (size_t)(fmt_put_i64(tmp, v) - tmp));
}

const char *fmt_state_desc(int state)
{
	/* The seed README's descriptions, word for word. */
	static const char *const desc[] = {
		[SNOOP_TCP_ESTABLISHED] = "Connection Established",
		[SNOOP_TCP_SYN_SENT] = "Connection Opening (SYN_SENT)",
		[SNOOP_TCP_SYN_RECV] = "Connection Opening (SYN_RECV)",
		[SNOOP_TCP_FIN_WAIT1] = "Connection Closing (FIN_WAIT1)",
		[SNOOP_TCP_FIN_WAIT2] = "Connection Closing (FIN_WAIT2)",
		[SNOOP_TCP_TIME_WAIT] = "Connection Closed (TIME_WAIT)",
		[SNOOP_TCP_CLOSE] = "Connection Closed",
		[SNOOP_TCP_CLOSE_WAIT] = "Connection Closing (CLOSE_WAIT)",
		[SNOOP_TCP_LAST_ACK] = "Connection Closing (LAST_ACK)",
		[SNOOP_TCP_LISTEN] = "Listening for Connections",
		[SNOOP_TCP_CLOSING] = "Connection Closing (CLOSING)",
	};

	if (state <= 0 || state > SNOOP_TCP_CLOSING)
		return "UNKNOWN STATE";
	return desc[state];
}

static int addr_is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

void fmt_addr(struct strbuf *sb, const uint8_t addr[SNOOP_ADDR_LEN])
{
	char text[INET6_ADDRSTRLEN];

	if (addr_is_v4_mapped(addr)) {
		for (int i = 12; i < 16; i++) {
			unsigned int v = addr[i];
			char d[4];
			size_t n = 0;

			/* An octet: at most three digits, no general number formatting. */
			if (i > 12)
				d[n++] = '.';
			if (v >= 100)
				d[n++] = (char)('0' + v / 100);
			if (v >= 10)
				d[n++] = (char)('0' + v / 10 % 10);
			d[n++] = (char)('0' + v % 10);
			strbuf_mem(sb, d, n);
		}
		return;
	}
	if (inet_ntop(AF_INET6, addr, text, sizeof(text)))
		strbuf_str(sb, text);
}

void fmt_endpoint(struct strbuf *sb, const uint8_t addr[SNOOP_ADDR_LEN], uint16_t port)
{
	int v6 = !addr_is_v4_mapped(addr);

	if (v6)
		strbuf_char(sb, '[');
	fmt_addr(sb, addr);
	if (v6)
		strbuf_char(sb, ']');
	strbuf_char(sb, ':');
	strbuf_u64(sb, port);
}

/*
 * Append @n bytes of @s, each byte that @plain does not mark written as
 * \xNN: one loop for command names and diagnostics, with their own tables.
 */
static inline __attribute__((always_inline)) void fmt_hex_escape(struct strbuf *sb, const char *s,
								 size_t n, const bool plain[256])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (plain[c]) {
			strbuf_char(sb, (char)c);
			continue;
		}
		strbuf_char(sb, '\\');
		strbuf_char(sb, 'x');
		strbuf_char(sb, hex[c >> 4]);
		strbuf_char(sb, hex[c & 15]);
	}
}

/* Printable ASCII but space, '\\' and '=': a name can never forge a field. */
static const bool comm_plain[256] = {
	[0x21 ... 0x3c] = true, /* '=' is 0x3d */
	[0x3e ... 0x5b] = true, /* '\\' is 0x5c */
	[0x5d ... 0x7e] = true,
};

void fmt_comm(struct strbuf *sb, const char comm[SNOOP_COMM_LEN])
{
	fmt_hex_escape(sb, comm, strnlen(comm, SNOOP_COMM_LEN), comm_plain);
}

/* Printable ASCII and space but '\\': no control byte reaches a terminal. */
static const bool text_plain[256] = {
	[0x20 ... 0x5b] = true,
	[0x5d ... 0x7e] = true,
};

void fmt_text_escape(struct strbuf *sb, const char *s, size_t n)
{
	fmt_hex_escape(sb, s, n, text_plain);
}

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

const char *fmt_attribution(int attribution)
{
	switch (attribution) {
	case SNOOP_ATTR_OWNER:
		return "owner";
	case SNOOP_ATTR_LISTENER:
		return "listener";
	case SNOOP_ATTR_SNAPSHOT:
		return "snapshot";
	default:
		return "unknown";
	}
}

const char *fmt_closed_by(int closed_by)
{
	switch (closed_by) {
	case SNOOP_CLOSED_LOCAL:
		return "local";
	case SNOOP_CLOSED_REMOTE:
		return "remote";
	case SNOOP_CLOSED_RESET:
		return "reset";
	default:
		return "unknown";
	}
}

const char *fmt_direction(int flags)
{
	if (flags & SNOOP_SF_ACTIVE)
		return "outbound";
	if (flags & SNOOP_SF_PASSIVE)
		return "inbound";
	return "unknown";
}

void fmt_duration(struct strbuf *sb, uint64_t ns, unsigned int unit_ns, const char *unit)
{
	/* Three decimals of @unit: seconds for durations, milliseconds for RTTs. */
	uint64_t thousandths = ns / (unit_ns / 1000);

	strbuf_u64(sb, thousandths / 1000);
	strbuf_char(sb, '.');
	strbuf_char(sb, (char)('0' + thousandths / 100 % 10));
	strbuf_char(sb, (char)('0' + thousandths / 10 % 10));
	strbuf_char(sb, (char)('0' + thousandths % 10));
	strbuf_str(sb, unit);
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
	switch (kind) {
	case SNOOP_KIND_STATE:
		return "State Change:";
	case SNOOP_KIND_RETRANSMIT:
		return "Retransmit:";
	case SNOOP_KIND_RESET_SENT:
		return "Reset Sent:";
	case SNOOP_KIND_RESET_RECV:
		return "Reset Received:";
	case SNOOP_KIND_ERROR:
		return "Connection Failed:";
	case SNOOP_KIND_CLOSE:
		return "Connection Summary:";
	default:
		return "Unknown Event:";
	}
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
	strbuf_str(sb, fmt_direction(e->flags));
	strbuf_str(sb, " CLOSED_BY=");
	strbuf_str(sb, fmt_closed_by(e->close.closed_by));
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
		strbuf_str(&sb, fmt_state_desc(e->new_state));
		strbuf_str(&sb, " ERROR=");
		fmt_errno(&sb, e->detail);
		break;
	case SNOOP_KIND_RESET_SENT:
		strbuf_str(&sb, " STATE=");
		strbuf_str(&sb, fmt_state_desc(e->new_state));
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
		strbuf_str(&sb, fmt_state_desc(e->new_state));
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
