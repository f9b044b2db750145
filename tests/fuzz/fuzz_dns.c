// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_dns.c - the DNS response parser (dns_parse, dns_tcp_next) on any
 * bytes, as a hostile server or a forged packet sends them, and what it
 * gives fed to the address-to-name cache.  Besides memory errors and
 * endless loops (compression loops, label bombs), it checks the contract of
 * dns.h: an answer is 0 or one of its five refusals, a refusal leaves no
 * name and no answer, a name is 1 to 253 bytes of lowercase letters,
 * digits, '-', '_' and dots between non-empty labels, the answers are at
 * most DNS_ANSWERS_MAX distinct addresses (IPv4 ones mapped); a copy cut
 * short gives a part of what the whole gives, never more; the TCP form is
 * the same message; and the cache finds what was put until its TTL ends.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/dns.h"
#include "lib/dns_cache.h"

/* A small cache, so that a response's answers also make it evict. */
#define CACHE_ENTRIES 8
#define NS_PER_S 1000000000ull

static const char *data_text;
static size_t data_len;

static void check(bool ok, const char *what)
{
	if (!ok)
		fuzz_fail(what, data_text, data_len);
}

static bool is_answer(int rc)
{
	return rc == 0 || rc == -EBADMSG || rc == -ELOOP || rc == -E2BIG || rc == -EILSEQ ||
	       rc == -EINVAL;
}

