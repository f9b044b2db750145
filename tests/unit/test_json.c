// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_json.c - the JSON writer (src/json.h) and the JSON Lines objects
 * (src/fmt_json.h), byte for byte against docs/json-schema.md.
 *
 * Escaping is fed hostile strings: '"' and '\\', every control byte and DEL
 * as \u00XX (lower-case hex), valid UTF-8 kept as it is, and every byte that
 * is not part of valid UTF-8 replaced by U+FFFD (EF BF BD), one per byte.
 * Time stamps are RFC 3339 UTC whatever the local zone: the tests run with
 * TZ set to a zone 5:30 east of UTC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "common/cgroups.h"
#include "common/diag.h"
#include "common/procinfo.h"
#include "snoop/fmt_json.h"
#include "snoop/output.h"
#include "snoop/lifecycle.h"
#include "lib/json.h"
#include "lib/names.h"
#include "helpers.h"

/* U+FFFD REPLACEMENT CHARACTER as UTF-8. */
#define FFFD "\xef\xbf\xbd"

/* Nanoseconds since the epoch of a UTC calendar time, plus @ns. */
static uint64_t utc_ns(int year, int mon, int mday, int hour, int min, int sec, uint64_t ns)
{
	return test_utc_ns(year, mon, mday, hour, min, sec) + ns;
}

/* 2024-12-30T22:05:25.454123456Z: the seed README's first line, with nanoseconds. */
#define TS_NS utc_ns(2024, 12, 30, 22, 5, 25, 454123456)
#define TS "2024-12-30T22:05:25.454123456Z"

static int setup_tz_east(void **state)
{
	/* POSIX zone string (no tzdata needed): local time is UTC+5:30. */
	setenv("TZ", "IST-5:30", 1);
	tzset();
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* json_escape() of @n bytes of @s, as a string. */
static const char *escaped(char *buf, size_t size, const char *s, size_t n)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	json_escape(&sb, s, n);
	return buf;
}

#define assert_escape(in, want)                                                                 \
	do {                                                                                    \
		char out_[512];                                                                 \
		assert_string_equal(escaped(out_, sizeof(out_), (in), sizeof(in) - 1), (want)); \
	} while (0)

/*
 * An event of @kind for the local end @src:@sport and the remote end
 * @dst:@dport, owned by "audacious" (pid 30512, thread 30513, parent 1,
 * uid 1000, cgroup 7) with @attribution; netns 4026531840, cookie 651758.
 */
static struct snoop_event event(int kind, const char *src, uint16_t sport, const char *dst,
				uint16_t dport, int flags, int attribution, int old_state,
				int new_state)
{
	struct snoop_event e = test_event(kind, src, sport, dst, dport);

	e.flags = (uint8_t)flags;
	e.attribution = (uint8_t)attribution;
	e.old_state = (uint8_t)old_state;
	e.new_state = (uint8_t)new_state;
	e.cookie = 651758;
	e.netns = 4026531840u;
	if (attribution != SNOOP_ATTR_UNKNOWN) {
		test_set_owner(&e, attribution, 30512, 30513, "audacious");
		e.owner.ppid = 1;
		e.owner.uid = 1000;
		e.owner.cgroup_id = 7;
	}
	return e;
}

/* Format @e as event number @seq at TS_NS and compare the whole object and its length. */
static void assert_json(const struct snoop_event *e, uint64_t seq, const char *want)
{
	char buf[FMT_LINE_MAX];
	size_t len = fmt_json_event(buf, sizeof(buf), e, TS_NS, seq);

	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
}

/* The members every owned event carries. */
#define NET4(dir, cid) "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\"" dir cid "}"
/* network.community_id (the expected values computed apart, from the spec). */
#define CID(id) ",\"community_id\":\"" id "\""
#define EGRESS ",\"direction\":\"egress\""
#define INGRESS ",\"direction\":\"ingress\""
#define PROCESS                                                                                               \
	"\"process\":{\"pid\":30512,\"thread\":{\"id\":30513,\"name\":\"audacious\"},\"name\":\"audacious\"," \
	"\"parent\":{\"pid\":1}},\"user\":{\"id\":\"1000\"}"
#define SS_HEAD(attr) \
	"\"socket_snoop\":{\"schema\":\"3\",\"cookie\":651758,\"attribution\":\"" attr "\""
#define NETNS_CG ",\"netns\":4026531840,\"cgroup_id\":7"
#define EP(key, ip, port) "\"" key "\":{\"ip\":\"" ip "\",\"port\":" #port "}"
#define HEAD(action, seq)                                                     \
	"{\"@timestamp\":\"" TS                                               \
	"\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"" action \
	"\",\"kind\":\"event\",\"sequence\":" #seq "}"

/* ---- json_escape ------------------------------------------------------------------------ */

static void test_escape_printable_ascii_unchanged(void **state)
{
	assert_escape("snoop-cli 1.0 ~!#$%&'()*+,-./:;<=>?@[]^_`{|}",
		      "snoop-cli 1.0 ~!#$%&'()*+,-./:;<=>?@[]^_`{|}");
	assert_escape("", "");
}

static void test_escape_quote_and_backslash(void **state)
{
	assert_escape("a\"b\\c", "a\\\"b\\\\c");
	assert_escape("\\\"", "\\\\\\\"");
	assert_escape("\\u0041", "\\\\u0041");
}

static void test_escape_newline_tab_cr_as_u00xx(void **state)
{
	assert_escape("a\nb", "a\\u000ab");
	assert_escape("a\tb", "a\\u0009b");
	assert_escape("a\r\n", "a\\u000d\\u000a");
	assert_escape("\"}\n{\"x\":1", "\\\"}\\u000a{\\\"x\\\":1");
}

static void test_escape_every_control_byte_and_del(void **state)
{
	for (unsigned int c = 0; c <= 0x7f; c++) {
		char in[3] = { 'a', (char)c, 'z' };
		char want[16], out[32];

		if (c >= 0x20 && c != 0x7f)
			continue;
		snprintf(want, sizeof(want), "a\\u%04xz", c);
		assert_string_equal(escaped(out, sizeof(out), in, sizeof(in)), want);
	}
}

static void test_escape_nul_inside_the_length_is_escaped(void **state)
{
	char out[32];

	assert_string_equal(escaped(out, sizeof(out), "a\0b", 3), "a\\u0000b");
	assert_string_equal(escaped(out, sizeof(out), "abc", 2), "ab");
}

