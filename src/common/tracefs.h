/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tracefs.h - the perf id of a classic tracepoint ("events/<subsystem>/<name>/id"
 * of tracefs), which perf_event_open(2) wants: for the kernel's own counters
 * (common/hidden.c) and for the BPF programs that attach to a tracepoint with
 * no BTF type (the system call exits, snoop/loader.c).
 */
#ifndef TRACEFS_H
#define TRACEFS_H

/*
 * The id of tracepoint @event ("subsystem/name", letters, digits and '_'
 * only): from a mounted tracefs, else from one mounted for us alone and never
 * attached to a path (CAP_SYS_ADMIN), so the host's mounts do not change.  The
 * id, or a negative errno: -ENOENT (no such tracepoint, or no tracefs),
 * -EINVAL (a malformed @event).
 */
long tracefs__event_id(const char *event);

#endif
