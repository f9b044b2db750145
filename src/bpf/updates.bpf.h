/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * updates.bpf.h - --interval's Connection Updates (tp_btf build; included by
 * snoop.bpf.c after close_fill_health() and event_start(), which it uses).
 *
 * connection_updates is an iterator user space runs once per interval
 * (snoop/loader.c loader__updates_run()).  It reaches every TCP connection
 * through the open files of every process (iter/task_file), in every network
 * namespace: an iterator over TCP sockets (iter/tcp) shows one namespace, and
 * one over socket storage (iter/bpf_sk_storage_map) would be the natural
 * walk, but kernels may refuse map iterators (EPERM; ours do).  Nothing runs
 * per packet: the counters are struct tcp_sock's.
 *
 * A connection socket-snoop follows has its record in owner_map; a tracing
 * iterator may not ask for it with bpf_sk_storage_get() (the socket is
 * reached through a file, not a trusted pointer), so owner_record_of() finds
 * it in the socket's storage itself, by reading: the owner, the first event's
 * time and the marks every other event of the connection carries.
 */
#ifndef UPDATES_BPF_H
#define UPDATES_BPF_H

/* What a connection's last update counted, and when. */
struct update_base {
	__u64 sent, received;
	__u32 segs_out, segs_in, total_retrans;
	__u32 pad;
	__u64 at_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/* An LRU: one evicted starts again from 0.  SNOOP_UPDATE_CONNS_IDLE without --interval. */
	__uint(max_entries, SNOOP_UPDATE_CONNS_MAX);
	__type(key, __u64); /* the socket cookie */
	__type(value, struct update_base);
} update_bases SEC(".maps");

/* A read-only view of @obj as BTF type @btf_id (Linux 6.2+): what bpf_core_cast() makes. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* @now minus @then, 0 if a counter went back (a socket connected anew). */
static __always_inline __u64 since(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

/*
 * @sk's owner_map record, copied to @si: the storage cache's 16 slots (every
 * event's lookup leaves it there), else the first elements of its list.
 */
static __always_inline bool owner_record_of(const struct sock *sk, struct snoop_sock_info *si)
{
	struct bpf_local_storage *ls = BPF_CORE_READ(sk, sk_bpf_storage);
	struct bpf_local_storage_elem *selem;
	struct bpf_local_storage_data *sdata;
	struct hlist_node *n;
	void *want = &owner_map;

	if (!ls)
		return false;
	for (int i = 0; i < 16; i++) {
		sdata = BPF_CORE_READ(ls, cache[i]);
		if (sdata && (void *)BPF_CORE_READ(sdata, smap) == want)
			return !bpf_probe_read_kernel(si, sizeof(*si), sdata->data);
	}
	n = BPF_CORE_READ(ls, list.first);
	for (int i = 0; i < 4 && n; i++) {
		selem = container_of(n, struct bpf_local_storage_elem, snode);
		if ((void *)BPF_CORE_READ(selem, sdata.smap) == want)
			return !bpf_probe_read_kernel(si, sizeof(*si), selem->sdata.data);
		n = BPF_CORE_READ(n, next);
	}
	return false;
}

SEC("iter/task_file")
int connection_updates(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct update_base *base, fresh = {};
	struct snoop_sock_info si;
	struct snoop_event e;
	struct tcp_sock *tp;
	struct socket *sock;
	struct sock *sk;
	__u64 now, cookie, sent, received;
	int state;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	sk = sock ? sock->sk : NULL;
	if (!sk || !is_tcp(sk))
		return 0;
	/* Connections: not a listener, a handshake or a socket that ended. */
	state = sk_state(sk);
	if (state != SNOOP_TCP_ESTABLISHED && state != SNOOP_TCP_FIN_WAIT1 &&
	    state != SNOOP_TCP_FIN_WAIT2 && state != SNOOP_TCP_CLOSE_WAIT &&
	    state != SNOOP_TCP_CLOSING && state != SNOOP_TCP_LAST_ACK)
		return 0;
	/* Followed by socket-snoop: a record, and a cookie its events gave it. */
	cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	now = bpf_ktime_get_ns();
	if (!cookie || !owner_record_of(sk, &si) || !si.first_ns ||
	    now - si.first_ns < update_interval_ns)
		return 0;
	if (!event_start(&e, SNOOP_KIND_UPDATE, NULL, &si, now))
		return 0;
	event_fill_addrs(&e, sk);
	e.netns = sock_netns(sk);
	if (!sock_matches(&e))
		return 0;
	/* Counts kept for the connections shown only (handle_destroy() drops them). */
	base = bpf_map_lookup_elem(&update_bases, &cookie);
	if (!base) {
		bpf_map_update_elem(&update_bases, &cookie, &fresh, BPF_NOEXIST);
		base = bpf_map_lookup_elem(&update_bases, &cookie);
	}
	/*
	 * Runs are an interval apart: one less than half an interval ago was this
	 * run's, for a socket another process holds too.
	 */
	if (!base || now - base->at_ns < update_interval_ns / 2)
		return 0;
	base->at_ns = now;
	/* A full TCP socket in one of the states above: its tcp_sock, read-only. */
	tp = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
	e.cookie = cookie;
	e.new_state = state;
	payload_bytes(sk, tp, si.flags, &sent, &received);
	e.close.duration_ns = now - si.first_ns;
	e.close.bytes_sent = since(sent, base->sent);
	e.close.bytes_received = since(received, base->received);
	e.close.segs_out = since(BPF_CORE_READ(tp, segs_out), base->segs_out);
	e.close.segs_in = since(BPF_CORE_READ(tp, segs_in), base->segs_in);
	e.close.total_retrans = since(BPF_CORE_READ(tp, total_retrans), base->total_retrans);
	e.close.srtt_us = BPF_CORE_READ(tp, srtt_us) >> TCP_SRTT_SHIFT;
	close_fill_health(&e, tp, &si);
	base->sent = sent;
	base->received = received;
	base->segs_out = BPF_CORE_READ(tp, segs_out);
	base->segs_in = BPF_CORE_READ(tp, segs_in);
	base->total_retrans = BPF_CORE_READ(tp, total_retrans);
	bpf_seq_write(ctx->meta->seq, &e, sizeof(e));
	return 0;
}

#endif
