// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* lifecycle.c - bounded connection table and the exit report (see lifecycle.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/names.h"
#include "snoop/fmt_log.h"
#include "snoop/fmt_json.h"
#include "snoop/lifecycle.h"
#include "lib/tcp_fsm.h"

/*
 * A connection.  What every event reads or writes (the hash chain, the
 * tuple, the last state, the count) is in the first cache line; the
 * transitions follow as two arrays, states and times, without the padding of
 * an array of pairs, and are never cleared: only the first n are kept.
 */
struct lc_conn {
	uint64_t cookie;
	struct lc_conn *hnext; /* hash chain */
	uint8_t saddr[SNOOP_ADDR_LEN];
	uint8_t daddr[SNOOP_ADDR_LEN];
	uint16_t sport, dport;
	uint8_t last_state;
	uint8_t flags;	       /* enum snoop_sock_flags: direction */
	uint8_t listener;      /* a listening socket: no remote end */
	uint8_t seen_at_start; /* existed before socket-snoop started */
	uint8_t n;	       /* transitions kept */
	uint32_t skipped;      /* transitions beyond LIFECYCLE_MAX_TRANSITIONS */
	/* The states entered, in order, and when. */
	uint8_t state[LIFECYCLE_MAX_TRANSITIONS];
	uint64_t wall_ns[LIFECYCLE_MAX_TRANSITIONS];
};

/* A connection seen at start-up, waiting for its first event. */
struct lc_snapshot {
	uint64_t cookie;
	uint64_t wall_ns;
	uint8_t state;
};

/*
 * Connections are never reordered once in (an event does not make one
 * younger), so the pool is a ring in age order: the next entry taken is the
 * oldest once the pool is full, and the report walks it from there.
 */
struct lifecycle {
	struct lc_snapshot *snaps; /* sorted by cookie once the first event arrives */
	uint32_t n_snaps, cap_snaps;
	bool snaps_sorted;
	struct lc_conn *pool; /* max_conns entries, allocated once */
	struct lc_conn **buckets;
	uint32_t n_buckets; /* power of two */
	uint32_t max_conns;
	uint32_t used;
	uint32_t next; /* the pool entry the next connection takes: the oldest once full */
	uint64_t evicted;
};

struct lifecycle *lifecycle__new(uint32_t max_conns)
{
	struct lifecycle *lc;

	if (!max_conns) {
		errno = EINVAL;
		return NULL;
	}
	lc = calloc(1, sizeof(*lc));
	if (!lc)
		return NULL;
	lc->max_conns = max_conns;
	lc->n_buckets = 1;
	while (lc->n_buckets < max_conns * 2)
		lc->n_buckets <<= 1;
	/* calloc'd pages stay untouched, so unused capacity costs no RSS. */
	lc->pool = calloc(max_conns, sizeof(*lc->pool));
	/* An array of pointers: sizeof(pointer) is meant. */
	// NOLINTNEXTLINE(bugprone-sizeof-expression)
	lc->buckets = calloc(lc->n_buckets, sizeof(*lc->buckets));
	if (!lc->pool || !lc->buckets) {
		lifecycle__free(lc);
		errno = ENOMEM;
		return NULL;
	}
	return lc;
}

static uint32_t lc_hash(const struct lifecycle *lc, uint64_t cookie)
{
	return (uint32_t)((cookie * 0x9E3779B97F4A7C15ull) >> 32) & (lc->n_buckets - 1);
}

static struct lc_conn *lc_find(const struct lifecycle *lc, uint64_t cookie)
{
	struct lc_conn *c = lc->buckets[lc_hash(lc, cookie)];

	while (c && c->cookie != cookie)
		c = c->hnext;
	return c;
}

