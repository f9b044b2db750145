// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_fmt_tcpsnoop.c - tcpsnoop and tcptop text, byte for byte against
 * DTraceToolkit's formats and the rows of its tcpsnoop demonstration
 * (seeds/tcpsnoop-demo.txt, without the demo's 3-space indent).
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

#include "packets/fmt.h"
#include "helpers.h"

/*
 * A one-segment packet of the demo: owner, local and remote ends, direction
 * ("->" sent, "<-" received) and SIZE as printed (IP length + 14).
 */
static struct snoop_packet packet(uint32_t uid, uint32_t pid, const char *laddr, uint16_t lport,
				  const char *dir, const char *raddr, uint16_t rport, uint32_t size,
				  const char *comm)
{
	struct snoop_packet p;

	memset(&p, 0, sizeof(p));
	p.owner.uid = uid;
	p.owner.pid = pid;
	p.owner.tid = pid;
	memcpy(p.owner.comm, comm, strnlen(comm, SNOOP_COMM_LEN));
	p.family = test_set_addr(p.laddr, laddr);
	test_set_addr(p.raddr, raddr);
	p.lport = lport;
	p.rport = rport;
	p.flags = strcmp(dir, "->") == 0 ? SNOOP_PKT_EGRESS : 0;
	p.ip_len = size - SNOOP_LINK_HDR_LEN;
	p.hdr_len = 40;
	p.segs = 1;
	return p;
}

/* Format segment @seg of @p and compare the whole row and the returned length. */
static void assert_row(const struct snoop_packet *p, unsigned int seg, unsigned int cols,
		       uint64_t wall_ns, const char *expected)
{
	char buf[TCPSNOOP_LINE_MAX];
	size_t len = fmt_tcpsnoop_row(buf, sizeof(buf), p, seg, cols, wall_ns);

	assert_string_equal(buf, expected);
	assert_int_equal(len, strlen(expected));
}

static void assert_header(unsigned int cols, const char *expected)
{
	char buf[TCPSNOOP_LINE_MAX];
	size_t len = fmt_tcpsnoop_header(buf, sizeof(buf), cols);

	assert_string_equal(buf, expected);
	assert_int_equal(len, strlen(expected));
}

static int setup_utc(void **state)
{
	/* glibc's localtime_r reads TZ only once, in tzset(). */
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* The demo's -v time: "2005 Jul 11 21:21:19". */
#define DEMO_NS test_utc_ns(2005, 7, 11, 21, 21, 19)

#define DEMO_HEADER "  UID    PID LADDR           LPORT DR RADDR           RPORT  SIZE CMD\n"

/* Every row of the demonstration, as printed (the demo's 3-space indent removed). */
static const char *const demo_rows[] = {
	"  100  20892 192.168.1.5     36398 -> 192.168.1.1        79    54 finger",
	"  100  20892 192.168.1.5     36398 <- 192.168.1.1        79    66 finger",
	"  100  20892 192.168.1.5     36398 -> 192.168.1.1        79    54 finger",
	"  100  20892 192.168.1.5     36398 -> 192.168.1.1        79    56 finger",
	"  100  20892 192.168.1.5     36398 <- 192.168.1.1        79    54 finger",
	"  100  20892 192.168.1.5     36398 <- 192.168.1.1        79   606 finger",
	"  100  20892 192.168.1.5     36398 -> 192.168.1.1        79    54 finger",
	"  100  20892 192.168.1.5     36398 <- 192.168.1.1        79    54 finger",
	"  100  20892 192.168.1.5     36398 -> 192.168.1.1        79    54 finger",
	"  100  20892 192.168.1.5     36398 -> 192.168.1.1        79    54 finger",
	"  100  20892 192.168.1.5     36398 <- 192.168.1.1        79    54 finger",
	"    0    242 192.168.1.5        23 <- 192.168.1.1     54224    54 inetd",
	"    0    242 192.168.1.5        23 -> 192.168.1.1     54224    54 inetd",
	"    0    242 192.168.1.5        23 <- 192.168.1.1     54224    54 inetd",
	"    0    242 192.168.1.5        23 <- 192.168.1.1     54224    78 inetd",
	"    0    242 192.168.1.5        23 -> 192.168.1.1     54224    54 inetd",
	"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    57 in.telnetd",
	"    0  20893 192.168.1.5        23 <- 192.168.1.1     54224    54 in.telnetd",
	"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    78 in.telnetd",
	"    0  20893 192.168.1.5        23 <- 192.168.1.1     54224    57 in.telnetd",
	"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    54 in.telnetd",
	"    0  20893 192.168.1.5        23 <- 192.168.1.1     54224    54 in.telnetd",
	"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    60 in.telnetd",
	"    0  20893 192.168.1.5        23 <- 192.168.1.1     54224    63 in.telnetd",
	"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    54 in.telnetd",
	"    0  20893 192.168.1.5        23 <- 192.168.1.1     54224    60 in.telnetd",
	"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    60 in.telnetd",
	"    0  20893 192.168.1.5        23 <- 192.168.1.1     54224    60 in.telnetd",
	"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    72 in.telnetd",
};

/* The rows of the demonstration's -v run. */
static const char *const demo_strtime_rows[] = {
	"2005 Jul 11 21:21:19     0    242 192.168.1.5        79 <- 192.168.1.1     49001    54 inetd",
	"2005 Jul 11 21:21:19     0    242 192.168.1.5        79 -> 192.168.1.1     49001    54 inetd",
	"2005 Jul 11 21:21:19     0    242 192.168.1.5        79 <- 192.168.1.1     49001    54 inetd",
	"2005 Jul 11 21:21:19     0    242 192.168.1.5        79 <- 192.168.1.1     49001    56 inetd",
	"2005 Jul 11 21:21:19     0    242 192.168.1.5        79 -> 192.168.1.1     49001    54 inetd",
	"2005 Jul 11 21:21:19     0  23181 192.168.1.5        79 -> 192.168.1.1     49001   444 in.fingerd",
	"2005 Jul 11 21:21:19     0  23181 192.168.1.5        79 -> 192.168.1.1     49001    54 in.fingerd",
	"2005 Jul 11 21:21:19     0  23181 192.168.1.5        79 <- 192.168.1.1     49001    54 in.fingerd",
	"2005 Jul 11 21:21:19     0  23181 192.168.1.5        79 <- 192.168.1.1     49001    54 in.fingerd",
	"2005 Jul 11 21:21:19     0  23181 192.168.1.5        79 <- 192.168.1.1     49001    54 in.fingerd",
	"2005 Jul 11 21:21:19     0  23181 192.168.1.5        79 -> 192.168.1.1     49001    54 in.fingerd",
};

/* ---- tcpsnoop headers -------------------------------------------------------------------- */

static void test_default_header_matches_demo(void **state)
{
	assert_header(0, DEMO_HEADER);
}

static void test_strtime_header_matches_demo(void **state)
{
	assert_header(TCPSNOOP_COL_STRTIME,
		      "STRTIME                UID    PID LADDR           LPORT DR RADDR           "
		      "RPORT  SIZE CMD\n");
}

static void test_time_header_is_14_wide_left_aligned(void **state)
{
	assert_header(TCPSNOOP_COL_TIME, "TIME             UID    PID LADDR           LPORT DR "
					 "RADDR           RPORT  SIZE CMD\n");
}

static void test_zone_and_proj_headers_are_4_wide(void **state)
{
	assert_header(TCPSNOOP_COL_ZONE, "ZONE " DEMO_HEADER);
	assert_header(TCPSNOOP_COL_PROJ, "PROJ " DEMO_HEADER);
}

static void test_all_columns_in_original_order(void **state)
{
	/* TIME, STRTIME, ZONE, PROJ: the order of the original's BEGIN clause. */
	assert_header(TCPSNOOP_COL_ALL,
		      "TIME           STRTIME              ZONE PROJ " DEMO_HEADER);
}

static void test_wide_header_has_39_wide_addresses(void **state)
{
	assert_header(TCPSNOOP_COL_WIDE,
		      "  UID    PID LADDR                                   LPORT DR "
		      "RADDR                                   RPORT  SIZE CMD\n");
}

/* ---- tcpsnoop rows against the demo ------------------------------------------------------ */

static void test_finger_rows_match_demo(void **state)
{
	struct snoop_packet out =
		packet(100, 20892, "192.168.1.5", 36398, "->", "192.168.1.1", 79, 54, "finger");
	struct snoop_packet in =
		packet(100, 20892, "192.168.1.5", 36398, "<-", "192.168.1.1", 79, 606, "finger");

	assert_row(&out, 0, 0, 0,
		   "  100  20892 192.168.1.5     36398 -> 192.168.1.1        79    54 finger\n");
	assert_row(&in, 0, 0, 0,
		   "  100  20892 192.168.1.5     36398 <- 192.168.1.1        79   606 finger\n");
}

static void test_inetd_to_telnetd_rows_match_demo(void **state)
{
	struct snoop_packet inetd =
		packet(0, 242, "192.168.1.5", 23, "<-", "192.168.1.1", 54224, 78, "inetd");
	struct snoop_packet telnetd =
		packet(0, 20893, "192.168.1.5", 23, "->", "192.168.1.1", 54224, 57, "in.telnetd");

	assert_row(&inetd, 0, 0, 0,
		   "    0    242 192.168.1.5        23 <- 192.168.1.1     54224    78 inetd\n");
	assert_row(
		&telnetd, 0, 0, 0,
		"    0  20893 192.168.1.5        23 -> 192.168.1.1     54224    57 in.telnetd\n");
}

static void test_strtime_rows_match_demo(void **state)
{
	struct snoop_packet inetd =
		packet(0, 242, "192.168.1.5", 79, "<-", "192.168.1.1", 49001, 54, "inetd");
	struct snoop_packet fingerd =
		packet(0, 23181, "192.168.1.5", 79, "->", "192.168.1.1", 49001, 444, "in.fingerd");

	assert_row(&inetd, 0, TCPSNOOP_COL_STRTIME, DEMO_NS,
		   "2005 Jul 11 21:21:19     0    242 192.168.1.5        79 <- 192.168.1.1     "
		   "49001    54 inetd\n");
	assert_row(&fingerd, 0, TCPSNOOP_COL_STRTIME, DEMO_NS,
		   "2005 Jul 11 21:21:19     0  23181 192.168.1.5        79 -> 192.168.1.1     "
		   "49001   444 in.fingerd\n");
}

/*
 * Parse a demo row back into a packet (fields are blank-separated) and
 * check that formatting it gives the row byte for byte.
 */
static void assert_demo_row(const char *row, unsigned int cols, uint64_t wall_ns)
{
	char laddr[64], raddr[64], dir[4], comm[32], expected[TCPSNOOP_LINE_MAX];
	unsigned int uid, pid, lport, rport, size;
	const char *fields = cols & TCPSNOOP_COL_STRTIME ? row + 21 : row;
	struct snoop_packet p;

	assert_int_equal(sscanf(fields, "%u %u %63s %u %3s %63s %u %u %31s", &uid, &pid, laddr,
				&lport, dir, raddr, &rport, &size, comm),
			 9);
	p = packet(uid, pid, laddr, (uint16_t)lport, dir, raddr, (uint16_t)rport, size, comm);
	snprintf(expected, sizeof(expected), "%s\n", row);
	assert_row(&p, 0, cols, wall_ns, expected);
}

static void test_every_demo_row_is_reproduced_byte_exact(void **state)
{
	for (size_t i = 0; i < sizeof(demo_rows) / sizeof(demo_rows[0]); i++)
		assert_demo_row(demo_rows[i], 0, 0);
	for (size_t i = 0; i < sizeof(demo_strtime_rows) / sizeof(demo_strtime_rows[0]); i++)
		assert_demo_row(demo_strtime_rows[i], TCPSNOOP_COL_STRTIME, DEMO_NS);
}

static void test_strtime_day_is_space_padded_like_ctime(void **state)
{
	struct snoop_packet p = packet(0, 1, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "x");

	assert_row(&p, 0, TCPSNOOP_COL_STRTIME, test_utc_ns(2024, 3, 5, 7, 8, 9),
		   "2024 Mar  5 07:08:09     0      1 10.0.0.1            1 -> 10.0.0.2            "
		   "2    54 x\n");
}

static void test_time_column_is_microseconds_left_aligned(void **state)
{
	struct snoop_packet p = packet(0, 1, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "x");

	p.ts_ns = 1234567890123ull; /* 1234567890 us */
	assert_row(&p, 0, TCPSNOOP_COL_TIME, 0,
		   "1234567890         0      1 10.0.0.1            1 -> 10.0.0.2            2    "
		   "54 x\n");
}

static void test_zone_and_proj_are_netns_and_cgroup_ids(void **state)
{
	struct snoop_packet p = packet(0, 1, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "x");

	p.netns = 7;
	p.owner.cgroup_id = 4026531840ull; /* wider than 4: printf does not cut */
	assert_row(&p, 0, TCPSNOOP_COL_ZONE | TCPSNOOP_COL_PROJ, 0,
		   "   7 4026531840     0      1 10.0.0.1            1 -> 10.0.0.2            2    "
		   "54 x\n");
}

static void test_all_columns_row(void **state)
{
	struct snoop_packet p =
		packet(1000, 4242, "10.200.1.1", 8130, "<-", "10.200.1.2", 40000, 166, "snoop-srv");

	p.ts_ns = 5000000ull;
	p.netns = 4026532177u;
	p.owner.cgroup_id = 1;
	assert_row(
		&p, 0, TCPSNOOP_COL_ALL, DEMO_NS,
		"5000           2005 Jul 11 21:21:19 4026532177    1  1000   4242 10.200.1.1      "
		" 8130 <- 10.200.1.2      40000   166 snoop-srv\n");
}

static void test_closed_rows_show_uid_0_pid_0(void **state)
{
	struct snoop_packet syn =
		packet(0, 0, "192.168.1.5", 23, "<-", "192.168.1.1", 54224, 74, "");
	struct snoop_packet rst =
		packet(0, 0, "192.168.1.5", 23, "->", "192.168.1.1", 54224, 54, "");

	syn.flags |= SNOOP_PKT_CLOSED;
	rst.flags |= SNOOP_PKT_CLOSED;
	assert_row(&syn, 0, 0, 0,
		   "    0      0 192.168.1.5        23 <- 192.168.1.1     54224    74 <closed>\n");
	assert_row(&rst, 0, 0, 0,
		   "    0      0 192.168.1.5        23 -> 192.168.1.1     54224    54 <closed>\n");
}

static void test_unknown_owner_row(void **state)
{
	struct snoop_packet p = packet(0, 0, "10.0.0.1", 22, "<-", "10.0.0.2", 5555, 66, "");

	p.flags |= SNOOP_PKT_NO_OWNER;
	assert_row(&p, 0, 0, 0,
		   "    0      0 10.0.0.1           22 <- 10.0.0.2         5555    66 <unknown>\n");
}

static void test_command_name_is_escaped(void **state)
{
	struct snoop_packet p = packet(0, 9, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "a b\nc=d");

	assert_row(&p, 0, 0, 0,
		   "    0      9 10.0.0.1            1 -> 10.0.0.2            2    54 "
		   "a\\x20b\\x0ac\\x3dd\n");
}

static void test_ipv6_default_width_overflows_like_printf(void **state)
{
	struct snoop_packet p =
		packet(0, 9, "fd00:200:1::1", 443, "->", "fd00:200:1::2", 50000, 74, "x");

	/* %-15s of a 13-byte address pads; of a longer one it does not cut. */
	assert_row(&p, 0, 0, 0,
		   "    0      9 fd00:200:1::1     443 -> fd00:200:1::2   50000    74 x\n");
	test_set_addr(p.laddr, "2001:db8:aaaa:bbbb::1");
	assert_row(&p, 0, 0, 0,
		   "    0      9 2001:db8:aaaa:bbbb::1   443 -> fd00:200:1::2   50000    74 x\n");
}

static void test_wide_row_pads_to_39(void **state)
{
	struct snoop_packet p = packet(0, 9, "fd00:1234:5678:9abc:def0:1234:5678:9abc", 443, "->",
				       "::1", 50000, 74, "x");

	/* The longest IPv6 text fills the column exactly; a short one is padded. */
	assert_row(&p, 0, TCPSNOOP_COL_WIDE, 0,
		   "    0      9 fd00:1234:5678:9abc:def0:1234:5678:9abc   443 -> ::1              "
		   "                       50000    74 x\n");
}

/* ---- SIZE --------------------------------------------------------------------------------- */

static void test_size_is_ip_length_plus_14(void **state)
{
	struct snoop_packet p = packet(0, 1, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "x");

	p.ip_len = 152; /* 20 IP + 32 TCP + 100 payload */
	assert_int_equal(fmt_tcpsnoop_segments(&p), 1);
	assert_int_equal(fmt_tcpsnoop_size(&p, 0), 166);
}

static void test_gso_packet_is_one_row_per_wire_segment(void **state)
{
	struct snoop_packet p = packet(0, 1, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "x");

	/* 3000 payload bytes in segments of 1448: 1448, 1448, 104, each with 52 header bytes. */
	p.hdr_len = 52;
	p.ip_len = 52 + 3000;
	p.segs = 3;
	p.gso_size = 1448;
	assert_int_equal(fmt_tcpsnoop_segments(&p), 3);
	assert_int_equal(fmt_tcpsnoop_size(&p, 0), 1514);
	assert_int_equal(fmt_tcpsnoop_size(&p, 1), 1514);
	assert_int_equal(fmt_tcpsnoop_size(&p, 2), 14 + 52 + 104);
	assert_row(&p, 2, 0, 0,
		   "    0      1 10.0.0.1            1 -> 10.0.0.2            2   170 x\n");
}

static void test_inconsistent_gso_fields_give_one_row(void **state)
{
	struct snoop_packet p = packet(0, 1, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "x");

	p.hdr_len = 52;
	p.ip_len = 52 + 1000; /* less than 2 full segments of 1448 */
	p.segs = 3;
	p.gso_size = 1448;
	assert_int_equal(fmt_tcpsnoop_segments(&p), 1);
	assert_int_equal(fmt_tcpsnoop_size(&p, 0), 1066);
}

static void test_row_is_truncated_never_overrun(void **state)
{
	struct snoop_packet p = packet(0, 1, "10.0.0.1", 1, "->", "10.0.0.2", 2, 54, "x");
	char buf[16];

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(fmt_tcpsnoop_row(buf, 10, &p, 0, 0, 0), 9);
	assert_string_equal(buf, "    0    ");
	assert_int_equal(buf[10], 'Z');
	assert_int_equal(fmt_tcpsnoop_row(buf, 0, &p, 0, 0, 0), 0);
}

/* ---- tcptop ------------------------------------------------------------------------------- */

static void test_tcptop_status_line_matches_original_format(void **state)
{
	char buf[256];
	size_t len = fmt_tcptop_status(buf, sizeof(buf), DEMO_NS, 52, 3, 12);

	/* "%Y,  load: %d.%02d,  TCPin: %6d KB,  TCPout: %6d KB\n\n" */
	assert_string_equal(buf,
			    "2005 Jul 11 21:21:19,  load: 0.52,  TCPin:      3 KB,  TCPout:     "
			    "12 KB\n\n");
	assert_int_equal(len, strlen(buf));
	fmt_tcptop_status(buf, sizeof(buf), DEMO_NS, 1205, 1234567, 0);
	assert_string_equal(buf,
			    "2005 Jul 11 21:21:19,  load: 12.05,  TCPin: 1234567 KB,  TCPout:      "
			    "0 KB\n\n");
}

static void test_tcptop_headers_match_original_format(void **state)
{
	char buf[256];

	fmt_tcptop_header(buf, sizeof(buf), TCPTOP_ID_UID);
	assert_string_equal(
		buf, " UID    PID LADDR           LPORT RADDR           RPORT      SIZE NAME\n");
	fmt_tcptop_header(buf, sizeof(buf), TCPTOP_ID_PROJ);
	assert_string_equal(
		buf, "PROJ    PID LADDR           LPORT RADDR           RPORT      SIZE NAME\n");
	assert_int_equal(fmt_tcptop_header(buf, sizeof(buf), TCPTOP_ID_ZONE), 71);
	assert_string_equal(
		buf, "ZONE    PID LADDR           LPORT RADDR           RPORT      SIZE NAME\n");
}

/* A tcptop row of the demo's finger connection. */
static void conn(struct snoop_conn_key *k, struct snoop_conn_bytes *v, uint8_t flags)
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	test_set_addr(k->laddr, "192.168.1.5");
	test_set_addr(k->raddr, "192.168.1.1");
	k->lport = 36398;
	k->rport = 79;
	k->pid = 20892;
	k->netns = 4026531840u;
	k->family = AF_INET;
	k->flags = flags;
	v->bytes = 1348;
	v->uid = 100;
	v->cgroup_id = 42;
	memcpy(v->comm, "finger", 6);
}

static void test_tcptop_rows_match_original_format(void **state)
{
	struct snoop_conn_key k;
	struct snoop_conn_bytes v;
	char buf[256];
	size_t len;

	conn(&k, &v, 0);
	/* "%4d %6d %-15s %5d %-15s %5d %9d %s\n" */
	len = fmt_tcptop_row(buf, sizeof(buf), &k, &v, TCPTOP_ID_UID);
	assert_string_equal(
		buf, " 100  20892 192.168.1.5     36398 192.168.1.1        79      1348 finger\n");
	assert_int_equal(len, strlen(buf));
	fmt_tcptop_row(buf, sizeof(buf), &k, &v, TCPTOP_ID_PROJ);
	assert_string_equal(
		buf, "  42  20892 192.168.1.5     36398 192.168.1.1        79      1348 finger\n");
	fmt_tcptop_row(buf, sizeof(buf), &k, &v, TCPTOP_ID_ZONE);
	assert_string_equal(buf, "4026531840  20892 192.168.1.5     36398 192.168.1.1        79  "
				 "    1348 finger\n");
}

static void test_tcptop_closed_row(void **state)
{
	struct snoop_conn_key k;
	struct snoop_conn_bytes v;
	char buf[256];

	conn(&k, &v, SNOOP_PKT_CLOSED);
	k.pid = 0;
	k.lport = 23;
	k.rport = 54224;
	memset(&v, 0, sizeof(v));
	v.bytes = 128;
	fmt_tcptop_row(buf, sizeof(buf), &k, &v, TCPTOP_ID_UID);
	assert_string_equal(
		buf,
		"   0      0 192.168.1.5        23 192.168.1.1     54224       128 <closed>\n");
}

static void test_loadavg_first_field_in_hundredths(void **state)
{
	uint64_t c = 99;

	assert_int_equal(fmt_parse_loadavg("0.52 0.58 0.59 1/123 4567\n", &c), 0);
	assert_int_equal(c, 52);
	assert_int_equal(fmt_parse_loadavg("12.05 1.00 1.00 1/1 1\n", &c), 0);
	assert_int_equal(c, 1205);
	assert_int_equal(fmt_parse_loadavg("3.7 ", &c), 0);
	assert_int_equal(c, 370);
	assert_int_equal(fmt_parse_loadavg("1.239", &c), 0);
	assert_int_equal(c, 123);
	assert_int_equal(fmt_parse_loadavg("x.52", &c), -EINVAL);
	assert_int_equal(fmt_parse_loadavg("0.5x", &c), -EINVAL);
	assert_int_equal(fmt_parse_loadavg("", &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_header_matches_demo),
		cmocka_unit_test(test_strtime_header_matches_demo),
		cmocka_unit_test(test_time_header_is_14_wide_left_aligned),
		cmocka_unit_test(test_zone_and_proj_headers_are_4_wide),
		cmocka_unit_test(test_all_columns_in_original_order),
		cmocka_unit_test(test_wide_header_has_39_wide_addresses),
		cmocka_unit_test(test_finger_rows_match_demo),
		cmocka_unit_test(test_inetd_to_telnetd_rows_match_demo),
		cmocka_unit_test(test_strtime_rows_match_demo),
		cmocka_unit_test(test_every_demo_row_is_reproduced_byte_exact),
		cmocka_unit_test(test_strtime_day_is_space_padded_like_ctime),
		cmocka_unit_test(test_time_column_is_microseconds_left_aligned),
		cmocka_unit_test(test_zone_and_proj_are_netns_and_cgroup_ids),
		cmocka_unit_test(test_all_columns_row),
		cmocka_unit_test(test_closed_rows_show_uid_0_pid_0),
		cmocka_unit_test(test_unknown_owner_row),
		cmocka_unit_test(test_command_name_is_escaped),
		cmocka_unit_test(test_ipv6_default_width_overflows_like_printf),
		cmocka_unit_test(test_wide_row_pads_to_39),
		cmocka_unit_test(test_size_is_ip_length_plus_14),
		cmocka_unit_test(test_gso_packet_is_one_row_per_wire_segment),
		cmocka_unit_test(test_inconsistent_gso_fields_give_one_row),
		cmocka_unit_test(test_row_is_truncated_never_overrun),
		cmocka_unit_test(test_tcptop_status_line_matches_original_format),
		cmocka_unit_test(test_tcptop_headers_match_original_format),
		cmocka_unit_test(test_tcptop_rows_match_original_format),
		cmocka_unit_test(test_tcptop_closed_row),
		cmocka_unit_test(test_loadavg_first_field_in_hundredths),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
