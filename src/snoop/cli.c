// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cli_snoop.c - options of the socket-snoop face (contract: DESIGN.md section 3). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "snoop/cli.h"
#include "lib/names.h"
#include "lib/parse.h"
#include "lib/text.h"
#include "common/cgroups.h"
#include "common/safe_path.h"
#include "common/target.h"
#include "lib/cgroup_name.h"
#include "snoop/fmt_json.h"
#include "snoop/metrics.h"

#define DEFAULT_LOG_PATH "/var/log/socket_monitor.log"
#define DURATION_MAX (10ull * 365 * 24 * 3600)
/* --interval: a day at most (a connection's update at least once a day). */
#define INTERVAL_MAX (24ull * 3600)
#define RINGBUF_MIN_BYTES (64u << 10)
#define LOG_MAX_SIZE_MIN (4ull << 10)
#define LOG_MAX_SIZE_MAX (1ull << 40)
#define LOG_MAX_FILES_MAX 1000
#define LOG_MAX_FILES_DEFAULT 5
#define METRICS_COMM_TOP_DEFAULT 20
#define METRICS_COMM_TOP_MAX_TEXT "100"
_Static_assert(METRICS_COMM_TOP_MAX == 100, "METRICS_COMM_TOP_MAX_TEXT is its value");
#define RINGBUF_MAX_BYTES (1u << 30)
/* Where --help's descriptions start. */
#define HELP_COLUMN 26

/* The parser's state, shared by the option handlers. */
struct cli_state {
	struct snoop_config *cfg;
	const struct cli_opt *opt; /* the option being read */
	bool no_log, version, help;
	char *err; /* set by a handler whose message is not "expected ..." */
	size_t err_len;
	char bad[128];		/* the bad item of a list, for the message */
	const char *cgroup_opt; /* which of --cgroup, --unit, --container chose the cgroup */
	const char *dash; /* how messages spell an option: "--" on the command line, "" in --config */
	/* A --config reload: a cgroup given as this one was keeps its cgroup, not looked up again. */
	const struct filter_config *keep;
};

/* Read @arg (NULL for a switch) into st->cfg: 0, or a negative errno. */
typedef int (*cli_fn)(struct cli_state *st, const char *arg);

enum cli_section { SEC_OUTPUT, SEC_EVENTS, SEC_FILTERS, SEC_ALIASES, SEC_RUN };

static const char *const section_titles[] = {
	[SEC_OUTPUT] = " Output",
	[SEC_EVENTS] = " Events",
	[SEC_FILTERS] = " Filters (run in the kernel; options AND, values of one option OR)",
	[SEC_ALIASES] = NULL, /* one paragraph at the end of the filters */
	[SEC_RUN] = " Run",
};

/* Marks in help and expected texts, replaced by the event kinds' or log fields' names. */
#define KINDS_MARK "{kinds}"
#define FIELDS_MARK "{fields}"

/*
 * The options, one row each: getopt's tables, --help, the "expected ..."
 * part of error messages, the options that may be given once, and which
 * kernel filter (SNOOP_FILTERS) each one turns on are all generated from
 * it.  Columns:
 *   X(ID, long name, short letter or 0, value, once, handler, filter,
 *     expected, section, help value, help)
 *   value     no_argument or required_argument
 *   once      given twice it is an error (which one was meant is a guess)
 *   filter    the row of SNOOP_FILTERS it turns on, or none
 *   expected  what a bad value should have been ("invalid value ... expected X")
 *   help      the --help description, lines split with \n; for an alias
 *             (section SEC_ALIASES) the option it stands for
 * Adding an option: a row here and its handler.
 */
