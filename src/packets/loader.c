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

/*
 * tcpsnoop's one ring, which every CPU writes (it is read in ring order):
 * the size of socket-snoop's per-CPU rings together, as a power of two.
 */
static uint64_t packet_ring_size(void)
{
	int n = libbpf_num_possible_cpus();
	unsigned int cpus = n > 0 ? (unsigned int)n : 1;
	uint64_t each = loader__ring_size(0, cpus), size = each;

	while (size < each * cpus)
		size <<= 1;
	return size;
}

struct packets_loader {
	struct loader *owners; /* socket-snoop's programs: they keep owner_map */
	struct packets *skel;
	int active; /* 0: conn_a is counted into, 1: conn_b */
	int snapshot_err;
	struct snapshot_stats snapshot;
	char missing[512]; /* what this kernel cannot show, for a warning; "" when nothing */
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
	/* And a time-wait socket's packet its connection's owner (packet_tw_tx, packet_tw_rx). */
	scfg->tw_owners = true;
	/* No host names in these faces: the DNS programs would copy every answer for nothing. */
	scfg->no_dns = true;
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

/*
 * Whether skb/kfree_skb names the socket that dropped the packet (rx_sk, its
 * fourth argument since Linux 6.11): packet_tw_rx needs it.
 */
static bool kfree_skb_names_socket(const struct btf *vmlinux)
{
	const struct btf_type *proto = bpf_util__tracepoint_proto(vmlinux, "skb/kfree_skb"), *t;

	if (!proto || btf_vlen(proto) < 5)
		return false;
	t = btf__type_by_id(vmlinux, btf_params(proto)[4].type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(vmlinux, t->type);
	return t && btf_is_struct(t) && !strcmp(btf__name_by_offset(vmlinux, t->name_off), "sock");
}

/*
 * Whether the kernel's answers to segments (ACKs and RSTs of the control
 * socket) carry the socket answering (Linux 6.13): ip_send_unicast_reply()
 * takes it as orig_sk.
 */
static bool answers_own_socket(const struct btf *vmlinux)
{
	int id = btf__find_by_name_kind(vmlinux, "ip_send_unicast_reply", BTF_KIND_FUNC);
	const struct btf_type *proto;
	const struct btf_param *params;

	if (id < 0)
		return false;
	proto = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	if (!proto || !btf_is_func_proto(proto))
		return false;
	params = btf_params(proto);
	for (unsigned int i = 0; i < btf_vlen(proto); i++)
		if (!strcmp(btf__name_by_offset(vmlinux, params[i].name_off), "orig_sk"))
			return true;
	return false;
}

/*
 * Leave out the programs this kernel cannot run, saying in p->missing what
 * is then not shown, and tell the programs how it sends its answers.
 * Without its BTF nothing would load: the load says so.
 */
static void leave_out_missing(struct packets_loader *p)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool send_reset, tw;
	size_t n = 0;

	if (!vmlinux)
		return;
	send_reset = bpf_util__tracepoint_proto(vmlinux, "tcp/tcp_send_reset") != NULL;
	tw = kfree_skb_names_socket(vmlinux) &&
	     bpf_util__tracepoint_proto(vmlinux, "net/net_dev_queue");
	p->skel->rodata->answers_own_socket = answers_own_socket(vmlinux);
	btf__free(vmlinux);
	if (!send_reset) {
		bpf_program__set_autoload(p->skel->progs.packet_reset, false);
		n += (size_t)snprintf(
			p->missing, sizeof(p->missing),
			"this kernel lacks the tracepoint tcp/tcp_send_reset: packets "
			"answering closed ports (<closed>) are not shown");
	}
	if (!tw) {
		bpf_program__set_autoload(p->skel->progs.packet_tw_tx, false);
		bpf_program__set_autoload(p->skel->progs.packet_tw_rx, false);
		snprintf(p->missing + n, sizeof(p->missing) - n, "%s%s", n ? "; " : "",
			 "this kernel's skb/kfree_skb does not name the socket (Linux 6.11 does): "
			 "the segments time-wait sockets receive are not shown, the ACKs they "
			 "send are shown as <unknown>");
	}
	p->skel->rodata->tw_rx = tw;
}

/* Attach both cgroup_skb programs to the cgroup v2 root: every socket of the host. */
static int attach_cgroup(struct packets *skel, struct loader_error *err)
{
	char root[PATH_MAX];
	int ret, fd = target__cgroup2_root_open(root, sizeof(root));

	if (fd < 0 && !root[0]) {
		loader_error__set(err, EXIT_UNAVAILABLE,
				  "no cgroup v2 hierarchy is mounted (none in /proc/mounts): "
				  "the packet programs attach to its root");
		return fd;
	}
	if (fd < 0) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "cannot open %s: %s", root,
				  strerror(-fd));
		return fd;
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

/* Attach the tracepoint programs that are loaded (see leave_out_missing()). */
static int attach_tracepoints(struct packets *skel, struct loader_error *err)
{
	const struct {
		struct bpf_program *prog;
		struct bpf_link **link;
		const char *tracepoint;
	} tps[] = {
		{ skel->progs.packet_reset, &skel->links.packet_reset, "tcp/tcp_send_reset" },
		{ skel->progs.packet_tw_tx, &skel->links.packet_tw_tx, "net/net_dev_queue" },
		{ skel->progs.packet_tw_rx, &skel->links.packet_tw_rx, "skb/kfree_skb" },
	};

	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		if (!bpf_program__autoload(tps[i].prog))
			continue;
		*tps[i].link = bpf_program__attach(tps[i].prog);
		if (!*tps[i].link) {
			int ret = -errno;

			loader_error__set(err, EXIT_UNAVAILABLE,
					  "cannot attach to tracepoint %s: %s", tps[i].tracepoint,
					  strerror(-ret));
			return ret;
		}
	}
	return 0;
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
	ring = cfg->count_mode ? RINGBUF_COUNT_MODE : packet_ring_size();
	bpf_map__set_max_entries(p->skel->maps.packets, (__u32)ring);
	set_rodata(p->skel, cfg, ring);
	leave_out_missing(p);
	/* One owner map for everything, and one of time-wait sockets: socket-snoop's. */
	ret = bpf_map__reuse_fd(p->skel->maps.owner_map, loader__owner_map_fd(p->owners));
	if (!ret)
		ret = bpf_map__reuse_fd(p->skel->maps.tw_live, loader__time_wait_map_fd(p->owners));
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
	if (attach_tracepoints(p->skel, err))
		goto fail;
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
	return p->missing[0] ? p->missing : NULL;
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
