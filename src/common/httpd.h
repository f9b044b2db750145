/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * httpd.h - the metrics endpoint's HTTP/1.x server, run by the one event
 * loop (common/loop.h): no thread, no blocking call, one epoll set of its
 * own that the loop watches as one source.  Every answer is one response
 * and a closed connection.
 *
 * Built for clients that do not cooperate: a request head is at most
 * HTTP_HEAD_MAX bytes and must arrive within HTTPD_READ_TIMEOUT_S, a
 * response must be taken within HTTPD_WRITE_TIMEOUT_S, and at most
 * HTTPD_MAX_CONNS connections are open at once: a new one then closes one
 * already answered, else the oldest that has not finished sending its
 * request.  So a client that
 * trickles its request a byte at a time holds 8 KiB for ten seconds and
 * costs a read per byte, and the ring buffer is read between any two.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "lib/http.h"

#define HTTPD_MAX_CONNS 128
#define HTTPD_READ_TIMEOUT_S 10
#define HTTPD_WRITE_TIMEOUT_S 30

/*
 * A handler's answer to one request.  @body is the handler's (the server
 * copies it before the next call); NULL with @len 0 for an empty body.
 * For a HEAD request the server sends the head alone, with the length the
 * body would have had.
 */
struct httpd_response {
	int status;
	const char *content_type;
	const char *body;
	size_t len;
};

/* Answer @req (path, method, query) in @resp; @resp->status is 200 when called. */
typedef void (*httpd_handler)(void *ctx, const struct http_req *req, struct httpd_response *resp);

/* What the server did, for its own metrics. */
struct httpd_stats {
	uint64_t accepted;
	uint64_t responses;   /* responses sent whole */
	uint64_t evicted;     /* closed unanswered to make room for a newer one */
	uint64_t timed_out;   /* closed at a deadline (answered 408 when still reading) */
	uint64_t bad_request; /* answered 4xx or 5xx by the parser (malformed, too long) */
	uint32_t open;	      /* connections open now */
};

struct httpd;

/*
 * Listen on @addr: a TCP socket bound now (so a port in use is known before
 * anything is loaded), served once the loop runs.  0 or a negative errno
 * (-EADDRINUSE, -EADDRNOTAVAIL, -EACCES, ...).
 */
int httpd__new(struct httpd **out, const struct sockaddr *addr, socklen_t addrlen,
	       httpd_handler handler, void *ctx);

/* The epoll fd for the loop (struct loop_fd), readable when there is work. */
int httpd__fd(const struct httpd *h);

/* Do what is ready: accept, read, answer, write.  Never blocks. */
void httpd__serve(void *h);

/* Close the connections past their deadline; call about once a second. */
void httpd__tick(struct httpd *h);

void httpd__stats(const struct httpd *h, struct httpd_stats *out);

/* Close every connection and the listener; NULL is fine. */
void httpd__free(struct httpd *h);

#endif
