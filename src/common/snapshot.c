// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* snapshot.c - owners of the TCP sockets open at start-up (see snapshot.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common/procfs.h"
#include "common/sock_diag.h"
#include "common/snapshot.h"
#include "common/snapshot_iter.h"
#include "common/target.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

/* A process as the BPF side would have recorded it, from /proc/PID. */
struct proc_owner {
	struct snoop_owner owner;
	char cgroup_path[PATH_MAX]; /* relative to the cgroup v2 mount */
};

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
	n = procfs__read(path, buf, sizeof(buf));
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
	/* The thread recorded is the leader (tid == pid): its name is the process's. */
	memcpy(p->owner.thread_comm, p->owner.comm, SNOOP_COMM_LEN);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (procfs__read(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	line = strstr(buf, "\nPPid:");
	if (line)
		p->owner.ppid = (uint32_t)strtoul(line + 6, NULL, 10);
	line = strstr(buf, "\nUid:");
	if (line)
		p->owner.uid = (uint32_t)strtoul(line + 5, NULL, 10); /* real uid, as BPF reports */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (procfs__read(path, buf, sizeof(buf)) >= 0) {
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

/* The kernel's PF_KTHREAD (include/linux/sched.h): the same value since Linux 2.6. */
#define PF_KTHREAD 0x00200000u

/*
 * Is @pid a kernel thread?  It holds no descriptors, and looking into one
 * without CAP_SYS_PTRACE is refused: it would count as a process we could
 * not look into.  Field 9 of /proc/PID/stat, after the name in parentheses
 * (which may itself hold ") "): the flags.
 */
static bool is_kernel_thread(int pid)
{
	char path[64], buf[1024];
	uint64_t flags;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (procfs__read(path, buf, sizeof(buf)) < 0)
		return false;
	return !procfs__stat_field(buf, 9, &flags) && (flags & PF_KTHREAD);
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

	if (!f->cgroup_path[0] || !realpath(f->cgroup_path, want))
		return 0;
	snprintf(full, sizeof(full), "%s%s", cgroup_root, p->cgroup_path);
	n = strlen(want);
	return strncmp(full, want, n) == 0 && (full[n] == '/' || full[n] == '\0');
}

/*
 * A TCP socket, from a sock_diag dump or described in pass one for pass two, in as few
 * bytes as the snapshot needs (72; with its slots in the inode table, about 110): the
 * memory grows with the sockets, 100,000 of them in about 11 MiB, all freed before the
 * banner.  A socket of pass one has its owner in the process table.
 */
struct found {
	uint64_t cookie;
	uint64_t ino; /* socket inode (sock_diag table only) */
	uint8_t saddr[SNOOP_ADDR_LEN], daddr[SNOOP_ADDR_LEN];
	uint32_t netns;
	uint32_t proc; /* index in found_list.procs */
	int fd;	       /* in the owner's descriptor table */
	uint16_t sport, dport, family;
	uint8_t state;
};

/* A process that holds at least one of the sockets found. */
struct found_proc {
	struct snoop_owner owner;
	uint8_t in_cgroup;
};

/*
 * Open-addressing table of non-zero 64-bit keys, each with a 32-bit value, kept at most
 * half full: the listeners' (netns, port) pairs, so that a connected socket's direction
 * is one look-up instead of a scan of every socket found (quadratic with 100,000
 * sockets), and the sock_diag table by socket inode.  0 marks a free slot.
 */
struct key_table {
	uint64_t *key;
	uint32_t *val;
	size_t n, mask; /* mask + 1 slots, a power of two; no slots before the first add */
};

static size_t key_slot(const struct key_table *t, uint64_t key)
{
	/*
	 * Socket inodes come in runs (the kernel hands them out in order) and a process's
	 * descriptors are taken in the order they were opened: keeping neighbours in
	 * neighbouring slots makes the look-ups of 100,000 sockets hit the cache.  The
	 * shifts fold a listener's namespace (bits 16 up) onto its port.
	 */
	size_t i = (size_t)(key ^ (key >> 17) ^ (key >> 31)) & t->mask;

	while (t->key[i] && t->key[i] != key)
		i = (i + 1) & t->mask;
	return i;
}

/* The value of @key, or -1 when it is not in the table. */
static int64_t key_find(const struct key_table *t, uint64_t key)
{
	size_t i;

	if (!t->n)
		return -1;
	i = key_slot(t, key);
	return t->key[i] == key ? (int64_t)t->val[i] : -1;
}

/* Room for @n keys in all, at most half full.  0 or -ENOMEM, the table as it was. */
static int key_reserve(struct key_table *t, size_t n)
{
	struct key_table big = { .mask = t->key ? t->mask : 63 };
	size_t i;

	while (2 * n > big.mask + 1)
		big.mask = 2 * big.mask + 1;
	if (t->key && big.mask == t->mask)
		return 0;
	big.key = calloc(big.mask + 1, sizeof(*big.key));
	big.val = calloc(big.mask + 1, sizeof(*big.val));
	if (!big.key || !big.val) {
		free(big.key);
		free(big.val);
		return -ENOMEM;
	}
	for (size_t j = 0; t->key && j <= t->mask; j++) {
		if (t->key[j]) {
			i = key_slot(&big, t->key[j]);
			big.key[i] = t->key[j];
			big.val[i] = t->val[j];
			big.n++;
		}
	}
	free(t->key);
	free(t->val);
	*t = big;
	return 0;
}

/* Add or replace @key (non-zero).  0 or -ENOMEM. */
static int key_add(struct key_table *t, uint64_t key, uint32_t val)
{
	size_t i;

	/* Replacing never grows the table, so it cannot fail. */
	if (t->n) {
		i = key_slot(t, key);
		if (t->key[i] == key) {
			t->val[i] = val;
			return 0;
		}
	}
	if (key_reserve(t, t->n + 1))
		return -ENOMEM;
	i = key_slot(t, key);
	t->key[i] = key;
	t->val[i] = val;
	t->n++;
	return 0;
}

static void key_table_free(struct key_table *t)
{
	free(t->key);
	free(t->val);
}

/* diag_by_ino value of a socket of a dump that failed half-way: described one by one. */
#define DIAG_FORGOTTEN UINT32_MAX

static uint64_t listen_key(uint32_t netns, uint16_t port)
{
	return (1ULL << 48) | ((uint64_t)netns << 16) | port;
}

struct found_list {
	struct found *v;
	size_t n, cap;
	struct found_proc *procs;
	size_t nprocs, procs_cap;
	struct key_table listeners; /* listen_key() of every listener known */
	/* TCP sockets of the namespaces dumped through sock_diag, by inode (val: index). */
	struct found *diag;
	size_t ndiag, diag_cap;
	struct key_table diag_by_ino;
	/* Namespaces seen (val 1: dumped, 0: could not be) and our own to come back to. */
	struct key_table netns_seen;
	int own_netns_fd;
};

/* Doubles *@cap (from @first) and the array @v of elements of @size: 0 or -ENOMEM. */
static int grow(void **v, size_t *cap, size_t first, size_t size)
{
	size_t n = *cap ? *cap * 2 : first;
	void *nv = n > SIZE_MAX / size ? NULL : realloc(*v, n * size);

	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = n;
	return 0;
}

static int found_add(struct found_list *l, const struct found *f)
{
	if (l->n == l->cap && grow((void **)&l->v, &l->cap, 256, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n++] = *f;
	return 0;
}

static int found_proc_add(struct found_list *l, const struct found_proc *p)
{
	if (l->nprocs == l->procs_cap &&
	    grow((void **)&l->procs, &l->procs_cap, 64, sizeof(*l->procs)))
		return -ENOMEM;
	l->procs[l->nprocs++] = *p;
	return 0;
}

static void found_list_free(struct found_list *l)
{
	free(l->v);
	free(l->procs);
	free(l->diag);
	key_table_free(&l->listeners);
	key_table_free(&l->diag_by_ino);
	key_table_free(&l->netns_seen);
}

/*
 * Errors of our own (out of memory, out of descriptors) end the snapshot: what it found
 * would be incomplete without saying so.  Anything else is about the other process.
 */
static bool own_failure(int err)
{
	return err == ENOMEM || err == EMFILE || err == ENFILE;
}

/* Fill @f's tuple as socket_describe() would from getsockname()/getpeername(). */
static void diag_to_found(const struct inet_diag_msg *m, uint32_t netns, struct found *f)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	/* getpeername() fails before the handshake and once closed: no remote then. */
	bool peer = m->id.idiag_dport && m->idiag_state != SNOOP_TCP_SYN_SENT &&
		    m->idiag_state != SNOOP_TCP_CLOSE;

	memset(f, 0, sizeof(*f));
	f->ino = m->idiag_inode;
	f->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	f->netns = netns;
	f->state = m->idiag_state;
	f->sport = ntohs(m->id.idiag_sport);
	f->dport = peer ? ntohs(m->id.idiag_dport) : 0;
	if (m->idiag_family == AF_INET) {
		f->saddr[10] = f->saddr[11] = 0xff;
		memcpy(&f->saddr[12], m->id.idiag_src, 4);
		f->daddr[10] = f->daddr[11] = 0xff;
		if (peer)
			memcpy(&f->daddr[12], m->id.idiag_dst, 4);
		f->family = AF_INET;
	} else {
		memcpy(f->saddr, m->id.idiag_src, 16);
		if (peer)
			memcpy(f->daddr, m->id.idiag_dst, 16);
		f->family = memcmp(f->saddr, mapped, 12) == 0 ? AF_INET : AF_INET6;
	}
}

/*
 * Every state but TIME_WAIT and NEW_SYN_RECV: those are mini-sockets, never behind a
 * descriptor, and a busy server has tens of thousands of them.  No bit above the
 * states: the next, TCP_BOUND_INACTIVE, would walk the kernel's bind table too, for
 * sockets only bound, which the iterators' snapshot (iter/tcp) does not see either.
 */
#define DIAG_STATES                           \
	(((1U << SNOOP_TCP_MAX_STATES) - 1) & \
	 ~((1U << SNOOP_TCP_TIME_WAIT) | (1U << SNOOP_TCP_NEW_SYN_RECV)))

/* Where diag_add() puts what a dump of one namespace finds. */
struct diag_ctx {
	struct found_list *l;
	uint32_t netns;
};

/* One socket of a dump into the list (sock_diag_fn). */
static int diag_add(const struct inet_diag_msg *m, void *ctx)
{
	struct diag_ctx *d = ctx;
	struct found_list *l = d->l;
	struct found f;
	int err;

	/* Request and TIME_WAIT sockets have no inode: no descriptor holds them. */
	if (!m->idiag_inode)
		return 0;
	diag_to_found(m, d->netns, &f);
	if (l->ndiag == l->diag_cap && grow((void **)&l->diag, &l->diag_cap, 256, sizeof(*l->diag)))
		return -ENOMEM;
	err = key_add(&l->diag_by_ino, f.ino, (uint32_t)l->ndiag);
	if (!err && f.state == SNOOP_TCP_LISTEN)
		err = key_add(&l->listeners, listen_key(d->netns, f.sport), 1);
	if (err)
		return err;
	l->diag[l->ndiag++] = f;
	return 0;
}

/* Every TCP socket of one family in the namespace of netlink socket @nl.  0 or -errno. */
static int diag_dump(struct found_list *l, int nl, uint8_t family, uint32_t netns)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} rq = {
		.nh = { .nlmsg_len = sizeof(rq),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = family,
			 .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = DIAG_STATES },
	};
	struct diag_ctx d = { l, netns };

	return sock_diag__dump(nl, &rq, sizeof(rq), diag_add, &d);
}

/*
 * A dump walks the whole established hash of the kernel (every namespace's sockets,
 * 262,144 buckets here), tens of milliseconds even for a namespace of a few sockets:
 * below this many TCP sockets in a namespace, describing them one by one is cheaper.
 */
static long diag_min_sockets = 1000; /* tests/unit/test_snapshot.c sets 0: dump them all */

/* TCP sockets in use in the network namespace of @pid: [0] IPv4, [1] IPv6; 0 if unknown. */
static void netns_tcp_sockets(int pid, long inuse[2])
{
	static const char *const files[] = { "sockstat", "sockstat6" };
	static const char *const keys[] = { "\nTCP: inuse ", "\nTCP6: inuse " };
	char path[64], buf[1024];

	for (size_t i = 0; i < 2; i++) {
		const char *at = NULL;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, files[i]);
		/* A leading newline so that the first line matches like the others. */
		buf[0] = '\n';
		if (procfs__read(path, buf + 1, sizeof(buf) - 1) >= 0)
			at = strstr(buf, keys[i]);
		inuse[i] = at ? strtol(at + strlen(keys[i]), NULL, 10) : 0;
	}
}

