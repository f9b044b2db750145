// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* httpd.c - the metrics endpoint's non-blocking HTTP/1.x server (see httpd.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/httpd.h"
#include "lib/clock.h"

/* How long a closed connection's unread bytes are read and dropped (see conn_finish()). */
#define LINGER_S 2
/* Connections accepted and events taken per call: the loop reads the ring between calls. */
#define ACCEPT_BATCH 64
#define EVENT_BATCH 64
/* Bodies smaller than this are sent as they are even to a client that takes gzip. */
#define GZIP_MIN 1024
#define NS_PER_S 1000000000ull

enum conn_stage { STAGE_READ, STAGE_WRITE, STAGE_LINGER };

struct conn {
	int fd;
	enum conn_stage stage;
	uint32_t gen;	      /* of its slot, so that a stale epoll event is told apart */
	uint64_t opened_ns;   /* when accepted: the oldest reader is evicted first */
	uint64_t deadline_ns; /* of its stage */
	struct http_req req;
	size_t got;	/* bytes of the head read */
	char *out;	/* the response, head and body */
	size_t out_len; /* its length */
	size_t out_off; /* bytes of it written */
	char head[HTTP_HEAD_MAX];
};

struct httpd {
	int listen_fd;
	int epfd;
	httpd_handler handler;
	void *ctx;
	struct conn *conns[HTTPD_MAX_CONNS];
	uint32_t gens[HTTPD_MAX_CONNS];
	struct httpd_stats stats;
};

/* epoll's data for slot @i: the listener is ~0; a connection its slot and generation. */
#define LISTENER_TAG UINT64_MAX
static uint64_t conn_tag(int slot, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)slot;
}

static int epoll_set(struct httpd *h, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(h->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static void conn_close(struct httpd *h, int slot)
{
	struct conn *c = h->conns[slot];

	if (!c)
		return;
	close(c->fd); /* also leaves the epoll set */
	free(c->out);
	free(c);
	h->conns[slot] = NULL;
	h->stats.open--;
}

/*
 * The response is out: shut our side, then read and drop what the client
 * still sends for LINGER_S.  Closing a socket with unread bytes sends a
 * reset, which can destroy the response before the client has read it.
 */
static void conn_finish(struct httpd *h, int slot)
{
	struct conn *c = h->conns[slot];

	free(c->out);
	c->out = NULL;
	shutdown(c->fd, SHUT_WR);
	c->stage = STAGE_LINGER;
	c->deadline_ns = clock__mono_ns() + LINGER_S * NS_PER_S;
	if (epoll_set(h, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLRDHUP, conn_tag(slot, c->gen)))
		conn_close(h, slot);
}

/* Write what the socket takes; the rest when it says EPOLLOUT. */
static void conn_write(struct httpd *h, int slot)
{
	struct conn *c = h->conns[slot];

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (epoll_set(h, EPOLL_CTL_MOD, c->fd, EPOLLOUT, conn_tag(slot, c->gen)))
				conn_close(h, slot);
			return;
		}
		if (n <= 0) {
			conn_close(h, slot);
			return;
		}
		c->out_off += (size_t)n;
	}
	h->stats.responses++;
	conn_finish(h, slot);
}

/* @body gzip-compressed into a new buffer after @room bytes left for the head; NULL if not smaller. */
static char *gzip_body(const char *body, size_t len, size_t room, size_t *zlen)
{
	z_stream zs = {};
	uLong bound;
	char *out;

	/* windowBits 15 + 16: a gzip wrapper.  Level 1: a scrape costs little CPU. */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&zs, (uLong)len);
	out = malloc(room + bound);
	if (!out) {
		deflateEnd(&zs);
		return NULL;
	}
	zs.next_in = (Bytef *)(uintptr_t)body;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out + room;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END || zs.total_out >= len) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*zlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* Put the response (status line, head, body unless HEAD) in c->out and start writing it. */
