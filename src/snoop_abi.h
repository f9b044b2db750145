/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * snoop.h - the one contract between the BPF programs and user space.
 *
 * Only fixed-width types; every struct the ring buffer carries has its size
 * pinned with _Static_assert so both compilers agree on the layout.
 */
#ifndef SNOOP_H
#define SNOOP_H

#ifdef __BPF__
/* vmlinux.h provides the __u* types on the BPF side. */
#else
#include <linux/types.h>
#endif

#define SNOOP_COMM_LEN 16
#define SNOOP_ADDR_LEN 16 /* IPv6 size; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) */
/*
 * The longest executable path task_exe (task_exe.bpf.h) writes, its NUL
 * included: the kernel's PATH_MAX.  A longer one is not shown.
 */
#define SNOOP_EXE_PATH_MAX 4096

/* Number of u64 words in the per-port bitmaps used by the port filters. */
#define SNOOP_PORT_WORDS (65536 / 64)

/*
 * The kernel's PID_MAX_LIMIT on 64-bit (include/linux/threads.h): pid_max
 * cannot exceed it, so every pid fits in SNOOP_PID_BITS bits (the BPF side
 * packs a pid beside a socket cookie in one word).  A literal, so that user
 * space can quote it in messages.
 */
#define PID_MAX_LIMIT 4194304
#define SNOOP_PID_BITS 22
#define SNOOP_STRINGIFY_(x) #x
#define SNOOP_STRINGIFY(x) SNOOP_STRINGIFY_(x)
#define PID_MAX_LIMIT_TEXT SNOOP_STRINGIFY(PID_MAX_LIMIT)
_Static_assert(PID_MAX_LIMIT == 1 << SNOOP_PID_BITS, "a pid fits in SNOOP_PID_BITS");

/*
 * socket-snoop's in-kernel filters, one row each: X(name, scope, on).
 *   name   struct snoop_filter_set has a guard `filter_<name>` from it
 *   scope  OWNER: checked on the socket's recorded owner (process filters);
 *          SOCK: checked on the socket's tuple (socket filters), before its
 *          record is touched
 *   on     when struct filter_config *f (common/config.h) turns it on: the
 *          loader sets each guard from this column, and the BPF side's "is
 *          any filter of this scope on" test is built from the same rows
 * Their values: pid, uid and comm in the hash sets <name>_filter, laddr and
 * raddr in the LPM tries <name>_filter (a map's value says which filter sets
 * hold its key), the rest in struct snoop_filter_set; cgroup's in rodata.
 */
// clang-format off
#define SNOOP_FILTERS(X) \
	X(pid,    OWNER, f->n_pids > 0) \
	X(uid,    OWNER, f->n_uids > 0) \
	X(comm,   OWNER, f->n_comms > 0) \
	X(cgroup, OWNER, f->cgroup_path[0] != 0) \
	X(family, SOCK,  f->family != 0) \
	X(netns,  SOCK,  f->netns != 0) \
	X(lport,  SOCK,  f->lport) \
	X(rport,  SOCK,  f->rport) \
	X(laddr,  SOCK,  f->n_laddrs > 0) \
	X(raddr,  SOCK,  f->n_raddrs > 0)
// clang-format on

/*
 * One set of filter values.  Without --config the set is rodata, fixed
 * before load, so the verifier removes a filter that is off.  With it, two
 * sets live in a writable map (.data.filters): a reload (SIGHUP) writes the
 * set not in use, then switches to it with one store, so each check reads
 * one set whole, never half of each (filters.bpf.h, snoop/loader.c).
 */
struct snoop_filter_set {
#define SNOOP_FILTER_FIELD(name, scope, on) __u8 filter_##name;
	SNOOP_FILTERS(SNOOP_FILTER_FIELD)
#undef SNOOP_FILTER_FIELD
	__u8 all_addresses; /* not a filter but its absence: wildcard listeners shown */
	__u8 gen;	    /* bit (1 << gen) of the filter maps' values holds this set's keys */
	__u16 family;	    /* filter_family: AF_INET or AF_INET6 */
	__u32 netns;	    /* filter_netns: the --netns inode */
	__u32 states_mask;  /* --state: bit per state entered; 0: all */
	__u64 lport_bits[SNOOP_PORT_WORDS];
	__u64 rport_bits[SNOOP_PORT_WORDS];
};

