// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * peer.c - the TCP test peer of the socket-snoop end-to-end suite.
 *
 *   peer server -4|-6 ADDR PORT [--accept N] [--send BYTES] [--recv BYTES]
 *               [--linger0] [--fork-child] [--child-comm NAME] [--take-turns]
 *               [--first-byte-alone] [--close-first|--wait-peer-close] [--hold] [--pause]
 *               [--timeout SECS]
 *   peer client ADDR PORT [--send BYTES] [--recv BYTES] [--linger0]
 *               [--close-first|--wait-peer-close] [--expect-refused]
 *               [--expect-timeout] [--hold] [--pause] [--repeat N] [--timeout SECS]
 *   peer trickle ADDR PORT --conns N [--every MS] [--for SECS] [--min-ms MS]
 *               [--max-ms MS] [--timeout SECS]
 *   peer --help
 *
 * The suite needs to know exactly which process owns which socket and which
 * side closes first, so the peer reports every step on stdout, one line each,
 * flushed at once:
 *
 *   PID <pid>                      first line, always
 *   READY <port>                   server: listening (the port actually bound)
 *   ACCEPTED <addr> <port>         server: one accepted connection (the client's end)
 *   CHILD <pid>                    server --fork-child: the child handling it
 *   CONNECTED <addr> <port>        client: connected (its own local end)
 *   CONNECTIONS <n>                client --repeat N: connections made
 *   REFUSED                        client: connect() got ECONNREFUSED
 *   TIMEDOUT                       client: connect() got ETIMEDOUT
 *   PAUSED                         --pause: connected, waiting for SIGUSR1
 *   RESET                          the peer reset the connection
 *   TRICKLING <n>                  trickle: starting its <n> connections
 *   TRICKLED <connects> <evicted> <answered> <failed> <open> <bytes> <disorder>
 *                                  trickle, at the end: connections made, those the
 *                                  server closed without a word, those it answered
 *                                  (a 408, say) before closing, connects that
 *                                  failed, those still open at the end, request
 *                                  bytes sent, and how many of the server's closes
 *                                  came while an older connection was still open
 *   DONE                           about to exit 0
 *
 * --hold makes the peer print its PID and then wait for SIGUSR1 before it
 * creates any socket, so a test can start the monitor with --pid=<that PID>
 * (or any filter needing the process to exist) before the first event.
 * --pause makes each side wait for SIGUSR1 once the connection is up (after
 * connect or accept, before any data), so a test can start the monitor while
 * a connection is open: a connection that existed before the monitor.
 *
 * The command name the monitor sees (comm) is the basename the peer was
 * executed under, so the suite runs it through symlinks (snoop-srv, snoop-cli).
 *
 * trickle is a slow HTTP client (a slowloris): it makes N connections to an
 * HTTP server, one every --every milliseconds (0 by default: all at once),
 * each sending a byte of a request head that never ends ("GET /metrics
 * HTTP/1.1", a Host field, then an endless field value) as soon as it is
 * connected, then every --min-ms to --max-ms milliseconds (100 to 500 by
 * default, at random), until the server closes it.  It runs for --for
 * seconds (20 by default), then closes those still open.
 *
 * Closing order: the client closes first by default and the server waits for
 * the client's FIN (--wait-peer-close); either side takes --close-first or
 * --wait-peer-close to swap roles.  Data is exchanged before closing and every
 * byte sent by the peer is read first, so a close never turns into a RST
 * unless --linger0 asks for one.  Every run ends by itself (--timeout, 10 s
 * by default), so a broken test never leaves a peer behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct peer_opts {
	bool server;
	int family; /* AF_INET or AF_INET6 */
	const char *addr;
	unsigned int port;
	unsigned long accept_count;
	unsigned long send_bytes;
	unsigned long recv_bytes;
	bool linger0;
	bool fork_child;
	bool take_turns;
	bool first_byte_alone;
	const char *child_comm;
	bool close_first;
	bool expect_refused;
	bool expect_timeout;
	bool hold;
	bool pause;
	unsigned long repeat;
	unsigned int timeout;
	bool trickle;
	unsigned long conns;	      /* trickle: connections made */
	unsigned long every_ms;	      /* trickle: between two connects */
	unsigned int trickle_for;     /* trickle: seconds */
	unsigned long min_ms, max_ms; /* trickle: pause between bytes */
};

/* Print one protocol line and flush it: the suite polls the output file. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* The synopsis: on stdout for --help (exit 0), on stderr for a bad command line (exit 2). */
static void usage_to(FILE *out, int status)
{
	fprintf(out,
		"usage: peer server -4|-6 ADDR PORT [--accept N] [--send BYTES] [--recv BYTES]\n"
		"                   [--linger0] [--fork-child] [--child-comm NAME] [--take-turns]\n"
		"                   [--first-byte-alone]\n"
		"                   [--close-first|--wait-peer-close] [--hold] [--pause]\n"
		"                   [--timeout SECS]\n"
		"       peer client ADDR PORT [--send BYTES] [--recv BYTES] [--linger0]\n"
		"                   [--close-first|--wait-peer-close] [--expect-refused]\n"
		"                   [--expect-timeout] [--hold] [--pause] [--repeat N]\n"
		"                   [--timeout SECS]\n"
		"       peer trickle ADDR PORT --conns N [--every MS] [--for SECS] [--min-ms MS]\n"
		"                   [--max-ms MS] [--timeout SECS]\n");
	exit(status);
}

static void usage(void)
{
	usage_to(stderr, 2);
}

static unsigned long parse_ulong(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "peer: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Fill @ss from ADDR/PORT; the family comes from the address unless forced. */
static socklen_t make_addr(int family, const char *addr, unsigned int port,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if ((family == 0 || family == AF_INET) && inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if ((family == 0 || family == AF_INET6) &&
	    inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	fprintf(stderr, "peer: bad address '%s'\n", addr);
	exit(2);
}

/* Print "<addr> <port>" of @ss into @buf. */
static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, len, "%s %u", a, port);
}

static void set_linger0(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0)
		die("setsockopt(SO_LINGER)");
}

/* Send @n bytes; false if the peer reset the connection. */
static bool send_all(int fd, unsigned long n)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		size_t chunk = n < sizeof(buf) ? n : sizeof(buf);
		ssize_t w = send(fd, buf, chunk, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET || errno == EPIPE)
				return false;
			die("send");
		}
		n -= (unsigned long)w;
	}
	return true;
}

