// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * snoop.bpf.c - kernel side of socket-snoop.
 *
 * Attribution rule: the process identity of a socket is recorded only where
 * the kernel runs a system call *on that socket* (connect, listen, close,
 * shutdown, sendmsg, recvmsg).  Events that run in softirq report that
 * recorded owner, never the task on the CPU.  Accepted sockets inherit the
 * listener's record through BPF_F_CLONE until their process touches them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "snoop_abi.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Two builds of this file.  The default attaches tp_btf programs: their
 * arguments are BTF-typed, so fields are direct (fault-safe) loads and the
 * owner lives in sk_storage.  With SNOOP_RAW_TP it attaches raw tracepoints
 * for kernels that refuse BPF tracing programs: arguments are plain
 * numbers, fields are read with bpf_probe_read_kernel() and owners live in
 * an LRU hash keyed by the socket's address.
 */
#ifdef SNOOP_RAW_TP
#define SNOOP_TP(name) SEC("raw_tp/" #name)
#define RD(p, f) BPF_CORE_READ(p, f)
#define RD2(p, a, b) BPF_CORE_READ(p, a, b)
#define RD3(p, a, b, c) BPF_CORE_READ(p, a, b, c)
#define RD_INTO(dst, p, f) BPF_CORE_READ_INTO(dst, p, f)
#define RD_BITFIELD(p, f) BPF_CORE_READ_BITFIELD_PROBED(p, f)
#define current_task() ((struct task_struct *)bpf_get_current_task())
#else
#define SNOOP_TP(name) SEC("tp_btf/" #name)
#define RD(p, f) ((p)->f)
#define RD2(p, a, b) ((p)->a->b)
#define RD3(p, a, b, c) ((p)->a->b->c)
#define RD_INTO(dst, p, f) __builtin_memcpy(dst, &(p)->f, sizeof(*(dst)))
#define RD_BITFIELD(p, f) BPF_CORE_READ_BITFIELD(p, f)
#define current_task() bpf_get_current_task_btf()
#endif

/* Filters, set by user space before load: disabled ones are pruned by the verifier. */
const volatile __u32 kinds_mask = ~0u; /* enum snoop_kind_mask bits */
const volatile __u32 states_mask = 0;  /* 0: all; else bit per state entered */
const volatile bool all_addresses = false;
const volatile __u16 family_only = 0; /* 0, AF_INET or AF_INET6 */
const volatile bool filter_pid = false;
const volatile bool filter_uid = false;
const volatile bool filter_comm = false;
const volatile bool filter_lport = false;
const volatile bool filter_rport = false;
const volatile bool filter_laddr = false;
const volatile bool filter_raddr = false;
const volatile bool filter_cgroup = false;
const volatile __u64 cgroup_id = 0;    /* --cgroup target */
const volatile __u32 cgroup_level = 0; /* its depth below the v2 root */
const volatile __u32 netns_only = 0;   /* --netns inode; 0: all */
const volatile __u64 lport_bits[SNOOP_PORT_WORDS] = {};
const volatile __u64 rport_bits[SNOOP_PORT_WORDS] = {};
const volatile __u64 wakeup_bytes = 0; /* 0: kernel's adaptive wake-up */
/* Fewest transitions from state i to state j at [i * SNOOP_TCP_MAX_STATES + j] (tcp_fsm.c). */
const volatile __u8 gap_len[SNOOP_TCP_MAX_STATES * SNOOP_TCP_MAX_STATES] = {};

#ifdef SNOOP_RAW_TP
/* Each socket's record, by socket address; deleted when the socket is destroyed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct snoop_sock_info);
} owner_map SEC(".maps");

/* A listening socket's record by (netns, port), copied to the sockets it accepts. */
struct listen_key {
	__u32 netns;
	__u32 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct listen_key);
	__type(value, struct snoop_sock_info);
} listener_map SEC(".maps");

/* Per-CPU counter for connection ids (bit 63 set: never a kernel cookie). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} conn_ids SEC(".maps");
#else
/* Each socket's struct snoop_sock_info lives and dies with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	/* BPF_F_CLONE: a child socket created from a listener gets a copy. */
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct snoop_sock_info);
} owner_map SEC(".maps");
#endif

#ifndef SNOOP_RAW_TP
/*
 * The owner check that every recvmsg (and, with --owner-on-send, sendmsg)
 * makes, with one helper call instead of two (bpf_sk_storage_get() was the
 * larger part of the program's own time, issue 4): slot cookie % OWNER_HINTS
 * holds cookie << 22 | pid while the record of the socket with that cookie
 * says it is owned by process pid (pids are below 2^22, PID_MAX_LIMIT).
 * Every write of an owner writes the slot (owner_record(), see owner_hint_set()
 * for two writers at once), and cookies are never reused, so a slot cannot
 * speak for another socket or an older owner.  One 64-bit word: CPUs never
 * see half of one.
 */
