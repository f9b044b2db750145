// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * sink.c - console and log file outputs (see sink.h).
 *
 * Each sink has a bounded queue.  A batch of lines is written with one
 * write(); what a slow reader does not take stays queued (the next batch or
 * tick retries) and the lines that do not fit in the queue are dropped and
 * counted: the ring reader and the other sink never wait for one reader.
 * A failed write (disk full, reader gone) drops the queued lines, counted,
 * and cuts a line that was only partly written to a regular file, so the
 * file holds whole lines only and the next write starts a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/safe_path.h"
#include "common/sink.h"
#include "common/writeback.h"
#include "lib/clock.h"

/*
 * A batch this large is written at once, not held until the end of the batch.
 * A file's page cache takes large writes at less cost per byte (fewer, larger
 * folios): appending in writes of 256 KiB took about a third less kernel time
 * than in writes of 64 KiB (ext4, Linux 6.18); 512 KiB and 1 MiB gained no more.
 */
#define SINK_FLUSH_AT (256 * 1024)
/* A terminal is written this much per poll: a blocking write() waits for all of it. */
#define SINK_TTY_CHUNK 4096
/* The pipe size asked for a console that is a pipe: fs.pipe-max-size's default. */
#define SINK_PIPE_SIZE (1024 * 1024)

struct sink {
	int fd;
	bool is_file; /* ours, reopened at its path */
	bool is_reg;  /* a regular file: a cut line can be truncated away */
	bool is_append;
	bool own_fd;	 /* a private reopened copy of the console: closed at free */
	bool use_send;	 /* a socket: send(MSG_DONTWAIT), its flags untouched */
	bool use_poll;	 /* blocking descriptor we may not change: poll before writing */
	bool stalled;	 /* the reader did not take everything: wait for the next flush */
	int saved_flags; /* the console's file status flags, restored at free; -1: untouched */
	char *name;
	dev_t dev; /* identity of the open file, to notice it was moved */
	ino_t ino;
	/* Rotation (sink__set_rotation): the file's directory and name in it, as opened. */
	int dirfd;	      /* O_PATH, or -1 */
	char *base;	      /* the last component of the path walked */
	uint64_t size;	      /* bytes in the file, as we wrote them */
	struct writeback *wb; /* a log file's page cache kept small; NULL: not ours, or none */
	uint64_t max_size;    /* 0: never rotated */
	unsigned int max_files;
	int rotate_err;	 /* a rotation failure not yet taken (sink__rotate_error()) */
	int rotate_last; /* the last rotation's result: a new failure is said once */
	char *buf;	 /* SINK_QUEUE_MAX bytes: the queue is buf[head, head + len) */
	size_t head;
	size_t len;
	size_t partial; /* bytes of an unfinished line already written */
	uint64_t errors;
	uint64_t dropped;
	uint64_t dropped_lines;
};

/* Lines in @buf: its newlines, and an unterminated tail. */
static uint64_t count_lines(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	uint64_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n + (len && buf[len - 1] != '\n');
}

/* ---- opening the log file safely ------------------------------------------------------- */

/* Open the final component @name in @dirfd for appending: a regular file, never blocking. */
static int open_last(int dirfd, const char *name, bool exists)
{
	/* O_NONBLOCK: a FIFO must not hang open(); ignored by regular files. */
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat dir, st;
	int fd;

	(void)exists; /* looked at again below: it may come or go meanwhile */
	if (fstat(dirfd, &dir) < 0)
		return -errno;
	for (int tries = 0; tries < 3; tries++) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return -errno;
			fd = openat(dirfd, name, flags | O_CREAT | O_EXCL, 0640);
			if (fd >= 0 || errno != EEXIST)
				return fd >= 0 ? fd : -errno;
			continue; /* created meanwhile by someone: look at it again */
		}
		/* Refused before open(): opening a device may have effects of its own. */
		if (!S_ISREG(st.st_mode))
			return -SAFE_PATH_ENOTREG;
		fd = openat(dirfd, name, flags);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		/* Judge what was opened, not what was looked at. */
		if (fstat(fd, &st) < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (!S_ISREG(st.st_mode) || !safe_path__owner_trusted(&dir, &st) ||
		    (safe_path__dir_shared(&dir) && st.st_nlink > 1)) {
			close(fd);
			return S_ISREG(st.st_mode) ? -SAFE_PATH_EUNSAFE_FILE : -SAFE_PATH_ENOTREG;
		}
		/* A regular file now: ordinary blocking writes, as any log file. */
		fcntl(fd, F_SETFL, O_APPEND);
		return fd;
	}
	return -EAGAIN;
}

