// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* names.c - reset reason names (see names.h). */
#include <stddef.h>

#include "names.h"
#include "snoop.h"

const char *names__reset_reason(int reason)
{
#define SNOOP_RST_NAME(name) #name,
	static const char *const names[SNOOP_RST_COUNT] = { SNOOP_RST_REASONS(SNOOP_RST_NAME) };
#undef SNOOP_RST_NAME

	if (reason < 0 || reason >= SNOOP_RST_COUNT)
		return NULL;
	return names[reason];
}

const char *names__reset_detail(int detail, long long *number)
{
	if (detail == 0) {
		*number = -1;
		return NULL;
	}
	/* Positive: our index + 1; negative: -(kernel value + 1) for a reason we do not name. */
	*number = detail > 0 ? (long long)detail - 1 : -(long long)detail - 1;
	return detail > 0 ? names__reset_reason(detail - 1) : NULL;
}
