/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * http.h - the two halves of the metrics endpoint's HTTP/1.x that need no
 * socket: a request-head parser for a hostile client, fed the bytes received
 * so far as they arrive, and the response head.  Pure functions; no
 * allocation, no I/O.  The answer to every request is one response and a
 * closed connection, so a body, keep-alive and pipelining are never read.
 */
#ifndef LIB_HTTP_H
#define LIB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The largest request head read: the caller's receive buffer need not be larger. */
#define HTTP_HEAD_MAX 8192
/* The longest request target ("/metrics?x=y", or an absolute URI) kept: longer is 414. */
#define HTTP_TARGET_MAX 256
/* The most header fields in a head: more is 431. */
#define HTTP_FIELDS_MAX 100
/* Room for any response head http_response_head() writes, with a Content-Type of up to 256 bytes. */
#define HTTP_RESPONSE_HEAD_MAX 512

enum http_method {
	HTTP_METHOD_OTHER, /* any other token: answered 405 */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
};

/* The statuses this server answers with; http_status_text() knows these. */
enum http_status {
	HTTP_OK = 200,
	HTTP_BAD_REQUEST = 400,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_REQUEST_TIMEOUT = 408,
	HTTP_URI_TOO_LONG = 414,
	HTTP_FIELDS_TOO_LARGE = 431,
	HTTP_INTERNAL_ERROR = 500,
	HTTP_UNAVAILABLE = 503,
	HTTP_VERSION_NOT_SUPPORTED = 505,
};

/* A request head; the parser's place is kept in it between calls. */
struct http_req {
	/* Set once http_parse() returned the head's length. */
	enum http_method method;
	unsigned int minor;		 /* HTTP/1.<minor>: 0 or 1 */
	bool gzip;			 /* Accept-Encoding allows gzip */
	char path[HTTP_TARGET_MAX + 1];	 /* the target's path, as sent (not decoded) */
	char query[HTTP_TARGET_MAX + 1]; /* what followed '?', without it; "" if none */
	/* The parser's own, between calls: not for the caller. */
	struct {
		uint32_t line;	       /* where the current line starts */
		uint32_t scanned;      /* bytes of it checked (no line end, no forbidden byte) */
		uint16_t target_len;   /* of the request line's target, so far */
		uint16_t fields;       /* field lines so far */
		uint8_t spaces;	       /* in the request line, so far */
		uint8_t hosts;	       /* Host fields so far */
		uint8_t stage;	       /* request line, fields, done */
		int16_t gzip_q, any_q; /* Accept-Encoding weights, 0..1000; -1: not named */
		int result;	       /* the answer, once the head is done or refused */
	} st;
};

/* Ready @r for a new request (a zeroed struct http_req is not: the weights start at -1). */
void http_req_init(struct http_req *r);

/*
 * Parse the request head in @buf, the @len bytes received so far on the
 * connection.  Call it again with the same bytes and the ones received
 * since: it goes on from where it stopped, so a client sending one byte at
 * a time costs no more than one sending the head at once.  Returns:
 *   0       the head is not complete yet (never with @len >= HTTP_HEAD_MAX);
 *   > 0     its length up to and including the empty line; @r holds the
 *           request; what follows (a body, a next request) is not read;
 *   < 0     minus the status to answer with: -HTTP_BAD_REQUEST (malformed,
 *           or HTTP/1.1 without exactly one Host), -HTTP_METHOD_NOT_ALLOWED
 *           (not GET or HEAD: only for an otherwise valid head, so that a
 *           malformed one is still 400), -HTTP_URI_TOO_LONG,
 *           -HTTP_FIELDS_TOO_LARGE (more than HTTP_HEAD_MAX bytes or
 *           HTTP_FIELDS_MAX fields), -HTTP_VERSION_NOT_SUPPORTED.
 * A head is refused as soon as the bytes received prove it bad (a NUL in
 * its first line, a target already too long), and every later call returns
 * the same.  Lines end in CRLF or a bare LF; empty lines before the request
 * line are skipped (RFC 9112, 2.2).  Given fewer bytes than the last call,
 * and no answer yet, it starts over.
 */
int http_parse(struct http_req *r, const char *buf, size_t len);

/* "Not Found" for 404; NULL for a status not in enum http_status. */
const char *http_status_text(int status);

/*
 * The head of a response with @status into @buf (@size bytes), NUL-terminated:
 * the status line, Content-Type (@content_type, when not NULL), Content-Length,
 * Content-Encoding: gzip (@gzip), Cache-Control: no-store, Connection: close,
 * Allow (with 405), Date (@date, unless negative: time(NULL) fails with -1)
 * in IMF-fixdate form, spelled in English whatever the locale.  Returns its
 * length, or 0 (@buf then holds "") when it does not fit with a byte to
 * spare (a strbuf cannot tell a cut head from one that fits exactly),
 * @status has no text, or @content_type holds a control byte.
 */
size_t http_response_head(char *buf, size_t size, int status, const char *content_type,
			  size_t content_length, bool gzip, time_t date);

#endif
