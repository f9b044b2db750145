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

/*
 * One DNS message of @m: @msg, @n bytes of it (maybe cut by the copy), from
 * the payload of a datagram or a TCP segment.
 */
static void one_message(struct resolved *r, const struct snoop_dns_msg *m, const uint8_t *msg,
			size_t n)
{
	struct dns_result res;
	struct query_key k;
	struct query_slot *slot;

	/* Its id is its first two bytes. */
	if (n < 2)
		return;
	memset(&k, 0, sizeof(k));
	k.netns = m->netns;
	k.client_port = m->client_port;
	k.txid = (uint16_t)(msg[0] << 8 | msg[1]);
	k.proto = m->proto;
	memcpy(k.client, m->client, sizeof(k.client));
	memcpy(k.server, m->server, sizeof(k.server));
	slot = query_slot(r, &k);
	if (!m->response) {
		/* The newest query takes the slot: one waiting longer is likelier answered already. */
		slot->key = k;
		slot->expires_ns = m->ts_ns + RESOLVED_QUERY_TTL_NS;
		r->st.queries++;
		return;
	}
	if (!slot->expires_ns || m->ts_ns >= slot->expires_ns ||
	    memcmp(&slot->key, &k, sizeof(k)) != 0) {
		r->st.unmatched++;
		return;
	}
	/*
	 * A TCP query is answered once: its slot is emptied, so that the bytes
	 * of a later segment that continues a long answer (taken for a message
	 * of its own below) cannot match it.
	 */
	if (m->proto == IPPROTO_TCP)
		slot->expires_ns = 0;
	if (dns_parse(msg, n, &res)) {
		r->st.malformed++;
		return;
	}
	r->st.answers++;
	r->st.names += res.count;
	dns_cache__put_result(r->names, m->netns, &res, m->ts_ns);
}

int resolved__message(struct resolved *r, const void *data, size_t len)
{
	const struct snoop_dns_msg *m = data;
	size_t head = offsetof(struct snoop_dns_msg, data), n, at = 0, msg_len;
	const uint8_t *msg;

	if (len < head || m->len > SNOOP_DNS_COPY || len < head + m->len)
		return -EINVAL;
	n = m->len;
	if (m->proto == IPPROTO_UDP) {
		one_message(r, m, m->data, n);
		return 0;
	}
	if (m->proto != IPPROTO_TCP)
		return 0;
	/*
	 * A segment's payload: its messages, the last maybe cut by the copy.  A
	 * segment that continues a message sent before is read the same way: its
	 * bytes make no sense as a message, match no query (a TCP query's slot
	 * is emptied by its answer), and count as unmatched.
	 */
	while (!dns_tcp_next(m->data, n, &at, &msg, &msg_len))
		one_message(r, m, msg, msg_len);
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
