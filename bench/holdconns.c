// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * holdconns - open N established TCP sockets on loopback and hold them, for the start-up
 * benchmark of bench/run.sh (socket-snoop's snapshot of the connections open at start).
 *
 *   holdconns [-n SOCKETS] [-w WORKERS] [-t SECS] [-6]
 *
 * SOCKETS (10000, even) counts both ends: SOCKETS / 2 connections, each with its client
 * and its accepted server socket in the same worker process, plus one listener per
 * worker. A process may hold at most 20,000 descriptors here (the hard RLIMIT_NOFILE), so
 * the connections are spread over WORKERS processes (0: as few as fit, 9,000 connections
 * each). Once every worker holds its share, one line goes to stdout:
 *   ready sockets=N listeners=W workers=W secs=F
 * and the sockets are held until SIGINT or SIGTERM, or for at most SECS (300) in all;
 * then the workers are killed and holdconns exits. Workers die with it (PDEATHSIG).
 * Exit codes: 0 held until stopped or timed out; 2 set-up failed (no ready line);
 * 64 usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_SETUP = 2, EXIT_USAGE = 64 };

/* Two descriptors per connection: 9,000 of them leave room under a 20,000 limit. */
#define CONNS_PER_WORKER 9000
#define MAX_WORKERS 64
/* Connections made before they are accepted: well under the default somaxconn (4096). */
#define BATCH 512

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: holdconns [-n SOCKETS] [-w WORKERS] [-t SECS] [-6]\n");
}

/* A listener on an ephemeral loopback port; its address in @addr. -errno on failure. */
static int listen_loopback(int family, struct sockaddr_storage *addr, socklen_t *len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	memset(addr, 0, sizeof(*addr));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)addr;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)addr, *len) || listen(fd, BATCH * 2) ||
	    getsockname(fd, (struct sockaddr *)addr, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * A worker: @conns connections to its own listener, both ends kept open. Connects in
 * batches (the listener's backlog completes the handshakes) and accepts each batch.
 * 0 or -errno.
 */
static int worker_open(int family, long conns)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int lfd = listen_loopback(family, &addr, &len);

	if (lfd < 0)
		return lfd;
	for (long done = 0; done < conns;) {
		long batch = conns - done < BATCH ? conns - done : BATCH;

		for (long i = 0; i < batch; i++) {
			int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0 || connect(fd, (struct sockaddr *)&addr, len))
				return -errno;
		}
		for (long i = 0; i < batch; i++)
			if (accept4(lfd, NULL, NULL, SOCK_CLOEXEC) < 0)
				return -errno;
		done += batch;
	}
	return 0;
}

/* Raise the soft descriptor limit to the hard one: a worker holds up to 18,001. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void kill_workers(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

int main(int argc, char **argv)
{
	long sockets = 10000, workers = 0, max_secs = 300;
	int family = AF_INET, opt, ready_pipe[2], nw;
	pid_t pids[MAX_WORKERS] = { 0 };
	struct sigaction sa = { .sa_handler = on_stop };
	double t0 = now_secs();
	long conns;
	char c;

	while ((opt = getopt(argc, argv, "n:w:t:6h")) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_long(optarg, 2, 2L * CONNS_PER_WORKER * MAX_WORKERS, &sockets) ||
			    sockets % 2) {
				fprintf(stderr,
					"holdconns: -n must be an even number from 2 to %ld\n",
					2L * CONNS_PER_WORKER * MAX_WORKERS);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			if (!parse_long(optarg, 0, MAX_WORKERS, &workers)) {
				fprintf(stderr, "holdconns: -w must be 0 to %d\n", MAX_WORKERS);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (!parse_long(optarg, 1, 86400, &max_secs)) {
				fprintf(stderr, "holdconns: -t must be 1 to 86400 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	conns = sockets / 2;
	if (!workers)
		workers = (conns + CONNS_PER_WORKER - 1) / CONNS_PER_WORKER;
	if ((conns + workers - 1) / workers > CONNS_PER_WORKER) {
		fprintf(stderr, "holdconns: %ld workers cannot hold %ld connections (%d each)\n",
			workers, conns, CONNS_PER_WORKER);
		return EXIT_USAGE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned int)max_secs);
	if (pipe(ready_pipe))
		return EXIT_SETUP;
	nw = (int)workers;
	for (int i = 0; i < nw; i++) {
		long share = conns / workers + (i < conns % workers);

		pids[i] = fork();
		if (pids[i] < 0) {
			perror("holdconns: fork");
			kill_workers(pids, i);
			return EXIT_SETUP;
		}
		if (pids[i] == 0) {
			int err;

			/* Never outlive the parent, whatever stops it. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(EXIT_SETUP);
			close(ready_pipe[0]);
			raise_nofile();
			err = worker_open(family, share);
			if (err) {
				fprintf(stderr, "holdconns: worker %d: %s\n", i, strerror(-err));
				_exit(EXIT_SETUP);
			}
			c = 'r';
			if (write(ready_pipe[1], &c, 1) != 1)
				_exit(EXIT_SETUP);
			for (;;)
				pause();
		}
	}
	close(ready_pipe[1]);
	for (int i = 0; i < nw; i++) {
		ssize_t n;

		do
			n = read(ready_pipe[0], &c, 1);
		while (n < 0 && errno == EINTR && !stop_requested);
		if (n != 1) {
			/* A worker failed (its message is out), or we were stopped first. */
			kill_workers(pids, nw);
			return EXIT_SETUP;
		}
	}
	printf("ready sockets=%ld listeners=%d workers=%d secs=%.3f\n", sockets, nw, nw,
	       now_secs() - t0);
	fflush(stdout);
	while (!stop_requested)
		pause();
	kill_workers(pids, nw);
	return 0;
}
