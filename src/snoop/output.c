// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* output.c - the two output formats of socket-snoop (see output.h). */
#include "snoop/fmt_json.h"
#include "snoop/fmt_log.h"
#include "snoop/lifecycle.h"
#include "snoop/output.h"

/* The log format numbers nothing: the seed's lines carry no sequence. */
static size_t log_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns,
			uint64_t seq)
{
	(void)seq;
	return fmt_log_event(buf, size, e, wall_ns);
}

static size_t log_lost(char *buf, size_t size, const struct snoop_loss *loss, uint64_t wall_ns,
		       uint64_t seq)
{
	(void)seq;
	return fmt_log_lost(buf, size, loss, wall_ns);
}

/* The report's own lines carry their times: the time of the report is not printed. */
static void log_report(const struct lifecycle *lc, FILE *out, uint64_t wall_ns)
{
	(void)wall_ns;
	lifecycle__report(lc, out);
}

static const struct output_format formats[] = {
	{
		.name = "log",
		.event = log_event,
		.lost = log_lost,
		.report = log_report,
	},
	{
		.name = "json",
		.json_diagnostics = true,
		.event = fmt_json_event,
		.lost = fmt_json_lost,
		.report = lifecycle__report_json,
	},
};

const struct output_format *output_format__get(bool json)
{
	return &formats[json ? 1 : 0];
}
