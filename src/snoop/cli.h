/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cli.h - socket-snoop's command line -> struct snoop_config, validated. */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/config.h"

enum cli_action {
	CLI_RUN = 0,
	CLI_HELP = 1,
	CLI_VERSION = 2,
	CLI_ERROR = -1, /* usage error: message in @err, exit 64 */
};

/*
 * Parse @argv into @cfg (defaults first).  @env_log is $SOCKET_SNOOP_LOG
 * (NULL when unset).  On CLI_ERROR, @err names the option and the value.
 */
enum cli_action cli_snoop__parse(int argc, char **argv, const char *env_log,
				 struct snoop_config *cfg, char *err, size_t err_len);

/*
 * Whether -j or --json stands on its own among @argv: looked at before
 * parsing, so that even a usage error is written as JSON.
 */
bool cli_snoop__wants_json(int argc, char **argv);

/* The --help text. */
void cli_snoop__usage(FILE *out);

/*
 * The kernel filters @f turns on, one bit per row of SNOOP_FILTERS (in its
 * order), from the rows' own "is on" expressions: what the BPF guards get.
 */
uint32_t cli_snoop__filters_on(const struct filter_config *f);

/*
 * The @i-th option's long name (NULL past the last), and the row of
 * SNOOP_FILTERS an option turns on (-1 for none, -ENOENT for no such
 * option): so a test can check every filter option against the guards.
 */
const char *cli_snoop__option_name(size_t i);
int cli_snoop__option_filter(const char *name);

#endif
