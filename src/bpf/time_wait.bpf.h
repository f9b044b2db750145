/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * time_wait.bpf.h - connections that end in TIME_WAIT (issue 16).  The
 * kernel never moves a full socket into TIME_WAIT: tcp_time_wait() puts a
 * time-wait socket in its place and closes it (FIN_WAIT2 or CLOSING to
 * CLOSE), and the time-wait socket's own moves run no tracepoint.  So:
 *
 *  - at that CLOSE, time_wait_of() tells what the connection is now, as
 *    ss(8) shows it: TIME_WAIT (the peer's FIN had come, or CLOSING); still
 *    FIN_WAIT2 (an orphaned socket whose peer has not closed yet: the
 *    time-wait socket waits for that FIN in substate FIN_WAIT2); or really
 *    closed (aborted, or no time-wait bucket left: TIME_WAIT skipped);
 *  - for the FIN_WAIT2 case the event it will make is kept in tw_pending,
 *    by namespace and tuple, and time_wait_fin() sends it when the peer's
 *    FIN arrives (net/netif_receive_skb, which the DNS programs share).
 *
 * The FIN can be traced before the ACK that makes the time-wait socket is
 * processed (a NAPI batch is traced, then handed to TCP as a list): a FIN
 * with no entry waiting is noted in tw_fin_seen, which time_wait_await()
 * reads first.
 *
 * A time-wait socket lasts TCP_TIMEWAIT_LEN (60 s, fixed in Linux) from that
 * FIN; in FIN_WAIT2 it is dropped after net.ipv4.tcp_fin_timeout if no FIN
 * comes.  Neither end has a tracepoint: the event says when it began.
 */
#ifndef TIME_WAIT_BPF_H
#define TIME_WAIT_BPF_H

#include "common.bpf.h"

/* Included by snoop.bpf.c after event_submit(), which time_wait_fin() sends with. */

/* Where a connection stands once its socket reached CLOSE from FIN_WAIT2 or CLOSING. */
enum tw_outcome {
	TW_NONE,       /* aborted (a RST either way, a timeout): closed */
	TW_NOW,	       /* in TIME_WAIT */
	TW_AWAITS_FIN, /* a time-wait socket in FIN_WAIT2, until the peer's FIN */
	TW_SKIPPED,    /* no time-wait bucket left (tcp_max_tw_buckets): closed */
};

/* A connection's time-wait socket awaiting its peer's FIN: by namespace and tuple. */
struct tw_key {
	__u32 netns;
	__u16 lport; /* host order */
	__u16 rport;
	__u8 laddr[SNOOP_ADDR_LEN]; /* IPv4 as IPv4-mapped */
	__u8 raddr[SNOOP_ADDR_LEN];
};

/*
 * The event to send when the FIN comes (header only, no close fields).  LRU:
 * a peer that never closes leaves its entry to be evicted, and a FIN for an
 * evicted one is not seen (that connection's TIME_WAIT is then not shown).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tw_key);
	__type(value, struct snoop_event);
} tw_pending SEC(".maps");

/*
 * The FINs seen (time_wait_fin()), a slot each by a hash of the tuple, for
 * all CPUs: the time-wait socket may be made on one CPU (a close()'s backlog)
 * while its FIN is traced on another.  Nearly every FIN of the host lands
 * here, so a write must be cheap: no lock, no allocation (an LRU hash here
 * made handle_rx cost 330 ns a run in make bench's storm; slots per CPU lost
 * up to 228 of 20,000 TIME_WAIT lines).  Two FINs in one slot within the
 * moments that matter lose one connection's TIME_WAIT line.
 *
 * A FIN and the time-wait socket can race: time_wait_fin() notes the FIN
 * (an atomic exchange: a full barrier) then looks for the waiting event;
 * time_wait_await() stores the event (under the hash bucket's lock) then reads
 * the note (an atomic add of 0: a full barrier).  One of the two sees the
 * other; the one whose delete of the waiting event succeeds sends it.
 */
#define TW_FIN_SLOTS 4096 /* a power of two */
#define TW_FIN_AHEAD_NS 1000000000ull

struct tw_fin_slot {
	struct tw_key key;
	__u64 ts; /* 0: empty */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TW_FIN_SLOTS);
	__type(key, __u32);
	__type(value, struct tw_fin_slot);
} tw_fin_seen SEC(".maps");

/* The slot of @k: its ports and the last words of its addresses, mixed. */
static __always_inline __u32 tw_fin_slot_of(const struct tw_key *k)
{
	__u32 h = ((__u32)k->lport << 16 | k->rport) ^ k->netns;

	h ^= *(const __u32 *)&k->laddr[12] * 0x9E3779B1u;
	h ^= *(const __u32 *)&k->raddr[12] * 0x85EBCA6Bu;
	return (h ^ h >> 16) & (TW_FIN_SLOTS - 1);
}

