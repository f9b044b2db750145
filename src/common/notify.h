/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * notify.h - telling the service manager how we are (systemd's notify
 * protocol, sd_notify(3)): one datagram of "KEY=VALUE" lines to the unix
 * socket named by $NOTIFY_SOCKET, for a Type=notify unit.  Written here
 * rather than linked from libsystemd: the protocol is small and stable, and
 * the binary stays free of it (and static).
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

struct notify;

/*
 * The manager's socket from the environment.  0 with *@out NULL when none
 * was given (not run by a service manager); 0 with *@out set; or a negative
 * errno with *@out NULL when one was given but cannot be used (-EINVAL: not
 * an absolute path or an abstract "@name", or too long).  The variables are
 * removed from the environment: children must not talk for us.
 */
int notify__new(struct notify **out);

/*
 * Send @state ("READY=1", "STATUS=...", several lines at once).  0 or a
 * negative errno; nothing happens (0) for a NULL @n.  Never blocks.
 */
int notify__send(struct notify *n, const char *state);

/* $WATCHDOG_USEC when it was meant for us ($WATCHDOG_PID ours or unset), else 0. */
uint64_t notify__watchdog_usec(const struct notify *n);

/* Why notify__new() refused the socket it was given. */
const char *notify__strerror(int err);

void notify__free(struct notify *n);

#endif
