// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* notify.c - the service manager's notify protocol (see notify.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/notify.h"
#include "lib/parse.h"

struct notify {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_usec;
};

/* $WATCHDOG_USEC, if $WATCHDOG_PID (when set) is us; 0 when absent or malformed. */
static uint64_t watchdog_from_env(void)
{
	const char *pid = getenv("WATCHDOG_PID"), *usec = getenv("WATCHDOG_USEC");
	uint64_t p, u;

	if (!usec || parse_u64(usec, UINT64_MAX, &u))
		return 0;
	/* Set for another process (we were forked by it, or it execs us): not ours. */
	if (pid && (parse_u64(pid, UINT32_MAX, &p) || p != (uint64_t)getpid()))
		return 0;
	return u;
}

int notify__new(struct notify **out)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct notify *n;
	size_t len;
	int err;

	*out = NULL;
	if (!path) {
		err = 0;
		goto out;
	}
	len = strlen(path);
	/*
	 * An absolute path (its NUL must fit), or "@name" for the abstract
	 * namespace (sun_path holds all of it, '@' becoming the NUL).
	 */
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len > sizeof(((struct sockaddr_un *)0)->sun_path) - (path[0] == '/')) {
		err = -EINVAL;
		goto out;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		err = -ENOMEM;
		goto out;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';
	/* The abstract name is exactly its bytes; a path ends at its NUL. */
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				  (path[0] == '@' ? 0 : 1));
	n->watchdog_usec = watchdog_from_env();
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		err = -errno;
		free(n);
		goto out;
	}
	*out = n;
	err = 0;
out:
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return err;
}

int notify__send(struct notify *n, const char *state)
{
	if (!n)
		return 0;
	/* A manager that is slow to read loses a status, never stalls us (non-blocking). */
	if (sendto(n->fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&n->addr,
		   n->addr_len) < 0)
		return -errno;
	return 0;
}

uint64_t notify__watchdog_usec(const struct notify *n)
{
	return n ? n->watchdog_usec : 0;
}

const char *notify__strerror(int err)
{
	if (err == -EINVAL)
		return "not an absolute path or an abstract socket name (@NAME), or too long";
	return strerror(-err);
}

void notify__free(struct notify *n)
{
	if (!n)
		return;
	close(n->fd);
	free(n);
}
