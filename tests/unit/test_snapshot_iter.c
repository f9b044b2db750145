// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_snapshot_iter.c - running the snapshot's iterators and reading what
 * they write (src/common/snapshot_iter.c, included: libbpf is not linked).
 * Records split across reads are put back together, every socket reaches
 * the caller in order and every process shown is said; output that ends
 * inside a record or holds an unknown record is -EPROTO; an owners run out
 * of room is repeated once with a larger working map, and the processes
 * still out of room are not said; a socket out of room is -ENOMEM; the
 * processes of a namespace that cannot be entered are not said, and another
 * namespace's sockets are read from inside it (root); a caller's error
 * stops the run; an iterator that cannot be made or run is its errno; a
 * source without iterators calls nothing; no descriptor is left behind.
 *
 * The libbpf calls are stand-ins defined here: the working map is an
 * eventfd, a link an eventfd too, and an iterator a packet-mode pipe (each
 * read returns one write) holding the records the test prepared for that
 * program and, for the sockets, the network namespace it was made in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "../../src/common/snapshot_iter.c"
#include "helpers.h"

#define REC_SIZE sizeof(struct snoop_snapshot_rec)

/* What the source names: numbers only the stand-ins see, never real descriptors. */
#define OWNER_MAP_FD 9001
#define OWNERS_PROG_FD 9002
#define SOCKETS_PROG_FD 9003
#define MAPS_FD 9004

static const struct snapshot_source source = {
	.owner_map_fd = OWNER_MAP_FD,
	.owners_iter_fd = OWNERS_PROG_FD,
	.sockets_iter_fd = SOCKETS_PROG_FD,
	.maps_fd = MAPS_FD,
};

/* A namespace inode no namespace has: the kernel numbers them from 0xf0000000. */
#define NO_NETNS 1u
/* A pid above PID_MAX_LIMIT: no process has it, so /proc has no such entry. */
#define NO_PID 4194305u

/*
 * One iterator's output as prepared: its bytes, and the writes that put
 * them in the pipe (the rest, if any, in one more write).
 */
struct stream {
	uint8_t data[32 * REC_SIZE];
	size_t len;
	size_t chunk[16];
	int nchunks;
};

#define MAX_ROUNDS 3
#define MAX_NETNS 4
#define MAX_LINKS 1024

/* The stand-ins' world: what each iterator writes, and what was asked of them. */
static struct {
	int calls; /* of any stand-in */

	/* snapshot_owners: run n writes owners[n]. */
	struct stream owners[MAX_ROUNDS];
	int owners_runs;

	/* snapshot_sockets: writes the stream of the namespace it was made in (none: nothing). */
	uint32_t sockets_netns[MAX_NETNS];
	struct stream sockets[MAX_NETNS];
	int nsockets;
	uint32_t sockets_ran_in[8];
	int sockets_runs;

	/* The program of each link, by descriptor. */
	int link_prog[MAX_LINKS];

	/* Working maps made, and snapshot_maps' slot 0 (-1: empty). */
	int nmaps;
	int map_fd[MAX_ROUNDS];
	uint32_t max_entries[MAX_ROUNDS];
	bool slot_empty_at_make[MAX_ROUNDS], previous_closed_at_make[MAX_ROUNDS];
	int slot;
	int deletes;

	/* Failures on demand: the errno the stand-in fails with (0: works). */
	int fail_map_create, fail_update, fail_link, fail_owners_iter, fail_sockets_iter;
} fake;

/* What the callbacks were told. */
static struct {
	uint32_t shown[32];
	int nshown;
	struct snoop_event sockets[32];
	int nsockets;
	int fail_socket_at; /* the nth socket's callback fails with -EIO (0: never) */
} got;

static uint32_t own_netns;

