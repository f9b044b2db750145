// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_procfs.c - fields of /proc/PID/stat after a command name that holds
 * spaces and parentheses of its own, and "key: value" lines (fdinfo's
 * memlock, /proc/stat's btime), from texts and from this process's files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/procfs.h"

static void test_stat_fields_after_a_hostile_name(void **state)
{
	/* A name may hold ") " and digits: fields count from the last ')'. */
	const char *stat = "42 (a) 7 (b) c) S 1 42 42 0 -1 4194560 10 0 0 0 15 16 0 0 20 0 1 0 "
			   "5000 123456 789\n";
	uint64_t v;

	(void)state;
	assert_int_equal(procfs__stat_field(stat, 3, &v), -EINVAL); /* "S": not a number */
	assert_int_equal(procfs__stat_field(stat, 4, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(procfs__stat_field(stat, 9, &v), 0);
	assert_int_equal(v, 4194560);
	assert_int_equal(procfs__stat_field(stat, 14, &v), 0);
	assert_int_equal(v, 15);
	assert_int_equal(procfs__stat_field(stat, 15, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(procfs__stat_field(stat, 22, &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(procfs__stat_field(stat, 24, &v), 0);
	assert_int_equal(v, 789);
	/* "-1": not unsigned; past the end; before the name. */
	assert_int_equal(procfs__stat_field(stat, 8, &v), -EINVAL);
	assert_int_equal(procfs__stat_field(stat, 25, &v), -EINVAL);
	assert_int_equal(procfs__stat_field(stat, 2, &v), -EINVAL);
	assert_int_equal(procfs__stat_field("no name here 1 2 3", 4, &v), -EINVAL);
}

static void test_own_stat_is_read(void **state)
{
	char buf[1024];
	uint64_t ppid, start;

	(void)state;
	assert_true(procfs__read("/proc/self/stat", buf, sizeof(buf)) > 0);
	assert_int_equal(procfs__stat_field(buf, 4, &ppid), 0);
	assert_int_equal(ppid, (uint64_t)getppid());
	assert_int_equal(procfs__stat_field(buf, 22, &start), 0);
	assert_true(start > 0);
	assert_int_equal(procfs__read("/proc/self/no-such-file", buf, sizeof(buf)), -1);
}

static void test_key_values(void **state)
{
	const char *fdinfo = "pos:\t0\nflags:\t02000002\nmap_type:\t2\nmemlock:\t4223304\n"
			     "map_id:\t7\n";
	uint64_t v;

	(void)state;
	assert_int_equal(procfs__key_u64(fdinfo, "memlock:", &v), 0);
	assert_int_equal(v, 4223304);
	assert_int_equal(procfs__key_u64(fdinfo, "pos:", &v), 0);
	assert_int_equal(v, 0);
	/* Only at the start of a line; a value that is not a number. */
	assert_int_equal(procfs__key_u64(fdinfo, "lock:", &v), -ENOENT);
	assert_int_equal(procfs__key_u64("a: x\n", "a:", &v), -EINVAL);
	assert_int_equal(procfs__key_u64("a: 12x\n", "a:", &v), -EINVAL);
	assert_int_equal(procfs__key_u64("cpu 1 2\nbtime 1796458170\n", "btime", &v), 0);
	assert_int_equal(v, 1796458170);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_fields_after_a_hostile_name),
		cmocka_unit_test(test_own_stat_is_read),
		cmocka_unit_test(test_key_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
