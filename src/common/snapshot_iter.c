// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* snapshot_iter.c - the start-up snapshot by the kernel's iterators (see snapshot_iter.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common/snapshot_iter.h"

/*
 * Room in owner_by_sk for every TCP socket the kernel has allocated (in any
 * namespace: /proc/net/sockstat's "alloc"), with some to spare for sockets
 * opened meanwhile; OWNERS_UNKNOWN without that count.  About 130 bytes of
 * kernel memory each, until the snapshot ends.  Short of room, the owners
 * are found again with room for those that did not fit too.
 */
#define OWNERS_UNKNOWN 16384

static uint64_t owners_room(void)
{
	static const char key[] = "\nTCP: inuse ";
	char buf[1024], *end;
	const char *at;
	unsigned long long alloc;
	ssize_t n;
	int fd = open("/proc/net/sockstat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return OWNERS_UNKNOWN;
	/* A leading newline, so that the first line matches as the others. */
	buf[0] = '\n';
	n = read(fd, buf + 1, sizeof(buf) - 2);
	close(fd);
	if (n <= 0)
		return OWNERS_UNKNOWN;
	buf[n + 1] = '\0';
	at = strstr(buf, key);
	at = at ? strstr(at, " alloc ") : NULL;
	if (!at)
		return OWNERS_UNKNOWN;
	errno = 0;
	alloc = strtoull(at + 7, &end, 10);
	if (errno || end == at + 7 || *end != ' ' || alloc > UINT32_MAX)
		return OWNERS_UNKNOWN;
	return alloc + alloc / 8 + 1024;
}

/* What snapshot_owners said of a process: shown, has sockets in a namespace, or no room. */
struct proc_note {
	uint32_t type; /* enum snoop_snapshot_rec_type */
	uint32_t pid;
	uint32_t netns;
};

struct notes {
	struct proc_note *v;
	size_t n, cap;
};

static int notes_add(struct notes *l, const struct snoop_snapshot_rec *r)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct proc_note *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct proc_note){ r->type, r->event.owner.pid, r->event.netns };
	return 0;
}

/* Namespace first (the netns records of one come together), then type, then process. */
static int note_cmp(const void *a, const void *b)
{
	const struct proc_note *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

typedef int (*take_fn)(void *ctx, const struct snoop_snapshot_rec *r);

/*
 * Read iterator @fd to its end, each whole record to @take.  A read may end
 * inside a record: its rest comes first in the next.  0 or a negative errno
 * (-EPROTO: the output did not end on a record).
 */
static int read_records(int fd, take_fn take, void *ctx)
{
	static uint8_t buf[1024 * sizeof(struct snoop_snapshot_rec)];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		size_t at = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : have ? -EPROTO : 0;
		have += (size_t)n;
		for (; have - at >= sizeof(struct snoop_snapshot_rec);
		     at += sizeof(struct snoop_snapshot_rec)) {
			struct snoop_snapshot_rec r;
			int err;

			memcpy(&r, buf + at, sizeof(r));
			err = take(ctx, &r);
			if (err)
				return err;
		}
		have -= at;
		memmove(buf, buf + at, have);
	}
}

/* Run iterator link @link once (in our current network namespace), its records to @take. */
static int run_iter(int link, take_fn take, void *ctx)
{
	int fd = bpf_iter_create(link), err;

	if (fd < 0)
		return -errno;
	err = read_records(fd, take, ctx);
	close(fd);
	return err;
}

/* An iterator link of program @prog, or a negative errno. */
static int iter_link(int prog)
{
	int link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);

	return link < 0 ? -errno : link;
}

static int take_note(void *ctx, const struct snoop_snapshot_rec *r)
{
	if (r->type != SNOOP_SNAP_PROCESS && r->type != SNOOP_SNAP_NETNS &&
	    r->type != SNOOP_SNAP_NOMEM)
		return -EPROTO;
	return notes_add(ctx, r);
}

/*
 * A working map with room for @room entries, in @src's snapshot_maps.  Its
 * descriptor (closed, and the map taken out, by work_drop()), or a negative errno.
 */
static int work_new(const struct snapshot_source *src, uint64_t room)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	uint32_t zero = 0;
	int fd, err;

	if (room > UINT32_MAX)
		return -E2BIG;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "snapshot_work", sizeof(struct snoop_snapshot_key),
			    sizeof(struct snoop_sock_info), (uint32_t)room, &opts);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(src->maps_fd, &zero, &fd, BPF_ANY)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Take working map @fd out of snapshot_maps: the kernel frees it once closed. */
static void work_drop(const struct snapshot_source *src, int fd)
{
	uint32_t zero = 0;

	bpf_map_delete_elem(src->maps_fd, &zero);
	close(fd);
}

/*
 * Run snapshot_owners into @notes until the working map holds every socket
 * it found (one more time at most, with room for those that did not fit).
 * The working map, or a negative errno.
 */
static int owners_found(const struct snapshot_source *src, struct notes *notes)
{
	uint64_t room = owners_room();

	for (int round = 0;; round++) {
		int work = work_new(src, room), link, err;
		uint64_t nomem = 0;

		if (work < 0)
			return work;
		link = iter_link(src->owners_iter_fd);
		notes->n = 0;
		err = link < 0 ? link : run_iter(link, take_note, notes);
		if (link >= 0)
			close(link);
		for (size_t i = 0; i < notes->n; i++)
			nomem += notes->v[i].type == SNOOP_SNAP_NOMEM;
		if (!err && (!nomem || round > 0))
			return work;
		work_drop(src, work);
		if (err)
			return err;
		room += nomem + nomem / 8 + 1024;
	}
}

