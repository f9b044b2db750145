// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_http.c - the metrics endpoint's request-head parser (valid heads,
 * heads cut at every byte, every refusal and its status, absurd sizes,
 * Accept-Encoding) and its response heads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* Compare a result with the input in the message, for table-driven checks. */
#define assert_rc(input, rc, want)                                                      \
	do {                                                                            \
		char got_[200], exp_[200];                                              \
		snprintf(got_, sizeof(got_), "\"%.160s\" -> %d", (input), (int)(rc));   \
		snprintf(exp_, sizeof(exp_), "\"%.160s\" -> %d", (input), (int)(want)); \
		assert_string_equal(got_, exp_);                                        \
	} while (0)

/* http_parse() on a fresh request and exactly @n bytes of @s (ASan sees a read past them). */
static int parse_n(struct http_req *r, const char *s, size_t n)
{
	char *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	http_req_init(r);
	rc = http_parse(r, copy, n);
	free(copy);
	return rc;
}

static int parse(struct http_req *r, const char *s)
{
	return parse_n(r, s, strlen(s));
}

/*
 * @n bytes of @s, the head of an answer @want, arriving in every way: each
 * prefix parsed alone, and the bytes given one more at a time to one parser.
 * A complete head is answered only once whole; a refusal may come before,
 * but once it came every longer prefix gets it too.  Both ways end with
 * the same request as one call with all the bytes.
 */
static void assert_arrival(const char *s, size_t n, int want)
{
	struct http_req whole, part, growing;
	char *buf = malloc(n ? n : 1), *label = strndup(s, n); /* for messages: up to a NUL */
	bool refused = false;

	assert_non_null(buf);
	assert_non_null(label);
	memcpy(buf, s, n);
	http_req_init(&growing);
	assert_rc(label, parse_n(&whole, s, n), want);
	for (size_t k = 0; k <= n; k++) {
		int rc = parse_n(&part, s, k);

		assert_rc(label, http_parse(&growing, buf, k), rc);
		if (want > 0)
			assert_rc(label, rc, (int)k < want ? 0 : want);
		else if (rc)
			assert_rc(label, rc, want);
		else
			assert_false(refused);
		refused = rc != 0;
	}
	if (want > 0) {
		assert_memory_equal(&growing, &whole, offsetof(struct http_req, st));
		assert_memory_equal(&part, &whole, offsetof(struct http_req, st));
	}
	free(label);
	free(buf);
}

static void assert_arrival_str(const char *s, int want)
{
	assert_arrival(s, strlen(s), want);
}

/* A head of exactly @len bytes: a request line, a Host, and one field padding it out. */
static char *head_of_length(size_t len)
{
	static const char start[] = "GET /metrics HTTP/1.1\r\nHost: h\r\nX-Pad: ";
	size_t fixed = sizeof(start) - 1 + 4;
	char *s = malloc(len + 1);

	assert_true(len > fixed);
	assert_non_null(s);
	memcpy(s, start, sizeof(start) - 1);
	memset(s + sizeof(start) - 1, 'p', len - fixed);
	memcpy(s + len - 4, "\r\n\r\n", 5);
	return s;
}

/* ---- valid heads ----------------------------------------------------------------------- */

static void test_get_http11_with_host(void **state)
{
	static const char s[] = "GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\n\r\n";
	struct http_req r;

	assert_int_equal(parse(&r, s), sizeof(s) - 1);
	assert_int_equal(r.method, HTTP_METHOD_GET);
	assert_int_equal(r.minor, 1);
	assert_string_equal(r.path, "/metrics");
	assert_string_equal(r.query, "");
	assert_false(r.gzip);
}

static void test_head_http10_without_host_bare_lf(void **state)
{
	static const char s[] = "HEAD / HTTP/1.0\nUser-Agent: curl/7.88.1\n\n";
	struct http_req r;

	assert_int_equal(parse(&r, s), sizeof(s) - 1);
	assert_int_equal(r.method, HTTP_METHOD_HEAD);
	assert_int_equal(r.minor, 0);
	assert_string_equal(r.path, "/");
}

