// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_metrics.c - the Prometheus counters and histograms counted from the
 * events (src/snoop/metrics.c): a client and a server connection, a refused
 * connect, retransmits and resets of each kind, and how each ends up in the
 * exposition; the families come in the order the writer requires; the
 * handshake table stays bounded and never pairs two connections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "lib/prom.h"
#include "snoop/metrics.h"

#define MS 1000000ull

static char out[1 << 20];

/* Every family of @m written as the exporter writes them; the text in out. */
static void expose(const struct metrics *m)
{
	struct metrics_family f[METRICS_FAMILIES];
	size_t n = metrics__families(m, f);
	struct strbuf sb;
	struct prom p;

	strbuf_init(&sb, out, sizeof(out));
	prom_init(&p, &sb);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(prom_family(&p, f[i].name, f[i].type, f[i].help), 0);
		assert_int_equal(f[i].samples(f[i].ctx, &p, f[i].name), 0);
	}
}

/* The sample line "NAME{LABELS} " has value @want. */
static void assert_sample(const char *series, const char *want)
{
	char line[512];
	const char *at;

	snprintf(line, sizeof(line), "\n%s ", series);
	at = strstr(out, line);
	if (!at)
		fail_msg("no sample %s in:\n%s", series, out);
	at += strlen(line);
	if (strncmp(at, want, strlen(want)) != 0 || at[strlen(want)] != '\n')
		fail_msg("%s is %.*s, not %s", series, (int)strcspn(at, "\n"), at, want);
}

static struct snoop_event state(uint64_t cookie, uint64_t ts, int from, int to, int flags)
{
	struct snoop_event e = test_event(SNOOP_KIND_STATE, "10.0.0.1", 40000, "10.0.0.2", 80);

	e.cookie = cookie;
	e.ts_ns = ts;
	e.old_state = (uint8_t)from;
	e.new_state = (uint8_t)to;
	e.flags = (uint8_t)flags;
	return e;
}

static void test_connections_latency_and_close(void **st)
{
	struct metrics *m = metrics__new(0);
	struct snoop_event e;

	(void)st;
	/* A client: 2.5 ms handshake; a server: 0.3 ms; IPv6 close of a third. */
	e = state(1, 10 * MS, SNOOP_TCP_CLOSE, SNOOP_TCP_SYN_SENT, SNOOP_SF_ACTIVE);
	metrics__event(m, &e);
	e = state(1, 10 * MS + 2500000, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED, SNOOP_SF_ACTIVE);
	metrics__event(m, &e);
	e = state(2, 20 * MS, SNOOP_TCP_LISTEN, SNOOP_TCP_SYN_RECV, SNOOP_SF_PASSIVE);
	metrics__event(m, &e);
	e = state(2, 20 * MS + 300000, SNOOP_TCP_SYN_RECV, SNOOP_TCP_ESTABLISHED, SNOOP_SF_PASSIVE);
	metrics__event(m, &e);
	e = test_event(SNOOP_KIND_CLOSE, "fd00::1", 5000, "fd00::2", 443);
	e.cookie = 3;
	e.flags = SNOOP_SF_ACTIVE;
	e.close.duration_ns = 7 * 1000 * MS; /* 7 s */
	e.close.bytes_sent = 100;
	e.close.bytes_received = 2000;
	e.close.segs_out = 5;
	e.close.segs_in = 7;
	e.close.reason = SNOOP_CLOSE_KEEPALIVE_TIMEOUT;
	metrics__event(m, &e);
	expose(m);

	assert_sample(
		"socket_snoop_connections_opened_total{direction=\"outbound\",family=\"ipv4\"}",
		"1");
	assert_sample(
		"socket_snoop_connections_opened_total{direction=\"inbound\",family=\"ipv4\"}",
		"1");
	assert_sample(
		"socket_snoop_connections_opened_total{direction=\"inbound\",family=\"ipv6\"}",
		"0");
	assert_sample(
		"socket_snoop_connections_closed_total{direction=\"outbound\",family=\"ipv6\"}",
		"1");
	assert_sample("socket_snoop_connections_ended_total{reason=\"keepalive_timeout\"}", "1");
	assert_sample("socket_snoop_connections_ended_total{reason=\"fin_local\"}", "0");
	assert_sample("socket_snoop_closed_bytes_sent_total", "100");
	assert_sample("socket_snoop_closed_bytes_received_total", "2000");
	assert_sample("socket_snoop_closed_segments_sent_total", "5");
	assert_sample("socket_snoop_closed_segments_received_total", "7");
	/* 2.5 ms is in the 0.0025 bucket (le is inclusive), 0.3 ms in 0.0005. */
	assert_sample("socket_snoop_connect_latency_seconds_bucket{side=\"client\",le=\"0.001\"}",
		      "0");
	assert_sample("socket_snoop_connect_latency_seconds_bucket{side=\"client\",le=\"0.0025\"}",
		      "1");
	assert_sample("socket_snoop_connect_latency_seconds_count{side=\"client\"}", "1");
	assert_sample("socket_snoop_connect_latency_seconds_sum{side=\"client\"}", "0.0025");
	assert_sample("socket_snoop_connect_latency_seconds_bucket{side=\"server\",le=\"0.00025\"}",
		      "0");
	assert_sample("socket_snoop_connect_latency_seconds_bucket{side=\"server\",le=\"0.0005\"}",
		      "1");
	assert_sample("socket_snoop_connection_duration_seconds_bucket{le=\"5\"}", "0");
	assert_sample("socket_snoop_connection_duration_seconds_bucket{le=\"10\"}", "1");
	assert_sample("socket_snoop_connection_duration_seconds_bucket{le=\"+Inf\"}", "1");
	assert_sample("socket_snoop_connection_duration_seconds_sum", "7");
	assert_sample("socket_snoop_events_received_total{kind=\"state_change\"}", "4");
	assert_sample("socket_snoop_events_received_total{kind=\"close\"}", "1");
	metrics__free(m);
}