/* Open @path for appending and remember which file it is; the old file is kept on failure. */
static int sink_open_file(struct sink *s)
{
	struct stat st;
	char *base = NULL;
	int dirfd = -1;
	int fd = safe_path__open(s->name, open_last, &dirfd, &base);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		close(dirfd);
		free(base);
		return err;
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->base);
	s->fd = fd;
	s->dirfd = dirfd;
	s->base = base;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = (uint64_t)st.st_size;
	s->partial = 0;
	writeback__file(s->wb, fd, s->size);
	return 0;
}

const char *sink__strerror(int err)
{
	return safe_path__strerror(err);
}

/* ---- the queue ------------------------------------------------------------------------- */

static struct sink *sink_alloc(const char *name)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = -1;
	s->dirfd = -1;
	s->saved_flags = -1;
	s->name = strdup(name);
	/* Pages are touched only as the queue grows: a fast reader costs SINK_FLUSH_AT. */
	s->buf = malloc(SINK_QUEUE_MAX);
	if (!s->name || !s->buf) {
		free(s->name);
		free(s->buf);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

struct sink *sink__new_fd(int fd, const char *name)
{
	struct sink *s = sink_alloc(name);
	struct stat st;
	int flags;

	if (!s)
		return NULL;
	s->fd = fd;
	flags = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) < 0 || flags < 0) {
		s->use_poll = true; /* unknown: poll, the safe choice */
		return s;
	}
	s->is_reg = S_ISREG(st.st_mode);
	s->is_append = flags & O_APPEND;
	/*
	 * The console's open file description is shared: with stderr after
	 * 2>&1, with the shell, with the next command of a pipeline.
	 * O_NONBLOCK set on it would make their writes and reads fail with
	 * EAGAIN, so it is left alone whenever possible.
	 */
	if (S_ISSOCK(st.st_mode)) {
		s->use_send = !(flags & O_NONBLOCK);
	} else if (S_ISFIFO(st.st_mode)) {
		/*
		 * A larger pipe rides out a reader that is busy for a moment (a
		 * container runtime's log reader): 64 KiB is 6 ms of a storm's lines.
		 * Up to fs.pipe-max-size (1 MiB by default); refused beyond it.
		 */
		fcntl(fd, F_SETPIPE_SZ, SINK_PIPE_SIZE);
		/* Reopening a pipe through /proc gives a description of our own. */
		char proc[32];
		struct stat pst;
		int pfd;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		pfd = open(proc, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (pfd >= 0 && fstat(pfd, &pst) == 0 && pst.st_dev == st.st_dev &&
		    pst.st_ino == st.st_ino) {
			s->fd = pfd;
			s->own_fd = true;
		} else {
			if (pfd >= 0)
				close(pfd);
			/* No /proc: the shared one then, restored at free. */
			if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0)
				s->saved_flags = flags;
		}
	} else if (!s->is_reg && !S_ISBLK(st.st_mode)) {
		/*
		 * A terminal's description is shared with the shell reading the
		 * same terminal: O_NONBLOCK there would make the shell's reads
		 * fail.  Poll it instead and write small chunks.
		 */
		s->use_poll = !(flags & O_NONBLOCK);
	}
	return s;
}

struct sink *sink__new_file(const char *path)
{
	struct sink *s = sink_alloc(path);
	int err;

	if (!s)
		return NULL;
	s->is_file = s->is_reg = s->is_append = true;
	/* Without it (no memory) the file's page cache grows as any file's does. */
	s->wb = writeback__new();
	err = sink_open_file(s);
	if (err) {
		sink__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

/* Drop everything queued, counted. */
static void drop_queue(struct sink *s)
{
	s->dropped += s->len;
	s->dropped_lines += count_lines(s->buf + s->head, s->len);
	s->head = s->len = 0;
	s->stalled = false;
}

/*
 * A write failed for good: drop the queued lines and cut the part of a line
 * already written to a regular file, so that the file ends with a whole line.
 */
static int write_failed(struct sink *s, int err)
{
	struct stat st;

	s->errors++;
	if (s->partial && s->is_reg && fstat(s->fd, &st) == 0 &&
	    (uint64_t)st.st_size >= s->partial) {
		off_t keep = st.st_size - (off_t)s->partial;

		/* Without O_APPEND the offset must come back too, or the next write leaves a hole. */
		if (ftruncate(s->fd, keep) == 0 &&
		    (s->is_append || lseek(s->fd, keep, SEEK_SET) >= 0)) {
			s->dropped += s->partial;
			s->partial = 0;
			s->size = (uint64_t)keep;
		}
	}
	drop_queue(s);
	return err;
}

/* Whether a polled descriptor can take bytes now (errors are left to write() to report). */
static bool writable(const struct sink *s, int timeout_ms)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };

