// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_dns.c - the DNS response parser on messages built here byte by byte
 * (the chain from the question name, compression, every kind of malformed
 * or hostile name, copies cut anywhere), and the address-to-name cache
 * (TTL to the nanosecond, namespaces, replacement, eviction).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/dns.h"
#include "lib/dns_cache.h"
#include "helpers.h"

/* RFC 1035 numbers, as the messages below spell them. */
enum {
	T_A = 1,
	T_CNAME = 5,
	T_TXT = 16,
	T_AAAA = 28,
	T_PRIVATE = 65280,
	C_IN = 1,
	C_CH = 3,
	/* QR, RD and RA: a recursive resolver's answer. */
	RESPONSE = 0x8180,
	QNAME = DNS_HEADER_LEN, /* where the question name starts */
};

/* ---- a message builder ---- */

struct wire {
	uint8_t b[4096];
	size_t len;
};

static void w_u8(struct wire *w, unsigned int v)
{
	assert_true(w->len < sizeof(w->b));
	w->b[w->len++] = (uint8_t)v;
}

static void w_u16(struct wire *w, unsigned int v)
{
	w_u8(w, v >> 8 & 0xff);
	w_u8(w, v & 0xff);
}

static void w_u32(struct wire *w, uint32_t v)
{
	w_u16(w, v >> 16);
	w_u16(w, v & 0xffff);
}

static void w_bytes(struct wire *w, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w_u8(w, ((const uint8_t *)p)[i]);
}

/* The labels of @dotted ("" writes none), the name left open for a pointer or the root. */
static void w_labels(struct wire *w, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);

		w_u8(w, (unsigned int)n);
		w_bytes(w, dotted, n);
		dotted += n + (dot != NULL);
	}
}

/* @dotted as a whole name; where it starts. */
static size_t w_name(struct wire *w, const char *dotted)
{
	size_t at = w->len;

	w_labels(w, dotted);
	w_u8(w, 0);
	return at;
}

/* A compression pointer to @off. */
static void w_ptr(struct wire *w, size_t off)
{
	w_u16(w, 0xc000 | (unsigned int)off);
}

static void w_header(struct wire *w, unsigned int flags, unsigned int qd, unsigned int an,
		     unsigned int ar)
{
	w->len = 0;
	w_u16(w, 0x1234);
	w_u16(w, flags);
	w_u16(w, qd);
	w_u16(w, an);
	w_u16(w, 0);
	w_u16(w, ar);
}

static void w_question(struct wire *w, const char *name, unsigned int type)
{
	w_name(w, name);
	w_u16(w, type);
	w_u16(w, C_IN);
}

/* A record's fields after its owner (written by the caller), with @rdlen bytes of data. */
static void w_rr(struct wire *w, unsigned int type, unsigned int class, uint32_t ttl,
		 const void *rdata, size_t rdlen)
{
	w_u16(w, type);
	w_u16(w, class);
	w_u32(w, ttl);
	w_u16(w, (unsigned int)rdlen);
	w_bytes(w, rdata, rdlen);
}

static void w_a(struct wire *w, uint32_t ttl, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	w_rr(w, T_A, C_IN, ttl, a, sizeof(a));
}

static void w_aaaa(struct wire *w, uint32_t ttl, const char *ip)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	w_rr(w, T_AAAA, C_IN, ttl, a, sizeof(a));
}

/*
 * A CNAME's fields after its owner: the target is @labels followed by a
 * pointer to @ptr, or by the root when @ptr is 0.  Where the target starts.
 */
static size_t w_cname(struct wire *w, uint32_t ttl, const char *labels, size_t ptr)
{
	size_t at;

	w_u16(w, T_CNAME);
	w_u16(w, C_IN);
	w_u32(w, ttl);
	at = w->len;
	w_u16(w, 0);
	w_labels(w, labels);
	if (ptr)
		w_ptr(w, ptr);
	else
		w_u8(w, 0);
	w->b[at] = (uint8_t)((w->len - at - 2) >> 8);
	w->b[at + 1] = (uint8_t)(w->len - at - 2);
	return at + 2;
}

/* dns_parse() on the first @len bytes of @w, copied to a buffer of exactly that size. */
static int parse_len(const struct wire *w, size_t len, struct dns_result *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, w->b, len);
	memset(r, 0x5a, sizeof(*r));
	rc = dns_parse(copy, len, r);
	free(copy);
	return rc;
}

static int parse(const struct wire *w, struct dns_result *r)
{
	return parse_len(w, w->len, r);
}

/* Answer @i is @ip with TTL @ttl. */
static void check_answer(const struct dns_result *r, unsigned int i, const char *ip, uint32_t ttl)
{
	uint8_t addr[SNOOP_ADDR_LEN];
	bool v4 = test_set_addr(addr, ip) == AF_INET;

	assert_true(i < r->count);
	assert_memory_equal(r->answers[i].addr, addr, SNOOP_ADDR_LEN);
	assert_int_equal(r->answers[i].v4, v4);
	assert_int_equal(r->answers[i].ttl, ttl);
}

/* ---- answers ---- */

static void test_a_record(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 1, 0);
	w_question(&w, "example.com", T_A);
	w_ptr(&w, QNAME);
	w_a(&w, 300, "93.184.216.34");
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "example.com");
	assert_int_equal(r.count, 1);
	check_answer(&r, 0, "93.184.216.34", 300);
}

