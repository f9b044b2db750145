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
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "lib/names.h"
#include "lib/text.h"
#include "snoop/cli.h"
#include "common/diag.h"
#include "common/hidden.h"
#include "common/exitcode.h"
#include "common/face.h"
#include "common/faces.h"
#include "snoop/check.h"
#include "snoop/exporter.h"
#include "snoop/fmt_json.h"
#include "snoop/fmt_log.h"
#include "snoop/output.h"
#include "snoop/resolved.h"
#include "snoop/start_owners.h"
#include "snoop/lifecycle.h"
#include "snoop/loader.h"
#include "common/loop.h"
#include "common/notify.h"
#include "common/sink.h"
#include "common/cgroups.h"
#include "common/procinfo.h"
#include "common/snapshot.h"
#include "common/target.h"

#define FALLBACK_LOG_PATH "./socket_monitor.log"
#define REPORT_MAX_CONNS 8192
/* Time a slow console reader is given at exit before the rest is dropped. */
#define EXIT_DRAIN_MS 2000

struct snoop_app {
	struct snoop_config cfg;
	const struct output_format *fmt; /* chosen once from the options */
	struct loader *loader;
	struct sink *console;	   /* NULL with --quiet or once its reader is gone */
	struct sink *logfile;	   /* NULL with --no-log-file */
	struct sink *heartbeat;	   /* --heartbeat, touched each tick, or NULL */
	struct notify *notify;	   /* the service manager, or NULL */
	uint64_t watchdog_next_ns; /* when the next WATCHDOG=1 is due (0: no watchdog) */
	uint64_t update_next_ns;   /* --interval: when the next Connection Updates are due */
	int update_err;		   /* the last failure of a run of them, said once */
	uint64_t status_received, status_lost; /* as last sent in STATUS= */
	struct lifecycle *lc;
	/* The snapshot's sockets, until the events sent before it are read (start_owners.h). */
	struct start_owners *start_owners;
	struct snoop_event early;	 /* an event of the first batch, filled from start_owners */
	struct procinfo_cache *procinfo; /* JSON: /proc's view of each process, or NULL */
	struct cgroup_cache *cgroups;	 /* JSON and --fields: units, containers, pods */
	struct resolved *resolved;	 /* host names from DNS answers, or NULL (--no-dns) */
	struct exporter *exporter;	 /* --metrics, or NULL */
	uint64_t ring_bytes;		 /* a CPU's ring buffer's size, for the loss report */
	int64_t mono_to_wall_ns;
	uint64_t received;
	uint64_t sequence;			 /* event.sequence of the JSON output */
	uint64_t lost_reported;			 /* all causes */
	uint64_t lost_reported_by[SNOOP_LOSS_N]; /* each cause, as last reported */
	/* When the ring was last read, and the longest it went unread since the last report. */
	uint64_t last_read_ns, away_max_ns;
	uint64_t gaps; /* transitions missing between two events of a connection */
	uint64_t console_errors, logfile_errors;
	int console_err, logfile_err; /* last write error, warned of once */
	/* Lines each output could not take (full disk, slow reader), and as last reported. */
	uint64_t console_dropped_closed; /* by a console sink closed when its reader went */
	uint64_t console_dropped_reported, logfile_dropped_reported;
	uint64_t hidden_reported; /* transitions the kernel hid from BPF, as last warned of */
	int reopen_err;	   /* of the last reopen of the log file, not to repeat its warning */
	int heartbeat_err; /* of the last touch of the heartbeat file, warned of once */
	char line[FMT_LINE_MAX];
};

#define warn(...) diag_warn(__VA_ARGS__)
#define error(...) diag_error(__VA_ARGS__)
#define info(...) diag_info(__VA_ARGS__)

/* Queue one formatted line on every output. */
static void emit(struct snoop_app *app, const char *line, size_t len)
{
	if (app->console)
		sink__write(app->console, line, len);
	if (app->logfile)
		sink__write(app->logfile, line, len);
}

/*
 * Format event @e once, straight into the log file's queue (else the
 * console's), and copy it to the other output.  A queue too full to take a
 * whole line gets it through emit(), which counts it when it is dropped.
 */
static void emit_event(struct snoop_app *app, const struct snoop_event *e, uint64_t wall)
{
	struct sink *first = app->logfile ? app->logfile : app->console;
	char *at = first ? sink__reserve(first, FMT_LINE_MAX) : NULL;
	size_t len;

	if (!at) {
		emit(app, app->line,
		     app->fmt->event(app->line, sizeof(app->line), e, wall, ++app->sequence));
		return;
	}
	len = app->fmt->event(at, FMT_LINE_MAX, e, wall, ++app->sequence);
	sink__commit(first, len);
	if (app->console && first != app->console)
		sink__write(app->console, at, len);
}

/*
 * The ring's first batch: an event sent before the snapshot reached its
 * socket, as the snapshot found it.  Apart from on_event(), which every
 * event runs, for the first batch only.
 */
