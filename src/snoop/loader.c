// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* loader.c - probe, open, configure, load and attach the BPF side (see loader.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/exitcode.h"
#include "common/bpf_util.h"
#include "common/caps.h"
#include "common/diag.h"
#include "common/hidden.h"
#include "common/procfs.h"
#include "common/target.h"
#include "common/tracefs.h"
#include "common/rings.h"
#include "lib/parse.h"
#include "snoop/loader.h"
#include "lib/clock.h"
#include "lib/tcp_fsm.h"
#include "snoop.skel.h"
#include "snoop_raw.skel.h"
#include "metrics.skel.h"

/* The ring is mapped twice (for wrap-around) and all of it is resident: RSS is 2x this. */
#define RINGBUF_PER_CPU (2u << 20)
/*
 * In all at least: on 2 CPUs, 2 MiB rings lost events in make bench's large
 * storm in JSON (100,000 connections from 8 threads: 4 runs in 14), where
 * 4 MiB rings lost none in 12 (issue 14).
 */
#define RINGBUF_MIN (8u << 20)

/* Both builds come from one source: their read-only globals are one layout. */
_Static_assert(sizeof(struct snoop__rodata) == sizeof(struct snoop_raw__rodata),
	       "the two builds of snoop.bpf.c disagree on their globals");

/* What a run of a program that the kernel skipped (a recursion miss) costs. */
enum skip_cost { SKIP_LOSES_EVENT, SKIP_LOSES_OWNER_UPDATE, SKIP_HARMLESS };

/* Each program, the tracepoint it needs and the event kinds it serves (0: always needed). */
struct prog_spec {
	const char *name;	/* program name in snoop.bpf.c */
	const char *tracepoint; /* "subsystem/name", for messages */
	uint32_t kinds;
	bool required; /* socket-snoop cannot work without it */
	bool raw_only; /* exists in the raw_tp build only */
	enum skip_cost skip;
	bool on_send; /* loaded only with --owner-on-send (snoop_config.owner_on_send) */
	/*
	 * A classic tracepoint ("tracepoint/" section): no BTF type, its perf id
	 * from tracefs, attached here (attach_classic()).  Loaded whatever
	 * --events says: it serves attribution, and its kinds too.
	 */
	bool classic;
	/*
	 * An iterator ("iter/<target>"), run by the start-up snapshot, never
	 * attached: optional (the snapshot reads /proc without it), and left
	 * out without a word when this kernel cannot load it.
	 */
	bool iterator;
	bool dns; /* copies DNS messages: loaded unless --no-dns */
	/*
	 * A cgroup_skb program ("tracepoint" names its attach type), attached
	 * to the cgroup v2 root here (attach_cgroup()): loaded only with
	 * CAP_NET_ADMIN, which loading and attaching it need, and in the
	 * tp_btf build; optional.
	 */
	bool cgroup;
	/*
	 * Reads the packets received: DNS answers unless --no-dns, the FINs that
	 * move time-wait sockets to TIME_WAIT when state changes are reported;
	 * loaded for either (snoop.bpf.c's rx_dns, rx_time_wait).
	 */
	bool rx;
	bool exe;    /* JSON's process.executable (task_exe.bpf.h): loaded with -j */
	bool update; /* connection_updates: loaded with --interval, which needs it */
	/*
	 * Kinds it makes better but is not needed for (the RSTs and congestion
	 * states behind the close summary's reason and health): loaded for them
	 * too, and left out without failing a start that asked for them.
	 */
	uint32_t helps;
};

static const struct prog_spec prog_specs[] = {
	/* Its skipped runs are handled by handle_set_state_nested (SNOOP_STAT_RECOVERED). */
	{ "handle_set_state", "sock/inet_sock_set_state", 0, true, false, SKIP_LOSES_EVENT },
	/* Skipped only inside its own run, when handle_set_state is not running: no loss. */
	{ "handle_set_state_nested", "sock/inet_sock_set_state", 0, true, false, SKIP_HARMLESS },
	/*
	 * Every sendmsg and recvmsg of every socket runs these: on small-message
	 * traffic here each adds ~100 ns a round trip, 1.2% of the workload's CPU
	 * (measured by make bench), so only receives record by default.
	 */
	{ "handle_send", "sock/sock_send_length", 0, false, false, SKIP_LOSES_OWNER_UPDATE, true },
	{ "handle_recv", "sock/sock_recv_length", 0, false, false, SKIP_LOSES_OWNER_UPDATE },
	{ "handle_retransmit", "tcp/tcp_retransmit_skb", SNOOP_EV_RETRANSMIT, false, false,
	  SKIP_LOSES_EVENT },
	{ "handle_retransmit_synack", "tcp/tcp_retransmit_synack", SNOOP_EV_RETRANSMIT, false,
	  false, SKIP_LOSES_EVENT },
	{ "handle_send_reset", "tcp/tcp_send_reset", SNOOP_EV_RESET_SENT, false, false,
	  SKIP_LOSES_EVENT, .helps = SNOOP_EV_CLOSE | SNOOP_EV_ERROR },
	{ "handle_receive_reset", "tcp/tcp_receive_reset", SNOOP_EV_RESET_RECV, false, false,
	  SKIP_LOSES_EVENT, .helps = SNOOP_EV_CLOSE },
	{ "handle_error_report", "sock/inet_sk_error_report", SNOOP_EV_ERROR, false, false,
	  SKIP_LOSES_EVENT },
	/*
	 * Not run per system call: only at the exits of accept(2) and accept4(2).
	 * A skipped run leaves the connection named after the listener's process
	 * until its first read.
	 */
	{ "handle_accept4", "syscalls/sys_exit_accept4", SNOOP_EV_ACCEPT, false, false,
	  SKIP_LOSES_OWNER_UPDATE, .classic = true },
	{ "handle_accept", "syscalls/sys_exit_accept", SNOOP_EV_ACCEPT, false, false,
	  SKIP_LOSES_OWNER_UPDATE, .classic = true },
	/*
	 * Every fork and exit of the host: a hash lookup each, unless the process
	 * listened (its listeners pass to its heir when it exits).
	 */
	{ "handle_fork", "sched/sched_process_fork", 0, false, false, SKIP_LOSES_OWNER_UPDATE },
	{ "handle_exit", "sched/sched_process_exit", 0, false, false, SKIP_LOSES_OWNER_UPDATE },
	/*
	 * Congestion state changes (not per packet): the worst state of the
	 * close summary.  A skipped run leaves it at a milder state.
	 */
	{ "handle_cong_state", "tcp/tcp_cong_state_set", 0, false, false, SKIP_HARMLESS,
	  .helps = SNOOP_EV_CLOSE | SNOOP_EV_UPDATE },
	/* A skipped destroy only misses a gap check (and, raw_tp, leaves a record to the LRU). */
	{ "handle_destroy", "tcp/tcp_destroy_sock", 0, false, false, SKIP_HARMLESS },
	/*
	 * Every packet sent and received, for the DNS messages among them (the
	 * host name a process asked for; not with --no-dns) and, received, the
	 * FINs of time-wait sockets.  A skipped run misses a message (a name)
	 * or a FIN (a TIME_WAIT not shown), but nearly every run it could skip
	 * is of a packet of neither kind: not counted as lost events (its misses
	 * are in the program's recursion_misses, --metrics).
	 */
	{ "handle_rx", "net/netif_receive_skb", 0, false, false, SKIP_HARMLESS, .rx = true },
	{ "handle_dns_tx", "net/net_dev_queue", 0, false, false, SKIP_HARMLESS, .dns = true },
	/*
	 * DNS over TCP: every packet of every socket of the host runs one of
	 * these, which stops at the socket's protocol and port unless it is
	 * connected to port 53.
	 */
	{ "dns_tcp_tx", "cgroup_skb/egress", 0, false, false, SKIP_HARMLESS, .dns = true,
	  .cgroup = true },
	{ "dns_tcp_rx", "cgroup_skb/ingress", 0, false, false, SKIP_HARMLESS, .dns = true,
	  .cgroup = true },
	{ "snapshot_owners", "iter/task_file", 0, false, false, SKIP_HARMLESS, .iterator = true },
	{ "snapshot_sockets", "iter/tcp", 0, false, false, SKIP_HARMLESS, .iterator = true },
	/* Run by snoop.c every --interval, over the owner records: never on the event path. */
	{ "connection_updates", "iter/task_file", SNOOP_EV_UPDATE, false, false, SKIP_HARMLESS,
	  .iterator = true, .update = true },
	/* Run by common/procinfo.c once per process JSON names, never on the event path. */
	{ "task_exe", "iter/task", 0, false, false, SKIP_HARMLESS, .iterator = true, .exe = true },
};

