/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cgroups.h - the cgroup v2 tree as socket-snoop reads it: an event owner's
 * cgroup id to its unit, container and pod (lib/cgroup_name.h), and the
 * directories of --unit and --container.
 *
 * The kernel records a cgroup's id (its directory's inode number), not its
 * path, so the tree is walked to find it.  The walk runs when an id is not
 * in the table: CGROUPS_WALK_BURST walks at once (containers start
 * together), then one per CGROUPS_WALK_GAP_NS; it reads directories only
 * (never a symbolic link, at most CGROUPS_MAX_DEPTH deep), and notes for
 * each whether root made its name (cgroup_name.h: a delegated subtree's
 * names are its user's).  The table has a fixed number of slots: bounded
 * memory whatever the number of cgroups; an id that is gone stays known as
 * gone (cgroup ids are never reused).
 */
#ifndef COMMON_CGROUPS_H
#define COMMON_CGROUPS_H

#include <stddef.h>
#include <stdint.h>
#include "lib/cgroup_name.h"

#define CGROUPS_SLOTS 2048 /* a power of two */
#define CGROUPS_MAX_DEPTH 32
#define CGROUPS_WALK_GAP_NS 50000000ull /* 50 ms: at most 20 walks a second... */
#define CGROUPS_WALK_BURST 8		/* ...after a burst of 8 */

struct cgroup_info {
	uint64_t id;
	uint32_t gen; /* changes whenever the slot is filled again */
	struct cgroup_name name;
};

struct cgroup_cache;

/* A table over the cgroup v2 tree mounted at @root.  0, or -ENOMEM. */
int cgroup_cache__new(struct cgroup_cache **out, const char *root);
void cgroup_cache__free(struct cgroup_cache *c);

/*
 * Cgroup @id at @now_ns (a monotonic clock of the caller's): NULL when no
 * directory of the tree has it (gone, or outside our cgroup namespace), or
 * when it is new and the walks' budget is spent (asked again later, it is
 * looked for again).
 */
const struct cgroup_info *cgroup_cache__get(struct cgroup_cache *c, uint64_t id, uint64_t now_ns);

/*
 * The directory (absolute) of systemd unit @unit under @root into @path:
 * one whose name root made.  -ENOENT (no such unit running), -EEXIST (more
 * than one: not said which), -ENAMETOOLONG, or another negative errno.
 */
int cgroups__find_unit(const char *root, const char *unit, char *path, size_t size);

/*
 * The directory of the container whose id starts with @id (at least
 * CGROUP_CONTAINER_ID_MIN hexadecimal digits) into @path; @full gets the
 * whole id.  -ENOENT, -EEXIST (the prefix names several), or another errno.
 */
int cgroups__find_container(const char *root, const char *id, char *path, size_t size,
			    char full[CGROUP_CONTAINER_ID_SIZE]);

#endif /* COMMON_CGROUPS_H */
