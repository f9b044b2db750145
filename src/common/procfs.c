// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* procfs.c - small files of /proc (see procfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/procfs.h"

ssize_t procfs__read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int procfs__stat_field(const char *stat, int field, uint64_t *out)
{
	/* The name ends at the last ')'; a space is before each field after it. */
	const char *at = strrchr(stat, ')');
	unsigned long long v;
	char *end;

	if (!at || field < 3)
		return -EINVAL;
	/* At the space before field f + 1 after each turn. */
	for (int f = 2; at && f < field; f++)
		at = strchr(at + 1, ' ');
	if (!at || at[1] < '0' || at[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(at + 1, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*out = v;
	return 0;
}

int procfs__key_u64(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *at = text;
	unsigned long long v;
	char *end;

	while (strncmp(at, key, klen) != 0) {
		at = strchr(at, '\n');
		if (!at)
			return -ENOENT;
		at++;
	}
	at += klen;
	at += strspn(at, " \t");
	if (*at < '0' || *at > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(at, &end, 10);
	if (errno || (*end != '\n' && *end != '\0' && *end != ' '))
		return -EINVAL;
	*out = v;
	return 0;
}