#define N_PROGS (sizeof(prog_specs) / sizeof(prog_specs[0]))

struct loader {
	struct snoop *skel;	    /* the tp_btf build, or NULL */
	struct snoop_raw *raw_skel; /* the raw_tp build, or NULL */
	struct bpf_object *obj;	    /* whichever is loaded */
	enum attach_mode mode;	    /* ATTACH_TP_BTF or ATTACH_RAW_TP once loaded */
	/* attach_classic()'s and attach_cgroup()'s, by prog_specs index */
	struct bpf_link *manual_links[N_PROGS];
	const char *dns_tcp_missing; /* why DNS over TCP is not watched, or NULL */
	char fallback_reason[sizeof(((struct loader_error *)0)->msg)];
	uint64_t ringbuf_bytes; /* --buffer-size, 0 for the default */
	bool enabled[N_PROGS];
	const char *unavailable[N_PROGS];
	int n_unavailable;
	struct hidden *hidden; /* the kernel's count of what it hid, or NULL */
	int hidden_err;	       /* why it is NULL */
	/* With --metrics, metrics.bpf.c's iterators, linked while privileged, or NULL. */
	struct metrics *count_skel;
	struct bpf_link *owners_link;
	int owners_err; /* why there is none */
	/* With --interval, connection_updates linked to owner_map while privileged. */
	struct bpf_link *updates_link;
	bool filters_reloadable; /* --config: loader__set_filters() may switch them */
	struct snoop__data_filters *live_filters; /* the loaded sets, mapped; MAP_FAILED if not */
	uint64_t filters_switched_ns;		  /* when it last did (CLOCK_MONOTONIC) */
	/* The event rings, one per possible CPU (snoop.bpf.c's events), made at load. */
	int *ring_fds;
	uint32_t *ring_cpus;  /* each one's CPU */
	uint64_t *ring_sizes; /* each one's size: ring_bytes, or a page (offline at load) */
	bool *ring_late;      /* a page, and its CPU not seen online since */
	size_t n_rings, n_late;
	uint64_t ring_bytes; /* the size of an online CPU's ring */
	/* With --metrics, each ring's consumer and producer positions, mapped read-only. */
	void **ring_pos;
	size_t page_size;
};

static struct bpf_map *map_of(const struct loader *l, const char *name)
{
	return bpf_object__find_map_by_name(l->obj, name);
}

/*
 * The BTF id that program @p attaches to: a tracepoint's typedef, or an
 * iterator target's "bpf_iter_<target>" function.  A negative errno when
 * this kernel has none.  A classic tracepoint has no BTF id: 0 when tracefs
 * knows it.
 */
static int attach_btf_id(const struct btf *vmlinux, const struct prog_spec *p)
{
	char name[96];

	if (p->classic)
		return tracefs__event_id(p->tracepoint) >= 0 ? 0 : -ENOENT;
	if (p->cgroup)
		return 0;

	if (!p->iterator)
		return bpf_util__tracepoint_btf_id(vmlinux, p->tracepoint);
	snprintf(name, sizeof(name), "bpf_iter_%s", strchr(p->tracepoint, '/') + 1);
	return btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC);
}

/* Number of arguments of a tracepoint, or a negative errno. */
static int tracepoint_nargs(const struct btf *vmlinux, const char *tracepoint)
{
	const struct btf_type *proto = bpf_util__tracepoint_proto(vmlinux, tracepoint);

	return proto ? btf_vlen(proto) - 1 /* the leading void *ctx */ : -ENOENT;
}

static int libbpf_verbose;

/*
 * libbpf's own messages are noise unless -v was given (its debug messages
 * unless -v -v); then they are diagnostics like ours (JSON with --json).
 */
static int __attribute__((format(printf, 2, 0)))
libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (libbpf_verbose < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	diag__vsay_lines(level == LIBBPF_WARN ? DIAG_WARNING :
			 level == LIBBPF_INFO ? DIAG_INFO :
						DIAG_DEBUG,
			 fmt, args);
	return 0;
}

/* Kernel BTF must be there: CO-RE relocations and tp_btf attach points come from it. */
static int check_btf(struct loader_error *err)
{
	struct stat st;

	if (stat("/sys/kernel/btf/vmlinux", &st) == 0 && st.st_size > 0)
		return 0;
	loader_error__set(err, EXIT_UNAVAILABLE,
			  "kernel BTF is not available at /sys/kernel/btf/vmlinux: "
			  "socket-snoop needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	return -ENOENT;
}

/*
 * After a failed load: which wanted tracepoints does this kernel lack?  A
 * missing required one, or one serving an event kind the user asked for by
 * name, is an error; the others are left out and named in the
 * "unavailable" list.  Returns 1 when programs were left out (load again),
 * 0 when nothing is missing, negative on error (@err filled).  Parsing
 * vmlinux BTF costs tens of milliseconds: it is only done here, when needed.
 */
static int drop_missing_tracepoints(struct loader *l, const struct snoop_config *cfg,
				    struct loader_error *err)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int dropped = 0;

	if (!vmlinux) {
		loader_error__set(err, EXIT_UNAVAILABLE,
				  "kernel BTF at /sys/kernel/btf/vmlinux cannot be read (%s): "
				  "socket-snoop needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
				  strerror(errno));
		return -ENOENT;
	}
	for (size_t i = 0; i < N_PROGS; i++) {
		const struct prog_spec *p = &prog_specs[i];

		if (!l->enabled[i] || attach_btf_id(vmlinux, p) >= 0)
			continue;
		if (p->required || (cfg->events_explicit && (p->kinds & cfg->output_kinds))) {
			loader_error__set(err, EXIT_UNAVAILABLE,
					  "this kernel lacks the tracepoint %s", p->tracepoint);
			btf__free(vmlinux);
			return -ENOENT;
		}
		l->enabled[i] = false;
		if (!p->raw_only && !p->iterator)
			l->unavailable[l->n_unavailable++] = p->tracepoint;
		dropped = 1;
	}
	btf__free(vmlinux);
	return dropped;
}

