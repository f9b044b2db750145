// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_start_owners.c - an event the programs sent before the start-up
 * snapshot reached its socket gets what the snapshot found, with the kernel
 * record's merge rule: an unknown owner becomes the one found, an owner the
 * programs recorded is kept, a missing direction is added, and it is marked
 * seen at start.  Sockets the snapshot did not find are left alone.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "snoop/start_owners.h"
#include "helpers.h"

/* What the snapshot reports of the socket with @cookie, owned by @pid. */
static struct snoop_event found(uint64_t cookie, uint32_t pid, uint8_t dir)
{
	struct snoop_event e = test_event(SNOOP_KIND_STATE, "10.0.0.2", 40000, "10.0.0.1", 80);

	test_set_owner(&e, SNOOP_ATTR_SNAPSHOT, pid, pid, "client");
	e.cookie = cookie;
	e.flags = SNOOP_SF_SNAPSHOT | dir;
	return e;
}

static struct start_owners *table(void)
{
	struct start_owners *so = start_owners__new();
	struct snoop_event e;

	assert_non_null(so);
	/* Added out of order: the look-up must not depend on it. */
	for (uint64_t c = 1000; c > 0; c--) {
		e = found(c * 7, (uint32_t)c, c % 2 ? SNOOP_SF_ACTIVE : SNOOP_SF_PASSIVE);
		assert_int_equal(start_owners__add(so, &e), 0);
	}
	start_owners__seal(so);
	assert_int_equal(start_owners__count(so), 1000);
	return so;
}

static void test_unknown_owner_takes_the_snapshots(void **state)
{
	struct start_owners *so = table();
	/* A retransmit from the timer before the scan: no record, no owner. */
	struct snoop_event e = test_event(SNOOP_KIND_RETRANSMIT, "10.0.0.2", 40000, "10.0.0.1", 80);

	(void)state;
	e.cookie = 21 * 7;
	assert_true(start_owners__fill(so, &e));
	assert_int_equal(e.attribution, SNOOP_ATTR_SNAPSHOT);
	assert_int_equal(e.owner.pid, 21);
	assert_string_equal(e.owner.comm, "client");
	assert_int_equal(e.flags, SNOOP_SF_SNAPSHOT | SNOOP_SF_ACTIVE);
	e.cookie = 22 * 7;
	e.attribution = SNOOP_ATTR_UNKNOWN;
	e.flags = 0;
	assert_true(start_owners__fill(so, &e));
	assert_int_equal(e.owner.pid, 22);
	assert_int_equal(e.flags, SNOOP_SF_SNAPSHOT | SNOOP_SF_PASSIVE);
	start_owners__free(so);
}

static void test_recorded_owner_and_direction_are_kept(void **state)
{
	struct start_owners *so = table();
	struct snoop_event e = test_event(SNOOP_KIND_STATE, "10.0.0.2", 40000, "10.0.0.1", 80);

	(void)state;
	/* A send before the scan made the record: its owner is newer. */
	test_set_owner(&e, SNOOP_ATTR_OWNER, 4242, 4243, "worker");
	e.cookie = 21 * 7;
	assert_true(start_owners__fill(so, &e));
	assert_int_equal(e.attribution, SNOOP_ATTR_OWNER);
	assert_int_equal(e.owner.pid, 4242);
	assert_int_equal(e.owner.tid, 4243);
	assert_int_equal(e.flags, SNOOP_SF_SNAPSHOT | SNOOP_SF_ACTIVE);
	/* A direction the programs saw is not overwritten. */
	e.flags = SNOOP_SF_PASSIVE;
	assert_true(start_owners__fill(so, &e));
	assert_int_equal(e.flags, SNOOP_SF_SNAPSHOT | SNOOP_SF_PASSIVE);
	/* Already all there: nothing to change. */
	assert_false(start_owners__fill(so, &e));
	start_owners__free(so);
}

static void test_other_sockets_are_left_alone(void **state)
{
	struct start_owners *so = table();
	struct snoop_event e = test_event(SNOOP_KIND_RETRANSMIT, "10.0.0.2", 40000, "10.0.0.1", 80);
	struct snoop_event before;

	(void)state;
	for (uint64_t c = 0; c < 7 * 1002; c++) {
		if (c % 7 == 0 && c && c <= 7000)
			continue;
		e.cookie = c;
		before = e;
		assert_false(start_owners__fill(so, &e));
		assert_memory_equal(&e, &before, sizeof(e));
	}
	start_owners__free(so);
}

static void test_empty_and_unsealed(void **state)
{
	struct start_owners *so = start_owners__new();
	struct snoop_event e = found(7, 1, SNOOP_SF_ACTIVE);

	(void)state;
	assert_int_equal(start_owners__add(so, &e), 0);
	/* Not sealed yet: no look-ups into an unsorted table. */
	e.flags = 0;
	e.attribution = SNOOP_ATTR_UNKNOWN;
	assert_false(start_owners__fill(so, &e));
	start_owners__seal(so);
	assert_int_equal(start_owners__add(so, &e), -EBUSY);
	assert_true(start_owners__fill(so, &e));
	start_owners__free(so);
	so = start_owners__new();
	start_owners__seal(so);
	assert_false(start_owners__fill(so, &e));
	assert_int_equal(start_owners__count(so), 0);
	start_owners__free(so);
	start_owners__free(NULL);
	assert_int_equal(start_owners__count(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_owner_takes_the_snapshots),
		cmocka_unit_test(test_recorded_owner_and_direction_are_kept),
		cmocka_unit_test(test_other_sockets_are_left_alone),
		cmocka_unit_test(test_empty_and_unsealed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