/*
 * The TCP sockets of the network namespace of process @pid, through sock_diag, once per
 * namespace: then each of its sockets costs a few system calls instead of a dozen, and
 * every listener of the namespace is known before its connections are recorded.  It
 * takes CAP_SYS_ADMIN to enter the namespace: without it, or when anything else goes
 * wrong, the namespace's sockets are described one by one instead.  Returns 0, or
 * -ENOMEM/-EMFILE/-ENFILE, or -ENOTRECOVERABLE when we could not come back to our own
 * namespace.
 */
static int diag_netns(struct found_list *l, int pid)
{
	char path[64];
	struct stat st;
	int nsfd, nl = -1, err = 0;
	size_t mark = l->ndiag;
	long inuse[2];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &st))
		return own_failure(errno) ? -errno : 0;
	if (key_find(&l->netns_seen, st.st_ino) >= 0)
		return 0;
	netns_tcp_sockets(pid, inuse);
	if (l->own_netns_fd < 0 || inuse[0] + inuse[1] < diag_min_sockets)
		return key_add(&l->netns_seen, st.st_ino, 0);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return own_failure(errno) ? -errno : key_add(&l->netns_seen, st.st_ino, 0);
	if (setns(nsfd, CLONE_NEWNET) == 0) {
		nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (nl < 0)
			err = -errno;
		/* Everything else of ours (the BPF maps, /proc) is in our own namespace. */
		if (setns(l->own_netns_fd, CLONE_NEWNET))
			err = -ENOTRECOVERABLE;
	} else {
		err = -errno;
	}
	close(nsfd);
	/* Room for what sockstat counted (more may come): no rehash, no copy, per socket. */
	if (!err && l->ndiag + (size_t)(inuse[0] + inuse[1]) > l->diag_cap) {
		struct found *v = realloc(l->diag, (l->ndiag + inuse[0] + inuse[1]) * sizeof(*v));

		if (v) {
			l->diag = v;
			l->diag_cap = l->ndiag + inuse[0] + inuse[1];
		}
		err = v ? key_reserve(&l->diag_by_ino, l->ndiag + inuse[0] + inuse[1]) : -ENOMEM;
	}
	/* Each dump walks the whole hash: none for a family without sockets. */
	if (!err && inuse[0])
		err = diag_dump(l, nl, AF_INET, (uint32_t)st.st_ino);
	if (!err && inuse[1])
		err = diag_dump(l, nl, AF_INET6, (uint32_t)st.st_ino);
	if (nl >= 0)
		close(nl);
	if (err == -ENOTRECOVERABLE || own_failure(-err))
		return err;
	if (err) {
		/*
		 * A socket recorded from half a table could miss its listener: what this
		 * dump added is described one by one instead (replacing cannot fail).
		 */
		for (size_t i = mark; i < l->ndiag; i++)
			key_add(&l->diag_by_ino, l->diag[i].ino, DIAG_FORGOTTEN);
		l->ndiag = mark;
	}
	return key_add(&l->netns_seen, st.st_ino, !err);
}

