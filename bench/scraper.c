// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * scraper - scrape http://HOST:PORT/metrics every second, as Prometheus would, for the
 * storm of bench/run.sh that runs socket-snoop with --metrics.
 *
 *   scraper [-i MS] [-o FILE] HOST PORT
 *
 * One process for the whole run: the bench measures what a scrape costs socket-snoop
 * and the workload, and starting curl each second (an exec, its libraries' start-up)
 * would charge the workload with the scraper's own start-up instead.  Each scrape is a
 * new connection (socket-snoop answers "Connection: close"), asks for gzip like
 * Prometheus, reads the whole answer and writes its HTTP status to FILE (stdout), one
 * line per scrape, "000" when it got none within 5 seconds.  Runs until SIGTERM or
 * SIGINT.  Exit codes: 0 stopped by a signal; 64 usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

enum { EXIT_USAGE = 64 };

#define DEADLINE_MS 5000

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline (ms): 1 ready, 0 timed out or stopped. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	while (!stop_requested) {
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
	return 0;
}

/* One scrape: the answer's HTTP status, or 0 when none came. */
static int scrape(const struct sockaddr_in *addr, const char *request)
{
	long long deadline = now_ms() + DEADLINE_MS;
	char buf[65536], head[17];
	size_t len = strlen(request), sent = 0, got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int status = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) && errno != EINPROGRESS)
		goto out;
	while (sent < len) {
		if (!wait_fd(fd, POLLOUT, deadline))
			goto out;
		n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto out;
		if (n > 0)
			sent += (size_t)n;
	}
	/* Read to the end (the server closes): only the status line's start is kept. */
	for (;;) {
		if (!wait_fd(fd, POLLIN, deadline))
			goto out;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			goto out;
		}
		if (got < sizeof(head) - 1) {
			size_t k = sizeof(head) - 1 - got < (size_t)n ? sizeof(head) - 1 - got :
									(size_t)n;

			memcpy(head + got, buf, k);
			got += k;
		}
	}
	head[got] = '\0';
	if (got >= 12 && !strncmp(head, "HTTP/1.", 7))
		status = atoi(head + 9);
out:
	close(fd);
	return status;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	const char *out_path = NULL;
	long interval_ms = 1000;
	char request[256];
	FILE *out = stdout;
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "i:o:")) != -1) {
		switch (opt) {
		case 'i':
			errno = 0;
			interval_ms = strtol(optarg, &end, 10);
			if (errno || *end || interval_ms < 1 || interval_ms > 3600000) {
				fprintf(stderr, "scraper: -i: not a number of milliseconds: %s\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			out_path = optarg;
			break;
		default:
			fprintf(stderr, "usage: scraper [-i MS] [-o FILE] HOST PORT\n");
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2 || inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1) {
		fprintf(stderr, "usage: scraper [-i MS] [-o FILE] HOST PORT (an IPv4 address)\n");
		return EXIT_USAGE;
	}
	{
		long port = strtol(argv[optind + 1], &end, 10);

		if (*end || port < 1 || port > 65535) {
			fprintf(stderr, "scraper: not a port: %s\n", argv[optind + 1]);
			return EXIT_USAGE;
		}
		addr.sin_port = htons((uint16_t)port);
	}
	if (out_path && !(out = fopen(out_path, "a"))) {
		fprintf(stderr, "scraper: %s: %s\n", out_path, strerror(errno));
		return EXIT_USAGE;
	}
	snprintf(request, sizeof(request),
		 "GET /metrics HTTP/1.1\r\nHost: %s:%s\r\nAccept-Encoding: gzip\r\n"
		 "User-Agent: socket-snoop-bench-scraper\r\n\r\n",
		 argv[optind], argv[optind + 1]);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	while (!stop_requested) {
		long long next = now_ms() + interval_ms;
		int status = scrape(&addr, request);

		if (stop_requested && !status)
			break;
		fprintf(out, "%03d\n", status);
		fflush(out);
		/* One sleep: a signal ends it (nanosleep is never restarted). */
		if (!stop_requested && next > now_ms()) {
			long long left = next - now_ms();
			struct timespec ts = { left / 1000, (left % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	if (out != stdout)
		fclose(out);
	return 0;
}
