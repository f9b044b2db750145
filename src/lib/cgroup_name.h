/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cgroup_name.h - who a cgroup v2 path says a process runs as: its systemd
 * unit, its container and runtime, its Kubernetes pod.  Read from the path's
 * directory names by the patterns systemd, docker, containerd, cri-o, podman
 * and the kubelet (systemd and cgroupfs drivers) use.  Pure; no allocation.
 *
 * A directory's name is only as trustworthy as whoever could create it: a
 * user given a delegated subtree (user@UID.service) can name directories
 * "sshd.service" or "docker-<id>.scope" in it.  The caller says how many of
 * the path's leading names were made by root (@trusted); the rest are not
 * read, so such a user's processes are reported as their manager's unit.
 */
#ifndef LIB_CGROUP_NAME_H
#define LIB_CGROUP_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* A unit name's longest (systemd's UNIT_NAME_MAX less its NUL) and a NUL. */
#define CGROUP_UNIT_SIZE 256
/* A container id: 64 hexadecimal digits, and a NUL. */
#define CGROUP_CONTAINER_ID_LEN 64
#define CGROUP_CONTAINER_ID_SIZE (CGROUP_CONTAINER_ID_LEN + 1)
/* A pod uid: 8-4-4-4-12 hexadecimal digits, and a NUL. */
#define CGROUP_POD_UID_SIZE 37
/* The shortest container id prefix --container takes (docker's short ids). */
#define CGROUP_CONTAINER_ID_MIN 12

enum cgroup_runtime {
	CGROUP_RUNTIME_NONE = 0, /* no container, or a runtime the path does not tell */
	CGROUP_RUNTIME_DOCKER,
	CGROUP_RUNTIME_CONTAINERD,
	CGROUP_RUNTIME_CRIO,
	CGROUP_RUNTIME_PODMAN,
};

struct cgroup_name {
	char unit[CGROUP_UNIT_SIZE];		     /* "" when none */
	char container_id[CGROUP_CONTAINER_ID_SIZE]; /* "" when none */
	char pod_uid[CGROUP_POD_UID_SIZE];	     /* "" when none */
	enum cgroup_runtime runtime;
};

/*
 * Read @path (relative to the cgroup v2 root: "/system.slice/nginx.service")
 * into @out, from its first @trusted directory names.  The deepest match of
 * each kind wins: a process in a unit's sub-cgroup is the unit's, one in a
 * container nested in another is the inner one's.
 */
void cgroup_name_parse(const char *path, size_t trusted, struct cgroup_name *out);

/* ECS container.runtime of @rt ("docker", "containerd", "cri-o", "podman"), NULL for none. */
const char *cgroup_runtime_name(enum cgroup_runtime rt);

/*
 * Whether @name is a systemd unit name of a kind that holds processes
 * (".service" or ".scope"; systemd's characters, at most 255 bytes).
 */
bool cgroup_is_unit_name(const char *name);

/*
 * --unit's value @arg as systemd names the unit, into @unit: with no unit
 * suffix ".service" is added (as systemctl does); a unit that holds
 * processes (.service, .scope, .slice) only.  0, or -EINVAL.
 */
int cgroup_unit_arg(const char *arg, char unit[CGROUP_UNIT_SIZE]);

/*
 * The container id of a directory named @name, into @id (with its runtime
 * in @rt): "docker-ID.scope", "cri-containerd-ID.scope", "crio-ID.scope",
 * "libpod-ID.scope", "libpod-ID", or a bare ID (the cgroupfs drivers', whose
 * runtime @parent tells: "docker", or none under kubepods).  false for none.
 */
bool cgroup_container_of(const char *name, const char *parent, char id[CGROUP_CONTAINER_ID_SIZE],
			 enum cgroup_runtime *rt);

#endif /* LIB_CGROUP_NAME_H */
