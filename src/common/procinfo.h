/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * procinfo.h - what /proc says of an event's process when the event is
 * written, for the JSON output: its parent now (a daemon's child re-parented
 * to PID 1 says so), its command line and a stable identity across PID reuse
 * (process.entity_id), its executable.  /proc/PID/exe needs ptrace access,
 * which socket-snoop gives up with its capabilities after start: the
 * executable comes from the task_exe iterator (task_exe.bpf.h) when given
 * one, else from that link where it can be read.  Read once per process and
 * kept in a table of fixed size (PROCINFO_SLOTS, by PID: bounded memory whatever the
 * number of processes); the parent is read again after PROCINFO_TTL_NS.
 *
 * Every byte comes from the process: its command line is arbitrary bytes,
 * kept bounded and left for the writer to escape.  A process that is gone
 * gets what the kernel recorded.
 */
#ifndef PROCINFO_H
#define PROCINFO_H

#include <stdbool.h>
#include <stdint.h>

#define PROCINFO_SLOTS 1024
#define PROCINFO_CMDLINE_MAX 1024 /* bytes of the command line kept */
#define PROCINFO_EXE_MAX 1024	  /* bytes of the executable's path: a longer one is left out */
#define PROCINFO_TTL_NS 1000000000ull
/* 32 hexadecimal digits of SHA-1(boot id, PID, start time), and a NUL. */
#define PROCINFO_ENTITY_ID_SIZE 33

struct procinfo {
	uint32_t pid;
	uint32_t ppid;	      /* the parent when last read */
	uint64_t start_ticks; /* field 22 of /proc/PID/stat: the start after boot */
	uint64_t checked_ns;  /* when the parent was last read (the caller's clock) */
	uint32_t gen;	      /* changes whenever anything below does */
	uint32_t args_count;  /* arguments of the command line, all of them */
	uint16_t cmdline_len; /* bytes in cmdline: arguments joined by spaces, cut */
	uint16_t exe_len;     /* bytes in exe; 0: not known */
	bool gone;	      /* no such process when last read */
	char entity_id[PROCINFO_ENTITY_ID_SIZE];
	char cmdline[PROCINFO_CMDLINE_MAX];
	char exe[PROCINFO_EXE_MAX]; /* the executable's path, no NUL: any bytes but NUL */
};

struct procinfo_cache;

/*
 * A cache reading @proc_root ("/proc", the host's: only in the initial PID
 * namespace do its PIDs mean the events').  0, or -ENOMEM.
 */
int procinfo_cache__new(struct procinfo_cache **out, const char *proc_root);
void procinfo_cache__free(struct procinfo_cache *c);

/*
 * Read executables through @prog_fd, the task_exe iterator program (a
 * negative fd: through /proc/PID/exe only).  After a read that shows the
 * kernel did not keep to one task (no task filter: before Linux 6.1), the
 * iterator is no longer used.
 */
void procinfo_cache__set_exe_iter(struct procinfo_cache *c, int prog_fd);

/*
 * Process @pid at time @now_ns (any monotonic clock the caller keeps to): from
 * the table while its parent was read less than PROCINFO_TTL_NS ago, else
 * read again (a new start time is another process: everything is read).
 * NULL when /proc has no such process.
 */
const struct procinfo *procinfo_cache__get(struct procinfo_cache *c, uint32_t pid, uint64_t now_ns);

#endif
