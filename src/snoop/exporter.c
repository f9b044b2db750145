// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* exporter.c - the /metrics, /healthz and / of --metrics (see exporter.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common/httpd.h"
#include "common/procfs.h"
#include "common/sock_diag.h"
#include "lib/clock.h"
#include "lib/names.h"
#include "lib/prom.h"
#include "snoop/exporter.h"
#include "snoop/metrics.h"

/* The ring not read for this long: /healthz says 503 (the loop reads it ten times a second). */
#define HEALTH_STALE_NS (5ull * 1000000000ull)
/* The exposition's buffer starts at this and doubles when a scrape does not fit, up to MAX. */
#define RENDER_START (64u << 10)
#define RENDER_MAX (64u << 20)
/* Families of the exporter's own, and of metrics.c. */
#define OWN_FAMILIES 27
#define ALL_FAMILIES (OWN_FAMILIES + METRICS_FAMILIES)

struct exporter {
	struct httpd *httpd;
	struct loop_fd lfd;
	struct metrics *metrics;
	const struct loader *loader;
	struct exporter_outputs outputs;
	uint64_t reloads,
		reload_failures; /* SIGHUPs that read it, and those that kept the old filters */
	uint64_t last_read_ns;	 /* when the ring was last read; 0: not yet */
	double last_scrape_cpu_s;
	/*
	 * The TCP-states gauge, kept between scrapes: re-read when older than
	 * STATES_COST_RATIO times the CPU its last read cost (tcp_states_read()).
	 */
	uint64_t states[SNOOP_TCP_MAX_STATES];
	int states_err;
	uint64_t states_mono_ns; /* when read; 0: never */
	double states_wall_s;
	double states_cpu_s; /* what the last read cost */
	uint64_t states_max_age_ns;
	char *buf; /* the exposition, reused from one scrape to the next */
	size_t size;
};

/* ---- what is read when scraped ---------------------------------------------------------- */

/* /proc/self/stat's times and sizes, and the process's limits. */
struct proc_stats {
	bool ok;
	double cpu_s, start_s;
	uint64_t vsize, rss, open_fds, max_fds;
};

/* Everything the families below show that is not counted per event: read once per scrape. */
struct scrape {
	const struct exporter *x;
	struct loader_counts counts;
	uint64_t ring_size, ring_used;
	int owners_err;
	uint64_t owners, owners_capacity;
	char owners_help[256];
	int stats_enabled; /* kernel.bpf_stats_enabled: 0, 1, or -1 unknown */
	struct proc_stats proc;
};

/* The boot time, in seconds since the epoch (/proc/stat's btime), read once. */
static double boot_time(void)
{
	static double btime;
	char buf[8192];
	uint64_t v;

	if (btime <= 0 && procfs__read("/proc/stat", buf, sizeof(buf)) >= 0 &&
	    !procfs__key_u64(buf, "btime", &v))
		btime = (double)v;
	return btime;
}

/* The process_* metrics, as Prometheus's client libraries define them. */
static void read_proc(struct proc_stats *ps)
{
	char stat[1024];
	/* proc(5)'s fields: utime, stime, starttime, vsize, rss. */
	static const int fields[] = { 14, 15, 22, 23, 24 };
	uint64_t v[5];
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	struct dirent *d;
	DIR *dir;

	memset(ps, 0, sizeof(*ps));
	if (procfs__read("/proc/self/stat", stat, sizeof(stat)) < 0 || ticks <= 0 || page <= 0)
		return;
	for (int i = 0; i < 5; i++)
		if (procfs__stat_field(stat, fields[i], &v[i]))
			return;
	ps->cpu_s = (double)(v[0] + v[1]) / (double)ticks;
	ps->start_s = boot_time() + (double)v[2] / (double)ticks;
	ps->vsize = v[3];
	ps->rss = v[4] * (uint64_t)page;
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		ps->max_fds = rl.rlim_cur;
	dir = opendir("/proc/self/fd");
	if (dir) {
		while ((d = readdir(dir)))
			ps->open_fds += d->d_name[0] != '.';
		closedir(dir);
		/* Not the one opendir() held while counting. */
		ps->open_fds -= ps->open_fds > 0;
	}
	ps->ok = true;
}

