/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * text.h - the text every format is made of: an append-only buffer over
 * caller memory, numbers, addresses, and the escapes that keep outside
 * bytes (command names, paths) from forging a line or reaching a terminal.
 * Pure functions; no allocation, no stdio.
 */
#ifndef LIB_TEXT_H
#define LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "snoop_abi.h"

#define FMT_ADDR_LEN 48	  /* "[ffff:...:ffff]:65535" and a NUL */
#define FMT_COMM_LEN 65	  /* 16 bytes escaped as \xNN and a NUL */
#define FMT_TIME_LEN 32	  /* "Dec 30 2024 22:05:25.454" and a NUL */
#define FMT_LINE_MAX 8192 /* longest log line or JSON object, twice over */
#define FMT_U64_LEN 20	  /* digits of UINT64_MAX */
/* Room for "2024-12-30T22:05:25.454123456Z", with any year strftime writes. */
#define FMT_RFC3339_LEN 48

/* Append-only text buffer over caller memory; output is truncated, never overrun. */
struct strbuf {
	char *p;
	char *end; /* one past the last usable byte (a NUL is kept after p) */
};

void strbuf_init(struct strbuf *sb, char *buf, size_t size);

/* The per-character primitives are inline: formatting calls them for every byte. */
static inline __attribute__((always_inline)) void strbuf_mem(struct strbuf *sb, const char *s,
							     size_t n)
{
	size_t room = (size_t)(sb->end - sb->p);

	if (n > room)
		n = room;
	/*
	 * Most pieces are short (keys, numbers, names): two fixed-size copies
	 * that overlap cover 4 to 16 bytes without a call to memcpy().  Both
	 * stay inside s[0..n); cppcheck mixes up the branches of call sites.
	 */
	if (n >= 8 && n <= 16) {
		memcpy(sb->p, s, 8);
		// cppcheck-suppress pointerOutOfBoundsCond
		memcpy(sb->p + n - 8, s + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(sb->p, s, 4);
		// cppcheck-suppress pointerOutOfBoundsCond
		memcpy(sb->p + n - 4, s + n - 4, 4);
	} else {
		memcpy(sb->p, s, n);
	}
	sb->p += n;
	*sb->p = '\0';
}

static inline __attribute__((always_inline)) void strbuf_str(struct strbuf *sb, const char *s)
{
	strbuf_mem(sb, s, strlen(s));
}

static inline void strbuf_char(struct strbuf *sb, char c)
{
	if (sb->p < sb->end) {
		*sb->p++ = c;
		*sb->p = '\0';
	}
}

/*
 * @v in decimal at @p, which has room for FMT_U64_LEN bytes; no NUL.  Returns
 * the end.  For writers that made room for their whole output (fmt_json.c).
 */
char *fmt_put_u64(char *p, uint64_t v);

/* The same for a signed number: a '-' and FMT_U64_LEN digits at most. */
char *fmt_put_i64(char *p, int64_t v);

void strbuf_u64(struct strbuf *sb, uint64_t v);
void strbuf_i64(struct strbuf *sb, int64_t v);

/* An address as text: IPv4, IPv6, or IPv4 for an IPv4-mapped IPv6 address. */
void fmt_addr(struct strbuf *sb, const uint8_t addr[SNOOP_ADDR_LEN]);

/* "10.0.0.1:80" or "[2001:db8::1]:443". */
void fmt_endpoint(struct strbuf *sb, const uint8_t addr[SNOOP_ADDR_LEN], uint16_t port);

/*
 * Cursor writers for formatters that made room for a whole line (fmt_log.c,
 * fmt_json.c): @p has room for what they write (FMT_ADDR_LEN for an address
 * or an endpoint, 4 bytes per byte of a command name); no NUL.  They return
 * the end.  The strbuf functions above are these, bounded.
 */
char *fmt_put_addr(char *p, const uint8_t addr[SNOOP_ADDR_LEN]);
char *fmt_put_endpoint(char *p, const uint8_t addr[SNOOP_ADDR_LEN], uint16_t port);
char *fmt_put_comm(char *p, const char comm[SNOOP_COMM_LEN]);

/* @n bytes of @s at @p; the end. */
static inline __attribute__((always_inline)) char *fmt_put_mem(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* A string literal at @p, its length known at compile time. */
#define FMT_PUT(p, lit) fmt_put_mem((p), "" lit, sizeof(lit) - 1)

/*
 * The end of a cursor writer's run: the @len bytes it wrote at @at are
 * NUL-terminated in @buf (@size bytes), copied there and cut short to fit,
 * as every strbuf writer is, when @at is not @buf.  The length kept.  A
 * writer runs at @buf when @size holds FMT_LINE_MAX, else at a room of that.
 */
size_t fmt_cursor_end(char *buf, size_t size, const char *at, size_t len);

/*
 * A command name made safe for a log line: bytes outside printable ASCII,
 * space, '\\' and '=' become \xNN, so a process name cannot forge a line or a field.
 */
void fmt_comm(struct strbuf *sb, const char comm[SNOOP_COMM_LEN]);

/*
 * @n bytes of outside text (a path, a message) made safe for a terminal:
 * bytes outside printable ASCII, and '\\', become \xNN.
 */
void fmt_text_escape(struct strbuf *sb, const char *s, size_t n);

/*
 * The code point of the UTF-8 sequence at @s (@n bytes left, at least 1),
 * its length in *@len; *@len is 0 when the sequence is not valid UTF-8
 * (cut, overlong, a surrogate, above U+10FFFF: RFC 3629).
 */
uint32_t fmt_utf8_decode(const unsigned char *s, size_t n, size_t *len);

/*
 * A character a terminal or viewer obeys rather than shows (C0 and C1
 * controls, DEL, bidirectional controls, line and paragraph separators):
 * what every writer of outside text (json.c, prom.c) escapes or replaces.
 */
bool fmt_obeyed(uint32_t cp);

/* @ns in @unit (@unit_ns ns each, a multiple of 1000) with three decimals: "1.234s". */
void fmt_duration(struct strbuf *sb, uint64_t ns, unsigned int unit_ns, const char *unit);

/* "2024-12-30T22:05:25.454123456Z" (RFC 3339, UTC, nanoseconds). */
void fmt_rfc3339(struct strbuf *sb, uint64_t wall_ns);

/* The same at the cursor @p, which has FMT_RFC3339_LEN bytes of room; no NUL.  The end. */
char *fmt_put_rfc3339(char *p, uint64_t wall_ns);

#endif
