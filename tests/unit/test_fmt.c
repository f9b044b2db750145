// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_fmt.c - the log-line format, byte for byte against the seed README's
 * example lines (DESIGN.md section 3), the state table, address and port
 * text, and command-name escaping.  Times are rendered in UTC (TZ=UTC).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sys/stat.h>
#include <unistd.h>

#include "lib/names.h"
#include "common/cgroups.h"
#include "snoop/fmt_log.h"
#include "helpers.h"

/* Nanoseconds since the epoch of a UTC calendar time with milliseconds. */
static uint64_t utc_ns(int year, int mon, int mday, int hour, int min, int sec, int ms)
{
	return test_utc_ns(year, mon, mday, hour, min, sec) + (uint64_t)ms * 1000000ull;
}

/* "Dec 30 2024 22:05:25.454" in UTC, the seed's first example line. */
#define SEED_NS utc_ns(2024, 12, 30, 22, 5, 25, 454)

/* A state-change event attributed to its owner; ports in host order. */
static struct snoop_event state_event(const char *src, uint16_t sport, const char *dst,
				      uint16_t dport, uint32_t pid, const char *comm, int state)
{
	struct snoop_event e = test_event(SNOOP_KIND_STATE, src, sport, dst, dport);

	e.new_state = (uint8_t)state;
	test_set_owner(&e, SNOOP_ATTR_OWNER, pid, pid, comm);
	return e;
}

/* Format @e at @ns and compare the whole line and the returned length. */
static void assert_log_line(const struct snoop_event *e, uint64_t ns, const char *expected)
{
	char buf[FMT_LINE_MAX];
	size_t len = fmt_log_event(buf, sizeof(buf), e, ns);

	assert_string_equal(buf, expected);
	assert_int_equal(len, strlen(expected));
}

/* fmt_endpoint() of a text address into a fresh buffer. */
static const char *endpoint_text(char *buf, size_t size, const char *addr, uint16_t port)
{
	uint8_t a[SNOOP_ADDR_LEN];
	struct strbuf sb;

	test_set_addr(a, addr);
	strbuf_init(&sb, buf, size);
	fmt_endpoint(&sb, a, port);
	return buf;
}

/* fmt_comm() of @s as the kernel stores it: at most 16 bytes, NUL-padded. */
static const char *comm_text(char *buf, const char *s)
{
	char comm[SNOOP_COMM_LEN] = { 0 };
	struct strbuf sb;

	memcpy(comm, s, strnlen(s, sizeof(comm)));
	strbuf_init(&sb, buf, FMT_COMM_LEN);
	fmt_comm(&sb, comm);
	return buf;
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
	/* glibc's localtime_r reads TZ only once, in tzset(). */
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* ---- log lines against the seed README ----------------------------------------------- */

static void test_state_line_matches_seed_format(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 39134, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_FIN_WAIT1);

	assert_log_line(&e, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=10.100.10.150:39134 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Closing (FIN_WAIT1)\n");
}

static void test_syn_sent_line_shows_local_port_0(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 0, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_SYN_SENT);

	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:0 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Opening (SYN_SENT)\n");
}

static void test_established_line_matches_seed_format(void **state)
{
	/* The seed printed PID=0 COMM=swapper/4 here; the owner is what we report. */
	struct snoop_event e = state_event("10.100.10.150", 39136, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_ESTABLISHED);

	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39136 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Established\n");
}

static void test_closed_line_matches_seed_format(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 39134, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_CLOSE);

	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39134 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Closed\n");
}

/* The close summary: how much, why it ended and against whom, and its health. */
static void test_close_summary_line(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 39134, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_CLOSE);

	e.kind = SNOOP_KIND_CLOSE;
	e.flags = SNOOP_SF_ACTIVE;
	e.close.duration_ns = 1234000000;
	e.close.bytes_sent = 1000;
	e.close.bytes_received = 3000;
	e.close.segs_out = 5;
	e.close.segs_in = 4;
	e.close.total_retrans = 2;
	e.close.srtt_us = 5318;
	e.close.closed_by = SNOOP_CLOSED_LOCAL;
	e.close.reason = SNOOP_CLOSE_KEEPALIVE_TIMEOUT;
	e.close.rst_reason = SNOOP_RST_TCP_KEEPALIVE_TIMEOUT + 1;
	e.close.rttvar_us = 812;
	e.close.min_rtt_us = 4100;
	e.close.bytes_retrans = 2896;
	e.close.total_rto = 1;
	e.close.lost = 3;
	e.close.reord_seen = 4;
	e.close.dsack_dups = 5;
	e.close.rcv_ooopack = 6;
	e.close.delivery_rate = 12500000;
	e.close.delivered_ce = 7;
	e.close.ecn = 1;
	e.close.ca_worst = 5;
	assert_log_line(
		&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
		"Dec 30 2024 22:05:25.455 Connection Summary: SRC=10.100.10.150:39134 "
		"DST=10.100.10.202:8000 PID=30512 COMM=audacious DURATION=1.234s SENT=1000 "
		"RECEIVED=3000 SEGS_OUT=5 SEGS_IN=4 RETRANS=2 RTT=5.318ms DIRECTION=outbound "
		"CLOSED_BY=local CLOSE_REASON=keepalive_timeout CLOSE_SIDE=server "
		"RESET_REASON=TCP_KEEPALIVE_TIMEOUT RTTVAR=0.812ms MIN_RTT=4.100ms "
		"BYTES_RETRANS=2896 RTO=1 RTO_RECOVERIES=0 LOST=3 REORDER=4 DSACK_DUPS=5 OOO_IN=6 "
		"DELIVERY_RATE=12500000 CE=7 ECN=yes CA_WORST=loss\n");
	/* Accepted here, this side's FIN first; no congestion state known. */
	e.flags = SNOOP_SF_PASSIVE;
	e.close = (struct snoop_close_info){ .reason = SNOOP_CLOSE_FIN_LOCAL };
	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 Connection Summary: SRC=10.100.10.150:39134 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious DURATION=0.000s SENT=0 "
			"RECEIVED=0 SEGS_OUT=0 SEGS_IN=0 RETRANS=0 RTT=0.000ms DIRECTION=inbound "
			"CLOSED_BY=unknown CLOSE_REASON=fin_local CLOSE_SIDE=server RTTVAR=0.000ms "
			"MIN_RTT=0.000ms BYTES_RETRANS=0 RTO=0 RTO_RECOVERIES=0 LOST=0 REORDER=0 "
			"DSACK_DUPS=0 OOO_IN=0 DELIVERY_RATE=0 CE=0 ECN=no\n");
	/* Direction not known (found at start): no side. */
	e.flags = 0;
	e.close.reason = SNOOP_CLOSE_RST_RECEIVED;
	{
		char buf[FMT_LINE_MAX];

		fmt_log_event(buf, sizeof(buf), &e, SEED_NS);
		assert_non_null(strstr(buf, " CLOSE_REASON=rst_received RTTVAR="));
	}
}

