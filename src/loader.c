// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* loader.c - probe, open, configure, load and attach the BPF side (see loader.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "exitcode.h"
#include "loader.h"
#include "snoop.skel.h"

#define RINGBUF_PER_CPU (2u << 20)
#define RINGBUF_MIN (4u << 20)

struct loader {
	struct snoop *skel;
	uint64_t ringbuf_bytes;
};

/* Tracepoints the programs attach to, as "subsystem/name" for messages. */
static const char *const required_tracepoints[] = {
	"sock/inet_sock_set_state",
	"sock/sock_send_length",
	"sock/sock_recv_length",
};

static int libbpf_verbose;

/* libbpf's own messages are noise unless -v was given. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void set_error(struct loader_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* Kernel BTF and every tracepoint we need, checked before any load. */
static int probe_kernel(struct loader_error *err)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	char name[96];

	if (!vmlinux) {
		set_error(err, EXIT_UNAVAILABLE,
			  "kernel BTF is not available at /sys/kernel/btf/vmlinux (%s): "
			  "socket-snoop needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			  strerror(errno));
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(required_tracepoints) / sizeof(required_tracepoints[0]);
	     i++) {
		const char *tp = strchr(required_tracepoints[i], '/') + 1;

		snprintf(name, sizeof(name), "btf_trace_%s", tp);
		if (btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) < 0) {
			set_error(err, EXIT_UNAVAILABLE, "this kernel lacks the tracepoint %s",
				  required_tracepoints[i]);
			btf__free(vmlinux);
			return -ENOENT;
		}
	}
	btf__free(vmlinux);
	return 0;
}

/* Smallest power of two >= @v. */
static uint64_t pow2_roundup(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* Fill the filter maps after load (their sizes are fixed at CONFIG_MAX_VALUES). */
static int fill_filter_maps(struct snoop *skel, const struct filter_config *f)
{
	__u8 one = 1;
	int err = 0;

	for (int i = 0; i < f->n_pids && !err; i++)
		err = bpf_map__update_elem(skel->maps.pid_filter, &f->pids[i], sizeof(__u32), &one,
					   1, BPF_ANY);
	for (int i = 0; i < f->n_uids && !err; i++)
		err = bpf_map__update_elem(skel->maps.uid_filter, &f->uids[i], sizeof(__u32), &one,
					   1, BPF_ANY);
	for (int i = 0; i < f->n_comms && !err; i++)
		err = bpf_map__update_elem(skel->maps.comm_filter, f->comms[i], SNOOP_COMM_LEN,
					   &one, 1, BPF_ANY);
	for (int i = 0; i < f->n_laddrs && !err; i++) {
		struct snoop_lpm_key key = { .prefixlen = f->laddrs[i].prefixlen };

		memcpy(key.addr, f->laddrs[i].addr, sizeof(key.addr));
		err = bpf_map__update_elem(skel->maps.laddr_filter, &key, sizeof(key), &one, 1,
					   BPF_ANY);
	}
	for (int i = 0; i < f->n_raddrs && !err; i++) {
		struct snoop_lpm_key key = { .prefixlen = f->raddrs[i].prefixlen };

		memcpy(key.addr, f->raddrs[i].addr, sizeof(key.addr));
		err = bpf_map__update_elem(skel->maps.raddr_filter, &key, sizeof(key), &one, 1,
					   BPF_ANY);
	}
	return err;
}

/* Copy the filters into the read-only globals before load. */
static void set_rodata(struct snoop *skel, const struct filter_config *f, uint64_t wakeup)
{
	struct snoop__rodata *ro = skel->rodata;

	ro->kinds_mask = f->kinds_mask;
	ro->states_mask = f->states_mask;
	ro->all_addresses = f->all_addresses;
	ro->family_only = f->family;
	ro->filter_pid = f->n_pids > 0;
	ro->filter_uid = f->n_uids > 0;
	ro->filter_comm = f->n_comms > 0;
	ro->filter_lport = f->lport;
	ro->filter_rport = f->rport;
	ro->filter_laddr = f->n_laddrs > 0;
	ro->filter_raddr = f->n_raddrs > 0;
	ro->filter_cgroup = f->cgroup_path != NULL;
	ro->cgroup_id = f->cgroup_id;
	ro->cgroup_level = f->cgroup_level;
	ro->netns_only = f->netns;
	memcpy((void *)ro->lport_bits, f->lport_bits, sizeof(f->lport_bits));
	memcpy((void *)ro->rport_bits, f->rport_bits, sizeof(f->rport_bits));
	ro->wakeup_bytes = wakeup;
}

struct loader *loader__new(const struct snoop_config *cfg, struct loader_error *err)
{
	struct loader *l;
	int ret;

	libbpf_verbose = cfg->verbose;
	libbpf_set_print(libbpf_print);
	if (probe_kernel(err))
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		set_error(err, EXIT_FAILURE_RUNTIME, "out of memory");
		return NULL;
	}
	l->skel = snoop__open();
	if (!l->skel) {
		set_error(err, EXIT_FAILURE_RUNTIME, "cannot open the BPF object: %s",
			  strerror(errno));
		goto fail;
	}
	l->ringbuf_bytes = cfg->ringbuf_bytes;
	if (!l->ringbuf_bytes) {
		int cpus = libbpf_num_possible_cpus();

		l->ringbuf_bytes = (uint64_t)(cpus > 0 ? cpus : 1) * RINGBUF_PER_CPU;
		if (l->ringbuf_bytes < RINGBUF_MIN)
			l->ringbuf_bytes = RINGBUF_MIN;
	}
	l->ringbuf_bytes = pow2_roundup(l->ringbuf_bytes);
	bpf_map__set_max_entries(l->skel->maps.events, (__u32)l->ringbuf_bytes);
	set_rodata(l->skel, &cfg->filter, 0);

	ret = snoop__load(l->skel);
	if (ret) {
		if (ret == -EPERM || ret == -EACCES)
			set_error(err, EXIT_NOPERM,
				  "the kernel refused to load the BPF programs (%s): run as root "
				  "or with CAP_BPF and CAP_PERFMON",
				  strerror(-ret));
		else
			set_error(err, EXIT_UNAVAILABLE,
				  "this kernel cannot load socket-snoop's BPF programs (%s); "
				  "-v shows the verifier's log",
				  strerror(-ret));
		goto fail;
	}
	ret = fill_filter_maps(l->skel, &cfg->filter);
	if (ret) {
		set_error(err, EXIT_FAILURE_RUNTIME, "cannot set the filters: %s", strerror(-ret));
		goto fail;
	}
	ret = snoop__attach(l->skel);
	if (ret) {
		set_error(err, ret == -ENOENT ? EXIT_UNAVAILABLE : EXIT_FAILURE_RUNTIME,
			  "cannot attach to the tracepoints: %s", strerror(-ret));
		goto fail;
	}
	return l;
fail:
	loader__free(l);
	return NULL;
}

