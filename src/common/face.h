/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * face.h - the start-up every face shares, in the order it runs: refuse a
 * set-id start, check the capabilities loading needs, say what the start-up
 * snapshot could not see, drop every capability.  Each step says what went
 * wrong through diag.h and returns the exit status to end with (0: go on).
 */
#ifndef COMMON_FACE_H
#define COMMON_FACE_H

#include <stdbool.h>

struct snapshot_stats;

/*
 * Before an option is read or a file opened: a set-id copy must not lend its
 * owner's rights.  @packets: the face needs CAP_NET_ADMIN too (for the hint).
 */
int face__check_setid(bool packets);

/* The capabilities loading needs (see caps.h), naming those missing. */
int face__check_bpf(bool packets);

/* The start-up snapshot's outcome @err and @st, said once; -v adds the count. */
void face__snapshot_said(int err, const struct snapshot_stats *st, bool verbose);

/*
 * Attached, outputs open, snapshot taken: nothing left needs a capability
 * (caps__drop()), and the heap start-up used is given back.
 */
int face__drop_privileges(int bpf_fd);

#endif