// clang-format off
#define CLI_SNOOP_OPTIONS(X) \
	X(JSON, "json", 'j', no_argument, false, opt_json, none, NULL, SEC_OUTPUT, "", \
	  "JSON Lines (ECS fields, docs/json-schema.md) instead of\n" \
	  "log lines, on the console and in the log file") \
	X(LOG_FILE, "log-file", 'o', required_argument, true, opt_log_file, none, "a file path", \
	  SEC_OUTPUT, "=PATH", \
	  "append events to PATH; default $SOCKET_SNOOP_LOG, else\n" \
	  DEFAULT_LOG_PATH " (falls back to\n" \
	  "./socket_monitor.log with a warning when the default\n" \
	  "cannot be created)") \
	X(NO_LOG_FILE, "no-log-file", 0, no_argument, false, opt_no_log_file, none, NULL, \
	  SEC_OUTPUT, "", "console only") \
	X(LOG_MAX_SIZE, "log-max-size", 0, required_argument, true, opt_log_max_size, none, \
	  "a size between 4K and 1T", SEC_OUTPUT, "=SIZE", \
	  "rotate the log file before it grows past SIZE (K, M, G,\n" \
	  "T suffixes): PATH.1 ... PATH.N, whole lines in each") \
	X(LOG_MAX_FILES, "log-max-files", 0, required_argument, true, opt_log_max_files, none, \
	  "a number of files from 1 to 1000", SEC_OUTPUT, "=N", \
	  "rotated files kept with --log-max-size (default 5;\n" \
	  "the oldest is removed)") \
	X(HEARTBEAT, "heartbeat", 0, required_argument, true, opt_heartbeat, none, "a file path", \
	  SEC_OUTPUT, "=PATH", \
	  "touch PATH about every second while monitoring, for a\n" \
	  "liveness probe (--check-heartbeat)") \
	X(CHECK_HEARTBEAT, "check-heartbeat", 0, required_argument, true, opt_check_heartbeat, \
	  none, "a file path", SEC_RUN, "=PATH", \
	  "exit 0 when PATH was touched by --heartbeat in the\n" \
	  "last 10 seconds, else 1 saying how old it is; needs no\n" \
	  "privilege (a container's liveness probe)") \
	X(CHECK, "check", 0, no_argument, false, opt_check, none, NULL, SEC_RUN, "", \
	  "report what this kernel offers, the privileges held and\n" \
	  "what a start with the other options given would use or\n" \
	  "go without (its programs loaded and attached, then let\n" \
	  "go); exit 0 when it would run, else 77 or 69 as it would") \
	X(HOST_NAME, "host-name", 0, required_argument, true, opt_host_name, none, \
	  "a host name of 1 to 253 bytes", SEC_OUTPUT, "=NAME", \
	  "host.name of every JSON object (default: the kernel's\n" \
	  "node name, as uname -n; on Kubernetes, the node's)") \
	X(METRICS, "metrics", 0, required_argument, true, opt_metrics, none, \
	  "ADDR:PORT, a port from 1 to 65535 (127.0.0.1:9580, [::1]:9580, localhost:9580)", SEC_OUTPUT, "=ADDR:PORT", \
	  "serve Prometheus metrics at http://ADDR:PORT/metrics\n" \
	  "(and /healthz): counted from every event the kernel\n" \
	  "filters keep, whatever -e and -q show") \
	X(METRICS_LABELS, "metrics-labels", 0, required_argument, true, opt_metrics_labels, none, \
	  "comm or comm:N, N from 1 to " METRICS_COMM_TOP_MAX_TEXT, SEC_OUTPUT, "=comm[:N]", \
	  "a comm label for the N (default 20) busiest\n" \
	  "commands on the connection metrics; the rest\n" \
	  "are \"other\"") \
	X(QUIET, "quiet", 'q', no_argument, false, opt_quiet, none, NULL, SEC_OUTPUT, "", \
	  "no events on the console") \
	X(NO_REPORT, "no-report", 0, no_argument, false, opt_no_report, none, NULL, SEC_OUTPUT, "", \
	  "no lifecycle report at exit") \
	X(THREAD_NAMES, "thread-names", 0, no_argument, false, opt_thread_names, none, NULL, \
	  SEC_OUTPUT, "", \
	  "COMM= of log lines is the name of the owner's thread\n" \
	  "(as the original tool), not its process's") \
	X(NO_DNS, "no-dns", 0, no_argument, false, opt_no_dns, none, NULL, SEC_OUTPUT, "", \
	  "no host names: DST= and JSON carry the name the\n" \
	  "socket's network namespace resolved the remote\n" \
	  "address from (DNS answers seen, never a reverse\n" \
	  "lookup) unless this is given") \
	X(FIELDS, "fields", 0, required_argument, false, opt_fields, none, \
	  "a log line field (" FIELDS_MARK ")", SEC_OUTPUT, "=LIST", \
	  "more fields at the end of log lines:\n" FIELDS_MARK "\n" \
	  "(JSON has them all: service.name, container.*,\n" \
	  "orchestrator.*, process.thread.name)") \
	X(EVENTS, "events", 'e', required_argument, false, opt_events, none, \
	  "an event kind (" KINDS_MARK ")", SEC_EVENTS, "=LIST", \
	  "event kinds: " KINDS_MARK "\n(default: all but accept)") \
	X(CONFIG, "config", 0, required_argument, true, opt_config, none, "a file path", \
	  SEC_FILTERS, "=PATH", \
	  "the filters below from file PATH, \"key = value\" lines\n" \
	  "(the long option names); read again on SIGHUP and\n" \
	  "changed in place; options given here override it") \
	X(PID, "pid", 'p', required_argument, false, opt_pid, pid, \
	  "a process ID (1-" PID_MAX_LIMIT_TEXT ")", SEC_FILTERS, "=PID[,...]", \
	  "sockets owned by these processes") \
	X(COMM, "comm", 'n', required_argument, false, opt_comm, comm, \
	  "a command name of at most 15 bytes", SEC_FILTERS, "=NAME[,...]", \
	  "sockets owned by these command names\n(the process's or the owning thread's)") \
	X(UID, "uid", 'u', required_argument, false, opt_uid, uid, "a user ID", SEC_FILTERS, \
	  "=UID[,...]", "sockets owned by these users") \
	X(LPORT, "lport", 'L', required_argument, false, opt_lport, lport, \
	  "ports 0-65535 or ranges LO-HI", SEC_FILTERS, "=PORTS", \
	  "local ports, e.g. 22,80,8000-8100") \
	X(RPORT, "rport", 'D', required_argument, false, opt_rport, rport, \
	  "ports 0-65535 or ranges LO-HI", SEC_FILTERS, "=PORTS", "remote ports") \
	X(LADDR, "laddr", 0, required_argument, false, opt_laddr, laddr, \
	  "an IPv4 or IPv6 address with an optional /prefix", SEC_FILTERS, "=CIDR[,...]", \
	  "local addresses, IPv4 or IPv6 (10.0.0.0/8, fd00::/64)") \
	X(RADDR, "raddr", 0, required_argument, false, opt_raddr, raddr, \
	  "an IPv4 or IPv6 address with an optional /prefix", SEC_FILTERS, "=CIDR[,...]", \
	  "remote addresses") \
	X(IPV4, "ipv4", '4', no_argument, false, opt_ipv4, family, NULL, SEC_FILTERS, "", \
	  "IPv4 only (IPv4-mapped IPv6 counts as IPv4)") \
	X(IPV6, "ipv6", '6', no_argument, false, opt_ipv6, family, NULL, SEC_FILTERS, "", \
	  "IPv6 only") \
	X(INTERVAL, "interval", 0, required_argument, true, opt_interval, none, \
	  "a number of seconds from 1 to 86400", SEC_EVENTS, "=SECS", \
	  "every SECS, a Connection Update of each connection\n" \
	  "open longer than SECS: bytes, segments, retransmits\n" \
	  "since its last update, and its health (default: none)") \
	X(STATE, "state", 's', required_argument, false, opt_state, none, \
	  "a TCP state name (ESTABLISHED, SYN_SENT, ...)", SEC_FILTERS, "=LIST", \
	  "state-change events by state entered:\n" \
	  "ESTABLISHED,SYN_SENT,SYN_RECV,FIN_WAIT1,FIN_WAIT2,\n" \
	  "TIME_WAIT,CLOSE,CLOSE_WAIT,LAST_ACK,LISTEN,CLOSING\n" \
	  "(any case)") \
	X(CGROUP, "cgroup", 'c', required_argument, true, opt_cgroup, cgroup, \
	  "a cgroup v2 directory", SEC_FILTERS, "=PATH", \
	  "processes in this cgroup v2 directory or below it") \
	X(UNIT, "unit", 0, required_argument, true, opt_unit, cgroup, \
	  "a systemd unit name (.service, .scope or .slice)", SEC_FILTERS, "=NAME", \
	  "processes of this running systemd unit (NAME.service\n" \
	  "when NAME has no unit suffix) and its sub-cgroups") \
	X(CONTAINER, "container", 0, required_argument, true, opt_container, cgroup, \
	  "a container id of 12 to 64 hexadecimal digits", SEC_FILTERS, "=ID", \
	  "processes of this running container (docker,\n" \
	  "containerd, cri-o, podman; an id or its first 12+ digits)") \
	X(NETNS, "netns", 'N', required_argument, true, opt_netns, netns, \
	  "a network namespace file or inode number", SEC_FILTERS, "=PATH|INODE", \
	  "sockets of this network namespace") \
	X(ALL_ADDRESSES, "all-addresses", 0, no_argument, false, opt_all_addresses, none, NULL, \
	  SEC_FILTERS, "", \
	  "also show sockets whose local address is the wildcard\n" \
	  "(listeners on 0.0.0.0 or ::), skipped by default") \
	X(SRC_IP, "src-ip", 0, required_argument, false, opt_laddr, laddr, \
	  "an IPv4 or IPv6 address with an optional /prefix", SEC_ALIASES, "=CIDR", "--laddr") \
	X(DST_IP, "dst-ip", 0, required_argument, false, opt_raddr, raddr, \
	  "an IPv4 or IPv6 address with an optional /prefix", SEC_ALIASES, "=CIDR", "--raddr") \
	X(SRC_PORT, "src-port", 0, required_argument, false, opt_lport, lport, \
	  "ports 0-65535 or ranges LO-HI", SEC_ALIASES, "=PORTS", "--lport") \
	X(DST_PORT, "dst-port", 0, required_argument, false, opt_rport, rport, \
	  "ports 0-65535 or ranges LO-HI", SEC_ALIASES, "=PORTS", "--rport") \
	X(ACTIVE_ONLY, "active-only", 0, no_argument, false, opt_active_only, none, NULL, \
	  SEC_ALIASES, "", "--state=ESTABLISHED") \
	X(DURATION, "duration", 'd', required_argument, true, opt_duration, none, \
	  "a number of seconds greater than 0", SEC_RUN, "=SECS", \
	  "stop after SECS, print the report, exit 0") \
	X(BUFFER_SIZE, "buffer-size", 'b', required_argument, true, opt_buffer_size, none, \
	  "a size between 64K and 1G", SEC_RUN, "=SIZE", \
	  "kernel ring buffers' size, shared by one ring per\n" \
	  "online CPU (K, M, G suffixes; each ring the largest\n" \
	  "power of two within its share; default 2M per CPU,\n" \
	  "at least 8M; a page for each CPU offline at start)") \
	X(ATTACH, "attach", 0, required_argument, true, opt_attach, none, "auto, tp_btf or raw_tp", \
	  SEC_RUN, "=MODE", \
	  "auto (default: tp_btf, else raw tracepoints), tp_btf or\n" \
	  "raw_tp (no sk_storage: connections open at start are\n" \
	  "not attributed)") \
	X(OWNER_ON_SEND, "owner-on-send", 0, no_argument, false, opt_owner_on_send, none, NULL, \
	  SEC_RUN, "", \
	  "sends record the socket's owner too, not only\n" \
	  "connect, listen, close and receives: a process that\n" \
	  "only sends on a socket it was handed is named at once\n" \
	  "(costs about as much again on small-message traffic)") \
	X(VERBOSE, "verbose", 'v', no_argument, false, opt_verbose, none, NULL, SEC_RUN, "", \
	  "more diagnostics (libbpf messages, sockets found at\n" \
	  "start; at exit losses by cause, transitions\n" \
	  "recovered from nested runs, transitions hidden by the\n" \
	  "kernel, owner updates skipped, gaps in connections);\n" \
	  "twice: libbpf's debug messages") \
	X(VERSION, "version", 'V', no_argument, false, opt_version, none, NULL, SEC_RUN, "", \
	  "version and libbpf version (-V -v: kernel features)") \
	X(HELP, "help", 'h', no_argument, false, opt_help, none, NULL, SEC_RUN, "", "this help")