#define OWNER_HINTS 4096
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OWNER_HINTS);
	__type(key, __u32);
	__type(value, __u64);
} owner_hints SEC(".maps");
#endif

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SNOOP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} uid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, char[SNOOP_COMM_LEN]);
	__type(value, __u8);
} comm_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 256);
	__type(key, struct snoop_lpm_key);
	__type(value, __u8);
} laddr_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 256);
	__type(key, struct snoop_lpm_key);
	__type(value, __u8);
} raddr_filter SEC(".maps");

/* Add @n to the count of @stat on this CPU. */
static __always_inline void stat_add(__u32 stat, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);

	/* Atomic: a softirq run can interrupt a process-context run on this CPU. */
	if (v)
		__sync_fetch_and_add(v, n);
}

/* Count one occurrence of @stat on this CPU. */
static __always_inline void stat_inc(__u32 stat)
{
	stat_add(stat, 1);
}

/*
 * Count the transitions the kernel made for @si's socket without running
 * our programs: those between the last state we saw it enter and @state, the
 * old state of its next transition (or CLOSE when it is destroyed).
 */
static __always_inline void gap_count(const struct snoop_sock_info *si, int state)
{
	__u32 last = si->last_state, idx, n;

	if (!last || last == (__u32)state || last >= SNOOP_TCP_MAX_STATES || state <= 0 ||
	    state >= SNOOP_TCP_MAX_STATES)
		return;
	idx = last * SNOOP_TCP_MAX_STATES + (__u32)state;
	/* The verifier needs the bound on the index itself. */
	barrier_var(idx);
	if (idx >= sizeof(gap_len))
		return;
	n = gap_len[idx];
	stat_add(SNOOP_STAT_UNDELIVERED, n ? n : 1);
}

/* Say (see owner_hints) that process @pid, which @si names as owner, owns @sk now. */
static __always_inline void owner_hint_set(const struct sock *sk, const struct snoop_sock_info *si,
					   __u32 pid)
{
#ifndef SNOOP_RAW_TP
	__u64 cookie = bpf_get_socket_cookie((void *)sk);
	__u32 slot = cookie % OWNER_HINTS;
	__u64 *hint = bpf_map_lookup_elem(&owner_hints, &slot);

	if (!hint)
		return;
	/*
	 * A full barrier, then the record again: another process that wrote
	 * the record after us but its slot before ours would be left with our
	 * slot over its record.  Every writer stores the record before its slot,
	 * so the last to swap its slot in sees the last record, and clears the
	 * slot (the next check takes the slow path) when it is not its own.
	 */
	__atomic_exchange_n(hint, cookie << 22 | pid, __ATOMIC_SEQ_CST);
	if (*(const volatile __u32 *)&si->owner.pid != pid)
		*hint = 0;
#endif
}

/* True when owner_hints says process @pid owns @sk (never in the raw_tp build). */
static __always_inline bool owner_hint_holds(const struct sock *sk, __u32 pid)
{
#ifndef SNOOP_RAW_TP
	/* A plain load: a socket without a cookie yet has no hint either. */
	__u64 cookie = sk->__sk_common.skc_cookie.counter;
	__u32 slot = cookie % OWNER_HINTS;
	__u64 *hint;

	if (!cookie)
		return false;
	hint = bpf_map_lookup_elem(&owner_hints, &slot);
	return hint && *hint == (cookie << 22 | pid);
#else
	return false;
#endif
}

/* Record the current task as the owner: only call in a system call on the socket. */
static __always_inline void owner_record(struct snoop_sock_info *si, const struct sock *sk)
{
	struct task_struct *task = current_task();
	__u64 id = bpf_get_current_pid_tgid();

	si->owner.pid = id >> 32;
	si->owner.tid = (__u32)id;
	si->owner.uid = (__u32)bpf_get_current_uid_gid();
	si->owner.ppid = BPF_CORE_READ(task, real_parent, tgid);
	si->owner.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(si->owner.comm, sizeof(si->owner.comm));
	si->attribution = SNOOP_ATTR_OWNER;
	owner_hint_set(sk, si, si->owner.pid);
	if (filter_cgroup)
		si->in_cgroup = bpf_get_current_ancestor_cgroup_id(cgroup_level) == cgroup_id;
}