static void test_field_names_in_any_case_and_line_ends_mixed(void **state)
{
	static const char s[] = "GET /metrics HTTP/1.1\n"
				"hOsT: a\r\n"
				"ACCEPT-ENCODING: GZIP\n"
				"x-EMPTY:\r\n"
				"X-Spaces: \t  v  \t\r\n"
				"\r\n";
	struct http_req r;

	assert_int_equal(parse(&r, s), sizeof(s) - 1);
	assert_true(r.gzip);
}

static void test_prometheus_scrape(void **state)
{
	static const char s[] =
		"GET /metrics HTTP/1.1\r\n"
		"Host: 10.0.0.1:9100\r\n"
		"User-Agent: Prometheus/2.42.0\r\n"
		"Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-"
		"text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
		"Accept-Encoding: gzip\r\n"
		"X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
		"\r\n";
	struct http_req r;

	assert_int_equal(parse(&r, s), sizeof(s) - 1);
	assert_int_equal(r.method, HTTP_METHOD_GET);
	assert_string_equal(r.path, "/metrics");
	assert_true(r.gzip);
}

static void test_query_kept_apart_from_path(void **state)
{
	struct http_req r;

	assert_true(parse(&r, "GET /metrics?name[]=up&x=%41 HTTP/1.0\r\n\r\n") > 0);
	assert_string_equal(r.path, "/metrics");
	assert_string_equal(r.query, "name[]=up&x=%41");
	assert_true(parse(&r, "GET /?  HTTP/1.0\r\n\r\n") < 0); /* two spaces: malformed */
	assert_true(parse(&r, "GET /? HTTP/1.0\r\n\r\n") > 0);
	assert_string_equal(r.path, "/");
	assert_string_equal(r.query, "");
}

static void test_absolute_form_target(void **state)
{
	struct http_req r;

	assert_true(parse(&r, "GET http://h:9100/metrics?x=1 HTTP/1.1\r\nHost: h:9100\r\n\r\n") >
		    0);
	assert_string_equal(r.path, "/metrics");
	assert_string_equal(r.query, "x=1");
	assert_true(parse(&r, "GET HTTPS://[::1]:9100 HTTP/1.0\r\n\r\n") > 0);
	assert_string_equal(r.path, "/");
	assert_true(parse(&r, "GET http://h?q HTTP/1.0\r\n\r\n") > 0);
	assert_string_equal(r.path, "/");
	assert_string_equal(r.query, "q");
	assert_int_equal(parse(&r, "GET http:///metrics HTTP/1.0\r\n\r\n"), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "GET ftp://h/metrics HTTP/1.0\r\n\r\n"), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "GET http://a b/ HTTP/1.0\r\n\r\n"), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "GET http://u@h/ HTTP/1.0\r\n\r\n"), -HTTP_BAD_REQUEST);
}

static void test_empty_lines_before_request_line_skipped(void **state)
{
	static const char s[] = "\r\n\n\r\nGET / HTTP/1.0\r\n\r\n";
	struct http_req r;

	assert_int_equal(parse(&r, s), sizeof(s) - 1);
	assert_int_equal(parse(&r, "\r\n\r\n\r\n"), 0);
}

static void test_body_and_next_request_not_read(void **state)
{
	static const char first[] = "GET /first HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
	char two[256];
	struct http_req r;

	snprintf(two, sizeof(two), "%shello GET /second HTTP/1.1\r\nHost: b\r\n\r\n", first);
	assert_int_equal(parse(&r, two), sizeof(first) - 1);
	assert_string_equal(r.path, "/first");
	/* Pipelined: a whole second head right after the first. */
	snprintf(two, sizeof(two), "%s%s", "GET /a HTTP/1.0\n\n", "GET /b HTTP/1.0\n\n");
	assert_int_equal(parse(&r, two), 17);
	assert_string_equal(r.path, "/a");
	/* What follows is never looked at, even garbage. */
	assert_int_equal(parse_n(&r, "GET / HTTP/1.0\n\n\0\xff\x01", 19), 16);
}