static uint32_t netns_now(void)
{
	struct stat st;

	/* The thread's: setns() moves only the calling thread. */
	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return (uint32_t)st.st_ino;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* ---- stand-ins for libbpf ---------------------------------------------- */

int bpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size,
		   __u32 value_size, __u32 max_entries, const struct bpf_map_create_opts *opts)
{
	int fd;

	fake.calls++;
	/* The working map is what src/bpf/snapshot.bpf.h declares snapshot_work to be. */
	assert_int_equal(map_type, BPF_MAP_TYPE_HASH);
	assert_non_null(map_name);
	assert_int_equal(key_size, sizeof(struct snoop_snapshot_key));
	assert_int_equal(value_size, sizeof(struct snoop_sock_info));
	assert_non_null(opts);
	assert_true(opts->map_flags & BPF_F_NO_PREALLOC);
	if (fake.fail_map_create) {
		errno = fake.fail_map_create;
		return -1;
	}
	assert_true(fake.nmaps < MAX_ROUNDS);
	fake.slot_empty_at_make[fake.nmaps] = fake.slot < 0;
	fake.previous_closed_at_make[fake.nmaps] = fake.nmaps == 0 ||
						   !fd_open(fake.map_fd[fake.nmaps - 1]);
	fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fd >= 0);
	fake.map_fd[fake.nmaps] = fd;
	fake.max_entries[fake.nmaps] = max_entries;
	fake.nmaps++;
	return fd;
}

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	int map = *(const int *)value;

	fake.calls++;
	assert_int_equal(fd, MAPS_FD);
	assert_int_equal(*(const uint32_t *)key, 0);
	assert_int_equal(flags, BPF_ANY);
	/* The kernel takes a map by an open descriptor. */
	assert_true(fd_open(map));
	if (fake.fail_update) {
		errno = fake.fail_update;
		return -1;
	}
	fake.slot = map;
	return 0;
}

int bpf_map_delete_elem(int fd, const void *key)
{
	fake.calls++;
	assert_int_equal(fd, MAPS_FD);
	assert_int_equal(*(const uint32_t *)key, 0);
	fake.slot = -1;
	fake.deletes++;
	return 0;
}

int bpf_link_create(int prog_fd, int target_fd, enum bpf_attach_type attach_type,
		    const struct bpf_link_create_opts *opts)
{
	int fd;

	fake.calls++;
	assert_true(prog_fd == OWNERS_PROG_FD || prog_fd == SOCKETS_PROG_FD);
	assert_int_equal(target_fd, 0);
	assert_int_equal(attach_type, BPF_TRACE_ITER);
	(void)opts;
	if (fake.fail_link) {
		errno = fake.fail_link;
		return -1;
	}
	fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fd >= 0 && fd < MAX_LINKS);
	fake.link_prog[fd] = prog_fd;
	return fd;
}

/* A pipe that hands @s out a write per read, as a seq_file hands out what fits. */
static int stream_fd(const struct stream *s)
{
	size_t at = 0;
	int p[2];

	assert_int_equal(pipe2(p, O_DIRECT | O_CLOEXEC), 0);
	/* A packet per page: room for every write, and a mistake fails instead of blocking. */
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 64 * 4096) >= 64 * 4096);
	/* F_SETFL sets O_DIRECT too: keep it, or the writes run together. */
	assert_int_equal(fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK), 0);
	assert_true(fcntl(p[1], F_GETFL) & O_DIRECT);
	for (int i = 0; i <= s->nchunks && at < s->len; i++) {
		size_t n = i < s->nchunks ? s->chunk[i] : s->len - at;

		assert_true(n > 0 && at + n <= s->len);
		assert_int_equal(write(p[1], s->data + at, n), (ssize_t)n);
		at += n;
	}
	close(p[1]);
	return p[0];
}

int bpf_iter_create(int link_fd)
{
	static const struct stream none;
	const struct stream *s = &none;
	uint32_t netns;
	int prog;

	fake.calls++;
	assert_true(link_fd >= 0 && link_fd < MAX_LINKS && fd_open(link_fd));
	prog = fake.link_prog[link_fd];
	if (prog == OWNERS_PROG_FD) {
		if (fake.fail_owners_iter) {
			errno = fake.fail_owners_iter;
			return -1;
		}
		assert_true(fake.owners_runs < MAX_ROUNDS);
		return stream_fd(&fake.owners[fake.owners_runs++]);
	}
	assert_int_equal(prog, SOCKETS_PROG_FD);
	if (fake.fail_sockets_iter) {
		errno = fake.fail_sockets_iter;
		return -1;
	}
	netns = netns_now();
	assert_true(fake.sockets_runs < 8);
	fake.sockets_ran_in[fake.sockets_runs++] = netns;
	for (int i = 0; i < fake.nsockets; i++)
		if (fake.sockets_netns[i] == netns)
			s = &fake.sockets[i];
	return stream_fd(s);
}

