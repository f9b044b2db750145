// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_lifecycle.c - the exit report: the seed's "Connection Lifecycles:"
 * text byte for byte, connections keyed by socket cookie with their final
 * tuple, the per-connection cap, eviction of the oldest, gap detection.
 * Times are rendered in UTC (TZ=UTC).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "snoop/lifecycle.h"
#include "helpers.h"

/* Nanoseconds since the epoch of a UTC calendar time with milliseconds. */
static uint64_t utc_ns(int year, int mon, int mday, int hour, int min, int sec, int ms)
{
	return test_utc_ns(year, mon, mday, hour, min, sec) + (uint64_t)ms * 1000000ull;
}

/* Milliseconds into Dec 30 2024 22:00:00 UTC. */
static uint64_t at_ms(uint64_t ms)
{
	return utc_ns(2024, 12, 30, 22, 0, 0, 0) + ms * 1000000ull;
}

static struct snoop_event ev(uint64_t cookie, const char *src, uint16_t sport, const char *dst,
			     uint16_t dport, int old_state, int new_state)
{
	struct snoop_event e = test_event(SNOOP_KIND_STATE, src, sport, dst, dport);

	e.cookie = cookie;
	e.old_state = (uint8_t)old_state;
	e.new_state = (uint8_t)new_state;
	test_set_owner(&e, SNOOP_ATTR_OWNER, 1234, 0, "test");
	return e;
}

/* Add one transition; returns lifecycle__add()'s gap flag. */
static int add(struct lifecycle *lc, uint64_t cookie, const char *src, uint16_t sport,
	       const char *dst, uint16_t dport, int old_state, int new_state, uint64_t ns)
{
	struct snoop_event e = ev(cookie, src, sport, dst, dport, old_state, new_state);

	return lifecycle__add(lc, &e, ns);
}