static void test_answer_sticks_after_head_done(void **state)
{
	static const char s[] = "GET / HTTP/1.0\r\n\r\nGET /other HTTP/1.0\r\n\r\n";
	struct http_req r;

	http_req_init(&r);
	assert_int_equal(http_parse(&r, s, 18), 18);
	assert_int_equal(http_parse(&r, s, sizeof(s) - 1), 18);
	assert_string_equal(r.path, "/");
	http_req_init(&r);
	assert_int_equal(http_parse(&r, "BAD\0", 4), -HTTP_BAD_REQUEST);
	assert_int_equal(http_parse(&r, s, sizeof(s) - 1), -HTTP_BAD_REQUEST);
}

static void test_fewer_bytes_than_before_start_over(void **state)
{
	static const char a[] = "GET /aaaaaaaa";
	static const char b[] = "GET /b HTTP/1.0\r\n\r\n";
	struct http_req r;

	http_req_init(&r);
	assert_int_equal(http_parse(&r, a, sizeof(a) - 1), 0);
	assert_int_equal(http_parse(&r, b, 6), 0);
	assert_int_equal(http_parse(&r, b, sizeof(b) - 1), sizeof(b) - 1);
	assert_string_equal(r.path, "/b");
}

/* ---- heads arriving byte by byte -------------------------------------------------------- */

static void test_every_prefix_waits_then_answers_as_whole(void **state)
{
	static const char *valid[] = {
		"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0.5\r\n\r\n",
		"HEAD / HTTP/1.0\n\n",
		"\r\nGET /?a=b HTTP/1.1\r\nHOST:\r\n\r\n",
		"GET http://h/m HTTP/1.1\nHost: h\nX: a\r\n\n",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		assert_arrival_str(valid[i], (int)strlen(valid[i]));
}

static void test_refusals_the_same_however_they_arrive(void **state)
{
	static const struct {
		const char *s;
		int want;
	} bad[] = {
		{ "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", -HTTP_METHOD_NOT_ALLOWED },
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", -HTTP_BAD_REQUEST },
		{ "GET / HTTP/2.0\r\n\r\n", -HTTP_VERSION_NOT_SUPPORTED },
		{ "GET /\x01 HTTP/1.1\r\n\r\n", -HTTP_BAD_REQUEST },
		{ "GET / HTTP/1.1\r\n\r\n", -HTTP_BAD_REQUEST },
		{ "G@T / HTTP/1.1\r\n", -HTTP_BAD_REQUEST },
		{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", -HTTP_BAD_REQUEST },
		{ "GET / HTTP/1.0\rX\n\n", -HTTP_BAD_REQUEST },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_arrival_str(bad[i].s, bad[i].want);
}

static void test_refused_as_soon_as_the_bytes_prove_it(void **state)
{
	char target[400] = "GET /";
	struct http_req r;

	/* No line end needed to see a NUL or a control byte in the request line. */
	assert_int_equal(parse_n(&r, "GET /\0", 6), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "\x16\x03\x01\x02"), -HTTP_BAD_REQUEST); /* a TLS hello */
	assert_int_equal(parse(&r, "GET /a\rb"), -HTTP_BAD_REQUEST);
	/* A CR that ends the bytes received may be a CRLF's: wait. */
	assert_int_equal(parse(&r, "GET / HTTP/1.0\r"), 0);
	/* The target already too long, the method not a token. */
	memset(target + 5, 'a', HTTP_TARGET_MAX - 1);
	assert_int_equal(parse(&r, target), 0);
	strcat(target, "a");
	assert_int_equal(parse(&r, target), -HTTP_URI_TOO_LONG);
	assert_int_equal(parse(&r, "GE(T"), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "GE"), 0);
	assert_int_equal(parse(&r, " "), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "GET / HTTP/1.1 "), -HTTP_BAD_REQUEST);
}

