// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * snoop.bpf.c - kernel side of socket-snoop.
 *
 * Attribution rule: the process identity of a socket is recorded only where
 * the kernel runs a system call *on that socket* (connect, listen, close,
 * shutdown, sendmsg, recvmsg).  Events that run in softirq report that
 * recorded owner, never the task on the CPU.  Accepted sockets inherit the
 * listener's record through BPF_F_CLONE until their process touches them.
 *
 * Built twice: snoop.bpf.o (tp_btf) and snoop_raw.bpf.o (SNOOP_RAW_TP, raw
 * tracepoints).  What differs lives in common.bpf.h (reading kernel memory)
 * and owner.bpf.h (where records are kept); the handlers here are one text.
 */
#include "common.bpf.h"
#include "owner.bpf.h"
#include "filters.bpf.h"
#include "dns.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load: what is reported, and how the reader is woken. */
const volatile __u32 kinds_mask = ~0u; /* enum snoop_kind_mask bits */
const volatile __u64 wakeup_bytes = 0; /* 0: kernel's adaptive wake-up */
/* What handle_rx looks for in the packets received (loader.c). */
const volatile bool rx_dns = false;	  /* DNS answers: not with --no-dns */
const volatile bool rx_time_wait = false; /* FINs for time-wait sockets: state changes reported */
/* The packet faces: every time-wait socket's owner kept in tw_live (time_wait_own()). */
const volatile bool tw_owners = false;
/* Fewest transitions from state i to state j at [i * SNOOP_TCP_MAX_STATES + j] (tcp_fsm.c). */
const volatile __u8 gap_len[SNOOP_TCP_MAX_STATES * SNOOP_TCP_MAX_STATES] = {};
/* --interval in nanoseconds, for connection_updates (the raw_tp build has none: same layout). */
const volatile __u64 update_interval_ns = 0;

/*
 * The event rings, one per possible CPU, made and put here by user space
 * (loader.c): each CPU writes its own, so none waits for another's lock or
 * pulls the ring's positions from another's cache.  A ring shared by every
 * CPU cost make bench's storm 250 to 300 ns more per record (issue 14).
 * User space reads them as one stream in time order (common/rings.h).
 */
struct event_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by user space */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* resized by user space: the possible CPUs */
	__type(key, __u32);
	__array(values, struct event_ring);
} events SEC(".maps");

WAKE_STATE_MAP(events_wake);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SNOOP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Count one occurrence of @stat on this CPU. */
static __always_inline void stat_inc(__u32 stat)
{
	stat_add(&stats, stat, 1);
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
	stat_add(&stats, SNOOP_STAT_UNDELIVERED, n ? n : 1);
}

/* Fill the tuple from a received packet: its destination is the local end. */
static __always_inline int event_fill_skb(struct snoop_event *e, const struct sk_buff *skb)
{
	struct tcpip_info t;

	if (tcpip_parse(false, NULL, skb, 0, e->daddr, e->saddr, &t))
		return -1;
	event_set_family(e, t.family);
	e->sport = t.dport;
	e->dport = t.sport;
	e->netns = RD3(skb, dev, nd_net.net, ns.inum);
	return 0;
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
	const volatile struct snoop_filter_set *fs = filters();

	if (!filters_on(fs, SNOOP_FILTER_SOCK))
		return SOCK_MATCHES;
	event_fill_tuple(e, sk);
	if (fs->filter_netns)
		e->netns = sock_netns(sk);
	if (!e->sport || !e->dport)
		return SOCK_UNKNOWN;
	return sock_matches(e) ? SOCK_MATCHES : SOCK_EXCLUDED;
}

/* --state: true when transitions into @state are shown. */
static __always_inline bool state_selected(int state)
{
	__u32 mask = filters()->states_mask;

	return !mask || (mask & (1u << (state & 31)));
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
	struct wake_state *w = wake_state_of(&events_wake);
	void *ring = NULL;

	/*
	 * The CPU's number is the key of its ring, kept in its wake state:
	 * no stack for it (the raw_tp build's deepest calls have none to
	 * spare).  Neither is ever missing: a one-entry array, and user space
	 * gives every possible CPU its ring.
	 */
	if (w) {
		w->cpu = bpf_get_smp_processor_id();
		ring = bpf_map_lookup_elem(&events, &w->cpu);
	}
	if (!ring ||
	    bpf_ringbuf_output(ring, e, size, ringbuf_wakeup_flags(ring, w, size, wakeup_bytes)))
		stat_add(&stats, SNOOP_STAT_LOST, e->with_state ? 2 : 1);
}

#include "time_wait.bpf.h"

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

