// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* resolved.c - DNS answers to per-namespace host names (see resolved.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>

#include "lib/dns.h"
#include "lib/dns_cache.h"
#include "snoop/resolved.h"

/* What ties a response to its query: where it went, from where, with which id. */
struct query_key {
	uint32_t netns;
	uint16_t client_port;
	uint16_t txid;
	uint8_t proto;
	uint8_t pad[3];
	uint8_t client[SNOOP_ADDR_LEN];
	uint8_t server[SNOOP_ADDR_LEN];
};

struct query_slot {
	struct query_key key;
	uint64_t expires_ns; /* 0: empty */
};

struct resolved {
	struct dns_cache *names;
	uint64_t seed;
	struct resolved_stats st;
	struct query_slot queries[RESOLVED_QUERY_SLOTS];
};

int resolved__new(struct resolved **out)
{
	uint8_t key[DNS_CACHE_KEY_LEN];
	struct resolved *r;

	/* Keys no local user can guess: their queries cannot be made to collide. */
	if (getrandom(key, sizeof(key), 0) != sizeof(key))
		return -EIO;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->names = dns_cache__new(RESOLVED_NAMES, key);
	if (!r->names) {
		free(r);
		return -ENOMEM;
	}
	memcpy(&r->seed, key, sizeof(r->seed));
	r->seed |= 1;
	*out = r;
	return 0;
}

void resolved__free(struct resolved *r)
{
	if (!r)
		return;
	dns_cache__free(r->names);
	free(r);
}

/* The slot of @k: FNV-1a over its bytes from the random seed. */
static struct query_slot *query_slot(struct resolved *r, const struct query_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull ^ r->seed;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return &r->queries[(h ^ (h >> 32)) & (RESOLVED_QUERY_SLOTS - 1)];
}

int resolved__message(struct resolved *r, const void *data, size_t len)
{
	const struct snoop_dns_msg *m = data;
	size_t head = offsetof(struct snoop_dns_msg, data), n;
	struct dns_result res;
	struct query_key k;
	struct query_slot *slot;

	if (len < head || m->len > SNOOP_DNS_COPY || len < head + m->len)
		return -EINVAL;
	n = m->len;
	/* The BPF side copies UDP messages only (dns.bpf.h): the id is the first two bytes. */
	if (m->proto != IPPROTO_UDP || n < 2)
		return 0;
	memset(&k, 0, sizeof(k));
	k.netns = m->netns;
	k.client_port = m->client_port;
	k.txid = (uint16_t)(m->data[0] << 8 | m->data[1]);
	k.proto = m->proto;
	memcpy(k.client, m->client, sizeof(k.client));
	memcpy(k.server, m->server, sizeof(k.server));
	slot = query_slot(r, &k);
	if (!m->response) {
		/* The newest query takes the slot: one waiting longer is likelier answered already. */
		slot->key = k;
		slot->expires_ns = m->ts_ns + RESOLVED_QUERY_TTL_NS;
		r->st.queries++;
		return 0;
	}
	if (!slot->expires_ns || m->ts_ns >= slot->expires_ns ||
	    memcmp(&slot->key, &k, sizeof(k)) != 0) {
		r->st.unmatched++;
		return 0;
	}
	if (dns_parse(m->data, n, &res)) {
		r->st.malformed++;
		return 0;
	}
	r->st.answers++;
	r->st.names += res.count;
	dns_cache__put_result(r->names, m->netns, &res, m->ts_ns);
	return 0;
}

const char *resolved__name(struct resolved *r, uint32_t netns, const uint8_t addr[SNOOP_ADDR_LEN],
			   uint64_t ts_ns)
{
	/* Until a name is known, the events (all of a storm's, maybe) cost no hash each. */
	if (!r->st.names)
		return NULL;
	return dns_cache__get(r->names, netns, addr, ts_ns);
}

void resolved__stats(const struct resolved *r, struct resolved_stats *st)
{
	*st = r->st;
}
