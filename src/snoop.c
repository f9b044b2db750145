// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * snoop.c - the socket-snoop face: options, outputs, BPF loader and the
 * loop wired together.  The only place that prints errors for this face.
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "caps.h"
#include "cli.h"
#include "exitcode.h"
#include "faces.h"
#include "fmt.h"
#include "fmt_json.h"
#include "lifecycle.h"
#include "loader.h"
#include "loop.h"
#include "sink.h"
#include "snapshot.h"

#define FALLBACK_LOG_PATH "./socket_monitor.log"
#define REPORT_MAX_CONNS 8192

struct snoop_app {
	struct snoop_config cfg;
	struct loader *loader;
	struct sink *console; /* NULL with --quiet or once its reader is gone */
	struct sink *logfile; /* NULL with --no-log-file */
	struct lifecycle *lc;
	int64_t mono_to_wall_ns;
	uint64_t received;
	uint64_t sequence; /* event.sequence of the JSON output */
	uint64_t lost_reported;
	uint64_t gaps; /* transitions missing between two events of a connection */
	uint64_t console_errors, logfile_errors;
	char line[FMT_LINE_MAX];
};

/* Diagnostics follow the output format: JSON objects on stderr with --json. */
static bool json_diagnostics;

/* One diagnostic line on stderr at @level ("info", "warning", "error"). */
static void say(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const char *level, const char *fmt, ...)
{
	char msg[1024], line[FMT_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_diagnostics) {
		fmt_json_message(line, sizeof(line), level, msg, clock__wall_ns());
		fputs(line, stderr);
	} else if (strcmp(level, "info") == 0) {
		fprintf(stderr, "%s\n", msg);
	} else {
		fprintf(stderr, "socket-snoop: %s\n", msg);
	}
}

#define warn(...) say("warning", __VA_ARGS__)
#define error(...) say("error", __VA_ARGS__)
#define info(...) say("info", __VA_ARGS__)

/* Queue one formatted line on every output. */
static void emit(struct snoop_app *app, const char *line, size_t len)
{
	if (app->console)
		sink__write(app->console, line, len);
	if (app->logfile)
		sink__write(app->logfile, line, len);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct snoop_app *app = ctx;
	const struct snoop_event *e = data;
	uint64_t wall;

	/* Only close summaries carry the close fields (see event_submit()). */
	if (len < offsetof(struct snoop_event, close) ||
	    (e->kind == SNOOP_KIND_CLOSE && len < sizeof(*e)))
		return 0;
	app->received++;
	wall = e->ts_ns + (uint64_t)app->mono_to_wall_ns;
	if (app->cfg.json)
		emit(app, app->line,
		     fmt_json_event(app->line, sizeof(app->line), e, wall, ++app->sequence));
	else
		emit(app, app->line, fmt_log_event(app->line, sizeof(app->line), e, wall));
	/* The table serves the report and -v's gap count: no work per event without them. */
	if (e->kind == SNOOP_KIND_STATE && (app->cfg.report || app->cfg.verbose)) {
		int gap = lifecycle__add(app->lc, e, wall);

		/* Only a gap of an unfiltered stream means a transition was not delivered. */
		if (!app->cfg.filter.states_mask)
			app->gaps += (uint64_t)gap;
	}
	return 0;
}

/* Flush a sink; report its first failure and each new kind of failure once. */
static void flush_one(struct snoop_app *app, struct sink **sp, uint64_t *seen)
{
	struct sink *s = *sp;
	int err;

	if (!s)
		return;
	err = sink__flush(s);
	if (!err || sink__errors(s) == *seen)
		return;
	if (*seen == 0 || err != -EPIPE)
		warn("writing to %s failed: %s (%llu bytes dropped so far)", sink__name(s),
		     strerror(-err), (unsigned long long)sink__dropped_bytes(s));
	*seen = sink__errors(s);
	if (err == -EPIPE && s == app->console) {
		/* The reader is gone: keep monitoring into the log file. */
		sink__free(s);
		*sp = NULL;
	}
}

static void on_batch(void *ctx)
{
	struct snoop_app *app = ctx;

	flush_one(app, &app->console, &app->console_errors);
	flush_one(app, &app->logfile, &app->logfile_errors);
}

