/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * check.h - socket-snoop --check: a report of what this kernel offers (BTF,
 * each tracepoint, attach methods, map types, iterators, cgroup v2), the
 * privileges held, and what a start with the other options given would use
 * and go without, found by loading and attaching the programs as that start
 * would (and then letting them go).  Needs no output, writes no file.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

#include "common/config.h"

/*
 * Write the report to @out.  The exit status a start with @cfg would have
 * for the kernel and privileges: EXIT_OK when it would run, else
 * EXIT_NOPERM, EXIT_UNAVAILABLE or EXIT_FAILURE_RUNTIME.
 */
int check__run(const struct snoop_config *cfg, FILE *out);

#endif
