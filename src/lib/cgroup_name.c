// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgroup_name.c - unit, container and pod from a cgroup path (see cgroup_name.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/cgroup_name.h"

/* A directory name: the @n bytes at @s (not NUL-terminated inside a path). */
struct cg_part {
	const char *s;
	size_t n;
};

static bool part_is(struct cg_part p, const char *word)
{
	return p.n == strlen(word) && memcmp(p.s, word, p.n) == 0;
}

static bool part_has_prefix(struct cg_part p, const char *prefix)
{
	size_t n = strlen(prefix);

	return p.n >= n && memcmp(p.s, prefix, n) == 0;
}

static bool part_has_suffix(struct cg_part p, const char *suffix)
{
	size_t n = strlen(suffix);

	return p.n >= n && memcmp(p.s + p.n - n, suffix, n) == 0;
}

/* Lower-case hexadecimal, as runtimes write ids (an upper-case one is no id of theirs). */
static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* systemd's unit name characters (unit-name.c VALID_CHARS, with '@' for instances). */
static bool unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
}

static bool part_is_unit(struct cg_part p)
{
	size_t suffix;

	if (part_has_suffix(p, ".service"))
		suffix = sizeof(".service") - 1;
	else if (part_has_suffix(p, ".scope"))
		suffix = sizeof(".scope") - 1;
	else
		return false;
	if (p.n == suffix || p.n >= CGROUP_UNIT_SIZE)
		return false;
	for (size_t i = 0; i < p.n; i++)
		if (!unit_char(p.s[i]))
			return false;
	return true;
}

bool cgroup_is_unit_name(const char *name)
{
	return part_is_unit((struct cg_part){ name, strnlen(name, CGROUP_UNIT_SIZE) });
}

int cgroup_unit_arg(const char *arg, char unit[CGROUP_UNIT_SIZE])
{
	static const char *const types[] = { "service", "socket",    "target", "device",
					     "mount",	"automount", "swap",   "timer",
					     "path",	"slice",     "scope" };
	const char *dot = strrchr(arg, '.');
	size_t n = strlen(arg);
	bool typed = false;

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		typed = typed || strcmp(dot + 1, types[i]) == 0;
	if (!n || (typed && dot == arg))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!unit_char(arg[i]))
			return -EINVAL;
	if (snprintf(unit, CGROUP_UNIT_SIZE, "%s%s", arg, typed ? "" : ".service") >=
	    CGROUP_UNIT_SIZE)
		return -EINVAL;
	/* Only these hold processes; a .socket or .timer has no cgroup of its own. */
	dot = strrchr(unit, '.');
	if (strcmp(dot, ".service") != 0 && strcmp(dot, ".scope") != 0 &&
	    strcmp(dot, ".slice") != 0)
		return -EINVAL;
	return 0;
}

/* The runtimes' scope (and cgroupfs) names: prefix, then the id, then ".scope" or nothing. */
static const struct {
	const char *prefix;
	enum cgroup_runtime rt;
	bool bare_ok; /* also without ".scope" (podman's cgroupfs manager) */
} container_patterns[] = {
	{ "docker-", CGROUP_RUNTIME_DOCKER, false },
	{ "cri-containerd-", CGROUP_RUNTIME_CONTAINERD, false },
	{ "crio-", CGROUP_RUNTIME_CRIO, false },
	{ "libpod-", CGROUP_RUNTIME_PODMAN, true },
};