static void test_aaaa_record(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 1, 0);
	w_question(&w, "example.com", T_AAAA);
	w_ptr(&w, QNAME);
	w_aaaa(&w, 86400, "2606:2800:220:1:248:1893:25c8:1946");
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "example.com");
	assert_int_equal(r.count, 1);
	check_answer(&r, 0, "2606:2800:220:1:248:1893:25c8:1946", 86400);
}

/*
 * www.example.com -> cdn.example.com -> e1.cdn.example.com, two A and an
 * AAAA: the targets compressed (a label and a pointer, a pointer to a name
 * ending in a pointer), the owners pointers.  Its record ends in @ends.
 */
static void build_chain(struct wire *w, size_t ends[5])
{
	size_t c1, c2;

	w_header(w, RESPONSE, 1, 5, 0);
	w_question(w, "www.example.com", T_A);
	w_ptr(w, QNAME);
	c1 = w_cname(w, 600, "cdn", QNAME + 4); /* cdn + example.com */
	ends[0] = w->len;
	w_ptr(w, c1);
	c2 = w_cname(w, 60, "e1", c1);
	ends[1] = w->len;
	w_ptr(w, c2);
	w_a(w, 300, "192.0.2.1");
	ends[2] = w->len;
	w_ptr(w, c2);
	w_a(w, 30, "192.0.2.2");
	ends[3] = w->len;
	w_ptr(w, c2);
	w_aaaa(w, 120, "2001:db8::1");
	ends[4] = w->len;
}

/* The name reported is the question's; each TTL the least along its chain. */
static void test_cname_chain_reports_question_and_least_ttl(void **state)
{
	struct wire w;
	struct dns_result r;
	size_t ends[5];

	(void)state;
	build_chain(&w, ends);
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "www.example.com");
	assert_int_equal(r.count, 3);
	check_answer(&r, 0, "192.0.2.1", 60);
	check_answer(&r, 1, "192.0.2.2", 30);
	check_answer(&r, 2, "2001:db8::1", 60);
}

/* The addresses first, the CNAMEs after, the last hop before the first. */
static void test_cname_after_addresses(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 3, 0);
	w_question(&w, "api.example.net", T_A);
	w_name(&w, "edge.example.org");
	w_a(&w, 20, "198.51.100.7");
	w_name(&w, "lb.example.net");
	w_cname(&w, 3600, "edge.example.org", 0);
	w_ptr(&w, QNAME);
	w_cname(&w, 10, "lb.example.net", 0);
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "api.example.net");
	assert_int_equal(r.count, 1);
	check_answer(&r, 0, "198.51.100.7", 10);
}

/*
 * Only the answer section's records of class IN on the chain count: not
 * another owner's, not a CNAME's that does not start from the chain, not
 * other classes, types or sizes, not the additional section's.
 */
static void test_records_off_chain_ignored(void **state)
{
	static const uint8_t five[5] = { 10, 0, 0, 5, 0 }, txt[] = "\x0bv=spf1 -all";
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 7, 1);
	w_question(&w, "bank.example", T_A);
	w_ptr(&w, QNAME);
	w_a(&w, 300, "10.0.0.1");
	w_name(&w, "evil.example");
	w_a(&w, 300, "10.6.6.6");
	w_name(&w, "evil.example");
	w_cname(&w, 300, "bank.example", 0);
	w_name(&w, "other.example");
	w_cname(&w, 300, "evil.example", 0);
	w_ptr(&w, QNAME);
	w_rr(&w, T_A, C_CH, 300, "\x0a\x00\x00\x03", 4);
	w_ptr(&w, QNAME);
	w_rr(&w, T_A, C_IN, 300, five, sizeof(five));
	w_ptr(&w, QNAME);
	w_rr(&w, T_TXT, C_IN, 300, txt, sizeof(txt) - 1);
	/* The additional section. */
	w_ptr(&w, QNAME);
	w_a(&w, 300, "10.0.0.9");
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "bank.example");
	assert_int_equal(r.count, 1);
	check_answer(&r, 0, "10.0.0.1", 300);
}

/*
 * A CNAME whose target runs past its data is off the chain: here the data
 * ends after "x", and the pointer that completes the name is read as the
 * next record's owner.
 */
static void test_cname_target_within_its_data(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 3, 0);
	w_question(&w, "q.example", T_A);
	w_ptr(&w, QNAME);
	w_rr(&w, T_CNAME, C_IN, 60, "\x01x", 2);
	w_ptr(&w, QNAME + 2);
	w_a(&w, 60, "192.0.2.77");
	w_labels(&w, "x");
	w_ptr(&w, QNAME + 2);
	w_a(&w, 60, "192.0.2.66");
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "q.example");
	assert_int_equal(r.count, 0);
}

/* A CNAME loop ends the chain; what it reached still counts. */
static void test_cname_loop_harmless(void **state)
{
	struct wire w;
	struct dns_result r;
	size_t a;

	(void)state;
	w_header(&w, RESPONSE, 1, 4, 0);
	w_question(&w, "q.example", T_A);
	w_ptr(&w, QNAME);
	a = w_cname(&w, 100, "a", QNAME + 2);
	w_ptr(&w, a);
	w_cname(&w, 100, "", QNAME);
	w_ptr(&w, a);
	w_a(&w, 50, "192.0.2.10");
	w_ptr(&w, QNAME);
	w_a(&w, 500, "192.0.2.11");
	assert_int_equal(parse(&w, &r), 0);
	assert_int_equal(r.count, 2);
	check_answer(&r, 0, "192.0.2.10", 50);
	check_answer(&r, 1, "192.0.2.11", 500);
}

