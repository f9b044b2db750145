// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_fmt_tcpsnoop.c - packet records -> tcpsnoop rows, tcptop rows and
 * status lines, on arbitrary records and column sets, in the buffer size
 * the faces use.  Each line is one line of printable ASCII and a newline.
 */
#include <stdint.h>
#include <stdlib.h>

#include "packets/fmt.h"
#include "fuzz_util.h"

/* What a line of this formatter must be (fuzz_check_line()). */
static void check_line(const char *line, size_t n)
{
	fuzz_check_line("row: newline missing, or a raw control or non-ASCII byte", line, n,
			TCPSNOOP_LINE_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[TCPSNOOP_LINE_MAX];
	struct snoop_packet p;
	struct snoop_conn_key key;
	struct snoop_conn_bytes val;
	uint64_t wall_ns, load, in_kb, out_kb;
	uint32_t cols;
	uint8_t id;
	unsigned int segs;

	fuzz_take(&data, &size, &cols, sizeof(cols));
	fuzz_take(&data, &size, &id, sizeof(id));
	fuzz_take(&data, &size, &wall_ns, sizeof(wall_ns));
	fuzz_take(&data, &size, &p, sizeof(p));
	fuzz_take(&data, &size, &key, sizeof(key));
	fuzz_take(&data, &size, &val, sizeof(val));
	fuzz_take(&data, &size, &load, sizeof(load));
	fuzz_take(&data, &size, &in_kb, sizeof(in_kb));
	fuzz_take(&data, &size, &out_kb, sizeof(out_kb));
	cols &= TCPSNOOP_COL_ALL | TCPSNOOP_COL_WIDE;
	id %= 3;

	check_line(line, fmt_tcpsnoop_header(line, sizeof(line), cols));
	segs = fmt_tcpsnoop_segments(&p);
	if (segs < 1)
		abort();
	/* The first, second and last segments: their sizes differ. */
	for (unsigned int seg = 0; seg < segs; seg = seg < 2 ? seg + 1 : segs - 1) {
		(void)fmt_tcpsnoop_size(&p, seg);
		check_line(line, fmt_tcpsnoop_row(line, sizeof(line), &p, seg, cols, wall_ns));
		if (seg == segs - 1)
			break;
	}
	check_line(line, fmt_tcptop_header(line, sizeof(line), (enum tcptop_id)id));
	check_line(line, fmt_tcptop_row(line, sizeof(line), &key, &val, (enum tcptop_id)id));
	/* The status line is followed by an empty line. */
	(void)fmt_tcptop_status(line, sizeof(line), wall_ns, load, in_kb, out_kb);
	return 0;
}
