/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * snapshot.bpf.h - the start-up snapshot in the kernel: who owns each TCP
 * socket open before socket-snoop started, written into owner_map.  Run
 * once by common/snapshot_iter.c, after the tracepoint programs are attached.
 *
 * Two iterators, because neither alone can do it.  Every process's open
 * files (iter/task_file) tell who holds each socket, but the socket pointer
 * read from a file is one the verifier will not pass to bpf_sk_storage_get();
 * the TCP socket tables (iter/tcp) hand out sockets it will, but no owner,
 * and only those of the network namespace the reader is in.  So:
 *
 *   snapshot_owners   every process's TCP socket descriptors: the owner of
 *                     each socket by its address (the first process found
 *                     keeps a socket shared after fork), every listener's
 *                     (netns, port), and records saying which processes it
 *                     was shown and which namespaces they have sockets in
 *   snapshot_sockets  run once in each of those namespaces: each socket
 *                     whose owner was found gets its owner_map record, with
 *                     its direction (a connected socket whose local port a
 *                     listener of its namespace holds was accepted), and a
 *                     SNOOP_SNAP_SOCKET record
 *
 * The kernel walks the tables itself: nothing is taken from another process
 * (no ptrace access needed), and nothing costs a system call per socket.
 * What they find meanwhile is in a hash that user space makes for the one
 * snapshot, as large as the sockets there are, and frees after it: through
 * snapshot_maps, so that this object holds no such memory for its lifetime.
 *
 * Output goes through a seq_file: when a record does not fit in its buffer,
 * the kernel drops what the program wrote for that object and shows it
 * again on the next read.  So a run must be repeatable: map updates are
 * idempotent, a socket's record is created once (the second run finds its
 * own: same owner, same snapshot time), and its owner found is forgotten
 * only once it was said.
 */
#ifndef SNOOP_SNAPSHOT_BPF_H
#define SNOOP_SNAPSHOT_BPF_H

#include "common.bpf.h"
#include "owner.bpf.h"
#include "filters.bpf.h"

/* What bpf_map_update_elem() returns for a key already there (BPF_NOEXIST). */
#define EEXIST 17

/* The snapshot's working map (snoop_snapshot_key), put in slot 0 by user space. */
struct snapshot_work {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	/* By size: a type only an inner map names is left incomplete in the object's BTF. */
	__uint(key_size, sizeof(struct snoop_snapshot_key));
	__uint(value_size, sizeof(struct snoop_sock_info));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct snapshot_work);
} snapshot_maps SEC(".maps");

/* The time every socket found is first seen at: the first socket's, for all of them. */
__u64 snapshot_ns = 0;
/* The process of the last SNOOP_SNAP_PROCESS record written (0: write the next one). */
__u32 snapshot_last_pid = 0;

/* Before Linux 6.0 a cgroup kept its ancestors' ids, not pointers to them. */
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

static __always_inline void *snapshot_work(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&snapshot_maps, &zero);
}

/* Is @task under the --cgroup directory?  As owner_note_cgroup() asks of the current task. */
static __always_inline __u8 task_in_cgroup(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	__u32 level = cgroup_level;
	__u64 id = 0;

	if (!filters_start.filter_cgroup || !cg || BPF_CORE_READ(cg, level) < (int)level)
		return 0;
	if (bpf_core_field_exists(cg->ancestors)) {
		struct cgroup *up = NULL;

		bpf_core_read(&up, sizeof(up), &cg->ancestors[level]);
		id = up ? BPF_CORE_READ(up, kn, id) : 0;
	} else {
		struct cgroup___ids *old = (void *)cg;

		bpf_core_read(&id, sizeof(id), &old->ancestor_ids[level]);
	}
	return id == cgroup_id;
}

/* @task as the owner of what it holds, as owner_record() writes the current task. */
static __always_inline void owner_of_task(struct snoop_owner *o, struct task_struct *task)
{
	o->pid = task->tgid;
	o->tid = task->pid;
	o->ppid = BPF_CORE_READ(task, real_parent, tgid);
	o->uid = BPF_CORE_READ(task, cred, uid.val);
	o->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_probe_read_kernel_str(o->comm, sizeof(o->comm), task->group_leader->comm);
	bpf_probe_read_kernel_str(o->thread_comm, sizeof(o->thread_comm), task->comm);
}

/* Write @rec; 0, or non-zero when this run's output is dropped and shown again. */
static __always_inline long snapshot_write(struct seq_file *seq, struct snoop_snapshot_rec *rec)
{
	long err = bpf_seq_write(seq, rec, sizeof(*rec));

	/* The run is repeated: say its process again then. */
	if (err)
		snapshot_last_pid = 0;
	return err;
}

/* Say once per process that it was shown (@rec: room for a record; the stack is small). */
static __always_inline void say_process(struct bpf_iter_meta *meta, struct task_struct *task,
					struct snoop_snapshot_rec *rec)
{
	/* Each run of the iterator starts afresh. */
	if (meta->seq_num == 0)
		snapshot_last_pid = 0;
	if (snapshot_last_pid == (__u32)task->tgid)
		return;
	snapshot_last_pid = task->tgid;
	rec->type = SNOOP_SNAP_PROCESS;
	rec->event.owner.pid = task->tgid;
	snapshot_write(meta->seq, rec);
}