/*
 * Receive exactly @n bytes, or until EOF when @until_eof.  Returns 1 on
 * success, 0 on a premature EOF, -1 if the peer reset the connection.
 */
static int recv_bytes(int fd, unsigned long n, bool until_eof)
{
	char buf[4096];

	while (until_eof || n > 0) {
		size_t chunk = (until_eof || n > sizeof(buf)) ? sizeof(buf) : n;
		ssize_t r = recv(fd, buf, chunk, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				return -1;
			die("recv");
		}
		if (r == 0)
			return until_eof ? 1 : 0;
		if (!until_eof)
			n -= (unsigned long)r;
	}
	return 1;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/*
 * Print @line, then wait for SIGUSR1 when @wait.  SIGUSR1 is blocked before
 * the line is printed, so a signal sent as soon as the line is seen is never
 * lost.
 */
static void say_and_wait(const char *line, bool wait)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	signal(SIGUSR1, on_sigusr1);
	sigprocmask(SIG_BLOCK, &block, &old);
	say("%s", line);
	if (wait) {
		sigset_t wait_for = old;

		sigdelset(&wait_for, SIGUSR1);
		sigsuspend(&wait_for);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * One connection's conversation, the same on both sides: receive what the
 * peer sends, send ours, then close first or wait for the peer's FIN.
 * The client sends before it receives; the server the other way round.
 */
static void converse(int fd, const struct peer_opts *o)
{
	int r = 1;

	if (o->linger0)
		set_linger0(fd);
	if (o->pause)
		say_and_wait("PAUSED", true);
	if (o->server) {
		unsigned long first = o->first_byte_alone && o->send_bytes > 1 ? 1 : 0;

		if (o->recv_bytes)
			r = recv_bytes(fd, o->recv_bytes, false);
		/*
		 * --first-byte-alone: the first send completes (and its tracepoint
		 * runs) before the client can have everything and close.
		 */
		if (r > 0 && first && !send_all(fd, first))
			r = -1;
		if (r > 0 && o->send_bytes && !send_all(fd, o->send_bytes - first))
			r = -1;
	} else {
		if (o->send_bytes && !send_all(fd, o->send_bytes))
			r = -1;
		if (r > 0 && o->recv_bytes)
			r = recv_bytes(fd, o->recv_bytes, false);
	}
	if (r > 0 && !o->close_first)
		r = recv_bytes(fd, 0, true);
	if (r < 0)
		say("RESET");
	if (close(fd) < 0)
		die("close");
}

/*
 * --take-turns: parent and child use the accepted socket in turns, so its
 * owner changes twice: the parent receives the request and sends 2 bytes in
 * two calls, the child sends 1 byte and closes its copy, then the parent sends
 * the rest of --send (at least 4 bytes in all) in two calls, waits for the
 * client's FIN and closes.  The socket's last user before the FIN is the parent again.
 */
static void take_turns(int lfd, int cfd, const struct peer_opts *o)
{
	int go[2], back[2];
	pid_t child;
	char c;

	if (o->send_bytes < 4)
		die("--take-turns needs --send 4 or more");
	if (pipe(go) < 0 || pipe(back) < 0)
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(lfd);
		if (o->child_comm)
			prctl(PR_SET_NAME, o->child_comm, 0, 0, 0);
		if (read(go[0], &c, 1) != 1)
			die("read(pipe)");
		if (!send_all(cfd, 1))
			die("send");
		close(cfd);
		if (write(back[1], "d", 1) != 1)
			die("write(pipe)");
		_exit(0);
	}
	say("CHILD %d", (int)child);
	if ((o->recv_bytes && recv_bytes(cfd, o->recv_bytes, false) <= 0) || !send_all(cfd, 1) ||
	    !send_all(cfd, 1))
		die("parent's first turn");
	if (write(go[1], "g", 1) != 1 || read(back[0], &c, 1) != 1)
		die("pipe");
	/*
	 * One byte first: its send records the parent before the client can
	 * have everything and close (its FIN could otherwise be processed
	 * inside the last send, before that send's tracepoint runs).
	 */
	if (!send_all(cfd, 1) || !send_all(cfd, o->send_bytes - 4) || recv_bytes(cfd, 0, true) < 0)
		die("parent's second turn");
	if (close(cfd) < 0)
		die("close");
	if (waitpid(child, NULL, 0) < 0)
		die("waitpid");
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);
}

