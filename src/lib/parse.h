/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * parse.h - parsers for option values.  Pure functions: they return 0 or a
 * negative errno (-EINVAL malformed, -ERANGE out of range) and never print.
 */
#ifndef PARSE_H
#define PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "snoop_abi.h"

/* One CIDR, IPv4 stored IPv4-mapped with its prefix counted from 128. */
struct cidr {
	uint8_t addr[SNOOP_ADDR_LEN];
	uint32_t prefixlen; /* 0..128 */
};

/* A decimal number in [0, max]: no sign, no spaces, no trailing bytes. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * Comma-separated numbers and ranges in [0, @max] ("0-3,5", the kernel's CPU
 * lists) set in the bitmap @bits of @max + 1 bits.  0, -EINVAL or -ERANGE;
 * some bits may be set on error.
 */
int parse_id_set(const char *s, uint64_t max, uint64_t *bits);

/* Whether id @i is set in the bitmap @bits of parse_id_set() or parse_ports(). */
static inline bool parse_id_has(const uint64_t *bits, uint64_t i)
{
	return bits[i >> 6] >> (i & 63) & 1;
}

/* Comma-separated ports and ranges ("22,80,8000-8100") set in a 65536-bit map. */
int parse_ports(const char *s, uint64_t bits[SNOOP_PORT_WORDS]);

/* One address with an optional /prefix, IPv4 or IPv6 ("10.0.0.0/8", "fd00::/64"). */
int parse_cidr(const char *s, struct cidr *out);

/*
 * A listening address "ADDR:PORT": an IPv4 address, an IPv6 address in
 * brackets ("[::1]:9580") or "localhost" (127.0.0.1; no name is looked up),
 * and a port from 1 to 65535.  Into @out (a struct sockaddr_in or _in6) and
 * its length into @len.
 */
int parse_listen_addr(const char *s, struct sockaddr_storage *out, socklen_t *len);

/* A TCP state name, any case, with or without "TCP_" ("established", "SYN_SENT"). */
int parse_state_name(const char *s, int *state);

/* An event kind name of --events (the option column of SNOOP_KINDS), any case. */
int parse_event_kind(const char *s, uint32_t *mask);

/* A --fields name (names.h SNOOP_LOG_FIELDS), any case: its bit in @mask. */
int parse_log_field(const char *s, uint32_t *mask);

/* A size with an optional K, M, G or T suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *out);

/*
 * Split a comma-separated list and call @one on each item (an empty item is
 * -EINVAL).  Stops at the first error and copies the item into @bad.
 */
int parse_list(const char *s, int (*one)(const char *item, void *ctx), void *ctx, char *bad,
	       size_t bad_len);

/*
 * @v made fit for an error message: at most PARSE_QUOTE_MAX bytes, then
 * "...", so that a huge value never pushes the option's name out of the
 * message.  Returns @out.
 */
#define PARSE_QUOTE_MAX 64
#define PARSE_QUOTE_SIZE (PARSE_QUOTE_MAX + 4)
const char *parse_quote(char out[PARSE_QUOTE_SIZE], const char *v);

#endif