/* The socket-snoop record of @sk, created empty when @create is set. */
static __always_inline struct snoop_sock_info *sock_info_get(const struct sock *sk, bool create)
{
#ifdef SNOOP_RAW_TP
	__u64 key = (__u64)sk;
	struct snoop_sock_info *si = bpf_map_lookup_elem(&owner_map, &key);
	struct snoop_sock_info fresh = {};
	__u32 zero = 0;
	__u64 *next;

	if (si || !create)
		return si;
	next = bpf_map_lookup_elem(&conn_ids, &zero);
	if (next)
		fresh.conn_id = (1ull << 63) | ((__u64)bpf_get_smp_processor_id() << 48) | ++*next;
	bpf_map_update_elem(&owner_map, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&owner_map, &key);
#else
	/* The helper itself refuses request and time-wait sockets (not full sockets). */
	return bpf_sk_storage_get(&owner_map, (struct sock *)sk, NULL,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
#endif
}

/* The connection id of @sk: the kernel's socket cookie (or our own id in the raw_tp build). */
static __always_inline __u64 sock_cookie(const struct sock *sk, const struct snoop_sock_info *si)
{
#ifdef SNOOP_RAW_TP
	/* Cookies are made on demand (ss, SO_COOKIE); most sockets never get one. */
	__u64 cookie = RD(sk, __sk_common.skc_cookie.counter);

	return cookie ? cookie : si ? si->conn_id : 0;
#else
	return bpf_get_socket_cookie((void *)sk);
#endif
}

/* The tcp_sock of a full TCP socket, or NULL. */
static __always_inline struct tcp_sock *tcp_sock_of(const struct sock *sk)
{
#ifdef SNOOP_RAW_TP
	int state = RD(sk, __sk_common.skc_state);

	if (state == SNOOP_TCP_TIME_WAIT || state == SNOOP_TCP_NEW_SYN_RECV ||
	    RD_BITFIELD(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return (struct tcp_sock *)sk;
#else
	return bpf_skc_to_tcp_sock((void *)sk);
#endif
}

/* The TCP state of any socket kind (full, request or time-wait): it is in sock_common. */
static __always_inline int sk_state(const struct sock *sk)
{
	return RD(sk, __sk_common.skc_state);
}

/* True for a TCP socket of an IP family: the only sockets socket-snoop reports. */
static __always_inline bool is_tcp(const struct sock *sk)
{
	__u16 family = RD(sk, __sk_common.skc_family);
	int state = sk_state(sk);

	if (family != AF_INET && family != AF_INET6)
		return false;
	/* Only TCP has these states, and sk_protocol is past the end of such sockets. */
	if (state == SNOOP_TCP_TIME_WAIT || state == SNOOP_TCP_NEW_SYN_RECV)
		return true;
	/* A bitfield before Linux 5.6, a u16 since. */
	return RD_BITFIELD(sk, sk_protocol) == IPPROTO_TCP;
}

/* True when a 16-byte address is ::ffff:a.b.c.d. */
static __always_inline bool is_v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

/* Store an IPv4 address IPv4-mapped, so every address has one 16-byte form. */
static __always_inline void addr_from_v4(__u8 *dst, __be32 v4)
{
	__u32 *w = (__u32 *)dst;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0x0000ffff);
	w[3] = v4;
}

/* Family for reports: an IPv6 socket talking IPv4-mapped addresses is IPv4. */
static __always_inline void event_set_family(struct snoop_event *e, __u16 family)
{
	if (family == AF_INET6 && is_v4_mapped(e->saddr) && is_v4_mapped(e->daddr))
		family = AF_INET;
	e->family = family;
}

/*
 * The addresses, ports and family of @sk into @e (any socket kind: sock_common
 * only), not the netns: that is a pointer chase, left to event_fill_sock().
 */
static __always_inline void event_fill_tuple(struct snoop_event *e, const struct sock *sk)
{
	__u16 family = RD(sk, __sk_common.skc_family);

	if (family == AF_INET) {
		addr_from_v4(e->saddr, RD(sk, __sk_common.skc_rcv_saddr));
		addr_from_v4(e->daddr, RD(sk, __sk_common.skc_daddr));
	} else {
		RD_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		RD_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	event_set_family(e, family);
	e->sport = RD(sk, __sk_common.skc_num);
	/*
	 * At CLOSE, tcp_set_state() releases the port (inet_num = 0) before the
	 * tracepoint fires; inet_sport of a full socket still holds it.  At
	 * SYN_SENT both are still 0, as the seed showed.
	 */
	if (!e->sport) {
		struct tcp_sock *tp = tcp_sock_of(sk);

		if (tp)
			e->sport = bpf_ntohs(RD(tp, inet_conn.icsk_inet.inet_sport));
	}
	e->dport = bpf_ntohs(RD(sk, __sk_common.skc_dport));
}

/* Fill tuple, family and netns of @e from @sk. */
static __always_inline void event_fill_sock(struct snoop_event *e, const struct sock *sk)
{
	event_fill_tuple(e, sk);
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Fill the tuple from a received packet: its destination is the local end. */
static __always_inline int event_fill_skb(struct snoop_event *e, const struct sk_buff *skb)
{
	unsigned char *head = RD(skb, head);
	__u16 nh = RD(skb, network_header);
	__u16 th = RD(skb, transport_header);
	struct tcphdr tcp;
	__u8 version;

	if (bpf_probe_read_kernel(&version, 1, head + nh))
		return -1;
	if ((version >> 4) == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return -1;
		addr_from_v4(e->saddr, ip.daddr);
		addr_from_v4(e->daddr, ip.saddr);
		e->family = AF_INET;
	} else if ((version >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return -1;
		__builtin_memcpy(e->saddr, &ip6.daddr, 16);
		__builtin_memcpy(e->daddr, &ip6.saddr, 16);
		event_set_family(e, AF_INET6);
	} else {
		return -1;
	}
	if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th))
		return -1;
	e->sport = bpf_ntohs(tcp.dest);
	e->dport = bpf_ntohs(tcp.source);
	e->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	return 0;
}

/* True when @port is set in a --lport/--rport bitmap. */
static __always_inline bool port_in(const volatile __u64 *bits, __u16 port)
{
	return (bits[port >> 6] >> (port & 63)) & 1;
}

/* True when @addr falls in one of the CIDRs of @trie. */
static __always_inline bool addr_in(void *trie, const __u8 *addr)
{
	struct snoop_lpm_key key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(trie, &key) != NULL;
}

/* True when local address is 0.0.0.0 or :: (a listener on all addresses). */
static __always_inline bool local_is_wildcard(const struct snoop_event *e)
{
	const __u64 *w = (const __u64 *)e->saddr;

	if (e->family == AF_INET)
		return ((const __u32 *)e->saddr)[3] == 0;
	return w[0] == 0 && w[1] == 0;
}

/* The socket filters (address, port, family, netns): options AND, values OR. */
static __always_inline bool sock_matches(const struct snoop_event *e)
{
	if (family_only && e->family != family_only)
		return false;
	if (netns_only && e->netns != netns_only)
		return false;
	if (!all_addresses && local_is_wildcard(e))
		return false;
	if (filter_lport && !port_in(lport_bits, e->sport))
		return false;
	if (filter_rport && !port_in(rport_bits, e->dport))
		return false;
	if (filter_laddr && !addr_in(&laddr_filter, e->saddr))
		return false;
	if (filter_raddr && !addr_in(&raddr_filter, e->daddr))
		return false;
	return true;
}

/* What the socket filters make of a socket (sock_verdict()). */
enum sock_verdict { SOCK_MATCHES, SOCK_EXCLUDED, SOCK_UNKNOWN };

/*
 * The socket filters (family, netns, address, port) on @sk: EXCLUDED when its
 * whole tuple is known (both ports set) and fails them, UNKNOWN while a port
 * is 0 (a client's local port at SYN_SENT, a listener's remote end, a socket
 * after connect(AF_UNSPEC)).  An excluded socket's events would all be
 * filtered out, so it is left before its record is touched, which makes a
 * filter that excludes a busy workload cheap; unknown ones go on, as their
 * records serve connections that may match (an accepted socket inherits its
 * listener's).  @e is scratch space.
 */
static __always_inline int sock_verdict(const struct sock *sk, struct snoop_event *e)
{
	if (!(family_only || netns_only || filter_lport || filter_rport || filter_laddr ||
	      filter_raddr))
		return SOCK_MATCHES;
	event_fill_tuple(e, sk);
	if (netns_only)
		e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (!e->sport || !e->dport)
		return SOCK_UNKNOWN;
	return sock_matches(e) ? SOCK_MATCHES : SOCK_EXCLUDED;
}

/* The process filters (pid, uid, comm, cgroup) on the socket's owner. */
static __always_inline bool owner_matches(const struct snoop_sock_info *si)
{
	if (!(filter_pid || filter_uid || filter_comm || filter_cgroup))
		return true;
	if (!si || si->attribution == SNOOP_ATTR_UNKNOWN)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&pid_filter, &si->owner.pid))
		return false;
	if (filter_uid && !bpf_map_lookup_elem(&uid_filter, &si->owner.uid))
		return false;
	if (filter_comm && !bpf_map_lookup_elem(&comm_filter, si->owner.comm))
		return false;
	if (filter_cgroup && !si->in_cgroup)
		return false;
	return true;
}

/*
 * Send @e to user space, waking the reader only once enough data waits
 * (batched wake-ups).  Records are built on the stack and filtered before
 * they touch the ring: a discarded reservation would still hold ring space
 * until the reader passes it, so filtered-out traffic could crowd out events.
 */
static __always_inline void event_submit(struct snoop_event *e)
{
	/* Only a close summary carries the close fields: send less for the rest. */
	__u64 size = e->kind == SNOOP_KIND_CLOSE ? sizeof(*e) : offsetof(struct snoop_event, close);
	__u64 flags = 0;

	if (wakeup_bytes) {
		/* Wake the reader once, when this record lifts the backlog over the mark. */
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

		flags = avail < wakeup_bytes && avail + size + 8 >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP :
				BPF_RB_NO_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, e, size, flags))
		stat_inc(SNOOP_STAT_LOST);
}

