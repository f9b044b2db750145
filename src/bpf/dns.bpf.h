/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * dns.bpf.h - copies of DNS messages for the host name a process asked for
 * (issue 15): over UDP, a query leaving a device (net/net_dev_queue) and a
 * response arriving on one (net/netif_receive_skb); over TCP, each segment
 * with a payload that a socket connected to port 53 sends or receives, seen
 * by cgroup_skb programs (dns_tcp_tx, dns_tcp_rx in snoop.bpf.c): a TCP
 * payload is in the buffer's page fragments, which only a networking
 * program can read (bpf_skb_load_bytes), and the socket tells which
 * segments are DNS at no cost.  Only bytes are copied here (of TCP, the
 * segment's payload: user space finds the length-prefixed messages in it,
 * RFC 1035 4.2.2); user space matches responses to queries and parses them
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
 * This CPU's scratch message, its header filled for a copy of a @proto
 * message of client port @cport in @netns: a response (@rx) or a query.
 * NULL past the rate (counted).
 */
static __always_inline struct dns_scratch *dns_start(bool rx, __u8 proto, __u16 cport, __u32 netns)
{
	struct dns_scratch *s;
	__u32 zero = 0;
	__u64 window;

	s = bpf_map_lookup_elem(&dns_scratch_map, &zero);
	if (!s)
		return NULL;
	s->msg.ts_ns = bpf_ktime_get_ns();
	window = s->msg.ts_ns >> 30;
	if (s->window != window) {
		s->window = window;
		s->copies = 0;
	}
	if (++s->copies > SNOOP_DNS_RATE) {
		stat_add(&dns_stats, SNOOP_DNS_STAT_LIMITED, 1);
		return NULL;
	}
	s->msg.netns = netns;
	s->msg.response = rx;
	s->msg.proto = proto;
	s->msg.client_port = cport;
	s->msg.server_port = SNOOP_DNS_PORT;
	return s;
}

/*
 * @len cut to what a copy holds, in a form the verifier can bound: the
 * compiler may hand the helpers a value it kept from before the clamp, and
 * this AND, in the register used, bounds it (the slack after msg covers the
 * mask).
 */
static __always_inline __u32 dns_copy_len(__u32 len)
{
	if (len > SNOOP_DNS_COPY)
		len = SNOOP_DNS_COPY;
	asm volatile("%[len] &= %[mask]" : [len] "+r"(len) : [mask] "i"(2 * SNOOP_DNS_COPY - 1));
	return len;
}

/* Send @s, whose @len bytes of data are copied. */
static __always_inline void dns_send(struct dns_scratch *s, __u32 len)
{
	s->msg.len = len;
	if (bpf_ringbuf_output(&dns_events, &s->msg, offsetof(struct snoop_dns_msg, data) + len, 0))
		stat_add(&dns_stats, SNOOP_DNS_STAT_LOST, 1);
	else
		stat_add(&dns_stats, SNOOP_DNS_STAT_COPIED, 1);
}

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
	__u32 l4off = h->l4off, off, len, ulen;
	__u16 sport, dport;

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
	len = dns_copy_len(len);
	if (!len)
		return;
	s = dns_start(rx, IPPROTO_UDP, rx ? dport : sport, RD3(skb, dev, nd_net.net, ns.inum));
	if (!s)
		return;
	/* A response comes from the server, a query from the client. */
	ip_hdr_addrs(h, rx ? s->msg.server : s->msg.client, rx ? s->msg.client : s->msg.server);
	if (bpf_probe_read_kernel(s->msg.data, len, nh + off))
		return;
	dns_send(s, len);
}

/*
 * A cgroup_skb program's packet @skb (@rx: received): when its socket is
 * connected to port 53 over TCP, copy the payload of the segment, if it has
 * one (most carry none: an ACK, a FIN).  Every other packet of the host
 * stops at the socket's protocol and port.
 */
static __always_inline void dns_copy_tcp(struct __sk_buff *skb, bool rx)
{
	__u8 src[SNOOP_ADDR_LEN], dst[SNOOP_ADDR_LEN];
	struct bpf_sock *sk = skb->sk;
	struct dns_scratch *s;
	struct tcp_sock *tp;
	struct tcpip_info t;
	__u32 len;

	/* The port first: readable from any socket, and it rules out nearly all. */
	if (!sk || sk->dst_port != bpf_htons(SNOOP_DNS_PORT))
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != IPPROTO_TCP)
		return;
	if (tcpip_parse(true, skb, NULL, 0, src, dst, &t) || skb->len <= t.hdr_len)
		return;
	len = dns_copy_len(skb->len - t.hdr_len);
	tp = bpf_skc_to_tcp_sock(sk);
	if (!len || !tp)
		return;
	s = dns_start(rx, IPPROTO_TCP, rx ? t.dport : t.sport,
		      tp->inet_conn.icsk_inet.sk.__sk_common.skc_net.net->ns.inum);
	if (!s)
		return;
	/* A response comes from the server, a query from the client. */
	__builtin_memcpy(rx ? s->msg.server : s->msg.client, src, SNOOP_ADDR_LEN);
	__builtin_memcpy(rx ? s->msg.client : s->msg.server, dst, SNOOP_ADDR_LEN);
	if (bpf_skb_load_bytes(skb, t.hdr_len, s->msg.data, len))
		return;
	dns_send(s, len);
}

#endif /* DNS_BPF_H */
