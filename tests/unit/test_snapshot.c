// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_snapshot.c - the start-up snapshot (src/common/snapshot.c, included: its
 * tables are static): a child holds a listener, a connection accepted from it and
 * the client end of that connection; the snapshot finds all three with the right
 * direction, through sock_diag (root) and socket by socket; the listener table
 * finds what it holds after growing; every allocation failure comes back as
 * -ENOMEM, and no descriptor is left behind either way; processes the kernel's
 * iterators were shown are not read again.  The BPF map update, the cgroup
 * mount look-up and the iterators are stand-ins defined here: no libbpf, no BPF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

/* Allocation failure on demand: the next fail_in-th allocation of snapshot.c fails. */
static int fail_in = -1;

static bool alloc_fails(void)
{
	if (fail_in < 0)
		return false;
	return fail_in-- == 0;
}

static void *snap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : realloc(p, n);
}

static void *snap_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : calloc(n, size);
}

#define realloc snap_realloc
#define calloc snap_calloc
#include "helpers.h"
#include "../../src/common/snapshot.c"
#undef realloc
#undef calloc

/* Stand-ins: the map takes every socket once, as BPF_NOEXIST would the first time. */
int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	(void)fd;
	(void)key;
	(void)value;
	(void)flags;
	return 0;
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	(void)fd;
	(void)key;
	(void)value;
	errno = ENOENT;
	return -1;
}

int target__cgroup2_mount(char *out, size_t size)
{
	if (size)
		out[0] = '\0';
	return -ENOENT;
}

/* Are we in the initial PID namespace (the real answer, for the tests that need it)? */
static bool target_is_host(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == 0xEFFFFFFCu;
}

/* Where the test runs, as far as snapshot.c is told. */
static bool initial_pid_ns = true;

bool target__initial_pid_ns(void)
{
	return initial_pid_ns;
}

/*
 * The kernel's iterators, as each test wants them: none (-EOPNOTSUPP, every
 * process is read through /proc), or shown process iter_shows, with one
 * listener on iter_port reported for it, then iter_result.
 */
static int iter_result = -EOPNOTSUPP;
static pid_t iter_shows;
static uint16_t iter_port;

int snapshot_iter__run(const struct snapshot_source *src, const struct snapshot_iter_cbs *cbs)
{
	struct snoop_event e = {
		.sport = iter_port,
		.new_state = SNOOP_TCP_LISTEN,
		.kind = SNOOP_KIND_STATE,
		.attribution = SNOOP_ATTR_SNAPSHOT,
		.flags = SNOOP_SF_SNAPSHOT,
		.owner.pid = (uint32_t)iter_shows,
	};
	int err;

	(void)src;
	if (!iter_shows)
		return iter_result;
	cbs->shown(cbs->ctx, (uint32_t)iter_shows);
	err = cbs->socket(cbs->ctx, &e);
	return err ? err : iter_result;
}

static const struct snapshot_source no_iterators = { -1, -1, -1, -1 };

/* The child's three sockets as the snapshot reported them. */
struct seen {
	pid_t pid;
	uint16_t listen_port;
	int n;
	uint8_t listener_flags, accepted_flags, client_flags;
};

static void on_socket(void *ctx, const struct snoop_event *e)
{
	struct seen *s = ctx;

	if (e->owner.pid != (uint32_t)s->pid)
		return;
	s->n++;
	if (e->new_state == SNOOP_TCP_LISTEN)
		s->listener_flags = e->flags;
	else if (e->sport == s->listen_port)
		s->accepted_flags = e->flags;
	else if (e->dport == s->listen_port)
		s->client_flags = e->flags;
}

/* A child holding a listener on loopback, one connection to it and its accepted end. */
static pid_t hold_connection(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int ready[2], lfd, cfd;
	pid_t pid;
	char c = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4) ||
		    getsockname(lfd, (struct sockaddr *)&a, &len))
			_exit(1);
		cfd = socket(AF_INET, SOCK_STREAM, 0);
		if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, sizeof(a)) ||
		    accept(lfd, NULL, NULL) < 0)
			_exit(1);
		if (write(ready[1], &a.sin_port, sizeof(a.sin_port)) != sizeof(a.sin_port))
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &a.sin_port, sizeof(a.sin_port)), sizeof(a.sin_port));
	close(ready[0]);
	*port = ntohs(a.sin_port);
	(void)c;
	return pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void check_directions(long min_sockets)
{
	struct filter_config filter = { 0 };
	struct snapshot_stats stats;
	struct seen s = { 0 };
	int fds = test_count_fds();

	diag_min_sockets = min_sockets;
	s.pid = hold_connection(&s.listen_port);
	assert_int_equal(snapshot__run(&no_iterators, &filter, 1, on_socket, &s, &stats), 0);
	stop_child(s.pid);
	diag_min_sockets = 1000;
	assert_int_equal(s.n, 3);
	assert_int_equal(s.listener_flags, SNOOP_SF_SNAPSHOT);
	assert_int_equal(s.accepted_flags, SNOOP_SF_SNAPSHOT | SNOOP_SF_PASSIVE);
	assert_int_equal(s.client_flags, SNOOP_SF_SNAPSHOT | SNOOP_SF_ACTIVE);
	assert_true(stats.sockets >= 3);
	assert_int_equal(test_count_fds(), fds);
}