/*
 * Start a record of @kind for @sk (NULL: the caller fills the tuple and runs
 * sock_matches() itself) in @e.  False when the kind is not selected or the
 * socket or its owner does not pass the filters.
 */
static __always_inline bool event_start(struct snoop_event *e, __u8 kind, const struct sock *sk,
					const struct snoop_sock_info *si, __u64 now)
{
	if (!(kinds_mask & (1u << kind)) || !owner_matches(si))
		return false;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = now;
	e->kind = kind;
	if (si) {
		e->owner = si->owner;
		e->attribution = si->attribution;
		e->flags = si->flags;
	}
	if (sk) {
		event_fill_sock(e, sk);
		if (!sock_matches(e))
			return false;
		e->cookie = sock_cookie(sk, si);
		e->new_state = sk_state(sk);
	}
	return true;
}

/*
 * Update the socket record for a transition and return it.  Only transitions
 * that the kernel makes inside a system call on this very socket record the
 * current task: SYN_SENT (connect), LISTEN (listen), FIN_WAIT1 (close or
 * shutdown while established) and LAST_ACK (close after the peer's FIN).
 */
static __always_inline struct snoop_sock_info *
sock_info_transition(const struct sock *sk, int oldstate, int newstate, __u64 now, bool gaps)
{
	struct snoop_sock_info *si;
	bool in_syscall = newstate == SNOOP_TCP_SYN_SENT || newstate == SNOOP_TCP_LISTEN ||
			  newstate == SNOOP_TCP_FIN_WAIT1 || newstate == SNOOP_TCP_LAST_ACK;
	bool child = oldstate == SNOOP_TCP_LISTEN && newstate == SNOOP_TCP_SYN_RECV;

	si = sock_info_get(sk, in_syscall || child);
	if (!si)
		return NULL;
#ifdef SNOOP_RAW_TP
	/* No BPF_F_CLONE here: copy the listener's record by (netns, port). */
	if (child || newstate == SNOOP_TCP_LISTEN || oldstate == SNOOP_TCP_LISTEN) {
		struct listen_key lk = {
			.netns = RD2(sk, __sk_common.skc_net.net, ns.inum),
			.port = RD(sk, __sk_common.skc_num),
		};

		if (child) {
			struct snoop_sock_info *l = bpf_map_lookup_elem(&listener_map, &lk);
			__u64 id = si->conn_id;

			if (l) {
				*si = *l;
				si->conn_id = id;
			}
		} else if (oldstate == SNOOP_TCP_LISTEN) {
			bpf_map_delete_elem(&listener_map, &lk);
		}
	}
#endif
	/*
	 * Before the owner, state and kind filters: a gap is a gap whatever they
	 * select.  Not while the socket filters cannot tell (@gaps false): the
	 * record of a socket they excluded for a while stopped at its last state.
	 */
	if (gaps)
		gap_count(si, oldstate);
	si->last_state = newstate;
	if (child) {
		/* Copied from the listener (or fresh when the listener predates us). */
		if (si->attribution != SNOOP_ATTR_UNKNOWN)
			si->attribution = SNOOP_ATTR_LISTENER;
		si->flags = SNOOP_SF_PASSIVE;
		si->first_ns = now;
		si->closed_by = SNOOP_CLOSED_UNKNOWN;
		return si;
	}
	if (in_syscall && (si->attribution != SNOOP_ATTR_OWNER ||
			   si->owner.pid != (__u32)(bpf_get_current_pid_tgid() >> 32)))
		owner_record(si, sk);
#ifdef SNOOP_RAW_TP
	if (newstate == SNOOP_TCP_LISTEN) {
		struct listen_key lk = {
			.netns = RD2(sk, __sk_common.skc_net.net, ns.inum),
			.port = RD(sk, __sk_common.skc_num),
		};

		bpf_map_update_elem(&listener_map, &lk, si, BPF_ANY);
	}
#endif
	if (newstate == SNOOP_TCP_SYN_SENT) {
		si->flags = SNOOP_SF_ACTIVE;
		si->first_ns = now;
		si->closed_by = SNOOP_CLOSED_UNKNOWN;
	} else if (!si->first_ns) {
		si->first_ns = now;
	}
	/* Who closed first, and whether our FIN went out (for payload byte counts). */
	switch (newstate) {
	case SNOOP_TCP_FIN_WAIT1:
	case SNOOP_TCP_LAST_ACK:
		si->flags |= SNOOP_SF_FIN_SENT;
		if (!si->closed_by)
			si->closed_by = SNOOP_CLOSED_LOCAL;
		break;
	case SNOOP_TCP_CLOSE_WAIT:
		if (!si->closed_by)
			si->closed_by = SNOOP_CLOSED_REMOTE;
		break;
	case SNOOP_TCP_CLOSE:
		/* Straight to CLOSE without a FIN exchange: aborted (RST) or gave up. */
		if (!si->closed_by)
			si->closed_by = oldstate == SNOOP_TCP_SYN_SENT ? SNOOP_CLOSED_LOCAL :
									 SNOOP_CLOSED_RESET;
		break;
	}
	return si;
}