/* ---- what the tests prepare and check ------------------------------------ */

static void on_shown(void *ctx, uint32_t pid)
{
	(void)ctx;
	assert_true(got.nshown < 32);
	got.shown[got.nshown++] = pid;
}

static int on_socket(void *ctx, const struct snoop_event *e)
{
	(void)ctx;
	assert_true(got.nsockets < 32);
	got.sockets[got.nsockets++] = *e;
	return got.nsockets == got.fail_socket_at ? -EIO : 0;
}

static const struct snapshot_iter_cbs cbs = { on_shown, on_socket, NULL };

static int reset(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(&got, 0, sizeof(got));
	fake.slot = -1;
	own_netns = netns_now();
	return 0;
}

static void put(struct stream *s, uint32_t type, const struct snoop_event *e)
{
	struct snoop_snapshot_rec r = { .type = type, .event = *e };

	assert_true(s->len + REC_SIZE <= sizeof(s->data));
	memcpy(s->data + s->len, &r, REC_SIZE);
	s->len += REC_SIZE;
}

static void put_process(struct stream *s, uint32_t pid)
{
	struct snoop_event e = { .owner.pid = pid };

	put(s, SNOOP_SNAP_PROCESS, &e);
}

static void put_netns(struct stream *s, uint32_t pid, uint32_t netns)
{
	struct snoop_event e = { .owner.pid = pid, .netns = netns };

	put(s, SNOOP_SNAP_NETNS, &e);
}

/*
 * snapshot_owners out of room for a socket of @pid.  Its netns is 0 unless
 * the same socket's NETNS record was written just before (the BPF side
 * reuses the record): 0 is a process's second socket there.
 */
static void put_owner_nomem(struct stream *s, uint32_t pid, uint32_t netns)
{
	struct snoop_event e = { .owner.pid = pid, .netns = netns };

	put(s, SNOOP_SNAP_NOMEM, &e);
}

/* A socket as snapshot_sockets says it: every field set, to see it arrive whole. */
static struct snoop_event sock_event(uint64_t cookie, uint32_t pid, uint32_t netns)
{
	/* Full size: gcc -O1 sees test_set_owner()'s strnlen() read past a shorter literal. */
	static const char comm[SNOOP_COMM_LEN] = "client";
	struct snoop_event e = test_event(SNOOP_KIND_STATE, "10.0.0.1", (uint16_t)(40000 + cookie),
					  "192.0.2.7", 443);

	test_set_owner(&e, SNOOP_ATTR_SNAPSHOT, pid, pid, comm);
	e.ts_ns = 1000 + cookie;
	e.cookie = cookie;
	e.new_state = SNOOP_TCP_ESTABLISHED;
	e.flags = SNOOP_SF_SNAPSHOT | SNOOP_SF_ACTIVE;
	e.netns = netns;
	return e;
}

static void put_socket(struct stream *s, uint64_t cookie, uint32_t pid, uint32_t netns)
{
	struct snoop_event e = sock_event(cookie, pid, netns);

	put(s, SNOOP_SNAP_SOCKET, &e);
}

/* The sockets iterator's output in namespace @netns. */
static struct stream *sockets_in_netns(uint32_t netns)
{
	assert_true(fake.nsockets < MAX_NETNS);
	fake.sockets_netns[fake.nsockets] = netns;
	return &fake.sockets[fake.nsockets++];
}