/* A connected socket whose local port a listener of its namespace holds was accepted. */
static uint8_t direction_of(const struct found_list *list, const struct found *f)
{
	if (f->state == SNOOP_TCP_LISTEN)
		return 0;
	return key_find(&list->listeners, listen_key(f->netns, f->sport)) >= 0 ? SNOOP_SF_PASSIVE :
										 SNOOP_SF_ACTIVE;
}

/*
 * Write the owner of socket @f, held as @sfd, into the map and report it.  0, or -ENOMEM
 * when the kernel could not store it.
 */
static int record_one(const struct found_list *list, const struct found *f,
		      const struct found_proc *p, int sfd, int map_fd, uint64_t now, snapshot_fn fn,
		      void *ctx, struct snapshot_stats *stats)
{
	struct snoop_sock_info si = { 0 };
	struct snoop_event e = { 0 };

	si.owner = p->owner;
	si.attribution = SNOOP_ATTR_SNAPSHOT;
	si.flags = SNOOP_SF_SNAPSHOT | direction_of(list, f);
	si.first_ns = now;
	si.in_cgroup = p->in_cgroup;
	/* BPF_NOEXIST: the first process found keeps a socket shared after fork. */
	if (bpf_map_update_elem(map_fd, &sfd, &si, BPF_NOEXIST)) {
		struct snoop_sock_info had;

		if (errno == ENOMEM)
			return -ENOMEM;
		/*
		 * A record socket-snoop's programs wrote since they were attached
		 * (a busy connection's read or send): its owner is newer and kept,
		 * what only the snapshot knows is added (there at start, which way
		 * it was made), as bpf/snapshot.bpf.h does.  Not atomic: a program
		 * changing the record at this very moment could lose its change.
		 */
		if (bpf_map_lookup_elem(map_fd, &sfd, &had) || (had.flags & SNOOP_SF_SNAPSHOT))
			return 0;
		if (!(had.flags & (SNOOP_SF_ACTIVE | SNOOP_SF_PASSIVE)))
			had.flags |= si.flags & (SNOOP_SF_ACTIVE | SNOOP_SF_PASSIVE);
		had.flags |= SNOOP_SF_SNAPSHOT;
		if (bpf_map_update_elem(map_fd, &sfd, &had, BPF_EXIST))
			return 0;
		si = had;
	}
	e.cookie = f->cookie;
	memcpy(e.saddr, f->saddr, sizeof(e.saddr));
	memcpy(e.daddr, f->daddr, sizeof(e.daddr));
	e.sport = f->sport;
	e.dport = f->dport;
	e.family = f->family;
	e.netns = f->netns;
	e.new_state = f->state;
	e.owner = si.owner;
	e.kind = SNOOP_KIND_STATE;
	e.attribution = SNOOP_ATTR_SNAPSHOT;
	e.flags = si.flags;
	e.ts_ns = now;
	stats->sockets++;
	fn(ctx, &e);
	return 0;
}