static void test_escape_valid_utf8_kept(void **state)
{
	/* 2, 3 and 4 bytes, and the edges of the valid ranges (RFC 3629). */
	assert_escape("caf\xc3\xa9", "caf\xc3\xa9");
	assert_escape("\xc2\xa0\xdf\xbf", "\xc2\xa0\xdf\xbf");		       /* U+00A0, U+07FF */
	assert_escape("\xe0\xa0\x80\xe2\x82\xac", "\xe0\xa0\x80\xe2\x82\xac"); /* U+0800, euro */
	assert_escape("\xed\x9f\xbf\xee\x80\x80", "\xed\x9f\xbf\xee\x80\x80"); /* U+D7FF, U+E000 */
	assert_escape(FFFD "\xef\xbf\xbf", FFFD "\xef\xbf\xbf");	       /* U+FFFD, U+FFFF */
	assert_escape("\xf0\x90\x80\x80\xf0\x9f\x98\x80", "\xf0\x90\x80\x80\xf0\x9f\x98\x80");
	assert_escape("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void test_escape_c1_controls_as_u00xx(void **state)
{
	/* Valid UTF-8, but a terminal obeys them: U+009B is a CSI. */
	for (unsigned int cp = 0x80; cp <= 0x9f; cp++) {
		char in[4] = { 'a', (char)(0xc0 | (cp >> 6)), (char)(0x80 | (cp & 0x3f)), 'z' };
		char want[16], out[32];

		snprintf(want, sizeof(want), "a\\u%04xz", cp);
		assert_string_equal(escaped(out, sizeof(out), in, sizeof(in)), want);
	}
	assert_escape("\xc2\x9b"
		      "31mred",
		      "\\u009b31mred");
	/* The neighbours are shown as they are. */
	assert_escape("\xc2\xa0\xc2\x7f", "\xc2\xa0" FFFD "\\u007f");
}

/* @cp (U+0080..U+FFFF) as UTF-8 at @out, NUL-terminated; its length. */
static size_t utf8_encode(char *out, unsigned int cp)
{
	size_t n = 0;

	if (cp < 0x800) {
		out[n++] = (char)(0xc0 | (cp >> 6));
	} else {
		out[n++] = (char)(0xe0 | (cp >> 12));
		out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
	}
	out[n++] = (char)(0x80 | (cp & 0x3f));
	out[n] = '\0';
	return n;
}

static void test_escape_bidi_controls_and_separators_as_u_escapes(void **state)
{
	static const unsigned int escaped_cps[] = { 0x061c, 0x200e, 0x200f, 0x2028, 0x2029,
						    0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
						    0x2066, 0x2067, 0x2068, 0x2069 };
	static const unsigned int kept_cps[] = { 0x061b, 0x200d, 0x2010, 0x2027,
						 0x202f, 0x2065, 0x206a };

	for (size_t i = 0; i < sizeof(escaped_cps) / sizeof(escaped_cps[0]); i++) {
		unsigned int cp = escaped_cps[i];
		char in[5], want[16], out[32];
		size_t n = utf8_encode(in, cp);

		snprintf(want, sizeof(want), "\\u%04x", cp);
		assert_string_equal(escaped(out, sizeof(out), in, n), want);
	}
	for (size_t i = 0; i < sizeof(kept_cps) / sizeof(kept_cps[0]); i++) {
		unsigned int cp = kept_cps[i];
		char in[5], out[32];
		size_t n = utf8_encode(in, cp);

		assert_string_equal(escaped(out, sizeof(out), in, n), in);
	}
	/* RIGHT-TO-LEFT OVERRIDE in a name: "evil\u202ecod.exe". */
	assert_escape("evil\xe2\x80\xae"
		      "cod.exe",
		      "evil\\u202ecod.exe");
}

static void test_escape_lone_continuation_bytes(void **state)
{
	assert_escape("\x80", FFFD);
	assert_escape("a\x80\xbf"
		      "b",
		      "a" FFFD FFFD "b");
}

static void test_escape_overlong_forms(void **state)
{
	assert_escape("\xc0\x80", FFFD FFFD);			/* NUL, overlong */
	assert_escape("\xc1\xbf", FFFD FFFD);			/* U+007F, overlong */
	assert_escape("\xe0\x80\x80", FFFD FFFD FFFD);		/* overlong 3 bytes */
	assert_escape("\xe0\x9f\xbf", FFFD FFFD FFFD);		/* U+07FF in 3 bytes */
	assert_escape("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD); /* U+FFFF in 4 bytes */
}

static void test_escape_surrogates(void **state)
{
	assert_escape("\xed\xa0\x80", FFFD FFFD FFFD); /* U+D800 */
	assert_escape("\xed\xbf\xbf", FFFD FFFD FFFD); /* U+DFFF */
}

static void test_escape_bytes_f5_and_above_and_beyond_10ffff(void **state)
{
	assert_escape("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	assert_escape("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
	assert_escape("\xf8\xfc\xfe\xff", FFFD FFFD FFFD FFFD);
}

static void test_escape_truncated_sequences(void **state)
{
	assert_escape("ab\xc3", "ab" FFFD);
	assert_escape("ab\xe2\x82", "ab" FFFD FFFD);
	assert_escape("ab\xf0\x9f\x98", "ab" FFFD FFFD FFFD);
	/* Cut short by another character, not by the end. */
	assert_escape("\xe2\x82z", FFFD FFFD "z");
	assert_escape("\xc3\"", FFFD "\\\"");
}

static void test_escape_hostile_command_name(void **state)
{
	/* What e2e's hostile symlinks put in comm: q " b \ TAB 0xff z, c a f é DEL 0xc3. */
	assert_escape("q\"b\\\t\xffz", "q\\\"b\\\\\\u0009" FFFD "z");
	assert_escape("caf\xc3\xa9\x7f\xc3", "caf\xc3\xa9\\u007f" FFFD);
	assert_escape("nl\nSTATE=x", "nl\\u000aSTATE=x");
}

/* ---- the writer ------------------------------------------------------------------------- */

static void test_writer_nesting_commas_and_types(void **state)
{
	char buf[256];
	struct strbuf sb;
	struct json j;

	strbuf_init(&sb, buf, sizeof(buf));
	json_init(&j, &sb);
	json_value_begin(&j);
	json_str(&j, "s", "x");
	json_object_begin(&j, "n");
	json_u64(&j, "u", UINT64_MAX);
	json_i64(&j, "i", INT64_MIN);
	json_bool(&j, "t", true);
	json_bool(&j, "f", false);
	json_object_end(&j);
	json_array_begin(&j, "a");
	/* Elements have no key: the functions take a NULL fragment. */
	json_mem_(&j, NULL, 0, "e", 1);
	json_u64_(&j, NULL, 0, 0);
	json_value_begin(&j);
	json_str(&j, "k", "v");
	json_object_end(&j);
	json_array_value_begin(&j);
	json_array_end(&j);
	json_array_end(&j);
	json_object_begin(&j, "empty");
	json_object_end(&j);
	json_object_end(&j);
	assert_string_equal(buf, "{\"s\":\"x\",\"n\":{\"u\":18446744073709551615,"
				 "\"i\":-9223372036854775808,\"t\":true,\"f\":false},"
				 "\"a\":[\"e\",0,{\"k\":\"v\"},[]],\"empty\":{}}");
}

static void test_writer_escapes_values(void **state)
{
	char buf[128];
	struct strbuf sb;
	struct json j;

	strbuf_init(&sb, buf, sizeof(buf));
	json_init(&j, &sb);
	json_value_begin(&j);
	json_str(&j, "name", "a\"}\n{\"b");
	json_mem(&j, "mem", "x\0\xff", 3);
	json_object_end(&j);
	assert_string_equal(buf, "{\"name\":\"a\\\"}\\u000a{\\\"b\",\"mem\":\"x\\u0000" FFFD "\"}");
}

static void test_writer_truncates_without_overrun(void **state)
{
	char mem[64];
	struct strbuf sb;
	struct json j;

	memset(mem, 'Z', sizeof(mem));
	strbuf_init(&sb, mem, 12);
	json_init(&j, &sb);
	json_value_begin(&j);
	json_str(&j, "key", "\x01\x02\x03\xff\xff");
	json_object_end(&j);
	assert_int_equal(strlen(mem), 11);
	assert_memory_equal(mem, "{\"key\":\"\\u0", 11);
	for (size_t i = 12; i < sizeof(mem); i++)
		assert_int_equal(mem[i], 'Z');
}

/* ---- time and states -------------------------------------------------------------------- */

static void test_rfc3339_is_utc_with_nanoseconds(void **state)
{
	char buf[40];
	struct strbuf sb;

	strbuf_init(&sb, buf, sizeof(buf));
	fmt_rfc3339(&sb, TS_NS);
	assert_string_equal(buf, TS);

	strbuf_init(&sb, buf, sizeof(buf));
	fmt_rfc3339(&sb, 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");

	/* Padding, a leap day, and the cached second changing back and forth. */
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_rfc3339(&sb, utc_ns(2024, 2, 29, 23, 59, 59, 5));
	assert_string_equal(buf, "2024-02-29T23:59:59.000000005Z");
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_rfc3339(&sb, utc_ns(2024, 3, 1, 0, 0, 0, 999999999));
	assert_string_equal(buf, "2024-03-01T00:00:00.999999999Z");
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_rfc3339(&sb, utc_ns(2024, 2, 29, 23, 59, 59, 6));
	assert_string_equal(buf, "2024-02-29T23:59:59.000000006Z");
	/* Every digit of the nanoseconds in its place (one, then pairs). */
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_rfc3339(&sb, utc_ns(2024, 2, 29, 23, 59, 59, 123456789));
	assert_string_equal(buf, "2024-02-29T23:59:59.123456789Z");
	strbuf_init(&sb, buf, sizeof(buf));
	fmt_rfc3339(&sb, utc_ns(2024, 2, 29, 23, 59, 59, 907050301));
	assert_string_equal(buf, "2024-02-29T23:59:59.907050301Z");
}

static void test_state_names_are_lower_case_kernel_names(void **state)
{
	static const char *const want[] = {
		"unknown",   "established", "syn_sent",	    "syn_recv",	  "fin_wait1",
		"fin_wait2", "time_wait",   "close",	    "close_wait", "last_ack",
		"listen",    "closing",	    "new_syn_recv", "unknown",
	};

	for (int s = 0; s < (int)(sizeof(want) / sizeof(want[0])); s++) {
		char buf[24];

		*fmt_json_put_state(buf, s) = '\0';
		assert_string_equal(buf, want[s]);
	}
}

/* ---- fmt_json_event: one object per kind, byte for byte ---------------------------------- */

static void test_state_change_egress_syn_sent(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.100.10.150", 0, "10.100.10.202", 8000,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_CLOSE,
				     SNOOP_TCP_SYN_SENT);

	assert_json(
		&e, 1,
		HEAD("state_change", 1) "," NET4(EGRESS, "") "," EP("source", "10.100.10.150", 0) "," EP(
			"destination", "10.100.10.202",
			8000) "," PROCESS
			      "," SS_HEAD(
				      "owner") ",\"state\":\"syn_sent\",\"old_state\":\"close\"" NETNS_CG
					       "}}\n");
}

/* A close that skipped TIME_WAIT (no time-wait bucket left) says so. */
static void test_state_change_time_wait_skipped(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.100.10.150", 39134, "10.100.10.202",
				     8000, SNOOP_SF_ACTIVE | SNOOP_SF_TW_SKIPPED, SNOOP_ATTR_OWNER,
				     SNOOP_TCP_FIN_WAIT2, SNOOP_TCP_CLOSE);
	char buf[FMT_LINE_MAX];
	size_t len = fmt_json_event(buf, sizeof(buf), &e, TS_NS, 3);

	buf[len] = '\0';
	assert_non_null(strstr(buf, ",\"state\":\"close\",\"old_state\":\"fin_wait2\","
				    "\"netns\":4026531840,\"time_wait_skipped\":true,"));
	e.flags &= (uint8_t)~SNOOP_SF_TW_SKIPPED;
	e.new_state = SNOOP_TCP_TIME_WAIT;
	len = fmt_json_event(buf, sizeof(buf), &e, TS_NS, 3);
	buf[len] = '\0';
	assert_non_null(strstr(buf, ",\"state\":\"time_wait\",\"old_state\":\"fin_wait2\","));
	assert_null(strstr(buf, "time_wait_skipped"));
	assert_null(strstr(buf, "time_wait_end"));
	/* A time-wait socket's early end says how. */
	e.old_state = SNOOP_TCP_TIME_WAIT;
	e.new_state = SNOOP_TCP_CLOSE;
	e.detail = SNOOP_TW_END_REUSED;
	len = fmt_json_event(buf, sizeof(buf), &e, TS_NS, 3);
	buf[len] = '\0';
	assert_non_null(strstr(buf, ",\"state\":\"close\",\"old_state\":\"time_wait\","
				    "\"netns\":4026531840,\"time_wait_end\":\"reused\","));
}

static void test_state_change_ingress_source_is_the_remote_initiator(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.100.10.202", 8000, "10.100.10.150",
				     39134, SNOOP_SF_PASSIVE, SNOOP_ATTR_LISTENER,
				     SNOOP_TCP_SYN_RECV, SNOOP_TCP_ESTABLISHED);

	assert_json(
		&e, 2,
		HEAD("state_change", 2) "," NET4(INGRESS, CID("1:odnIFwWmNDl2KNcjUvl9R9oRMOk=")) "," EP(
			"source", "10.100.10.150",
			39134) "," EP("destination", "10.100.10.202",
				      8000) "," PROCESS
					    "," SS_HEAD(
						    "listener") ",\"state\":\"established\",\"old_state\":\"syn_recv\"" NETNS_CG
								"}}\n");
}

/*
 * LISTEN -> SYN_RECV is the new accepted socket's first transition, with its
 * full tuple: an ingress connection, not a listener (schema: the remote
 * initiator is the source).
 */
static void test_state_change_syn_recv_from_listen_has_both_ends(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.100.10.202", 8000, "10.100.10.150",
				     39134, SNOOP_SF_PASSIVE, SNOOP_ATTR_LISTENER, SNOOP_TCP_LISTEN,
				     SNOOP_TCP_SYN_RECV);

	assert_json(
		&e, 3,
		HEAD("state_change", 3) "," NET4(INGRESS, CID("1:odnIFwWmNDl2KNcjUvl9R9oRMOk=")) "," EP(
			"source", "10.100.10.150",
			39134) "," EP("destination", "10.100.10.202",
				      8000) "," PROCESS
					    "," SS_HEAD(
						    "listener") ",\"state\":\"syn_recv\",\"old_state\":\"listen\"" NETNS_CG
								"}}\n");
}

static void test_state_change_listener_is_a_server(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.100.10.202", 8000, "0.0.0.0", 0, 0,
				     SNOOP_ATTR_OWNER, SNOOP_TCP_CLOSE, SNOOP_TCP_LISTEN);

	assert_json(
		&e, 4,
		HEAD("state_change", 4) "," NET4("", "") "," EP(
			"server", "10.100.10.202",
			8000) "," PROCESS
			      "," SS_HEAD(
				      "owner") ",\"state\":\"listen\",\"old_state\":\"close\"" NETNS_CG
					       "}}\n");
	e.old_state = SNOOP_TCP_LISTEN;
	e.new_state = SNOOP_TCP_CLOSE;
	assert_json(
		&e, 5,
		HEAD("state_change", 5) "," NET4("", "") "," EP(
			"server", "10.100.10.202",
			8000) "," PROCESS
			      "," SS_HEAD(
				      "owner") ",\"state\":\"close\",\"old_state\":\"listen\"" NETNS_CG
					       "}}\n");
}