/* What a filter of SNOOP_FILTERS is checked on (its scope column). */
enum snoop_filter_scope {
	SNOOP_FILTER_OWNER,
	SNOOP_FILTER_SOCK,
};

/*
 * The event kinds, one row each; every other list of them is generated from
 * this one (the enum and mask bits here; --events, its help and error text,
 * the log labels and JSON actions in user space).  Columns:
 *   X(NAME, value, option, action, label, what, default)
 *   option  the --events name that selects it (kinds may share one)
 *   action  the JSON event.action
 *   label   the log line's label, as the seed wrote it
 *   what    one line for --help and the docs
 *   default 1: shown without --events (ACCEPT is not: an inbound connection's
 *           ESTABLISHED already names who serves it, and the line would double
 *           a server's output)
 * Adding a kind: a row here, its BPF handler, and its fields in each format.
 */
#define SNOOP_KINDS(X)                                                                           \
	X(STATE, 1, "state", "state_change", "State Change:", "TCP state transitions", 1)        \
	X(RETRANSMIT, 2, "retransmit", "retransmit",                                             \
	  "Retransmit:", "segments and SYN-ACKs sent again", 1)                                  \
	X(RESET_SENT, 3, "reset", "reset_sent", "Reset Sent:", "RSTs sent and received", 1)      \
	X(RESET_RECV, 4, "reset", "reset_received", "Reset Received:", "RSTs sent and received", \
	  1)                                                                                     \
	X(ERROR, 5, "error", "connect_error",                                                    \
	  "Connection Failed:", "socket errors: refused, timed out, unreachable", 1)             \
	X(CLOSE, 6, "close", "close", "Connection Summary:",                                     \
	  "one summary per connection: duration, bytes, why it ended, TCP health", 1)            \
	X(ACCEPT, 7, "accept", "accept",                                                         \
	  "Accepted:", "connections taken by accept(2), named by the process that took them", 0) \
	X(UPDATE, 8, "update", "update", "Connection Update:",                                   \
	  "with --interval: each connection's counts since its last update, and its health", 1)

/* What an event reports. */
enum snoop_kind {
#define SNOOP_KIND_ENUM(name, value, ...) SNOOP_KIND_##name = value,
	SNOOP_KINDS(SNOOP_KIND_ENUM)
#undef SNOOP_KIND_ENUM
};

/* Bits of the --events selection, one per kind; SNOOP_EV_DEFAULT without --events. */
enum snoop_kind_mask {
#define SNOOP_KIND_MASK(name, value, ...) SNOOP_EV_##name = 1u << value,
	SNOOP_KINDS(SNOOP_KIND_MASK)
#undef SNOOP_KIND_MASK
#define SNOOP_KIND_ALL(name, value, ...) | (1u << value)
		SNOOP_EV_ALL = 0 SNOOP_KINDS(SNOOP_KIND_ALL),
#undef SNOOP_KIND_ALL
#define SNOOP_KIND_DEFAULT(name, value, option, action, label, what, on) \
	| ((on) ? 1u << (value) : 0)
	SNOOP_EV_DEFAULT = 0 SNOOP_KINDS(SNOOP_KIND_DEFAULT),
#undef SNOOP_KIND_DEFAULT
};

/*
 * Where the process identity of an event comes from.  socket-snoop never
 * reports the task that happens to be on the CPU: in softirq that is an
 * unrelated task (swapper/N, ksoftirqd, or on loopback the peer).
 */
enum snoop_attribution {
	SNOOP_ATTR_UNKNOWN = 0,	 /* no owner known: PID 0 */
	SNOOP_ATTR_OWNER = 1,	 /* recorded in a system call on this socket */
	SNOOP_ATTR_LISTENER = 2, /* inherited from the listening socket, not yet touched */
	SNOOP_ATTR_SNAPSHOT = 3, /* owner found at start-up (/proc/PID/fd) */
};

/*
 * TCP states as the kernel numbers them (include/net/tcp_states.h), one row
 * each; the enum, the kernel's names (--state, docs), the lower-case names of
 * the JSON and the seed's descriptions of the log lines are made from it:
 *   X(NAME, value, json name, seed description)
 */
