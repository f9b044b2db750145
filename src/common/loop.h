/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * loop.h - the one event loop: ring buffer, signals (signalfd) and timers
 * (timerfd) on one epoll set.  The face supplies what happens on each.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stddef.h>
#include <stdint.h>

struct loop_callbacks {
	/* One ring buffer record; a negative return stops the loop with that error. */
	int (*on_event)(void *ctx, void *data, size_t len);
	/* After each drained batch of records: flush outputs. */
	void (*on_batch)(void *ctx);
	/* About once a second (optional): loss counters, log file checks; nonzero stops the loop. */
	int (*on_tick)(void *ctx);
	/* SIGHUP (optional): reopen outputs. */
	void (*on_hangup)(void *ctx);
};

/* A descriptor of the face's own in the loop: @on_ready(@ctx) each time it is readable. */
struct loop_fd {
	int fd;
	void (*on_ready)(void *ctx);
	void *ctx;
};

/*
 * A second ring buffer whose records come before the main ring's: each one
 * is given to @on_record(@ctx) before any record of the main ring written
 * after it (socket-snoop's DNS answers, before the connects they led to).
 */
struct loop_ring {
	int fd;
	int (*on_record)(void *ctx, void *data, size_t len);
	void *ctx;
};

/*
 * Hold SIGINT, SIGTERM and SIGHUP from the very start, for the loop's
 * signalfd: a signal that comes while the programs load (a SIGHUP from
 * logrotate, a SIGTERM) is taken by the loop instead of killing us.
 * 0 or a negative errno.
 */
int loop__hold_signals(void);

/*
 * Raise the reader's priority to nice -10 (see loop.c).  Called by caps__drop()
 * while CAP_SYS_NICE is still held; without it this changes nothing.
 */
void loop__raise_priority(void);

/*
 * Run until SIGINT, SIGTERM, @duration_s seconds (0: no limit) or a
 * callback asks to stop, reading the @n_rings ring buffers @ring_fds as one
 * stream in time order (common/rings.h).  @extra (or NULL) is watched too: an
 * epoll fd of its own, so that however many clients it serves it is one
 * source here and the rings are read between its turns.  @first (or NULL)
 * is read as struct loop_ring says.  Drains the ring buffers before
 * returning.  Returns 0 or a negative errno.
 */
int loop__run(const int *ring_fds, size_t n_rings, uint64_t duration_s,
	      const struct loop_callbacks *cb, void *ctx, const struct loop_fd *extra,
	      const struct loop_ring *first);

#endif
