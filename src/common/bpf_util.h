/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * bpf_util.h - what both faces' BPF loaders need around libbpf: the error a
 * loader hands back to its face, and the sum of a per-CPU counter.
 */
#ifndef COMMON_BPF_UTIL_H
#define COMMON_BPF_UTIL_H

#include <stdint.h>

struct bpf_map;

/* Why a loader failed, with the exit status to end with (common/exitcode.h). */
struct loader_error {
	int exit_code;
	char msg[256];
};

/* Fill @err with @code and the message (cut to fit). */
void loader_error__set(struct loader_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The sum over every CPU of @key in per-CPU array @map; 0 when it cannot be read. */
uint64_t bpf_util__percpu_sum(const struct bpf_map *map, uint32_t key);

#endif