// clang-format on

/* Each option's handler, declared for the table. */
#define CLI_DECLARE(id, name, letter, has, once, fn, filter, expect, sec, harg, help) \
	static int fn(struct cli_state *st, const char *arg);
CLI_SNOOP_OPTIONS(CLI_DECLARE)
#undef CLI_DECLARE

/* Rows of SNOOP_FILTERS as numbers (cli_snoop__filters_on's bits), and "none". */
enum cli_filter {
	CLI_FILTER_none = -1, /* then 0, 1, ...: the rows in order */
#define CLI_FILTER_ID(name, scope, on) CLI_FILTER_##name,
	SNOOP_FILTERS(CLI_FILTER_ID)
#undef CLI_FILTER_ID
};

struct cli_opt {
	const char *name;
	int letter;
	int has_arg;
	bool once;
	cli_fn fn;
	int filter; /* enum cli_filter */
	const char *expected;
	enum cli_section section;
	const char *help_arg;
	const char *help;
};

/* The table's rows; getopt returns 256 + the row's index for every option. */
static const struct cli_opt opts[] = {
#define CLI_ROW(id, name, letter, has, once, fn, filter, expect, sec, harg, help) \
	{ name, letter, has, once, fn, CLI_FILTER_##filter, expect, sec, harg, help },
	CLI_SNOOP_OPTIONS(CLI_ROW)
#undef CLI_ROW
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))
#define OPT_VAL(i) (256 + (int)(i))

static struct option long_options[N_OPTS + 1];
static char short_options[2 + 2 * N_OPTS + 1];
static int letter_row[256]; /* a short letter's row + 1, or 0 */

/* Build getopt's tables from the rows (once: they never change). */
static void build_getopt_tables(void)
{
	size_t n = 0;

	if (long_options[0].name)
		return;
	short_options[n++] = ':'; /* a missing value is ':', not '?' */
	for (size_t i = 0; i < N_OPTS; i++) {
		long_options[i] =
			(struct option){ opts[i].name, opts[i].has_arg, NULL, OPT_VAL(i) };
		if (!opts[i].letter)
			continue;
		letter_row[opts[i].letter] = (int)i + 1;
		short_options[n++] = (char)opts[i].letter;
		if (opts[i].has_arg == required_argument)
			short_options[n++] = ':';
	}
	short_options[n] = '\0';
}

/*
 * @text with its mark (KINDS_MARK or FIELDS_MARK, one at most) replaced by
 * the names of the event kinds or log fields joined with @sep, in @buf.
 */
static const char *expand_kinds(const char *text, const char *sep, char *buf, size_t len)
{
	const char *mark, *names = names__kind_options(sep), *end;

	if (!text)
		return NULL;
	mark = strstr(text, KINDS_MARK);
	if (!mark && (mark = strstr(text, FIELDS_MARK))) {
		names = names__field_options(sep);
		end = mark + strlen(FIELDS_MARK);
	} else if (mark) {
		end = mark + strlen(KINDS_MARK);
	} else {
		return text;
	}
	snprintf(buf, len, "%.*s%s%s", (int)(mark - text), text, names, end);
	return buf;
}

/* One option's lines of --help: its spelling, then its description in a column. */
static void usage_option(FILE *out, const struct cli_opt *o)
{
	char spelling[48], text[512];
	const char *help = expand_kinds(o->help, ",", text, sizeof(text));
	int n;

	if (o->letter)
		n = snprintf(spelling, sizeof(spelling), "  -%c, --%s%s", o->letter, o->name,
			     o->help_arg);
	else
		n = snprintf(spelling, sizeof(spelling), "      --%s%s", o->name, o->help_arg);
	/* A spelling too wide for the column puts the description on the next line. */
	fprintf(out, "%s", spelling);
	for (const char *line = help; *line;) {
		size_t len = strcspn(line, "\n");

		fprintf(out, "%*s%.*s\n", n < HELP_COLUMN ? HELP_COLUMN - n : 1, "", (int)len,
			line);
		n = 0;
		line += len + (line[len] == '\n');
	}
}

/* The aliases' paragraph: "--src-ip=CIDR (--laddr), ...", wrapped. */
static void usage_aliases(FILE *out)
{
	const char *lead = "  Seed-compatible aliases: ";
	int col = fprintf(out, "%s", lead);
	bool first = true;

	for (size_t i = 0; i < N_OPTS; i++) {
		char item[80];
		int len;

		if (opts[i].section != SEC_ALIASES)
			continue;
		len = snprintf(item, sizeof(item), "%s--%s%s (%s)", first ? "" : ", ", opts[i].name,
			       opts[i].help_arg, opts[i].help);
		if (!first && col + len > 80) {
			/* The comma stays on the line it ends. */
			fputs(",\n  ", out);
			col = 2;
			memmove(item, item + 2, strlen(item + 2) + 1);
			len -= 2;
		}
		col += fprintf(out, "%s", item);
		first = false;
	}
	fputs("\n", out);
}

