// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* check.c - socket-snoop --check: what this machine offers, and whether it would run (check.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "common/caps.h"
#include "common/diag.h"
#include "common/exitcode.h"
#include "common/hidden.h"
#include "common/procfs.h"
#include "common/snapshot.h"
#include "common/target.h"
#include "snoop/check.h"
#include "snoop/loader.h"

/* -j: each line of the report a JSON object, as diagnostics are. */
static bool json;

/* One line of the report (@fmt ends in a newline). */
__attribute__((format(printf, 2, 3))) static void say(FILE *out, const char *fmt, ...)
{
	char line[1024], obj[4096];
	size_t len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (!json) {
		fputs(line, out);
		return;
	}
	if (n && line[n - 1] == '\n')
		n--;
	len = diag__json_line(obj, sizeof(obj), "info", "socket-snoop", line, (size_t)n,
			      clock__wall_ns());
	fwrite(obj, 1, len, out);
}

/* A sysctl's value, first line, or "unknown". */
static const char *sysctl_value(const char *path, char *buf, size_t size)
{
	ssize_t n = procfs__read(path, buf, size);

	if (n <= 0)
		return "unknown";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The capabilities socket-snoop uses, each with what it serves. */
static void print_privileges(FILE *out)
{
	char missing[96], v[32];
	int bpf = caps__check_bpf(false, missing, sizeof(missing));

	say(out, "Privileges:\n");
	say(out,
	    "  load and attach the programs (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN): %s%s\n",
	    bpf ? "no, missing " : "yes", bpf ? missing : "");
	bpf = caps__check_bpf(true, missing, sizeof(missing));
	say(out, "  tcpsnoop and tcptop (CAP_NET_ADMIN too): %s%s\n", bpf ? "no, missing " : "yes",
	    bpf ? missing : "");
	say(out,
	    "  connections open at start through /proc, when the iterators cannot run "
	    "(CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH): %s\n",
	    caps__can_inspect_processes() == 1 ? "yes" : "no");
	say(out, "  kernel-module BTF (CAP_SYS_ADMIN; vmlinux BTF is enough): %s\n",
	    caps__can_walk_module_btf() == 1 ? "yes" : "no");
	say(out, "  kernel.unprivileged_bpf_disabled: %s\n",
	    sysctl_value("/proc/sys/kernel/unprivileged_bpf_disabled", v, sizeof(v)));
	say(out, "  kernel.bpf_stats_enabled (--metrics counts program runs and time when 1): %s\n",
	    sysctl_value("/proc/sys/kernel/bpf_stats_enabled", v, sizeof(v)));
}

/* loader__print_features()'s lines, through say(): JSON objects too with -j. */
static void say_features(FILE *out)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	loader__print_features(mem, "  ");
	fclose(mem);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		say(out, "%s\n", line);
	free(text);
}

/* The kernel, and what socket-snoop's options need around it. */
static void print_kernel(FILE *out)
{
	struct utsname u;
	char root[256];

	if (!uname(&u))
		say(out, "Kernel: %s %s %s\n", u.sysname, u.release, u.machine);
	say(out, "Kernel features:\n");
	say_features(out);
	say(out, "  cgroup v2 (units, containers and pods, --unit, --container): %s\n",
	    target__cgroup2_mount(root, sizeof(root)) ? "no" : root);
	say(out, "  initial PID namespace (JSON's command line, executable, entity id): %s\n",
	    target__initial_pid_ns() ? "yes" : "no");
}

/*
 * Load and attach what @cfg asks for, as a start would, and say what it got:
 * the exit status a start would have.
 */
static int print_would_use(const struct snoop_config *cfg, FILE *out)
{
	struct loader_error err = { 0 };
	struct snapshot_source src;
	struct loader *l;
	const char *why;
	bool less;

	say(out, "With these options socket-snoop would use:\n");
	l = loader__new(cfg, &err);
	if (!l) {
		say(out, "  nothing: %s\n", err.msg);
		say(out, "Verdict: socket-snoop would not run (exit %d): %s\n", err.exit_code,
		    err.msg);
		return err.exit_code;
	}
	why = loader__fallback_reason(l);
	less = loader__mode(l) != ATTACH_TP_BTF;
	if (!less)
		say(out, "  programs: tp_btf (typed tracepoints, socket storage)\n");
	else
		say(out, "  programs: raw_tp, the fallback build%s%s\n",
		    why && *why ? ": tp_btf failed: " : "", why && *why ? why : "");
	for (int i = 0; loader__unavailable(l, i); i++) {
		say(out, "  without the tracepoint %s: its events are not reported\n",
		    loader__unavailable(l, i));
		less = true;
	}
	if (!cfg->no_dns) {
		const char *tcp = loader__dns_tcp_missing(l);

		say(out, "  host names: from DNS over UDP%s%s\n",
		    tcp ? " only, not TCP: " : " and TCP", tcp ? tcp : "");
		less |= tcp != NULL;
	}
	loader__snapshot_source(l, &src);
	less |= src.owners_iter_fd < 0 || src.sockets_iter_fd < 0;
	say(out, "  connections open at start: %s\n",
	    src.owners_iter_fd >= 0 && src.sockets_iter_fd >= 0 ?
		    "found by the kernel's iterators" :
		    "found through /proc (the kernel's iterators cannot run here)");
	if (cfg->json) {
		bool iter = loader__exe_iter_fd(l) >= 0;

		say(out, "  process.executable: %s\n",
		    iter ? "read by the task_exe iterator" :
			   "read through /proc/PID/exe (only processes of socket-snoop's user)");
		less |= !iter;
	}
	if (cfg->metrics) {
		bool refused = loader__owner_records_error(l) != 0;

		say(out, "  owner records metric: %s\n",
		    refused ? "no (the counting iterator is refused)" : "yes");
		less |= refused;
	}
	if (cfg->filter.kinds_mask & SNOOP_EV_STATE) {
		int hidden = loader__hidden_error(l);

		say(out, "  transitions hidden by the kernel: %s%s\n",
		    hidden ? "not counted: " : "counted", hidden ? hidden__strerror(hidden) : "");
		less |= hidden != 0;
	}
	loader__free(l);
	say(out, "Verdict: socket-snoop would run (exit 0)%s\n",
	    less ? ", with less than this kernel could give (above)" : ", with everything");
	return EXIT_OK;
}

int check__run(const struct snoop_config *cfg, FILE *out)
{
	char missing[96];
	int rc;

	json = cfg->json;
	say(out, "socket-snoop %s (libbpf %s): what this machine offers\n", SNOOP_VERSION,
	    libbpf_version_string());
	print_kernel(out);
	print_privileges(out);
	if (caps__check_bpf(false, missing, sizeof(missing))) {
		say(out,
		    "Verdict: socket-snoop would not run (exit %d): not enough privilege "
		    "(missing %s)\n",
		    EXIT_NOPERM, missing);
		rc = EXIT_NOPERM;
	} else {
		rc = print_would_use(cfg, out);
	}
	fflush(out);
	return rc;
}