static void test_state_change_ipv6(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "2001:db8::1", 443, "2001:db8:0:0:0:0:0:2",
				     51000, SNOOP_SF_PASSIVE, SNOOP_ATTR_OWNER,
				     SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE_WAIT);

	assert_json(
		&e, 6,
		HEAD("state_change",
		     6) ",\"network\":{\"transport\":\"tcp\",\"type\":\"ipv6\"" INGRESS
			CID("1:2TiKiiiSIuDma9IxOEOpx4wCXWM=") "}," EP("source", "2001:db8::2", 51000) "," EP(
				"destination", "2001:db8::1",
				443) "," PROCESS
				     "," SS_HEAD(
					     "owner") ",\"state\":\"close_wait\",\"old_state\":\"established\"" NETNS_CG
						      "}}\n");
}

static void test_retransmit_and_synack_retransmit(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_RETRANSMIT, "10.1.1.2", 50000, "10.1.1.1", 8080,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, 0, SNOOP_TCP_ESTABLISHED);

	assert_json(
		&e, 8,
		HEAD("retransmit", 8) "," NET4(EGRESS, CID("1:0PJA2l4tF3e8H3Z0met12N+VT6M=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      8080) "," PROCESS
					    "," SS_HEAD(
						    "owner") ",\"state\":\"established\"" NETNS_CG
							     ",\"synack\":false}}\n");

	/* A listener's SYN-ACK: the request has no socket yet (cookie 0), the listener's owner. */
	e = event(SNOOP_KIND_RETRANSMIT, "10.1.1.1", 8080, "10.1.1.2", 50000, SNOOP_SF_PASSIVE,
		  SNOOP_ATTR_LISTENER, 0, SNOOP_TCP_SYN_RECV);
	e.cookie = 0;
	e.detail = 1;
	assert_json(
		&e, 9,
		HEAD("retransmit", 9) "," NET4(INGRESS, CID("1:0PJA2l4tF3e8H3Z0met12N+VT6M=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      8080) "," PROCESS
					    ",\"socket_snoop\":{\"schema\":\"3\",\"cookie\":0,\"attribution\":\"listener\""
					    ",\"state\":\"syn_recv\"" NETNS_CG
					    ",\"synack\":true}}\n");
}

/* The reason index the kernel's BTF gives NO_SOCKET, or -1 without BTF. */
static int no_socket_reason(void)
{
	for (int r = 0; r < 64; r++) {
		const char *name = names__reset_reason(r);

		if (name && !strcmp(name, "NO_SOCKET"))
			return r;
	}
	return -1;
}

static void test_reset_sent_with_no_socket(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_RESET_SENT, "10.1.1.1", 9, "10.1.1.2", 50000,
				     SNOOP_SF_NO_SOCKET, SNOOP_ATTR_UNKNOWN, 0, SNOOP_TCP_CLOSE);
	int reason = no_socket_reason();

	e.cookie = 0;
	/* No reason from the tracepoint (kernels before 6.10): no member. */
	assert_json(
		&e, 10,
		HEAD("reset_sent", 10) "," NET4("", CID("1:Dr87S/d0qesgKtIyIToWrGTdaOk=")) "," EP(
			"source", "10.1.1.1",
			9) "," EP("destination", "10.1.1.2",
				  50000) ",\"socket_snoop\":{\"schema\":\"3\",\"cookie\":0,\"attribution\":\"no_socket\""
					 ",\"state\":\"close\",\"netns\":4026531840}}\n");
	if (reason < 0) {
		print_message("no kernel BTF names for sk_rst_reason: NO_SOCKET not checked\n");
		return;
	}
	e.detail = reason + 1;
	assert_json(
		&e, 11,
		HEAD("reset_sent", 11) "," NET4("", CID("1:Dr87S/d0qesgKtIyIToWrGTdaOk=")) "," EP(
			"source", "10.1.1.1",
			9) "," EP("destination", "10.1.1.2",
				  50000) ",\"socket_snoop\":{\"schema\":\"3\",\"cookie\":0,\"attribution\":\"no_socket\""
					 ",\"state\":\"close\",\"netns\":4026531840,\"reset_reason\":\"NO_SOCKET\"}}\n");
}

static void test_reset_sent_reason_without_a_name_is_a_number(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_RESET_SENT, "10.1.1.1", 8080, "10.1.1.2", 50000,
				     SNOOP_SF_PASSIVE, SNOOP_ATTR_OWNER, 0, SNOOP_TCP_CLOSE);

	e.detail = 64 + 1; /* beyond any name */
	assert_json(
		&e, 12,
		HEAD("reset_sent", 12) "," NET4(INGRESS, CID("1:0PJA2l4tF3e8H3Z0met12N+VT6M=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      8080) "," PROCESS
					    "," SS_HEAD("owner") ",\"state\":\"close\"" NETNS_CG
								 ",\"reset_reason\":64}}\n");
}

static void test_reset_received(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_RESET_RECV, "10.1.1.2", 50000, "10.1.1.1", 9,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, 0, SNOOP_TCP_SYN_SENT);

	assert_json(
		&e, 13,
		HEAD("reset_received", 13) "," NET4(EGRESS, CID("1:Dr87S/d0qesgKtIyIToWrGTdaOk=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      9) "," PROCESS
					 "," SS_HEAD("owner") ",\"state\":\"syn_sent\"" NETNS_CG
							      "}}\n");
}

static void test_connect_error_refused_and_timed_out(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_ERROR, "10.1.1.2", 50000, "10.1.1.1", 9,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, 0, SNOOP_TCP_CLOSE);

	e.detail = ECONNREFUSED;
	assert_json(
		&e, 14,
		HEAD("connect_error", 14) "," NET4(EGRESS, CID("1:Dr87S/d0qesgKtIyIToWrGTdaOk=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      9) "," PROCESS
					 ",\"error\":{\"code\":\"ECONNREFUSED\",\"message\":\"Connection refused\"}," SS_HEAD(
						 "owner") ",\"state\":\"close\"" NETNS_CG "}}\n");
	e.detail = ETIMEDOUT;
	assert_json(
		&e, 15,
		HEAD("connect_error", 15) "," NET4(EGRESS, CID("1:Dr87S/d0qesgKtIyIToWrGTdaOk=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      9) "," PROCESS
					 ",\"error\":{\"code\":\"ETIMEDOUT\",\"message\":\"Connection timed out\"}," SS_HEAD(
						 "owner") ",\"state\":\"close\"" NETNS_CG "}}\n");
}

/* The object of @e (event number 1) if it holds @want, else NULL. */
static const char *json_holds(const struct snoop_event *e, const char *want)
{
	static char buf[FMT_LINE_MAX];

	fmt_json_event(buf, sizeof(buf), e, TS_NS, 1);
	return strstr(buf, want);
}

static void test_close_summary(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_CLOSE, "10.200.0.2", 48292, "10.200.0.1", 9099,
				     SNOOP_SF_ACTIVE | SNOOP_SF_FIN_SENT, SNOOP_ATTR_OWNER, 0,
				     SNOOP_TCP_CLOSE);

	e.close.duration_ns = 40469832;
	e.close.bytes_sent = 1000;
	e.close.bytes_received = 3000;
	e.close.segs_out = 5;
	e.close.segs_in = 4;
	e.close.total_retrans = 2;
	e.close.srtt_us = 5318;
	e.close.closed_by = SNOOP_CLOSED_LOCAL;
	e.close.reason = SNOOP_CLOSE_FIN_LOCAL;
	e.close.rttvar_us = 812;
	e.close.min_rtt_us = 4100;
	e.close.bytes_retrans = 2896;
	e.close.total_rto = 1;
	e.close.total_rto_recoveries = 1;
	e.close.lost = 3;
	e.close.reord_seen = 4;
	e.close.dsack_dups = 5;
	e.close.rcv_ooopack = 6;
	e.close.delivery_rate = 12500000;
	e.close.delivered_ce = 7;
	e.close.ecn = 1;
	e.close.ca_worst = 4; /* Recovery (3) + 1 */
	assert_json(
		&e, 16,
		"{\"@timestamp\":\"" TS
		"\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"close\",\"kind\":\"event\","
		"\"sequence\":16,\"duration\":40469832}," NET4(EGRESS, CID("1:RCv1cb5CsHoVOWfZQ9nr7DlEIio=")) "," EP(
			"source", "10.200.0.2",
			48292) "," EP("destination", "10.200.0.1",
				      9099) "," PROCESS
					    "," SS_HEAD(
						    "owner") ",\"state\":\"close\"" NETNS_CG
							     ",\"bytes_sent\":1000,\"bytes_received\":3000,\"segs_out\":5,\"segs_in\":4,"
							     "\"retransmits\":2,\"srtt_us\":5318,\"closed_by\":\"local\","
							     "\"close_reason\":\"fin_local\",\"close_side\":\"client\","
							     "\"rttvar_us\":812,\"min_rtt_us\":4100,\"bytes_retrans\":2896,"
							     "\"total_rto\":1,\"total_rto_recoveries\":1,\"lost\":3,"
							     "\"reord_seen\":4,\"dsack_dups\":5,\"rcv_ooopack\":6,"
							     "\"delivery_rate\":12500000,\"delivered_ce\":7,\"ecn\":true,"
							     "\"ca_state_worst\":\"recovery\"}}\n");

	/* Accepted here, ended by a RST: source is the remote initiator. */
	e = event(SNOOP_KIND_CLOSE, "10.200.0.1", 9099, "10.200.0.2", 48292, SNOOP_SF_PASSIVE,
		  SNOOP_ATTR_OWNER, 0, SNOOP_TCP_CLOSE);
	e.close.closed_by = SNOOP_CLOSED_RESET;
	e.close.reason = SNOOP_CLOSE_RST_SENT;
	e.close.rst_reason = SNOOP_RST_TCP_STATE + 1;
	assert_json(
		&e, 17,
		"{\"@timestamp\":\"" TS
		"\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"close\",\"kind\":\"event\","
		"\"sequence\":17,\"duration\":0}," NET4(INGRESS, CID("1:RCv1cb5CsHoVOWfZQ9nr7DlEIio=")) "," EP(
			"source", "10.200.0.2",
			48292) "," EP("destination", "10.200.0.1",
				      9099) "," PROCESS
					    "," SS_HEAD(
						    "owner") ",\"state\":\"close\"" NETNS_CG
							     ",\"bytes_sent\":0,\"bytes_received\":0,\"segs_out\":0,\"segs_in\":0,"
							     "\"retransmits\":0,\"srtt_us\":0,\"closed_by\":\"reset\","
							     "\"close_reason\":\"rst_sent\",\"close_side\":\"server\","
							     "\"reset_reason\":\"TCP_STATE\",\"rttvar_us\":0,\"min_rtt_us\":0,"
							     "\"bytes_retrans\":0,\"total_rto\":0,\"total_rto_recoveries\":0,"
							     "\"lost\":0,\"reord_seen\":0,\"dsack_dups\":0,\"rcv_ooopack\":0,"
							     "\"delivery_rate\":0,\"delivered_ce\":0,\"ecn\":false}}\n");

	/* A reason counted against the peer; a direction not known: no side. */
	e.close.reason = SNOOP_CLOSE_RETRANSMIT_TIMEOUT;
	e.close.rst_reason = 0;
	assert_non_null(json_holds(
		&e, "\"close_reason\":\"retransmit_timeout\",\"close_side\":\"client\","));
	e.flags = 0;
	assert_non_null(json_holds(&e, "\"close_reason\":\"retransmit_timeout\",\"rttvar_us\""));
	/* Out of range (a newer kernel side): unknown. */
	e.close.reason = 200;
	assert_non_null(json_holds(&e, "\"close_reason\":\"unknown\","));
}

/* --interval: action update, the age as event.duration, counts and health; no close fields. */
static void test_update(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_UPDATE, "10.200.0.2", 48292, "10.200.0.1", 9099,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, 0, SNOOP_TCP_ESTABLISHED);

	e.close.duration_ns = 61000000000ull;
	e.close.bytes_sent = 500;
	e.close.segs_out = 1;
	e.close.srtt_us = 46;
	e.close.ca_worst = 1;
	assert_json(
		&e, 18,
		"{\"@timestamp\":\"" TS
		"\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"update\",\"kind\":\"event\","
		"\"sequence\":18,\"duration\":61000000000}," NET4(EGRESS, CID("1:RCv1cb5CsHoVOWfZQ9nr7DlEIio=")) "," EP(
			"source", "10.200.0.2",
			48292) "," EP("destination", "10.200.0.1",
				      9099) "," PROCESS
					    "," SS_HEAD(
						    "owner") ",\"state\":\"established\"" NETNS_CG
							     ",\"bytes_sent\":500,\"bytes_received\":0,\"segs_out\":1,\"segs_in\":0,"
							     "\"retransmits\":0,\"srtt_us\":46,\"rttvar_us\":0,\"min_rtt_us\":0,"
							     "\"bytes_retrans\":0,\"total_rto\":0,\"total_rto_recoveries\":0,"
							     "\"lost\":0,\"reord_seen\":0,\"dsack_dups\":0,\"rcv_ooopack\":0,"
							     "\"delivery_rate\":0,\"delivered_ce\":0,\"ecn\":false,"
							     "\"ca_state_worst\":\"open\"}}\n");
}

static void test_unknown_attribution_has_no_process_nor_user(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_UNKNOWN, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);

	assert_json(
		&e, 18,
		HEAD("state_change", 18) "," NET4(EGRESS, CID("1:6fZWX2nMTvtj+Gvl5zmwh4nc0d0=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      80) "," SS_HEAD("unknown") ",\"state\":\"fin_wait1\",\"old_state\":\"established\",\"netns\":4026531840}}\n");
}

static void test_snapshot_attribution_is_seen_at_start(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.1", 22, "10.1.1.9", 61000,
				     SNOOP_SF_PASSIVE | SNOOP_SF_SNAPSHOT, SNOOP_ATTR_SNAPSHOT,
				     SNOOP_TCP_ESTABLISHED, SNOOP_TCP_CLOSE_WAIT);

	assert_json(
		&e, 19,
		HEAD("state_change", 19) "," NET4(INGRESS, CID("1:9SHXN14C3dr2Zwt/TmrdvAHtbbc=")) "," EP(
			"source", "10.1.1.9",
			61000) "," EP("destination", "10.1.1.1",
				      22) "," PROCESS
					  "," SS_HEAD(
						  "snapshot") ",\"state\":\"close_wait\",\"old_state\":\"established\",\"netns\":4026531840,"
							      "\"seen_at_start\":true,\"cgroup_id\":7}}\n");
}

static void test_hostile_process_name_escaped(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);

	memset(e.owner.comm, 0, sizeof(e.owner.comm));
	memcpy(e.owner.comm, "q\"b\\\t\xffz\n{\"a\":1}", 15);
	assert_json(
		&e, 20,
		HEAD("state_change", 20) "," NET4(EGRESS, CID("1:6fZWX2nMTvtj+Gvl5zmwh4nc0d0=")) "," EP(
			"source", "10.1.1.2",
			50000) "," EP("destination", "10.1.1.1",
				      80) ",\"process\":{\"pid\":30512,\"thread\":{\"id\":30513,\"name\":\"audacious\"},"
					  "\"name\":\"q\\\"b\\\\\\u0009" FFFD
					  "z\\u000a{\\\"a\\\":1}\","
					  "\"parent\":{\"pid\":1}},\"user\":{\"id\":\"1000\"}," SS_HEAD(
						  "owner") ",\"state\":\"fin_wait1\",\"old_state\":\"established\"" NETNS_CG
							   "}}\n");
}

/*
 * The owner's cgroup (a temporary tree's directory: its inode number is the
 * id, as on cgroup2): service.name, container.*, orchestrator.* after user;
 * none for a cgroup the tree has not.
 */
static void test_cgroup_gives_service_container_and_pod(void **state)
{
	static const char *const dirs[] = {
		"/kubepods.slice",
		"/kubepods.slice/kubepods-burstable.slice",
		"/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod2e5a1b3c_4d5e_4f60_8a9b_0c1d2e3f4a5b.slice",
		"/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod2e5a1b3c_4d5e_4f60_8a9b_0c1d2e3f4a5b.slice/"
		"crio-00000000000000000000000000000000000000000000000000000000000000ab.scope",
	};
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	char root[64], path[512], buf[FMT_LINE_MAX];
	struct cgroup_cache *c;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root-made names are read */
	assert_int_equal(test_make_tmpdir(root, sizeof(root), "test-json-cgroup"), 0);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(cgroup_cache__new(&c, root), 0);
	fmt_json_set_cgroups(c);
	e.owner.cgroup_id = st.st_ino;
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	assert_non_null(strstr(
		buf,
		"\"user\":{\"id\":\"1000\"},\"service\":{\"name\":\"crio-"
		"00000000000000000000000000000000000000000000000000000000000000ab.scope\"},"
		"\"container\":{\"id\":\"000000000000000000000000000000000000000000000000000000"
		"00000000ab\",\"runtime\":\"cri-o\"},\"orchestrator\":{\"type\":"
		"\"kubernetes\",\"resource\":{\"type\":\"pod\",\"id\":\"2e5a1b3c-4d5e-"
		"4f60-8a9b-0c1d2e3f4a5b\"}},\"socket_snoop\""));
	/* The pod's own cgroup (its sandbox): a pod, no container, no unit. */
	snprintf(path, sizeof(path), "%s%s", root, dirs[2]);
	assert_int_equal(stat(path, &st), 0);
	e.owner.cgroup_id = st.st_ino;
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 2);
	assert_null(strstr(buf, "\"service\""));
	assert_null(strstr(buf, "\"container\""));
	assert_non_null(strstr(buf, "\"user\":{\"id\":\"1000\"},\"orchestrator\":{"));
	/* A cgroup the tree has not: nothing. */
	e.owner.cgroup_id = 7;
	fmt_json_event(buf, sizeof(buf), &e, TS_NS + 1000000000ull, 3);
	assert_null(strstr(buf, "\"orchestrator\""));
	assert_non_null(strstr(buf, "\"user\":{\"id\":\"1000\"},\"socket_snoop\""));
	fmt_json_set_cgroups(NULL);
	cgroup_cache__free(c);
	assert_int_equal(test_remove_tree(root), 0);
}

/* Owners are written once and copied after: a change of any field of one thread shows at once. */
static void test_owner_of_the_same_thread_changing_is_written_anew(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	static const char *const want[] = {
		"\"process\":{\"pid\":30512,\"thread\":{\"id\":30513,\"name\":\"audacious\"},\"name\":\"audacious\","
		"\"parent\":{\"pid\":1}},\"user\":{\"id\":\"1000\"}",
		"\"process\":{\"pid\":30512,\"thread\":{\"id\":30513,\"name\":\"audacious\"},\"name\":\"audacioux\","
		"\"parent\":{\"pid\":1}},\"user\":{\"id\":\"1000\"}",
		"\"process\":{\"pid\":30512,\"thread\":{\"id\":30513,\"name\":\"audacious\"},\"name\":\"audacioux\","
		"\"parent\":{\"pid\":1}},\"user\":{\"id\":\"0\"}",
		"\"process\":{\"pid\":30514,\"thread\":{\"id\":30513,\"name\":\"audacious\"},\"name\":\"audacioux\","
		"\"parent\":{\"pid\":2}},\"user\":{\"id\":\"0\"}",
		/* The same thread id modulo the cache's size, another thread. */
		"\"process\":{\"pid\":30514,\"thread\":{\"id\":30529,\"name\":\"audacious\"},\"name\":\"audacioux\","
		"\"parent\":{\"pid\":2}},\"user\":{\"id\":\"0\"}",
		/* The thread renamed (a worker thread's own name), escaped as the process's. */
		"\"process\":{\"pid\":30514,\"thread\":{\"id\":30529,\"name\":\"mc-worker\\u000a\"},\"name\":\"audacioux\","
		"\"parent\":{\"pid\":2}},\"user\":{\"id\":\"0\"}",
	};
	char buf[FMT_LINE_MAX];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (i == 1)
			e.owner.comm[8] = 'x';
		if (i == 2)
			e.owner.uid = 0;
		if (i == 3) {
			e.owner.pid = 30514;
			e.owner.ppid = 2;
		}
		if (i == 4)
			e.owner.tid = 30529;
		if (i == 5) {
			memset(e.owner.thread_comm, 0, sizeof(e.owner.thread_comm));
			memcpy(e.owner.thread_comm, "mc-worker\n", 10);
		}
		/* Twice each: written, then copied. */
		for (int k = 0; k < 2; k++) {
			fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
			assert_non_null(strstr(buf, want[i]));
		}
	}
}

/* The published Community ID vector, from each end of the flow, through the JSON writer. */
static void test_community_id_is_the_published_vector_from_both_ends(void **state)
{
	struct snoop_event out = event(SNOOP_KIND_STATE, "1.2.3.4", 1122, "5.6.7.8", 3344,
				       SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_SYN_SENT,
				       SNOOP_TCP_ESTABLISHED);
	struct snoop_event in = event(SNOOP_KIND_STATE, "5.6.7.8", 3344, "1.2.3.4", 1122,
				      SNOOP_SF_PASSIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_SYN_RECV,
				      SNOOP_TCP_ESTABLISHED);
	const char *want = ",\"community_id\":\"1:wCb3OG7yAFWelaUydu0D+125CLM=\"}";
	char buf[FMT_LINE_MAX];

	(void)state;
	in.cookie = out.cookie + 1;
	fmt_json_event(buf, sizeof(buf), &out, TS_NS, 1);
	assert_non_null(strstr(buf, want));
	fmt_json_event(buf, sizeof(buf), &in, TS_NS, 2);
	assert_non_null(strstr(buf, want));
}

/* One socket (one cookie) connected again elsewhere after connect(AF_UNSPEC): a new ID. */
static void test_community_id_follows_the_tuple_of_a_cookie(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "1.2.3.4", 1122, "5.6.7.8", 3344,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_SYN_SENT,
				     SNOOP_TCP_ESTABLISHED);
	char buf[FMT_LINE_MAX];

	(void)state;
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	assert_non_null(strstr(buf, "1:wCb3OG7yAFWelaUydu0D+125CLM="));
	e.dport = 3345;
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 2);
	assert_null(strstr(buf, "1:wCb3OG7yAFWelaUydu0D+125CLM="));
	assert_non_null(strstr(buf, "\"community_id\":\"1:"));
	/* A connect whose local port is not bound yet is no flow: no ID. */
	e.sport = 0;
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 3);
	assert_null(strstr(buf, "community_id"));
}

