/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * safe_path.h - open a path as root without following a link, or taking a
 * file, that another user could have planted: the log file (sink.h) and the
 * --config file are named by the administrator but may lie in directories
 * others can write to.
 */
#ifndef SAFE_PATH_H
#define SAFE_PATH_H

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>

/*
 * Refusals, as negative errnos that open(2) itself does not return for a
 * local path; safe_path__strerror() says why.
 */
#define SAFE_PATH_EUNSAFE_LINK ENOLINK	 /* a symlink another user could have planted */
#define SAFE_PATH_EUNSAFE_FILE ENOTUNIQ	 /* a file another user could have planted */
#define SAFE_PATH_ENOTREG EMEDIUMTYPE	 /* not a regular file (FIFO, device, directory) */
#define SAFE_PATH_EWRITABLE EKEYREJECTED /* a file to read that others may change */

/* As the kernel: more links than this in one path is a loop. */
#define SAFE_PATH_MAX_LINKS 40

/* A directory others may add names to: sticky, or group/world-writable. */
bool safe_path__dir_shared(const struct stat *dir);

/*
 * A link or file @st found in directory @dir may be used: the directory is
 * not shared, or @st is ours or the directory owner's.
 */
bool safe_path__owner_trusted(const struct stat *dir, const struct stat *st);

/*
 * Opens the last component @name of a path in @dirfd, reached safely;
 * @exists when it was there a moment ago (lstat).  A descriptor or a
 * negative errno.
 */
typedef int (*safe_path_last_fn)(int dirfd, const char *name, bool exists);

/*
 * Walk @path one component at a time with openat() and O_NOFOLLOW, so that
 * every symlink is seen and judged (safe_path__owner_trusted) before it is
 * followed, and a component swapped for a link meanwhile fails instead;
 * @last opens the final component.  With @dirfd and @base, also the
 * directory it was found in (O_PATH) and its name there.  A descriptor or a
 * negative errno.
 */
int safe_path__open(const char *path, safe_path_last_fn last, int *dirfd, char **base);

/*
 * Open @path for reading a file that decides what root does (--config): a
 * regular file, owned by root or by us, that neither group nor others may
 * write, in a directory others cannot rename it away in (not
 * group/world-writable unless sticky).  A descriptor or a negative errno.
 */
int safe_path__open_read(const char *path);

/* Why an open failed: strerror(), or the reason of a SAFE_PATH_E* refusal. */
const char *safe_path__strerror(int err);

#endif
