// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_sink.c - outputs: the log file is created 0640 and appended to,
 * noticed when logrotate moves it and reopened at its path; write errors
 * (disk full, reader gone) are returned, counted and survived.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

/* A private directory per test, removed with everything in it by the teardown. */
struct tmp {
	char dir[256];
	char log[320];
	char moved[320];
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
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;

	unlink(t->log);
	unlink(t->moved);
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
		cmocka_unit_test(test_free_null_is_fine),
	};

	/* Files are created under a known umask, as a daemon's usually is. */
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
