// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* caps.c - effective capability check through capget(2), without libcap. */
#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* True when capability @cap is in the effective set. */
static int cap_effective(const struct __user_cap_data_struct data[2], int cap)
{
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

/* The effective set of this process; 0 or negative errno. */
static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, data) < 0 ? -errno : 0;
}

int caps__can_inspect_processes(void)
{
	struct __user_cap_data_struct data[2] = {};

	return !caps_get(data) && cap_effective(data, CAP_SYS_PTRACE) &&
	       cap_effective(data, CAP_DAC_READ_SEARCH);
}

int caps__check_bpf(void)
{
	struct __user_cap_data_struct data[2] = {};
	int err = caps_get(data);

	if (err)
		return err;
	if (cap_effective(data, CAP_SYS_ADMIN))
		return 0;
	if (cap_effective(data, CAP_BPF) && cap_effective(data, CAP_PERFMON))
		return 0;
	return -EPERM;
}
