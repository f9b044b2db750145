// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * packets.bpf.c - kernel side of tcpsnoop and tcptop: every TCP packet sent
 * or received by a socket of this host, attributed to the socket's owner.
 *
 * There is one owner tracking in socket-snoop, and it is not here: the owner
 * of each socket is kept in owner_map by snoop.bpf.c's programs (recorded in
 * connect, listen, send, receive, close; cloned to accepted sockets; written
 * by user space for sockets open at start).  User space points this object's
 * owner_map at that map (bpf_map__reuse_fd) before load, so these programs
 * only read it.  A socket handed to another process (fork after accept) is
 * credited to that process from its first send or receive on.
 *
 * Packets are seen by cgroup_skb programs on the cgroup v2 root, where the
 * kernel tells the socket of each packet (the listener for a handshake).
 * Segments the kernel answers without a socket of their own (a SYN to a port
 * where nothing listens) never reach a cgroup program: tcp/tcp_send_reset
 * shows them and the RST that answers them.
 *
 * Nor do the packets of a time-wait socket, the kernel's stand-in for a
 * connection in TIME_WAIT (or orphaned in FIN_WAIT2): the cgroup programs
 * run for full sockets only.  packet_tw_tx and packet_tw_rx show them, named
 * after the connection's owner, which socket-snoop's programs keep for
 * every time-wait socket (tw_live, shared like owner_map).
 */
/* Only owner_map and tw_live: this object reads owners, socket-snoop's programs write them. */
#define OWNER_READER_ONLY
#define TIME_WAIT_READER_ONLY
#include "common.bpf.h"
#include "owner.bpf.h"
#include "time_wait.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load: disabled branches are pruned by the verifier. */
const volatile bool count_mode = false; /* tcptop: count per connection, no records */
const volatile bool want_netns = false; /* ZONE is shown: read the namespace */
const volatile __u16 family_only = 0;	/* 0, AF_INET or AF_INET6 */
const volatile bool filter_pid = false; /* -p */
const volatile __u32 pid_only = 0;
const volatile bool filter_comm = false; /* -n; with -p, either matches */
const volatile char comm_only[SNOOP_COMM_LEN] = {};
const volatile __u64 wakeup_bytes = 0; /* 0: kernel's adaptive wake-up */
const volatile bool tw_rx = false;     /* packet_tw_rx is loaded: a reply waits for its segment */
/* Linux 6.13: the kernel's answers to segments are their socket's (see packet_reset). */
const volatile bool answers_own_socket = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by user space */
} packets SEC(".maps");

WAKE_STATE_MAP(packets_wake);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SNOOP_PKT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} pkt_stats SEC(".maps");

/*
 * tcptop's byte counters, double-buffered: conn_tables[0] is the table the
 * programs count into.  User space swaps the other one in (the map update
 * waits for running programs to finish), then reads and empties the old one
 * at leisure: no packet is counted twice or lost between two intervals.
 * A plain hash, not LRU: a full table is counted (CONN_FULL), never evicted.
 */
struct conn_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct snoop_conn_key);
	__type(value, struct snoop_conn_bytes);
} conn_a SEC(".maps"), conn_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct conn_table);
} conn_tables SEC(".maps") = {
	.values = { &conn_a },
};

/* Link-layer bytes of a packet record: each wire segment has its headers. */
static __always_inline __u64 link_bytes(const struct snoop_packet *r)
{
	return (__u64)r->ip_len + (__u64)SNOOP_LINK_HDR_LEN * r->segs +
	       (__u64)(r->segs - 1) * r->hdr_len;
}

/* Count @n in packet counter @stat of this CPU. */
static __always_inline void pkt_stat_add(__u32 stat, __u64 n)
{
	stat_add(&pkt_stats, stat, n);
}

/*
 * The tuple, flags and sizes of the TCP packet of a cgroup_skb context
 * (@cgroup, @cskb) or of a kernel sk_buff @kskb into @r; -1 when it is not
 * one (see tcpip_parse()) or not of the -4/-6 family.
 */
static __always_inline int parse_skb(bool cgroup, struct __sk_buff *cskb,
				     const struct sk_buff *kskb, bool egress,
				     struct snoop_packet *r)
{
	struct tcpip_info t;

