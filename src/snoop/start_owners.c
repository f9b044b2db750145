// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * start_owners.c - see start_owners.h.  A sorted array: filled once, read
 * while the ring's first batch is, then freed; 72 bytes a socket.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "snoop/start_owners.h"

struct start_entry {
	uint64_t cookie;
	struct snoop_owner owner;
	uint8_t flags;
	uint8_t attribution;
};

struct start_owners {
	struct start_entry *v;
	size_t n, cap;
	bool sealed;
};

struct start_owners *start_owners__new(void)
{
	return calloc(1, sizeof(struct start_owners));
}

int start_owners__add(struct start_owners *so, const struct snoop_event *e)
{
	struct start_entry *at;

	if (so->sealed)
		return -EBUSY;
	if (so->n == so->cap) {
		size_t cap = so->cap ? so->cap * 2 : 256;
		struct start_entry *v = reallocarray(so->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		so->v = v;
		so->cap = cap;
	}
	at = &so->v[so->n++];
	at->cookie = e->cookie;
	at->owner = e->owner;
	at->flags = e->flags;
	at->attribution = e->attribution;
	return 0;
}

static int by_cookie(const void *a, const void *b)
{
	uint64_t x = ((const struct start_entry *)a)->cookie;
	uint64_t y = ((const struct start_entry *)b)->cookie;

	return (x > y) - (x < y);
}

void start_owners__seal(struct start_owners *so)
{
	if (so->n)
		qsort(so->v, so->n, sizeof(*so->v), by_cookie);
	so->sealed = true;
}

bool start_owners__fill(const struct start_owners *so, struct snoop_event *e)
{
	const uint8_t dir = SNOOP_SF_ACTIVE | SNOOP_SF_PASSIVE;
	const struct start_entry *f;
	struct start_entry key = { .cookie = e->cookie };
	uint8_t flags = e->flags;
	bool changed = false;

	/* bsearch() of an empty table would be given its NULL array. */
	if (!so->sealed || !so->n || !e->cookie)
		return false;
	f = bsearch(&key, so->v, so->n, sizeof(*so->v), by_cookie);
	if (!f)
		return false;
	/* As the kernel record: an owner the programs recorded is newer and kept. */
	if (e->attribution == SNOOP_ATTR_UNKNOWN) {
		e->owner = f->owner;
		e->attribution = f->attribution;
		changed = true;
	}
	if (!(flags & dir))
		flags |= f->flags & dir;
	flags |= SNOOP_SF_SNAPSHOT;
	changed |= flags != e->flags;
	e->flags = flags;
	return changed;
}

unsigned long start_owners__count(const struct start_owners *so)
{
	return so ? so->n : 0;
}

void start_owners__free(struct start_owners *so)
{
	if (!so)
		return;
	free(so->v);
	free(so);
}