static bool name_ok(const char *name)
{
	size_t len = strnlen(name, DNS_NAME_MAX + 1);

	if (!len || len > DNS_NAME_MAX || name[0] == '.' || name[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.' && name[i + 1] == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* What dns.h promises of a result @rc in @r. */
static void check_result(int rc, const struct dns_result *r)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	check(is_answer(rc), "not an answer dns.h lists");
	if (rc) {
		check(r->count == 0 && r->name[0] == '\0', "a refusal left a name or answers");
		return;
	}
	check(name_ok(r->name), "a name outside the kept form");
	check(r->count <= DNS_ANSWERS_MAX, "more answers than DNS_ANSWERS_MAX");
	for (unsigned int i = 0; i < r->count; i++) {
		const struct dns_answer *a = &r->answers[i];

		check(!a->v4 || !memcmp(a->addr, mapped, sizeof(mapped)),
		      "an IPv4 answer not IPv4-mapped");
		check(a->ttl <= INT32_MAX, "a TTL with its top bit set");
		for (unsigned int k = 0; k < i; k++)
			check(memcmp(a->addr, r->answers[k].addr, SNOOP_ADDR_LEN) != 0,
			      "an address given twice");
	}
}

/* The index of @a's address among @r's answers, or -1. */
static int find_answer(const struct dns_result *r, const struct dns_answer *a)
{
	for (unsigned int i = 0; i < r->count; i++)
		if (!memcmp(r->answers[i].addr, a->addr, SNOOP_ADDR_LEN))
			return (int)i;
	return -1;
}

static bool same_result(const struct dns_result *a, const struct dns_result *b)
{
	return !strcmp(a->name, b->name) && a->count == b->count &&
	       !memcmp(a->answers, b->answers, a->count * sizeof(a->answers[0]));
}

/* The first @len bytes of @data alone, in a buffer of exactly that size (ASan sees past it). */
static int parse_copy(const uint8_t *data, size_t len, struct dns_result *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (len)
		memcpy(copy, data, len);
	rc = dns_parse(copy, len, r);
	free(copy);
	return rc;
}

/* An answer's time in the cache, as dns_cache.h clamps it. */
static uint64_t cache_ttl(const struct dns_answer *a)
{
	if (a->ttl < DNS_CACHE_TTL_MIN_S)
		return DNS_CACHE_TTL_MIN_S;
	return a->ttl > DNS_CACHE_TTL_MAX_S ? DNS_CACHE_TTL_MAX_S : a->ttl;
}

/*
 * The cache keeps the newest CACHE_ENTRIES answers, found until their TTL
 * ends and gone at its end.  Time only moves forward, as the cache's
 * caller's does: TTL by TTL, each one's last nanosecond, then its end.
 */
static void check_cache(const struct dns_result *r, uint64_t netns, uint64_t now)
{
	static const uint8_t key[DNS_CACHE_KEY_LEN] = "fuzz_dns key 16b";
	struct dns_cache *c = dns_cache__new(CACHE_ENTRIES, key);
	struct dns_cache_stats st;
	unsigned int first = r->count > CACHE_ENTRIES ? r->count - CACHE_ENTRIES : 0;
	uint64_t t = 0;

	check(c != NULL, "no cache");
	check(dns_cache__put_result(c, netns, r, now) == 0, "cache refused a parsed name");
	dns_cache__stats(c, &st);
	check(st.entries == r->count - first, "cache holds other than its newest answers");
	for (unsigned int i = first; i < r->count; i++)
		check(!dns_cache__get(c, netns + 1, r->answers[i].addr, now),
		      "found in another namespace");
	for (;;) {
		uint64_t next = UINT64_MAX;

		for (unsigned int i = first; i < r->count; i++)
			if (cache_ttl(&r->answers[i]) > t && cache_ttl(&r->answers[i]) < next)
				next = cache_ttl(&r->answers[i]);
		if (next == UINT64_MAX)
			break;
		t = next;
		for (unsigned int i = first; i < r->count; i++) {
			const char *got = dns_cache__get(c, netns, r->answers[i].addr,
							 now + t * NS_PER_S - 1);

			if (cache_ttl(&r->answers[i]) >= t)
				check(got && !strcmp(got, r->name),
				      "cache lost a name before its TTL");
			else
				check(!got, "cache kept a name past its TTL");
		}
		for (unsigned int i = first; i < r->count; i++)
			check(!dns_cache__get(c, netns, r->answers[i].addr, now + t * NS_PER_S) ==
				      (cache_ttl(&r->answers[i]) <= t),
			      "cache kept a name past its TTL, or lost one before");
	}
	dns_cache__stats(c, &st);
	check(st.entries == 0 && st.evicted == first, "cache counted otherwise");
	dns_cache__free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_result whole, part, tcp;
	uint8_t *framed;
	size_t cut;
	int rc, rc_part;

	data_text = (const char *)data;
	data_len = size;

	rc = parse_copy(data, size, &whole);
	check_result(rc, &whole);

	/* A copy cut where the input says: a refusal while the question is cut, else a part. */
	cut = size ? (data[size - 1] * 257u + data[0]) % (size + 1) : 0;
	for (int k = 0; k < 2; k++, cut = size ? size - 1 : 0) {
		rc_part = parse_copy(data, cut, &part);
		check_result(rc_part, &part);
		if (rc)
			continue;
		check(rc_part == 0 || rc_part == -EBADMSG, "a cut copy refused otherwise");
		if (rc_part)
			continue;
		check(!strcmp(part.name, whole.name), "a cut copy asked another name");
		check(part.count <= whole.count, "a cut copy gave more answers");
		/* Unless the whole was cut at DNS_ANSWERS_MAX, a part holds no other address. */
		for (unsigned int i = 0; whole.count < DNS_ANSWERS_MAX && i < part.count; i++) {
			int at = find_answer(&whole, &part.answers[i]);

			check(at >= 0, "a cut copy gave an address the whole does not");
			check(whole.answers[at].ttl <= part.answers[i].ttl,
			      "a cut copy gave a lower TTL");
		}
	}

	/* The same message framed for TCP, and the input as a TCP payload itself. */
	if (size <= UINT16_MAX) {
		framed = malloc(size + 2);
		framed[0] = (uint8_t)(size >> 8);
		framed[1] = (uint8_t)size;
		if (size)
			memcpy(framed + 2, data, size);
		if (size >= 2) {
			size_t at = 0, n = 0;
			const uint8_t *msg = NULL;

			check(!dns_tcp_next(framed, size + 2, &at, &msg, &n) && msg == framed + 2 &&
				      n == size && at == size + 2,
			      "the TCP form framed otherwise");
			check(dns_parse(msg, n, &tcp) == rc && same_result(&tcp, &whole),
			      "the TCP form read otherwise");
		}
		free(framed);
	}
	/* The input as a TCP payload: messages within it, one after another, to its end. */
	{
		size_t at = 0, before = 0, n;
		const uint8_t *msg;

		while (!dns_tcp_next(data, size, &at, &msg, &n)) {
			check(msg == data + before + 2 && n <= size - before - 2 &&
				      at == before + 2 + n,
			      "a TCP message outside its payload");
			check_result(dns_parse(msg, n, &tcp), &tcp);
			before = at;
		}
		check(at == before, "a refused message moved the offset");
	}

	if (!rc)
		check_cache(&whole, size ? data[0] : 0, 1000 * NS_PER_S);
	return 0;
}