// clang-format off
#define SNOOP_TCP_STATES(X) \
	X(ESTABLISHED,  1,  "established",  "Connection Established") \
	X(SYN_SENT,     2,  "syn_sent",     "Connection Opening (SYN_SENT)") \
	X(SYN_RECV,     3,  "syn_recv",     "Connection Opening (SYN_RECV)") \
	X(FIN_WAIT1,    4,  "fin_wait1",    "Connection Closing (FIN_WAIT1)") \
	X(FIN_WAIT2,    5,  "fin_wait2",    "Connection Closing (FIN_WAIT2)") \
	X(TIME_WAIT,    6,  "time_wait",    "Connection Closed (TIME_WAIT)") \
	X(CLOSE,        7,  "close",        "Connection Closed") \
	X(CLOSE_WAIT,   8,  "close_wait",   "Connection Closing (CLOSE_WAIT)") \
	X(LAST_ACK,     9,  "last_ack",     "Connection Closing (LAST_ACK)") \
	X(LISTEN,       10, "listen",       "Listening for Connections") \
	X(CLOSING,      11, "closing",      "Connection Closing (CLOSING)") \
	X(NEW_SYN_RECV, 12, "new_syn_recv", "UNKNOWN STATE")
// clang-format on

enum snoop_tcp_state {
#define SNOOP_TCP_STATE_ENUM(name, value, ...) SNOOP_TCP_##name = value,
	SNOOP_TCP_STATES(SNOOP_TCP_STATE_ENUM)
#undef SNOOP_TCP_STATE_ENUM
};

/* One past the highest state: the size of the tables indexed by state. */
#define SNOOP_TCP_MAX_STATES 13

/* Who closed a connection first, for the close summary. */
enum snoop_closed_by {
	SNOOP_CLOSED_UNKNOWN = 0,
	SNOOP_CLOSED_LOCAL = 1,
	SNOOP_CLOSED_REMOTE = 2,
	SNOOP_CLOSED_RESET = 3,
};

/* Socket flags kept with the owner, reported in events. */
enum snoop_sock_flags {
	SNOOP_SF_ACTIVE = 1u << 0,     /* this host initiated (connect) */
	SNOOP_SF_PASSIVE = 1u << 1,    /* accepted from a listener */
	SNOOP_SF_SNAPSHOT = 1u << 2,   /* existed before socket-snoop started */
	SNOOP_SF_NO_SOCKET = 1u << 3,  /* RST for a packet no socket wanted: no owner */
	SNOOP_SF_FIN_SENT = 1u << 4,   /* this side closed (FIN_WAIT1 or LAST_ACK) */
	SNOOP_SF_RST_SENT = 1u << 5,   /* this side aborted the connection */
	SNOOP_SF_RST_RECV = 1u << 6,   /* the peer aborted it */
	SNOOP_SF_TW_SKIPPED = 1u << 7, /* closed without TIME_WAIT: no time-wait bucket left */
};

/* The process that owns a socket, as recorded in process context. */
struct snoop_owner {
	__u32 pid; /* thread group id */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u64 cgroup_id;		  /* cgroup v2 id */
	char comm[SNOOP_COMM_LEN];	  /* the process's name: its leader thread's, as ps shows */
	char thread_comm[SNOOP_COMM_LEN]; /* the name of thread tid */
};
_Static_assert(sizeof(struct snoop_owner) == 56, "snoop_owner layout");

/* A packet's owner (tcpsnoop, tcptop): snoop_owner without the thread's name. */
struct snoop_pkt_owner {
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u64 cgroup_id;
	char comm[SNOOP_COMM_LEN];
};
_Static_assert(sizeof(struct snoop_pkt_owner) == 40 &&
		       __builtin_offsetof(struct snoop_owner, comm) ==
			       __builtin_offsetof(struct snoop_pkt_owner, comm),
	       "snoop_pkt_owner is the start of snoop_owner");

/*
 * What socket-snoop remembers about a socket (sk_storage value): written by
 * the BPF programs, and by user space for sockets found at start-up.
 */
struct snoop_sock_info {
	struct snoop_owner owner;
	__u64 first_ns;	  /* first event seen: start of the close summary's duration */
	__u8 attribution; /* enum snoop_attribution */
	__u8 flags;	  /* enum snoop_sock_flags */
	__u8 closed_by;	  /* enum snoop_closed_by, first side to close */
	__u8 in_cgroup;	  /* owner was under --cgroup when recorded */
	__u8 last_state;  /* state entered by the last transition seen; 0 unknown */
	__u8 ca_worst;	  /* highest congestion state seen (icsk_ca_state) + 1; 0 none seen */
	__u8 rst_reason;  /* the last RST this side sent: enum snoop_rst_reason + 1, 0 unknown */
	__u8 err; /* sk_err when the socket reached CLOSE (the application may take it first) */
	__u64 conn_id;	   /* raw_tp build only: the connection id, for kernels without cookies */
	__u8 err_reported; /* a Connection Failed event went out for this connection */
	__u8 pad[7];
};
_Static_assert(sizeof(struct snoop_sock_info) == 88, "snoop_sock_info layout");