/* The report as a string; the caller frees it. */
static char *report(const struct lifecycle *lc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	lifecycle__report(lc, f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static void assert_report(const struct lifecycle *lc, const char *expected)
{
	char *text = report(lc);

	assert_string_equal(text, expected);
	free(text);
}

static size_t count_substr(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int setup_utc(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* ---- the seed's report ----------------------------------------------------------------- */

static void test_report_matches_seed_example(void **state)
{
	struct lifecycle *lc = lifecycle__new(16);
	const char *me = "10.100.10.150", *peer = "10.100.10.197";

	assert_non_null(lc);
	add(lc, 1, me, 22, peer, 62382, SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE_WAIT, at_ms(46334));
	add(lc, 1, me, 22, peer, 62382, SNOOP_TCP_CLOSE_WAIT, SNOOP_TCP_LAST_ACK, at_ms(46337));
	add(lc, 1, me, 22, peer, 62382, SNOOP_TCP_LAST_ACK, SNOOP_TCP_CLOSE, at_ms(46350));
	add(lc, 2, me, 22, peer, 62383, SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE_WAIT, at_ms(46372));
	add(lc, 2, me, 22, peer, 62383, SNOOP_TCP_CLOSE_WAIT, SNOOP_TCP_LAST_ACK, at_ms(46375));
	add(lc, 2, me, 22, peer, 62383, SNOOP_TCP_LAST_ACK, SNOOP_TCP_CLOSE, at_ms(46377));
	add(lc, 3, me, 22, peer, 62407, SNOOP_TCP_SYN_RECV, SNOOP_TCP_ESTABLISHED, at_ms(47799));
	add(lc, 4, me, 22, peer, 62408, SNOOP_TCP_SYN_RECV, SNOOP_TCP_ESTABLISHED, at_ms(47929));

	/* "Stopping monitoring..." and its blank line: the blank line is on stdout. */
	assert_report(lc, "\n"
			  "Connection Lifecycles:\n"
			  "Connection: 10.100.10.150:22 -> 10.100.10.197:62382\n"
			  "  Dec 30 2024 22:00:46.334: Connection Closing (CLOSE_WAIT)\n"
			  "  Dec 30 2024 22:00:46.337: Connection Closing (LAST_ACK)\n"
			  "  Dec 30 2024 22:00:46.350: Connection Closed\n"
			  "Connection: 10.100.10.150:22 -> 10.100.10.197:62383\n"
			  "  Dec 30 2024 22:00:46.372: Connection Closing (CLOSE_WAIT)\n"
			  "  Dec 30 2024 22:00:46.375: Connection Closing (LAST_ACK)\n"
			  "  Dec 30 2024 22:00:46.377: Connection Closed\n"
			  "Connection: 10.100.10.150:22 -> 10.100.10.197:62407\n"
			  "  Dec 30 2024 22:00:47.799: Connection Established\n"
			  "Connection: 10.100.10.150:22 -> 10.100.10.197:62408\n"
			  "  Dec 30 2024 22:00:47.929: Connection Established\n");
	assert_int_equal(lifecycle__evicted(lc), 0);
	lifecycle__free(lc);
}

static void test_empty_report_has_only_the_header(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);

	assert_non_null(lc);
	assert_report(lc, "\nConnection Lifecycles:\n");
	lifecycle__free(lc);
}

static void test_connection_line_shows_final_tuple_not_syn_sent_port_0(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);
	const char *me = "10.100.10.150", *srv = "10.100.10.202";

	assert_non_null(lc);
	add(lc, 9, me, 0, srv, 8000, SNOOP_TCP_CLOSE, SNOOP_TCP_SYN_SENT, at_ms(1000));
	add(lc, 9, me, 39136, srv, 8000, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED, at_ms(1001));
	add(lc, 9, me, 39136, srv, 8000, SNOOP_TCP_ESTABLISHED, SNOOP_TCP_FIN_WAIT1, at_ms(1382));
	add(lc, 9, me, 39136, srv, 8000, SNOOP_TCP_FIN_WAIT1, SNOOP_TCP_FIN_WAIT2, at_ms(1383));
	add(lc, 9, me, 39136, srv, 8000, SNOOP_TCP_FIN_WAIT2, SNOOP_TCP_TIME_WAIT, at_ms(1384));
	add(lc, 9, me, 39136, srv, 8000, SNOOP_TCP_TIME_WAIT, SNOOP_TCP_CLOSE, at_ms(1385));
	assert_report(lc, "\n"
			  "Connection Lifecycles:\n"
			  "Connection: 10.100.10.150:39136 -> 10.100.10.202:8000\n"
			  "  Dec 30 2024 22:00:01.000: Connection Opening (SYN_SENT)\n"
			  "  Dec 30 2024 22:00:01.001: Connection Established\n"
			  "  Dec 30 2024 22:00:01.382: Connection Closing (FIN_WAIT1)\n"
			  "  Dec 30 2024 22:00:01.383: Connection Closing (FIN_WAIT2)\n"
			  "  Dec 30 2024 22:00:01.384: Connection Closed (TIME_WAIT)\n"
			  "  Dec 30 2024 22:00:01.385: Connection Closed\n");
	lifecycle__free(lc);
}

static void test_later_event_with_port_0_keeps_real_port(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);

	assert_non_null(lc);
	add(lc, 5, "10.0.0.1", 40000, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED,
	    at_ms(0));
	add(lc, 5, "10.0.0.1", 0, "10.0.0.2", 80, SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE, at_ms(5));
	assert_report(lc, "\n"
			  "Connection Lifecycles:\n"
			  "Connection: 10.0.0.1:40000 -> 10.0.0.2:80\n"
			  "  Dec 30 2024 22:00:00.000: Connection Established\n"
			  "  Dec 30 2024 22:00:00.005: Connection Closed\n");
	lifecycle__free(lc);
}

static void test_ipv6_connection_in_brackets(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);

	assert_non_null(lc);
	add(lc, 6, "2001:db8::1", 443, "2001:db8::2", 50000, SNOOP_TCP_LISTEN, SNOOP_TCP_SYN_RECV,
	    at_ms(10));
	add(lc, 6, "2001:db8::1", 443, "2001:db8::2", 50000, SNOOP_TCP_SYN_RECV,
	    SNOOP_TCP_ESTABLISHED, at_ms(11));
	assert_report(lc, "\n"
			  "Connection Lifecycles:\n"
			  "Connection: [2001:db8::1]:443 -> [2001:db8::2]:50000\n"
			  "  Dec 30 2024 22:00:00.010: Connection Opening (SYN_RECV)\n"
			  "  Dec 30 2024 22:00:00.011: Connection Established\n");
	lifecycle__free(lc);
}

static void test_connections_keyed_by_cookie_not_tuple(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);

	/* The same 4-tuple reused by a second socket, interleaved with the first. */
	assert_non_null(lc);
	add(lc, 100, "10.0.0.1", 5000, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED,
	    at_ms(1));
	add(lc, 200, "10.0.0.1", 5000, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED,
	    at_ms(2));
	add(lc, 100, "10.0.0.1", 5000, "10.0.0.2", 80, SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE,
	    at_ms(3));
	assert_report(lc, "\n"
			  "Connection Lifecycles:\n"
			  "Connection: 10.0.0.1:5000 -> 10.0.0.2:80\n"
			  "  Dec 30 2024 22:00:00.001: Connection Established\n"
			  "  Dec 30 2024 22:00:00.003: Connection Closed\n"
			  "Connection: 10.0.0.1:5000 -> 10.0.0.2:80\n"
			  "  Dec 30 2024 22:00:00.002: Connection Established\n");
	lifecycle__free(lc);
}

