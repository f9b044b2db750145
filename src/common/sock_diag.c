// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* sock_diag.c - TCP socket dumps through NETLINK_SOCK_DIAG (see sock_diag.h). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "common/sock_diag.h"

int sock_diag__dump(int nl, const void *req, size_t len, sock_diag_fn each, void *ctx)
{
	/* Aligned for struct nlmsghdr: the answers are read in place. */
	static char buf[1 << 16] __attribute__((aligned(NLMSG_ALIGNTO)));
	int ret;

	if (send(nl, req, len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		if (n == 0)
			return -EPROTO;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ?
					       e->error :
					       -EPROTO;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				return -EPROTO;
			ret = each(m, ctx);
			if (ret)
				return ret;
		}
	}
}

static int count_one(const struct inet_diag_msg *m, void *ctx)
{
	uint64_t *counts = ctx;

	/* Half-open connections come as SYN_RECV, as ss(8) shows them. */
	if (m->idiag_state < SNOOP_TCP_MAX_STATES)
		counts[m->idiag_state]++;
	return 0;
}

int tcp_states__count(uint64_t counts[SNOOP_TCP_MAX_STATES])
{
	/*
	 * The old request (TCPDIAG_GETSOCK, struct inet_diag_req): the kernel
	 * answers it for both address families in one walk of its socket
	 * tables, where SOCK_DIAG_BY_FAMILY needs one per family.  The walk
	 * visits every bucket of the established table (262,144 here) whatever
	 * the sockets: one is half the cost of a scrape.
	 */
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req req;
	} rq = {
		.nh = { .nlmsg_len = sizeof(rq),
			.nlmsg_type = TCPDIAG_GETSOCK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .idiag_family = AF_INET, .idiag_states = ~0u },
	};
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int err;

	memset(counts, 0, SNOOP_TCP_MAX_STATES * sizeof(counts[0]));
	if (nl < 0)
		return -errno;
	err = sock_diag__dump(nl, &rq, sizeof(rq), count_one, counts);
	close(nl);
	return err;
}