/*
 * --interval: the connections whose last update's counts are kept (the BPF
 * map update_bases, about 100 bytes each), and the size it gets without it.
 */
#define SNOOP_UPDATE_CONNS_MAX 65536
#define SNOOP_UPDATE_CONNS_IDLE 64

/*
 * Why a connection ended (the close summary's CLOSE_REASON), decided in the
 * kernel when the socket reaches CLOSE (snoop.bpf.c close_reason()), and which
 * side it counts against: SIDE_LOCAL the side of the socket reporting it,
 * SIDE_PEER the other one, SIDE_NONE neither (user space names the side client
 * or server from the socket's direction).
 * X(name, value, text, side, description); the text is the documented value.
 */
// clang-format off
#define SNOOP_CLOSE_REASONS(X) \
	X(UNKNOWN, 0, "unknown", NONE, \
	  "not known: the socket was not followed from its start, or ended in a way not listed") \
	X(FIN_LOCAL, 1, "fin_local", LOCAL, "closed normally, this side's FIN first") \
	X(FIN_REMOTE, 2, "fin_remote", PEER, "closed normally, the peer's FIN first") \
	X(RST_SENT, 3, "rst_sent", LOCAL, \
	  "this side reset it (ss -K, connect(AF_UNSPEC), out of memory)") \
	X(RST_RECEIVED, 4, "rst_received", PEER, "the peer reset it") \
	X(CONNECT_REFUSED, 5, "connect_refused", PEER, \
	  "the connect was refused: a RST, or an ICMP port unreachable") \
	X(CONNECT_TIMEOUT, 6, "connect_timeout", PEER, \
	  "the SYN was never answered: tcp_syn_retries exhausted") \
	X(CONNECT_ABANDONED, 7, "connect_abandoned", LOCAL, \
	  "the application closed the socket while it was connecting") \
	X(SYNACK_TIMEOUT, 8, "synack_timeout", PEER, \
	  "the SYN-ACK was never acknowledged (a TCP Fast Open socket): tcp_synack_retries exhausted") \
	X(UNREACHABLE, 9, "unreachable", PEER, \
	  "an ICMP error: host or network unreachable, administratively prohibited") \
	X(RETRANSMIT_TIMEOUT, 10, "retransmit_timeout", PEER, \
	  "data was never acknowledged: tcp_retries2 exhausted") \
	X(KEEPALIVE_TIMEOUT, 11, "keepalive_timeout", PEER, \
	  "keepalive probes went unanswered: tcp_keepalive_probes exhausted") \
	X(ABORTED_ON_CLOSE, 12, "aborted_on_close", LOCAL, \
	  "closed with unread data, or with SO_LINGER 0: a RST instead of a FIN")
// clang-format on

enum snoop_close_reason {
#define SNOOP_CLOSE_REASON_ENUM(name, value, ...) SNOOP_CLOSE_##name = value,
	SNOOP_CLOSE_REASONS(SNOOP_CLOSE_REASON_ENUM)
#undef SNOOP_CLOSE_REASON_ENUM
		SNOOP_CLOSE_REASON_COUNT
};

/*
 * Close summary, read from struct tcp_sock when the socket reaches CLOSE.  The
 * health counters are the kernel's own (tcp_info names them the same, and
 * ss -ti shows them): nothing is counted per packet by socket-snoop.
 */
