// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* procinfo.c - processes as /proc shows them, cached (see procinfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "snoop_abi.h"
#include "common/procfs.h"
#include "common/procinfo.h"
#include "lib/community_id.h"

struct procinfo_cache {
	char root[64];
	char boot_id[40]; /* /proc/sys/kernel/random/boot_id, or empty */
	int exe_prog_fd;  /* the task_exe iterator, or -1 */
	struct procinfo slot[PROCINFO_SLOTS];
};

int procinfo_cache__new(struct procinfo_cache **out, const char *proc_root)
{
	struct procinfo_cache *c = calloc(1, sizeof(*c));
	char path[96];
	ssize_t n;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	snprintf(c->root, sizeof(c->root), "%s", proc_root);
	c->exe_prog_fd = -1;
	snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id", c->root);
	n = procfs__read(path, c->boot_id, sizeof(c->boot_id));
	c->boot_id[n > 0 ? strcspn(c->boot_id, "\n") : 0] = '\0';
	*out = c;
	return 0;
}

void procinfo_cache__free(struct procinfo_cache *c)
{
	free(c);
}

void procinfo_cache__set_exe_iter(struct procinfo_cache *c, int prog_fd)
{
	c->exe_prog_fd = prog_fd;
}

/*
 * Run the task_exe iterator on task @pid: what it wrote (its PID, the path
 * and its NUL) in @buf, its length, or a negative errno.
 */
static ssize_t exe_iter_read(int prog_fd, uint32_t pid, char *buf, size_t size)
{
	union bpf_iter_link_info info = { .task.tid = pid };
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &info, .iter_info_len = sizeof(info));
	int link = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
	ssize_t got = 0, n = 0;
	int fd;

	if (link < 0)
		return -errno;
	fd = bpf_iter_create(link);
	if (fd < 0) {
		n = -errno;
		close(link);
		return n;
	}
	while ((size_t)got < size && (n = read(fd, buf + got, size - (size_t)got)) > 0)
		got += n;
	if (n < 0)
		got = -errno;
	close(fd);
	close(link);
	return got;
}

/* The executable of @p, by the iterator when it may be used, else by /proc/PID/exe. */
static void read_exe(struct procinfo_cache *c, struct procinfo *p)
{
	char buf[sizeof(uint32_t) + SNOOP_EXE_PATH_MAX], path[96];
	uint32_t pid;
	ssize_t n;

	p->exe_len = 0;
	if (c->exe_prog_fd >= 0) {
		n = exe_iter_read(c->exe_prog_fd, p->pid, buf, sizeof(buf));
		/* Nothing written: no executable (a kernel thread, an exit). */
		if (n >= 0 && n < (ssize_t)sizeof(pid))
			return;
		if (n > 0) {
			memcpy(&pid, buf, sizeof(pid));
			if (pid == p->pid) {
				size_t room = (size_t)n - sizeof(pid);
				size_t len = strnlen(buf + sizeof(pid), room);

				/* Whole (its NUL read) and short enough to keep, or left out. */
				if (len < room && len <= sizeof(p->exe)) {
					memcpy(p->exe, buf + sizeof(pid), len);
					p->exe_len = (uint16_t)len;
				}
				return;
			}
			/* Another task first: the kernel ignored the task filter. */
			c->exe_prog_fd = -1;
		}
	}
	snprintf(path, sizeof(path), "%s/%u/exe", c->root, p->pid);
	n = readlink(path, buf, sizeof(buf));
	if (n > 0 && (size_t)n <= sizeof(p->exe)) {
		memcpy(p->exe, buf, (size_t)n);
		p->exe_len = (uint16_t)n;
	}
}

/* The command line of @p: arguments joined by spaces, cut at PROCINFO_CMDLINE_MAX; all counted. */
static void read_cmdline(const struct procinfo_cache *c, struct procinfo *p)
{
	char path[96], buf[4096];
	size_t kept = 0, total = 0;
	char last = 0;
	ssize_t n;
	int fd;

	p->cmdline_len = 0;
	p->args_count = 0;
	snprintf(path, sizeof(path), "%s/%u/cmdline", c->root, p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	/* Up to 64 KiB: enough to count the arguments of any sane command. */
	for (int reads = 0; reads < 16 && (n = read(fd, buf, sizeof(buf))) > 0; reads++) {
		for (ssize_t i = 0; i < n; i++) {
			last = buf[i];
			if (!last)
				p->args_count++;
			/* Arguments joined by spaces. */
			if (kept < sizeof(p->cmdline))
				p->cmdline[kept++] = last;
			if (!last && kept && kept <= sizeof(p->cmdline) && !p->cmdline[kept - 1])
				p->cmdline[kept - 1] = ' ';
		}
		total += (size_t)n;
	}
	close(fd);
	/* A process that rewrote its arguments may leave the last one without its NUL. */
	if (total && last)
		p->args_count++;
	/* The last argument's NUL ends it: no separator (unless the line was cut before it). */
	if (total && !last && total <= sizeof(p->cmdline))
		kept--;
	p->cmdline_len = (uint16_t)kept;
}

/* 32 hex digits of SHA-1(boot id, PID, start time): one process of one boot. */
static void entity_id(const struct procinfo_cache *c, struct procinfo *p)
{
	static const char hex[] = "0123456789abcdef";
	char text[96];
	uint8_t d[20];
	int len = snprintf(text, sizeof(text), "%s:%u:%llu", c->boot_id, p->pid,
			   (unsigned long long)p->start_ticks);

	sha1(text, (size_t)len, d);
	for (int i = 0; i < 16; i++) {
		p->entity_id[2 * i] = hex[d[i] >> 4];
		p->entity_id[2 * i + 1] = hex[d[i] & 15];
	}
	p->entity_id[32] = '\0';
}

const struct procinfo *procinfo_cache__get(struct procinfo_cache *c, uint32_t pid, uint64_t now_ns)
{
	struct procinfo *p = &c->slot[pid % PROCINFO_SLOTS];
	uint64_t ppid, start;
	char path[96], stat[1024];
	ssize_t n;

	if (!pid)
		return NULL;
	if (p->pid == pid && now_ns - p->checked_ns < PROCINFO_TTL_NS)
		return p->gone ? NULL : p;
	snprintf(path, sizeof(path), "%s/%u/stat", c->root, pid);
	n = procfs__read(path, stat, sizeof(stat));
	if (n <= 0 || procfs__stat_field(stat, 4, &ppid) || procfs__stat_field(stat, 22, &start)) {
		p->pid = pid;
		p->gone = true;
		p->checked_ns = now_ns;
		p->gen++;
		return NULL;
	}
	if (p->pid == pid && !p->gone && p->start_ticks == start) {
		/* The same process: only its parent may have changed. */
		if (p->ppid != (uint32_t)ppid)
			p->gen++;
		p->ppid = (uint32_t)ppid;
		p->checked_ns = now_ns;
		return p;
	}
	p->pid = pid;
	p->gone = false;
	p->ppid = (uint32_t)ppid;
	p->start_ticks = start;
	p->checked_ns = now_ns;
	p->gen++;
	read_cmdline(c, p);
	read_exe(c, p);
	entity_id(c, p);
	return p;
}