void cli_snoop__usage(FILE *out)
{
	fputs("Usage: socket-snoop [OPTION...]\n"
	      "Real-time, per-process TCP connection monitor (eBPF).\n"
	      "\n",
	      out);
	for (int sec = SEC_OUTPUT; sec <= SEC_RUN; sec++) {
		if (section_titles[sec])
			fprintf(out, "%s\n", section_titles[sec]);
		else
			usage_aliases(out);
		for (size_t i = 0; i < N_OPTS; i++)
			if (opts[i].section == (enum cli_section)sec && sec != SEC_ALIASES)
				usage_option(out, &opts[i]);
	}
	fputs("\n"
	      "Exit status: 0 success, 64 usage error (an option, or the --config file),\n"
	      "69 kernel lacks something required, 74 an output cannot be opened (or the\n"
	      "--metrics address bound), 77 not enough privilege, 1 other failure.\n"
	      "Signals: SIGINT/SIGTERM stop and print the report, SIGHUP reopens the log file\n"
	      "and reads --config again.\n",
	      out);
}

bool cli_snoop__wants_json(int argc, char **argv)
{
	bool json = false;

	/* Up to "--": after it every word is an operand (and a usage error). */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		json |= !strcmp(argv[i], "-j") || !strcmp(argv[i], "--json");
	return json;
}

/* True for "--NAME=VALUE" where --NAME is an option without a value (--quiet=1). */
static bool flag_given_value(const char *arg)
{
	size_t n = strcspn(arg, "=");

	if (strncmp(arg, "--", 2) != 0 || !arg[n])
		return false;
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].has_arg == no_argument && strlen(opts[i].name) == n - 2 &&
		    !strncmp(opts[i].name, arg + 2, n - 2))
			return true;
	return false;
}

/* ---------------------------------------------------------------- values */

static int add_u32(uint32_t *arr, int *n, uint64_t v)
{
	for (int i = 0; i < *n; i++)
		if (arr[i] == v)
			return 0;
	if (*n >= CONFIG_MAX_VALUES)
		return -E2BIG;
	arr[(*n)++] = (uint32_t)v;
	return 0;
}

static int item_pid(const char *item, void *vst)
{
	struct filter_config *f = &((struct cli_state *)vst)->cfg->filter;
	uint64_t v;
	int err = parse_u64(item, PID_MAX_LIMIT, &v);

	if (!err && v == 0)
		err = -ERANGE;
	return err ? err : add_u32(f->pids, &f->n_pids, v);
}

static int item_uid(const char *item, void *vst)
{
	struct filter_config *f = &((struct cli_state *)vst)->cfg->filter;
	uint64_t v;
	int err = parse_u64(item, UINT32_MAX - 1, &v);

	return err ? err : add_u32(f->uids, &f->n_uids, v);
}

static int item_comm(const char *item, void *vst)
{
	struct filter_config *f = &((struct cli_state *)vst)->cfg->filter;

	/* The kernel keeps 15 bytes of a command name. */
	if (strlen(item) >= SNOOP_COMM_LEN)
		return -ERANGE;
	if (f->n_comms >= CONFIG_MAX_VALUES)
		return -E2BIG;
	memset(f->comms[f->n_comms], 0, SNOOP_COMM_LEN);
	memcpy(f->comms[f->n_comms], item, strlen(item));
	f->n_comms++;
	return 0;
}

static int item_laddr(const char *item, void *vst)
{
	struct filter_config *f = &((struct cli_state *)vst)->cfg->filter;

	if (f->n_laddrs >= CONFIG_MAX_VALUES)
		return -E2BIG;
	return parse_cidr(item, &f->laddrs[f->n_laddrs++]);
}

static int item_raddr(const char *item, void *vst)
{
	struct filter_config *f = &((struct cli_state *)vst)->cfg->filter;

	if (f->n_raddrs >= CONFIG_MAX_VALUES)
		return -E2BIG;
	return parse_cidr(item, &f->raddrs[f->n_raddrs++]);
}

static int item_state(const char *item, void *vst)
{
	struct filter_config *f = &((struct cli_state *)vst)->cfg->filter;
	int state;
	int err = parse_state_name(item, &state);

	if (!err)
		f->states_mask |= 1u << state;
	return err;
}

static int item_event(const char *item, void *vst)
{
	struct filter_config *f = &((struct cli_state *)vst)->cfg->filter;
	uint32_t mask;
	int err = parse_event_kind(item, &mask);

	if (!err)
		f->kinds_mask |= mask;
	return err;
}

/* A comma-separated list, each item read by @one; the bad item goes to st->bad. */
static int list(struct cli_state *st, const char *arg, int (*one)(const char *, void *))
{
	return parse_list(arg, one, st, st->bad, sizeof(st->bad));
}

/* ---------------------------------------------------------------- handlers */

static int opt_json(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->json = true;
	return 0;
}

static int opt_log_file(struct cli_state *st, const char *arg)
{
	st->cfg->log_path = arg;
	st->cfg->log_path_explicit = true;
	return 0;
}

static int opt_log_max_size(struct cli_state *st, const char *arg)
{
	uint64_t v = 0;
	int rc = parse_size(arg, &v);

	if (!rc && (v < LOG_MAX_SIZE_MIN || v > LOG_MAX_SIZE_MAX))
		rc = -ERANGE;
	st->cfg->log_max_size = v;
	return rc;
}

static int opt_log_max_files(struct cli_state *st, const char *arg)
{
	uint64_t v = 0;
	int rc = parse_u64(arg, LOG_MAX_FILES_MAX, &v);

	if (!rc && v == 0)
		rc = -ERANGE;
	st->cfg->log_max_files = (unsigned int)v;
	return rc;
}

static int opt_heartbeat(struct cli_state *st, const char *arg)
{
	if (!*arg)
		return -EINVAL;
	st->cfg->heartbeat_path = arg;
	return 0;
}

static int opt_check_heartbeat(struct cli_state *st, const char *arg)
{
	if (!*arg)
		return -EINVAL;
	st->cfg->check_heartbeat_path = arg;
	return 0;
}

/* Any bytes (escaped where written), bounded as a DNS name: a Kubernetes node name fits. */
static int opt_host_name(struct cli_state *st, const char *arg)
{
	size_t n = strlen(arg);

	if (n == 0 || n > FMT_JSON_HOST_MAX)
		return -ERANGE;
	st->cfg->host_name = arg;
	return 0;
}

static int opt_metrics(struct cli_state *st, const char *arg)
{
	st->cfg->metrics = true;
	st->cfg->metrics_spec = arg;
	return parse_listen_addr(arg, &st->cfg->metrics_addr, &st->cfg->metrics_addrlen);
}

static int opt_metrics_labels(struct cli_state *st, const char *arg)
{
	uint64_t n = METRICS_COMM_TOP_DEFAULT;

	if (strncmp(arg, "comm", 4) != 0 || (arg[4] && arg[4] != ':'))
		return -EINVAL;
	if (arg[4] == ':') {
		int rc = parse_u64(arg + 5, METRICS_COMM_TOP_MAX, &n);

		if (rc)
			return rc;
		if (n == 0)
			return -ERANGE;
	}
	st->cfg->metrics_comm_top = (unsigned int)n;
	return 0;
}

static int opt_no_log_file(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->no_log = true;
	return 0;
}

static int opt_quiet(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->quiet = true;
	return 0;
}

static int opt_no_report(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->report = false;
	return 0;
}

static int opt_events(struct cli_state *st, const char *arg)
{
	st->cfg->events_explicit = true;
	return list(st, arg, item_event);
}

static int opt_pid(struct cli_state *st, const char *arg)
{
	return list(st, arg, item_pid);
}

