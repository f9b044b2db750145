/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fmt_log.h - record -> text for the log-line format (the seed's format).
 * Functions writing into caller buffers; no allocation, no stdio.  Two
 * settings (--thread-names, --fields), set once before the first line.
 */
#ifndef SNOOP_FMT_LOG_H
#define SNOOP_FMT_LOG_H

#include <stdbool.h>
#include "lib/text.h"
#include "snoop/output.h"

/* Local time "Dec 30 2024 22:05:25.454" of a wall-clock time in ns. */
void fmt_log_time(struct strbuf *sb, uint64_t wall_ns);

/* One log line for @e, newline-terminated; returns its length. */
size_t fmt_log_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns);

/* --thread-names: COMM= names the owner's thread, not its process (as the original tool). */
void fmt_log_set_thread_names(bool on);

struct resolved;
/*
 * Where the name after DST= comes from: what the socket's network namespace
 * resolved the remote address from (snoop/resolved.h), or NULL: none.
 */
void fmt_log_set_resolved(struct resolved *r);

struct cgroup_cache;
/*
 * --fields: @fields (a bit per SNOOP_LOG_FIELDS row) at the end of every
 * event line, the unit, container, runtime and pod read from @c (NULL:
 * those are "-").
 */
void fmt_log_set_fields(uint32_t fields, struct cgroup_cache *c);

/*
 * What a loss means to the user, without a newline: what happened, and
 * what helps ("a CPU's ring buffer (2 MiB) was full: ...; a larger
 * --buffer-size ... helps").  The log line's parenthesis and the JSON
 * object's message.  Returns its length.
 */
size_t fmt_loss_message(struct strbuf *sb, const struct snoop_loss *loss);

/* The "Events Lost: COUNT=n CAUSE=name (message)" line; returns its length. */
size_t fmt_log_lost(char *buf, size_t size, const struct snoop_loss *loss, uint64_t wall_ns);

#endif
