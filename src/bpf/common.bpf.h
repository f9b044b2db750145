/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * common.bpf.h - what socket-snoop's programs (snoop.bpf.c) and the packet
 * programs (packets.bpf.c) share: field reads for either build, socket and
 * address helpers, the one IP/TCP header parser, counters and ring buffer
 * wake-ups.
 *
 * Two builds of snoop.bpf.c use it.  The default attaches tp_btf programs:
 * their arguments are BTF-typed, so fields are direct (fault-safe) loads.
 * With SNOOP_RAW_TP (snoop_raw.bpf.c) the programs attach raw tracepoints
 * for kernels that refuse BPF tracing programs: arguments are plain numbers
 * and fields are read with bpf_probe_read_kernel().  Every difference
 * between the two builds in reading kernel memory is in this file.
 */
#ifndef SNOOP_COMMON_BPF_H
#define SNOOP_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "snoop_abi.h"

/* Socket families and link-layer protocols (vmlinux.h has no macros). */
#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

/* TCP header flag bits, as in byte TCP_FLAGS_BYTE of the header. */
#define TCP_FLAGS_BYTE 13
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* Header sizes without options: the RST the kernel builds has none. */
#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_LEN 20

/* The fragment offset bits of iphdr.frag_off (host order). */
#define IP_OFFSET 0x1fff

/* tcp_sock.srtt_us holds the smoothed RTT times 8 (tcp_rtt_estimator()). */
#define TCP_SRTT_SHIFT 3
/* task_struct.flags: a kernel thread (include/linux/sched.h). */
#define PF_KTHREAD 0x00200000

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

/*
 * Add @n to counter @key of the per-CPU array @map.  Atomic: a softirq
 * (packet receive, a state change in a timer) can interrupt a program
 * running in process context on the same CPU between its load and its store,
 * and one of the two increments would be lost.
 */
static __always_inline void stat_add(void *map, __u32 key, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (v)
		__sync_fetch_and_add(v, n);
}

/* Each CPU's part in the batched wake-up of a ring's reader (ringbuf_wakeup_flags()). */
struct wake_state {
	__u64 since;	  /* bytes this CPU submitted since it last looked at the backlog */
	__u64 last_avail; /* the backlog it saw then */
	__u32 cpu;	  /* this CPU's number: a key that takes no stack (snoop.bpf.c) */
	__u32 pad;
};

/* The per-CPU map of struct wake_state that a ring's writers share. */
#define WAKE_STATE_MAP(name)                             \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1);                  \
		__type(key, __u32);                      \
		__type(value, struct wake_state);        \
	} name SEC(".maps")

/* How often, in parts of the mark, each CPU looks at the backlog. */
#define WAKE_CHECKS 16

/* This CPU's struct wake_state, in the per-CPU map @wake (WAKE_STATE_MAP). */
static __always_inline struct wake_state *wake_state_of(void *wake)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(wake, &zero);
}

/*
 * The bpf_ringbuf_output() flags for a record of @size bytes in @ring, @w
 * being this CPU's wake_state_of() (NULL: no wake-up): wake
 * the reader once, when the backlog rises over @mark (batched wake-ups); @mark
 * 0 leaves it to the kernel's adaptive wake-up.  Asking the ring its backlog
 * reads positions other CPUs write (a cache miss, a tenth of a state run), so
 * each CPU asks once per @mark / WAKE_CHECKS bytes it submitted, and wakes
 * the reader when the backlog crossed @mark since it last asked: the backlog
 * may pass the mark by that much per CPU before the reader is woken, a few
 * per cent of the ring.  Races with a nested run on the same CPU only move
 * when it asks next.
 */
static __always_inline __u64 ringbuf_wakeup_flags(void *ring, struct wake_state *w, __u64 size,
						  __u64 mark)
{
	__u64 avail, flags = BPF_RB_NO_WAKEUP;

	if (!mark)
		return 0;
	size += BPF_RINGBUF_HDR_SZ;
	/* Never NULL (a one-entry array); the verifier wants the test. */
	if (!w)
		return BPF_RB_NO_WAKEUP;
	w->since += size;
	if (w->since < mark / WAKE_CHECKS)
		return BPF_RB_NO_WAKEUP;
	w->since = 0;
	avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) + size;
	if (w->last_avail < mark && avail >= mark)
		flags = BPF_RB_FORCE_WAKEUP;
	w->last_avail = avail;
	return flags;
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