static int bpf_stats_enabled(void)
{
	char v[16];

	if (procfs__read("/proc/sys/kernel/bpf_stats_enabled", v, sizeof(v)) <= 0)
		return -1;
	return v[0] == '1';
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Re-read the TCP-states gauge if it is older than STATES_COST_RATIO times
 * what its last read cost, within [STATES_MIN_AGE_NS, STATES_MAX_AGE_NS].
 * The read is the kernel's walk of its whole connection table (262,144
 * buckets here, whatever the sockets), 5 ms at 10,000 connections: a
 * scraper polling every second would spend 0.5% of a CPU on a gauge for
 * trends.  So it costs at most 0.1% of one CPU however often it is scraped:
 * at 10,000 connections it is 5 s old at most, on a small host 1 s.
 */
#define STATES_COST_RATIO 1000
#define STATES_MIN_AGE_NS 1000000000ull
#define STATES_MAX_AGE_NS 60000000000ull

static void tcp_states_read(struct exporter *x)
{
	uint64_t now = clock__mono_ns(), age;
	double t0;

	if (x->states_mono_ns && now - x->states_mono_ns < x->states_max_age_ns)
		return;
	t0 = thread_cpu_s();
	x->states_err = tcp_states__count(x->states);
	x->states_cpu_s = thread_cpu_s() - t0;
	age = (uint64_t)(x->states_cpu_s * 1e9 * STATES_COST_RATIO);
	x->states_max_age_ns = age < STATES_MIN_AGE_NS ? STATES_MIN_AGE_NS :
			       age > STATES_MAX_AGE_NS ? STATES_MAX_AGE_NS :
							 age;
	x->states_mono_ns = now;
	x->states_wall_s = (double)clock__wall_ns() / 1e9;
}

static void scrape_read(struct scrape *s, struct exporter *x)
{
	memset(s, 0, sizeof(*s));
	s->x = x;
	loader__counts(x->loader, &s->counts);
	loader__ring_usage(x->loader, &s->ring_size, &s->ring_used);
	s->owners_err = loader__owner_records(x->loader, &s->owners, &s->owners_capacity);
	snprintf(s->owners_help, sizeof(s->owners_help),
		 "Sockets whose owning process socket-snoop keeps a record of%s%s%s",
		 s->owners_err ? ": not counted, this kernel refused the counting iterator (" : ".",
		 s->owners_err ? strerror(-s->owners_err) : "", s->owners_err ? ")." : "");
	tcp_states_read(x);
	s->stats_enabled = bpf_stats_enabled();
	read_proc(&s->proc);
}

/* ---- the families ------------------------------------------------------------------------- */

#define SCRAPE(ctx) ((const struct scrape *)(ctx))

static int one_u64(struct prom *p, const char *name, uint64_t v)
{
	return prom_sample_u64(p, name, NULL, 0, v);
}

static int one_f64(struct prom *p, const char *name, double v)
{
	return prom_sample_f64(p, name, NULL, 0, v);
}

static int proc_cpu(const void *ctx, struct prom *p, const char *name)
{
	return SCRAPE(ctx)->proc.ok ? one_f64(p, name, SCRAPE(ctx)->proc.cpu_s) : 0;
}

static int proc_max_fds(const void *ctx, struct prom *p, const char *name)
{
	return SCRAPE(ctx)->proc.ok ? one_u64(p, name, SCRAPE(ctx)->proc.max_fds) : 0;
}

static int proc_open_fds(const void *ctx, struct prom *p, const char *name)
{
	return SCRAPE(ctx)->proc.ok ? one_u64(p, name, SCRAPE(ctx)->proc.open_fds) : 0;
}

static int proc_rss(const void *ctx, struct prom *p, const char *name)
{
	return SCRAPE(ctx)->proc.ok ? one_u64(p, name, SCRAPE(ctx)->proc.rss) : 0;
}

static int proc_start(const void *ctx, struct prom *p, const char *name)
{
	return SCRAPE(ctx)->proc.ok ? one_f64(p, name, SCRAPE(ctx)->proc.start_s) : 0;
}

static int proc_vsize(const void *ctx, struct prom *p, const char *name)
{
	return SCRAPE(ctx)->proc.ok ? one_u64(p, name, SCRAPE(ctx)->proc.vsize) : 0;
}

/* Which figure of a program: runs, seconds running, runs skipped. */
enum prog_figure { PROG_RUNS, PROG_SECONDS, PROG_MISSES };

