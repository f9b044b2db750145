// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcptop.c - the tcptop face: every interval, the TCP connections of the
 * host by bytes in that interval.  The kernel counts (per-connection maps,
 * no record per packet); this reads and empties them once per interval.
 */
#include <errno.h>
#include <fcntl.h>
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

#define CLEAR_SCREEN "\033[H\033[2J" /* what clear(1) prints on ANSI terminals */

struct tcptop_row {
	struct snoop_conn_key key;
	struct snoop_conn_bytes val;
};

struct tcptop_app {
	struct tcptop_config cfg;
	struct packets_loader *pl;
	struct sink *out;
	uint64_t seconds;
	uint64_t reports;
	uint64_t payload_in, payload_out; /* host-wide counters at the last report */
	uint64_t conn_full_reported;
	bool out_gone;
	int drain_err;
	struct tcptop_row *rows;
	size_t n_rows, cap_rows;
	char line[TCPSNOOP_LINE_MAX];
};

/* The 1-minute load average in hundredths (0 when /proc/loadavg cannot be read). */
static uint64_t load_centi(void)
{
	char buf[128];
	uint64_t centi = 0;
	int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return fmt_parse_loadavg(buf, &centi) ? 0 : centi;
}

/* Keep one connection row of the interval (drain callback). */
static void keep_row(void *ctx, const struct snoop_conn_key *key,
		     const struct snoop_conn_bytes *val)
{
	struct tcptop_app *app = ctx;

	if (app->n_rows == app->cap_rows) {
		size_t cap = app->cap_rows ? app->cap_rows * 2 : 256;
		struct tcptop_row *rows = realloc(app->rows, cap * sizeof(*rows));

		if (!rows) {
			app->drain_err = -ENOMEM;
			return;
		}
		app->rows = rows;
		app->cap_rows = cap;
	}
	app->rows[app->n_rows].key = *key;
	app->rows[app->n_rows].val = *val;
	app->n_rows++;
}

/* Most bytes first; ties in a stable order (pid, then ports). */
static int row_cmp(const void *a, const void *b)
{
	const struct tcptop_row *x = a, *y = b;

	if (x->val.bytes != y->val.bytes)
		return x->val.bytes < y->val.bytes ? 1 : -1;
	if (x->key.pid != y->key.pid)
		return x->key.pid < y->key.pid ? -1 : 1;
	if (x->key.lport != y->key.lport)
		return x->key.lport < y->key.lport ? -1 : 1;
	return (int)x->key.rport - (int)y->key.rport;
}

static void write_line(struct tcptop_app *app, size_t len)
{
	sink__write(app->out, app->line, len);
}

/* One report: status line, header, the interval's rows, an empty line. */
static void report(struct tcptop_app *app)
{
	uint64_t in, out, full;
	int err;

	app->n_rows = 0;
	app->drain_err = 0;
	err = packets_loader__drain(app->pl, keep_row, app);
	if (err || app->drain_err)
		diag_warn("cannot read the connection counters: %s",
			  strerror(-(err ? err : app->drain_err)));
	/* An interval with no traffic has no rows, and qsort() may not be given NULL. */
	if (app->n_rows > 1)
		qsort(app->rows, app->n_rows, sizeof(*app->rows), row_cmp);
	packets_loader__payload(app->pl, &in, &out);

	if (app->cfg.clear)
		sink__write(app->out, CLEAR_SCREEN, sizeof(CLEAR_SCREEN) - 1);
	write_line(app, fmt_tcptop_status(app->line, sizeof(app->line), clock__wall_ns(),
					  load_centi(), (in - app->payload_in) / 1024,
					  (out - app->payload_out) / 1024));
	write_line(app, fmt_tcptop_header(app->line, sizeof(app->line), app->cfg.id));
	for (size_t i = 0; i < app->n_rows; i++)
		write_line(app, fmt_tcptop_row(app->line, sizeof(app->line), &app->rows[i].key,
					       &app->rows[i].val, app->cfg.id));
	sink__write(app->out, "\n", 1);
	if (sink__flush(app->out) == -EPIPE)
		app->out_gone = true;
	app->payload_in = in;
	app->payload_out = out;
	app->reports++;

	full = packets_loader__conn_full(app->pl);
	if (full > app->conn_full_reported) {
		diag_warn("%llu packets not counted: the connection table was full",
			  (unsigned long long)(full - app->conn_full_reported));
		app->conn_full_reported = full;
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx; /* tcptop asks for no records */
	(void)data;
	(void)len;
	return 0;
}

static void on_batch(void *ctx)
{
	(void)ctx;
}

/* Once a second: a report every interval; stop after @count of them. */
static int on_tick(void *ctx)
{
	struct tcptop_app *app = ctx;

	if (++app->seconds % app->cfg.interval_s == 0)
		report(app);
	return app->out_gone || (app->cfg.count && app->reports >= app->cfg.count);
}

int tcptop_main(int argc, char **argv)
{
	static const struct loop_callbacks callbacks = {
		.on_event = on_event, .on_batch = on_batch, .on_tick = on_tick,
		/* No on_hangup: there is no file to reopen, standard output only. */
	};
	struct tcptop_app *app = calloc(1, sizeof(*app));
	struct packets_config pk = { .count_mode = true };
	char err[256] = "";
	int rc;

	if (!app)
		return EXIT_FAILURE_RUNTIME;
	diag__setup("tcptop", false);
	rc = face__check_setid(true);
	if (rc)
		goto out;
	rc = packets_face__cli("tcptop", cli_tcptop__parse(argc, argv, &app->cfg, err, sizeof(err)),
			       err, cli_tcptop__usage);
	if (rc >= 0)
		goto out;
	rc = EXIT_FAILURE_RUNTIME;
	app->out = sink__new_fd(STDOUT_FILENO, "standard output");
	if (!app->out) {
		diag_error("out of memory");
		goto out;
	}
	pk.want_netns = app->cfg.id == TCPTOP_ID_ZONE;
	app->pl = packets_face__open(&pk, &rc);
	if (!app->pl)
		goto out;
	packets_loader__payload(app->pl, &app->payload_in, &app->payload_out);
	sink__write(app->out, "Tracing... Please wait.\n", 24);
	sink__flush(app->out);
	rc = packets_face__run(app->pl, &callbacks, app, app->out, &app->out_gone);
	if (!app->out_gone && sink__dropped_lines(app->out))
		diag_warn("%llu lines could not be written to standard output (reader too slow)",
			  (unsigned long long)sink__dropped_lines(app->out));
out:
	packets_loader__free(app->pl);
	sink__free(app->out);
	free(app->rows);
	free(app);
	return rc;
}
