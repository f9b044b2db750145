// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cli_snoop.c - options of the socket-snoop face (contract: DESIGN.md section 3). */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/socket.h>

#include "snoop/cli.h"
#include "lib/names.h"
#include "lib/parse.h"
#include "common/target.h"

#define DEFAULT_LOG_PATH "/var/log/socket_monitor.log"
#define DURATION_MAX (10ull * 365 * 24 * 3600)
#define RINGBUF_MIN_BYTES (64u << 10)
#define RINGBUF_MAX_BYTES (1u << 30)

enum long_only {
	OPT_NO_LOG_FILE = 256,
	OPT_NO_REPORT,
	OPT_LADDR,
	OPT_RADDR,
	OPT_ALL_ADDRESSES,
	OPT_SRC_IP,
	OPT_DST_IP,
	OPT_SRC_PORT,
	OPT_DST_PORT,
	OPT_ACTIVE_ONLY,
	OPT_ATTACH,
	OPT_OWNER_ON_SEND,
};

static const struct option long_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "log-file", required_argument, NULL, 'o' },
	{ "no-log-file", no_argument, NULL, OPT_NO_LOG_FILE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "no-report", no_argument, NULL, OPT_NO_REPORT },
	{ "events", required_argument, NULL, 'e' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'n' },
	{ "uid", required_argument, NULL, 'u' },
	{ "lport", required_argument, NULL, 'L' },
	{ "rport", required_argument, NULL, 'D' },
	{ "laddr", required_argument, NULL, OPT_LADDR },
	{ "raddr", required_argument, NULL, OPT_RADDR },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "state", required_argument, NULL, 's' },
	{ "cgroup", required_argument, NULL, 'c' },
	{ "netns", required_argument, NULL, 'N' },
	{ "all-addresses", no_argument, NULL, OPT_ALL_ADDRESSES },
	{ "src-ip", required_argument, NULL, OPT_SRC_IP },
	{ "dst-ip", required_argument, NULL, OPT_DST_IP },
	{ "src-port", required_argument, NULL, OPT_SRC_PORT },
	{ "dst-port", required_argument, NULL, OPT_DST_PORT },
	{ "active-only", no_argument, NULL, OPT_ACTIVE_ONLY },
	{ "duration", required_argument, NULL, 'd' },
	{ "buffer-size", required_argument, NULL, 'b' },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "owner-on-send", no_argument, NULL, OPT_OWNER_ON_SEND },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

