// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* face.c - the start-up every face shares (see face.h). */
#include <malloc.h>
#include <string.h>
#include <unistd.h>

#include "common/caps.h"
#include "common/diag.h"
#include "common/exitcode.h"
#include "common/face.h"
#include "common/snapshot.h"

/* What to grant instead of running as root, for each kind of face. */
static const char *caps_hint(bool packets)
{
	return packets ? "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN" : "CAP_BPF and CAP_PERFMON";
}

int face__check_setid(bool packets)
{
	if (!caps__check_setid())
		return EXIT_OK;
	diag_error("refusing to run set-user-ID or set-group-ID (real uid %u, effective uid %u): "
		   "run as root or grant %s instead",
		   (unsigned int)getuid(), (unsigned int)geteuid(), caps_hint(packets));
	return EXIT_NOPERM;
}

int face__check_bpf(bool packets)
{
	char missing[96];

	if (!caps__check_bpf(packets, missing, sizeof(missing)))
		return EXIT_OK;
	diag_error("not enough privilege (missing %s): run as root, or grant %s "
		   "(CAP_SYS_ADMIN stands for %s)",
		   missing, caps_hint(packets), packets ? "all three" : "both");
	return EXIT_NOPERM;
}

void face__snapshot_said(int err, const struct snapshot_stats *st, bool verbose)
{
	if (err)
		diag_warn("cannot look for connections open at start: %s", strerror(-err));
	else if (st->denied && !caps__can_inspect_processes())
		diag_warn("could not take the sockets of %u process%s (CAP_SYS_PTRACE and "
			  "CAP_DAC_READ_SEARCH needed): "
			  "their connections open at start are not attributed",
			  st->denied, st->denied == 1 ? "" : "es");
	if (!err && verbose && !st->iter_err)
		diag_info("%u TCP sockets were open at start (found by the kernel's iterators, "
			  "%u process%s read through /proc)",
			  st->sockets, st->scanned, st->scanned == 1 ? "" : "es");
	else if (!err && verbose)
		diag_info("%u TCP sockets were open at start (found through /proc: the kernel's "
			  "iterators could not run: %s)",
			  st->sockets, strerror(-st->iter_err));
}

int face__drop_privileges(int bpf_fd)
{
	int err = caps__drop(bpf_fd);

#ifdef __GLIBC__
	/*
	 * Start-up is over here too.  libbpf parsed the kernel's BTF for each
	 * object it loaded (megabytes each, freed), and glibc keeps freed heap
	 * mapped: give it back now, before the banner (start-up's cost), or a
	 * monitor that runs for months holds it all along.
	 */
	malloc_trim(0);
#endif

	if (!err)
		return EXIT_OK;
	diag_error("cannot drop capabilities: %s", strerror(-err));
	return EXIT_FAILURE_RUNTIME;
}
