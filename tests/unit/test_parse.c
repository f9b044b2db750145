// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_parse.c - option value parsers: numbers, port lists and ranges, CIDRs
 * (IPv4 stored IPv4-mapped), TCP state names, sizes and list error reporting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/names.h"
#include "lib/parse.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* Compare a return code with the input in the message, for table-driven checks. */
#define assert_rc(input, rc, want)                                                  \
	do {                                                                        \
		char got_[160], exp_[160];                                          \
		snprintf(got_, sizeof(got_), "\"%s\" -> %d", (input), (int)(rc));   \
		snprintf(exp_, sizeof(exp_), "\"%s\" -> %d", (input), (int)(want)); \
		assert_string_equal(got_, exp_);                                    \
	} while (0)

static int port_bit(const uint64_t *bits, unsigned int port)
{
	return (int)((bits[port >> 6] >> (port & 63)) & 1);
}

static unsigned int port_count(const uint64_t *bits)
{
	unsigned int n = 0;

	for (int i = 0; i < SNOOP_PORT_WORDS; i++)
		n += (unsigned int)__builtin_popcountll(bits[i]);
	return n;
}

/* parse_ports() into a zeroed map; the map is in @bits. */
static int ports(const char *s, uint64_t bits[SNOOP_PORT_WORDS])
{
	memset(bits, 0, SNOOP_PORT_WORDS * sizeof(uint64_t));
	return parse_ports(s, bits);
}

/* Assert @c holds the address @text (IPv4 as ::ffff:a.b.c.d) with @prefixlen. */
static void assert_cidr(const struct cidr *c, const char *text, uint32_t prefixlen)
{
	uint8_t want[SNOOP_ADDR_LEN] = { 0 };
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		want[10] = 0xff;
		want[11] = 0xff;
		memcpy(&want[12], &v4, 4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, want), 1);
	}
	assert_memory_equal(c->addr, want, SNOOP_ADDR_LEN);
	assert_int_equal(c->prefixlen, prefixlen);
}

/* ---- parse_u64 ------------------------------------------------------------------------- */

