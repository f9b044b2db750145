// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_http.c - the metrics endpoint's request-head parser (http_parse) on
 * any bytes, as a hostile client would send them.  Besides memory errors,
 * it checks the contract of http.h: an answer is 0, a head length within
 * the bytes given, or one of the five refusals; a complete head ends in an
 * empty line and holds a GET or HEAD of a kept path; and the answer never
 * depends on how the bytes arrived: whole, in two pieces, a byte (or a
 * chunk) at a time, or followed by more, up past HTTP_HEAD_MAX (the input
 * repeated), where 0 is no longer an answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/http.h"

/* Bytes of the input repeated: past HTTP_HEAD_MAX, which the fuzzer's -max_len is below. */
#define TILED_LEN (HTTP_HEAD_MAX + 64)

static const char *data_text;
static size_t data_len;

static void check(bool ok, const char *what)
{
	if (!ok)
		fuzz_fail(what, data_text, data_len);
}

static bool is_answer(int rc, size_t len)
{
	size_t max = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;

	if (rc > 0)
		return (size_t)rc <= max;
	switch (-rc) {
	case 0:
		return len < HTTP_HEAD_MAX;
	case HTTP_BAD_REQUEST:
	case HTTP_METHOD_NOT_ALLOWED:
	case HTTP_URI_TOO_LONG:
	case HTTP_FIELDS_TOO_LARGE:
	case HTTP_VERSION_NOT_SUPPORTED:
		return true;
	}
	return false;
}

/* A head accepted in @len bytes of @buf: what http.h promises of it. */
static void check_head(const struct http_req *r, const char *buf, int len)
{
	check(len >= 2 && buf[len - 1] == '\n' &&
		      (buf[len - 2] == '\n' ||
		       (len >= 3 && buf[len - 2] == '\r' && buf[len - 3] == '\n')),
	      "head does not end in an empty line");
	check(r->method == HTTP_METHOD_GET || r->method == HTTP_METHOD_HEAD,
	      "head accepted for a method other than GET and HEAD");
	check(r->minor <= 1, "version other than 1.0 or 1.1");
	check(strnlen(r->path, sizeof(r->path)) <= HTTP_TARGET_MAX && r->path[0] == '/',
	      "path not kept");
	check(strnlen(r->query, sizeof(r->query)) <= HTTP_TARGET_MAX, "query not kept");
	check(!memchr(r->path, '?', strlen(r->path)), "query left in the path");
}

/* The public part of two requests is the same. */
static bool same_request(const struct http_req *a, const struct http_req *b)
{
	return !memcmp(a, b, offsetof(struct http_req, st));
}

/* @buf (@size bytes) given @step bytes at a time to one parser: its final answer. */
static int parse_in_steps(struct http_req *r, const char *buf, size_t size, size_t step, int whole)
{
	int rc = 0;

	http_req_init(r);
	for (size_t k = 0;; k += step) {
		if (k > size)
			k = size;
		rc = http_parse(r, buf, k);
		/* Once answered, the answer is the whole's (a refusal may come early). */
		check(!rc || rc == whole, "answer differs when the bytes arrive in steps");
		if (k == size)
			return rc;
	}
}

/* The response to a refusal fits the room the server keeps for it. */
static void check_response(int status)
{
	char head[HTTP_RESPONSE_HEAD_MAX];
	size_t n = http_response_head(head, sizeof(head), status, "text/plain; charset=utf-8", 0,
				      false, 0);

	check(n > 4 && !strcmp(head + n - 4, "\r\n\r\n"), "no response head for a refusal");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req whole, part, steps;
	char *buf = malloc(size ? size : 1); /* exactly the input: ASan sees a read past it */
	char *tiled = malloc(TILED_LEN);
	size_t split;
	int rc, rc_part;

	data_text = (const char *)data;
	data_len = size;
	if (size)
		memcpy(buf, data, size);

	http_req_init(&whole);
	rc = http_parse(&whole, buf, size);
	check(is_answer(rc, size), "not an answer http.h lists");
	if (rc > 0) {
		check_head(&whole, buf, rc);
		/* Its own bytes alone are the same head, one fewer are not one yet. */
		http_req_init(&part);
		check(http_parse(&part, buf, (size_t)rc) == rc,
		      "head not complete in its own length");
		check(same_request(&part, &whole), "head read differently in its own length");
		http_req_init(&part);
		check(http_parse(&part, buf, (size_t)rc - 1) == 0, "head complete before its end");
	} else if (rc < 0) {
		check_response(-rc);
	}

	/* Two pieces, cut where the input says; the first piece alone answers the same. */
	split = size ? (data[size - 1] * 257u + data[0]) % (size + 1) : 0;
	http_req_init(&part);
	rc_part = http_parse(&part, buf, split);
	check(is_answer(rc_part, split), "not an answer for the first piece");
	check(!rc_part || rc_part == rc, "first piece answered otherwise than the whole");
	check(http_parse(&part, buf, size) == rc, "two pieces answered otherwise than the whole");
	if (rc > 0)
		check(same_request(&part, &whole), "two pieces read otherwise than the whole");

	/* A byte at a time (in chunks for long inputs: the partial request line is re-read). */
	rc_part = parse_in_steps(&steps, buf, size, size <= 512 ? 1 : size / 64 + 1, rc);
	check(rc_part == rc, "steps ended otherwise than the whole");
	if (rc > 0)
		check(same_request(&steps, &whole), "steps read otherwise than the whole");

	/* More bytes after: the same answer if there was one, else one now. */
	if (size) {
		for (size_t i = 0; i < TILED_LEN; i += size)
			memcpy(tiled + i, buf, TILED_LEN - i < size ? TILED_LEN - i : size);
		http_req_init(&part);
		rc_part = http_parse(&part, tiled, TILED_LEN);
		check(is_answer(rc_part, TILED_LEN) && rc_part != 0,
		      "no answer past HTTP_HEAD_MAX bytes");
		check(!rc || rc_part == rc, "more bytes after changed the answer");
		if (rc > 0)
			check(same_request(&part, &whole), "more bytes after changed the request");
		else if (rc_part > 0)
			check_head(&part, tiled, rc_part);
	}

	free(tiled);
	free(buf);
	return 0;
}
