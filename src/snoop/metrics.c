// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* metrics.c - Prometheus counters and histograms from the events (see metrics.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/names.h"
#include "snoop/metrics.h"

enum { DIR_OUTBOUND, DIR_INBOUND, DIR_UNKNOWN, DIR_N };
enum { FAM_IPV4, FAM_IPV6, FAM_N };
enum { SIDE_CLIENT, SIDE_SERVER, SIDE_N };
enum { RETRANS_DATA, RETRANS_SYN, RETRANS_SYNACK, RETRANS_N };

/* One past the highest kind value (snoop_abi.h): the size of a table indexed by kind. */
#define KIND_SLOT(name, value, ...) [value] = 1,
#define SNOOP_KIND_N ((int)sizeof((const char[]){ SNOOP_KINDS(KIND_SLOT) }))

static const char *const dir_names[DIR_N] = { "outbound", "inbound", "unknown" };
static const char *const fam_names[FAM_N] = { "ipv4", "ipv6" };
static const char *const side_names[SIDE_N] = { "client", "server" };
static const char *const retrans_names[RETRANS_N] = { "data", "syn", "synack" };

/* Connect failures by errno, one row each: the label, the errno (0: every other). */
#define CONNECT_FAILURES(X)                               \
	X(REFUSED, "refused", ECONNREFUSED)               \
	X(TIMED_OUT, "timed_out", ETIMEDOUT)              \
	X(HOST_UNREACH, "host_unreachable", EHOSTUNREACH) \
	X(NET_UNREACH, "net_unreachable", ENETUNREACH)    \
	X(RESET, "reset", ECONNRESET)                     \
	X(OTHER, "other", 0)

enum {
#define CF_ENUM(id, label, err) CF_##id,
	CONNECT_FAILURES(CF_ENUM)
#undef CF_ENUM
		CF_N
};

static const char *const cf_names[CF_N] = {
#define CF_NAME(id, label, err) label,
	CONNECT_FAILURES(CF_NAME)
#undef CF_NAME
};

/* Reset reasons: each named one, "none" (the kernel gave none), "other" (one we do not name). */
#define RST_NONE SNOOP_RST_COUNT
#define RST_OTHER (SNOOP_RST_COUNT + 1)
#define RST_N (SNOOP_RST_COUNT + 2)

/* Seconds: 1 ms to an hour, for how long connections live. */
static const double duration_bounds[] = { 0.001, 0.01, 0.1, 0.5, 1,    5,   10,
					  30,	 60,   300, 900, 1800, 3600 };
#define DURATION_N (sizeof(duration_bounds) / sizeof(duration_bounds[0]))
/* Seconds: 100 µs (loopback) to 10 s (SYN retries), for handshakes. */
static const double latency_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
					 0.05,	 0.1,	  0.25,	  0.5,	 1,	 2.5,	5,    10 };
#define LATENCY_N (sizeof(latency_bounds) / sizeof(latency_bounds[0]))

/*
 * Handshakes in progress, for the connect latency: the time each socket
 * entered SYN_SENT or SYN_RECV, one slot per cookie % PENDING_SLOTS.  A
 * newer handshake in the same slot replaces an older one, whose latency is
 * then not measured: bounded memory, whatever the rate.
 */
#define PENDING_SLOTS 4096

struct pending {
	uint64_t cookie;
	uint64_t ts_ns;
};

struct histogram {
	uint64_t counts[LATENCY_N + 1]; /* the larger of the two bucket sets */
	double sum;
};

struct metrics {
	uint64_t events[SNOOP_KIND_N];
	uint64_t opened[DIR_N][FAM_N], closed[DIR_N][FAM_N];
	uint64_t connect_failures[CF_N];
	uint64_t retransmits[RETRANS_N];
	uint64_t resets_sent[RST_N], resets_received;
	uint64_t bytes_sent, bytes_received, segs_out, segs_in;
	struct histogram duration, latency[SIDE_N];
	struct pending pending[PENDING_SLOTS];
};

struct metrics *metrics__new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics__free(struct metrics *m)
{
	free(m);
}

static void observe(struct histogram *h, const double *bounds, size_t n, double v)
{
	size_t i = 0;

	while (i < n && v > bounds[i])
		i++;
	h->counts[i]++;
	h->sum += v;
}

static int direction_of(int flags)
{
	if (flags & SNOOP_SF_ACTIVE)
		return DIR_OUTBOUND;
	if (flags & SNOOP_SF_PASSIVE)
		return DIR_INBOUND;
	return DIR_UNKNOWN;
}

static int family_of(const struct snoop_event *e)
{
	return e->family == AF_INET6 ? FAM_IPV6 : FAM_IPV4;
}