static int opt_comm(struct cli_state *st, const char *arg)
{
	return list(st, arg, item_comm);
}

static int opt_uid(struct cli_state *st, const char *arg)
{
	return list(st, arg, item_uid);
}

static int opt_lport(struct cli_state *st, const char *arg)
{
	st->cfg->filter.lport = true;
	return parse_ports(arg, st->cfg->filter.lport_bits);
}

static int opt_rport(struct cli_state *st, const char *arg)
{
	st->cfg->filter.rport = true;
	return parse_ports(arg, st->cfg->filter.rport_bits);
}

static int opt_laddr(struct cli_state *st, const char *arg)
{
	return list(st, arg, item_laddr);
}

static int opt_raddr(struct cli_state *st, const char *arg)
{
	return list(st, arg, item_raddr);
}

static int set_family(struct cli_state *st, int family)
{
	if (st->cfg->filter.family && st->cfg->filter.family != family) {
		snprintf(st->err, st->err_len, "%s exclude each other",
			 *st->dash ? "options -4 and -6" : "keys ipv4 and ipv6");
		return -EINVAL;
	}
	st->cfg->filter.family = (uint16_t)family;
	return 0;
}

static int opt_ipv4(struct cli_state *st, const char *arg)
{
	(void)arg;
	return set_family(st, AF_INET);
}

static int opt_ipv6(struct cli_state *st, const char *arg)
{
	(void)arg;
	return set_family(st, AF_INET6);
}

static int opt_state(struct cli_state *st, const char *arg)
{
	return list(st, arg, item_state);
}

/*
 * The cgroup filter is one directory: --cgroup, --unit and --container each
 * choose it, so only one of them may be given.
 */
static int choose_cgroup(struct cli_state *st, const char *arg)
{
	char q[PARSE_QUOTE_SIZE];

	if (st->cgroup_opt && strcmp(st->cgroup_opt, st->opt->name) != 0) {
		snprintf(st->err, st->err_len,
			 "invalid value '%s' for %s%s: %s%s chose the cgroup already (give one "
			 "of %scgroup, %sunit, %scontainer)",
			 parse_quote(q, arg), st->dash, st->opt->name, st->dash, st->cgroup_opt,
			 st->dash, st->dash, st->dash);
		return -EINVAL;
	}
	st->cgroup_opt = st->opt->name;
	return 0;
}

/*
 * Note @arg as the value that chose the cgroup; 1 when it is the one a
 * reload keeps (st->keep: the same option and value), whose cgroup is then
 * taken as it is: a unit restarted since, or a directory made again, has
 * another cgroup, which the running filters cannot change to.  Else 0.
 */
static int given_cgroup(struct cli_state *st, const char *arg)
{
	struct filter_config *f = &st->cfg->filter;
	const struct filter_config *k = st->keep;

	if (strlen(arg) >= sizeof(f->cgroup_arg))
		return -ENAMETOOLONG;
	f->cgroup_opt = st->opt->name;
	strcpy(f->cgroup_arg, arg);
	if (!k || !k->cgroup_opt || strcmp(k->cgroup_opt, f->cgroup_opt) != 0 ||
	    strcmp(k->cgroup_arg, arg) != 0)
		return 0;
	memcpy(f->cgroup_path, k->cgroup_path, sizeof(f->cgroup_path));
	f->cgroup_id = k->cgroup_id;
	f->cgroup_level = k->cgroup_level;
	return 1;
}

static int opt_cgroup(struct cli_state *st, const char *arg)
{
	struct filter_config *f = &st->cfg->filter;
	char q[PARSE_QUOTE_SIZE];
	int rc = choose_cgroup(st, arg);

	if (!rc)
		rc = given_cgroup(st, arg);
	if (rc)
		return rc < 0 ? rc : 0;
	/* given_cgroup() refused a value too long for either. */
	_Static_assert(sizeof(f->cgroup_path) == sizeof(f->cgroup_arg), "cgroup value sizes");
	strcpy(f->cgroup_path, arg);
	rc = target__cgroup(arg, &f->cgroup_id, &f->cgroup_level);
	if (rc)
		snprintf(st->err, st->err_len, "invalid value '%s' for %scgroup: %s",
			 parse_quote(q, arg), st->dash,
			 rc == -ENOTDIR ? "not a cgroup v2 directory" : strerror(-rc));
	return rc;
}

/* The directory --unit or --container found (@rc from the search), as --cgroup's. */
static int found_cgroup(struct cli_state *st, const char *arg, const char *what, int rc)
{
	struct filter_config *f = &st->cfg->filter;
	char q[PARSE_QUOTE_SIZE];

	if (!rc)
		rc = target__cgroup(f->cgroup_path, &f->cgroup_id, &f->cgroup_level);
	if (!rc)
		return 0;
	f->cgroup_path[0] = '\0';
	snprintf(st->err, st->err_len, "invalid value '%s' for %s%s: %s%s", parse_quote(q, arg),
		 st->dash, st->opt->name, rc == -ENOENT || rc == -EEXIST ? what : "",
		 rc == -ENOENT ? " has no cgroup (is it running?)" :
		 rc == -EEXIST ? " names more than one cgroup" :
				 strerror(-rc));
	return rc;
}

static int opt_unit(struct cli_state *st, const char *arg)
{
	char unit[CGROUP_UNIT_SIZE], root[PATH_MAX];
	int rc = choose_cgroup(st, arg);

	if (rc)
		return rc;
	if (cgroup_unit_arg(arg, unit))
		return -EINVAL; /* "expected a systemd unit name" */
	rc = given_cgroup(st, arg);
	if (rc)
		return rc < 0 ? rc : 0;
	rc = target__cgroup2_mount(root, sizeof(root));
	if (!rc)
		rc = cgroups__find_unit(root, unit, st->cfg->filter.cgroup_path,
					sizeof(st->cfg->filter.cgroup_path));
	return found_cgroup(st, arg, unit, rc);
}

static int opt_container(struct cli_state *st, const char *arg)
{
	char id[CGROUP_CONTAINER_ID_SIZE], full[CGROUP_CONTAINER_ID_SIZE], root[PATH_MAX];
	size_t n = strlen(arg);
	int rc = choose_cgroup(st, arg);

	if (rc)
		return rc;
	if (n < CGROUP_CONTAINER_ID_MIN || n > CGROUP_CONTAINER_ID_LEN)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++) {
		id[i] = (char)tolower((unsigned char)arg[i]);
		if (i < n && !isxdigit((unsigned char)arg[i]))
			return -EINVAL;
	}
	rc = given_cgroup(st, arg);
	if (rc)
		return rc < 0 ? rc : 0;
	rc = target__cgroup2_mount(root, sizeof(root));
	if (!rc)
		rc = cgroups__find_container(root, id, st->cfg->filter.cgroup_path,
					     sizeof(st->cfg->filter.cgroup_path), full);
	return found_cgroup(st, arg, id, rc);
}

static int opt_netns(struct cli_state *st, const char *arg)
{
	char q[PARSE_QUOTE_SIZE];
	int rc = target__netns(arg, &st->cfg->filter.netns);

	if (rc)
		snprintf(st->err, st->err_len, "invalid value '%s' for %snetns: %s",
			 parse_quote(q, arg), st->dash,
			 rc == -ENOTDIR ? "not a network namespace file" :
			 rc == -EINVAL	? "inode 0" :
					  strerror(-rc));
	return rc;
}