static void test_directions_socket_by_socket(void **state)
{
	(void)state;
	check_directions(LONG_MAX);
}

static void test_directions_through_sock_diag(void **state)
{
	(void)state;
	/* Entering a namespace (even our own) takes CAP_SYS_ADMIN. */
	if (geteuid() != 0)
		skip();
	check_directions(0);
}

static void test_every_allocation_failure_is_enomem(void **state)
{
	struct filter_config filter = { 0 };
	struct snapshot_stats stats;
	uint16_t port;
	pid_t pid;
	int fds = test_count_fds();

	(void)state;
	pid = hold_connection(&port);
	/* Each allocation in turn, on both paths, until a run needs no more of them. */
	for (long min = 0; min <= 1; min++) {
		diag_min_sockets = min ? LONG_MAX : 0;
		for (int i = 0;; i++) {
			struct seen s = { .pid = pid, .listen_port = port };
			int err;

			fail_in = i;
			err = snapshot__run(&no_iterators, &filter, 1, on_socket, &s, &stats);
			if (fail_in >= 0) {
				/* Nothing failed: every allocation of a run has been tried. */
				assert_int_equal(err, 0);
				break;
			}
			assert_int_equal(err, -ENOMEM);
			assert_int_equal(test_count_fds(), fds);
		}
	}
	fail_in = -1;
	diag_min_sockets = 1000;
	stop_child(pid);
}

static void test_processes_the_iterators_were_shown_are_not_read_again(void **state)
{
	struct filter_config filter = { 0 };
	struct snapshot_stats stats;
	struct seen s = { 0 };
	int fds = test_count_fds();

	(void)state;
	s.pid = hold_connection(&s.listen_port);
	iter_shows = s.pid;
	iter_port = s.listen_port;
	iter_result = 0;
	assert_int_equal(snapshot__run(&no_iterators, &filter, 1, on_socket, &s, &stats), 0);
	/* Only what the iterators reported: /proc was not read for the child. */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.listener_flags, SNOOP_SF_SNAPSHOT);
	assert_int_equal(stats.iter_err, 0);
	assert_true(stats.scanned > 0); /* every other process was */

	/* Outside the initial PID namespace they were shown every process: /proc is not read. */
	initial_pid_ns = false;
	s.n = 0;
	assert_int_equal(snapshot__run(&no_iterators, &filter, 1, on_socket, &s, &stats), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(stats.scanned, 0);
	initial_pid_ns = true;

	/* Out of room in the kernel: said, and nothing more is done. */
	iter_result = -ENOMEM;
	assert_int_equal(snapshot__run(&no_iterators, &filter, 1, on_socket, &s, &stats), -ENOMEM);
	assert_int_equal(stats.scanned, 0);

	/* Iterators that could not run: the child is read through /proc. */
	iter_shows = 0;
	iter_result = -EOPNOTSUPP;
	s.n = 0;
	assert_int_equal(snapshot__run(&no_iterators, &filter, 1, on_socket, &s, &stats), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(stats.iter_err, -EOPNOTSUPP);
	stop_child(s.pid);
	assert_int_equal(test_count_fds(), fds);
}

static void test_kernel_threads_are_not_looked_into(void **state)
{
	(void)state;
	/* kthreadd, in the initial PID namespace; in another, PID 2 is a process or none. */
	if (access("/proc/2/stat", R_OK) == 0 && target_is_host())
		assert_true(is_kernel_thread(2));
	assert_false(is_kernel_thread(getpid()));
	assert_false(is_kernel_thread(1));
	assert_false(is_kernel_thread(-1));
}

static void test_listener_table_grows(void **state)
{
	struct key_table t = { 0 };
	size_t n;

	(void)state;
	for (uint32_t i = 1; i <= 20000; i++)
		assert_int_equal(key_add(&t, listen_key(i * 7, (uint16_t)i), i), 0);
	assert_int_equal(t.n, 20000);
	for (uint32_t i = 1; i <= 20000; i++) {
		assert_int_equal(key_find(&t, listen_key(i * 7, (uint16_t)i)), i);
		assert_int_equal(key_find(&t, listen_key(i * 7 + 1, (uint16_t)i)), -1);
	}
	/* A failed growth leaves the table as it was. */
	fail_in = 0;
	for (uint32_t i = 20001; 2 * (t.n + 1) <= t.mask + 1; i++)
		assert_int_equal(key_add(&t, listen_key(i * 7, (uint16_t)i), i), 0);
	n = t.n;
	assert_int_equal(key_add(&t, listen_key(1, 1), 1), -ENOMEM);
	fail_in = -1;
	assert_int_equal(t.n, n);
	assert_int_equal(key_find(&t, listen_key(7, 1)), 1);
	assert_int_equal(key_find(&t, listen_key(1, 1)), -1);
	key_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directions_socket_by_socket),
		cmocka_unit_test(test_directions_through_sock_diag),
		cmocka_unit_test(test_every_allocation_failure_is_enomem),
		cmocka_unit_test(test_processes_the_iterators_were_shown_are_not_read_again),
		cmocka_unit_test(test_kernel_threads_are_not_looked_into),
		cmocka_unit_test(test_listener_table_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