/* A state change: handshakes begun, connections opened (and how long their handshake took). */
static void state_change(struct metrics *m, const struct snoop_event *e)
{
	struct pending *p = &m->pending[e->cookie % PENDING_SLOTS];

	if (!e->cookie)
		return;
	if (e->new_state == SNOOP_TCP_SYN_SENT || e->new_state == SNOOP_TCP_SYN_RECV) {
		p->cookie = e->cookie;
		p->ts_ns = e->ts_ns;
		return;
	}
	if (e->new_state != SNOOP_TCP_ESTABLISHED ||
	    (e->old_state != SNOOP_TCP_SYN_SENT && e->old_state != SNOOP_TCP_SYN_RECV))
		return;
	m->opened[e->old_state == SNOOP_TCP_SYN_SENT ? DIR_OUTBOUND : DIR_INBOUND][family_of(e)]++;
	if (p->cookie == e->cookie && e->ts_ns >= p->ts_ns) {
		int side = e->old_state == SNOOP_TCP_SYN_SENT ? SIDE_CLIENT : SIDE_SERVER;

		observe(&m->latency[side], latency_bounds, LATENCY_N,
			(double)(e->ts_ns - p->ts_ns) / 1e9);
		p->cookie = 0;
	}
}

static int connect_failure(int err)
{
	switch (err) {
#define CF_CASE(id, label, errnum) \
	case errnum:               \
		return CF_##id;
		CONNECT_FAILURES(CF_CASE)
#undef CF_CASE
	}
	return CF_OTHER;
}

static int reset_reason(int detail)
{
	if (detail == 0)
		return RST_NONE;
	if (detail > 0 && detail <= SNOOP_RST_COUNT)
		return detail - 1;
	return RST_OTHER;
}

void metrics__event(struct metrics *m, const struct snoop_event *e)
{
	if (e->kind < SNOOP_KIND_N)
		m->events[e->kind]++;
	switch (e->kind) {
	case SNOOP_KIND_STATE:
		state_change(m, e);
		break;
	case SNOOP_KIND_RETRANSMIT:
		m->retransmits[e->detail == SNOOP_RETRANSMIT_SYNACK ? RETRANS_SYNACK :
			       e->new_state == SNOOP_TCP_SYN_SENT   ? RETRANS_SYN :
								      RETRANS_DATA]++;
		break;
	case SNOOP_KIND_RESET_SENT:
		m->resets_sent[reset_reason(e->detail)]++;
		break;
	case SNOOP_KIND_RESET_RECV:
		m->resets_received++;
		break;
	case SNOOP_KIND_ERROR:
		m->connect_failures[connect_failure(e->detail)]++;
		break;
	case SNOOP_KIND_CLOSE:
		m->closed[direction_of(e->flags)][family_of(e)]++;
		m->bytes_sent += e->close.bytes_sent;
		m->bytes_received += e->close.bytes_received;
		m->segs_out += e->close.segs_out;
		m->segs_in += e->close.segs_in;
		observe(&m->duration, duration_bounds, DURATION_N,
			(double)e->close.duration_ns / 1e9);
		break;
	}
}

/* ---- the families ------------------------------------------------------------------------ */

static int by_dir_family(struct prom *p, const char *name, const uint64_t v[DIR_N][FAM_N])
{
	int err = 0;

	for (int d = 0; d < DIR_N && !err; d++)
		for (int f = 0; f < FAM_N && !err; f++) {
			struct prom_label l[] = { { "direction", dir_names[d] },
						  { "family", fam_names[f] } };

			err = prom_sample_u64(p, name, l, 2, v[d][f]);
		}
	return err;
}

/* One sample per label value @names[i] of label @label. */
static int by_label(struct prom *p, const char *name, const char *label, const char *const *names,
		    const uint64_t *v, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct prom_label l = { label, names[i] };

		err = prom_sample_u64(p, name, &l, 1, v[i]);
	}
	return err;
}

static int opened(const void *ctx, struct prom *p, const char *name)
{
	return by_dir_family(p, name, ((const struct metrics *)ctx)->opened);
}

static int closed(const void *ctx, struct prom *p, const char *name)
{
	return by_dir_family(p, name, ((const struct metrics *)ctx)->closed);
}

static int connect_failures(const void *ctx, struct prom *p, const char *name)
{
	return by_label(p, name, "reason", cf_names,
			((const struct metrics *)ctx)->connect_failures, CF_N);
}

static int retransmits(const void *ctx, struct prom *p, const char *name)
{
	return by_label(p, name, "kind", retrans_names, ((const struct metrics *)ctx)->retransmits,
			RETRANS_N);
}