/* What snapshot__run() passes down to each process. */
struct scan_ctx {
	const struct filter_config *filter;
	const char *cgroup_root;
	int map_fd;
	uint64_t now;
	snapshot_fn fn;
	void *fn_ctx;
	struct snapshot_stats *stats;
};

/*
 * Descriptors taken and done with, closed together: with 100,000 sockets one close
 * per socket is a tenth of the snapshot's system calls.  Few enough to stay far below
 * any descriptor limit.
 */
struct fd_batch {
	int fd[128];
	unsigned int n;
};

static void fd_batch_flush(struct fd_batch *b)
{
	int lo = INT_MAX, hi = -1;

	for (unsigned int i = 0; i < b->n; i++) {
		lo = b->fd[i] < lo ? b->fd[i] : lo;
		hi = b->fd[i] > hi ? b->fd[i] : hi;
	}
	/* One call when they are all of the range, nothing else of ours in between. */
	if (b->n && (unsigned int)(hi - lo) + 1 == b->n && close_range(lo, hi, 0) == 0) {
		b->n = 0;
		return;
	}
	for (unsigned int i = 0; i < b->n; i++)
		close(b->fd[i]);
	b->n = 0;
}

static void fd_batch_add(struct fd_batch *b, int fd)
{
	if (b->n == sizeof(b->fd) / sizeof(b->fd[0]))
		fd_batch_flush(b);
	b->fd[b->n++] = fd;
}

