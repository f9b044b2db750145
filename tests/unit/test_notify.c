// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_notify.c - the service manager's notify protocol (src/common/notify.h):
 * $NOTIFY_SOCKET unset is no manager; a relative path, "", "@" or a name too
 * long for sun_path is refused with -EINVAL; the variables are taken out of
 * the environment in every case; a datagram reaches a real socket bound at a
 * path or at an abstract name byte for byte; $WATCHDOG_USEC counts only when
 * $WATCHDOG_PID (if set) is us; a manager that never reads never blocks us.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/notify.h"
#include "helpers.h"

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

/* A private directory per test and the receiving socket a test may bind. */
struct tmp {
	char dir[64];
	char path[SUN_PATH_SIZE + 64]; /* a path a test binds, removed at the end */
	int fd;			       /* the receiver, or -1 */
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	/* Short: a path of exactly 107 bytes must fit under it. */
	snprintf(t->dir, sizeof(t->dir), "/tmp/tn.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	t->fd = -1;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;

	if (t->fd >= 0)
		close(t->fd);
	if (t->path[0])
		unlink(t->path);
	rmdir(t->dir);
	free(t);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

/* A datagram socket bound at @name: a path, or "@name" in the abstract namespace (exactly). */
static int bind_receiver(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	socklen_t alen;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(len < sizeof(a.sun_path) || (name[0] == '@' && len <= sizeof(a.sun_path)));
	memcpy(a.sun_path, name, len);
	if (name[0] == '@') {
		a.sun_path[0] = '\0';
		alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&a, alen), 0);
	return fd;
}

/* The next datagram on @fd (waiting at most a second) into @buf; its length, -1 if none. */
static ssize_t receive(int fd, char *buf, size_t size)
{
	struct timeval tv = { .tv_sec = 1 };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return recv(fd, buf, size, 0);
}

static void assert_env_cleared(void)
{
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
}

/* notify__new() with NOTIFY_SOCKET=@value (and a watchdog set for us): -EINVAL, NULL, cleared. */
static void assert_refused(const char *value)
{
	struct notify *n = (struct notify *)&n; /* must be overwritten */
	char pid[24];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(setenv("NOTIFY_SOCKET", value, 1), 0);
	assert_int_equal(setenv("WATCHDOG_USEC", "5000000", 1), 0);
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(notify__new(&n), -EINVAL);
	assert_null(n);
	assert_env_cleared();
}

/* ---- no manager, unusable sockets ------------------------------------------------------ */

static void test_unset_is_no_manager_and_null_is_harmless(void **state)
{
	struct notify *n = (struct notify *)&n;

	assert_int_equal(notify__new(&n), 0);
	assert_null(n);
	/* Everything takes the NULL a run without a manager has. */
	assert_int_equal(notify__send(NULL, "READY=1"), 0);
	assert_int_equal(notify__watchdog_usec(NULL), 0);
	notify__free(NULL);
}

static void test_relative_empty_and_bare_at_are_refused(void **state)
{
	assert_refused("run/notify");
	assert_refused("./notify");
	assert_refused("notify");
	assert_refused("");
	assert_refused("@");
	assert_non_null(strstr(notify__strerror(-EINVAL), "absolute path"));
	assert_string_equal(notify__strerror(-ENOMEM), strerror(ENOMEM));
}

static void test_names_too_long_for_sun_path_are_refused(void **state)
{
	char name[SUN_PATH_SIZE + 2];

	/* A path of 108 bytes would need 109 with its NUL. */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[0] = '/';
	name[SUN_PATH_SIZE] = '\0';
	assert_int_equal(strlen(name), 108);
	assert_refused(name);
	/* An abstract name of 109 bytes ('@' and 108) cannot fit either. */
	name[SUN_PATH_SIZE] = 'a';
	assert_int_equal(strlen(name), 109);
	assert_refused(name);
	name[0] = '@';
	assert_refused(name);
}

/* ---- real sockets ---------------------------------------------------------------------- */

static void test_path_socket_gets_the_exact_bytes(void **state)
{
	struct tmp *t = *state;
	const char *msgs[] = { "READY=1\nSTATUS=Monitoring: RECEIVED=0 LOST=0", "WATCHDOG=1",
			       "STOPPING=1" };
	int fds = test_count_fds();
	struct notify *n;
	char buf[256];

	snprintf(t->path, sizeof(t->path), "%s/notify", t->dir);
	t->fd = bind_receiver(t->path);
	assert_int_equal(setenv("NOTIFY_SOCKET", t->path, 1), 0);
	assert_int_equal(notify__new(&n), 0);
	assert_non_null(n);
	assert_env_cleared();
	/* One datagram each, in order, nothing added (no NUL, no newline). */
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		assert_int_equal(notify__send(n, msgs[i]), 0);
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		ssize_t len = receive(t->fd, buf, sizeof(buf));

		assert_int_equal(len, strlen(msgs[i]));
		assert_memory_equal(buf, msgs[i], (size_t)len);
	}
	notify__free(n);
	/* Its socket is closed with it. */
	assert_int_equal(test_count_fds(), fds + 1);
}

