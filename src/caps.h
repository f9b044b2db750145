/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* caps.h - do we hold the capabilities that loading BPF tracing programs needs? */
#ifndef CAPS_H
#define CAPS_H

/* 0 when CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON, are effective; else -EPERM. */
int caps__check_bpf(void);

/*
 * 1 when CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH are effective: what looking
 * into every process's descriptors at start-up needs.
 */
int caps__can_inspect_processes(void);

#endif
