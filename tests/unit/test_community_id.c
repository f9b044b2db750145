// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_community_id.c - Community ID v1 against the published test vectors
 * (the community-id-spec baseline, as Zeek's own tests carry them), and
 * the SHA-1 under it against FIPS 180's examples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/community_id.h"
#include "helpers.h"

/* The Community ID of @src:@sport -> @dst:@dport, protocol @proto, seed @seed. */
static void cid(char out[COMMUNITY_ID_SIZE], const char *src, uint16_t sport, const char *dst,
		uint16_t dport, uint8_t proto, uint16_t seed)
{
	uint8_t s[SNOOP_ADDR_LEN], d[SNOOP_ADDR_LEN];
	bool v4 = test_set_addr(s, src) == AF_INET;

	assert_int_equal(test_set_addr(d, dst) == AF_INET, v4);
	memset(out, 'X', COMMUNITY_ID_SIZE);
	community_id_v1(out, seed, v4, s, sport, d, dport, proto);
}

/* The published vector, from either end. */
static void check(const char *want, const char *src, uint16_t sport, const char *dst,
		  uint16_t dport, uint8_t proto, uint16_t seed)
{
	char got[COMMUNITY_ID_SIZE];

	cid(got, src, sport, dst, dport, proto, seed);
	assert_string_equal(got, want);
	cid(got, dst, dport, src, sport, proto, seed);
	assert_string_equal(got, want);
}

static void test_published_ipv4_vectors(void **state)
{
	(void)state;
	check("1:wCb3OG7yAFWelaUydu0D+125CLM=", "1.2.3.4", 1122, "5.6.7.8", 3344, 6, 0);
	check("1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1.2.3.4", 1122, "5.6.7.8", 3344, 17, 0);
	check("1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "1.2.3.4", 1122, "5.6.7.8", 3344, 6, 1);
	check("1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "1.2.3.4", 1122, "5.6.7.8", 3344, 17, 1);
}

/* ICMPv6 echo: type 128 and its reply's type 129 stand in the ports (the spec's mapping). */
static void test_published_ipv6_vector(void **state)
{
	(void)state;
	check("1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "fe80:1:203:405:607:809:a0b:c0d", 128,
	      "fe80:1011:1213:1415:1617:1819:1a1b:1c1d", 129, 58, 0);
}

/* Equal addresses: the lower port goes first, so both ends still agree. */
static void test_same_address_orders_by_port(void **state)
{
	char a[COMMUNITY_ID_SIZE], b[COMMUNITY_ID_SIZE];

	(void)state;
	cid(a, "10.0.0.1", 80, "10.0.0.1", 443, 6, 0);
	cid(b, "10.0.0.1", 443, "10.0.0.1", 80, 6, 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), COMMUNITY_ID_SIZE - 1);
	cid(b, "10.0.0.1", 80, "10.0.0.1", 444, 6, 0);
	assert_string_not_equal(a, b);
}

static void hex(char *out, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* FIPS 180-2 appendix A: one block, two blocks, a million bytes; and the empty message. */
static void test_sha1_fips_examples(void **state)
{
	static char million[1000000];
	uint8_t d[20];
	char h[41];

	(void)state;
	sha1("abc", 3, d);
	hex(h, d, 20);
	assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
	sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(h, d, 20);
	assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	memset(million, 'a', sizeof(million));
	sha1(million, sizeof(million), d);
	hex(h, d, 20);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	sha1("", 0, d);
	hex(h, d, 20);
	assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_ipv4_vectors),
		cmocka_unit_test(test_published_ipv6_vector),
		cmocka_unit_test(test_same_address_orders_by_port),
		cmocka_unit_test(test_sha1_fips_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