static int programs(const struct scrape *s, struct prom *p, const char *name, enum prog_figure f)
{
	struct loader_prog_stats ps;
	int err = 0;

	for (size_t i = 0; !err && !loader__prog_stats(s->x->loader, i, &ps); i++) {
		struct prom_label l = { "program", ps.name };

		if (f == PROG_SECONDS)
			err = prom_sample_f64(p, name, &l, 1, (double)ps.run_ns / 1e9);
		else
			err = prom_sample_u64(p, name, &l, 1,
					      f == PROG_RUNS ? ps.runs : ps.recursion_misses);
	}
	return err;
}

static int prog_runs(const void *ctx, struct prom *p, const char *name)
{
	return programs(ctx, p, name, PROG_RUNS);
}

static int prog_seconds(const void *ctx, struct prom *p, const char *name)
{
	return programs(ctx, p, name, PROG_SECONDS);
}

static int prog_misses(const void *ctx, struct prom *p, const char *name)
{
	return programs(ctx, p, name, PROG_MISSES);
}

static int map_memory(const void *ctx, struct prom *p, const char *name)
{
	struct loader_map_stats ms;
	int err = 0;

	for (size_t i = 0; !err && !loader__map_stats(SCRAPE(ctx)->x->loader, i, &ms); i++) {
		struct prom_label l = { "map", ms.name };

		err = prom_sample_u64(p, name, &l, 1, ms.memory_bytes);
	}
	return err;
}

static int stats_enabled(const void *ctx, struct prom *p, const char *name)
{
	int v = SCRAPE(ctx)->stats_enabled;

	return v < 0 ? 0 : one_u64(p, name, (uint64_t)v);
}

static int build_info(const void *ctx, struct prom *p, const char *name)
{
	struct prom_label l[] = {
		{ "attach",
		  loader__mode(SCRAPE(ctx)->x->loader) == ATTACH_RAW_TP ? "raw_tp" : "tp_btf" },
		{ "libbpf", libbpf_version_string() },
		{ "version", SNOOP_VERSION },
	};

	return prom_sample_u64(p, name, l, 3, 1);
}

static int events_lost(const void *ctx, struct prom *p, const char *name)
{
	const struct loader_counts *c = &SCRAPE(ctx)->counts;
	int err = 0;

	for (int i = 0; i < SNOOP_LOSS_N && !err; i++) {
		struct prom_label l = { "cause", names__loss_cause(i) };

		err = prom_sample_u64(p, name, &l, 1, c->lost[i]);
	}
	return err;
}

static int recovered(const void *ctx, struct prom *p, const char *name)
{
	return one_u64(p, name, SCRAPE(ctx)->counts.recovered);
}

static int hidden(const void *ctx, struct prom *p, const char *name)
{
	return loader__hidden_error(SCRAPE(ctx)->x->loader) ?
		       0 :
		       one_u64(p, name, SCRAPE(ctx)->counts.hidden);
}

static int owner_updates_skipped(const void *ctx, struct prom *p, const char *name)
{
	return one_u64(p, name, SCRAPE(ctx)->counts.owner_updates_skipped);
}

static int lines_dropped(const void *ctx, struct prom *p, const char *name)
{
	const struct exporter_outputs *o = &SCRAPE(ctx)->x->outputs;
	struct prom_label console = { "output", "console" }, logfile = { "output", "logfile" };
	int err = prom_sample_u64(p, name, &console, 1, o->console_dropped);

	return err ? err : prom_sample_u64(p, name, &logfile, 1, o->logfile_dropped);
}

static int config_reloads(const void *ctx, struct prom *p, const char *name)
{
	const struct exporter *x = SCRAPE(ctx)->x;
	struct prom_label ok = { "result", "ok" }, failed = { "result", "failed" };
	int err = prom_sample_u64(p, name, &ok, 1, x->reloads - x->reload_failures);

	return err ? err : prom_sample_u64(p, name, &failed, 1, x->reload_failures);
}

static int owners(const void *ctx, struct prom *p, const char *name)
{
	return SCRAPE(ctx)->owners_err ? 0 : one_u64(p, name, SCRAPE(ctx)->owners);
}

static int owners_capacity(const void *ctx, struct prom *p, const char *name)
{
	const struct scrape *s = ctx;

	/* One per socket, no limit: sk_storage. */
	return s->owners_capacity ? one_u64(p, name, s->owners_capacity) :
				    one_f64(p, name, INFINITY);
}