struct snoop_close_info {
	__u64 duration_ns;    /* since the first event seen for the socket */
	__u64 bytes_sent;     /* payload bytes acknowledged by the peer */
	__u64 bytes_received; /* payload bytes received */
	__u64 bytes_retrans;  /* bytes sent again */
	__u64 delivery_rate;  /* bytes per second, the kernel's last sample */
	__u32 segs_out;
	__u32 segs_in;
	__u32 total_retrans;	    /* segments sent again */
	__u32 srtt_us;		    /* smoothed round-trip time */
	__u32 rttvar_us;	    /* its mean deviation */
	__u32 min_rtt_us;	    /* lowest round-trip time of the last window */
	__u32 lost;		    /* segments deemed lost */
	__u32 reord_seen;	    /* reorderings detected */
	__u32 dsack_dups;	    /* retransmits the peer had already received (DSACK) */
	__u32 rcv_ooopack;	    /* segments received out of order */
	__u32 delivered_ce;	    /* segments delivered with ECN congestion marks */
	__u16 total_rto;	    /* retransmission timeouts (Linux 6.7+) */
	__u16 total_rto_recoveries; /* recoveries from them (Linux 6.7+) */
	__u8 closed_by;		    /* enum snoop_closed_by */
	__u8 reason;		    /* enum snoop_close_reason */
	__u8 rst_reason;	    /* the RST this side sent: enum snoop_rst_reason + 1; 0 none */
	__u8 ca_worst;		    /* worst congestion state (icsk_ca_state) + 1; 0 unknown */
	__u8 ecn;		    /* 1: ECN negotiated */
	__u8 pad[3];
};
_Static_assert(sizeof(struct snoop_close_info) == 96, "snoop_close_info layout");

/*
 * The health counters of snoop_close_info that every format writes as they
 * are, in this order (after RTTVAR and MIN_RTT, before ECN and the congestion
 * state): X(member, log line key, JSON member of socket_snoop).
 */
// clang-format off
#define SNOOP_HEALTH_COUNTS(X) \
	X(bytes_retrans, "BYTES_RETRANS", "bytes_retrans") \
	X(total_rto, "RTO", "total_rto") \
	X(total_rto_recoveries, "RTO_RECOVERIES", "total_rto_recoveries") \
	X(lost, "LOST", "lost") \
	X(reord_seen, "REORDER", "reord_seen") \
	X(dsack_dups, "DSACK_DUPS", "dsack_dups") \
	X(rcv_ooopack, "OOO_IN", "rcv_ooopack") \
	X(delivery_rate, "DELIVERY_RATE", "delivery_rate") \
	X(delivered_ce, "CE", "delivered_ce")
// clang-format on

/* One ring buffer record.  Addresses are network order, ports host order. */
struct snoop_event {
	__u64 ts_ns;		    /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cookie;		    /* socket cookie: one id for all events of a connection */
	__u8 saddr[SNOOP_ADDR_LEN]; /* local */
	__u8 daddr[SNOOP_ADDR_LEN]; /* remote */
	__u16 sport;		    /* local port */
	__u16 dport;		    /* remote port */
	__u16 family;		    /* AF_INET or AF_INET6 */
	__u8 kind;		    /* enum snoop_kind */
	__u8 attribution;	    /* enum snoop_attribution */
	__u8 old_state;
	__u8 new_state;	 /* state entered; current state for non-state events */
	__u8 flags;	 /* enum snoop_sock_flags */
	__u8 with_state; /* CLOSE: this record is the CLOSE transition too (set_state()) */
	__s32 detail;	 /* ERROR: errno; RETRANSMIT: enum snoop_retransmit_detail;
			* RESET_SENT: 0 no reason, enum snoop_rst_reason + 1,
			* or -(kernel value + 1) for a reason we do not name;
			* STATE into CLOSE: enum snoop_tw_end */
	__u32 netns;	 /* network namespace inode of the socket */
	struct snoop_owner owner;
	struct snoop_close_info close; /* only for SNOOP_KIND_CLOSE */
};
_Static_assert(sizeof(struct snoop_event) == 224, "snoop_event layout");

/*
 * The detail of a STATE event into CLOSE from TIME_WAIT (or from a time-wait
 * socket still in FIN_WAIT2): how the time-wait socket ended before its
 * time (time_wait.bpf.h).  Its full time has no tracepoint, and no event.
 */
enum snoop_tw_end {
	SNOOP_TW_END_NONE = 0,
	SNOOP_TW_END_RESET = 1,	 /* a RST the kernel took (net.ipv4.tcp_rfc1337 0) */
	SNOOP_TW_END_REUSED = 2, /* a new connection took its 4-tuple */
};

/* The detail of a RETRANSMIT event: what was sent again. */
enum snoop_retransmit_detail {
	SNOOP_RETRANSMIT_SEGMENT = 0, /* a segment of a connection, or the SYN of a connect */
	SNOOP_RETRANSMIT_SYNACK = 1,  /* a listener's SYN-ACK, for a retried SYN */
};