static int opt_config(struct cli_state *st, const char *arg)
{
	st->cfg->config_path = arg;
	return 0;
}

static int opt_all_addresses(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->filter.all_addresses = true;
	return 0;
}

static int opt_active_only(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->filter.states_mask |= 1u << SNOOP_TCP_ESTABLISHED;
	return 0;
}

static int opt_duration(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int rc = parse_u64(arg, DURATION_MAX, &v);

	if (!rc && v == 0)
		rc = -ERANGE;
	st->cfg->duration_s = v;
	return rc;
}

static int opt_interval(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int rc = parse_u64(arg, INTERVAL_MAX, &v);

	if (!rc && v == 0)
		rc = -ERANGE;
	st->cfg->interval_s = v;
	return rc;
}

static int opt_buffer_size(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int rc = parse_size(arg, &v);

	if (!rc && (v < RINGBUF_MIN_BYTES || v > RINGBUF_MAX_BYTES))
		rc = -ERANGE;
	st->cfg->ringbuf_bytes = v;
	return rc;
}

static int opt_attach(struct cli_state *st, const char *arg)
{
	if (!strcmp(arg, "auto"))
		st->cfg->attach_mode = ATTACH_AUTO;
	else if (!strcmp(arg, "tp_btf"))
		st->cfg->attach_mode = ATTACH_TP_BTF;
	else if (!strcmp(arg, "raw_tp"))
		st->cfg->attach_mode = ATTACH_RAW_TP;
	else
		return -EINVAL;
	return 0;
}

static int opt_thread_names(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->thread_names = true;
	return 0;
}

static int item_field(const char *item, void *vst)
{
	struct snoop_config *cfg = ((struct cli_state *)vst)->cfg;
	uint32_t mask;
	int err = parse_log_field(item, &mask);

	if (!err)
		cfg->log_fields |= mask;
	return err;
}

static int opt_fields(struct cli_state *st, const char *arg)
{
	return list(st, arg, item_field);
}

static int opt_no_dns(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->no_dns = true;
	return 0;
}

static int opt_owner_on_send(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->owner_on_send = true;
	return 0;
}

static int opt_check(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->check = true;
	return 0;
}

static int opt_verbose(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->verbose++;
	return 0;
}

static int opt_version(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->version = true;
	return 0;
}

static int opt_help(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->help = true;
	return 0;
}

/* ---------------------------------------------------------------- parser */

/* The message for a bad value @arg of the current option (@rc from its handler). */
static void value_error(struct cli_state *st, const char *arg, int rc)
{
	const struct cli_opt *o = st->opt;
	char q1[PARSE_QUOTE_SIZE], q2[PARSE_QUOTE_SIZE], exp[256];
	const char *expected = expand_kinds(o->expected, ", ", exp, sizeof(exp));

	if (!expected)
		expected = "a valid value";
	if (rc == -E2BIG)
		snprintf(st->err, st->err_len, "too many values for %s%s (at most %d)", st->dash,
			 o->name, CONFIG_MAX_VALUES);
	else if (!st->bad[0] || strncmp(st->bad, arg, sizeof(st->bad) - 1) == 0)
		snprintf(st->err, st->err_len, "invalid value '%s' for %s%s: expected %s",
			 parse_quote(q1, arg), st->dash, o->name, expected);
	else
		snprintf(st->err, st->err_len, "invalid value '%s' for %s%s: '%s' is not %s",
			 parse_quote(q1, arg), st->dash, o->name, parse_quote(q2, st->bad),
			 expected);
}

/*
 * The message for what getopt could not take (@opt is ':' or '?'), naming
 * the option as written: "--pid", or "-x" inside a cluster such as -xq,
 * where argv[optind - 1] is not the bad option.
 */
static void getopt_error(struct cli_state *st, int opt, char **argv)
{
	const char *word = argv[optind - 1];
	char bad[128], q[PARSE_QUOTE_SIZE];

	if (strncmp(word, "--", 2) == 0 || !optopt || optopt > 255)
		snprintf(bad, sizeof(bad), "%s", word);
	else
		snprintf(bad, sizeof(bad), "-%c", optopt);
	if (opt != ':' && flag_given_value(bad))
		snprintf(st->err, st->err_len, "option '%.*s' takes no value, not '%s'",
			 (int)strcspn(bad, "="), bad, parse_quote(q, strchr(word, '=') + 1));
	else
		snprintf(st->err, st->err_len,
			 opt == ':' ? "option '%s' needs a value" : "unknown option '%s'",
			 parse_quote(q, bad));
}

/* Read one option of row @row with value @arg (NULL for a switch); false on error. */
static bool take_option(struct cli_state *st, size_t row, const char *arg, bool seen[N_OPTS])
{
	int rc;

	st->opt = &opts[row];
	st->bad[0] = '\0';
	/* No option takes an empty value ("--cgroup=" is not the root cgroup). */
	if (arg && !*arg) {
		value_error(st, arg, -EINVAL);
		return false;
	}
	if (arg)
		snprintf(st->bad, sizeof(st->bad), "%s", arg);
	st->err[0] = '\0';
	rc = opts[row].fn(st, arg);
	if (rc) {
		/* A handler with its own message has written it already. */
		if (!st->err[0])
			value_error(st, arg, rc);
		return false;
	}
	/* After the value's own check: a bad value is the first thing to fix. */
	if (opts[row].once && seen[row]) {
		snprintf(st->err, st->err_len, "%s '%s%s' given twice",
			 *st->dash ? "option" : "key", st->dash, opts[row].name);
		return false;
	}
	seen[row] = true;
	return true;
}

/* After the options: what they mean together, and the defaults they leave. */
static enum cli_action settle(struct cli_state *st, const char *env_log)
{
	struct snoop_config *cfg = st->cfg;

	if (st->no_log && cfg->log_path) {
		snprintf(st->err, st->err_len,
			 "options --log-file and --no-log-file exclude each other");
		return CLI_ERROR;
	}
	if (cfg->log_max_files && !cfg->log_max_size) {
		snprintf(st->err, st->err_len, "option --log-max-files needs --log-max-size");
		return CLI_ERROR;
	}
	if (cfg->log_max_size && st->no_log) {
		snprintf(st->err, st->err_len,
			 "options --log-max-size and --no-log-file exclude each other");
		return CLI_ERROR;
	}
	if (cfg->metrics_comm_top && !cfg->metrics) {
		snprintf(st->err, st->err_len, "option --metrics-labels needs --metrics");
		return CLI_ERROR;
	}
	if (cfg->interval_s && cfg->filter.kinds_mask &&
	    !(cfg->filter.kinds_mask & SNOOP_EV_UPDATE)) {
		snprintf(
			st->err, st->err_len,
			"option --interval needs the event kind update, which --events leaves out");
		return CLI_ERROR;
	}
	if (st->version)
		return CLI_VERSION;
	if (cfg->log_max_size && !cfg->log_max_files)
		cfg->log_max_files = LOG_MAX_FILES_DEFAULT;
	if (!cfg->filter.kinds_mask)
		cfg->filter.kinds_mask = SNOOP_EV_DEFAULT;
	/* -e chooses what is shown; the metrics count every kind shown by default. */
	cfg->output_kinds = cfg->filter.kinds_mask;
	if (cfg->metrics)
		cfg->filter.kinds_mask |= SNOOP_EV_DEFAULT;
	if (st->no_log) {
		cfg->log_path = NULL;
		cfg->log_path_explicit = false;
	} else if (!cfg->log_path && env_log && *env_log) {
		cfg->log_path = env_log;
		cfg->log_path_explicit = true;
	} else if (!cfg->log_path) {
		cfg->log_path = DEFAULT_LOG_PATH;
	}
	return CLI_RUN;
}

