// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * loadgen - TCP load generator for socket-snoop's benchmarks (bench/run.sh).
 *
 * storm:   N short connections from C client threads to an echo server that runs as W
 *          threads of this same process. Each connection: connect, optional payload of
 *          P bytes each way, close. The client always closes first and the server closes
 *          when it reads EOF, so every connection makes the whole set of transitions on
 *          both sides: client SYN_SENT, ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE (through
 *          TIME_WAIT); server SYN_RECV, ESTABLISHED, CLOSE_WAIT, LAST_ACK, CLOSE.
 * chatter: K long-lived connections, each making M request/response round trips of
 *          S bytes (one client thread and one server thread per connection).
 *
 * Both are bounded in count and in time (-t). The result is one line of key=value pairs on
 * stdout; diagnostics go to stderr. Exit codes: 0 the whole run completed without error;
 * 1 the run was cut short by errors or by the time limit (the result line is still
 * printed); 2 set-up failed (no result line); 64 usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_INCOMPLETE = 1, EXIT_SETUP = 2, EXIT_USAGE = 64 };

enum mode { MODE_STORM, MODE_CHATTER };

/* Largest write of the storm's payload exchange: small enough to never fill both buffers. */
#define STORM_CHUNK 16384
#define ECHO_BUF 65536
/* Connections accepted by the kernel but not yet served before a client waits. */
#define STORM_WINDOW 1024

struct config {
	enum mode mode;
	int family;
	long conns; /* storm: connections in total; chatter: long-lived connections */
	int client_threads;
	int server_threads;
	long payload;	  /* storm: bytes each way per connection */
	long msgs;	  /* chatter: round trips per connection */
	long msg_size;	  /* chatter: bytes of each request and of each response */
	bool inline_ends; /* chatter: one thread drives both ends of its connection */
	double max_secs;
	int port;
	const char *connect_addr;
	const char *bind_addr;
	const char *client_netns;
	const char *server_netns;
};

/* One thread of the run, client or server. */
struct worker {
	struct run *run;
	pthread_t tid;
	bool started;
	atomic_bool finished;
};

/* State shared by every thread of one run. */
struct run {
	const struct config *cfg;
	int listen_fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	atomic_long next_conn;	 /* storm: number of the next connection to make */
	atomic_long connected;	 /* connect() succeeded: the server will see it */
	atomic_long completed;	 /* client side finished without error */
	atomic_long round_trips; /* chatter: request/response pairs done */
	atomic_long served;	 /* server side closed */
	atomic_long errors;
	atomic_bool stop;
	pthread_mutex_t lock;
	pthread_mutex_t pair_lock; /* chatter -i: one connect + accept pair at a time */
	pthread_cond_t cond;	   /* main thread waits: clients ready, clients done */
	pthread_cond_t gate;	   /* clients wait: start */
	int clients_ready;
	int clients_left;
	bool go;
	const char *first_error_what;
	int first_error;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: loadgen storm   [-n CONNS] [-c THREADS] [-w SERVER_THREADS] [-P BYTES] [COMMON]\n"
		"       loadgen chatter [-k CONNS] [-m MSGS] [-s BYTES] [-i] [COMMON]\n"
		"\n"
		"storm:   CONNS connections in total (default 20000) from THREADS client threads\n"
		"         (default 4) to SERVER_THREADS server threads (default: THREADS); each\n"
		"         connects, sends and receives BYTES of payload (default 0) and closes.\n"
		"chatter: CONNS long-lived connections (default 8), one client thread each, each\n"
		"         making MSGS round trips (default 20000) of BYTES each way (default 64)\n"
		"         to its own server thread. -i: one thread drives both ends of each\n"
		"         connection instead (no scheduler wake-ups: steadier figures).\n"
		"\n"
		"COMMON:\n"
		"  -t SECS              give up after SECS seconds (default 60)\n"
		"  -6                   IPv6 (default IPv4; implied by an IPv6 -a)\n"
		"  -a ADDR              address the clients connect to (default 127.0.0.1 or ::1)\n"
		"  -b ADDR              address the server binds (default: the -a address)\n"
		"  -p PORT              server port (default 0: the kernel picks one)\n"
		"  --client-netns PATH  client threads run in this network namespace\n"
		"  --server-netns PATH  the server listens in this network namespace\n"
		"  -h                   this help\n"
		"\n"
		"Prints one line such as:\n"
		"  mode=storm family=ipv4 conns=20000 threads=4 ... secs=1.18 rate=16949.2 errors=0\n"
		"rate is connections/s (storm) or round trips/s (chatter).\n");
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec secs_to_timespec(double secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	return ts;
}

