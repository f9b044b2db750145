/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * procfs.h - reading the small files of /proc: one read(2), and the fields
 * of a /proc/PID/stat line, whose second field (the command name, in
 * parentheses) may hold spaces and ") " of its own.
 */
#ifndef PROCFS_H
#define PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Up to @size - 1 bytes of @path in one read(2), NUL-terminated; their number, or -1. */
ssize_t procfs__read(const char *path, char *buf, size_t size);

/*
 * Field @field (numbered as proc(5) does: 3 is the state, 9 the flags, 14
 * utime) of the /proc/PID/stat text @stat, an unsigned decimal, into @out.
 * 0, or -EINVAL when there is no such field or it is not a number.
 */
int procfs__stat_field(const char *stat, int field, uint64_t *out);

/*
 * The number after @key at the start of a line of @text ("memlock:" in
 * /proc/self/fdinfo/N, "btime" in /proc/stat), past spaces and tabs, into
 * @out.  0, or -ENOENT without such a line, -EINVAL when no number follows.
 */
int procfs__key_u64(const char *text, const char *key, uint64_t *out);

#endif
