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
 * comes.  Neither end has a tracepoint: the event says when it began.  It
 * ends earlier where the kernel lets us see it (tw_live): a RST it takes
 * (time_wait_rst()), or a new connection that takes its 4-tuple
 * (time_wait_reused()); each sends a transition to CLOSE saying which.
 *
 * A program that only reads the records (packets.bpf.c) defines
 * TIME_WAIT_READER_ONLY: it gets tw_live (user space replaces it by
 * socket-snoop's before load) and time_wait_record(), nothing else.
 */
#ifndef TIME_WAIT_BPF_H
#define TIME_WAIT_BPF_H

#include "common.bpf.h"

/* A connection's time-wait socket: by namespace and tuple. */
struct tw_key {
	__u32 netns;
	__u16 lport; /* host order */
	__u16 rport;
	__u8 laddr[SNOOP_ADDR_LEN]; /* IPv4 as IPv4-mapped */
	__u8 raddr[SNOOP_ADDR_LEN];
};

/*
 * The connections whose time-wait socket is in TIME_WAIT, by namespace and
 * tuple: their TIME_WAIT event (owner, cookie, when it began), whose detail
 * holds the sequence number a RST must carry for the kernel to take it (the
 * time-wait socket's rcv_nxt: tcp_timewait_state_process()).  tw_pending's
 * entries hold theirs the same way.  LRU: past 8192 at once, the oldest
 * time-wait sockets' early ends are not seen; one that expired (60 s) is
 * left to be evicted, and ignored.
 *
 * Loaded for the packet faces (tw_owners in snoop.bpf.c: no events), it holds
 * every time-wait socket's record from its making, FIN_WAIT2 substate
 * included, and packets.bpf.c reads it (TIME_WAIT_READER_ONLY) to name the
 * packets a time-wait socket sends and receives.  Those faces tell a
 * time-wait socket by its state, not by this map: a record left by one that
 * ended is read only if another takes its tuple, and that one's making wrote
 * its own first.
 */
#define TW_LEN_NS (60ull * 1000000000ull) /* TCP_TIMEWAIT_LEN */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/* Each CPU evicts from its own list: no lock shared by every TIME_WAIT. */
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 8192);
	__type(key, struct tw_key);
	__type(value, struct snoop_event);
} tw_live SEC(".maps");

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

/*
 * The TIME_WAIT record of the time-wait socket in @netns whose end is
 * @laddr:@lport and whose peer is @raddr:@rport (its connection's owner), or
 * NULL.
 */
static __always_inline const struct snoop_event *
time_wait_record(__u32 netns, const __u8 *laddr, __u16 lport, const __u8 *raddr, __u16 rport)
{
	struct tw_key k;

	tw_key_set(&k, netns, laddr, lport, raddr, rport);
	return bpf_map_lookup_elem(&tw_live, &k);
}

#ifndef TIME_WAIT_READER_ONLY

/* Included by snoop.bpf.c after event_submit(), which time_wait_fin() sends with. */

/* Where a connection stands once its socket reached CLOSE from FIN_WAIT2 or CLOSING. */
enum tw_outcome {
	TW_NONE,       /* aborted (a RST either way, a timeout): closed */
	TW_NOW,	       /* in TIME_WAIT */
	TW_AWAITS_FIN, /* a time-wait socket in FIN_WAIT2, until the peer's FIN */
	TW_SKIPPED,    /* no time-wait bucket left (tcp_max_tw_buckets): closed */
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
	__u64 ts;      /* 0: empty */
	__u32 end_seq; /* the FIN's end: the time-wait socket's rcv_nxt after it */
	__u32 pad;
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

/* Whether @a and @b are within TW_FIN_AHEAD_NS of each other, either way. */
static __always_inline bool tw_near(__u64 a, __u64 b)
{
	return a - b < TW_FIN_AHEAD_NS || b - a < TW_FIN_AHEAD_NS;
}

/* The sequence number @sk expects next: what its time-wait socket will expect. */
static __always_inline __u32 tw_rcv_nxt(const struct sock *sk)
{
	struct tcp_sock *tp = tcp_sock_of(sk);

	return tp ? RD(tp, rcv_nxt) : 0;
}

/* Keep @e in @map by its tuple, its detail holding @rcv_nxt (see tw_live); 0 or -errno. */
static __always_inline long time_wait_keep(void *map, struct snoop_event *e, __u32 rcv_nxt)
{
	struct tw_key k;
	long err;

	tw_key_set(&k, e->netns, e->saddr, e->sport, e->daddr, e->dport);
	e->detail = (__s32)rcv_nxt;
	err = bpf_map_update_elem(map, &k, e, BPF_ANY);
	e->detail = SNOOP_TW_END_NONE;
	return err;
}

/*
 * Keep @e in tw_live, its detail holding @rcv_nxt.  A global function,
 * verified once: its key is on a stack of its own, not on set_state's, which
 * has little room left.
 */
__noinline int time_wait_live(struct snoop_event *e, __u32 rcv_nxt)
{
	if (!e)
		return 0;
	return time_wait_keep(&tw_live, e, rcv_nxt) ? 0 : 1;
}

/*
 * The packet faces (no events): keep in tw_live the record of the time-wait
 * socket @sk (record @si) is replaced by now, in TIME_WAIT or awaiting its
 * peer's FIN, for the packets it will send and receive.  @e is scratch space.
 */
static __always_inline void time_wait_own(struct snoop_event *e, const struct sock *sk,
					  const struct snoop_sock_info *si, __u64 now)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = now;
	e->kind = SNOOP_KIND_STATE;
	e->new_state = SNOOP_TCP_TIME_WAIT;
	/* Without a record the owner is unknown: written all the same, over an older one's. */
	if (si) {
		e->owner = si->owner;
		e->attribution = si->attribution;
	}
	event_fill_sock(e, sk);
	time_wait_live(e, tw_rcv_nxt(sk));
}

