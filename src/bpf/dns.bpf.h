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

#define DNS_IP_MF 0x2000

/*
 * Copy the DNS message of @skb, whose network header is at @nh with @avail
 * bytes of it in the linear area: a response (@rx: source port 53) or a
 * query (destination port 53).  Other packets cost a read of their headers.
 */
static __always_inline void dns_copy(const struct sk_buff *skb, const unsigned char *nh,
				     __u32 avail, bool rx)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
		__u8 version;
	} ip;
	struct udphdr udp;
	struct dns_scratch *s;
	__u32 zero = 0, l4off, off, len, ulen;
	__u8 proto, *from, *to;
	__u16 cport, sport, dport;
	__u64 window;

	/*
	 * Every packet of the host comes here: one read for one that is not
	 * UDP, the IP header (as long as an IPv6 one: a few bytes past a short
	 * IPv4 packet's end are read and not used), and the ports for UDP.
	 */
	if (bpf_probe_read_kernel(&ip.v6, sizeof(ip.v6), nh))
		return;
	if ((ip.version >> 4) == 4) {
		if (bpf_ntohs(ip.v4.frag_off) & (IP_OFFSET | DNS_IP_MF))
			return;
		proto = ip.v4.protocol;
		l4off = ip.v4.ihl * 4;
	} else if ((ip.version >> 4) == 6) {
		/* Extension headers are not followed: DNS packets carry none. */
		proto = ip.v6.nexthdr;
		l4off = sizeof(ip.v6);
	} else {
		return;
	}
	/*
	 * UDP only.  A TCP stack puts a segment's payload in page fragments,
	 * which a tracing program cannot read: DNS over TCP is not seen.
	 */
	if (proto != IPPROTO_UDP)
		return;
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
	s->msg.proto = proto;
	cport = rx ? dport : sport;
	s->msg.client_port = cport;
	s->msg.server_port = SNOOP_DNS_PORT;
	/* A response comes from the server, a query from the client. */
	from = rx ? s->msg.server : s->msg.client;
	to = rx ? s->msg.client : s->msg.server;
	if ((ip.version >> 4) == 4) {
		addr_from_v4(from, ip.v4.saddr);
		addr_from_v4(to, ip.v4.daddr);
	} else {
		__builtin_memcpy(from, &ip.v6.saddr, SNOOP_ADDR_LEN);
		__builtin_memcpy(to, &ip.v6.daddr, SNOOP_ADDR_LEN);
	}
	s->msg.len = len;
	if (bpf_probe_read_kernel(s->msg.data, len, nh + off))
		return;
	if (bpf_ringbuf_output(&dns_events, &s->msg, offsetof(struct snoop_dns_msg, data) + len, 0))
		stat_add(&dns_stats, SNOOP_DNS_STAT_LOST, 1);
	else
		stat_add(&dns_stats, SNOOP_DNS_STAT_COPIED, 1);
}

#endif /* DNS_BPF_H */
