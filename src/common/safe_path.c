// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* safe_path.c - open a path without following what another user planted (see safe_path.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/safe_path.h"

/*
 * Root appending to a path in a directory others can write to must not be
 * turned against a file of its choosing.  fs.protected_symlinks and
 * fs.protected_regular may be off, so their rules are applied here: a
 * directory is shared when it is sticky or group/world-writable; a symlink
 * in it is followed only when owned by us or by the directory's owner; an
 * existing file in it is used only when owned by us or by the directory's
 * owner and not hard-linked elsewhere.
 */
bool safe_path__dir_shared(const struct stat *dir)
{
	return (dir->st_mode & S_ISVTX) || (dir->st_mode & (S_IWGRP | S_IWOTH));
}

bool safe_path__owner_trusted(const struct stat *dir, const struct stat *st)
{
	return !safe_path__dir_shared(dir) || st->st_uid == geteuid() || st->st_uid == dir->st_uid;
}

/* Where the walk of a log path stands: the directory reached and what is left. */
struct path_walk {
	char *walk; /* the path still to walk, owned */
	char *pos;  /* the next component in it */
	int dirfd;  /* the directory reached, O_PATH */
	int links;  /* symbolic links followed so far */
};

/* The next component of the walk, cut out of the path; -EISDIR when the path names a directory. */
static int walk_next(struct path_walk *w, char **comp, bool *last)
{
	char *slash;

	while (*w->pos == '/')
		w->pos++;
	if (!*w->pos)
		return -EISDIR;
	*comp = w->pos;
	slash = strchr(w->pos, '/');
	*last = !slash || !slash[strspn(slash, "/")];
	if (slash && *last)
		return -EISDIR; /* "dir/" */
	if (slash) {
		*slash = '\0';
		w->pos = slash + 1;
	} else {
		w->pos += strlen(w->pos);
	}
	return 0;
}

/* Make @fd (or a fresh "/" when @fd is -1) the directory reached. */
static int walk_set_dir(struct path_walk *w, int fd)
{
	if (fd < 0)
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = fd;
	return 0;
}

/* Step into directory @comp, never through a symbolic link. */
static int walk_enter(struct path_walk *w, const char *comp)
{
	int fd = openat(w->dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : walk_set_dir(w, fd);
}

/*
 * Follow symbolic link @comp (@st its lstat) if its owner may be trusted in
 * this directory: its target goes in front of what is left of the path.
 */
static int walk_follow(struct path_walk *w, const char *comp, const struct stat *st)
{
	char target[PATH_MAX], *next;
	struct stat dir;
	size_t rlen;
	ssize_t n;

	if (fstat(w->dirfd, &dir) < 0)
		return -errno;
	if (!safe_path__owner_trusted(&dir, st))
		return -SAFE_PATH_EUNSAFE_LINK;
	if (++w->links > SAFE_PATH_MAX_LINKS)
		return -ELOOP;
	n = readlinkat(w->dirfd, comp, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	rlen = strlen(w->pos);
	next = malloc((size_t)n + 1 + rlen + 1);
	if (!next)
		return -ENOMEM;
	memcpy(next, target, (size_t)n);
	next[n] = rlen ? '/' : '\0';
	memcpy(next + n + 1, w->pos, rlen + 1);
	free(w->walk);
	w->walk = w->pos = next;
	return *target == '/' ? walk_set_dir(w, -1) : 0;
}

int safe_path__open(const char *path, safe_path_last_fn last_fn, int *dirfd, char **base)
{
	struct path_walk w = { .dirfd = -1 };
	const char *name = NULL; /* the last component, once reached */
	int ret;

	if (!*path)
		return -ENOENT;
	w.walk = w.pos = strdup(path);
	if (!w.walk)
		return -ENOMEM;
	w.dirfd = open(*path == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ret = w.dirfd < 0 ? -errno : 0;
	while (ret >= 0) {
		struct stat st;
		char *comp;
		bool last;

		ret = walk_next(&w, &comp, &last);
		if (ret < 0)
			break;
		if (fstatat(w.dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			/* A missing last component is the file to create. */
			ret = last && errno == ENOENT ? last_fn(w.dirfd, comp, false) : -errno;
			name = comp;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			ret = walk_follow(&w, comp, &st);
		} else if (last) {
			ret = last_fn(w.dirfd, comp, true);
			name = comp;
			break;
		} else {
			ret = walk_enter(&w, comp);
		}
	}
	if (ret >= 0 && dirfd) {
		*base = name ? strdup(name) : NULL;
		if (!*base) {
			close(ret);
			ret = -ENOMEM;
		} else {
			*dirfd = w.dirfd;
			w.dirfd = -1;
		}
	}
	if (w.dirfd >= 0)
		close(w.dirfd);
	free(w.walk);
	return ret;
}

/* The final component of a --config path: see safe_path__open_read(). */
static int open_read_last(int dirfd, const char *name, bool exists)
{
	struct stat dir, st;
	int fd;

	if (!exists)
		return -ENOENT;
	if (fstat(dirfd, &dir) < 0)
		return -errno;
	/* O_NONBLOCK: a FIFO must not hang open(); refused below. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Judge what was opened, not what was looked at. */
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -SAFE_PATH_ENOTREG;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    ((dir.st_mode & (S_IWGRP | S_IWOTH)) && !(dir.st_mode & S_ISVTX))) {
		close(fd);
		return -SAFE_PATH_EWRITABLE;
	}
	return fd;
}

int safe_path__open_read(const char *path)
{
	return safe_path__open(path, open_read_last, NULL, NULL);
}

const char *safe_path__strerror(int err)
{
	switch (-err) {
	case SAFE_PATH_EUNSAFE_LINK:
		return "refusing to follow a symbolic link that another user could have planted "
		       "(in a sticky or group/world-writable directory, owned neither by that "
		       "directory's owner nor by us)";
	case SAFE_PATH_EUNSAFE_FILE:
		return "refusing a file that another user could have planted (in a sticky or "
		       "group/world-writable directory, owned neither by that directory's owner "
		       "nor by us, or hard-linked)";
	case SAFE_PATH_ENOTREG:
		return "not a regular file";
	case SAFE_PATH_EWRITABLE:
		return "refusing a file that another user could change (it must be owned by root, "
		       "or by us, and writable by neither group nor others, in a directory "
		       "that is not group/world-writable unless sticky)";
	default:
		return strerror(-err);
	}
}