/* Leave the iterators out: 1 if any was in, else 0. */
static int drop_iterators(struct loader *l)
{
	int dropped = 0;

	for (size_t i = 0; i < N_PROGS; i++) {
		if (prog_specs[i].iterator && l->enabled[i]) {
			l->enabled[i] = false;
			dropped = 1;
		}
	}
	return dropped;
}

uint64_t loader__ring_size(uint64_t requested, unsigned int cpus)
{
	uint64_t each = RINGBUF_PER_CPU, page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!cpus)
		cpus = 1;
	if (!requested) {
		/* 2 MiB each, and 8 MiB in all at least: the kernel wants powers of two. */
		while (each * cpus < RINGBUF_MIN)
			each <<= 1;
		return each;
	}
	/* The largest power of two within each CPU's share, a page at least. */
	each = page;
	while ((each << 1) * cpus <= requested)
		each <<= 1;
	return each;
}

/*
 * The filter maps' values are a bit per filter set (snoop_abi.h, struct
 * snoop_filter_set): set bit (1 << @gen) of key @key in @map, or clear it
 * (@on false), deleting the key once no set holds it.
 */
static int key_mark(struct bpf_map *map, const void *key, size_t key_size, unsigned int gen,
		    bool on)
{
	__u8 v = 0;
	int err;

	if (bpf_map__lookup_elem(map, key, key_size, &v, 1, 0) && errno != ENOENT)
		return -errno;
	v = on ? (__u8)(v | 1u << gen) : (__u8)(v & ~(1u << gen));
	err = v ? bpf_map__update_elem(map, key, key_size, &v, 1, BPF_ANY) :
		  bpf_map__delete_elem(map, key, key_size, 0);
	return err == -ENOENT && !v ? 0 : err;
}

/* Mark @n keys of @key_size bytes (at @stride) as set @gen's in map @name. */
static int fill_set(const struct loader *l, const char *name, const void *keys, int n,
		    size_t key_size, size_t stride, unsigned int gen)
{
	struct bpf_map *map = map_of(l, name);
	int err = 0;

	for (int i = 0; i < n && !err; i++)
		err = key_mark(map, (const char *)keys + (size_t)i * stride, key_size, gen, true);
	return err;
}

/* The CIDR trie of --laddr (@remote false) or --raddr for filter set @gen: one per set. */
static struct bpf_map *cidr_trie(const struct loader *l, bool remote, unsigned int gen)
{
	static const char *const names[2][2] = { { "laddr_filter", "laddr_filter1" },
						 { "raddr_filter", "raddr_filter1" } };

	return map_of(l, names[remote][gen & 1]);
}

/* Insert CIDRs into the trie of set @gen (emptied before, by clear_filter_maps()). */
static int fill_cidrs(const struct loader *l, bool remote, const struct cidr *c, int n,
		      unsigned int gen)
{
	struct bpf_map *map = cidr_trie(l, remote, gen);
	__u8 one = 1;
	int err = 0;

	for (int i = 0; i < n && !err; i++) {
		struct snoop_lpm_key key = { .prefixlen = c[i].prefixlen };

		memcpy(key.addr, c[i].addr, sizeof(key.addr));
		err = bpf_map__update_elem(map, &key, sizeof(key), &one, 1, BPF_ANY);
	}
	return err;
}

/* The hash maps of filter values, in the order fill_filter_maps() fills them. */
static const char *const filter_maps[] = { "pid_filter", "uid_filter", "comm_filter" };

/*
 * Empty set @gen's part of the filter maps before a reload writes it again:
 * its bit off every key of the hash maps, and its tries emptied.  Keys are
 * gathered first, as deleting while walking would restart the walk.
 */
