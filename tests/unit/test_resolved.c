// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_resolved.c - DNS messages as the BPF side copies them, to names: a
 * response is taken only when it answers a query seen (same namespace,
 * transaction id, addresses and ports, within RESOLVED_QUERY_TTL_NS); the
 * name asked for is kept its TTL; nothing for an event older than the answer.
 * Over TCP, a segment's messages after their 2-byte lengths, each answered once.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "snoop/resolved.h"
#include "helpers.h"

#define SEC 1000000000ull
#define T0 (100 * SEC)
#define NS 4026531840u

/* A message of @dir from client 10.0.0.2:@port to server 10.0.0.53:53 with id @txid. */
static struct snoop_dns_msg msg(bool response, uint16_t port, uint16_t txid, uint64_t ts)
{
	struct snoop_dns_msg m;
	/* Header, then "web.test" IN A; a response adds the answer 10.0.0.9, TTL 30. */
	static const uint8_t question[] = { 3, 'w', 'e', 'b', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	static const uint8_t answer[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 9 };
	size_t n = 12;

	memset(&m, 0, sizeof(m));
	m.ts_ns = ts;
	m.netns = NS;
	m.client_port = port;
	m.server_port = 53;
	m.response = response;
	m.proto = IPPROTO_UDP;
	test_set_addr(m.client, "10.0.0.2");
	test_set_addr(m.server, "10.0.0.53");
	m.data[0] = (uint8_t)(txid >> 8);
	m.data[1] = (uint8_t)txid;
	m.data[2] = response ? 0x81 : 0x01; /* QR, RD */
	m.data[3] = response ? 0x80 : 0x00; /* RA, NOERROR */
	m.data[5] = 1;			    /* QDCOUNT */
	m.data[7] = response ? 1 : 0;	    /* ANCOUNT */
	memcpy(m.data + n, question, sizeof(question));
	n += sizeof(question);
	if (response) {
		memcpy(m.data + n, answer, sizeof(answer));
		n += sizeof(answer);
	}
	m.len = (uint16_t)n;
	return m;
}

static void give(struct resolved *r, const struct snoop_dns_msg *m)
{
	assert_int_equal(resolved__message(r, m, offsetof(struct snoop_dns_msg, data) + m->len), 0);
}

static const char *name_of(struct resolved *r, const char *addr, uint64_t ts)
{
	uint8_t a[SNOOP_ADDR_LEN];

	test_set_addr(a, addr);
	return resolved__name(r, NS, a, ts);
}

static void test_answer_to_a_query_names_the_address(void **state)
{
	struct resolved *r;
	struct resolved_stats st;
	struct snoop_dns_msg q = msg(false, 40000, 0x1234, T0),
			     a = msg(true, 40000, 0x1234, T0 + 1);

	(void)state;
	assert_int_equal(resolved__new(&r), 0);
	give(r, &q);
	give(r, &a);
	assert_string_equal(name_of(r, "10.0.0.9", T0 + 2), "web.test");
	/* Not for an event before the answer, nor after its TTL, nor another address. */
	assert_null(name_of(r, "10.0.0.9", T0));
	assert_null(name_of(r, "10.0.0.8", T0 + 2));
	assert_null(name_of(r, "10.0.0.9", T0 + 1 + 30 * SEC));
	resolved__stats(r, &st);
	assert_int_equal(st.queries, 1);
	assert_int_equal(st.answers, 1);
	assert_int_equal(st.names, 1);
	assert_int_equal(st.unmatched, 0);
	resolved__free(r);
	resolved__free(NULL);
}

/* A forged or stray response: another id, port, server or namespace, or no query at all. */
static void test_response_to_no_query_names_nothing(void **state)
{
	struct resolved *r;
	struct resolved_stats st;
	struct snoop_dns_msg q = msg(false, 40000, 0x1234, T0), a;

	(void)state;
	assert_int_equal(resolved__new(&r), 0);
	a = msg(true, 40000, 0x1234, T0 + 1);
	give(r, &a); /* before its query */
	give(r, &q);
	a = msg(true, 40000, 0x1235, T0 + 1);
	give(r, &a);
	a = msg(true, 40001, 0x1234, T0 + 1);
	give(r, &a);
	a = msg(true, 40000, 0x1234, T0 + 1);
	test_set_addr(a.server, "10.0.0.54");
	give(r, &a);
	a = msg(true, 40000, 0x1234, T0 + 1);
	a.netns = NS + 1;
	give(r, &a);
	/* Too late: the query was given up. */
	a = msg(true, 40000, 0x1234, T0 + RESOLVED_QUERY_TTL_NS);
	give(r, &a);
	assert_null(name_of(r, "10.0.0.9", T0 + 2 * RESOLVED_QUERY_TTL_NS));
	resolved__stats(r, &st);
	assert_int_equal(st.unmatched, 6);
	assert_int_equal(st.answers, 0);
	resolved__free(r);
}

static void test_short_or_malformed_records(void **state)
{
	struct resolved *r;
	struct resolved_stats st;
	struct snoop_dns_msg q = msg(false, 40000, 7, T0), a = msg(true, 40000, 7, T0 + 1);

	(void)state;
	assert_int_equal(resolved__new(&r), 0);
	assert_int_equal(resolved__message(r, &q, offsetof(struct snoop_dns_msg, data) - 1),
			 -EINVAL);
	/* A length past the record's end. */
	assert_int_equal(resolved__message(r, &q, offsetof(struct snoop_dns_msg, data) + 3),
			 -EINVAL);
	give(r, &q);
	a.data[3] = 0x83; /* NXDOMAIN */
	give(r, &a);
	resolved__stats(r, &st);
	assert_int_equal(st.malformed, 1);
	assert_null(name_of(r, "10.0.0.9", T0 + 2));
	resolved__free(r);
}

/*
 * @m's message as a DNS-over-TCP segment's payload: its 2-byte length first
 * (RFC 1035 4.2.2), @copies of it one after the other (glibc's A and AAAA in
 * one segment).
 */
static struct snoop_dns_msg tcp_segment(const struct snoop_dns_msg *m, int copies)
{
	struct snoop_dns_msg seg = *m;
	size_t n = 0;

