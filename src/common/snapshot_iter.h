/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * snapshot_iter.h - the start-up snapshot done by the kernel's iterators
 * (src/bpf/snapshot.bpf.h): makes their working map, runs them (the socket
 * tables once in each network namespace that holds a socket), reads what
 * they write, and frees the map.  common/snapshot.c reads /proc for the rest.
 */
#ifndef SNAPSHOT_ITER_H
#define SNAPSHOT_ITER_H

#include <stdint.h>
#include "common/snapshot.h"

struct snapshot_iter_cbs {
	/* Every socket of process @pid is recorded: /proc need not be read for it. */
	void (*shown)(void *ctx, uint32_t pid);
	/* Socket @e was recorded in the owner map (attribution SNOOP_ATTR_SNAPSHOT). */
	int (*socket)(void *ctx, const struct snoop_event *e);
	void *ctx;
};

/*
 * Record the owners of the TCP sockets of every process the kernel shows
 * the iterators of @src into its owner map (the --cgroup mark is theirs:
 * set before load).  0; -ENOMEM when a socket's record could
 * not be stored (the snapshot is incomplete), -ENOTRECOVERABLE when we could
 * not return to our own network namespace, the error of a @cbs->socket call;
 * any other negative errno when the iterators could not run (this kernel has
 * none, or refuses them, or @src has none): then no process was shown.
 */
int snapshot_iter__run(const struct snapshot_source *src, const struct snapshot_iter_cbs *cbs);

#endif
