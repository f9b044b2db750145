// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* text.c - text buffer, numbers, addresses and escapes for every format (see text.h). */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "lib/text.h"

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

size_t fmt_cursor_end(char *buf, size_t size, const char *at, size_t len)
{
	struct strbuf sb;

	if (at == buf) {
		buf[len] = '\0';
		return len;
	}
	strbuf_init(&sb, buf, size);
	strbuf_mem(&sb, at, len);
	return size ? (size_t)(sb.p - buf) : 0;
}

/* Two digits per entry: numbers are in every field of every event. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
				     "25262728293031323334353637383940414243444546474849"
				     "50515253545556575859606162636465666768697071727374"
				     "75767778798081828384858687888990919293949596979899";

/* The two digits of @v (below 100) at @p. */
static inline __attribute__((always_inline)) char *put_2digits(char *p, uint32_t v)
{
	memcpy(p, &digit_pairs[v * 2], 2);
	return p + 2;
}

/* Decimal digits of @v, 1 for 0. */
static inline unsigned int u64_digits(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull,
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
	/*
	 * From the bit length, without a loop over the powers of ten (it cost
	 * a third of this function, JSON storm): 1233 / 4096 is just above
	 * log10(2), so @t is the digit count or one less.  v | 1 has as many
	 * digits as v (a power of ten is even) and gives 0 its one digit.
	 */
	unsigned int t = ((unsigned int)(64 - __builtin_clzll(v | 1)) * 1233) >> 12;

	return t + ((v | 1) >= pow10[t]);
}

char *fmt_put_u64(char *p, uint64_t v)
{
	unsigned int n = u64_digits(v);
	char *q = p + n;
	uint32_t w;

	/* Written in place, right to left. */
	while (v > UINT32_MAX) {
		q -= 2;
		put_2digits(q, (uint32_t)(v % 100));
		v /= 100;
	}
	/* 32-bit divisions from here: most numbers (ports, pids, counts) start here. */
	w = (uint32_t)v;
	while (w >= 100) {
		q -= 2;
		put_2digits(q, w % 100);
		w /= 100;
	}
	if (w >= 10)
		put_2digits(q - 2, w);
	else
		q[-1] = (char)('0' + w);
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

static int addr_is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

char *fmt_put_addr(char *p, const uint8_t addr[SNOOP_ADDR_LEN])
{
	if (addr_is_v4_mapped(addr)) {
		for (int i = 12; i < 16; i++) {
			unsigned int v = addr[i];

			/* An octet: at most three digits, no general number formatting. */
			if (i > 12)
				*p++ = '.';
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
		}
		return p;
	}
	/* INET6_ADDRSTRLEN (46) is within FMT_ADDR_LEN. */
	if (!inet_ntop(AF_INET6, addr, p, INET6_ADDRSTRLEN))
		return p;
	return p + strlen(p);
}

char *fmt_put_endpoint(char *p, const uint8_t addr[SNOOP_ADDR_LEN], uint16_t port)
{
	int v6 = !addr_is_v4_mapped(addr);

	if (v6)
		*p++ = '[';
	p = fmt_put_addr(p, addr);
	if (v6)
		*p++ = ']';
	*p++ = ':';
	return fmt_put_u64(p, port);
}

void fmt_addr(struct strbuf *sb, const uint8_t addr[SNOOP_ADDR_LEN])
{
	char text[FMT_ADDR_LEN];

	strbuf_mem(sb, text, (size_t)(fmt_put_addr(text, addr) - text));
}

void fmt_endpoint(struct strbuf *sb, const uint8_t addr[SNOOP_ADDR_LEN], uint16_t port)
{
	char text[FMT_ADDR_LEN + FMT_U64_LEN];

	strbuf_mem(sb, text, (size_t)(fmt_put_endpoint(text, addr, port) - text));
}

/*
 * @n bytes of @s at @p (room for 4 bytes per byte), each byte that @plain
 * does not mark written as \xNN: one loop for command names and
 * diagnostics, with their own tables.
 */
static inline __attribute__((always_inline)) char *put_hex_escape(char *p, const char *s, size_t n,
								  const bool plain[256])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (plain[c]) {
			*p++ = (char)c;
			continue;
		}
		*p++ = '\\';
		*p++ = 'x';
		*p++ = hex[c >> 4];
		*p++ = hex[c & 15];
	}
	return p;
}

