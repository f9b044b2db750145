// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgroups.c - cgroup ids to units, containers and pods; --unit, --container (see cgroups.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cgroups.h"

/* The most directories one walk reads: a runaway tree costs bounded time. */
#define CGROUPS_MAX_WALK 100000

/* One directory of the walk, as its callback sees it. */
struct walk_dir {
	uint64_t id;		 /* its inode number: the cgroup id */
	const char *path;	 /* from the root: "/system.slice/nginx.service" */
	const char *name;	 /* its own name */
	const char *parent_name; /* "" below the root */
	size_t depth;		 /* names in path */
	size_t trusted;		 /* the leading names of path root made */
};

/* 0: go on (and into it), 1: stop the walk, or a negative errno (stops). */
typedef int (*walk_fn)(void *ctx, const struct walk_dir *d);

struct walker {
	walk_fn fn;
	void *ctx;
	size_t visited;
	size_t len; /* of path */
	char path[PATH_MAX];
};

/*
 * The directories under @fd (consumed), @depth names below the root.
 * @all_root: every directory from the root to this one belongs to root, so
 * only root could have named its children.
 */
static int walk_at(struct walker *w, int fd, const char *dir_name, size_t depth, size_t trusted,
		   bool all_root)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (!rc && (de = readdir(d))) {
		size_t n = strlen(de->d_name), len = w->len;
		struct walk_dir wd;
		struct stat st;
		int child;

		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->visited > CGROUPS_MAX_WALK)
			break;
		if (len + 1 + n >= sizeof(w->path))
			continue;
		child = openat(dirfd(d), de->d_name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0)
			continue; /* removed meanwhile */
		if (fstat(child, &st) < 0) {
			close(child);
			continue;
		}
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, n + 1);
		w->len = len + 1 + n;
		wd = (struct walk_dir){
			.id = st.st_ino,
			.path = w->path,
			.name = de->d_name,
			.parent_name = dir_name,
			.depth = depth + 1,
			.trusted = all_root ? depth + 1 : trusted,
		};
		rc = w->fn(w->ctx, &wd);
		if (!rc && depth + 1 < CGROUPS_MAX_DEPTH)
			rc = walk_at(w, child, de->d_name, depth + 1, wd.trusted,
				     all_root && st.st_uid == 0);
		else
			close(child);
		w->len = len;
		w->path[len] = '\0';
	}
	closedir(d);
	return rc;
}

/* Call @fn on every directory under @root (not the root itself). */
static int walk(const char *root, walk_fn fn, void *ctx)
{
	struct walker *w = calloc(1, sizeof(*w));
	struct stat st;
	int fd, rc;

	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->ctx = ctx;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		free(w);
		return rc;
	}
	rc = walk_at(w, fd, "", 0, 0, st.st_uid == 0);
	free(w);
	return rc < 0 ? rc : 0;
}

struct cgroup_slot {
	struct cgroup_info info; /* info.id 0: empty */
	bool gone;		 /* no directory had this id */
};

struct cgroup_cache {
	uint64_t last_walk_ns;
	uint64_t credit_ns; /* the walks' budget: CGROUPS_WALK_GAP_NS a walk */
	uint32_t used;
	uint32_t gen;
	uint64_t want; /* the id the walk looks for */
	bool found;
	char root[PATH_MAX];
	struct cgroup_slot slots[CGROUPS_SLOTS];
};

int cgroup_cache__new(struct cgroup_cache **out, const char *root)
{
	struct cgroup_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	snprintf(c->root, sizeof(c->root), "%s", root);
	c->credit_ns = CGROUPS_WALK_BURST * CGROUPS_WALK_GAP_NS;
	*out = c;
	return 0;
}

void cgroup_cache__free(struct cgroup_cache *c)
{
	free(c);
}

/* Cgroup ids are counters: their low bits spread well enough once mixed. */
static size_t slot_of(uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 40) & (CGROUPS_SLOTS - 1);
}

/* @id's slot, or the empty one where it would go. */
static struct cgroup_slot *slot_find(struct cgroup_cache *c, uint64_t id)
{
	size_t i = slot_of(id);

	/* Never full (slot_claim() empties the table first), so an empty slot ends the probe. */
	while (c->slots[i].info.id && c->slots[i].info.id != id)
		i = (i + 1) & (CGROUPS_SLOTS - 1);
	return &c->slots[i];
}

/*
 * A slot for @id.  Past three quarters full only the id asked for gets one,
 * after the table is emptied: lookups stay short, memory stays bounded.
 */