static void test_u64_accepts_plain_decimal(void **state)
{
	uint64_t v = 99;

	assert_int_equal(parse_u64("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("12345", 100000, &v), 0);
	assert_int_equal(v, 12345);
	assert_int_equal(parse_u64("007", 10, &v), 0);
	assert_int_equal(v, 7);
}

static void test_u64_rejects_empty_sign_spaces_and_junk(void **state)
{
	const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.5", "1,2", "-" };
	uint64_t v = 42;

	assert_int_equal(parse_u64(NULL, 10, &v), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_rc(bad[i], parse_u64(bad[i], UINT64_MAX, &v), -EINVAL);
		assert_int_equal(v, 42);
	}
}

static void test_u64_max_is_inclusive(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_u64("65535", 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(parse_u64("65536", 65535, &v), -ERANGE);
	assert_int_equal(v, 65535);
	assert_int_equal(parse_u64("0", 0, &v), 0);
	assert_int_equal(parse_u64("1", 0, &v), -ERANGE);
}

static void test_u64_overflow_is_erange(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("4294967296", UINT32_MAX, &v), -ERANGE);
}

static void test_u64_parses_uint64_max(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_u64("18446744073709551609", UINT64_MAX, &v), 0);
	assert_true(v == 18446744073709551609ull);
	assert_int_equal(parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
}

/* ---- parse_ports ----------------------------------------------------------------------- */

static void test_ports_single(void **state)
{
	uint64_t bits[SNOOP_PORT_WORDS];

	assert_int_equal(ports("22", bits), 0);
	assert_int_equal(port_count(bits), 1);
	assert_int_equal(port_bit(bits, 22), 1);
}

static void test_ports_list_and_range(void **state)
{
	uint64_t bits[SNOOP_PORT_WORDS];

	assert_int_equal(ports("22,80,8000-8100", bits), 0);
	assert_int_equal(port_count(bits), 2 + 101);
	assert_int_equal(port_bit(bits, 22), 1);
	assert_int_equal(port_bit(bits, 80), 1);
	assert_int_equal(port_bit(bits, 7999), 0);
	assert_int_equal(port_bit(bits, 8000), 1);
	assert_int_equal(port_bit(bits, 8050), 1);
	assert_int_equal(port_bit(bits, 8100), 1);
	assert_int_equal(port_bit(bits, 8101), 0);
	assert_int_equal(port_bit(bits, 21), 0);
	assert_int_equal(port_bit(bits, 23), 0);
}

static void test_ports_bounds_0_and_65535(void **state)
{
	uint64_t bits[SNOOP_PORT_WORDS];

	assert_int_equal(ports("0,65535", bits), 0);
	assert_int_equal(port_count(bits), 2);
	assert_int_equal(port_bit(bits, 0), 1);
	assert_int_equal(port_bit(bits, 65535), 1);

	assert_int_equal(ports("0-65535", bits), 0);
	assert_int_equal(port_count(bits), 65536);

	assert_int_equal(ports("443-443", bits), 0);
	assert_int_equal(port_count(bits), 1);
	assert_int_equal(port_bit(bits, 443), 1);
}

static void test_ports_accumulate_across_calls(void **state)
{
	uint64_t bits[SNOOP_PORT_WORDS];

	assert_int_equal(ports("22", bits), 0);
	assert_int_equal(parse_ports("80,22", bits), 0);
	assert_int_equal(port_count(bits), 2);
}

static void test_ports_out_of_range_is_erange(void **state)
{
	uint64_t bits[SNOOP_PORT_WORDS];

	assert_int_equal(ports("70000", bits), -ERANGE);
	assert_int_equal(ports("65536", bits), -ERANGE);
	assert_int_equal(ports("22,70000", bits), -ERANGE);
	assert_int_equal(ports("1-70000", bits), -ERANGE);
	assert_int_equal(ports("10-5", bits), -ERANGE);
}

static void test_ports_malformed_is_einval(void **state)
{
	const char *bad[] = { "a",  "",	     ",80", "80,", "22,,80", "-5",
			      "5-", "1-2-3", "8 0", "-",   "http" };
	uint64_t bits[SNOOP_PORT_WORDS];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(bad[i], ports(bad[i], bits), -EINVAL);
	assert_int_equal(parse_ports(NULL, bits), -EINVAL);
}

/* ---- parse_id_set (the kernel's CPU lists) --------------------------------------------- */

static void test_id_set_cpu_list_with_gaps(void **state)
{
	uint64_t bits[4096 / 64] = { 0 };
	unsigned int n = 0;

	assert_int_equal(parse_id_set("0-3,8,10-11", 4095, bits), 0);
	for (int i = 0; i < 4096 / 64; i++)
		n += (unsigned int)__builtin_popcountll(bits[i]);
	assert_int_equal(n, 7);
	assert_int_equal(bits[0], 0xf | 1u << 8 | 1u << 10 | 1u << 11);
}

static void test_id_set_bounds(void **state)
{
	uint64_t bits[4096 / 64] = { 0 };

	/* The bitmap's last bit, and nothing past it. */
	assert_int_equal(parse_id_set("4095", 4095, bits), 0);
	assert_int_equal(bits[63], 1ull << 63);
	assert_int_equal(parse_id_set("4096", 4095, bits), -ERANGE);
	assert_int_equal(parse_id_set("0-4096", 4095, bits), -ERANGE);
	assert_int_equal(parse_id_set("3-1", 4095, bits), -ERANGE);
	/* A newline is the caller's to strip: not part of a number. */
	assert_int_equal(parse_id_set("0-1\n", 4095, bits), -EINVAL);
	assert_int_equal(parse_id_set("", 4095, bits), -EINVAL);
	assert_int_equal(parse_id_set("99999999999999999999999", 4095, bits), -ERANGE);
}

/* ---- parse_cidr ------------------------------------------------------------------------ */

static void test_cidr_ipv4_stored_mapped_with_prefix_96_plus_n(void **state)
{
	struct cidr c;

	assert_int_equal(parse_cidr("10.0.0.0/8", &c), 0);
	assert_cidr(&c, "10.0.0.0", 96 + 8);
	assert_int_equal(parse_cidr("192.168.1.0/24", &c), 0);
	assert_cidr(&c, "192.168.1.0", 96 + 24);
	assert_int_equal(parse_cidr("0.0.0.0/0", &c), 0);
	assert_cidr(&c, "0.0.0.0", 96);
	assert_int_equal(parse_cidr("10.1.2.3/32", &c), 0);
	assert_cidr(&c, "10.1.2.3", 128);
}

static void test_cidr_without_prefix_is_one_host(void **state)
{
	struct cidr c;

	assert_int_equal(parse_cidr("192.0.2.7", &c), 0);
	assert_cidr(&c, "192.0.2.7", 128);
	assert_int_equal(parse_cidr("2001:db8::1", &c), 0);
	assert_cidr(&c, "2001:db8::1", 128);
}

static void test_cidr_ipv6(void **state)
{
	struct cidr c;

	assert_int_equal(parse_cidr("fd00::/64", &c), 0);
	assert_cidr(&c, "fd00::", 64);
	assert_int_equal(parse_cidr("::/0", &c), 0);
	assert_cidr(&c, "::", 0);
	assert_int_equal(parse_cidr("2001:db8::1/128", &c), 0);
	assert_cidr(&c, "2001:db8::1", 128);
}

static void test_cidr_host_bits_cleared(void **state)
{
	struct cidr c;

	assert_int_equal(parse_cidr("10.1.2.3/8", &c), 0);
	assert_cidr(&c, "10.0.0.0", 104);
	assert_int_equal(parse_cidr("10.1.2.255/25", &c), 0);
	assert_cidr(&c, "10.1.2.128", 121);
	assert_int_equal(parse_cidr("10.1.2.3/0", &c), 0);
	assert_cidr(&c, "0.0.0.0", 96);
	assert_int_equal(parse_cidr("2001:db8:abcd:1234::1/48", &c), 0);
	assert_cidr(&c, "2001:db8:abcd::", 48);
	assert_int_equal(parse_cidr("2001:db8::ffff/127", &c), 0);
	assert_cidr(&c, "2001:db8::fffe", 127);
}

static void test_cidr_prefix_too_long_is_erange(void **state)
{
	struct cidr c;

	assert_int_equal(parse_cidr("10.0.0.0/33", &c), -ERANGE);
	assert_int_equal(parse_cidr("2001:db8::/129", &c), -ERANGE);
	assert_int_equal(parse_cidr("10.0.0.0/4294967296", &c), -ERANGE);
}

static void test_cidr_malformed_is_einval(void **state)
{
	const char *bad[] = {
		"",	      "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8",	"host",
		"10.0.0.256", "/8",	   "10.0.0.0/ 8", "2001:db8::g", "10.0.0.0//8", " 10.0.0.0"
	};
	struct cidr c;

	assert_int_equal(parse_cidr(NULL, &c), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(bad[i], parse_cidr(bad[i], &c), -EINVAL);
}

/* ---- listening addresses (--metrics) ----------------------------------------------------- */

static void test_listen_addr_ipv4_ipv6_and_localhost(void **state)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
	char text[INET6_ADDRSTRLEN];
	socklen_t len = 0;

	(void)state;
	assert_int_equal(parse_listen_addr("127.0.0.1:9580", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(in->sin_port), 9580);
	assert_string_equal(inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)), "127.0.0.1");

	assert_int_equal(parse_listen_addr("localhost:1", &ss, &len), 0);
	assert_int_equal(ntohs(in->sin_port), 1);
	assert_string_equal(inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)), "127.0.0.1");

	assert_int_equal(parse_listen_addr("0.0.0.0:65535", &ss, &len), 0);
	assert_int_equal(ntohs(in->sin_port), 65535);

	assert_int_equal(parse_listen_addr("[::1]:9580", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(in6->sin6_port), 9580);
	assert_string_equal(inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)), "::1");

	assert_int_equal(parse_listen_addr("[fd00::1:2]:80", &ss, &len), 0);
	assert_string_equal(inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)), "fd00::1:2");
}

