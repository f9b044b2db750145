// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_rings.c - the event rings read as one stream: records of several rings
 * handed on oldest first, each ring's own order kept; the last moments left
 * for the next drain; records being written stop their ring and hold back
 * what is later than the records behind them, discarded ones are skipped;
 * the consumer positions tell the kernel what was read; a time namespace's
 * clock offset.  The
 * rings are laid out in memory as the kernel maps them (data twice in a row).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <linux/bpf.h>

#include "common/rings.h"

#define RING_SIZE 256 /* a power of two */
#define MAX_SEEN 64
#define MS 1000000ull

struct fake_ring {
	unsigned long consumer, producer;
	uint8_t data[2 * RING_SIZE];
};

/* What the callback saw: each record's time and its tag (its second 8 bytes). */
struct seen {
	uint64_t ts[MAX_SEEN];
	uint64_t tag[MAX_SEEN];
	int n;
	int fail_at; /* the callback returns -EIO for record number fail_at (1-based), 0: never */
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct seen *s = ctx;

	assert_int_equal(len, 16);
	assert_true(s->n < MAX_SEEN);
	memcpy(&s->ts[s->n], data, 8);
	memcpy(&s->tag[s->n], (uint8_t *)data + 8, 8);
	s->n++;
	return s->n == s->fail_at ? -EIO : 0;
}

/* Write @len bytes at ring position @pos, in both mappings of the data. */
static void ring_put(struct fake_ring *r, uint64_t pos, const void *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t at = (pos + i) & (RING_SIZE - 1);

		r->data[at] = ((const uint8_t *)p)[i];
		r->data[at + RING_SIZE] = ((const uint8_t *)p)[i];
	}
}

/* Append a 16-byte record (time @ts, tag @tag) with header flags @flags; its position. */
static uint64_t ring_push(struct fake_ring *r, uint64_t ts, uint64_t tag, uint32_t flags)
{
	uint32_t hdr[2] = { 16 | flags, 0 };
	uint64_t at = r->producer;

	ring_put(r, at, hdr, sizeof(hdr));
	ring_put(r, at + 8, &ts, 8);
	ring_put(r, at + 16, &tag, 8);
	r->producer += 24;
	return at;
}

/* The record at @pos is committed now. */
static void ring_commit(struct fake_ring *r, uint64_t pos)
{
	uint32_t len = 16;

	ring_put(r, pos, &len, sizeof(len));
}

/* The tags of the records seen, from the @from-th on, begin with the @n in @tags. */
static void assert_seen_from(const struct seen *s, int from, const uint64_t *tags, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(s->tag[from + i], tags[i]);
}

#define ASSERT_SEEN(s, from, ...)                                        \
	assert_seen_from((s), (from), (const uint64_t[]){ __VA_ARGS__ }, \
			 (int)(sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t)))

static struct rings *open_rings(struct fake_ring *f, size_t n, struct seen *s)
{
	struct rings_area a[4];
	struct rings *r = NULL;

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++) {
		a[i].consumer = &f[i].consumer;
		a[i].producer = &f[i].producer;
		a[i].data = f[i].data;
		a[i].size = RING_SIZE;
	}
	assert_int_equal(rings__new_areas(&r, a, n, on_record, s), 0);
	return r;
}