static int clear_filter_maps(const struct loader *l, unsigned int gen)
{
	/* A map holds at most 2 * CONFIG_MAX_VALUES keys, none longer than this. */
	static char keys[2 * CONFIG_MAX_VALUES][sizeof(struct snoop_lpm_key) + SNOOP_COMM_LEN];

	const size_t n_hash = sizeof(filter_maps) / sizeof(filter_maps[0]);

	/* The hash maps, then the --laddr and --raddr tries. */
	for (size_t m = 0; m < n_hash + 2; m++) {
		bool trie = m >= n_hash;
		struct bpf_map *map = trie ? cidr_trie(l, m == n_hash + 1, gen) :
					     map_of(l, filter_maps[m]);
		size_t key_size = bpf_map__key_size(map);
		const void *prev = NULL;
		int n = 0, err;

		if (key_size > sizeof(keys[0]))
			return -E2BIG;
		while (n < 2 * CONFIG_MAX_VALUES &&
		       !(err = bpf_map__get_next_key(map, prev, keys[n], key_size))) {
			prev = keys[n];
			n++;
		}
		/* A walk that stopped before the end would leave keys of the old filters. */
		if (n < 2 * CONFIG_MAX_VALUES && err != -ENOENT)
			return err;
		for (int i = 0; i < n; i++) {
			err = trie ? bpf_map__delete_elem(map, keys[i], key_size, 0) :
				     key_mark(map, keys[i], key_size, gen, false);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Mark the values of @f in the filter maps as set @gen's. */
static int fill_filter_maps(const struct loader *l, const struct filter_config *f, unsigned int gen)
{
	int err = fill_set(l, filter_maps[0], f->pids, f->n_pids, sizeof(__u32), sizeof(f->pids[0]),
			   gen);

	if (!err)
		err = fill_set(l, filter_maps[1], f->uids, f->n_uids, sizeof(__u32),
			       sizeof(f->uids[0]), gen);
	if (!err)
		err = fill_set(l, filter_maps[2], f->comms, f->n_comms, SNOOP_COMM_LEN,
			       sizeof(f->comms[0]), gen);
	if (!err)
		err = fill_cidrs(l, false, f->laddrs, f->n_laddrs, gen);
	if (!err)
		err = fill_cidrs(l, true, f->raddrs, f->n_raddrs, gen);
	return err;
}

/* The filter set of @f, whose map keys are marked with bit @gen. */
static void filter_set_of(struct snoop_filter_set *fs, const struct filter_config *f,
			  unsigned int gen)
{
	memset(fs, 0, sizeof(*fs));
	/* Each guard from its row of SNOOP_FILTERS, as the BPF side declares them. */
#define SNOOP_FILTER_SET(name, scope, on) fs->filter_##name = (on);
	SNOOP_FILTERS(SNOOP_FILTER_SET)
#undef SNOOP_FILTER_SET
	fs->all_addresses = f->all_addresses;
	fs->gen = (__u8)gen;
	fs->family = f->family;
	fs->netns = f->netns;
	fs->states_mask = f->states_mask;
	memcpy(fs->lport_bits, f->lport_bits, sizeof(f->lport_bits));
	memcpy(fs->rport_bits, f->rport_bits, sizeof(f->rport_bits));
}

/* Copy the filters and sizes into the read-only globals before load. */
static void set_rodata(struct snoop__rodata *ro, const struct snoop_config *cfg, uint64_t wakeup)
{
	const struct filter_config *f = &cfg->filter;

	ro->kinds_mask = f->kinds_mask;
	filter_set_of(&ro->filters_start, f, 0);
	ro->filters_reloadable = cfg->config_path != NULL;
	ro->cgroup_id = f->cgroup_id;
	ro->cgroup_level = f->cgroup_level;
	ro->wakeup_bytes = wakeup;
	_Static_assert(sizeof(ro->gap_len) == TCP_FSM_CELLS, "gap_len is tcp_fsm's table");
	tcp_fsm__path_lengths((uint8_t *)ro->gap_len);
}

/*
 * The two filter sets --config may rewrite, and which one is in use
 * (filters.bpf.h): the skeleton's copy before load, the map after it.
 */
static struct snoop__data_filters *live_filters(const struct loader *l)
{
	if (l->live_filters != MAP_FAILED)
		return l->live_filters;
	if (l->skel)
		return l->skel->data_filters;
	return l->raw_skel ? (struct snoop__data_filters *)l->raw_skel->data_filters : NULL;
}

/*
 * Map the loaded filter sets for writing: bpf_object__load() leaves the
 * skeleton's pointer on its own copy (only the skeleton's load would move
 * it), and that copy is not what the programs read.
 */
static int map_live_filters(struct loader *l)
{
	struct bpf_map *map = map_of(l, ".data.filters");
	void *p;

	if (!map)
		return -ENOENT;
	p = mmap(NULL, sizeof(struct snoop__data_filters), PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(map), 0);
	if (p == MAP_FAILED)
		return -errno;
	l->live_filters = p;
	return 0;
}

/*
 * A program reads which set is in use once, then the set: one that read it
 * just before a switch finishes within microseconds.  A set is rewritten
 * only this long after it was left, so that no run can still be reading it.
 */
#define FILTER_SET_QUIET_NS (100 * 1000 * 1000ull)

int loader__set_filters(struct loader *l, const struct filter_config *f)
{
	struct snoop__data_filters *live = live_filters(l);
	unsigned int next;
	uint64_t since;
	int err;

	if (!live || !l->filters_reloadable)
		return -ENOTSUP;
	next = (__atomic_load_n(&live->filters_live_cur, __ATOMIC_ACQUIRE) & 1) ^ 1;
	since = clock__mono_ns() - l->filters_switched_ns;
	if (since < FILTER_SET_QUIET_NS) {
		uint64_t wait = FILTER_SET_QUIET_NS - since;
		struct timespec ts = { (time_t)(wait / 1000000000ull),
				       (long)(wait % 1000000000ull) };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	/* A failure leaves the set in use as it was: the old filters stay. */
	err = clear_filter_maps(l, next);
	if (!err)
		err = fill_filter_maps(l, f, next);
	if (err)
		return err;
	filter_set_of(&live->filters_live[next], f, next);
	__atomic_store_n(&live->filters_live_cur, next, __ATOMIC_RELEASE);
	l->filters_switched_ns = clock__mono_ns();
	return 0;
}

static void unload(struct loader *l)
{
	for (size_t i = 0; i < N_PROGS; i++) {
		bpf_link__destroy(l->manual_links[i]);
		l->manual_links[i] = NULL;
	}
	bpf_link__destroy(l->owners_link);
	l->owners_link = NULL;
	bpf_link__destroy(l->updates_link);
	l->updates_link = NULL;
	metrics__destroy(l->count_skel);
	l->count_skel = NULL;
	for (size_t i = 0; i < l->n_rings; i++) {
		if (l->ring_pos && l->ring_pos[i] && l->ring_pos[i] != MAP_FAILED)
			munmap(l->ring_pos[i], 2 * l->page_size);
		if (l->ring_fds && l->ring_fds[i] >= 0)
			close(l->ring_fds[i]);
	}
	free(l->ring_pos);
	l->ring_pos = NULL;
	free(l->ring_fds);
	free(l->ring_cpus);
	free(l->ring_sizes);
	free(l->ring_late);
	l->ring_fds = NULL;
	l->ring_cpus = NULL;
	l->ring_sizes = NULL;
	l->ring_late = NULL;
	l->n_rings = 0;
	l->n_late = 0;
	if (l->live_filters != MAP_FAILED)
		munmap(l->live_filters, sizeof(*l->live_filters));
	l->live_filters = MAP_FAILED;
	snoop__destroy(l->skel);
	snoop_raw__destroy(l->raw_skel);
	l->skel = NULL;
	l->raw_skel = NULL;
	l->obj = NULL;
}

/*
 * Attach the loaded classic tracepoint programs: libbpf would look their ids
 * up in a mounted tracefs only.  One perf event (any CPU: a tracepoint runs
 * its programs wherever it fires) per program.  Optional: one that cannot be
 * attached is reported as unavailable, and the rest go on.
 */
static void attach_classic(struct loader *l)
{
	for (size_t i = 0; i < N_PROGS; i++) {
		struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
						.size = sizeof(attr),
						.sample_period = 1,
						.wakeup_events = 1 };
		struct bpf_program *prog;
		long id;
		int pfd = -1;

		if (!prog_specs[i].classic || !l->enabled[i])
			continue;
		prog = bpf_object__find_program_by_name(l->obj, prog_specs[i].name);
		id = tracefs__event_id(prog_specs[i].tracepoint);
		attr.config = (uint64_t)id;
		if (prog && id >= 0)
			pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1,
					   PERF_FLAG_FD_CLOEXEC);
		/* The link owns the perf event from here on. */
		if (pfd >= 0)
			l->manual_links[i] = bpf_program__attach_perf_event(prog, pfd);
		if (l->manual_links[i])
			continue;
		if (pfd >= 0)
			close(pfd);
		l->unavailable[l->n_unavailable++] = prog_specs[i].tracepoint;
	}
}

/*
 * Attach the cgroup_skb programs to the root of the cgroup v2 hierarchy,
 * where the kernel runs them for every packet of every socket of the host
 * (tcpsnoop's are there too).  Optional: DNS over TCP is all they serve, and
 * why it is not watched is kept for the caller to say.
 */
static void attach_cgroup(struct loader *l)
{
	char root[PATH_MAX];
	int fd = -1;

	for (size_t i = 0; i < N_PROGS; i++) {
		struct bpf_program *prog;

		if (!prog_specs[i].cgroup || !l->enabled[i])
			continue;
		prog = bpf_object__find_program_by_name(l->obj, prog_specs[i].name);
		if (!prog) {
			l->dns_tcp_missing = "the raw tracepoint build has no cgroup_skb programs";
			return;
		}
		if (fd < 0) {
			fd = target__cgroup2_root_open(root, sizeof(root));
			if (fd < 0) {
				l->dns_tcp_missing = root[0] ?
							     "the cgroup v2 root cannot be opened" :
							     "no cgroup v2 hierarchy is mounted";
				return;
			}
		}
		l->manual_links[i] = bpf_program__attach_cgroup(prog, fd);
		if (!l->manual_links[i]) {
			l->dns_tcp_missing = "the kernel refused to attach its programs to the "
					     "cgroup v2 root";
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	/* Queries without their answers would only cost: all or none. */
	for (size_t i = 0; l->dns_tcp_missing && i < N_PROGS; i++) {
		if (prog_specs[i].cgroup) {
			bpf_link__destroy(l->manual_links[i]);
			l->manual_links[i] = NULL;
		}
	}
}

/* The kernel refused to load our programs or make our maps (@ret -EPERM or -EACCES). */
static void load_refused(struct loader_error *err, int ret)
{
	loader_error__set(err, EXIT_NOPERM,
			  "the kernel refused to load the BPF programs (%s): run as root "
			  "or with CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)",
			  strerror(-ret));
}

/*
 * Making the rings or putting them in place failed with @ret: a refusal is
 * part of the load's (the rings are the first thing the kernel may refuse).
 */
static int rings_failed(const struct loader *l, struct loader_error *err, int ret)
{
	if (ret == -EPERM || ret == -EACCES)
		load_refused(err, ret);
	else
		loader_error__set(err, EXIT_FAILURE_RUNTIME,
				  "cannot make the event rings (%zu of %llu bytes): %s", l->n_rings,
				  (unsigned long long)l->ring_bytes, strerror(-ret));
	return ret;
}

/*
 * The CPUs of the kernel's list at @path ("0-3,5\n") set in @bits
 * (RINGS_MAX bits).  0, -E2BIG for a CPU past RINGS_MAX, or -ENOENT:
 * unreadable, or not a list.
 */
static int cpu_list_read(const char *path, uint64_t *bits)
{
	char text[4096];
	ssize_t n = procfs__read(path, text, sizeof(text));
	int err;

	memset(bits, 0, RINGS_MAX / 8);
	if (n <= 0)
		return -ENOENT;
	if (text[n - 1] == '\n')
		text[n - 1] = '\0';
	err = parse_id_set(text, RINGS_MAX - 1, bits);
	if (err)
		memset(bits, 0, RINGS_MAX / 8);
	return err == -ERANGE ? -E2BIG : err ? -ENOENT : 0;
}

/*
 * The possible CPUs in @possible and the online ones in @online; their
 * numbers' end (the highest possible CPU + 1: the list may have gaps) is
 * returned, or a negative errno.  Without the files (a /sys that is not
 * the kernel's), libbpf's count of possible CPUs, all online.
 */
static int cpus_read(uint64_t *possible, uint64_t *online)
{
	int n = 0, err = cpu_list_read("/sys/devices/system/cpu/possible", possible);

	if (err == -E2BIG)
		return err;
	if (err) {
		n = libbpf_num_possible_cpus();
		if (n <= 0 || n > RINGS_MAX)
			return n <= 0 ? n : -E2BIG;
		for (int i = 0; i < n; i++)
			possible[i >> 6] |= 1ull << (i & 63);
	}
	if (cpu_list_read("/sys/devices/system/cpu/online", online))
		memcpy(online, possible, RINGS_MAX / 8);
	for (int w = 0; w < RINGS_MAX / 64; w++) {
		/* A CPU online but not possible is not one: kept to the possible ones. */
		online[w] &= possible[w];
		if (possible[w])
			n = w * 64 + 64 - __builtin_clzll(possible[w]);
	}
	return n;
}

/*
 * The event rings (snoop.bpf.c's events), made before load: one per
 * possible CPU, at its index.  A CPU online now gets a ring of
 * loader__ring_size() (the default or --buffer-size shared among the
 * online CPUs); one offline gets a page, for the events it would make if
 * brought online: a VM may have many more possible CPUs than it runs, and
 * making a ring later would need privileges we drop (loader__late_cpus()
 * says when that happened).  The first ring is also the array's inner map
 * (libbpf's own template would be made at the size in the object).  0 or a
 * negative errno.
 */
static int rings_make(struct loader *l)
{
	struct bpf_map *outer = map_of(l, "events");
	uint64_t possible[RINGS_MAX / 64], online[RINGS_MAX / 64];
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n_online = 0, n = 0;
	int slots = cpus_read(possible, online);

	if (slots <= 0 || !outer)
		return slots < 0 ? slots : -ENOENT;
	for (int w = 0; w < RINGS_MAX / 64; w++) {
		n += (size_t)__builtin_popcountll(possible[w]);
		n_online += (size_t)__builtin_popcountll(online[w]);
	}
	l->ring_bytes = loader__ring_size(l->ringbuf_bytes, (unsigned int)n_online);
	l->ring_fds = malloc(n * sizeof(*l->ring_fds));
	l->ring_cpus = malloc(n * sizeof(*l->ring_cpus));
	l->ring_sizes = malloc(n * sizeof(*l->ring_sizes));
	l->ring_late = calloc(n, sizeof(*l->ring_late));
	if (!l->ring_fds || !l->ring_cpus || !l->ring_sizes || !l->ring_late)
		return -ENOMEM;
	/* Counted before they are made: unload() closes those that were. */
	l->n_rings = n;
	for (size_t i = 0; i < n; i++)
		l->ring_fds[i] = -1;
	n = 0;
	for (int cpu = 0; cpu < slots; cpu++) {
		if (!parse_id_has(possible, (uint64_t)cpu))
			continue;
		l->ring_cpus[n] = (uint32_t)cpu;
		l->ring_sizes[n] = parse_id_has(online, (uint64_t)cpu) ? l->ring_bytes : page;
		/* Smaller than the others: said if the CPU comes online. */
		l->ring_late[n] = l->ring_sizes[n] < l->ring_bytes;
		l->n_late += l->ring_late[n];
		l->ring_fds[n] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "snoop_ring", 0, 0,
						(__u32)l->ring_sizes[n], NULL);
		if (l->ring_fds[n] < 0)
			return -errno;
		n++;
	}
	if (bpf_map__set_max_entries(outer, (__u32)slots) ||
	    bpf_map__set_inner_map_fd(outer, l->ring_fds[0]))
		return -EINVAL;
	return 0;
}

/* Put each ring at its CPU's index of the loaded array.  0 or a negative errno. */
static int rings_fill(struct loader *l)
{
	int outer = bpf_map__fd(map_of(l, "events"));

	for (size_t i = 0; i < l->n_rings; i++)
		if (bpf_map_update_elem(outer, &l->ring_cpus[i], &l->ring_fds[i], BPF_ANY))
			return -errno;
	return 0;
}

size_t loader__late_cpus(struct loader *l, uint32_t *cpus, size_t max)
{
	uint64_t online[RINGS_MAX / 64];
	size_t n = 0;

	if (!l->n_late || cpu_list_read("/sys/devices/system/cpu/online", online))
		return 0;
	for (size_t i = 0; i < l->n_rings && n < max; i++) {
		if (!l->ring_late[i] || !parse_id_has(online, l->ring_cpus[i]))
			continue;
		l->ring_late[i] = false;
		l->n_late--;
		cpus[n++] = l->ring_cpus[i];
	}
	return n;
}

/* Open, configure, load and attach one build.  0 or a negative errno (@err filled). */
static int load_build(struct loader *l, const struct snoop_config *cfg, enum attach_mode mode,
		      struct loader_error *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = bpf_util__btf_custom_path());
	struct snoop__rodata *ro;
	int ret;

	if (mode == ATTACH_TP_BTF) {
		l->skel = snoop__open_opts(&opts);
		l->obj = l->skel ? l->skel->obj : NULL;
		ro = l->skel ? l->skel->rodata : NULL;
	} else {
		l->raw_skel = snoop_raw__open_opts(&opts);
		l->obj = l->raw_skel ? l->raw_skel->obj : NULL;
		ro = l->raw_skel ? (struct snoop__rodata *)l->raw_skel->rodata : NULL;
	}
	if (!l->obj) {
		ret = -errno;
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "cannot open the BPF object: %s",
				  strerror(errno));
		return ret;
	}
	ret = rings_make(l);
	if (ret)
		return rings_failed(l, err, ret);
	/* Kernel memory for --interval's counts only with it (none in the raw_tp build). */
	if (map_of(l, "update_bases"))
		bpf_map__set_max_entries(map_of(l, "update_bases"),
					 cfg->interval_s ? SNOOP_UPDATE_CONNS_MAX :
							   SNOOP_UPDATE_CONNS_IDLE);
	/*
	 * The reader polls (see loop.c); the kernel wakes it only when half the
	 * ring is full, a guard against a reader that polls too late.
	 */
	set_rodata(ro, cfg, l->ring_bytes / 2);
	l->filters_reloadable = cfg->config_path != NULL;
	if (live_filters(l)) {
		/* Set 0 is the start's (its keys under bit 0, as filters_start's). */
		filter_set_of(&live_filters(l)->filters_live[0], &cfg->filter, 0);
		live_filters(l)->filters_live_cur = 0;
	}
	ro->rx_dns = !cfg->no_dns;
	ro->rx_time_wait = (cfg->filter.kinds_mask & SNOOP_EV_STATE) != 0;
	ro->tw_owners = cfg->tw_owners;
	ro->update_interval_ns = cfg->interval_s * 1000000000ull;
	/* Programs of unselected kinds are not even loaded: they cost nothing. */
	for (size_t i = 0; i < N_PROGS; i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(l->obj, prog_specs[i].name);

		if (!prog)
			continue;
		bpf_program__set_autoload(prog, l->enabled[i]);
		if (prog_specs[i].iterator || prog_specs[i].classic || prog_specs[i].cgroup)
			bpf_program__set_autoattach(prog, false);
	}
	ret = bpf_object__load(l->obj);
	if (ret) {
		if (ret == -EPERM || ret == -EACCES)
			load_refused(err, ret);
		else
			loader_error__set(
				err, EXIT_UNAVAILABLE,
				"this kernel cannot load socket-snoop's BPF programs (%s); "
				"-v shows the verifier's log",
				strerror(-ret));
		return ret;
	}
	ret = rings_fill(l);
	if (ret)
		return rings_failed(l, err, ret);
	ret = fill_filter_maps(l, &cfg->filter, 0);
	if (!ret && l->filters_reloadable)
		ret = map_live_filters(l);
	if (ret) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "cannot set the filters: %s",
				  strerror(-ret));
		return ret;
	}
	ret = mode == ATTACH_TP_BTF ? snoop__attach(l->skel) : snoop_raw__attach(l->raw_skel);
	if (!ret) {
		attach_classic(l);
		attach_cgroup(l);
	}
	if (ret) {
		loader_error__set(err, ret == -ENOENT ? EXIT_UNAVAILABLE : EXIT_FAILURE_RUNTIME,
				  "cannot attach to the tracepoints: %s", strerror(-ret));
		return ret;
	}
	l->mode = mode;
	return 0;
}

