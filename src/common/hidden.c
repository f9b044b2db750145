// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* hidden.c - perf counters of the transitions made while PID 1 runs (see hidden.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common/hidden.h"
#include "common/target.h"
#include "common/tracefs.h"
#include "lib/parse.h"

#define TP_EVENT "sock/inet_sock_set_state"
/* The tracepoint's own protocol field: what our programs' is_tcp() passes. */
#define TP_FILTER "protocol == 6"
/* Enough for any init; its threads beyond that go uncounted. */
#define MAX_THREADS 256

struct hidden {
	int n;
	int fds[MAX_THREADS];
};

/* A counting (never sampling) perf event of tracepoint @id on thread @tid. */
static int open_counter(long id, int tid)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (uint64_t)id,
		.inherit = 1,
		.exclude_guest = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, TP_FILTER) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int hidden__new(struct hidden **out)
{
	struct hidden *h;
	struct dirent *de;
	long id = tracefs__event_id(TP_EVENT);
	int err = 0;
	DIR *dir;

	*out = NULL;
	/*
	 * The kernel means the host's init (a global thread group id); in a
	 * PID namespace of our own, /proc/1 is another process, and counting
	 * its transitions would report ones our programs did see.
	 */
	if (!target__initial_pid_ns())
		return -EOPNOTSUPP;
	if (id < 0)
		return (int)id;
	dir = opendir("/proc/1/task");
	if (!dir)
		return -errno;
	h = calloc(1, sizeof(*h));
	if (!h) {
		closedir(dir);
		return -ENOMEM;
	}
	while ((de = readdir(dir)) && h->n < MAX_THREADS) {
		uint64_t tid;
		int fd;

		if (parse_u64(de->d_name, PID_MAX_LIMIT, &tid) || !tid)
			continue; /* "." and ".." */
		fd = open_counter(id, (int)tid);
		if (fd == -ESRCH) /* the thread ended meanwhile */
			continue;
		if (fd < 0) {
			err = fd;
			break;
		}
		h->fds[h->n++] = fd;
	}
	closedir(dir);
	if (!err && !h->n)
		err = -ESRCH;
	if (err) {
		hidden__free(h);
		return err;
	}
	*out = h;
	return 0;
}

uint64_t hidden__made(const struct hidden *h)
{
	uint64_t sum = 0;

	for (int i = 0; h && i < h->n; i++) {
		uint64_t count;

		/* An inherited counter reads its children's counts too. */
		if (read(h->fds[i], &count, sizeof(count)) == sizeof(count))
			sum += count;
	}
	return sum;
}

const char *hidden__strerror(int err)
{
	if (err == -EOPNOTSUPP)
		return "in a PID namespace of its own, PID 1 is not the host's init";
	return strerror(-err);
}

void hidden__free(struct hidden *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->n; i++)
		close(h->fds[i]);
	free(h);
}