static int run_server(const struct peer_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(o->family, o->addr, o->port, &ss);
	int one = 1;
	int lfd;
	char buf[INET6_ADDRSTRLEN + 8];

	lfd = socket(o->family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("setsockopt(SO_REUSEADDR)");
	if (o->family == AF_INET6 &&
	    setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		die("setsockopt(IPV6_V6ONLY)");
	if (bind(lfd, (struct sockaddr *)&ss, len) < 0)
		die("bind");
	if (listen(lfd, 16) < 0)
		die("listen");
	len = sizeof(ss);
	if (getsockname(lfd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname");
	say("READY %u", ntohs(((struct sockaddr_in *)&ss)->sin_port));

	for (unsigned long i = 0; i < o->accept_count; i++) {
		int cfd, go[2];
		pid_t child;

		len = sizeof(ss);
		cfd = accept(lfd, (struct sockaddr *)&ss, &len);
		if (cfd < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("accept");
		}
		addr_str(&ss, buf, sizeof(buf));
		say("ACCEPTED %s", buf);
		if (o->take_turns) {
			take_turns(lfd, cfd, o);
			continue;
		}
		if (!o->fork_child) {
			converse(cfd, o);
			continue;
		}
		/*
		 * The parent drops its copy of the socket before the child
		 * touches it (the pipe orders the two), so the last process
		 * to act on the socket is known: the child.
		 */
		if (pipe(go) < 0)
			die("pipe");
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			char c;

			close(lfd);
			close(go[1]);
			if (o->child_comm)
				prctl(PR_SET_NAME, o->child_comm, 0, 0, 0);
			if (read(go[0], &c, 1) != 1)
				die("read(pipe)");
			converse(cfd, o);
			_exit(0);
		}
		close(go[0]);
		say("CHILD %d", (int)child);
		if (close(cfd) < 0)
			die("close");
		if (write(go[1], "g", 1) != 1)
			die("write(pipe)");
		close(go[1]);
		if (waitpid(child, NULL, 0) < 0)
			die("waitpid");
	}
	if (close(lfd) < 0)
		die("close");
	say("DONE");
	return 0;
}

/* One connection of the client; returns 0, or the exit status on failure. */
static int client_once(const struct peer_opts *o, bool quiet)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(0, o->addr, o->port, &ss);
	char buf[INET6_ADDRSTRLEN + 8];
	int fd;

	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno == ECONNREFUSED) {
			say("REFUSED");
			close(fd);
			return o->expect_refused ? 0 : 3;
		}
		if (errno == ETIMEDOUT && o->expect_timeout) {
			say("TIMEDOUT");
			close(fd);
			return 0;
		}
		die("connect");
	}
	if (!quiet) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			die("getsockname");
		addr_str(&ss, buf, sizeof(buf));
		say("CONNECTED %s", buf);
	}
	if (o->expect_refused || o->expect_timeout) {
		fprintf(stderr, "peer: connected although a failure was expected\n");
		close(fd);
		return 3;
	}
	converse(fd, o);
	return 0;
}

