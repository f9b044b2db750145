// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* packets.c - owner tracking plus the packet programs, loaded as one (see packets.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "common/bpf_util.h"
#include "common/exitcode.h"
#include "packets/loader.h"
#include "common/target.h"
#include "packets.skel.h"

#define RINGBUF_COUNT_MODE (16u << 10) /* tcptop sends no records: the smallest ring */
#define OWNER_RINGBUF (64u << 10)      /* socket-snoop's ring: no event kind selected */
#define DRAIN_BATCH 256

struct packets_loader {
	struct loader *owners; /* socket-snoop's programs: they keep owner_map */
	struct packets *skel;
	int active; /* 0: conn_a is counted into, 1: conn_b */
	int snapshot_err;
	struct snapshot_stats snapshot;
	bool no_send_reset; /* kernel without tcp/tcp_send_reset: no "<closed>" lines */
};

/* Start owner tracking alone: socket-snoop's loader with no event kind selected. */
static struct loader *owners_new(const struct packets_config *cfg, struct loader_error *err)
{
	struct snoop_config *scfg = calloc(1, sizeof(*scfg));
	struct loader *l;

	if (!scfg) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "out of memory");
		return NULL;
	}
	scfg->filter.kinds_mask = 0; /* no events: only the owner-keeping programs */
	/* Every packet line names its socket's owner: a process that only sends counts too. */
	scfg->owner_on_send = true;
	scfg->attach_mode = ATTACH_TP_BTF; /* the owners must be in sk_storage */
	scfg->ringbuf_bytes = OWNER_RINGBUF;
	scfg->verbose = cfg->verbose;
	l = loader__new(scfg, err);
	free(scfg);
	return l;
}

/* Copy the options into the read-only globals before load. */
static void set_rodata(struct packets *skel, const struct packets_config *cfg, uint64_t ring)
{
	struct packets__rodata *ro = skel->rodata;

	ro->count_mode = cfg->count_mode;
	ro->want_netns = cfg->want_netns;
	ro->family_only = cfg->family;
	ro->filter_pid = cfg->filter_pid;
	ro->pid_only = cfg->pid;
	ro->filter_comm = cfg->filter_comm;
	memcpy((void *)ro->comm_only, cfg->comm, sizeof(ro->comm_only));
	/* Wake the reader at 1/16 of the ring; the loop polls every 100 ms for the rest. */
	ro->wakeup_bytes = ring / 16;
}

/* True when the kernel has tracepoint tcp/tcp_send_reset (for "<closed>" lines). */
static bool have_send_reset(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool ok;

	if (!vmlinux)
		return false;
	ok = btf__find_by_name_kind(vmlinux, "btf_trace_tcp_send_reset", BTF_KIND_TYPEDEF) >= 0;
	btf__free(vmlinux);
	return ok;
}

/* Attach both cgroup_skb programs to the cgroup v2 root: every socket of the host. */
static int attach_cgroup(struct packets *skel, struct loader_error *err)
{
	char root[PATH_MAX];
	int fd, ret = target__cgroup2_mount(root, sizeof(root));

	if (ret) {
		loader_error__set(err, EXIT_UNAVAILABLE,
				  "no cgroup v2 hierarchy is mounted (none in /proc/mounts): "
				  "the packet programs attach to its root");
		return ret;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "cannot open %s: %s", root,
				  strerror(errno));
		return ret;
	}
	skel->links.packet_egress = bpf_program__attach_cgroup(skel->progs.packet_egress, fd);
	ret = skel->links.packet_egress ? 0 : -errno;
	if (!ret) {
		skel->links.packet_ingress =
			bpf_program__attach_cgroup(skel->progs.packet_ingress, fd);
		ret = skel->links.packet_ingress ? 0 : -errno;
	}
	close(fd);
	if (ret)
		loader_error__set(err, ret == -EPERM ? EXIT_NOPERM : EXIT_UNAVAILABLE,
				  "cannot attach the packet programs to the cgroup v2 root %s: %s",
				  root, strerror(-ret));
	return ret;
}

/* No per-socket callback is needed: the owners are all the faces use. */
static void snapshot_ignore(void *ctx, const struct snoop_event *e)
{
	(void)ctx;
	(void)e;
}

