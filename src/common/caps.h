/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * caps.h - privilege at start-up and after it: refuse set-id copies, check
 * the capabilities loading needs, drop every capability once attached.
 */
#ifndef CAPS_H
#define CAPS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * 0, or -EPERM when the real and effective user or group ids differ: a
 * set-user-ID or set-group-ID copy, which would let its caller trace every
 * connection and append to files it may not write (-o).  Call before
 * anything is opened.
 */
int caps__check_setid(void);

/*
 * 0 when the capabilities loading needs are effective: CAP_BPF and CAP_PERFMON
 * (tracing programs), with @packets also CAP_NET_ADMIN (cgroup_skb programs);
 * CAP_SYS_ADMIN stands for any of them, as in the kernel.  Else -EPERM with
 * the missing ones named in @missing ("CAP_PERFMON and CAP_NET_ADMIN").
 */
int caps__check_bpf(bool packets, char *missing, size_t size);

/*
 * 1 when CAP_SYS_ADMIN is effective: what libbpf's walk of kernel-module BTF
 * (BPF_BTF_GET_NEXT_ID) needs.
 */
int caps__can_walk_module_btf(void);

/*
 * 1 when CAP_NET_ADMIN (or CAP_SYS_ADMIN) is effective: what loading and
 * attaching a cgroup_skb program needs besides CAP_BPF (socket-snoop's
 * copies of DNS over TCP).
 */
int caps__can_attach_packet_programs(void);

/*
 * 1 when CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH are effective: what looking
 * into every process's descriptors at start-up needs.
 */
int caps__can_inspect_processes(void);

/*
 * Once attached, the outputs open and the start-up snapshot taken: empty the
 * effective, permitted, inheritable, ambient and (with CAP_SETPCAP) bounding
 * sets and set no_new_privs.  CAP_BPF (or CAP_SYS_ADMIN) stays only on a
 * kernel that refuses bpf() on @bpf_fd, a held map fd, without it (before
 * 6.5 with unprivileged BPF disabled).  Raises the reader's priority first,
 * while CAP_SYS_NICE is held.  0 or a negative errno.
 */
int caps__drop(int bpf_fd);

/*
 * Empty the calling thread's effective, permitted and inheritable sets:
 * capabilities are a thread's own, and a thread started before caps__drop()
 * would keep what the process had.  For helper threads that need none.  0 or
 * a negative errno.
 */
int caps__drop_thread(void);

#endif