static int ring_size(const void *ctx, struct prom *p, const char *name)
{
	return one_u64(p, name, SCRAPE(ctx)->ring_size);
}

static int ring_used(const void *ctx, struct prom *p, const char *name)
{
	return one_u64(p, name, SCRAPE(ctx)->ring_used);
}

static int scrape_cpu(const void *ctx, struct prom *p, const char *name)
{
	return one_f64(p, name, SCRAPE(ctx)->x->last_scrape_cpu_s);
}

static int tcp_sockets(const void *ctx, struct prom *p, const char *name)
{
	static const char *const state_names[SNOOP_TCP_MAX_STATES] = {
#define STATE_NAME(id, value, json, desc) [value] = (json),
		SNOOP_TCP_STATES(STATE_NAME)
#undef STATE_NAME
	};
	const struct exporter *x = SCRAPE(ctx)->x;
	int err = 0;

	if (x->states_err)
		return 0;
	/* node_exporter's states: NEW_SYN_RECV is reported as SYN_RECV by the kernel. */
	for (int st = SNOOP_TCP_ESTABLISHED; st <= SNOOP_TCP_CLOSING && !err; st++) {
		struct prom_label l = { "state", state_names[st] };

		err = prom_sample_u64(p, name, &l, 1, x->states[st]);
	}
	return err;
}

static int tcp_sockets_time(const void *ctx, struct prom *p, const char *name)
{
	const struct exporter *x = SCRAPE(ctx)->x;

	return x->states_err ? 0 : one_f64(p, name, x->states_wall_s);
}

static int tcp_sockets_cost(const void *ctx, struct prom *p, const char *name)
{
	const struct exporter *x = SCRAPE(ctx)->x;

	return x->states_err ? 0 : one_f64(p, name, x->states_cpu_s);
}

