/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fuzz_util.h - helpers shared by the libFuzzer targets: an argv built from
 * the input, a strict JSON Lines checker, a byte reader.  Failures abort(),
 * which libFuzzer reports as a crash with the input that caused it.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_ARGS 64

/* Abort with a message: the fuzzer keeps the input as a crash. */
static inline void fuzz_fail(const char *what, const char *text, size_t len)
{
	fprintf(stderr, "fuzz: %s in %zu bytes: \"%.*s\"\n", what, len, (int)len, text);
	abort();
}

/*
 * A text line a formatter wrote into @size bytes: @n of them, ending in its
 * newline and a NUL, every other byte printable ASCII.  @what names it.
 */
static inline void fuzz_check_line(const char *what, const char *line, size_t n, size_t size)
{
	if (n < 1 || n >= size || line[n - 1] != '\n' || line[n] != '\0')
		fuzz_fail(what, line, n);
	for (size_t i = 0; i + 1 < n; i++) {
		unsigned char b = (unsigned char)line[i];

		if (b < 0x20 || b > 0x7e)
			fuzz_fail(what, line, n);
	}
}

/*
 * The input split on NUL bytes into a NULL-terminated argv, argv[0] = @prog.
 * Returns argc, or -1 (input ignored) when there are too many arguments.
 * The strings live in @store (freed by the caller), each its own allocation
 * so ASan sees a read past any one of them.
 */
static inline int fuzz_argv(const uint8_t *data, size_t size, const char *prog, char **argv,
			    char ***store)
{
	int argc = 0;
	size_t start = 0;

	*store = argv;
	argv[argc++] = strdup(prog);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\0')
			continue;
		if (argc >= FUZZ_MAX_ARGS - 1) {
			argv[argc] = NULL;
			return -1;
		}
		argv[argc] = malloc(i - start + 1);
		memcpy(argv[argc], data + start, i - start);
		argv[argc][i - start] = '\0';
		argc++;
		start = i + 1;
	}
	argv[argc] = NULL;
	return argc;
}

static inline void fuzz_argv_free(char **argv)
{
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
}

/* ---- a strict JSON checker (RFC 8259), for one object per line ---- */

struct jcheck {
	const unsigned char *p, *end;
	int depth;
};

static inline bool jc_value(struct jcheck *c);

static inline void jc_ws(struct jcheck *c)
{
	/* No newline, tab or CR inside a JSON Lines object: a space only. */
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/* One UTF-8 sequence (shortest form, no surrogates, <= U+10FFFF). */
static inline bool jc_utf8(struct jcheck *c)
{
	unsigned char b = *c->p;
	int n;
	uint32_t cp;

	if (b < 0x80) {
		c->p++;
		return true;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 1;
		cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 2;
		cp = b & 0x0f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 3;
		cp = b & 0x07;
	} else {
		return false;
	}
	if (c->end - c->p <= n)
		return false;
	for (int i = 1; i <= n; i++) {
		if ((c->p[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (c->p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	c->p += n + 1;
	return true;
}

static inline bool jc_string(struct jcheck *c)
{
	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end) {
		unsigned char b = *c->p;

		if (b == '"') {
			c->p++;
			return true;
		}
		/* Raw control bytes (and DEL, which the e2e checks reject too). */
		if (b < 0x20 || b == 0x7f)
			return false;
		if (b == '\\') {
			if (c->end - c->p < 2)
				return false;
			switch (c->p[1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				c->p += 2;
				break;
			case 'u':
				if (c->end - c->p < 6)
					return false;
				for (int i = 2; i < 6; i++) {
					unsigned char h = c->p[i];

					if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
					      (h >= 'A' && h <= 'F')))
						return false;
				}
				c->p += 6;
				break;
			default:
				return false;
			}
			continue;
		}
		if (!jc_utf8(c))
			return false;
	}
	return false;
}

static inline bool jc_number(struct jcheck *c)
{
	const unsigned char *s = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end)
		return false;
	if (*c->p == '0') {
		c->p++;
	} else if (*c->p >= '1' && *c->p <= '9') {
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	} else {
		return false;
	}
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return false;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return false;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	return c->p > s;
}

static inline bool jc_word(struct jcheck *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return false;
	c->p += n;
	return true;
}

static inline bool jc_container(struct jcheck *c, char close)
{
	bool object = close == '}';

	if (++c->depth > 64)
		return false;
	c->p++;
	jc_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return true;
	}
	for (;;) {
		jc_ws(c);
		if (object) {
			if (!jc_string(c))
				return false;
			jc_ws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return false;
			jc_ws(c);
		}
		if (!jc_value(c))
			return false;
		jc_ws(c);
		if (c->p >= c->end)
			return false;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p != close)
			return false;
		c->p++;
		c->depth--;
		return true;
	}
}

static inline bool jc_value(struct jcheck *c)
{
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{':
		return jc_container(c, '}');
	case '[':
		return jc_container(c, ']');
	case '"':
		return jc_string(c);
	case 't':
		return jc_word(c, "true");
	case 'f':
		return jc_word(c, "false");
	case 'n':
		return jc_word(c, "null");
	default:
		return jc_number(c);
	}
}

/*
 * Abort unless @text (@len bytes, as returned by the formatter) is exactly
 * one JSON object and a newline, NUL-terminated at @len, valid UTF-8, with
 * no raw control byte.
 */
static inline void fuzz_check_json_line(const char *text, size_t len)
{
	struct jcheck c = { (const unsigned char *)text, (const unsigned char *)text + len, 0 };

	if (len < 3 || text[len - 1] != '\n')
		fuzz_fail("JSON line without its newline", text, len);
	if (text[len] != '\0' || strlen(text) != len)
		fuzz_fail("returned length is not the string's", text, len);
	c.end--; /* the newline */
	if (*c.p != '{' || !jc_value(&c) || c.p != c.end)
		fuzz_fail("not one valid JSON object", text, len);
}

/* Consume @n bytes of fuzz input into @dst (zero-filled when the input runs out). */
static inline void fuzz_take(const uint8_t **data, size_t *size, void *dst, size_t n)
{
	size_t k = *size < n ? *size : n;

	memset(dst, 0, n);
	if (k)
		memcpy(dst, *data, k);
	*data += k;
	*size -= k;
}

#endif
