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
	/* About once a second: loss counters, log file checks; nonzero stops the loop. */
	int (*on_tick)(void *ctx);
	/* SIGHUP: reopen outputs. */
	void (*on_hangup)(void *ctx);
};

/*
 * Run until SIGINT, SIGTERM, @duration_s seconds (0: no limit) or a
 * callback asks to stop.  Drains the ring buffer before returning.
 * Returns 0 or a negative errno.
 */
int loop__run(int ringbuf_fd, uint64_t duration_s, const struct loop_callbacks *cb, void *ctx);

#endif