/* Parses a whole decimal number within [min, max]; returns -1 on anything else. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Counts a failure; the first one is kept to be printed once at the end. */
static void run__fail(struct run *run, const char *what, int err)
{
	/* Our own wake-up at the time limit is not an error of the workload. */
	if (err == EINTR && atomic_load(&run->stop))
		return;
	if (atomic_fetch_add(&run->errors, 1) == 0) {
		pthread_mutex_lock(&run->lock);
		run->first_error_what = what;
		run->first_error = err;
		pthread_mutex_unlock(&run->lock);
	}
}

/* Moves the calling thread into the network namespace at path (NULL: stay). */
static int enter_netns(const char *path)
{
	int fd, err = 0;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

static int write_all(struct run *run, int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR && !atomic_load(&run->stop))
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_exact(struct run *run, int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR && !atomic_load(&run->stop))
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens a client connection to the server; returns the fd or -1 (failure counted). */
static int client_connect(struct run *run)
{
	int fd, err;

	fd = socket(run->cfg->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		run__fail(run, "socket", errno);
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&run->dst, run->dst_len)) {
		err = errno;
		if (err == EINTR && !atomic_load(&run->stop))
			continue;
		close(fd);
		run__fail(run, "connect", err);
		return -1;
	}
	atomic_fetch_add(&run->connected, 1);
	return fd;
}

/* Client side of the start line: reports ready, then waits for the main thread's go. */
static void run__wait_start(struct run *run)
{
	pthread_mutex_lock(&run->lock);
	if (++run->clients_ready == run->cfg->client_threads)
		pthread_cond_signal(&run->cond);
	while (!run->go && !atomic_load(&run->stop))
		pthread_cond_wait(&run->gate, &run->lock);
	pthread_mutex_unlock(&run->lock);
}

/* Marks a worker finished and wakes the main thread when it was the last client. */
static void worker__finish(struct worker *w, bool client)
{
	struct run *run = w->run;

	atomic_store(&w->finished, true);
	if (!client)
		return;
	pthread_mutex_lock(&run->lock);
	if (--run->clients_left == 0)
		pthread_cond_signal(&run->cond);
	pthread_mutex_unlock(&run->lock);
}

/* One storm connection: connect, payload each way in chunks, close (client first). */
static void storm_one(struct run *run, char *buf)
{
	long left = run->cfg->payload;
	int fd, err = 0;

	fd = client_connect(run);
	if (fd < 0)
		return;
	while (left > 0 && !err) {
		size_t chunk = left > STORM_CHUNK ? STORM_CHUNK : (size_t)left;

		err = write_all(run, fd, buf, chunk);
		if (!err)
			err = read_exact(run, fd, buf, chunk);
		left -= (long)chunk;
	}
	close(fd);
	if (err)
		run__fail(run, "payload", -err);
	else
		atomic_fetch_add(&run->completed, 1);
}

