// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* dns_cache.c - the bounded address-to-name cache (see dns_cache.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns_cache.h"

/* No entry: the end of a chain or of the recency list. */
#define NIL UINT32_MAX
#define NS_PER_S 1000000000ull

/* One address's name; entries link by pool index, so the links are half a pointer's size. */
struct dns_entry {
	uint64_t netns;
	uint64_t expires_ns; /* gone from this time on */
	uint64_t since_ns;   /* the answer's time: nothing before it had the name */
	uint32_t hnext;	     /* the next in the bucket's chain, or in the free list */
	uint32_t newer;	     /* the recency list's neighbours */
	uint32_t older;
	uint8_t addr[SNOOP_ADDR_LEN];
	char name[DNS_NAME_MAX + 1];
};

struct dns_cache {
	struct dns_entry *pool; /* max entries, allocated once */
	uint32_t *buckets;
	uint32_t mask; /* buckets - 1, a power of two minus one */
	uint32_t max;
	uint32_t fresh;	 /* pool entries never used: [fresh, max) */
	uint32_t free;	 /* entries removed, to be reused first */
	uint32_t newest; /* the recency list: put or found last ... */
	uint32_t oldest; /* ... and the one to evict */
	uint64_t k0, k1;
	struct dns_cache_stats st;
};

static uint64_t rotl64(uint64_t x, unsigned int b)
{
	return x << b | x >> (64 - b);
}