enum cli_action cli_snoop__parse(int argc, char **argv, const char *env_log,
				 struct snoop_config *cfg, char *err, size_t err_len)
{
	struct cli_state st = { .cfg = cfg, .err = err, .err_len = err_len, .dash = "--" };
	bool seen[N_OPTS] = {};
	char q[PARSE_QUOTE_SIZE];
	enum cli_action action;
	int opt;

	build_getopt_tables();
	memset(cfg, 0, sizeof(*cfg));
	cfg->report = true;
	optind = 0; /* 0, not 1: also forget a half-read option cluster */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		size_t row;

		if (opt >= OPT_VAL(0) && opt < OPT_VAL(N_OPTS))
			row = (size_t)(opt - OPT_VAL(0));
		else if (opt > 0 && opt < 256 && letter_row[opt])
			row = (size_t)letter_row[opt] - 1;
		else {
			getopt_error(&st, opt, argv);
			return CLI_ERROR;
		}
		if (!take_option(&st, row, optarg, seen))
			return CLI_ERROR;
		if (st.help)
			return CLI_HELP;
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s'", parse_quote(q, argv[optind]));
		return CLI_ERROR;
	}
	if (cfg->config_path && !st.version) {
		struct filter_config *file = malloc(sizeof(*file));
		int rc = file ? cli_snoop__read_config(cfg->config_path, file, err, err_len) :
				-ENOMEM;

		if (!rc) {
			cfg->cli_filter = cfg->filter;
			cli_snoop__merge_filters(&cfg->filter, file, &cfg->cli_filter);
		} else if (rc == -ENOMEM) {
			snprintf(err, err_len, "out of memory");
		}
		free(file);
		if (rc)
			return CLI_ERROR;
	}
	action = settle(&st, env_log);
	/* What reloads merge the file's filters with (settle() sets the kinds). */
	cfg->cli_filter.kinds_mask = cfg->filter.kinds_mask;
	return action;
}

/* ---------------------------------------------------------------- --config */

/* A --config file larger than this is refused (256 values of each filter fit many times). */
#define CONFIG_FILE_MAX (1u << 20)

/* The option row of key @key (@len bytes) in a --config file, or -1. */
static int config_row(const char *key, size_t len)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strlen(opts[i].name) == len && !strncmp(opts[i].name, key, len))
			return (int)i;
	return -1;
}

/* A key --config takes: a filter or one of its aliases, but not --config itself. */
static bool config_key_allowed(size_t row)
{
	return (opts[row].section == SEC_FILTERS || opts[row].section == SEC_ALIASES) &&
	       opts[row].fn != opt_config;
}

/* A switch's value in --config: 1 on, 0 off, -1 neither. */
static int config_switch(const char *v)
{
	static const char *const on[] = { "true", "yes", "on", "1" };
	static const char *const off[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcmp(v, on[i]))
			return 1;
		if (!strcmp(v, off[i]))
			return 0;
	}
	return -1;
}

/*
 * One line of a --config file (NUL-terminated, no newline): blank, a
 * comment (# first), or "key = value" with blanks around either.  0, or a
 * negative errno with st->err written.
 */
static int config_line(struct cli_state *st, char *line, bool seen[N_OPTS])
{
	char q[PARSE_QUOTE_SIZE];
	char *key, *eq, *end, *value;
	size_t klen;
	int row, on;

	key = line + strspn(line, " \t");
	if (!*key || *key == '#')
		return 0;
	eq = strchr(key, '=');
	if (!eq) {
		snprintf(st->err, st->err_len, "expected \"key = value\", not '%s'",
			 parse_quote(q, key));
		return -EINVAL;
	}
	for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	klen = (size_t)(end - key);
	*end = '\0';
	value = eq + 1 + strspn(eq + 1, " \t");
	for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	*end = '\0';
	row = config_row(key, klen);
	if (row < 0) {
		snprintf(st->err, st->err_len,
			 "unknown key '%s' (the filter options' long names: pid, comm, lport, ...)",
			 parse_quote(q, key));
		return -EINVAL;
	}
	if (!config_key_allowed((size_t)row)) {
		snprintf(st->err, st->err_len,
			 "key '%s' is not a filter: give --%s on the command line", key, key);
		return -EINVAL;
	}
	if (opts[row].has_arg == required_argument)
		return take_option(st, (size_t)row, value, seen) ? 0 : -EINVAL;
	on = config_switch(value);
	if (on < 0) {
		snprintf(
			st->err, st->err_len,
			"invalid value '%s' for %s: expected true, false, yes, no, on, off, 1 or 0",
			parse_quote(q, value), key);
		return -EINVAL;
	}
	return on && !take_option(st, (size_t)row, NULL, seen) ? -EINVAL : 0;
}

