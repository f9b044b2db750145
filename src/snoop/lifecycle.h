/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lifecycle.h - the connection table behind the exit report: per socket
 * cookie, the final tuple and its transitions in order.  Memory is bounded:
 * the oldest connections are evicted first and counted in the report.
 */
#ifndef LIFECYCLE_H
#define LIFECYCLE_H

#include <stdint.h>
#include <stdio.h>
#include "snoop_abi.h"

#define LIFECYCLE_MAX_TRANSITIONS 12

struct lifecycle;

/* A table of at most @max_conns connections.  NULL and errno on failure. */
struct lifecycle *lifecycle__new(uint32_t max_conns);

/*
 * Add a state event.  Returns 1 when the event's old state is not the last
 * state seen for that connection (an event in between was not delivered), else 0.
 */
int lifecycle__add(struct lifecycle *lc, const struct snoop_event *e, uint64_t wall_ns);

/*
 * Remember a connection that existed at start-up (@e from the snapshot).  It
 * enters the report, its first line marked "(seen at start)", once an event
 * of it arrives: only then is it known to pass the in-kernel filters.
 */
int lifecycle__add_snapshot(struct lifecycle *lc, const struct snoop_event *e, uint64_t wall_ns);

/* Write the seed's "Connection Lifecycles:" report. */
void lifecycle__report(const struct lifecycle *lc, FILE *out);

/* The same report as JSON Lines: one object per connection, made at @now_ns. */
void lifecycle__report_json(const struct lifecycle *lc, FILE *out, uint64_t now_ns);

/* Connections evicted to keep memory bounded. */
uint64_t lifecycle__evicted(const struct lifecycle *lc);

/* NULL is fine. */
void lifecycle__free(struct lifecycle *lc);

#endif