/*
 * The close summary from struct tcp_sock.  The kernel's byte counters count
 * sequence space, not payload: the connecting side's acked bytes include its
 * SYN, acked bytes include our FIN once the peer acknowledged it (FIN sent
 * and snd_una caught up with write_seq), and received bytes include the
 * peer's FIN once it arrived (tcp_fin() sets SOCK_DONE).
 */
static __always_inline void emit_close(const struct sock *sk, const struct snoop_sock_info *si,
				       __u64 now)
{
	struct tcp_sock *tp = tcp_sock_of(sk);
	struct snoop_event ev, *e = &ev;
	__u64 sent, received;

	if (!tp || !event_start(e, SNOOP_KIND_CLOSE, sk, si, now))
		return;
	sent = RD(tp, bytes_acked);
	received = RD(tp, bytes_received);
	if (si) {
		if ((si->flags & SNOOP_SF_ACTIVE) && sent)
			sent--;
		if ((si->flags & SNOOP_SF_FIN_SENT) && sent && RD(tp, snd_una) == RD(tp, write_seq))
			sent--;
		e->close.duration_ns = now - si->first_ns;
		e->close.closed_by = si->closed_by;
	}
	if ((RD(sk, __sk_common.skc_flags) &
	     (1ul << bpf_core_enum_value(enum sock_flags, SOCK_DONE))) &&
	    received)
		received--;
	e->close.bytes_sent = sent;
	e->close.bytes_received = received;
	e->close.segs_out = RD(tp, segs_out);
	e->close.segs_in = RD(tp, segs_in);
	e->close.total_retrans = RD(tp, total_retrans);
	e->close.srtt_us = RD(tp, srtt_us) >> 3;
	/* The tracepoint runs before the kernel stores the new state. */
	e->new_state = SNOOP_TCP_CLOSE;
	event_submit(e);
}

