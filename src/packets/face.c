// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * packets_face.c - the start shared by the packet faces (tcpsnoop, tcptop):
 * privilege, signals, the BPF side and owners of connections open at start,
 * then the capability drop.
 * Top-layer code: it prints its diagnostics itself, prefixed by the face.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/caps.h"
#include "common/exitcode.h"
#include "common/faces.h"
#include "snoop/loader.h"
#include "packets/loader.h"
#include "common/snapshot.h"

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

int packets_face__check_setid(const char *face)
{
	if (!caps__check_setid())
		return 0;
	face_say(face,
		 "refusing to run set-user-ID or set-group-ID (real uid %u, effective uid %u): "
		 "run as root or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN instead",
		 (unsigned int)getuid(), (unsigned int)geteuid());
	return -EPERM;
}

struct packets_loader *packets_face__open(const char *face, const struct packets_config *pk,
					  int *rc)
{
	struct loader_error lerr = {};
	struct snapshot_stats st;
	struct packets_loader *pl;
	char missing[64];
	sigset_t mask;
	int serr;

	if (caps__check_bpf(true, missing, sizeof(missing))) {
		face_say(face,
			 "not enough privilege (missing %s): run as root, or grant CAP_BPF, "
			 "CAP_PERFMON and CAP_NET_ADMIN (CAP_SYS_ADMIN stands for all three)",
			 missing);
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
	/*
	 * Attached, standard output open, snapshot taken: nothing left needs a
	 * capability (tcptop's /proc/loadavg is world-readable).
	 */
	serr = caps__drop(packets_loader__ringbuf_fd(pl));
	if (serr) {
		face_say(face, "cannot drop capabilities: %s", strerror(-serr));
		packets_loader__free(pl);
		*rc = EXIT_FAILURE_RUNTIME;
		return NULL;
	}
	*rc = EXIT_OK;
	return pl;
}
