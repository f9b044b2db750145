// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cli_packets.c - options of the tcpsnoop and tcptop faces: DTraceToolkit's
 * letters with their original meanings (docs/tcpsnoop.8, docs/tcptop.8).
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "packets/cli.h"
#include "lib/parse.h"

#define INTERVAL_MAX 86400ull
#define COUNT_MAX 1000000000ull

void cli_tcpsnoop__usage(FILE *out)
{
	fputs("USAGE: tcpsnoop [-a|hjsvZ] [-n name] [-p pid] [-46w]\n"
	      "       tcpsnoop                # default output\n"
	      "                -a             # print all data\n"
	      "                -j             # print project ID (cgroup v2 id)\n"
	      "                -s             # print time, us\n"
	      "                -v             # print time, string\n"
	      "                -Z             # print zone ID (network namespace inode)\n"
	      "                -n name        # command name to snoop\n"
	      "                -p pid         # PID to snoop\n"
	      "                -4             # IPv4 packets only\n"
	      "                -6             # IPv6 packets only\n"
	      "                -w             # wide address columns (IPv6)\n"
	      "  eg,\n"
	      "      tcpsnoop -v              # human readable timestamps\n"
	      "      tcpsnoop -Z              # print zone ID\n"
	      "      tcpsnoop -n sshd         # snoop sshd traffic only\n",
	      out);
}

void cli_tcptop__usage(FILE *out)
{
	fputs("USAGE: tcptop [-Ch] [-j|-Z] [interval [count]]\n"
	      "       tcptop                  # default output\n"
	      "                -C             # don't clear the screen\n"
	      "                -j             # print project ID (cgroup v2 id)\n"
	      "                -Z             # print zone ID (network namespace inode)\n"
	      "  eg,\n"
	      "      tcptop                   # default is 5 sec interval\n"
	      "      tcptop 2                 # 2 second interval\n"
	      "      tcptop -C 1 10           # 10 x 1 sec samples, no clear\n",
	      out);
}

/* -n and -p take one value each: given twice, which one was meant is a guess. */
static enum cli_action given_twice(int opt, char *err, size_t err_len)
{
	snprintf(err, err_len, "option '-%c' given twice", opt);
	return CLI_ERROR;
}

/* The long options both faces take besides DTraceToolkit's letters. */
static const struct option packets_long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/*
 * "unknown option '-x'" or "option '-n' needs a value", from getopt's ':'
 * and '?'; @arg is the argument getopt was reading (an unknown long option).
 */
static enum cli_action bad_option(int opt, const char *arg, char *err, size_t err_len)
{
	if (opt == ':')
		snprintf(err, err_len, "option '-%c' needs a value", optopt);
	else if (optopt)
		snprintf(err, err_len, "unknown option '-%c'", optopt);
	else if (arg && arg[0] == '-' && arg[1] == '-') {
		char q[PARSE_QUOTE_SIZE];

		snprintf(err, err_len, "unknown option '%s'", parse_quote(q, arg));
	} else
		snprintf(err, err_len, "unknown option");
	return CLI_ERROR;
}

enum cli_action cli_tcpsnoop__parse(int argc, char **argv, struct tcpsnoop_config *cfg, char *err,
				    size_t err_len)
{
	struct packets_config *pk = &cfg->pk;
	char q[PARSE_QUOTE_SIZE];
	uint64_t v;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	optind = 0; /* also forget a half-read option cluster */
	opterr = 0;
	/* '+': options end at the first operand, as ksh's getopts did. */
	while ((opt = getopt_long(argc, argv, "+:ahjsvZn:p:46w", packets_long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'a':
			cfg->columns |= TCPSNOOP_COL_ALL;
			break;
		case 'j':
			cfg->columns |= TCPSNOOP_COL_PROJ;
			break;
		case 's':
			cfg->columns |= TCPSNOOP_COL_TIME;
			break;
		case 'v':
			cfg->columns |= TCPSNOOP_COL_STRTIME;
			break;
		case 'Z':
			cfg->columns |= TCPSNOOP_COL_ZONE;
			break;
		case 'w':
			cfg->columns |= TCPSNOOP_COL_WIDE;
			break;
		case 'n':
			if (pk->filter_comm)
				return given_twice('n', err, err_len);
			/* The kernel keeps 15 bytes of a command name. */
			if (!*optarg || strlen(optarg) >= SNOOP_COMM_LEN) {
				snprintf(err, err_len,
					 "invalid value '%s' for -n: expected a command name of "
					 "1 to 15 bytes",
					 parse_quote(q, optarg));
				return CLI_ERROR;
			}
			memset(pk->comm, 0, sizeof(pk->comm));
			memcpy(pk->comm, optarg, strlen(optarg));
			pk->filter_comm = true;
			break;
		case 'p':
			if (pk->filter_pid)
				return given_twice('p', err, err_len);
			if (parse_u64(optarg, PID_MAX_LIMIT, &v) || v == 0) {
				snprintf(err, err_len,
					 "invalid value '%s' for -p: expected a process ID "
					 "(1-" PID_MAX_LIMIT_TEXT ")",
					 parse_quote(q, optarg));
				return CLI_ERROR;
			}
			pk->pid = (uint32_t)v;
			pk->filter_pid = true;
			break;
		case '4':
		case '6':
			if (pk->family && pk->family != (opt == '4' ? AF_INET : AF_INET6)) {
				snprintf(err, err_len, "options -4 and -6 exclude each other");
				return CLI_ERROR;
			}
			pk->family = opt == '4' ? AF_INET : AF_INET6;
			break;
		case 'h':
			return CLI_HELP;
		case 'V':
			return CLI_VERSION;
		default:
			return bad_option(opt, argv[optind - 1], err, err_len);
		}
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s'", parse_quote(q, argv[optind]));
		return CLI_ERROR;
	}
	pk->want_netns = cfg->columns & TCPSNOOP_COL_ZONE;
	return CLI_RUN;
}

enum cli_action cli_tcptop__parse(int argc, char **argv, struct tcptop_config *cfg, char *err,
				  size_t err_len)
{
	bool proj = false, zone = false;
	char q[PARSE_QUOTE_SIZE];
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->clear = true;
	cfg->interval_s = 5;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:ChjZ", packets_long_options, NULL)) != -1) {
		switch (opt) {
		case 'C':
			cfg->clear = false;
			break;
		case 'j':
			proj = true;
			break;
		case 'Z':
			zone = true;
			break;
		case 'h':
			return CLI_HELP;
		case 'V':
			return CLI_VERSION;
		default:
			return bad_option(opt, argv[optind - 1], err, err_len);
		}
	}
	/* The original: with both -j and -Z, zones win. */
	cfg->id = zone ? TCPTOP_ID_ZONE : proj ? TCPTOP_ID_PROJ : TCPTOP_ID_UID;
	if (optind < argc) {
		if (parse_u64(argv[optind], INTERVAL_MAX, &cfg->interval_s) || !cfg->interval_s) {
			snprintf(err, err_len,
				 "invalid interval '%s': expected seconds from 1 to 86400",
				 parse_quote(q, argv[optind]));
			return CLI_ERROR;
		}
		optind++;
	}
	if (optind < argc) {
		if (parse_u64(argv[optind], COUNT_MAX, &cfg->count) || !cfg->count) {
			snprintf(err, err_len,
				 "invalid count '%s': expected a number of reports from 1 to "
				 "1000000000",
				 parse_quote(q, argv[optind]));
			return CLI_ERROR;
		}
		optind++;
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s'", parse_quote(q, argv[optind]));
		return CLI_ERROR;
	}
	return CLI_RUN;
}
