// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* loop.c - epoll loop over the ring buffer, signalfd and timerfds (see loop.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "common/loop.h"

enum loop_source { SRC_RING, SRC_SIGNAL, SRC_TICK, SRC_DEADLINE };

/*
 * The reader polls the ring instead of being woken per event: a wake-up is an
 * interrupt raised inside our BPF program, and softirqs run on its exit
 * re-enter the tracepoint (skipped runs, counted as lost).  It polls again
 * after POLL_BUSY_MS when the last poll found records, after POLL_IDLE_MS
 * otherwise; the kernel wakes it only if half the ring fills first.
 */
#define POLL_BUSY_MS 10
#define POLL_IDLE_MS 100
#define HOUSEKEEPING_NS 1000000000ull
#define READER_NICE (-10)

/* Arm timerfd @fd to fire after @first_ms, then every @every_ms (0: once). */
static int timer_arm(int fd, uint64_t first_ms, uint64_t every_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(first_ms / 1000),
			      .tv_nsec = (long)(first_ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = (time_t)(every_ms / 1000),
				 .tv_nsec = (long)(every_ms % 1000) * 1000000 },
	};

	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* A timerfd firing after @first_ms, then every @every_ms (0: once). */
static int timer_new(uint64_t first_ms, uint64_t every_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(first_ms / 1000),
			      .tv_nsec = (long)(first_ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = (time_t)(every_ms / 1000),
				 .tv_nsec = (long)(every_ms % 1000) * 1000000 },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int epoll_add(int epfd, int fd, enum loop_source src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

struct rb_ctx {
	const struct loop_callbacks *cb;
	void *ctx;
};

static int rb_sample(void *vctx, void *data, size_t len)
{
	struct rb_ctx *r = vctx;

	return r->cb->on_event(r->ctx, data, len);
}

void loop__raise_priority(void)
{
	/*
	 * During a connection storm the reader competes with the workload for
	 * the CPU; when it loses, the ring fills and events are dropped.  At
	 * nice -10 it wins the CPU when it needs it and costs the workload no
	 * more CPU than it would anyway.  Without CAP_SYS_NICE this fails: fine.
	 */
	if (getpriority(PRIO_PROCESS, 0) > READER_NICE)
		setpriority(PRIO_PROCESS, 0, READER_NICE);
}

/* The signals the loop takes through its signalfd. */
static void loop_signal_set(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

int loop__hold_signals(void)
{
	sigset_t mask;

	loop_signal_set(&mask);
	return sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
}

int loop__run(int ringbuf_fd, uint64_t duration_s, const struct loop_callbacks *cb, void *ctx)
{
	struct rb_ctx rctx = { .cb = cb, .ctx = ctx };
	int epfd = -1, sigfd = -1, tickfd = -1, deadfd = -1;
	struct ring_buffer *rb = NULL;
	sigset_t mask;
	int err = 0;
	int stop = 0;
	uint64_t next_housekeeping = clock__mono_ns() + HOUSEKEEPING_NS;

	loop_signal_set(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	rb = ring_buffer__new(ringbuf_fd, rb_sample, &rctx, NULL);
	if (!rb)
		return -errno;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tickfd = timer_new(POLL_IDLE_MS, 0);
	if (epfd < 0 || sigfd < 0 || tickfd < 0) {
		err = epfd < 0 || sigfd < 0 ? -errno : tickfd;
		goto cleanup;
	}
	err = epoll_add(epfd, ring_buffer__epoll_fd(rb), SRC_RING);
	if (!err)
		err = epoll_add(epfd, sigfd, SRC_SIGNAL);
	if (!err)
		err = epoll_add(epfd, tickfd, SRC_TICK);
	if (!err && duration_s) {
		deadfd = timer_new(duration_s * 1000, 0);
		err = deadfd < 0 ? deadfd : epoll_add(epfd, deadfd, SRC_DEADLINE);
	}
	if (err)
		goto cleanup;

	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(epfd, evs, 4, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n && !stop; i++) {
			struct signalfd_siginfo si;
			uint64_t ticks;

			switch (evs[i].data.u32) {
			case SRC_RING:
				err = ring_buffer__consume(rb);
				if (err < 0)
					stop = 1;
				else
					err = 0;
				cb->on_batch(ctx);
				break;
			case SRC_SIGNAL:
				while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						if (cb->on_hangup)
							cb->on_hangup(ctx);
					} else
						stop = 1;
				}
				break;
			case SRC_TICK: {
				int consumed;

				if (read(tickfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					break;
				consumed = ring_buffer__consume(rb);
				cb->on_batch(ctx);
				timer_arm(tickfd, consumed > 0 ? POLL_BUSY_MS : POLL_IDLE_MS, 0);
				if (clock__mono_ns() >= next_housekeeping) {
					next_housekeeping += HOUSEKEEPING_NS;
					stop = cb->on_tick ? cb->on_tick(ctx) : 0;
				}
				break;
			}
			case SRC_DEADLINE:
				stop = 1;
				break;
			}
		}
	}
	/* Whatever the kernel wrote before we stopped is still reported. */
	if (ring_buffer__consume(rb) >= 0)
		cb->on_batch(ctx);
cleanup:
	if (deadfd >= 0)
		close(deadfd);
	if (tickfd >= 0)
		close(tickfd);
	if (sigfd >= 0)
		close(sigfd);
	if (epfd >= 0)
		close(epfd);
	ring_buffer__free(rb);
	return err;
}
