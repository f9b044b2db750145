// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* community_id.c - Community ID v1 and the SHA-1 it is made of (see community_id.h). */
#include <stddef.h>
#include <string.h>

#include "lib/community_id.h"

static uint32_t rol32(uint32_t x, unsigned int n)
{
	return x << n | x >> (32 - n);
}

/*
 * One 64-byte block into the state @h (FIPS 180-4, 6.1.2), with the message
 * schedule kept as a rolling window of 16 words and the rounds unrolled by
 * the compiler: this is on the JSON writer's path (a flow's first event).
 */
#define SHA1_W(i)    \
	(w[(i)&15] = \
		 rol32(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i)&15], 1))
#define SHA1_ROUND(a, b, c, d, e, f, k, wi)            \
	do {                                           \
		(e) += rol32(a, 5) + (f) + (k) + (wi); \
		(b) = rol32(b, 30);                    \
	} while (0)
#define SHA1_F0(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define SHA1_F1(b, c, d) ((b) ^ (c) ^ (d))
#define SHA1_F2(b, c, d) (((b) & (c)) | ((d) & ((b) | (c))))

/* The schedule's word @i: one of the block's 16, or made from earlier ones. */
#define SHA1_X(i) ((i) < 16 ? w[i] : SHA1_W(i))
/* Five rounds from round @i, the variables rotating through the names back to where they began. */
#define SHA1_FIVE(f, k, i)                                                 \
	do {                                                               \
		SHA1_ROUND(a, b, c, d, e, f(b, c, d), k, SHA1_X(i));       \
		SHA1_ROUND(e, a, b, c, d, f(a, b, c), k, SHA1_X((i) + 1)); \
		SHA1_ROUND(d, e, a, b, c, f(e, a, b), k, SHA1_X((i) + 2)); \
		SHA1_ROUND(c, d, e, a, b, f(d, e, a), k, SHA1_X((i) + 3)); \
		SHA1_ROUND(b, c, d, e, a, f(c, d, e), k, SHA1_X((i) + 4)); \
	} while (0)

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 0; i < 20; i += 5)
		SHA1_FIVE(SHA1_F0, 0x5a827999, i);
	for (; i < 40; i += 5)
		SHA1_FIVE(SHA1_F1, 0x6ed9eba1, i);
	for (; i < 60; i += 5)
		SHA1_FIVE(SHA1_F2, 0x8f1bbcdc, i);
	for (; i < 80; i += 5)
		SHA1_FIVE(SHA1_F1, 0xca62c1d6, i);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void sha1(const void *data, size_t len, uint8_t digest[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint64_t bits = (uint64_t)len * 8;
	uint8_t tail[128] = { 0 };
	size_t rest, n;

	for (; len >= 64; p += 64, len -= 64)
		sha1_block(h, p);
	/* The rest, a 1 bit, zeros, and the length in bits: one or two blocks. */
	rest = len;
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (size_t off = 0; off < n; off += 64)
		sha1_block(h, tail + off);
	for (int i = 0; i < 5; i++) {
		digest[4 * i] = (uint8_t)(h[i] >> 24);
		digest[4 * i + 1] = (uint8_t)(h[i] >> 16);
		digest[4 * i + 2] = (uint8_t)(h[i] >> 8);
		digest[4 * i + 3] = (uint8_t)h[i];
	}
}

/* The base64 digit @v of alphabet @abc, or the padding '=' when there is no digit (!@digit). */
static char abc_or_pad(const char *abc, bool digit, unsigned int v)
{
	if (!digit)
		return '=';
	return abc[v];
}

/* @len bytes at @in as base64 with padding (RFC 4648, section 4) at @out, NUL-terminated. */
static void base64(char *out, const uint8_t *in, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (; len >= 3; in += 3, len -= 3) {
		*out++ = abc[in[0] >> 2];
		*out++ = abc[(in[0] & 3) << 4 | in[1] >> 4];
		*out++ = abc[(in[1] & 15) << 2 | in[2] >> 6];
		*out++ = abc[in[2] & 63];
	}
	if (len) {
		*out++ = abc[in[0] >> 2];
		*out++ = abc[(in[0] & 3) << 4 | (len > 1 ? in[1] >> 4 : 0)];
		*out++ = abc_or_pad(abc, len > 1, len > 1 ? (in[1] & 15) << 2 : 0);
		*out++ = '=';
	}
	*out = '\0';
}

void community_id_v1(char out[COMMUNITY_ID_SIZE], uint16_t seed, bool v4, const uint8_t *saddr,
		     uint16_t sport, const uint8_t *daddr, uint16_t dport, uint8_t proto)
{
	/* Seed, two addresses, protocol, a zero byte, two ports; all in network order. */
	uint8_t in[2 + 16 + 16 + 1 + 1 + 2 + 2], digest[20], *p = in;
	size_t off = v4 ? 12 : 0, alen = 16 - off;
	int cmp = memcmp(saddr + off, daddr + off, alen);

	/* The lower end first (address, then port), so both ends hash alike. */
	if (cmp > 0 || (cmp == 0 && sport > dport)) {
		const uint8_t *a = saddr;
		uint16_t port = sport;

		saddr = daddr;
		sport = dport;
		daddr = a;
		dport = port;
	}
	*p++ = (uint8_t)(seed >> 8);
	*p++ = (uint8_t)seed;
	memcpy(p, saddr + off, alen);
	p += alen;
	memcpy(p, daddr + off, alen);
	p += alen;
	*p++ = proto;
	*p++ = 0;
	*p++ = (uint8_t)(sport >> 8);
	*p++ = (uint8_t)sport;
	*p++ = (uint8_t)(dport >> 8);
	*p++ = (uint8_t)dport;
	sha1(in, (size_t)(p - in), digest);
	out[0] = '1';
	out[1] = ':';
	base64(out + 2, digest, sizeof(digest));
}
