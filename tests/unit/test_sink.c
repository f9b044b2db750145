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
#include <ftw.h>
#include <grp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/sink.h"
#include "helpers.h"

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

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Everything a test left in its directory goes (rotated files, directories in their place). */
static int teardown_tmp(void **state)
{
	struct tmp *t = *state;

	chmod(t->dir, 0700);
	nftw(t->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
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
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	/* The sink asks for a 1 MiB pipe (a busy reader's margin): shrink it back after. */
	assert_int_equal(fcntl(p[1], F_GETPIPE_SZ), 1024 * 1024);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
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
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
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
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
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

/* ---- rotation (--log-max-size) ------------------------------------------------------- */

/* Every line a rotation test wrote, in order. */
struct written {
	char *buf;
	size_t len;
};

/* Line @i: "line NNNNN " and 0..60 x's, newline: 12 to 72 bytes, of varying length. */
static size_t make_line(char *out, int i)
{
	int pad = (i * 37) % 61;
	int n = snprintf(out, 96, "line %05d ", i);

	memset(out + n, 'x', (size_t)pad);
	out[n + pad] = '\n';
	return (size_t)n + (size_t)pad + 1;
}

/* @p grown to @n bytes (the test fails without memory). */
static void *grow(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		free(p);
	assert_non_null(q);
	return q;
}

static void put(struct sink *s, struct written *w, const char *line, size_t len)
{
	assert_int_equal(sink__write(s, line, len), 0);
	w->buf = grow(w->buf, w->len + len);
	memcpy(w->buf + w->len, line, len);
	w->len += len;
}

/* Lines @first..@last, flushed after every @every (0: once at the end). */
static void put_lines(struct sink *s, struct written *w, int first, int last, int every)
{
	char line[96];

	for (int i = first; i <= last; i++) {
		put(s, w, line, make_line(line, i));
		if (every && (i - first) % every == every - 1)
			assert_int_equal(sink__flush(s), 0);
	}
	assert_int_equal(sink__flush(s), 0);
}

/* "LOG" (@i 0) or "LOG.I" of the test's log file. */
static const char *rot(const struct tmp *t, int i)
{
	static char name[4][400];
	static int next;
	char *p = name[next++ % 4];

	if (i)
		snprintf(p, 400, "%s.%d", t->log, i);
	else
		snprintf(p, 400, "%s", t->log);
	return p;
}

/* The whole content of @path (malloc'd, NUL-terminated), its length in *@len; NULL if missing. */
static char *read_all(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * The rotated set of the test's log file: LOG.1 ... LOG.@n exist and no
 * LOG.(@n+1); each file holds whole lines (ends with a newline) and at most
 * @max bytes, unless it is a single line longer than that; a rotated file
 * was full (its next line would not have fitted).  Their concatenation,
 * oldest first, is returned (malloc'd) with its length in *@len.
 */
static char *assert_rotated_set(const struct tmp *t, int n, size_t max, size_t *len)
{
	char *all = NULL, *prev = NULL;
	size_t total = 0, prev_len = 0;

	assert_true(exists(rot(t, 0)));
	for (int i = 1; i <= n; i++)
		if (!exists(rot(t, i)))
			fail_msg("%s missing", rot(t, i));
	if (exists(rot(t, n + 1)))
		fail_msg("%s exists: more than %d rotated files", rot(t, n + 1), n);
	for (int i = n; i >= 0; i--) {
		size_t flen;
		char *f = read_all(rot(t, i), &flen);
		char *first_nl;

		assert_non_null(f);
		if (i > 0 || flen > 0) {
			if (flen == 0 || f[flen - 1] != '\n')
				fail_msg("%s does not end with a newline (%zu bytes)", rot(t, i),
					 flen);
			first_nl = memchr(f, '\n', flen);
			/* Over the limit only as one line alone. */
			if (flen > max && first_nl != f + flen - 1)
				fail_msg("%s: %zu bytes, more than %zu, in several lines",
					 rot(t, i), flen, max);
			/* The previous (older) file was rotated only when this first line did not fit. */
			if (prev && prev_len + (size_t)(first_nl - f + 1) <= max)
				fail_msg("%s rotated at %zu bytes, yet the next line (%zu bytes) "
					 "fitted under %zu",
					 rot(t, i + 1), prev_len, (size_t)(first_nl - f + 1), max);
		}
		all = grow(all, total + flen + 1);
		memcpy(all + total, f, flen);
		total += flen;
		all[total] = '\0';
		free(prev);
		prev = f;
		prev_len = flen;
	}
	free(prev);
	*len = total;
	return all;
}

static void test_rotation_whole_lines_under_the_limit_nothing_lost(void **state)
{
	struct tmp *t = *state;
	struct written w = { 0 };
	struct sink *s = sink__new_file(t->log);
	size_t len, files = 0;
	char *all;

	assert_non_null(s);
	sink__set_rotation(s, 200, 1000);
	/* Batches of every size: one line, a few, many lines in one write. */
	put_lines(s, &w, 0, 99, 1);
	put_lines(s, &w, 100, 299, 7);
	put_lines(s, &w, 300, 499, 0);
	sink__free(s);
	while (exists(rot(t, (int)files + 1)))
		files++;
	/* 500 lines of 42 bytes on average: about 110 files of 200 bytes. */
	assert_true(files > 90);
	all = assert_rotated_set(t, (int)files, 200, &len);
	assert_int_equal(len, w.len);
	assert_memory_equal(all, w.buf, w.len);
	free(all);
	free(w.buf);
}

static void test_rotation_keeps_max_files_the_newest_lines(void **state)
{
	struct tmp *t = *state;
	struct written w = { 0 };
	struct sink *s = sink__new_file(t->log);
	size_t len;
	char *all;

	assert_non_null(s);
	sink__set_rotation(s, 200, 3);
	put_lines(s, &w, 0, 199, 3);
	put_lines(s, &w, 200, 499, 0);
	sink__free(s);
	all = assert_rotated_set(t, 3, 200, &len);
	/* The newest lines, from the start of one. */
	assert_true(len > 3 * 130 && len <= 4 * 200);
	assert_memory_equal(all, w.buf + w.len - len, len);
	assert_int_equal(w.buf[w.len - len - 1], '\n');
	free(all);
	free(w.buf);
}

static void test_rotation_a_line_longer_than_the_limit_goes_alone(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);
	char big[251], *f;
	size_t len;

	memset(big, 'L', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	assert_non_null(s);
	sink__set_rotation(s, 100, 10);
	/* Into an empty file: alone there, no empty file rotated before it. */
	assert_int_equal(sink__write(s, big, sizeof(big)), 0);
	assert_int_equal(write_str(s, "after\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	/* After a short line, in one batch: the short line, the long one, the next. */
	assert_int_equal(write_str(s, "c\n"), 0);
	assert_int_equal(sink__write(s, big, sizeof(big)), 0);
	assert_int_equal(write_str(s, "d\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	sink__free(s);
	f = assert_rotated_set(t, 3, 100, &len);
	free(f);
	f = read_all(rot(t, 3), &len);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(f, big, sizeof(big));
	free(f);
	assert_string_equal(slurp(rot(t, 2)), "after\nc\n");
	f = read_all(rot(t, 1), &len);
	assert_int_equal(len, sizeof(big));
	free(f);
	assert_string_equal(slurp(rot(t, 0)), "d\n");
}

static void test_rotation_a_file_may_reach_the_limit_exactly(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);
	char l60[60], l40[40];

	memset(l60, '6', sizeof(l60));
	memset(l40, '4', sizeof(l40));
	l60[59] = l40[39] = '\n';
	assert_non_null(s);
	sink__set_rotation(s, 100, 2);
	assert_int_equal(sink__write(s, l60, 60), 0);
	assert_int_equal(sink__flush(s), 0);
	assert_int_equal(sink__write(s, l40, 40), 0);
	assert_int_equal(sink__flush(s), 0);
	/* 100 bytes, the limit: not rotated yet. */
	assert_false(exists(rot(t, 1)));
	assert_int_equal(write_str(s, "\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	assert_true(exists(rot(t, 1)));
	assert_string_equal(slurp(rot(t, 0)), "\n");
	assert_int_equal(strlen(slurp(rot(t, 1))), 100);
	assert_int_equal(sink__rotate_error(s), 0);
	sink__free(s);
}

static void test_rotation_counts_what_the_file_held_before(void **state)
{
	struct tmp *t = *state;
	struct sink *s;
	char old[91];
	int fd = open(t->log, O_WRONLY | O_CREAT | O_EXCL, 0640);

	memset(old, 'o', sizeof(old) - 1);
	old[89] = '\n';
	old[90] = '\0';
	assert_true(fd >= 0);
	assert_int_equal(write(fd, old, 90), 90);
	close(fd);
	s = sink__new_file(t->log);
	assert_non_null(s);
	sink__set_rotation(s, 100, 5);
	assert_int_equal(write_str(s, "twenty bytes line..\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	sink__free(s);
	assert_string_equal(slurp(rot(t, 1)), old);
	assert_string_equal(slurp(rot(t, 0)), "twenty bytes line..\n");
	assert_false(exists(rot(t, 2)));
}

static void test_rotation_the_oldest_is_replaced_and_new_files_are_0640(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);
	struct stat st;
	char line[4096];

	assert_non_null(s);
	sink__set_rotation(s, 4096, 1);
	/* One rotated file: LOG.1 is replaced at each rotation. */
	for (int i = 0; i < 3; i++) {
		char want[16];

		memset(line, 'a' + i, 4095);
		line[4095] = '\n';
		assert_int_equal(sink__write(s, line, 4096), 0);
		assert_int_equal(sink__flush(s), 0);
		if (i) {
			snprintf(want, sizeof(want), "%c", 'a' + i - 1);
			assert_memory_equal(slurp(rot(t, 1)), want, 1);
		}
	}
	sink__free(s);
	assert_false(exists(rot(t, 2)));
	assert_int_equal(stat(rot(t, 0), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_rotation_refused_keeps_writing_to_the_file_and_says_so_once(void **state)
{
	struct tmp *t = *state;
	struct written w = { 0 };
	struct sink *s = sink__new_file(t->log);
	char inside[420];
	size_t len;
	char *f;
	int err;

	/* LOG.1 is a directory with something in it: LOG cannot be renamed over it. */
	assert_int_equal(mkdir(rot(t, 1), 0755), 0);
	snprintf(inside, sizeof(inside), "%s/keep", rot(t, 1));
	assert_int_equal(close(open(inside, O_WRONLY | O_CREAT, 0600)), 0);
	assert_non_null(s);
	sink__set_rotation(s, 200, 1);
	assert_int_equal(sink__rotate_error(s), 0);
	put_lines(s, &w, 0, 9, 0); /* about 400 bytes: a rotation was due */
	err = sink__rotate_error(s);
	assert_true(err < 0);
	assert_non_null(sink__strerror(err));
	/* Taken: said once. */
	assert_int_equal(sink__rotate_error(s), 0);
	/* Lines keep going to the file, none lost, none dropped. */
	put_lines(s, &w, 10, 59, 5);
	f = read_all(rot(t, 0), &len);
	assert_non_null(f);
	assert_int_equal(len, w.len);
	assert_memory_equal(f, w.buf, w.len);
	free(f);
	assert_int_equal(sink__errors(s), 0);
	assert_int_equal(sink__dropped_lines(s), 0);
	assert_true(exists(inside));
	/* Once the way is clear, the next batch rotates: the whole file, then the new lines. */
	(void)sink__rotate_error(s);
	assert_int_equal(unlink(inside), 0);
	assert_int_equal(rmdir(rot(t, 1)), 0);
	put_lines(s, &w, 60, 60, 0);
	assert_int_equal(sink__rotate_error(s), 0);
	f = read_all(rot(t, 1), &len);
	assert_non_null(f);
	assert_memory_equal(f, w.buf, len);
	free(f);
	f = read_all(rot(t, 0), &len);
	assert_non_null(f);
	assert_memory_equal(f, w.buf + w.len - len, len);
	assert_true(len < 100);
	free(f);
	sink__free(s);
	free(w.buf);
}

static void test_rotation_refused_by_every_rotated_name(void **state)
{
	struct tmp *t = *state;
	struct written w = { 0 };
	struct sink *s;
	size_t len;
	char *f;

	/* LOG.1 ... LOG.3 are directories, each holding something. */
	for (int i = 1; i <= 3; i++) {
		char inside[420];

		assert_int_equal(mkdir(rot(t, i), 0755), 0);
		snprintf(inside, sizeof(inside), "%s/keep", rot(t, i));
		assert_int_equal(close(open(inside, O_WRONLY | O_CREAT, 0600)), 0);
	}
	s = sink__new_file(t->log);
	assert_non_null(s);
	sink__set_rotation(s, 200, 3);
	put_lines(s, &w, 0, 99, 4);
	assert_true(sink__rotate_error(s) < 0);
	sink__free(s);
	f = read_all(rot(t, 0), &len);
	assert_non_null(f);
	assert_int_equal(len, w.len);
	assert_memory_equal(f, w.buf, w.len);
	free(f);
	free(w.buf);
}

/*
 * In a read-only directory, as whoever runs it: 0, or the first check that
 * failed (no assertions: it may run in a child).
 */
static int rotate_in_read_only_directory(struct tmp *t)
{
	struct sink *s = sink__new_file(t->log);
	size_t total = 0;
	struct stat st;
	char line[96];

	if (!s)
		return 10;
	if (chmod(t->dir, 0555))
		return 11;
	sink__set_rotation(s, 200, 2);
	for (int i = 0; i < 50; i++) {
		size_t n = make_line(line, i);

		if (sink__write(s, line, n))
			return 12;
		total += n;
		if (i % 3 == 2 && sink__flush(s))
			return 13;
	}
	if (sink__flush(s))
		return 14;
	if (sink__rotate_error(s) != -EACCES)
		return 15;
	if (sink__rotate_error(s) != 0)
		return 16;
	/* Everything in the file, nothing renamed. */
	if (stat(t->log, &st) || (size_t)st.st_size != total)
		return 17;
	if (exists(rot(t, 1)))
		return 18;
	sink__free(s);
	return 0;
}

static void test_rotation_refused_in_a_read_only_directory(void **state)
{
	struct tmp *t = *state;
	int status;
	pid_t pid;

	/* Root may rename in any directory: the test runs as nobody then, in a child. */
	if (geteuid() != 0) {
		assert_int_equal(rotate_in_read_only_directory(t), 0);
		return;
	}
	assert_int_equal(chown(t->dir, NOBODY, NOBODY), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(9);
		_exit(rotate_in_read_only_directory(t));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* The number of the check that failed (see rotate_in_read_only_directory()). */
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * A rotation that cannot make the new file (no descriptor left here; a full
 * inode table, or a name planted in a shared directory) renames nothing: the
 * files rotated before stay as they are while it keeps failing, the current
 * file takes every line meanwhile, the error is said, and once a file can be
 * made the rotations resume, with nothing written lost or repeated.
 */
static void test_rotation_that_cannot_make_the_new_file_renames_nothing(void **state)
{
	struct tmp *t = *state;
	struct written w = { 0 };
	struct sink *s = sink__new_file(t->log);
	struct rlimit lim, few;
	int fds[64], nfds = 0, err;
	char *before[4], *after;
	size_t before_len[4], after_len, len, log_from;
	bool in_order;
	char *all;

	assert_non_null(s);
	sink__set_rotation(s, 200, 3);
	put_lines(s, &w, 0, 39, 2);
	assert_true(exists(rot(t, 3)));
	for (int i = 0; i < 4; i++)
		before[i] = read_all(rot(t, i), &before_len[i]);
	log_from = w.len - before_len[0];
	/* No descriptor can be opened: the new file cannot be made. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	few = lim;
	few.rlim_cur = (rlim_t)test_count_fds() + 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &few), 0);
	while (nfds < 64 && (fds[nfds] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nfds++;
	assert_true(nfds < 64);
	put_lines(s, &w, 40, 49, 0);
	err = sink__rotate_error(s);
	put_lines(s, &w, 50, 59, 0);
	put_lines(s, &w, 60, 79, 1);
	while (nfds)
		close(fds[--nfds]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	assert_int_equal(err, -EMFILE);
	/* The rotated files are untouched; LOG holds what it had and every line since. */
	for (int i = 1; i < 4; i++) {
		after = read_all(rot(t, i), &after_len);
		assert_non_null(after);
		assert_int_equal(after_len, before_len[i]);
		assert_memory_equal(after, before[i], after_len);
		free(after);
	}
	after = read_all(rot(t, 0), &after_len);
	assert_int_equal(after_len, w.len - log_from);
	assert_memory_equal(after, w.buf + log_from, after_len);
	free(after);
	/* The new file, made under a hidden name first, was not left behind. */
	{
		char fresh[400];

		snprintf(fresh, sizeof(fresh), "%s/.%s.new", t->dir, strrchr(t->log, '/') + 1);
		assert_false(exists(fresh));
	}
	/* Said once: the tries that failed the same way since are not said again. */
	assert_int_equal(sink__rotate_error(s), 0);
	/* Then it can again: rotated at the next batch, then within the limit. */
	put_lines(s, &w, 80, 89, 1);
	assert_int_equal(sink__rotate_error(s), 0);
	sink__free(s);
	after = read_all(rot(t, 0), &after_len);
	assert_true(after_len <= 200);
	free(after);
	/* What remains is the end of what was written, in order, nothing repeated. */
	all = NULL;
	len = 0;
	for (int i = 3; i >= 0; i--) {
		size_t flen;
		char *f = read_all(rot(t, i), &flen);

		if (!f)
			continue;
		all = grow(all, len + flen + 1);
		memcpy(all + len, f, flen);
		len += flen;
		free(f);
	}
	in_order = len <= w.len && !memcmp(all, w.buf + w.len - len, len);
	free(all);
	free(w.buf);
	for (int i = 0; i < 4; i++)
		free(before[i]);
	assert_true(in_order);
}

static void test_rotation_is_ignored_by_a_console_sink(void **state)
{
	char buf[64] = "";
	struct sink *s;
	int p[2];

	assert_int_equal(pipe(p), 0);
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	sink__set_rotation(s, 10, 1);
	assert_int_equal(write_str(s, "longer than ten bytes\nand more\n"), 0);
	assert_int_equal(sink__flush(s), 0);
	assert_int_equal(sink__rotate_error(s), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 31);
	assert_string_equal(buf, "longer than ten bytes\nand more\n");
	sink__free(s);
	close(p[0]);
	close(p[1]);
}

/* ---- touch (--heartbeat) ----------------------------------------------------------------- */

static void test_touch_sets_the_modification_time_to_now(void **state)
{
	struct tmp *t = *state;
	struct sink *s = sink__new_file(t->log);
	struct timespec old[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	struct timespec now;
	struct stat st;
	int p[2];

	assert_non_null(s);
	assert_int_equal(utimensat(AT_FDCWD, t->log, old, 0), 0);
	assert_int_equal(stat(t->log, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	assert_int_equal(sink__touch(s), 0);
	clock_gettime(CLOCK_REALTIME, &now);
	assert_int_equal(stat(t->log, &st), 0);
	assert_true(st.st_mtim.tv_sec >= now.tv_sec - 2 && st.st_mtim.tv_sec <= now.tv_sec);
	/* Nothing written. */
	assert_int_equal(st.st_size, 0);
	sink__free(s);
	/* Only a file sink can be touched. */
	assert_int_equal(pipe(p), 0);
	s = sink__new_fd(p[1], "pipe");
	assert_non_null(s);
	assert_int_equal(sink__touch(s), -EINVAL);
	sink__free(s);
	close(p[0]);
	close(p[1]);
}

/* Bytes of @path's first @len bytes in the page cache (mincore), or -1. */
static long cached_bytes(const char *path, size_t len)
{
	long page = sysconf(_SC_PAGESIZE), n = 0;
	size_t pages = (len + (size_t)page - 1) / (size_t)page;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *vec;
	void *map;

	if (fd < 0)
		return -1;
	/* A mapping reads nothing: mincore() only reports what is cached. */
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	vec = calloc(pages, 1);
	if (vec && mincore(map, len, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			n += (vec[i] & 1) ? page : 0;
	else
		n = -1;
	munmap(map, len);
	free(vec);
	return n;
}

/* Open descriptors of this process. */
static int open_fds(void)
{
	struct stat st;
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fstat(fd, &st) == 0;
	return n;
}

/* Appends @mib MiB of lines to @s, flushing as a batch does. */
static void append_mib(struct sink *s, int mib)
{
	char line[1024];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < mib * 1024; i++) {
		assert_int_equal(sink__write(s, line, sizeof(line)), 0);
		if (i % 256 == 255)
			assert_int_equal(sink__flush(s), 0);
	}
	assert_int_equal(sink__flush(s), 0);
}

/*
 * Waits (at most 30 s: a slow disk) until no more than @max of the first
 * @len bytes of @path are in the page cache; what is cached then.
 */
static long wait_cached_at_most(const char *path, size_t len, long max)
{
	long n = cached_bytes(path, len);

	for (int i = 0; i < 300 && n > max; i++) {
		usleep(100 * 1000);
		n = cached_bytes(path, len);
	}
	return n;
}

/*
 * A log file's pages are handed to the disk and dropped from the page cache
 * a window behind its end (writeback.c), also in the next file after a
 * rotation; the thread's copies of the files are closed.
 */
static void test_file_page_cache_kept_to_the_last_part(void **state)
{
	struct tmp *t = *state;
	int fds = open_fds();
	struct statfs sf;
	struct sink *s;
	long cached;

	/* A tmpfs keeps its files in the page cache: nothing there can be dropped. */
	assert_int_equal(statfs(t->dir, &sf), 0);
	if (sf.f_type == TMPFS_MAGIC)
		skip();
	s = sink__new_file(t->log);
	assert_non_null(s);
	append_mib(s, 48);
	/* 48 MiB written: the first 24 (more than a step past the 16 kept) leave the cache. */
	cached = wait_cached_at_most(t->log, 24u << 20, 0);
	assert_int_equal(cached, 0);
	/* The last 16 MiB are kept for readers tailing the file. */
	assert_true(cached_bytes(t->log, 48u << 20) >= (16L << 20));

	/* Rotated: the new file is followed from its start. */
	sink__set_rotation(s, 48u << 20, 1);
	append_mib(s, 48);
	assert_int_equal(wait_cached_at_most(t->log, 24u << 20, 0), 0);
	sink__free(s);
	assert_int_equal(open_fds(), fds);
}

static void test_free_null_is_fine(void **state)
{
	sink__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_page_cache_kept_to_the_last_part,
						setup_tmp, teardown_tmp),
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
		cmocka_unit_test_setup_teardown(
			test_rotation_whole_lines_under_the_limit_nothing_lost, setup_tmp,
			teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation_keeps_max_files_the_newest_lines,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_rotation_a_line_longer_than_the_limit_goes_alone, setup_tmp,
			teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation_a_file_may_reach_the_limit_exactly,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation_counts_what_the_file_held_before,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_rotation_the_oldest_is_replaced_and_new_files_are_0640, setup_tmp,
			teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_rotation_refused_keeps_writing_to_the_file_and_says_so_once, setup_tmp,
			teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation_refused_by_every_rotated_name,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rotation_refused_in_a_read_only_directory,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_rotation_that_cannot_make_the_new_file_renames_nothing, setup_tmp,
			teardown_tmp),
		cmocka_unit_test(test_rotation_is_ignored_by_a_console_sink),
		cmocka_unit_test_setup_teardown(test_touch_sets_the_modification_time_to_now,
						setup_tmp, teardown_tmp),
		cmocka_unit_test(test_free_null_is_fine),
	};

	/* Files are created under a known umask, as a daemon's usually is. */
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