/* Take @c out of its hash chain. */
static void lc_unlink(struct lifecycle *lc, struct lc_conn *c)
{
	struct lc_conn **pp = &lc->buckets[lc_hash(lc, c->cookie)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
}

/* A fresh entry for @cookie, evicting the oldest connection when full. */
static struct lc_conn *lc_insert(struct lifecycle *lc, uint64_t cookie)
{
	struct lc_conn *c = &lc->pool[lc->next];
	uint32_t b;

	if (lc->used < lc->max_conns) {
		lc->used++;
	} else {
		lc_unlink(lc, c);
		lc->evicted++;
	}
	lc->next = lc->next + 1 < lc->max_conns ? lc->next + 1 : 0;
	/* The header only: transitions past n are never read. */
	memset(c, 0, offsetof(struct lc_conn, state));
	c->cookie = cookie;
	b = lc_hash(lc, cookie);
	c->hnext = lc->buckets[b];
	lc->buckets[b] = c;
	return c;
}

int lifecycle__add_snapshot(struct lifecycle *lc, const struct snoop_event *e, uint64_t wall_ns)
{
	if (lc->n_snaps == lc->cap_snaps) {
		uint32_t cap = lc->cap_snaps ? lc->cap_snaps * 2 : 256;
		struct lc_snapshot *n = realloc(lc->snaps, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		lc->snaps = n;
		lc->cap_snaps = cap;
	}
	lc->snaps[lc->n_snaps++] = (struct lc_snapshot){ e->cookie, wall_ns, e->new_state };
	lc->snaps_sorted = false;
	return 0;
}

static int snap_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct lc_snapshot *)a)->cookie;
	uint64_t y = ((const struct lc_snapshot *)b)->cookie;

	return x < y ? -1 : x > y;
}

/* The start-up record of @cookie, or NULL. */
static const struct lc_snapshot *lc_snapshot_find(struct lifecycle *lc, uint64_t cookie)
{
	struct lc_snapshot key = { .cookie = cookie };

	if (!lc->n_snaps)
		return NULL;
	if (!lc->snaps_sorted) {
		qsort(lc->snaps, lc->n_snaps, sizeof(*lc->snaps), snap_cmp);
		lc->snaps_sorted = true;
	}
	return bsearch(&key, lc->snaps, lc->n_snaps, sizeof(*lc->snaps), snap_cmp);
}

int lifecycle__add(struct lifecycle *lc, const struct snoop_event *e, uint64_t wall_ns)
{
	struct lc_conn *c = lc_find(lc, e->cookie);
	int gap = 0;

	if (!c) {
		const struct lc_snapshot *snap = lc_snapshot_find(lc, e->cookie);

		c = lc_insert(lc, e->cookie);
		if (snap) {
			c->seen_at_start = 1;
			c->wall_ns[0] = snap->wall_ns;
			c->state[0] = snap->state;
			c->n = 1;
			c->last_state = snap->state;
			c->listener = snap->state == SNOOP_TCP_LISTEN;
			gap = snap->state != e->old_state;
		}
	} else if (c->last_state && c->last_state != e->old_state) {
		gap = 1;
	}
	/* Keep the final tuple: the SYN_SENT moment has local port 0. */
	if (e->sport || !c->sport) {
		memcpy(c->saddr, e->saddr, sizeof(c->saddr));
		memcpy(c->daddr, e->daddr, sizeof(c->daddr));
		c->sport = e->sport;
		c->dport = e->dport;
	}
	c->last_state = e->new_state;
	c->flags |= e->flags & (SNOOP_SF_ACTIVE | SNOOP_SF_PASSIVE);
	c->listener |= tcp_fsm__listener(e->old_state, e->new_state);
	if (c->n < LIFECYCLE_MAX_TRANSITIONS) {
		c->wall_ns[c->n] = wall_ns;
		c->state[c->n] = e->new_state;
		c->n++;
	} else {
		c->skipped++;
	}
	return gap;
}

/* The @i-th connection from the oldest (@i < lc->used). */
static const struct lc_conn *lc_nth_oldest(const struct lifecycle *lc, uint32_t i)
{
	uint32_t oldest = lc->used < lc->max_conns ? 0 : lc->next;

	return &lc->pool[(oldest + i) % lc->max_conns];
}