/* Whatever a run returned, its working map must be gone and nothing left open (@fds before). */
static void assert_left_clean(int fds)
{
	assert_int_equal(test_count_fds(), fds);
	assert_int_equal(fake.slot, -1);
	for (int i = 0; i < fake.nmaps; i++)
		assert_false(fd_open(fake.map_fd[i]));
	/* Never left in another namespace. */
	assert_int_equal(netns_now(), own_netns);
}

static int run(void)
{
	int fds = test_count_fds(), err;

	err = snapshot_iter__run(&source, &cbs);
	assert_left_clean(fds);
	return err;
}

static void assert_shown(const uint32_t *pids, int n)
{
	assert_int_equal(got.nshown, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(got.shown[i], pids[i]);
}

static void assert_socket(int i, uint64_t cookie, uint32_t pid, uint32_t netns)
{
	struct snoop_event want = sock_event(cookie, pid, netns);

	assert_true(i < got.nsockets);
	assert_memory_equal(&got.sockets[i], &want, sizeof(want));
}

/* ---- the tests ------------------------------------------------------------ */

static void test_records_split_across_reads(void **state)
{
	static const uint32_t shown[] = { 101, 102, 103 };
	struct stream *o = &fake.owners[0], *s = sockets_in_netns(own_netns);
	static const size_t owner_chunks[] = { 1, 200, 167, 168, 3 };
	static const size_t socket_chunks[] = { 1, 200, 7, 168, 169, 1, 83 };

	(void)state;
	put_process(o, 101);
	put_netns(o, 101, own_netns);
	put_process(o, 102);
	put_netns(o, 102, own_netns);
	/* Said again when the kernel had no room to remember it: one run still. */
	put_netns(o, 102, own_netns);
	put_process(o, 103);
	memcpy(o->chunk, owner_chunks, sizeof(owner_chunks));
	o->nchunks = sizeof(owner_chunks) / sizeof(owner_chunks[0]);
	for (uint64_t c = 1; c <= 6; c++)
		put_socket(s, c, c <= 3 ? 101 : 102, own_netns);
	memcpy(s->chunk, socket_chunks, sizeof(socket_chunks));
	s->nchunks = sizeof(socket_chunks) / sizeof(socket_chunks[0]);

	assert_int_equal(run(), 0);
	assert_int_equal(got.nsockets, 6);
	for (int i = 0; i < 6; i++)
		assert_socket(i, (uint64_t)i + 1, i < 3 ? 101 : 102, own_netns);
	assert_shown(shown, 3);
	/* Our own namespace, read where we are, once for both processes. */
	assert_int_equal(fake.sockets_runs, 1);
	assert_int_equal(fake.sockets_ran_in[0], own_netns);
	assert_int_equal(fake.owners_runs, 1);
	assert_int_equal(fake.nmaps, 1);
	assert_int_equal(fake.deletes, 1);
}

static void test_output_not_ending_on_a_record_is_eproto(void **state)
{
	struct stream *o = &fake.owners[0], *s;

	(void)state;
	/* The owners' output ends inside its second record. */
	put_process(o, 201);
	put_process(o, 202);
	o->len -= REC_SIZE / 2;
	assert_int_equal(run(), -EPROTO);
	assert_int_equal(got.nshown, 0);
	assert_int_equal(fake.sockets_runs, 0);

	/* The sockets' output does: the whole socket before it still arrives, no process is said. */
	reset(NULL);
	o = &fake.owners[0];
	s = sockets_in_netns(own_netns);
	put_process(o, 201);
	put_netns(o, 201, own_netns);
	put_socket(s, 1, 201, own_netns);
	put_socket(s, 2, 201, own_netns);
	s->len -= 1;
	assert_int_equal(run(), -EPROTO);
	assert_int_equal(got.nsockets, 1);
	assert_socket(0, 1, 201, own_netns);
	assert_int_equal(got.nshown, 0);
}

static void test_unknown_record_is_eproto(void **state)
{
	struct snoop_event e = { .owner.pid = 301 };
	struct stream *o = &fake.owners[0], *s;

	(void)state;
	put_process(o, 301);
	put(o, 99, &e);
	assert_int_equal(run(), -EPROTO);
	assert_int_equal(got.nshown, 0);
	assert_int_equal(fake.sockets_runs, 0);

	/* A socket is not a record of snapshot_owners. */
	reset(NULL);
	o = &fake.owners[0];
	put_process(o, 301);
	put_socket(o, 1, 301, own_netns);
	assert_int_equal(run(), -EPROTO);
	assert_int_equal(got.nsockets, 0);

	/* Nor a process, or anything unknown, one of snapshot_sockets. */
	for (uint32_t type = SNOOP_SNAP_PROCESS; type <= 99; type += 98) {
		reset(NULL);
		o = &fake.owners[0];
		s = sockets_in_netns(own_netns);
		put_process(o, 301);
		put_netns(o, 301, own_netns);
		put_socket(s, 1, 301, own_netns);
		put(s, type, &e);
		put_socket(s, 2, 301, own_netns);
		assert_int_equal(run(), -EPROTO);
		/* Nothing after it is taken. */
		assert_int_equal(got.nsockets, 1);
		assert_int_equal(got.nshown, 0);
	}
}

/* The owners' first run with @nomem sockets of process 401 out of room, its second with @again. */
static void run_owners_out_of_room(uint64_t nomem, bool again)
{
	struct stream *o0 = &fake.owners[0], *o1 = &fake.owners[1];
	struct stream *s = sockets_in_netns(own_netns);

	put_process(o0, 401);
	put_netns(o0, 401, own_netns);
	for (uint64_t i = 0; i < nomem; i++)
		put_owner_nomem(o0, 401, 0);
	put_process(o0, 402);
	put_netns(o0, 402, own_netns);

	put_process(o1, 401);
	put_netns(o1, 401, own_netns);
	put_process(o1, 402);
	put_netns(o1, 402, own_netns);
	if (again)
		put_owner_nomem(o1, 402, 0);
	put_process(o1, 403);
	put_socket(s, 1, 401, own_netns);
	put_socket(s, 2, 402, own_netns);

	assert_int_equal(run(), 0);
	assert_int_equal(fake.owners_runs, 2);
	assert_int_equal(fake.nmaps, 2);
	/* Room for every socket that did not fit, an eighth more and some to spare. */
	assert_int_equal(fake.max_entries[1], fake.max_entries[0] + nomem + nomem / 8 + 1024);
	/* The first map was taken out of snapshot_maps and closed before the second was made. */
	assert_true(fake.slot_empty_at_make[1]);
	assert_true(fake.previous_closed_at_make[1]);
	assert_int_equal(fake.deletes, 2);
	assert_int_equal(fake.sockets_runs, 1);
	assert_int_equal(got.nsockets, 2);
	assert_socket(0, 1, 401, own_netns);
	assert_socket(1, 2, 402, own_netns);
}

static void test_owners_out_of_room_run_again_with_more(void **state)
{
	/* Only the second run counts: 401 fitted then. */
	static const uint32_t shown[] = { 401, 402, 403 };

	(void)state;
	run_owners_out_of_room(9, false);
	assert_shown(shown, 3);
}

static void test_owners_out_of_room_twice_leave_the_process_unshown(void **state)
{
	/* 402 is read through /proc: not every socket of it is recorded. */
	static const uint32_t shown[] = { 401, 403 };

	(void)state;
	/* Out of room again: no third run. */
	run_owners_out_of_room(1, true);
	assert_shown(shown, 2);
}

static void test_socket_out_of_room_is_enomem(void **state)
{
	struct stream *o = &fake.owners[0], *s = sockets_in_netns(own_netns);
	struct snoop_event lost = sock_event(2, 501, own_netns);

	(void)state;
	put_process(o, 501);
	put_netns(o, 501, own_netns);
	put_socket(s, 1, 501, own_netns);
	put(s, SNOOP_SNAP_NOMEM, &lost);
	put_socket(s, 3, 501, own_netns);
	assert_int_equal(run(), -ENOMEM);
	/* The others are all recorded still. */
	assert_int_equal(got.nsockets, 2);
	assert_socket(0, 1, 501, own_netns);
	assert_socket(1, 3, 501, own_netns);
}

static void test_namespace_not_entered_leaves_its_processes_unshown(void **state)
{
	static const uint32_t shown[] = { 601 };
	struct stream *o = &fake.owners[0], *s = sockets_in_netns(own_netns);
	uint32_t me = (uint32_t)getpid();

	(void)state;
	put_process(o, 601);
	put_netns(o, 601, own_netns);
	/* 602 has sockets here and in a namespace nobody can be found in. */
	put_process(o, 602);
	put_netns(o, 602, own_netns);
	put_netns(o, 602, NO_NETNS);
	/* Also listed there: a process that has gone, and one (us) that is elsewhere. */
	put_process(o, NO_PID);
	put_netns(o, NO_PID, NO_NETNS);
	put_process(o, me);
	put_netns(o, me, NO_NETNS);
	put_socket(s, 1, 601, own_netns);
	put_socket(s, 2, 602, own_netns);

	assert_int_equal(run(), 0);
	assert_shown(shown, 1);
	assert_int_equal(got.nsockets, 2);
	assert_int_equal(fake.sockets_runs, 1);
	assert_int_equal(fake.sockets_ran_in[0], own_netns);
}

/* A child in a network namespace of its own (0: none), killed after each test. */
static pid_t child;

static int stop_child(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	child = 0;
	return 0;
}

/* Start the child; its namespace's inode, or 0 when it could not have one. */
static uint32_t hold_netns(void)
{
	char path[64], c = 0;
	struct stat st;
	int ready[2];

	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Not to outlive us, whatever happens to the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		c = unshare(CLONE_NEWNET) ? 'n' : 'y';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	if (c != 'y')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	assert_int_equal(stat(path, &st), 0);
	return (uint32_t)st.st_ino;
}

/* Process 701 with a socket in our namespace, the child with one in @netns. */
static void prepare_two_namespaces(uint32_t netns)
{
	struct stream *o = &fake.owners[0], *own = sockets_in_netns(own_netns);
	struct stream *other = sockets_in_netns(netns);

	put_process(o, 701);
	put_netns(o, 701, own_netns);
	put_process(o, (uint32_t)child);
	put_netns(o, (uint32_t)child, netns);
	/* Tried in turn: we hold no socket there, the child does. */
	put_netns(o, (uint32_t)getpid(), netns);
	put_socket(own, 1, 701, own_netns);
	put_socket(other, 2, (uint32_t)child, netns);
}

static void test_other_namespace_read_from_inside(void **state)
{
	bool ran_own = false, ran_other = false;
	uint32_t netns, first;

	(void)state;
	/* Entering a namespace takes CAP_SYS_ADMIN. */
	if (geteuid() != 0)
		skip();
	netns = hold_netns();
	if (!netns)
		skip();
	prepare_two_namespaces(netns);
	assert_int_equal(run(), 0);
	assert_int_equal(got.nsockets, 2);
	assert_int_equal(fake.sockets_runs, 2);
	for (int i = 0; i < 2; i++) {
		ran_own |= fake.sockets_ran_in[i] == own_netns;
		ran_other |= fake.sockets_ran_in[i] == netns;
		/* Each namespace's sockets as its own run wrote them. */
		if (fake.sockets_ran_in[i] == own_netns)
			assert_socket(i, 1, 701, own_netns);
		else
			assert_socket(i, 2, (uint32_t)child, netns);
	}
	assert_true(ran_own && ran_other);
	assert_int_equal(got.nshown, 2);
	assert_true(got.shown[0] != got.shown[1]);
	for (int i = 0; i < 2; i++)
		assert_true(got.shown[i] == 701 || got.shown[i] == (uint32_t)child);

	/* The namespace read first (the lower inode) ends inside a record: the other is not read. */
	reset(NULL);
	prepare_two_namespaces(netns);
	first = own_netns < netns ? own_netns : netns;
	fake.sockets[fake.sockets_netns[0] == first ? 0 : 1].len -= 1;
	assert_int_equal(run(), -EPROTO);
	assert_int_equal(fake.sockets_runs, 1);
	assert_int_equal(fake.sockets_ran_in[0], first);
	assert_int_equal(got.nshown, 0);
}

static void test_callers_error_stops_the_run(void **state)
{
	struct stream *o = &fake.owners[0], *s = sockets_in_netns(own_netns);

	(void)state;
	put_process(o, 801);
	put_netns(o, 801, own_netns);
	for (uint64_t c = 1; c <= 3; c++)
		put_socket(s, c, 801, own_netns);
	got.fail_socket_at = 2;
	assert_int_equal(run(), -EIO);
	assert_int_equal(got.nsockets, 2);
	assert_int_equal(got.nshown, 0);
}

/* Each stand-in failing in turn: its errno, no process said, nothing left behind. */
static void test_iterators_that_cannot_run(void **state)
{
	int *fail[] = { &fake.fail_map_create, &fake.fail_update, &fake.fail_link,
			&fake.fail_owners_iter, &fake.fail_sockets_iter };
	int err[] = { EPERM, E2BIG, EINVAL, EOPNOTSUPP, EACCES };

	(void)state;
	for (size_t i = 0; i < sizeof(err) / sizeof(err[0]); i++) {
		reset(NULL);
		put_process(&fake.owners[0], 901);
		put_netns(&fake.owners[0], 901, own_netns);
		put_socket(sockets_in_netns(own_netns), 1, 901, own_netns);
		*fail[i] = err[i];
		assert_int_equal(run(), -err[i]);
		assert_int_equal(got.nshown, 0);
	}
}

/*
 * A socket out of room right after its process's first netns record: that
 * NOMEM record may carry the namespace too, and sorts before the netns
 * records of the namespace.  The namespace must still be run, and only the
 * process out of room left to /proc.
 */
static void test_nomem_in_a_namespace_does_not_skip_it(void **state)
{
	static const uint32_t shown[] = { 1002 };

	(void)state;
	for (int r = 0; r < 2; r++) {
		struct stream *o = &fake.owners[r];

		put_process(o, 1001);
		put_netns(o, 1001, own_netns);
		put_owner_nomem(o, 1001, own_netns);
		put_process(o, 1002);
		put_netns(o, 1002, own_netns);
	}
	put_socket(sockets_in_netns(own_netns), 1, 1002, own_netns);
	assert_int_equal(run(), 0);
	assert_shown(shown, 1);
	assert_int_equal(fake.sockets_runs, 1);
	assert_int_equal(got.nsockets, 1);
}

static void test_no_iterators_calls_nothing(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		struct snapshot_source none = source;

		if (i == 0)
			none.owners_iter_fd = -1;
		else if (i == 1)
			none.sockets_iter_fd = -1;
		else
			none.maps_fd = -1;
		assert_int_equal(snapshot_iter__run(&none, &cbs), -EOPNOTSUPP);
		assert_int_equal(fake.calls, 0);
		assert_int_equal(got.nshown + got.nsockets, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_records_split_across_reads, reset),
		cmocka_unit_test_setup(test_output_not_ending_on_a_record_is_eproto, reset),
		cmocka_unit_test_setup(test_unknown_record_is_eproto, reset),
		cmocka_unit_test_setup(test_owners_out_of_room_run_again_with_more, reset),
		cmocka_unit_test_setup(test_owners_out_of_room_twice_leave_the_process_unshown,
				       reset),
		cmocka_unit_test_setup(test_socket_out_of_room_is_enomem, reset),
		cmocka_unit_test_setup(test_namespace_not_entered_leaves_its_processes_unshown,
				       reset),
		cmocka_unit_test_setup_teardown(test_other_namespace_read_from_inside, reset,
						stop_child),
		cmocka_unit_test_setup(test_callers_error_stops_the_run, reset),
		cmocka_unit_test_setup(test_iterators_that_cannot_run, reset),
		cmocka_unit_test_setup(test_nomem_in_a_namespace_does_not_skip_it, reset),
		cmocka_unit_test_setup(test_no_iterators_calls_nothing, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
