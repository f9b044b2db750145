// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * snoop.bpf.c - kernel side of socket-snoop.
 *
 * Attribution rule: the process identity of a socket is recorded only where
 * the kernel runs a system call *on that socket* (connect, listen, close,
 * shutdown, sendmsg, recvmsg).  State changes that run in softirq report
 * that recorded owner, never the task on the CPU.  Accepted sockets inherit
 * the listener's record through BPF_F_CLONE until their process touches them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "snoop.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Filters, set by user space before load: disabled ones are pruned by the verifier. */
const volatile __u32 kinds_mask = ~0u;	 /* enum snoop_kind_mask bits */
const volatile __u32 states_mask = 0;	 /* 0: all; else bit per state entered */
const volatile bool all_addresses = false;
const volatile __u16 family_only = 0;	 /* 0, AF_INET or AF_INET6 */
const volatile bool filter_pid = false;
const volatile bool filter_uid = false;
const volatile bool filter_comm = false;
const volatile bool filter_lport = false;
const volatile bool filter_rport = false;
const volatile bool filter_laddr = false;
const volatile bool filter_raddr = false;
const volatile bool filter_cgroup = false;
const volatile __u64 cgroup_id = 0;	 /* --cgroup target */
const volatile __u32 cgroup_level = 0;	 /* its depth below the v2 root */
const volatile __u32 netns_only = 0;	 /* --netns inode; 0: all */
const volatile __u64 lport_bits[SNOOP_PORT_WORDS] = {};
const volatile __u64 rport_bits[SNOOP_PORT_WORDS] = {};
const volatile __u64 wakeup_bytes = 0;	 /* 0: kernel's adaptive wake-up */

/* What socket-snoop remembers about a socket; lives and dies with it. */
struct sock_info {
	struct snoop_owner owner;
	__u64 first_ns;	 /* first event seen: start of the close summary's duration */
	__u8 attribution; /* enum snoop_attribution */
	__u8 flags;	 /* enum snoop_sock_flags */
	__u8 closed_by;	 /* enum snoop_closed_by, first side to close */
	__u8 in_cgroup;	 /* owner was under --cgroup when recorded */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	/* BPF_F_CLONE: a child socket created from a listener gets a copy. */
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sock_info);
} owner_map SEC(".maps");

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

/* Count one occurrence of @stat on this CPU. */
static __always_inline void stat_inc(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);

	if (v)
		(*v)++;
}

/* Record the current task as the owner: only call in a system call on the socket. */
static __always_inline void owner_record(struct sock_info *si)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();

	si->owner.pid = id >> 32;
	si->owner.tid = (__u32)id;
	si->owner.uid = (__u32)bpf_get_current_uid_gid();
	si->owner.ppid = BPF_CORE_READ(task, real_parent, tgid);
	si->owner.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(si->owner.comm, sizeof(si->owner.comm));
	si->attribution = SNOOP_ATTR_OWNER;
	if (filter_cgroup)
		si->in_cgroup = bpf_get_current_ancestor_cgroup_id(cgroup_level) == cgroup_id;
}