static void test_comm_of_16_bytes_without_nul_stops_at_16(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	char buf[FMT_LINE_MAX];

	memcpy(e.owner.comm, "0123456789abcdef", SNOOP_COMM_LEN);
	/* What follows comm in memory must not leak into the name. */
	memset(&e.close, 'X', sizeof(e.close));
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 21);
	assert_non_null(strstr(buf, "\"name\":\"0123456789abcdef\","));
	/* (The community ID of this tuple has one X of its own.) */
	assert_null(strstr(buf, "XX"));
}

static void test_event_truncated_to_small_buffer_without_overrun(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_CLOSE, "10.200.0.2", 48292, "10.200.0.1", 9099,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, 0, SNOOP_TCP_CLOSE);
	char mem[FMT_LINE_MAX];
	size_t len;

	memset(mem, 'Z', sizeof(mem));
	len = fmt_json_event(mem, 20, &e, TS_NS, 1);
	assert_int_equal(len, 19);
	assert_memory_equal(mem, "{\"@timestamp\":\"2024\0", 20);
	for (size_t i = 20; i < sizeof(mem); i++)
		assert_int_equal(mem[i], 'Z');
}

/*
 * fmt_json_event() writes without bounds checks into FMT_LINE_MAX bytes: the
 * largest objects (every member at its longest, the name escaped at 6 bytes
 * per byte, the longest error message) must stay well inside, and a buffer
 * one byte smaller (the checked path) must get the same bytes.
 */
