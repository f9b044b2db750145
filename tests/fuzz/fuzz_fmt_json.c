// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_fmt_json.c - record -> JSON Lines (fmt_json_event, fmt_json_lost) on
 * arbitrary records: every field, the command name and the reset reasons
 * come from the input, as a hostile or buggy kernel side could send them.
 * The output must be one valid JSON object and a newline, valid UTF-8, with
 * no raw control byte, in the buffer size socket-snoop uses.
 */
#include <stdint.h>

#include "snoop/fmt_log.h"
#include "snoop/fmt_json.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[FMT_LINE_MAX];
	struct snoop_event e;
	struct snoop_loss loss;
	uint64_t wall_ns, seq;
	size_t n;

	fuzz_take(&data, &size, &e, sizeof(e));
	fuzz_take(&data, &size, &wall_ns, sizeof(wall_ns));
	fuzz_take(&data, &size, &seq, sizeof(seq));
	fuzz_take(&data, &size, &loss, sizeof(loss));

	n = fmt_json_event(line, sizeof(line), &e, wall_ns, seq);
	fuzz_check_json_line(line, n);
	n = fmt_json_lost(line, sizeof(line), &loss, wall_ns, e.cookie);
	fuzz_check_json_line(line, n);
	return 0;
}