/*
 * The kernel's reset reasons (enum sk_rst_reason, Linux 6.10+), by name.  Their
 * values differ between kernels: the BPF side maps the kernel's value to this
 * list's index through CO-RE, so user space needs no kernel BTF to name them.
 */
// clang-format off
#define SNOOP_RST_REASONS(X) \
	X(NOT_SPECIFIED) \
	X(NO_SOCKET) \
	X(TCP_INVALID_ACK_SEQUENCE) \
	X(TCP_RFC7323_PAWS) \
	X(TCP_TOO_OLD_ACK) \
	X(TCP_ACK_UNSENT_DATA) \
	X(TCP_FLAGS) \
	X(TCP_OLD_ACK) \
	X(TCP_ABORT_ON_DATA) \
	X(TCP_TIMEWAIT_SOCKET) \
	X(INVALID_SYN) \
	X(TCP_ABORT_ON_CLOSE) \
	X(TCP_ABORT_ON_LINGER) \
	X(TCP_ABORT_ON_MEMORY) \
	X(TCP_STATE) \
	X(TCP_KEEPALIVE_TIMEOUT) \
	X(TCP_DISCONNECT_WITH_DATA) \
	X(MPTCP_RST_EUNSPEC) \
	X(MPTCP_RST_EMPTCP) \
	X(MPTCP_RST_ERESOURCE) \
	X(MPTCP_RST_EPROHIBIT) \
	X(MPTCP_RST_EWQ2BIG) \
	X(MPTCP_RST_EBADPERF) \
	X(MPTCP_RST_EMIDDLEBOX) \
	X(ERROR)
// clang-format on

#define SNOOP_RST_ENUM(name) SNOOP_RST_##name,
enum snoop_rst_reason { SNOOP_RST_REASONS(SNOOP_RST_ENUM) SNOOP_RST_COUNT };
#undef SNOOP_RST_ENUM

/*
 * The transitions the kernel makes, as inet_sock_set_state reports them (a
 * full socket never enters TIME_WAIT: a time-wait socket replaces it, and it
 * goes to CLOSE; the events show that CLOSE as TIME_WAIT, bpf/time_wait.bpf.h,
 * a transition the gap count never meets: no full socket's record is in it).  A gap between the last state seen for a socket and the old
 * state of its next transition is counted as the shortest path between them.
 */
// clang-format off
#define SNOOP_TCP_TRANSITIONS(X) \
	X(CLOSE, SYN_SENT) X(CLOSE, LISTEN) \
	X(LISTEN, SYN_RECV) X(LISTEN, CLOSE) \
	X(SYN_SENT, ESTABLISHED) X(SYN_SENT, SYN_RECV) X(SYN_SENT, CLOSE) \
	X(SYN_RECV, ESTABLISHED) X(SYN_RECV, FIN_WAIT1) X(SYN_RECV, CLOSE) \
	X(ESTABLISHED, FIN_WAIT1) X(ESTABLISHED, CLOSE_WAIT) X(ESTABLISHED, CLOSE) \
	X(FIN_WAIT1, FIN_WAIT2) X(FIN_WAIT1, CLOSING) X(FIN_WAIT1, CLOSE) \
	X(FIN_WAIT2, CLOSE) \
	X(CLOSING, CLOSE) \
	X(CLOSE_WAIT, LAST_ACK) X(CLOSE_WAIT, CLOSE) \
	X(LAST_ACK, CLOSE) \
	X(TIME_WAIT, CLOSE)
// clang-format on

/*
 * Why events were lost, one row each: the loss counters (user space adds
 * them up from the stats map and the programs' recursion misses), their
 * "CAUSE=" name in the log, JSON and metrics, and what happened:
 *   X(ID, name, what happened)
 */
// clang-format off
#define SNOOP_LOSS_CAUSES(X) \
	X(RING_FULL,   "ring_full",   "the ring buffer was full") \
	X(SKIPPED,     "skipped",     "the kernel skipped runs of our programs: each was " \
				      "already running on its CPU when a transition came") \
	X(UNDELIVERED, "undelivered", "the kernel made transitions without running our " \
				      "programs")
// clang-format on

enum snoop_loss_cause {
#define SNOOP_LOSS_ENUM(id, ...) SNOOP_LOSS_##id,
	SNOOP_LOSS_CAUSES(SNOOP_LOSS_ENUM)
#undef SNOOP_LOSS_ENUM
		SNOOP_LOSS_N
};