/* Records of two rings come out oldest first, and both rings are read to their ends. */
static void test_two_rings_merged_by_time(void **state)
{
	struct fake_ring f[2] = {};
	struct seen s = {};
	struct rings *r;

	(void)state;
	ring_push(&f[0], 10, 1, 0);
	ring_push(&f[0], 30, 3, 0);
	ring_push(&f[0], 50, 5, 0);
	ring_push(&f[1], 20, 2, 0);
	ring_push(&f[1], 40, 4, 0);
	r = open_rings(f, 2, &s);
	assert_int_equal(rings__drain(r, 100 * MS, false), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(s.tag[i], (uint64_t)i + 1);
	assert_int_equal(f[0].consumer, f[0].producer);
	assert_int_equal(f[1].consumer, f[1].producer);
	assert_false(rings__pending(r));
	rings__free(r);
}

/*
 * Records of the last moments (later than the drain's clock less the margin)
 * wait for the next drain: one may still be written elsewhere that comes
 * before them.  The drain at the end takes everything.
 */
static void test_last_moments_wait_for_the_next_drain(void **state)
{
	struct fake_ring f[2] = {};
	struct seen s = {};
	struct rings *r;
	uint64_t now = 100 * MS;

	(void)state;
	ring_push(&f[0], now - 2 * MS, 1, 0);
	ring_push(&f[0], now - RINGS_MARGIN_NS / 2, 3, 0);
	ring_push(&f[1], now - RINGS_MARGIN_NS - 1, 2, 0);
	r = open_rings(f, 2, &s);
	assert_int_equal(rings__drain(r, now, false), 2);
	ASSERT_SEEN(&s, 0, 1, 2);
	assert_true(rings__pending(r));
	/* Written meanwhile on the other CPU, earlier than the one waiting: it goes first. */
	ring_push(&f[1], now - RINGS_MARGIN_NS / 2 - 100, 4, 0);
	assert_int_equal(rings__drain(r, now + 10 * MS, false), 2);
	ASSERT_SEEN(&s, 2, 4, 3);
	ring_push(&f[0], now + 20 * MS, 5, 0);
	assert_int_equal(rings__drain(r, now + 10 * MS, false), 0);
	assert_int_equal(rings__drain(r, now + 10 * MS, true), 1);
	ASSERT_SEEN(&s, 4, 5);
	assert_false(rings__pending(r));
	rings__free(r);
}

/*
 * Within a ring its own order is kept, even where the times go back (a
 * program interrupted by another on its CPU writes after it).
 */
static void test_a_rings_order_is_kept(void **state)
{
	struct fake_ring f[2] = {};
	struct seen s = {};
	struct rings *r;

	(void)state;
	ring_push(&f[0], 30, 1, 0);
	ring_push(&f[0], 10, 2, 0);
	ring_push(&f[1], 20, 3, 0);
	r = open_rings(f, 2, &s);
	assert_int_equal(rings__drain(r, 100 * MS, false), 3);
	/* 20 is older than ring 0's head, 30 */
	ASSERT_SEEN(&s, 0, 3, 1, 2);
	rings__free(r);
}

/* A record still being written stops its ring there; discarded records are passed over. */
static void test_busy_stops_its_ring_discarded_are_skipped(void **state)
{
	struct fake_ring f[2] = {};
	struct seen s = {};
	struct rings *r;
	uint64_t busy;

	(void)state;
	ring_push(&f[0], 10, 1, 0);
	ring_push(&f[0], 15, 99, BPF_RINGBUF_DISCARD_BIT);
	busy = ring_push(&f[0], 20, 2, BPF_RINGBUF_BUSY_BIT);
	ring_push(&f[0], 25, 3, 0);
	ring_push(&f[1], 30, 4, 0);
	r = open_rings(f, 2, &s);
	assert_int_equal(rings__drain(r, 100 * MS, false), 2);
	ASSERT_SEEN(&s, 0, 1, 4);
	/* Read up to the record being written, the discarded one given back. */
	assert_int_equal(f[0].consumer, busy);
	assert_true(rings__pending(r));
	ring_commit(&f[0], busy);
	assert_int_equal(rings__drain(r, 100 * MS, false), 2);
	ASSERT_SEEN(&s, 2, 2, 3);
	assert_int_equal(f[0].consumer, f[0].producer);
	rings__free(r);
}

/*
 * A record still being written may have a record of an interrupting program
 * behind it, whose socket's next record is in another ring: nothing there as
 * late as it is handed on before it.
 */
static void test_busy_record_holds_back_later_records_elsewhere(void **state)
{
	struct fake_ring f[2] = {};
	struct seen s = {};
	struct rings *r;
	uint64_t busy;

	(void)state;
	busy = ring_push(&f[0], 5, 9, BPF_RINGBUF_BUSY_BIT);
	ring_push(&f[0], 10, 1, 0); /* the interrupting program's */
	ring_push(&f[1], 3, 7, 0);
	ring_push(&f[1], 20, 2, 0); /* that socket's next transition */
	r = open_rings(f, 2, &s);
	assert_int_equal(rings__drain(r, 100 * MS, false), 1);
	ASSERT_SEEN(&s, 0, 7);
	ring_commit(&f[0], busy);
	assert_int_equal(rings__drain(r, 100 * MS, false), 3);
	ASSERT_SEEN(&s, 1, 9, 1, 2);
	rings__free(r);
}

/* A time namespace's offset, from /proc/PID/timens_offsets; nonsense is no offset. */
static void test_clock_offset_of_a_time_namespace(void **state)
{
	(void)state;
	assert_int_equal(rings__clock_offset("monotonic           0         0\n"
					     "boottime            0         0\n"),
			 0);
	assert_int_equal(rings__clock_offset("boottime 5 0\nmonotonic        -100     250\n"),
			 -100 * 1000000000ll + 250);
	assert_int_equal(rings__clock_offset("monotonic 86400 5\n"), 86400 * 1000000000ll + 5);
	assert_int_equal(rings__clock_offset(""), 0);
	assert_int_equal(rings__clock_offset("monotonic x 0\n"), 0);
	assert_int_equal(rings__clock_offset("monotonic 1 1000000000\n"), 0);
	assert_int_equal(rings__clock_offset("monotonic 99999999999 0\n"), 0);
	assert_int_equal(rings__clock_offset("monotonicity 5 0\n"), 0);
}

/* One ring: every record in ring order, whatever its time (the packet faces). */
static void test_one_ring_is_read_whole_in_order(void **state)
{
	struct fake_ring f[1] = {};
	struct seen s = {};
	struct rings *r;

	(void)state;
	ring_push(&f[0], 500 * MS, 1, 0);
	ring_push(&f[0], 5, 2, 0);
	r = open_rings(f, 1, &s);
	assert_int_equal(rings__drain(r, 1, false), 2);
	ASSERT_SEEN(&s, 0, 1, 2);
	rings__free(r);
}

/* Records wrap around the end of the data (mapped twice): read whole. */
static void test_records_across_the_end_of_the_ring(void **state)
{
	struct fake_ring f[2] = {};
	struct seen s = {};
	struct rings *r;
	int n = 0;

	(void)state;
	r = open_rings(f, 2, &s);
	/* 24 bytes a record: the eleventh crosses the 256-byte end. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 8; i++, n++)
			ring_push(&f[i & 1], (uint64_t)n + 1, (uint64_t)n + 1, 0);
		assert_int_equal(rings__drain(r, 100 * MS, false), 8);
	}
	assert_int_equal(s.n, 24);
	for (int i = 0; i < 24; i++)
		assert_int_equal(s.tag[i], (uint64_t)i + 1);
	rings__free(r);
}

/* The callback's error stops the drain and is returned; its record counts as read. */
static void test_callback_error_stops_the_drain(void **state)
{
	struct fake_ring f[2] = {};
	struct seen s = { .fail_at = 2 };
	struct rings *r;

	(void)state;
	ring_push(&f[0], 10, 1, 0);
	ring_push(&f[1], 20, 2, 0);
	ring_push(&f[0], 30, 3, 0);
	r = open_rings(f, 2, &s);
	assert_int_equal(rings__drain(r, 100 * MS, false), -EIO);
	assert_int_equal(s.n, 2);
	assert_int_equal(f[1].consumer, f[1].producer);
	assert_int_equal(rings__drain(r, 100 * MS, false), 1);
	ASSERT_SEEN(&s, 2, 3);
	rings__free(r);
}

/* No rings, too many, no callback, a size that is not a power of two: -EINVAL. */
static void test_bad_arguments(void **state)
{
	struct fake_ring f = {};
	struct rings_area a = { &f.consumer, &f.producer, f.data, RING_SIZE };
	struct rings *r = NULL;
	int fd = -1;

	(void)state;
	assert_int_equal(rings__new_areas(&r, &a, 0, on_record, NULL), -EINVAL);
	assert_int_equal(rings__new_areas(&r, &a, RINGS_MAX + 1, on_record, NULL), -EINVAL);
	assert_int_equal(rings__new_areas(&r, &a, 1, NULL, NULL), -EINVAL);
	a.size = 100;
	assert_int_equal(rings__new_areas(&r, &a, 1, on_record, NULL), -EINVAL);
	assert_null(r);
	/* Not a ring buffer's descriptor. */
	assert_true(rings__new(&r, &fd, 1, on_record, NULL) < 0);
	assert_null(r);
}

/* What the many-rings test saw: each record's time and ring (its tag), in order. */
struct seen_many {
	uint64_t last_ts, last_tag;
	int n;
	bool in_order;
};

static int on_record_many(void *ctx, void *data, size_t len)
{
	struct seen_many *s = ctx;
	uint64_t ts, tag;

	(void)len;
	memcpy(&ts, data, 8);
	memcpy(&tag, (uint8_t *)data + 8, 8);
	/* Oldest first; on a tie, the ring first in the array. */
	if (s->n && (ts < s->last_ts || (ts == s->last_ts && tag < s->last_tag)))
		s->in_order = false;
	s->last_ts = ts;
	s->last_tag = tag;
	s->n++;
	return 0;
}

/*
 * Many rings (a host of many CPUs), each with records at times of its own,
 * some equal across rings, a few rings empty: every record comes out once,
 * oldest first, ties in ring order, and the last moments wait.
 */
static void test_many_rings_merged_in_order(void **state)
{
	enum { N = 67, PER = 10 };
	static struct fake_ring f[N];
	struct rings_area a[N];
	struct seen_many s = { .in_order = true };
	struct rings *r = NULL;
	uint64_t seed = 12345;
	int total = 0, late = 0;

	(void)state;
	memset(f, 0, sizeof(f));
	for (int i = 0; i < N; i++) {
		uint64_t ts = 1;

		for (int k = 0; i % 5 && k < PER; k++) {
			/* An increasing time of this ring, often shared with others. */
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			ts += (seed >> 33) % 4 * MS;
			ring_push(&f[i], ts, (uint64_t)i, 0);
			total++;
			late += ts > 30 * MS - MS;
		}
		a[i].consumer = &f[i].consumer;
		a[i].producer = &f[i].producer;
		a[i].data = f[i].data;
		a[i].size = RING_SIZE;
	}
	assert_int_equal(rings__new_areas(&r, a, N, on_record_many, &s), 0);
	/* Up to 29 ms now: those later wait. */
	assert_int_equal(rings__drain(r, 30 * MS, false), total - late);
	assert_true(s.in_order);
	assert_int_equal(rings__pending(r), late > 0);
	s.n = 0;
	assert_int_equal(rings__drain(r, 30 * MS, true), late);
	for (int i = 0; i < N; i++)
		assert_int_equal(f[i].consumer, f[i].producer);
	rings__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_rings_merged_by_time),
		cmocka_unit_test(test_last_moments_wait_for_the_next_drain),
		cmocka_unit_test(test_a_rings_order_is_kept),
		cmocka_unit_test(test_busy_stops_its_ring_discarded_are_skipped),
		cmocka_unit_test(test_busy_record_holds_back_later_records_elsewhere),
		cmocka_unit_test(test_clock_offset_of_a_time_namespace),
		cmocka_unit_test(test_one_ring_is_read_whole_in_order),
		cmocka_unit_test(test_records_across_the_end_of_the_ring),
		cmocka_unit_test(test_callback_error_stops_the_drain),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_many_rings_merged_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
