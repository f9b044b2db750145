/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * helpers.h - what the unit tests build their inputs from: times as UTC
 * calendar dates, addresses as the BPF side stores them, and events.
 * Include after <cmocka.h> (the helpers assert).
 */
#ifndef TEST_HELPERS_H
#define TEST_HELPERS_H

#include <arpa/inet.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "snoop_abi.h"

/* Nanoseconds since the epoch of a UTC calendar time (whole seconds). */
static inline uint64_t test_utc_ns(int year, int mon, int mday, int hour, int min, int sec)
{
	struct tm tm = {
		.tm_year = year - 1900,
		.tm_mon = mon - 1,
		.tm_mday = mday,
		.tm_hour = hour,
		.tm_min = min,
		.tm_sec = sec,
	};
	time_t t = timegm(&tm);

	assert_true(t != (time_t)-1);
	return (uint64_t)t * 1000000000ull;
}

/* @text as the BPF side stores an address: IPv6, or IPv4 as ::ffff:a.b.c.d.  Its family. */
static inline uint16_t test_set_addr(uint8_t addr[SNOOP_ADDR_LEN], const char *text)
{
	struct in_addr v4;

	memset(addr, 0, SNOOP_ADDR_LEN);
	if (inet_pton(AF_INET, text, &v4) == 1) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(&addr[12], &v4, 4);
		return AF_INET;
	}
	assert_int_equal(inet_pton(AF_INET6, text, addr), 1);
	return AF_INET6;
}

/* An event of @kind between the local end @src:@sport and the remote @dst:@dport; all else 0. */
static inline struct snoop_event test_event(int kind, const char *src, uint16_t sport,
					    const char *dst, uint16_t dport)
{
	struct snoop_event e;

	memset(&e, 0, sizeof(e));
	e.kind = (uint8_t)kind;
	e.family = test_set_addr(e.saddr, src);
	test_set_addr(e.daddr, dst);
	e.sport = sport;
	e.dport = dport;
	return e;
}

/* @e's owner: @pid (and thread @tid) named @comm, as the kernel recorded it. */
static inline void test_set_owner(struct snoop_event *e, int attribution, uint32_t pid,
				  uint32_t tid, const char *comm)
{
	e->attribution = (uint8_t)attribution;
	e->owner.pid = pid;
	e->owner.tid = tid;
	memcpy(e->owner.comm, comm, strnlen(comm, SNOOP_COMM_LEN));
	/* One thread, the leader: the thread's name is the process's. */
	memcpy(e->owner.thread_comm, comm, strnlen(comm, SNOOP_COMM_LEN));
}

/* Write @len bytes at @data to file @name of directory @dir (a fake /proc's, say). */
static inline void test_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/*
 * A new empty directory /tmp/@name.<6 random characters> (mkdtemp(3)'s
 * template, the X's it replaces) into @dir, a fake tree's root.  0, or -1.
 */
static inline int test_make_tmpdir(char *dir, size_t size, const char *name)
{
	if (snprintf(dir, size, "/tmp/%s.XXXXXX", name) >= (int)size)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

/* Remove directory @dir and everything under it.  0, or -1. */
static inline int test_remove_tree(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Descriptors this process holds: the same before and after a test means nothing leaked. */
static inline int test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

#endif