/* The current task owns @sk, whose record is @si, from now on. */
static __always_inline void owner_take(struct snoop_sock_info *si, const struct sock *sk)
{
	owner_record(si, sk);
	owner_note_cgroup(si);
}

/* The current task is a kernel thread (a deferred close runs in one). */
static __always_inline bool current_is_kthread(void)
{
	return RD(current_task(), flags) & PF_KTHREAD;
}

/*
 * A child socket, record @si copied from its listener's, is named after the
 * process that last accepted from that listener (who will serve it), when one
 * did since we started, else after the listener's process or its heir; it
 * stays attributed to the listener until accepted.
 */
static __always_inline void child_name_acceptor(struct snoop_sock_info *si, const struct sock *sk)
{
	const struct accepted_owner *a = acceptor_of(sk);

	if (!a) {
		/* Nobody accepted yet: the listener's process, or who holds it since it exited. */
		if (si->attribution != SNOOP_ATTR_UNKNOWN)
			owner_alive(&si->owner);
		return;
	}
	si->owner = a->owner;
	si->in_cgroup = a->in_cgroup;
	si->attribution = SNOOP_ATTR_LISTENER;
}

/* The record of @sk if it has one, with the owner recorded at accept taken (owner_settle()). */
static __always_inline struct snoop_sock_info *sock_info_seen(const struct sock *sk)
{
	struct snoop_sock_info *si = sock_info_get(sk, false);

	owner_settle(si, sk);
	return si;
}