static __attribute__((noinline)) const struct snoop_event *
start_fill(struct snoop_app *app, const struct snoop_event *e, size_t len)
{
	if (e->flags & SNOOP_SF_SNAPSHOT)
		return e;
	memcpy(&app->early, e, len < sizeof(app->early) ? len : sizeof(app->early));
	return start_owners__fill(app->start_owners, &app->early) ? &app->early : e;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct snoop_app *app = ctx;
	const struct snoop_event *e = data;
	uint64_t wall;

	/* Only close summaries and updates carry the close fields (see event_submit()). */
	if (len < offsetof(struct snoop_event, close) ||
	    ((e->kind == SNOOP_KIND_CLOSE || e->kind == SNOOP_KIND_UPDATE) && len < sizeof(*e)))
		return 0;
	if (__builtin_expect(app->start_owners != NULL, 0))
		e = start_fill(app, e, len);
	app->received++;
	if (app->exporter)
		exporter__event(app->exporter, e);
	/* With --metrics the kernel reports every kind: -e chooses what is shown. */
	if (e->kind >= 32 || !(app->cfg.output_kinds & (1u << e->kind)))
		return 0;
	wall = e->ts_ns + (uint64_t)app->mono_to_wall_ns;
	emit_event(app, e, wall);
	/* The table serves the report and -v's gap count: no work per event without them. */
	if (e->kind == SNOOP_KIND_STATE && (app->cfg.report || app->cfg.verbose)) {
		int gap = lifecycle__add(app->lc, e, wall);

		/* Only a gap of an unfiltered stream means a transition was not delivered. */
		if (!app->cfg.filter.states_mask)
			app->gaps += (uint64_t)gap;
	}
	return 0;
}

/*
 * One ring record.  A close summary may carry its socket's CLOSE transition
 * too (with_state: one record for two events, see set_state() in
 * snoop.bpf.c): the transition goes first, as its own event, then the
 * summary (whose old_state no output reads).
 */
/* A record of the dns ring: a query or a response (snoop/resolved.h). */
static int on_dns(void *ctx, void *data, size_t len)
{
	struct snoop_app *app = ctx;

	resolved__message(app->resolved, data, len);
	return 0;
}

static int on_record(void *ctx, void *data, size_t len)
{
	const struct snoop_event *e = data;
	/* The next record: after this one, rounded to 8 bytes, and its 8-byte header. */
	const char *next = (const char *)data + ((len + 7) & ~(size_t)7) + 8;

	/*
	 * The kernel wrote the records on other CPUs: the first read of each
	 * was a third of on_event()'s samples in a storm.  The next one is asked
	 * for now, to arrive while this one is formatted.  A prefetch never
	 * faults, past the last record or the end of the ring.
	 */
	__builtin_prefetch(next);
	__builtin_prefetch(next + 64);
	__builtin_prefetch(next + 128);
	if (len >= sizeof(*e) && e->kind == SNOOP_KIND_CLOSE && e->with_state) {
		struct snoop_event state;

		memcpy(&state, e, offsetof(struct snoop_event, close));
		state.kind = SNOOP_KIND_STATE;
		state.with_state = 0;
		on_event(ctx, &state, offsetof(struct snoop_event, close));
	}
	return on_event(ctx, data, len);
}

/*
 * Flush a sink; report its first failure and each new kind of failure once
 * (the lines dropped meanwhile are reported each second by report_losses()).
 */
static void flush_one(struct snoop_app *app, struct sink **sp, uint64_t *seen, int *last_err)
{
	struct sink *s = *sp;
	int err;

	if (!s)
		return;
	err = sink__flush(s);
	if (!err || sink__errors(s) == *seen)
		return;
	if (*seen == 0 || (err != -EPIPE && err != *last_err))
		warn("writing to %s failed: %s (%llu lines dropped so far)", sink__name(s),
		     sink__strerror(err), (unsigned long long)sink__dropped_lines(s));
	*seen = sink__errors(s);
	*last_err = err;
	if (err == -EPIPE && s == app->console) {
		/* The reader is gone: keep monitoring into the log file. */
		app->console_dropped_closed += sink__dropped_lines(s);
		sink__free(s);
		*sp = NULL;
	}
}

/* Lines the console dropped, including those of a console sink closed since. */
static uint64_t console_dropped(const struct snoop_app *app)
{
	return app->console_dropped_closed + (app->console ? sink__dropped_lines(app->console) : 0);
}

static uint64_t logfile_dropped(const struct snoop_app *app)
{
	return app->logfile ? sink__dropped_lines(app->logfile) : 0;
}

/* Write what the outputs hold. */
static void flush_outputs(struct snoop_app *app)
{
	flush_one(app, &app->console, &app->console_errors, &app->console_err);
	flush_one(app, &app->logfile, &app->logfile_errors, &app->logfile_err);
}