static void test_first_fault_in_byte_order_wins(void **state)
{
	char s[HTTP_TARGET_MAX + 64] = "GET /";

	/* The target goes over before a control byte comes: 414 whichever way they arrive. */
	memset(s + 5, 'a', HTTP_TARGET_MAX + 8);
	strcat(s, "\x1f HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_arrival_str(s, -HTTP_URI_TOO_LONG);
	/* The control byte first: 400. */
	s[100] = '\x1f';
	assert_arrival_str(s, -HTTP_BAD_REQUEST);
	/* A method's bad character before the target's length. */
	s[1] = '(';
	assert_arrival_str(s, -HTTP_BAD_REQUEST);
}

/* ---- refusals -------------------------------------------------------------------------- */

static void test_malformed_request_lines_are_400(void **state)
{
	static const char *bad[] = {
		"GET\r\n\r\n",
		"GET /\r\n\r\n", /* HTTP/0.9 */
		"GET  / HTTP/1.1\r\n\r\n",
		"GET /  HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		" GET / HTTP/1.1\r\n\r\n",
		"GET\t/ HTTP/1.1\r\n\r\n",
		"GET / http/1.1\r\n\r\n",
		"GET / HTTP/1.10\r\n\r\n",
		"GET / HTTP/1\r\n\r\n",
		"GET / HTTP/1.x\r\n\r\n",
		"GET / HTTPS/1.1\r\n\r\n",
		"GET metrics HTTP/1.0\r\n\r\n",
		"GET * HTTP/1.0\r\n\r\n",
		"GET /#frag HTTP/1.0\r\n\r\n",
		"GET /\x7f HTTP/1.0\r\n\r\n",
		"GET /\xc3\xa9 HTTP/1.0\r\n\r\n",
		"GET /\x1b[2J HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.0\r\r\n\r\n",
		"\x80\x81\x82\n\n",
	};
	struct http_req r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(bad[i], parse(&r, bad[i]), -HTTP_BAD_REQUEST);
}

static void test_malformed_fields_are_400(void **state)
{
	static const char *bad[] = {
		"GET / HTTP/1.1\r\nHost : x\r\n\r\n",	   /* space before the colon */
		"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",	   /* tab before the colon */
		"GET / HTTP/1.1\r\nHost: x\r\n Y\r\n\r\n", /* obsolete line folding */
		"GET / HTTP/1.1\r\nHost: x\r\n\tY\r\n\r\n",
		"GET / HTTP/1.1\r\n Host: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost x\r\n\r\n", /* no colon */
		"GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHo(st: x\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n", /* HTTP/1.1 without Host */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
	};
	struct http_req r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(bad[i], parse(&r, bad[i]), -HTTP_BAD_REQUEST);
}

static void test_nul_anywhere_in_head_is_400(void **state)
{
	static const char s[] = "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\r\n";
	char buf[sizeof(s)];
	struct http_req r;

	for (size_t i = 0; i < sizeof(s) - 3; i++) {
		memcpy(buf, s, sizeof(s));
		buf[i] = '\0';
		assert_rc(s, parse_n(&r, buf, sizeof(s) - 1), -HTTP_BAD_REQUEST);
	}
}

static void test_field_values_may_hold_tabs_and_obs_text(void **state)
{
	struct http_req r;

	assert_true(parse(&r, "GET / HTTP/1.0\r\nX: a\tb \xc3\xa9\xff\r\n\r\n") > 0);
	assert_true(parse(&r, "GET / HTTP/1.1\r\nHost:\r\n\r\n") > 0); /* empty Host: allowed */
	assert_true(parse(&r, "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n") > 0);
}

static void test_other_methods_are_405_only_when_otherwise_valid(void **state)
{
	static const char *other[] = {
		"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
		"get / HTTP/1.0\r\n\r\n", /* methods are case-sensitive */
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
		"BREW /pot HTTP/1.0\r\n\r\n",
	};
	struct http_req r;

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_rc(other[i], parse(&r, other[i]), -HTTP_METHOD_NOT_ALLOWED);
	/* Still read to the end: what else is wrong is what is answered. */
	assert_int_equal(parse(&r, "POST / HTTP/1.1\r\n\r\n"), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "POST / HTTP/1.1\r\nHost : a\r\n\r\n"), -HTTP_BAD_REQUEST);
	assert_int_equal(parse(&r, "POST / HTTP/3.0\r\n\r\n"), -HTTP_VERSION_NOT_SUPPORTED);
	assert_int_equal(parse(&r, "POST / HTTP/1.1\r\nHost: a\r\n"), 0);
}

