/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * community_id.h - the Community ID v1 flow hash (network.community_id):
 * the string Zeek, Suricata, Wireshark and Elastic compute for a flow, the
 * same from either end, so a SIEM can join socket-snoop's records with
 * theirs.  Pure functions; no allocation.
 */
#ifndef LIB_COMMUNITY_ID_H
#define LIB_COMMUNITY_ID_H

#include <stdbool.h>
#include <stdint.h>

/* "1:" and the base64 of a SHA-1 digest (28 characters), and a NUL. */
#define COMMUNITY_ID_SIZE 31

/*
 * Community ID v1 of the flow between @saddr:@sport and @daddr:@dport (16-byte
 * addresses, IPv4 ones IPv4-mapped, as events carry them; @v4: hash them as
 * IPv4) of IP protocol @proto, with @seed (0 unless the site chose another),
 * into @out.  Either end may be given first.
 */
void community_id_v1(char out[COMMUNITY_ID_SIZE], uint16_t seed, bool v4, const uint8_t *saddr,
		     uint16_t sport, const uint8_t *daddr, uint16_t dport, uint8_t proto);

/* The SHA-1 digest of @len bytes at @data into @digest (FIPS 180-4). */
void sha1(const void *data, size_t len, uint8_t digest[20]);

#endif /* LIB_COMMUNITY_ID_H */