static __always_inline bool tw_key_eq(const struct tw_key *a, const struct tw_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	_Static_assert(sizeof(struct tw_key) == 5 * sizeof(__u64), "tw_key in words");
	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/*
 * What the CLOSE transition of @sk (record @si, old state @oldstate, FIN_WAIT2
 * or CLOSING) leaves.  Called before the kernel stores CLOSE: sk_err and the
 * flags still say how it ended.
 */
static __always_inline enum tw_outcome time_wait_of(const struct sock *sk,
						    const struct snoop_sock_info *si, int oldstate)
{
	int refs, max;

	/* A RST sent or received, or a timeout's error: tcp_done() without a time-wait socket. */
	if (si && (si->flags & (SNOOP_SF_RST_SENT | SNOOP_SF_RST_RECV)))
		return TW_NONE;
	if (RD(sk, sk_err))
		return TW_NONE;
	/*
	 * inet_twsk_alloc() refuses when the namespace's time-wait sockets
	 * (tw_refcount - 1) reached tcp_max_tw_buckets; a refusal leaves the count
	 * there, a success leaves it at most there.  Read after the fact, one at
	 * exactly the limit is taken for a refusal: the last bucket reads as
	 * skipped.
	 */
	refs = RD2(sk, __sk_common.skc_net.net, ipv4.tcp_death_row.tw_refcount.refs.counter);
	max = RD2(sk, __sk_common.skc_net.net, ipv4.tcp_death_row.sysctl_max_tw_buckets);
	if (refs - 1 >= max)
		return TW_SKIPPED;
	/* tcp_fin() sets SOCK_DONE before its tcp_time_wait(TIME_WAIT). */
	if (oldstate == SNOOP_TCP_CLOSING ||
	    (RD(sk, __sk_common.skc_flags) &
	     (1ul << bpf_core_enum_value(enum sock_flags, SOCK_DONE))))
		return TW_NOW;
	return TW_AWAITS_FIN;
}

/* The key of the time-wait socket at @laddr:@lport in @netns whose peer is @raddr:@rport. */
static __always_inline void tw_key_set(struct tw_key *k, __u32 netns, const __u8 *laddr,
				       __u16 lport, const __u8 *raddr, __u16 rport)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = netns;
	k->lport = lport;
	k->rport = rport;
	__builtin_memcpy(k->laddr, laddr, SNOOP_ADDR_LEN);
	__builtin_memcpy(k->raddr, raddr, SNOOP_ADDR_LEN);
}

/* Whether @a and @b are within TW_FIN_AHEAD_NS of each other, either way. */
static __always_inline bool tw_near(__u64 a, __u64 b)
{
	return a - b < TW_FIN_AHEAD_NS || b - a < TW_FIN_AHEAD_NS;
}

/*
 * Keep @e, a FIN_WAIT2 -> TIME_WAIT transition to come, until its peer's FIN;
 * send it now if that FIN was traced already (ahead of the ACK, or on another
 * CPU meanwhile).
 */
static __always_inline void time_wait_await(struct snoop_event *e)
{
	struct tw_fin_slot *seen;
	struct tw_key k;
	__u32 slot;
	__u64 ts;

	tw_key_set(&k, e->netns, e->saddr, e->sport, e->daddr, e->dport);
	if (bpf_map_update_elem(&tw_pending, &k, e, BPF_ANY))
		return;
	slot = tw_fin_slot_of(&k);
	seen = bpf_map_lookup_elem(&tw_fin_seen, &slot);
	if (!seen)
		return;
	ts = __sync_fetch_and_add(&seen->ts, 0);
	if (ts && tw_near(e->ts_ns, ts) && tw_key_eq(&seen->key, &k) &&
	    !bpf_map_delete_elem(&tw_pending, &k))
		event_submit(e);
}

/*
 * A TCP segment arriving in namespace @netns from @src:@sport to @dst:@dport
 * (network order addresses as 16 bytes, ports host order) with @flags: its
 * FIN moves a time-wait socket waiting in FIN_WAIT2 to TIME_WAIT.  Only FINs
 * cost a look-up.
 */
static __always_inline void time_wait_fin(__u32 netns, const __u8 *src, __u16 sport,
					  const __u8 *dst, __u16 dport, __u8 flags)
{
	__u64 now = bpf_ktime_get_ns();
	struct snoop_event *e, out;
	struct tw_fin_slot *s;
	struct tw_key k;
	__u32 slot;

	if (!(flags & TCP_FLAG_FIN) || (flags & TCP_FLAG_RST))
		return;
	/* The segment's destination is the time-wait socket's local end. */
	tw_key_set(&k, netns, dst, dport, src, sport);
	slot = tw_fin_slot_of(&k);
	s = bpf_map_lookup_elem(&tw_fin_seen, &slot);
	if (s) {
		s->key = k;
		__sync_lock_test_and_set(&s->ts, now);
	}
	e = bpf_map_lookup_elem(&tw_pending, &k);
	if (!e)
		return;
	/* Copied before the delete that makes it ours: the slot may be reused after. */
	__builtin_memcpy(&out, e, offsetof(struct snoop_event, close));
	if (bpf_map_delete_elem(&tw_pending, &k))
		return;
	out.ts_ns = now;
	event_submit(&out);
}

/* A TCP segment arriving (@h at @nh of @skb): time_wait_fin() on its ports and flags. */
static __always_inline void time_wait_packet(const struct sk_buff *skb, const unsigned char *nh,
					     const struct ip_hdr *h)
{
	__u8 th[TCP_FLAGS_BYTE + 1], src[SNOOP_ADDR_LEN], dst[SNOOP_ADDR_LEN];

	if (bpf_probe_read_kernel(th, sizeof(th), nh + h->l4off))
		return;
	/* Most segments stop here: no FIN. */
	if (!(th[TCP_FLAGS_BYTE] & TCP_FLAG_FIN))
		return;
	ip_hdr_addrs(h, src, dst);
	time_wait_fin(RD3(skb, dev, nd_net.net, ns.inum), src, (__u16)(th[0] << 8 | th[1]), dst,
		      (__u16)(th[2] << 8 | th[3]), th[TCP_FLAGS_BYTE]);
}

#endif /* TIME_WAIT_BPF_H */
