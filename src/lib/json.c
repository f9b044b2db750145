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
		uint32_t cp;

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
		} else {
			cp = fmt_utf8_decode(s + i, n - i, &len);
			if (!len) {
				strbuf_str(sb, "\xef\xbf\xbd"); /* U+FFFD for one invalid byte */
				i++;
			} else if (fmt_obeyed(cp)) {
				/* A terminal tailing the log would obey it: a \u escape of four hex digits. */
				strbuf_str(sb, "\\u");
				strbuf_char(sb, hex[cp >> 12]);
				strbuf_char(sb, hex[(cp >> 8) & 15]);
				strbuf_char(sb, hex[(cp >> 4) & 15]);
				strbuf_char(sb, hex[cp & 15]);
				i += len;
			} else {
				strbuf_mem(sb, (const char *)s + i, len);
				i += len;
			}
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
