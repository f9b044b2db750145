// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bpf_util.c - helpers of the BPF loaders (see bpf_util.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

#include "common/bpf_util.h"
#include "common/caps.h"

const char *bpf_util__btf_custom_path(void)
{
	return caps__can_walk_module_btf() ? NULL : BPF_UTIL_VMLINUX_BTF;
}

void loader_error__set(struct loader_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

uint64_t bpf_util__percpu_sum(const struct bpf_map *map, uint32_t key)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	uint64_t *vals;

	if (cpus <= 0)
		return 0;
	vals = calloc((size_t)cpus, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map__lookup_elem(map, &key, sizeof(key), vals, sizeof(*vals) * (size_t)cpus, 0))
		for (int i = 0; i < cpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}
