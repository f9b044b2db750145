// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_config.c - the --config file's parser (cli_snoop__parse_config): the
 * input is the file.  It must succeed, or fail with a message that names the
 * file and fits its buffer; what it accepts must describe within bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snoop/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "--config file 'fuzz.conf', line ";
	struct filter_config *f = malloc(sizeof(*f));
	char *text = malloc(size + 1), err[512], said[256];
	int rc;

	if (!f || !text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	rc = cli_snoop__parse_config("fuzz.conf", text, size, f, err, sizeof(err));
	if (rc && strncmp(err, prefix, sizeof(prefix) - 1) != 0)
		abort();
	if (strnlen(err, sizeof(err)) == sizeof(err))
		abort();
	if (!rc) {
		cli_snoop__describe_filters(f, said, sizeof(said));
		if (strnlen(said, sizeof(said)) == sizeof(said))
			abort();
	}
	free(text);
	free(f);
	return 0;
}
