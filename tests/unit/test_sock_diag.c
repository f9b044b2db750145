// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_sock_diag.c - the TCP sockets by state that the metrics show, counted
 * by the kernel's socket diagnostics in a network namespace of the test's
 * own (nothing else there): listeners of both families, a connection from
 * each side, a half-closed one, TIME_WAIT, a socket only bound.  Needs root (unshare); skipped
 * without it (a failure under CI=true, tests/run-unit.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sock_diag.h"

/* Set once the test runs in a network namespace of its own. */
static bool own_netns;

/* A new network namespace with its loopback up. */
static int netns_setup(void **state)
{
	struct ifreq ifr = {};
	int fd;

	(void)state;
	if (unshare(CLONE_NEWNET))
		return 0; /* the test skips */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return -1;
	close(fd);
	own_netns = true;
	return 0;
}

/* A listener on the loopback of @family; its port in *@port. */
static int listener(int family, uint16_t *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *a = family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6;
	socklen_t len = family == AF_INET ? sizeof(a4) : sizeof(a6);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, a, len), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, a, &len), 0);
	*port = ntohs(family == AF_INET ? a4.sin_port : a6.sin6_port);
	return fd;
}

static int connect_to(int family, uint16_t port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(port) };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (family == AF_INET)
		assert_int_equal(connect(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	else
		assert_int_equal(connect(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	return fd;
}

static void test_states_of_both_families_in_one_dump(void **state)
{
	uint64_t c[SNOOP_TCP_MAX_STATES];
	uint16_t p4, p6;
	int l4, l6, c4, s4, c6, s6;

	(void)state;
	if (!own_netns)
		skip();
	assert_int_equal(tcp_states__count(c), 0);
	for (int st = 0; st < SNOOP_TCP_MAX_STATES; st++)
		assert_int_equal(c[st], 0);

	l4 = listener(AF_INET, &p4);
	l6 = listener(AF_INET6, &p6);
	c4 = connect_to(AF_INET, p4);
	s4 = accept(l4, NULL, NULL);
	c6 = connect_to(AF_INET6, p6);
	s6 = accept(l6, NULL, NULL);
	assert_int_equal(tcp_states__count(c), 0);
	assert_int_equal(c[SNOOP_TCP_LISTEN], 2);
	assert_int_equal(c[SNOOP_TCP_ESTABLISHED], 4);
	assert_int_equal(c[SNOOP_TCP_TIME_WAIT], 0);

	/* The client closes first: it ends in TIME_WAIT, its peer in CLOSE_WAIT until it closes. */
	close(c4);
	usleep(50000);
	assert_int_equal(tcp_states__count(c), 0);
	assert_int_equal(c[SNOOP_TCP_ESTABLISHED], 2);
	assert_int_equal(c[SNOOP_TCP_CLOSE_WAIT], 1);
	/* Closed by its process: a time-wait socket of substate FIN_WAIT2, shown as FIN_WAIT2. */
	assert_int_equal(c[SNOOP_TCP_FIN_WAIT2], 1);
	assert_int_equal(c[SNOOP_TCP_TIME_WAIT], 0);
	close(s4);
	usleep(50000);
	assert_int_equal(tcp_states__count(c), 0);
	assert_int_equal(c[SNOOP_TCP_TIME_WAIT], 1);
	assert_int_equal(c[SNOOP_TCP_CLOSE_WAIT], 0);
	assert_int_equal(c[SNOOP_TCP_ESTABLISHED], 2);
	close(c6);
	close(s6);
	close(l4);
	close(l6);
}

/*
 * A socket bound but neither listening nor connected is in no state the gauge
 * shows: the dump must not ask for it (its bit, TCP_BOUND_INACTIVE, also makes
 * the kernel walk the bind table) and the count fails with -EPROTO when the
 * kernel answers a state it was not asked for.
 */
static void test_bound_sockets_are_not_asked_for(void **state)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t c[SNOOP_TCP_MAX_STATES];
	int b4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	if (!own_netns)
		skip();
	assert_true(b4 >= 0);
	assert_int_equal(bind(b4, (struct sockaddr *)&a4, sizeof(a4)), 0);
	assert_int_equal(tcp_states__count(c), 0);
	for (int st = 0; st < SNOOP_TCP_MAX_STATES; st++)
		assert_int_equal(c[st], 0);
	close(b4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_states_of_both_families_in_one_dump, netns_setup),
		cmocka_unit_test_setup(test_bound_sockets_are_not_asked_for, netns_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