	/* Our end is the source of what we send, the destination of what we receive. */
	if (tcpip_parse(cgroup, cskb, kskb, family_only, egress ? r->laddr : r->raddr,
			egress ? r->raddr : r->laddr, &t))
		return -1;
	r->family = t.family;
	r->lport = egress ? t.sport : t.dport;
	r->rport = egress ? t.dport : t.sport;
	r->tcp_flags = t.tcp_flags;
	r->hdr_len = t.hdr_len;
	r->segs = 1;
	/*
	 * All of a cgroup program's packet, not its header's length: GSO and GRO
	 * packets hold several.  A time-wait socket's segment is one, as its IP
	 * header says.
	 */
	r->ip_len = cgroup ? cskb->len : t.ip_len;
	if (cgroup) {
		/* A GSO (egress) or GRO (ingress) packet: the segments a wire carries. */
		if (cskb->gso_segs > 1 && cskb->gso_size) {
			r->segs = cskb->gso_segs > 0xffff ? 0xffff : cskb->gso_segs;
			r->gso_size = cskb->gso_size;
		}
	}
	if (egress)
		r->flags |= SNOOP_PKT_EGRESS;
	return 0;
}

/* -p and -n, on the socket's owner: either matches when both are given. */
static __always_inline bool owner_matches(const struct snoop_packet *r)
{
	/* Volatile reads: the loader sets the name after compilation. */
	const volatile __u64 *want = (const volatile __u64 *)comm_only;
	const __u64 *have = (const __u64 *)r->owner.comm;

	if (!filter_pid && !filter_comm)
		return true;
	if (r->flags & (SNOOP_PKT_CLOSED | SNOOP_PKT_NO_OWNER))
		return false;
	if (filter_pid && r->owner.pid == pid_only)
		return true;
	return filter_comm && have[0] == want[0] && have[1] == want[1];
}

/* Copy the owner of @si into @r, or mark the packet as of an unknown owner. */
static __always_inline void set_owner(struct snoop_packet *r, const struct snoop_sock_info *si)
{
	/* The start of the owner: all but the thread's name. */
	if (si && si->attribution != SNOOP_ATTR_UNKNOWN)
		__builtin_memcpy(&r->owner, &si->owner, sizeof(r->owner));
	else
		r->flags |= SNOOP_PKT_NO_OWNER;
}

/* tcptop: add the packet's link-layer bytes to its connection's counter. */
static __always_inline void conn_count(const struct snoop_packet *r)
{
	struct snoop_conn_key key = {};
	struct snoop_conn_bytes *v, fresh = {};
	__u64 bytes = link_bytes(r);
	__u32 zero = 0;
	void *table;

	table = bpf_map_lookup_elem(&conn_tables, &zero);
	if (!table)
		return;
	__builtin_memcpy(key.laddr, r->laddr, SNOOP_ADDR_LEN);
	__builtin_memcpy(key.raddr, r->raddr, SNOOP_ADDR_LEN);
	key.lport = r->lport;
	key.rport = r->rport;
	key.pid = r->owner.pid;
	key.netns = r->netns;
	key.family = r->family;
	key.flags = r->flags & (SNOOP_PKT_CLOSED | SNOOP_PKT_NO_OWNER);
	v = bpf_map_lookup_elem(table, &key);
	if (v) {
		__sync_fetch_and_add(&v->bytes, bytes);
		return;
	}
	fresh.bytes = bytes;
	fresh.uid = r->owner.uid;
	fresh.cgroup_id = r->owner.cgroup_id;
	__builtin_memcpy(fresh.comm, r->owner.comm, SNOOP_COMM_LEN);
	if (!bpf_map_update_elem(table, &key, &fresh, BPF_NOEXIST))
		return;
	/* Another CPU created it meanwhile, or the table is full. */
	v = bpf_map_lookup_elem(table, &key);
	if (v)
		__sync_fetch_and_add(&v->bytes, bytes);
	else
		pkt_stat_add(SNOOP_PKT_STAT_CONN_FULL, r->segs);
}

/*
 * Hand a finished record on: counted (tcptop) or sent to user space
 * (tcpsnoop), waking the reader only once enough data waits, as
 * snoop.bpf.c does.  A full ring buffer is counted per wire segment lost.
 */
static __always_inline void packet_submit(const struct snoop_packet *r)
{
	if (count_mode) {
		conn_count(r);
		return;
	}
	if (bpf_ringbuf_output(&packets, (void *)r, sizeof(*r),
			       ringbuf_wakeup_flags(&packets, wake_state_of(&packets_wake),
						    sizeof(*r), wakeup_bytes)))
		pkt_stat_add(SNOOP_PKT_STAT_LOST, r->segs);
}