/* Read the whole of --config @path (safely: see safe_path.h) into a fresh buffer. */
static int config_slurp(const char *path, char **text, size_t *len)
{
	int fd = safe_path__open_read(path);
	size_t have = 0;
	char *buf;

	if (fd < 0)
		return fd;
	buf = malloc(CONFIG_FILE_MAX + 1);
	while (buf && have <= CONFIG_FILE_MAX) {
		ssize_t n = read(fd, buf + have, CONFIG_FILE_MAX + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			free(buf);
			return err;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	if (have > CONFIG_FILE_MAX) {
		free(buf);
		return -EFBIG;
	}
	buf[have] = '\0';
	*text = buf;
	*len = have;
	return 0;
}

/* cli_snoop__parse_config(), keeping @keep's cgroup where the file gives it as @keep was. */
static int parse_config(const char *path, char *text, size_t len, struct filter_config *out,
			const struct filter_config *keep, char *err, size_t err_len)
{
	struct snoop_config *cfg = calloc(1, sizeof(*cfg));
	struct cli_state st = { .cfg = cfg, .dash = "", .keep = keep };
	char line_err[512], qpath[PARSE_QUOTE_SIZE];
	bool seen[N_OPTS] = {};
	size_t lineno = 0;
	char *line;
	int rc = 0;

	parse_quote(qpath, path);
	if (!cfg) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	build_getopt_tables();
	st.err = line_err;
	st.err_len = sizeof(line_err);
	for (line = text; !rc && line < text + len;) {
		/* Up to the newline, or a NUL byte, or the end (text[len] is NUL). */
		size_t n = strcspn(line, "\n");
		char *next = line + n + 1;

		lineno++;
		/* A NUL byte would cut the line short without a word: refused. */
		if (line + n < text + len && line[n] != '\n') {
			snprintf(line_err, sizeof(line_err), "a NUL byte");
			rc = -EINVAL;
			break;
		}
		line[n] = '\0';
		if (n && line[n - 1] == '\r') /* written on Windows */
			line[n - 1] = '\0';
		rc = config_line(&st, line, seen);
		line = next;
	}
	if (rc)
		snprintf(err, err_len, "--config file '%s', line %zu: %s", qpath, lineno, line_err);
	else
		*out = cfg->filter;
	free(cfg);
	return rc;
}

int cli_snoop__parse_config(const char *path, char *text, size_t len, struct filter_config *out,
			    char *err, size_t err_len)
{
	return parse_config(path, text, len, out, NULL, err, err_len);
}

int cli_snoop__read_config(const char *path, struct filter_config *out, char *err, size_t err_len)
{
	return cli_snoop__reread_config(path, out, NULL, err, err_len);
}

int cli_snoop__reread_config(const char *path, struct filter_config *out,
			     const struct filter_config *keep, char *err, size_t err_len)
{
	char qpath[PARSE_QUOTE_SIZE], *text = NULL;
	size_t len = 0;
	int rc = config_slurp(path, &text, &len);

	if (rc) {
		snprintf(err, err_len, "cannot read --config file '%s': %s",
			 parse_quote(qpath, path),
			 rc == -EFBIG ? "larger than 1 MiB" : safe_path__strerror(rc));
		return rc;
	}
	rc = parse_config(path, text, len, out, keep, err, err_len);
	free(text);
	return rc;
}

void cli_snoop__merge_filters(struct filter_config *out, const struct filter_config *file,
			      const struct filter_config *cli)
{
	/* Whole filters: a list given on the command line replaces the file's list. */
	*out = *cli;
	if (!cli->n_pids) {
		memcpy(out->pids, file->pids, sizeof(out->pids));
		out->n_pids = file->n_pids;
	}
	if (!cli->n_uids) {
		memcpy(out->uids, file->uids, sizeof(out->uids));
		out->n_uids = file->n_uids;
	}
	if (!cli->n_comms) {
		memcpy(out->comms, file->comms, sizeof(out->comms));
		out->n_comms = file->n_comms;
	}
	if (!cli->lport) {
		memcpy(out->lport_bits, file->lport_bits, sizeof(out->lport_bits));
		out->lport = file->lport;
	}
	if (!cli->rport) {
		memcpy(out->rport_bits, file->rport_bits, sizeof(out->rport_bits));
		out->rport = file->rport;
	}
	if (!cli->n_laddrs) {
		memcpy(out->laddrs, file->laddrs, sizeof(out->laddrs));
		out->n_laddrs = file->n_laddrs;
	}
	if (!cli->n_raddrs) {
		memcpy(out->raddrs, file->raddrs, sizeof(out->raddrs));
		out->n_raddrs = file->n_raddrs;
	}
	if (!cli->family)
		out->family = file->family;
	if (!cli->states_mask)
		out->states_mask = file->states_mask;
	if (!cli->cgroup_path[0]) {
		memcpy(out->cgroup_path, file->cgroup_path, sizeof(out->cgroup_path));
		out->cgroup_id = file->cgroup_id;
		out->cgroup_level = file->cgroup_level;
		out->cgroup_opt = file->cgroup_opt;
		memcpy(out->cgroup_arg, file->cgroup_arg, sizeof(out->cgroup_arg));
	}
	if (!cli->netns)
		out->netns = file->netns;
	if (!cli->all_addresses)
		out->all_addresses = file->all_addresses;
}

uint32_t cli_snoop__filters_on(const struct filter_config *f)
{
	uint32_t on = 0;

#define CLI_FILTER_ON(name, scope, is_on) on |= (is_on) ? 1u << CLI_FILTER_##name : 0;
	SNOOP_FILTERS(CLI_FILTER_ON)
#undef CLI_FILTER_ON
	return on;
}

int cli_snoop__option_filter(const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (!strcmp(opts[i].name, name))
			return opts[i].filter;
	return -ENOENT;
}

const char *cli_snoop__option_name(size_t i)
{
	return i < N_OPTS ? opts[i].name : NULL;
}

/* "LO-HI" runs of the ports set in @bits, comma-separated. */
static void describe_ports(struct strbuf *sb, const uint64_t bits[SNOOP_PORT_WORDS])
{
	const char *sep = "";

	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t hi = p;

		if (!parse_id_has(bits, p))
			continue;
		while (hi + 1 < 65536 && parse_id_has(bits, hi + 1))
			hi++;
		strbuf_str(sb, sep);
		strbuf_u64(sb, p);
		if (hi > p) {
			strbuf_char(sb, '-');
			strbuf_u64(sb, hi);
		}
		sep = ",";
		p = hi;
	}
}

static void describe_cidrs(struct strbuf *sb, const struct cidr *c, int n)
{
	for (int i = 0; i < n; i++) {
		bool v4 = !memcmp(c[i].addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);

		strbuf_str(sb, i ? "," : "");
		fmt_addr(sb, c[i].addr);
		strbuf_char(sb, '/');
		strbuf_u64(sb, v4 && c[i].prefixlen >= 96 ? c[i].prefixlen - 96 : c[i].prefixlen);
	}
}

static void describe_u32s(struct strbuf *sb, const uint32_t *v, int n)
{
	for (int i = 0; i < n; i++) {
		strbuf_str(sb, i ? "," : "");
		strbuf_u64(sb, v[i]);
	}
}

void cli_snoop__describe_filters(const struct filter_config *f, char *buf, size_t len)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, len);
	if (f->n_pids) {
		strbuf_str(&sb, " pid=");
		describe_u32s(&sb, f->pids, f->n_pids);
	}
	if (f->n_uids) {
		strbuf_str(&sb, " uid=");
		describe_u32s(&sb, f->uids, f->n_uids);
	}
	for (int i = 0; i < f->n_comms; i++) {
		strbuf_str(&sb, i ? "," : " comm=");
		fmt_comm(&sb, f->comms[i]);
	}
	if (f->lport) {
		strbuf_str(&sb, " lport=");
		describe_ports(&sb, f->lport_bits);
	}
	if (f->rport) {
		strbuf_str(&sb, " rport=");
		describe_ports(&sb, f->rport_bits);
	}
	if (f->n_laddrs) {
		strbuf_str(&sb, " laddr=");
		describe_cidrs(&sb, f->laddrs, f->n_laddrs);
	}
	if (f->n_raddrs) {
		strbuf_str(&sb, " raddr=");
		describe_cidrs(&sb, f->raddrs, f->n_raddrs);
	}
	if (f->family)
		strbuf_str(&sb, f->family == AF_INET ? " ipv4" : " ipv6");
	for (int st = 0, first = 1; st < 32; st++) {
		if (!(f->states_mask & (1u << st)) || !names__state_kernel(st))
			continue;
		strbuf_str(&sb, first ? " state=" : ",");
		strbuf_str(&sb, names__state_kernel(st));
		first = 0;
	}
	if (f->cgroup_path[0]) {
		strbuf_str(&sb, " cgroup=");
		fmt_text_escape(&sb, f->cgroup_path, strlen(f->cgroup_path));
	}
	if (f->netns) {
		strbuf_str(&sb, " netns=");
		strbuf_u64(&sb, f->netns);
	}
	if (f->all_addresses)
		strbuf_str(&sb, " all-addresses");
	if (sb.p == buf)
		strbuf_str(&sb, " none");
	/* The leading blank goes. */
	memmove(buf, buf + 1, strlen(buf + 1) + 1);
}