/* Keep socket @e of descriptor @fd for pass two.  0 or -ENOMEM. */
static int keep_for_pass_two(struct found_list *list, size_t proc, bool *have_proc,
			     const struct found_proc *p, int fd, const struct snoop_event *e)
{
	struct found f = {
		.cookie = e->cookie,
		.netns = e->netns,
		.proc = (uint32_t)proc,
		.fd = fd,
		.sport = e->sport,
		.dport = e->dport,
		.family = e->family,
		.state = e->new_state,
	};
	int err = 0;

	memcpy(f.saddr, e->saddr, sizeof(f.saddr));
	memcpy(f.daddr, e->daddr, sizeof(f.daddr));
	if (!*have_proc) {
		err = found_proc_add(list, p);
		*have_proc = !err;
	}
	if (!err)
		err = found_add(list, &f);
	if (!err && f.state == SNOOP_TCP_LISTEN)
		err = key_add(&list->listeners, listen_key(f.netns, f.sport), 1);
	return err;
}

/* One process's pass one: who it is, what of it is taken, what was found. */
struct proc_scan {
	const struct scan_ctx *c;
	struct found_list *list;
	struct found_proc p;
	size_t proc; /* its index in list->procs once it holds a socket kept for pass two */
	bool have_proc;
	int pidfd;
	struct fd_batch taken;
};

