// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* json.c - streaming JSON writer with complete escaping (see json.h). */
#include <stdint.h>
#include <string.h>

#include "lib/json.h"

void json_init(struct json *j, struct strbuf *sb)
{
	memset(j, 0, sizeof(*j));
	j->sb = sb;
}

/*
 * Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0 when it
 * is invalid: overlong forms, surrogates and code points above U+10FFFF are
 * invalid too (RFC 3629).
 */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * The code point of the valid sequence at @s (@len bytes) when a terminal or
 * a viewer would act on it rather than show it, else 0: the C1 controls
 * U+0080..U+009F (U+009B is a CSI), the bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E..U+200F, U+202A..U+202E,
 * U+2066..U+2069), which reorder what is shown around them, and the line and
 * paragraph separators U+2028..U+2029, which some readers take as newlines.
 */
static uint32_t utf8_controls_cp(const unsigned char *s, size_t len)
{
	uint32_t cp;

	if (len == 2) {
		cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c ? cp : 0;
	}
	if (len != 3 || s[0] != 0xe2)
		return 0;
	cp = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	if ((cp >= 0x200e && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

/* Bytes copied as they are: printable ASCII but '"' and '\\'. */
static const bool plain[256] = {
	[0x20 ... 0x21] = true, /* '"' is 0x22 */
	[0x23 ... 0x5b] = true, /* '\\' is 0x5c */
	[0x5d ... 0x7e] = true,
};

void json_escape(struct strbuf *sb, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		size_t run = i, len;
		unsigned char c;

		/* Copy runs of plain printable ASCII in one go: the common case. */
		while (run < n && plain[s[run]])
			run++;
		if (run > i) {
			strbuf_mem(sb, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		c = s[i];
		if (c == '"' || c == '\\') {
			strbuf_char(sb, '\\');
			strbuf_char(sb, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_str(sb, "\\u00");
			strbuf_char(sb, hex[c >> 4]);
			strbuf_char(sb, hex[c & 15]);
			i++;
		} else if ((len = utf8_seq_len(s + i, n - i)) > 0) {
			uint32_t cp = utf8_controls_cp(s + i, len);

			if (cp) {
				/* A terminal tailing the log would obey it: written as a \u escape of four hex digits. */
				strbuf_str(sb, "\\u");
				strbuf_char(sb, hex[cp >> 12]);
				strbuf_char(sb, hex[(cp >> 8) & 15]);
				strbuf_char(sb, hex[(cp >> 4) & 15]);
				strbuf_char(sb, hex[cp & 15]);
			} else {
				strbuf_mem(sb, (const char *)s + i, len);
			}
			i += len;
		} else {
			strbuf_str(sb, "\xef\xbf\xbd"); /* U+FFFD for one invalid byte */
			i++;
		}
	}
}

char *json_put_escaped(char *p, const char *s, size_t n)
{
	struct strbuf sb;

	/* One byte more than the worst case: the strbuf keeps a NUL after its text. */
	strbuf_init(&sb, p, 6 * n + 1);
	json_escape(&sb, s, n);
	return sb.p;
}