/* DNS_CHAIN_MAX hops are followed, no more: q -> h1.example -> ... -> hN.example, which has an address. */
static void test_chain_hops_bounded(void **state)
{
	(void)state;
	for (unsigned int hops = DNS_CHAIN_MAX; hops <= DNS_CHAIN_MAX + 1; hops++) {
		struct wire w;
		struct dns_result r;
		char label[8];

		w_header(&w, RESPONSE, 1, hops + 1, 0);
		w_question(&w, "q.example", T_A);
		w_ptr(&w, QNAME);
		for (unsigned int i = 1; i <= hops; i++) {
			snprintf(label, sizeof(label), "h%u", i);
			w_cname(&w, 100, label, QNAME + 2);
			/* The next record's owner: this target. */
			w_labels(&w, label);
			w_ptr(&w, QNAME + 2);
		}
		w_a(&w, 100, "192.0.2.99");
		assert_int_equal(parse(&w, &r), 0);
		assert_int_equal(r.count, hops == DNS_CHAIN_MAX ? 1 : 0);
	}
}

/* The same address twice is one answer, with the lower TTL; DNS_ANSWERS_MAX at most. */
static void test_answers_once_and_bounded(void **state)
{
	struct wire w;
	struct dns_result r;
	char ip[16];

	(void)state;
	w_header(&w, RESPONSE, 1, 1 + DNS_ANSWERS_MAX + 8, 0);
	w_question(&w, "many.example", T_A);
	w_ptr(&w, QNAME);
	w_a(&w, 90, "10.1.0.0");
	w_ptr(&w, QNAME);
	w_a(&w, 70, "10.1.0.0");
	for (int i = 1; i < DNS_ANSWERS_MAX + 8; i++) {
		snprintf(ip, sizeof(ip), "10.1.0.%d", i);
		w_ptr(&w, QNAME);
		w_a(&w, 100, ip);
	}
	assert_int_equal(parse(&w, &r), 0);
	assert_int_equal(r.count, DNS_ANSWERS_MAX);
	check_answer(&r, 0, "10.1.0.0", 70);
	check_answer(&r, DNS_ANSWERS_MAX - 1, "10.1.0.31", 100);
}

/* RFC 2181 8: a TTL with the top bit set is 0. */
static void test_ttl_top_bit_is_zero(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 2, 0);
	w_question(&w, "t.example", T_A);
	w_ptr(&w, QNAME);
	w_a(&w, 0x80000000u, "192.0.2.1");
	w_ptr(&w, QNAME);
	w_a(&w, 0x7fffffffu, "192.0.2.2");
	assert_int_equal(parse(&w, &r), 0);
	check_answer(&r, 0, "192.0.2.1", 0);
	check_answer(&r, 1, "192.0.2.2", 0x7fffffffu);
}

/* ---- names ---- */

/* Names differing in case are the same name, and are given in lowercase. */
static void test_uppercase_lowercased(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 2, 0);
	w_question(&w, "WWW.Example.COM", T_A);
	w_ptr(&w, QNAME);
	w_cname(&w, 60, "CDN.example.Net", 0);
	w_name(&w, "cdn.EXAMPLE.net");
	w_a(&w, 60, "192.0.2.5");
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "www.example.com");
	assert_int_equal(r.count, 1);
}

/* Letters, digits, '-' and '_' only: anything else in the question refuses the message. */
static void test_bad_characters_rejected(void **state)
{
	static const char *const bad[] = {
		"a b.example",	     "*.example",   "a\x1b[31m.example",
		"a\xc3\xa9.example", "a/b.example", "a\x7f.example",
	};
	struct wire w;
	struct dns_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w_header(&w, RESPONSE, 1, 0, 0);
		w_question(&w, bad[i], T_A);
		assert_int_equal(parse(&w, &r), -EILSEQ);
		assert_int_equal(r.count, 0);
		assert_string_equal(r.name, "");
	}
	/* A dot inside a label: one label "a.b", not two. */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_bytes(&w, "\003a.b\007example", 13); /* its NUL is the root */
	w_u16(&w, T_A);
	w_u16(&w, C_IN);
	assert_int_equal(parse(&w, &r), -EILSEQ);

	w_header(&w, RESPONSE, 1, 0, 0);
	w_question(&w, "_sip._tcp.my-host-1.example", T_A);
	assert_int_equal(parse(&w, &r), 0);
	assert_string_equal(r.name, "_sip._tcp.my-host-1.example");
	assert_int_equal(r.count, 0);
}

/* An answer-section name with a bad byte is off the chain; the message is still read. */
static void test_bad_characters_in_answers_off_chain(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	w_header(&w, RESPONSE, 1, 3, 0);
	w_question(&w, "q.example", T_A);
	w_ptr(&w, QNAME);
	w_cname(&w, 60, "x y", QNAME + 2);
	w_bytes(&w, "\x03x y", 4);
	w_ptr(&w, QNAME + 2);
	w_a(&w, 60, "192.0.2.66");
	w_ptr(&w, QNAME);
	w_a(&w, 60, "192.0.2.1");
	assert_int_equal(parse(&w, &r), 0);
	assert_int_equal(r.count, 1);
	check_answer(&r, 0, "192.0.2.1", 60);
}