static void test_failures_retransmits_resets(void **st)
{
	struct metrics *m = metrics__new(0);
	static const int errs[] = { ECONNREFUSED, ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH,
				    ENETUNREACH,  ECONNRESET,	EPIPE };
	struct snoop_event e;

	(void)st;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		e = test_event(SNOOP_KIND_ERROR, "10.0.0.1", 1, "10.0.0.2", 2);
		e.detail = errs[i];
		metrics__event(m, &e);
	}
	e = test_event(SNOOP_KIND_RETRANSMIT, "10.0.0.1", 1, "10.0.0.2", 2);
	e.new_state = SNOOP_TCP_ESTABLISHED;
	metrics__event(m, &e);
	metrics__event(m, &e);
	e.new_state = SNOOP_TCP_SYN_SENT;
	metrics__event(m, &e);
	e.new_state = SNOOP_TCP_LISTEN;
	e.detail = SNOOP_RETRANSMIT_SYNACK;
	metrics__event(m, &e);
	e = test_event(SNOOP_KIND_RESET_SENT, "10.0.0.1", 1, "10.0.0.2", 2);
	e.detail = 0; /* the kernel gave no reason */
	metrics__event(m, &e);
	e.detail = SNOOP_RST_NO_SOCKET + 1;
	metrics__event(m, &e);
	e.detail = -99; /* a reason this version does not name */
	metrics__event(m, &e);
	e = test_event(SNOOP_KIND_RESET_RECV, "10.0.0.1", 1, "10.0.0.2", 2);
	metrics__event(m, &e);
	expose(m);

	assert_sample("socket_snoop_connect_failures_total{reason=\"refused\"}", "2");
	assert_sample("socket_snoop_connect_failures_total{reason=\"timed_out\"}", "1");
	assert_sample("socket_snoop_connect_failures_total{reason=\"host_unreachable\"}", "1");
	assert_sample("socket_snoop_connect_failures_total{reason=\"net_unreachable\"}", "1");
	assert_sample("socket_snoop_connect_failures_total{reason=\"reset\"}", "1");
	assert_sample("socket_snoop_connect_failures_total{reason=\"other\"}", "1");
	assert_sample("socket_snoop_retransmits_total{kind=\"data\"}", "2");
	assert_sample("socket_snoop_retransmits_total{kind=\"syn\"}", "1");
	assert_sample("socket_snoop_retransmits_total{kind=\"synack\"}", "1");
	assert_sample("socket_snoop_resets_sent_total{reason=\"none\"}", "1");
	assert_sample("socket_snoop_resets_sent_total{reason=\"NO_SOCKET\"}", "1");
	assert_sample("socket_snoop_resets_sent_total{reason=\"other\"}", "1");
	assert_sample("socket_snoop_resets_received_total", "1");
	metrics__free(m);
}

/*
 * A handshake whose slot was taken by a newer one is not measured, and an
 * ESTABLISHED of another cookie in the same slot is never paired with it.
 */
