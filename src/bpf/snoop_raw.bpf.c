// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * snoop_raw.bpf.c - the raw-tracepoint build of snoop.bpf.c, for kernels that
 * refuse tp_btf: the same handlers over raw_tp, owners in an LRU hash keyed by
 * the socket's address instead of socket storage.
 */
#define SNOOP_RAW_TP
#include "snoop.bpf.c"