/* --interval: the state now, the counts since the last update, the health so far. */
static void test_update_line(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 39134, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_ESTABLISHED);

	e.kind = SNOOP_KIND_UPDATE;
	e.flags = SNOOP_SF_ACTIVE;
	e.close.duration_ns = 61000000000ull;
	e.close.bytes_sent = 500;
	e.close.segs_out = 1;
	e.close.srtt_us = 46;
	e.close.rttvar_us = 23;
	e.close.min_rtt_us = 40;
	e.close.ca_worst = 1;
	assert_log_line(
		&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
		"Dec 30 2024 22:05:25.455 Connection Update: SRC=10.100.10.150:39134 "
		"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
		"STATE=Connection Established DURATION=61.000s SENT=500 RECEIVED=0 SEGS_OUT=1 "
		"SEGS_IN=0 RETRANS=0 RTT=0.046ms DIRECTION=outbound RTTVAR=0.023ms "
		"MIN_RTT=0.040ms BYTES_RETRANS=0 RTO=0 RTO_RECOVERIES=0 LOST=0 REORDER=0 "
		"DSACK_DUPS=0 OOO_IN=0 DELIVERY_RATE=0 CE=0 ECN=no CA_WORST=open\n");
}

/* The seed's state 6; a close where it was due but skipped says so. */
static void test_time_wait_and_skipped_time_wait_lines(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 39134, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_TIME_WAIT);

	e.old_state = SNOOP_TCP_FIN_WAIT2;
	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39134 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Closed (TIME_WAIT)\n");
	e.new_state = SNOOP_TCP_CLOSE;
	e.flags |= SNOOP_SF_TW_SKIPPED;
	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39134 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Closed TIME_WAIT=skipped\n");
	/* A time-wait socket's early end: TIME_WAIT -> CLOSE, and why. */
	e.flags &= (uint8_t)~SNOOP_SF_TW_SKIPPED;
	e.old_state = SNOOP_TCP_TIME_WAIT;
	e.detail = SNOOP_TW_END_RESET;
	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39134 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Closed TIME_WAIT=reset\n");
	e.detail = SNOOP_TW_END_REUSED;
	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 5, 25, 455),
			"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39134 "
			"DST=10.100.10.202:8000 PID=30512 COMM=audacious "
			"STATE=Connection Closed TIME_WAIT=reused\n");
}

static void test_sshd_close_wait_last_ack_lines_match_seed(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 22, "10.100.10.197", 62382, 43190,
					   "sshd-session", SNOOP_TCP_CLOSE_WAIT);

	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 0, 46, 334),
			"Dec 30 2024 22:00:46.334 State Change: SRC=10.100.10.150:22 "
			"DST=10.100.10.197:62382 PID=43190 COMM=sshd-session "
			"STATE=Connection Closing (CLOSE_WAIT)\n");
	e.new_state = SNOOP_TCP_LAST_ACK;
	assert_log_line(&e, utc_ns(2024, 12, 30, 22, 0, 46, 337),
			"Dec 30 2024 22:00:46.337 State Change: SRC=10.100.10.150:22 "
			"DST=10.100.10.197:62382 PID=43190 COMM=sshd-session "
			"STATE=Connection Closing (LAST_ACK)\n");
}

