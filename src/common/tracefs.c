// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tracefs.c - classic tracepoints' perf ids (see tracefs.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common/tracefs.h"
#include "lib/parse.h"

/* The decimal id in @fd (the kernel's text, one line): the id, or a negative errno. */
static long read_id(int fd)
{
	char buf[32];
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	uint64_t id;
	int err;

	if (len <= 0)
		return len < 0 ? -errno : -EINVAL;
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	err = parse_u64(buf, INT32_MAX, &id);
	return err ? err : (long)id;
}

/* The id of tracepoint file @path in the tracefs whose root is @dirfd. */
static long id_at(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	long id;

	if (fd < 0)
		return -errno;
	id = read_id(fd);
	close(fd);
	return id;
}

/*
 * Both roots are kernel file systems at root-owned places, and the private
 * mount is ours alone: nothing a user could plant.
 */
long tracefs__event_id(const char *event)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[128];
	long id = -ENOENT;
	int fsfd, mntfd;

	if (!event || !*event ||
	    strspn(event, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/") != strlen(event) ||
	    !strchr(event, '/') || strstr(event, "//") || event[0] == '/')
		return -EINVAL;
	if (snprintf(path, sizeof(path), "events/%s/id", event) >= (int)sizeof(path))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		int dirfd = open(roots[i], O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (dirfd < 0)
			continue;
		id = id_at(dirfd, path);
		close(dirfd);
		if (id >= 0)
			return id;
	}
	fsfd = (int)syscall(SYS_fsopen, "tracefs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return id == -ENOENT ? -errno : id;
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		id = -errno;
		close(fsfd);
		return id;
	}
	mntfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	id = mntfd < 0 ? -errno : id_at(mntfd, path);
	if (mntfd >= 0)
		close(mntfd);
	close(fsfd);
	return id;
}
