// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_httpd.c - the metrics endpoint's server over real loopback sockets:
 * answers, HEAD, gzip, refusals, a request sent a byte at a time, the cap on
 * connections (the oldest reader makes room), the deadlines (408, then
 * closed) and the lingering close.  The clock is this file's own
 * (clock__mono_ns), so deadlines pass without waiting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "common/httpd.h"
#include "lib/clock.h"

/* ---- the test's clock -------------------------------------------------------------------- */

static uint64_t fake_now = 1000000000ull;

uint64_t clock__mono_ns(void)
{
	return fake_now;
}

#define S_NS 1000000000ull

/* ---- a server and its handler ------------------------------------------------------------ */

struct fixture {
	struct httpd *h;
	struct sockaddr_in addr;
	int calls;
	char last_path[HTTP_TARGET_MAX + 1];
	char body[4096];
};

static void handler(void *ctx, const struct http_req *req, struct httpd_response *r)
{
	struct fixture *f = ctx;

	f->calls++;
	snprintf(f->last_path, sizeof(f->last_path), "%s", req->path);
	r->content_type = "text/plain";
	if (!strcmp(req->path, "/big")) {
		/* Compressible, and over the 1 KiB gzip threshold. */
		for (size_t i = 0; i < sizeof(f->body); i++)
			f->body[i] = (char)('a' + i % 7);
		r->body = f->body;
		r->len = sizeof(f->body);
	} else if (!strcmp(req->path, "/missing")) {
		r->status = HTTP_NOT_FOUND;
		r->body = "nope\n";
		r->len = 5;
	} else {
		r->body = "hello\n";
		r->len = 6;
	}
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	httpd__free(f->h);
	free(f);
	return 0;
}

/* A client connected to the server (accepted on its next turn). */
static int client(struct fixture *f)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->addr, sizeof(f->addr)), 0);
	return fd;
}

/* Let the server do what is ready, a few turns. */
static void serve(struct fixture *f)
{
	for (int i = 0; i < 8; i++) {
		struct pollfd p = { .fd = httpd__fd(f->h), .events = POLLIN };

		if (poll(&p, 1, 20) <= 0)
			break;
		httpd__serve(f->h);
	}
}

