/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * owner.bpf.h - the owner store: what socket-snoop remembers about each
 * socket (struct snoop_sock_info), behind one small API.
 *
 *   sock_info_get(sk, create)     the record of @sk (created empty if asked)
 *   sock_info_drop(sk)            forget @sk's record: the socket is destroyed
 *   sock_cookie(sk, si)           the connection id of @sk
 *   owner_record(si, sk)          the current task owns @sk from now on
 *   owner_hint_holds(sk, tid)     fast check: does thread @tid own @sk?
 *   owner_hint_set(sk, si, tid)   make that check true again after a slow one
 *   listener_publish(sk, si)      @sk starts listening: its record is for its children
 *   listener_inherit(sk, si)      @sk was just created by a listener: take its record
 *   listener_forget(sk)           @sk stopped listening
 *   owner_accepted(sk, a)         a process took @sk from accept(2): @a owns it
 *   owner_settle(si, sk)          @si takes the owner recorded at accept, if any
 *   acceptor_of(sk)               the last process to accept from listener @sk's
 *                                 port, or NULL
 *   acceptor_forget(sk)           listener @sk starts or stops listening
 *   owner_alive(o)                @o, or the process that holds its listeners
 *                                 since @o exited (see listen_heirs)
 *
 * Two stores, chosen here.  The tp_btf build keeps records in socket storage:
 * they live and die with the socket, and BPF_F_CLONE copies a listener's to
 * the sockets it accepts.  The raw_tp build (SNOOP_RAW_TP) cannot use socket
 * storage (raw_tp arguments are not typed pointers): records live in an LRU
 * hash keyed by the socket's address, listeners' records in a hash by
 * (netns, port), and the connection id is our own counter.
 *
 * A program that only reads owners (packets.bpf.c) defines
 * OWNER_READER_ONLY: it gets owner_map (user space replaces it by
 * socket-snoop's before load) and sock_info_get(), and none of the maps the
 * writers need.
 */
#ifndef SNOOP_OWNER_BPF_H
#define SNOOP_OWNER_BPF_H

#include "common.bpf.h"

#if defined(OWNER_READER_ONLY) && defined(SNOOP_RAW_TP)
#error "readers share socket-snoop's socket storage: there is none in the raw_tp build"
#endif

/* A listening socket's (network namespace, port): what its accepted sockets share. */
struct listen_key {
	__u32 netns;
	__u32 port;
};

/* The (netns, port) key of listener @sk. */
static __always_inline struct listen_key listen_key_of(const struct sock *sk)
{
	struct listen_key lk = {
		.netns = sock_netns(sk),
		.port = RD(sk, __sk_common.skc_num),
	};

	return lk;
}

#ifdef SNOOP_RAW_TP
/* Each socket's record, by socket address; deleted when the socket is destroyed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct snoop_sock_info);
} owner_map SEC(".maps");

/* A listening socket's record by (netns, port), copied to the sockets it accepts. */
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

/* Where a connection id keeps the CPU that made it: ids of two CPUs never meet. */
#define CONN_ID_CPU_SHIFT 48
#define CONN_ID_OURS (1ull << 63)
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
	/*
	 * Not atomic: the raw_tp build serves kernels without BPF atomics that
	 * return a value.  A softirq run creating a record between this load and
	 * store on the same CPU would repeat an id; ids only group the events of
	 * one connection, which the tuple tells apart too.
	 */
	if (next)
		fresh.conn_id = CONN_ID_OURS |
				((__u64)bpf_get_smp_processor_id() << CONN_ID_CPU_SHIFT) | ++*next;
	bpf_map_update_elem(&owner_map, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&owner_map, &key);
#else
	/* The helper itself refuses request and time-wait sockets (not full sockets). */
	return bpf_sk_storage_get(&owner_map, (struct sock *)sk, NULL,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
#endif
}

#ifndef OWNER_READER_ONLY

/* Forget the record of @sk, which the kernel is destroying (socket storage does that itself). */
static __always_inline void sock_info_drop(const struct sock *sk)
{
#ifdef SNOOP_RAW_TP
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&owner_map, &key);
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

/* @sk, owned as @si says, starts listening: the sockets it accepts will inherit @si. */
static __always_inline void listener_publish(const struct sock *sk,
					     const struct snoop_sock_info *si)
{
#ifdef SNOOP_RAW_TP
	struct listen_key lk = listen_key_of(sk);

	bpf_map_update_elem(&listener_map, &lk, si, BPF_ANY);
#endif
}

/* @sk stopped listening: sockets created later are not its children. */
static __always_inline void listener_forget(const struct sock *sk)
{
#ifdef SNOOP_RAW_TP
	struct listen_key lk = listen_key_of(sk);

	bpf_map_delete_elem(&listener_map, &lk);
#endif
}

/*
 * @sk, whose record is @si, was just created by a listener: @si becomes a
 * copy of the listener's (socket storage has copied it already).
 */
static __always_inline void listener_inherit(const struct sock *sk, struct snoop_sock_info *si)
{
#ifdef SNOOP_RAW_TP
	struct listen_key lk = listen_key_of(sk);
	struct snoop_sock_info *l = bpf_map_lookup_elem(&listener_map, &lk);
	__u64 id = si->conn_id;

	if (l) {
		*si = *l;
		si->conn_id = id;
	}
#else
	/* The accept programs find the child by its cookie (owner_accepted()): make it now. */
	bpf_get_socket_cookie((void *)sk);
#endif
}

#ifndef SNOOP_RAW_TP
/*
 * The owner check that every recvmsg (and, with --owner-on-send, sendmsg)
 * makes, with one helper call instead of two (bpf_sk_storage_get() was the
 * larger part of the program's own time): slot cookie % OWNER_HINTS holds
 * cookie << SNOOP_PID_BITS | tid while the record of the socket with that
 * cookie says it is owned by thread tid (every tid is below PID_MAX_LIMIT).
 * By thread, not process: the record names the thread too (a server's worker
 * thread, not the one that accepted), at one slow check per change of hands.
 * Every write of an owner writes the slot (owner_record(), see
 * owner_hint_set() for two writers at once), and cookies are never reused,
 * so a slot cannot speak for another socket or an older owner.  One 64-bit
 * word: CPUs never see half of one.  The raw_tp build has no cookies to
 * key it by, and always takes the slow path.
 */
#define OWNER_HINTS 4096
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OWNER_HINTS);
	__type(key, __u32);
	__type(value, __u64);
} owner_hints SEC(".maps");