struct packets_loader *packets_loader__new(const struct packets_config *cfg,
					   struct loader_error *err)
{
	struct packets_loader *p = calloc(1, sizeof(*p));
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = bpf_util__btf_custom_path());
	struct filter_config *none;
	struct snapshot_source src;
	uint64_t ring;
	int ret;

	if (!p) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "out of memory");
		return NULL;
	}
	p->owners = owners_new(cfg, err);
	if (!p->owners)
		goto fail;
	p->skel = packets__open_opts(&opts);
	if (!p->skel) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME,
				  "cannot open the packet BPF object: %s", strerror(errno));
		goto fail;
	}
	ring = loader__ringbuf_size(cfg->count_mode ? RINGBUF_COUNT_MODE : 0);
	bpf_map__set_max_entries(p->skel->maps.packets, (__u32)ring);
	set_rodata(p->skel, cfg, ring);
	p->no_send_reset = !have_send_reset();
	if (p->no_send_reset)
		bpf_program__set_autoload(p->skel->progs.packet_reset, false);
	/* One owner map for everything: socket-snoop's. */
	ret = bpf_map__reuse_fd(p->skel->maps.owner_map, loader__owner_map_fd(p->owners));
	if (ret) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "cannot share the owner map: %s",
				  strerror(-ret));
		goto fail;
	}
	ret = packets__load(p->skel);
	if (ret) {
		if (ret == -EPERM || ret == -EACCES)
			loader_error__set(
				err, EXIT_NOPERM,
				"the kernel refused to load the packet programs (%s): run as root "
				"or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN",
				strerror(-ret));
		else
			loader_error__set(
				err, EXIT_UNAVAILABLE,
				"this kernel cannot load the packet programs (%s); -v shows the "
				"verifier's log",
				strerror(-ret));
		goto fail;
	}
	if (attach_cgroup(p->skel, err))
		goto fail;
	if (bpf_program__autoload(p->skel->progs.packet_reset)) {
		p->skel->links.packet_reset = bpf_program__attach(p->skel->progs.packet_reset);
		if (!p->skel->links.packet_reset) {
			loader_error__set(err, EXIT_UNAVAILABLE,
					  "cannot attach to tracepoint tcp/tcp_send_reset: %s",
					  strerror(errno));
			goto fail;
		}
	}
	/* After attach: a socket created meanwhile is seen by the programs instead. */
	none = calloc(1, sizeof(*none));
	if (!none) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "out of memory");
		goto fail;
	}
	loader__snapshot_source(p->owners, &src);
	p->snapshot_err =
		snapshot__run(&src, none, clock__mono_ns(), snapshot_ignore, NULL, &p->snapshot);
	free(none);
	return p;
fail:
	packets_loader__free(p);
	return NULL;
}

int packets_loader__snapshot(const struct packets_loader *p, struct snapshot_stats *stats)
{
	*stats = p->snapshot;
	return p->snapshot_err;
}

const char *packets_loader__unavailable(const struct packets_loader *p)
{
	return p->no_send_reset ? "tcp/tcp_send_reset" : NULL;
}

int packets_loader__ringbuf_fd(const struct packets_loader *p)
{
	return bpf_map__fd(p->skel->maps.packets);
}

/* Sum one per-CPU counter of pkt_stats. */
static uint64_t stat_sum(const struct packets_loader *p, __u32 stat)
{
	return bpf_util__percpu_sum(p->skel->maps.pkt_stats, stat);
}

uint64_t packets_loader__lost(const struct packets_loader *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p->skel->progs.packet_reset);
	uint64_t lost = stat_sum(p, SNOOP_PKT_STAT_LOST);

	/* The tracepoint program can be skipped when another BPF program runs on the CPU. */
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
		lost += info.recursion_misses;
	return lost;
}

uint64_t packets_loader__conn_full(const struct packets_loader *p)
{
	return stat_sum(p, SNOOP_PKT_STAT_CONN_FULL);
}

void packets_loader__payload(const struct packets_loader *p, uint64_t *in, uint64_t *out)
{
	*in = stat_sum(p, SNOOP_PKT_STAT_PAYLOAD_IN);
	*out = stat_sum(p, SNOOP_PKT_STAT_PAYLOAD_OUT);
}

int packets_loader__drain(struct packets_loader *p, packets_conn_fn fn, void *ctx)
{
	struct bpf_map *tables[2] = { p->skel->maps.conn_a, p->skel->maps.conn_b };
	struct snoop_conn_key keys[DRAIN_BATCH];
	struct snoop_conn_bytes vals[DRAIN_BATCH];
	int old_fd = bpf_map__fd(tables[p->active]);
	int new_fd = bpf_map__fd(tables[!p->active]);
	__u32 zero = 0, in_batch = 0, out_batch = 0;
	bool first = true;
	int err;

	/* Updating a map-of-maps waits for the programs that still use the old table. */
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.conn_tables), &zero, &new_fd, BPF_ANY))
		return -errno;
	p->active = !p->active;
	for (;;) {
		__u32 count = DRAIN_BATCH;

		err = bpf_map_lookup_and_delete_batch(old_fd, first ? NULL : &in_batch, &out_batch,
						      keys, vals, &count, NULL);
		if (err && errno != ENOENT)
			return -errno;
		for (__u32 i = 0; i < count; i++)
			fn(ctx, &keys[i], &vals[i]);
		if (err)
			return 0; /* ENOENT: no more rows */
		in_batch = out_batch;
		first = false;
	}
}

void packets_loader__free(struct packets_loader *p)
{
	if (!p)
		return;
	packets__destroy(p->skel);
	loader__free(p->owners);
	free(p);
}