/* The loop read the ring: flush, and note when (the loss report, /healthz). */
static void on_batch(void *ctx)
{
	struct snoop_app *app = ctx;
	uint64_t now = clock__mono_ns();

	if (app->last_read_ns && now - app->last_read_ns > app->away_max_ns)
		app->away_max_ns = now - app->last_read_ns;
	app->last_read_ns = now;
	/*
	 * Every event sent before the snapshot ended was in the ring when the
	 * loop started, and one batch reads the ring to its end.
	 */
	start_owners__free(app->start_owners);
	app->start_owners = NULL;
	flush_outputs(app);
	if (app->exporter) {
		struct exporter_outputs o = { console_dropped(app), logfile_dropped(app) };

		exporter__batch(app->exporter, &o);
	}
}

/*
 * Warn of the lines an output dropped since the last report: a separate
 * diagnostic on stderr, as the output that lost them may still be unable to
 * take a line; SINK= and LINES= keep it parseable.
 */
static void report_dropped(const char *sink, const char *name, uint64_t dropped, uint64_t *reported)
{
	if (dropped <= *reported)
		return;
	warn("Output Lost: SINK=%s LINES=%llu TOTAL=%llu (lines %s could not take: full disk, "
	     "slow reader or write error)",
	     sink, (unsigned long long)(dropped - *reported), (unsigned long long)dropped, name);
	*reported = dropped;
}

/* Warn of the lines each output dropped since the last check. */
static void report_outputs_dropped(struct snoop_app *app)
{
	report_dropped("console", "standard output", console_dropped(app),
		       &app->console_dropped_reported);
	if (app->logfile)
		report_dropped("logfile", sink__name(app->logfile), logfile_dropped(app),
			       &app->logfile_dropped_reported);
}

/*
 * Warn of the transitions the kernel made without running any BPF program
 * since the last check (common/hidden.h): a separate diagnostic, as they are
 * of any socket on the host, reported connection or not.
 */
static void report_hidden(struct snoop_app *app)
{
	uint64_t hidden = loader__hidden(app->loader);

	if (hidden <= app->hidden_reported)
		return;
	warn("Hidden by the kernel: TRANSITIONS=%llu TOTAL=%llu (TCP state changes of any socket "
	     "made while a thread of PID 1 ran: this kernel runs no BPF program then)",
	     (unsigned long long)(hidden - app->hidden_reported), (unsigned long long)hidden);
	app->hidden_reported = hidden;
}

/*
 * Report events the kernel could not deliver, one line per cause with what
 * helps, and lines the outputs dropped, since the last check.
 */
static void report_losses(struct snoop_app *app)
{
	struct loader_counts c;
	bool any = false;

	report_outputs_dropped(app);
	report_hidden(app);
	loader__counts(app->loader, &c);
	for (int i = 0; i < SNOOP_LOSS_N; i++) {
		struct snoop_loss loss = {
			.cause = i,
			.count = c.lost[i] - app->lost_reported_by[i],
			.ring_bytes = app->ring_bytes,
			.away_ms = app->away_max_ns / 1000000,
		};

		if (c.lost[i] <= app->lost_reported_by[i])
			continue;
		emit(app, app->line,
		     app->fmt->lost(app->line, sizeof(app->line), &loss, clock__wall_ns(),
				    ++app->sequence));
		app->lost_reported += loss.count;
		app->lost_reported_by[i] = c.lost[i];
		any = true;
	}
	app->away_max_ns = 0;
	if (any)
		flush_outputs(app);
}

/* Reopen the log file at its path; a failure keeps the old file, warned once per kind. */
static void reopen_log(struct snoop_app *app, bool repeat_warning)
{
	int err = sink__reopen(app->logfile);

	if (err && (repeat_warning || err != app->reopen_err))
		warn("cannot reopen %s: %s (still writing to the old file)",
		     sink__name(app->logfile), sink__strerror(err));
	app->reopen_err = err;
}

/*
 * --config: read the file again, and switch the kernel's filters to what it
 * says (the command line's still override it).  A bad file, or a change the
 * running programs cannot take, keeps the filters in use.  0 or -errno.
 */
static int reload_filters(struct snoop_app *app)
{
	struct filter_config *file = malloc(sizeof(*file)), *next = malloc(sizeof(*next));
	char err[640], said[1024];
	int rc = file && next ? 0 : -ENOMEM;

	snprintf(err, sizeof(err), "out of memory");
	if (!rc)
		rc = cli_snoop__reread_config(app->cfg.config_path, file, &app->cfg.filter, err,
					      sizeof(err));
	if (!rc) {
		cli_snoop__merge_filters(next, file, &app->cfg.cli_filter);
		/* Owner records hold whether their owner was in the start's cgroup. */
		if (next->cgroup_id != app->cfg.filter.cgroup_id ||
		    next->cgroup_level != app->cfg.filter.cgroup_level) {
			snprintf(
				err, sizeof(err),
				"--config file: the cgroup filter (cgroup, unit, container) cannot "
				"change while socket-snoop runs; restart it for that");
			rc = -EINVAL;
		}
	}
	if (!rc) {
		rc = loader__set_filters(app->loader, next);
		if (rc)
			snprintf(err, sizeof(err), "cannot change the kernel's filters: %s",
				 strerror(-rc));
	}
	if (rc) {
		warn("%s; the filters in use stay", err);
	} else {
		app->cfg.filter = *next;
		cli_snoop__describe_filters(next, said, sizeof(said));
		info("filters reloaded from --config: %s", said);
	}
	if (app->exporter)
		exporter__reloaded(app->exporter, !rc);
	free(file);
	free(next);
	return rc;
}