	return poll(&p, 1, timeout_ms) != 0; /* -1: let write() tell */
}

/* "NAME.I" of the rotated file @i into @buf. */
static void rotated_name(const struct sink *s, unsigned int i, char *buf, size_t size)
{
	if (i)
		snprintf(buf, size, "%s.%u", s->base, i);
	else
		snprintf(buf, size, "%s", s->base);
}

/*
 * Rotate the log file: NAME.(N-1) to NAME.N (the oldest is replaced), ...,
 * NAME to NAME.1, then a new NAME.  The new file is made first, under a
 * hidden name: when it cannot be (no descriptor, no space, no right),
 * nothing is renamed and the current file is written on, so a rotation that
 * keeps failing cannot push the kept files out one after the other.  All
 * in the directory the file was opened in, never following a link: in a
 * shared directory, a name another user planted is not ours to replace
 * (sticky) and the rotation fails.  0 or a negative errno.
 */
static int rotate(struct sink *s)
{
	char from[NAME_MAX + 16], to[NAME_MAX + 16], fresh[NAME_MAX + 16];
	const int flags = O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd, err = 0;

	snprintf(fresh, sizeof(fresh), ".%s.new", s->base);
	fd = openat(s->dirfd, fresh, flags, 0640);
	/* Left by a rotation that did not finish: ours to replace, unless planted (sticky). */
	if (fd < 0 && errno == EEXIST && unlinkat(s->dirfd, fresh, 0) == 0)
		fd = openat(s->dirfd, fresh, flags, 0640);
	if (fd < 0)
		return -errno;
	for (unsigned int i = s->max_files; i > 0 && !err; i--) {
		rotated_name(s, i - 1, from, sizeof(from));
		rotated_name(s, i, to, sizeof(to));
		if (renameat(s->dirfd, from, s->dirfd, to) < 0 && (errno != ENOENT || i == 1))
			err = -errno;
	}
	rotated_name(s, 0, to, sizeof(to));
	if (!err && renameat(s->dirfd, fresh, s->dirfd, to) < 0)
		err = -errno;
	if (!err && fstat(fd, &st) < 0)
		err = -errno;
	if (err) {
		unlinkat(s->dirfd, fresh, 0);
		close(fd);
		return err;
	}
	close(s->fd);
	s->fd = fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = 0;
	s->partial = 0;
	writeback__file(s->wb, fd, 0);
	return 0;
}

/*
 * How much of the @len bytes at @p may be written before the file must be
 * rotated: whole lines up to --log-max-size, or all of them when no
 * rotation is due.  0: rotate first.  A line longer than the limit goes
 * alone into a file of its own; a line begun is finished first.
 */
static size_t fits_before_rotation(const struct sink *s, const char *p, size_t len)
{
	uint64_t room = s->size < s->max_size ? s->max_size - s->size : 0;
	const char *nl;

	if (!s->max_size || s->partial || len <= room)
		return len;
	nl = room ? memrchr(p, '\n', (size_t)room) : NULL;
	if (nl)
		return (size_t)(nl - p) + 1;
	if (s->size)
		return 0;
	nl = memchr(p, '\n', len);
	return nl ? (size_t)(nl - p) + 1 : len;
}