/* The owner_hints word saying thread @tid owns the socket of @cookie. */
static __always_inline __u64 owner_hint_word(__u64 cookie, __u32 tid)
{
	return cookie << SNOOP_PID_BITS | tid;
}
#endif

/* Say (see owner_hints) that thread @tid, which @si names as owner, owns @sk now. */
static __always_inline void owner_hint_set(const struct sock *sk, const struct snoop_sock_info *si,
					   __u32 tid)
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
	__atomic_exchange_n(hint, owner_hint_word(cookie, tid), __ATOMIC_SEQ_CST);
	if (*(const volatile __u32 *)&si->owner.tid != tid)
		*hint = 0;
#endif
}

/* True when owner_hints says thread @tid owns @sk (never in the raw_tp build). */
static __always_inline bool owner_hint_holds(const struct sock *sk, __u32 tid)
{
#ifndef SNOOP_RAW_TP
	/* A plain load: a socket without a cookie yet has no hint either. */
	__u64 cookie = sk->__sk_common.skc_cookie.counter;
	__u32 slot = cookie % OWNER_HINTS;
	__u64 *hint;

	if (!cookie)
		return false;
	hint = bpf_map_lookup_elem(&owner_hints, &slot);
	return hint && *hint == owner_hint_word(cookie, tid);
#else
	return false;
#endif
}

/* The current task as an owner: only call in a system call of that process. */
static __always_inline void owner_current(struct snoop_owner *o)
{
	struct task_struct *task = current_task();
	struct task_struct *leader = RD(task, group_leader);
	__u64 id = bpf_get_current_pid_tgid();

	o->pid = id >> 32;
	o->tid = (__u32)id;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->ppid = RD2(task, real_parent, tgid);
	o->cgroup_id = bpf_get_current_cgroup_id();
	/* The process's name is its leader's, as ps and ss show it; the thread's its own. */
	RD_INTO(&o->comm, leader, comm);
	bpf_get_current_comm(o->thread_comm, sizeof(o->thread_comm));
}

/* Record the current task as the owner: only call in a system call on the socket. */
static __always_inline void owner_record(struct snoop_sock_info *si, const struct sock *sk)
{
	owner_current(&si->owner);
	si->attribution = SNOOP_ATTR_OWNER;
	owner_hint_set(sk, si, si->owner.tid);
}

/* Who took a connection from accept(2) (its record's owner and in_cgroup). */
struct accepted_owner {
	struct snoop_owner owner;
	__u32 in_cgroup;
	__u32 pad;
};

