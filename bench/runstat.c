// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * runstat - run a command and measure it for bench/run.sh.
 *
 *   runstat -o STATS [-f FILE -m TEXT [-r READY]] -- COMMAND [ARG...]
 *
 * Starts COMMAND (its stdin, stdout and stderr are runstat's: the caller redirects them)
 * and measures what a shell cannot measure precisely:
 *  - start-up: the time from just before fork() to TEXT appearing in FILE (typically the
 *    file the command's stderr goes to), found by polling FILE every 0.5 ms. When TEXT
 *    appears, READY is written (atomically, by rename) with the command's pid and the
 *    start-up time, so the caller knows it may start the workload.
 *  - CPU time (user and system) and peak RSS of the command, from wait4()'s rusage:
 *    exact, and taken after the command has finished its shutdown work.
 * SIGINT, SIGTERM and SIGHUP sent to runstat are forwarded to the command. The command
 * starts with default dispositions for them even when runstat was started with them
 * ignored (as a non-interactive shell does for its background jobs).
 *
 * STATS is one line: pid=N exit=N signal=N startup_ms=F wall_s=F user_s=F sys_s=F
 * cpu_s=F maxrss_kb=N (startup_ms=-1 when TEXT never appeared). runstat exits with the
 * command's exit code, 128+N when a signal N killed it, 127 when it could not be started.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP };

/* Passes a stop request on to the command. */
static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_secs(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: runstat -o STATS [-f FILE -m TEXT [-r READY]] -- COMMAND [ARG...]\n");
}

/*
 * Incremental search of a text in a growing file. The last len(text)-1 bytes of each read
 * are kept so that a match straddling two reads is found.
 */
struct watch {
	const char *path;
	const char *text;
	size_t text_len;
	int fd;
	size_t kept;
	char buf[8192];
};

/* Returns 1 once the text has appeared in the file, else 0 (the file may not exist yet). */
static int watch__poll(struct watch *w)
{
	ssize_t n;

	if (w->fd < 0) {
		w->fd = open(w->path, O_RDONLY | O_CLOEXEC);
		if (w->fd < 0)
			return 0;
	}
	for (;;) {
		n = read(w->fd, w->buf + w->kept, sizeof(w->buf) - w->kept);
		if (n <= 0)
			return 0;
		w->kept += (size_t)n;
		if (memmem(w->buf, w->kept, w->text, w->text_len))
			return 1;
		if (w->kept >= w->text_len) {
			size_t keep = w->text_len - 1;

			memmove(w->buf, w->buf + w->kept - keep, keep);
			w->kept = keep;
		}
	}
}

/* Writes the ready file atomically so that a reader never sees it half written. */
static int write_ready(const char *path, pid_t pid, double startup_ms)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "pid=%d startup_ms=%.3f\n", (int)pid, startup_ms);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

/* Starts the command with default signal dispositions and an empty signal mask. */
static pid_t spawn(char **argv, const sigset_t *oldmask)
{
	pid_t pid = fork();
	size_t i;

	if (pid != 0)
		return pid;
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "runstat: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	const struct timespec tick = { .tv_nsec = 500 * 1000 };
	struct watch w = { .fd = -1 };
	const char *stats_path = NULL, *ready_path = NULL;
	struct sigaction sa = { .sa_handler = forward_signal };
	sigset_t block, oldmask;
	double t0, t_ready = -1, t_end;
	struct rusage ru;
	int opt, status = 0, code;
	pid_t pid, r;
	FILE *out;
	size_t i;

	while ((opt = getopt(argc, argv, "+o:f:m:r:h")) != -1) {
		switch (opt) {
		case 'o':
			stats_path = optarg;
			break;
		case 'f':
			w.path = optarg;
			break;
		case 'm':
			w.text = optarg;
			break;
		case 'r':
			ready_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (optind >= argc || !stats_path || !w.path != !w.text || (w.text && !*w.text) ||
	    (ready_path && !w.text)) {
		usage(stderr);
		return 64;
	}
	w.text_len = w.text ? strlen(w.text) : 0;

	/* Block the forwarded signals until the child's pid is known. */
	sigemptyset(&block);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		sigaddset(&block, forwarded[i]);
		sigaction(forwarded[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &oldmask);

	t0 = now_secs();
	pid = spawn(argv + optind, &oldmask);
	if (pid < 0) {
		fprintf(stderr, "runstat: fork: %s\n", strerror(errno));
		return 127;
	}
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);

	/* Poll for the start-up text while the command runs. */
	for (;;) {
		r = wait4(pid, &status, WNOHANG, &ru);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "runstat: wait4: %s\n", strerror(errno));
			return 127;
		}
		if (!w.text || t_ready >= 0) {
			/* Nothing left to watch: block until the command ends. */
			r = wait4(pid, &status, 0, &ru);
			if (r == pid)
				break;
			continue;
		}
		if (watch__poll(&w)) {
			t_ready = now_secs();
			if (ready_path && write_ready(ready_path, pid, (t_ready - t0) * 1e3))
				fprintf(stderr, "runstat: cannot write %s: %s\n", ready_path,
					strerror(errno));
			continue;
		}
		nanosleep(&tick, NULL);
	}
	t_end = now_secs();
	/* The text may have been written just before a quick exit. */
	if (w.text && t_ready < 0 && watch__poll(&w))
		t_ready = t_end;
	if (w.fd >= 0)
		close(w.fd);

	if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	else
		code = WEXITSTATUS(status);
	out = fopen(stats_path, "w");
	if (!out) {
		fprintf(stderr, "runstat: cannot write %s: %s\n", stats_path, strerror(errno));
		return code;
	}
	fprintf(out,
		"pid=%d exit=%d signal=%d startup_ms=%.3f wall_s=%.3f user_s=%.3f sys_s=%.3f "
		"cpu_s=%.3f maxrss_kb=%ld\n",
		(int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		t_ready >= 0 ? (t_ready - t0) * 1e3 : -1.0, t_end - t0, tv_secs(ru.ru_utime),
		tv_secs(ru.ru_stime), tv_secs(ru.ru_utime) + tv_secs(ru.ru_stime), ru.ru_maxrss);
	if (fclose(out))
		fprintf(stderr, "runstat: cannot write %s\n", stats_path);
	return code;
}
