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

/*
 * Read the filters of --config file @path into @out (which it fills whole):
 * the filter options' long names as "key = value" lines, # comments.  The
 * file is opened as safe_path__open_read() allows.  0, or a negative errno
 * with @err naming the file, the line and the key.
 */
int cli_snoop__read_config(const char *path, struct filter_config *out, char *err, size_t err_len);

/*
 * The same at a reload, with the filters in use @keep: a cgroup filter the
 * file gives as @keep's was given (the same key and value) keeps @keep's
 * cgroup, not looked up again (a unit restarted since has another one).
 */
int cli_snoop__reread_config(const char *path, struct filter_config *out,
			     const struct filter_config *keep, char *err, size_t err_len);

/*
 * The parser of cli_snoop__read_config(): @len bytes of @text (writable,
 * with a NUL at text[len]), read from file @path (for messages).
 */
int cli_snoop__parse_config(const char *path, char *text, size_t len, struct filter_config *out,
			    char *err, size_t err_len);

/*
 * The filters in use, @out: the command line's @cli, with each filter it
 * does not give taken from the file's @file.
 */
void cli_snoop__merge_filters(struct filter_config *out, const struct filter_config *file,
			      const struct filter_config *cli);

/*
 * @f as text for a message, "pid=1,2 lport=80,8000-8100 ipv4" ("none"
 * without filters), bytes from outside escaped, cut short to fit @len.
 */
void cli_snoop__describe_filters(const struct filter_config *f, char *buf, size_t len);

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