/* The common part of both cgroup_skb programs. */
static __always_inline void packet_seen(struct __sk_buff *skb, bool egress)
{
	struct snoop_packet r = {};
	struct bpf_sock *sk;
	struct tcp_sock *tp;

	if (parse_skb(true, skb, NULL, egress, &r))
		return;
	if (count_mode && r.ip_len > r.hdr_len)
		pkt_stat_add(egress ? SNOOP_PKT_STAT_PAYLOAD_OUT : SNOOP_PKT_STAT_PAYLOAD_IN,
			     r.ip_len - r.hdr_len);
	sk = skb->sk;
	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return;
	if (sk->type != SOCK_STREAM) {
		/*
		 * The namespace's TCP control socket: a RST the kernel sends
		 * in answer to a segment (tcp/tcp_send_reset shows it, with its
		 * socket when there is one) or, before Linux 6.13, an ACK for a
		 * time-wait or request socket (owner not known here: since
		 * 6.13 such a packet is its socket's, and packet_tw_tx shows
		 * a time-wait socket's).
		 */
		if (r.tcp_flags & TCP_FLAG_RST)
			return;
		r.flags |= SNOOP_PKT_NO_OWNER;
	} else {
		set_owner(&r, sock_info_get((const struct sock *)sk, false));
		if (want_netns) {
			tp = bpf_skc_to_tcp_sock(sk);
			if (tp)
				r.netns =
					tp->inet_conn.icsk_inet.sk.__sk_common.skc_net.net->ns.inum;
		}
	}
	if (!owner_matches(&r))
		return;
	r.ts_ns = bpf_ktime_get_ns();
	packet_submit(&r);
}

/* Every packet a socket of this host sends (the listener's for a SYN-ACK). */
SEC("cgroup_skb/egress")
int packet_egress(struct __sk_buff *skb)
{
	packet_seen(skb, true);
	return 1; /* an observer: always let the packet pass */
}

/* Every packet delivered to a socket of this host (the listener's for a SYN). */
SEC("cgroup_skb/ingress")
int packet_ingress(struct __sk_buff *skb)
{
	packet_seen(skb, false);
	return 1;
}

/*
 * The owner of @r, a packet of time-wait socket @tw whose tuple is set: its
 * connection's, as tw_live keeps it.
 */
static __always_inline void tw_set_owner(struct snoop_packet *r, const struct sock *tw)
{
	__u32 netns = sock_netns(tw);
	const struct snoop_event *e;

	if (want_netns)
		r->netns = netns;
	e = time_wait_record(netns, r->laddr, r->lport, r->raddr, r->rport);
	/* The start of the owner: all but the thread's name. */
	if (e && e->attribution != SNOOP_ATTR_UNKNOWN)
		__builtin_memcpy(&r->owner, &e->owner, sizeof(r->owner));
	else
		r->flags |= SNOOP_PKT_NO_OWNER;
}

/*
 * A time-wait socket answers a segment (an ACK, or a RST) while the kernel
 * processes it, and packet_tw_rx sees that segment only when the kernel
 * frees it, after: the answer's row waits here, one per CPU (a segment is
 * processed, answered and freed on one CPU, in one softirq), for the
 * segment's row to go first.  @skb, kept until then, is the answer's buffer:
 * one that a stacked device (VLAN, bond) queues again on the device below is
 * the same packet.
 */
struct tw_answer {
	struct snoop_packet r;
	__u64 skb;  /* the answer's sk_buff, 0: none (a RST), or no answer since the last segment */
	__u32 held; /* r waits to be sent */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_answer);
} tw_answers SEC(".maps");

/* This CPU's waiting answer, or NULL without packet_tw_rx (nothing would send it). */
static __always_inline struct tw_answer *tw_answer_slot(void)
{
	__u32 zero = 0;

	return tw_rx ? bpf_map_lookup_elem(&tw_answers, &zero) : NULL;
}

/* Send the answer waiting in @h, if any. */
static __always_inline void tw_answer_flush(struct tw_answer *h)
{
	if (h->held) {
		h->held = 0;
		packet_submit(&h->r);
	}
}

/*
 * @r, made by a time-wait socket in answer to a segment (@skb its buffer, 0
 * for a RST): held until that segment's row is sent (packet_tw_rx), counted
 * at once by tcptop.
 */
static __always_inline void tw_answer_hold(const struct snoop_packet *r, __u64 skb)
{
	struct tw_answer *h = tw_answer_slot();

	if (!h) {
		packet_submit(r);
		return;
	}
	/* One never followed by its segment's end: late, not lost. */
	tw_answer_flush(h);
	h->skb = skb;
	if (count_mode) {
		packet_submit(r);
		return;
	}
	h->r = *r;
	h->held = 1;
}