/* Handle one TCP state transition: the socket's record, the event, the close summary. */
static __always_inline void set_state(const struct sock *sk, int oldstate, int newstate)
{
	struct snoop_event e;
	struct snoop_sock_info *si;
	int verdict;
	__u64 now;

	/* shutdown() then close() sets FIN_WAIT1 twice: not a transition. */
	if (oldstate == newstate || !is_tcp(sk))
		return;
	verdict = sock_verdict(sk, &e);
	if (verdict == SOCK_EXCLUDED)
		return;
	now = bpf_ktime_get_ns();
	si = sock_info_transition(sk, oldstate, newstate, now, verdict == SOCK_MATCHES);

	if ((!states_mask || (states_mask & (1u << (newstate & 31)))) &&
	    event_start(&e, SNOOP_KIND_STATE, sk, si, now)) {
		e.old_state = oldstate;
		e.new_state = newstate;
		event_submit(&e);
	}
	/* One summary per connection; a listener closing is not a connection. */
	if (newstate == SNOOP_TCP_CLOSE && oldstate != SNOOP_TCP_LISTEN)
		emit_close(sk, si, now);
}

/*
 * Recovering the transitions the kernel skips.  The kernel does not run a
 * program that is already running on the CPU: when a softirq (often the IPI
 * of RPS) interrupts handle_set_state in process context and makes a
 * transition, handle_set_state is skipped and only a miss is counted.  So a
 * second program, handle_set_state_nested, attached after it to the same
 * tracepoint, checks each call: handle_set_state marks the transition it
 * began in a per-CPU slot of its context level (process or interrupt), and
 * the second program handles a transition whose slot does not hold its mark.
 *
 * Slots per level, not one flag: the kernel counts a program as running from
 * before its first instruction to after its last, so a softirq can skip
 * handle_set_state before it could raise a flag (or after it dropped it).
 * Calls of one level never overlap on a CPU (softirqs do not nest), and both
 * programs are never skipped for one call (that would need both running on
 * the CPU at once), so every skipped transition is handled exactly once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[2]); /* by context level: 0 task stack, 1 interrupt stack */
} set_state_marks SEC(".maps");

/* Only KASAN kernels have this type; its fields do not matter here. */
struct kasan_cache {
	int alloc_meta_offset;
};

/* THREAD_SIZE: 16 KiB on x86-64 and arm64 (4 KiB pages), twice that with KASAN. */
static __always_inline __u64 thread_size(void)
{
	return bpf_core_type_exists(struct kasan_cache) ? 32768 : 16384;
}

