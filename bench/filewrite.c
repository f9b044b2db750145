// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * filewrite - what writing a log file alone costs, for bench/run.sh.
 *
 *   filewrite FILE BYTES
 *
 * Appends BYTES bytes of text to FILE (created, or truncated first) the way
 * socket-snoop writes its log file (src/common/sink.c): write() of 256 KiB at
 * a time to a file opened O_APPEND.  Prints one line:
 *
 *   bytes=N cpu_s=F
 *
 * cpu_s is the process's CPU time over the writes alone (CLOCK_PROCESS_CPUTIME_ID,
 * exact).  The bench sets it beside socket-snoop's CPU per event: the part
 * of it that any program writing the same bytes pays the kernel.  Exits 0, or 1
 * with a message when the file cannot be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* sink.c's SINK_FLUSH_AT: the size of its writes to a file in a storm. */
#define CHUNK (256 * 1024)

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	unsigned long long bytes, left;
	char *end;
	double c0, c1;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: filewrite FILE BYTES\n");
		return 1;
	}
	errno = 0;
	bytes = strtoull(argv[2], &end, 10);
	if (errno || end == argv[2] || *end) {
		fprintf(stderr, "filewrite: BYTES: not a number: '%s'\n", argv[2]);
		return 1;
	}
	/* Lines of printable text, as a log holds: the page cache does not care, a reader might. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 128 == 127) ? '\n' : (char)('a' + i % 26);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "filewrite: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	c0 = cpu_now();
	for (left = bytes; left;) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "filewrite: %s: %s\n", argv[1],
				w < 0 ? strerror(errno) : "short write");
			close(fd);
			return 1;
		}
		left -= (unsigned long long)w;
	}
	c1 = cpu_now();
	close(fd);
	printf("bytes=%llu cpu_s=%.6f\n", bytes, c1 - c0);
	return 0;
}