/*
 * With --metrics, what they read later, made now while every capability is
 * held: a read-only view of the ring's positions, and metrics.bpf.c's
 * iterator over owner_map, linked.  Without either, its metric is left out
 * (saying why): not an error.
 */
static void loader_metrics_setup(struct loader *l, const struct snoop_config *cfg)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = bpf_util__btf_custom_path());
	union bpf_iter_link_info info = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, iopts, .link_info = &info, .link_info_len = sizeof(info));

	if (!cfg->metrics)
		return;
	l->page_size = (size_t)sysconf(_SC_PAGESIZE);
	l->ring_pos = calloc(l->n_rings, sizeof(*l->ring_pos));
	/* Page 0 holds the consumer position, page 1 the producer's. */
	for (size_t i = 0; l->ring_pos && i < l->n_rings; i++)
		l->ring_pos[i] =
			mmap(NULL, 2 * l->page_size, PROT_READ, MAP_SHARED, l->ring_fds[i], 0);
	l->owners_err = -ENOTSUP;
	if (l->mode != ATTACH_TP_BTF)
		return;
	l->count_skel = metrics__open_opts(&opts);
	if (!l->count_skel) {
		l->owners_err = -errno;
		return;
	}
	l->owners_err = bpf_map__reuse_fd(l->count_skel->maps.owner_map, loader__owner_map_fd(l));
	if (!l->owners_err) {
		/*
		 * Quiet even with -v: a refusal is expected on some kernels, said
		 * once by the caller, and libbpf's advice for it (ulimit -l) is wrong.
		 */
		libbpf_print_fn_t old = libbpf_set_print(NULL);

		l->owners_err = metrics__load(l->count_skel);
		libbpf_set_print(old);
	}
	if (!l->owners_err) {
		info.map.map_fd = (__u32)loader__owner_map_fd(l);
		l->owners_link =
			bpf_program__attach_iter(l->count_skel->progs.count_owners, &iopts);
		if (!l->owners_link)
			l->owners_err = -errno;
	}
	if (l->owners_err) {
		metrics__destroy(l->count_skel);
		l->count_skel = NULL;
	}
}

