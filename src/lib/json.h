/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * json.h - a streaming JSON writer over a strbuf.  Strings are escaped
 * completely: '"', '\\', every byte below 0x20 and DEL as \u00XX, the
 * characters a terminal or viewer would obey instead of showing (C1 controls,
 * bidirectional marks, overrides and isolates, line and paragraph
 * separators) as \u escapes, and invalid UTF-8 replaced by U+FFFD, so any byte
 * string makes valid JSON that is safe to tail on a terminal.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "lib/text.h"

#define JSON_MAX_DEPTH 8

struct json {
	struct strbuf *sb;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, struct strbuf *sb);

/* Append @s (@n bytes) as the inside of a JSON string, escaped completely. */
void json_escape(struct strbuf *sb, const char *s, size_t n);

/*
 * Keys are this program's own string literals: no escaping, and the whole
 * '"key":' fragment is built at compile time (JSON_KEY), so a member costs a
 * comma and one fixed-size copy.  The functions below take the fragment and
 * its length (JSON_K); the macros of the same names without the underscore
 * take the bare key.  The members are inline: an object has dozens of them.
 */
#define JSON_KEY(key) ("\"" key "\":")
#define JSON_K(key) JSON_KEY(key), sizeof(JSON_KEY(key)) - 1

#define JSON_INLINE static inline __attribute__((always_inline))

/* Comma and key fragment (@kn bytes; 0 for none) before a member or element. */
JSON_INLINE void json_member_(struct json *j, const char *kfrag, size_t kn)
{
	if (j->need_comma[j->depth])
		strbuf_char(j->sb, ',');
	j->need_comma[j->depth] = true;
	if (kn)
		strbuf_mem(j->sb, kfrag, kn);
}

JSON_INLINE void json_open_(struct json *j, const char *kfrag, size_t kn, char c)
{
	json_member_(j, kfrag, kn);
	strbuf_char(j->sb, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

JSON_INLINE void json_close_(struct json *j, char c)
{
	strbuf_char(j->sb, c);
	if (j->depth > 0)
		j->depth--;
}

/* A string member from data (@n bytes): escaped. */
JSON_INLINE void json_mem_(struct json *j, const char *kfrag, size_t kn, const char *s, size_t n)
{
	json_member_(j, kfrag, kn);
	strbuf_char(j->sb, '"');
	json_escape(j->sb, s, n);
	strbuf_char(j->sb, '"');
}

/*
 * A string member whose value this program wrote itself and that needs no
 * escaping (a literal, an address, a number, a state or errno name).
 */
JSON_INLINE void json_litn_(struct json *j, const char *kfrag, size_t kn, const char *s, size_t n)
{
	json_member_(j, kfrag, kn);
	strbuf_char(j->sb, '"');
	strbuf_mem(j->sb, s, n);
	strbuf_char(j->sb, '"');
}

JSON_INLINE void json_lit_(struct json *j, const char *kfrag, size_t kn, const char *s)
{
	json_litn_(j, kfrag, kn, s, strlen(s));
}

JSON_INLINE void json_u64_(struct json *j, const char *kfrag, size_t kn, uint64_t v)
{
	json_member_(j, kfrag, kn);
	strbuf_u64(j->sb, v);
}

JSON_INLINE void json_i64_(struct json *j, const char *kfrag, size_t kn, int64_t v)
{
	json_member_(j, kfrag, kn);
	strbuf_i64(j->sb, v);
}

JSON_INLINE void json_bool_(struct json *j, const char *kfrag, size_t kn, bool v)
{
	json_member_(j, kfrag, kn);
	strbuf_str(j->sb, v ? "true" : "false");
}

/*
 * The cursor writer, for the one object written per event (fmt_json_event()):
 * plain appends at a char * with no bounds checks and no NUL, the caller
 * having made room for the largest object first.  The checked writer above
 * keeps its position in memory, where each byte it stores might alias it, so
 * the compiler reloads it after every byte; a cursor in a local variable stays
 * in a register.  That halved the cost of an event (make bench, JSON storm).
 */
JSON_INLINE char *json_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/*
 * The version of the Elastic Common Schema our objects follow, which ECS asks
 * every event to carry as ecs.version (the events and the diagnostics alike).
 */
#define ECS_VERSION "8.11.0"

/* A literal (a fixed run of the object's keys and punctuation) at the cursor. */
#define JSON_PUT(p, lit) json_put((p), "" lit, sizeof(lit) - 1)

/* @s (@n bytes) escaped as json_escape() does, at most 6 * @n bytes; returns the end. */
char *json_put_escaped(char *p, const char *s, size_t n);

/* An object with no key: the top-level value or an element of an array. */
#define json_value_begin(j) json_open_((j), NULL, 0, '{')
#define json_array_value_begin(j) json_open_((j), NULL, 0, '[')
#define json_object_begin(j, key) json_open_((j), JSON_K(key), '{')
#define json_object_end(j) json_close_((j), '}')
#define json_array_begin(j, key) json_open_((j), JSON_K(key), '[')
#define json_array_end(j) json_close_((j), ']')
#define json_mem(j, key, s, n) json_mem_((j), JSON_K(key), (s), (n))
#define json_str(j, key, s) json_mem(j, key, (s), strlen(s))
#define json_lit(j, key, s) json_lit_((j), JSON_K(key), (s))
#define json_litn(j, key, s, n) json_litn_((j), JSON_K(key), (s), (n))
#define json_u64(j, key, v) json_u64_((j), JSON_K(key), (v))
#define json_i64(j, key, v) json_i64_((j), JSON_K(key), (v))
#define json_bool(j, key, v) json_bool_((j), JSON_K(key), (v))

#endif