/*
 * Send @e, a TIME_WAIT transition, and keep it in tw_live until its end.
 * Global functions, this one and time_wait_await(), verified once on their
 * own: inlined, their paths multiplied handle_set_state's.
 */
__noinline int time_wait_send(struct snoop_event *e, __u32 rcv_nxt)
{
	if (!e)
		return 0;
	event_submit(e);
	return time_wait_keep(&tw_live, e, rcv_nxt) ? 0 : 1;
}

/*
 * The time-wait socket of @e, a TIME_WAIT event copied out of a map, ended
 * early (@how, enum snoop_tw_end) in state @state (TIME_WAIT, or FIN_WAIT2
 * for one of tw_pending): its connection's transition to CLOSE, at @now.
 */
static __always_inline void time_wait_end(struct snoop_event *e, __u64 now, __u8 how, int state)
{
	e->ts_ns = now;
	e->old_state = state;
	e->new_state = SNOOP_TCP_CLOSE;
	e->detail = how;
	if (state_selected(SNOOP_TCP_CLOSE))
		event_submit(e);
}

/*
 * Keep @e, a FIN_WAIT2 -> TIME_WAIT transition to come, until its peer's FIN;
 * send it now if that FIN was traced already (ahead of the ACK, or on another
 * CPU meanwhile).  @rcv_nxt: the time-wait socket's, before that FIN.
 */
__noinline int time_wait_await(struct snoop_event *e, __u32 rcv_nxt)
{
	struct tw_fin_slot *seen;
	struct tw_key k;
	__u32 slot;
	__u64 ts;

	if (!e || time_wait_keep(&tw_pending, e, rcv_nxt))
		return 0;
	tw_key_set(&k, e->netns, e->saddr, e->sport, e->daddr, e->dport);
	slot = tw_fin_slot_of(&k);
	seen = bpf_map_lookup_elem(&tw_fin_seen, &slot);
	if (!seen)
		return 0;
	ts = __sync_fetch_and_add(&seen->ts, 0);
	if (ts && tw_near(e->ts_ns, ts) && tw_key_eq(&seen->key, &k) &&
	    !bpf_map_delete_elem(&tw_pending, &k))
		time_wait_send(e, seen->end_seq);
	return 0;
}

/*
 * A FIN arriving for the time-wait socket @k, ending at sequence @end_seq:
 * it moves one waiting in FIN_WAIT2 to TIME_WAIT.  @out is scratch space.
 */
static __always_inline void time_wait_fin(const struct tw_key *k, __u32 end_seq,
					  struct snoop_event *out)
{
	__u64 now = bpf_ktime_get_ns();
	struct tw_fin_slot *s;
	struct snoop_event *e;
	__u32 slot;

	slot = tw_fin_slot_of(k);
	s = bpf_map_lookup_elem(&tw_fin_seen, &slot);
	if (s) {
		s->key = *k;
		s->end_seq = end_seq;
		__sync_lock_test_and_set(&s->ts, now);
	}
	e = bpf_map_lookup_elem(&tw_pending, k);
	if (!e)
		return;
	/* Copied before the delete that makes it ours: the slot may be reused after. */
	__builtin_memcpy(out, e, offsetof(struct snoop_event, close));
	if (bpf_map_delete_elem(&tw_pending, k))
		return;
	out->ts_ns = now;
	out->detail = SNOOP_TW_END_NONE;
	time_wait_send(out, end_seq);
}