static int prog_fd(const struct loader *l, const char *name);

/*
 * With --interval, connection_updates linked to the owner records now, while
 * privileged (snoop.c creates its iterator each interval).  0, or a negative
 * errno with @err said: --interval asked for what this kernel or build lacks.
 */
static int loader_updates_setup(struct loader *l, const struct snoop_config *cfg,
				struct loader_error *err)
{
	struct bpf_program *prog;
	int ret;

	if (!cfg->interval_s)
		return 0;
	prog = l->mode == ATTACH_TP_BTF && prog_fd(l, "connection_updates") >= 0 ?
		       bpf_object__find_program_by_name(l->obj, "connection_updates") :
		       NULL;
	if (!prog) {
		loader_error__set(
			err, EXIT_UNAVAILABLE,
			"--interval needs the tp_btf build and the task_file iterator: %s",
			l->mode == ATTACH_TP_BTF ? "this kernel refused the iterator" :
						   "the raw_tp build is in use");
		return -ENOTSUP;
	}
	l->updates_link = bpf_program__attach_iter(prog, NULL);
	if (!l->updates_link) {
		ret = -errno;
		loader_error__set(err, EXIT_UNAVAILABLE,
				  "--interval: cannot link the connection updates iterator: %s",
				  strerror(-ret));
		return ret;
	}
	return 0;
}

int loader__updates_run(const struct loader *l, loader_update_fn fn, void *ctx)
{
	/* Whole records: a read may end inside one, the rest comes with the next. */
	static _Alignas(8) uint8_t buf[64 * sizeof(struct snoop_event)];
	size_t have = 0;
	ssize_t n;
	int fd;

	if (!l->updates_link)
		return -ENOTSUP;
	fd = bpf_iter_create(bpf_link__fd(l->updates_link));
	if (fd < 0)
		return -errno;
	for (;;) {
		size_t at = 0;

		n = read(fd, buf + have, sizeof(buf) - have);
		/* EAGAIN: a long walk that wrote nothing yet (bpf_seq_read()). */
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (; have - at >= sizeof(struct snoop_event); at += sizeof(struct snoop_event))
			fn(ctx, (const struct snoop_event *)(buf + at));
		memmove(buf, buf + at, have - at);
		have -= at;
	}
	close(fd);
	return n < 0 ? -errno : 0;
}

struct loader *loader__new(const struct snoop_config *cfg, struct loader_error *err)
{
	/* The cgroup_skb programs (DNS over TCP) load and attach only with CAP_NET_ADMIN. */
	bool can_cgroup = caps__can_attach_packet_programs();
	struct loader *l;
	int ret;