static bool part_container(struct cg_part p, struct cg_part parent,
			   char id[CGROUP_CONTAINER_ID_SIZE], enum cgroup_runtime *rt)
{
	const char *at = NULL;

	/* The cgroupfs drivers name the directory by the id alone. */
	if (p.n == CGROUP_CONTAINER_ID_LEN && is_hex(p.s, p.n)) {
		at = p.s;
		*rt = part_is(parent, "docker") ? CGROUP_RUNTIME_DOCKER : CGROUP_RUNTIME_NONE;
	}
	for (size_t i = 0; !at && i < sizeof(container_patterns) / sizeof(container_patterns[0]);
	     i++) {
		size_t pre = strlen(container_patterns[i].prefix);
		size_t rest;

		if (!part_has_prefix(p, container_patterns[i].prefix))
			continue;
		rest = p.n - pre;
		/* "crio-conmon-ID.scope" and "libpod-conmon-ID.scope" are the monitor, not the container. */
		if (rest < CGROUP_CONTAINER_ID_LEN || !is_hex(p.s + pre, CGROUP_CONTAINER_ID_LEN))
			continue;
		rest -= CGROUP_CONTAINER_ID_LEN;
		if (!(rest == sizeof(".scope") - 1 && part_has_suffix(p, ".scope")) &&
		    !(rest == 0 && container_patterns[i].bare_ok))
			continue;
		at = p.s + pre;
		*rt = container_patterns[i].rt;
	}
	if (!at)
		return false;
	memcpy(id, at, CGROUP_CONTAINER_ID_LEN);
	id[CGROUP_CONTAINER_ID_LEN] = '\0';
	return true;
}

bool cgroup_container_of(const char *name, const char *parent, char id[CGROUP_CONTAINER_ID_SIZE],
			 enum cgroup_runtime *rt)
{
	struct cg_part p = { name, strlen(name) };
	struct cg_part up = { parent ? parent : "", parent ? strlen(parent) : 0 };

	return part_container(p, up, id, rt);
}

/*
 * A pod's directory: "kubepods[-QOS]-pod<UID>.slice" (systemd driver, the
 * uid's '-' written '_') or "pod<UID>" under kubepods (cgroupfs driver).
 */
static bool part_pod(struct cg_part p, bool under_kubepods, char uid[CGROUP_POD_UID_SIZE])
{
	const size_t len = CGROUP_POD_UID_SIZE - 1;
	char got[CGROUP_POD_UID_SIZE];
	const char *at;

	if (part_has_prefix(p, "kubepods") && part_has_suffix(p, ".slice")) {
		size_t end = p.n - (sizeof(".slice") - 1);

		if (end < len + 4 || memcmp(p.s + end - len - 4, "-pod", 4) != 0)
			return false;
		at = p.s + end - len;
	} else if (under_kubepods && p.n == len + 3 && part_has_prefix(p, "pod")) {
		at = p.s + 3;
	} else {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = at[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-' && c != '_' : !is_hex(&c, 1))
			return false;
		got[i] = c;
		if (dash)
			got[i] = '-';
	}
	got[len] = '\0';
	/* Only a whole uid replaces one found higher up. */
	memcpy(uid, got, sizeof(got));
	return true;
}

void cgroup_name_parse(const char *path, size_t trusted, struct cgroup_name *out)
{
	struct cg_part parent = { "", 0 };
	bool under_kubepods = false;
	size_t depth = 0;

	memset(out, 0, sizeof(*out));
	for (const char *s = path; *s && depth < trusted;) {
		struct cg_part p;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		p.s = s;
		while (*s && *s != '/')
			s++;
		p.n = (size_t)(s - p.s);
		depth++;
		if (part_is_unit(p)) {
			memcpy(out->unit, p.s, p.n);
			out->unit[p.n] = '\0';
		}
		if (!part_container(p, parent, out->container_id, &out->runtime))
			part_pod(p, under_kubepods, out->pod_uid);
		if (part_has_prefix(p, "kubepods"))
			under_kubepods = true;
		parent = p;
	}
}

const char *cgroup_runtime_name(enum cgroup_runtime rt)
{
	switch (rt) {
	case CGROUP_RUNTIME_DOCKER:
		return "docker";
	case CGROUP_RUNTIME_CONTAINERD:
		return "containerd";
	case CGROUP_RUNTIME_CRIO:
		return "cri-o";
	case CGROUP_RUNTIME_PODMAN:
		return "podman";
	case CGROUP_RUNTIME_NONE:
		break;
	}
	return NULL;
}
