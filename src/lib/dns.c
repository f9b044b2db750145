// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* dns.c - the DNS response parser (see dns.h). */
#include <errno.h>
#include <string.h>

#include "lib/dns.h"

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_AAAA = 28,
};

enum dns_class {
	DNS_CLASS_IN = 1,
};

/* The header's second word (RFC 1035 4.1.1). */
enum dns_flag {
	DNS_FLAG_QR = 0x8000,
	DNS_FLAG_OPCODE = 0x7800,
	DNS_FLAG_RCODE = 0x000f,
};

/* A label's first byte: its two top bits say a length (00), a pointer (11), or neither. */
#define DNS_LABEL_KIND 0xc0
#define DNS_LABEL_POINTER 0xc0
#define DNS_POINTER_HIGH 0x3f /* the pointer's offset: these bits and the next byte */

/* The longest name on the wire, its root's zero byte included. */
#define DNS_WIRE_NAME_MAX 255

/* A record as it lies in the message: where its owner and data are. */
struct dns_rr {
	size_t owner;
	size_t rdata;
	uint32_t ttl;
	uint16_t type;
	uint16_t class;
	uint16_t rdlen;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A label byte as a name keeps it (lowercased), or -1 outside letters, digits, '-' and '_'. */
static int name_char(uint8_t b)
{
	if (b >= 'A' && b <= 'Z')
		return b - 'A' + 'a';
	if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_')
		return b;
	return -1;
}

/*
 * The name at @off of @msg (@len bytes) as text into @out: labels joined by
 * dots, no trailing dot, "" for the root.  A pointer must point before where
 * the name, or the last pointer's target, began: the targets strictly
 * decrease, so no loop can be built, and DNS_JUMPS_MAX stops a long ladder
 * early.  *@end (when @end is not NULL): the offset just past the name where
 * it lies.  0 or a negative errno of dns_parse().
 */
static int name_decode(const uint8_t *msg, size_t len, size_t off, char out[DNS_NAME_MAX + 1],
		       size_t *end)
{
	size_t pos = off, start = off, wire = 1, n = 0;
	unsigned int jumps = 0;

	for (;;) {
		uint8_t b;

		if (pos >= len)
			return -EBADMSG;
		b = msg[pos];
		if ((b & DNS_LABEL_KIND) == DNS_LABEL_POINTER) {
			size_t target;

			if (len - pos < 2)
				return -EBADMSG;
			target = (size_t)(b & DNS_POINTER_HIGH) << 8 | msg[pos + 1];
			if (target >= start || ++jumps > DNS_JUMPS_MAX)
				return -ELOOP;
			/* No name starts in the header: such a pointer is forged. */
			if (target < DNS_HEADER_LEN)
				return -EBADMSG;
			if (jumps == 1 && end)
				*end = pos + 2;
			pos = start = target;
			continue;
		}
		/* 0x40 (RFC 6891 retired the extended labels) and 0x80 (never assigned). */
		if (b & DNS_LABEL_KIND)
			return -EBADMSG;
		if (!b)
			break;
		wire += 1 + (size_t)b;
		if (wire > DNS_WIRE_NAME_MAX)
			return -E2BIG;
		if (len - pos - 1 < b)
			return -EBADMSG;
		if (n)
			out[n++] = '.';
		for (size_t i = 1; i <= b; i++) {
			int c = name_char(msg[pos + i]);

			if (c < 0)
				return -EILSEQ;
			out[n++] = (char)c;
		}
		pos += 1 + (size_t)b;
	}
	if (!jumps && end)
		*end = pos + 1;
	out[n] = '\0';
	return 0;
}

/*
 * The offset just past the name at @off as it lies (its labels up to the
 * root or a pointer), without reading where pointers lead; 0 when it runs
 * past @len or holds a label of type 0x40 or 0x80.
 */
static size_t name_skip(const uint8_t *msg, size_t len, size_t off)
{
	while (off < len) {
		uint8_t b = msg[off];

		if ((b & DNS_LABEL_KIND) == DNS_LABEL_POINTER)
			return len - off >= 2 ? off + 2 : 0;
		if (b & DNS_LABEL_KIND)
			return 0;
		if (!b)
			return off + 1;
		off += 1 + (size_t)b;
	}
	return 0;
}

/*
 * The resource record at *@off into @rr, and *@off moved past it.  False
 * when it is not all there: cut by the copy, or malformed where it lies, so
 * that where the next one starts is unknown.
 */
static bool rr_read(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
	size_t p = name_skip(msg, len, *off);

	if (!p || len - p < 10)
		return false;
	rr->owner = *off;
	rr->type = get16(msg + p);
	rr->class = get16(msg + p + 2);
	rr->ttl = get32(msg + p + 4);
	/* RFC 2181 8: a TTL with the top bit set is taken as 0. */
	if (rr->ttl > INT32_MAX)
		rr->ttl = 0;
	rr->rdlen = get16(msg + p + 8);
	rr->rdata = p + 10;
	if (len - rr->rdata < rr->rdlen)
		return false;
	*off = rr->rdata + rr->rdlen;
	return true;
}

/* The index of @name among the @links names of @chain, or -1. */
static int chain_index(char chain[][DNS_NAME_MAX + 1], size_t links, const char *name)
{
	for (size_t i = 0; i < links; i++)
		if (!strcmp(chain[i], name))
			return (int)i;
	return -1;
}

/*
 * One hop: the first of the @n CNAME records @cnames owned by the chain's
 * last name whose target, a name new to the chain, is read whole from its
 * data.  That target becomes chain[@links], its record's TTL *@ttl.  False
 * when there is none: the chain ends (a CNAME loop ends it too).
 */
static bool chain_step(const uint8_t *msg, size_t len, const struct dns_rr *cnames, size_t n,
		       char chain[][DNS_NAME_MAX + 1], size_t links, uint32_t *ttl)
{
	char owner[DNS_NAME_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		const struct dns_rr *rr = &cnames[i];
		size_t end;

		if (name_decode(msg, len, rr->owner, owner, NULL) ||
		    strcmp(owner, chain[links - 1]) != 0)
			continue;
		if (name_decode(msg, len, rr->rdata, chain[links], &end) ||
		    end > rr->rdata + rr->rdlen || !chain[links][0] ||
		    chain_index(chain, links, chain[links]) >= 0)
			continue;
		*ttl = rr->ttl;
		return true;
	}
	return false;
}

/* Add the address of an A (@v4) or AAAA record's data @rdata, once; a repeat keeps the lower TTL. */
static void add_answer(struct dns_result *res, const uint8_t *rdata, bool v4, uint32_t ttl)
{
	uint8_t addr[SNOOP_ADDR_LEN] = { 0 };
	struct dns_answer *a;

	if (v4) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, rdata, 4);
	} else {
		memcpy(addr, rdata, SNOOP_ADDR_LEN);
	}
	for (unsigned int i = 0; i < res->count; i++) {
		a = &res->answers[i];
		if (!memcmp(a->addr, addr, SNOOP_ADDR_LEN)) {
			if (ttl < a->ttl)
				a->ttl = ttl;
			return;
		}
	}
	if (res->count == DNS_ANSWERS_MAX)
		return;
	a = &res->answers[res->count++];
	/* The padding too: two results with the same answers compare equal bytewise. */
	memset(a, 0, sizeof(*a));
	memcpy(a->addr, addr, SNOOP_ADDR_LEN);
	a->ttl = ttl;
	a->v4 = v4;
}

