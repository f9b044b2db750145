/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * output.h - socket-snoop's output formats behind one interface, chosen once
 * at start-up: each turns an event, a loss count and the lifecycle report
 * into text, and says how diagnostics are written.  Log lines (the seed's
 * format) and JSON Lines (ECS) are the two; a third (say OTLP JSON) is one
 * more `struct output_format` and a row in output.c, and the face is not
 * touched.
 */
#ifndef SNOOP_OUTPUT_H
#define SNOOP_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "snoop_abi.h"

struct lifecycle;

/* Events of one cause the kernel could not deliver since the last report, and what helps. */
struct snoop_loss {
	int cause; /* enum snoop_loss_cause */
	uint64_t count;
	uint64_t ring_bytes; /* the size of a CPU's ring buffer */
	uint64_t away_ms;    /* the longest the reader left the ring unread meanwhile */
};

struct output_format {
	const char *name;      /* "log", "json" */
	bool json_diagnostics; /* diagnostics on stderr as JSON objects (diag.h) */
	/* One event as a newline-terminated line in @buf; its length.  @seq counts events. */
	size_t (*event)(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns,
			uint64_t seq);
	/* Events the kernel could not deliver, their cause and the remedy, as a line; its length. */
	size_t (*lost)(char *buf, size_t size, const struct snoop_loss *loss, uint64_t wall_ns,
		       uint64_t seq);
	/* The lifecycle report at exit, to @out. */
	void (*report)(const struct lifecycle *lc, FILE *out, uint64_t wall_ns);
};

/* The format --json (@json) or its absence asks for. */
const struct output_format *output_format__get(bool json);

#endif