static struct cgroup_slot *slot_claim(struct cgroup_cache *c, uint64_t id, bool must)
{
	struct cgroup_slot *s = slot_find(c, id);

	if (s->info.id)
		return s;
	if (c->used >= CGROUPS_SLOTS / 4 * 3) {
		if (!must)
			return NULL;
		memset(c->slots, 0, sizeof(c->slots));
		c->used = 0;
		s = slot_find(c, id);
	}
	c->used++;
	s->info.id = id;
	return s;
}

static int cache_walk_one(void *ctx, const struct walk_dir *d)
{
	struct cgroup_cache *c = ctx;
	bool wanted = d->id == c->want;
	struct cgroup_slot *s = slot_claim(c, d->id, wanted);

	if (wanted)
		c->found = true;
	if (!s)
		return 0;
	s->gone = false;
	s->info.gen = ++c->gen;
	cgroup_name_parse(d->path, d->trusted, &s->info.name);
	return 0;
}

const struct cgroup_info *cgroup_cache__get(struct cgroup_cache *c, uint64_t id, uint64_t now_ns)
{
	struct cgroup_slot *s;

	if (!id)
		return NULL;
	s = slot_find(c, id);
	if (s->info.id)
		return s->gone ? NULL : &s->info;
	/*
	 * A walk costs time in proportion to the tree, and whoever may create
	 * cgroups (a delegated user) can make ids new to us: a budget bounds
	 * the walks whatever they do.  A clock that went back refills nothing.
	 */
	if (now_ns > c->last_walk_ns)
		c->credit_ns += now_ns - c->last_walk_ns;
	if (c->credit_ns > CGROUPS_WALK_BURST * CGROUPS_WALK_GAP_NS)
		c->credit_ns = CGROUPS_WALK_BURST * CGROUPS_WALK_GAP_NS;
	c->last_walk_ns = now_ns;
	if (c->credit_ns < CGROUPS_WALK_GAP_NS)
		return NULL;
	c->credit_ns -= CGROUPS_WALK_GAP_NS;
	c->want = id;
	c->found = false;
	if (walk(c->root, cache_walk_one, c) < 0)
		return NULL;
	s = slot_claim(c, id, true);
	if (!c->found) {
		/* Gone for good: a cgroup id is never given again. */
		memset(&s->info.name, 0, sizeof(s->info.name));
		s->gone = true;
		return NULL;
	}
	return &s->info;
}

/* A search's match: the directory @d under @root, absolute, into @path.  0 or -ENAMETOOLONG. */
static int found_at(char *path, size_t size, const char *root, const struct walk_dir *d)
{
	return snprintf(path, size, "%s%s", root, d->path) >= (int)size ? -ENAMETOOLONG : 0;
}

struct find_unit {
	const char *root;
	const char *unit;
	char *path;
	size_t size;
	int rc; /* -ENOENT until found */
};

static int find_unit_one(void *ctx, const struct walk_dir *d)
{
	struct find_unit *f = ctx;

	if (d->trusted < d->depth || strcmp(d->name, f->unit) != 0)
		return 0;
	if (f->rc != -ENOENT) {
		f->rc = -EEXIST;
		return 1;
	}
	f->rc = found_at(f->path, f->size, f->root, d);
	return 0;
}

int cgroups__find_unit(const char *root, const char *unit, char *path, size_t size)
{
	struct find_unit f = { root, unit, path, size, -ENOENT };
	int rc = walk(root, find_unit_one, &f);

	return rc ? rc : f.rc;
}

struct find_container {
	const char *root;
	const char *prefix;
	size_t prefix_len;
	char *path;
	size_t size;
	char *full;
	int rc;
};

static int find_container_one(void *ctx, const struct walk_dir *d)
{
	struct find_container *f = ctx;
	char id[CGROUP_CONTAINER_ID_SIZE];
	enum cgroup_runtime rt;

	if (d->trusted < d->depth || !cgroup_container_of(d->name, d->parent_name, id, &rt) ||
	    strncmp(id, f->prefix, f->prefix_len) != 0)
		return 0;
	if (f->rc != -ENOENT) {
		f->rc = -EEXIST;
		return 1;
	}
	memcpy(f->full, id, sizeof(id));
	f->rc = found_at(f->path, f->size, f->root, d);
	/* A container's own sub-cgroups are its, not other containers. */
	return 0;
}

int cgroups__find_container(const char *root, const char *id, char *path, size_t size,
			    char full[CGROUP_CONTAINER_ID_SIZE])
{
	struct find_container f = { root, id, strlen(id), path, size, full, -ENOENT };
	int rc = walk(root, find_container_one, &f);

	return rc ? rc : f.rc;
}