static int resets_sent(const void *ctx, struct prom *p, const char *name)
{
	const struct metrics *m = ctx;
	int err = 0;

	for (int r = 0; r < RST_N && !err; r++) {
		struct prom_label l = { "reason", r == RST_NONE	 ? "none" :
						  r == RST_OTHER ? "other" :
								   names__reset_reason(r) };

		err = prom_sample_u64(p, name, &l, 1, m->resets_sent[r]);
	}
	return err;
}

static int resets_received(const void *ctx, struct prom *p, const char *name)
{
	return prom_sample_u64(p, name, NULL, 0, ((const struct metrics *)ctx)->resets_received);
}

static int events(const void *ctx, struct prom *p, const char *name)
{
	const struct metrics *m = ctx;
	int err = 0;

	for (int k = 1; k < SNOOP_KIND_N && !err; k++) {
		struct prom_label l = { "kind", names__kind_action(k) };

		if (l.value)
			err = prom_sample_u64(p, name, &l, 1, m->events[k]);
	}
	return err;
}

#define COUNTER_FN(fn, field)                                                                   \
	static int fn(const void *ctx, struct prom *p, const char *name)                        \
	{                                                                                       \
		return prom_sample_u64(p, name, NULL, 0, ((const struct metrics *)ctx)->field); \
	}
COUNTER_FN(bytes_sent, bytes_sent)
COUNTER_FN(bytes_received, bytes_received)
COUNTER_FN(segs_out, segs_out)
COUNTER_FN(segs_in, segs_in)
#undef COUNTER_FN

static int duration(const void *ctx, struct prom *p, const char *name)
{
	const struct histogram *h = &((const struct metrics *)ctx)->duration;

	return prom_histogram(p, name, NULL, 0, duration_bounds, h->counts, DURATION_N, h->sum);
}

static int latency(const void *ctx, struct prom *p, const char *name)
{
	const struct metrics *m = ctx;
	int err = 0;

	for (int s = 0; s < SIDE_N && !err; s++) {
		struct prom_label l = { "side", side_names[s] };

		err = prom_histogram(p, name, &l, 1, latency_bounds, m->latency[s].counts,
				     LATENCY_N, m->latency[s].sum);
	}
	return err;
}

size_t metrics__families(const struct metrics *m, struct metrics_family *out)
{
	/* In name order (lib/prom.h). */
	const struct metrics_family f[] = {
		{ "socket_snoop_closed_bytes_received_total", PROM_COUNTER,
		  "Payload bytes received by connections that closed (counted at close).",
		  bytes_received },
		{ "socket_snoop_closed_bytes_sent_total", PROM_COUNTER,
		  "Payload bytes sent and acknowledged by connections that closed (at close).",
		  bytes_sent },
		{ "socket_snoop_closed_segments_received_total", PROM_COUNTER,
		  "Segments received by connections that closed (at close).", segs_in },
		{ "socket_snoop_closed_segments_sent_total", PROM_COUNTER,
		  "Segments sent by connections that closed (at close).", segs_out },
		{ "socket_snoop_connect_failures_total", PROM_COUNTER,
		  "Connections that failed with a socket error, by reason.", connect_failures },
		{ "socket_snoop_connect_latency_seconds", PROM_HISTOGRAM,
		  "Handshake time: SYN_SENT to ESTABLISHED (client), SYN_RECV to ESTABLISHED "
		  "(server).",
		  latency },
		{ "socket_snoop_connection_duration_seconds", PROM_HISTOGRAM,
		  "How long connections lived, from the first event seen to close.", duration },
		{ "socket_snoop_connections_closed_total", PROM_COUNTER,
		  "Connections closed (close summaries), by direction and address family.",
		  closed },
		{ "socket_snoop_connections_opened_total", PROM_COUNTER,
		  "Connections that reached ESTABLISHED, by direction and address family.",
		  opened },
		{ "socket_snoop_events_received_total", PROM_COUNTER,
		  "Events delivered by the kernel, by kind (after the in-kernel filters).",
		  events },
		{ "socket_snoop_resets_received_total", PROM_COUNTER, "RSTs received.",
		  resets_received },
		{ "socket_snoop_resets_sent_total", PROM_COUNTER,
		  "RSTs sent, by the kernel's reason (none: the kernel gave none).", resets_sent },
		{ "socket_snoop_retransmits_total", PROM_COUNTER,
		  "Segments retransmitted: data, SYN (connect) and SYN-ACK (listener).",
		  retransmits },
	};
	size_t n = sizeof(f) / sizeof(f[0]);

	_Static_assert(sizeof(f) / sizeof(f[0]) <= METRICS_FAMILIES, "room for the families");
	for (size_t i = 0; i < n; i++) {
		out[i] = f[i];
		out[i].ctx = m;
	}
	return n;
}
