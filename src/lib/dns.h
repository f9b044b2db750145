/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * dns.h - the host name a process asked for, read from the DNS responses it
 * receives (issue 15): an RFC 1035 response parser for bounded copies of
 * hostile bytes, which may be cut short anywhere.  Pure functions; no
 * allocation, no I/O.
 *
 * Only the question and the answer section are read.  The chain is followed
 * from the question name: a CNAME whose owner is the chain's last name adds
 * its target, and A and AAAA records owned by a name of the chain give the
 * addresses.  Records owned by any other name, and the authority and
 * additional sections, are ignored, so a response cannot plant a name for
 * an address its question did not lead to.  Records may come in any order.
 * The question may be of any type: the A and AAAA records on the chain of
 * an ANY or HTTPS question are addresses of that name too.
 * A record cut short by the copy, and everything after it, is not there.
 *
 * Names are kept only when every label byte is a letter, a digit, '-' or
 * '_' (letters lowercased), so a name reaches a log line or a JSON string
 * without escaping.  Host names a resolver library connects to are of that
 * form (IDNs travel as xn-- labels); anything else ('*', '.', spaces,
 * control or 8-bit bytes inside a label) is refused, not escaped: in the
 * question it refuses the message (-EILSEQ), in the answer section it takes
 * the record off the chain.
 */
#ifndef LIB_DNS_H
#define LIB_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "snoop_abi.h"

#define DNS_PORT 53
#define DNS_HEADER_LEN 12
/* A name as text, without the trailing dot: 255 bytes on the wire (RFC 1035 2.3.4). */
#define DNS_NAME_MAX 253
/* Addresses kept from one response; more are dropped. */
#define DNS_ANSWERS_MAX 32
/* CNAME hops followed from the question name. */
#define DNS_CHAIN_MAX 16
/* CNAME records of one answer section considered; more are ignored. */
#define DNS_CNAMES_MAX 32
/* Compression pointers followed in one name. */
#define DNS_JUMPS_MAX 64

/* One address the question name resolved to. */
struct dns_answer {
	uint8_t addr[SNOOP_ADDR_LEN]; /* as events carry it: IPv4 as ::ffff:a.b.c.d */
	uint32_t ttl;		      /* seconds: the least of its record's and its CNAMEs' */
	bool v4;		      /* from an A record */
};

/* What one response says: the name asked for and the addresses it led to. */
struct dns_result {
	char name[DNS_NAME_MAX + 1]; /* the question name: lowercase, no trailing dot */
	unsigned int count;	     /* answers[] filled (padding zeroed), each address once */
	struct dns_answer answers[DNS_ANSWERS_MAX];
};

/*
 * Read the DNS response of @len bytes at @msg (a UDP payload, or a message
 * cut from a TCP stream) into @res.  Returns 0 (@res->count may be 0: no
 * address, or none complete in the copy) or:
 *   -EBADMSG  malformed: shorter than a header, the question cut short, a
 *             label of type 0x40 or 0x80, a pointer into the header;
 *   -ELOOP    a compression pointer not pointing strictly before where its
 *             name, or the previous pointer's target, began (which is what
 *             makes loops impossible), or more than DNS_JUMPS_MAX of them;
 *   -E2BIG    the question name longer than 255 bytes on the wire;
 *   -EILSEQ   a byte of the question name outside the kept set (above);
 *   -EINVAL   not a successful answer to one standard query: a query (QR
 *             0), an opcode other than QUERY, an RCODE other than NOERROR,
 *             QDCOUNT other than 1, a question class other than IN, or the
 *             root as the question.
 * The answer section never causes an error.  On any error @res->count is 0
 * and @res->name is "".  TC (truncated) responses are read like others.
 */
int dns_parse(const uint8_t *msg, size_t len, struct dns_result *res);

/*
 * The messages in the payload of a DNS-over-TCP segment, @len bytes at @data:
 * each after its 2-byte length (RFC 1035 4.2.2), several in one segment when
 * a client sends its queries together (glibc's A and AAAA).  From offset
 * *@at (0 first): the next one in @msg, its @msg_len bytes cut at the
 * payload's end, and *@at moved past it.  0, or -1 when none starts there
 * (fewer than 4 bytes left: a length and an id).
 */
int dns_tcp_next(const uint8_t *data, size_t len, size_t *at, const uint8_t **msg, size_t *msg_len);

#endif /* LIB_DNS_H */