/* A new connection on the record: forget how the last one on it ended. */
static __always_inline void sock_info_clear_end(struct snoop_sock_info *si)
{
	si->ca_worst = 0;
	si->rst_reason = 0;
	si->err = 0;
	si->err_reported = 0;
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
	if (child) {
		listener_inherit(sk, si);
		child_name_acceptor(si, sk);
	} else {
		owner_settle(si, sk);
		if (oldstate == SNOOP_TCP_LISTEN) {
			listener_forget(sk);
			acceptor_forget(sk);
			/*
			 * A listener closes in the process that let go of it last
			 * (close or exit of the last holder), not in the one that
			 * called listen(): a pre-fork server's workers hold it too.
			 */
			if (newstate == SNOOP_TCP_CLOSE && !current_is_kthread())
				in_syscall = true;
		}
	}
	/*
	 * Before the owner, state and kind filters: a gap is a gap whatever they
	 * select.  Not while the socket filters cannot tell (@gaps false): the
	 * record of a socket they excluded for a while stopped at its last state.
	 */
	if (gaps)
		gap_count(si, oldstate);
	si->last_state = newstate;
	if (child) {
		/*
		 * Copied from the listener or named after its last acceptor (or
		 * fresh when the listener predates us and nobody accepted yet).
		 */
		if (si->attribution != SNOOP_ATTR_UNKNOWN)
			si->attribution = SNOOP_ATTR_LISTENER;
		si->flags = SNOOP_SF_PASSIVE;
		si->first_ns = now;
		si->closed_by = SNOOP_CLOSED_UNKNOWN;
		sock_info_clear_end(si);
		return si;
	}
	if (in_syscall && (si->attribution != SNOOP_ATTR_OWNER ||
			   si->owner.tid != (__u32)bpf_get_current_pid_tgid()))
		owner_take(si, sk);
	if (newstate == SNOOP_TCP_LISTEN) {
		listener_publish(sk, si);
		acceptor_forget(sk);
		listen_pid_note(si->owner.pid);
	}
	if (newstate == SNOOP_TCP_SYN_SENT) {
		si->flags = SNOOP_SF_ACTIVE;
		si->first_ns = now;
		si->closed_by = SNOOP_CLOSED_UNKNOWN;
		sock_info_clear_end(si);
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

/* The errors close_reason() tells apart (include/uapi/asm-generic/errno.h). */
#define EPIPE 32
#define ECONNABORTED 103
#define ECONNRESET 104
#define ETIMEDOUT 110
#define ECONNREFUSED 111

/* sock_flags bit @flag of @sk (enum sock_flags, by CO-RE). */
#define SK_FLAG(sk, flag) \
	(RD(sk, __sk_common.skc_flags) & (1ul << bpf_core_enum_value(enum sock_flags, flag)))

/*
 * Why the connection of @sk ended, as it reaches CLOSE from @oldstate with
 * error @err (enum snoop_close_reason).  What the kernel leaves to tell:
 * the RSTs seen (the socket's flags), sk_err (tcp_done_with_error() stores it
 * before the transition: ETIMEDOUT when retries ran out, an ICMP error, or
 * sk_err_soft's), and the state it left.  close() with unread data or with
 * SO_LINGER 0 moves an established socket straight to CLOSE and only then
 * sends its RST (__tcp_close(), tcp_disconnect()): no flag yet, so its marks
 * are read here: data the application never read (copied_seq behind
 * rcv_nxt, the peer's FIN aside), or a linger of 0.
 */
static __always_inline __u8 close_reason(const struct sock *sk, struct tcp_sock *tp,
					 const struct snoop_sock_info *si, int oldstate, int err)
{
	__u8 flags = si ? si->flags : 0;
	__u32 unread;

	if (flags & SNOOP_SF_RST_RECV)
		return oldstate == SNOOP_TCP_SYN_SENT ? SNOOP_CLOSE_CONNECT_REFUSED :
							SNOOP_CLOSE_RST_RECEIVED;
	if (oldstate == SNOOP_TCP_SYN_SENT) {
		if (!err)
			return SNOOP_CLOSE_CONNECT_ABANDONED;
		if (err == ECONNREFUSED)
			return SNOOP_CLOSE_CONNECT_REFUSED;
		return err == ETIMEDOUT ? SNOOP_CLOSE_CONNECT_TIMEOUT : SNOOP_CLOSE_UNREACHABLE;
	}
	if (err == ETIMEDOUT) {
		if (oldstate == SNOOP_TCP_SYN_RECV)
			return SNOOP_CLOSE_SYNACK_TIMEOUT;
		/*
		 * The keepalive timer sends a RST (with its reason since Linux
		 * 6.10) and counts probes, not retransmissions.
		 */
		if ((si && si->rst_reason == SNOOP_RST_TCP_KEEPALIVE_TIMEOUT + 1) ||
		    (!RD(tp, inet_conn.icsk_retransmits) && RD(tp, inet_conn.icsk_probes_out)))
			return SNOOP_CLOSE_KEEPALIVE_TIMEOUT;
		return SNOOP_CLOSE_RETRANSMIT_TIMEOUT;
	}
	if (flags & SNOOP_SF_RST_SENT)
		return si->rst_reason == SNOOP_RST_TCP_ABORT_ON_CLOSE + 1 ?
			       SNOOP_CLOSE_ABORTED_ON_CLOSE :
			       SNOOP_CLOSE_RST_SENT;
	if (err && err != ECONNRESET && err != EPIPE && err != ECONNABORTED)
		return SNOOP_CLOSE_UNREACHABLE;
	if (oldstate == SNOOP_TCP_ESTABLISHED || oldstate == SNOOP_TCP_CLOSE_WAIT) {
		unread = RD(tp, rcv_nxt) - RD(tp, copied_seq);
		if (SK_FLAG(sk, SOCK_DONE) && unread)
			unread--;
		if (unread || (SK_FLAG(sk, SOCK_LINGER) && !RD(sk, sk_lingertime)))
			return SNOOP_CLOSE_ABORTED_ON_CLOSE;
		return SNOOP_CLOSE_RST_SENT; /* tcp_disconnect(), tcp_abort() */
	}
	if (si && si->closed_by == SNOOP_CLOSED_LOCAL)
		return SNOOP_CLOSE_FIN_LOCAL;
	if (si && si->closed_by == SNOOP_CLOSED_REMOTE)
		return SNOOP_CLOSE_FIN_REMOTE;
	return SNOOP_CLOSE_UNKNOWN;
}

/*
 * The health counters of the close summary: what struct tcp_sock counts, as
 * tcp_get_info() reports them (tcp_info, ss -ti).
 */
static __always_inline void close_fill_health(struct snoop_event *e, struct tcp_sock *tp,
					      const struct snoop_sock_info *si)
{
	__u32 rate = RD(tp, rate_delivered), interval = RD(tp, rate_interval_us);
	__u8 ca = RD_BITFIELD(tp, inet_conn.icsk_ca_state) + 1;

	/* No round trip measured (a refused connect): 0, not the initial guesses. */
	if (RD(tp, srtt_us)) {
		e->close.rttvar_us = RD(tp, mdev_us) >> 2;
		e->close.min_rtt_us = RD(tp, rtt_min.s[0].v);
	}
	e->close.bytes_retrans = RD(tp, bytes_retrans);
	e->close.lost = RD(tp, lost);
	e->close.reord_seen = RD(tp, reord_seen);
	e->close.dsack_dups = RD(tp, dsack_dups);
	e->close.rcv_ooopack = RD(tp, rcv_ooopack);
	e->close.delivered_ce = RD(tp, delivered_ce);
	if (bpf_core_field_exists(tp->total_rto)) {
		e->close.total_rto = RD(tp, total_rto);
		e->close.total_rto_recoveries = RD(tp, total_rto_recoveries);
	}
	/* tcp_compute_delivery_rate(): segments delivered per interval, in bytes/s. */
	if (rate && interval)
		e->close.delivery_rate = (__u64)rate * RD(tp, mss_cache) * 1000000 / interval;
	/* Open 0 ... Loss 4: worse is higher; the state now counts too. */
	if (si && si->ca_worst > ca)
		ca = si->ca_worst;
	e->close.ca_worst = ca;
	/* TCP_ECN_OK (RFC 3168) is bit 0; AccECN (Linux 6.18) bit 4. */
	e->close.ecn = !!(RD(tp, ecn_flags) & 0x11);
}

/*
 * The payload bytes @sk's peer acknowledged and that it received so far, for
 * a socket of event flags @flags.  The kernel's byte counters count sequence
 * space, not payload: the connecting side's acked bytes include its SYN,
 * acked bytes include our FIN once the peer acknowledged it (FIN sent and
 * snd_una caught up with write_seq), and received bytes include the peer's
 * FIN once it arrived (tcp_fin() sets SOCK_DONE).
 */
static __always_inline void payload_bytes(const struct sock *sk, struct tcp_sock *tp, __u8 flags,
					  __u64 *sent, __u64 *received)
{
	*sent = RD(tp, bytes_acked);
	*received = RD(tp, bytes_received);
	if ((flags & SNOOP_SF_ACTIVE) && *sent)
		(*sent)--;
	if ((flags & SNOOP_SF_FIN_SENT) && *sent && RD(tp, snd_una) == RD(tp, write_seq))
		(*sent)--;
	if (SK_FLAG(sk, SOCK_DONE) && *received)
		(*received)--;
}

/*
 * Fill the close summary of @e, whose header event_start() made, from struct
 * tcp_sock; false when @sk is not a full TCP socket.
 */
static __noinline bool close_fill(struct snoop_event *e, const struct sock *sk,
				  const struct snoop_sock_info *si, int oldstate, int err)
{
	struct tcp_sock *tp = tcp_sock_of(sk);
	__u64 sent, received;

	if (!tp)
		return false;
	payload_bytes(sk, tp, si ? si->flags : 0, &sent, &received);
	if (si) {
		/* e->ts_ns: the time event_start() gave the record. */
		e->close.duration_ns = e->ts_ns - si->first_ns;
		e->close.closed_by = si->closed_by;
	}
	e->close.bytes_sent = sent;
	e->close.bytes_received = received;
	e->close.segs_out = RD(tp, segs_out);
	e->close.segs_in = RD(tp, segs_in);
	e->close.total_retrans = RD(tp, total_retrans);
	e->close.srtt_us = RD(tp, srtt_us) >> TCP_SRTT_SHIFT;
	e->close.reason = close_reason(sk, tp, si, oldstate, err);
	/* The reason of our RST, where that RST (sent before CLOSE) is why it ended. */
	if (si && (e->close.reason == SNOOP_CLOSE_RST_SENT ||
		   e->close.reason == SNOOP_CLOSE_KEEPALIVE_TIMEOUT ||
		   e->close.reason == SNOOP_CLOSE_ABORTED_ON_CLOSE))
		e->close.rst_reason = si->rst_reason;
	close_fill_health(e, tp, si);
	/* The tracepoint runs before the kernel stores the new state. */
	e->new_state = SNOOP_TCP_CLOSE;
	return true;
}

#ifndef SNOOP_RAW_TP
#include "updates.bpf.h"
#endif

/* Handle one TCP state transition: the socket's record, the event, the close summary. */
static __always_inline void set_state(const struct sock *sk, int oldstate, int newstate)
{
	enum tw_outcome tw = TW_NONE;
	struct snoop_event e;
	struct snoop_sock_info *si;
	int verdict, shown = newstate; /* the state the events show */
	int err = 0;
	bool summary;
	__u64 now;

	if (!is_tcp(sk))
		return;
	/* Every call, as the kernel's count of them (common/hidden.h). */
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == 1)
		stat_inc(SNOOP_STAT_SEEN_INIT);
	/* shutdown() then close() sets FIN_WAIT1 twice: not a transition. */
	if (oldstate == newstate)
		return;
	verdict = sock_verdict(sk, &e);
	/*
	 * With --config a reload may widen the filters: every socket keeps its
	 * record then, so that a connection shown after it is named.
	 */
	if (verdict == SOCK_EXCLUDED && !filters_reloadable)
		return;
	now = bpf_ktime_get_ns();
	si = sock_info_transition(sk, oldstate, newstate, now, verdict == SOCK_MATCHES);
	/* A new connection may take the 4-tuple of a time-wait socket. */
	if (rx_time_wait &&
	    ((oldstate == SNOOP_TCP_SYN_SENT && newstate == SNOOP_TCP_ESTABLISHED) ||
	     (oldstate == SNOOP_TCP_LISTEN && newstate == SNOOP_TCP_SYN_RECV))) {
		event_fill_tuple(&e, sk);
		e.netns = sock_netns(sk);
		time_wait_reused(&e, now);
	}

	/* One summary per connection; a listener closing is not a connection. */
	summary = newstate == SNOOP_TCP_CLOSE && oldstate != SNOOP_TCP_LISTEN;
	/*
	 * The error is stored before this transition, and the application is
	 * woken after it (tcp_done_with_error()): one woken early takes sk_err
	 * (SO_ERROR) before inet_sk_error_report reads it, so keep it here.
	 */
	if (summary) {
		err = RD(sk, sk_err);
		if (si)
			si->err = err;
	}
	if (summary && (oldstate == SNOOP_TCP_FIN_WAIT2 || oldstate == SNOOP_TCP_CLOSING)) {
		tw = time_wait_of(sk, si, oldstate);
		if (tw == TW_NOW)
			shown = SNOOP_TCP_TIME_WAIT;
		else if (tw == TW_AWAITS_FIN)
			shown = SNOOP_TCP_FIN_WAIT2;
	}
#ifndef SNOOP_RAW_TP
	/* The packet faces load the tp_btf build only: the raw one has no stack left for it. */
	if (tw_owners && (tw == TW_NOW || tw == TW_AWAITS_FIN))
		time_wait_own(&e, sk, si, now);
#endif
	/*
	 * A time-wait socket waiting for the peer's FIN: the connection is still
	 * in FIN_WAIT2, as ss shows it.  Its TIME_WAIT is kept, to be sent when
	 * that FIN comes (time_wait.bpf.h); its summary is now, while struct
	 * tcp_sock still holds the counts.
	 */
	if (tw == TW_AWAITS_FIN) {
		if (state_selected(SNOOP_TCP_TIME_WAIT) &&
		    event_start(&e, SNOOP_KIND_STATE, sk, si, now)) {
			e.old_state = SNOOP_TCP_FIN_WAIT2;
			e.new_state = SNOOP_TCP_TIME_WAIT;
			time_wait_await(&e, tw_rcv_nxt(sk));
		}
	} else if (state_selected(shown) && event_start(&e, SNOOP_KIND_STATE, sk, si, now)) {
		e.old_state = oldstate;
		e.new_state = shown;
		if (tw == TW_SKIPPED)
			e.flags |= SNOOP_SF_TW_SKIPPED;
		if (tw == TW_NOW) {
			time_wait_send(&e, tw_rcv_nxt(sk));
			goto summary;
		}
		/*
		 * The transition and the summary share their header: one record
		 * for both (a ring reservation is the larger part of a run), which
		 * user space hands on as the two events.  Not for TIME_WAIT: a
		 * summary's state is CLOSE, the socket's end, however the
		 * connection goes on.
		 */
		if (summary && tw != TW_NOW && (kinds_mask & (1u << SNOOP_KIND_CLOSE)) &&
		    close_fill(&e, sk, si, oldstate, err)) {
			e.kind = SNOOP_KIND_CLOSE;
			e.with_state = 1;
			event_submit(&e);
			return;
		}
		event_submit(&e);
	}
summary:
	if (summary && event_start(&e, SNOOP_KIND_CLOSE, sk, si, now) &&
	    close_fill(&e, sk, si, oldstate, err)) {
		if (tw == TW_SKIPPED)
			e.flags |= SNOOP_SF_TW_SKIPPED;
		event_submit(&e);
	}
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

/* The mark of one call: its socket and transition (never 0). */
static __always_inline __u64 set_state_mark(const void *ctx, const struct sock *sk, int oldstate,
					    int newstate)
{
	return ptr_tag(ctx, sk) ^
	       ((__u64)(oldstate & 0xff) << 56 | (__u64)(newstate & 0xff) << 48 | 1);
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
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct snoop_sock_info *si;

	if (!is_tcp(sk) || owner_hint_holds(sk, tid))
		return;
	si = sock_info_get(sk, true);
	if (!si)
		return;
	owner_settle(si, sk);
	if (si->attribution == SNOOP_ATTR_OWNER && si->owner.tid == tid) {
		owner_hint_set(sk, si, tid);
		return;
	}
	owner_take(si, sk);
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

	if (is_tcp(sk) &&
	    event_start(&e, SNOOP_KIND_RETRANSMIT, sk, sock_info_seen(sk), bpf_ktime_get_ns()))
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
	const struct accepted_owner *acceptor;
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
	/* As the child to come: named after the listener's last acceptor. */
	acceptor = acceptor_of(sk);
	if (acceptor) {
		e.owner = acceptor->owner;
		e.attribution = SNOOP_ATTR_LISTENER;
	} else if (si) {
		owner_alive(&e.owner);
	}
	e.new_state = SNOOP_TCP_SYN_RECV;
	e.flags = SNOOP_SF_PASSIVE;
	e.detail = SNOOP_RETRANSMIT_SYNACK;
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

/*
 * Note a reset as the way a connection ended, unless a FIN came first; @reason
 * is the reason of one sent (enum snoop_rst_reason + 1), 0 if not known.
 */
static __always_inline struct snoop_sock_info *sock_info_reset(const struct sock *sk, __u8 flag,
							       __s32 reason)
{
	struct snoop_sock_info *si = sock_info_seen(sk);

	if (si) {
		if (!si->closed_by)
			si->closed_by = SNOOP_CLOSED_RESET;
		si->flags |= flag;
		if (reason > 0)
			si->rst_reason = reason;
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
	__s32 reason = 0;

	/*
	 * The reason argument came with enum sk_rst_reason (Linux 6.10): where
	 * the type is missing, libbpf makes this false and the verifier drops
	 * the ctx[2] access it could not allow.
	 */
	if (bpf_core_type_exists(enum sk_rst_reason))
		reason = reset_reason(ctx[2]);
	if (sk && skb && sk_state(sk) == SNOOP_TCP_LISTEN) {
		const struct snoop_sock_info *si;

		/*
		 * A listener answers a segment that no connection wanted (a
		 * stray ACK): the listener's owner, the segment's tuple (the
		 * listener's own has no remote end), inbound.  Its record is
		 * not marked: the connections it accepts inherit it.
		 */
		if (!is_tcp(sk))
			return 0;
		si = sock_info_seen(sk);
		if (!event_start(&e, SNOOP_KIND_RESET_SENT, NULL, si, now) ||
		    event_fill_skb(&e, skb) || !sock_matches(&e))
			return 0;
		e.cookie = sock_cookie(sk, si);
		e.flags = SNOOP_SF_PASSIVE;
		e.new_state = SNOOP_TCP_LISTEN;
	} else if (sk) {
		if (!is_tcp(sk) ||
		    !event_start(&e, SNOOP_KIND_RESET_SENT, sk,
				 sock_info_reset(sk, SNOOP_SF_RST_SENT, reason), now))
			return 0;
	} else {
		if (!skb || !event_start(&e, SNOOP_KIND_RESET_SENT, NULL, NULL, now) ||
		    event_fill_skb(&e, skb) || !sock_matches(&e))
			return 0;
		e.flags = SNOOP_SF_NO_SOCKET;
		e.new_state = SNOOP_TCP_CLOSE;
	}
	e.detail = reason;
	event_submit(&e);
	return 0;
}

/* tcp/tcp_receive_reset: the peer reset the connection. */
SNOOP_TP(tcp_receive_reset)
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	struct snoop_event e;

	if (is_tcp(sk) &&
	    event_start(&e, SNOOP_KIND_RESET_RECV, sk, sock_info_reset(sk, SNOOP_SF_RST_RECV, 0),
			bpf_ktime_get_ns()))
		event_submit(&e);
	return 0;
}

/* sock/inet_sk_error_report: a connection failed (refused, timed out, unreachable...). */
SNOOP_TP(inet_sk_error_report)
int BPF_PROG(handle_error_report, const struct sock *sk)
{
	struct snoop_event e;
	struct snoop_sock_info *si;
	int err;

	if (!is_tcp(sk))
		return 0;
	/*
	 * One failure per connection, with the error the application got.  The
	 * kernel reports several times: ip_icmp_error() before the error is
	 * stored (0), tcp_done_with_error() after CLOSE, tcp_disconnect() in
	 * the failed connect() (0 again, the error taken), shutdown() of a
	 * listener (0: not a failure).  And the application, woken at CLOSE, may
	 * take the error (getsockopt SO_ERROR) before this tracepoint reads it:
	 * set_state() kept it at CLOSE.
	 */
	err = RD(sk, sk_err);
	si = sock_info_seen(sk);
	if (!err && si)
		err = si->err;
	if (!err || (si && si->err_reported))
		return 0;
	/* Our own abort (SO_LINGER 0) reports ECONNRESET to us: the Reset Sent event tells it. */
	if (si && (si->flags & SNOOP_SF_RST_SENT))
		return 0;
	if (si)
		si->err_reported = 1;
	if (!event_start(&e, SNOOP_KIND_ERROR, sk, si, bpf_ktime_get_ns()))
		return 0;
	e.detail = err;
	event_submit(&e);
	return 0;
}

/*
 * tcp/tcp_cong_state_set: the congestion state changed (Open, Disorder, CWR,
 * Recovery, Loss): the worst one is kept for the close summary.  Runs on
 * changes only, not per packet.
 */
SNOOP_TP(tcp_cong_state_set)
int BPF_PROG(handle_cong_state, struct sock *sk, __u8 ca_state)
{
	struct snoop_sock_info *si = sock_info_get(sk, false);

	if (si && ca_state + 1 > si->ca_worst)
		si->ca_worst = ca_state + 1;
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
#ifndef SNOOP_RAW_TP
	/* --interval: the connection's last counts go with it. */
	if (si && update_interval_ns) {
		__u64 cookie = sock_cookie(sk, si);

		bpf_map_delete_elem(&update_bases, &cookie);
	}
#endif
	sock_info_drop(sk);
	return 0;
}

/*
 * accept(2) and accept4(2), at their exit: the process that takes a
 * connection owns it from there on, before its first read (a pre-fork
 * server's worker, not the master that listened), and the connections that
 * wait on that listener are named after it (acceptors).  Classic tracepoints:
 * the system call exits have no BTF-typed tracepoint but raw_syscalls'
 * sys_exit, which would run on every system call of the host.  Their programs
 * get no typed pointer: the socket is found from the returned descriptor
 * with probe reads.  (accept through io_uring does not pass here: such a
 * socket is named at its first read, as before.)
 */

/* The socket behind descriptor @fd of the current process, as a plain address; 0 if none. */
static __always_inline __u64 fd_sock(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	struct socket *sock;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	/*
	 * A socket's file and its struct socket point at each other; another
	 * thread may have put another file at @fd since the call returned.
	 */
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return 0;
	return (__u64)BPF_CORE_READ(sock, sk);
}

/*
 * Tuple, family and netns of TCP socket @sk (a plain address) into @e; false
 * when it is no TCP socket.  event_fill_sock() reads typed pointers directly
 * in the tp_btf build: this is its probe-read twin for the one place without.
 */
static __always_inline bool accepted_fill(struct snoop_event *e, const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if ((family != AF_INET && family != AF_INET6) ||
	    BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return false;
	if (family == AF_INET) {
		addr_from_v4(e->saddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		addr_from_v4(e->daddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	event_set_family(e, family);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->new_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	return true;
}

/* The exit of an accept that returned @ret (a descriptor, or -errno). */
static __always_inline void accept_exit(long ret)
{
	struct snoop_sock_info si = {};
	struct accepted_owner a = {};
	const struct accepted_owner *last;
	struct listen_key lk;
	struct snoop_event e;
	bool matches;
	__u64 sk;

	if (ret < 0)
		return;
	sk = fd_sock(ret);
	if (!sk)
		return;
	__builtin_memset(&e, 0, sizeof(e));
	if (!accepted_fill(&e, (const struct sock *)sk))
		return;
	/*
	 * Sockets the filters exclude have no events to name, unless a reload
	 * (--config) may make them shown.
	 */
	matches = sock_matches(&e);
	if (!matches && !filters_reloadable)
		return;
	owner_current(&si.owner);
	owner_note_cgroup(&si);
	si.attribution = SNOOP_ATTR_OWNER;
	si.flags = SNOOP_SF_PASSIVE;
	a.owner = si.owner;
	a.in_cgroup = si.in_cgroup;
	e.cookie = owner_accepted(sk, &a);
	/*
	 * The listener's port is the accepted socket's; rewritten only for another
	 * process (a server's accepting threads take turns: an update each would
	 * cost every accept, for a thread's name).
	 */
	lk.netns = e.netns;
	lk.port = e.sport;
	last = bpf_map_lookup_elem(&acceptors, &lk);
	if (!last || last->owner.pid != a.owner.pid)
		bpf_map_update_elem(&acceptors, &lk, &a, BPF_ANY);
	if (!matches || !(kinds_mask & (1u << SNOOP_KIND_ACCEPT)) || !owner_matches(&si))
		return;
	e.ts_ns = bpf_ktime_get_ns();
	e.kind = SNOOP_KIND_ACCEPT;
	e.owner = si.owner;
	e.attribution = SNOOP_ATTR_OWNER;
	e.flags = SNOOP_SF_PASSIVE;
	event_submit(&e);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int handle_accept4(struct trace_event_raw_sys_exit *ctx)
{
	accept_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int handle_accept(struct trace_event_raw_sys_exit *ctx)
{
	accept_exit(ctx->ret);
	return 0;
}

/* sched/sched_process_fork: a process that listened forks; its last child is its heir. */
SNOOP_TP(sched_process_fork)
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = RD(parent, tgid), pid = RD(child, tgid);
	struct snoop_owner heir;

	/* A new thread is no heir: it is the same process. */
	if (pid == ppid || !bpf_map_lookup_elem(&listen_pids, &ppid))
		return 0;
	/* Run in the parent, whose name, user and cgroup the child starts with. */
	owner_current(&heir);
	heir.pid = pid;
	heir.tid = RD(child, pid);
	heir.ppid = ppid;
	/* The child's one thread is named as the thread that forked it. */
	__builtin_memcpy(heir.comm, heir.thread_comm, sizeof(heir.comm));
	bpf_map_update_elem(&listen_heirs, &ppid, &heir, BPF_ANY);
	return 0;
}

/* sched/sched_process_exit: a process that listened is gone; its heir holds its listeners. */
SNOOP_TP(sched_process_exit)
int BPF_PROG(handle_exit, struct task_struct *task)
{
	__u32 pid = RD(task, tgid);
	struct snoop_owner *heir;
	__u8 one = 1;

	/* The process, not each of its threads: when its leader thread ends. */
	if (RD(task, pid) != pid || !bpf_map_lookup_elem(&listen_pids, &pid))
		return 0;
	heir = bpf_map_lookup_elem(&listen_heirs, &pid);
	if (heir) {
		bpf_map_update_elem(&listen_gone, &pid, heir, BPF_ANY);
		/* The heir holds the listeners now: its own heir is followed in turn. */
		bpf_map_update_elem(&listen_pids, &heir->pid, &one, BPF_ANY);
		bpf_map_delete_elem(&listen_heirs, &pid);
	}
	bpf_map_delete_elem(&listen_pids, &pid);
	return 0;
}

/*
 * The start-up snapshot's iterators, and the executable's reader (JSON's
 * process.executable).  Not in the raw_tp build: it serves
 * kernels without typed tracing programs, which have no iterators either.
 */
#ifndef SNOOP_RAW_TP
#include "snapshot.bpf.h"
#include "task_exe.bpf.h"
#endif

/*
 * net/netif_receive_skb: a packet arriving; skb->data is its network header.
 * DNS answers (unless --no-dns) and the FINs that move a time-wait socket to
 * TIME_WAIT (when state changes are reported): loaded for either (loader.c).
 */
SNOOP_TP(netif_receive_skb)
int BPF_PROG(handle_rx, struct sk_buff *skb)
{
	const unsigned char *nh = RD(skb, data);
	struct ip_hdr h;

	if (ip_hdr_read(nh, &h))
		return 0;
	if (h.proto == IPPROTO_UDP && rx_dns)
		dns_copy(skb, nh, RD(skb, len) - RD(skb, data_len), true, &h);
	else if (h.proto == IPPROTO_TCP && rx_time_wait)
		time_wait_packet(skb, nh, &h);
	return 0;
}

/* net/net_dev_queue: a packet leaving; skb->data is its link-layer header. */
SNOOP_TP(net_dev_queue)
int BPF_PROG(handle_dns_tx, struct sk_buff *skb)
{
	unsigned char *head = RD(skb, head), *data = RD(skb, data);
	__u32 nh = RD(skb, network_header), data_off = data - head;
	__u32 headlen = RD(skb, len) - RD(skb, data_len);

	struct ip_hdr h;

	if (nh >= data_off && nh - data_off < headlen && !ip_hdr_read(head + nh, &h) &&
	    h.proto == IPPROTO_UDP)
		dns_copy(skb, head + nh, headlen - (nh - data_off), false, &h);
	return 0;
}

#ifndef SNOOP_RAW_TP
/*
 * DNS over TCP (dns_copy_tcp()): the segments a socket connected to port 53
 * sends and receives, on the cgroup v2 root (loader.c attaches them when
 * CAP_NET_ADMIN is held).  Observers: every packet passes.
 */
SEC("cgroup_skb/egress")
int dns_tcp_tx(struct __sk_buff *skb)
{
	dns_copy_tcp(skb, false);
	return 1;
}

SEC("cgroup_skb/ingress")
int dns_tcp_rx(struct __sk_buff *skb)
{
	dns_copy_tcp(skb, true);
	return 1;
}
#endif
