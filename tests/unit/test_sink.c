// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_sink.c - outputs: the log file is created 0640 and appended to,
 * noticed when logrotate moves it and reopened at its path; write errors
 * (disk full, reader gone) are returned, counted and survived; whole lines
 * or none reach the output; a slow reader never blocks and what it cannot
 * take is counted; a link or file another user could have planted is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/sink.h"

/* A private directory per test, removed with everything in it by the teardown. */
struct tmp {
	char dir[256];
	char log[320];
	char moved[320];
	char other[320]; /* a file or link a test may create */
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/test_sink.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->log, sizeof(t->log), "%s/socket_monitor.log", t->dir);
	snprintf(t->moved, sizeof(t->moved), "%s/socket_monitor.log.1", t->dir);
	snprintf(t->other, sizeof(t->other), "%s/other", t->dir);
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;

	unlink(t->log);
	unlink(t->moved);
	unlink(t->other);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* The whole content of @path; "" when it does not exist.  Static buffer. */
static const char *slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int write_str(struct sink *s, const char *str)
{
	return sink__write(s, str, strlen(str));
}

/* ---- log file -------------------------------------------------------------------------- */

static void test_file_created_with_mode_0640(void **state)
{
	struct tmp *t = *state;
	mode_t old = umask(022);
	struct sink *s = sink__new_file(t->log);
	struct stat st;

	umask(old);
	assert_non_null(s);
	assert_int_equal(stat(t->log, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_string_equal(sink__name(s), t->log);
	sink__free(s);
}

static void test_file_appends_to_existing_content(void **state)
{
	struct tmp *t = *state;
	int fd = open(t->log, O_WRONLY | O_CREAT | O_EXCL, 0600);
	struct sink *s;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old line\n", 9), 9);
	close(fd);

	s = sink__new_file(t->log);
	assert_non_null(s);
	assert_int_equal(write_str(s, "line 1\n"), 0);
	assert_int_equal(write_str(s, "line 2\n"), 0);
	/* Buffered until flushed. */
	assert_string_equal(slurp(t->log), "old line\n");
	assert_int_equal(sink__flush(s), 0);
	assert_string_equal(slurp(t->log), "old line\nline 1\nline 2\n");
	sink__free(s);

	/* A second sink on the same path appends too. */
	s = sink__new_file(t->log);
	assert_non_null(s);
	assert_int_equal(write_str(s, "line 3\n"), 0);
	sink__free(s); /* flushes */
	assert_string_equal(slurp(t->log), "old line\nline 1\nline 2\nline 3\n");
}

static void test_file_in_missing_directory_fails_with_enoent(void **state)
{
	struct tmp *t = *state;
	char path[320];

	snprintf(path, sizeof(path), "%s/no-such-dir/x.log", t->dir);
	errno = 0;
	assert_null(sink__new_file(path));
	assert_int_equal(errno, ENOENT);
}

static void test_file_moved_after_rename(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);

	assert_non_null(s);
	assert_int_equal(sink__file_moved(s), 0);
	assert_int_equal(rename(t->log, t->moved), 0);
	assert_int_equal(sink__file_moved(s), 1);
	sink__free(s);
}

static void test_file_moved_after_unlink(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);

	assert_non_null(s);
	assert_int_equal(unlink(t->log), 0);
	assert_int_equal(sink__file_moved(s), 1);
	sink__free(s);
}

static void test_file_replaced_by_another_file_counts_as_moved(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);
	int fd;

	assert_non_null(s);
	assert_int_equal(rename(t->log, t->moved), 0);
	fd = open(t->log, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sink__file_moved(s), 1);
	sink__free(s);
}