/* Every state-change line of the seed README, rebuilt from its fields. */
static const char *const seed_lines[] = {
	"Dec 30 2024 22:05:25.454 State Change: SRC=10.100.10.150:39134 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Closing (FIN_WAIT1)",
	"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39134 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Closed",
	"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:0 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Opening (SYN_SENT)",
	"Dec 30 2024 22:05:25.455 State Change: SRC=10.100.10.150:39136 DST=10.100.10.202:8000 PID=0 COMM=swapper/4 STATE=Connection Established",
	"Dec 30 2024 22:05:25.836 State Change: SRC=10.100.10.150:39136 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Closing (FIN_WAIT1)",
	"Dec 30 2024 22:05:25.836 State Change: SRC=10.100.10.150:39136 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Closed",
	"Dec 30 2024 22:05:25.836 State Change: SRC=10.100.10.150:0 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Opening (SYN_SENT)",
	"Dec 30 2024 22:05:25.836 State Change: SRC=10.100.10.150:39148 DST=10.100.10.202:8000 PID=0 COMM=swapper/6 STATE=Connection Established",
	"Dec 30 2024 22:05:28.180 State Change: SRC=10.100.10.150:39148 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Closing (FIN_WAIT1)",
	"Dec 30 2024 22:05:28.180 State Change: SRC=10.100.10.150:39148 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Closed",
	"Dec 30 2024 22:05:28.180 State Change: SRC=10.100.10.150:0 DST=10.100.10.202:8000 PID=30512 COMM=audacious STATE=Connection Opening (SYN_SENT)",
	"Dec 30 2024 22:05:28.180 State Change: SRC=10.100.10.150:41994 DST=10.100.10.202:8000 PID=0 COMM=swapper/7 STATE=Connection Established",
	"Dec 30 2024 22:05:28.315 State Change: SRC=10.100.10.150:0 DST=10.100.10.202:8000 PID=30512 COMM=pool-audacious STATE=Connection Opening (SYN_SENT)",
	"Dec 30 2024 22:05:28.316 State Change: SRC=10.100.10.150:42006 DST=10.100.10.202:8000 PID=0 COMM=swapper/5 STATE=Connection Established",
	"Dec 30 2024 22:05:28.592 State Change: SRC=10.100.10.150:42006 DST=10.100.10.202:8000 PID=30512 COMM=pool-audacious STATE=Connection Closing (FIN_WAIT1)",
	"Dec 30 2024 22:05:28.592 State Change: SRC=10.100.10.150:42006 DST=10.100.10.202:8000 PID=30512 COMM=pool-audacious STATE=Connection Closed",
	"Dec 30 2024 22:05:32.526 State Change: SRC=10.100.10.150:53046 DST=185.199.108.133:443 PID=3678 COMM=Chrome_ChildIOT STATE=Connection Closing (FIN_WAIT1)",
	"Dec 30 2024 22:05:32.526 State Change: SRC=10.100.10.150:34984 DST=185.199.108.154:443 PID=3678 COMM=Chrome_ChildIOT STATE=Connection Closing (FIN_WAIT1)",
	"Dec 30 2024 22:05:32.526 State Change: SRC=10.100.10.150:34994 DST=185.199.108.154:443 PID=3678 COMM=Chrome_ChildIOT STATE=Connection Closing (FIN_WAIT1)",
	"Dec 30 2024 22:00:46.334 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62382 PID=0 COMM=swapper/0 STATE=Connection Closing (CLOSE_WAIT)",
	"Dec 30 2024 22:00:46.337 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62382 PID=43190 COMM=sshd-session STATE=Connection Closing (LAST_ACK)",
	"Dec 30 2024 22:00:46.350 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62382 PID=0 COMM=swapper/0 STATE=Connection Closed",
	"Dec 30 2024 22:00:46.372 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62383 PID=0 COMM=swapper/3 STATE=Connection Closing (CLOSE_WAIT)",
	"Dec 30 2024 22:00:46.375 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62383 PID=43194 COMM=sshd-session STATE=Connection Closing (LAST_ACK)",
	"Dec 30 2024 22:00:46.377 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62383 PID=0 COMM=swapper/3 STATE=Connection Closed",
	"Dec 30 2024 22:00:47.799 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62407 PID=0 COMM=swapper/5 STATE=Connection Established",
	"Dec 30 2024 22:00:47.929 State Change: SRC=10.100.10.150:22 DST=10.100.10.197:62408 PID=0 COMM=swapper/7 STATE=Connection Established",
};

/* DESIGN.md's descriptions, kept here independently of names__state_desc(). */
static const char *const design_states[] = {
	[1] = "Connection Established",
	[2] = "Connection Opening (SYN_SENT)",
	[3] = "Connection Opening (SYN_RECV)",
	[4] = "Connection Closing (FIN_WAIT1)",
	[5] = "Connection Closing (FIN_WAIT2)",
	[6] = "Connection Closed (TIME_WAIT)",
	[7] = "Connection Closed",
	[8] = "Connection Closing (CLOSE_WAIT)",
	[9] = "Connection Closing (LAST_ACK)",
	[10] = "Listening for Connections",
	[11] = "Connection Closing (CLOSING)",
};

static int design_state_number(const char *desc)
{
	for (int i = 1; i <= 11; i++)
		if (strcmp(design_states[i], desc) == 0)
			return i;
	fail_msg("no state described as '%s'", desc);
	return 0;
}

static void test_every_seed_log_line_is_reproduced_byte_exact(void **state)
{
	for (size_t i = 0; i < sizeof(seed_lines) / sizeof(seed_lines[0]); i++) {
		char mon[4], src[16], dst[16], comm[17], desc[64], expected[FMT_LINE_MAX];
		int mday, year, hour, min, sec, ms, pos = 0;
		unsigned int sport, dport, pid;
		struct snoop_event e;

		assert_int_equal(sscanf(seed_lines[i],
					"%3s %d %d %d:%d:%d.%d State Change: SRC=%15[0-9.]:%u "
					"DST=%15[0-9.]:%u PID=%u COMM=%16s STATE=%n",
					mon, &mday, &year, &hour, &min, &sec, &ms, src, &sport, dst,
					&dport, &pid, comm, &pos),
				 13);
		assert_true(pos > 0);
		assert_string_equal(mon, "Dec");
		snprintf(desc, sizeof(desc), "%s", seed_lines[i] + pos);
		e = state_event(src, (uint16_t)sport, dst, (uint16_t)dport, pid, comm,
				design_state_number(desc));
		snprintf(expected, sizeof(expected), "%s\n", seed_lines[i]);
		assert_log_line(&e, utc_ns(year, 12, mday, hour, min, sec, ms), expected);
	}
}