static void send_all(int fd, const char *s, size_t n)
{
	assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Everything the server sends until it closes (serving meanwhile); its length. */
static size_t read_response(struct fixture *f, int fd, char *buf, size_t size)
{
	size_t got = 0;

	for (int turns = 0; turns < 200; turns++) {
		ssize_t n;

		serve(f);
		n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

static int port_setup(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct fixture *f;
	int fd, rc;

	/* A free port: bind an ephemeral one, note it, free it, listen on it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	f = calloc(1, sizeof(*f));
	f->addr = a;
	rc = httpd__new(&f->h, (struct sockaddr *)&f->addr, sizeof(f->addr), handler, f);
	if (rc) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_get_is_answered_and_closed(void **state)
{
	struct fixture *f = *state;
	char buf[8192];
	int fd = client(f);

	send_str(fd, "GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n");
	read_response(f, fd, buf, sizeof(buf));
	assert_int_equal(f->calls, 1);
	assert_string_equal(f->last_path, "/x");
	assert_true(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(buf, "\r\nContent-Type: text/plain\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Length: 6\r\n"));
	assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(buf, "\r\n\r\nhello\n"));
	close(fd);
}

static void test_head_has_the_length_and_no_body(void **state)
{
	struct fixture *f = *state;
	char buf[8192];
	int fd = client(f);
	size_t n;

	send_str(fd, "HEAD / HTTP/1.0\r\n\r\n");
	n = read_response(f, fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\r\nContent-Length: 6\r\n"));
	assert_true(n > 4 && !strcmp(buf + n - 4, "\r\n\r\n"));
	close(fd);
}

static void test_gzip_when_accepted_and_large(void **state)
{
	struct fixture *f = *state;
	static char buf[16384], out[8192];
	const char *body;
	z_stream zs = {};
	int fd = client(f);
	size_t n;

	send_str(fd, "GET /big HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n");
	n = read_response(f, fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\r\nContent-Encoding: gzip\r\n"));
	body = strstr(buf, "\r\n\r\n") + 4;
	assert_true((size_t)(body - buf) < n);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)body;
	zs.avail_in = (uInt)(n - (size_t)(body - buf));
	zs.next_out = (Bytef *)out;
	zs.avail_out = sizeof(out);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, sizeof(f->body));
	assert_memory_equal(out, f->body, sizeof(f->body));
	inflateEnd(&zs);
	close(fd);

	/* Without Accept-Encoding: as it is. */
	fd = client(f);
	send_str(fd, "GET /big HTTP/1.0\r\n\r\n");
	read_response(f, fd, buf, sizeof(buf));
	assert_null(strstr(buf, "Content-Encoding"));
	assert_non_null(strstr(buf, "\r\nContent-Length: 4096\r\n"));
	close(fd);
}

static void test_refusals_never_reach_the_handler(void **state)
{
	static const struct {
		const char *req, *status;
	} cases[] = {
		{ "POST / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 405 " },
		{ "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 " },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "HTTP/1.1 400 " },
		{ "GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 " },
	};
	struct fixture *f = *state;
	char buf[8192];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = client(f);

		send_all(fd, cases[i].req, strlen(cases[i].req));
		read_response(f, fd, buf, sizeof(buf));
		assert_true(!strncmp(buf, cases[i].status, strlen(cases[i].status)));
		close(fd);
	}
	assert_int_equal(f->calls, 0);
}

static void test_oversized_head_is_431(void **state)
{
	struct fixture *f = *state;
	static char big[HTTP_HEAD_MAX + 512], buf[8192];
	int fd = client(f);
	size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ");

	memset(big + n, 'x', sizeof(big) - n);
	send_all(fd, big, sizeof(big));
	read_response(f, fd, buf, sizeof(buf));
	assert_true(!strncmp(buf, "HTTP/1.1 431 ", 13));
	assert_int_equal(f->calls, 0);
	close(fd);
}

static void test_a_byte_at_a_time(void **state)
{
	struct fixture *f = *state;
	const char *req = "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n";
	char buf[8192];
	int fd = client(f);

	for (const char *p = req; *p; p++) {
		send_all(fd, p, 1);
		serve(f);
	}
	read_response(f, fd, buf, sizeof(buf));
	assert_int_equal(f->calls, 1);
	assert_string_equal(f->last_path, "/slow");
	assert_true(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	close(fd);
}

static void test_a_full_server_closes_the_oldest_reader(void **state)
{
	struct fixture *f = *state;
	struct httpd_stats st;
	int fds[HTTPD_MAX_CONNS + 1];
	char buf[8192], c;

	for (int i = 0; i < HTTPD_MAX_CONNS; i++) {
		fds[i] = client(f);
		/* Each later than the last: the first is the oldest. */
		fake_now += 1000;
		serve(f);
	}
	httpd__stats(f->h, &st);
	assert_int_equal(st.open, HTTPD_MAX_CONNS);
	fds[HTTPD_MAX_CONNS] = client(f);
	serve(f);
	httpd__stats(f->h, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.open, HTTPD_MAX_CONNS);
	/* The oldest was closed unanswered; the newest is served. */
	assert_int_equal(recv(fds[0], &c, 1, 0), 0);
	send_str(fds[HTTPD_MAX_CONNS], "GET / HTTP/1.0\r\n\r\n");
	read_response(f, fds[HTTPD_MAX_CONNS], buf, sizeof(buf));
	assert_true(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	for (int i = 0; i <= HTTPD_MAX_CONNS; i++)
		close(fds[i]);
}

static void test_an_answered_connection_makes_room_first(void **state)
{
	struct fixture *f = *state;
	struct httpd_stats st;
	int fds[HTTPD_MAX_CONNS + 1];
	char buf[8192], c;

	/* The first is answered and lingers (its client keeps it open); the rest wait. */
	fds[0] = client(f);
	send_str(fds[0], "GET / HTTP/1.0\r\n\r\n");
	serve(f);
	assert_true(recv(fds[0], buf, sizeof(buf), 0) > 0);
	for (int i = 1; i < HTTPD_MAX_CONNS; i++) {
		fake_now += 1000;
		fds[i] = client(f);
		serve(f);
	}
	fds[HTTPD_MAX_CONNS] = client(f);
	serve(f);
	httpd__stats(f->h, &st);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.open, HTTPD_MAX_CONNS);
	/* The oldest waiting one is still there, and the newest is served. */
	assert_int_equal(recv(fds[1], &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	send_str(fds[HTTPD_MAX_CONNS], "GET / HTTP/1.0\r\n\r\n");
	read_response(f, fds[HTTPD_MAX_CONNS], buf, sizeof(buf));
	assert_true(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	for (int i = 0; i <= HTTPD_MAX_CONNS; i++)
		close(fds[i]);
}

static void test_a_silent_client_gets_408_at_its_deadline(void **state)
{
	struct fixture *f = *state;
	struct httpd_stats st;
	char buf[8192];
	int fd = client(f);

	send_str(fd, "GET / HT");
	serve(f);
	fake_now += (HTTPD_READ_TIMEOUT_S - 1) * S_NS;
	httpd__tick(f->h);
	httpd__stats(f->h, &st);
	assert_int_equal(st.timed_out, 0);
	fake_now += 2 * S_NS;
	httpd__tick(f->h);
	read_response(f, fd, buf, sizeof(buf));
	assert_true(!strncmp(buf, "HTTP/1.1 408 ", 13));
	httpd__stats(f->h, &st);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(f->calls, 0);
	close(fd);
}

static void test_what_follows_the_head_is_read_and_dropped(void **state)
{
	struct fixture *f = *state;
	struct httpd_stats st;
	char buf[8192];
	int fd = client(f);

	/* A body, then a pipelined request: one answer, and no reset destroys it. */
	send_str(fd,
		 "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n");
	read_response(f, fd, buf, sizeof(buf));
	assert_true(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	assert_int_equal(f->calls, 1);
	close(fd);
	serve(f);
	/* The closed client's connection is gone; a lingering one goes at its deadline. */
	fake_now += 3 * S_NS;
	httpd__tick(f->h);
	httpd__stats(f->h, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.responses, 1);
}

static void test_a_port_in_use_is_refused(void **state)
{
	struct fixture *f = *state;
	struct httpd *second;

	assert_int_equal(httpd__new(&second, (struct sockaddr *)&f->addr, sizeof(f->addr), handler,
				    f),
			 -EADDRINUSE);
	assert_null(second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_is_answered_and_closed, port_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_head_has_the_length_and_no_body, port_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gzip_when_accepted_and_large, port_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals_never_reach_the_handler, port_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oversized_head_is_431, port_setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_byte_at_a_time, port_setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_full_server_closes_the_oldest_reader,
						port_setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_answered_connection_makes_room_first,
						port_setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_silent_client_gets_408_at_its_deadline,
						port_setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_follows_the_head_is_read_and_dropped,
						port_setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_port_in_use_is_refused, port_setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
