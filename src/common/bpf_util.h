/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * bpf_util.h - what the BPF loaders need around libbpf: the error a loader
 * hands back to its face, the kernel BTF to open objects with and to find
 * tracepoints in, and the sum of a per-CPU counter.
 */
#ifndef COMMON_BPF_UTIL_H
#define COMMON_BPF_UTIL_H

#include <stdint.h>

struct bpf_map;
struct btf;
struct btf_type;

/* Why a loader failed, with the exit status to end with (common/exitcode.h). */
struct loader_error {
	int exit_code;
	char msg[256];
};

/* Fill @err with @code and the message (cut to fit). */
void loader_error__set(struct loader_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The kernel BTF our CO-RE relocations resolve against, given to libbpf as
 * btf_custom_path when CAP_SYS_ADMIN is missing: then a type absent from it
 * (struct kasan_cache on a kernel without KASAN) is not looked for in module
 * BTF, whose walk (BPF_BTF_GET_NEXT_ID) needs CAP_SYS_ADMIN and would make
 * CAP_BPF with CAP_PERFMON not enough.  Only then: libbpf parses the file a
 * second time for it (5.6 MiB more at start-up and about 50 ms, measured).
 */
#define BPF_UTIL_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* BPF_UTIL_VMLINUX_BTF when module BTF cannot be walked, else NULL (libbpf's own choice). */
const char *bpf_util__btf_custom_path(void);

/*
 * The BTF id in @vmlinux of tracepoint @tracepoint's ("category/name")
 * "btf_trace_<name>" typedef, or a negative errno when this kernel has none.
 */
int bpf_util__tracepoint_btf_id(const struct btf *vmlinux, const char *tracepoint);

/*
 * The function prototype of that typedef (a pointer to a function whose first
 * parameter is the tracepoint's context, then its arguments), or NULL.
 */
const struct btf_type *bpf_util__tracepoint_proto(const struct btf *vmlinux,
						  const char *tracepoint);

/* The sum over every CPU of @key in per-CPU array @map; 0 when it cannot be read. */
uint64_t bpf_util__percpu_sum(const struct bpf_map *map, uint32_t key);

#endif
