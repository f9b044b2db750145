/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * dns.bpf.h - copies of DNS messages for the host name a process asked for
 * (issue 15): a query leaving a device (net/net_dev_queue), a response
 * arriving on one (net/netif_receive_skb), UDP port 53.  Only bytes
 * are copied here; user space matches responses to queries and parses them
 * (src/snoop/resolved.c).  Its own ring, so that no flood of port 53
 * traffic can take room from the TCP events, and a rate per CPU, so that
 * none can take the reader's time.
 */
#ifndef DNS_BPF_H
#define DNS_BPF_H

#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} dns_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SNOOP_DNS_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} dns_stats SEC(".maps");

/* A message being copied (too large for the stack), and the CPU's rate window. */
struct dns_scratch {
	__u64 window; /* bpf_ktime_get_ns() >> 30: about a second */
	__u32 copies; /* in that window */
	__u32 pad;
	struct snoop_dns_msg msg;
	__u8 slack[SNOOP_DNS_COPY]; /* never written: see the mask in dns_copy() */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch_map SEC(".maps");

/*
 * Copy the DNS message of @skb, whose network header @h (UDP) is at @nh with
 * @avail bytes of it in the linear area: a response (@rx: source port 53) or
 * a query (destination port 53).  Other UDP packets cost a read of their ports.
 */
static __always_inline void dns_copy(const struct sk_buff *skb, const unsigned char *nh,
				     __u32 avail, bool rx, const struct ip_hdr *h)
{
	struct udphdr udp;
	struct dns_scratch *s;
	__u32 zero = 0, l4off = h->l4off, off, len, ulen;
	__u8 *from, *to;
	__u16 cport, sport, dport;
	__u64 window;

	if (bpf_probe_read_kernel(&udp, sizeof(udp), nh + l4off))
		return;
	sport = bpf_ntohs(udp.source);
	dport = bpf_ntohs(udp.dest);
	if ((rx ? sport : dport) != SNOOP_DNS_PORT)
		return;
	off = l4off + sizeof(udp);
	ulen = bpf_ntohs(udp.len);
	if (off >= avail || ulen <= sizeof(udp))
		return;
	len = avail - off;
	if (ulen - sizeof(udp) < len)
		len = ulen - sizeof(udp);
	if (len > SNOOP_DNS_COPY)
		len = SNOOP_DNS_COPY;
	/*
	 * The verifier checks the sizes below, and the compiler may hand them a
	 * value it kept from before the clamp: this AND, in the register used,
	 * bounds it for the verifier (the slack after msg covers the mask).
	 */
	asm volatile("%[len] &= %[mask]" : [len] "+r"(len) : [mask] "i"(2 * SNOOP_DNS_COPY - 1));
	if (!len)
		return;
	s = bpf_map_lookup_elem(&dns_scratch_map, &zero);
	if (!s)
		return;
	s->msg.ts_ns = bpf_ktime_get_ns();
	window = s->msg.ts_ns >> 30;
	if (s->window != window) {
		s->window = window;
		s->copies = 0;
	}
	if (++s->copies > SNOOP_DNS_RATE) {
		stat_add(&dns_stats, SNOOP_DNS_STAT_LIMITED, 1);
		return;
	}
	s->msg.netns = RD3(skb, dev, nd_net.net, ns.inum);
	s->msg.response = rx;
	s->msg.proto = IPPROTO_UDP;
	cport = rx ? dport : sport;
	s->msg.client_port = cport;
	s->msg.server_port = SNOOP_DNS_PORT;
	/* A response comes from the server, a query from the client. */
	from = rx ? s->msg.server : s->msg.client;
	to = rx ? s->msg.client : s->msg.server;
	ip_hdr_addrs(h, from, to);
	s->msg.len = len;
	if (bpf_probe_read_kernel(s->msg.data, len, nh + off))
		return;
	if (bpf_ringbuf_output(&dns_events, &s->msg, offsetof(struct snoop_dns_msg, data) + len, 0))
		stat_add(&dns_stats, SNOOP_DNS_STAT_LOST, 1);
	else
		stat_add(&dns_stats, SNOOP_DNS_STAT_COPIED, 1);
}

#endif /* DNS_BPF_H */