static void test_ipv6_line_brackets_addresses(void **state)
{
	struct snoop_event e = state_event("2001:db8::1", 443, "2001:db8::2", 50000, 812, "nginx",
					   SNOOP_TCP_SYN_RECV);

	assert_log_line(&e, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=[2001:db8::1]:443 "
			"DST=[2001:db8::2]:50000 PID=812 COMM=nginx "
			"STATE=Connection Opening (SYN_RECV)\n");
}

static void test_ssh_port_22_is_host_order_not_5632(void **state)
{
	struct snoop_event e =
		state_event("10.0.0.1", 22, "10.0.0.2", 5632, 1, "sshd", SNOOP_TCP_ESTABLISHED);
	char buf[FMT_LINE_MAX];

	fmt_log_event(buf, sizeof(buf), &e, SEED_NS);
	assert_non_null(strstr(buf, " SRC=10.0.0.1:22 "));
	assert_non_null(strstr(buf, " DST=10.0.0.2:5632 "));
}

static void test_unknown_attribution_shows_pid_0_and_unknown_comm(void **state)
{
	struct snoop_event e =
		state_event("10.0.0.1", 40000, "10.0.0.2", 80, 0, "", SNOOP_TCP_CLOSE);

	e.attribution = SNOOP_ATTR_UNKNOWN;
	assert_log_line(&e, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=10.0.0.1:40000 "
			"DST=10.0.0.2:80 PID=0 COMM=<unknown> STATE=Connection Closed\n");
}

/*
 * --fields: at the end of every event line, in the table's order, "-" for
 * what is unknown; the unit and container from the owner's cgroup id (a
 * temporary tree's directory: its inode number is the id, as on cgroup2).
 */
