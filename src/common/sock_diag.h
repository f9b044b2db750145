/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * sock_diag.h - dumps of the kernel's TCP sockets through NETLINK_SOCK_DIAG:
 * the start-up snapshot's (common/snapshot.c) and the metrics' count by
 * state (tcp_states__count()).  No privilege needed; the sockets of the
 * network namespace the netlink socket was made in.
 */
#ifndef SOCK_DIAG_H
#define SOCK_DIAG_H

#include <stddef.h>
#include <stdint.h>
#include <linux/inet_diag.h>
#include "snoop_abi.h"

/* Called for each socket; a nonzero return stops the dump and is returned. */
typedef int (*sock_diag_fn)(const struct inet_diag_msg *m, void *ctx);

/*
 * Send the dump request @req (@len bytes, a struct nlmsghdr and its body) on
 * netlink socket @nl and call @each for every socket it answers with.  0, a
 * negative errno (-EAGAIN when interrupted: ask again), or @each's return.
 */
int sock_diag__dump(int nl, const void *req, size_t len, sock_diag_fn each, void *ctx);

/*
 * How many TCP sockets of this network namespace are in each state, as
 * node_exporter's tcpstat collector counts them (TIME_WAIT and half-open
 * SYN_RECV included; a time-wait socket closed in FIN_WAIT2 as FIN_WAIT2),
 * into @counts (zeroed first): ESTABLISHED and TIME_WAIT from the kernel's
 * own counts (/proc/net/snmp, /proc/net/sockstat), the other states from a
 * dump of their sockets.  0 or a negative errno.
 */
int tcp_states__count(uint64_t counts[SNOOP_TCP_MAX_STATES]);

#endif