/*
 * A RST arriving for the time-wait socket @k, at sequence @seq: the kernel
 * takes it, and drops the time-wait socket, when it carries exactly the
 * sequence number expected next and net.ipv4.tcp_rfc1337 is 0 (in TIME_WAIT;
 * in FIN_WAIT2 any in its window, of which the one expected next is seen
 * here).  @out is scratch space.
 */
static __always_inline void time_wait_rst(const struct tw_key *k, __u32 seq, bool rfc1337,
					  struct snoop_event *out)
{
	__u64 now = bpf_ktime_get_ns();
	struct snoop_event *e;
	bool live = true;

	e = bpf_map_lookup_elem(&tw_live, k);
	if (e && rfc1337)
		return;
	if (!e) {
		live = false;
		e = bpf_map_lookup_elem(&tw_pending, k);
	}
	if (!e || (__u32)e->detail != seq)
		return;
	__builtin_memcpy(out, e, offsetof(struct snoop_event, close));
	if (bpf_map_delete_elem(live ? (void *)&tw_live : (void *)&tw_pending, k))
		return;
	/* Gone at 60 s: the RST met no time-wait socket. */
	if (live && now - out->ts_ns >= TW_LEN_NS)
		return;
	time_wait_end(out, now, SNOOP_TW_END_RESET,
		      live ? SNOOP_TCP_TIME_WAIT : SNOOP_TCP_FIN_WAIT2);
}

/*
 * A new connection, whose tuple and namespace are in @e (scratch space
 * after), may have taken the 4-tuple of a time-wait socket, which the kernel
 * then dropped (tcp_twsk_unique() for a connect, TCP_TW_SYN for a SYN it
 * took): that connection's end.  A global function, verified once: every
 * connection's first transitions call it.
 */
__noinline int time_wait_reused(struct snoop_event *e, __u64 now)
{
	struct snoop_event *tw;
	struct tw_key k;

	if (!e)
		return 0;
	tw_key_set(&k, e->netns, e->saddr, e->sport, e->daddr, e->dport);
	tw = bpf_map_lookup_elem(&tw_live, &k);
	if (!tw)
		return 0;
	__builtin_memcpy(e, tw, offsetof(struct snoop_event, close));
	if (bpf_map_delete_elem(&tw_live, &k) || now - e->ts_ns >= TW_LEN_NS)
		return 0;
	time_wait_end(e, now, SNOOP_TW_END_REUSED, SNOOP_TCP_TIME_WAIT);
	return 1;
}

/*
 * A TCP segment arriving (@h at @nh of @skb): a FIN (time_wait_fin()) or a
 * RST (time_wait_rst()) for a time-wait socket.  Most segments carry
 * neither, and stop at the flags.
 */
static __always_inline void time_wait_packet(const struct sk_buff *skb, const unsigned char *nh,
					     const struct ip_hdr *h)
{
	__u8 th[TCP_FLAGS_BYTE + 1], src[SNOOP_ADDR_LEN], dst[SNOOP_ADDR_LEN], flags;
	struct snoop_event out;
	struct tw_key k;
	__u32 seq, len;

	if (bpf_probe_read_kernel(th, sizeof(th), nh + h->l4off))
		return;
	flags = th[TCP_FLAGS_BYTE];
	if (!(flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		return;
	ip_hdr_addrs(h, src, dst);
	/* The segment's destination is the time-wait socket's local end. */
	tw_key_set(&k, RD3(skb, dev, nd_net.net, ns.inum), dst, (__u16)(th[2] << 8 | th[3]), src,
		   (__u16)(th[0] << 8 | th[1]));
	seq = (__u32)th[4] << 24 | (__u32)th[5] << 16 | (__u32)th[6] << 8 | th[7];
	if (flags & TCP_FLAG_RST) {
		time_wait_rst(&k, seq, RD3(skb, dev, nd_net.net, ipv4.sysctl_tcp_rfc1337) != 0,
			      &out);
		return;
	}
	/* The FIN's end: its payload (the IP length past the headers), and the FIN. */
	len = (h->version >> 4) == 4 ? bpf_ntohs(h->v4.tot_len) :
				       sizeof(h->v6) + bpf_ntohs(h->v6.payload_len);
	len -= h->l4off + (th[12] >> 4) * 4;
	time_wait_fin(&k, seq + len + 1, &out);
}

#endif /* TIME_WAIT_READER_ONLY */

#endif /* TIME_WAIT_BPF_H */
