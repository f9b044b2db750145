// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* metrics.c - Prometheus counters and histograms from the events (see metrics.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
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

/* The counters that take a comm label with --metrics-labels=comm: one set per command shown. */
struct by_command {
	uint64_t opened[DIR_N][FAM_N], closed[DIR_N][FAM_N];
	uint64_t connect_failures[CF_N];
	uint64_t retransmits[RETRANS_N];
	uint64_t resets_sent[RST_N];
	uint64_t close_reasons[SNOOP_CLOSE_REASON_COUNT];
};

/*
 * Commands seen, for choosing which get a series of their own: an open
 * addressing table of COMMANDS_MAX names, each with its events so far and
 * its slot of struct by_command once shown (0: in "other").  Full, a new
 * name goes to "other" without an entry: bounded memory whatever a hostile
 * user names their processes.
 */
#define COMMANDS_MAX 1024

struct command {
	char comm[SNOOP_COMM_LEN]; /* "" for a free entry */
	uint64_t events;
	uint32_t slot;
};

struct metrics {
	uint64_t events[SNOOP_KIND_N];
	uint64_t resets_received;
	uint64_t bytes_sent, bytes_received, segs_out, segs_in;
	struct histogram duration, latency[SIDE_N];
	/* Slot 0: every command (without comm labels) or those not shown ("other"). */
	struct by_command *cmd;
	unsigned int top;	       /* commands shown at most (0: no comm label) */
	unsigned int shown;	       /* slots given so far, 1..top */
	char (*names)[SNOOP_COMM_LEN]; /* of each slot shown, from 1 */
	struct command *commands;
	unsigned int n_commands;
	struct pending pending[PENDING_SLOTS];
};

struct metrics *metrics__new(unsigned int comm_top)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->top = comm_top > METRICS_COMM_TOP_MAX ? METRICS_COMM_TOP_MAX : comm_top;
	m->cmd = calloc(m->top + 1, sizeof(*m->cmd));
	m->names = calloc(m->top + 1, sizeof(*m->names));
	m->commands = m->top ? calloc(COMMANDS_MAX, sizeof(*m->commands)) : NULL;
	if (!m->cmd || !m->names || (m->top && !m->commands)) {
		metrics__free(m);
		return NULL;
	}
	return m;
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	free(m->cmd);
	free(m->names);
	free(m->commands);
	free(m);
}

/* FNV-1a of a command name, up to its NUL. */
static uint32_t comm_hash(const char *comm)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < SNOOP_COMM_LEN && comm[i]; i++)
		h = (h ^ (uint8_t)comm[i]) * 16777619u;
	return h;
}

/* The counters of @e's command: its own once shown, else "other" (slot 0). */
static struct by_command *command_of(struct metrics *m, const struct snoop_event *e)
{
	char comm[SNOOP_COMM_LEN];
	uint32_t i;

	if (!m->top)
		return &m->cmd[0];
	/* The kernel's name is NUL-padded but may fill all 16 bytes: bounded here. */
	memcpy(comm, e->owner.comm, SNOOP_COMM_LEN - 1);
	comm[SNOOP_COMM_LEN - 1] = '\0';
	if (!comm[0])
		return &m->cmd[0];
	for (i = comm_hash(comm) % COMMANDS_MAX;; i = (i + 1) % COMMANDS_MAX) {
		struct command *c = &m->commands[i];

		if (!c->comm[0]) {
			/* Kept below three quarters full, so that a probe ends soon. */
			if (m->n_commands >= COMMANDS_MAX * 3 / 4)
				return &m->cmd[0];
			memcpy(c->comm, comm, sizeof(comm));
			m->n_commands++;
		} else if (memcmp(c->comm, comm, sizeof(comm)) != 0) {
			continue;
		}
		c->events++;
		return &m->cmd[c->slot];
	}
}

/*
 * A name that may be a comm label value of its own: printable ASCII and not
 * "other".  Escaping makes any other name one that two commands could share
 * (invalid UTF-8 becomes U+FFFD), and two series of one name fail a scrape.
 */
static bool showable(const char *comm)
{
	for (int i = 0; i < SNOOP_COMM_LEN && comm[i]; i++)
		if ((unsigned char)comm[i] < 0x20 || (unsigned char)comm[i] >= 0x7f)
			return false;
	return strcmp(comm, "other") != 0;
}