/* The tcp_sock of a full TCP socket, or NULL. */
static __always_inline struct tcp_sock *tcp_sock_of(const struct sock *sk)
{
#ifdef SNOOP_RAW_TP
	int state = sk_state(sk);

	if (state == SNOOP_TCP_TIME_WAIT || state == SNOOP_TCP_NEW_SYN_RECV ||
	    RD_BITFIELD(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return (struct tcp_sock *)sk;
#else
	return bpf_skc_to_tcp_sock((void *)sk);
#endif
}

/* Family for reports: an IPv6 socket talking IPv4-mapped addresses is IPv4. */
static __always_inline void event_set_family(struct snoop_event *e, __u16 family)
{
	if (family == AF_INET6 && is_v4_mapped(e->saddr) && is_v4_mapped(e->daddr))
		family = AF_INET;
	e->family = family;
}

/*
 * The addresses, ports and family of @sk into @e, from sock_common alone (a
 * pointer no helper takes, as an iterator's socket reached through a file).
 */
static __always_inline void event_fill_addrs(struct snoop_event *e, const struct sock *sk)
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
	e->dport = bpf_ntohs(RD(sk, __sk_common.skc_dport));
}

/*
 * The addresses, ports and family of @sk into @e (any socket kind), not the
 * netns: that is a pointer chase, left to event_fill_sock().
 */
static __always_inline void event_fill_tuple(struct snoop_event *e, const struct sock *sk)
{
	event_fill_addrs(e, sk);
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
}

/* The network namespace inode of @sk (any socket kind). */
static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return RD2(sk, __sk_common.skc_net.net, ns.inum);
}

/* Fill tuple, family and netns of @e from @sk. */
static __always_inline void event_fill_sock(struct snoop_event *e, const struct sock *sk)
{
	event_fill_tuple(e, sk);
	e->netns = sock_netns(sk);
}

/* The IP header of a packet the kernel receives or sends (ip_hdr_read()). */
struct ip_hdr {
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
		__u8 version; /* in the high nibble, for both */
	};
	__u8 proto;  /* IPPROTO_TCP, IPPROTO_UDP... */
	__u32 l4off; /* where its transport header starts */
};

#define IP_MF 0x2000

/*
 * Read the IP header at @nh (a tracepoint's sk_buff: net/netif_receive_skb,
 * net/net_dev_queue) into @h.  Every packet of the host comes here: one read,
 * as long as an IPv6 header (a few bytes past a short IPv4 packet's end are
 * read and not used).  IPv4 fragments and IPv6 extension headers are not
 * followed (the DNS and FIN segments read from here carry none).  0, or -1
 * when it is not one to read.
 */
static __always_inline int ip_hdr_read(const unsigned char *nh, struct ip_hdr *h)
{
	if (bpf_probe_read_kernel(&h->v6, sizeof(h->v6), nh))
		return -1;
	if ((h->version >> 4) == 4) {
		if (bpf_ntohs(h->v4.frag_off) & (IP_OFFSET | IP_MF))
			return -1;
		h->proto = h->v4.protocol;
		h->l4off = h->v4.ihl * 4;
	} else if ((h->version >> 4) == 6) {
		h->proto = h->v6.nexthdr;
		h->l4off = sizeof(h->v6);
	} else {
		return -1;
	}
	return 0;
}

/* The source and destination addresses of @h, 16 bytes each (IPv4 IPv4-mapped). */
static __always_inline void ip_hdr_addrs(const struct ip_hdr *h, __u8 *src, __u8 *dst)
{
	if ((h->version >> 4) == 4) {
		addr_from_v4(src, h->v4.saddr);
		addr_from_v4(dst, h->v4.daddr);
	} else {
		__builtin_memcpy(src, &h->v6.saddr, SNOOP_ADDR_LEN);
		__builtin_memcpy(dst, &h->v6.daddr, SNOOP_ADDR_LEN);
	}
}

/* What tcpip_parse() found in the IP and TCP headers of a packet. */
struct tcpip_info {
	__u32 ip_len;	/* the IP header's length of the packet, headers included */
	__u16 sport;	/* host order */
	__u16 dport;	/* host order */
	__u16 family;	/* of the IP header: AF_INET or AF_INET6 */
	__u16 hdr_len;	/* IP + TCP header bytes */
	__u8 tcp_flags; /* byte TCP_FLAGS_BYTE of the TCP header */
};