/* What snapshot_sockets' records go to. */
struct sockets_ctx {
	const struct snapshot_iter_cbs *cbs;
	int nomem; /* -ENOMEM: a socket's record could not be stored */
};

static int take_socket(void *ctx, const struct snoop_snapshot_rec *r)
{
	struct sockets_ctx *sc = ctx;

	if (r->type == SNOOP_SNAP_NOMEM) {
		sc->nomem = -ENOMEM;
		return 0;
	}
	if (r->type != SNOOP_SNAP_SOCKET)
		return -EPROTO;
	return sc->cbs->socket(sc->cbs->ctx, &r->event);
}

/*
 * Enter network namespace @netns through one of the processes @v[0..n)
 * said to hold sockets there (any may have gone, or its number been taken
 * by another process since).  The namespace's file, or -1.
 */
static int netns_open(uint32_t netns, const struct proc_note *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[64];
		struct stat st;
		int fd;

		snprintf(path, sizeof(path), "/proc/%u/ns/net", v[i].pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_ino == netns)
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * Run snapshot_sockets in namespace @netns (@own: ours, @own_fd to come
 * back).  0 when it ran, 1 when the namespace could not be entered, or a
 * negative errno.
 */
static int sockets_in(int link, uint32_t netns, const struct proc_note *v, size_t n, uint32_t own,
		      int own_fd, struct sockets_ctx *sc)
{
	int nsfd, fd, err;

	if (netns == own)
		return run_iter(link, take_socket, sc);
	nsfd = netns_open(netns, v, n);
	if (nsfd < 0)
		return 1;
	/* The iterator takes the namespace of whoever creates it, once. */
	err = setns(nsfd, CLONE_NEWNET) ? 1 : 0;
	close(nsfd);
	if (err)
		return 1;
	fd = bpf_iter_create(link);
	err = fd < 0 ? -errno : 0;
	if (setns(own_fd, CLONE_NEWNET)) {
		if (fd >= 0)
			close(fd);
		return -ENOTRECOVERABLE;
	}
	if (err)
		return err;
	err = read_records(fd, take_socket, sc);
	close(fd);
	return err;
}

/*
 * Each namespace of the notes: its sockets recorded, or (could not be
 * entered) its processes marked in @unshown.  0 or a negative errno.
 */
static int sockets_found(const struct snapshot_source *src, struct notes *notes, uint8_t *unshown,
			 struct sockets_ctx *sc)
{
	int link = iter_link(src->sockets_iter_fd);
	int own_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), err = 0;
	struct stat st;
	uint32_t own = 0;

	if (link < 0 || own_fd < 0 || fstat(own_fd, &st)) {
		err = link < 0 ? link : -errno;
		goto out;
	}
	own = (uint32_t)st.st_ino;
	for (size_t i = 0, j, k; i < notes->n && err >= 0; i = j) {
		const struct proc_note *v = notes->v;

		for (j = i; j < notes->n && v[j].netns == v[i].netns; j++)
			;
		/* The namespace's netns notes come last in it (note_cmp()); other notes may not. */
		for (k = i; k < j && v[k].type != SNOOP_SNAP_NETNS; k++)
			;
		if (k == j)
			continue;
		err = sockets_in(link, v[k].netns, &v[k], j - k, own, own_fd, sc);
		if (err == 1)
			memset(unshown + k, 1, j - k);
	}
out:
	if (own_fd >= 0)
		close(own_fd);
	if (link >= 0)
		close(link);
	return err < 0 ? err : 0;
}

static int pid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Tell @cbs which processes are done: shown, and neither out of room nor
 * with sockets in a namespace we could not enter (@unshown, by note).
 */
static void say_shown(const struct notes *notes, const uint8_t *unshown,
		      const struct snapshot_iter_cbs *cbs)
{
	uint32_t *skip = calloc(notes->n + 1, sizeof(*skip));
	size_t nskip = 0;

	if (!skip)
		return; /* out of memory: /proc reads them all */
	for (size_t i = 0; i < notes->n; i++)
		if (unshown[i] || notes->v[i].type == SNOOP_SNAP_NOMEM)
			skip[nskip++] = notes->v[i].pid;
	qsort(skip, nskip, sizeof(*skip), pid_cmp);
	for (size_t i = 0; i < notes->n; i++) {
		uint32_t pid = notes->v[i].pid;

		if (notes->v[i].type == SNOOP_SNAP_PROCESS &&
		    !bsearch(&pid, skip, nskip, sizeof(*skip), pid_cmp))
			cbs->shown(cbs->ctx, pid);
	}
	free(skip);
}

int snapshot_iter__run(const struct snapshot_source *src, const struct snapshot_iter_cbs *cbs)
{
	struct sockets_ctx sc = { .cbs = cbs };
	struct notes notes = { 0 };
	uint8_t *unshown = NULL;
	int work, err;

	if (src->owners_iter_fd < 0 || src->sockets_iter_fd < 0 || src->maps_fd < 0)
		return -EOPNOTSUPP;
	work = owners_found(src, &notes);
	if (work < 0) {
		err = work;
		goto out;
	}
	qsort(notes.v, notes.n, sizeof(*notes.v), note_cmp);
	unshown = calloc(notes.n + 1, 1);
	err = unshown ? sockets_found(src, &notes, unshown, &sc) : -ENOMEM;
	if (!err)
		say_shown(&notes, unshown, cbs);
	work_drop(src, work);
out:
	free(unshown);
	free(notes.v);
	return err ? err : sc.nomem;
}