static void assert_largest_fits(struct snoop_event *e)
{
	static char fast[FMT_LINE_MAX + 64], slow[FMT_LINE_MAX];
	size_t len, slow_len;

	memset(fast, 'Z', sizeof(fast));
	len = fmt_json_event(fast, FMT_LINE_MAX, e, UINT64_MAX / 4, UINT64_MAX);
	if (len >= FMT_LINE_MAX / 2)
		fail_msg("the largest object of kind %d is %zu bytes: not under half of "
			 "FMT_LINE_MAX (%d)",
			 e->kind, len, FMT_LINE_MAX);
	assert_memory_equal(fast + len - 3, "}}\n", 4);
	for (size_t i = len + 1; i < sizeof(fast); i++)
		assert_int_equal(fast[i], 'Z');
	slow_len = fmt_json_event(slow, sizeof(slow) - 1, e, UINT64_MAX / 4, UINT64_MAX);
	assert_int_equal(slow_len, len);
	assert_memory_equal(slow, fast, len + 1);
}

static void test_largest_objects_fit_the_unchecked_writer(void **state)
{
	const char *v6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe";
	struct snoop_event e = event(SNOOP_KIND_ERROR, v6, 65535, v6, 65535, SNOOP_SF_ACTIVE,
				     SNOOP_ATTR_SNAPSHOT, SNOOP_TCP_SYN_SENT, SNOOP_TCP_CLOSE);
	size_t longest = 0;

	e.flags |= SNOOP_SF_SNAPSHOT;
	e.cookie = UINT64_MAX;
	e.netns = UINT32_MAX;
	e.owner.pid = e.owner.tid = e.owner.ppid = e.owner.uid = UINT32_MAX;
	e.owner.cgroup_id = UINT64_MAX;
	memset(e.owner.comm, 0x01, SNOOP_COMM_LEN);
	memset(e.owner.thread_comm, 0x01, SNOOP_COMM_LEN);
	for (int err = 1; err < 256; err++) {
		char text[128];
		size_t n = strlen(strerror_r(err, text, sizeof(text)));

		if (n > longest) {
			longest = n;
			e.detail = err;
		}
	}
	assert_largest_fits(&e);
	e.kind = SNOOP_KIND_CLOSE;
	memset(&e.close, 0xff, sizeof(e.close));
	assert_largest_fits(&e);
	/* Every close field written at its longest: a side, a state, the longest names. */
	e.close.reason = SNOOP_CLOSE_RETRANSMIT_TIMEOUT;
	e.close.ca_worst = 3;
	e.close.rst_reason = SNOOP_RST_TCP_DISCONNECT_WITH_DATA + 1;
	e.close.ecn = 1;
	assert_largest_fits(&e);
	e.kind = SNOOP_KIND_UPDATE;
	assert_largest_fits(&e);
	e.kind = SNOOP_KIND_RESET_SENT;
	e.detail = INT32_MIN;
	assert_largest_fits(&e);
}

