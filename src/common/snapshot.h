/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * snapshot.h - TCP sockets that existed before socket-snoop started, in
 * every network namespace, so that later events of these connections (and
 * connections accepted from these listeners) are attributed: each socket's
 * owner is written into the BPF owner map.
 *
 * Two ways, one result.  The kernel's iterator over every process's open
 * files (src/bpf/snapshot.bpf.h) records them all without a system call per
 * socket and without touching the other processes.  Processes it was not
 * shown (a kernel may hide some from BPF, see common/hidden.h; or it cannot
 * load iterators) are read through /proc: each socket descriptor taken with
 * pidfd_getfd(2); a namespace with many TCP sockets read with one sock_diag
 * dump (tuple, state, cookie by inode), any other socket asked directly.
 * Linear in the sockets found; about 100 bytes per socket, freed at the end.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stdint.h>
#include "common/config.h"
#include "snoop_abi.h"

/* Where the snapshot writes owners, and the kernel's iterators when loaded. */
struct snapshot_source {
	int owner_map_fd;
	int owners_iter_fd;  /* snapshot_owners (src/bpf/snapshot.bpf.h), or -1 */
	int sockets_iter_fd; /* snapshot_sockets, or -1 */
	int maps_fd;	     /* snapshot_maps, or -1 */
};

struct snapshot_stats {
	uint32_t sockets; /* TCP sockets recorded */
	uint32_t denied;  /* processes whose descriptors could not be taken */
	uint32_t scanned; /* processes read through /proc */
	int iter_err;	  /* 0 when the kernel's iterators ran, else why not (negative errno) */
};

/*
 * Called for each socket recorded: @e carries its tuple, cookie, current
 * state (new_state) and owner, with attribution SNOOP_ATTR_SNAPSHOT.
 */
typedef void (*snapshot_fn)(void *ctx, const struct snoop_event *e);

/*
 * Record the owners of every TCP socket open now in @src's owner map.  0 or
 * a negative errno: -ENOMEM, -EMFILE or -ENFILE when we ran out (the
 * snapshot is then incomplete), -ENOTRECOVERABLE when we could not return
 * to our own network namespace after reading another one's sockets.
 */
int snapshot__run(const struct snapshot_source *src, const struct filter_config *filter,
		  uint64_t now_mono_ns, snapshot_fn fn, void *ctx, struct snapshot_stats *stats);

#endif