/* 255 bytes on the wire (253 as text) are a name; 256 are not. */
static void test_name_length_limit(void **state)
{
	char name[400], label[64];
	struct wire w;
	struct dns_result r;

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	/* 3 x (1 + 63) + (1 + 61) + 1 = 255 */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
	w_header(&w, RESPONSE, 1, 1, 0);
	w_question(&w, name, T_A);
	w_ptr(&w, QNAME);
	w_a(&w, 60, "192.0.2.1");
	assert_int_equal(parse(&w, &r), 0);
	assert_int_equal(strlen(r.name), DNS_NAME_MAX);
	assert_string_equal(r.name, name);
	assert_int_equal(r.count, 1);

	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label, label, label, label);
	w_header(&w, RESPONSE, 1, 0, 0);
	w_question(&w, name, T_A);
	assert_int_equal(parse(&w, &r), -E2BIG);

	snprintf(name, sizeof(name), "%s.%s.%s.%s.%s", label, label, label, label, label);
	w_header(&w, RESPONSE, 1, 0, 0);
	w_question(&w, name, T_A);
	assert_int_equal(parse(&w, &r), -E2BIG);
}

/* A length byte of 64 or more is a label type 0x40 or 0x80: refused. */
static void test_label_over_63_rejected(void **state)
{
	static const unsigned int first[] = { 0x40, 0x7f, 0x80, 0xbf };
	struct wire w;
	struct dns_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
		w_header(&w, RESPONSE, 1, 0, 0);
		w_u8(&w, first[i]);
		for (unsigned int k = 0; k < (first[i] & 0x3f) + 1; k++)
			w_u8(&w, 'a');
		w_u8(&w, 0);
		w_u16(&w, T_A);
		w_u16(&w, C_IN);
		assert_int_equal(parse(&w, &r), -EBADMSG);
	}
}