static void test_other_versions_are_505(void **state)
{
	static const char *other[] = {
		"GET / HTTP/2.0\r\n\r\n",	    "GET / HTTP/1.2\r\n\r\n",
		"GET / HTTP/0.9\r\n\r\n",	    "GET / HTTP/9.9\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", /* HTTP/2 prior knowledge */
	};
	struct http_req r;

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_rc(other[i], parse(&r, other[i]), -HTTP_VERSION_NOT_SUPPORTED);
}

static void test_target_longer_than_max_is_414(void **state)
{
	char line[HTTP_TARGET_MAX + 64];
	struct http_req r;

	/* HTTP_TARGET_MAX bytes of target: kept whole. */
	memset(line, 0, sizeof(line));
	strcpy(line, "GET /");
	memset(line + 5, 'a', HTTP_TARGET_MAX - 1);
	strcat(line, " HTTP/1.0\r\n\r\n");
	assert_int_equal(parse(&r, line), strlen(line));
	assert_int_equal(strlen(r.path), HTTP_TARGET_MAX);
	/* One more. */
	memset(line, 0, sizeof(line));
	strcpy(line, "GET /");
	memset(line + 5, 'a', HTTP_TARGET_MAX);
	strcat(line, " HTTP/1.0\r\n\r\n");
	assert_int_equal(parse(&r, line), -HTTP_URI_TOO_LONG);
	/* Whatever the method: the length is checked before the method is refused. */
	memcpy(line, "PUT", 3);
	assert_int_equal(parse(&r, line), -HTTP_URI_TOO_LONG);
	/* With the query, the target is over. */
	memset(line, 0, sizeof(line));
	strcpy(line, "GET /?");
	memset(line + 6, 'q', HTTP_TARGET_MAX - 1);
	strcat(line, " HTTP/1.0\r\n\r\n");
	assert_int_equal(parse(&r, line), -HTTP_URI_TOO_LONG);
}

static void test_head_of_max_bytes_accepted_one_more_is_431(void **state)
{
	struct http_req r;
	char *s = head_of_length(HTTP_HEAD_MAX);

	assert_int_equal(parse(&r, s), HTTP_HEAD_MAX);
	free(s);
	s = head_of_length(HTTP_HEAD_MAX + 1);
	assert_int_equal(parse(&r, s), -HTTP_FIELDS_TOO_LARGE);
	/* Its first HTTP_HEAD_MAX bytes already say so. */
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX), -HTTP_FIELDS_TOO_LARGE);
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX - 1), 0);
	free(s);
}

static void test_head_cut_at_every_byte_of_a_max_size_head(void **state)
{
	char *s = head_of_length(HTTP_HEAD_MAX);

	assert_arrival(s, HTTP_HEAD_MAX, HTTP_HEAD_MAX);
	free(s);
}

static void test_nine_kilobyte_field_is_431(void **state)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nCookie: ";
	size_t n = sizeof(start) - 1 + 9000 + 4;
	char *s = malloc(n + 1);
	struct http_req r;

	assert_non_null(s);
	memcpy(s, start, sizeof(start) - 1);
	memset(s + sizeof(start) - 1, 'c', 9000);
	memcpy(s + n - 4, "\r\n\r\n", 5);
	assert_int_equal(parse(&r, s), -HTTP_FIELDS_TOO_LARGE);
	free(s);
}

static void test_ten_thousand_tiny_fields_are_431(void **state)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\n";
	size_t n = sizeof(start) - 1 + 10000 * 4 + 2;
	char *s = malloc(n + 1), *p;
	struct http_req r;

	assert_non_null(s);
	p = stpcpy(s, start);
	for (int i = 0; i < 10000; i++)
		p = stpcpy(p, "a:\r\n");
	strcpy(p, "\r\n");
	assert_int_equal(parse(&r, s), -HTTP_FIELDS_TOO_LARGE);
	free(s);
}

static void test_fields_up_to_max_accepted(void **state)
{
	char s[HTTP_HEAD_MAX], *p;
	struct http_req r;

	/* Host and HTTP_FIELDS_MAX - 1 others: accepted; one more: 431. */
	p = stpcpy(s, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < HTTP_FIELDS_MAX; i++)
		p = stpcpy(p, "a:\r\n");
	strcpy(p, "\r\n");
	assert_int_equal(parse(&r, s), strlen(s));
	strcpy(p, "b:\r\n\r\n");
	assert_int_equal(parse(&r, s), -HTTP_FIELDS_TOO_LARGE);
}

