/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * packets.h - the BPF side of tcpsnoop and tcptop as one object.
 *
 * Composition, not a second owner tracking: socket-snoop's loader runs with
 * no event kinds selected (it only keeps owner_map up to date), the
 * connections open at start get their owners written into that map, and
 * the packet programs (packets.bpf.c) share the map and read owners from it.
 */
#ifndef PACKETS_H
#define PACKETS_H

#include <stdbool.h>
#include <stdint.h>
#include "snoop/loader.h"
#include "common/snapshot.h"
#include "snoop_abi.h"

struct packets_config {
	bool count_mode; /* tcptop: per-connection byte counters, no packet records */
	bool want_netns; /* fill the network namespace (ZONE) */
	uint16_t family; /* 0, AF_INET or AF_INET6 */
	bool filter_pid; /* -p */
	uint32_t pid;
	bool filter_comm; /* -n (either matches when both are given) */
	char comm[SNOOP_COMM_LEN];
	bool verbose; /* libbpf's messages (the verifier's log) */
};

struct packets_loader;

/*
 * Load and attach owner tracking and the packet programs (on the cgroup v2
 * root), then record the owners of the connections open now.  NULL on
 * failure with @err filled (exit code and message).
 */
struct packets_loader *packets_loader__new(const struct packets_config *cfg,
					   struct loader_error *err);

/* What the start-up walk found; its error (negative errno) or 0. */
int packets_loader__snapshot(const struct packets_loader *p, struct snapshot_stats *stats);

/* What this kernel cannot show, as a sentence for a warning (a tracepoint it lacks), or NULL. */
const char *packets_loader__unavailable(const struct packets_loader *p);

/* The packet ring buffer's fd (struct snoop_packet records), for loop__run(). */
int packets_loader__ringbuf_fd(const struct packets_loader *p);

/* Packet lines the kernel could not deliver (ring buffer full, skipped runs). */
uint64_t packets_loader__lost(const struct packets_loader *p);

/* Packets not counted because the connection table was full (tcptop). */
uint64_t packets_loader__conn_full(const struct packets_loader *p);

/* Host-wide TCP payload bytes received and sent since start (tcptop). */
void packets_loader__payload(const struct packets_loader *p, uint64_t *in, uint64_t *out);

/* Called once per connection row of the interval by packets_loader__drain(). */
typedef void (*packets_conn_fn)(void *ctx, const struct snoop_conn_key *key,
				const struct snoop_conn_bytes *val);

/*
 * End the interval: swap in the empty counter table (waits for the programs
 * running on the old one), pass every row of the old one to @fn and empty
 * it.  0 or a negative errno.
 */
int packets_loader__drain(struct packets_loader *p, packets_conn_fn fn, void *ctx);

/* Detach and free; NULL is fine. */
void packets_loader__free(struct packets_loader *p);

#endif