int loader__ringbuf_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

/* Sum one per-CPU counter of the stats map. */
static uint64_t stat_sum(const struct loader *l, __u32 stat)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	__u64 *vals;

	if (cpus <= 0)
		return 0;
	vals = calloc((size_t)cpus, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map__lookup_elem(l->skel->maps.stats, &stat, sizeof(stat), vals,
				  sizeof(*vals) * (size_t)cpus, 0))
		for (int i = 0; i < cpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

/* Runs the kernel skipped because another BPF program was running on the CPU. */
static uint64_t recursion_misses(const struct loader *l)
{
	struct bpf_program *prog;
	uint64_t sum = 0;

	bpf_object__for_each_program(prog, l->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

uint64_t loader__lost(const struct loader *l)
{
	return stat_sum(l, SNOOP_STAT_LOST) + recursion_misses(l);
}

uint64_t loader__emitted(const struct loader *l)
{
	return stat_sum(l, SNOOP_STAT_EMITTED);
}

uint64_t loader__ringbuf_bytes(const struct loader *l)
{
	return l->ringbuf_bytes;
}

void loader__print_features(FILE *out)
{
	static const struct {
		const char *name;
		enum bpf_prog_type type;
	} progs[] = {
		{ "tp_btf (BTF tracing)", BPF_PROG_TYPE_TRACING },
		{ "raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT },
		{ "tracepoint", BPF_PROG_TYPE_TRACEPOINT },
		{ "kprobe", BPF_PROG_TYPE_KPROBE },
		{ "cgroup_skb", BPF_PROG_TYPE_CGROUP_SKB },
	};
	static const struct {
		const char *name;
		enum bpf_map_type type;
	} maps[] = {
		{ "ringbuf", BPF_MAP_TYPE_RINGBUF },
		{ "sk_storage", BPF_MAP_TYPE_SK_STORAGE },
		{ "lpm_trie", BPF_MAP_TYPE_LPM_TRIE },
	};
	struct btf *vmlinux = btf__load_vmlinux_btf();

	libbpf_set_print(libbpf_print);
	fprintf(out, "kernel BTF: %s\n", vmlinux ? "yes" : "no");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		fprintf(out, "program %s: %s\n", progs[i].name,
			libbpf_probe_bpf_prog_type(progs[i].type, NULL) == 1 ? "yes" : "no");
	/* kprobe programs load without CONFIG_KPROBES; attaching needs the PMU. */
	fprintf(out, "kprobe attach: %s\n",
		access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ? "yes" : "no");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(out, "map %s: %s\n", maps[i].name,
			libbpf_probe_bpf_map_type(maps[i].type, NULL) == 1 ? "yes" : "no");
	for (size_t i = 0; vmlinux && i < sizeof(required_tracepoints) / sizeof(required_tracepoints[0]);
	     i++) {
		char name[96];

		snprintf(name, sizeof(name), "btf_trace_%s", strchr(required_tracepoints[i], '/') + 1);
		fprintf(out, "tracepoint %s: %s\n", required_tracepoints[i],
			btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) >= 0 ? "yes" : "no");
	}
	btf__free(vmlinux);
}

void loader__free(struct loader *l)
{
	if (!l)
		return;
	snoop__destroy(l->skel);
	free(l);
}