/* Compression: the question is where names start, so any pointer in it is refused. */
static void test_pointer_loops_rejected(void **state)
{
	struct wire w;
	struct dns_result r;

	(void)state;
	/* Itself. */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_ptr(&w, QNAME);
	w_u16(&w, T_A);
	w_u16(&w, C_IN);
	assert_int_equal(parse(&w, &r), -ELOOP);
	/* A label, then back to its start. */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_labels(&w, "a");
	w_ptr(&w, QNAME);
	w_u16(&w, T_A);
	w_u16(&w, C_IN);
	assert_int_equal(parse(&w, &r), -ELOOP);
	/*
	 * A 63-byte label, then back to its start: refused at the first jump,
	 * not after the name has grown past 255 bytes.
	 */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_labels(&w, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	w_ptr(&w, QNAME);
	w_u16(&w, T_A);
	w_u16(&w, C_IN);
	assert_int_equal(parse(&w, &r), -ELOOP);
	/* Forward, to a name after the question. */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_labels(&w, "a");
	w_ptr(&w, QNAME + 8);
	w_u16(&w, T_A);
	w_u16(&w, C_IN);
	w_name(&w, "example");
	assert_int_equal(parse(&w, &r), -ELOOP);
	/* Into the header: at 4, QDCOUNT's zero byte would read as the root. */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_labels(&w, "a");
	w_ptr(&w, 4);
	w_u16(&w, T_A);
	w_u16(&w, C_IN);
	assert_int_equal(parse(&w, &r), -EBADMSG);
	/* Cut inside the pointer. */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_labels(&w, "a");
	w_u8(&w, 0xc0);
	assert_int_equal(parse(&w, &r), -EBADMSG);
}

/* Loops in the answer section's names: those records are off the chain, the rest is read. */
static void test_pointer_loops_in_answers_ignored(void **state)
{
	struct wire w;
	struct dns_result r;
	size_t p1, p2;

	(void)state;
	w_header(&w, RESPONSE, 1, 4, 0);
	w_question(&w, "q.example", T_A);
	/* Mutual: p1 points to p2 (forward), p2 to p1. */
	p1 = w.len;
	w_ptr(&w, p1 + 2 + 10 + 4);
	w_a(&w, 60, "192.0.2.66");
	p2 = w.len;
	assert_int_equal(p2, p1 + 2 + 10 + 4);
	w_ptr(&w, p1);
	w_a(&w, 60, "192.0.2.67");
	/* Itself. */
	w_ptr(&w, w.len);
	w_a(&w, 60, "192.0.2.68");
	w_ptr(&w, QNAME);
	w_a(&w, 60, "192.0.2.1");
	assert_int_equal(parse(&w, &r), 0);
	assert_int_equal(r.count, 1);
	check_answer(&r, 0, "192.0.2.1", 60);
}

/*
 * A ladder of pointers, each to the one before, ending at the question
 * name: DNS_JUMPS_MAX jumps are followed, one more is refused.
 */
static void test_pointer_ladder_bounded(void **state)
{
	(void)state;
	for (unsigned int steps = DNS_JUMPS_MAX - 1; steps <= DNS_JUMPS_MAX; steps++) {
		uint8_t ladder[2 * DNS_JUMPS_MAX];
		struct wire w;
		struct dns_result r;
		size_t rdata;

		w_header(&w, RESPONSE, 1, 2, 0);
		w_question(&w, "q.example", T_A);
		w_ptr(&w, QNAME);
		rdata = w.len + 10;
		for (unsigned int i = 0; i < steps; i++) {
			unsigned int to = i ? (unsigned int)(rdata + 2 * (i - 1)) : QNAME;

			ladder[2 * i] = (uint8_t)(0xc0 | to >> 8);
			ladder[2 * i + 1] = (uint8_t)to;
		}
		w_rr(&w, T_PRIVATE, C_IN, 60, ladder, 2 * steps);
		/* Owned by the top rung: one jump more than the rungs. */
		w_ptr(&w, rdata + 2 * (steps - 1));
		w_a(&w, 60, "192.0.2.1");
		assert_int_equal(parse(&w, &r), 0);
		assert_int_equal(r.count, steps + 1 <= DNS_JUMPS_MAX ? 1 : 0);
	}
}

/*
 * A label bomb: names of 63-byte labels each ending in a pointer to the
 * one before grow past 255 bytes after four; many records owned by that
 * name cost one bounded read each.  The name of three is still a name.
 */
static void test_label_bomb(void **state)
{
	char label[64];
	struct wire w;
	struct dns_result r;
	size_t rungs[4], at, rdlen_at;

	(void)state;
	memset(label, 'b', 63);
	label[63] = '\0';
	w_header(&w, RESPONSE, 1, 3 + 200, 0);
	w_question(&w, "q.example", T_A);
	w_ptr(&w, QNAME);
	w_u16(&w, T_PRIVATE);
	w_u16(&w, C_IN);
	w_u32(&w, 60);
	rdlen_at = w.len;
	w_u16(&w, 0);
	for (int i = 0; i < 4; i++) {
		rungs[i] = w.len;
		w_labels(&w, label);
		w_ptr(&w, i ? rungs[i - 1] : QNAME);
	}
	at = w.len - rdlen_at - 2;
	w.b[rdlen_at] = (uint8_t)(at >> 8);
	w.b[rdlen_at + 1] = (uint8_t)at;
	/* q.example -> the three-rung name (3 x 64 + 11 = 203 bytes), which has an address. */
	w_ptr(&w, QNAME);
	w_u16(&w, T_CNAME);
	w_u16(&w, C_IN);
	w_u32(&w, 60);
	w_u16(&w, 2);
	w_ptr(&w, rungs[2]);
	w_ptr(&w, rungs[2]);
	w_a(&w, 60, "192.0.2.3");
	for (int i = 0; i < 200; i++) {
		w_ptr(&w, rungs[3]);
		w_a(&w, 60, "192.0.2.4");
	}
	assert_int_equal(parse(&w, &r), 0);
	assert_int_equal(r.count, 1);
	check_answer(&r, 0, "192.0.2.3", 60);
}

/* ---- the header ---- */

static void test_not_an_answer_rejected(void **state)
{
	static const struct {
		unsigned int flags, qd;
		int rc;
	} cases[] = {
		{ 0x0100, 1, -EINVAL },		   /* a query */
		{ RESPONSE | 0x1000, 1, -EINVAL }, /* opcode 2 (STATUS) */
		{ RESPONSE | 0x2800, 1, -EINVAL }, /* opcode 5 (UPDATE) */
		{ RESPONSE | 3, 1, -EINVAL },	   /* NXDOMAIN */
		{ RESPONSE | 2, 1, -EINVAL },	   /* SERVFAIL */
		{ RESPONSE, 0, -EINVAL },	   /* no question */
		{ RESPONSE, 2, -EINVAL },	   /* two */
		{ RESPONSE | 0x0200, 1, 0 },	   /* TC: what is there is read */
	};
	struct wire w;
	struct dns_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w_header(&w, cases[i].flags, cases[i].qd, 1, 0);
		w_question(&w, "example.com", T_A);
		w_ptr(&w, QNAME);
		w_a(&w, 60, "192.0.2.1");
		assert_int_equal(parse(&w, &r), cases[i].rc);
		assert_int_equal(r.count, cases[i].rc ? 0 : 1);
	}

	/* Class CHAOS, the root, a header cut short. */
	w_header(&w, RESPONSE, 1, 0, 0);
	w_name(&w, "version.bind");
	w_u16(&w, T_TXT);
	w_u16(&w, C_CH);
	assert_int_equal(parse(&w, &r), -EINVAL);
	w_header(&w, RESPONSE, 1, 0, 0);
	w_question(&w, "", T_A);
	assert_int_equal(parse(&w, &r), -EINVAL);
	w_header(&w, RESPONSE, 1, 0, 0);
	assert_int_equal(parse_len(&w, 11, &r), -EBADMSG);
	assert_int_equal(parse_len(&w, 0, &r), -EBADMSG);
	/* The question's type and class cut. */
	w_question(&w, "example.com", T_A);
	assert_int_equal(parse_len(&w, w.len - 1, &r), -EBADMSG);
}

/*
 * A copy cut at every length: an error until the question is whole, then
 * the answers of the records wholly in the copy, as the whole message gives
 * them, and nothing from a record cut short.
 */
