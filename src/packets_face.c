// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * packets_face.c - the start shared by the packet faces (tcpsnoop, tcptop):
 * privilege, signals, the BPF side and owners of connections open at start.
 * Top-layer code: it prints its diagnostics itself, prefixed by the face.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "exitcode.h"
#include "faces.h"
#include "loader.h"
#include "packets.h"
#include "snapshot.h"

static void face_say(const char *face, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void face_say(const char *face, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", face);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct packets_loader *packets_face__open(const char *face, const struct packets_config *pk,
					  int *rc)
{
	struct loader_error lerr = {};
	struct snapshot_stats st;
	struct packets_loader *pl;
	sigset_t mask;
	int serr;

	if (caps__check_bpf()) {
		face_say(face, "not enough privilege: run as root, or grant CAP_BPF, CAP_PERFMON "
			       "and CAP_NET_ADMIN (CAP_SYS_ADMIN on kernels before 5.8)");
		*rc = EXIT_NOPERM;
		return NULL;
	}
	/* A reader that goes away must not kill us: write() reports EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	/* Held from now on for the loop's signalfd: a signal sent once we print stops us cleanly. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	pl = packets_loader__new(pk, &lerr);
	if (!pl) {
		face_say(face, "%s", lerr.msg);
		*rc = lerr.exit_code;
		return NULL;
	}
	if (packets_loader__unavailable(pl))
		face_say(face,
			 "this kernel lacks the tracepoint %s: packets answering closed ports "
			 "(<closed>) are not shown",
			 packets_loader__unavailable(pl));
	serr = packets_loader__snapshot(pl, &st);
	if (serr)
		face_say(face, "cannot look for connections open at start: %s", strerror(-serr));
	else if (st.denied && !caps__can_inspect_processes())
		face_say(face,
			 "could not take the sockets of %u processes (CAP_SYS_PTRACE and "
			 "CAP_DAC_READ_SEARCH needed): "
			 "their connections open at start are not attributed",
			 st.denied);
	*rc = EXIT_OK;
	return pl;
}
