// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_proc_loadavg.c - tcptop's /proc/loadavg parser (fmt_parse_loadavg)
 * on any text, read as tcptop reads it: at most 127 bytes and a NUL.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packets/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t centi = 0;
	char *buf;
	int rc;

	if (size > 127)
		size = 127;
	buf = malloc(size + 1);
	if (size)
		memcpy(buf, data, size);
	buf[size] = '\0';
	rc = fmt_parse_loadavg(buf, &centi);
	if (rc != 0 && rc != -EINVAL)
		abort();
	free(buf);
	return 0;
}
