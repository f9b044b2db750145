// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* loop.c - epoll loop over the ring buffer, signalfd and timerfds (see loop.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "common/loop.h"
#include "common/rings.h"

enum loop_source { SRC_RING, SRC_SIGNAL, SRC_TICK, SRC_DEADLINE, SRC_EXTRA, SRC_FIRST };

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

/* Watch @fd for @events (EPOLLIN, with EPOLLET or not) as source @src. */
static int epoll_watch(int epfd, int fd, enum loop_source src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int epoll_add(int epfd, int fd, enum loop_source src)
{
	return epoll_watch(epfd, fd, src, EPOLLIN);
}

/* The first ring (loop.h): its reader, and its positions mapped read-only. */
struct first_ring {
	struct ring_buffer *rb;
	const volatile unsigned long *cons, *prod;
	size_t page;
};

struct rb_ctx {
	const struct loop_callbacks *cb;
	void *ctx;
	struct first_ring *first; /* NULL: none */
};

/* Whether the first ring holds records not read yet: two loads, no system call. */
static bool first_pending(const struct first_ring *f)
{
	return __atomic_load_n(f->prod, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(f->cons, __ATOMIC_ACQUIRE);
}

static int rb_sample(void *vctx, void *data, size_t len)
{
	struct rb_ctx *r = vctx;

	/*
	 * A record of the first ring written before this one (a DNS answer
	 * before the connect it led to) is taken first: once this record was
	 * written, that one was committed, so it is there to read now.
	 */
	if (r->first && first_pending(r->first))
		ring_buffer__consume(r->first->rb);
	return r->cb->on_event(r->ctx, data, len);
}

/* The first ring's reader and mapped positions.  0 or a negative errno. */
static int first_open(struct first_ring *f, const struct loop_ring *ring)
{
	void *cons, *prod;

	f->page = (size_t)sysconf(_SC_PAGESIZE);
	f->rb = ring_buffer__new(ring->fd, ring->on_record, ring->ctx, NULL);
	if (!f->rb)
		return -errno;
	/* The consumer position's page, then the producer's (the kernel's ring layout). */
	cons = mmap(NULL, f->page, PROT_READ, MAP_SHARED, ring->fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	f->cons = cons;
	prod = mmap(NULL, f->page, PROT_READ, MAP_SHARED, ring->fd, (off_t)f->page);
	if (prod == MAP_FAILED)
		return -errno;
	f->prod = prod;
	return 0;
}

static void first_close(struct first_ring *f)
{
	if (f->cons)
		munmap((void *)f->cons, f->page);
	if (f->prod)
		munmap((void *)f->prod, f->page);
	ring_buffer__free(f->rb);
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

/* The loop's descriptors and where it stands. */
struct loop_state {
	const struct loop_callbacks *cb;
	void *ctx;
	const struct loop_fd *extra;
	struct rb_ctx rctx;
	struct rings *rings;
	struct first_ring first;
	int epfd, sigfd, tickfd, deadfd;
	uint64_t next_housekeeping;
};

/*
 * The rings' descriptors in @epfd, edge-triggered: a drain leaves the
 * records of the last moments for the next one (rings.h), which level
 * triggering would report again at once, a busy loop.  The kernel's wake-ups
 * (the guard of a filling ring) are the edges; the poll timer does the rest.
 */
static int epoll_add_rings(int epfd, const struct rings *r)
{
	int err = 0;

	for (size_t i = 0; !err && i < rings__count(r); i++)
		err = epoll_watch(epfd, rings__fd(r, i), SRC_RING, EPOLLIN | EPOLLET);
	return err;
}

/* The ring buffers, signalfd and timers, all in one epoll set.  0 or a negative errno. */
static int loop_open(struct loop_state *st, const int *ring_fds, size_t n_rings,
		     const struct loop_ring *first, uint64_t duration_s)
{
	sigset_t mask;
	int err;

	loop_signal_set(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	err = rings__new(&st->rings, ring_fds, n_rings, rb_sample, &st->rctx);
	if (err)
		return err;
	if (first) {
		err = first_open(&st->first, first);
		if (err)
			return err;
		st->rctx.first = &st->first;
	}
	st->epfd = epoll_create1(EPOLL_CLOEXEC);
	st->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	st->tickfd = timer_new(POLL_IDLE_MS, 0);
	if (st->epfd < 0 || st->sigfd < 0 || st->tickfd < 0)
		return st->epfd < 0 || st->sigfd < 0 ? -errno : st->tickfd;
	err = epoll_add_rings(st->epfd, st->rings);
	if (!err)
		err = epoll_add(st->epfd, st->sigfd, SRC_SIGNAL);
	if (!err)
		err = epoll_add(st->epfd, st->tickfd, SRC_TICK);
	if (!err && st->extra)
		err = epoll_add(st->epfd, st->extra->fd, SRC_EXTRA);
	if (!err && st->rctx.first)
		err = epoll_add(st->epfd, ring_buffer__epoll_fd(st->first.rb), SRC_FIRST);
	if (!err && duration_s) {
		st->deadfd = timer_new(duration_s * 1000, 0);
		err = st->deadfd < 0 ? st->deadfd : epoll_add(st->epfd, st->deadfd, SRC_DEADLINE);
	}
	return err;
}

static void loop_close(struct loop_state *st)
{
	int *fds[] = { &st->deadfd, &st->tickfd, &st->sigfd, &st->epfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	rings__free(st->rings);
	first_close(&st->first);
}

/*
 * Read the first ring, then the main ones (every record written so far with
 * @all).  How many records of the main ones were handed on, or a negative
 * errno.
 */
static int consume(struct loop_state *st, bool all)
{
	uint64_t now = clock__mono_ns();

	if (st->rctx.first)
		ring_buffer__consume(st->first.rb);
	return rings__drain(st->rings, now, all);
}

/* SIGHUP reopens (on_hangup); any other signal of the set stops.  True to stop. */
static bool on_signals(struct loop_state *st)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(st->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP)
			stop = true;
		else if (st->cb->on_hangup)
			st->cb->on_hangup(st->ctx);
	}
	return stop;
}

/* The poll timer: read what waits, re-arm by how busy it was, housekeeping once a second. */
static bool on_timer(struct loop_state *st)
{
	uint64_t ticks;
	int consumed;

	if (read(st->tickfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return false;
	consumed = consume(st, false);
	st->cb->on_batch(st->ctx);
	/* Records left for the next drain are read at the busy pace too. */
	timer_arm(st->tickfd,
		  consumed > 0 || rings__pending(st->rings) ? POLL_BUSY_MS : POLL_IDLE_MS, 0);
	if (clock__mono_ns() < st->next_housekeeping)
		return false;
	st->next_housekeeping += HOUSEKEEPING_NS;
	return st->cb->on_tick ? st->cb->on_tick(st->ctx) : false;
}

/* One ready source; true to stop, with *err set when the ring buffer failed. */
static bool on_source(struct loop_state *st, uint32_t src, int *err)
{
	int ret;

	switch (src) {
	case SRC_RING:
		ret = consume(st, false);
		st->cb->on_batch(st->ctx);
		/*
		 * A wake-up means a ring filled past its mark; what the drain left
		 * (the last moments) is read at the busy pace, not after an idle
		 * poll's wait.
		 */
		if (rings__pending(st->rings))
			timer_arm(st->tickfd, POLL_BUSY_MS, 0);
		if (ret < 0) {
			*err = ret;
			return true;
		}
		return false;
	case SRC_SIGNAL:
		return on_signals(st);
	case SRC_TICK:
		return on_timer(st);
	case SRC_DEADLINE:
		return true;
	case SRC_EXTRA:
		st->extra->on_ready(st->extra->ctx);
		return false;
	case SRC_FIRST:
		ring_buffer__consume(st->first.rb);
		return false;
	}
	return false;
}

int loop__run(const int *ring_fds, size_t n_rings, uint64_t duration_s,
	      const struct loop_callbacks *cb, void *ctx, const struct loop_fd *extra,
	      const struct loop_ring *first)
{
	struct loop_state st = {
		.cb = cb,
		.ctx = ctx,
		.extra = extra,
		.rctx = { .cb = cb, .ctx = ctx },
		.epfd = -1,
		.sigfd = -1,
		.tickfd = -1,
		.deadfd = -1,
		.next_housekeeping = clock__mono_ns() + HOUSEKEEPING_NS,
	};
	int err = loop_open(&st, ring_fds, n_rings, first, duration_s);
	bool opened = !err, stop = !opened;

	while (!stop) {
		struct epoll_event evs[5];
		int n = epoll_wait(st.epfd, evs, 5, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n && !stop; i++)
			stop = on_source(&st, evs[i].data.u32, &err);
	}
	/* Whatever the kernel wrote before we stopped is still reported. */
	if (opened && consume(&st, true) >= 0)
		cb->on_batch(ctx);
	loop_close(&st);
	return err;
}