/*
 * Tell the service manager we are reloading (SIGHUP), then ready again:
 * MONOTONIC_USEC lets it tell this reload from an earlier one.
 */
static void on_hangup(void *ctx)
{
	struct snoop_app *app = ctx;
	char msg[64];

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)(clock__mono_ns() / 1000));
	notify__send(app->notify, msg);
	if (app->logfile)
		reopen_log(app, true);
	if (app->cfg.config_path)
		reload_filters(app);
	notify__send(app->notify, "READY=1");
}

/*
 * The service manager's view, about once a second: STATUS= with what was
 * received and lost when it changed, and WATCHDOG=1 at half the interval it
 * asked for (the tick proves the loop runs; a WatchdogSec= under 2 s is
 * pinged each tick).
 */
static void notify_tick(struct snoop_app *app)
{
	uint64_t now = clock__mono_ns();
	char msg[128];

	if (app->notify &&
	    (app->received != app->status_received || app->lost_reported != app->status_lost)) {
		snprintf(msg, sizeof(msg), "STATUS=Monitoring: RECEIVED=%llu LOST=%llu",
			 (unsigned long long)app->received, (unsigned long long)app->lost_reported);
		notify__send(app->notify, msg);
		app->status_received = app->received;
		app->status_lost = app->lost_reported;
	}
	if (app->watchdog_next_ns && now >= app->watchdog_next_ns) {
		notify__send(app->notify, "WATCHDOG=1");
		app->watchdog_next_ns = now + notify__watchdog_usec(app->notify) * 1000 / 2;
	}
}

/* The heartbeat file, touched: a failure is said once until it works again. */
static void heartbeat_tick(struct snoop_app *app)
{
	int err;

	if (!app->heartbeat)
		return;
	/* Removed or replaced: the probe looks at the path, so touch what is there now. */
	if (sink__file_moved(app->heartbeat))
		sink__reopen(app->heartbeat);
	err = sink__touch(app->heartbeat);
	if (err && err != app->heartbeat_err)
		warn("cannot touch the heartbeat file %s: %s", sink__name(app->heartbeat),
		     strerror(-err));
	app->heartbeat_err = err;
}

/* A rotation of the log file that failed (--log-max-size): said, and the file written on. */
static void rotation_tick(struct snoop_app *app)
{
	int err = app->logfile ? sink__rotate_error(app->logfile) : 0;

	if (err)
		warn("cannot rotate the log file %s: %s (still writing to it)",
		     sink__name(app->logfile), sink__strerror(err));
}

static void on_update(void *ctx, const struct snoop_event *e)
{
	on_event(ctx, (void *)e, sizeof(*e));
}

/*
 * --interval: the Connection Updates, when due (checked each tick, so within
 * a second of the interval).  The kernel's iterator reads the counters of
 * every connection followed, whatever the ring holds: an update can come out
 * before events of that connection still in the ring, never after its close.
 */
static void update_tick(struct snoop_app *app)
{
	uint64_t now = clock__mono_ns(), interval = app->cfg.interval_s * 1000000000ull;
	int err;

	if (!app->cfg.interval_s)
		return;
	/* The first: an interval after the start. */
	if (!app->update_next_ns) {
		app->update_next_ns = now + interval;
		return;
	}
	/* Ticks come about a second apart, not on time: half a second early is on time. */
	if (now + 500000000ull < app->update_next_ns)
		return;
	app->update_next_ns += interval;
	if (app->update_next_ns <= now)
		app->update_next_ns = now + interval;
	err = loader__updates_run(app->loader, on_update, app);
	if (err && err != app->update_err)
		warn("cannot read the connection updates: %s", strerror(-err));
	app->update_err = err;
	flush_outputs(app);
}

/* A CPU offline at load and online now: its ring is a page (loader__late_cpus()). */
static void late_cpus_tick(struct snoop_app *app)
{
	uint32_t cpus[16];
	size_t n = loader__late_cpus(app->loader, cpus, sizeof(cpus) / sizeof(cpus[0]));

	for (size_t i = 0; i < n; i++)
		warn("CPU %u came online after socket-snoop started: its events go to a ring "
		     "buffer of one page, where a burst is lost (and counted); restart "
		     "socket-snoop to give it one like the others",
		     cpus[i]);
}

