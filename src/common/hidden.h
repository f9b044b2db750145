/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * hidden.h - counting the TCP state transitions the kernel makes without
 * running any BPF program and without counting a miss.
 *
 * Some kernels (the Firecracker build these machines run, "-fc-" in its
 * release) run no BPF program while the current task belongs to thread group
 * 1, the VM's init, unless init loaded the program: bpf_trace_run*() tests
 * current->tgid == 1 and prog->aux->init_owned before its recursion check.
 * A softirq that interrupts one of init's threads makes its transitions
 * unseen by every BPF program, ours and any other tool's.  The kernel's own
 * perf counter of the sock:inet_sock_set_state tracepoint is not a BPF
 * program and still counts them: one counter per thread of PID 1 (inherited
 * by the threads they start) counts the TCP transitions made while one of
 * them was current.  Our programs count the same transitions they did see
 * (SNOOP_STAT_SEEN_INIT); the difference is what the kernel hid.  On a
 * kernel that hides nothing the two are equal and the count stays 0.
 */
#ifndef HIDDEN_H
#define HIDDEN_H

#include <stdint.h>

struct hidden;

/*
 * Open the counters; call with the privileges of start-up (CAP_PERFMON, and
 * CAP_SYS_PTRACE or the same user as PID 1; CAP_SYS_ADMIN when tracefs is not
 * mounted).  0, or a negative errno: -ENOENT (no such tracepoint or no
 * tracefs), -EACCES/-EPERM (not allowed), -EOPNOTSUPP (in a PID namespace
 * of our own, where /proc/1 is not the host's init), -ENOMEM, -EMFILE.
 */
int hidden__new(struct hidden **out);

/* Why hidden__new() failed, for a message (@err negative). */
const char *hidden__strerror(int err);

/* TCP transitions made so far while a thread of PID 1 was current. */
uint64_t hidden__made(const struct hidden *h);

void hidden__free(struct hidden *h);

#endif
