// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* face.c - what tcpsnoop and tcptop share (see face.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "common/diag.h"
#include "common/exitcode.h"
#include "common/face.h"
#include "common/sink.h"
#include "common/snapshot.h"
#include "packets/face.h"
#include "packets/loader.h"

/* Time a slow reader of standard output is given at exit before the rest is dropped. */
#define EXIT_DRAIN_MS 2000

int packets_face__cli(const char *face, enum cli_action action, const char *err,
		      void (*usage)(FILE *out))
{
	switch (action) {
	case CLI_HELP:
		/* The originals printed their usage on stderr; asking for it is no error here. */
		usage(stderr);
		return EXIT_OK;
	case CLI_VERSION:
		printf("%s (socket-snoop %s, libbpf %s)\n", face, SNOOP_VERSION,
		       libbpf_version_string());
		return EXIT_OK;
	case CLI_ERROR:
		diag_error("%s", err);
		usage(stderr);
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	return -1;
}

struct packets_loader *packets_face__open(const struct packets_config *pk, int *rc)
{
	struct loader_error lerr = {};
	struct snapshot_stats st;
	struct packets_loader *pl;

	*rc = face__check_bpf(true);
	if (*rc)
		return NULL;
	/* A reader that goes away must not kill us: write() reports EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	pl = packets_loader__new(pk, &lerr);
	if (!pl) {
		diag_error("%s", lerr.msg);
		*rc = lerr.exit_code;
		return NULL;
	}
	if (packets_loader__unavailable(pl))
		diag_warn("%s", packets_loader__unavailable(pl));
	face__snapshot_said(packets_loader__snapshot(pl, &st), &st, false);
	/* tcptop's /proc/loadavg is world-readable: nothing later needs a capability. */
	*rc = face__drop_privileges(packets_loader__ringbuf_fd(pl));
	if (*rc) {
		packets_loader__free(pl);
		return NULL;
	}
	return pl;
}

int packets_face__run(struct packets_loader *pl, const struct loop_callbacks *cb, void *ctx,
		      struct sink *out, bool *out_gone)
{
	int ring = packets_loader__ringbuf_fd(pl);
	int err = loop__run(&ring, 1, 0, cb, ctx, NULL, NULL);

	if (err < 0)
		diag_error("event loop failed: %s", strerror(-err));
	cb->on_batch(ctx);
	if (!*out_gone && sink__drain(out, EXIT_DRAIN_MS) == -EPIPE)
		*out_gone = true;
	return err < 0 ? EXIT_FAILURE_RUNTIME : EXIT_OK;
}
