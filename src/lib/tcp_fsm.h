/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tcp_fsm.h - the TCP state machine as inet_sock_set_state reports it
 * (SNOOP_TCP_TRANSITIONS in snoop.h), for counting the transitions missing
 * in a gap of a socket's sequence.
 */
#ifndef TCP_FSM_H
#define TCP_FSM_H

#include <stdbool.h>
#include <stdint.h>
#include "snoop_abi.h"

#define TCP_FSM_CELLS (SNOOP_TCP_MAX_STATES * SNOOP_TCP_MAX_STATES)

/*
 * Fill @len[from * SNOOP_TCP_MAX_STATES + to] with the fewest transitions
 * that lead from state @from to state @to: 0 when @from == @to or @to cannot
 * be reached.  The BPF side counts that many undelivered transitions per gap.
 */
void tcp_fsm__path_lengths(uint8_t len[TCP_FSM_CELLS]);

/*
 * Whether the transition @old_state -> @new_state is a listening socket's
 * (entering LISTEN, or leaving it for CLOSE): one with no remote end.  LISTEN
 * -> SYN_RECV is a new connection's first, not the listener's.
 */
static inline bool tcp_fsm__listener(int old_state, int new_state)
{
	return new_state == SNOOP_TCP_LISTEN ||
	       (old_state == SNOOP_TCP_LISTEN && new_state == SNOOP_TCP_CLOSE);
}

#endif
