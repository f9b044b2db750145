// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fmt_tcpsnoop.c - tcpsnoop and tcptop text (see fmt_tcpsnoop.h).
 *
 * The widths are the original's printf formats, reproduced without printf:
 * tcpsnoop prints every packet, so rows are assembled with struct strbuf.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "lib/text.h"
#include "packets/fmt.h"

#define STRTIME_LEN 20 /* "2005 Jul 11 21:21:19" */

/* @n spaces. */
static void pad(struct strbuf *sb, size_t n)
{
	static const char spaces[] = "                                        ";

	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		strbuf_mem(sb, spaces, k);
		n -= k;
	}
}

/* @s left-aligned in @width columns ("%-Ns"); longer text is not cut. */
static void str_left(struct strbuf *sb, const char *s, size_t width)
{
	size_t len = strlen(s);

	strbuf_mem(sb, s, len);
	if (len < width)
		pad(sb, width - len);
}

/* @s right-aligned in @width columns ("%Ns"). */
static void str_right(struct strbuf *sb, const char *s, size_t width)
{
	size_t len = strlen(s);

	if (len < width)
		pad(sb, width - len);
	strbuf_mem(sb, s, len);
}

/* @v right-aligned in @width columns ("%Nd" of a non-negative value). */
static void num_right(struct strbuf *sb, uint64_t v, size_t width)
{
	char tmp[24];
	struct strbuf t;

	strbuf_init(&t, tmp, sizeof(tmp));
	strbuf_u64(&t, v);
	str_right(sb, tmp, width);
}

/* @v left-aligned in @width columns ("%-Nd"). */
static void num_left(struct strbuf *sb, uint64_t v, size_t width)
{
	char tmp[24];
	struct strbuf t;

	strbuf_init(&t, tmp, sizeof(tmp));
	strbuf_u64(&t, v);
	str_left(sb, tmp, width);
}

/* An address left-aligned in @width columns. */
static void addr_left(struct strbuf *sb, const uint8_t addr[SNOOP_ADDR_LEN], size_t width)
{
	char tmp[FMT_ADDR_LEN];
	struct strbuf t;

	strbuf_init(&t, tmp, sizeof(tmp));
	fmt_addr(&t, addr);
	str_left(sb, tmp, width);
}

/*
 * DTrace's %Y: local time "2005 Jul 11 21:21:19" (ctime's day of month,
 * space-padded).  Cached per second: packets come in bursts.
 */
static void strtime(struct strbuf *sb, uint64_t wall_ns)
{
	static __thread time_t cached_sec = -1;
	static __thread char cached[32];
	static __thread size_t cached_len;
	time_t sec = (time_t)(wall_ns / 1000000000ull);

	if (sec != cached_sec) {
		struct tm tm;

		localtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y %b %e %H:%M:%S", &tm);
		cached_sec = sec;
	}
	strbuf_mem(sb, cached, cached_len);
}

static size_t finish(struct strbuf *sb, const char *buf, size_t size)
{
	strbuf_char(sb, '\n');
	return size ? (size_t)(sb->p - buf) : 0;
}

size_t fmt_tcpsnoop_header(char *buf, size_t size, unsigned int cols)
{
	size_t aw = cols & TCPSNOOP_COL_WIDE ? TCPSNOOP_ADDR_WIDTH_WIDE : TCPSNOOP_ADDR_WIDTH;
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	/* printf("%-14s ", "TIME"), ("%-20s ", "STRTIME"), ("%4s ", "ZONE"), ("%4s ", "PROJ") */
	if (cols & TCPSNOOP_COL_TIME) {
		str_left(&sb, "TIME", 14);
		strbuf_char(&sb, ' ');
	}
	if (cols & TCPSNOOP_COL_STRTIME) {
		str_left(&sb, "STRTIME", STRTIME_LEN);
		strbuf_char(&sb, ' ');
	}
	if (cols & TCPSNOOP_COL_ZONE)
		strbuf_str(&sb, "ZONE ");
	if (cols & TCPSNOOP_COL_PROJ)
		strbuf_str(&sb, "PROJ ");
	/* "%5s %6s %-15s %5s %2s %-15s %5s %5s %s\n" */
	strbuf_str(&sb, "  UID    PID ");
	str_left(&sb, "LADDR", aw);
	strbuf_str(&sb, " LPORT DR ");
	str_left(&sb, "RADDR", aw);
	strbuf_str(&sb, " RPORT  SIZE CMD");
	return finish(&sb, buf, size);
}