/*
 * 0 in process context, 1 in a softirq that interrupted it.  Softirqs run on
 * the CPU's interrupt stack (x86-64, arm64), process context on the task's
 * own stack: the level is which stack the call is on.  Our own frame does not
 * tell (since Linux 6.13 a large program runs on a per-CPU private stack);
 * @ctx does: the kernel builds the tracepoint's argument array on its stack.
 */
static __always_inline __u32 context_level(const void *ctx)
{
#ifdef SNOOP_RAW_TP
	/* Plain numbers here: ctx's address read as data (no scratch a nested run could overwrite). */
	__u64 ctx_addr = 0;

	bpf_probe_read_kernel(&ctx_addr, sizeof(ctx_addr), &ctx);
	return ctx_addr - (__u64)RD(current_task(), stack) >= thread_size() ? 1 : 0;
#else
	/* A pointer minus a pointer is a plain number to the verifier (privileged programs). */
	const char *stack = RD(current_task(), stack);

	return (__u64)((const char *)ctx - stack) >= thread_size() ? 1 : 0;
#endif
}

/* The mark of one call: its socket and transition (never 0). */
static __always_inline __u64 set_state_mark(const void *ctx, const struct sock *sk, int oldstate,
					    int newstate)
{
#ifdef SNOOP_RAW_TP
	__u64 where = (__u64)sk; /* a number in this build */
#else
	__u64 where = (__u64)((const char *)sk - (const char *)ctx);
#endif

	return where ^ ((__u64)(oldstate & 0xff) << 56 | (__u64)(newstate & 0xff) << 48 | 1);
}

/* sock/inet_sock_set_state: every TCP state transition, IPv4 and IPv6. */
SNOOP_TP(inet_sock_set_state)
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0;
	__u64 *marks = bpf_map_lookup_elem(&set_state_marks, &zero);

	if (marks)
		marks[context_level(ctx)] = set_state_mark(ctx, sk, oldstate, newstate);
	set_state(sk, oldstate, newstate);
	return 0;
}

/*
 * The same transition when the kernel skipped handle_set_state for it (its
 * mark is missing); must be attached after it (definition order here).
 */
SNOOP_TP(inet_sock_set_state)
int BPF_PROG(handle_set_state_nested, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0, level = context_level(ctx);
	__u64 *marks = bpf_map_lookup_elem(&set_state_marks, &zero);

	if (!marks)
		return 0;
	if (marks[level] == set_state_mark(ctx, sk, oldstate, newstate)) {
		marks[level] = 0;
		return 0;
	}
	/* Each recovery is one of handle_set_state's counted misses not lost. */
	stat_inc(SNOOP_STAT_RECOVERED);
	set_state(sk, oldstate, newstate);
	return 0;
}

/*
 * A process sending or receiving on a TCP socket owns it from now on: this
 * is how an accepted socket passes from the listener's process to the one
 * that serves it (fork after accept, fd passing).
 */
static __always_inline void owner_touch(const struct sock *sk)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct snoop_sock_info *si;

	if (!is_tcp(sk) || owner_hint_holds(sk, pid))
		return;
	si = sock_info_get(sk, true);
	if (!si)
		return;
	if (si->attribution == SNOOP_ATTR_OWNER && si->owner.pid == pid) {
		owner_hint_set(sk, si, pid);
		return;
	}
	owner_record(si, sk);
	if (!si->first_ns)
		si->first_ns = bpf_ktime_get_ns();
}

/* sock/sock_send_length: runs in sendmsg of the sending process. */
SNOOP_TP(sock_send_length)
int BPF_PROG(handle_send, struct sock *sk, int ret, int flags)
{
	owner_touch(sk);
	return 0;
}

/* sock/sock_recv_length: runs in recvmsg of the receiving process. */
SNOOP_TP(sock_recv_length)
int BPF_PROG(handle_recv, struct sock *sk, int ret, int flags)
{
	owner_touch(sk);
	return 0;
}

/* tcp/tcp_retransmit_skb: a segment (or a SYN of a connect) sent again. */
SNOOP_TP(tcp_retransmit_skb)
int BPF_PROG(handle_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	struct snoop_event e;

	if (is_tcp(sk) && event_start(&e, SNOOP_KIND_RETRANSMIT, sk, sock_info_get(sk, false),
				      bpf_ktime_get_ns()))
		event_submit(&e);
	return 0;
}

/*
 * tcp/tcp_retransmit_synack: a listener answers a retried SYN.  The tuple is
 * the request socket's; the owner is the listener's, as for the child to come.
 */
