// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_proc_owner.c - the /proc readers of snapshot.c: proc_owner_read()
 * (/proc/PID/comm, /proc/PID/status, /proc/PID/cgroup) and the --cgroup
 * check on the path it found.  They are static, so this file includes
 * snapshot.c (and procfs.c, which reads for it) and sends their open() of
 * /proc files to a memfd holding part of the input: comm, status and cgroup, separated by NUL bytes (none of the
 * three holds one).  A process picks its own name and, in a cgroup
 * namespace, much of its cgroup path: any bytes, any length.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>

static int fuzz_proc_open(const char *path, int flags, ...);
#define open fuzz_proc_open
#include "../../src/common/procfs.c"
#include "../../src/common/snapshot.c"
#undef open

/* The fake /proc/PID files of this run. */
static const uint8_t *fake_comm, *fake_status, *fake_cgroup;
static size_t fake_comm_len, fake_status_len, fake_cgroup_len;

static int memfd_with(const uint8_t *data, size_t len)
{
	int fd = memfd_create("fuzz-proc", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (len && write(fd, data, len) != (ssize_t)len)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static int fuzz_proc_open(const char *path, int flags, ...)
{
	size_t n = strlen(path);

	(void)flags;
	if (n > 5 && strcmp(path + n - 5, "/comm") == 0)
		return memfd_with(fake_comm, fake_comm_len);
	if (n > 7 && strcmp(path + n - 7, "/status") == 0)
		return memfd_with(fake_status, fake_status_len);
	if (n > 7 && strcmp(path + n - 7, "/cgroup") == 0)
		return memfd_with(fake_cgroup, fake_cgroup_len);
	abort(); /* snapshot.c opened something this target does not fake */
}

/* The next piece of the input, up to a NUL or the end. */
static const uint8_t *piece(const uint8_t **data, size_t *size, size_t *len)
{
	const uint8_t *p = *data, *nul = memchr(p, '\0', *size);

	*len = nul ? (size_t)(nul - p) : *size;
	*data += nul ? *len + 1 : *len;
	*size -= nul ? *len + 1 : *len;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter_config filter = { .cgroup_path = "/" };
	struct proc_owner po;
	size_t comm_len;

	fake_comm = piece(&data, &size, &fake_comm_len);
	fake_status = piece(&data, &size, &fake_status_len);
	fake_cgroup = piece(&data, &size, &fake_cgroup_len);

	if (proc_owner_read(4242, "/nonexistent-fuzz-cgroup-root", &po) != 0)
		abort(); /* every file "exists" */
	comm_len = strnlen(po.owner.comm, sizeof(po.owner.comm));
	if (comm_len == sizeof(po.owner.comm))
		abort(); /* not NUL-terminated */
	if (comm_len > fake_comm_len || memcmp(po.owner.comm, fake_comm, comm_len) != 0)
		abort(); /* the name is a prefix of what the kernel wrote */
	if (strnlen(po.cgroup_path, sizeof(po.cgroup_path)) == sizeof(po.cgroup_path))
		abort();
	(void)in_filter_cgroup(&filter, &po, "");
	return 0;
}