static uint64_t get64le(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define SIPROUND                     \
	do {                         \
		v0 += v1;            \
		v1 = rotl64(v1, 13); \
		v1 ^= v0;            \
		v0 = rotl64(v0, 32); \
		v2 += v3;            \
		v3 = rotl64(v3, 16); \
		v3 ^= v2;            \
		v0 += v3;            \
		v3 = rotl64(v3, 21); \
		v3 ^= v0;            \
		v2 += v1;            \
		v1 = rotl64(v1, 17); \
		v1 ^= v2;            \
		v2 = rotl64(v2, 32); \
	} while (0)

/* SipHash-2-4 (Aumasson and Bernstein) of @len bytes at @in under the key @k0, @k1. */
static uint64_t siphash24(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = get64le(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (unsigned int k = 0; i + k < len; k++)
		b |= (uint64_t)in[i + k] << (8 * k);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t bucket_of(const struct dns_cache *c, uint64_t netns,
			  const uint8_t addr[SNOOP_ADDR_LEN])
{
	uint8_t key[8 + SNOOP_ADDR_LEN];

	for (int i = 0; i < 8; i++)
		key[i] = (uint8_t)(netns >> (8 * i));
	memcpy(key + 8, addr, SNOOP_ADDR_LEN);
	return (uint32_t)siphash24(c->k0, c->k1, key, sizeof(key)) & c->mask;
}

struct dns_cache *dns_cache__new(size_t max_entries, const uint8_t key[DNS_CACHE_KEY_LEN])
{
	struct dns_cache *c;
	size_t n_buckets = 1;

	if (!max_entries || max_entries > DNS_CACHE_ENTRIES_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (n_buckets < max_entries)
		n_buckets <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	/* calloc'd pages stay untouched until used, so unused capacity costs no RSS. */
	c->pool = calloc(max_entries, sizeof(*c->pool));
	c->buckets = malloc(n_buckets * sizeof(*c->buckets));
	if (!c->pool || !c->buckets) {
		dns_cache__free(c);
		errno = ENOMEM;
		return NULL;
	}
	memset(c->buckets, 0xff, n_buckets * sizeof(*c->buckets));
	c->mask = (uint32_t)(n_buckets - 1);
	c->max = (uint32_t)max_entries;
	c->free = NIL;
	c->newest = NIL;
	c->oldest = NIL;
	c->k0 = get64le(key);
	c->k1 = get64le(key + 8);
	return c;
}

void dns_cache__free(struct dns_cache *c)
{
	if (!c)
		return;
	free(c->pool);
	free(c->buckets);
	free(c);
}

/* Take entry @i out of the recency list. */
static void recency_unlink(struct dns_cache *c, uint32_t i)
{
	struct dns_entry *e = &c->pool[i];

	if (e->newer != NIL)
		c->pool[e->newer].older = e->older;
	else
		c->newest = e->older;
	if (e->older != NIL)
		c->pool[e->older].newer = e->newer;
	else
		c->oldest = e->newer;
}

/* Make entry @i the most recently used. */
static void recency_push(struct dns_cache *c, uint32_t i)
{
	struct dns_entry *e = &c->pool[i];

	e->newer = NIL;
	e->older = c->newest;
	if (c->newest != NIL)
		c->pool[c->newest].newer = i;
	else
		c->oldest = i;
	c->newest = i;
}

/* Remove entry @i, whose chain link is *@link, to the free list. */
static void remove_entry(struct dns_cache *c, uint32_t *link, uint32_t i)
{
	*link = c->pool[i].hnext;
	recency_unlink(c, i);
	c->pool[i].hnext = c->free;
	c->free = i;
	c->st.entries--;
}

/*
 * The entry of @addr in @netns, or NIL; expired entries met on the way
 * (that bucket's chain only) are removed.  *@bucket: where it hashes.
 */
static uint32_t find(struct dns_cache *c, uint64_t netns, const uint8_t addr[SNOOP_ADDR_LEN],
		     uint64_t now_ns, uint32_t *bucket)
{
	uint32_t *link;

	*bucket = bucket_of(c, netns, addr);
	link = &c->buckets[*bucket];
	while (*link != NIL) {
		uint32_t i = *link;
		struct dns_entry *e = &c->pool[i];

		if (now_ns >= e->expires_ns) {
			remove_entry(c, link, i);
			c->st.expired++;
			continue;
		}
		if (e->netns == netns && !memcmp(e->addr, addr, SNOOP_ADDR_LEN))
			return i;
		link = &e->hnext;
	}
	return NIL;
}

/* Room for one entry: a removed one, a never used one, or the least recently used one's. */
static uint32_t take_entry(struct dns_cache *c, uint64_t now_ns)
{
	uint32_t i = c->free, *link;

	if (i != NIL) {
		c->free = c->pool[i].hnext;
		return i;
	}
	if (c->fresh < c->max)
		return c->fresh++;
	i = c->oldest;
	link = &c->buckets[bucket_of(c, c->pool[i].netns, c->pool[i].addr)];
	while (*link != i)
		link = &c->pool[*link].hnext;
	if (now_ns >= c->pool[i].expires_ns)
		c->st.expired++;
	else
		c->st.evicted++;
	remove_entry(c, link, i);
	c->free = c->pool[i].hnext;
	return i;
}

int dns_cache__put(struct dns_cache *c, uint64_t netns, const uint8_t addr[SNOOP_ADDR_LEN],
		   const char *name, uint32_t ttl_s, uint64_t now_ns)
{
	size_t len = strnlen(name, DNS_NAME_MAX + 1);
	uint64_t ttl_ns;
	uint32_t bucket, i;
	struct dns_entry *e;

	if (!len || len > DNS_NAME_MAX)
		return -EINVAL;
	if (ttl_s < DNS_CACHE_TTL_MIN_S)
		ttl_s = DNS_CACHE_TTL_MIN_S;
	if (ttl_s > DNS_CACHE_TTL_MAX_S)
		ttl_s = DNS_CACHE_TTL_MAX_S;
	ttl_ns = ttl_s * NS_PER_S;

	i = find(c, netns, addr, now_ns, &bucket);
	if (i != NIL) {
		recency_unlink(c, i);
		c->st.replaced++;
	} else {
		i = take_entry(c, now_ns);
		e = &c->pool[i];
		e->netns = netns;
		memcpy(e->addr, addr, SNOOP_ADDR_LEN);
		/* Taking an entry may have removed one from this very chain: link after. */
		e->hnext = c->buckets[bucket];
		c->buckets[bucket] = i;
		c->st.entries++;
	}
	e = &c->pool[i];
	memcpy(e->name, name, len + 1);
	e->expires_ns = now_ns > UINT64_MAX - ttl_ns ? UINT64_MAX : now_ns + ttl_ns;
	e->since_ns = now_ns;
	recency_push(c, i);
	return 0;
}

int dns_cache__put_result(struct dns_cache *c, uint64_t netns, const struct dns_result *res,
			  uint64_t now_ns)
{
	for (unsigned int i = 0; i < res->count && i < DNS_ANSWERS_MAX; i++) {
		int err = dns_cache__put(c, netns, res->answers[i].addr, res->name,
					 res->answers[i].ttl, now_ns);

		if (err)
			return err;
	}
	return 0;
}

const char *dns_cache__get(struct dns_cache *c, uint64_t netns, const uint8_t addr[SNOOP_ADDR_LEN],
			   uint64_t now_ns)
{
	uint32_t bucket, i = find(c, netns, addr, now_ns, &bucket);

	/* An event older than the answer, read after it: the name was not known yet. */
	if (i == NIL || now_ns < c->pool[i].since_ns)
		return NULL;
	recency_unlink(c, i);
	recency_push(c, i);
	return c->pool[i].name;
}

void dns_cache__stats(const struct dns_cache *c, struct dns_cache_stats *st)
{
	*st = c->st;
}
