/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * sink.h - an output (console or log file): buffered, one write per batch,
 * reopened on SIGHUP or when the file was removed, write errors counted and
 * survived (disk full, reader gone).
 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <stdint.h>

struct sink;

/* A sink on an open descriptor (the console); not reopened. NULL and errno on failure. */
struct sink *sink__new_fd(int fd, const char *name);

/* A log file appended to at @path, created mode 0640. NULL and errno on failure. */
struct sink *sink__new_file(const char *path);

/* Queue @len bytes; flushes first when the buffer would overflow. */
int sink__write(struct sink *s, const char *buf, size_t len);

/* Write out what is queued.  0, or a negative errno of a failed write (bytes dropped). */
int sink__flush(struct sink *s);

/* Reopen a file sink at its path (logrotate moved it).  0 or negative errno. */
int sink__reopen(struct sink *s);

/* 1 when a file sink's file is gone from its path (deleted or renamed), else 0. */
int sink__file_moved(struct sink *s);

/* Path or name given at creation. */
const char *sink__name(const struct sink *s);

/* Failed writes and the bytes they dropped since creation. */
uint64_t sink__errors(const struct sink *s);
uint64_t sink__dropped_bytes(const struct sink *s);

/* Flush and close; NULL is fine. */
void sink__free(struct sink *s);

#endif