/*
 * The last process to accept from each listening port, by (netns, port): the
 * connections that wait in its queue are named after it (the one that will
 * serve them), not after whoever called listen(), which a daemon that forks
 * after listen() leaves as a PID that is gone.  Written by the accept
 * programs, read when a listener makes a child (acceptor_of()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct listen_key);
	__type(value, struct accepted_owner);
} acceptors SEC(".maps");

/* The last acceptor from listener @sk's port (or a child's, which shares it), or NULL. */
static __always_inline const struct accepted_owner *acceptor_of(const struct sock *sk)
{
	struct listen_key lk = listen_key_of(sk);

	return bpf_map_lookup_elem(&acceptors, &lk);
}

/*
 * Listener @sk starts or stops listening: whoever accepted from its port
 * before accepted from another socket, maybe in a process that is gone; the
 * connections to come are not theirs until someone accepts from this one.
 */
static __always_inline void acceptor_forget(const struct sock *sk)
{
	struct listen_key lk = listen_key_of(sk);

	bpf_map_delete_elem(&acceptors, &lk);
}

/*
 * Listeners outlive the process that called listen(): a daemon listens, forks
 * and exits, and its child holds the listener.  Until a process accepts from
 * it (acceptors), its connections would be named after a PID that is gone.
 * So each process that listened is noted (listen_pids), the last process it
 * forked is its heir while it lives (listen_heirs), and when it exits its heir
 * takes its place (listen_gone): the child that a fork gave every descriptor
 * of the parent's.  Fork and exit are rare next to packets; both programs
 * only look up a hash for processes that never listened.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* pid */
	__type(value, __u8);
} listen_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* pid of a process in listen_pids */
	__type(value, struct snoop_owner);
} listen_heirs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* pid of a process that listened and exited */
	__type(value, struct snoop_owner);
} listen_gone SEC(".maps");

/* The current process listens: note it (a PID reused by it is not gone any more). */
static __always_inline void listen_pid_note(__u32 pid)
{
	__u8 one = 1;

	bpf_map_update_elem(&listen_pids, &pid, &one, BPF_ANY);
	bpf_map_delete_elem(&listen_gone, &pid);
}

/*
 * @o, which listened, or the live process that took its place: heirs of heirs
 * too, a few steps (a daemon may fork twice).
 */
static __always_inline void owner_alive(struct snoop_owner *o)
{
	for (int i = 0; i < 4; i++) {
		const struct snoop_owner *heir = bpf_map_lookup_elem(&listen_gone, &o->pid);

		if (!heir)
			return;
		*o = *heir;
	}
}

#ifndef SNOOP_RAW_TP
/*
 * Owners recorded at accept(2), by socket cookie, until the socket's record
 * takes them (owner_settle()).  The accept programs are classic tracepoint
 * programs, which may not touch socket storage.  Cookies are never reused; an
 * entry whose socket closed unseen is what the LRU drops first.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct accepted_owner);
} accept_owners SEC(".maps");
#endif

/*
 * A process took socket @sk from accept(2): @a owns it from now on.  @sk is a
 * plain address, read with probe reads: no typed pointer reaches a classic
 * tracepoint program.  Returns the connection id of @sk (0 if unknown).
 */
static __always_inline __u64 owner_accepted(__u64 sk, const struct accepted_owner *a)
{
	__u64 cookie = BPF_CORE_READ((struct sock *)sk, __sk_common.skc_cookie.counter);
#ifdef SNOOP_RAW_TP
	struct snoop_sock_info *si = bpf_map_lookup_elem(&owner_map, &sk);

	if (si) {
		si->owner = a->owner;
		si->in_cgroup = a->in_cgroup;
		si->attribution = SNOOP_ATTR_OWNER;
		if (!cookie)
			cookie = si->conn_id;
	}
#else
	/* Made when the listener created the socket (listener_inherit()). */
	if (cookie)
		bpf_map_update_elem(&accept_owners, &cookie, a, BPF_ANY);
#endif
	return cookie;
}

/*
 * @si, the record of @sk, takes the owner recorded when a process accepted
 * @sk, if it still names the listener's.  Cheap for every other record: one
 * compare.
 */
static __always_inline void owner_settle(struct snoop_sock_info *si, const struct sock *sk)
{
#ifndef SNOOP_RAW_TP
	struct accepted_owner *a;
	__u64 cookie;

	if (!si || si->attribution != SNOOP_ATTR_LISTENER)
		return;
	cookie = bpf_get_socket_cookie((void *)sk);
	a = bpf_map_lookup_elem(&accept_owners, &cookie);
	if (!a)
		return;
	si->owner = a->owner;
	si->in_cgroup = a->in_cgroup;
	si->attribution = SNOOP_ATTR_OWNER;
	bpf_map_delete_elem(&accept_owners, &cookie);
	owner_hint_set(sk, si, si->owner.tid);
#endif
}

#endif /* OWNER_READER_ONLY */

#endif /* SNOOP_OWNER_BPF_H */
