/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * resolved.h - the host names the processes of each network namespace
 * asked for (issue 15): DNS queries and responses copied by the BPF side
 * (struct snoop_dns_msg), a response taken only when it answers a query
 * seen before (same namespace, transaction id, addresses and ports), parsed
 * (lib/dns.c) into an address -> name cache that keeps each name its TTL
 * (lib/dns_cache.c).  Bounded memory; never a look-up of our own.
 */
#ifndef SNOOP_RESOLVED_H
#define SNOOP_RESOLVED_H

#include <stddef.h>
#include <stdint.h>
#include "snoop_abi.h"

#define RESOLVED_QUERY_SLOTS 4096	     /* outstanding queries: a power of two */
#define RESOLVED_QUERY_TTL_NS 10000000000ull /* a query is answered within 10 s or never */
#define RESOLVED_NAMES 16384		     /* addresses with a name, all namespaces */

struct resolved_stats {
	uint64_t queries; /* queries seen */
	uint64_t answers; /* responses that answered a query and parsed */
	uint64_t unmatched; /* responses that answered no query seen: forged, late, or its query lost */
	uint64_t malformed; /* responses that answered a query but did not parse */
	uint64_t names;	    /* addresses given a name */
};

struct resolved;

/* An empty one (its hash keys from getrandom()).  0, or a negative errno. */
int resolved__new(struct resolved **out);
void resolved__free(struct resolved *r);

/* One record of the dns ring (@len bytes at @data).  0, or -EINVAL for a short record. */
int resolved__message(struct resolved *r, const void *data, size_t len);

/*
 * The name address @addr had in network namespace @netns at @ts_ns (an
 * event's time, CLOCK_MONOTONIC), or NULL.  Valid until the next call.
 */
const char *resolved__name(struct resolved *r, uint32_t netns, const uint8_t addr[SNOOP_ADDR_LEN],
			   uint64_t ts_ns);

void resolved__stats(const struct resolved *r, struct resolved_stats *st);

#endif
