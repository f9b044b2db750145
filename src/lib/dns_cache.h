/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * dns_cache.h - the name each address was resolved from, per network
 * namespace (issue 15): what dns.c read from the answers processes of a
 * namespace received, kept while their TTL lasts, so that an event toward
 * that address in that namespace can carry the name its process asked for.
 * No reverse look-up, ever: an address no answer gave has no name.
 *
 * Memory is fixed at dns_cache__new(): at most max_entries entries (about
 * 300 bytes each) in one pool, hashed with SipHash-2-4 under the caller's
 * random key, so answers crafted to share a bucket cannot turn look-ups
 * into walks of the table.  When the pool is full the least recently used
 * entry (put, or found by get) makes room, and is counted.
 *
 * Time is the caller's monotonic clock, given to every call.  An entry put
 * at t with a TTL of s seconds is found until t + s (exclusive), then gone.
 * TTLs are clamped to [DNS_CACHE_TTL_MIN_S, DNS_CACHE_TTL_MAX_S]: the floor
 * keeps a TTL-0 answer for the connection its process makes right after it
 * (a TTL says how long a resolver may reuse the answer, and the connection
 * that follows is not a reuse), at most one second past its TTL; the
 * ceiling only shortens.  A later answer for the same address in the same
 * namespace replaces the entry: the newest name wins, with its own TTL.
 */
#ifndef LIB_DNS_CACHE_H
#define LIB_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "lib/dns.h"
#include "snoop_abi.h"

/* Bytes of the hash key: give getrandom() bytes, or fixed ones in tests. */
#define DNS_CACHE_KEY_LEN 16
#define DNS_CACHE_TTL_MIN_S 1
#define DNS_CACHE_TTL_MAX_S 86400
/* The most entries a cache may be made for (about 300 MB). */
#define DNS_CACHE_ENTRIES_MAX (1u << 20)

struct dns_cache;

struct dns_cache_stats {
	uint64_t entries;  /* held now, expired ones not yet noticed included */
	uint64_t replaced; /* puts that found their address and replaced its name */
	uint64_t evicted;  /* live entries dropped to make room */
	uint64_t expired;  /* entries removed after their TTL */
};

/*
 * A cache of at most @max_entries (1 to DNS_CACHE_ENTRIES_MAX) entries,
 * hashed under @key.  NULL and errno (EINVAL, ENOMEM) on failure.
 */
struct dns_cache *dns_cache__new(size_t max_entries, const uint8_t key[DNS_CACHE_KEY_LEN]);

/*
 * Remember that @addr (IPv4 as ::ffff:a.b.c.d) is @name in namespace @netns
 * for @ttl_s seconds (clamped) from @now_ns.  0, or -EINVAL when @name is
 * "" or longer than DNS_NAME_MAX (it is stored as given: dns.c's names are
 * safe to print).
 */
int dns_cache__put(struct dns_cache *c, uint64_t netns, const uint8_t addr[SNOOP_ADDR_LEN],
		   const char *name, uint32_t ttl_s, uint64_t now_ns);

/* Every answer of @res under its name, as dns_cache__put() does.  0 or its first error. */
int dns_cache__put_result(struct dns_cache *c, uint64_t netns, const struct dns_result *res,
			  uint64_t now_ns);

/*
 * The name of @addr in namespace @netns at @now_ns, or NULL when there is
 * none, its TTL has passed (the entry is removed then), or @now_ns is
 * before the answer was put (a time the name was not known yet).  The string is the
 * cache's, valid until the next call on @c.
 */
const char *dns_cache__get(struct dns_cache *c, uint64_t netns, const uint8_t addr[SNOOP_ADDR_LEN],
			   uint64_t now_ns);

void dns_cache__stats(const struct dns_cache *c, struct dns_cache_stats *st);

/* NULL is fine. */
void dns_cache__free(struct dns_cache *c);

#endif /* LIB_DNS_CACHE_H */
