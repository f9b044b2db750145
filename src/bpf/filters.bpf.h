/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * filters.bpf.h - socket-snoop's in-kernel filters: the guards declared from
 * the SNOOP_FILTERS list (snoop_abi.h), their values, and the checks.
 * Options AND, values of one option OR.
 *
 * Everything here is set by user space before load (const volatile: rodata),
 * so the verifier sees a disabled filter's guard as false and removes its
 * code; the value maps are filled after load.
 */
#ifndef SNOOP_FILTERS_BPF_H
#define SNOOP_FILTERS_BPF_H

#include "common.bpf.h"

/* const volatile bool filter_<name>, one per row of SNOOP_FILTERS. */
#define SNOOP_FILTER_GUARD(name, scope, on) const volatile bool filter_##name = false;
SNOOP_FILTERS(SNOOP_FILTER_GUARD)
#undef SNOOP_FILTER_GUARD

/* The filters' values that are no map. */
const volatile __u16 family_only = 0;  /* filter_family: AF_INET or AF_INET6 */
const volatile __u32 netns_only = 0;   /* filter_netns: the --netns inode */
const volatile __u64 cgroup_id = 0;    /* filter_cgroup: the --cgroup target */
const volatile __u32 cgroup_level = 0; /* its depth below the v2 root */
const volatile __u64 lport_bits[SNOOP_PORT_WORDS] = {};
const volatile __u64 rport_bits[SNOOP_PORT_WORDS] = {};
/* Not a filter but its absence: listeners on all addresses are left out unless set. */
const volatile bool all_addresses = false;

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

/*
 * True when a filter of @scope is on.  @scope must be a constant: the
 * compiler keeps only that scope's guards, the verifier the ones that are on.
 */
#define SNOOP_FILTER_ON(name, scope_, on) || (SNOOP_FILTER_##scope_ == scope && filter_##name)
static __always_inline bool filters_on(enum snoop_filter_scope scope)
{
	return false SNOOP_FILTERS(SNOOP_FILTER_ON);
}
#undef SNOOP_FILTER_ON

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

/* The socket filters (SOCK scope) on the tuple, family and netns in @e. */
static __always_inline bool sock_matches(const struct snoop_event *e)
{
	if (filter_family && e->family != family_only)
		return false;
	if (filter_netns && e->netns != netns_only)
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

/* The process filters (OWNER scope) on the socket's owner @si. */
static __always_inline bool owner_matches(const struct snoop_sock_info *si)
{
	if (!filters_on(SNOOP_FILTER_OWNER))
		return true;
	if (!si || si->attribution == SNOOP_ATTR_UNKNOWN)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&pid_filter, &si->owner.pid))
		return false;
	if (filter_uid && !bpf_map_lookup_elem(&uid_filter, &si->owner.uid))
		return false;
	/* --comm: the process's name, or the name of its thread that owns the socket. */
	if (filter_comm && !bpf_map_lookup_elem(&comm_filter, si->owner.comm) &&
	    !bpf_map_lookup_elem(&comm_filter, si->owner.thread_comm))
		return false;
	if (filter_cgroup && !si->in_cgroup)
		return false;
	return true;
}

/*
 * Note in @si whether its owner, the current task, is under --cgroup: only
 * the task can tell (its cgroup's ancestors), and later events run in others.
 */
static __always_inline void owner_note_cgroup(struct snoop_sock_info *si)
{
	if (filter_cgroup)
		si->in_cgroup = bpf_get_current_ancestor_cgroup_id(cgroup_level) == cgroup_id;
}

#endif /* SNOOP_FILTERS_BPF_H */