/* Say once per (netns, process) that the process has sockets there; the key, to unsay it. */
static __always_inline struct snoop_snapshot_key say_netns(void *work, struct seq_file *seq,
							   struct task_struct *task, __u32 netns,
							   struct snoop_snapshot_rec *rec,
							   const struct snoop_sock_info *none)
{
	struct snoop_snapshot_key k = { .kind = SNOOP_SNAP_KEY_NETNS, .a = netns, .b = task->tgid };

	if (bpf_map_lookup_elem(work, &k))
		return k;
	rec->type = SNOOP_SNAP_NETNS;
	rec->event.netns = netns;
	rec->event.owner.pid = task->tgid;
	/* No room to remember it: said every time instead (user space keeps one). */
	if (!snapshot_write(seq, rec))
		bpf_map_update_elem(work, &k, none, BPF_NOEXIST);
	return k;
}

SEC("iter/task_file")
int snapshot_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct snoop_snapshot_key key = { .kind = SNOOP_SNAP_KEY_OWNER }, nk;
	struct snoop_sock_info fresh = {};
	struct snoop_snapshot_rec rec = {};
	struct socket *sock;
	struct sock *sk;
	void *work;
	long err;

	if (!task || !file)
		return 0;
	say_process(ctx->meta, task, &rec);
	sock = bpf_sock_from_file(file);
	sk = sock ? sock->sk : NULL;
	work = snapshot_work();
	if (!sk || !work || !is_tcp(sk))
		return 0;
	if (!snapshot_ns)
		snapshot_ns = bpf_ktime_get_ns();
	if (sk_state(sk) == SNOOP_TCP_LISTEN) {
		struct listen_key lk = listen_key_of(sk);
		struct snoop_snapshot_key k = { .kind = SNOOP_SNAP_KEY_LISTEN,
						.a = lk.netns,
						.b = lk.port };

		bpf_map_update_elem(work, &k, &fresh, BPF_ANY);
	}
	nk = say_netns(work, ctx->meta->seq, task, RD2(sk, __sk_common.skc_net.net, ns.inum), &rec,
		       &fresh);
	owner_of_task(&fresh.owner, task);
	fresh.attribution = SNOOP_ATTR_SNAPSHOT;
	fresh.flags = SNOOP_SF_SNAPSHOT;
	fresh.first_ns = snapshot_ns;
	fresh.in_cgroup = task_in_cgroup(task);
	key.b = (__u64)sk;
	err = bpf_map_update_elem(work, &key, &fresh, BPF_NOEXIST);
	if (!err || err == -EEXIST)
		return 0;
	/* No room: user space makes more, or reads this process through /proc. */
	rec.type = SNOOP_SNAP_NOMEM;
	rec.event.netns = 0;
	rec.event.owner.pid = task->tgid;
	/* The run is repeated: so is its netns record, dropped with this one. */
	if (snapshot_write(ctx->meta->seq, &rec))
		bpf_map_delete_elem(work, &nk);
	return 0;
}

SEC("iter/tcp")
int snapshot_sockets(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct snoop_snapshot_key key = { .kind = SNOOP_SNAP_KEY_OWNER };
	struct snoop_snapshot_rec rec = {};
	struct snoop_sock_info *found, *si;
	struct sock *sk;
	void *work;
	int state;

	if (!skc)
		return 0;
	/* Full sockets only: time-wait and request sockets are behind no descriptor. */
	sk = (struct sock *)bpf_skc_to_tcp_sock(skc);
	work = snapshot_work();
	if (!sk || !work)
		return 0;
	key.b = (__u64)sk;
	found = bpf_map_lookup_elem(work, &key);
	if (!found)
		return 0;
	state = sk_state(sk);
	if (state != SNOOP_TCP_LISTEN) {
		struct listen_key lk = listen_key_of(sk);
		struct snoop_snapshot_key k = { .kind = SNOOP_SNAP_KEY_LISTEN,
						.a = lk.netns,
						.b = lk.port };

		found->flags |= bpf_map_lookup_elem(work, &k) ? SNOOP_SF_PASSIVE : SNOOP_SF_ACTIVE;
	}
	/* Created from @found only if the socket has no record. */
	si = bpf_sk_storage_get(&owner_map, sk, found, BPF_SK_STORAGE_GET_F_CREATE);
	if (si && !(si->flags & SNOOP_SF_SNAPSHOT)) {
		/*
		 * A record socket-snoop's programs wrote since they were attached
		 * (a busy connection's read or send): its owner is newer, and kept;
		 * what only the snapshot knows is added, that the connection was
		 * there at start and which way it was made.  (A plain store: a
		 * program changing the flags on another CPU at this very moment
		 * could lose its bit.)
		 */
		if (!(si->flags & (SNOOP_SF_ACTIVE | SNOOP_SF_PASSIVE)))
			si->flags |= found->flags & (SNOOP_SF_ACTIVE | SNOOP_SF_PASSIVE);
		si->flags |= SNOOP_SF_SNAPSHOT;
	} else if (si && si->attribution == SNOOP_ATTR_SNAPSHOT &&
		   (si->first_ns != found->first_ns || si->owner.pid != found->owner.pid)) {
		/* Written by the /proc reading of another snapshot path: said there. */
		return 0;
	}
	rec.type = si ? SNOOP_SNAP_SOCKET : SNOOP_SNAP_NOMEM;
	event_fill_sock(&rec.event, sk);
	rec.event.cookie = bpf_get_socket_cookie(sk);
	rec.event.ts_ns = found->first_ns;
	rec.event.kind = SNOOP_KIND_STATE;
	rec.event.attribution = SNOOP_ATTR_SNAPSHOT;
	rec.event.new_state = state;
	rec.event.flags = si ? si->flags : found->flags;
	rec.event.owner = si ? si->owner : found->owner;
	/* Said once: a socket shown again (a repeated run) has no owner found any more. */
	if (!bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec)))
		bpf_map_delete_elem(work, &key);
	return 0;
}

#endif /* SNOOP_SNAPSHOT_BPF_H */