void lifecycle__report(const struct lifecycle *lc, FILE *out)
{
	char line[FMT_LINE_MAX];
	struct strbuf sb;

	fputs("\nConnection Lifecycles:\n", out);
	if (lc->evicted)
		fprintf(out, "(%llu earlier connections not shown)\n",
			(unsigned long long)lc->evicted);
	for (uint32_t k = 0; k < lc->used; k++) {
		const struct lc_conn *c = lc_nth_oldest(lc, k);

		strbuf_init(&sb, line, sizeof(line));
		strbuf_str(&sb, "Connection: ");
		fmt_endpoint(&sb, c->saddr, c->sport);
		strbuf_str(&sb, " -> ");
		fmt_endpoint(&sb, c->daddr, c->dport);
		fprintf(out, "%s\n", line);
		for (int i = 0; i < c->n; i++) {
			strbuf_init(&sb, line, sizeof(line));
			strbuf_str(&sb, "  ");
			fmt_log_time(&sb, c->wall_ns[i]);
			strbuf_str(&sb, ": ");
			strbuf_str(&sb, names__state_desc(c->state[i]));
			if (i == 0 && c->seen_at_start)
				strbuf_str(&sb, " (seen at start)");
			fprintf(out, "%s\n", line);
		}
		if (c->skipped)
			fprintf(out, "  (%u more transitions not shown)\n", c->skipped);
	}
}

/* The widest transition member: time, the longest state name and description. */
#define LC_JSON_TRANSITION_MAX 160
_Static_assert(512 + FMT_JSON_HOST_MEMBER_MAX +
			       LIFECYCLE_MAX_TRANSITIONS * LC_JSON_TRANSITION_MAX <=
		       FMT_LINE_MAX,
	       "a lifecycle object fits a line");

/* One connection's lifecycle object at @p (FMT_LINE_MAX of room). */
static char *put_conn_json(char *p, const struct lc_conn *c, uint64_t now_ns)
{
	p = fmt_json_put_head(p, now_ns, "lifecycle");
	*p++ = '}';
	p = fmt_json_put_ends(p, c->saddr, c->sport, c->daddr, c->dport, c->flags, c->listener,
			      NULL);
	p = fmt_json_put_host(p);
	p = JSON_PUT(p, ",\"socket_snoop\":{\"schema\":\"" SNOOP_JSON_SCHEMA "\",\"cookie\":");
	p = fmt_put_u64(p, c->cookie);
	if (c->seen_at_start)
		p = JSON_PUT(p, ",\"seen_at_start\":true");
	p = JSON_PUT(p, ",\"transitions\":[");
	for (int i = 0; i < c->n; i++) {
		const char *desc = names__state_desc(c->state[i]);

		p = i ? JSON_PUT(p, ",{\"@timestamp\":\"") : JSON_PUT(p, "{\"@timestamp\":\"");
		p = fmt_put_rfc3339(p, c->wall_ns[i]);
		p = JSON_PUT(p, "\",\"state\":\"");
		p = fmt_json_put_state(p, c->state[i]);
		p = JSON_PUT(p, "\",\"description\":\"");
		p = json_put_escaped(p, desc, strlen(desc));
		p = JSON_PUT(p, "\"}");
	}
	*p++ = ']';
	if (c->skipped) {
		p = JSON_PUT(p, ",\"transitions_not_shown\":");
		p = fmt_put_u64(p, c->skipped);
	}
	return JSON_PUT(p, "}}");
}

void lifecycle__report_json(const struct lifecycle *lc, FILE *out, uint64_t now_ns)
{
	char line[FMT_LINE_MAX];
	char *p;

	if (lc->evicted) {
		p = fmt_json_put_head(line, now_ns, "lifecycle_truncated");
		*p++ = '}';
		p = fmt_json_put_host(p);
		p = JSON_PUT(p, ",\"socket_snoop\":{\"schema\":\"" SNOOP_JSON_SCHEMA
				"\",\"connections_not_shown\":");
		p = fmt_put_u64(p, lc->evicted);
		p = JSON_PUT(p, "}}");
		fprintf(out, "%.*s\n", (int)(p - line), line);
	}
	for (uint32_t k = 0; k < lc->used; k++) {
		p = put_conn_json(line, lc_nth_oldest(lc, k), now_ns);
		fprintf(out, "%.*s\n", (int)(p - line), line);
	}
}

uint64_t lifecycle__evicted(const struct lifecycle *lc)
{
	return lc->evicted;
}

void lifecycle__free(struct lifecycle *lc)
{
	if (!lc)
		return;
	free(lc->pool);
	free(lc->buckets);
	free(lc->snaps);
	free(lc);
}
