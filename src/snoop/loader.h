/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * loader.h - the BPF side as one object: probe the kernel, open the
 * skeleton, set filters and sizes from the config, load, attach.
 */
#ifndef LOADER_H
#define LOADER_H

#include <stdint.h>
#include <stdio.h>
#include "common/bpf_util.h"
#include "common/config.h"
#include "common/snapshot.h"

struct loader;

/* Probe, load and attach.  NULL on failure with @err filled. */
struct loader *loader__new(const struct snoop_config *cfg, struct loader_error *err);

/*
 * --config: make @f the filters in use, in place while the programs run
 * (no program detached, no record dropped).  Each check of the programs
 * reads the old filters or the new ones whole, never a mix.  0, or a negative errno with
 * the old filters still in use (-ENOTSUP: loaded without --config).
 */
int loader__set_filters(struct loader *l, const struct filter_config *f);

/* How the programs are attached: ATTACH_TP_BTF or ATTACH_RAW_TP (the fallback). */
enum attach_mode loader__mode(const struct loader *l);

/* Why the tp_btf build was not used when the loader fell back to raw_tp, else NULL. */
const char *loader__fallback_reason(const struct loader *l);

/* The event rings' array (a map fd of ours, for caps__drop()). */
int loader__ringbuf_fd(const struct loader *l);

/* The event rings, one per possible CPU (@n of them), for loop__run(). */
const int *loader__ring_fds(const struct loader *l, size_t *n);

/*
 * The CPUs offline at load and online now, each returned once (up to @max
 * into @cpus; their number).  Their rings are a page only: the programs
 * cannot be given a larger one without the privileges dropped after load,
 * so a burst on them is lost (and counted) until socket-snoop is restarted.
 */
size_t loader__late_cpus(struct loader *l, uint32_t *cpus, size_t max);

/*
 * Why DNS over TCP is not watched (its cgroup_skb programs are not attached:
 * no CAP_NET_ADMIN, the raw_tp build, no cgroup v2 root), or NULL when it is
 * or when DNS is not (--no-dns).
 */
const char *loader__dns_tcp_missing(const struct loader *l);

/* The per-socket owner map: sk_storage keyed by socket fd from user space (tp_btf only). */
int loader__owner_map_fd(const struct loader *l);

/* The time-wait sockets' records (time_wait.bpf.h's tw_live): with tw_owners, every one's owner. */
int loader__time_wait_map_fd(const struct loader *l);

/* The ring of DNS message copies (struct snoop_dns_msg), or -1 with --no-dns. */
int loader__dns_ring_fd(const struct loader *l);

/* A counter of the DNS copies, summed over the CPUs (0 with --no-dns). */
uint64_t loader__dns_stat(const struct loader *l, enum snoop_dns_stat stat);

/*
 * The task_exe iterator program (task_exe.bpf.h), for process.executable
 * (common/procinfo.h): loaded with -j, in the tp_btf build; else -1.
 */
int loader__exe_iter_fd(const struct loader *l);

/* One Connection Update (kind SNOOP_KIND_UPDATE, close fields filled). */
typedef void (*loader_update_fn)(void *ctx, const struct snoop_event *e);

/*
 * --interval: run connection_updates once, @fn for each connection it
 * reports.  Needs no privilege (the link was made at load).  0 or a negative
 * errno (-ENOTSUP without --interval).
 */
int loader__updates_run(const struct loader *l, loader_update_fn fn, void *ctx);

/* What the start-up snapshot needs of the loaded programs (common/snapshot.h). */
void loader__snapshot_source(const struct loader *l, struct snapshot_source *src);

/* What the BPF side counted: losses by cause, and what nested runs cost. */
struct loader_counts {
	/*
	 * Events lost by cause (enum snoop_loss_cause): the ring buffer had no
	 * room; runs the kernel skipped that were not recovered; transitions
	 * made without our programs (gaps).
	 */
	uint64_t lost[SNOOP_LOSS_N];
	uint64_t recovered; /* skipped handle_set_state runs handle_set_state_nested handled */
	/*
	 * Sends and receives whose owner update the kernel skipped (nested runs):
	 * no event is lost, but an accepted socket handed to another process may
	 * stay credited to the previous owner until its next send or receive.
	 */
	uint64_t owner_updates_skipped;
	/*
	 * TCP transitions of any socket on the host the kernel made without
	 * running BPF programs while a thread of PID 1 was current
	 * (common/hidden.h): not in the three loss fields, as most belong to no
	 * reported connection; those that do leave a gap, counted undelivered.
	 */
	uint64_t hidden;
};

void loader__counts(const struct loader *l, struct loader_counts *out);

/* loader_counts.hidden alone: cheap enough to check every second. */
uint64_t loader__hidden(const struct loader *l);

/* 0, or why the hidden transitions cannot be counted (a negative errno of hidden__new()). */
int loader__hidden_error(const struct loader *l);

/* Events the kernel could not deliver: the three loss fields of loader__counts() summed. */
uint64_t loader__lost(const struct loader *l);

/* One loaded program's cost, as the kernel counts it (struct bpf_prog_info). */
struct loader_prog_stats {
	const char *name;
	/* Only while kernel.bpf_stats_enabled is 1: the kernel counts nothing else. */
	uint64_t runs, run_ns;
	uint64_t recursion_misses; /* runs skipped: the program was running on that CPU */
};

/* The @i-th loaded program's (0, 1, ...): 0, or -ENOENT past the last. */
int loader__prog_stats(const struct loader *l, size_t i, struct loader_prog_stats *out);

/* One map and the memory the kernel charges for it (its fdinfo's "memlock"). */
struct loader_map_stats {
	const char *name;
	uint64_t memory_bytes;
};

/* The @i-th map (0, 1, ...): 0, or -ENOENT past the last. */
int loader__map_stats(const struct loader *l, size_t i, struct loader_map_stats *out);

/* The ring buffer's size, and the bytes written to it not read yet. */
void loader__ring_usage(const struct loader *l, uint64_t *size, uint64_t *used);

/*
 * The owner records (one per socket whose owner is known) there are now,
 * and how many there can be: 0 for the tp_btf build's sk_storage, which
 * has one per socket and no limit.  Counted by the kernel (an iterator);
 * for the raw_tp build's LRU table, key by key.  0 or a negative errno:
 * why the kernel cannot count them (it refused the iterator: -EPERM).
 */
int loader__owner_records(const struct loader *l, uint64_t *tracked, uint64_t *capacity);

/* With --metrics: 0, or why the owner records cannot be counted (-EPERM: the kernel refused). */
int loader__owner_records_error(const struct loader *l);

/* The @i-th tracepoint this kernel lacks whose events are therefore not reported, or NULL. */
const char *loader__unavailable(const struct loader *l, int i);

/*
 * The size of each of @cpus event rings, one per online CPU, a power of two the
 * kernel accepts: for @requested 0 (the default) 2 MiB, and 8 MiB in all at
 * least; else the largest within each CPU's share of @requested, a page at
 * least (the rings together hold at most @requested, from half of it).
 */
uint64_t loader__ring_size(uint64_t requested, unsigned int cpus);

/* The size of each online CPU's event ring, once loaded. */
uint64_t loader__ring_bytes(const struct loader *l);

/*
 * Print what this kernel supports (attach methods, maps, tracepoints,
 * iterators) for --version -v and --check, a line each after @indent.
 */
void loader__print_features(FILE *out, const char *indent);

/* Detach and free; NULL is fine. */
void loader__free(struct loader *l);

#endif
