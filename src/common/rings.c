// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* rings.c - several BPF ring buffers read as one stream, in time order (see rings.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "common/procfs.h"
#include "common/rings.h"

struct ring {
	struct rings_area a;
	uint64_t mask;
	int fd;			   /* -1: areas given by the caller */
	void *cons_map, *prod_map; /* our mappings, or NULL */
	size_t cons_len, prod_len;
	uint64_t pos, end;    /* this drain: the next record, how far it was written */
	const uint32_t *head; /* the next record's header, or NULL: none ready */
	uint64_t head_ts;
	uint64_t fence; /* with a record still being written first: the oldest time behind it */
};

struct rings {
	rings_record_fn fn;
	void *ctx;
	int64_t clock_offset; /* our time namespace's CLOCK_MONOTONIC less the kernel's */
	/*
	 * A drain's rings whose head may be handed on, a min-heap by the head's
	 * time (then the ring's index): choosing the next record costs
	 * O(log rings), not a look at every ring's head, which a host of a
	 * hundred CPUs would pay for each record.
	 */
	struct ring **heap;
	size_t n;
	struct ring r[];
};

/* Whether @a's head goes before @b's: the older, or on a tie the ring first in the array. */
static bool head_before(const struct ring *a, const struct ring *b)
{
	return a->head_ts < b->head_ts || (a->head_ts == b->head_ts && a < b);
}

/* Move heap[@i] down to its place among the @n entries. */
static void heap_down(struct ring **heap, size_t n, size_t i)
{
	struct ring *g = heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && head_before(heap[c + 1], heap[c]))
			c++;
		if (!head_before(heap[c], g))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = g;
}

