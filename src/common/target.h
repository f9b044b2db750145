/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * target.h - resolve --cgroup and --netns arguments to the ids the kernel
 * reports, and tell whether we see the host's processes as the kernel numbers them.
 */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where cgroup v2 is mounted (from /proc/mounts) into @out.  0 or negative errno. */
int target__cgroup2_mount(char *out, size_t size);

/*
 * The root of the cgroup v2 hierarchy, opened as a directory (where programs
 * are attached for every socket of the host), its path in @root: a
 * descriptor, or a negative errno (@root "" when cgroup v2 is not mounted).
 */
int target__cgroup2_root_open(char *root, size_t size);

/*
 * A cgroup v2 directory (absolute, or relative to the v2 mount found in
 * /proc/mounts) to its id and its depth below the root.  0 or negative errno.
 */
int target__cgroup(const char *path, uint64_t *id, uint32_t *level);

/* A network namespace file (/proc/PID/ns/net, /run/netns/NAME) or an inode number. */
int target__netns(const char *arg, uint32_t *inode);

/*
 * True in the initial PID namespace: there /proc's process ids are the ones
 * the kernel (and BPF) reports, and /proc/1 is the host's init.
 */
bool target__initial_pid_ns(void);

#endif
