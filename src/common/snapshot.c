// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* snapshot.c - owners of the TCP sockets open at start-up (see snapshot.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common/snapshot.h"
#include "common/target.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

/* A process as the BPF side would have recorded it, from /proc/PID. */
struct proc_owner {
	struct snoop_owner owner;
	char cgroup_path[PATH_MAX]; /* relative to the cgroup v2 mount */
};

/* Read a small /proc file into @buf (NUL-terminated); bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static int proc_owner_read(int pid, const char *cgroup_root, struct proc_owner *p)
{
	char path[64], buf[4096], path_buf[PATH_MAX];
	char *line;
	struct stat st;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->owner.pid = (uint32_t)pid;
	p->owner.tid = (uint32_t)pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return -ESRCH;
	/*
	 * The kernel writes the name and one '\n'.  The name itself may hold a
	 * newline ("sshd\nX"), so only the last byte is the terminator: cutting
	 * at the first newline would let a process pass itself off as "sshd".
	 */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	memcpy(p->owner.comm, buf, (size_t)n < SNOOP_COMM_LEN - 1 ? (size_t)n : SNOOP_COMM_LEN - 1);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	line = strstr(buf, "\nPPid:");
	if (line)
		p->owner.ppid = (uint32_t)strtoul(line + 6, NULL, 10);
	line = strstr(buf, "\nUid:");
	if (line)
		p->owner.uid = (uint32_t)strtoul(line + 5, NULL, 10); /* real uid, as BPF reports */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_small(path, buf, sizeof(buf)) >= 0) {
		line = strncmp(buf, "0::", 3) == 0 ? buf : strstr(buf, "\n0::");
		if (line) {
			line += line == buf ? 3 : 4;
			line[strcspn(line, "\n")] = '\0';
			size_t rlen = strlen(cgroup_root), llen = strlen(line);

			/* A path too long to hold is left out rather than cut into another one. */
			if (llen < sizeof(p->cgroup_path) && rlen + llen < sizeof(path_buf)) {
				memcpy(p->cgroup_path, line, llen + 1);
				memcpy(path_buf, cgroup_root, rlen);
				memcpy(path_buf + rlen, line, llen + 1);
				if (rlen && stat(path_buf, &st) == 0)
					p->owner.cgroup_id = st.st_ino;
			}
		}
	}
	return 0;
}

/* Tuple and state of a TCP socket we hold a descriptor of; -1 if it is not one. */
static int socket_describe(int fd, struct snoop_event *e)
{
	struct sockaddr_storage local, remote;
	socklen_t llen = sizeof(local), rlen = sizeof(remote), olen;
	struct tcp_info info;
	struct stat st;
	int proto = 0, type = 0, nsfd;

	olen = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &olen) || proto != IPPROTO_TCP)
		return -1;
	olen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) || type != SOCK_STREAM)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&local, &llen))
		return -1;
	if (getpeername(fd, (struct sockaddr *)&remote, &rlen))
		memset(&remote, 0, sizeof(remote));
	olen = sizeof(info);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &olen))
		return -1;
	olen = sizeof(e->cookie);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &e->cookie, &olen))
		e->cookie = 0;
	nsfd = ioctl(fd, SIOCGSKNS);
	if (nsfd >= 0) {
		if (fstat(nsfd, &st) == 0)
			e->netns = (uint32_t)st.st_ino;
		close(nsfd);
	}
	e->new_state = info.tcpi_state;
	if (local.ss_family == AF_INET) {
		const struct sockaddr_in *l = (const void *)&local, *r = (const void *)&remote;

		e->saddr[10] = e->saddr[11] = 0xff;
		memcpy(&e->saddr[12], &l->sin_addr, 4);
		e->daddr[10] = e->daddr[11] = 0xff;
		memcpy(&e->daddr[12], &r->sin_addr, 4);
		e->sport = ntohs(l->sin_port);
		e->dport = remote.ss_family ? ntohs(r->sin_port) : 0;
		e->family = AF_INET;
	} else if (local.ss_family == AF_INET6) {
		const struct sockaddr_in6 *l = (const void *)&local, *r = (const void *)&remote;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		memcpy(e->saddr, &l->sin6_addr, 16);
		if (remote.ss_family)
			memcpy(e->daddr, &r->sin6_addr, 16);
		e->sport = ntohs(l->sin6_port);
		e->dport = remote.ss_family ? ntohs(r->sin6_port) : 0;
		e->family = memcmp(e->saddr, mapped, 12) == 0 ? AF_INET : AF_INET6;
	} else {
		return -1;
	}
	return 0;
}

/* Is the process's cgroup at or below the --cgroup directory? */
static int in_filter_cgroup(const struct filter_config *f, const struct proc_owner *p,
			    const char *cgroup_root)
{
	char full[PATH_MAX * 2], want[PATH_MAX];
	size_t n;

	if (!f->cgroup_path || !realpath(f->cgroup_path, want))
		return 0;
	snprintf(full, sizeof(full), "%s%s", cgroup_root, p->cgroup_path);
	n = strlen(want);
	return strncmp(full, want, n) == 0 && (full[n] == '/' || full[n] == '\0');
}