static void conn_respond(struct httpd *h, int slot, const struct httpd_response *r, bool head_only,
			 bool gzip)
{
	struct conn *c = h->conns[slot];
	char head[HTTP_RESPONSE_HEAD_MAX];
	size_t blen = r->body ? r->len : 0, zlen = 0, hlen;
	char *zbody = NULL, *out;

	if (gzip && blen >= GZIP_MIN)
		zbody = gzip_body(r->body, blen, HTTP_RESPONSE_HEAD_MAX, &zlen);
	hlen = http_response_head(head, sizeof(head), r->status, r->content_type,
				  zbody ? zlen : blen, zbody != NULL, time(NULL));
	if (!hlen) {
		free(zbody);
		conn_close(h, slot);
		return;
	}
	if (zbody) {
		/* The head goes in the room left before the compressed body. */
		out = zbody + HTTP_RESPONSE_HEAD_MAX - hlen;
		memcpy(out, head, hlen);
		memmove(zbody, out, hlen + (head_only ? 0 : zlen));
		c->out = zbody;
		c->out_len = hlen + (head_only ? 0 : zlen);
	} else {
		c->out_len = hlen + (head_only ? 0 : blen);
		c->out = malloc(c->out_len);
		if (!c->out) {
			conn_close(h, slot);
			return;
		}
		memcpy(c->out, head, hlen);
		if (!head_only && blen)
			memcpy(c->out + hlen, r->body, blen);
	}
	c->out_off = 0;
	c->stage = STAGE_WRITE;
	c->deadline_ns = c->opened_ns + (HTTPD_READ_TIMEOUT_S + HTTPD_WRITE_TIMEOUT_S) * NS_PER_S;
	conn_write(h, slot);
}

/* An answer of the server's own (an error, a timeout): its status text as the body. */
static void conn_respond_status(struct httpd *h, int slot, int status)
{
	char body[64];
	struct httpd_response r = { .status = status, .content_type = "text/plain; charset=utf-8" };
	const char *text = http_status_text(status);

	r.len = (size_t)snprintf(body, sizeof(body), "%d %s\n", status, text ? text : "Error");
	r.body = body;
	conn_respond(h, slot, &r, false, false);
}

/* Read what came and parse it; answer once the head is whole or refused. */
static void conn_read(struct httpd *h, int slot)
{
	struct conn *c = h->conns[slot];
	struct httpd_response r = { .status = HTTP_OK };
	ssize_t n;
	int ret;

	if (c->stage == STAGE_LINGER) {
		char drop[4096];

		do
			n = recv(c->fd, drop, sizeof(drop), MSG_DONTWAIT);
		while (n > 0 || (n < 0 && errno == EINTR));
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			conn_close(h, slot);
		return;
	}
	if (c->stage != STAGE_READ)
		return;
	n = recv(c->fd, c->head + c->got, sizeof(c->head) - c->got, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* Gone before the head was whole: nobody to answer. */
		conn_close(h, slot);
		return;
	}
	c->got += (size_t)n;
	ret = http_parse(&c->req, c->head, c->got);
	if (ret == 0)
		return;
	if (ret < 0) {
		h->stats.bad_request++;
		conn_respond_status(h, slot, -ret);
		return;
	}
	h->handler(h->ctx, &c->req, &r);
	conn_respond(h, slot, &r, c->req.method == HTTP_METHOD_HEAD, c->req.gzip);
}

/*
 * The connection to close for a new one: one already answered (lingering:
 * its client has its response), else the one that has waited longest for
 * its request; -1 when every one is being answered.
 */
static int victim(const struct httpd *h)
{
	int best = -1;

	for (int i = 0; i < HTTPD_MAX_CONNS; i++) {
		const struct conn *c = h->conns[i];

		if (c && c->stage == STAGE_LINGER)
			return i;
		if (c && c->stage == STAGE_READ &&
		    (best < 0 || c->opened_ns < h->conns[best]->opened_ns))
			best = i;
	}
	return best;
}

static int free_slot(struct httpd *h)
{
	for (int i = 0; i < HTTPD_MAX_CONNS; i++)
		if (!h->conns[i])
			return i;
	return -1;
}