/*
 * net/net_dev_queue: a packet leaving through a device.  The ones a
 * time-wait socket sends (its ACKs; its RSTs are packet_reset's), which no
 * cgroup program sees: since Linux 6.13 such a packet is its socket's.
 */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(packet_tw_tx, struct sk_buff *skb)
{
	const struct sock *sk = RD(skb, sk);
	struct snoop_packet r = {};
	struct tw_answer *h;

	if (!sk || sk_state(sk) != SNOOP_TCP_TIME_WAIT)
		return 0;
	/*
	 * Once: a device of another namespace (a bridge the packet crossed a
	 * veth to) queues the same packet, and so does a device below a
	 * stacked one (VLAN, bond), before the answered segment is freed.
	 */
	if (RD3(skb, dev, nd_net.net, ns.inum) != sock_netns(sk))
		return 0;
	h = tw_answer_slot();
	if (h && h->skb == (__u64)skb)
		return 0;
	if (parse_skb(false, NULL, skb, true, &r) || (r.tcp_flags & TCP_FLAG_RST))
		return 0;
	tw_set_owner(&r, sk);
	if (!owner_matches(&r))
		return 0;
	r.ts_ns = bpf_ktime_get_ns();
	tw_answer_hold(&r, (__u64)skb);
	return 0;
}

/*
 * skb/kfree_skb: a packet freed as dropped, with the socket that dropped it
 * (Linux 6.11).  A segment a time-wait socket received ends here, whatever
 * it made of it (tcp_v4_rcv()'s and tcp_v6_rcv()'s time-wait path ends in
 * sk_skb_reason_drop()): its row, then the answer it made, held until now.
 * The segment's row takes the answer's time: it came before.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(packet_tw_rx, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	struct snoop_packet r = {};
	struct tw_answer *h;

	if (!rx_sk || sk_state(rx_sk) != SNOOP_TCP_TIME_WAIT)
		return 0;
	h = tw_answer_slot();
	if (!parse_skb(false, NULL, skb, false, &r)) {
		tw_set_owner(&r, rx_sk);
		if (owner_matches(&r)) {
			r.ts_ns = h && h->held ? h->r.ts_ns : bpf_ktime_get_ns();
			packet_submit(&r);
		}
	}
	if (h) {
		tw_answer_flush(h);
		h->skb = 0;
	}
	return 0;
}

/*
 * tcp/tcp_send_reset with the segment being answered: the RST goes out
 * through the namespace's control socket, so before Linux 6.13 the cgroup
 * program cannot tell whose it is; here the socket is known.  Since 6.13
 * the RST is its socket's and packet_egress shows it, but for a time-wait
 * socket's, which no cgroup program sees.  Without a socket (nothing
 * listens on the port) the segment never reached a cgroup program either:
 * both are shown as "<closed>", and only when no filter is set.  A reset
 * without a segment (close with unread data, SO_LINGER 0) is sent on the
 * socket itself and seen by packet_egress.
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(packet_reset, const struct sock *sk, const struct sk_buff *skb)
{
	struct snoop_packet r = {};
	struct tcpip_info t;
	bool tw = false;

	/* The segment being answered came in: its destination is our end. */
	if (!skb || tcpip_parse(false, NULL, skb, family_only, r.raddr, r.laddr, &t))
		return 0;
	r.family = t.family;
	r.lport = t.dport;
	r.rport = t.sport;
	if (want_netns)
		r.netns = sk ? sock_netns(sk) : RD3(skb, dev, nd_net.net, ns.inum);
	r.ts_ns = bpf_ktime_get_ns();
	r.segs = 1;
	if (!sk) {
		/* The segment that found no socket, as it arrived. */
		if (filter_pid || filter_comm)
			return 0;
		r.flags = SNOOP_PKT_CLOSED;
		r.tcp_flags = t.tcp_flags;
		r.ip_len = t.ip_len;
		r.hdr_len = t.hdr_len;
		packet_submit(&r);
	} else if (sk_state(sk) == SNOOP_TCP_TIME_WAIT) {
		tw = true;
		tw_set_owner(&r, sk);
		if (!owner_matches(&r))
			return 0;
	} else {
		/*
		 * Since Linux 6.13 the RST is its socket's (a request socket's
		 * is its listener's for the cgroup programs): packet_egress
		 * shows it.
		 */
		if (answers_own_socket)
			return 0;
		/* The store gives NULL for request socks. */
		set_owner(&r, sock_info_get(sk, false));
		if (!owner_matches(&r))
			return 0;
	}
	/* The RST: bare IP and TCP headers, RST|ACK unless it answers an ACK. */
	r.flags |= SNOOP_PKT_EGRESS;
	r.tcp_flags = t.tcp_flags & TCP_FLAG_ACK ? TCP_FLAG_RST : TCP_FLAG_RST | TCP_FLAG_ACK;
	r.ip_len = (r.family == AF_INET6 ? IPV6_HDR_LEN : IPV4_HDR_LEN) + TCP_HDR_LEN;
	r.hdr_len = r.ip_len;
	/* A time-wait socket's: after the row of the segment it answers (packet_tw_rx). */
	if (tw)
		tw_answer_hold(&r, 0);
	else
		packet_submit(&r);
	return 0;
}