/* ---- what /proc adds (fmt_json_set_procinfo) ------------------------------------------- */

/* A /proc of the test's own, holding process @pid: its stat and command line. */
static char fake_proc[64];

static struct procinfo_cache *fake_process(uint32_t pid, uint32_t ppid, const char *cmd,
					   size_t cmd_len)
{
	char name[128], stat[256];
	struct procinfo_cache *c;
	int n;

	assert_int_equal(test_make_tmpdir(fake_proc, sizeof(fake_proc), "test-json-proc"), 0);
	snprintf(name, sizeof(name), "%s/%u", fake_proc, pid);
	assert_int_equal(mkdir(name, 0755), 0);
	n = snprintf(stat, sizeof(stat),
		     "%u (x) S %u 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 1 1\n", pid, ppid);
	snprintf(name, sizeof(name), "%u/stat", pid);
	test_write_file(fake_proc, name, stat, (size_t)n);
	snprintf(name, sizeof(name), "%u/cmdline", pid);
	test_write_file(fake_proc, name, cmd, cmd_len);
	assert_int_equal(procinfo_cache__new(&c, fake_proc), 0);
	fmt_json_set_procinfo(c);
	return c;
}

/* The executable of @pid in the test's /proc: its exe link, to @target (@len bytes). */
static void fake_exe(uint32_t pid, const char *target, size_t len)
{
	char name[128], to[PROCINFO_EXE_MAX + 200];

	assert_true(len < sizeof(to));
	memcpy(to, target, len);
	to[len] = '\0';
	snprintf(name, sizeof(name), "%s/%u/exe", fake_proc, pid);
	assert_int_equal(symlink(to, name), 0);
}

static int reset_procinfo(void **state)
{
	(void)state;
	fmt_json_set_procinfo(NULL);
	return test_remove_tree(fake_proc);
}

/* The parent now, the command line, the identity: escaped, in ECS order. */
static void test_process_completed_from_proc(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	struct procinfo_cache *c = fake_process(30512, 1234, "aud\0--x=\"1\"", 11);
	const struct procinfo *pi = procinfo_cache__get(c, 30512, TS_NS);
	char buf[FMT_LINE_MAX], want[512];

	(void)state;
	assert_non_null(pi);
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	snprintf(want, sizeof(want),
		 "\"process\":{\"pid\":30512,\"thread\":{\"id\":30513,\"name\":\"audacious\"},"
		 "\"name\":\"audacious\",\"parent\":{\"pid\":1234},"
		 "\"command_line\":\"aud --x=\\\"1\\\"\","
		 "\"args_count\":2,\"entity_id\":\"%s\"},\"user\":{\"id\":\"1000\"}",
		 pi->entity_id);
	if (!strstr(buf, want))
		fail_msg("want %s\nin   %s", want, buf);
	procinfo_cache__free(c);
}

/* The executable (here /proc's link: no iterator in a unit test), escaped, before the identity. */
static void test_process_executable(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	struct procinfo_cache *c = fake_process(30512, 1234, "aud", 4);
	const struct procinfo *pi;
	char buf[FMT_LINE_MAX], want[256];

	(void)state;
	fake_exe(30512, "/opt/a dir/au\"d\n", 16);
	pi = procinfo_cache__get(c, 30512, TS_NS);
	assert_non_null(pi);
	assert_int_equal(pi->exe_len, 16);
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	snprintf(want, sizeof(want),
		 "\"command_line\":\"aud\",\"args_count\":1,"
		 "\"executable\":\"/opt/a dir/au\\\"d\\u000a\",\"entity_id\":\"%s\"}",
		 pi->entity_id);
	if (!strstr(buf, want))
		fail_msg("want %s\nin   %s", want, buf);
	procinfo_cache__free(c);
}

/* A path longer than what is kept is left out, never cut (a cut path names another file). */
static void test_process_executable_too_long_left_out(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	struct procinfo_cache *c = fake_process(30512, 1234, "aud", 4);
	char path[PROCINFO_EXE_MAX + 2], buf[FMT_LINE_MAX];

	(void)state;
	/* Names of at most 255 bytes (NAME_MAX): the link's target need not exist. */
	for (size_t i = 0; i < sizeof(path); i++)
		path[i] = i % 200 ? 'a' : '/';
	fake_exe(30512, path, sizeof(path));
	assert_int_equal(procinfo_cache__get(c, 30512, TS_NS)->exe_len, 0);
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	assert_null(strstr(buf, "\"executable\""));
	procinfo_cache__free(c);
}

/* The longest command line, plain and hostile: still under half of FMT_LINE_MAX. */
static void test_largest_objects_with_proc_members_fit(void **state)
{
	char cmd[PROCINFO_CMDLINE_MAX + 100], buf[FMT_LINE_MAX];
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	struct procinfo_cache *c;
	const char *at;

	(void)state;
	memset(cmd, 'a', sizeof(cmd));
	c = fake_process(e.owner.pid, 1, cmd, sizeof(cmd));
	procinfo_cache__free(c);
	for (size_t i = 0; i < PROCINFO_EXE_MAX; i++)
		cmd[i] = i % 200 ? 'b' : '/';
	fake_exe(e.owner.pid, cmd, PROCINFO_EXE_MAX);
	assert_int_equal(procinfo_cache__new(&c, fake_proc), 0);
	fmt_json_set_procinfo(c);
	assert_int_equal(procinfo_cache__get(c, e.owner.pid, TS_NS)->exe_len, PROCINFO_EXE_MAX);
	memset(cmd, 'a', sizeof(cmd));
	memset(e.owner.comm, 0x01, SNOOP_COMM_LEN);
	memset(e.owner.thread_comm, 0x01, SNOOP_COMM_LEN);
	assert_largest_fits(&e);
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	at = strstr(buf, "\"command_line\":\"");
	assert_non_null(at);
	assert_int_equal(strspn(at + 16, "a"), PROCINFO_CMDLINE_MAX);
	/* The longest plain executable, whole. */
	at = strstr(buf, "\"executable\":\"/bbb");
	assert_non_null(at);
	assert_memory_equal(at + 14 + PROCINFO_EXE_MAX, "\",", 2);
	procinfo_cache__free(c);
	reset_procinfo(state);

	/* Every byte escaped at its longest: a cut, before a character's continuation bytes. */
	memset(cmd, 0x01, sizeof(cmd));
	memcpy(cmd + 126, "\xc3\xa9", 2); /* é across the cut at 128 bytes */
	c = fake_process(e.owner.pid, 1, cmd, sizeof(cmd));
	procinfo_cache__free(c);
	/* An executable escaped at its longest too (a name of bytes 1 to 0x1f, no '/' but one). */
	cmd[0] = '/';
	fake_exe(e.owner.pid, cmd, 250);
	cmd[0] = 0x01;
	assert_int_equal(procinfo_cache__new(&c, fake_proc), 0);
	fmt_json_set_procinfo(c);
	assert_largest_fits(&e);
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	/* 250 bytes to escape: more than 128, left out whole. */
	assert_null(strstr(buf, "\"executable\""));
	at = strstr(buf, "\"command_line\":\"");
	assert_non_null(at);
	/* 126 bytes of \\u0001, then é whole, and the string ends. */
	assert_memory_equal(at + 16 + 126 * 6, "\xc3\xa9\",", 4);
	procinfo_cache__free(c);
}

/* ---- host.name (fmt_json_set_host) ------------------------------------------------------ */

#define HOST(name) ",\"host\":{\"name\":\"" name "\"}"

/* Every test that sets a host name leaves none for the next, whatever its outcome. */
static int reset_host(void **state)
{
	fmt_json_set_host(NULL);
	return 0;
}

static void test_host_follows_source_and_destination_in_events(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.100.10.150", 0, "10.100.10.202", 8000,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_CLOSE,
				     SNOOP_TCP_SYN_SENT);

	fmt_json_set_host("node-1.example");
	assert_json(
		&e, 1,
		HEAD("state_change", 1) "," NET4(EGRESS, "") "," EP(
			"source", "10.100.10.150", 0) "," EP("destination", "10.100.10.202", 8000)
			HOST("node-1.example") "," PROCESS "," SS_HEAD(
				"owner") ",\"state\":\"syn_sent\",\"old_state\":\"close\"" NETNS_CG
					 "}}\n");
	/* A listener is only a server: the host follows it. */
	e = event(SNOOP_KIND_STATE, "10.100.10.202", 8000, "0.0.0.0", 0, 0, SNOOP_ATTR_OWNER,
		  SNOOP_TCP_CLOSE, SNOOP_TCP_LISTEN);
	assert_json(
		&e, 4,
		HEAD("state_change", 4) "," NET4("", "") "," EP("server", "10.100.10.202", 8000)
			HOST("node-1.example") "," PROCESS "," SS_HEAD(
				"owner") ",\"state\":\"listen\",\"old_state\":\"close\"" NETNS_CG
					 "}}\n");
	/* No owner: socket_snoop follows the host. */
	e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80, SNOOP_SF_ACTIVE,
		  SNOOP_ATTR_UNKNOWN, SNOOP_TCP_ESTABLISHED, SNOOP_TCP_FIN_WAIT1);
	assert_json(
		&e, 18,
		HEAD("state_change", 18) "," NET4(
			EGRESS,
			CID("1:6fZWX2nMTvtj+Gvl5zmwh4nc0d0=")) "," EP("source", "10.1.1.2",
								      50000) "," EP("destination",
										    "10.1.1.1", 80)
			HOST("node-1.example") "," SS_HEAD(
				"unknown") ",\"state\":\"fin_wait1\",\"old_state\":\"established\","
					   "\"netns\":4026531840}}\n");
	/* A connect error: host, process, then error. */
	e = event(SNOOP_KIND_ERROR, "10.1.1.2", 50000, "10.1.1.1", 9, SNOOP_SF_ACTIVE,
		  SNOOP_ATTR_OWNER, 0, SNOOP_TCP_CLOSE);
	e.detail = ECONNREFUSED;
	assert_json(
		&e, 14,
		HEAD("connect_error", 14) "," NET4(
			EGRESS,
			CID("1:Dr87S/d0qesgKtIyIToWrGTdaOk=")) "," EP("source", "10.1.1.2",
								      50000) "," EP("destination",
										    "10.1.1.1", 9)
			HOST("node-1.example") "," PROCESS
					       ",\"error\":{\"code\":\"ECONNREFUSED\",\"message\":"
					       "\"Connection refused\"}," SS_HEAD(
						       "owner") ",\"state\":\"close\"" NETNS_CG
								"}}\n");
}

