// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * owner_count.bpf.c - how many owner records there are, for the metrics
 * (socket_snoop_owner_records): an iterator over socket-snoop's owner_map,
 * run when scraped.  An sk_storage map keeps no count of its own, and its
 * records die with their sockets, which no program of ours sees happen.
 *
 * An object of its own, loaded after snoop.bpf.c with its owner_map
 * replaced by socket-snoop's: a kernel that refuses this iterator (some
 * refuse tracing programs on maps) costs only this metric, never a second
 * load of the programs that report events.
 */
#define OWNER_READER_ONLY
#include "common.bpf.h"
#include "owner.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Zeroed by user space before each run; one iterator runs on one CPU at a time. */
__u64 owners_counted = 0;

SEC("iter/bpf_sk_storage_map")
int count_owners(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	if (ctx->sk && ctx->value)
		owners_counted++;
	return 0;
}