SNOOP_TP(tcp_retransmit_synack)
int BPF_PROG(handle_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	struct snoop_event e;
	struct snoop_sock_info *si;

	if (!is_tcp(sk))
		return 0;
	si = sock_info_get(sk, false);
	if (!event_start(&e, SNOOP_KIND_RETRANSMIT, NULL, si, bpf_ktime_get_ns()))
		return 0;
	event_fill_sock(&e, (const struct sock *)req);
	if (!sock_matches(&e))
		return 0;
	if (si && si->attribution == SNOOP_ATTR_OWNER)
		e.attribution = SNOOP_ATTR_LISTENER;
	e.new_state = SNOOP_TCP_SYN_RECV;
	e.flags = SNOOP_SF_PASSIVE;
	e.detail = 1;
	event_submit(&e);
	return 0;
}

/* The kernel's reset reason as enum snoop_rst_reason + 1; -(value + 1) if we have no name. */
static __always_inline __s32 reset_reason(__u64 value)
{
#define SNOOP_RST_MATCH(name)                                                       \
	if (bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_##name) && \
	    value == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_##name)) \
		return SNOOP_RST_##name + 1;
	SNOOP_RST_REASONS(SNOOP_RST_MATCH)
#undef SNOOP_RST_MATCH
	return -(__s32)value - 1;
}

/* Note a reset as the way a connection ended, unless a FIN came first. */
static __always_inline struct snoop_sock_info *sock_info_reset(const struct sock *sk, __u8 flag)
{
	struct snoop_sock_info *si = sock_info_get(sk, false);

	if (si) {
		if (!si->closed_by)
			si->closed_by = SNOOP_CLOSED_RESET;
		si->flags |= flag;
	}
	return si;
}

/*
 * tcp/tcp_send_reset: this host sends a RST.  Without a socket (a segment
 * for a port where nothing listens) there is no owner: the tuple comes from
 * the segment being answered and the event says "no socket".
 */
SNOOP_TP(tcp_send_reset)
int BPF_PROG(handle_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	struct snoop_event e;
	__u64 now = bpf_ktime_get_ns();

	if (sk) {
		if (!is_tcp(sk) || !event_start(&e, SNOOP_KIND_RESET_SENT, sk,
						sock_info_reset(sk, SNOOP_SF_RST_SENT), now))
			return 0;
	} else {
		if (!skb || !event_start(&e, SNOOP_KIND_RESET_SENT, NULL, NULL, now) ||
		    event_fill_skb(&e, skb) || !sock_matches(&e))
			return 0;
		e.flags = SNOOP_SF_NO_SOCKET;
		e.new_state = SNOOP_TCP_CLOSE;
	}
	/*
	 * The reason argument came with enum sk_rst_reason (Linux 6.10): where
	 * the type is missing, libbpf makes this false and the verifier drops
	 * the ctx[2] access it could not allow.
	 */
	if (bpf_core_type_exists(enum sk_rst_reason))
		e.detail = reset_reason(ctx[2]);
	event_submit(&e);
	return 0;
}

/* tcp/tcp_receive_reset: the peer reset the connection. */
SNOOP_TP(tcp_receive_reset)
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	struct snoop_event e;

	if (is_tcp(sk) &&
	    event_start(&e, SNOOP_KIND_RESET_RECV, sk, sock_info_reset(sk, 0), bpf_ktime_get_ns()))
		event_submit(&e);
	return 0;
}

/* sock/inet_sk_error_report: a connection failed (refused, timed out, unreachable...). */
SNOOP_TP(inet_sk_error_report)
int BPF_PROG(handle_error_report, const struct sock *sk)
{
	struct snoop_event e;
	struct snoop_sock_info *si;

	if (!is_tcp(sk))
		return 0;
	si = sock_info_get(sk, false);
	/* Our own abort (SO_LINGER 0) reports ECONNRESET to us: the Reset Sent event tells it. */
	if (si && (si->flags & SNOOP_SF_RST_SENT))
		return 0;
	if (!event_start(&e, SNOOP_KIND_ERROR, sk, si, bpf_ktime_get_ns()))
		return 0;
	e.detail = RD(sk, sk_err);
	event_submit(&e);
	return 0;
}

/*
 * tcp/tcp_destroy_sock: the socket is gone (always in CLOSE).  If the last
 * transition we saw did not enter CLOSE, the kernel made the rest without
 * running our programs.  The raw_tp build also drops the record (sk_storage
 * does that itself).
 */
SNOOP_TP(tcp_destroy_sock)
int BPF_PROG(handle_destroy, struct sock *sk)
{
	struct snoop_sock_info *si = sock_info_get(sk, false);
	struct snoop_event e;

	/* As in sock_info_transition(): only when the socket filters can tell. */
	if (si && sk_state(sk) == SNOOP_TCP_CLOSE && sock_verdict(sk, &e) == SOCK_MATCHES)
		gap_count(si, SNOOP_TCP_CLOSE);
#ifdef SNOOP_RAW_TP
	{
		__u64 key = (__u64)sk;

		bpf_map_delete_elem(&owner_map, &key);
	}
#endif
	return 0;
}
