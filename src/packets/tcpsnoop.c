// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpsnoop.c - the tcpsnoop face: one line per TCP packet with its owner,
 * in DTraceToolkit's columns.  Options, packet loader, loop and output
 * wired together; the only place that prints this face's errors.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "common/diag.h"
#include "common/caps.h"
#include "packets/cli.h"
#include "common/exitcode.h"
#include "common/face.h"
#include "common/faces.h"
#include "packets/face.h"
#include "packets/fmt.h"
#include "common/loop.h"
#include "packets/loader.h"
#include "common/sink.h"

struct tcpsnoop_app {
	struct tcpsnoop_config cfg;
	struct packets_loader *pl;
	struct sink *out;
	int64_t mono_to_wall_ns;
	uint64_t lost_reported;
	uint64_t write_errors;
	uint64_t dropped_reported; /* lines standard output could not take, as last told */
	bool out_gone;		   /* the reader of standard output went away */
	char line[TCPSNOOP_LINE_MAX];
};

/* One record: a row per wire segment of the packet. */
static int on_event(void *ctx, void *data, size_t len)
{
	struct tcpsnoop_app *app = ctx;
	const struct snoop_packet *p = data;
	uint64_t wall;
	unsigned int segs;

	if (len < sizeof(*p) || app->out_gone)
		return 0;
	wall = p->ts_ns + (uint64_t)app->mono_to_wall_ns;
	segs = fmt_tcpsnoop_segments(p);
	for (unsigned int i = 0; i < segs; i++)
		sink__write(app->out, app->line,
			    fmt_tcpsnoop_row(app->line, sizeof(app->line), p, i, app->cfg.columns,
					     wall));
	return 0;
}

static void on_batch(void *ctx)
{
	struct tcpsnoop_app *app = ctx;
	int err = sink__flush(app->out);

	if (!err || app->out_gone)
		return;
	if (err == -EPIPE) {
		app->out_gone = true; /* stop like head(1) would have us */
		return;
	}
	if (app->write_errors++ == 0)
		diag_warn("writing to standard output failed: %s (%llu bytes dropped so far)",
			  strerror(-err), (unsigned long long)sink__dropped_bytes(app->out));
}

/* Packet lines the kernel could not deliver since the last check, on stderr. */
static void report_losses(struct tcpsnoop_app *app)
{
	uint64_t lost = packets_loader__lost(app->pl);
	uint64_t dropped = sink__dropped_lines(app->out);

	/* A reader too slow for the stream: its lines were dropped, not waited for. */
	if (dropped > app->dropped_reported && !app->out_gone)
		diag_warn("%llu lines could not be written to standard output (reader too slow)",
			  (unsigned long long)(dropped - app->dropped_reported));
	app->dropped_reported = dropped;
	if (lost <= app->lost_reported)
		return;
	on_batch(app); /* the lines before the gap first */
	diag_warn("%llu packet lines lost (ring buffer full or runs skipped)",
		  (unsigned long long)(lost - app->lost_reported));
	app->lost_reported = lost;
}

static int on_tick(void *ctx)
{
	struct tcpsnoop_app *app = ctx;

	app->mono_to_wall_ns = clock__mono_to_wall();
	report_losses(app);
	return app->out_gone;
}

int tcpsnoop_main(int argc, char **argv)
{
	static const struct loop_callbacks callbacks = {
		.on_event = on_event, .on_batch = on_batch, .on_tick = on_tick,
		/* No on_hangup: there is no file to reopen, standard output only. */
	};
	struct tcpsnoop_app *app = calloc(1, sizeof(*app));
	char err[256] = "";
	int rc;

	if (!app)
		return EXIT_FAILURE_RUNTIME;
	diag__setup("tcpsnoop", false);
	rc = face__check_setid(true);
	if (rc)
		goto out;
	rc = packets_face__cli("tcpsnoop",
			       cli_tcpsnoop__parse(argc, argv, &app->cfg, err, sizeof(err)), err,
			       cli_tcpsnoop__usage);
	if (rc >= 0)
		goto out;
	rc = EXIT_FAILURE_RUNTIME;
	app->out = sink__new_fd(STDOUT_FILENO, "standard output");
	if (!app->out) {
		diag_error("out of memory");
		goto out;
	}
	app->pl = packets_face__open(&app->cfg.pk, &rc);
	if (!app->pl)
		goto out;
	app->mono_to_wall_ns = clock__mono_to_wall();
	/* The header once everything is attached: a reader may wait for it. */
	sink__write(app->out, app->line,
		    fmt_tcpsnoop_header(app->line, sizeof(app->line), app->cfg.columns));
	on_batch(app);
	rc = packets_face__run(app->pl, &callbacks, app, app->out, &app->out_gone);
	report_losses(app);
out:
	packets_loader__free(app->pl);
	sink__free(app->out);
	free(app);
	return rc;
}