static void test_listen_addr_malformed_and_out_of_range(void **state)
{
	const char *bad[] = { "",
			      "127.0.0.1",
			      ":9580",
			      "127.0.0.1:",
			      "127.0.0.1:x",
			      "127.0.0.1:-1",
			      "127.0.0.1:+1",
			      "::1:9580",
			      "[::1]",
			      "[::1]9580",
			      "[::1:9580",
			      "[]:9580",
			      "[127.0.0.1]:1",
			      "example.com:80",
			      "LOCALHOST:80",
			      "localhost :80",
			      "127.0.0.1:80 ",
			      "[::1%lo]:80",
			      "1.2.3.4.5:80",
			      "[localhost]:80" };
	const char *range[] = { "127.0.0.1:0", "127.0.0.1:65536", "[::1]:99999999999999999999" };
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(parse_listen_addr(NULL, &ss, &len), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(bad[i], parse_listen_addr(bad[i], &ss, &len), -EINVAL);
	for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		assert_rc(range[i], parse_listen_addr(range[i], &ss, &len), -ERANGE);
}

/* ---- state names ----------------------------------------------------------------------- */

static void test_state_names_any_case_with_or_without_tcp_prefix(void **state)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT",	[3] = "SYN_RECV", [4] = "FIN_WAIT1",
		[5] = "FIN_WAIT2",   [6] = "TIME_WAIT", [7] = "CLOSE",	  [8] = "CLOSE_WAIT",
		[9] = "LAST_ACK",    [10] = "LISTEN",	[11] = "CLOSING",
	};
	char buf[32];
	int s;

	for (int i = 1; i <= 11; i++) {
		s = -1;
		assert_int_equal(parse_state_name(names[i], &s), 0);
		assert_int_equal(s, i);

		for (size_t k = 0; k <= strlen(names[i]); k++)
			buf[k] = (char)tolower((unsigned char)names[i][k]);
		s = -1;
		assert_int_equal(parse_state_name(buf, &s), 0);
		assert_int_equal(s, i);

		snprintf(buf, sizeof(buf), "TCP_%s", names[i]);
		s = -1;
		assert_int_equal(parse_state_name(buf, &s), 0);
		assert_int_equal(s, i);

		snprintf(buf, sizeof(buf), "tcp_%s", names[i]);
		s = -1;
		assert_int_equal(parse_state_name(buf, &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(parse_state_name("Established", &s), 0);
	assert_int_equal(s, SNOOP_TCP_ESTABLISHED);
}

static void test_state_closed_is_an_alias_of_close(void **state)
{
	int s = -1;

	assert_int_equal(parse_state_name("CLOSED", &s), 0);
	assert_int_equal(s, SNOOP_TCP_CLOSE);
	s = -1;
	assert_int_equal(parse_state_name("closed", &s), 0);
	assert_int_equal(s, SNOOP_TCP_CLOSE);
	s = -1;
	assert_int_equal(parse_state_name("TCP_CLOSED", &s), 0);
	assert_int_equal(s, SNOOP_TCP_CLOSE);
}

static void test_state_bogus_names_rejected(void **state)
{
	const char *bad[] = { "",     "bogus",	       "ESTABLISH", "ESTABLISHEDX",
			      "TCP_", "SYN-SENT",      " LISTEN",   "LISTEN ",
			      "1",    "TCP_TCP_LISTEN" };
	int s = -1;

	assert_int_equal(parse_state_name(NULL, &s), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(bad[i], parse_state_name(bad[i], &s), -EINVAL);
	assert_int_equal(s, -1);
}

static void test_state_kernel_names(void **state)
{
	assert_string_equal(names__state_kernel(SNOOP_TCP_ESTABLISHED), "ESTABLISHED");
	assert_string_equal(names__state_kernel(SNOOP_TCP_SYN_SENT), "SYN_SENT");
	assert_string_equal(names__state_kernel(SNOOP_TCP_CLOSE), "CLOSE");
	assert_string_equal(names__state_kernel(SNOOP_TCP_CLOSING), "CLOSING");
	assert_string_equal(names__state_kernel(SNOOP_TCP_NEW_SYN_RECV), "NEW_SYN_RECV");
	assert_null(names__state_kernel(0));
	assert_null(names__state_kernel(SNOOP_TCP_MAX_STATES));
	assert_null(names__state_kernel(-1));
	assert_null(names__state_kernel(255));
}

/* ---- event kinds ----------------------------------------------------------------------- */

static void test_event_kinds(void **state)
{
	uint32_t m = 0;

	assert_int_equal(parse_event_kind("state", &m), 0);
	assert_int_equal(m, SNOOP_EV_STATE);
	assert_int_equal(parse_event_kind("RETRANSMIT", &m), 0);
	assert_int_equal(m, SNOOP_EV_RETRANSMIT);
	assert_int_equal(parse_event_kind("reset", &m), 0);
	assert_int_equal(m, (1u << SNOOP_KIND_RESET_SENT) | (1u << SNOOP_KIND_RESET_RECV));
	assert_int_equal(parse_event_kind("error", &m), 0);
	assert_int_equal(m, SNOOP_EV_ERROR);
	assert_int_equal(parse_event_kind("close", &m), 0);
	assert_int_equal(m, SNOOP_EV_CLOSE);
	m = 0;
	assert_int_equal(parse_event_kind("bogus", &m), -EINVAL);
	assert_int_equal(parse_event_kind("", &m), -EINVAL);
	assert_int_equal(parse_event_kind(NULL, &m), -EINVAL);
	assert_int_equal(m, 0);
}

/* ---- parse_size ------------------------------------------------------------------------ */

static void test_size_suffixes_are_powers_of_1024(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("64k", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("2M", &v), 0);
	assert_int_equal(v, 2097152);
	assert_int_equal(parse_size("2m", &v), 0);
	assert_int_equal(v, 2097152);
	assert_int_equal(parse_size("1G", &v), 0);
	assert_int_equal(v, 1073741824);
	assert_int_equal(parse_size("3t", &v), 0);
	assert_int_equal(v, 3ull << 40);
	assert_int_equal(parse_size("0", &v), 0);
	assert_int_equal(v, 0);
}

static void test_size_bad_values_rejected(void **state)
{
	const char *bad[] = { "", "K", "1P", "1KB", "-1", "1.5M", " 1M", "M1", "1 M", "0x10", "T" };
	uint64_t v = 7;

	assert_int_equal(parse_size(NULL, &v), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rc(bad[i], parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_size_overflow_is_erange(void **state)
{
	uint64_t v = 0;

	/* UINT64_MAX >> 30 is 17179869183. */
	assert_int_equal(parse_size("17179869183G", &v), 0);
	assert_true(v == 17179869183ull << 30);
	assert_int_equal(parse_size("17179869184G", &v), -ERANGE);
	assert_int_equal(parse_size("18014398509481984K", &v), -ERANGE);
	/* UINT64_MAX >> 40 is 16777215. */
	assert_int_equal(parse_size("16777215T", &v), 0);
	assert_int_equal(parse_size("16777216T", &v), -ERANGE);
}

/* ---- parse_list ------------------------------------------------------------------------ */

struct collected {
	char items[8][32];
	int n;
	const char *reject; /* item that fails with -ERANGE */
};

static int collect(const char *item, void *ctx)
{
	struct collected *c = ctx;

	if (c->reject && strcmp(item, c->reject) == 0)
		return -ERANGE;
	assert_true(c->n < 8);
	snprintf(c->items[c->n++], sizeof(c->items[0]), "%s", item);
	return 0;
}

static void test_list_calls_item_parser_in_order(void **state)
{
	struct collected c = { .n = 0 };
	char bad[32] = "junk";

	assert_int_equal(parse_list("a,bb,ccc", collect, &c, bad, sizeof(bad)), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.items[0], "a");
	assert_string_equal(c.items[1], "bb");
	assert_string_equal(c.items[2], "ccc");
	assert_string_equal(bad, "");
}

static void test_list_reports_the_bad_item_and_stops(void **state)
{
	struct collected c = { .n = 0, .reject = "abc" };
	char bad[32] = "";

	assert_int_equal(parse_list("1,abc,3", collect, &c, bad, sizeof(bad)), -ERANGE);
	assert_string_equal(bad, "abc");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0], "1");
}

static void test_list_empty_items_are_einval(void **state)
{
	const char *bad_lists[] = { "", ",", ",a", "a,", "a,,b" };
	char bad[32];

	for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		struct collected c = { .n = 0 };

		strcpy(bad, "junk");
		assert_rc(bad_lists[i], parse_list(bad_lists[i], collect, &c, bad, sizeof(bad)),
			  -EINVAL);
	}
	assert_int_equal(parse_list(NULL, collect, NULL, bad, sizeof(bad)), -EINVAL);
}

static void test_list_overlong_item_is_einval_and_reported_truncated(void **state)
{
	struct collected c = { .n = 0 };
	char item[200];
	char list[210];
	char bad[16];

	memset(item, 'x', sizeof(item) - 1);
	item[sizeof(item) - 1] = '\0';
	snprintf(list, sizeof(list), "ok,%s", item);
	assert_int_equal(parse_list(list, collect, &c, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "xxxxxxxxxxxxxxx");
	assert_int_equal(c.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_accepts_plain_decimal),
		cmocka_unit_test(test_u64_rejects_empty_sign_spaces_and_junk),
		cmocka_unit_test(test_u64_max_is_inclusive),
		cmocka_unit_test(test_u64_overflow_is_erange),
		cmocka_unit_test(test_u64_parses_uint64_max),
		cmocka_unit_test(test_ports_single),
		cmocka_unit_test(test_ports_list_and_range),
		cmocka_unit_test(test_ports_bounds_0_and_65535),
		cmocka_unit_test(test_ports_accumulate_across_calls),
		cmocka_unit_test(test_ports_out_of_range_is_erange),
		cmocka_unit_test(test_ports_malformed_is_einval),
		cmocka_unit_test(test_id_set_cpu_list_with_gaps),
		cmocka_unit_test(test_id_set_bounds),
		cmocka_unit_test(test_cidr_ipv4_stored_mapped_with_prefix_96_plus_n),
		cmocka_unit_test(test_cidr_without_prefix_is_one_host),
		cmocka_unit_test(test_cidr_ipv6),
		cmocka_unit_test(test_cidr_host_bits_cleared),
		cmocka_unit_test(test_cidr_prefix_too_long_is_erange),
		cmocka_unit_test(test_cidr_malformed_is_einval),
		cmocka_unit_test(test_listen_addr_ipv4_ipv6_and_localhost),
		cmocka_unit_test(test_listen_addr_malformed_and_out_of_range),
		cmocka_unit_test(test_state_names_any_case_with_or_without_tcp_prefix),
		cmocka_unit_test(test_state_closed_is_an_alias_of_close),
		cmocka_unit_test(test_state_bogus_names_rejected),
		cmocka_unit_test(test_state_kernel_names),
		cmocka_unit_test(test_event_kinds),
		cmocka_unit_test(test_size_suffixes_are_powers_of_1024),
		cmocka_unit_test(test_size_bad_values_rejected),
		cmocka_unit_test(test_size_overflow_is_erange),
		cmocka_unit_test(test_list_calls_item_parser_in_order),
		cmocka_unit_test(test_list_reports_the_bad_item_and_stops),
		cmocka_unit_test(test_list_empty_items_are_einval),
		cmocka_unit_test(test_list_overlong_item_is_einval_and_reported_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
