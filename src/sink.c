// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* sink.c - console and log file outputs (see sink.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

#define SINK_BUF_SIZE (64 * 1024)

struct sink {
	int fd;
	int is_file;
	char *name;
	dev_t dev; /* identity of the open file, to notice it was moved */
	ino_t ino;
	size_t len;
	uint64_t errors;
	uint64_t dropped;
	char buf[SINK_BUF_SIZE];
};

/* Open @path for appending and remember which file it is. */
static int sink_open_file(struct sink *s)
{
	struct stat st;
	int fd = open(s->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

static struct sink *sink_alloc(const char *name)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = -1;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return NULL;
	}
	return s;
}

struct sink *sink__new_fd(int fd, const char *name)
{
	struct sink *s = sink_alloc(name);

	if (s)
		s->fd = fd;
	return s;
}

struct sink *sink__new_file(const char *path)
{
	struct sink *s = sink_alloc(path);
	int err;

	if (!s)
		return NULL;
	s->is_file = 1;
	err = sink_open_file(s);
	if (err) {
		sink__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

int sink__flush(struct sink *s)
{
	size_t off = 0;
	int err = 0;

	while (off < s->len) {
		ssize_t n = write(s->fd, s->buf + off, s->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Disk full, reader gone...: drop this batch, keep running. */
			err = n < 0 ? -errno : -EIO;
			s->errors++;
			s->dropped += s->len - off;
			break;
		}
		off += (size_t)n;
	}
	s->len = 0;
	return err;
}

int sink__write(struct sink *s, const char *buf, size_t len)
{
	int err = 0;

	if (s->len + len > sizeof(s->buf))
		err = sink__flush(s);
	if (len > sizeof(s->buf))
		len = sizeof(s->buf);
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
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
	if (stat(s->name, &st) < 0)
		return 1;
	return st.st_dev != s->dev || st.st_ino != s->ino;
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

void sink__free(struct sink *s)
{
	if (!s)
		return;
	if (s->fd >= 0) {
		sink__flush(s);
		if (s->is_file)
			close(s->fd);
	}
	free(s->name);
	free(s);
}
