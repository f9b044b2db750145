// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_cli_snoop.c - socket-snoop's command line (cli_snoop__parse): the
 * input split on NUL bytes is argv[1..].  The parser must return one of its
 * actions, and a usage error must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>

#include "snoop/cli.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FUZZ_MAX_ARGS], **store, err[256];
	struct snoop_config cfg;
	enum cli_action a;
	int argc = fuzz_argv(data, size, "socket-snoop", argv, &store);

	if (argc > 0) {
		err[0] = '\0';
		a = cli_snoop__parse(argc, argv, NULL, &cfg, err, sizeof(err));
		if (a != CLI_RUN && a != CLI_HELP && a != CLI_VERSION && a != CLI_ERROR)
			abort();
		if (a == CLI_ERROR && err[0] == '\0')
			abort();
		if (strnlen(err, sizeof(err)) == sizeof(err))
			abort();
	}
	fuzz_argv_free(store);
	return 0;
}