/* The socket-snoop record of @sk, created empty when @create is set. */
static __always_inline struct sock_info *sock_info_get(const struct sock *sk, bool create)
{
	return bpf_sk_storage_get(&owner_map, (struct sock *)sk, NULL,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/* True for a TCP socket of an IP family: the only sockets socket-snoop reports. */
static __always_inline bool is_tcp(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return (family == AF_INET || family == AF_INET6) && sk->sk_protocol == IPPROTO_TCP;
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

/* Fill tuple, family and netns of @e from @sk; the family of a mapped address is IPv4. */
static __always_inline void event_fill_sock(struct snoop_event *e, const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	if (family == AF_INET) {
		addr_from_v4(e->saddr, sk->__sk_common.skc_rcv_saddr);
		addr_from_v4(e->daddr, sk->__sk_common.skc_daddr);
	} else {
		__builtin_memcpy(e->saddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(e->daddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
		if (is_v4_mapped(e->saddr) && is_v4_mapped(e->daddr))
			family = AF_INET;
	}
	e->family = family;
	e->sport = sk->__sk_common.skc_num;
	/*
	 * At CLOSE, tcp_set_state() releases the port (inet_num = 0) before the
	 * tracepoint fires; inet_sport still holds it.  At SYN_SENT both are 0.
	 */
	if (!e->sport)
		e->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	e->dport = bpf_ntohs(sk->__sk_common.skc_dport);
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
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

/* The process filters (pid, uid, comm, cgroup) on the socket's owner. */
static __always_inline bool owner_matches(const struct sock_info *si)
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

/* Reserve a ring buffer record, counting the loss when the buffer is full. */
static __always_inline struct snoop_event *event_reserve(void)
{
	struct snoop_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		stat_inc(SNOOP_STAT_LOST);
	return e;
}

/* Submit @e, waking the reader only once enough data waits (batched wake-ups). */
static __always_inline void event_submit(struct snoop_event *e)
{
	__u64 flags = 0;

	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP :
				BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	stat_inc(SNOOP_STAT_EMITTED);
}

/* Copy the owner and attribution of @si (or "unknown") into @e. */
static __always_inline void event_fill_owner(struct snoop_event *e, const struct sock_info *si)
{
	if (si) {
		e->owner = si->owner;
		e->attribution = si->attribution;
		e->flags = si->flags;
	} else {
		__builtin_memset(&e->owner, 0, sizeof(e->owner));
		e->attribution = SNOOP_ATTR_UNKNOWN;
		e->flags = 0;
	}
}

/*
 * Update the socket record for a transition and return it.  Only transitions
 * that the kernel makes inside a system call on this very socket record the
 * current task: SYN_SENT (connect), LISTEN (listen), FIN_WAIT1 (close or
 * shutdown while established) and LAST_ACK (close after the peer's FIN).
 */
static __always_inline struct sock_info *sock_info_transition(const struct sock *sk, int oldstate,
							      int newstate, __u64 now)
{
	struct sock_info *si;
	bool in_syscall = newstate == SNOOP_TCP_SYN_SENT || newstate == SNOOP_TCP_LISTEN ||
			  newstate == SNOOP_TCP_FIN_WAIT1 || newstate == SNOOP_TCP_LAST_ACK;
	bool child = oldstate == SNOOP_TCP_LISTEN && newstate == SNOOP_TCP_SYN_RECV;

	si = sock_info_get(sk, in_syscall || child);
	if (!si)
		return NULL;
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
		owner_record(si);
	if (newstate == SNOOP_TCP_SYN_SENT) {
		si->flags = SNOOP_SF_ACTIVE;
		si->first_ns = now;
		si->closed_by = SNOOP_CLOSED_UNKNOWN;
	} else if (!si->first_ns) {
		si->first_ns = now;
	}
	if (!si->closed_by) {
		if (newstate == SNOOP_TCP_FIN_WAIT1 || newstate == SNOOP_TCP_LAST_ACK)
			si->closed_by = SNOOP_CLOSED_LOCAL;
		else if (newstate == SNOOP_TCP_CLOSE_WAIT)
			si->closed_by = SNOOP_CLOSED_REMOTE;
	}
	return si;
}

/* sock/inet_sock_set_state: every TCP state transition, IPv4 and IPv6. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct sock_info *si;
	struct snoop_event *e;
	__u64 now;

	if (!is_tcp(sk))
		return 0;
	stat_inc(SNOOP_STAT_TRANSITIONS);
	now = bpf_ktime_get_ns();
	si = sock_info_transition(sk, oldstate, newstate, now);

	if (!(kinds_mask & SNOOP_EV_STATE))
		return 0;
	if (states_mask && !(states_mask & (1u << (newstate & 31))))
		return 0;
	if (!owner_matches(si))
		return 0;
	e = event_reserve();
	if (!e)
		return 0;
	event_fill_sock(e, sk);
	if (!sock_matches(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	e->ts_ns = now;
	e->cookie = bpf_get_socket_cookie((void *)sk);
	e->kind = SNOOP_KIND_STATE;
	e->old_state = oldstate;
	e->new_state = newstate;
	e->detail = 0;
	e->pad0 = 0;
	event_fill_owner(e, si);
	event_submit(e);
	return 0;
}

/*
 * A process sending or receiving on a TCP socket owns it from now on: this
 * is how an accepted socket passes from the listener's process to the one
 * that serves it (fork after accept, fd passing).
 */
static __always_inline void owner_touch(const struct sock *sk)
{
	struct sock_info *si;

	if (!is_tcp(sk))
		return;
	si = sock_info_get(sk, true);
	if (!si)
		return;
	if (si->attribution == SNOOP_ATTR_OWNER &&
	    si->owner.pid == (__u32)(bpf_get_current_pid_tgid() >> 32))
		return;
	owner_record(si);
	if (!si->first_ns)
		si->first_ns = bpf_ktime_get_ns();
}

/* sock/sock_send_length: runs in sendmsg of the sending process. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_send, struct sock *sk, int ret, int flags)
{
	owner_touch(sk);
	return 0;
}

/* sock/sock_recv_length: runs in recvmsg of the receiving process. */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_recv, struct sock *sk, int ret, int flags)
{
	owner_touch(sk);
	return 0;
}
