// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * writeback.c - a log file's page cache kept small (see writeback.h).
 *
 * The caller appends; each time its file passes a whole WRITEBACK_STEP, the
 * thread starts the disk writes of that step (sync_file_range(WRITE): not
 * waited for) and drops from the page cache what lies more than
 * WRITEBACK_KEEP behind (its writes waited for, then POSIX_FADV_DONTNEED,
 * which only drops clean pages).  These calls sleep (a full device queue,
 * the journal, the disk itself), which is why they run here and not in the
 * ring reader: a slow disk slows this thread, while the reader goes on
 * filling the page cache as it always did.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/caps.h"
#include "common/writeback.h"

struct writeback {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started;  /* the thread was tried */
	int start_err; /* why it could not start: then nothing is handed on */
	/* Under lock: what the caller said last. */
	bool stop;
	int fd;	       /* a new file's copy, not yet taken by the thread; -1 */
	uint64_t gen;  /* of the file, one more at each writeback__file() */
	uint64_t from; /* the new file's size then: ours from there */
	uint64_t size; /* bytes appended so far */
	/* The caller's alone: the last step boundary handed on. */
	uint64_t handed;
};

static uint64_t step_down(uint64_t n)
{
	return n & ~(uint64_t)(WRITEBACK_STEP - 1);
}

static uint64_t step_up(uint64_t n)
{
	return step_down(n + WRITEBACK_STEP - 1);
}

struct writeback *writeback__new(void)
{
	struct writeback *wb = calloc(1, sizeof(*wb));

	if (!wb)
		return NULL;
	wb->fd = -1;
	if (pthread_mutex_init(&wb->lock, NULL) || pthread_cond_init(&wb->wake, NULL)) {
		free(wb);
		errno = ENOMEM;
		return NULL;
	}
	return wb;
}

/*
 * Started from the ring reader: it runs at the reader's raised priority and,
 * were it started before the capabilities were dropped, would hold them
 * (they are a thread's own).  Neither is wanted here.
 */
static void thread_settle(void)
{
	int nice;

	caps__drop_thread();
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (!errno && nice < 0)
		setpriority(PRIO_PROCESS, 0, 0); /* this thread only (Linux) */
}

static void *writeback_thread(void *arg)
{
	struct writeback *wb = arg;
	uint64_t gen = 0, started_to = 0, dropped_to = 0;
	int fd = -1;

	thread_settle();
	pthread_mutex_lock(&wb->lock);
	for (;;) {
		uint64_t end;

		while (!wb->stop && wb->gen == gen &&
		       !(fd >= 0 && step_down(wb->size) > started_to))
			pthread_cond_wait(&wb->wake, &wb->lock);
		if (wb->stop)
			break;
		if (wb->gen != gen) {
			/* Another file (reopened, rotated): the last one's cache is left as it is. */
			if (fd >= 0)
				close(fd);
			fd = wb->fd;
			wb->fd = -1;
			gen = wb->gen;
			started_to = dropped_to = step_up(wb->from);
			continue;
		}
		end = step_down(wb->size);
		pthread_mutex_unlock(&wb->lock);

		/* Errors are left alone: this is advice; the writes themselves report theirs. */
		sync_file_range(fd, (off_t)started_to, (off_t)(end - started_to),
				SYNC_FILE_RANGE_WRITE);
		started_to = end;
		if (started_to >= dropped_to + WRITEBACK_KEEP + WRITEBACK_STEP) {
			uint64_t to = started_to - WRITEBACK_KEEP;

			/*
			 * Written out first, waited for: a page still dirty or being
			 * written would stay.  Started a window ago, they are mostly
			 * done by now; a burst that outran the disk waits here.
			 */
			sync_file_range(fd, (off_t)dropped_to, (off_t)(to - dropped_to),
					SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
						SYNC_FILE_RANGE_WAIT_AFTER);
			posix_fadvise(fd, (off_t)dropped_to, (off_t)(to - dropped_to),
				      POSIX_FADV_DONTNEED);
			dropped_to = to;
		}
		pthread_mutex_lock(&wb->lock);
	}
	pthread_mutex_unlock(&wb->lock);
	if (fd >= 0)
		close(fd);
	return NULL;
}

void writeback__file(struct writeback *wb, int fd, uint64_t size)
{
	int copy = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;

	if (!wb) {
		if (copy >= 0)
			close(copy);
		return;
	}
	pthread_mutex_lock(&wb->lock);
	if (wb->fd >= 0)
		close(wb->fd); /* never taken: a file replaced before its first step */
	wb->fd = copy;
	wb->gen++;
	wb->from = size;
	wb->size = size;
	pthread_cond_signal(&wb->wake);
	pthread_mutex_unlock(&wb->lock);
	wb->handed = step_up(size);
}

/* The thread, started with every signal blocked: they are the reader's (its signalfd). */
static int writeback_start(struct writeback *wb)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&wb->thread, NULL, writeback_thread, wb);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

void writeback__wrote(struct writeback *wb, uint64_t size)
{
	/* Once a step: no lock taken for the writes in between. */
	if (!wb || step_down(size) <= wb->handed)
		return;
	wb->handed = step_down(size);
	if (!wb->started) {
		wb->started = true;
		wb->start_err = writeback_start(wb);
	}
	/* Without the thread the page cache fills as before: nothing else changes. */
	if (wb->start_err)
		return;
	pthread_mutex_lock(&wb->lock);
	wb->size = size;
	pthread_cond_signal(&wb->wake);
	pthread_mutex_unlock(&wb->lock);
}

void writeback__free(struct writeback *wb)
{
	if (!wb)
		return;
	pthread_mutex_lock(&wb->lock);
	wb->stop = true;
	pthread_cond_signal(&wb->wake);
	pthread_mutex_unlock(&wb->lock);
	if (wb->started && !wb->start_err)
		pthread_join(wb->thread, NULL);
	if (wb->fd >= 0)
		close(wb->fd);
	pthread_cond_destroy(&wb->wake);
	pthread_mutex_destroy(&wb->lock);
	free(wb);
}
