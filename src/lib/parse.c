// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* parse.c - option value parsers (see parse.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/names.h"
#include "lib/parse.h"

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		uint64_t d = (uint64_t)(*s - '0');

		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_list(const char *s, int (*one)(const char *item, void *ctx), void *ctx, char *bad,
	       size_t bad_len)
{
	char item[128];
	const char *p = s;
	int err;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		snprintf(bad, bad_len, "%.*s", (int)len, p);
		if (len == 0 || len >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		err = one(item, ctx);
		if (err)
			return err;
		if (!comma)
			break;
		p = comma + 1;
	}
	bad[0] = '\0';
	return 0;
}

/* The bitmap an id set is parsed into, and its largest id. */
struct id_set {
	uint64_t *bits;
	uint64_t max;
};

/* One id or "lo-hi" range, set in the struct id_set @ctx. */
static int parse_id_item(const char *item, void *ctx)
{
	const struct id_set *set = ctx;
	uint64_t lo, hi;
	const char *dash = strchr(item, '-');
	char first[24];
	int err;

	if (dash) {
		size_t len = (size_t)(dash - item);

		if (len == 0 || len >= sizeof(first))
			return -EINVAL;
		memcpy(first, item, len);
		first[len] = '\0';
		err = parse_u64(first, set->max, &lo);
		if (!err)
			err = parse_u64(dash + 1, set->max, &hi);
		if (!err && lo > hi)
			err = -ERANGE;
	} else {
		err = parse_u64(item, set->max, &lo);
		hi = lo;
	}
	if (err)
		return err;
	for (uint64_t p = lo; p <= hi; p++)
		set->bits[p >> 6] |= 1ull << (p & 63);
	return 0;
}

int parse_id_set(const char *s, uint64_t max, uint64_t *bits)
{
	struct id_set set = { bits, max };
	char bad[128];

	return parse_list(s, parse_id_item, &set, bad, sizeof(bad));
}

int parse_ports(const char *s, uint64_t bits[SNOOP_PORT_WORDS])
{
	return parse_id_set(s, 65535, bits);
}

int parse_listen_addr(const char *s, struct sockaddr_storage *out, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *h = s;
	size_t hlen;
	uint64_t port;
	int err;

	if (!s)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (!colon)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		/* "[v6]:port": the colon must follow the bracket. */
		if (hlen < 2 || s[hlen - 1] != ']')
			return -EINVAL;
		h = s + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	err = parse_u64(colon + 1, 65535, &port);
	if (err)
		return err;
	if (port == 0)
		return -ERANGE;
	memset(out, 0, sizeof(*out));
	if (h == s && !strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (h == s) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
	}
	return 0;
}

int parse_cidr(const char *s, struct cidr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash;
	uint64_t prefix;
	struct in_addr v4;
	size_t len;
	int err;

	if (!s || !*s)
		return -EINVAL;
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &v4) == 1) {
		out->addr[10] = 0xff;
		out->addr[11] = 0xff;
		memcpy(&out->addr[12], &v4, 4);
		prefix = 32;
		if (slash) {
			err = parse_u64(slash + 1, 32, &prefix);
			if (err)
				return err;
		}
		out->prefixlen = 96 + (uint32_t)prefix;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		prefix = 128;
		if (slash) {
			err = parse_u64(slash + 1, 128, &prefix);
			if (err)
				return err;
		}
		out->prefixlen = (uint32_t)prefix;
	} else {
		return -EINVAL;
	}
	/* Clear host bits so "10.1.2.3/8" means 10.0.0.0/8, as ip(8) does. */
	for (uint32_t bit = out->prefixlen; bit < 128; bit++)
		out->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return 0;
}

int parse_state_name(const char *s, int *state)
{
	if (!s)
		return -EINVAL;
	if (strncasecmp(s, "TCP_", 4) == 0)
		s += 4;
	for (int i = 1; i < SNOOP_TCP_MAX_STATES; i++) {
		if (strcasecmp(s, names__state_kernel(i)) == 0) {
			*state = i;
			return 0;
		}
	}
	/* "CLOSED" is what netstat and the seed's descriptions call CLOSE. */
	if (strcasecmp(s, "CLOSED") == 0) {
		*state = SNOOP_TCP_CLOSE;
		return 0;
	}
	return -EINVAL;
}

int parse_event_kind(const char *s, uint32_t *mask)
{
	uint32_t m = s ? names__kind_option_mask(s) : 0;

	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

int parse_log_field(const char *s, uint32_t *mask)
{
	for (int f = 0; s && names__field_option(f); f++) {
		if (strcasecmp(s, names__field_option(f)) == 0) {
			*mask = 1u << f;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *out)
{
	char digits[32];
	size_t len;
	unsigned int shift = 0;
	uint64_t v;
	int err;

	if (!s || !*s)
		return -EINVAL;
	len = strlen(s);
	switch (toupper((unsigned char)s[len - 1])) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	}
	if (shift)
		len--;
	if (len == 0 || len >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, len);
	digits[len] = '\0';
	err = parse_u64(digits, UINT64_MAX >> shift, &v);
	if (err)
		return err;
	*out = v << shift;
	return 0;
}

const char *parse_quote(char out[PARSE_QUOTE_SIZE], const char *v)
{
	size_t n = strnlen(v, PARSE_QUOTE_MAX + 1);

	if (n > PARSE_QUOTE_MAX) {
		memcpy(out, v, PARSE_QUOTE_MAX);
		memcpy(out + PARSE_QUOTE_MAX, "...", 4);
	} else {
		memcpy(out, v, n + 1);
	}
	return out;
}
