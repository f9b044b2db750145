/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cli_packets.h - the command lines of the tcpsnoop and tcptop faces
 * (DTraceToolkit's options) -> their configurations, validated.
 */
#ifndef CLI_PACKETS_H
#define CLI_PACKETS_H

#include <stdint.h>
#include <stdio.h>
#include "snoop/cli.h"
#include "packets/fmt.h"
#include "packets/loader.h"

struct tcpsnoop_config {
	unsigned int columns;	  /* enum tcpsnoop_columns */
	struct packets_config pk; /* filters (-n, -p, -4, -6) and what to read */
};

struct tcptop_config {
	bool clear;	     /* clear the screen before each report (not with -C) */
	enum tcptop_id id;   /* first column: UID, PROJ (-j) or ZONE (-Z) */
	uint64_t interval_s; /* seconds between reports (default 5) */
	uint64_t count;	     /* reports before exiting; 0: until signalled */
	bool verbose;
};

/*
 * tcpsnoop [-a|-hjsvZ] [-n name] [-p pid] [-46w].  CLI_RUN, CLI_HELP, or
 * CLI_ERROR with @err naming the option and the bad value.
 */
enum cli_action cli_tcpsnoop__parse(int argc, char **argv, struct tcpsnoop_config *cfg, char *err,
				    size_t err_len);

/* tcpsnoop's usage text (the original's, with the extensions). */
void cli_tcpsnoop__usage(FILE *out);

/* tcptop [-Ch] [-j|-Z] [interval [count]]. */
enum cli_action cli_tcptop__parse(int argc, char **argv, struct tcptop_config *cfg, char *err,
				  size_t err_len);

/* tcptop's usage text. */
void cli_tcptop__usage(FILE *out);

#endif
