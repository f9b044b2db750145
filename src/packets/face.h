/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * face.h - what tcpsnoop and tcptop share around their own loop callbacks:
 * the command line's outcome, the BPF side opened as every face opens it
 * (common/face.h), and the end of the run.
 */
#ifndef PACKETS_FACE_H
#define PACKETS_FACE_H

#include <stdio.h>
#include "common/loop.h"
#include "packets/cli.h"

struct packets_config;
struct packets_loader;
struct sink;

/*
 * Act on what the command line of face @face asked for: --help (@usage on
 * stderr, as the originals printed it), --version, a usage error @err (then
 * the usage).  -1 when the face is to run, else its exit status.
 */
int packets_face__cli(const char *face, enum cli_action action, const char *err,
		      void (*usage)(FILE *out));

/*
 * Load and attach the BPF side for @pk, take the start-up snapshot, drop
 * every capability.  NULL with *@rc the exit status on failure (said).
 */
struct packets_loader *packets_face__open(const struct packets_config *pk, int *rc);

/*
 * Run the loop on @pl's ring buffer, then give standard output @out a
 * moment to take what is queued (a reader that stopped reading cannot hang
 * us).  The exit status; *@out_gone is set when the reader went away.
 */
int packets_face__run(struct packets_loader *pl, const struct loop_callbacks *cb, void *ctx,
		      struct sink *out, bool *out_gone);

#endif
