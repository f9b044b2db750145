// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* caps.c - capability checks and the drop after start-up, through capget/capset(2), no libcap. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common/caps.h"
#include "common/loop.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CAP_BIT(cap) (1ULL << (cap))

/* The three sets of this process as 64-bit masks. */
struct cap_sets {
	uint64_t effective, permitted, inheritable;
};

static int caps_get(struct cap_sets *s)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	s->effective = data[0].effective | (uint64_t)data[1].effective << 32;
	s->permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	s->inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct cap_sets *s)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)s->effective, (uint32_t)s->permitted, (uint32_t)s->inheritable },
		{ (uint32_t)(s->effective >> 32), (uint32_t)(s->permitted >> 32),
		  (uint32_t)(s->inheritable >> 32) },
	};

	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

int caps__check_setid(void)
{
	return getuid() != geteuid() || getgid() != getegid() ? -EPERM : 0;
}

/* Held when effective itself or through CAP_SYS_ADMIN (the kernel accepts either). */
static bool cap_or_admin(uint64_t eff, int cap)
{
	return eff & (CAP_BIT(cap) | CAP_BIT(CAP_SYS_ADMIN));
}

int caps__check_bpf(bool packets, char *missing, size_t size)
{
	static const struct {
		int cap;
		const char *name;
	} needed[] = {
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	};
	const char *names[3];
	size_t n = 0, len = 0;
	struct cap_sets s = { 0 };
	int err = caps_get(&s);

	if (err)
		return err;
	for (size_t i = 0; i < (packets ? 3 : 2); i++)
		if (!cap_or_admin(s.effective, needed[i].cap))
			names[n++] = needed[i].name;
	if (size)
		missing[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";

		len += (size_t)snprintf(missing + len, size - len, "%s%s", sep, names[i]);
	}
	return n ? -EPERM : 0;
}

int caps__can_walk_module_btf(void)
{
	struct cap_sets s = { 0 };

	return !caps_get(&s) && (s.effective & CAP_BIT(CAP_SYS_ADMIN));
}

int caps__can_attach_packet_programs(void)
{
	struct cap_sets s = { 0 };

	return !caps_get(&s) && cap_or_admin(s.effective, CAP_NET_ADMIN);
}

int caps__can_inspect_processes(void)
{
	struct cap_sets s = { 0 };

	return !caps_get(&s) && (s.effective & CAP_BIT(CAP_SYS_PTRACE)) &&
	       (s.effective & CAP_BIT(CAP_DAC_READ_SEARCH));
}

/*
 * Does bpf() on a held fd still work without CAP_BPF and CAP_SYS_ADMIN?  Before
 * Linux 6.5, with kernel.unprivileged_bpf_disabled set, every bpf() command
 * needed one of them: the loss counters, tcptop's table and -v's program
 * statistics are all read through held fds.  Tried for real, effective set only.
 */
static bool bpf_needs_cap(const struct cap_sets *s, int bpf_fd)
{
	struct cap_sets probe = *s;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	bool needs;

	probe.effective &= ~(CAP_BIT(CAP_BPF) | CAP_BIT(CAP_SYS_ADMIN));
	if (caps_set(&probe))
		return true;
	memset(&info, 0, sizeof(info));
	needs = bpf_obj_get_info_by_fd(bpf_fd, &info, &len) == -EPERM;
	caps_set(s);
	return needs;
}

int caps__drop(int bpf_fd)
{
	struct cap_sets s = { 0 };
	uint64_t keep = 0;
	int err = caps_get(&s);

	if (err)
		return err;
	/* The last use of CAP_SYS_NICE: the reader's priority (loop.c), while it is held. */
	loop__raise_priority();
	/* Kept only where this kernel needs it for the held fds (see bpf_needs_cap). */
	if (bpf_needs_cap(&s, bpf_fd)) {
		if (s.permitted & CAP_BIT(CAP_BPF))
			keep = CAP_BIT(CAP_BPF);
		else
			keep = s.permitted & CAP_BIT(CAP_SYS_ADMIN);
	}
	/*
	 * The bounding set first: dropping from it needs CAP_SETPCAP, gone after
	 * capset.  Without CAP_SETPCAP (started with a reduced set) it stays as
	 * given: with empty permitted, inheritable and ambient sets and
	 * no_new_privs, no execve can raise anything from it.
	 */
	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0)
			break; /* past the kernel's last capability */
		if (in && !(keep & CAP_BIT(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EPERM)
			return -errno;
	}
	/* EINVAL before Linux 4.3: no ambient set to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	s.effective = s.permitted = keep;
	s.inheritable = 0;
	err = caps_set(&s);
	if (err)
		return err;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0;
}

int caps__drop_thread(void)
{
	const struct cap_sets none = { 0 };

	return caps_set(&none);
}
