/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * rings.h - several BPF ring buffers read as one stream, in time order.
 *
 * socket-snoop's programs write their events to a ring per CPU: a shared ring
 * makes every CPU take one lock and pull the ring's positions from the others
 * (issue 14: half of a state program's run in make bench's storm).  Each
 * record starts with its time (bpf_ktime_get_ns(), CLOCK_MONOTONIC), and the
 * records of one socket are made in order: a transition's program has
 * finished, its record committed, before the socket's next transition takes
 * its time.  A drain first reads the clock, then how far each ring was
 * written, and hands on the records whose time is not later than that clock
 * reading (less a margin for the two clocks' reads), the oldest first: the
 * record before any of them on the same socket was committed before that
 * reading, so it is in its ring's part read, and goes first.  Later records
 * wait for the next drain.  Within a ring the order is the ring's (a program
 * interrupted by another on its CPU writes after it, with an earlier time).
 *
 * With one ring (the packet faces) every record is handed on in ring order,
 * as libbpf's reader would.
 */
#ifndef RINGS_H
#define RINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rings;

/* Called with each record: 0 to go on, a negative errno to stop the drain (returned by it). */
typedef int (*rings_record_fn)(void *ctx, void *data, size_t len);

/*
 * Read the BPF ring buffers @fds (@n of them, 1 to RINGS_MAX), handing their
 * records to @fn(@ctx).  0, or a negative errno (-EINVAL, -ENOMEM, mmap's).
 */
#define RINGS_MAX 4096
int rings__new(struct rings **out, const int *fds, size_t n, rings_record_fn fn, void *ctx);

/*
 * A ring laid out as the kernel maps it (tests): the consumer position,
 * the producer position, and @size bytes of data (a power of two) mapped twice
 * in a row, so that a record never wraps.
 */
struct rings_area {
	unsigned long *consumer;
	const unsigned long *producer;
	const uint8_t *data;
	uint64_t size;
};

/*
 * The CLOCK_MONOTONIC offset of a time namespace, in nanoseconds, from the text
 * of /proc/PID/timens_offsets; 0 when it names none (or makes no sense).
 * rings__new() reads ours: the records' times are the kernel's clock.
 */
int64_t rings__clock_offset(const char *text);

/* rings__new() over rings already mapped (@areas, kept by the caller). */
int rings__new_areas(struct rings **out, const struct rings_area *areas, size_t n,
		     rings_record_fn fn, void *ctx);

/*
 * Hand on the records written so far whose time is at most @now_ns less the
 * margin (RINGS_MARGIN_NS), oldest first (every record written so far with
 * @all, at the end); @now_ns must be read before the call.  Returns how
 * many were handed on, or the callback's negative errno.
 */
#define RINGS_MARGIN_NS 1000000ull
int rings__drain(struct rings *r, uint64_t now_ns, bool all);

/* Whether records wait in some ring (written, not handed on yet). */
bool rings__pending(const struct rings *r);

/* The number of rings, and ring @i's descriptor (-1 for rings__new_areas()). */
size_t rings__count(const struct rings *r);
int rings__fd(const struct rings *r, size_t i);

void rings__free(struct rings *r);

#endif
