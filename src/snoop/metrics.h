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

/* The @n families @f, each with @ctx as its samples' context, into @out; returns @n. */
size_t metrics_families_bind(const struct metrics_family *f, size_t n, const void *ctx,
			     struct metrics_family *out);

/* The most commands --metrics-labels=comm may show. */
#define METRICS_COMM_TOP_MAX 100

/*
 * @comm_top: 0 for no comm label; else connections opened and closed,
 * connect failures and retransmits get a comm label, with a
 * series for each of at most @comm_top commands and "other" for the rest
 * (see metrics__show_commands()).  NULL without memory.
 */
struct metrics *metrics__new(unsigned int comm_top);
void metrics__free(struct metrics *m);

/* Count one event (any kind). */
void metrics__event(struct metrics *m, const struct snoop_event *e);

/*
 * Give the commands with the most events so far a series of their own,
 * until @comm_top have one; called before each scrape.  A command keeps its
 * series once given (a counter must not go down, and "other" is one too), so
 * it counts from then on: what it did before is in "other".  Commands that
 * first appear after 768 others, and those whose names are not printable
 * ASCII or are "other", are counted in "other" only.
 */
void metrics__show_commands(struct metrics *m);

/* The families of @m, in name order, in @out (room for METRICS_FAMILIES); their number. */
#define METRICS_FAMILIES 16
size_t metrics__families(const struct metrics *m, struct metrics_family *out);

#endif