static void test_fields_end_every_line(void **state)
{
	char root[64], path[256];
	struct snoop_event e =
		state_event("10.0.0.1", 40000, "10.0.0.2", 80, 4242, "curl", SNOOP_TCP_ESTABLISHED);
	struct cgroup_cache *c;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root-made names are read */
	assert_int_equal(test_make_tmpdir(root, sizeof(root), "test-fmt-fields"), 0);
	snprintf(path, sizeof(path), "%s/box.slice", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(
		path, sizeof(path),
		"%s/box.slice/docker-00000000000000000000000000000000000000000000000000000000000000ff.scope",
		root);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(cgroup_cache__new(&c, root), 0);
	memcpy(e.owner.thread_comm, "curl-worker\n", 13);
	e.owner.cgroup_id = st.st_ino;
	fmt_log_set_fields(1u << SNOOP_FIELD_POD | 1u << SNOOP_FIELD_UNIT |
				   1u << SNOOP_FIELD_THREAD | 1u << SNOOP_FIELD_CONTAINER |
				   1u << SNOOP_FIELD_RUNTIME,
			   c);
	assert_log_line(
		&e, SEED_NS,
		"Dec 30 2024 22:05:25.454 State Change: SRC=10.0.0.1:40000 "
		"DST=10.0.0.2:80 PID=4242 COMM=curl STATE=Connection Established "
		"UNIT=docker-00000000000000000000000000000000000000000000000000000000000000ff.scope "
		"CONTAINER=00000000000000000000000000000000000000000000000000000000000000ff "
		"RUNTIME=docker POD=- THREAD=curl-worker\\x0a\n");
	/* No owner: every field unknown. */
	e.attribution = SNOOP_ATTR_UNKNOWN;
	fmt_log_set_fields(1u << SNOOP_FIELD_UNIT | 1u << SNOOP_FIELD_THREAD, c);
	assert_log_line(&e, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=10.0.0.1:40000 "
			"DST=10.0.0.2:80 PID=4242 COMM=<unknown> STATE=Connection Established "
			"UNIT=- THREAD=-\n");
	/* No cgroup v2 (no table): the cgroup's fields are unknown, the thread is not. */
	e.attribution = SNOOP_ATTR_OWNER;
	fmt_log_set_fields(1u << SNOOP_FIELD_UNIT | 1u << SNOOP_FIELD_THREAD, NULL);
	assert_log_line(&e, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=10.0.0.1:40000 "
			"DST=10.0.0.2:80 PID=4242 COMM=curl STATE=Connection Established "
			"UNIT=- THREAD=curl-worker\\x0a\n");
	fmt_log_set_fields(0, NULL);
	cgroup_cache__free(c);
	assert_int_equal(test_remove_tree(root), 0);
}

static void test_listener_and_snapshot_attribution_show_the_owner(void **state)
{
	struct snoop_event e =
		state_event("10.0.0.1", 22, "10.0.0.2", 50000, 700, "sshd", SNOOP_TCP_ESTABLISHED);
	const char *expected = "Dec 30 2024 22:05:25.454 State Change: SRC=10.0.0.1:22 "
			       "DST=10.0.0.2:50000 PID=700 COMM=sshd "
			       "STATE=Connection Established\n";

	e.attribution = SNOOP_ATTR_LISTENER;
	assert_log_line(&e, SEED_NS, expected);
	e.attribution = SNOOP_ATTR_SNAPSHOT;
	assert_log_line(&e, SEED_NS, expected);
}

static void test_unknown_state_line_says_unknown_state(void **state)
{
	struct snoop_event e =
		state_event("10.0.0.1", 1, "10.0.0.2", 2, 3, "x", SNOOP_TCP_NEW_SYN_RECV);

	assert_log_line(&e, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=10.0.0.1:1 DST=10.0.0.2:2 "
			"PID=3 COMM=x STATE=UNKNOWN STATE\n");
}

static void test_wildcard_addresses_print_as_zero(void **state)
{
	struct snoop_event e4 =
		state_event("0.0.0.0", 8080, "0.0.0.0", 0, 55, "python3", SNOOP_TCP_LISTEN);
	struct snoop_event e6 = state_event("::", 8080, "::", 0, 55, "python3", SNOOP_TCP_LISTEN);

	assert_log_line(&e4, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=0.0.0.0:8080 DST=0.0.0.0:0 "
			"PID=55 COMM=python3 STATE=Listening for Connections\n");
	assert_log_line(&e6, SEED_NS,
			"Dec 30 2024 22:05:25.454 State Change: SRC=[::]:8080 DST=[::]:0 "
			"PID=55 COMM=python3 STATE=Listening for Connections\n");
}

/* ---- time ------------------------------------------------------------------------------ */

static void test_log_time_pads_day_and_milliseconds(void **state)
{
	char buf[FMT_TIME_LEN];
	struct strbuf sb;

	strbuf_init(&sb, buf, sizeof(buf));
	fmt_log_time(&sb, utc_ns(2025, 1, 5, 3, 4, 5, 7));
	assert_string_equal(buf, "Jan 05 2025 03:04:05.007");

	strbuf_init(&sb, buf, sizeof(buf));
	fmt_log_time(&sb, utc_ns(2025, 1, 5, 3, 4, 5, 0) + 999999999ull);
	assert_string_equal(buf, "Jan 05 2025 03:04:05.999");
}

static void test_log_time_is_local_time(void **state)
{
	char buf[FMT_TIME_LEN];
	struct strbuf sb;

	/* POSIX "UTC-2" is two hours east of UTC.  A second no other test formats. */
	setenv("TZ", "UTC-2", 1);
	tzset();
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_log_time(&sb, utc_ns(2023, 6, 1, 23, 30, 1, 250));
	setup_utc(state);
	assert_string_equal(buf, "Jun 02 2023 01:30:01.250");
}

/* ---- state table ----------------------------------------------------------------------- */

static void test_state_descriptions_match_design(void **state)
{
	for (int s = 1; s <= 11; s++)
		assert_string_equal(names__state_desc(s), design_states[s]);
	assert_string_equal(names__state_desc(SNOOP_TCP_ESTABLISHED), "Connection Established");
	assert_string_equal(names__state_desc(SNOOP_TCP_CLOSING), "Connection Closing (CLOSING)");
}

static void test_states_outside_1_to_11_are_unknown_state(void **state)
{
	const int bad[] = { 0, 12, 13, 255, -1, 256, 1 << 30 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(names__state_desc(bad[i]), "UNKNOWN STATE");
}

/* ---- addresses and ports --------------------------------------------------------------- */

static void test_endpoint_ipv4(void **state)
{
	char buf[FMT_ADDR_LEN];

	assert_string_equal(endpoint_text(buf, sizeof(buf), "10.100.10.150", 39134),
			    "10.100.10.150:39134");
	assert_string_equal(endpoint_text(buf, sizeof(buf), "255.255.255.255", 65535),
			    "255.255.255.255:65535");
}

static void test_endpoint_ipv6_in_brackets(void **state)
{
	char buf[FMT_ADDR_LEN];

	assert_string_equal(endpoint_text(buf, sizeof(buf), "2001:db8::1", 443),
			    "[2001:db8::1]:443");
	assert_string_equal(endpoint_text(buf, sizeof(buf), "::1", 22), "[::1]:22");
	assert_string_equal(endpoint_text(buf, sizeof(buf), "fe80::1:2:3:4", 0),
			    "[fe80::1:2:3:4]:0");
}

static void test_endpoint_ipv4_mapped_shown_as_ipv4(void **state)
{
	char buf[FMT_ADDR_LEN];
	uint8_t a[SNOOP_ADDR_LEN];
	struct strbuf sb;

	/* Written as IPv6 text: the mapped form must still print as plain IPv4. */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.7", a), 1);
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_endpoint(&sb, a, 8080);
	assert_string_equal(buf, "192.0.2.7:8080");

	strbuf_init(&sb, buf, sizeof(buf));
	fmt_addr(&sb, a);
	assert_string_equal(buf, "192.0.2.7");
}

static void test_endpoint_wildcards(void **state)
{
	char buf[FMT_ADDR_LEN];

	assert_string_equal(endpoint_text(buf, sizeof(buf), "0.0.0.0", 0), "0.0.0.0:0");
	assert_string_equal(endpoint_text(buf, sizeof(buf), "::", 0), "[::]:0");
}

static void test_endpoint_ports_are_host_order(void **state)
{
	char buf[FMT_ADDR_LEN];

	assert_string_equal(endpoint_text(buf, sizeof(buf), "10.0.0.1", 22), "10.0.0.1:22");
	assert_string_equal(endpoint_text(buf, sizeof(buf), "10.0.0.1", 65535), "10.0.0.1:65535");
	assert_string_equal(endpoint_text(buf, sizeof(buf), "10.0.0.1", 0), "10.0.0.1:0");
}

static void test_longest_endpoint_fits_fmt_addr_len(void **state)
{
	char buf[FMT_ADDR_LEN];
	const char *longest = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";

	assert_int_equal(strlen(longest) + 1, FMT_ADDR_LEN);
	assert_string_equal(endpoint_text(buf, sizeof(buf),
					  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
			    longest);
}

/* ---- command names --------------------------------------------------------------------- */

static void test_comm_plain_name_unchanged(void **state)
{
	char buf[FMT_COMM_LEN];

	assert_string_equal(comm_text(buf, "sshd-session"), "sshd-session");
	assert_string_equal(comm_text(buf, "swapper/4"), "swapper/4");
	assert_string_equal(comm_text(buf, "Chrome_ChildIOT"), "Chrome_ChildIOT");
}

static void test_comm_newline_escaped(void **state)
{
	char buf[FMT_COMM_LEN];

	assert_string_equal(comm_text(buf, "a\nb"), "a\\x0ab");
	assert_string_equal(comm_text(buf, "\r\t"), "\\x0d\\x09");
}

static void test_comm_escape_sequence_escaped(void **state)
{
	char buf[FMT_COMM_LEN];

	assert_string_equal(comm_text(buf, "\x1b[31mred"), "\\x1b[31mred");
	assert_string_equal(comm_text(buf, "\x01\x7f"), "\\x01\\x7f");
}

static void test_comm_equals_space_backslash_escaped(void **state)
{
	char buf[FMT_COMM_LEN];

	assert_string_equal(comm_text(buf, "a=b"), "a\\x3db");
	assert_string_equal(comm_text(buf, "a b"), "a\\x20b");
	assert_string_equal(comm_text(buf, "a\\b"), "a\\x5cb");
	/* An already escaped-looking name cannot pass as one. */
	assert_string_equal(comm_text(buf, "\\x0a"), "\\x5cx0a");
}

static void test_comm_high_bytes_lower_case_hex(void **state)
{
	char buf[FMT_COMM_LEN];

	assert_string_equal(comm_text(buf, "caf\xc3\xa9"), "caf\\xc3\\xa9");
	assert_string_equal(comm_text(buf, "\x80\xff\xAB"), "\\x80\\xff\\xab");
}

static void test_comm_of_16_bytes_without_nul_stops_at_16(void **state)
{
	struct {
		char comm[SNOOP_COMM_LEN];
		char after[8];
	} mem;
	char buf[FMT_COMM_LEN];
	struct strbuf sb;

	memcpy(mem.comm, "ABCDEFGHIJKLMNOP", SNOOP_COMM_LEN);
	memcpy(mem.after, "XYZXYZX", sizeof(mem.after));
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_comm(&sb, mem.comm);
	assert_string_equal(buf, "ABCDEFGHIJKLMNOP");
}

static void test_comm_of_16_escaped_bytes_fits_fmt_comm_len(void **state)
{
	char comm[SNOOP_COMM_LEN];
	char buf[FMT_COMM_LEN];
	char expected[FMT_COMM_LEN] = "";
	struct strbuf sb;

	memset(comm, 0xff, sizeof(comm));
	for (int i = 0; i < SNOOP_COMM_LEN; i++)
		strcat(expected, "\\xff");
	assert_int_equal(strlen(expected) + 1, FMT_COMM_LEN);
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_comm(&sb, comm);
	assert_string_equal(buf, expected);
}

static void test_comm_cannot_forge_a_field(void **state)
{
	/* The kernel keeps 15 bytes: "x STATE=Connection Established" arrives cut. */
	struct snoop_event e =
		state_event("10.0.0.1", 1, "10.0.0.2", 2, 3, "x STATE=Connect", SNOOP_TCP_CLOSE);
	char buf[FMT_LINE_MAX];

	fmt_log_event(buf, sizeof(buf), &e, SEED_NS);
	assert_string_equal(buf, "Dec 30 2024 22:05:25.454 State Change: SRC=10.0.0.1:1 "
				 "DST=10.0.0.2:2 PID=3 COMM=x\\x20STATE\\x3dConnect "
				 "STATE=Connection Closed\n");
	assert_int_equal(count_substr(buf, " STATE="), 1);
	assert_int_equal(count_substr(buf, "="), 5);
}

static void test_comm_cannot_forge_a_line(void **state)
{
	struct snoop_event e =
		state_event("10.0.0.1", 1, "10.0.0.2", 2, 3, "a\nDec 30 PID=1", SNOOP_TCP_CLOSE);
	char buf[FMT_LINE_MAX];

	fmt_log_event(buf, sizeof(buf), &e, SEED_NS);
	assert_int_equal(count_substr(buf, "\n"), 1);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	assert_int_equal(count_substr(buf, " PID="), 1);
	assert_non_null(strstr(buf, " COMM=a\\x0aDec\\x2030\\x20PID\\x3d1 STATE="));
}

/* ---- lost events and attribution names ------------------------------------------------- */

static void test_lost_line_exact(void **state)
{
	char buf[FMT_LINE_MAX];
	struct snoop_loss loss = { SNOOP_LOSS_RING_FULL, 5, 4u << 20, 37 };
	const char *expected =
		"Dec 30 2024 22:05:25.454 Events Lost: COUNT=5 CAUSE=ring_full (a CPU's ring buffer "
		"(4 MiB) was full: the reader left it unread for up to 37 ms; a larger "
		"--buffer-size, or kernel filters (--lport, --netns, --comm, ...) that keep less, "
		"help)\n";

	assert_int_equal(fmt_log_lost(buf, sizeof(buf), &loss, SEED_NS), strlen(expected));
	assert_string_equal(buf, expected);
	loss.ring_bytes = 64u << 10;
	fmt_log_lost(buf, sizeof(buf), &loss, SEED_NS);
	assert_non_null(strstr(buf, "(a CPU's ring buffer (64 KiB) was full"));
}

/* The causes no setting helps with say so; the names come from SNOOP_LOSS_CAUSES. */
static void test_lost_line_each_cause(void **state)
{
	char buf[FMT_LINE_MAX];
	struct snoop_loss skipped = { SNOOP_LOSS_SKIPPED, 2, 4u << 20, 10 };
	struct snoop_loss undelivered = { SNOOP_LOSS_UNDELIVERED, 1, 4u << 20, 10 };

	fmt_log_lost(buf, sizeof(buf), &skipped, SEED_NS);
	assert_string_equal(buf, "Dec 30 2024 22:05:25.454 Events Lost: COUNT=2 CAUSE=skipped (the "
				 "kernel skipped runs of our programs: each was already running on "
				 "its CPU when a transition came; no setting avoids it)\n");
	fmt_log_lost(buf, sizeof(buf), &undelivered, SEED_NS);
	assert_string_equal(buf, "Dec 30 2024 22:05:25.454 Events Lost: COUNT=1 CAUSE=undelivered "
				 "(the kernel made transitions without running our programs; no "
				 "setting avoids it)\n");
	assert_string_equal(names__loss_cause(SNOOP_LOSS_RING_FULL), "ring_full");
	assert_null(names__loss_cause(SNOOP_LOSS_N));
	assert_null(names__loss_cause(-1));
}

static void test_lost_line_prints_full_u64(void **state)
{
	char buf[FMT_LINE_MAX];
	struct snoop_loss loss = { SNOOP_LOSS_RING_FULL, UINT64_MAX, 1ull << 30, UINT64_MAX };

	fmt_log_lost(buf, sizeof(buf), &loss, SEED_NS);
	assert_true(!strncmp(
		buf,
		"Dec 30 2024 22:05:25.454 Events Lost: COUNT=18446744073709551615 "
		"CAUSE=ring_full (a CPU's ring buffer (1024 MiB) was full: the reader left it "
		"unread for up to 18446744073709551615 ms;",
		150));
	/* An unknown cause is said as such, not read out of bounds. */
	loss.cause = 99;
	loss.count = 0;
	fmt_log_lost(buf, sizeof(buf), &loss, SEED_NS);
	assert_true(
		!strncmp(buf, "Dec 30 2024 22:05:25.454 Events Lost: COUNT=0 CAUSE=unknown (", 61));
}

static void test_attribution_names(void **state)
{
	assert_string_equal(names__attribution(SNOOP_ATTR_OWNER), "owner");
	assert_string_equal(names__attribution(SNOOP_ATTR_LISTENER), "listener");
	assert_string_equal(names__attribution(SNOOP_ATTR_SNAPSHOT), "snapshot");
	assert_string_equal(names__attribution(SNOOP_ATTR_UNKNOWN), "unknown");
	assert_string_equal(names__attribution(99), "unknown");
}

/* ---- strbuf ---------------------------------------------------------------------------- */

static void test_log_line_truncated_to_small_buffer_without_overrun(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 39134, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_FIN_WAIT1);
	char mem[32];
	size_t len;

	memset(mem, 'Z', sizeof(mem));
	len = fmt_log_event(mem, 10, &e, SEED_NS);
	assert_int_equal(len, 9);
	assert_memory_equal(mem, "Dec 30 20\0", 10);
	for (size_t i = 10; i < sizeof(mem); i++)
		assert_int_equal(mem[i], 'Z');

	memset(mem, 'Z', sizeof(mem));
	assert_int_equal(fmt_log_lost(mem, 1,
				      &(struct snoop_loss){ SNOOP_LOSS_RING_FULL, 5, 4096, 1 },
				      SEED_NS),
			 0);
	assert_int_equal(mem[0], '\0');
	for (size_t i = 1; i < sizeof(mem); i++)
		assert_int_equal(mem[i], 'Z');
}

static void test_log_line_into_zero_size_buffer_writes_nothing(void **state)
{
	struct snoop_event e = state_event("10.100.10.150", 39134, "10.100.10.202", 8000, 30512,
					   "audacious", SNOOP_TCP_FIN_WAIT1);
	/* Room for what an overrun would write, so a failure stays inside the test. */
	char mem[FMT_LINE_MAX];
	size_t len;

	memset(mem, 'Z', sizeof(mem));
	len = fmt_log_event(mem, 0, &e, SEED_NS);
	assert_int_equal(len, 0);
	for (size_t i = 0; i < sizeof(mem); i++)
		assert_int_equal(mem[i], 'Z');
}

static void test_strbuf_stops_at_end_and_keeps_nul(void **state)
{
	char mem[8];
	struct strbuf sb;

	memset(mem, 'Z', sizeof(mem));
	strbuf_init(&sb, mem, 6);
	strbuf_str(&sb, "abc");
	strbuf_char(&sb, 'd');
	strbuf_u64(&sb, 12345);
	strbuf_i64(&sb, -7);
	strbuf_mem(&sb, "xyz", 3);
	assert_memory_equal(mem, "abcd1\0ZZ", 8);
	assert_ptr_equal(sb.p, mem + 5);
}

static void test_strbuf_numbers(void **state)
{
	char buf[96];
	struct strbuf sb;

	strbuf_init(&sb, buf, sizeof(buf));
	strbuf_u64(&sb, 0);
	strbuf_char(&sb, ' ');
	strbuf_u64(&sb, UINT64_MAX);
	strbuf_char(&sb, ' ');
	strbuf_i64(&sb, INT64_MIN);
	strbuf_char(&sb, ' ');
	strbuf_i64(&sb, INT64_MAX);
	strbuf_char(&sb, ' ');
	strbuf_i64(&sb, -1);
	assert_string_equal(buf, "0 18446744073709551615 -9223372036854775808 "
				 "9223372036854775807 -1");
}

/* ---- the strbuf primitives (fast paths) ------------------------------------------------ */

/* Two digits per division: every boundary where the digit count changes. */
static void test_strbuf_u64_digit_boundaries(void **state)
{
	static const struct {
		uint64_t v;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ 9, "9" },
		{ 10, "10" },
		{ 99, "99" },
		{ 100, "100" },
		{ 101, "101" },
		{ 999, "999" },
		{ 1000, "1000" },
		{ 65535, "65535" },
		{ 4026531840u, "4026531840" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char buf[32];
	struct strbuf sb;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_init(&sb, buf, sizeof(buf));
		strbuf_u64(&sb, cases[i].v);
		assert_string_equal(buf, cases[i].text);
	}
}

/* The digit count comes from the bit length: each side of every power of ten, as printf writes it. */
static void test_u64_every_power_of_ten_matches_printf(void **state)
{
	char got[FMT_U64_LEN + 1], want[FMT_U64_LEN + 1];
	uint64_t pow = 1;

	for (int k = 0; k < 20; k++, pow *= 10) {
		const uint64_t around[] = { pow - 1, pow, pow + 1, pow * 2 - 1, pow | 1 };

		for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
			*fmt_put_u64(got, around[i]) = '\0';
			snprintf(want, sizeof(want), "%llu", (unsigned long long)around[i]);
			assert_string_equal(got, want);
		}
	}
}

/* IPv4 octets of one to three digits. */
static void test_ipv4_octets_of_every_width(void **state)
{
	uint8_t a[SNOOP_ADDR_LEN] = {
		[10] = 0xff, [11] = 0xff, [12] = 0, [13] = 9, [14] = 10, [15] = 255
	};
	char buf[FMT_ADDR_LEN];
	struct strbuf sb;

	strbuf_init(&sb, buf, sizeof(buf));
	fmt_addr(&sb, a);
	assert_string_equal(buf, "0.9.10.255");
	a[12] = 99;
	a[13] = 100;
	a[14] = 199;
	a[15] = 1;
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_addr(&sb, a);
	assert_string_equal(buf, "99.100.199.1");
}

/* Every length through the fixed-size copies, exact and truncated. */
static void test_strbuf_mem_every_length_exact_and_truncated(void **state)
{
	const char *src = "abcdefghijklmnopqrstuvwxyz";

	for (size_t n = 0; n <= 24; n++) {
		char buf[64];
		struct strbuf sb;

		memset(buf, 'Z', sizeof(buf));
		strbuf_init(&sb, buf, sizeof(buf));
		strbuf_mem(&sb, src, n);
		assert_int_equal(strlen(buf), n);
		assert_memory_equal(buf, src, n);
		/* A buffer of 8 bytes holds 7 and the NUL; nothing beyond is touched. */
		memset(buf, 'Z', sizeof(buf));
		strbuf_init(&sb, buf, 8);
		strbuf_mem(&sb, src, n);
		assert_int_equal(strlen(buf), n < 7 ? n : 7);
		for (size_t k = 8; k < sizeof(buf); k++)
			assert_int_equal(buf[k], 'Z');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_u64_digit_boundaries),
		cmocka_unit_test(test_u64_every_power_of_ten_matches_printf),
		cmocka_unit_test(test_ipv4_octets_of_every_width),
		cmocka_unit_test(test_strbuf_mem_every_length_exact_and_truncated),
		cmocka_unit_test(test_state_line_matches_seed_format),
		cmocka_unit_test(test_syn_sent_line_shows_local_port_0),
		cmocka_unit_test(test_established_line_matches_seed_format),
		cmocka_unit_test(test_closed_line_matches_seed_format),
		cmocka_unit_test(test_time_wait_and_skipped_time_wait_lines),
		cmocka_unit_test(test_close_summary_line),
		cmocka_unit_test(test_update_line),
		cmocka_unit_test(test_sshd_close_wait_last_ack_lines_match_seed),
		cmocka_unit_test(test_every_seed_log_line_is_reproduced_byte_exact),
		cmocka_unit_test(test_ipv6_line_brackets_addresses),
		cmocka_unit_test(test_ssh_port_22_is_host_order_not_5632),
		cmocka_unit_test(test_unknown_attribution_shows_pid_0_and_unknown_comm),
		cmocka_unit_test(test_fields_end_every_line),
		cmocka_unit_test(test_listener_and_snapshot_attribution_show_the_owner),
		cmocka_unit_test(test_unknown_state_line_says_unknown_state),
		cmocka_unit_test(test_wildcard_addresses_print_as_zero),
		cmocka_unit_test(test_log_time_pads_day_and_milliseconds),
		cmocka_unit_test(test_log_time_is_local_time),
		cmocka_unit_test(test_state_descriptions_match_design),
		cmocka_unit_test(test_states_outside_1_to_11_are_unknown_state),
		cmocka_unit_test(test_endpoint_ipv4),
		cmocka_unit_test(test_endpoint_ipv6_in_brackets),
		cmocka_unit_test(test_endpoint_ipv4_mapped_shown_as_ipv4),
		cmocka_unit_test(test_endpoint_wildcards),
		cmocka_unit_test(test_endpoint_ports_are_host_order),
		cmocka_unit_test(test_longest_endpoint_fits_fmt_addr_len),
		cmocka_unit_test(test_comm_plain_name_unchanged),
		cmocka_unit_test(test_comm_newline_escaped),
		cmocka_unit_test(test_comm_escape_sequence_escaped),
		cmocka_unit_test(test_comm_equals_space_backslash_escaped),
		cmocka_unit_test(test_comm_high_bytes_lower_case_hex),
		cmocka_unit_test(test_comm_of_16_bytes_without_nul_stops_at_16),
		cmocka_unit_test(test_comm_of_16_escaped_bytes_fits_fmt_comm_len),
		cmocka_unit_test(test_comm_cannot_forge_a_field),
		cmocka_unit_test(test_comm_cannot_forge_a_line),
		cmocka_unit_test(test_lost_line_exact),
		cmocka_unit_test(test_lost_line_each_cause),
		cmocka_unit_test(test_lost_line_prints_full_u64),
		cmocka_unit_test(test_attribution_names),
		cmocka_unit_test(test_log_line_truncated_to_small_buffer_without_overrun),
		cmocka_unit_test(test_log_line_into_zero_size_buffer_writes_nothing),
		cmocka_unit_test(test_strbuf_stops_at_end_and_keeps_nul),
		cmocka_unit_test(test_strbuf_numbers),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
