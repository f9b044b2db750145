// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fuzz_cgroup_name.c - cgroup_name.c: a cgroup path (any bytes: a delegated
 * user names directories) to unit, container and pod, and --unit's value.
 * The first byte is how many leading names are trusted, the rest a C string.
 * Besides memory errors: every name found is one the patterns allow (so log
 * lines and JSON can carry it as it is), and stands in the path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/cgroup_name.h"

static bool all_of(const char *s, size_t n, const char *set)
{
	return strspn(s, set) == n && strlen(s) == n;
}

static void check_name(const struct cgroup_name *n, const char *path)
{
	if (n->unit[0] && (!cgroup_is_unit_name(n->unit) || !strstr(path, n->unit)))
		fuzz_fail("unit", n->unit, strlen(n->unit));
	if (n->container_id[0] &&
	    (!all_of(n->container_id, CGROUP_CONTAINER_ID_LEN, "0123456789abcdef") ||
	     !strstr(path, n->container_id)))
		fuzz_fail("container id", n->container_id, strlen(n->container_id));
	if (!n->container_id[0] && n->runtime != CGROUP_RUNTIME_NONE)
		fuzz_fail("runtime without a container", path, strlen(path));
	if (n->runtime != CGROUP_RUNTIME_NONE && !cgroup_runtime_name(n->runtime))
		fuzz_fail("runtime", path, strlen(path));
	if (n->pod_uid[0]) {
		for (size_t i = 0; i < CGROUP_POD_UID_SIZE - 1; i++) {
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;
			char c = n->pod_uid[i];

			if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				fuzz_fail("pod uid", n->pod_uid, strlen(n->pod_uid));
		}
		if (n->pod_uid[CGROUP_POD_UID_SIZE - 1])
			fuzz_fail("pod uid length", n->pod_uid, CGROUP_POD_UID_SIZE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgroup_name n, all;
	char unit[CGROUP_UNIT_SIZE], *s;
	size_t trusted;

	if (size < 1)
		return 0;
	trusted = data[0] == 0xff ? SIZE_MAX : data[0];
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	cgroup_name_parse(s, trusted, &n);
	check_name(&n, s);
	/* Trusting more never finds less deep a container: the whole path is a superset. */
	cgroup_name_parse(s, SIZE_MAX, &all);
	check_name(&all, s);
	if (!n.unit[0] && !n.container_id[0] && trusted == SIZE_MAX && all.unit[0])
		fuzz_fail("trust changed the result", s, strlen(s));
	switch (cgroup_unit_arg(s, unit)) {
	case 0:
		if (!strstr(unit, s) || strlen(unit) >= CGROUP_UNIT_SIZE ||
		    (!cgroup_is_unit_name(unit) &&
		     strcmp(unit + strlen(unit) - (sizeof(".slice") - 1), ".slice") != 0))
			fuzz_fail("unit argument", unit, strlen(unit));
		break;
	case -EINVAL:
		break;
	default:
		abort();
	}
	free(s);
	return 0;
}