/* ---- bounded memory -------------------------------------------------------------------- */

static void test_transitions_beyond_the_cap_are_counted(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);
	char expected[2048];
	char *p = expected;
	const int extra = 3;
	int state_now = SNOOP_TCP_ESTABLISHED;

	assert_non_null(lc);
	p += sprintf(p, "\nConnection Lifecycles:\nConnection: 10.0.0.1:1000 -> 10.0.0.2:2000\n");
	/* Alternate ESTABLISHED and CLOSE_WAIT; only the first 12 are kept. */
	for (int i = 0; i < LIFECYCLE_MAX_TRANSITIONS + extra; i++) {
		int next = i % 2 ? SNOOP_TCP_ESTABLISHED : SNOOP_TCP_CLOSE_WAIT;

		add(lc, 1, "10.0.0.1", 1000, "10.0.0.2", 2000, state_now, next,
		    at_ms(100 + (uint64_t)i));
		if (i < LIFECYCLE_MAX_TRANSITIONS)
			p += sprintf(p, "  Dec 30 2024 22:00:00.%03d: %s\n", 100 + i,
				     next == SNOOP_TCP_ESTABLISHED ?
					     "Connection Established" :
					     "Connection Closing (CLOSE_WAIT)");
		state_now = next;
	}
	sprintf(p, "  (3 more transitions not shown)\n");
	assert_report(lc, expected);
	lifecycle__free(lc);
}

static void test_exactly_the_cap_shows_no_more_line(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);
	char *text;

	assert_non_null(lc);
	for (int i = 0; i < LIFECYCLE_MAX_TRANSITIONS; i++)
		add(lc, 1, "10.0.0.1", 1000, "10.0.0.2", 2000, SNOOP_TCP_ESTABLISHED,
		    SNOOP_TCP_ESTABLISHED, at_ms((uint64_t)i));
	text = report(lc);
	assert_int_equal(count_substr(text, "  Dec 30 2024 22:00:00."), LIFECYCLE_MAX_TRANSITIONS);
	assert_null(strstr(text, "not shown"));
	free(text);
	lifecycle__free(lc);
}

static void test_oldest_connection_evicted_when_full(void **state)
{
	struct lifecycle *lc = lifecycle__new(2);

	assert_non_null(lc);
	add(lc, 1, "10.0.0.1", 1001, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED,
	    at_ms(1));
	add(lc, 2, "10.0.0.1", 1002, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED,
	    at_ms(2));
	add(lc, 3, "10.0.0.1", 1003, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED,
	    at_ms(3));
	assert_int_equal(lifecycle__evicted(lc), 1);
	assert_report(lc, "\n"
			  "Connection Lifecycles:\n"
			  "(1 earlier connections not shown)\n"
			  "Connection: 10.0.0.1:1002 -> 10.0.0.2:80\n"
			  "  Dec 30 2024 22:00:00.002: Connection Established\n"
			  "Connection: 10.0.0.1:1003 -> 10.0.0.2:80\n"
			  "  Dec 30 2024 22:00:00.003: Connection Established\n");

	/* Later events of a kept connection land on it, not on a new entry. */
	add(lc, 2, "10.0.0.1", 1002, "10.0.0.2", 80, SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE,
	    at_ms(4));
	assert_int_equal(lifecycle__evicted(lc), 1);
	assert_report(lc, "\n"
			  "Connection Lifecycles:\n"
			  "(1 earlier connections not shown)\n"
			  "Connection: 10.0.0.1:1002 -> 10.0.0.2:80\n"
			  "  Dec 30 2024 22:00:00.002: Connection Established\n"
			  "  Dec 30 2024 22:00:00.004: Connection Closed\n"
			  "Connection: 10.0.0.1:1003 -> 10.0.0.2:80\n"
			  "  Dec 30 2024 22:00:00.003: Connection Established\n");
	lifecycle__free(lc);
}

static void test_many_evictions_keep_the_newest_in_order(void **state)
{
	const uint32_t cap = 100, total = 1000;
	struct lifecycle *lc = lifecycle__new(cap);
	char *text, *p;
	char line[128];

	assert_non_null(lc);
	for (uint32_t c = 1; c <= total; c++)
		add(lc, c * 7919, "10.0.0.1", (uint16_t)c, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT,
		    SNOOP_TCP_ESTABLISHED, at_ms(c));
	/* A second event for each survivor: found by its cookie, nothing more evicted. */
	for (uint32_t c = total - cap + 1; c <= total; c++)
		assert_int_equal(add(lc, c * 7919, "10.0.0.1", (uint16_t)c, "10.0.0.2", 80,
				     SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE, at_ms(c)),
				 0);
	assert_int_equal(lifecycle__evicted(lc), total - cap);

	text = report(lc);
	assert_int_equal(count_substr(text, "Connection: "), cap);
	assert_int_equal(count_substr(text, ": Connection Closed\n"), cap);
	assert_non_null(strstr(text, "\nConnection Lifecycles:\n(900 earlier connections not "
				     "shown)\nConnection: 10.0.0.1:901 -> 10.0.0.2:80\n"));
	p = text;
	for (uint32_t c = total - cap + 1; c <= total; c++) {
		snprintf(line, sizeof(line), "Connection: 10.0.0.1:%u -> 10.0.0.2:80\n", c);
		p = strstr(p, line);
		assert_non_null(p);
	}
	free(text);
	lifecycle__free(lc);
}