static void test_longest_path_of_107_bytes_is_used(void **state)
{
	struct tmp *t = *state;
	size_t at = strlen(t->dir);
	struct notify *n;
	char buf[64];

	/* DIR/xxx...x, 107 bytes: sun_path holds it with its NUL. */
	snprintf(t->path, sizeof(t->path), "%s/", t->dir);
	memset(t->path + at + 1, 'x', SUN_PATH_SIZE - 1 - at - 1);
	t->path[SUN_PATH_SIZE - 1] = '\0';
	assert_int_equal(strlen(t->path), 107);
	t->fd = bind_receiver(t->path);
	assert_int_equal(setenv("NOTIFY_SOCKET", t->path, 1), 0);
	assert_int_equal(notify__new(&n), 0);
	assert_non_null(n);
	assert_int_equal(notify__send(n, "READY=1"), 0);
	assert_int_equal(receive(t->fd, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "READY=1", 7);
	notify__free(n);
}

static void test_abstract_name_gets_the_exact_bytes(void **state)
{
	struct tmp *t = *state;
	struct notify *n;
	char name[64], buf[64];

	/* The name is exactly these bytes: a trailing NUL sent with it would be another name. */
	snprintf(name, sizeof(name), "@socket-snoop-test-notify-%d-%ld", (int)getpid(),
		 (long)time(NULL));
	t->fd = bind_receiver(name);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	assert_int_equal(notify__new(&n), 0);
	assert_non_null(n);
	assert_env_cleared();
	assert_int_equal(notify__send(n, "RELOADING=1\nMONOTONIC_USEC=12345"), 0);
	assert_int_equal(receive(t->fd, buf, sizeof(buf)), 32);
	assert_memory_equal(buf, "RELOADING=1\nMONOTONIC_USEC=12345", 32);
	assert_int_equal(notify__send(n, "READY=1"), 0);
	assert_int_equal(receive(t->fd, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "READY=1", 7);
	notify__free(n);
}

static void test_longest_abstract_name_of_107_bytes_is_used(void **state)
{
	struct tmp *t = *state;
	struct notify *n;
	char name[SUN_PATH_SIZE], buf[64];
	int k;

	k = snprintf(name, sizeof(name), "@socket-snoop-test-%d-", (int)getpid());
	memset(name + k, 'z', sizeof(name) - 1 - (size_t)k);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(strlen(name), 107);
	t->fd = bind_receiver(name);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	assert_int_equal(notify__new(&n), 0);
	assert_non_null(n);
	assert_int_equal(notify__send(n, "READY=1"), 0);
	assert_int_equal(receive(t->fd, buf, sizeof(buf)), 7);
	notify__free(n);
}

static void test_missing_socket_is_an_error_of_the_send_not_of_new(void **state)
{
	struct tmp *t = *state;
	struct notify *n;

	snprintf(t->path, sizeof(t->path), "%s/nobody-listens", t->dir);
	assert_int_equal(setenv("NOTIFY_SOCKET", t->path, 1), 0);
	assert_int_equal(notify__new(&n), 0);
	assert_non_null(n);
	assert_int_equal(notify__send(n, "READY=1"), -ENOENT);
	notify__free(n);
	t->path[0] = '\0';
}

/* ---- the watchdog ---------------------------------------------------------------------- */

/* notify__watchdog_usec() of a manager at a (not listening) path with these variables. */
static uint64_t watchdog_with(const char *usec, const char *pid)
{
	struct notify *n;
	uint64_t v;

	assert_int_equal(setenv("NOTIFY_SOCKET", "/run/socket-snoop-test/notify", 1), 0);
	if (usec)
		assert_int_equal(setenv("WATCHDOG_USEC", usec, 1), 0);
	else
		unsetenv("WATCHDOG_USEC");
	if (pid)
		assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	else
		unsetenv("WATCHDOG_PID");
	assert_int_equal(notify__new(&n), 0);
	assert_non_null(n);
	assert_env_cleared();
	v = notify__watchdog_usec(n);
	notify__free(n);
	return v;
}

static void test_watchdog_usec_for_us_or_for_nobody_else(void **state)
{
	char ours[24], other[24];

	snprintf(ours, sizeof(ours), "%d", (int)getpid());
	/* Another process: our parent certainly is. */
	snprintf(other, sizeof(other), "%d", (int)getppid());
	assert_int_equal(watchdog_with("30000000", NULL), 30000000);
	assert_int_equal(watchdog_with("30000000", ours), 30000000);
	assert_int_equal(watchdog_with("1", ours), 1);
	assert_int_equal(watchdog_with("18446744073709551615", NULL), UINT64_MAX);
	assert_int_equal(watchdog_with("30000000", other), 0);
	assert_int_equal(watchdog_with("30000000", "1"), 0);
	/* Not set: none. */
	assert_int_equal(watchdog_with(NULL, NULL), 0);
	assert_int_equal(watchdog_with(NULL, ours), 0);
}

static void test_watchdog_garbage_is_none(void **state)
{
	static const char *const bad_usec[] = { "",	"abc", "-1",
						"1x",	" 5",  "5 ",
						"0x10", "1e6", "18446744073709551616" };
	static const char *const bad_pid[] = { "", "abc", "-1", "99999999999999999999" };
	char ours[24];

	for (size_t i = 0; i < sizeof(bad_usec) / sizeof(bad_usec[0]); i++)
		assert_int_equal(watchdog_with(bad_usec[i], NULL), 0);
	for (size_t i = 0; i < sizeof(bad_pid) / sizeof(bad_pid[0]); i++)
		assert_int_equal(watchdog_with("30000000", bad_pid[i]), 0);
	/* Our pid with garbage after it is not our pid. */
	snprintf(ours, sizeof(ours), "%dx", (int)getpid());
	assert_int_equal(watchdog_with("30000000", ours), 0);
}

/* ---- never blocking -------------------------------------------------------------------- */

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_a_manager_that_never_reads_never_blocks_us(void **state)
{
	struct tmp *t = *state;
	/* No SA_RESTART: a send that blocks is cut by the alarm with EINTR, and fails the test. */
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct timespec a, b;
	struct notify *n;
	int small = 4096, err = 0, sent = 0;

	snprintf(t->path, sizeof(t->path), "%s/notify", t->dir);
	t->fd = bind_receiver(t->path);
	assert_int_equal(setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", t->path, 1), 0);
	assert_int_equal(notify__new(&n), 0);
	assert_non_null(n);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarm(5);
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (!err && sent < 100000) {
		err = notify__send(n, "STATUS=Monitoring: RECEIVED=123456789 LOST=0");
		sent += !err;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	/* The queue filled (a few datagrams), then EAGAIN at once. */
	assert_int_equal(err, -EAGAIN);
	assert_true(sent > 0);
	assert_true(b.tv_sec - a.tv_sec < 3);
	/* Once the manager reads again, statuses get through again. */
	{
		char buf[128];

		while (recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	assert_int_equal(notify__send(n, "READY=1"), 0);
	notify__free(n);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)
	const struct CMUnitTest tests[] = {
		T(test_unset_is_no_manager_and_null_is_harmless),
		T(test_relative_empty_and_bare_at_are_refused),
		T(test_names_too_long_for_sun_path_are_refused),
		T(test_path_socket_gets_the_exact_bytes),
		T(test_longest_path_of_107_bytes_is_used),
		T(test_abstract_name_gets_the_exact_bytes),
		T(test_longest_abstract_name_of_107_bytes_is_used),
		T(test_missing_socket_is_an_error_of_the_send_not_of_new),
		T(test_watchdog_usec_for_us_or_for_nobody_else),
		T(test_watchdog_garbage_is_none),
		T(test_a_manager_that_never_reads_never_blocks_us),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