/* What scan_fd() found at a descriptor number. */
enum { FD_TAKEN, FD_NONE, FD_DENIED };

/*
 * Take descriptor @fd of the process (pidfd_getfd) and read its inode (fstat), which
 * tells sockets from other files and cannot be fooled by a descriptor closed and reused
 * meanwhile, as reading its /proc link first could.  A socket the sock_diag table holds
 * is recorded at once: every listener of its namespace is already known.  Any other is
 * described through its descriptor and, if TCP, kept for pass two, when every listener
 * found this way is known too.  FD_* or -ENOMEM/-EMFILE/-ENFILE.
 */
static int scan_fd(struct proc_scan *ps, int fd)
{
	const struct scan_ctx *c = ps->c;
	struct found_list *list = ps->list;
	struct snoop_event e = { 0 };
	struct stat st;
	int64_t at;
	int sfd = (int)syscall(SYS_pidfd_getfd, ps->pidfd, fd, 0);

	if (sfd < 0) {
		if (own_failure(errno))
			return -errno;
		return errno == EBADF ? FD_NONE : FD_DENIED;
	}
	fd_batch_add(&ps->taken, sfd);
	if (fstat(sfd, &st) || !S_ISSOCK(st.st_mode))
		return FD_TAKEN;
	at = key_find(&list->diag_by_ino, st.st_ino);
	if (at >= 0 && at != DIAG_FORGOTTEN) {
		int err = record_one(list, &list->diag[at], &ps->p, sfd, c->map_fd, c->now, c->fn,
				     c->fn_ctx, c->stats);

		return err ? err : FD_TAKEN;
	}
	/* Not in a table: not TCP, in a namespace not dumped, or created since. */
	if (socket_describe(sfd, &e) == 0) {
		int err = keep_for_pass_two(list, ps->proc, &ps->have_proc, &ps->p, fd, &e);

		if (err)
			return err;
	}
	return FD_TAKEN;
}

