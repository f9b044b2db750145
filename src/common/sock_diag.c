// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* sock_diag.c - TCP socket dumps through NETLINK_SOCK_DIAG (see sock_diag.h). */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "common/procfs.h"
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

/*
 * The states tcp_states__count() dumps: the gauge's, but ESTABLISHED and
 * TIME_WAIT (counted by the kernel) and nothing above them.  The bit after
 * the last state, TCP_BOUND_INACTIVE (sockets bound but neither listening
 * nor connected, which the gauge does not show), makes the kernel walk its
 * bind table as well, lock every bucket that holds a port: at 10,000
 * connections that walk was a third of a scrape (docs/BENCHMARKS.md).
 */
#define TCP_DUMPED_STATES                     \
	(((1u << SNOOP_TCP_MAX_STATES) - 1) & \
	 ~((1u << SNOOP_TCP_ESTABLISHED) | (1u << SNOOP_TCP_TIME_WAIT)))

/* What the dump of tcp_states__count() finds. */
struct state_counts {
	uint64_t *counts;
	uint64_t fin_wait2_tw; /* FIN_WAIT2 sockets that are time-wait sockets */
};

static int count_one(const struct inet_diag_msg *m, void *ctx)
{
	struct state_counts *c = ctx;

	/* Only the states asked for come back (TCP_DUMPED_STATES). */
	if (m->idiag_state >= SNOOP_TCP_MAX_STATES || !(TCP_DUMPED_STATES & (1u << m->idiag_state)))
		return -EPROTO;
	/* Half-open connections come as SYN_RECV, as ss(8) shows them. */
	c->counts[m->idiag_state]++;
	/* A time-wait socket's timer is 3 (ss's "timewait"); its state, its substate. */
	if (m->idiag_state == SNOOP_TCP_FIN_WAIT2 && m->idiag_timer == 3)
		c->fin_wait2_tw++;
	return 0;
}

/* The value of column @name of the "@proto: " rows of /proc/net/snmp text @snmp. */
static int snmp_value(const char *snmp, const char *proto, const char *name, uint64_t *out)
{
	size_t plen = strlen(proto);
	const char *head = NULL, *vals = NULL, *at = snmp;

	/* Two rows with the same prefix: the column names, then their values. */
	for (; at && *at; at = strchr(at, '\n'), at = at ? at + 1 : NULL) {
		if (strncmp(at, proto, plen) != 0 || at[plen] != ':')
			continue;
		if (!head) {
			head = at;
		} else {
			vals = at;
			break;
		}
	}
	if (!head || !vals)
		return -ENOENT;
	head += plen + 1;
	vals += plen + 1;
	for (;;) {
		size_t hn, vn;

		head += strspn(head, " ");
		vals += strspn(vals, " ");
		hn = strcspn(head, " \n");
		vn = strcspn(vals, " \n");
		if (!hn || !vn)
			return -ENOENT;
		if (hn == strlen(name) && !strncmp(head, name, hn)) {
			char num[32], *end;

			if (vn >= sizeof(num) || vals[0] < '0' || vals[0] > '9')
				return -EINVAL;
			memcpy(num, vals, vn);
			num[vn] = '\0';
			errno = 0;
			*out = strtoull(num, &end, 10);
			return errno || *end ? -EINVAL : 0;
		}
		head += hn;
		vals += vn;
	}
}

/* "tw" of the "TCP:" line of /proc/net/sockstat text @sockstat: the time-wait sockets. */
static int sockstat_tw(const char *sockstat, uint64_t *out)
{
	const char *line = strstr(sockstat, "\nTCP: "), *end, *at;
	char *num_end;

	if (!line)
		return -ENOENT;
	line++;
	end = strchr(line, '\n');
	at = strstr(line, " tw ");
	if (!at || (end && at > end))
		return -ENOENT;
	at += 4;
	if (*at < '0' || *at > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(at, &num_end, 10);
	return errno || (*num_end != ' ' && *num_end != '\n') ? -EINVAL : 0;
}

int tcp_states__count(uint64_t counts[SNOOP_TCP_MAX_STATES])
{
	/*
	 * ESTABLISHED and TIME_WAIT, the states of nearly every socket of a
	 * busy host, are not dumped: the kernel counts them for this namespace
	 * already (CurrEstab of /proc/net/snmp is ESTABLISHED plus CLOSE_WAIT;
	 * "tw" of /proc/net/sockstat every time-wait socket).  The dump skips
	 * their sockets before formatting anything, which is most of its cost:
	 * a scrape at 10,000 connections costs a quarter of what dumping them
	 * all does (docs/BENCHMARKS.md).  The old request (TCPDIAG_GETSOCK)
	 * because the kernel answers it for both families in one walk of its
	 * tables, where SOCK_DIAG_BY_FAMILY takes one per family.  The three
	 * reads are not one instant: a connection that changes state between
	 * them may be counted twice or not at all in that scrape.
	 */
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req req;
	} rq = {
		.nh = { .nlmsg_len = sizeof(rq),
			.nlmsg_type = TCPDIAG_GETSOCK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .idiag_family = AF_INET, .idiag_states = TCP_DUMPED_STATES },
	};
	struct state_counts c = { counts, 0 };
	char buf[4096];
	uint64_t estab_cw = 0, tw = 0;
	int nl, err;

	memset(counts, 0, SNOOP_TCP_MAX_STATES * sizeof(counts[0]));
	if (procfs__read("/proc/self/net/snmp", buf, sizeof(buf)) < 0)
		return -errno;
	err = snmp_value(buf, "Tcp", "CurrEstab", &estab_cw);
	if (err)
		return err;
	if (procfs__read("/proc/self/net/sockstat", buf, sizeof(buf)) < 0)
		return -errno;
	err = sockstat_tw(buf, &tw);
	if (err)
		return err;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	err = sock_diag__dump(nl, &rq, sizeof(rq), count_one, &c);
	close(nl);
	if (err)
		return err;
	counts[SNOOP_TCP_ESTABLISHED] = estab_cw > counts[SNOOP_TCP_CLOSE_WAIT] ?
						estab_cw - counts[SNOOP_TCP_CLOSE_WAIT] :
						0;
	counts[SNOOP_TCP_TIME_WAIT] = tw > c.fin_wait2_tw ? tw - c.fin_wait2_tw : 0;
	return 0;
}