/* Printable ASCII but space, '\\' and '=': a name can never forge a field. */
static const bool comm_plain[256] = {
	[0x21 ... 0x3c] = true, /* '=' is 0x3d */
	[0x3e ... 0x5b] = true, /* '\\' is 0x5c */
	[0x5d ... 0x7e] = true,
};

char *fmt_put_comm(char *p, const char comm[SNOOP_COMM_LEN])
{
	return put_hex_escape(p, comm, strnlen(comm, SNOOP_COMM_LEN), comm_plain);
}

void fmt_comm(struct strbuf *sb, const char comm[SNOOP_COMM_LEN])
{
	char text[4 * SNOOP_COMM_LEN];

	strbuf_mem(sb, text, (size_t)(fmt_put_comm(text, comm) - text));
}

/* Printable ASCII and space but '\\': no control byte reaches a terminal. */
static const bool text_plain[256] = {
	[0x20 ... 0x5b] = true,
	[0x5d ... 0x7e] = true,
};

void fmt_text_escape(struct strbuf *sb, const char *s, size_t n)
{
	char text[4 * 64];

	/* In pieces: outside text may be long (a path), the buffer only so far. */
	while (n && sb->p < sb->end) {
		size_t k = n < 64 ? n : 64;

		strbuf_mem(sb, text, (size_t)(put_hex_escape(text, s, k, text_plain) - text));
		s += k;
		n -= k;
	}
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

char *fmt_put_rfc3339(char *p, uint64_t wall_ns)
{
	/* gmtime_r and strftime are slow; events come in bursts within one second. */
	static __thread time_t cached_sec = -1;
	static __thread char cached[32];
	static __thread size_t cached_len;
	time_t sec = (time_t)(wall_ns / 1000000000ull);
	/* 32-bit arithmetic: the nanoseconds are below 10^9. */
	uint32_t frac = (uint32_t)(wall_ns % 1000000000ull);
	uint32_t low = frac % 100000000u;

	if (sec != cached_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S.", &tm);
		cached_sec = sec;
	}
	p = fmt_put_mem(p, cached, cached_len);
	/* Nine digits: one, then four pairs. */
	*p++ = (char)('0' + frac / 100000000u);
	p = put_2digits(p, low / 1000000u);
	p = put_2digits(p, low / 10000u % 100u);
	p = put_2digits(p, low / 100u % 100u);
	p = put_2digits(p, low % 100u);
	*p++ = 'Z';
	return p;
}

void fmt_rfc3339(struct strbuf *sb, uint64_t wall_ns)
{
	char text[FMT_RFC3339_LEN];

	strbuf_mem(sb, text, (size_t)(fmt_put_rfc3339(text, wall_ns) - text));
}

/*
 * The code point of the UTF-8 sequence at @s (@n bytes left), its length in
 * @len; @len is 0 when the sequence is not valid UTF-8: cut, overlong, a
 * surrogate, above U+10FFFF (RFC 3629).
 */
uint32_t fmt_utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
	static const uint32_t shortest[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	size_t k;

	*len = 0;
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		k = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		k = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		k = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < shortest[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*len = k;
	return cp;
}

/*
 * A character a terminal or viewer obeys rather than shows: C0 and C1
 * controls and DEL (an ESC starts a terminal sequence), the bidirectional
 * marks, embeddings, overrides and isolates, which reorder the text around
 * them, and the line and paragraph separators, which some readers break
 * lines at.
 */
bool fmt_obeyed(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}
