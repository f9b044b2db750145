// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* lifecycle.c - bounded connection table and the exit report (see lifecycle.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/names.h"
#include "snoop/fmt_log.h"
#include "snoop/fmt_json.h"
#include "snoop/lifecycle.h"
#include "lib/tcp_fsm.h"

struct lc_transition {
	uint64_t wall_ns;
	uint8_t state;
};

struct lc_conn {
	uint64_t cookie;
	struct lc_conn *hnext;	       /* hash chain */
	struct lc_conn *older, *newer; /* age list, oldest first */
	uint8_t saddr[SNOOP_ADDR_LEN];
	uint8_t daddr[SNOOP_ADDR_LEN];
	uint16_t sport, dport;
	uint8_t last_state;
	uint8_t flags;	       /* enum snoop_sock_flags: direction */
	uint8_t listener;      /* a listening socket: no remote end */
	uint8_t seen_at_start; /* existed before socket-snoop started */
	uint8_t n;	       /* transitions kept */
	uint32_t skipped;      /* transitions beyond LIFECYCLE_MAX_TRANSITIONS */
	struct lc_transition t[LIFECYCLE_MAX_TRANSITIONS];
};

/* A connection seen at start-up, waiting for its first event. */
struct lc_snapshot {
	uint64_t cookie;
	uint64_t wall_ns;
	uint8_t state;
};

struct lifecycle {
	struct lc_snapshot *snaps; /* sorted by cookie once the first event arrives */
	uint32_t n_snaps, cap_snaps;
	bool snaps_sorted;
	struct lc_conn *pool; /* max_conns entries, allocated once */
	struct lc_conn **buckets;
	uint32_t n_buckets; /* power of two */
	uint32_t max_conns;
	uint32_t used;
	struct lc_conn *oldest, *newest;
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

static void lc_unlink(struct lifecycle *lc, struct lc_conn *c)
{
	struct lc_conn **pp = &lc->buckets[lc_hash(lc, c->cookie)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	if (c->older)
		c->older->newer = c->newer;
	else
		lc->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		lc->newest = c->older;
}

/* A fresh entry for @cookie, evicting the oldest connection when full. */
static struct lc_conn *lc_insert(struct lifecycle *lc, uint64_t cookie)
{
	struct lc_conn *c;
	uint32_t b;

	if (lc->used < lc->max_conns) {
		c = &lc->pool[lc->used++];
	} else {
		c = lc->oldest;
		lc_unlink(lc, c);
		lc->evicted++;
	}
	memset(c, 0, sizeof(*c));
	c->cookie = cookie;
	b = lc_hash(lc, cookie);
	c->hnext = lc->buckets[b];
	lc->buckets[b] = c;
	c->older = lc->newest;
	if (lc->newest)
		lc->newest->newer = c;
	else
		lc->oldest = c;
	lc->newest = c;
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
			c->t[0].wall_ns = snap->wall_ns;
			c->t[0].state = snap->state;
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
		c->t[c->n].wall_ns = wall_ns;
		c->t[c->n].state = e->new_state;
		c->n++;
	} else {
		c->skipped++;
	}
	return gap;
}

void lifecycle__report(const struct lifecycle *lc, FILE *out)
{
	char line[FMT_LINE_MAX];
	struct strbuf sb;

	fputs("\nConnection Lifecycles:\n", out);
	if (lc->evicted)
		fprintf(out, "(%llu earlier connections not shown)\n",
			(unsigned long long)lc->evicted);
	for (const struct lc_conn *c = lc->oldest; c; c = c->newer) {
		strbuf_init(&sb, line, sizeof(line));
		strbuf_str(&sb, "Connection: ");
		fmt_endpoint(&sb, c->saddr, c->sport);
		strbuf_str(&sb, " -> ");
		fmt_endpoint(&sb, c->daddr, c->dport);
		fprintf(out, "%s\n", line);
		for (int i = 0; i < c->n; i++) {
			strbuf_init(&sb, line, sizeof(line));
			strbuf_str(&sb, "  ");
			fmt_log_time(&sb, c->t[i].wall_ns);
			strbuf_str(&sb, ": ");
			strbuf_str(&sb, names__state_desc(c->t[i].state));
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
	p = fmt_json_put_ends(p, c->saddr, c->sport, c->daddr, c->dport, c->flags, c->listener);
	p = fmt_json_put_host(p);
	p = JSON_PUT(p, ",\"socket_snoop\":{\"schema\":\"" SNOOP_JSON_SCHEMA "\",\"cookie\":");
	p = fmt_put_u64(p, c->cookie);
	if (c->seen_at_start)
		p = JSON_PUT(p, ",\"seen_at_start\":true");
	p = JSON_PUT(p, ",\"transitions\":[");
	for (int i = 0; i < c->n; i++) {
		const char *desc = names__state_desc(c->t[i].state);
		struct strbuf ts;

		p = i ? JSON_PUT(p, ",{\"@timestamp\":\"") : JSON_PUT(p, "{\"@timestamp\":\"");
		strbuf_init(&ts, p, 40);
		fmt_rfc3339(&ts, c->t[i].wall_ns);
		p = JSON_PUT(ts.p, "\",\"state\":\"");
		p = fmt_json_put_state(p, c->t[i].state);
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
	for (const struct lc_conn *c = lc->oldest; c; c = c->newer) {
		p = put_conn_json(line, c, now_ns);
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
