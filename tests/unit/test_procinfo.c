// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_procinfo.c - what /proc says of a process, cached: this very process
 * through the real /proc, and hostile processes through a /proc of the test's
 * own (a directory of fake PID/stat and PID/cmdline): a command name
 * with ") ", a command line of control bytes and of 100,000 arguments, a
 * parent that changes, a PID that is reused, a process that is gone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/procinfo.h"
#include "helpers.h"

#define SEC 1000000000ull

/* The fake /proc of a test, made in setup and removed in teardown. */
static char root[64];

static void put_file(const char *name, const void *data, size_t len)
{
	test_write_file(root, name, data, len);
}

/* Fake process @pid: parent @ppid, started at @start, command line @cmd (@len bytes). */
static void fake_proc(unsigned int pid, unsigned int ppid, unsigned long long start,
		      const char *cmd, size_t len)
{
	char name[128], stat[512];
	int n;

	snprintf(name, sizeof(name), "%s/%u", root, pid);
	mkdir(name, 0755);
	/* A name holding ") " and digits: fields count from the last ')'. */
	n = snprintf(stat, sizeof(stat),
		     "%u (x) 9 9 (y) S %u %u %u 0 -1 4194560 10 0 0 0 15 16 0 0 20 0 1 0 %llu "
		     "123456 789\n",
		     pid, ppid, pid, pid, start);
	snprintf(name, sizeof(name), "%u/stat", pid);
	put_file(name, stat, (size_t)n);
	snprintf(name, sizeof(name), "%u/cmdline", pid);
	put_file(name, cmd, len);
}

static int fake_root_setup(void **state)
{
	char path[128];

	(void)state;
	if (test_make_tmpdir(root, sizeof(root), "test-procinfo"))
		return -1;
	/* Each directory of the boot id's path, outermost first. */
	for (const char *d = "sys\0sys/kernel\0sys/kernel/random\0"; *d; d += strlen(d) + 1) {
		snprintf(path, sizeof(path), "%s/%s", root, d);
		if (mkdir(path, 0755))
			return -1;
	}
	put_file("sys/kernel/random/boot_id", "0e7a7d53-1111-2222-3333-444455556666\n", 37);
	return 0;
}

static int fake_root_teardown(void **state)
{
	(void)state;
	return test_remove_tree(root);
}

static void test_this_process_through_the_real_proc(void **state)
{
	struct procinfo_cache *c;
	const struct procinfo *p;

	(void)state;
	assert_int_equal(procinfo_cache__new(&c, "/proc"), 0);
	p = procinfo_cache__get(c, (uint32_t)getpid(), 1);
	assert_non_null(p);
	assert_int_equal(p->ppid, getppid());
	/* This test runs without arguments: its command line is its path alone. */
	assert_int_equal(p->args_count, 1);
	assert_non_null(memmem(p->cmdline, p->cmdline_len, "test_procinfo", 13));
	assert_int_equal(strlen(p->entity_id), 32);
	assert_int_equal(strspn(p->entity_id, "0123456789abcdef"), 32);
	/* PID 0 is no process. */
	assert_null(procinfo_cache__get(c, 0, 1));
	procinfo_cache__free(c);
}