/* Take one connection into slot @slot. */
static void conn_open(struct httpd *h, int slot, int fd)
{
	struct conn *c = malloc(sizeof(*c));

	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->stage = STAGE_READ;
	c->gen = ++h->gens[slot];
	c->opened_ns = clock__mono_ns();
	c->deadline_ns = c->opened_ns + HTTPD_READ_TIMEOUT_S * NS_PER_S;
	c->got = 0;
	c->out = NULL;
	c->out_len = c->out_off = 0;
	http_req_init(&c->req);
	h->conns[slot] = c;
	h->stats.open++;
	h->stats.accepted++;
	if (epoll_set(h, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, conn_tag(slot, c->gen)))
		conn_close(h, slot);
}

static void accept_some(struct httpd *h)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int slot;

		if (fd < 0)
			return; /* EAGAIN, or a connection reset before we took it */
		slot = free_slot(h);
		if (slot < 0) {
			/* Full: the client slowest to ask makes room (a trickler, most likely). */
			slot = victim(h);
			if (slot < 0) {
				close(fd);
				continue;
			}
			if (h->conns[slot]->stage == STAGE_READ)
				h->stats.evicted++;
			conn_close(h, slot);
		}
		conn_open(h, slot, fd);
	}
}

void httpd__serve(void *vh)
{
	struct httpd *h = vh;
	struct epoll_event evs[EVENT_BATCH];
	int n = epoll_wait(h->epfd, evs, EVENT_BATCH, 0);

	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		int slot = (int)(uint32_t)tag;
		struct conn *c;

		if (tag == LISTENER_TAG) {
			accept_some(h);
			continue;
		}
		c = slot < HTTPD_MAX_CONNS ? h->conns[slot] : NULL;
		if (!c || c->gen != (uint32_t)(tag >> 32))
			continue; /* closed (and maybe reused) earlier in this batch */
		if (c->stage == STAGE_WRITE)
			conn_write(h, slot);
		else
			conn_read(h, slot);
	}
}

void httpd__tick(struct httpd *h)
{
	uint64_t now = clock__mono_ns();

	for (int i = 0; i < HTTPD_MAX_CONNS; i++) {
		struct conn *c = h->conns[i];

		if (!c || now < c->deadline_ns)
			continue;
		if (c->stage == STAGE_LINGER) {
			conn_close(h, i);
			continue;
		}
		h->stats.timed_out++;
		if (c->stage == STAGE_READ)
			conn_respond_status(h, i, HTTP_REQUEST_TIMEOUT);
		/* Still not written (or not even the 408): give up on it. */
		if (h->conns[i] && h->conns[i]->stage == STAGE_WRITE)
			conn_close(h, i);
	}
}

int httpd__new(struct httpd **out, const struct sockaddr *addr, socklen_t addrlen,
	       httpd_handler handler, void *ctx)
{
	struct httpd *h = calloc(1, sizeof(*h));
	int one = 1, err;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->handler = handler;
	h->ctx = ctx;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->listen_fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->epfd < 0 || h->listen_fd < 0) {
		err = -errno;
		goto fail;
	}
	/* A restart must not wait for the last run's connections in TIME_WAIT. */
	setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::]:PORT means IPv6 alone: 0.0.0.0:PORT is asked for by its own name. */
	if (addr->sa_family == AF_INET6)
		setsockopt(h->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(h->listen_fd, addr, addrlen) < 0 || listen(h->listen_fd, 128) < 0) {
		err = -errno;
		goto fail;
	}
	err = epoll_set(h, EPOLL_CTL_ADD, h->listen_fd, EPOLLIN, LISTENER_TAG);
	if (err)
		goto fail;
	*out = h;
	return 0;
fail:
	httpd__free(h);
	return err;
}

int httpd__fd(const struct httpd *h)
{
	return h->epfd;
}

void httpd__stats(const struct httpd *h, struct httpd_stats *out)
{
	*out = h->stats;
}

void httpd__free(struct httpd *h)
{
	if (!h)
		return;
	for (int i = 0; i < HTTPD_MAX_CONNS; i++)
		conn_close(h, i);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	if (h->epfd >= 0)
		close(h->epfd);
	free(h);
}