void cli_snoop__usage(FILE *out)
{
	fputs("Usage: socket-snoop [OPTION...]\n"
	      "Real-time, per-process TCP connection monitor (eBPF).\n"
	      "\n"
	      " Output\n"
	      "  -j, --json              JSON Lines (ECS fields, docs/json-schema.md) instead of\n"
	      "                          log lines, on the console and in the log file\n"
	      "  -o, --log-file=PATH     append events to PATH; default $SOCKET_SNOOP_LOG, else\n"
	      "                          " DEFAULT_LOG_PATH " (falls back to\n"
	      "                          ./socket_monitor.log with a warning when the default\n"
	      "                          cannot be created)\n"
	      "      --no-log-file       console only\n"
	      "  -q, --quiet             no events on the console\n"
	      "      --no-report         no lifecycle report at exit\n"
	      " Events\n",
	      out);
	fprintf(out, "  -e, --events=LIST       event kinds: %s\n", names__kind_options(","));
	fputs("                          (default: all)\n"
	      " Filters (run in the kernel; options AND, values of one option OR)\n"
	      "  -p, --pid=PID[,...]     sockets owned by these processes\n"
	      "  -n, --comm=NAME[,...]   sockets owned by these command names\n"
	      "  -u, --uid=UID[,...]     sockets owned by these users\n"
	      "  -L, --lport=PORTS       local ports, e.g. 22,80,8000-8100\n"
	      "  -D, --rport=PORTS       remote ports\n"
	      "      --laddr=CIDR[,...]  local addresses, IPv4 or IPv6 (10.0.0.0/8, fd00::/64)\n"
	      "      --raddr=CIDR[,...]  remote addresses\n"
	      "  -4, --ipv4              IPv4 only (IPv4-mapped IPv6 counts as IPv4)\n"
	      "  -6, --ipv6              IPv6 only\n"
	      "  -s, --state=LIST        state-change events by state entered:\n"
	      "                          ESTABLISHED,SYN_SENT,SYN_RECV,FIN_WAIT1,FIN_WAIT2,\n"
	      "                          TIME_WAIT,CLOSE,CLOSE_WAIT,LAST_ACK,LISTEN,CLOSING\n"
	      "                          (any case)\n"
	      "  -c, --cgroup=PATH       processes in this cgroup v2 directory or below it\n"
	      "  -N, --netns=PATH|INODE  sockets of this network namespace\n"
	      "      --all-addresses     also show sockets whose local address is the wildcard\n"
	      "                          (listeners on 0.0.0.0 or ::), skipped by default\n"
	      "  Seed-compatible aliases: --src-ip=CIDR (--laddr), --dst-ip=CIDR (--raddr),\n"
	      "  --src-port=PORTS (--lport), --dst-port=PORTS (--rport),\n"
	      "  --active-only (--state=ESTABLISHED)\n"
	      " Run\n"
	      "  -d, --duration=SECS     stop after SECS, print the report, exit 0\n"
	      "  -b, --buffer-size=SIZE  kernel ring buffer size (K, M, G suffixes; rounded up\n"
	      "                          to a power of two; default 2M per CPU, at least 4M)\n"
	      "      --attach=MODE       auto (default: tp_btf, else raw tracepoints), tp_btf or\n"
	      "                          raw_tp (no sk_storage: connections open at start are\n"
	      "                          not attributed)\n"
	      "      --owner-on-send     sends record the socket's owner too, not only\n"
	      "                          connect, listen, close and receives: a process that\n"
	      "                          only sends on a socket it was handed is named at once\n"
	      "                          (costs about as much again on small-message traffic)\n"
	      "  -v, --verbose           more diagnostics (libbpf messages, sockets found at\n"
	      "                          start; at exit losses by cause, transitions\n"
	      "                          recovered from nested runs, owner updates skipped,\n"
	      "                          gaps in connections); twice: libbpf's debug messages\n"
	      "  -V, --version           version and libbpf version (-V -v: kernel features)\n"
	      "  -h, --help              this help\n"
	      "\n"
	      "Exit status: 0 success, 64 usage error, 69 kernel lacks something required,\n"
	      "74 an output cannot be opened, 77 not enough privilege, 1 other failure.\n"
	      "Signals: SIGINT/SIGTERM stop and print the report, SIGHUP reopens the log file.\n",
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
	for (const struct option *o = long_options; o->name; o++)
		if (o->has_arg == no_argument && strlen(o->name) == n - 2 &&
		    !strncmp(o->name, arg + 2, n - 2))
			return true;
	return false;
}

/* Shared context of the list item parsers. */
struct list_ctx {
	struct snoop_config *cfg;
	int opt;
};

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

static int item_pid(const char *item, void *vctx)
{
	struct filter_config *f = &((struct list_ctx *)vctx)->cfg->filter;
	uint64_t v;
	int err = parse_u64(item, PID_MAX_LIMIT, &v);

	if (!err && v == 0)
		err = -ERANGE;
	return err ? err : add_u32(f->pids, &f->n_pids, v);
}

static int item_uid(const char *item, void *vctx)
{
	struct filter_config *f = &((struct list_ctx *)vctx)->cfg->filter;
	uint64_t v;
	int err = parse_u64(item, UINT32_MAX - 1, &v);

	return err ? err : add_u32(f->uids, &f->n_uids, v);
}

static int item_comm(const char *item, void *vctx)
{
	struct filter_config *f = &((struct list_ctx *)vctx)->cfg->filter;

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

static int item_cidr(const char *item, void *vctx)
{
	struct list_ctx *ctx = vctx;
	struct filter_config *f = &ctx->cfg->filter;
	int local = ctx->opt == OPT_LADDR || ctx->opt == OPT_SRC_IP;
	struct cidr *arr = local ? f->laddrs : f->raddrs;
	int *n = local ? &f->n_laddrs : &f->n_raddrs;

	if (*n >= CONFIG_MAX_VALUES)
		return -E2BIG;
	return parse_cidr(item, &arr[(*n)++]);
}

static int item_state(const char *item, void *vctx)
{
	struct filter_config *f = &((struct list_ctx *)vctx)->cfg->filter;
	int state;
	int err = parse_state_name(item, &state);

	if (!err)
		f->states_mask |= 1u << state;
	return err;
}

static int item_event(const char *item, void *vctx)
{
	struct filter_config *f = &((struct list_ctx *)vctx)->cfg->filter;
	uint32_t mask;
	int err = parse_event_kind(item, &mask);

	if (!err)
		f->kinds_mask |= mask;
	return err;
}

/* What a bad value of each list option should have been, for the error message. */
static const char *expected(int opt)
{
	static char kinds[160];

	switch (opt) {
	case 'p':
		return "a process ID (1-" PID_MAX_LIMIT_TEXT ")";
	case 'u':
		return "a user ID";
	case 'n':
		return "a command name of at most 15 bytes";
	case 'L':
	case 'D':
	case OPT_SRC_PORT:
	case OPT_DST_PORT:
		return "ports 0-65535 or ranges LO-HI";
	case OPT_LADDR:
	case OPT_RADDR:
	case OPT_SRC_IP:
	case OPT_DST_IP:
		return "an IPv4 or IPv6 address with an optional /prefix";
	case 's':
		return "a TCP state name (ESTABLISHED, SYN_SENT, ...)";
	case 'e':
		snprintf(kinds, sizeof(kinds), "an event kind (%s)", names__kind_options(", "));
		return kinds;
	case 'd':
		return "a number of seconds greater than 0";
	case 'b':
		return "a size between 64K and 1G";
	case OPT_ATTACH:
		return "auto, tp_btf or raw_tp";
	case 'o':
		return "a file path";
	case 'c':
		return "a cgroup v2 directory";
	case 'N':
		return "a network namespace file or inode number";
	default:
		return "a valid value";
	}
}

/* The option as the user spelled it, for messages. */
static const char *opt_name(int opt)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* Options that take one value: given twice, which one was meant is a guess. */
static bool single_valued(int opt)
{
	return opt == 'o' || opt == 'c' || opt == 'N' || opt == 'd' || opt == 'b' ||
	       opt == OPT_ATTACH;
}

enum cli_action cli_snoop__parse(int argc, char **argv, const char *env_log,
				 struct snoop_config *cfg, char *err, size_t err_len)
{
	static int (*const list_item[256])(const char *, void *) = {
		['p'] = item_pid,   ['u'] = item_uid,	['n'] = item_comm,
		['s'] = item_state, ['e'] = item_event,
	};
	struct list_ctx ctx = { .cfg = cfg };
	struct filter_config *f = &cfg->filter;
	bool version = false, no_log = false;
	bool seen[OPT_OWNER_ON_SEND + 1] = {};
	char bad[128], q1[PARSE_QUOTE_SIZE], q2[PARSE_QUOTE_SIZE];
	uint64_t v;
	int opt, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->report = true;
	f->kinds_mask = 0;
	optind = 0; /* 0, not 1: also forget a half-read option cluster */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":jo:qe:p:n:u:L:D:46s:c:N:d:b:vVh", long_options,
				  NULL)) != -1) {
		ctx.opt = opt;
		rc = 0;
		snprintf(bad, sizeof(bad), "%s", optarg ? optarg : "");
		/* No option takes an empty value ("--cgroup=" is not the root cgroup). */
		if (optarg && !*optarg && opt != ':' && opt != '?') {
			snprintf(err, err_len, "invalid value '' for --%s: expected %s",
				 opt_name(opt), expected(opt));
			return CLI_ERROR;
		}
		switch (opt) {
		case 'o':
			cfg->log_path = optarg;
			cfg->log_path_explicit = true;
			break;
		case OPT_NO_LOG_FILE:
			no_log = true;
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case OPT_NO_REPORT:
			cfg->report = false;
			break;
		case 'p':
		case 'u':
		case 'n':
		case 's':
		case 'e':
			cfg->events_explicit |= opt == 'e';
			rc = parse_list(optarg, list_item[opt], &ctx, bad, sizeof(bad));
			break;
		case 'L':
		case OPT_SRC_PORT:
			rc = parse_ports(optarg, f->lport_bits);
			f->lport = true;
			break;
		case 'D':
		case OPT_DST_PORT:
			rc = parse_ports(optarg, f->rport_bits);
			f->rport = true;
			break;
		case OPT_LADDR:
		case OPT_RADDR:
		case OPT_SRC_IP:
		case OPT_DST_IP:
			rc = parse_list(optarg, item_cidr, &ctx, bad, sizeof(bad));
			break;
		case '4':
		case '6':
			if (f->family && f->family != (opt == '4' ? AF_INET : AF_INET6)) {
				snprintf(err, err_len, "options -4 and -6 exclude each other");
				return CLI_ERROR;
			}
			f->family = opt == '4' ? AF_INET : AF_INET6;
			break;
		case OPT_ACTIVE_ONLY:
			f->states_mask |= 1u << SNOOP_TCP_ESTABLISHED;
			break;
		case OPT_ALL_ADDRESSES:
			f->all_addresses = true;
			break;
		case 'c':
			f->cgroup_path = optarg;
			rc = target__cgroup(optarg, &f->cgroup_id, &f->cgroup_level);
			if (rc) {
				snprintf(err, err_len, "invalid value '%s' for --cgroup: %s",
					 parse_quote(q1, optarg),
					 rc == -ENOTDIR ? "not a cgroup v2 directory" :
							  strerror(-rc));
				return CLI_ERROR;
			}
			break;
		case 'N':
			rc = target__netns(optarg, &f->netns);
			if (rc) {
				snprintf(err, err_len, "invalid value '%s' for --netns: %s",
					 parse_quote(q1, optarg),
					 rc == -ENOTDIR ? "not a network namespace file" :
					 rc == -EINVAL	? "inode 0" :
							  strerror(-rc));
				return CLI_ERROR;
			}
			break;
		case 'd':
			rc = parse_u64(optarg, DURATION_MAX, &v);
			if (!rc && v == 0)
				rc = -ERANGE;
			cfg->duration_s = v;
			break;
		case 'b':
			rc = parse_size(optarg, &v);
			if (!rc && (v < RINGBUF_MIN_BYTES || v > RINGBUF_MAX_BYTES))
				rc = -ERANGE;
			cfg->ringbuf_bytes = v;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				cfg->attach_mode = ATTACH_AUTO;
			else if (!strcmp(optarg, "tp_btf"))
				cfg->attach_mode = ATTACH_TP_BTF;
			else if (!strcmp(optarg, "raw_tp"))
				cfg->attach_mode = ATTACH_RAW_TP;
			else
				rc = -EINVAL;
			break;
		case OPT_OWNER_ON_SEND:
			cfg->owner_on_send = true;
			break;
		case 'v':
			cfg->verbose++;
			break;
		case 'V':
			version = true;
			break;
		case 'h':
			return CLI_HELP;
		case 'j':
			cfg->json = true;
			break;
		case ':':
		default:
			/*
			 * Name the option as written: "--pid", or "-x" inside a cluster
			 * such as -xq, where argv[optind - 1] is not the bad option.
			 */
			if (strncmp(argv[optind - 1], "--", 2) == 0 || !optopt || optopt > 255)
				snprintf(bad, sizeof(bad), "%s", argv[optind - 1]);
			else
				snprintf(bad, sizeof(bad), "-%c", optopt);
			if (opt != ':' && flag_given_value(bad))
				snprintf(err, err_len, "option '%.*s' takes no value, not '%s'",
					 (int)strcspn(bad, "="), bad,
					 parse_quote(q1, strchr(argv[optind - 1], '=') + 1));
			else
				snprintf(err, err_len,
					 opt == ':' ? "option '%s' needs a value" :
						      "unknown option '%s'",
					 parse_quote(q1, bad));
			return CLI_ERROR;
		}
		if (rc) {
			if (!bad[0] || strncmp(bad, optarg, sizeof(bad) - 1) == 0)
				snprintf(err, err_len, "invalid value '%s' for --%s: expected %s",
					 parse_quote(q1, optarg), opt_name(opt), expected(opt));
			else
				snprintf(err, err_len,
					 "invalid value '%s' for --%s: '%s' is not %s",
					 parse_quote(q1, optarg), opt_name(opt),
					 parse_quote(q2, bad), expected(opt));
			if (rc == -E2BIG)
				snprintf(err, err_len, "too many values for --%s (at most %d)",
					 opt_name(opt), CONFIG_MAX_VALUES);
			return CLI_ERROR;
		}
		/* After the value's own check: a bad value is the first thing to fix. */
		if (single_valued(opt)) {
			if (seen[opt]) {
				snprintf(err, err_len, "option '--%s' given twice", opt_name(opt));
				return CLI_ERROR;
			}
			seen[opt] = true;
		}
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s'", parse_quote(q1, argv[optind]));
		return CLI_ERROR;
	}
	if (no_log && cfg->log_path) {
		snprintf(err, err_len, "options --log-file and --no-log-file exclude each other");
		return CLI_ERROR;
	}
	if (version)
		return CLI_VERSION;
	if (!f->kinds_mask)
		f->kinds_mask = SNOOP_EV_ALL;
	if (no_log) {
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