/* ---- gap detection --------------------------------------------------------------------- */

static void test_gap_detected_when_old_state_is_not_last_new_state(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);

	assert_non_null(lc);
	/* The first event of a connection has nothing to compare with. */
	assert_int_equal(add(lc, 1, "10.0.0.1", 0, "10.0.0.2", 80, SNOOP_TCP_CLOSE,
			     SNOOP_TCP_SYN_SENT, at_ms(0)),
			 0);
	assert_int_equal(add(lc, 1, "10.0.0.1", 4000, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT,
			     SNOOP_TCP_ESTABLISHED, at_ms(1)),
			 0);
	/* FIN_WAIT1 never arrived: ESTABLISHED -> [FIN_WAIT1] -> FIN_WAIT2. */
	assert_int_equal(add(lc, 1, "10.0.0.1", 4000, "10.0.0.2", 80, SNOOP_TCP_FIN_WAIT1,
			     SNOOP_TCP_FIN_WAIT2, at_ms(2)),
			 1);
	assert_int_equal(add(lc, 1, "10.0.0.1", 4000, "10.0.0.2", 80, SNOOP_TCP_FIN_WAIT2,
			     SNOOP_TCP_TIME_WAIT, at_ms(3)),
			 0);
	/* Another connection's history is its own. */
	assert_int_equal(add(lc, 2, "10.0.0.1", 4001, "10.0.0.2", 80, SNOOP_TCP_LAST_ACK,
			     SNOOP_TCP_CLOSE, at_ms(4)),
			 0);
	assert_int_equal(add(lc, 2, "10.0.0.1", 4001, "10.0.0.2", 80, SNOOP_TCP_SYN_SENT,
			     SNOOP_TCP_ESTABLISHED, at_ms(5)),
			 1);
	lifecycle__free(lc);
}

static void test_gap_still_detected_past_the_transition_cap(void **state)
{
	struct lifecycle *lc = lifecycle__new(4);
	int last = SNOOP_TCP_ESTABLISHED;

	assert_non_null(lc);
	for (int i = 0; i < LIFECYCLE_MAX_TRANSITIONS + 2; i++) {
		int next = i % 2 ? SNOOP_TCP_ESTABLISHED : SNOOP_TCP_CLOSE_WAIT;

		assert_int_equal(add(lc, 1, "10.0.0.1", 1, "10.0.0.2", 2, last, next,
				     at_ms((uint64_t)i)),
				 0);
		last = next;
	}
	assert_int_equal(add(lc, 1, "10.0.0.1", 1, "10.0.0.2", 2, SNOOP_TCP_LISTEN, SNOOP_TCP_CLOSE,
			     at_ms(99)),
			 1);
	lifecycle__free(lc);
}

/* ---- construction ---------------------------------------------------------------------- */

static void test_new_with_zero_capacity_fails_with_einval(void **state)
{
	errno = 0;
	assert_null(lifecycle__new(0));
	assert_int_equal(errno, EINVAL);
	lifecycle__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_matches_seed_example),
		cmocka_unit_test(test_empty_report_has_only_the_header),
		cmocka_unit_test(test_connection_line_shows_final_tuple_not_syn_sent_port_0),
		cmocka_unit_test(test_later_event_with_port_0_keeps_real_port),
		cmocka_unit_test(test_ipv6_connection_in_brackets),
		cmocka_unit_test(test_connections_keyed_by_cookie_not_tuple),
		cmocka_unit_test(test_transitions_beyond_the_cap_are_counted),
		cmocka_unit_test(test_exactly_the_cap_shows_no_more_line),
		cmocka_unit_test(test_oldest_connection_evicted_when_full),
		cmocka_unit_test(test_many_evictions_keep_the_newest_in_order),
		cmocka_unit_test(test_gap_detected_when_old_state_is_not_last_new_state),
		cmocka_unit_test(test_gap_still_detected_past_the_transition_cap),
		cmocka_unit_test(test_new_with_zero_capacity_fails_with_einval),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