/* The exporter's own families, in any order (render() sorts them with metrics.c's). */
static size_t own_families(const struct scrape *s, struct metrics_family *out)
{
	const char *runs_help =
		s->stats_enabled == 1 ?
			"Runs of each BPF program (kernel.bpf_stats_enabled is 1)." :
			"Runs of each BPF program: counted only while kernel.bpf_stats_enabled is "
			"1, and it is not.";
	const char *seconds_help =
		s->stats_enabled == 1 ?
			"Time each BPF program ran, in seconds (kernel.bpf_stats_enabled is 1)." :
			"Time each BPF program ran, in seconds: counted only while "
			"kernel.bpf_stats_enabled is 1, and it is not.";
	const struct metrics_family f[] = {
		{ "process_cpu_seconds_total", PROM_COUNTER,
		  "Total user and system CPU time spent in seconds.", proc_cpu },
		{ "process_max_fds", PROM_GAUGE, "Maximum number of open file descriptors.",
		  proc_max_fds },
		{ "process_open_fds", PROM_GAUGE, "Number of open file descriptors.",
		  proc_open_fds },
		{ "process_resident_memory_bytes", PROM_GAUGE, "Resident memory size in bytes.",
		  proc_rss },
		{ "process_start_time_seconds", PROM_GAUGE,
		  "Start time of the process since unix epoch in seconds.", proc_start },
		{ "process_virtual_memory_bytes", PROM_GAUGE, "Virtual memory size in bytes.",
		  proc_vsize },
		{ "socket_snoop_bpf_map_memory_bytes", PROM_GAUGE,
		  "Memory the kernel charges for each BPF map (its fdinfo's memlock).",
		  map_memory },
		{ "socket_snoop_bpf_program_recursion_misses_total", PROM_COUNTER,
		  "Runs of each BPF program the kernel skipped because it was already running on "
		  "that CPU.",
		  prog_misses },
		{ "socket_snoop_bpf_program_run_seconds_total", PROM_COUNTER, seconds_help,
		  prog_seconds },
		{ "socket_snoop_bpf_program_runs_total", PROM_COUNTER, runs_help, prog_runs },
		{ "socket_snoop_bpf_stats_enabled", PROM_GAUGE,
		  "kernel.bpf_stats_enabled: 1 when the kernel counts BPF program runs and time.",
		  stats_enabled },
		{ "socket_snoop_build_info", PROM_GAUGE,
		  "socket-snoop's version, its libbpf's, and how its programs are attached.",
		  build_info },
		{ "socket_snoop_config_reloads_total", PROM_COUNTER,
		  "Reloads of the --config file on SIGHUP: ok (its filters are in use) or failed "
		  "(the old filters stay; the log says why); 0 without --config.",
		  config_reloads },
		{ "socket_snoop_events_lost_total", PROM_COUNTER,
		  "Events the kernel could not deliver, by cause: ring_full (no room in the ring "
		  "buffer), skipped (runs the kernel skipped, not recovered), undelivered "
		  "(transitions made without our programs running).",
		  events_lost },
		{ "socket_snoop_output_lines_dropped_total", PROM_COUNTER,
		  "Lines an output could not take (full disk, slow reader, write error).",
		  lines_dropped },
		{ "socket_snoop_owner_records", PROM_GAUGE, s->owners_help, owners },
		{ "socket_snoop_owner_records_capacity", PROM_GAUGE,
		  "How many owner records there can be (+Inf: one per socket, no limit).",
		  owners_capacity },
		{ "socket_snoop_owner_updates_skipped_total", PROM_COUNTER,
		  "Sends and receives whose owner update the kernel skipped (nested runs; no "
		  "event lost).",
		  owner_updates_skipped },
		{ "socket_snoop_ring_buffer_size_bytes", PROM_GAUGE,
		  "Size of the kernel ring buffers events are delivered through, one per CPU, together.",
		  ring_size },
		{ "socket_snoop_ring_buffer_used_bytes", PROM_GAUGE,
		  "Bytes written to the ring buffer and not read yet.", ring_used },
		{ "socket_snoop_scrape_cpu_seconds", PROM_GAUGE,
		  "CPU time the previous scrape of /metrics cost socket-snoop.", scrape_cpu },
		{ "socket_snoop_tcp_sockets", PROM_GAUGE,
		  "TCP sockets of socket-snoop's network namespace by state (TIME_WAIT and "
		  "half-open SYN_RECV included), read when scraped if older than 1000 times "
		  "the CPU its last read cost (1 to 60 s): at most 0.1% of a CPU.",
		  tcp_sockets },
		{ "socket_snoop_tcp_sockets_timestamp_seconds", PROM_GAUGE,
		  "When socket_snoop_tcp_sockets was read, in seconds since the epoch.",
		  tcp_sockets_time },
		{ "socket_snoop_tcp_sockets_read_cpu_seconds", PROM_GAUGE,
		  "CPU time the last read of socket_snoop_tcp_sockets cost socket-snoop (the "
		  "kernel's walk of its connection table included).",
		  tcp_sockets_cost },
		{ "socket_snoop_transitions_hidden_total", PROM_COUNTER,
		  "TCP state changes of any socket the kernel made without running BPF programs "
		  "(while a thread of PID 1 ran).",
		  hidden },
		{ "socket_snoop_transitions_recovered_total", PROM_COUNTER,
		  "State changes recovered from nested runs of the kernel's tracepoint.",
		  recovered },
	};

	_Static_assert(sizeof(f) / sizeof(f[0]) <= OWN_FAMILIES, "room for the families");
	return metrics_families_bind(f, sizeof(f) / sizeof(f[0]), s, out);
}

static int family_cmp(const void *a, const void *b)
{
	return strcmp(((const struct metrics_family *)a)->name,
		      ((const struct metrics_family *)b)->name);
}

/* Every family, in name order, into x->buf; the length, or a negative errno. */
static ssize_t render_into(struct exporter *x, const struct scrape *s)
{
	struct metrics_family f[ALL_FAMILIES];
	size_t n = own_families(s, f);
	struct strbuf sb;
	struct prom p;
	int err = 0;

	n += metrics__families(x->metrics, f + n);
	qsort(f, n, sizeof(f[0]), family_cmp);
	strbuf_init(&sb, x->buf, x->size);
	prom_init(&p, &sb);
	for (size_t i = 0; i < n && !err; i++) {
		err = prom_family(&p, f[i].name, f[i].type, f[i].help);
		if (!err)
			err = f[i].samples(f[i].ctx, &p, f[i].name);
	}
	return err ? err : (ssize_t)(sb.p - x->buf);
}