/* --repeat N makes N connections one after the other, reporting only the count. */
static int run_client(const struct peer_opts *o)
{
	unsigned long i;
	int r = 0;

	for (i = 0; i < o->repeat && !r; i++)
		r = client_once(o, o->repeat > 1);
	if (r)
		return r;
	if (o->repeat > 1)
		say("CONNECTIONS %lu", i);
	say("DONE");
	return 0;
}

/* The request head a trickler sends, a byte at a time; then 'a' for ever (never a blank line). */
static const char trickle_head[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Trickle: ";

/* One slow connection of trickle. */
struct trickler {
	int fd;		  /* -1 before it starts and once it has ended */
	bool started;	  /* its connect was made */
	bool connected;	  /* the handshake is done */
	bool answered;	  /* the server sent something */
	size_t sent;	  /* bytes of the head sent */
	uint64_t next_ms; /* when to send the next byte */
};

struct trickle_counts {
	unsigned long connects, evicted, answered, failed, bytes, disorder;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A pause from --min-ms to --max-ms, at random. */
static uint64_t trickle_pause(const struct peer_opts *o)
{
	return o->min_ms + (uint64_t)rand() % (o->max_ms - o->min_ms + 1);
}

/* Start a connect (non-blocking); it is polled for POLLOUT until done. */
static void trickle_connect(struct trickler *t, const struct peer_opts *o, struct trickle_counts *n)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(0, o->addr, o->port, &ss);

	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (t->fd < 0)
		die("socket");
	t->started = true;
	if (connect(t->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		die("connect");
	n->connects++;
}

/*
 * The server ended connection @i of @t: count how, and whether an older one
 * (started before it) was still open then.
 */
static void trickle_ended(struct trickler *t, unsigned long i, struct trickle_counts *n)
{
	if (t[i].answered)
		n->answered++;
	else
		n->evicted++;
	close(t[i].fd);
	t[i].fd = -1;
	for (unsigned long j = 0; j < i; j++)
		if (t[j].fd >= 0) {
			n->disorder++;
			break;
		}
}

/* Send the next byte of @t's head when its time has come; false if the server has ended it. */
static bool trickle_send(struct trickler *t, const struct peer_opts *o, struct trickle_counts *n,
			 uint64_t now)
{
	char b = t->sent < sizeof(trickle_head) - 1 ? trickle_head[t->sent] : 'a';
	ssize_t w;

	if (!t->connected || now < t->next_ms)
		return true;
	w = send(t->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return false;
	if (w == 1) {
		t->sent++;
		n->bytes++;
	}
	t->next_ms = now + trickle_pause(o);
	return true;
}

/*
 * What poll said about @t: its connect finished (the first byte goes at
 * once), or the server answered or closed.  False once the server ended it.
 */
static bool trickle_polled(struct trickler *t, const struct peer_opts *o, struct trickle_counts *n)
{
	char buf[512];
	ssize_t r;

	if (!t->connected) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			die("getsockopt(SO_ERROR)");
		if (err) {
			n->failed++;
			close(t->fd);
			t->fd = -1;
			return true;
		}
		t->connected = true;
		t->next_ms = 0;
		return trickle_send(t, o, n, now_ms());
	}
	while ((r = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		t->answered = true;
	return !(r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR));
}

/* trickle: --conns slow connections, one every --every ms, for --for seconds (see the top). */
static int run_trickle(const struct peer_opts *o)
{
	struct trickle_counts n = { 0 };
	struct trickler *t = calloc(o->conns, sizeof(*t));
	struct pollfd *pfd = calloc(o->conns, sizeof(*pfd));
	uint64_t begin = now_ms(), end = begin + o->trickle_for * 1000ull;
	unsigned long i, started = 0, open = 0;
	struct rlimit rl;

	if (!t || !pfd)
		die("calloc");
	/* A descriptor per connection, and a few more. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < o->conns + 16) {
		rl.rlim_cur = o->conns + 16 > rl.rlim_max ? rl.rlim_max : o->conns + 16;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit(RLIMIT_NOFILE)");
	}
	for (i = 0; i < o->conns; i++)
		t[i].fd = -1;
	srand((unsigned int)getpid());
	say("TRICKLING %lu", o->conns);
	for (uint64_t now = begin; now < end; now = now_ms()) {
		uint64_t wake = end;

		while (started < o->conns && now >= begin + started * o->every_ms)
			trickle_connect(&t[started++], o, &n);
		if (started < o->conns)
			wake = begin + started * o->every_ms;
		for (i = 0; i < started; i++) {
			if (t[i].fd >= 0 && !trickle_send(&t[i], o, &n, now))
				trickle_ended(t, i, &n);
			if (t[i].fd >= 0 && t[i].connected && t[i].next_ms < wake)
				wake = t[i].next_ms;
			pfd[i].fd = t[i].fd;
			pfd[i].events = t[i].connected ? POLLIN : POLLOUT;
			pfd[i].revents = 0;
		}
		/* Bytes go out on a 10 ms tick at most: a thousand connections cost little CPU. */
		if (poll(pfd, started, wake > now + 10 ? (int)(wake - now) : 10) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < started; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents && t[i].fd == pfd[i].fd &&
			    !trickle_polled(&t[i], o, &n))
				trickle_ended(t, i, &n);
	}
	for (i = 0; i < o->conns; i++)
		if (t[i].fd >= 0) {
			open++;
			close(t[i].fd);
		}
	free(t);
	free(pfd);
	say("TRICKLED %lu %lu %lu %lu %lu %lu %lu", n.connects, n.evicted, n.answered, n.failed,
	    open, n.bytes, n.disorder);
	say("DONE");
	return 0;
}

/* Print our PID; with --hold, wait for SIGUSR1 (blocked first: no lost wake-up). */
static void announce(bool hold)
{
	char line[32];

	snprintf(line, sizeof(line), "PID %d", (int)getpid());
	say_and_wait(line, hold);
}

int main(int argc, char **argv)
{
	struct peer_opts o = { .accept_count = 1,
			       .repeat = 1,
			       .timeout = 10,
			       .trickle_for = 20,
			       .min_ms = 100,
			       .max_ms = 500 };
	int i = 2;
	bool close_given = false;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		usage_to(stdout, 0);
	if (!strcmp(argv[1], "server")) {
		o.server = true;
		if (argc < 5)
			usage();
		if (!strcmp(argv[2], "-4"))
			o.family = AF_INET;
		else if (!strcmp(argv[2], "-6"))
			o.family = AF_INET6;
		else
			usage();
		i = 3;
	} else if (!strcmp(argv[1], "trickle") && argc >= 4) {
		o.trickle = true;
	} else if (strcmp(argv[1], "client") || argc < 4) {
		usage();
	}
	o.addr = argv[i++];
	o.port = (unsigned int)parse_ulong(argv[i++], 65535);

	for (; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;

		if (!strcmp(a, "--accept") && has_value)
			o.accept_count = parse_ulong(argv[++i], 1000000);
		else if (!strcmp(a, "--send") && has_value)
			o.send_bytes = parse_ulong(argv[++i], 1UL << 36);
		else if (!strcmp(a, "--recv") && has_value)
			o.recv_bytes = parse_ulong(argv[++i], 1UL << 36);
		else if (!strcmp(a, "--timeout") && has_value)
			o.timeout = (unsigned int)parse_ulong(argv[++i], 3600);
		else if (!strcmp(a, "--child-comm") && has_value && o.server)
			o.child_comm = argv[++i];
		else if (!strcmp(a, "--linger0"))
			o.linger0 = true;
		else if (!strcmp(a, "--fork-child") && o.server)
			o.fork_child = true;
		else if (!strcmp(a, "--take-turns") && o.server)
			o.fork_child = o.take_turns = true;
		else if (!strcmp(a, "--first-byte-alone") && o.server)
			o.first_byte_alone = true;
		else if (!strcmp(a, "--close-first"))
			o.close_first = close_given = true;
		else if (!strcmp(a, "--wait-peer-close"))
			close_given = !(o.close_first = false);
		else if (!strcmp(a, "--expect-refused") && !o.server)
			o.expect_refused = true;
		else if (!strcmp(a, "--expect-timeout") && !o.server)
			o.expect_timeout = true;
		else if (!strcmp(a, "--pause"))
			o.pause = true;
		else if (!strcmp(a, "--hold"))
			o.hold = true;
		else if (!strcmp(a, "--repeat") && has_value && !o.server)
			o.repeat = parse_ulong(argv[++i], 1000000);
		else if (!strcmp(a, "--conns") && has_value && o.trickle)
			o.conns = parse_ulong(argv[++i], 100000);
		else if (!strcmp(a, "--every") && has_value && o.trickle)
			o.every_ms = parse_ulong(argv[++i], 60000);
		else if (!strcmp(a, "--for") && has_value && o.trickle)
			o.trickle_for = (unsigned int)parse_ulong(argv[++i], 3600);
		else if (!strcmp(a, "--min-ms") && has_value && o.trickle)
			o.min_ms = parse_ulong(argv[++i], 60000);
		else if (!strcmp(a, "--max-ms") && has_value && o.trickle)
			o.max_ms = parse_ulong(argv[++i], 60000);
		else
			usage();
	}
	if (o.trickle && (!o.conns || o.min_ms > o.max_ms))
		usage();
	if (!close_given)
		o.close_first = !o.server;

	/* A wedged test must never leave a peer behind: SIGALRM kills us. */
	signal(SIGALRM, SIG_DFL);
	alarm(o.timeout);
	announce(o.hold);
	if (o.trickle)
		return run_trickle(&o);
	return o.server ? run_server(&o) : run_client(&o);
}
