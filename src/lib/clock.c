// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* clock.c - monotonic and wall-clock time (see clock.h). */
#include <time.h>

#include "lib/clock.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock__mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t clock__wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t clock__mono_to_wall(void)
{
	return (int64_t)(clock__wall_ns() - clock__mono_ns());
}
