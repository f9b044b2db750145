// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_cli_packets.c - the tcpsnoop and tcptop command lines
 * (cli_tcpsnoop__parse, cli_tcptop__parse).  The first byte picks the face
 * (even: tcpsnoop, odd: tcptop); the rest, split on NUL bytes, is argv[1..].
 */
#include <stdint.h>
#include <stdlib.h>

#include "packets/cli.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FUZZ_MAX_ARGS], **store, err[256];
	enum cli_action a;
	bool top;
	int argc;

	if (size < 1)
		return 0;
	top = data[0] & 1;
	argc = fuzz_argv(data + 1, size - 1, top ? "tcptop" : "tcpsnoop", argv, &store);
	if (argc > 0) {
		err[0] = '\0';
		if (top) {
			struct tcptop_config cfg;

			a = cli_tcptop__parse(argc, argv, &cfg, err, sizeof(err));
			if (a == CLI_RUN && (cfg.interval_s == 0 || cfg.id > TCPTOP_ID_ZONE))
				abort();
		} else {
			struct tcpsnoop_config cfg;

			a = cli_tcpsnoop__parse(argc, argv, &cfg, err, sizeof(err));
		}
		if (a != CLI_RUN && a != CLI_HELP && a != CLI_VERSION && a != CLI_ERROR)
			abort();
		if (a == CLI_ERROR && err[0] == '\0')
			abort();
	}
	fuzz_argv_free(store);
	return 0;
}