/* Per-CPU counters in the stats map. */
enum snoop_stat {
	SNOOP_STAT_LOST = 0,	  /* ring buffer full: the event was dropped */
	SNOOP_STAT_RECOVERED = 1, /* nested transitions handled by handle_set_state_nested */
	/*
	 * Transitions the kernel made without running the tracepoint's programs
	 * and without counting a miss (common/hidden.h): found as gaps in a
	 * socket's sequence, or a socket destroyed before the CLOSE it must
	 * have entered.
	 */
	SNOOP_STAT_UNDELIVERED = 2,
	/*
	 * TCP transitions our programs saw while a thread of PID 1 was current:
	 * what a kernel that hides those from BPF (common/hidden.h) counts apart.
	 */
	SNOOP_STAT_SEEN_INIT = 3,
	SNOOP_STAT_MAX = 4,
};

/*
 * DNS messages (issue 15: the host name a process asked for): queries
 * leaving a device of this host (destination port 53) and responses
 * arriving on one (source port 53), UDP, copied by
 * src/bpf/dns.bpf.h into the dns ring for user space to parse
 * (src/snoop/resolved.c).  At most SNOOP_DNS_RATE copies a CPU a second.
 */
#define SNOOP_DNS_COPY 1024 /* bytes of a message copied: a power of two */
#define SNOOP_DNS_RATE 2048
#define SNOOP_DNS_PORT 53

struct snoop_dns_msg {
	__u64 ts_ns;	   /* CLOCK_MONOTONIC (bpf_ktime_get_ns), as events */
	__u32 netns;	   /* network namespace inode of the device */
	__u16 client_port; /* host order: the query's source, the response's destination */
	__u16 server_port; /* host order: 53 */
	__u16 len;	   /* bytes in data: the payload, cut at SNOOP_DNS_COPY */
	__u8 response;	   /* 1: from the server; 0: a query to it */
	__u8 proto;	   /* IPPROTO_UDP or IPPROTO_TCP */
	__u8 client[SNOOP_ADDR_LEN]; /* IPv4 IPv4-mapped, as events */
	__u8 server[SNOOP_ADDR_LEN];
	__u8 data[SNOOP_DNS_COPY];
};
_Static_assert(sizeof(struct snoop_dns_msg) == 56 + SNOOP_DNS_COPY, "snoop_dns_msg layout");

/* Per-CPU counters of the DNS copies (dns_stats map). */
enum snoop_dns_stat {
	SNOOP_DNS_STAT_COPIED = 0,  /* messages in the dns ring */
	SNOOP_DNS_STAT_LOST = 1,    /* the dns ring was full */
	SNOOP_DNS_STAT_LIMITED = 2, /* over SNOOP_DNS_RATE on a CPU */
	SNOOP_DNS_STAT_MAX = 3,
};

/*
 * The start-up snapshot's records (src/bpf/snapshot.bpf.h): its iterators
 * write them, user space reads them as a file (common/snapshot_iter.c).
 */
enum snoop_snapshot_rec_type {
	/* snapshot_owners was shown process event.owner.pid: /proc need not be read for it. */
	SNOOP_SNAP_PROCESS = 1,
	/* A TCP socket recorded in owner_map, as found: tuple, state, owner, flags. */
	SNOOP_SNAP_SOCKET = 2,
	/*
	 * No room: from snapshot_owners, for a socket of process event.owner.pid
	 * (read it through /proc instead); from snapshot_sockets, for the record
	 * of the socket in event.
	 */
	SNOOP_SNAP_NOMEM = 3,
	/* Process event.owner.pid holds TCP sockets of network namespace event.netns. */
	SNOOP_SNAP_NETNS = 4,
};

/*
 * Keys of the snapshot's working map (a hash user space makes for one
 * snapshot, sized for the sockets there are, and puts in snapshot_maps).
 */
enum snoop_snapshot_key_kind {
	SNOOP_SNAP_KEY_OWNER = 1,  /* b: a socket's address; value: its owner found */
	SNOOP_SNAP_KEY_LISTEN = 2, /* a: netns, b: port of a listener; value unused */
	SNOOP_SNAP_KEY_NETNS = 3,  /* a: netns, b: a process said to have sockets there */
};

struct snoop_snapshot_key {
	__u32 kind; /* enum snoop_snapshot_key_kind */
	__u32 a;
	__u64 b;
};
_Static_assert(sizeof(struct snoop_snapshot_key) == 16, "snoop_snapshot_key layout");

