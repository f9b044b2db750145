/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * writeback.h - keep a log file's page cache small: what was appended is
 * handed to the disk a step at a time and, once a window behind the end,
 * dropped from the page cache, by a thread of its own so that a slow disk
 * never stalls the caller.
 *
 * Why (see ARCHITECTURE.md, "The log file's page cache"): a storm's JSON
 * fills the page cache at 180 MB/s.  Each page the cache takes from free
 * memory costs the kernel a page allocation, and on a VM whose balloon
 * reports free pages to the host, a fault in the host too: the reader's
 * CPU per event tripled and its rings overflowed.  Pages dropped behind
 * the end go back to the allocator and are the next ones taken, still
 * backed; the file's cached part stays within a window, as a node agent's
 * should.
 */
#ifndef WRITEBACK_H
#define WRITEBACK_H

#include <stdint.h>

/* The file's part kept in the page cache behind its end (for readers tailing it), at least. */
#define WRITEBACK_KEEP (16u << 20)
/* Handed to the disk this much at a time, and dropped as much. */
#define WRITEBACK_STEP (4u << 20)

struct writeback;

/* A writeback with no file yet; its thread starts when there is work.  NULL and errno on failure. */
struct writeback *writeback__new(void);

/*
 * The file the caller now appends to, through descriptor @fd (a copy is
 * kept: the caller may close its own), @size bytes long already (those are
 * not this writeback's to drop).  @fd -1: none.  Replaces the last one.
 */
void writeback__file(struct writeback *wb, int fd, uint64_t size);

/*
 * The file is @size bytes long now, as the caller wrote it: each whole step
 * past the last one is handed on to the thread (started at the first).
 */
void writeback__wrote(struct writeback *wb, uint64_t size);

/* Stop the thread (after its step in progress) and close its copy of the file; NULL is fine. */
void writeback__free(struct writeback *wb);

#endif
