// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_json_message.c - the diagnostics writer (diag__json_line): messages
 * carry outside text (paths, option values, libbpf's words), so any bytes,
 * NUL included, any length.  The output must be one valid JSON object and a
 * newline with no raw control byte, whatever the message: a message too long
 * is cut, the object never.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/diag.h"
#include "lib/text.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const levels[] = { "info", "warning", "error" };
	static const char *const loggers[] = { "socket-snoop", "tcpsnoop", "tcptop" };
	static char line[FMT_LINE_MAX];
	uint64_t wall_ns = 0;
	const char *level, *logger;
	char *msg;
	size_t n;

	if (size < 1)
		return 0;
	level = levels[data[0] % 3];
	logger = loggers[data[0] / 3 % 3];
	data++;
	size--;
	fuzz_take(&data, &size, &wall_ns, sizeof(wall_ns));
	/* Exactly the message's bytes, NUL bytes included, no terminator. */
	msg = malloc(size ? size : 1);
	if (size)
		memcpy(msg, data, size);

	n = diag__json_line(line, sizeof(line), level, logger, msg, size, wall_ns);
	fuzz_check_json_line(line, n);
	free(msg);
	return 0;
}
