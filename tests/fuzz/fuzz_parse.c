// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_parse.c - the option-value parsers of parse.c.  The first byte picks
 * the parser, the rest is the value (a C string: cut at its first NUL).
 * Besides memory errors, it checks each parser's contract: 0, -EINVAL or
 * -ERANGE, and on success a result within its documented bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/names.h"
#include "lib/parse.h"

static int count_one(const char *item, void *ctx)
{
	size_t *n = ctx;

	if (item[0] == '\0' || strchr(item, ','))
		abort(); /* empty items are the parser's error, not the callback's */
	(*n)++;
	return item[0] == '!' ? -EINVAL : 0;
}

static void check_rc(int rc)
{
	if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bits[SNOOP_PORT_WORDS], v;
	struct cidr cidr;
	uint32_t mask;
	char bad[32] = "", *s;
	size_t items = 0;
	int rc, state;

	if (size < 1)
		return 0;
	s = malloc(size); /* exactly the value and its NUL: ASan sees an over-read */
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	switch (data[0] % 8) {
	case 0:
		rc = parse_u64(s, 65535, &v);
		check_rc(rc);
		if (!rc && v > 65535)
			abort();
		break;
	case 1:
		memset(bits, 0, sizeof(bits));
		check_rc(parse_ports(s, bits));
		break;
	case 2:
		rc = parse_cidr(s, &cidr);
		check_rc(rc);
		if (!rc && cidr.prefixlen > 128)
			abort();
		break;
	case 3:
		rc = parse_state_name(s, &state);
		check_rc(rc);
		if (!rc && !names__state_kernel(state))
			abort();
		break;
	case 4:
		mask = 0;
		check_rc(parse_event_kind(s, &mask));
		break;
	case 5:
		check_rc(parse_size(s, &v));
		break;
	case 6:
		rc = parse_list(s, count_one, &items, bad, sizeof(bad));
		check_rc(rc);
		if (strnlen(bad, sizeof(bad)) == sizeof(bad))
			abort();
		break;
	case 7:
		rc = parse_u64(s, UINT64_MAX, &v);
		check_rc(rc);
		break;
	}
	free(s);
	return 0;
}
