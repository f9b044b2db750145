// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* target.c - cgroup and network namespace resolution (see target.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "lib/parse.h"
#include "common/target.h"

#define CGROUP2_SUPER_MAGIC 0x63677270
#define NSFS_MAGIC 0x6e736673
/* The inode of the initial PID namespace (PROC_PID_INIT_INO), the same on every kernel. */
#define INIT_PID_NS_INO 0xEFFFFFFCu

bool target__initial_pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == INIT_PID_NS_INO;
}

/* Where cgroup v2 is mounted: /sys/fs/cgroup on most systems, .../unified on hybrid ones. */
int target__cgroup2_mount(char *out, size_t size)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(out, size, "%s", m->mnt_dir);
			err = 0;
			break;
		}
	}
	endmntent(f);
	return err;
}

int target__cgroup2_root_open(char *root, size_t size)
{
	int fd, err = target__cgroup2_mount(root, size);

	if (err) {
		root[0] = '\0';
		return err;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int target__cgroup(const char *path, uint64_t *id, uint32_t *level)
{
	char root[PATH_MAX], full[2 * PATH_MAX], real[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	size_t root_len;
	uint32_t depth = 0;
	int err = target__cgroup2_mount(root, sizeof(root));

	if (err)
		return err;
	/* Accept both "/sys/fs/cgroup/x" and "x" or "/x" relative to the mount. */
	if (strncmp(path, root, strlen(root)) == 0)
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", root, path[0] == '/' ? path + 1 : path);
	if (!realpath(full, real))
		return -errno;
	if (statfs(real, &sfs) < 0 || stat(real, &st) < 0)
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	root_len = strlen(root);
	for (const char *p = real + root_len; *p; p++)
		if (*p == '/' && p[1])
			depth++;
	/* On cgroup2 the directory's inode number is the id bpf_get_current_cgroup_id() reports. */
	*id = st.st_ino;
	*level = depth;
	return 0;
}

int target__netns(const char *arg, uint32_t *inode)
{
	struct statfs sfs;
	struct stat st;
	uint64_t v;

	if (parse_u64(arg, UINT32_MAX, &v) == 0) {
		if (!v)
			return -EINVAL;
		*inode = (uint32_t)v;
		return 0;
	}
	if (stat(arg, &st) < 0 || statfs(arg, &sfs) < 0)
		return -errno;
	if (sfs.f_type != NSFS_MAGIC)
		return -ENOTDIR;
	*inode = (uint32_t)st.st_ino;
	return 0;
}
