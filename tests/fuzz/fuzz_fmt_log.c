// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_fmt_log.c - record -> log line (fmt_log_event, fmt_log_lost) on
 * arbitrary records.  A log line is exactly one line of printable ASCII and
 * a newline, whatever the record holds: a command name with a newline,
 * escape bytes or UTF-8 must not forge a line, a field or a terminal control.
 */
#include <stdint.h>
#include <stdlib.h>

#include "snoop/fmt_log.h"
#include "fuzz_util.h"

/* What a line of this formatter must be (fuzz_check_line()). */
static void check_log_line(const char *line, size_t n)
{
	fuzz_check_line("log line: newline missing, or a raw control or non-ASCII byte", line, n,
			FMT_LINE_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[FMT_LINE_MAX];
	struct snoop_event e;
	struct snoop_loss loss;
	uint64_t wall_ns;
	size_t n;

	fuzz_take(&data, &size, &e, sizeof(e));
	fuzz_take(&data, &size, &wall_ns, sizeof(wall_ns));
	/* Any cause, size and time: an unknown cause is said as such. */
	fuzz_take(&data, &size, &loss, sizeof(loss));

	n = fmt_log_event(line, sizeof(line), &e, wall_ns);
	check_log_line(line, n);
	n = fmt_log_lost(line, sizeof(line), &loss, wall_ns);
	check_log_line(line, n);
	return 0;
}