static void test_reopen_writes_to_the_new_file_at_the_path(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);
	struct stat st;

	assert_non_null(s);
	assert_int_equal(write_str(s, "before rotation\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	assert_int_equal(rename(t->log, t->moved), 0);

	/* Queued before the reopen: still goes to the file it was meant for. */
	assert_int_equal(write_str(s, "queued\n"), 0);
	assert_int_equal(sink__reopen(s), 0);
	assert_int_equal(sink__file_moved(s), 0);
	assert_int_equal(write_str(s, "after rotation\n"), 0);
	assert_int_equal(sink__flush(s), 0);

	assert_string_equal(slurp(t->moved), "before rotation\nqueued\n");
	assert_string_equal(slurp(t->log), "after rotation\n");
	assert_int_equal(stat(t->log, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(sink__errors(s), 0);
	sink__free(s);
}

static void test_reopen_of_fd_sink_only_flushes(void **state)
{
	int p[2];
	char buf[16] = "";
	struct sink *s;

	assert_int_equal(pipe(p), 0);
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	assert_int_equal(write_str(s, "abc"), 0);
	assert_int_equal(sink__reopen(s), 0);
	assert_int_equal(sink__file_moved(s), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 3);
	assert_string_equal(buf, "abc");
	sink__free(s);
	close(p[0]);
	close(p[1]);
}

/* ---- descriptors and write errors ------------------------------------------------------ */

static void test_fd_sink_writes_on_flush_and_leaves_fd_open(void **state)
{
	int p[2];
	char buf[64] = "";
	struct sink *s;

	assert_int_equal(pipe(p), 0);
	s = sink__new_fd(p[1], "standard output");
	assert_non_null(s);
	assert_string_equal(sink__name(s), "standard output");
	assert_int_equal(write_str(s, "one\n"), 0);
	assert_int_equal(write_str(s, "two\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 8);
	assert_string_equal(buf, "one\ntwo\n");
	/* Flushing nothing writes nothing. */
	assert_int_equal(sink__flush(s), 0);
	sink__free(s);
	/* The console descriptor belongs to the caller. */
	assert_int_equal(fcntl(p[1], F_GETFD), 0);
	close(p[0]);
	close(p[1]);
}

static void test_full_device_returns_enospc_and_counts_dropped_bytes(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	struct sink *s;

	assert_true(fd >= 0);
	s = sink__new_fd(fd, "/dev/full");
	assert_non_null(s);
	assert_int_equal(sink__errors(s), 0);
	assert_int_equal(sink__dropped_bytes(s), 0);

	assert_int_equal(write_str(s, "0123456789"), 0);
	assert_int_equal(sink__flush(s), -ENOSPC);
	assert_int_equal(sink__errors(s), 1);
	assert_int_equal(sink__dropped_bytes(s), 10);

	/* The batch is dropped, not retried: the next flush only carries new bytes. */
	assert_int_equal(write_str(s, "abc"), 0);
	assert_int_equal(sink__flush(s), -ENOSPC);
	assert_int_equal(sink__errors(s), 2);
	assert_int_equal(sink__dropped_bytes(s), 13);
	assert_int_equal(sink__flush(s), 0);
	assert_int_equal(sink__errors(s), 2);
	sink__free(s);
	close(fd);
}

static void test_closed_pipe_returns_epipe(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct sink *s;
	int p[2];

	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	assert_int_equal(pipe(p), 0);
	close(p[0]); /* the reader went away */
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	assert_int_equal(write_str(s, "lost line\n"), 0);
	assert_int_equal(sink__flush(s), -EPIPE);
	assert_int_equal(sink__errors(s), 1);
	assert_int_equal(sink__dropped_bytes(s), 10);
	sink__free(s);
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
}

static void test_write_flushes_when_the_buffer_would_overflow(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	char chunk[4096];
	struct sink *s;
	size_t queued = 0;
	int err = 0;

	assert_true(fd >= 0);
	memset(chunk, 'x', sizeof(chunk));
	s = sink__new_fd(fd, "/dev/full");
	assert_non_null(s);
	/* Writes succeed while they fit; the one that does not fit flushes first. */
	while (!err && queued < 1024 * 1024) {
		err = sink__write(s, chunk, sizeof(chunk));
		if (!err)
			queued += sizeof(chunk);
	}
	assert_int_equal(err, -ENOSPC);
	assert_true(queued > 0);
	assert_int_equal(sink__errors(s), 1);
	assert_int_equal(sink__dropped_bytes(s), queued);
	sink__free(s);
	close(fd);
}

/* ---- whole lines, slow readers, dropped lines ------------------------------------------ */

/* Ten-byte lines "line NNNN\n" numbered from @first, @n of them queued on @s. */
static int write_lines(struct sink *s, int first, int n)
{
	char line[16];
	int err = 0;

	for (int i = first; i < first + n; i++) {
		snprintf(line, sizeof(line), "line %04d\n", i % 10000);
		err = sink__write(s, line, 10);
		if (err)
			return err;
	}
	return err;
}

/* True when @buf is a run of whole "line NNNN\n" lines. */
static bool whole_lines(const char *buf, size_t len)
{
	if (len % 10)
		return false;
	for (size_t off = 0; off < len; off += 10)
		if (strncmp(buf + off, "line ", 5) || buf[off + 9] != '\n')
			return false;
	return true;
}

static void test_file_short_write_leaves_whole_lines_and_counts_the_rest(void **state)
{
	struct tmp *t = *state;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct rlimit lim, small = { 0 };
	struct sink *s = sink__new_file(t->log);
	const char *got;

	assert_non_null(s);
	/* A file size limit acts as a full disk: a short write, then EFBIG. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &lim), 0);
	small.rlim_cur = 95;
	small.rlim_max = lim.rlim_max;
	assert_int_equal(sigaction(SIGXFSZ, &ign, &old), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);

	assert_int_equal(write_lines(s, 0, 20), 0);
	assert_int_equal(sink__flush(s), -EFBIG);
	/* Nine whole lines fit in 95 bytes; the tenth was cut and truncated away. */
	got = slurp(t->log);
	assert_int_equal(strlen(got), 90);
	assert_true(whole_lines(got, strlen(got)));
	assert_int_equal(sink__dropped_lines(s), 11);
	assert_int_equal(sink__errors(s), 1);
	assert_int_equal(sink__queued(s), 0);

	/* Space returns: writing resumes, at the start of a line. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	sigaction(SIGXFSZ, &old, NULL);
	assert_int_equal(write_lines(s, 100, 2), 0);
	assert_int_equal(sink__flush(s), 0);
	got = slurp(t->log);
	assert_int_equal(strlen(got), 110);
	assert_true(whole_lines(got, strlen(got)));
	assert_string_equal(got + 90, "line 0100\nline 0101\n");
	assert_int_equal(sink__dropped_lines(s), 11);
	sink__free(s);
}

static void test_slow_pipe_reader_keeps_the_rest_queued_without_blocking(void **state)
{
	char buf[8192];
	size_t total = 0;
	struct sink *s;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* One page: a pipe that takes 4096 bytes and then would block. */
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	assert_int_equal(write_lines(s, 0, 1000), 0);
	/* Returns at once with the rest queued (a blocking write would hang here). */
	assert_int_equal(sink__flush(s), 0);
	assert_true(sink__queued(s) > 0);
	assert_true(sink__queued(s) < 10000);
	assert_int_equal(sink__dropped_lines(s), 0);
	assert_int_equal(sink__errors(s), 0);
	/* The shared description (stderr after 2>&1, the shell's) is left blocking. */
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	/* The reader catches up: every line arrives, in order, none cut. */
	while (total < 10000) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++) {
			size_t at = total + (size_t)i;
			char want[16];

			snprintf(want, sizeof(want), "line %04zu\n", at / 10);
			assert_int_equal(buf[i], want[at % 10]);
		}
		total += (size_t)n;
		assert_int_equal(sink__flush(s), 0);
	}
	assert_int_equal(sink__queued(s), 0);
	assert_int_equal(sink__dropped_lines(s), 0);
	sink__free(s);
	/* The descriptor is handed back as it came: blocking. */
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	close(p[0]);
	close(p[1]);
}

static void test_socket_reader_that_stops_reading_does_not_block(void **state)
{
	int sv[2], small = 4096, drained = 0;
	char buf[4096];
	struct sink *s;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	s = sink__new_fd(sv[0], "socket");
	assert_non_null(s);
	assert_int_equal(write_lines(s, 0, 20000), 0);
	assert_int_equal(sink__flush(s), 0);
	assert_true(sink__queued(s) > 0);
	assert_int_equal(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	while (sink__queued(s)) {
		ssize_t n = read(sv[1], buf, sizeof(buf));

		assert_true(n > 0);
		drained += (int)n;
		assert_int_equal(sink__flush(s), 0);
	}
	assert_int_equal(sink__dropped_lines(s), 0);
	sink__free(s);
	close(sv[0]);
	assert_true(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	for (ssize_t n; (n = read(sv[1], buf, sizeof(buf))) > 0;)
		drained += (int)n;
	assert_int_equal(drained, 200000);
	close(sv[1]);
}

static void test_full_queue_drops_whole_lines_and_counts_them(void **state)
{
	int queued_lines = SINK_QUEUE_MAX / 10, extra = 500, dropped = 0;
	char buf[4096];
	size_t total = 0;
	struct sink *s;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	/* Nobody reads: the pipe takes 4096 bytes, the queue SINK_QUEUE_MAX, the rest is dropped. */
	for (int i = 0; i < queued_lines + extra; i++) {
		char line[16];

		snprintf(line, sizeof(line), "line %04d\n", i % 10000);
		if (sink__write(s, line, 10) == -ENOBUFS)
			dropped++;
	}
	assert_int_equal(sink__flush(s), 0);
	assert_true(dropped > 0);
	assert_true(dropped <= extra);
	assert_int_equal(sink__dropped_lines(s), dropped);
	assert_int_equal(sink__dropped_bytes(s), dropped * 10);
	assert_int_equal(sink__errors(s), 0);
	/* What was taken is whole lines, and writing resumes once the reader reads. */
	while (sink__queued(s)) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		assert_true(n > 0);
		total += (size_t)n;
		assert_int_equal(sink__flush(s), 0);
	}
	assert_true(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	for (ssize_t n; (n = read(p[0], buf, sizeof(buf))) > 0;)
		total += (size_t)n;
	assert_int_equal(total, (size_t)(queued_lines + extra - dropped) * 10);
	assert_int_equal(write_lines(s, 0, 1), 0);
	assert_int_equal(sink__flush(s), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 10);
	assert_int_equal(sink__dropped_lines(s), dropped);
	sink__free(s);
	close(p[0]);
	close(p[1]);
}

static void test_drain_gives_a_stuck_reader_a_bounded_time_then_drops(void **state)
{
	struct timespec a, b;
	struct sink *s;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	assert_int_equal(write_lines(s, 0, 1000), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(sink__drain(s, 100), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 5);
	assert_int_equal(sink__queued(s), 0);
	/* 4096 bytes went into the pipe: 409 whole lines and 6 bytes of the 410th. */
	assert_int_equal(sink__dropped_lines(s), 1000 - 409);
	sink__free(s);
	close(p[0]);
	close(p[1]);
}

/* ---- opening the log file safely ------------------------------------------------------- */

#define NOBODY 65534

/* Make the test directory a sticky, world-writable one like /tmp. */
static void make_shared_dir(struct tmp *t)
{
	assert_int_equal(chmod(t->dir, 01777), 0);
}

static void test_symlink_planted_by_another_user_in_sticky_dir_is_refused(void **state)
{
	struct tmp *t = *state;
	int fd;

	if (geteuid() != 0)
		skip();
	make_shared_dir(t);
	fd = open(t->other, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "root's\n", 7), 7);
	close(fd);
	assert_int_equal(symlink(t->other, t->log), 0);
	assert_int_equal(lchown(t->log, NOBODY, NOBODY), 0);

	errno = 0;
	assert_null(sink__new_file(t->log));
	assert_int_equal(errno, SINK_EUNSAFE_LINK);
	assert_non_null(strstr(sink__strerror(-SINK_EUNSAFE_LINK), "symbolic link"));
	assert_string_equal(slurp(t->other), "root's\n");
}

static void test_symlink_owned_by_us_in_sticky_dir_is_followed(void **state)
{
	struct tmp *t = *state;
	struct sink *s;

	make_shared_dir(t);
	assert_int_equal(symlink("other", t->log), 0);
	s = sink__new_file(t->log);
	assert_non_null(s);
	assert_int_equal(write_str(s, "via link\n"), 0);
	sink__free(s);
	assert_string_equal(slurp(t->other), "via link\n");
}

static void test_planted_symlink_in_a_directory_of_the_path_is_refused(void **state)
{
	struct tmp *t = *state;
	char sub[320], path[400];

	if (geteuid() != 0)
		skip();
	make_shared_dir(t);
	/* dir/other -> dir/sub, planted: dir/other/x.log would land in dir/sub. */
	snprintf(sub, sizeof(sub), "%s/sub", t->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(symlink(sub, t->other), 0);
	assert_int_equal(lchown(t->other, NOBODY, NOBODY), 0);
	snprintf(path, sizeof(path), "%s/x.log", t->other);
	errno = 0;
	assert_null(sink__new_file(path));
	assert_int_equal(errno, SINK_EUNSAFE_LINK);
	snprintf(path, sizeof(path), "%s/x.log", sub);
	assert_int_equal(access(path, F_OK), -1);
	rmdir(sub);
}

static void test_file_of_another_user_in_sticky_dir_is_refused(void **state)
{
	struct tmp *t = *state;
	int fd;

	if (geteuid() != 0)
		skip();
	make_shared_dir(t);
	fd = open(t->log, O_WRONLY | O_CREAT | O_EXCL, 0666);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chown(t->log, NOBODY, NOBODY), 0);
	errno = 0;
	assert_null(sink__new_file(t->log));
	assert_int_equal(errno, SINK_EUNSAFE_FILE);
	assert_string_equal(slurp(t->log), "");
}

static void test_hard_link_in_sticky_dir_is_refused(void **state)
{
	struct tmp *t = *state;
	int fd;

	make_shared_dir(t);
	fd = open(t->other, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(link(t->other, t->log), 0);
	errno = 0;
	assert_null(sink__new_file(t->log));
	assert_int_equal(errno, SINK_EUNSAFE_FILE);
}

static void test_fifo_is_refused_without_blocking(void **state)
{
	struct tmp *t = *state;

	assert_int_equal(mkfifo(t->log, 0600), 0);
	errno = 0;
	assert_null(sink__new_file(t->log));
	assert_int_equal(errno, SINK_ENOTREG);
	assert_string_equal(sink__strerror(-SINK_ENOTREG), "not a regular file");
}

static void test_directory_is_refused(void **state)
{
	struct tmp *t = *state;

	errno = 0;
	assert_null(sink__new_file(t->dir));
	assert_int_equal(errno, SINK_ENOTREG);
}

static void test_reopen_refuses_a_planted_symlink_and_keeps_the_old_file(void **state)
{
	struct tmp *t = *state;
	struct sink *s;
	int fd;

	if (geteuid() != 0)
		skip();
	make_shared_dir(t);
	s = sink__new_file(t->log);
	assert_non_null(s);
	assert_int_equal(rename(t->log, t->moved), 0);
	fd = open(t->other, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(t->other, t->log), 0);
	assert_int_equal(lchown(t->log, NOBODY, NOBODY), 0);
	assert_int_equal(sink__file_moved(s), 1);
	assert_int_equal(sink__reopen(s), -SINK_EUNSAFE_LINK);
	assert_int_equal(write_str(s, "still old\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	sink__free(s);
	assert_string_equal(slurp(t->moved), "still old\n");
	assert_string_equal(slurp(t->other), "");
}

static void test_free_null_is_fine(void **state)
{
	sink__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_created_with_mode_0640, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_file_appends_to_existing_content, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_file_in_missing_directory_fails_with_enoent,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_file_moved_after_rename, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_file_moved_after_unlink, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_file_replaced_by_another_file_counts_as_moved,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_reopen_writes_to_the_new_file_at_the_path,
						setup_tmp, teardown_tmp),
		cmocka_unit_test(test_reopen_of_fd_sink_only_flushes),
		cmocka_unit_test(test_fd_sink_writes_on_flush_and_leaves_fd_open),
		cmocka_unit_test(test_full_device_returns_enospc_and_counts_dropped_bytes),
		cmocka_unit_test(test_closed_pipe_returns_epipe),
		cmocka_unit_test(test_write_flushes_when_the_buffer_would_overflow),
		cmocka_unit_test_setup_teardown(
			test_file_short_write_leaves_whole_lines_and_counts_the_rest, setup_tmp,
			teardown_tmp),
		cmocka_unit_test(test_slow_pipe_reader_keeps_the_rest_queued_without_blocking),
		cmocka_unit_test(test_socket_reader_that_stops_reading_does_not_block),
		cmocka_unit_test(test_full_queue_drops_whole_lines_and_counts_them),
		cmocka_unit_test(test_drain_gives_a_stuck_reader_a_bounded_time_then_drops),
		cmocka_unit_test_setup_teardown(
			test_symlink_planted_by_another_user_in_sticky_dir_is_refused, setup_tmp,
			teardown_tmp),
		cmocka_unit_test_setup_teardown(test_symlink_owned_by_us_in_sticky_dir_is_followed,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_planted_symlink_in_a_directory_of_the_path_is_refused, setup_tmp,
			teardown_tmp),
		cmocka_unit_test_setup_teardown(test_file_of_another_user_in_sticky_dir_is_refused,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_hard_link_in_sticky_dir_is_refused, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_fifo_is_refused_without_blocking, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_directory_is_refused, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_reopen_refuses_a_planted_symlink_and_keeps_the_old_file, setup_tmp,
			teardown_tmp),
		cmocka_unit_test(test_free_null_is_fine),
	};

	/* Files are created under a known umask, as a daemon's usually is. */
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