static uint64_t load_acquire(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Bytes a record of @len takes in the ring: its header, rounded up to 8. */
static uint64_t record_span(uint32_t len)
{
	return ((uint64_t)len + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
}

/* The time a record starts with (its first 8 bytes; 0 if shorter). */
static uint64_t record_ts(const uint32_t *hdr, uint32_t len)
{
	uint64_t ts = 0;

	if (len >= sizeof(ts))
		memcpy(&ts, (const uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, sizeof(ts));
	return ts;
}

/*
 * The oldest time of the records committed behind @g's record at @pos, which
 * is still being written (UINT64_MAX: none).  Such a record may have been
 * written by a program that interrupted the one writing it (a softirq on its
 * CPU), and a later record of its socket may be in another ring: nothing at
 * or after that time may be handed on before it.  Every header, even a busy
 * one, holds its record's length.
 */
static uint64_t ring_fence(const struct ring *g, uint64_t pos)
{
	uint64_t fence = UINT64_MAX;

	while (pos < g->end) {
		const uint32_t *hdr = (const uint32_t *)(g->a.data + (pos & g->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (!(len & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) &&
		    record_ts(hdr, size) < fence)
			fence = record_ts(hdr, size);
		pos += record_span(size);
	}
	return fence;
}

/*
 * Find @g's next record ready in this drain: skip the discarded ones (their
 * space given back at once), stop at one still being written (g->fence then
 * says what it holds back).  Sets g->head (NULL: none) and g->head_ts.
 */
static void ring_head(struct ring *g)
{
	g->head = NULL;
	g->fence = UINT64_MAX;
	while (g->pos < g->end) {
		const uint32_t *hdr = (const uint32_t *)(g->a.data + (g->pos & g->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT) {
			g->fence = ring_fence(g, g->pos);
			return;
		}
		if (len & BPF_RINGBUF_DISCARD_BIT) {
			g->pos += record_span(len & ~BPF_RINGBUF_DISCARD_BIT);
			__atomic_store_n(g->a.consumer, g->pos, __ATOMIC_RELEASE);
			continue;
		}
		g->head = hdr;
		g->head_ts = record_ts(hdr, len);
		return;
	}
}

/* A reader of @n rings, none mapped yet.  0, -EINVAL or -ENOMEM. */
static int rings_alloc(struct rings **out, size_t n, rings_record_fn fn, void *ctx)
{
	struct rings *r;

	if (!n || n > RINGS_MAX || !fn)
		return -EINVAL;
	r = calloc(1, sizeof(*r) + n * sizeof(r->r[0]));
	if (r)
		r->heap = calloc(n, sizeof(struct ring *));
	if (!r || !r->heap) {
		free(r);
		return -ENOMEM;
	}
	r->fn = fn;
	r->ctx = ctx;
	r->n = n;
	for (size_t i = 0; i < n; i++)
		r->r[i].fd = -1;
	*out = r;
	return 0;
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
	struct rings *r = NULL;
	int err = rings_alloc(&r, n, fn, ctx);

	for (size_t i = 0; !err && i < n; i++)
		err = ring_set(&r->r[i], &areas[i]);
	if (err) {
		rings__free(r);
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
	g->cons_len = page;
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

int64_t rings__clock_offset(const char *text)
{
	const char *p = text;
	long long sec, nsec;
	char *end;

	/* "monotonic <seconds> <nanoseconds>", the seconds signed, one line per clock. */
	while (p && strncmp(p, "monotonic ", 10) != 0) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return 0;
	errno = 0;
	sec = strtoll(p + 10, &end, 10);
	if (errno || end == p + 10)
		return 0;
	p = end;
	nsec = strtoll(p, &end, 10);
	/* A year either way at most: anything else is not a clock offset. */
	if (errno || end == p || nsec < 0 || nsec >= 1000000000 || sec < -31622400 ||
	    sec > 31622400)
		return 0;
	return (int64_t)sec * 1000000000 + nsec;
}

int rings__new(struct rings **out, const int *fds, size_t n, rings_record_fn fn, void *ctx)
{
	char offsets[256];
	struct rings *r = NULL;
	long page = sysconf(_SC_PAGESIZE);
	int err = rings_alloc(&r, n, fn, ctx);

	if (err)
		return err;
	for (size_t i = 0; !err && i < n; i++)
		err = ring_map(&r->r[i], fds[i], page > 0 ? (size_t)page : 4096);
	if (err) {
		rings__free(r);
		return err;
	}
	/*
	 * The records' times are the kernel's CLOCK_MONOTONIC; in a time
	 * namespace ours is offset from it (no such file: none).
	 */
	if (procfs__read("/proc/self/timens_offsets", offsets, sizeof(offsets)) > 0)
		r->clock_offset = rings__clock_offset(offsets);
	*out = r;
	return 0;
}

int rings__drain(struct rings *r, uint64_t now_ns, bool all)
{
	/* The kernel's clock: ours less our time namespace's offset. */
	uint64_t now = now_ns - (uint64_t)r->clock_offset;
	uint64_t until = now > RINGS_MARGIN_NS ? now - RINGS_MARGIN_NS : 0;
	size_t h = 0;
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
		/* Records behind one still being written hold back the later ones elsewhere. */
		if (g->fence <= until)
			until = g->fence ? g->fence - 1 : 0;
	}
	/* The rings with a head to hand on, ordered (heap_down from the last parent up). */
	for (size_t i = 0; i < r->n; i++)
		if (r->r[i].head && (all || r->r[i].head_ts <= until))
			r->heap[h++] = &r->r[i];
	for (size_t i = h / 2; i-- > 0;)
		heap_down(r->heap, h, i);
	while (h) {
		struct ring *best = r->heap[0];
		uint32_t len = __atomic_load_n(best->head, __ATOMIC_RELAXED);
		int err = r->fn(r->ctx, (uint8_t *)best->head + BPF_RINGBUF_HDR_SZ, len);

		best->pos += record_span(len);
		__atomic_store_n(best->a.consumer, best->pos, __ATOMIC_RELEASE);
		count++;
		if (err)
			return err;
		ring_head(best);
		/* Its next record in its place, or the ring out of this drain. */
		if (!best->head || (!all && best->head_ts > until))
			r->heap[0] = r->heap[--h];
		if (h)
			heap_down(r->heap, h, 0);
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
		if (r->r[i].cons_map)
			munmap(r->r[i].cons_map, r->r[i].cons_len);
		if (r->r[i].prod_map)
			munmap(r->r[i].prod_map, r->r[i].prod_len);
	}
	free(r->heap);
	free(r);
}
