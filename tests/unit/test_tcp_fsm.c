// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_tcp_fsm.c - the gap lengths the BPF side counts as undelivered
 * transitions: fewest transitions between two states of the traced machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/tcp_fsm.h"

static uint8_t len[TCP_FSM_CELLS];

#define PATH(a, b) len[SNOOP_TCP_##a * SNOOP_TCP_MAX_STATES + SNOOP_TCP_##b]

static int setup(void **state)
{
	(void)state;
	tcp_fsm__path_lengths(len);
	return 0;
}

/* One missing transition along each side's usual sequence counts 1. */
static void test_gap_of_one_missing_transition_is_one(void **state)
{
	(void)state;
	assert_int_equal(PATH(SYN_SENT, ESTABLISHED), 1); /* client lost ESTABLISHED */
	assert_int_equal(PATH(LISTEN, SYN_RECV), 1);	  /* child's first transition */
	assert_int_equal(PATH(LAST_ACK, CLOSE), 1);	  /* lost final close, at destroy */
	assert_int_equal(PATH(FIN_WAIT2, CLOSE), 1);
	assert_int_equal(PATH(CLOSE_WAIT, LAST_ACK), 1);
}

/* Consecutive losses count each transition: the shortest path. */
static void test_gap_of_several_transitions_is_the_shortest_path(void **state)
{
	(void)state;
	assert_int_equal(PATH(LISTEN, ESTABLISHED), 2); /* SYN_RECV and ESTABLISHED lost */
	assert_int_equal(PATH(SYN_SENT, FIN_WAIT1), 2);
	assert_int_equal(PATH(CLOSE, ESTABLISHED), 2); /* CLOSE -> SYN_SENT -> ESTABLISHED */
	assert_int_equal(PATH(ESTABLISHED, LAST_ACK), 2);
	assert_int_equal(PATH(SYN_SENT, FIN_WAIT2), 3);
	assert_int_equal(PATH(LISTEN, CLOSE), 1); /* a listener closing */
}

/*
 * No gap for the same state.  Any state is reachable through CLOSE (a socket
 * can connect again); only states never entered by a full socket are not.
 */
static void test_same_state_and_unreachable_are_zero(void **state)
{
	(void)state;
	for (int s = 0; s < SNOOP_TCP_MAX_STATES; s++)
		assert_int_equal(len[s * SNOOP_TCP_MAX_STATES + s], 0);
	assert_int_equal(PATH(CLOSE_WAIT, FIN_WAIT1), 4);
	assert_int_equal(PATH(ESTABLISHED, SYN_SENT), 2); /* via CLOSE: a reused socket */
	assert_int_equal(PATH(ESTABLISHED, TIME_WAIT), 0);
	assert_int_equal(PATH(ESTABLISHED, NEW_SYN_RECV), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gap_of_one_missing_transition_is_one),
		cmocka_unit_test(test_gap_of_several_transitions_is_the_shortest_path),
		cmocka_unit_test(test_same_state_and_unreachable_are_zero),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