/*
 * Read @len bytes at @off past the network header of a packet: of the
 * cgroup_skb context @cskb when @cgroup (its data starts at the network
 * header), else of the kernel's sk_buff @kskb (a tracepoint argument).
 * @cgroup must be a constant, so only one of the two helpers is emitted:
 * neither program type may call the other's.
 */
static __always_inline long pkt_read(bool cgroup, struct __sk_buff *cskb,
				     const struct sk_buff *kskb, __u32 off, void *dst, __u32 len)
{
	if (cgroup)
		return bpf_skb_load_bytes(cskb, off, dst, len);
	return bpf_probe_read_kernel(dst, len, RD(kskb, head) + RD(kskb, network_header) + off);
}

/*
 * The one parser of IP and TCP headers: addresses into @src and @dst (16
 * bytes each, IPv4 IPv4-mapped), the rest into @t.  A packet of a cgroup_skb
 * program (@cgroup, @cskb) must be TCP and not a later fragment, and IPv6
 * extension headers before TCP are not followed; a kernel sk_buff (@kskb)
 * has been parsed by the kernel already, whose transport header is used.
 * When @want_family is not 0, a packet of the other family stops before
 * its TCP header is read.  0, or -1 when the packet is not one of ours.
 */
static __always_inline int tcpip_parse(bool cgroup, struct __sk_buff *cskb,
				       const struct sk_buff *kskb, __u16 want_family, __u8 *src,
				       __u8 *dst, struct tcpip_info *t)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
		__u8 version; /* in the high nibble, for both */
	} ip;
	struct tcphdr th;
	__u32 thoff;
	bool v6;

	if (cgroup) {
		/* The protocol of the packet is known without reading it. */
		if (cskb->protocol == bpf_htons(ETH_P_IPV6))
			v6 = true;
		else if (cskb->protocol == bpf_htons(ETH_P_IP))
			v6 = false;
		else
			return -1;
	} else {
		if (pkt_read(false, NULL, kskb, 0, &ip.version, sizeof(ip.version)))
			return -1;
		if ((ip.version >> 4) == 6)
			v6 = true;
		else if ((ip.version >> 4) == 4)
			v6 = false;
		else
			return -1;
	}
	if (v6) {
		if (pkt_read(cgroup, cskb, kskb, 0, &ip.v6, sizeof(ip.v6)))
			return -1;
		if (cgroup && ip.v6.nexthdr != IPPROTO_TCP)
			return -1;
		t->family = AF_INET6;
		t->ip_len = sizeof(ip.v6) + bpf_ntohs(ip.v6.payload_len);
		thoff = sizeof(ip.v6);
	} else {
		if (pkt_read(cgroup, cskb, kskb, 0, &ip.v4, sizeof(ip.v4)))
			return -1;
		if (cgroup &&
		    (ip.v4.protocol != IPPROTO_TCP || (bpf_ntohs(ip.v4.frag_off) & IP_OFFSET)))
			return -1;
		t->family = AF_INET;
		t->ip_len = bpf_ntohs(ip.v4.tot_len);
		thoff = ip.v4.ihl * 4;
	}
	if (want_family && t->family != want_family)
		return -1;
	if (!cgroup)
		thoff = RD(kskb, transport_header) - RD(kskb, network_header);
	if (pkt_read(cgroup, cskb, kskb, thoff, &th, sizeof(th)))
		return -1;
	if (v6) {
		__builtin_memcpy(src, &ip.v6.saddr, SNOOP_ADDR_LEN);
		__builtin_memcpy(dst, &ip.v6.daddr, SNOOP_ADDR_LEN);
	} else {
		addr_from_v4(src, ip.v4.saddr);
		addr_from_v4(dst, ip.v4.daddr);
	}
	t->sport = bpf_ntohs(th.source);
	t->dport = bpf_ntohs(th.dest);
	t->hdr_len = thoff + th.doff * 4;
	t->tcp_flags = ((const __u8 *)&th)[TCP_FLAGS_BYTE];
	return 0;
}

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

/*
 * @p as a number that tells objects apart during one tracepoint call: in the
 * raw_tp build pointers are numbers already; a BTF pointer is made one as its
 * distance from @ctx (a pointer minus a pointer, allowed to privileged programs).
 */
static __always_inline __u64 ptr_tag(const void *ctx, const void *p)
{
#ifdef SNOOP_RAW_TP
	return (__u64)p;
#else
	return (__u64)((const char *)p - (const char *)ctx);
#endif
}

#endif /* SNOOP_COMMON_BPF_H */
