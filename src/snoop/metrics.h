/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * metrics.h - what socket-snoop counts for Prometheus from the events the
 * kernel delivered (after the in-kernel filters): connections opened and
 * closed, connect failures, retransmits, resets, bytes and segments at
 * close, connection duration and connect latency.  Counted per event in
 * user space with no allocation.  Low cardinality: labels are small closed
 * sets, never a PID, a port or an address.
 *
 * Written as families (struct metrics_family): each source of metrics
 * (these, the event pipeline, the process) lists its own, and the exporter
 * writes them all in name order, as the exposition writer (lib/prom.h)
 * requires.
 */
#ifndef SNOOP_METRICS_H
#define SNOOP_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "lib/prom.h"
#include "snoop_abi.h"

/* One metric family: its samples come from @samples(@ctx) once HELP and TYPE are written. */
struct metrics_family {
	const char *name;
	enum prom_type type;
	const char *help;
	int (*samples)(const void *ctx, struct prom *p, const char *name);
	const void *ctx;
};

struct metrics;

struct metrics *metrics__new(void);
void metrics__free(struct metrics *m);

/* Count one event (any kind). */
void metrics__event(struct metrics *m, const struct snoop_event *e);

/* The families of @m, in name order, in @out (room for METRICS_FAMILIES); their number. */
#define METRICS_FAMILIES 16
size_t metrics__families(const struct metrics *m, struct metrics_family *out);

#endif