/* Storm client thread: takes connection numbers until all are made or the run stops. */
static void *storm_client(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	char *buf = NULL;
	bool ok = true;
	int err;

	err = enter_netns(run->cfg->client_netns);
	if (err) {
		run__fail(run, "setns client", -err);
		ok = false;
	}
	if (ok && run->cfg->payload) {
		buf = calloc(1, STORM_CHUNK);
		if (!buf) {
			run__fail(run, "malloc", ENOMEM);
			ok = false;
		}
	}
	run__wait_start(run);
	while (ok && !atomic_load(&run->stop)) {
		long n = atomic_fetch_add(&run->next_conn, 1);

		if (n >= run->cfg->conns)
			break;
		/*
		 * Never run far ahead of the server: a full accept queue drops SYNs and the
		 * client then waits a whole second for the retransmission.
		 */
		while (atomic_load(&run->connected) - atomic_load(&run->served) > STORM_WINDOW &&
		       !atomic_load(&run->stop))
			sched_yield();
		storm_one(run, buf);
	}
	free(buf);
	worker__finish(w, true);
	return NULL;
}

/* Echoes everything it reads until the peer closes; returns 0 or a negative errno. */
static int echo_until_eof(struct run *run, int fd, char *buf, size_t size)
{
	for (;;) {
		ssize_t n = read(fd, buf, size);
		int err;

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR && !atomic_load(&run->stop))
				continue;
			return -errno;
		}
		err = write_all(run, fd, buf, (size_t)n);
		if (err)
			return err;
	}
}