/* Report events the kernel could not deliver since the last check. */
static void report_losses(struct snoop_app *app)
{
	uint64_t lost = loader__lost(app->loader);
	uint64_t count = lost - app->lost_reported;

	if (lost <= app->lost_reported)
		return;
	if (app->cfg.json)
		emit(app, app->line,
		     fmt_json_lost(app->line, sizeof(app->line), count, clock__wall_ns(),
				   ++app->sequence));
	else
		emit(app, app->line,
		     fmt_log_lost(app->line, sizeof(app->line), count, clock__wall_ns()));
	app->lost_reported = lost;
	on_batch(app);
}

static void on_hangup(void *ctx)
{
	struct snoop_app *app = ctx;
	int err;

	if (!app->logfile)
		return;
	err = sink__reopen(app->logfile);
	if (err)
		warn("cannot reopen %s: %s (still writing to the old file)",
		     sink__name(app->logfile), strerror(-err));
}

static int on_tick(void *ctx)
{
	struct snoop_app *app = ctx;

	app->mono_to_wall_ns = clock__mono_to_wall();
	report_losses(app);
	if (app->logfile && sink__file_moved(app->logfile)) {
		warn("log file %s was moved or removed: reopening it", sink__name(app->logfile));
		on_hangup(app);
	}
	/* Nothing left to write to (console reader gone, no log file): stop like head(1). */
	return !app->console && !app->logfile && !app->cfg.quiet;
}

static void on_snapshot(void *ctx, const struct snoop_event *e)
{
	struct snoop_app *app = ctx;

	lifecycle__add_snapshot(app->lc, e, e->ts_ns + (uint64_t)app->mono_to_wall_ns);
}

/* Open the log file; the default path falls back to ./socket_monitor.log. */
static int open_log_file(struct snoop_app *app)
{
	const char *path = app->cfg.log_path;

	if (!path)
		return 0;
	app->logfile = sink__new_file(path);
	if (app->logfile)
		return 0;
	if (app->cfg.log_path_explicit) {
		error("cannot open log file %s: %s", path, strerror(errno));
		return -errno;
	}
	warn("cannot open log file %s: %s; writing to %s instead", path, strerror(errno),
	     FALLBACK_LOG_PATH);
	app->logfile = sink__new_file(FALLBACK_LOG_PATH);
	if (!app->logfile) {
		error("cannot open log file %s: %s", FALLBACK_LOG_PATH, strerror(errno));
		return -errno;
	}
	return 0;
}

static void print_version(int verbose)
{
	printf("socket-snoop %s (libbpf %s)\n", SNOOP_VERSION, libbpf_version_string());
	if (verbose)
		loader__print_features(stdout);
}

