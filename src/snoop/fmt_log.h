/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fmt_log.h - record -> text for the log-line format (the seed's format).
 * Pure functions writing into caller buffers; no allocation, no stdio.
 */
#ifndef SNOOP_FMT_LOG_H
#define SNOOP_FMT_LOG_H

#include "lib/text.h"

/* Local time "Dec 30 2024 22:05:25.454" of a wall-clock time in ns. */
void fmt_log_time(struct strbuf *sb, uint64_t wall_ns);

/* One log line for @e, newline-terminated; returns its length. */
size_t fmt_log_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns);

/* The "Events Lost: COUNT=n" line; returns its length. */
size_t fmt_log_lost(char *buf, size_t size, uint64_t count, uint64_t wall_ns);

#endif
