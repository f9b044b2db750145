/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * filters.bpf.h - socket-snoop's in-kernel filters: the guards declared from
 * the SNOOP_FILTERS list (snoop_abi.h), their values, and the checks.
 * Options AND, values of one option OR.
 *
 * Without --config the filters are set by user space before load (const
 * volatile: rodata), so the verifier sees a disabled filter's guard as false
 * and removes its code.  With it they live in two sets user space may
 * rewrite while the programs run (snoop_abi.h, struct snoop_filter_set), and
 * every guard is read as the events come.  The value maps are filled after
 * load; a hash map's value is a bit per set that holds the key, the CIDR
 * tries are one per set.
 */
#ifndef SNOOP_FILTERS_BPF_H
#define SNOOP_FILTERS_BPF_H

#include "common.bpf.h"

/* --config: the filters may change while running (read from filters_live). */
const volatile bool filters_reloadable = false;
/* The filters given at start; the only set without --config. */
const volatile struct snoop_filter_set filters_start = {};
/* --cgroup is fixed at start: owner records hold the answer for the owner then. */
const volatile __u64 cgroup_id = 0;    /* filter_cgroup: the --cgroup target */
const volatile __u32 cgroup_level = 0; /* its depth below the v2 root */

/* With --config: the two sets, and which one is in use (user space switches it). */
struct snoop_filter_set filters_live[2] SEC(".data.filters");
__u32 filters_live_cur SEC(".data.filters");

/* The filter set in use now. */
static __always_inline const volatile struct snoop_filter_set *filters(void)
{
	if (!filters_reloadable)
		return &filters_start;
	return &filters_live[*(volatile __u32 *)&filters_live_cur & 1];
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512); /* CONFIG_MAX_VALUES for each set */
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512); /* CONFIG_MAX_VALUES for each set */
	__type(key, __u32);
	__type(value, __u8);
} uid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512); /* CONFIG_MAX_VALUES for each set */
	__type(key, char[SNOOP_COMM_LEN]);
	__type(value, __u8);
} comm_filter SEC(".maps");

/*
 * The CIDR tries, one per filter set: a trie answers with its longest
 * matching prefix only, so a bit per set in one trie would let a longer
 * prefix of the other set hide a shorter one of the set in use.
 */
#define SNOOP_CIDR_TRIE(name)                         \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);  \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__uint(max_entries, 256);             \
		__type(key, struct snoop_lpm_key);    \
		__type(value, __u8);                  \
	} name SEC(".maps")
SNOOP_CIDR_TRIE(laddr_filter);
SNOOP_CIDR_TRIE(laddr_filter1);
SNOOP_CIDR_TRIE(raddr_filter);
SNOOP_CIDR_TRIE(raddr_filter1);
#undef SNOOP_CIDR_TRIE

/*
 * True when a filter of @scope is on in @fs.  @scope must be a constant: the
 * compiler keeps only that scope's guards, the verifier the ones that are on.
 */
#define SNOOP_FILTER_ON(name, scope_, on) || (SNOOP_FILTER_##scope_ == scope && fs->filter_##name)
static __always_inline bool filters_on(const volatile struct snoop_filter_set *fs,
				       enum snoop_filter_scope scope)
{
	return false SNOOP_FILTERS(SNOOP_FILTER_ON);
}
#undef SNOOP_FILTER_ON

/* True when @port is set in a --lport/--rport bitmap. */
static __always_inline bool port_in(const volatile __u64 *bits, __u16 port)
{
	return (bits[port >> 6] >> (port & 63)) & 1;
}

/* True when @key is in the value map @set for filter set @fs. */
static __always_inline bool key_in(void *set, const void *key,
				   const volatile struct snoop_filter_set *fs)
{
	__u8 *in = bpf_map_lookup_elem(set, key);

	return in && (*in >> (fs->gen & 1)) & 1;
}

/* True when @addr falls in one of the CIDRs of --raddr (@remote) or --laddr, in set @fs. */
static __always_inline bool addr_in(bool remote, const __u8 *addr,
				    const volatile struct snoop_filter_set *fs)
{
	struct snoop_lpm_key key = { .prefixlen = 128 };
	void *trie;

	__builtin_memcpy(key.addr, addr, 16);
	if (fs->gen & 1)
		trie = remote ? (void *)&raddr_filter1 : (void *)&laddr_filter1;
	else
		trie = remote ? (void *)&raddr_filter : (void *)&laddr_filter;
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

/*
 * The socket filters (SOCK scope) on the tuple, family and netns in @e.  A
 * global function, verified once on its own: with --config its guards are
 * read as events come, and inlined in every path they would multiply the
 * paths the verifier walks (start-up took a second more).
 */
__noinline bool sock_matches(const struct snoop_event *e)
{
	const volatile struct snoop_filter_set *fs = filters();

	/* A global function's pointer may be NULL, as far as the verifier knows. */
	if (!e)
		return false;
	if (fs->filter_family && e->family != fs->family)
		return false;
	if (fs->filter_netns && e->netns != fs->netns)
		return false;
	if (!fs->all_addresses && local_is_wildcard(e))
		return false;
	if (fs->filter_lport && !port_in(fs->lport_bits, e->sport))
		return false;
	if (fs->filter_rport && !port_in(fs->rport_bits, e->dport))
		return false;
	if (fs->filter_laddr && !addr_in(false, e->saddr, fs))
		return false;
	if (fs->filter_raddr && !addr_in(true, e->daddr, fs))
		return false;
	return true;
}

/* The process filters (OWNER scope) on the socket's owner @si. */
static __always_inline bool owner_matches(const struct snoop_sock_info *si)
{
	const volatile struct snoop_filter_set *fs = filters();

	if (!filters_on(fs, SNOOP_FILTER_OWNER))
		return true;
	if (!si || si->attribution == SNOOP_ATTR_UNKNOWN)
		return false;
	if (fs->filter_pid && !key_in(&pid_filter, &si->owner.pid, fs))
		return false;
	if (fs->filter_uid && !key_in(&uid_filter, &si->owner.uid, fs))
		return false;
	/* --comm: the process's name, or the name of its thread that owns the socket. */
	if (fs->filter_comm && !key_in(&comm_filter, si->owner.comm, fs) &&
	    !key_in(&comm_filter, si->owner.thread_comm, fs))
		return false;
	if (fs->filter_cgroup && !si->in_cgroup)
		return false;
	return true;
}

/*
 * Note in @si whether its owner, the current task, is under --cgroup: only
 * the task can tell (its cgroup's ancestors), and later events run in others.
 */
static __always_inline void owner_note_cgroup(struct snoop_sock_info *si)
{
	if (filters_start.filter_cgroup)
		si->in_cgroup = bpf_get_current_ancestor_cgroup_id(cgroup_level) == cgroup_id;
}

#endif /* SNOOP_FILTERS_BPF_H */