static void test_host_in_every_kind_of_event(void **state)
{
	static const int kinds[] = { SNOOP_KIND_STATE,	    SNOOP_KIND_RETRANSMIT,
				     SNOOP_KIND_RESET_SENT, SNOOP_KIND_RESET_RECV,
				     SNOOP_KIND_ERROR,	    SNOOP_KIND_CLOSE };
	const char *after_dest = "\"destination\":{\"ip\":\"10.1.1.1\",\"port\":80}" HOST("h");

	fmt_json_set_host("h");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct snoop_event e = event(kinds[i], "10.1.1.2", 50000, "10.1.1.1", 80,
					     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, 0,
					     SNOOP_TCP_ESTABLISHED);
		char buf[FMT_LINE_MAX];

		fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
		assert_non_null(strstr(buf, after_dest));
		/* Once. */
		assert_null(strstr(strstr(buf, "\"host\"") + 1, "\"host\""));
	}
}

/* A ring-full loss of @n events, with a 4 MiB ring left unread for 10 ms. */
#define LOSS(n) (&(struct snoop_loss){ SNOOP_LOSS_RING_FULL, (n), 4u << 20, 10 })
#define LOST_TAIL                                                                                    \
	"\"lost_cause\":\"ring_full\",\"lost_message\":\"a CPU's ring buffer (4 MiB) was full: the " \
	"reader left it unread for up to 10 ms; a larger --buffer-size, or kernel filters "          \
	"(--lport, --netns, --comm, ...) that keep less, help\""

static void test_host_in_lost_objects(void **state)
{
	char buf[FMT_LINE_MAX];
	const char *want =
		"{\"@timestamp\":\"" TS
		"\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"lost\",\"sequence\":547}" HOST(
			"node-1") ",\"socket_snoop\":{\"schema\":\"3\",\"lost\":12," LOST_TAIL
				  "}}\n";
	size_t len;

	fmt_json_set_host("node-1");
	len = fmt_json_lost(buf, sizeof(buf), LOSS(12), TS_NS, 547);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
}

/* lifecycle__report_json() of @lc at TS_NS, as a string the caller frees. */
static char *lifecycle_json(const struct lifecycle *lc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	lifecycle__report_json(lc, f, TS_NS);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static void test_host_in_lifecycle_and_lifecycle_truncated_objects(void **state)
{
	struct lifecycle *lc = lifecycle__new(1);
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_CLOSE,
				     SNOOP_TCP_SYN_SENT);
	char *got;

	assert_non_null(lc);
	e.cookie = 7;
	lifecycle__add(lc, &e, TS_NS);
	fmt_json_set_host("node-1");
	got = lifecycle_json(lc);
	assert_string_equal(
		got, "{\"@timestamp\":\"" TS
		     "\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"lifecycle\"}," EP(
			     "source", "10.1.1.2", 50000) "," EP("destination", "10.1.1.1", 80)
			     HOST("node-1") ",\"socket_snoop\":{\"schema\":\"3\",\"cookie\":7,"
					    "\"transitions\":[{\"@timestamp\":\"" TS "\",\"state\":"
					    "\"syn_sent\",\"description\":\"Connection Opening "
					    "(SYN_SENT)\"}]}}\n");
	free(got);
	/* A second connection evicts the first: the truncation object carries it too. */
	e.cookie = 8;
	lifecycle__add(lc, &e, TS_NS);
	got = lifecycle_json(lc);
	assert_memory_equal(
		got,
		"{\"@timestamp\":\"" TS
		"\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"lifecycle_truncated\"}" HOST(
			"node-1") ",\"socket_snoop\":{\"schema\":\"3\","
				  "\"connections_not_shown\":1}}\n",
		strlen("{\"@timestamp\":\"" TS
		       "\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"lifecycle_truncated\"}" HOST(
			       "node-1") ",\"socket_snoop\":{\"schema\":\"3\","
					 "\"connections_not_shown\":1}}\n"));
	assert_non_null(strstr(got, "\"port\":80}" HOST("node-1") ",\"socket_snoop\":{\"schema\":"
								  "\"3\",\"cookie\":8,"));
	free(got);
	/* None set: none in either. */
	fmt_json_set_host(NULL);
	got = lifecycle_json(lc);
	assert_null(strstr(got, "\"host\""));
	free(got);
	lifecycle__free(lc);
}

static void test_host_name_hostile_bytes_escaped(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.1.1.2", 50000, "10.1.1.1", 80,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_UNKNOWN, SNOOP_TCP_ESTABLISHED,
				     SNOOP_TCP_FIN_WAIT1);
	char buf[FMT_LINE_MAX];

	/* A quote and a brace that would end the object, controls, C1 CSI, invalid UTF-8. */
	fmt_json_set_host("n\"},\"x\":{\"y\\\n\x01\x7f\xc2\x9b\xff\xc3\xa9");
	fmt_json_event(buf, sizeof(buf), &e, TS_NS, 1);
	assert_non_null(strstr(buf, "\"port\":80},\"host\":{\"name\":\"n\\\"},\\\"x\\\":{\\\"y\\\\"
				    "\\u000a\\u0001\\u007f\\u009b" FFFD "\xc3\xa9\"},"
				    "\"socket_snoop\":"));
	fmt_json_lost(buf, sizeof(buf), LOSS(1), TS_NS, 2);
	assert_non_null(strstr(buf, "\"sequence\":2},\"host\":{\"name\":\"n\\\"},\\\"x"));
}

static void test_host_name_of_253_bytes_and_longer_is_cut_at_253(void **state)
{
	char name[300], want[6 * 300 + 64], buf[FMT_LINE_MAX], *p;
	size_t len;

	/* Plain bytes: 253 of them kept, whatever the length given. */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (int n = 253; n <= 254; n++) {
		char saved = name[n];

		name[n] = '\0';
		fmt_json_set_host(name);
		name[n] = saved;
		p = want + sprintf(want, "},\"host\":{\"name\":\"");
		memset(p, 'a', 253);
		strcpy(p + 253, "\"},\"socket_snoop\":{");
		len = fmt_json_lost(buf, sizeof(buf), LOSS(1), TS_NS, 2);
		assert_non_null(strstr(buf, want));
		assert_int_equal(len, strlen(buf));
		assert_string_equal(buf + len - 3, "}}\n");
	}
	/* Bytes to escape (6 each): FMT_JSON_HOST_ESCAPED_MAX of them kept. */
	memset(name, 0x01, sizeof(name) - 1);
	fmt_json_set_host(name);
	p = want + sprintf(want, "},\"host\":{\"name\":\"");
	for (int i = 0; i < FMT_JSON_HOST_ESCAPED_MAX; i++)
		p += sprintf(p, "\\u0001");
	strcpy(p, "\"},\"socket_snoop\":{");
	len = fmt_json_lost(buf, sizeof(buf), LOSS(1), TS_NS, 2);
	assert_non_null(strstr(buf, want));
	/* Never inside a character: a 2-byte one straddling the cut goes whole. */
	memset(name, 'a', sizeof(name) - 1);
	name[FMT_JSON_HOST_ESCAPED_MAX - 1] = (char)0xc3;
	name[FMT_JSON_HOST_ESCAPED_MAX] = (char)0xa9;
	fmt_json_set_host(name);
	p = want + sprintf(want, "\"host\":{\"name\":\"");
	memset(p, 'a', FMT_JSON_HOST_ESCAPED_MAX - 1);
	strcpy(p + FMT_JSON_HOST_ESCAPED_MAX - 1, "\"}");
	fmt_json_lost(buf, sizeof(buf), LOSS(1), TS_NS, 2);
	assert_non_null(strstr(buf, want));
	/* A name of exactly one byte. */
	fmt_json_set_host("a");
	fmt_json_lost(buf, sizeof(buf), LOSS(1), TS_NS, 2);
	assert_non_null(strstr(buf, "}" HOST("a") ",\"socket_snoop\""));
}

static void test_host_null_or_empty_removes_it(void **state)
{
	struct snoop_event e = event(SNOOP_KIND_STATE, "10.100.10.150", 0, "10.100.10.202", 8000,
				     SNOOP_SF_ACTIVE, SNOOP_ATTR_OWNER, SNOOP_TCP_CLOSE,
				     SNOOP_TCP_SYN_SENT);
	const char *plain = HEAD("state_change", 1) "," NET4(EGRESS, "") "," EP(
		"source", "10.100.10.150",
		0) "," EP("destination", "10.100.10.202",
			  8000) "," PROCESS "," SS_HEAD("owner") ",\"state\":\"syn_sent\","
								 "\"old_state\":\"close\"" NETNS_CG
								 "}}\n";
	char buf[FMT_LINE_MAX];

	fmt_json_set_host("node-1");
	fmt_json_set_host(NULL);
	assert_json(&e, 1, plain);
	fmt_json_set_host("node-1");
	fmt_json_set_host("");
	assert_json(&e, 1, plain);
	fmt_json_lost(buf, sizeof(buf), LOSS(12), TS_NS, 547);
	assert_null(strstr(buf, "host"));
	/* Replaced, not added to. */
	fmt_json_set_host("first-name");
	fmt_json_set_host("b");
	fmt_json_lost(buf, sizeof(buf), LOSS(12), TS_NS, 547);
	assert_non_null(strstr(buf, "}" HOST("b") ",\"socket_snoop\""));
	assert_null(strstr(buf, "first"));
}