/* Port of a socket's local (peer == false) or remote end, or -1. */
static int sock_port(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int err = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
			 getsockname(fd, (struct sockaddr *)&ss, &len);

	if (err)
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					       ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/*
 * chatter -i: opens a connection and accepts it in the same thread, so that the thread
 * holds both ends. One pair at a time, so the connection accepted is the one just made
 * (checked by port). Returns 0 with both fds, or -1 (failure counted).
 */
static int chatter_pair(struct run *run, int *cfd, int *sfd)
{
	int err = 0;

	pthread_mutex_lock(&run->pair_lock);
	*cfd = client_connect(run);
	*sfd = -1;
	while (*cfd >= 0 && *sfd < 0) {
		*sfd = accept4(run->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (*sfd < 0 && (errno != EINTR || atomic_load(&run->stop))) {
			err = errno;
			break;
		}
	}
	pthread_mutex_unlock(&run->pair_lock);
	if (*cfd < 0)
		return -1;
	if (*sfd < 0) {
		run__fail(run, "accept", err);
		return -1;
	}
	if (sock_port(*cfd, false) != sock_port(*sfd, true)) {
		run__fail(run, "accept: not the connection just made", EPROTO);
		return -1;
	}
	return 0;
}

/* One request/response: client end to server end and back (one thread, both ends). */
static int round_trip_inline(struct run *run, int cfd, int sfd, char *buf, size_t len)
{
	int err = write_all(run, cfd, buf, len);

	if (!err)
		err = read_exact(run, sfd, buf, len);
	if (!err)
		err = write_all(run, sfd, buf, len);
	if (!err)
		err = read_exact(run, cfd, buf, len);
	return err;
}

/* One request/response with the echo server thread at the other end. */
static int round_trip(struct run *run, int fd, char *buf, size_t len)
{
	int err = write_all(run, fd, buf, len);

	if (!err)
		err = read_exact(run, fd, buf, len);
	return err;
}

/*
 * Chatter client thread: one connection, MSGS request/response round trips, close. With
 * -i it also holds the server's end: it closes that one when it reads EOF.
 */
static void *chatter_client(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	const struct config *cfg = run->cfg;
	size_t len = (size_t)cfg->msg_size;
	int fd = -1, sfd = -1, one = 1, err;
	char *buf = NULL;
	long i;

	err = enter_netns(cfg->client_netns);
	if (err)
		run__fail(run, "setns client", -err);
	else
		buf = calloc(1, len);
	if (!err && !buf)
		run__fail(run, "malloc", ENOMEM);
	else if (!err && cfg->inline_ends && chatter_pair(run, &fd, &sfd))
		fd = sfd = -1;
	else if (!err && !cfg->inline_ends)
		fd = client_connect(run);
	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		run__fail(run, "setsockopt TCP_NODELAY", errno);
	if (sfd >= 0 && setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		run__fail(run, "setsockopt TCP_NODELAY", errno);
	/* The clock starts once every connection is established. */
	run__wait_start(run);
	for (i = 0; fd >= 0 && i < cfg->msgs && !atomic_load(&run->stop); i++) {
		err = sfd >= 0 ? round_trip_inline(run, fd, sfd, buf, len) :
				 round_trip(run, fd, buf, len);
		if (err) {
			run__fail(run, "round trip", -err);
			break;
		}
		atomic_fetch_add(&run->round_trips, 1);
	}
	if (fd >= 0) {
		close(fd);
		if (i == cfg->msgs)
			atomic_fetch_add(&run->completed, 1);
	}
	if (sfd >= 0) {
		/* Server end: closes after the client, like the echo server does. */
		err = echo_until_eof(run, sfd, buf, len);
		if (err)
			run__fail(run, "server", -err);
		close(sfd);
		atomic_fetch_add(&run->served, 1);
	}
	free(buf);
	worker__finish(w, true);
	return NULL;
}

/* Server thread: accept, echo until EOF, close; until the listener is shut down. */
static void *server_thread(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	char *buf = malloc(ECHO_BUF);
	int one = 1;

	if (!buf)
		run__fail(run, "malloc", ENOMEM);
	while (buf) {
		int fd = accept4(run->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		int err;

		if (fd < 0) {
			err = errno;
			if (err == ECONNABORTED || (err == EINTR && !atomic_load(&run->stop)))
				continue;
			/* EINVAL: the main thread shut the listener down at the end. */
			if (err != EINVAL && !atomic_load(&run->stop))
				run__fail(run, "accept", err);
			break;
		}
		if (run->cfg->mode == MODE_CHATTER &&
		    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
			run__fail(run, "setsockopt TCP_NODELAY", errno);
		err = echo_until_eof(run, fd, buf, ECHO_BUF);
		if (err)
			run__fail(run, "server", -err);
		close(fd);
		atomic_fetch_add(&run->served, 1);
	}
	free(buf);
	worker__finish(w, false);
	return NULL;
}

/* Empty handler: its only job is to make blocked system calls return EINTR. */
static void on_wakeup(int sig)
{
	(void)sig;
}

/*
 * Wakes workers still blocked in a system call until all have returned; gives up after
 * about two seconds. Returns true when every worker finished.
 */
static bool interrupt_workers(struct worker *ws, int n)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int tries, i;

	for (tries = 0; tries < 200; tries++) {
		bool busy = false;

		for (i = 0; i < n; i++) {
			if (ws[i].started && !atomic_load(&ws[i].finished)) {
				pthread_kill(ws[i].tid, SIGUSR1);
				busy = true;
			}
		}
		if (!busy)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

static int fill_addr(int family, const char *text, int port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		*len = sizeof(*sin);
		return inet_pton(AF_INET, text, &sin->sin_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short)port);
	*len = sizeof(*sin6);
	return inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1 ? 0 : -1;
}

/* Creates the listener (in the server's namespace); returns the fd or a negative errno. */
static int open_listener(const struct config *cfg, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err, one = 1, home = -1;

	if (fill_addr(cfg->family, cfg->bind_addr, cfg->port, &ss, &len))
		return -EINVAL;
	if (cfg->server_netns) {
		home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home < 0)
			return -errno;
		err = enter_netns(cfg->server_netns);
		if (err) {
			close(home);
			return err;
		}
	}
	fd = socket(cfg->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : 0;
	/* SO_REUSEADDR: a fixed port stays bindable while old connections sit in TIME_WAIT. */
	if (!err && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		err = -errno;
	if (!err && bind(fd, (struct sockaddr *)&ss, len))
		err = -errno;
	if (!err && listen(fd, 4096))
		err = -errno;
	len = sizeof(ss);
	if (!err && getsockname(fd, (struct sockaddr *)&ss, &len))
		err = -errno;
	if (!err)
		*port = ntohs(cfg->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
						       ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (home >= 0) {
		/* Back home: the main thread creates nothing else, but stay tidy. */
		if (setns(home, CLONE_NEWNET) && !err)
			err = -errno;
		close(home);
	}
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_CLIENT_NETNS = 256, OPT_SERVER_NETNS };
	static const struct option longopts[] = {
		{ "client-netns", required_argument, NULL, OPT_CLIENT_NETNS },
		{ "server-netns", required_argument, NULL, OPT_SERVER_NETNS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v, server_threads = 0, conns = -1;
	int opt;

	if (argc < 2) {
		usage(stderr);
		return -1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		exit(0);
	}
	if (!strcmp(argv[1], "storm")) {
		cfg->mode = MODE_STORM;
	} else if (!strcmp(argv[1], "chatter")) {
		cfg->mode = MODE_CHATTER;
	} else {
		fprintf(stderr, "loadgen: unknown mode '%s' (storm or chatter)\n", argv[1]);
		return -1;
	}
	optind = 2;
	while ((opt = getopt_long(argc, argv, "n:c:w:P:k:m:s:it:6a:b:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
		case 'k':
			if (parse_long(optarg, 1, 100000000, &conns))
				goto bad;
			break;
		case 'c':
			if (parse_long(optarg, 1, 1024, &v))
				goto bad;
			cfg->client_threads = (int)v;
			break;
		case 'w':
			if (parse_long(optarg, 1, 1024, &server_threads))
				goto bad;
			break;
		case 'P':
			if (parse_long(optarg, 0, 1L << 30, &cfg->payload))
				goto bad;
			break;
		case 'm':
			if (parse_long(optarg, 1, 1000000000, &cfg->msgs))
				goto bad;
			break;
		case 's':
			if (parse_long(optarg, 1, 1 << 20, &cfg->msg_size))
				goto bad;
			break;
		case 'i':
			cfg->inline_ends = true;
			break;
		case 't':
			if (parse_long(optarg, 1, 86400, &v))
				goto bad;
			cfg->max_secs = (double)v;
			break;
		case '6':
			cfg->family = AF_INET6;
			break;
		case 'a':
			cfg->connect_addr = optarg;
			break;
		case 'b':
			cfg->bind_addr = optarg;
			break;
		case 'p':
			if (parse_long(optarg, 0, 65535, &v))
				goto bad;
			cfg->port = (int)v;
			break;
		case OPT_CLIENT_NETNS:
			cfg->client_netns = optarg;
			break;
		case OPT_SERVER_NETNS:
			cfg->server_netns = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "loadgen: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (cfg->connect_addr && strchr(cfg->connect_addr, ':'))
		cfg->family = AF_INET6;
	if (!cfg->connect_addr)
		cfg->connect_addr = cfg->family == AF_INET6 ? "::1" : "127.0.0.1";
	if (!cfg->bind_addr)
		cfg->bind_addr = cfg->connect_addr;
	if (cfg->inline_ends && cfg->mode != MODE_CHATTER) {
		fprintf(stderr, "loadgen: -i is a chatter option\n");
		return -1;
	}
	if (cfg->mode == MODE_STORM) {
		cfg->conns = conns > 0 ? conns : 20000;
		cfg->server_threads = server_threads ? (int)server_threads : cfg->client_threads;
	} else {
		/* One client thread and one server thread per long-lived connection. */
		cfg->conns = conns > 0 ? conns : 8;
		if (cfg->conns > 1024) {
			fprintf(stderr, "loadgen: chatter: at most 1024 connections\n");
			return -1;
		}
		cfg->client_threads = (int)cfg->conns;
		cfg->server_threads = cfg->inline_ends ? 0 : (int)cfg->conns;
	}
	return 0;
bad:
	fprintf(stderr, "loadgen: invalid value '%s' for -%c\n", optarg, opt);
	return -1;
}

static int start_workers(struct worker *ws, int n, struct run *run, void *(*fn)(void *))
{
	int i, err;

	for (i = 0; i < n; i++) {
		ws[i].run = run;
		atomic_init(&ws[i].finished, false);
		err = pthread_create(&ws[i].tid, NULL, fn, &ws[i]);
		if (err)
			return -err;
		ws[i].started = true;
	}
	return 0;
}

/*
 * Waits until every client is at the start line (chatter: connected), then lets them go.
 * Returns false when the deadline passed first; the clients are then told to stop.
 */
static bool start_clients(struct run *run, double deadline)
{
	struct timespec ts = secs_to_timespec(deadline);
	bool ready;

	pthread_mutex_lock(&run->lock);
	while (run->clients_ready < run->cfg->client_threads) {
		if (pthread_cond_timedwait(&run->cond, &run->lock, &ts) == ETIMEDOUT)
			break;
	}
	ready = run->clients_ready == run->cfg->client_threads;
	if (ready)
		run->go = true;
	else
		atomic_store(&run->stop, true);
	pthread_cond_broadcast(&run->gate);
	pthread_mutex_unlock(&run->lock);
	return ready;
}

/* Waits for the clients until the deadline; returns false when it passed first. */
static bool wait_clients(struct run *run, double deadline)
{
	struct timespec ts = secs_to_timespec(deadline);
	bool done;

	pthread_mutex_lock(&run->lock);
	while (run->clients_left > 0) {
		if (pthread_cond_timedwait(&run->cond, &run->lock, &ts) == ETIMEDOUT)
			break;
	}
	done = run->clients_left == 0;
	pthread_mutex_unlock(&run->lock);
	return done;
}

/* Waits until the server closed every connection the clients opened, or the deadline. */
static bool wait_served(struct run *run, double deadline)
{
	const struct timespec tick = { .tv_nsec = 200 * 1000 };

	while (atomic_load(&run->served) < atomic_load(&run->connected)) {
		if (now_secs() >= deadline)
			return false;
		nanosleep(&tick, NULL);
	}
	return true;
}

/* CPU seconds the whole process has used, every thread, user and system. */
static double cpu_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_result(const struct run *run, int port, double secs, double cpu, bool timed_out)
{
	const struct config *cfg = run->cfg;
	const char *family = cfg->family == AF_INET6 ? "ipv6" : "ipv4";
	long errors = atomic_load(&run->errors);

	if (secs <= 0)
		secs = 1e-9;
	if (cfg->mode == MODE_STORM) {
		long done = atomic_load(&run->completed);

		printf("mode=storm family=%s conns=%ld threads=%d server_threads=%d payload=%ld "
		       "port=%d secs=%.3f rate=%.1f cpu_s=%.3f errors=%ld timedout=%d\n",
		       family, done, cfg->client_threads, cfg->server_threads, cfg->payload, port,
		       secs, done / secs, cpu, errors, timed_out);
	} else {
		long msgs = atomic_load(&run->round_trips);

		printf("mode=chatter family=%s conns=%ld msgs=%ld size=%ld threads=%d inline=%d "
		       "port=%d secs=%.3f rate=%.1f cpu_s=%.3f errors=%ld timedout=%d\n",
		       family, cfg->conns, msgs, cfg->msg_size, cfg->client_threads,
		       cfg->inline_ends, port, secs, msgs / secs, cpu, errors, timed_out);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.family = AF_INET,
		.client_threads = 4,
		.msgs = 20000,
		.msg_size = 64,
		.max_secs = 60,
	};
	struct worker *clients = NULL, *servers = NULL;
	struct sigaction sa = { .sa_handler = on_wakeup };
	struct run run = { .cfg = &cfg, .listen_fd = -1 };
	pthread_condattr_t cattr;
	double t0, t1, cpu0, cpu, deadline;
	bool timed_out = false, all_done, started;
	int err, port = 0;

	if (parse_args(argc, argv, &cfg))
		return EXIT_USAGE;
	if (fill_addr(cfg.family, cfg.connect_addr, 0, &run.dst, &run.dst_len)) {
		fprintf(stderr, "loadgen: invalid %s address '%s'\n",
			cfg.family == AF_INET6 ? "IPv6" : "IPv4", cfg.connect_addr);
		return EXIT_USAGE;
	}
	/* No SA_RESTART: the wake-up must interrupt blocking calls at the time limit. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return EXIT_SETUP;
	signal(SIGPIPE, SIG_IGN);

	run.listen_fd = open_listener(&cfg, &port);
	if (run.listen_fd < 0) {
		fprintf(stderr, "loadgen: cannot listen on %s port %d: %s\n", cfg.bind_addr,
			cfg.port, strerror(-run.listen_fd));
		return EXIT_SETUP;
	}
	if (cfg.family == AF_INET)
		((struct sockaddr_in *)&run.dst)->sin_port = htons((unsigned short)port);
	else
		((struct sockaddr_in6 *)&run.dst)->sin6_port = htons((unsigned short)port);

	pthread_mutex_init(&run.lock, NULL);
	pthread_mutex_init(&run.pair_lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&run.cond, &cattr);
	pthread_cond_init(&run.gate, NULL);
	run.clients_left = cfg.client_threads;

	clients = calloc((size_t)cfg.client_threads, sizeof(*clients));
	servers = calloc((size_t)cfg.server_threads + 1, sizeof(*servers));
	if (!clients || !servers) {
		fprintf(stderr, "loadgen: out of memory\n");
		return EXIT_SETUP;
	}
	deadline = now_secs() + cfg.max_secs;
	err = start_workers(servers, cfg.server_threads, &run, server_thread);
	if (!err)
		err = start_workers(clients, cfg.client_threads, &run,
				    cfg.mode == MODE_STORM ? storm_client : chatter_client);
	if (err) {
		/* Threads already started wait at the start line forever: just leave. */
		fprintf(stderr, "loadgen: cannot start threads: %s\n", strerror(-err));
		return EXIT_SETUP;
	}
	started = start_clients(&run, deadline);
	t0 = now_secs();
	cpu0 = cpu_secs();

	if (!started || !wait_clients(&run, deadline)) {
		timed_out = true;
		atomic_store(&run.stop, true);
		interrupt_workers(clients, cfg.client_threads);
		wait_clients(&run, now_secs() + 1);
	}
	/* The run ends when the server has closed its side of every connection too. */
	if (!timed_out && !wait_served(&run, deadline))
		timed_out = true;
	t1 = now_secs();
	cpu = cpu_secs() - cpu0;

	atomic_store(&run.stop, true);
	/* Wakes the servers blocked in accept(): it then fails with EINVAL. */
	shutdown(run.listen_fd, SHUT_RDWR);
	all_done = interrupt_workers(servers, cfg.server_threads) &&
		   interrupt_workers(clients, cfg.client_threads);
	print_result(&run, port, t1 - t0, cpu, timed_out);
	if (run.first_error_what)
		fprintf(stderr, "loadgen: %ld errors, the first: %s: %s\n",
			atomic_load(&run.errors), run.first_error_what, strerror(run.first_error));
	if (timed_out)
		fprintf(stderr, "loadgen: stopped at the time limit of %.0f s\n", cfg.max_secs);
	if (!all_done) {
		fprintf(stderr, "loadgen: some threads did not stop\n");
		_exit(EXIT_INCOMPLETE);
	}
	for (int i = 0; i < cfg.client_threads; i++)
		pthread_join(clients[i].tid, NULL);
	for (int i = 0; i < cfg.server_threads; i++)
		pthread_join(servers[i].tid, NULL);
	close(run.listen_fd);
	free(clients);
	free(servers);
	return timed_out || atomic_load(&run.errors) ? EXIT_INCOMPLETE : 0;
}