/* Payload bytes of the whole record, or -1 when the GSO fields do not add up. */
static int64_t gso_payload(const struct snoop_packet *p)
{
	uint64_t payload;

	if (p->segs <= 1 || !p->gso_size || p->ip_len < p->hdr_len)
		return -1;
	payload = p->ip_len - p->hdr_len;
	if (payload <= (uint64_t)(p->segs - 1) * p->gso_size)
		return -1;
	return (int64_t)payload;
}

unsigned int fmt_tcpsnoop_segments(const struct snoop_packet *p)
{
	return gso_payload(p) < 0 ? 1 : p->segs;
}

uint64_t fmt_tcpsnoop_size(const struct snoop_packet *p, unsigned int seg)
{
	int64_t payload = gso_payload(p);
	unsigned int last;

	if (payload < 0)
		return (uint64_t)p->ip_len + SNOOP_LINK_HDR_LEN;
	last = p->segs - 1u;
	if (seg < last)
		return (uint64_t)SNOOP_LINK_HDR_LEN + p->hdr_len + p->gso_size;
	return (uint64_t)SNOOP_LINK_HDR_LEN + p->hdr_len + (uint64_t)payload -
	       (uint64_t)last * p->gso_size;
}

/* The CMD of a packet: the owner's escaped name, or what stands for a missing owner. */
static void packet_cmd(struct strbuf *sb, uint8_t flags, const char comm[SNOOP_COMM_LEN])
{
	if (flags & SNOOP_PKT_CLOSED)
		strbuf_str(sb, "<closed>");
	else if (flags & SNOOP_PKT_NO_OWNER)
		strbuf_str(sb, "<unknown>");
	else
		fmt_comm(sb, comm);
}

size_t fmt_tcpsnoop_row(char *buf, size_t size, const struct snoop_packet *p, unsigned int seg,
			unsigned int cols, uint64_t wall_ns)
{
	size_t aw = cols & TCPSNOOP_COL_WIDE ? TCPSNOOP_ADDR_WIDTH_WIDE : TCPSNOOP_ADDR_WIDTH;
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	if (cols & TCPSNOOP_COL_TIME) {
		num_left(&sb, p->ts_ns / 1000, 14);
		strbuf_char(&sb, ' ');
	}
	if (cols & TCPSNOOP_COL_STRTIME) {
		strtime(&sb, wall_ns);
		strbuf_char(&sb, ' ');
	}
	if (cols & TCPSNOOP_COL_ZONE) {
		num_right(&sb, p->netns, 4);
		strbuf_char(&sb, ' ');
	}
	if (cols & TCPSNOOP_COL_PROJ) {
		num_right(&sb, p->owner.cgroup_id, 4);
		strbuf_char(&sb, ' ');
	}
	/* "%5d %6d %-15s %5d %2s %-15s %5d %5d %s\n" */
	num_right(&sb, p->owner.uid, 5);
	strbuf_char(&sb, ' ');
	num_right(&sb, p->owner.pid, 6);
	strbuf_char(&sb, ' ');
	addr_left(&sb, p->laddr, aw);
	strbuf_char(&sb, ' ');
	num_right(&sb, p->lport, 5);
	strbuf_str(&sb, p->flags & SNOOP_PKT_EGRESS ? " -> " : " <- ");
	addr_left(&sb, p->raddr, aw);
	strbuf_char(&sb, ' ');
	num_right(&sb, p->rport, 5);
	strbuf_char(&sb, ' ');
	num_right(&sb, fmt_tcpsnoop_size(p, seg), 5);
	strbuf_char(&sb, ' ');
	packet_cmd(&sb, p->flags, p->owner.comm);
	return finish(&sb, buf, size);
}