int sink__flush(struct sink *s)
{
	s->stalled = false;
	while (s->len) {
		size_t chunk = fits_before_rotation(s, s->buf + s->head, s->len);
		const char *p = s->buf + s->head, *nl;
		ssize_t n;

		if (!chunk) {
			int err = rotate(s);

			if (!err) {
				s->rotate_last = 0;
				continue;
			}
			/*
			 * Said by the face (sink__rotate_error()) once, not at every
			 * batch; tried again at the next: a failed try renamed
			 * nothing (rotate()).
			 */
			if (err != s->rotate_last)
				s->rotate_err = err;
			s->rotate_last = err;
			chunk = s->len;
		}

		if (s->use_poll) {
			if (!writable(s, 0)) {
				s->stalled = true;
				return 0;
			}
			if (chunk > SINK_TTY_CHUNK)
				chunk = SINK_TTY_CHUNK;
		}
		if (s->use_send)
			n = send(s->fd, p, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(s->fd, p, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			s->stalled = true; /* slow reader: the rest waits in the queue */
			return 0;
		}
		if (n <= 0)
			return write_failed(s, n < 0 ? -errno : -EIO);
		/* Track the unfinished line written, to cut it if the rest cannot follow. */
		nl = memrchr(p, '\n', (size_t)n);
		s->partial = nl ? (size_t)(p + n - nl - 1) : s->partial + (size_t)n;
		s->size += (size_t)n;
		writeback__wrote(s->wb, s->size);
		s->head += (size_t)n;
		s->len -= (size_t)n;
	}
	s->head = 0;
	return 0;
}

/*
 * Make room for @len more bytes at the end of the queue, flushing first when
 * the batch grows large.  The room, or NULL when the queue cannot take them;
 * *@err is the result of the flush.
 */
static char *queue_room(struct sink *s, size_t len, int *err)
{
	*err = 0;
	/* A stalled sink is retried by the next flush, not once per line. */
	if (!s->stalled && s->len + len > SINK_FLUSH_AT)
		*err = sink__flush(s);
	if (s->len + len > SINK_QUEUE_MAX)
		return NULL;
	if (s->head + s->len + len > SINK_QUEUE_MAX) {
		memmove(s->buf, s->buf + s->head, s->len);
		s->head = 0;
	}
	return s->buf + s->head + s->len;
}

int sink__write(struct sink *s, const char *buf, size_t len)
{
	int err;
	char *room = queue_room(s, len, &err);

	if (!room) {
		s->dropped += len;
		s->dropped_lines += count_lines(buf, len);
		return err ? err : -ENOBUFS;
	}
	memcpy(room, buf, len);
	s->len += len;
	return err;
}

char *sink__reserve(struct sink *s, size_t max)
{
	int err;

	/* A failed flush is counted in the sink and said by the face at the next flush. */
	return queue_room(s, max, &err);
}

void sink__commit(struct sink *s, size_t len)
{
	s->len += len;
}

int sink__drain(struct sink *s, int timeout_ms)
{
	int64_t deadline = (int64_t)(clock__mono_ns() / 1000000) + timeout_ms;
	int err = sink__flush(s);

	while (!err && s->len) {
		int64_t left = deadline - (int64_t)(clock__mono_ns() / 1000000);
		struct pollfd p = { .fd = s->fd, .events = POLLOUT };

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		err = sink__flush(s);
	}
	if (s->len)
		drop_queue(s);
	return err;
}

int sink__reopen(struct sink *s)
{
	int err = sink__flush(s);
	int oerr;

	if (!s->is_file)
		return err;
	oerr = sink_open_file(s);
	return oerr ? oerr : err;
}

int sink__file_moved(struct sink *s)
{
	struct stat st;

	if (!s->is_file)
		return 0;
	/* A link put in the file's place leads elsewhere: moved, and judged at the reopen. */
	if (stat(s->name, &st) < 0)
		return 1;
	return st.st_dev != s->dev || st.st_ino != s->ino;
}

void sink__set_rotation(struct sink *s, uint64_t max_size, unsigned int max_files)
{
	if (!s->is_file)
		return;
	s->max_size = max_size;
	s->max_files = max_files;
}

int sink__touch(struct sink *s)
{
	if (!s->is_file)
		return -EINVAL;
	return futimens(s->fd, NULL) ? -errno : 0;
}

int sink__rotate_error(struct sink *s)
{
	int err = s->rotate_err;

	s->rotate_err = 0;
	return err;
}

const char *sink__name(const struct sink *s)
{
	return s->name;
}

uint64_t sink__errors(const struct sink *s)
{
	return s->errors;
}

uint64_t sink__dropped_bytes(const struct sink *s)
{
	return s->dropped;
}

uint64_t sink__dropped_lines(const struct sink *s)
{
	return s->dropped_lines;
}

size_t sink__queued(const struct sink *s)
{
	return s->len;
}

void sink__free(struct sink *s)
{
	if (!s)
		return;
	if (s->fd >= 0) {
		sink__drain(s, 0);
		if (s->saved_flags >= 0)
			fcntl(s->fd, F_SETFL, s->saved_flags);
		if (s->is_file || s->own_fd)
			close(s->fd);
	}
	writeback__free(s->wb);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->base);
	free(s->buf);
	free(s->name);
	free(s);
}
