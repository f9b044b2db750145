// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcp_fsm.c - shortest paths in the traced TCP state machine (see tcp_fsm.h). */
#include <string.h>

#include "lib/tcp_fsm.h"

struct transition {
	uint8_t from, to;
};

#define SNOOP_TCP_EDGE(a, b) { SNOOP_TCP_##a, SNOOP_TCP_##b },
static const struct transition transitions[] = { SNOOP_TCP_TRANSITIONS(SNOOP_TCP_EDGE) };
#undef SNOOP_TCP_EDGE

#define N_TRANSITIONS (sizeof(transitions) / sizeof(transitions[0]))

/* Breadth-first from @from: @row[to] = fewest transitions to reach @to. */
static void paths_from(uint8_t from, uint8_t row[SNOOP_TCP_MAX_STATES])
{
	uint8_t queue[SNOOP_TCP_MAX_STATES];
	int seen[SNOOP_TCP_MAX_STATES] = { 0 };
	unsigned int head = 0, tail = 0;

	memset(row, 0, SNOOP_TCP_MAX_STATES);
	seen[from] = 1;
	queue[tail++] = from;
	while (head < tail) {
		uint8_t s = queue[head++];

		for (size_t i = 0; i < N_TRANSITIONS; i++) {
			uint8_t t = transitions[i].to;

			if (transitions[i].from != s || seen[t])
				continue;
			seen[t] = 1;
			row[t] = (uint8_t)(row[s] + 1);
			queue[tail++] = t;
		}
	}
}

void tcp_fsm__path_lengths(uint8_t len[TCP_FSM_CELLS])
{
	for (unsigned int from = 0; from < SNOOP_TCP_MAX_STATES; from++)
		paths_from((uint8_t)from, len + (size_t)from * SNOOP_TCP_MAX_STATES);
}
