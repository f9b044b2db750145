/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* clock.h - the two clocks: the kernel stamps events with CLOCK_MONOTONIC, people read wall time. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC now, in ns: the clock of bpf_ktime_get_ns(). */
uint64_t clock__mono_ns(void);

/* CLOCK_REALTIME now, in ns. */
uint64_t clock__wall_ns(void);

/* Add this to a CLOCK_MONOTONIC time to get wall time (changes when the clock is set). */
int64_t clock__mono_to_wall(void);

#endif