	seg.proto = IPPROTO_TCP;
	for (int i = 0; i < copies; i++) {
		seg.data[n] = (uint8_t)(m->len >> 8);
		seg.data[n + 1] = (uint8_t)m->len;
		memcpy(seg.data + n + 2, m->data, m->len);
		n += 2u + m->len;
	}
	seg.len = (uint16_t)n;
	return seg;
}

static void test_tcp_segments_of_several_messages(void **state)
{
	struct resolved *r;
	struct resolved_stats st;
	struct snoop_dns_msg q1 = msg(false, 40000, 0x11, T0), q2 = msg(false, 40000, 0x12, T0),
			     a1 = msg(true, 40000, 0x11, T0 + 1),
			     a2 = msg(true, 40000, 0x12, T0 + 1), seg, both;

	(void)state;
	assert_int_equal(resolved__new(&r), 0);
	/* Two queries in one segment, then their answers in one. */
	both = tcp_segment(&q1, 1);
	seg = tcp_segment(&q2, 1);
	memcpy(both.data + both.len, seg.data, seg.len);
	both.len = (uint16_t)(both.len + seg.len);
	give(r, &both);
	both = tcp_segment(&a1, 1);
	seg = tcp_segment(&a2, 1);
	memcpy(both.data + both.len, seg.data, seg.len);
	both.len = (uint16_t)(both.len + seg.len);
	give(r, &both);
	assert_string_equal(name_of(r, "10.0.0.9", T0 + 2), "web.test");
	resolved__stats(r, &st);
	assert_int_equal(st.queries, 2);
	assert_int_equal(st.answers, 2);
	assert_int_equal(st.unmatched, 0);
	/* A TCP query is answered once: the same answer again matches nothing. */
	seg = tcp_segment(&a1, 1);
	give(r, &seg);
	/* A UDP datagram is not a TCP segment: no length to skip. */
	seg = tcp_segment(&q1, 1);
	seg.proto = IPPROTO_UDP;
	give(r, &seg);
	/* Fewer than 4 bytes: no message starts there. */
	seg = tcp_segment(&a1, 1);
	seg.len = 3;
	give(r, &seg);
	resolved__stats(r, &st);
	assert_int_equal(st.unmatched, 1);
	assert_int_equal(st.answers, 2);
	resolved__free(r);
}

/* An answer cut by the copy (a length past the segment's end): what was copied is read. */
static void test_tcp_answer_cut_by_the_copy(void **state)
{
	struct resolved *r;
	struct resolved_stats st;
	struct snoop_dns_msg q = msg(false, 40000, 0x21, T0), a = msg(true, 40000, 0x21, T0 + 1),
			     seg;

	(void)state;
	assert_int_equal(resolved__new(&r), 0);
	seg = tcp_segment(&q, 1);
	give(r, &seg);
	seg = tcp_segment(&a, 1);
	/* The prefix says 100 bytes more than the copy holds. */
	seg.data[0] = (uint8_t)((a.len + 100) >> 8);
	seg.data[1] = (uint8_t)(a.len + 100);
	give(r, &seg);
	assert_string_equal(name_of(r, "10.0.0.9", T0 + 2), "web.test");
	resolved__stats(r, &st);
	assert_int_equal(st.answers, 1);
	resolved__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_to_a_query_names_the_address),
		cmocka_unit_test(test_response_to_no_query_names_nothing),
		cmocka_unit_test(test_short_or_malformed_records),
		cmocka_unit_test(test_tcp_segments_of_several_messages),
		cmocka_unit_test(test_tcp_answer_cut_by_the_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