void metrics__show_commands(struct metrics *m)
{
	while (m->shown < m->top) {
		struct command *best = NULL;

		for (unsigned int i = 0; i < COMMANDS_MAX; i++) {
			struct command *c = &m->commands[i];

			if (c->comm[0] && !c->slot && showable(c->comm) &&
			    (!best || c->events > best->events))
				best = c;
		}
		if (!best)
			return;
		best->slot = ++m->shown;
		memcpy(m->names[best->slot], best->comm, SNOOP_COMM_LEN);
	}
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
static void state_change(struct metrics *m, struct by_command *bc, const struct snoop_event *e)
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
	bc->opened[e->old_state == SNOOP_TCP_SYN_SENT ? DIR_OUTBOUND : DIR_INBOUND][family_of(e)]++;
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
	struct by_command *bc = command_of(m, e);

	if (e->kind < SNOOP_KIND_N)
		m->events[e->kind]++;
	switch (e->kind) {
	case SNOOP_KIND_STATE:
		state_change(m, bc, e);
		break;
	case SNOOP_KIND_RETRANSMIT:
		bc->retransmits[e->detail == SNOOP_RETRANSMIT_SYNACK ? RETRANS_SYNACK :
				e->new_state == SNOOP_TCP_SYN_SENT   ? RETRANS_SYN :
								       RETRANS_DATA]++;
		break;
	case SNOOP_KIND_RESET_SENT:
		bc->resets_sent[reset_reason(e->detail)]++;
		break;
	case SNOOP_KIND_RESET_RECV:
		m->resets_received++;
		break;
	case SNOOP_KIND_ERROR:
		bc->connect_failures[connect_failure(e->detail)]++;
		break;
	case SNOOP_KIND_CLOSE:
		bc->closed[direction_of(e->flags)][family_of(e)]++;
		bc->close_reasons[e->close.reason < SNOOP_CLOSE_REASON_COUNT ?
					  e->close.reason :
					  SNOOP_CLOSE_UNKNOWN]++;
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

/*
 * The labels of one sample of a per-command family: the command's (with
 * --metrics-labels=comm) then @l's, in @out (room for 3).  Their number.
 */
static size_t with_command(const struct metrics *m, unsigned int slot, const struct prom_label *l,
			   size_t n, struct prom_label *out)
{
	size_t k = 0;

	if (m->top)
		out[k++] = (struct prom_label){ "comm", slot ? m->names[slot] : "other" };
	for (size_t i = 0; i < n; i++)
		out[k++] = l[i];
	return k;
}

/* The value of one counter of struct by_command, by its place in it (offsetof). */
static uint64_t counter_at(const struct by_command *bc, size_t offset)
{
	uint64_t v;

	memcpy(&v, (const char *)bc + offset, sizeof(v));
	return v;
}

/* Samples of an array of struct by_command at @offset, labelled @label = @names[i], per command. */
static int by_label(const struct metrics *m, struct prom *p, const char *name, const char *label,
		    const char *const *names, size_t offset, size_t n)
{
	int err = 0;

	for (unsigned int s = 0; s <= m->shown && !err; s++)
		for (size_t i = 0; i < n && !err; i++) {
			struct prom_label l = { label, names[i] }, all[3];
			size_t k = with_command(m, s, &l, 1, all);

			err = prom_sample_u64(p, name, all, k,
					      counter_at(&m->cmd[s],
							 offset + i * sizeof(uint64_t)));
		}
	return err;
}

/* The same, labelled by direction and address family. */
static int by_dir_family(const struct metrics *m, struct prom *p, const char *name, size_t offset)
{
	static const char *const pairs[DIR_N * FAM_N][2] = {
		{ "outbound", "ipv4" }, { "outbound", "ipv6" }, { "inbound", "ipv4" },
		{ "inbound", "ipv6" },	{ "unknown", "ipv4" },	{ "unknown", "ipv6" },
	};
	int err = 0;

	_Static_assert(DIR_OUTBOUND == 0 && DIR_INBOUND == 1 && DIR_UNKNOWN == 2 && FAM_IPV4 == 0 &&
			       FAM_IPV6 == 1,
		       "pairs[] is in the order of opened[][]");
	for (unsigned int s = 0; s <= m->shown && !err; s++)
		for (size_t i = 0; i < DIR_N * FAM_N && !err; i++) {
			struct prom_label l[] = { { "direction", pairs[i][0] },
						  { "family", pairs[i][1] } },
					  all[3];
			size_t k = with_command(m, s, l, 2, all);

			err = prom_sample_u64(p, name, all, k,
					      counter_at(&m->cmd[s],
							 offset + i * sizeof(uint64_t)));
		}
	return err;
}

static int opened(const void *ctx, struct prom *p, const char *name)
{
	return by_dir_family(ctx, p, name, offsetof(struct by_command, opened));
}

static int closed(const void *ctx, struct prom *p, const char *name)
{
	return by_dir_family(ctx, p, name, offsetof(struct by_command, closed));
}

static int close_reasons(const void *ctx, struct prom *p, const char *name)
{
	const char *names[SNOOP_CLOSE_REASON_COUNT];

	for (int r = 0; r < SNOOP_CLOSE_REASON_COUNT; r++)
		names[r] = names__close_reason(r);
	return by_label(ctx, p, name, "reason", names, offsetof(struct by_command, close_reasons),
			SNOOP_CLOSE_REASON_COUNT);
}

static int connect_failures(const void *ctx, struct prom *p, const char *name)
{
	return by_label(ctx, p, name, "reason", cf_names,
			offsetof(struct by_command, connect_failures), CF_N);
}

static int retransmits(const void *ctx, struct prom *p, const char *name)
{
	return by_label(ctx, p, name, "kind", retrans_names,
			offsetof(struct by_command, retransmits), RETRANS_N);
}

/* By reason only: with a comm label, its 30-odd reasons would be most of a scrape. */
static int resets_sent(const void *ctx, struct prom *p, const char *name)
{
	const struct metrics *m = ctx;
	int err = 0;

	for (int r = 0; r < RST_N && !err; r++) {
		struct prom_label l = { "reason", r == RST_NONE	 ? "none" :
						  r == RST_OTHER ? "other" :
								   names__reset_reason(r) };
		uint64_t v = 0;

		for (unsigned int s = 0; s <= m->shown; s++)
			v += m->cmd[s].resets_sent[r];
		err = prom_sample_u64(p, name, &l, 1, v);
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
		{ "socket_snoop_connections_ended_total", PROM_COUNTER,
		  "Connections closed, by why they ended (the close summary's CLOSE_REASON).",
		  close_reasons },
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

	_Static_assert(sizeof(f) / sizeof(f[0]) <= METRICS_FAMILIES, "room for the families");
	return metrics_families_bind(f, sizeof(f) / sizeof(f[0]), m, out);
}

size_t metrics_families_bind(const struct metrics_family *f, size_t n, const void *ctx,
			     struct metrics_family *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = f[i];
		out[i].ctx = ctx;
	}
	return n;
}