static int on_tick(void *ctx)
{
	struct snoop_app *app = ctx;

	app->mono_to_wall_ns = clock__mono_to_wall();
	late_cpus_tick(app);
	report_losses(app);
	notify_tick(app);
	heartbeat_tick(app);
	rotation_tick(app);
	update_tick(app);
	if (app->exporter)
		exporter__tick(app->exporter);
	if (app->logfile && sink__file_moved(app->logfile)) {
		/*
		 * Checked every second: a refused reopen is not warned of every
		 * second.  Information, not a warning: logrotate's rename lands
		 * here when it comes a moment before its SIGHUP.
		 */
		if (!app->reopen_err)
			info("log file %s was moved or removed: reopening it",
			     sink__name(app->logfile));
		reopen_log(app, false);
	}
	/* Nothing left to write to (console reader gone, no log file): stop like head(1). */
	return !app->console && !app->logfile && !app->cfg.quiet;
}

static void on_snapshot(void *ctx, const struct snoop_event *e)
{
	struct snoop_app *app = ctx;

	lifecycle__add_snapshot(app->lc, e, e->ts_ns + (uint64_t)app->mono_to_wall_ns);
	/* Out of memory: that socket's events sent before the scan stay as they were. */
	if (app->start_owners)
		start_owners__add(app->start_owners, e);
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
		error("cannot open log file %s: %s", path, sink__strerror(-errno));
		return -EIO;
	}
	warn("cannot open log file %s: %s; writing to %s instead", path, sink__strerror(-errno),
	     FALLBACK_LOG_PATH);
	app->logfile = sink__new_file(FALLBACK_LOG_PATH);
	if (!app->logfile) {
		error("cannot open log file %s: %s", FALLBACK_LOG_PATH, sink__strerror(-errno));
		return -EIO;
	}
	return 0;
}

/*
 * Write @len bytes of whole lines to the console in pieces its queue can
 * hold, and wait for what is queued to be written, until @deadline_ns
 * (monotonic); what a reader did not take by then is dropped and counted.
 */
static void console_put(struct snoop_app *app, const char *buf, size_t len, uint64_t deadline_ns)
{
	do {
		size_t n = len < SINK_QUEUE_MAX / 2 ? len : SINK_QUEUE_MAX / 2;
		uint64_t now = clock__mono_ns();
		int left = now < deadline_ns ? (int)((deadline_ns - now) / 1000000) : 0;
		const char *nl;
		int err;

		if (!app->console)
			return;
		if (n < len && (nl = memrchr(buf, '\n', n)))
			n = (size_t)(nl - buf) + 1;
		if (n)
			sink__write(app->console, buf, n);
		err = sink__drain(app->console, left);
		if (err == -EPIPE) {
			app->console_dropped_closed += sink__dropped_lines(app->console);
			sink__free(app->console);
			app->console = NULL;
			return;
		}
		buf += n;
		len -= n;
	} while (len);
}

/* The lifecycle report at exit, through the console sink so that a stuck reader cannot hang us. */
static void print_report(struct snoop_app *app, uint64_t deadline_ns)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = app->console ? open_memstream(&text, &len) : NULL;

	if (!f) {
		/* --quiet, reader gone, or no memory: straight to stdout as before. */
		f = stdout;
		fflush(stdout);
	}
	app->fmt->report(app->lc, f, clock__wall_ns());
	if (f == stdout) {
		fflush(stdout);
		return;
	}
	fclose(f);
	console_put(app, text, len, deadline_ns);
	free(text);
}

static void print_version(int verbose)
{
	printf("socket-snoop %s (libbpf %s)\n", SNOOP_VERSION, libbpf_version_string());
	if (verbose)
		loader__print_features(stdout, "");
}

/* How old a heartbeat may be for --check-heartbeat: ten ticks of the loop. */
#define HEARTBEAT_MAX_AGE_S 10

/*
 * --check-heartbeat: was @path touched by a running socket-snoop in the
 * last HEARTBEAT_MAX_AGE_S seconds?  EXIT_OK, or EXIT_FAILURE_RUNTIME with
 * the reason.  Only looks: no privilege, no BPF.
 */