int snoop_main(int argc, char **argv)
{
	static const struct loop_callbacks callbacks = {
		.on_event = on_event,
		.on_batch = on_batch,
		.on_tick = on_tick,
		.on_hangup = on_hangup,
	};
	struct snoop_app *app = calloc(1, sizeof(*app));
	struct loader_error lerr = {};
	char err[512];
	int rc = EXIT_FAILURE_RUNTIME;

	if (!app)
		return EXIT_FAILURE_RUNTIME;
	/* Known before parsing so that even a usage error is reported as JSON. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		json_diagnostics |= !strcmp(argv[i], "-j") || !strcmp(argv[i], "--json");
	switch (cli_snoop__parse(argc, argv, getenv("SOCKET_SNOOP_LOG"), &app->cfg, err,
				 sizeof(err))) {
	case CLI_HELP:
		cli_snoop__usage(stdout);
		rc = EXIT_OK;
		goto out;
	case CLI_VERSION:
		print_version(app->cfg.verbose);
		rc = EXIT_OK;
		goto out;
	case CLI_ERROR:
		/* -j may have come inside a cluster (-qj) before the bad value. */
		json_diagnostics |= app->cfg.json;
		error("%s", err);
		if (!json_diagnostics)
			fputs("Try 'socket-snoop --help' for more information.\n", stderr);
		rc = EXIT_USAGE;
		goto out;
	case CLI_RUN:
		break;
	}
	if (caps__check_bpf()) {
		error("not enough privilege: run as root, or grant CAP_BPF and CAP_PERFMON "
		      "(CAP_SYS_ADMIN on kernels before 5.8)");
		rc = EXIT_NOPERM;
		goto out;
	}
	/* A reader that goes away must not kill us: write() reports EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	if (open_log_file(app)) {
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (!app->cfg.quiet)
		app->console = sink__new_fd(STDOUT_FILENO, "standard output");
	app->lc = lifecycle__new(REPORT_MAX_CONNS);
	if (!app->lc || (!app->cfg.quiet && !app->console)) {
		error("out of memory");
		goto out;
	}
	app->loader = loader__new(&app->cfg, &lerr);
	if (!app->loader) {
		error("%s", lerr.msg);
		rc = lerr.exit_code;
		goto out;
	}
	for (int i = 0; loader__unavailable(app->loader, i); i++)
		warn("this kernel lacks the tracepoint %s: its events are not reported",
		     loader__unavailable(app->loader, i));
	app->mono_to_wall_ns = clock__mono_to_wall();
	if (loader__fallback_reason(app->loader))
		warn("using raw tracepoints: %s", loader__fallback_reason(app->loader));
	/* After attach: a socket created meanwhile is seen by the programs instead. */
	if (loader__mode(app->loader) == ATTACH_RAW_TP) {
		warn("raw tracepoints: connections open at start are not attributed");
	} else {
		struct snapshot_stats st;
		int err = snapshot__run(loader__owner_map_fd(app->loader), &app->cfg.filter,
					clock__mono_ns(), on_snapshot, app, &st);

		if (err)
			warn("cannot look for connections open at start: %s", strerror(-err));
		else if (st.denied && !caps__can_inspect_processes())
			warn("could not take the sockets of %u processes (CAP_SYS_PTRACE and "
			     "CAP_DAC_READ_SEARCH needed): "
			     "their connections open at start are not attributed",
			     st.denied);
		if (app->cfg.verbose)
			info("%u TCP sockets were open at start", st.sockets);
	}
	if (app->logfile)
		info("Monitoring socket connections. Logs will be written to %s",
		     sink__name(app->logfile));
	else
		info("Monitoring socket connections. No log file.");

	rc = loop__run(loader__ringbuf_fd(app->loader), app->cfg.duration_s, &callbacks, app);
	if (rc < 0) {
		error("event loop failed: %s", strerror(-rc));
		rc = EXIT_FAILURE_RUNTIME;
	} else {
		rc = EXIT_OK;
	}
	info("Stopping monitoring...");
	report_losses(app);
	on_batch(app);
	if (app->cfg.report) {
		fflush(stdout);
		if (app->cfg.json)
			lifecycle__report_json(app->lc, stdout, clock__wall_ns());
		else
			lifecycle__report(app->lc, stdout);
		fflush(stdout);
	}
	/*
	 * A cross-check of the loss count: transitions missing between two
	 * events of one connection that the report kept (-v only: with
	 * filters or evictions it is a lower bound, and a lost close can hide one).
	 */
	if (app->cfg.verbose) {
		struct loader_counts c;

		loader__counts(app->loader, &c);
		info("Lost by cause: ring buffer full %llu, skipped runs not recovered %llu, "
		     "transitions made without running the programs %llu",
		     (unsigned long long)c.ring_full, (unsigned long long)c.skipped,
		     (unsigned long long)c.undelivered);
		info("Transitions recovered from nested runs: %llu",
		     (unsigned long long)c.recovered);
		info("Owner updates skipped in nested runs: %llu",
		     (unsigned long long)c.owner_updates_skipped);
		info("Gaps seen in connections: %llu", (unsigned long long)app->gaps);
	}
	info("Summary: RECEIVED=%llu LOST=%llu", (unsigned long long)app->received,
	     (unsigned long long)app->lost_reported);
out:
	loader__free(app->loader);
	lifecycle__free(app->lc);
	sink__free(app->console);
	sink__free(app->logfile);
	free(app);
	return rc;
}