/*
 * Pass one over process @pid.  Its descriptors are taken by number from 0 while they
 * are dense: listing /proc/PID/fd makes a dentry and an inode per descriptor, a tenth
 * of the snapshot with 100,000 sockets.  stat() of the directory counts them (Linux
 * 6.2+); numbers beyond the first holes, or all of them without a count, come from
 * the listing.  0 or -ENOMEM/-EMFILE/-ENFILE/-ENOTRECOVERABLE.
 */
static int scan_process(int pid, const struct scan_ctx *c, struct found_list *list)
{
	struct proc_scan ps = { .c = c, .list = list, .proc = list->nprocs };
	char path[64];
	struct proc_owner po;
	struct dirent *de;
	struct stat dst;
	long open_fds = 0, seen = 0, probed = 0;
	int err, r = FD_TAKEN;
	bool listing;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir) {
		/* Gone meanwhile is fine; not allowed to look is what the caller must hear. */
		if (errno == EACCES || errno == EPERM)
			c->stats->denied++;
		return own_failure(errno) ? -errno : 0;
	}
	ps.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ps.pidfd < 0 || proc_owner_read(pid, c->cgroup_root, &po)) {
		err = ps.pidfd < 0 && own_failure(errno) ? -errno : 0;
		if (ps.pidfd >= 0)
			close(ps.pidfd);
		closedir(dir);
		return err;
	}
	ps.p.owner = po.owner;
	ps.p.in_cgroup = (uint8_t)in_filter_cgroup(c->filter, &po, c->cgroup_root);
	err = diag_netns(list, pid);
	if (!err && fstat(dirfd(dir), &dst) == 0 && dst.st_size > 0)
		open_fds = (long)dst.st_size;
	/* A few holes are cheaper to try than the listing; more go to the listing. */
	for (; !err && seen < open_fds && probed < open_fds + 32; probed++) {
		r = scan_fd(&ps, (int)probed);
		if (r < 0)
			err = r;
		else if (r == FD_DENIED)
			break;
		else if (r == FD_TAKEN)
			seen++;
	}
	listing = !open_fds || seen < open_fds;
	while (listing && !err && r != FD_DENIED && (de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || de->d_name[0] == '.' || fd < probed)
			continue;
		r = scan_fd(&ps, (int)fd);
		if (r < 0)
			err = r;
	}
	/* The same for every descriptor of this process. */
	if (r == FD_DENIED)
		c->stats->denied++;
	fd_batch_flush(&ps.taken);
	close(ps.pidfd);
	closedir(dir);
	return err;
}

/*
 * Pass two: record the sockets pass one described one by one, through a fresh
 * descriptor: holding them all from pass one could take more descriptors than we may
 * have.  0 or -EMFILE/-ENFILE/-ENOMEM.
 */
static int record_found(const struct found_list *list, const struct scan_ctx *c)
{
	int pidfd = -1, err = 0;
	uint32_t pidfd_of = UINT32_MAX;

	for (size_t i = 0; i < list->n && !err; i++) {
		const struct found *f = &list->v[i];
		const struct found_proc *p = &list->procs[f->proc];
		uint64_t cookie = 0;
		socklen_t olen = sizeof(cookie);
		int sfd;

		if (f->proc != pidfd_of) {
			if (pidfd >= 0)
				close(pidfd);
			pidfd = (int)syscall(SYS_pidfd_open, p->owner.pid, 0);
			if (pidfd < 0 && own_failure(errno))
				err = -errno;
			pidfd_of = f->proc;
		}
		sfd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, f->fd, 0);
		if (sfd < 0) {
			if (pidfd >= 0 && own_failure(errno))
				err = -errno;
			continue;
		}
		/* The descriptor may have been closed and reused since pass one. */
		if (getsockopt(sfd, SOL_SOCKET, SO_COOKIE, &cookie, &olen) == 0 &&
		    cookie == f->cookie)
			err = record_one(list, f, p, sfd, c->map_fd, c->now, c->fn, c->fn_ctx,
					 c->stats);
		close(sfd);
	}
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