	libbpf_verbose = cfg->verbose;
	libbpf_set_print(libbpf_print);
	l = calloc(1, sizeof(*l));
	if (!l) {
		loader_error__set(err, EXIT_FAILURE_RUNTIME, "out of memory");
		return NULL;
	}
	l->live_filters = MAP_FAILED;
	if (check_btf(err))
		goto fail;
	for (size_t i = 0; i < N_PROGS; i++)
		l->enabled[i] =
			((!prog_specs[i].kinds && !prog_specs[i].helps) || prog_specs[i].classic ||
			 (cfg->filter.kinds_mask & (prog_specs[i].kinds | prog_specs[i].helps))) &&
			(!prog_specs[i].on_send || cfg->owner_on_send) &&
			(!prog_specs[i].dns || !cfg->no_dns) && (!prog_specs[i].exe || cfg->json) &&
			(!prog_specs[i].update || cfg->interval_s) &&
			(!prog_specs[i].rx || !cfg->no_dns ||
			 (cfg->filter.kinds_mask & SNOOP_EV_STATE)) &&
			(!prog_specs[i].cgroup || can_cgroup);
	if (!cfg->no_dns && !can_cgroup)
		l->dns_tcp_missing = "CAP_NET_ADMIN is not held";
	l->ringbuf_bytes = cfg->ringbuf_bytes;

	for (enum attach_mode mode = ATTACH_TP_BTF; mode <= ATTACH_RAW_TP; mode++) {
		if ((cfg->attach_mode == ATTACH_TP_BTF && mode != ATTACH_TP_BTF) ||
		    (cfg->attach_mode == ATTACH_RAW_TP && mode != ATTACH_RAW_TP))
			continue;
		ret = load_build(l, cfg, mode, err);
		if (ret) {
			/* A tracepoint this kernel lacks: leave its program out and retry. */
			int dropped;

			unload(l);
			dropped = drop_missing_tracepoints(l, cfg, err);
			if (dropped < 0)
				goto fail;
			/*
			 * Nothing missing: the load failed for another reason, kept in
			 * @err.  Without the optional iterators, once, before giving up
			 * the build: an older verifier may refuse only them.
			 */
			if (!dropped)
				dropped = drop_iterators(l);
			if (dropped > 0)
				ret = load_build(l, cfg, mode, err);
		}
		if (!ret && loader_updates_setup(l, cfg, err))
			goto fail;
		if (!ret) {
			loader_metrics_setup(l, cfg);
			/*
			 * After attaching: the counters' probe then runs after ours
			 * (common/hidden.h).  Only where state changes are reported:
			 * the packet faces load this loader with no event kind.
			 */
			if (cfg->filter.kinds_mask & SNOOP_EV_STATE)
				l->hidden_err = hidden__new(&l->hidden);
			return l;
		}
		unload(l);
		/* No privilege: raw tracepoints would not do better. */
		if (err->exit_code == EXIT_NOPERM)
			goto fail;
		snprintf(l->fallback_reason, sizeof(l->fallback_reason), "%s", err->msg);
	}
fail:
	loader__free(l);
	return NULL;
}

const char *loader__dns_tcp_missing(const struct loader *l)
{
	return l->dns_tcp_missing;
}

enum attach_mode loader__mode(const struct loader *l)
{
	return l->mode;
}

const char *loader__fallback_reason(const struct loader *l)
{
	return l->fallback_reason[0] ? l->fallback_reason : NULL;
}

int loader__ringbuf_fd(const struct loader *l)
{
	return bpf_map__fd(map_of(l, "events"));
}

uint64_t loader__ring_bytes(const struct loader *l)
{
	return l->ring_bytes;
}

const int *loader__ring_fds(const struct loader *l, size_t *n)
{
	*n = l->n_rings;
	return l->ring_fds;
}

int loader__dns_ring_fd(const struct loader *l)
{
	for (size_t i = 0; i < N_PROGS; i++)
		if (prog_specs[i].dns && l->enabled[i])
			return bpf_map__fd(map_of(l, "dns_events"));
	return -1;
}

uint64_t loader__dns_stat(const struct loader *l, enum snoop_dns_stat stat)
{
	return loader__dns_ring_fd(l) < 0 ? 0 : bpf_util__percpu_sum(map_of(l, "dns_stats"), stat);
}

int loader__owner_map_fd(const struct loader *l)
{
	return bpf_map__fd(map_of(l, "owner_map"));
}

int loader__time_wait_map_fd(const struct loader *l)
{
	return bpf_map__fd(map_of(l, "tw_live"));
}

/* The descriptor of program @name if loaded, else -1. */
static int prog_fd(const struct loader *l, const char *name)
{
	for (size_t i = 0; i < N_PROGS; i++) {
		struct bpf_program *prog;

		if (strcmp(prog_specs[i].name, name) != 0 || !l->enabled[i])
			continue;
		/* None in the raw_tp build. */
		prog = bpf_object__find_program_by_name(l->obj, name);
		return prog ? bpf_program__fd(prog) : -1;
	}
	return -1;
}

int loader__exe_iter_fd(const struct loader *l)
{
	return prog_fd(l, "task_exe");
}

void loader__snapshot_source(const struct loader *l, struct snapshot_source *src)
{
	struct bpf_map *maps = map_of(l, "snapshot_maps");

	src->owner_map_fd = loader__owner_map_fd(l);
	src->owners_iter_fd = prog_fd(l, "snapshot_owners");
	src->sockets_iter_fd = prog_fd(l, "snapshot_sockets");
	src->maps_fd = maps ? bpf_map__fd(maps) : -1;
}

/* Sum one per-CPU counter of the stats map. */
static uint64_t stat_sum(const struct loader *l, __u32 stat)
{
	return bpf_util__percpu_sum(map_of(l, "stats"), stat);
}

/*
 * Runs the kernel skipped because the program was already running on the CPU
 * (recursion misses), summed over the loaded programs whose skips cost @what.
 */
static uint64_t recursion_misses(const struct loader *l, enum skip_cost what)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < N_PROGS; i++) {
		struct bpf_program *prog;
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (prog_specs[i].skip != what || !l->enabled[i])
			continue;
		prog = bpf_object__find_program_by_name(l->obj, prog_specs[i].name);
		fd = prog ? bpf_program__fd(prog) : -1;
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

void loader__counts(const struct loader *l, struct loader_counts *out)
{
	/* Each recovered transition was also counted as a miss of handle_set_state. */
	uint64_t misses = recursion_misses(l, SKIP_LOSES_EVENT);

	out->lost[SNOOP_LOSS_RING_FULL] = stat_sum(l, SNOOP_STAT_LOST);
	out->recovered = stat_sum(l, SNOOP_STAT_RECOVERED);
	out->lost[SNOOP_LOSS_SKIPPED] = misses > out->recovered ? misses - out->recovered : 0;
	out->lost[SNOOP_LOSS_UNDELIVERED] = stat_sum(l, SNOOP_STAT_UNDELIVERED);
	out->owner_updates_skipped = recursion_misses(l, SKIP_LOSES_OWNER_UPDATE);
	out->hidden = loader__hidden(l);
}

uint64_t loader__hidden(const struct loader *l)
{
	/*
	 * The kernel's count first: a transition made between the two reads can
	 * only raise ours, so the difference is never more than was hidden.
	 */
	uint64_t made = hidden__made(l->hidden);
	uint64_t seen = stat_sum(l, SNOOP_STAT_SEEN_INIT);

	return made > seen ? made - seen : 0;
}

int loader__hidden_error(const struct loader *l)
{
	return l->hidden_err;
}

uint64_t loader__lost(const struct loader *l)
{
	struct loader_counts c;
	uint64_t sum = 0;

	loader__counts(l, &c);
	for (int i = 0; i < SNOOP_LOSS_N; i++)
		sum += c.lost[i];
	return sum;
}

int loader__prog_stats(const struct loader *l, size_t i, struct loader_prog_stats *out)
{
	for (size_t k = 0; k < N_PROGS; k++) {
		struct bpf_program *prog;
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (!l->enabled[k])
			continue;
		prog = bpf_object__find_program_by_name(l->obj, prog_specs[k].name);
		fd = prog ? bpf_program__fd(prog) : -1;
		if (fd < 0)
			continue;
		if (i--)
			continue;
		memset(out, 0, sizeof(*out));
		out->name = prog_specs[k].name;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			out->runs = info.run_cnt;
			out->run_ns = info.run_time_ns;
			out->recursion_misses = info.recursion_misses;
		}
		return 0;
	}
	/* Then metrics.bpf.c's, run when scraped: the metrics' own cost. */
	if (l->count_skel) {
		struct bpf_program *prog;

		bpf_object__for_each_program (prog, l->count_skel->obj) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (bpf_program__fd(prog) < 0 || i--)
				continue;
			memset(out, 0, sizeof(*out));
			out->name = bpf_program__name(prog);
			if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
				out->runs = info.run_cnt;
				out->run_ns = info.run_time_ns;
				out->recursion_misses = info.recursion_misses;
			}
			return 0;
		}
	}
	return -ENOENT;
}

