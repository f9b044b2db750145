// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* names.c - kernel enum names from BTF (see names.h). */
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "names.h"

#define MAX_REASONS 64
#define REASON_PREFIX "SK_RST_REASON_"

static char *reset_reasons[MAX_REASONS];

int names__load(const struct btf *vmlinux)
{
	const struct btf_enum *v;
	const struct btf_type *t;
	int id = btf__find_by_name_kind(vmlinux, "sk_rst_reason", BTF_KIND_ENUM);

	if (id < 0)
		return id;
	t = btf__type_by_id(vmlinux, id);
	v = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, v++) {
		const char *name = btf__name_by_offset(vmlinux, v->name_off);

		if (v->val < 0 || v->val >= MAX_REASONS || !name)
			continue;
		if (strncmp(name, REASON_PREFIX, strlen(REASON_PREFIX)) == 0)
			name += strlen(REASON_PREFIX);
		free(reset_reasons[v->val]);
		reset_reasons[v->val] = strdup(name);
	}
	return 0;
}

const char *names__reset_reason(int reason)
{
	if (reason < 0 || reason >= MAX_REASONS)
		return NULL;
	return reset_reasons[reason];
}