static void test_long_line_without_end_at_limit(void **state)
{
	char *s = malloc(HTTP_HEAD_MAX + 100);
	struct http_req r;

	assert_non_null(s);
	/* A request line that never ends: no method is this long. */
	memset(s, 'A', HTTP_HEAD_MAX + 100);
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX - 1), 0);
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX), -HTTP_BAD_REQUEST);
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX + 100), -HTTP_BAD_REQUEST);
	/* Only empty lines, up to the limit. */
	for (size_t i = 0; i < HTTP_HEAD_MAX + 100; i += 2)
		memcpy(s + i, "\r\n", 2);
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX - 2), 0);
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX), -HTTP_BAD_REQUEST);
	/* A field line that never ends. */
	memset(s, 'x', HTTP_HEAD_MAX + 100);
	memcpy(s, "GET / HTTP/1.0\r\nX: ", 19);
	assert_int_equal(parse_n(&r, s, HTTP_HEAD_MAX + 100), -HTTP_FIELDS_TOO_LARGE);
	free(s);
}

static void test_binary_garbage_refused_or_waits(void **state)
{
	uint32_t seed = 12345;
	char buf[512] = { 0 };
	struct http_req r;

	/* Random bytes: never accepted, never read past, the same answer in any pieces. */
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + round * 2;
		int rc;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
		}
		rc = parse_n(&r, buf, n);
		assert_true(rc <= 0);
		assert_arrival(buf, n, rc);
	}
}

/* ---- Accept-Encoding ------------------------------------------------------------------- */

/* Whether a request with these Accept-Encoding lines (@n of them) gets gzip. */
static bool gzip_for_lines(const char *const *lines, size_t n)
{
	char s[1024], *p = stpcpy(s, "GET / HTTP/1.0\r\n");
	struct http_req r;

	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "Accept-Encoding: %s\r\n", lines[i]);
	strcpy(p, "\r\n");
	assert_int_equal(parse(&r, s), strlen(s));
	return r.gzip;
}

static bool gzip_for(const char *line)
{
	return gzip_for_lines(&line, 1);
}

/* Two Accept-Encoding lines. */
static bool gzip_for2(const char *first, const char *second)
{
	const char *lines[] = { first, second };

	return gzip_for_lines(lines, 2);
}