struct snoop_snapshot_rec {
	__u32 type; /* enum snoop_snapshot_rec_type */
	__u32 pad;
	struct snoop_event event;
};
_Static_assert(sizeof(struct snoop_snapshot_rec) == 232, "snoop_snapshot_rec layout");

/* Key of the LPM tries used by --laddr/--raddr: IPv4 is IPv4-mapped. */
struct snoop_lpm_key {
	__u32 prefixlen;
	__u8 addr[SNOOP_ADDR_LEN];
};

/*
 * ---- Packet events: tcpsnoop and tcptop (src/bpf/packets.bpf.c) ----
 *
 * The packet programs attribute each TCP packet to the owner that
 * socket-snoop's programs keep in owner_map; they add no owner tracking.
 */

/* What a packet record is. */
enum snoop_pkt_flags {
	SNOOP_PKT_EGRESS = 1u << 0,   /* sent by this host ("->"); else received ("<-") */
	SNOOP_PKT_CLOSED = 1u << 1,   /* no socket: a segment for a port where nothing
				       * listens, or the RST answering it ("<closed>") */
	SNOOP_PKT_NO_OWNER = 1u << 2, /* a socket whose owner is not known */
};

/*
 * One packet record of the ring buffer (tcpsnoop).  A GSO/GRO packet (one
 * skb, several wire segments) is one record; user space prints one line per
 * segment.  Addresses are network order, IPv4 IPv4-mapped; ports host order.
 */
struct snoop_packet {
	__u64 ts_ns;		      /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	struct snoop_pkt_owner owner; /* zero for SNOOP_PKT_CLOSED and SNOOP_PKT_NO_OWNER */
	__u8 laddr[SNOOP_ADDR_LEN];   /* this host's end */
	__u8 raddr[SNOOP_ADDR_LEN];
	__u16 lport;
	__u16 rport;
	__u16 family;	/* AF_INET or AF_INET6 (of the packet) */
	__u8 flags;	/* enum snoop_pkt_flags */
	__u8 tcp_flags; /* byte 13 of the TCP header (FIN 0x01, SYN 0x02, RST 0x04...) */
	__u32 ip_len;	/* bytes of the IP packet, headers included (all segments) */
	__u16 segs;	/* wire segments, at least 1 */
	__u16 hdr_len;	/* IP + TCP header bytes of one segment */
	__u16 gso_size; /* payload bytes of each segment but the last, when segs > 1 */
	__u16 pad;
	__u32 netns; /* network namespace inode (0 when not asked for) */
};
_Static_assert(sizeof(struct snoop_packet) == 104, "snoop_packet layout");

/* Link-layer header added to the IP length for SIZE (Ethernet, as the original). */
#define SNOOP_LINK_HDR_LEN 14

/* Key of the per-connection byte counters (tcptop): one row per tuple and owner. */
struct snoop_conn_key {
	__u8 laddr[SNOOP_ADDR_LEN];
	__u8 raddr[SNOOP_ADDR_LEN];
	__u16 lport;
	__u16 rport;
	__u32 pid;   /* owner; 0 for <closed> and unknown owners */
	__u32 netns; /* network namespace inode */
	__u16 family;
	__u8 flags; /* SNOOP_PKT_CLOSED or SNOOP_PKT_NO_OWNER */
	__u8 pad;
};
_Static_assert(sizeof(struct snoop_conn_key) == 48, "snoop_conn_key layout");

/* Value of the per-connection byte counters. */
struct snoop_conn_bytes {
	__u64 bytes; /* link-layer bytes (SIZE) in and out since the table was swapped in */
	__u64 cgroup_id;
	__u32 uid;
	__u32 pad;
	char comm[SNOOP_COMM_LEN];
};
_Static_assert(sizeof(struct snoop_conn_bytes) == 40, "snoop_conn_bytes layout");

/* Per-CPU counters of the packet programs. */
enum snoop_pkt_stat {
	SNOOP_PKT_STAT_LOST = 0,	/* packet lines lost: ring buffer full */
	SNOOP_PKT_STAT_CONN_FULL = 1,	/* packets not counted: connection table full */
	SNOOP_PKT_STAT_PAYLOAD_IN = 2,	/* host-wide TCP payload bytes received */
	SNOOP_PKT_STAT_PAYLOAD_OUT = 3, /* host-wide TCP payload bytes sent */
	SNOOP_PKT_STAT_MAX = 4,
};

#endif /* SNOOP_H */
