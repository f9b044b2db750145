/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * json.h - a streaming JSON writer over a strbuf.  Strings are escaped
 * completely: '"', '\\', every byte below 0x20 and DEL as \u00XX, and
 * invalid UTF-8 replaced by U+FFFD, so any byte string makes valid JSON.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fmt.h"

#define JSON_MAX_DEPTH 8

struct json {
	struct strbuf *sb;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, struct strbuf *sb);

/* Open/close an object or array; @key is NULL inside arrays and at the top. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

/* Members (or array elements when @key is NULL).  Keys are literals: not escaped. */
void json_str(struct json *j, const char *key, const char *s);
void json_mem(struct json *j, const char *key, const char *s, size_t n);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);

/* The escaped body of a JSON string (no quotes) for @n bytes of @s. */
void json_escape(struct strbuf *sb, const char *s, size_t n);

#endif