static int check_heartbeat(const char *path)
{
	struct timespec now;
	struct stat st;
	int64_t age;

	if (stat(path, &st)) {
		error("heartbeat %s: %s", path, strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	age = (int64_t)now.tv_sec - (int64_t)st.st_mtim.tv_sec;
	if (age > HEARTBEAT_MAX_AGE_S || age < -HEARTBEAT_MAX_AGE_S) {
		error("heartbeat %s was last touched %lld seconds ago (more than %d): the monitor "
		      "is not running its loop",
		      path, (long long)age, HEARTBEAT_MAX_AGE_S);
		return EXIT_FAILURE_RUNTIME;
	}
	return EXIT_OK;
}

/* host.name of the JSON objects: --host-name, else the kernel's node name (uname -n). */
static void set_host_name(const char *name)
{
	struct utsname u;

	if (name) {
		fmt_json_set_host(name);
		return;
	}
	if (uname(&u) == 0)
		fmt_json_set_host(u.nodename);
}

/* Options into app->cfg, and the format they ask for.  -1 to run, else the exit status. */
static int snoop_options(struct snoop_app *app, int argc, char **argv)
{
	char err[512];
	enum cli_action action;
	int rc;

	/* Known before parsing so that even a usage error is reported as JSON. */
	diag__setup("socket-snoop", cli_snoop__wants_json(argc, argv));
	rc = face__check_setid(false);
	if (rc)
		return rc;
	action = cli_snoop__parse(argc, argv, getenv("SOCKET_SNOOP_LOG"), &app->cfg, err,
				  sizeof(err));
	app->fmt = output_format__get(app->cfg.json);
	switch (action) {
	case CLI_HELP:
		cli_snoop__usage(stdout);
		return EXIT_OK;
	case CLI_VERSION:
		print_version(app->cfg.verbose);
		return EXIT_OK;
	case CLI_ERROR:
		/* -j may have come inside a cluster (-qj) before the bad value. */
		if (app->cfg.json)
			diag__setup("socket-snoop", true);
		error("%s", err);
		/* Through diag: under the journal it takes the priority prefix too. */
		if (!diag__json())
			info("Try 'socket-snoop --help' for more information.");
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	diag__setup("socket-snoop", app->fmt->json_diagnostics);
	if (app->cfg.check_heartbeat_path)
		return check_heartbeat(app->cfg.check_heartbeat_path);
	if (app->cfg.check)
		return check__run(&app->cfg, stdout);
	if (app->cfg.json)
		set_host_name(app->cfg.host_name);
	fmt_log_set_thread_names(app->cfg.thread_names);
	return -1;
}

/*
 * The service manager's socket ($NOTIFY_SOCKET, under a Type=notify unit).
 * One that cannot be used is said and left: the manager then times out the
 * start, which tells the administrator better than running unannounced.
 */
static int snoop_notify(struct snoop_app *app)
{
	int err = notify__new(&app->notify);

	if (err)
		warn("cannot notify the service manager through NOTIFY_SOCKET: %s",
		     notify__strerror(err));
	return EXIT_OK;
}

/*
 * The cgroup tree, when JSON or --fields name units, containers or pods.
 * Without cgroup v2 they are absent, said once.  0, or the exit status.
 */
static int snoop_open_cgroups(struct snoop_app *app)
{
	char root[PATH_MAX];

	if (!app->cfg.json && !(app->cfg.log_fields & ~(1u << SNOOP_FIELD_THREAD))) {
		fmt_log_set_fields(app->cfg.log_fields, NULL);
		return EXIT_OK;
	}
	if (target__cgroup2_mount(root, sizeof(root))) {
		/* A container's view without the host's cgroup tree: where it runs, not a fault. */
		info("No cgroup v2 file system is mounted here: events name no unit, container "
		     "or pod (mount the host's /sys/fs/cgroup to have them)");
	} else if (cgroup_cache__new(&app->cgroups, root)) {
		error("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	fmt_log_set_fields(app->cfg.log_fields, app->cgroups);
	fmt_json_set_cgroups(app->cgroups);
	return EXIT_OK;
}

/* The names DNS answers give, unless --no-dns.  0, or the exit status. */
static int snoop_open_resolved(struct snoop_app *app)
{
	int err;

	if (app->cfg.no_dns)
		return EXIT_OK;
	err = resolved__new(&app->resolved);
	if (err) {
		error("cannot keep host names: %s", strerror(-err));
		return EXIT_FAILURE_RUNTIME;
	}
	fmt_log_set_resolved(app->resolved);
	fmt_json_set_resolved(app->resolved);
	return EXIT_OK;
}

/* The log file, the console and the report's table.  0, or the exit status. */
static int snoop_open_outputs(struct snoop_app *app)
{
	/* A reader that goes away must not kill us: write() reports EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	if (app->cfg.metrics) {
		/*
		 * Bound first: a port in use is said before anything is loaded,
		 * and before the log file is created (a refused start leaves
		 * nothing behind).
		 */
		int err = exporter__new(&app->exporter, &app->cfg);

		if (err) {
			error("cannot listen on %s (--metrics): %s", app->cfg.metrics_spec,
			      strerror(-err));
			return err == -ENOMEM ? EXIT_FAILURE_RUNTIME : EXIT_CANTCREAT;
		}
	}
	if (open_log_file(app))
		return EXIT_CANTCREAT;
	if (app->logfile && app->cfg.log_max_size)
		sink__set_rotation(app->logfile, app->cfg.log_max_size, app->cfg.log_max_files);
	if (app->cfg.heartbeat_path) {
		app->heartbeat = sink__new_file(app->cfg.heartbeat_path);
		if (!app->heartbeat) {
			error("cannot open heartbeat file %s: %s", app->cfg.heartbeat_path,
			      sink__strerror(-errno));
			return EXIT_CANTCREAT;
		}
	}
	if (!app->cfg.quiet)
		app->console = sink__new_fd(STDOUT_FILENO, "standard output");
	app->lc = lifecycle__new(REPORT_MAX_CONNS);
	if (!app->lc || (!app->cfg.quiet && !app->console)) {
		error("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	/*
	 * JSON completes each process from /proc when written; only where its
	 * PIDs are the events' (the initial PID namespace: a container of ours
	 * without the host's PIDs would read other processes).
	 */
	if (app->cfg.json && target__initial_pid_ns()) {
		if (procinfo_cache__new(&app->procinfo, "/proc")) {
			error("out of memory");
			return EXIT_FAILURE_RUNTIME;
		}
		fmt_json_set_procinfo(app->procinfo);
	}
	if (snoop_open_cgroups(app))
		return EXIT_FAILURE_RUNTIME;
	return snoop_open_resolved(app);
}

/*
 * Load and attach the programs, then (after attach: a socket created
 * meanwhile is seen by the programs instead) find the connections open at
 * start.  0, or the exit status.
 */
static int snoop_attach(struct snoop_app *app)
{
	struct loader_error lerr = {};
	struct snapshot_source src;
	struct snapshot_stats st;

	app->loader = loader__new(&app->cfg, &lerr);
	if (!app->loader) {
		error("%s", lerr.msg);
		return lerr.exit_code;
	}
	app->ring_bytes = loader__ring_bytes(app->loader);
	if (app->procinfo)
		procinfo_cache__set_exe_iter(app->procinfo, loader__exe_iter_fd(app->loader));
	if (app->exporter) {
		exporter__set_loader(app->exporter, app->loader);
		if (app->cfg.verbose && loader__owner_records_error(app->loader))
			info("metrics: owner records are not counted: the kernel refused the "
			     "counting iterator (%s)",
			     strerror(-loader__owner_records_error(app->loader)));
	}
	for (int i = 0; loader__unavailable(app->loader, i); i++)
		warn("this kernel lacks the tracepoint %s: its events are not reported",
		     loader__unavailable(app->loader, i));
	if (loader__dns_tcp_missing(app->loader))
		warn("host names are learnt from DNS over UDP only, not TCP: %s",
		     loader__dns_tcp_missing(app->loader));
	app->mono_to_wall_ns = clock__mono_to_wall();
	if (loader__fallback_reason(app->loader))
		warn("using raw tracepoints: %s", loader__fallback_reason(app->loader));
	if (loader__mode(app->loader) == ATTACH_RAW_TP) {
		warn("raw tracepoints: connections open at start are not attributed");
		return EXIT_OK;
	}
	loader__snapshot_source(app->loader, &src);
	app->start_owners = start_owners__new();
	face__snapshot_said(snapshot__run(&src, &app->cfg.filter, clock__mono_ns(), on_snapshot,
					  app, &st),
			    &st, app->cfg.verbose);
	if (app->start_owners)
		start_owners__seal(app->start_owners);
	return EXIT_OK;
}

/*
 * After the loop: what is still queued, the report (a console reader that
 * stopped reading must not keep us from exiting), what the outputs dropped.
 */
static void snoop_finish(struct snoop_app *app)
{
	uint64_t deadline = clock__mono_ns() + EXIT_DRAIN_MS * 1000000ull;

	notify__send(app->notify, "STOPPING=1");
	info("Stopping monitoring...");
	report_losses(app);
	flush_outputs(app);
	console_put(app, "", 0, deadline);
	if (app->cfg.report)
		print_report(app, deadline);
	/* Up to the end, before the statistics that close stderr. */
	report_outputs_dropped(app);
}

/*
 * -v: the loss count by cause, and a cross-check of it: transitions missing
 * between two events of one connection that the report kept (with filters
 * or evictions a lower bound, and a lost close can hide one).
 */
static void say_counts(const struct snoop_app *app)
{
	struct loader_counts c;

	loader__counts(app->loader, &c);
	info("Lost by cause: ring buffer full %llu, skipped runs not recovered %llu, "
	     "transitions made without running the programs %llu",
	     (unsigned long long)c.lost[SNOOP_LOSS_RING_FULL],
	     (unsigned long long)c.lost[SNOOP_LOSS_SKIPPED],
	     (unsigned long long)c.lost[SNOOP_LOSS_UNDELIVERED]);
	info("Transitions recovered from nested runs: %llu", (unsigned long long)c.recovered);
	if (loader__hidden_error(app->loader))
		info("Transitions hidden by the kernel (PID 1 current): not counted, %s",
		     hidden__strerror(loader__hidden_error(app->loader)));
	else
		info("Transitions hidden by the kernel (PID 1 current, any socket): %llu",
		     (unsigned long long)c.hidden);
	info("Owner updates skipped in nested runs: %llu",
	     (unsigned long long)c.owner_updates_skipped);
	if (app->resolved) {
		struct resolved_stats r;

		resolved__stats(app->resolved, &r);
		info("DNS: %llu queries, %llu answers (%llu addresses named), %llu responses to no "
		     "query seen, %llu malformed",
		     (unsigned long long)r.queries, (unsigned long long)r.answers,
		     (unsigned long long)r.names, (unsigned long long)r.unmatched,
		     (unsigned long long)r.malformed);
	}
	info("Gaps seen in connections: %llu", (unsigned long long)app->gaps);
}

/*
 * DNS messages the kernel did not copy: names that events will lack.  Said
 * at exit whenever there were some, -v or not: nothing is lost unsaid.
 */
static void say_dns_losses(const struct snoop_app *app)
{
	uint64_t full = loader__dns_stat(app->loader, SNOOP_DNS_STAT_LOST);
	uint64_t limited = loader__dns_stat(app->loader, SNOOP_DNS_STAT_LIMITED);

	if (full || limited)
		warn("DNS messages not copied: %llu (the DNS ring was full), %llu (more than %d a "
		     "second on a CPU): the host names of their answers are missing",
		     (unsigned long long)full, (unsigned long long)limited, SNOOP_DNS_RATE);
}

/* The last line on stderr; lines an output dropped only when some were, so its old form stays. */
static void say_summary(const struct snoop_app *app)
{
	char extra[128];
	struct strbuf sb;

	strbuf_init(&sb, extra, sizeof(extra));
	if (console_dropped(app)) {
		strbuf_str(&sb, " DROPPED_CONSOLE=");
		strbuf_u64(&sb, console_dropped(app));
	}
	if (logfile_dropped(app)) {
		strbuf_str(&sb, " DROPPED_LOGFILE=");
		strbuf_u64(&sb, logfile_dropped(app));
	}
	if (app->hidden_reported) {
		strbuf_str(&sb, " HIDDEN=");
		strbuf_u64(&sb, app->hidden_reported);
	}
	info("Summary: RECEIVED=%llu LOST=%llu%s", (unsigned long long)app->received,
	     (unsigned long long)app->lost_reported, extra);
}

/* Monitor until stopped; the exit status. */
static int snoop_run(struct snoop_app *app)
{
	static const struct loop_callbacks callbacks = {
		.on_event = on_record,
		.on_batch = on_batch,
		.on_tick = on_tick,
		.on_hangup = on_hangup,
	};
	int err;

	if (loader__hidden_error(app->loader))
		info("Cannot count the TCP transitions a kernel may hide from BPF programs while "
		     "PID 1 runs: %s",
		     hidden__strerror(loader__hidden_error(app->loader)));
	if (app->logfile)
		info("Monitoring socket connections. Logs will be written to %s",
		     sink__name(app->logfile));
	else
		info("Monitoring socket connections. No log file.");
	if (app->cfg.config_path) {
		char said[1024];

		cli_snoop__describe_filters(&app->cfg.filter, said, sizeof(said));
		info("filters from --config and the command line: %s", said);
	}
	/* Every program attached, the outputs open: what the manager waits for. */
	notify__send(app->notify, "READY=1\nSTATUS=Monitoring: RECEIVED=0 LOST=0");
	if (notify__watchdog_usec(app->notify))
		app->watchdog_next_ns = clock__mono_ns() + 1;
	if (app->exporter)
		info("Serving metrics at http://%s/metrics", app->cfg.metrics_spec);
	struct loop_ring dns = { loader__dns_ring_fd(app->loader), on_dns, app };

	size_t n_rings;
	const int *rings = loader__ring_fds(app->loader, &n_rings);

	err = loop__run(rings, n_rings, app->cfg.duration_s, &callbacks, app,
			app->exporter ? exporter__loop_fd(app->exporter) : NULL,
			app->resolved && dns.fd >= 0 ? &dns : NULL);
	if (err < 0)
		error("event loop failed: %s", strerror(-err));
	snoop_finish(app);
	if (app->cfg.verbose)
		say_counts(app);
	say_dns_losses(app);
	say_summary(app);
	return err < 0 ? EXIT_FAILURE_RUNTIME : EXIT_OK;
}

int snoop_main(int argc, char **argv)
{
	struct snoop_app *app = calloc(1, sizeof(*app));
	int rc;

	if (!app)
		return EXIT_FAILURE_RUNTIME;
	rc = snoop_options(app, argc, argv);
	if (rc >= 0)
		goto out; /* --help, --version, a usage error */
	rc = face__check_bpf(false);
	if (!rc)
		rc = snoop_notify(app);
	if (!rc)
		rc = snoop_open_outputs(app);
	if (!rc)
		rc = snoop_attach(app);
	/* Attached, outputs open, snapshot taken: nothing left needs a capability. */
	if (!rc)
		rc = face__drop_privileges(loader__ringbuf_fd(app->loader));
	if (!rc)
		rc = snoop_run(app);
out:
	exporter__free(app->exporter);
	loader__free(app->loader);
	lifecycle__free(app->lc);
	start_owners__free(app->start_owners);
	fmt_json_set_procinfo(NULL);
	procinfo_cache__free(app->procinfo);
	fmt_json_set_cgroups(NULL);
	fmt_log_set_fields(0, NULL);
	cgroup_cache__free(app->cgroups);
	fmt_json_set_resolved(NULL);
	fmt_log_set_resolved(NULL);
	resolved__free(app->resolved);
	sink__free(app->console);
	sink__free(app->logfile);
	sink__free(app->heartbeat);
	notify__free(app->notify);
	free(app);
	return rc;
}