static void test_truncated_at_every_offset(void **state)
{
	struct wire w;
	struct dns_result whole, r;
	size_t ends[5], qend = QNAME + 17 + 4;

	(void)state;
	build_chain(&w, ends);
	assert_int_equal(parse(&w, &whole), 0);
	for (size_t len = 0; len <= w.len; len++) {
		int rc = parse_len(&w, len, &r);
		unsigned int want = 0;

		if (len < qend) {
			assert_int_equal(rc, -EBADMSG);
			assert_int_equal(r.count, 0);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(r.name, "www.example.com");
		for (int i = 2; i < 5; i++)
			want += ends[i] <= len;
		assert_int_equal(r.count, want);
		for (unsigned int i = 0; i < r.count; i++)
			assert_memory_equal(&r.answers[i], &whole.answers[i], sizeof(r.answers[i]));
	}
}

/* Over TCP: the length prefix says where the message ends; the copy may end sooner. */
static void test_tcp_length_prefix(void **state)
{
	struct wire w, t;
	struct dns_result whole, r;
	size_t ends[5], at = 0, n;
	const uint8_t *msg;
	uint8_t *copy;

	(void)state;
	build_chain(&w, ends);
	t.len = 0;
	w_u16(&t, (unsigned int)w.len);
	w_bytes(&t, w.b, w.len);
	/* A second message after the first, as glibc sends its two queries. */
	w_u16(&t, (unsigned int)w.len);
	w_bytes(&t, w.b, w.len);
	copy = malloc(t.len);
	assert_non_null(copy);
	memcpy(copy, t.b, t.len);
	memset(&whole, 0, sizeof(whole));
	assert_int_equal(dns_parse(copy + 2, w.len, &whole), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dns_tcp_next(copy, t.len, &at, &msg, &n), 0);
		assert_ptr_equal(msg, copy + 2 + i * (2 + w.len));
		assert_int_equal(n, w.len);
		memset(&r, 0xa5, sizeof(r));
		assert_int_equal(dns_parse(msg, n, &r), 0);
		assert_string_equal(r.name, "www.example.com");
		assert_int_equal(r.count, 3);
		check_answer(&r, 2, "2001:db8::1", 60);
		/* Filled whole, padding included: results compare bytewise. */
		assert_memory_equal(r.answers, whole.answers, 3 * sizeof(r.answers[0]));
	}
	assert_int_equal(dns_tcp_next(copy, t.len, &at, &msg, &n), -1);
	assert_int_equal(at, t.len);
	/* The copy ends inside the AAAA record: the message is cut there. */
	at = 0;
	assert_int_equal(dns_tcp_next(copy, 2 + ends[4] - 1, &at, &msg, &n), 0);
	assert_int_equal(n, ends[4] - 1);
	assert_int_equal(dns_parse(msg, n, &r), 0);
	assert_int_equal(r.count, 2);
	assert_int_equal(dns_tcp_next(copy, 2 + ends[4] - 1, &at, &msg, &n), -1);
	/* The prefix ends the message inside the AAAA record, though more bytes follow. */
	copy[0] = (uint8_t)((ends[4] - 1) >> 8);
	copy[1] = (uint8_t)(ends[4] - 1);
	at = 0;
	assert_int_equal(dns_tcp_next(copy, t.len, &at, &msg, &n), 0);
	assert_int_equal(n, ends[4] - 1);
	assert_int_equal(dns_parse(msg, n, &r), 0);
	assert_int_equal(r.count, 2);
	/* Fewer than a length and an id: nothing. */
	for (size_t len = 0; len < 4; len++) {
		at = 0;
		assert_int_equal(dns_tcp_next(copy, len, &at, &msg, &n), -1);
	}
	/* A length of 0: a message of no bytes, then the next one. */
	copy[0] = 0;
	copy[1] = 0;
	at = 0;
	assert_int_equal(dns_tcp_next(copy, t.len, &at, &msg, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(at, 2);
	copy[0] = 0;
	copy[1] = 11;
	at = 0;
	assert_int_equal(dns_tcp_next(copy, t.len, &at, &msg, &n), 0);
	assert_int_equal(dns_parse(msg, n, &r), -EBADMSG);
	free(copy);
}

/* ---- the cache ---- */

static const uint8_t test_key[DNS_CACHE_KEY_LEN] = "0123456789abcdef";

#define NS1 4026531840ull
#define NS2 4026532370ull
#define T0 (1000 * 1000000000ull)
#define SEC 1000000000ull

static const char *get(struct dns_cache *c, uint64_t netns, const char *ip, uint64_t now)
{
	uint8_t addr[SNOOP_ADDR_LEN];

	test_set_addr(addr, ip);
	return dns_cache__get(c, netns, addr, now);
}

static int put(struct dns_cache *c, uint64_t netns, const char *ip, const char *name, uint32_t ttl,
	       uint64_t now)
{
	uint8_t addr[SNOOP_ADDR_LEN];

	test_set_addr(addr, ip);
	return dns_cache__put(c, netns, addr, name, ttl, now);
}

static void test_cache_put_get(void **state)
{
	struct dns_cache *c = dns_cache__new(16, test_key);

	(void)state;
	assert_non_null(c);
	assert_null(get(c, NS1, "192.0.2.1", T0));
	assert_int_equal(put(c, NS1, "192.0.2.1", "www.example.com", 60, T0), 0);
	assert_int_equal(put(c, NS1, "2001:db8::1", "v6.example.com", 60, T0), 0);
	assert_string_equal(get(c, NS1, "192.0.2.1", T0), "www.example.com");
	assert_string_equal(get(c, NS1, "2001:db8::1", T0 + SEC), "v6.example.com");
	/* The IPv4 address is not its IPv6 spelling's neighbour. */
	assert_null(get(c, NS1, "::192.0.2.1", T0));
	assert_null(get(c, NS1, "192.0.2.2", T0));
	dns_cache__free(c);
	dns_cache__free(NULL);
}

/* Found until put + TTL, gone at it, and removed. */
static void test_cache_expires_exactly_at_ttl(void **state)
{
	struct dns_cache *c = dns_cache__new(16, test_key);
	struct dns_cache_stats st;

	(void)state;
	assert_int_equal(put(c, NS1, "192.0.2.1", "a.example", 300, T0), 0);
	assert_string_equal(get(c, NS1, "192.0.2.1", T0 + 300 * SEC - 1), "a.example");
	assert_null(get(c, NS1, "192.0.2.1", T0 + 300 * SEC));
	dns_cache__stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.evicted, 0);
	dns_cache__free(c);
}

/* An event older than the answer, written after it, does not get the name. */
static void test_cache_nothing_before_the_answer(void **state)
{
	struct dns_cache *c = dns_cache__new(16, test_key);

	(void)state;
	assert_int_equal(put(c, NS1, "192.0.2.1", "a.example", 300, T0), 0);
	assert_null(get(c, NS1, "192.0.2.1", T0 - 1));
	assert_string_equal(get(c, NS1, "192.0.2.1", T0), "a.example");
	/* Still there for a later event: the earlier look-up removed nothing. */
	assert_string_equal(get(c, NS1, "192.0.2.1", T0 + SEC), "a.example");
	dns_cache__free(c);
}

/* TTL 0 is kept DNS_CACHE_TTL_MIN_S; a TTL past DNS_CACHE_TTL_MAX_S ends there. */
static void test_cache_ttl_clamped(void **state)
{
	struct dns_cache *c = dns_cache__new(16, test_key);

	(void)state;
	assert_int_equal(put(c, NS1, "192.0.2.1", "zero.example", 0, T0), 0);
	assert_int_equal(put(c, NS1, "192.0.2.2", "week.example", 7 * 86400, T0), 0);
	assert_string_equal(get(c, NS1, "192.0.2.1", T0 + SEC - 1), "zero.example");
	assert_null(get(c, NS1, "192.0.2.1", T0 + SEC));
	assert_string_equal(get(c, NS1, "192.0.2.2", T0 + 86400 * SEC - 1), "week.example");
	assert_null(get(c, NS1, "192.0.2.2", T0 + 86400 * SEC));
	dns_cache__free(c);
}

static void test_cache_separates_namespaces(void **state)
{
	struct dns_cache *c = dns_cache__new(16, test_key);

	(void)state;
	assert_int_equal(put(c, NS1, "10.0.0.1", "db.internal", 60, T0), 0);
	assert_null(get(c, NS2, "10.0.0.1", T0));
	assert_int_equal(put(c, NS2, "10.0.0.1", "db.other", 60, T0), 0);
	assert_string_equal(get(c, NS1, "10.0.0.1", T0), "db.internal");
	assert_string_equal(get(c, NS2, "10.0.0.1", T0), "db.other");
	dns_cache__free(c);
}

/* The newest answer wins, name and TTL, a shorter TTL too. */
static void test_cache_newest_answer_replaces(void **state)
{
	struct dns_cache *c = dns_cache__new(16, test_key);
	struct dns_cache_stats st;

	(void)state;
	assert_int_equal(put(c, NS1, "192.0.2.1", "old.example", 3600, T0), 0);
	assert_int_equal(put(c, NS1, "192.0.2.1", "new.example", 10, T0 + SEC), 0);
	assert_string_equal(get(c, NS1, "192.0.2.1", T0 + 11 * SEC - 1), "new.example");
	assert_null(get(c, NS1, "192.0.2.1", T0 + 11 * SEC));
	dns_cache__stats(c, &st);
	assert_int_equal(st.replaced, 1);
	assert_int_equal(st.entries, 0);
	dns_cache__free(c);
}

/* Full: the least recently put or found entry makes room, and is counted. */
static void test_cache_full_evicts_least_recently_used(void **state)
{
	struct dns_cache *c = dns_cache__new(4, test_key);
	struct dns_cache_stats st;

	(void)state;
	assert_int_equal(put(c, NS1, "10.0.0.1", "one.example", 60, T0), 0);
	assert_int_equal(put(c, NS1, "10.0.0.2", "two.example", 60, T0), 0);
	assert_int_equal(put(c, NS1, "10.0.0.3", "three.example", 60, T0), 0);
	assert_int_equal(put(c, NS1, "10.0.0.4", "four.example", 60, T0), 0);
	assert_int_equal(put(c, NS1, "10.0.0.5", "five.example", 60, T0), 0);
	assert_null(get(c, NS1, "10.0.0.1", T0));
	/* Found, two is newer than three now. */
	assert_string_equal(get(c, NS1, "10.0.0.2", T0), "two.example");
	assert_int_equal(put(c, NS1, "10.0.0.6", "six.example", 60, T0), 0);
	assert_null(get(c, NS1, "10.0.0.3", T0));
	assert_string_equal(get(c, NS1, "10.0.0.2", T0), "two.example");
	assert_string_equal(get(c, NS1, "10.0.0.4", T0), "four.example");
	assert_string_equal(get(c, NS1, "10.0.0.5", T0), "five.example");
	assert_string_equal(get(c, NS1, "10.0.0.6", T0), "six.example");
	dns_cache__stats(c, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.expired, 0);
	/* Expired entries making room are counted as expired, not evicted. */
	assert_int_equal(put(c, NS1, "10.0.0.7", "seven.example", 60, T0 + 60 * SEC), 0);
	dns_cache__stats(c, &st);
	assert_int_equal(st.evicted, 2);
	assert_true(st.expired >= 1);
	assert_true(st.entries <= 4);
	dns_cache__free(c);
}

/* Many more puts than room: never more than max entries, the newest max all there. */
static void test_cache_bound_respected(void **state)
{
	struct dns_cache *c = dns_cache__new(100, test_key);
	struct dns_cache_stats st;
	char ip[32];

	(void)state;
	for (int i = 0; i < 10000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		assert_int_equal(put(c, NS1 + (uint64_t)(i % 3), ip, "flood.example", 60, T0), 0);
		dns_cache__stats(c, &st);
		assert_true(st.entries <= 100);
	}
	assert_int_equal(st.entries, 100);
	assert_int_equal(st.evicted, 10000 - 100);
	for (int i = 10000 - 100; i < 10000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		assert_non_null(get(c, NS1 + (uint64_t)(i % 3), ip, T0));
	}
	snprintf(ip, sizeof(ip), "10.%d.%d.1", 9899 / 256, 9899 % 256);
	assert_null(get(c, NS1 + 9899 % 3, ip, T0));
	dns_cache__free(c);
}

/* One entry, one bucket: a put replaces or evicts, every time. */
static void test_cache_of_one(void **state)
{
	struct dns_cache *c = dns_cache__new(1, test_key);

	(void)state;
	assert_int_equal(put(c, NS1, "10.0.0.1", "a.example", 60, T0), 0);
	assert_int_equal(put(c, NS1, "10.0.0.2", "b.example", 60, T0), 0);
	assert_null(get(c, NS1, "10.0.0.1", T0));
	assert_string_equal(get(c, NS1, "10.0.0.2", T0), "b.example");
	assert_null(get(c, NS1, "10.0.0.2", T0 + 60 * SEC));
	assert_int_equal(put(c, NS1, "10.0.0.3", "c.example", 60, T0 + 60 * SEC), 0);
	assert_string_equal(get(c, NS1, "10.0.0.3", T0 + 60 * SEC), "c.example");
	/* In the same bucket, the namespace tells them apart. */
	assert_null(get(c, NS2, "10.0.0.3", T0 + 60 * SEC));
	dns_cache__free(c);
}

static void test_cache_refuses_bad_arguments(void **state)
{
	char name[DNS_NAME_MAX + 2];
	struct dns_cache *c;

	(void)state;
	errno = 0;
	assert_null(dns_cache__new(0, test_key));
	assert_int_equal(errno, EINVAL);
	assert_null(dns_cache__new(DNS_CACHE_ENTRIES_MAX + 1, test_key));
	assert_int_equal(errno, EINVAL);
	c = dns_cache__new(4, test_key);
	assert_int_equal(put(c, NS1, "10.0.0.1", "", 60, T0), -EINVAL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(put(c, NS1, "10.0.0.1", name, 60, T0), -EINVAL);
	name[DNS_NAME_MAX] = '\0';
	assert_int_equal(put(c, NS1, "10.0.0.1", name, 60, T0), 0);
	assert_string_equal(get(c, NS1, "10.0.0.1", T0), name);
	dns_cache__free(c);
}

/* A parsed response into the cache: every address under the question name. */
static void test_cache_put_result(void **state)
{
	struct dns_cache *c = dns_cache__new(16, test_key);
	struct wire w;
	struct dns_result r;
	size_t ends[5];

	(void)state;
	build_chain(&w, ends);
	assert_int_equal(parse(&w, &r), 0);
	assert_int_equal(dns_cache__put_result(c, NS1, &r, T0), 0);
	assert_string_equal(get(c, NS1, "192.0.2.1", T0 + 60 * SEC - 1), "www.example.com");
	assert_string_equal(get(c, NS1, "2001:db8::1", T0), "www.example.com");
	assert_string_equal(get(c, NS1, "192.0.2.2", T0 + 30 * SEC - 1), "www.example.com");
	assert_null(get(c, NS1, "192.0.2.2", T0 + 30 * SEC));
	assert_null(get(c, NS1, "192.0.2.1", T0 + 60 * SEC));
	assert_null(get(c, NS2, "2001:db8::1", T0));
	dns_cache__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_record),
		cmocka_unit_test(test_aaaa_record),
		cmocka_unit_test(test_cname_chain_reports_question_and_least_ttl),
		cmocka_unit_test(test_cname_after_addresses),
		cmocka_unit_test(test_records_off_chain_ignored),
		cmocka_unit_test(test_cname_target_within_its_data),
		cmocka_unit_test(test_cname_loop_harmless),
		cmocka_unit_test(test_chain_hops_bounded),
		cmocka_unit_test(test_answers_once_and_bounded),
		cmocka_unit_test(test_ttl_top_bit_is_zero),
		cmocka_unit_test(test_uppercase_lowercased),
		cmocka_unit_test(test_bad_characters_rejected),
		cmocka_unit_test(test_bad_characters_in_answers_off_chain),
		cmocka_unit_test(test_name_length_limit),
		cmocka_unit_test(test_label_over_63_rejected),
		cmocka_unit_test(test_pointer_loops_rejected),
		cmocka_unit_test(test_pointer_loops_in_answers_ignored),
		cmocka_unit_test(test_pointer_ladder_bounded),
		cmocka_unit_test(test_label_bomb),
		cmocka_unit_test(test_not_an_answer_rejected),
		cmocka_unit_test(test_truncated_at_every_offset),
		cmocka_unit_test(test_tcp_length_prefix),
		cmocka_unit_test(test_cache_put_get),
		cmocka_unit_test(test_cache_expires_exactly_at_ttl),
		cmocka_unit_test(test_cache_nothing_before_the_answer),
		cmocka_unit_test(test_cache_ttl_clamped),
		cmocka_unit_test(test_cache_separates_namespaces),
		cmocka_unit_test(test_cache_newest_answer_replaces),
		cmocka_unit_test(test_cache_full_evicts_least_recently_used),
		cmocka_unit_test(test_cache_bound_respected),
		cmocka_unit_test(test_cache_of_one),
		cmocka_unit_test(test_cache_refuses_bad_arguments),
		cmocka_unit_test(test_cache_put_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
