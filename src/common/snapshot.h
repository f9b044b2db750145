/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * snapshot.h - TCP sockets that existed before socket-snoop started, in
 * every network namespace: each process's socket descriptors are taken with
 * pidfd_getfd(2) and the owner is written into the BPF owner map, so later
 * events of these connections (and connections accepted from these
 * listeners) are attributed.  Linear in the sockets found: a namespace with
 * many TCP sockets is read with one sock_diag dump (tuple, state, cookie by
 * inode), any other socket is asked directly; about 100 bytes per socket.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stdint.h>
#include "common/config.h"
#include "snoop_abi.h"

struct snapshot_stats {
	uint32_t sockets; /* TCP sockets recorded */
	uint32_t denied;  /* processes whose descriptors could not be taken */
};

/*
 * Called for each socket recorded: @e carries its tuple, cookie, current
 * state (new_state) and owner, with attribution SNOOP_ATTR_SNAPSHOT.
 */
typedef void (*snapshot_fn)(void *ctx, const struct snoop_event *e);

/*
 * Walk /proc and record owners in @owner_map_fd.  0 or a negative errno:
 * -ENOMEM, -EMFILE or -ENFILE when we ran out (the snapshot is then
 * incomplete), -ENOTRECOVERABLE when we could not return to our own network
 * namespace after reading another one's sockets.
 */
int snapshot__run(int owner_map_fd, const struct filter_config *filter, uint64_t now_mono_ns,
		  snapshot_fn fn, void *ctx, struct snapshot_stats *stats);

#endif
