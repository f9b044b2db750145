/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * exporter.h - --metrics: the Prometheus endpoint of socket-snoop.  Serves
 * /metrics (what the events say, snoop/metrics.h; the event pipeline; the
 * BPF programs' own cost; the process; the host's TCP sockets by state),
 * /healthz and a page linking both, from a common/httpd.h server in the
 * one event loop.  Everything but the event counters is read when scraped,
 * never per event.
 */
#ifndef SNOOP_EXPORTER_H
#define SNOOP_EXPORTER_H

#include <stdbool.h>
#include <stdint.h>
#include "common/config.h"
#include "common/loop.h"
#include "snoop/loader.h"
#include "snoop_abi.h"

struct exporter;

/* What the face knows that the exporter does not: lines its outputs could not take. */
struct exporter_outputs {
	uint64_t console_dropped;
	uint64_t logfile_dropped;
};

/*
 * Bind cfg->metrics_addr now (before anything is loaded: a port in use is
 * an error at once), serve once the loop runs.  0 or a negative errno of
 * bind(2) (-EADDRINUSE, -EADDRNOTAVAIL, -EACCES) or -ENOMEM.
 */
int exporter__new(struct exporter **out, const struct snoop_config *cfg);

/* The programs are loaded: their cost, maps and counters can be read. */
void exporter__set_loader(struct exporter *x, const struct loader *l);

/* Count one event the kernel delivered (every kind, whatever the outputs show). */
void exporter__event(struct exporter *x, const struct snoop_event *e);

/* The ring buffer was read just now (for /healthz), and what the outputs dropped so far. */
void exporter__batch(struct exporter *x, const struct exporter_outputs *o);

/* --config was read again on SIGHUP: @ok, its filters are in use; else the old ones stay. */
void exporter__reloaded(struct exporter *x, bool ok);

/* The server's descriptor and handler, for loop__run(). */
const struct loop_fd *exporter__loop_fd(const struct exporter *x);

/* About once a second: close the connections past their deadline. */
void exporter__tick(struct exporter *x);

void exporter__free(struct exporter *x);

#endif