int dns_parse(const uint8_t *msg, size_t len, struct dns_result *res)
{
	/* The chain's names, and the least TTL of the CNAMEs leading to each. */
	char chain[DNS_CHAIN_MAX + 1][DNS_NAME_MAX + 1], owner[DNS_NAME_MAX + 1];
	uint32_t chain_ttl[DNS_CHAIN_MAX + 1];
	struct dns_rr cnames[DNS_CNAMES_MAX], rr;
	size_t n_cnames = 0, links, off, answers;
	unsigned int ancount, i;
	uint16_t flags;
	int err;

	res->name[0] = '\0';
	res->count = 0;
	if (len < DNS_HEADER_LEN)
		return -EBADMSG;
	flags = get16(msg + 2);
	if (!(flags & DNS_FLAG_QR) || (flags & (DNS_FLAG_OPCODE | DNS_FLAG_RCODE)) ||
	    get16(msg + 4) != 1)
		return -EINVAL;
	ancount = get16(msg + 6);
	err = name_decode(msg, len, DNS_HEADER_LEN, chain[0], &off);
	if (err)
		return err;
	if (len - off < 4)
		return -EBADMSG;
	if (get16(msg + off + 2) != DNS_CLASS_IN || !chain[0][0])
		return -EINVAL;
	answers = off + 4;

	/* The CNAMEs first: a chain may be given in any order, after its addresses even. */
	off = answers;
	for (i = 0; i < ancount && rr_read(msg, len, &off, &rr); i++)
		if (rr.type == DNS_TYPE_CNAME && rr.class == DNS_CLASS_IN &&
		    n_cnames < DNS_CNAMES_MAX)
			cnames[n_cnames++] = rr;
	chain_ttl[0] = UINT32_MAX;
	for (links = 1; links <= DNS_CHAIN_MAX; links++) {
		uint32_t ttl;

		if (!chain_step(msg, len, cnames, n_cnames, chain, links, &ttl))
			break;
		chain_ttl[links] = ttl < chain_ttl[links - 1] ? ttl : chain_ttl[links - 1];
	}

	off = answers;
	for (i = 0; i < ancount && rr_read(msg, len, &off, &rr); i++) {
		bool v4 = rr.type == DNS_TYPE_A;
		int link;

		if (rr.class != DNS_CLASS_IN || rr.rdlen != (v4 ? 4 : SNOOP_ADDR_LEN) ||
		    (!v4 && rr.type != DNS_TYPE_AAAA))
			continue;
		if (name_decode(msg, len, rr.owner, owner, NULL))
			continue;
		link = chain_index(chain, links, owner);
		if (link < 0)
			continue;
		add_answer(res, msg + rr.rdata, v4,
			   rr.ttl < chain_ttl[link] ? rr.ttl : chain_ttl[link]);
	}
	memcpy(res->name, chain[0], strlen(chain[0]) + 1);
	return 0;
}

int dns_tcp_next(const uint8_t *data, size_t len, size_t *at, const uint8_t **msg, size_t *msg_len)
{
	size_t left, n;

	/* A length and an id at least. */
	if (*at >= len || len - *at < 2 + 2)
		return -1;
	left = len - *at - 2;
	n = get16(data + *at);
	*msg = data + *at + 2;
	*msg_len = n < left ? n : left;
	*at += 2 + (n < left ? n : left);
	return 0;
}