static void test_accept_encoding_gzip_tokens_and_weights(void **state)
{
	static const struct {
		const char *v;
		bool gzip;
	} cases[] = {
		{ "gzip", true },
		{ "GZip", true },
		{ "x-gzip", true },
		{ "gzip, deflate, br", true },
		{ "br;q=1.0, gzip;q=0.8, *;q=0.1", true },
		{ "gzip;q=1", true },
		{ "gzip;q=1.000", true },
		{ "gzip;q=0.001", true },
		{ "gzip;Q=0.5", true },
		{ "gzip ; q=0.5", true },
		{ ",, gzip ,,", true },
		{ "gzip;level=\"9,1\";q=0.5", true },
		{ "gzip;q=0", false },
		{ "gzip;q=0.", false },
		{ "gzip;q=0.000", false },
		{ "gzip ;\tq=0", false },
		{ "*", true },
		{ "*;q=0.3", true },
		{ "*;q=0", false },
		{ "*, gzip;q=0", false },
		{ "gzip;q=0, *", false },
		{ "*;q=0, gzip", true },
		{ "gzip, gzip;q=0", false }, /* named twice: the refusal wins */
		{ "gzip;q=0, gzip", false },
		{ "*;q=0, *", false },
		{ "deflate, br", false },
		{ "identity", false },
		{ "", false },
		{ "gzipx", false },
		{ "gzi", false },
		/* Malformed elements are skipped, never the whole request. */
		{ "gzip;q=1.5", false },
		{ "gzip;q=2", false },
		{ "gzip;q=", false },
		{ "gzip;q=0.5junk", false },
		{ "gzip;q=0.0001", false },
		{ "gzip;q=\"1\"", false },
		{ "gzip;=1", false },
		{ "gzip;q", false },
		{ "gzip junk", false },
		{ "gzip;x=\"unterminated", false },
		{ "(gzip), gzip", true },
		{ "gzip;q=0.5junk, *", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_rc(cases[i].v, gzip_for(cases[i].v), cases[i].gzip);
}

static void test_accept_encoding_lines_add_up(void **state)
{
	struct http_req r;

	assert_true(gzip_for2("br", "gzip"));
	assert_false(gzip_for2("gzip", "gzip;q=0"));
	assert_false(gzip_for2("gzip;q=0", "x-gzip"));
	assert_false(gzip_for2("*", "gzip;q=0"));
	/* No Accept-Encoding: nothing compressed. */
	assert_true(parse(&r, "GET / HTTP/1.0\r\n\r\n") > 0);
	assert_false(r.gzip);
}

/* ---- responses ------------------------------------------------------------------------- */

static void test_status_texts(void **state)
{
	assert_string_equal(http_status_text(200), "OK");
	assert_string_equal(http_status_text(400), "Bad Request");
	assert_string_equal(http_status_text(404), "Not Found");
	assert_string_equal(http_status_text(405), "Method Not Allowed");
	assert_string_equal(http_status_text(408), "Request Timeout");
	assert_string_equal(http_status_text(414), "URI Too Long");
	assert_string_equal(http_status_text(431), "Request Header Fields Too Large");
	assert_string_equal(http_status_text(500), "Internal Server Error");
	assert_string_equal(http_status_text(503), "Service Unavailable");
	assert_string_equal(http_status_text(505), "HTTP Version Not Supported");
	assert_null(http_status_text(0));
	assert_null(http_status_text(299));
	assert_null(http_status_text(-400));
}

static void test_response_head_200_exact(void **state)
{
	static const char want[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
				   "Content-Length: 12345\r\n"
				   "Cache-Control: no-store\r\n"
				   "Connection: close\r\n"
				   "\r\n";
	char buf[HTTP_RESPONSE_HEAD_MAX];

	assert_int_equal(http_response_head(buf, sizeof(buf), 200,
					    "text/plain; version=0.0.4; charset=utf-8", 12345,
					    false, -1),
			 sizeof(want) - 1);
	assert_string_equal(buf, want);
}

static void test_response_head_gzip_and_date(void **state)
{
	static const char want[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: text/plain\r\n"
				   "Content-Length: 0\r\n"
				   "Content-Encoding: gzip\r\n"
				   "Cache-Control: no-store\r\n"
				   "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
				   "Connection: close\r\n"
				   "\r\n";
	char buf[HTTP_RESPONSE_HEAD_MAX];

	/* RFC 9110's own example date. */
	assert_int_equal(http_response_head(buf, sizeof(buf), 200, "text/plain", 0, true,
					    784111777),
			 sizeof(want) - 1);
	assert_string_equal(buf, want);
	assert_true(http_response_head(buf, sizeof(buf), 200, NULL, 0, false, 0) > 0);
	assert_non_null(strstr(buf, "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"));
	assert_true(http_response_head(buf, sizeof(buf), 200, NULL, 0, false, 951782400) > 0);
	assert_non_null(strstr(buf, "Date: Tue, 29 Feb 2000 00:00:00 GMT\r\n"));
}

static void test_response_head_405_says_allow(void **state)
{
	static const char want[] = "HTTP/1.1 405 Method Not Allowed\r\n"
				   "Content-Length: 0\r\n"
				   "Allow: GET, HEAD\r\n"
				   "Cache-Control: no-store\r\n"
				   "Connection: close\r\n"
				   "\r\n";
	char buf[HTTP_RESPONSE_HEAD_MAX];

	assert_int_equal(http_response_head(buf, sizeof(buf), 405, NULL, 0, false, -1),
			 sizeof(want) - 1);
	assert_string_equal(buf, want);
}

static void test_response_head_worst_case_fits_max(void **state)
{
	char type[257], buf[HTTP_RESPONSE_HEAD_MAX];

	memset(type, 't', 256);
	type[256] = '\0';
	assert_true(http_response_head(buf, sizeof(buf), HTTP_VERSION_NOT_SUPPORTED, type, SIZE_MAX,
				       true, 253402300799) > 0);
	assert_true(http_response_head(buf, sizeof(buf), HTTP_METHOD_NOT_ALLOWED, type, SIZE_MAX,
				       true, 253402300799) > 0);
	assert_non_null(strstr(buf, "Date: Fri, 31 Dec 9999 23:59:59 GMT\r\n"));
	assert_non_null(strstr(buf, "Content-Length: 18446744073709551615\r\n"));
}

static void test_response_head_refusals_write_nothing(void **state)
{
	char buf[HTTP_RESPONSE_HEAD_MAX];
	size_t len;

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(http_response_head(buf, sizeof(buf), 299, NULL, 0, false, -1), 0);
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(
		http_response_head(buf, sizeof(buf), 200, "text/plain\r\nX: y", 0, false, -1), 0);
	assert_string_equal(buf, "");
	/* Too small, by one byte: a byte to spare is needed. */
	len = http_response_head(buf, sizeof(buf), 404, NULL, 0, false, -1);
	assert_true(len > 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(http_response_head(buf, len + 1, 404, NULL, 0, false, -1), 0);
	assert_string_equal(buf, "");
	assert_int_equal(http_response_head(buf, len + 2, 404, NULL, 0, false, -1), len);
	assert_int_equal(http_response_head(buf, 0, 404, NULL, 0, false, -1), 0);
	/* Years of five digits have no IMF-fixdate: no Date. */
	assert_true(http_response_head(buf, sizeof(buf), 200, NULL, 0, false, 253402300800) > 0);
	assert_null(strstr(buf, "Date:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_http11_with_host),
		cmocka_unit_test(test_head_http10_without_host_bare_lf),
		cmocka_unit_test(test_field_names_in_any_case_and_line_ends_mixed),
		cmocka_unit_test(test_prometheus_scrape),
		cmocka_unit_test(test_query_kept_apart_from_path),
		cmocka_unit_test(test_absolute_form_target),
		cmocka_unit_test(test_empty_lines_before_request_line_skipped),
		cmocka_unit_test(test_body_and_next_request_not_read),
		cmocka_unit_test(test_answer_sticks_after_head_done),
		cmocka_unit_test(test_fewer_bytes_than_before_start_over),
		cmocka_unit_test(test_every_prefix_waits_then_answers_as_whole),
		cmocka_unit_test(test_refusals_the_same_however_they_arrive),
		cmocka_unit_test(test_refused_as_soon_as_the_bytes_prove_it),
		cmocka_unit_test(test_first_fault_in_byte_order_wins),
		cmocka_unit_test(test_malformed_request_lines_are_400),
		cmocka_unit_test(test_malformed_fields_are_400),
		cmocka_unit_test(test_nul_anywhere_in_head_is_400),
		cmocka_unit_test(test_field_values_may_hold_tabs_and_obs_text),
		cmocka_unit_test(test_other_methods_are_405_only_when_otherwise_valid),
		cmocka_unit_test(test_other_versions_are_505),
		cmocka_unit_test(test_target_longer_than_max_is_414),
		cmocka_unit_test(test_head_of_max_bytes_accepted_one_more_is_431),
		cmocka_unit_test(test_head_cut_at_every_byte_of_a_max_size_head),
		cmocka_unit_test(test_nine_kilobyte_field_is_431),
		cmocka_unit_test(test_ten_thousand_tiny_fields_are_431),
		cmocka_unit_test(test_fields_up_to_max_accepted),
		cmocka_unit_test(test_long_line_without_end_at_limit),
		cmocka_unit_test(test_binary_garbage_refused_or_waits),
		cmocka_unit_test(test_accept_encoding_gzip_tokens_and_weights),
		cmocka_unit_test(test_accept_encoding_lines_add_up),
		cmocka_unit_test(test_status_texts),
		cmocka_unit_test(test_response_head_200_exact),
		cmocka_unit_test(test_response_head_gzip_and_date),
		cmocka_unit_test(test_response_head_405_says_allow),
		cmocka_unit_test(test_response_head_worst_case_fits_max),
		cmocka_unit_test(test_response_head_refusals_write_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