/* The exposition in x->buf, the buffer grown until it fits; its length, or a negative errno. */
static ssize_t render(struct exporter *x)
{
	struct scrape s;
	ssize_t len;

	scrape_read(&s, x);
	metrics__show_commands(x->metrics);
	for (;;) {
		if (!x->buf) {
			x->size = RENDER_START;
			x->buf = malloc(x->size);
			if (!x->buf)
				return -ENOMEM;
		}
		len = render_into(x, &s);
		if (len != -ENOSPC || x->size >= RENDER_MAX)
			return len;
		free(x->buf);
		x->buf = NULL;
		x->size *= 2;
		x->buf = malloc(x->size);
		if (!x->buf)
			return -ENOMEM;
	}
}

/* ---- the server ----------------------------------------------------------------------------- */

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>socket-snoop</title></head><body>\n"
	"<h1>socket-snoop</h1>\n"
	"<p><a href=\"/metrics\">/metrics</a>: Prometheus metrics</p>\n"
	"<p><a href=\"/healthz\">/healthz</a>: 200 while the programs are attached and the "
	"ring buffer is read</p>\n"
	"</body></html>\n";

static void handle(void *ctx, const struct http_req *req, struct httpd_response *r)
{
	struct exporter *x = ctx;

	r->content_type = "text/plain; charset=utf-8";
	if (!x->loader) {
		/* Not reachable: the loop, which serves, runs once the programs are attached. */
		r->status = HTTP_UNAVAILABLE;
		r->body = "starting\n";
		r->len = strlen(r->body);
	} else if (!strcmp(req->path, "/metrics")) {
		double t0 = thread_cpu_s();
		ssize_t len = render(x);

		if (len < 0) {
			r->status = HTTP_INTERNAL_ERROR;
			r->body = "cannot write the metrics\n";
			r->len = strlen(r->body);
			return;
		}
		r->content_type = PROM_CONTENT_TYPE;
		r->body = x->buf;
		r->len = (size_t)len;
		/* Compressing it is the server's, after this: the next scrape shows both. */
		x->last_scrape_cpu_s = thread_cpu_s() - t0;
	} else if (!strcmp(req->path, "/healthz")) {
		uint64_t now = clock__mono_ns();
		bool fresh = x->loader && x->last_read_ns &&
			     now - x->last_read_ns < HEALTH_STALE_NS;

		r->status = fresh ? HTTP_OK : HTTP_UNAVAILABLE;
		r->body = fresh ? "ok\n" : "the ring buffer is not being read\n";
		r->len = strlen(r->body);
	} else if (!strcmp(req->path, "/")) {
		r->content_type = "text/html; charset=utf-8";
		r->body = index_page;
		r->len = sizeof(index_page) - 1;
	} else {
		r->status = HTTP_NOT_FOUND;
		r->body = "404 Not Found: try /metrics or /healthz\n";
		r->len = strlen(r->body);
	}
}

int exporter__new(struct exporter **out, const struct snoop_config *cfg)
{
	struct exporter *x = calloc(1, sizeof(*x));
	int err;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	x->metrics = metrics__new(cfg->metrics_comm_top);
	if (!x->metrics) {
		exporter__free(x);
		return -ENOMEM;
	}
	err = httpd__new(&x->httpd, (const struct sockaddr *)&cfg->metrics_addr,
			 cfg->metrics_addrlen, handle, x);
	if (err) {
		exporter__free(x);
		return err;
	}
	x->lfd = (struct loop_fd){ httpd__fd(x->httpd), httpd__serve, x->httpd };
	*out = x;
	return 0;
}

void exporter__set_loader(struct exporter *x, const struct loader *l)
{
	x->loader = l;
}

void exporter__event(struct exporter *x, const struct snoop_event *e)
{
	metrics__event(x->metrics, e);
}

void exporter__reloaded(struct exporter *x, bool ok)
{
	x->reloads++;
	x->reload_failures += !ok;
}

void exporter__batch(struct exporter *x, const struct exporter_outputs *o)
{
	x->last_read_ns = clock__mono_ns();
	x->outputs = *o;
}

const struct loop_fd *exporter__loop_fd(const struct exporter *x)
{
	return &x->lfd;
}

void exporter__tick(struct exporter *x)
{
	httpd__tick(x->httpd);
}

void exporter__free(struct exporter *x)
{
	if (!x)
		return;
	httpd__free(x->httpd);
	metrics__free(x->metrics);
	free(x->buf);
	free(x);
}