static void test_cached_then_read_again_parent_and_identity(void **state)
{
	struct procinfo_cache *c;
	const struct procinfo *p;
	char id[PROCINFO_ENTITY_ID_SIZE];
	uint32_t gen;

	(void)state;
	fake_proc(4242, 100, 5000, "nginx: worker\0", 14);
	assert_int_equal(procinfo_cache__new(&c, root), 0);
	p = procinfo_cache__get(c, 4242, 10 * SEC);
	assert_non_null(p);
	assert_int_equal(p->ppid, 100);
	assert_int_equal(p->args_count, 1);
	assert_int_equal(p->cmdline_len, 13);
	assert_memory_equal(p->cmdline, "nginx: worker", 13);
	memcpy(id, p->entity_id, sizeof(id));
	gen = p->gen;

	/* Re-parented to 1: seen once the parent is read again, not before. */
	fake_proc(4242, 1, 5000, "changed\0", 8);
	p = procinfo_cache__get(c, 4242, 10 * SEC + PROCINFO_TTL_NS - 1);
	assert_int_equal(p->ppid, 100);
	p = procinfo_cache__get(c, 4242, 10 * SEC + PROCINFO_TTL_NS);
	assert_int_equal(p->ppid, 1);
	assert_int_not_equal(p->gen, gen);
	/* The same process: its command line is not read again, its identity kept. */
	assert_memory_equal(p->cmdline, "nginx: worker", 13);
	assert_string_equal(p->entity_id, id);

	/* The PID reused by another process (another start time): all read again. */
	fake_proc(4242, 7, 9000, "other\0arg\0", 10);
	p = procinfo_cache__get(c, 4242, 20 * SEC);
	assert_non_null(p);
	assert_int_equal(p->ppid, 7);
	assert_int_equal(p->args_count, 2);
	assert_int_equal(p->cmdline_len, 9);
	assert_memory_equal(p->cmdline, "other arg", 9);
	assert_string_not_equal(p->entity_id, id);
	procinfo_cache__free(c);
}

static void test_hostile_and_huge_command_lines(void **state)
{
	struct procinfo_cache *c;
	const struct procinfo *p;
	size_t big = 200000;
	char *cmd = malloc(big);

	(void)state;
	assert_non_null(cmd);
	/* 100,000 arguments of one byte each: all counted, 1 KiB kept. */
	for (size_t i = 0; i < big; i += 2) {
		cmd[i] = 'a';
		cmd[i + 1] = '\0';
	}
	fake_proc(5000, 1, 1, cmd, big);
	/* Control bytes, quotes, invalid UTF-8: kept as they are (the writer escapes). */
	fake_proc(5001, 1, 1, "\x1b[2J\n\"\\\xff\xfe\0x\0", 12);
	/* No command line (a kernel thread): none. */
	fake_proc(5002, 2, 1, "", 0);
	assert_int_equal(procinfo_cache__new(&c, root), 0);
	p = procinfo_cache__get(c, 5000, SEC);
	assert_non_null(p);
	/* Counted up to what is read: 64 KiB of it. */
	assert_int_equal(p->args_count, 16 * 4096 / 2);
	assert_int_equal(p->cmdline_len, PROCINFO_CMDLINE_MAX);
	p = procinfo_cache__get(c, 5001, SEC);
	assert_int_equal(p->args_count, 2);
	assert_int_equal(p->cmdline_len, 11);
	assert_memory_equal(p->cmdline, "\x1b[2J\n\"\\\xff\xfe x", 11);
	p = procinfo_cache__get(c, 5002, SEC);
	assert_int_equal(p->cmdline_len, 0);
	assert_int_equal(p->args_count, 0);
	free(cmd);
	procinfo_cache__free(c);
}

static void test_a_process_that_is_gone(void **state)
{
	struct procinfo_cache *c;
	char path[256];

	(void)state;
	fake_proc(6000, 1, 1, "x\0", 2);
	assert_int_equal(procinfo_cache__new(&c, root), 0);
	assert_non_null(procinfo_cache__get(c, 6000, SEC));
	snprintf(path, sizeof(path), "%s/6000/stat", root);
	unlink(path);
	/* Still known within the time to live; then gone, and said so until read again. */
	assert_non_null(procinfo_cache__get(c, 6000, SEC + 1));
	assert_null(procinfo_cache__get(c, 6000, 3 * SEC));
	assert_null(procinfo_cache__get(c, 6000, 3 * SEC + 1));
	/* A PID never seen. */
	assert_null(procinfo_cache__get(c, 6001, SEC));
	procinfo_cache__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_this_process_through_the_real_proc),
		cmocka_unit_test(test_cached_then_read_again_parent_and_identity),
		cmocka_unit_test(test_hostile_and_huge_command_lines),
		cmocka_unit_test(test_a_process_that_is_gone),
	};

	return cmocka_run_group_tests(tests, fake_root_setup, fake_root_teardown);
}