/* A TCP socket found in pass one: which process, which descriptor, what it is. */
struct found {
	int pid;
	int fd;
	struct snoop_event e; /* tuple, cookie, state, netns, owner */
	uint8_t in_cgroup;
};

struct found_list {
	struct found *v;
	size_t n, cap;
};

static int found_add(struct found_list *l, const struct found *f)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct found *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *f;
	return 0;
}

/* Pass one: describe every TCP socket of process @pid. */
static void scan_process(int pid, const struct filter_config *filter, const char *cgroup_root,
			 struct found_list *list, struct snapshot_stats *stats)
{
	char path[64], link[64];
	struct proc_owner po;
	struct dirent *de;
	DIR *dir;
	int pidfd;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir) {
		/* Gone meanwhile is fine; not allowed to look is what the caller must hear. */
		if (errno == EACCES || errno == EPERM)
			stats->denied++;
		return;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || proc_owner_read(pid, cgroup_root, &po)) {
		if (pidfd >= 0)
			close(pidfd);
		closedir(dir);
		return;
	}
	while ((de = readdir(dir))) {
		struct found f = { .pid = pid };
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		ssize_t n;
		int sfd;

		if (*end || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%ld", pid, fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0 && (errno == EACCES || errno == EPERM)) {
			stats->denied++;
			break; /* the same for every descriptor of this process */
		}
		if (n <= 0 || strncmp(link, "socket:", 7) != 0)
			continue;
		sfd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
		if (sfd < 0) {
			stats->denied++;
			break; /* the same for every descriptor of this process */
		}
		if (socket_describe(sfd, &f.e) == 0) {
			f.fd = (int)fd;
			f.e.owner = po.owner;
			f.in_cgroup = (uint8_t)in_filter_cgroup(filter, &po, cgroup_root);
			found_add(list, &f);
		}
		close(sfd);
	}
	close(pidfd);
	closedir(dir);
}

/* A connected socket whose local port a listener of its namespace holds was accepted. */
static uint8_t direction_of(const struct found_list *list, const struct found *f)
{
	if (f->e.new_state == SNOOP_TCP_LISTEN)
		return 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct found *l = &list->v[i];

		if (l->e.new_state == SNOOP_TCP_LISTEN && l->e.sport == f->e.sport &&
		    l->e.netns == f->e.netns)
			return SNOOP_SF_PASSIVE;
	}
	return SNOOP_SF_ACTIVE;
}

/* Pass two: write each socket's owner into the map, through a fresh descriptor. */
static void record_found(const struct found_list *list, int map_fd, uint64_t now, snapshot_fn fn,
			 void *ctx, struct snapshot_stats *stats)
{
	int pidfd = -1, pidfd_of = -1;

	for (size_t i = 0; i < list->n; i++) {
		const struct found *f = &list->v[i];
		struct snoop_sock_info si = { 0 };
		struct snoop_event e = f->e;
		uint64_t cookie = 0;
		socklen_t olen = sizeof(cookie);
		int sfd;

		if (f->pid != pidfd_of) {
			if (pidfd >= 0)
				close(pidfd);
			pidfd = (int)syscall(SYS_pidfd_open, f->pid, 0);
			pidfd_of = f->pid;
		}
		sfd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, f->fd, 0);
		if (sfd < 0)
			continue;
		/* The descriptor may have been closed and reused since pass one. */
		if (getsockopt(sfd, SOL_SOCKET, SO_COOKIE, &cookie, &olen) || cookie != e.cookie) {
			close(sfd);
			continue;
		}
		si.owner = e.owner;
		si.attribution = SNOOP_ATTR_SNAPSHOT;
		si.flags = SNOOP_SF_SNAPSHOT | direction_of(list, f);
		si.first_ns = now;
		si.in_cgroup = f->in_cgroup;
		/* BPF_NOEXIST: the first process found keeps a socket shared after fork. */
		if (bpf_map_update_elem(map_fd, &sfd, &si, BPF_NOEXIST) == 0) {
			e.kind = SNOOP_KIND_STATE;
			e.attribution = SNOOP_ATTR_SNAPSHOT;
			e.flags = si.flags;
			e.ts_ns = now;
			stats->sockets++;
			fn(ctx, &e);
		}
		close(sfd);
	}
	if (pidfd >= 0)
		close(pidfd);
}

int snapshot__run(int owner_map_fd, const struct filter_config *filter, uint64_t now_mono_ns,
		  snapshot_fn fn, void *ctx, struct snapshot_stats *stats)
{
	char cgroup_root[PATH_MAX] = "";
	struct found_list list = { 0 };
	struct dirent *de;
	DIR *proc = opendir("/proc");

	memset(stats, 0, sizeof(*stats));
	if (!proc)
		return -errno;
	target__cgroup2_mount(cgroup_root, sizeof(cgroup_root));
	while ((de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		scan_process((int)pid, filter, cgroup_root, &list, stats);
	}
	closedir(proc);
	record_found(&list, owner_map_fd, now_mono_ns, fn, ctx, stats);
	free(list.v);
	return 0;
}