/* A host name of 253 bytes that each take 6 escaped: the largest objects still fit. */
static void test_largest_objects_with_the_longest_host_name_fit(void **state)
{
	char name[FMT_JSON_HOST_MAX + 1], buf[FMT_LINE_MAX];
	size_t len;

	memset(name, 0x01, FMT_JSON_HOST_MAX);
	name[FMT_JSON_HOST_MAX] = '\0';
	fmt_json_set_host(name);
	test_largest_objects_fit_the_unchecked_writer(state);
	len = fmt_json_lost(buf, sizeof(buf), LOSS(UINT64_MAX), UINT64_MAX / 4, UINT64_MAX);
	assert_true(len > 6 * FMT_JSON_HOST_ESCAPED_MAX);
	assert_true(len < FMT_LINE_MAX / 2);
	assert_string_equal(buf + len - 3, "}}\n");
}

/* The widest lifecycle object: every transition kept, IPv6 ends, the longest host name. */
static void test_largest_lifecycle_object_with_the_longest_host_name_fits(void **state)
{
	const char *v6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe";
	struct lifecycle *lc = lifecycle__new(4);
	struct snoop_event e = event(SNOOP_KIND_STATE, v6, 65535, v6, 65535, SNOOP_SF_ACTIVE,
				     SNOOP_ATTR_OWNER, SNOOP_TCP_CLOSE, SNOOP_TCP_NEW_SYN_RECV);
	char name[FMT_JSON_HOST_MAX + 1], *got;
	size_t len;

	assert_non_null(lc);
	memset(name, 0x01, FMT_JSON_HOST_MAX);
	name[FMT_JSON_HOST_MAX] = '\0';
	fmt_json_set_host(name);
	e.cookie = UINT64_MAX;
	for (int i = 0; i < 2 * LIFECYCLE_MAX_TRANSITIONS; i++) {
		e.old_state = e.new_state;
		e.new_state = (uint8_t)(i % 2 ? SNOOP_TCP_NEW_SYN_RECV : SNOOP_TCP_CLOSE_WAIT);
		lifecycle__add(lc, &e, UINT64_MAX / 4);
	}
	got = lifecycle_json(lc);
	len = strlen(got);
	assert_true(len < FMT_LINE_MAX);
	assert_int_equal(strchr(got, '\n') - got + 1, len);
	/* Twice as many transitions as kept: the rest counted. */
	assert_string_equal(got + len - strlen("],\"transitions_not_shown\":12}}\n"),
			    "],\"transitions_not_shown\":12}}\n");
	assert_non_null(strstr(got, "\\u0001\"},\"socket_snoop\""));
	free(got);
	lifecycle__free(lc);
}

/* ---- lost objects and diagnostics ------------------------------------------------------- */

static void test_lost_object(void **state)
{
	char buf[FMT_LINE_MAX];
	const char *want =
		"{\"@timestamp\":\"" TS
		"\",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"action\":\"lost\",\"sequence\":547},"
		"\"socket_snoop\":{\"schema\":\"3\",\"lost\":18446744073709551615," LOST_TAIL
		"}}\n";
	size_t len = fmt_json_lost(buf, sizeof(buf), LOSS(UINT64_MAX), TS_NS, 547);

	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
}

static void test_diagnostic_message_escaped(void **state)
{
	char buf[FMT_LINE_MAX];
	const char *want =
		"{\"@timestamp\":\"" TS
		"\",\"ecs\":{\"version\":\"8.11.0\"},\"log\":{\"level\":\"error\",\"logger\":"
		"\"socket-snoop\"},\"message\":\"invalid value '\\\"\\u000a" FFFD
		"' for --comm\"}\n";
	const char *msg = "invalid value '\"\n\xff' for --comm";
	size_t len =
		diag__json_line(buf, sizeof(buf), "error", "socket-snoop", msg, strlen(msg), TS_NS);

	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
}

static void test_diagnostic_too_long_is_cut_never_the_object(void **state)
{
	/* 700 hostile bytes, 6 escaped bytes each: more than the buffer holds. */
	char msg[700], buf[1024];
	size_t len;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = "\"\x01\xff"[i % 3];
	len = diag__json_line(buf, sizeof(buf), "error", "socket-snoop", msg, sizeof(msg), TS_NS);
	assert_true(len < sizeof(buf));
	assert_int_equal(buf[len - 1], '\n');
	assert_int_equal(buf[len - 2], '}');
	assert_int_equal(buf[len - 3], '"');
	assert_int_equal(strlen(buf), len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_printable_ascii_unchanged),
		cmocka_unit_test(test_escape_quote_and_backslash),
		cmocka_unit_test(test_escape_newline_tab_cr_as_u00xx),
		cmocka_unit_test(test_escape_every_control_byte_and_del),
		cmocka_unit_test(test_escape_nul_inside_the_length_is_escaped),
		cmocka_unit_test(test_escape_valid_utf8_kept),
		cmocka_unit_test(test_escape_c1_controls_as_u00xx),
		cmocka_unit_test(test_escape_bidi_controls_and_separators_as_u_escapes),
		cmocka_unit_test(test_escape_lone_continuation_bytes),
		cmocka_unit_test(test_escape_overlong_forms),
		cmocka_unit_test(test_escape_surrogates),
		cmocka_unit_test(test_escape_bytes_f5_and_above_and_beyond_10ffff),
		cmocka_unit_test(test_escape_truncated_sequences),
		cmocka_unit_test(test_escape_hostile_command_name),
		cmocka_unit_test(test_writer_nesting_commas_and_types),
		cmocka_unit_test(test_writer_escapes_values),
		cmocka_unit_test(test_writer_truncates_without_overrun),
		cmocka_unit_test(test_rfc3339_is_utc_with_nanoseconds),
		cmocka_unit_test(test_state_names_are_lower_case_kernel_names),
		cmocka_unit_test(test_state_change_egress_syn_sent),
		cmocka_unit_test(test_state_change_ingress_source_is_the_remote_initiator),
		cmocka_unit_test(test_state_change_syn_recv_from_listen_has_both_ends),
		cmocka_unit_test(test_state_change_listener_is_a_server),
		cmocka_unit_test(test_state_change_ipv6),
		cmocka_unit_test(test_state_change_time_wait_skipped),
		cmocka_unit_test(test_retransmit_and_synack_retransmit),
		cmocka_unit_test(test_reset_sent_with_no_socket),
		cmocka_unit_test(test_reset_sent_reason_without_a_name_is_a_number),
		cmocka_unit_test(test_reset_received),
		cmocka_unit_test(test_connect_error_refused_and_timed_out),
		cmocka_unit_test(test_close_summary),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_unknown_attribution_has_no_process_nor_user),
		cmocka_unit_test(test_snapshot_attribution_is_seen_at_start),
		cmocka_unit_test(test_hostile_process_name_escaped),
		cmocka_unit_test(test_owner_of_the_same_thread_changing_is_written_anew),
		cmocka_unit_test(test_cgroup_gives_service_container_and_pod),
		cmocka_unit_test(test_community_id_is_the_published_vector_from_both_ends),
		cmocka_unit_test(test_community_id_follows_the_tuple_of_a_cookie),
		cmocka_unit_test(test_comm_of_16_bytes_without_nul_stops_at_16),
		cmocka_unit_test(test_event_truncated_to_small_buffer_without_overrun),
		cmocka_unit_test(test_largest_objects_fit_the_unchecked_writer),
		cmocka_unit_test(test_lost_object),
		cmocka_unit_test(test_diagnostic_message_escaped),
		cmocka_unit_test(test_diagnostic_too_long_is_cut_never_the_object),
		cmocka_unit_test_teardown(test_host_follows_source_and_destination_in_events,
					  reset_host),
		cmocka_unit_test_teardown(test_host_in_every_kind_of_event, reset_host),
		cmocka_unit_test_teardown(test_host_in_lost_objects, reset_host),
		cmocka_unit_test_teardown(test_host_in_lifecycle_and_lifecycle_truncated_objects,
					  reset_host),
		cmocka_unit_test_teardown(test_host_name_hostile_bytes_escaped, reset_host),
		cmocka_unit_test_teardown(test_host_name_of_253_bytes_and_longer_is_cut_at_253,
					  reset_host),
		cmocka_unit_test_teardown(test_host_null_or_empty_removes_it, reset_host),
		cmocka_unit_test_teardown(test_largest_objects_with_the_longest_host_name_fit,
					  reset_host),
		cmocka_unit_test_teardown(
			test_largest_lifecycle_object_with_the_longest_host_name_fits, reset_host),
		cmocka_unit_test_teardown(test_process_completed_from_proc, reset_procinfo),
		cmocka_unit_test_teardown(test_process_executable, reset_procinfo),
		cmocka_unit_test_teardown(test_process_executable_too_long_left_out,
					  reset_procinfo),
		cmocka_unit_test_teardown(test_largest_objects_with_proc_members_fit,
					  reset_procinfo),
		/* The objects of the tests above, again: none kept a host name. */
		cmocka_unit_test(test_state_change_egress_syn_sent),
		cmocka_unit_test(test_lost_object),
	};

	return cmocka_run_group_tests(tests, setup_tz_east, NULL);
}