/* The iterators' results, for the /proc pass after them. */
struct iter_state {
	struct found_list *list; /* its listeners: for the directions of the /proc pass */
	struct key_table shown;	 /* processes whose sockets are all recorded */
	const struct scan_ctx *c;
};

static void iter_shown(void *ctx, uint32_t pid)
{
	struct iter_state *st = ctx;

	/* Out of memory: /proc reads it again, its sockets are not recorded twice. */
	key_add(&st->shown, pid, 1);
}

/* A socket recorded by the iterators.  0 or -ENOMEM. */
static int iter_socket(void *ctx, const struct snoop_event *e)
{
	struct iter_state *st = ctx;

	if (e->new_state == SNOOP_TCP_LISTEN &&
	    key_add(&st->list->listeners, listen_key(e->netns, e->sport), 1))
		return -ENOMEM;
	st->c->stats->sockets++;
	st->c->fn(st->c->fn_ctx, e);
	return 0;
}

int snapshot__run(const struct snapshot_source *src, const struct filter_config *filter,
		  uint64_t now_mono_ns, snapshot_fn fn, void *ctx, struct snapshot_stats *stats)
{
	char cgroup_root[PATH_MAX] = "";
	struct scan_ctx c = {
		.filter = filter,
		.cgroup_root = cgroup_root,
		.map_fd = src->owner_map_fd,
		.now = now_mono_ns,
		.fn = fn,
		.fn_ctx = ctx,
		.stats = stats,
	};
	struct found_list list = { .own_netns_fd = -1 };
	struct iter_state st = { .list = &list, .c = &c };
	const struct snapshot_iter_cbs cbs = { iter_shown, iter_socket, &st };
	bool shown_only;
	struct dirent *de;
	DIR *proc;
	int err = 0;

	memset(stats, 0, sizeof(*stats));
	stats->iter_err = snapshot_iter__run(src, &cbs);
	if (stats->iter_err == -ENOMEM || stats->iter_err == -ENOTRECOVERABLE) {
		err = stats->iter_err;
		goto out;
	}
	/*
	 * After the iterators, /proc for the processes they were not shown.
	 * Outside the initial PID namespace /proc numbers processes otherwise
	 * than the iterator: it was shown every process of ours, and the
	 * kernel hides none of them (only the host's init, common/hidden.h).
	 */
	shown_only = !stats->iter_err;
	if (shown_only && !target__initial_pid_ns())
		goto out;
	proc = opendir("/proc");
	if (!proc) {
		err = -errno;
		goto out;
	}
	/* Without it no namespace is entered: every socket is described one by one. */
	list.own_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (list.own_netns_fd < 0 && own_failure(errno))
		err = -errno;
	target__cgroup2_mount(cgroup_root, sizeof(cgroup_root));
	while (!err && (de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid() ||
		    (shown_only && key_find(&st.shown, pid) >= 0) || is_kernel_thread((int)pid))
			continue;
		stats->scanned++;
		err = scan_process((int)pid, &c, &list);
	}
	closedir(proc);
	if (list.own_netns_fd >= 0)
		close(list.own_netns_fd);
	if (!err)
		err = record_found(&list, &c);
out:
	key_table_free(&st.shown);
	found_list_free(&list);
	return err;
}
