// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bpf_util.c - helpers of the BPF loaders (see bpf_util.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/bpf_util.h"
#include "common/caps.h"

const char *bpf_util__btf_custom_path(void)
{
	return caps__can_walk_module_btf() ? NULL : BPF_UTIL_VMLINUX_BTF;
}

int bpf_util__tracepoint_btf_id(const struct btf *vmlinux, const char *tracepoint)
{
	const char *name = strchr(tracepoint, '/');
	char type[96];

	if (!name)
		return -EINVAL;
	snprintf(type, sizeof(type), "btf_trace_%s", name + 1);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF);
}

const struct btf_type *bpf_util__tracepoint_proto(const struct btf *vmlinux, const char *tracepoint)
{
	int id = bpf_util__tracepoint_btf_id(vmlinux, tracepoint);
	const struct btf_type *t;

	if (id < 0)
		return NULL;
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type); /* a pointer */
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(vmlinux, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
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
