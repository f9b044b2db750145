// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* rings.c - several BPF ring buffers read as one stream, in time order (see rings.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "common/rings.h"

struct ring {
	struct rings_area a;
	uint64_t mask;
	int fd;			   /* -1: areas given by the caller */
	void *cons_map, *prod_map; /* our mappings, or NULL */
	size_t prod_len;
	uint64_t pos, end;    /* this drain: the next record, how far it was written */
	const uint32_t *head; /* the next record's header, or NULL: none ready */
	uint64_t head_ts;
};

struct rings {
	rings_record_fn fn;
	void *ctx;
	size_t n;
	struct ring r[];
};

static uint64_t load_acquire(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Bytes a record of @len takes in the ring: its header, rounded up to 8. */
static uint64_t record_span(uint32_t len)
{
	return ((uint64_t)len + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
}

/*
 * Find @g's next record ready in this drain: skip the discarded ones (their
 * space given back at once), stop at one still being written.  Sets g->head
 * (NULL: none) and g->head_ts (the record's first 8 bytes, 0 if shorter).
 */
static void ring_head(struct ring *g)
{
	g->head = NULL;
	while (g->pos < g->end) {
		const uint32_t *hdr = (const uint32_t *)(g->a.data + (g->pos & g->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			return;
		if (len & BPF_RINGBUF_DISCARD_BIT) {
			g->pos += record_span(len & ~BPF_RINGBUF_DISCARD_BIT);
			__atomic_store_n(g->a.consumer, g->pos, __ATOMIC_RELEASE);
			continue;
		}
		g->head = hdr;
		g->head_ts = 0;
		if (len >= sizeof(uint64_t))
			memcpy(&g->head_ts, (const uint8_t *)hdr + BPF_RINGBUF_HDR_SZ,
			       sizeof(g->head_ts));
		return;
	}
}

static struct rings *rings_alloc(size_t n, rings_record_fn fn, void *ctx)
{
	struct rings *r;

	if (!n || n > RINGS_MAX || !fn)
		return NULL;
	r = calloc(1, sizeof(*r) + n * sizeof(r->r[0]));
	if (!r)
		return NULL;
	r->fn = fn;
	r->ctx = ctx;
	r->n = n;
	for (size_t i = 0; i < n; i++)
		r->r[i].fd = -1;
	return r;
}

static int ring_set(struct ring *g, const struct rings_area *a)
{
	if (!a->consumer || !a->producer || !a->data || !a->size || (a->size & (a->size - 1)))
		return -EINVAL;
	g->a = *a;
	g->mask = a->size - 1;
	return 0;
}

int rings__new_areas(struct rings **out, const struct rings_area *areas, size_t n,
		     rings_record_fn fn, void *ctx)
{
	struct rings *r = rings_alloc(n, fn, ctx);
	int err = r ? 0 : (n && n <= RINGS_MAX && fn ? -ENOMEM : -EINVAL);

	for (size_t i = 0; !err && i < n; i++)
		err = ring_set(&r->r[i], &areas[i]);
	if (err) {
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

/* Map ring @fd as libbpf does: its consumer page writable, the rest read-only. */
static int ring_map(struct ring *g, int fd, size_t page)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct rings_area a;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	g->cons_map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (g->cons_map == MAP_FAILED) {
		g->cons_map = NULL;
		return -errno;
	}
	/* The producer's page, then the data mapped twice. */
	g->prod_len = page + 2 * (size_t)info.max_entries;
	g->prod_map = mmap(NULL, g->prod_len, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (g->prod_map == MAP_FAILED) {
		g->prod_map = NULL;
		return -errno;
	}
	a.consumer = g->cons_map;
	a.producer = g->prod_map;
	a.data = (const uint8_t *)g->prod_map + page;
	a.size = info.max_entries;
	g->fd = fd;
	return ring_set(g, &a);
}

int rings__new(struct rings **out, const int *fds, size_t n, rings_record_fn fn, void *ctx)
{
	struct rings *r = rings_alloc(n, fn, ctx);
	long page = sysconf(_SC_PAGESIZE);
	int err = 0;

	if (!r)
		return n && n <= RINGS_MAX && fn ? -ENOMEM : -EINVAL;
	for (size_t i = 0; !err && i < n; i++)
		err = ring_map(&r->r[i], fds[i], page > 0 ? (size_t)page : 4096);
	if (err) {
		rings__free(r);
		return err;
	}
	*out = r;
	return 0;
}

int rings__drain(struct rings *r, uint64_t now_ns, bool all)
{
	uint64_t until = now_ns > RINGS_MARGIN_NS ? now_ns - RINGS_MARGIN_NS : 0;
	int count = 0;

	/* With one ring its order is the only one: no record waits. */
	if (r->n == 1)
		all = true;
	for (size_t i = 0; i < r->n; i++) {
		struct ring *g = &r->r[i];

		/* We are its only reader: the consumer position is ours. */
		g->pos = load_acquire(g->a.consumer);
		g->end = load_acquire(g->a.producer);
		ring_head(g);
	}
	for (;;) {
		struct ring *best = NULL;
		uint32_t len;
		int err;

		for (size_t i = 0; i < r->n; i++) {
			struct ring *g = &r->r[i];

			if (!g->head || (!all && g->head_ts > until))
				continue;
			if (!best || g->head_ts < best->head_ts)
				best = g;
		}
		if (!best)
			break;
		len = __atomic_load_n(best->head, __ATOMIC_RELAXED);
		err = r->fn(r->ctx, (uint8_t *)best->head + BPF_RINGBUF_HDR_SZ, len);
		best->pos += record_span(len);
		__atomic_store_n(best->a.consumer, best->pos, __ATOMIC_RELEASE);
		count++;
		if (err)
			return err;
		ring_head(best);
	}
	return count;
}

bool rings__pending(const struct rings *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (load_acquire(r->r[i].a.producer) != load_acquire(r->r[i].a.consumer))
			return true;
	return false;
}

size_t rings__count(const struct rings *r)
{
	return r->n;
}

int rings__fd(const struct rings *r, size_t i)
{
	return i < r->n ? r->r[i].fd : -1;
}

void rings__free(struct rings *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		long page = sysconf(_SC_PAGESIZE);

		if (r->r[i].cons_map)
			munmap(r->r[i].cons_map, page > 0 ? (size_t)page : 4096);
		if (r->r[i].prod_map)
			munmap(r->r[i].prod_map, r->r[i].prod_len);
	}
	free(r);
}
