/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * start_owners.h - what the start-up snapshot found of each socket (owner,
 * direction, "seen at start"), kept by cookie until the events already in
 * the ring are read.  The programs run from attach on, the snapshot reaches
 * each socket a moment later: an event of a busy connection in between (a
 * retransmit from the timer, a FIN in softirq) left without its owner, or
 * with a record a send made before the scan marked it.  The snapshot's
 * record is the answer the kernel record got after; here the event gets it
 * too, with the merge rule of the kernel record (common/snapshot.c).
 */
#ifndef SNOOP_START_OWNERS_H
#define SNOOP_START_OWNERS_H

#include <stdbool.h>
#include "snoop_abi.h"

struct start_owners;

/* An empty table.  NULL and errno on failure. */
struct start_owners *start_owners__new(void);

/* Keep the snapshot's socket @e (snapshot_fn).  0, or -ENOMEM (that socket is not kept). */
int start_owners__add(struct start_owners *so, const struct snoop_event *e);

/* All added: sort for look-ups.  Adding after this is refused (-EBUSY). */
void start_owners__seal(struct start_owners *so);

/*
 * If the snapshot found @e's socket: an unknown owner becomes the one found
 * (attribution snapshot); a direction the event lacks is added; the event is
 * marked seen at start.  True when @e was changed.
 */
bool start_owners__fill(const struct start_owners *so, struct snoop_event *e);

/* Sockets kept. */
unsigned long start_owners__count(const struct start_owners *so);

/* NULL is fine. */
void start_owners__free(struct start_owners *so);

#endif
