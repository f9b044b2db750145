// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * metrics.bpf.c - what the metrics count when scraped, by an iterator that
 * user space runs then (snoop/loader.c): count_owners, the owner records
 * there are (socket_snoop_owner_records).  An sk_storage map keeps no count,
 * and its records die with their sockets, which no program of ours sees.
 *
 * An object of its own, loaded after snoop.bpf.c with its owner_map
 * replaced by socket-snoop's: a kernel that refuses it (some refuse tracing
 * programs on maps: EPERM here) costs this metric, never a second load of
 * the programs that report events.  The count is zeroed by user space before
 * each run; one iterator runs on one CPU at a time.
 *
 * (The TCP sockets by state are not counted by an iter/tcp program here: it
 * locks every socket it visits, about four times the CPU of the socket
 * diagnostics dump that common/sock_diag.c makes, measured at 10,000.)
 */
#define OWNER_READER_ONLY
#include "common.bpf.h"
#include "owner.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 owners_counted = 0;

SEC("iter/bpf_sk_storage_map")
int count_owners(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	if (ctx->sk && ctx->value)
		owners_counted++;
	return 0;
}