/* "memlock:" of /proc/self/fdinfo/@fd: what the kernel charges the map, in bytes. */
static uint64_t map_memlock(int fd)
{
	char path[64], buf[1024];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (procfs__read(path, buf, sizeof(buf)) < 0 || procfs__key_u64(buf, "memlock:", &v))
		return 0;
	return v;
}

int loader__map_stats(const struct loader *l, size_t i, struct loader_map_stats *out)
{
	struct bpf_map *map;

	bpf_object__for_each_map (map, l->obj) {
		if (bpf_map__fd(map) < 0 || i--)
			continue;
		out->name = bpf_map__name(map);
		out->memory_bytes = map_memlock(bpf_map__fd(map));
		/* The event rings are made apart (rings_make()): counted with their array. */
		if (!strcmp(out->name, "events"))
			for (size_t r = 0; r < l->n_rings; r++)
				out->memory_bytes += map_memlock(l->ring_fds[r]);
		return 0;
	}
	return -ENOENT;
}

void loader__ring_usage(const struct loader *l, uint64_t *size, uint64_t *used)
{
	*size = 0;
	*used = 0;
	for (size_t i = 0; i < l->n_rings; i++)
		*size += l->ring_sizes[i];
	for (size_t i = 0; l->ring_pos && i < l->n_rings; i++) {
		const volatile unsigned long *cons = l->ring_pos[i], *prod;
		unsigned long c, p;

		if (!cons || cons == MAP_FAILED)
			continue;
		prod = (const void *)((const char *)l->ring_pos[i] + l->page_size);
		c = *cons;
		p = *prod;
		*used += p > c ? p - c : 0;
	}
}

/* Run the iterator of @link to its end (its program counts; it writes nothing). */
static int iter_run(struct bpf_link *link)
{
	char buf[64];
	ssize_t n;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)));
	close(fd);
	return n < 0 ? -errno : 0;
}

int loader__owner_records_error(const struct loader *l)
{
	return l->owners_link ? 0 : l->owners_err;
}

int loader__owner_records(const struct loader *l, uint64_t *tracked, uint64_t *capacity)
{
	int err;

	*tracked = 0;
	*capacity = 0;
	if (l->mode == ATTACH_RAW_TP) {
		/* The raw_tp build's table is an LRU hash: full, it forgets the oldest. */
		struct bpf_map *map = map_of(l, "owner_map");
		__u64 key, next;
		const void *prev = NULL;

		*capacity = bpf_map__max_entries(map);
		while (!bpf_map_get_next_key(bpf_map__fd(map), prev, &next)) {
			key = next;
			prev = &key;
			++*tracked;
		}
		return 0;
	}
	if (!l->owners_link)
		return l->owners_err ? l->owners_err : -ENOTSUP;
	l->count_skel->bss->owners_counted = 0;
	err = iter_run(l->owners_link);
	if (!err)
		*tracked = l->count_skel->bss->owners_counted;
	return err;
}

const char *loader__unavailable(const struct loader *l, int i)
{
	return i < l->n_unavailable ? l->unavailable[i] : NULL;
}

/* Can this kernel load and attach the @mode build of our programs?  Tried for real. */
static const char *build_works(enum attach_mode mode)
{
	struct snoop_config cfg = { .attach_mode = mode, .ringbuf_bytes = 64 << 10 };
	struct loader_error err;
	struct loader *l;

	cfg.filter.kinds_mask = SNOOP_EV_ALL;
	l = loader__new(&cfg, &err);
	loader__free(l);
	return l ? "yes" : "no";
}

void loader__print_features(FILE *out, const char *indent)
{
	static const struct {
		const char *name;
		enum bpf_prog_type type;
	} progs[] = {
		/* tp_btf programs need an attach target to load: tried below with ours. */
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
	fprintf(out, "%skernel BTF: %s\n", indent, vmlinux ? "yes" : "no");
	fprintf(out, "%sattach tp_btf (socket-snoop's programs load and attach): %s\n", indent,
		build_works(ATTACH_TP_BTF));
	fprintf(out, "%sattach raw_tp (the fallback build loads and attaches): %s\n", indent,
		build_works(ATTACH_RAW_TP));
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		fprintf(out, "%sprogram type %s: %s\n", indent, progs[i].name,
			libbpf_probe_bpf_prog_type(progs[i].type, NULL) == 1 ? "yes" : "no");
	/* kprobe programs load without CONFIG_KPROBES; attaching needs the PMU. */
	fprintf(out, "%skprobe attach: %s\n", indent,
		access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ? "yes" : "no");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(out, "%smap %s: %s\n", indent, maps[i].name,
			libbpf_probe_bpf_map_type(maps[i].type, NULL) == 1 ? "yes" : "no");
	for (size_t i = 0; vmlinux && i < N_PROGS; i++) {
		/* Each tracepoint once: two programs share inet_sock_set_state. */
		if ((i > 0 && !strcmp(prog_specs[i].tracepoint, prog_specs[i - 1].tracepoint)) ||
		    prog_specs[i].cgroup)
			continue;
		fprintf(out, "%s%s %s: %s\n", indent,
			prog_specs[i].iterator ? "iterator" : "tracepoint",
			prog_specs[i].tracepoint,
			attach_btf_id(vmlinux, &prog_specs[i]) >= 0 ? "yes" : "no");
	}
	{
		/* Tried for real: a kernel may have the target and refuse the program. */
		struct metrics *m = metrics__open_and_load();
		int err = m ? 0 : errno;

		fprintf(out,
			"%siterator iter/bpf_sk_storage_map (the owner records metric): %s%s%s\n",
			indent, m ? "yes" : "no (", m ? "" : strerror(err), m ? "" : ")");
		metrics__destroy(m);
	}
	if (vmlinux)
		fprintf(out, "%sreset reason in tcp/tcp_send_reset: %s\n", indent,
			tracepoint_nargs(vmlinux, "tcp/tcp_send_reset") >= 3 ? "yes" : "no");
	btf__free(vmlinux);
}

void loader__free(struct loader *l)
{
	if (!l)
		return;
	hidden__free(l->hidden);
	unload(l);
	free(l);
}
