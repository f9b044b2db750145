/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * sink.h - an output (console or log file): a bounded queue written once per
 * batch, whole lines or none; reopened on SIGHUP or when the file was
 * removed; write errors counted and survived (disk full, reader gone); a
 * slow reader never blocks the caller (what does not fit is dropped and
 * counted); the log file is opened without following a link another user
 * could have planted, and only its end is kept in the page cache
 * (writeback.h).
 */
#ifndef SINK_H
#define SINK_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "common/safe_path.h"

/*
 * Refusals of sink__new_file() and sink__reopen(), as negative errnos that
 * open(2) itself does not return for a local path; sink__strerror() says why.
 */
#define SINK_EUNSAFE_LINK SAFE_PATH_EUNSAFE_LINK /* a symlink another user could have planted */
#define SINK_EUNSAFE_FILE SAFE_PATH_EUNSAFE_FILE /* a file another user could have planted */
#define SINK_ENOTREG SAFE_PATH_ENOTREG		 /* not a regular file (FIFO, device, directory) */

/* What a sink holds at most while its reader is slow; more is dropped. */
#define SINK_QUEUE_MAX (1024 * 1024)

struct sink;

/*
 * A sink on an open descriptor (the console); not reopened, not closed.
 * Written without blocking and without changing the descriptor's flags
 * (its description is shared with stderr, the shell...): a pipe through a
 * private reopened copy, a socket with send(MSG_DONTWAIT), a terminal polled
 * before each write.  NULL and errno on failure.
 */
struct sink *sink__new_fd(int fd, const char *name);

/*
 * A log file appended to at @path, created mode 0640, opened safely (see
 * sink.c: no planted link or file, regular files only, never blocks).
 * NULL and errno on failure.
 */
struct sink *sink__new_file(const char *path);

/*
 * Queue @len bytes (whole lines).  Flushes first when the batch grows large;
 * drops them (counted) when the queue is full.  0, -ENOBUFS when dropped, or
 * a negative errno of a failed flush.
 */
int sink__write(struct sink *s, const char *buf, size_t len);

/*
 * Room for @max bytes at the end of the queue, for a caller to format a line
 * in place instead of copying it in: sink__commit() then queues the bytes it
 * wrote there.  Flushes first when the batch grows large, as sink__write()
 * does.  NULL when the queue cannot take @max more bytes: sink__write() then
 * decides whether the line fits and counts it when it is dropped.
 */
char *sink__reserve(struct sink *s, size_t max);

/* Queue the @len bytes written at the room sink__reserve() just gave (@len <= its @max). */
void sink__commit(struct sink *s, size_t len);

/*
 * Write out what is queued without blocking.  0 (all written, or the reader
 * is slow and the rest stays queued), or the negative errno of a failed write:
 * the queued lines are then dropped and counted, and a line cut short in a
 * regular file is truncated away.
 */
int sink__flush(struct sink *s);

/* Flush, waiting up to @timeout_ms for a slow reader; what remains is dropped (counted). */
int sink__drain(struct sink *s, int timeout_ms);

/* Reopen a file sink at its path (logrotate moved it).  0 or negative errno (old file kept). */
int sink__reopen(struct sink *s);

/* 1 when a file sink's file is gone from its path (deleted, renamed, replaced), else 0. */
int sink__file_moved(struct sink *s);

/*
 * Rotate a file sink when it would grow past @max_size bytes (0: never):
 * NAME.1 ... NAME.@max_files (@max_files >= 1, the oldest removed), a new
 * NAME, whole lines in each.  Console sinks ignore it.
 */
void sink__set_rotation(struct sink *s, uint64_t max_size, unsigned int max_files);

/* Set a file sink's modification time to now (a heartbeat).  0 or a negative errno. */
int sink__touch(struct sink *s);

/*
 * A rotation failure since the last call (0: none), cleared: each failure is
 * returned once, not again while the next tries fail the same way.
 */
int sink__rotate_error(struct sink *s);

/* Path or name given at creation. */
const char *sink__name(const struct sink *s);

/* Why an open or write failed: strerror(), or the reason of a SINK_E* refusal. */
const char *sink__strerror(int err);

/* Failed writes, and the bytes and lines dropped (failed writes, full queue) since creation. */
uint64_t sink__errors(const struct sink *s);
uint64_t sink__dropped_bytes(const struct sink *s);
uint64_t sink__dropped_lines(const struct sink *s);

/* Bytes queued, not yet written. */
size_t sink__queued(const struct sink *s);

/* Flush without waiting, close a file or a private copy; NULL is fine. */
void sink__free(struct sink *s);

#endif