static void test_handshake_table_is_bounded_and_exact(void **st)
{
	struct metrics *m = metrics__new(0);
	struct snoop_event e;

	(void)st;
	for (uint64_t c = 1; c <= 100000; c++) {
		e = state(c, c * MS, SNOOP_TCP_CLOSE, SNOOP_TCP_SYN_SENT, SNOOP_SF_ACTIVE);
		metrics__event(m, &e);
	}
	/* Only the last 4096 (one per slot) can still be paired: the first cannot. */
	e = state(1, 200000 * MS, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED, SNOOP_SF_ACTIVE);
	metrics__event(m, &e);
	e = state(100000, 100000 * MS + 1000, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED,
		  SNOOP_SF_ACTIVE);
	metrics__event(m, &e);
	expose(m);
	assert_sample(
		"socket_snoop_connections_opened_total{direction=\"outbound\",family=\"ipv4\"}",
		"2");
	assert_sample("socket_snoop_connect_latency_seconds_count{side=\"client\"}", "1");
	assert_sample("socket_snoop_connect_latency_seconds_bucket{side=\"client\",le=\"0.0001\"}",
		      "1");
	metrics__free(m);
}

/* How many times @needle is in @hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *at = hay; (at = strstr(at, needle)); at++)
		n++;
	return n;
}

/* A connection of command @comm opened (outbound IPv4) and the connect error of another. */
static void command_events(struct metrics *m, const char *comm, int opened, int refused)
{
	static uint64_t cookie = 1000000;
	struct snoop_event e;

	for (int i = 0; i < opened; i++) {
		e = state(++cookie, 1, SNOOP_TCP_SYN_SENT, SNOOP_TCP_ESTABLISHED, SNOOP_SF_ACTIVE);
		memset(e.owner.comm, 0, sizeof(e.owner.comm));
		memcpy(e.owner.comm, comm, strnlen(comm, sizeof(e.owner.comm)));
		metrics__event(m, &e);
	}
	for (int i = 0; i < refused; i++) {
		e = test_event(SNOOP_KIND_ERROR, "10.0.0.1", 40000, "10.0.0.2", 9);
		e.detail = ECONNREFUSED;
		memset(e.owner.comm, 0, sizeof(e.owner.comm));
		memcpy(e.owner.comm, comm, strnlen(comm, sizeof(e.owner.comm)));
		metrics__event(m, &e);
	}
}

#define OPENED_V4(comm)                                                                   \
	"socket_snoop_connections_opened_total{comm=\"" comm "\",direction=\"outbound\"," \
	"family=\"ipv4\"}"

/*
 * --metrics-labels=comm:2: the two commands with most events get their own
 * series at a scrape and keep them, counting from then; the rest, names that
 * escaping could make equal and a command named "other" stay in "other".
 */
static void test_top_commands_get_their_own_series(void **st)
{
	struct metrics *m = metrics__new(2);

	(void)st;
	command_events(m, "curl", 3, 1);
	command_events(m, "nginx", 5, 0);
	command_events(m, "wget", 1, 0);
	command_events(m, "other", 9, 0);
	command_events(m, "bad\xff\xfe", 8, 0);
	command_events(m, "tab\tname", 7, 0);
	/* Before any scrape: everything in "other". */
	expose(m);
	assert_sample(OPENED_V4("other"), "33");
	assert_null(strstr(out, "comm=\"nginx\""));

	metrics__show_commands(m);
	command_events(m, "nginx", 2, 0);
	command_events(m, "curl", 1, 2);
	command_events(m, "wget", 50, 0);
	metrics__show_commands(m);
	expose(m);
	/* From the first scrape on; what came before stays in "other". */
	assert_sample(OPENED_V4("nginx"), "2");
	assert_sample(OPENED_V4("curl"), "1");
	assert_sample(OPENED_V4("other"), "83");
	assert_sample("socket_snoop_connect_failures_total{comm=\"curl\",reason=\"refused\"}", "2");
	assert_sample("socket_snoop_connect_failures_total{comm=\"other\",reason=\"refused\"}",
		      "1");
	/* Two shown at most, kept: wget's 50 later events do not take a series. */
	assert_null(strstr(out, "comm=\"wget\""));
	assert_null(strstr(out, "comm=\"tab"));
	assert_null(strstr(out, "comm=\"bad"));
	metrics__free(m);
}

/* Names past the table's room are counted in "other"; memory stays what it was. */
static void test_command_table_is_bounded(void **st)
{
	struct metrics *m = metrics__new(100);
	char name[16];

	(void)st;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		command_events(m, name, 1, 0);
	}
	metrics__show_commands(m);
	command_events(m, "c4999", 1, 0);
	command_events(m, "c0", 1, 0);
	expose(m);
	/* 100 of the first 768 names have a series; c4999 came when the table was full. */
	assert_non_null(strstr(out, "comm=\"other\""));
	assert_null(strstr(out, "comm=\"c4999\""));
	assert_int_equal(count_of(out, "socket_snoop_connections_opened_total{comm=\"c"), 6 * 100);
	metrics__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connections_latency_and_close),
		cmocka_unit_test(test_failures_retransmits_resets),
		cmocka_unit_test(test_handshake_table_is_bounded_and_exact),
		cmocka_unit_test(test_top_commands_get_their_own_series),
		cmocka_unit_test(test_command_table_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