size_t fmt_tcptop_status(char *buf, size_t size, uint64_t wall_ns, uint64_t load_centi,
			 uint64_t in_kb, uint64_t out_kb)
{
	struct strbuf sb;

	/* "%Y,  load: %d.%02d,  TCPin: %6d KB,  TCPout: %6d KB\n\n" */
	strbuf_init(&sb, buf, size);
	strtime(&sb, wall_ns);
	strbuf_str(&sb, ",  load: ");
	strbuf_u64(&sb, load_centi / 100);
	strbuf_char(&sb, '.');
	strbuf_char(&sb, (char)('0' + load_centi / 10 % 10));
	strbuf_char(&sb, (char)('0' + load_centi % 10));
	strbuf_str(&sb, ",  TCPin: ");
	num_right(&sb, in_kb, 6);
	strbuf_str(&sb, " KB,  TCPout: ");
	num_right(&sb, out_kb, 6);
	strbuf_str(&sb, " KB\n");
	return finish(&sb, buf, size);
}

size_t fmt_tcptop_header(char *buf, size_t size, enum tcptop_id id)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	strbuf_str(&sb, id == TCPTOP_ID_PROJ ? "PROJ " : id == TCPTOP_ID_ZONE ? "ZONE " : " UID ");
	/* "%6s %-15s %5s %-15s %5s %9s %s\n" */
	strbuf_str(&sb, "   PID LADDR           LPORT RADDR           RPORT      SIZE NAME");
	return finish(&sb, buf, size);
}

size_t fmt_tcptop_row(char *buf, size_t size, const struct snoop_conn_key *key,
		      const struct snoop_conn_bytes *val, enum tcptop_id id)
{
	struct strbuf sb;
	uint64_t first = id == TCPTOP_ID_PROJ ? val->cgroup_id :
			 id == TCPTOP_ID_ZONE ? key->netns :
						val->uid;

	/* "%4d %6d %-15s %5d %-15s %5d %9d %s\n" */
	strbuf_init(&sb, buf, size);
	num_right(&sb, first, 4);
	strbuf_char(&sb, ' ');
	num_right(&sb, key->pid, 6);
	strbuf_char(&sb, ' ');
	addr_left(&sb, key->laddr, TCPSNOOP_ADDR_WIDTH);
	strbuf_char(&sb, ' ');
	num_right(&sb, key->lport, 5);
	strbuf_char(&sb, ' ');
	addr_left(&sb, key->raddr, TCPSNOOP_ADDR_WIDTH);
	strbuf_char(&sb, ' ');
	num_right(&sb, key->rport, 5);
	strbuf_char(&sb, ' ');
	num_right(&sb, val->bytes, 9);
	strbuf_char(&sb, ' ');
	packet_cmd(&sb, key->flags, val->comm);
	return finish(&sb, buf, size);
}

int fmt_parse_loadavg(const char *text, uint64_t *centi)
{
	uint64_t whole = 0, frac = 0;
	int digits = 0;
	const char *s = text;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9')
		whole = whole * 10 + (uint64_t)(*s++ - '0');
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			/* Hundredths, truncated as the original's integer arithmetic. */
			if (digits < 2)
				frac = frac * 10 + (uint64_t)(*s - '0');
			digits++;
		}
	}
	if (*s && *s != ' ' && *s != '\n')
		return -EINVAL;
	while (digits < 2) {
		frac *= 10;
		digits++;
	}
	*centi = whole * 100 + frac;
	return 0;
}
