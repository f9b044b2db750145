// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_prom.c - the Prometheus text format writer: names, HELP and TYPE
 * once per family, escaping of hostile label values, numbers as Prometheus
 * writes them (in any locale), histograms, a full buffer; and an exposition
 * with all of it read by Prometheus's own parser and linter (promtool).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "lib/prom.h"

#define OUT_SIZE 8192

/* A writer over a buffer of its own. */
struct out {
	char buf[OUT_SIZE];
	struct strbuf sb;
	struct prom p;
};

static void out_init(struct out *o, size_t size)
{
	assert_true(size <= sizeof(o->buf));
	strbuf_init(&o->sb, o->buf, size);
	prom_init(&o->p, &o->sb);
}

/* Compare a result with the input in the message, for table-driven checks. */
#define assert_str_for(input, got, want)                                       \
	do {                                                                   \
		char got_[200], exp_[200];                                     \
		snprintf(got_, sizeof(got_), "%s -> \"%s\"", (input), (got));  \
		snprintf(exp_, sizeof(exp_), "%s -> \"%s\"", (input), (want)); \
		assert_string_equal(got_, exp_);                               \
	} while (0)

/* The sample line a label value makes in a gauge "g". */
static const char *value_line(struct out *o, const char *value)
{
	struct prom_label l = { "comm", value };

	out_init(o, sizeof(o->buf));
	assert_int_equal(prom_family(&o->p, "g", PROM_GAUGE, NULL), 0);
	o->sb.p = o->buf; /* only the sample */
	assert_int_equal(prom_sample_u64(&o->p, "g", &l, 1, 1), 0);
	return o->buf;
}

/* @s (@n bytes) is valid UTF-8 with no control character but the newline. */
static bool utf8_clean(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int k;

		if (u[i] < 0x80) {
			if ((u[i] < 0x20 && u[i] != '\n') || u[i] == 0x7f)
				return false;
			i++;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf)
			k = 1, cp = u[i] & 0x1f;
		else if (u[i] >= 0xe0 && u[i] <= 0xef)
			k = 2, cp = u[i] & 0x0f;
		else if (u[i] >= 0xf0 && u[i] <= 0xf4)
			k = 3, cp = u[i] & 0x07;
		else
			return false;
		if (i + (size_t)k >= n)
			return false;
		for (int j = 1; j <= k; j++) {
			if ((u[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += (size_t)k + 1;
	}
	return true;
}

/* ---- numbers --------------------------------------------------------------------------- */

static void test_doubles_as_go_writes_them(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "-0" },
		{ 1, "1" },
		{ -1, "-1" },
		{ 0.005, "0.005" },
		{ 0.01, "0.01" },
		{ 0.1, "0.1" },
		{ 0.25, "0.25" },
		{ 2.5, "2.5" },
		{ 10, "10" },
		{ 123.456, "123.456" },
		{ 100000, "100000" },
		{ 999999, "999999" },
		{ 1e6, "1e+06" },
		{ 1234567, "1.234567e+06" },
		{ 1.71234567e9, "1.71234567e+09" },
		{ 0.0001, "0.0001" },
		{ 0.00012345, "0.00012345" },
		{ 0.00001, "1e-05" },
		{ 1.5e-7, "1.5e-07" },
		{ 1e21, "1e+21" },
		{ 1e100, "1e+100" },
		{ -2.5e-300, "-2.5e-300" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 9007199254740993.0, "9.007199254740992e+15" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ DBL_MIN, "2.2250738585072014e-308" },
		{ 5e-324, "5e-324" },
		{ NAN, "NaN" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};
	char text[PROM_F64_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = prom_fmt_f64(text, cases[i].v);

		assert_str_for(cases[i].text, text, cases[i].text);
		assert_int_equal(n, strlen(cases[i].text));
	}
}

static void test_doubles_read_back_exactly(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char text[PROM_F64_LEN];

	/* Random bit patterns: every finite double, all exponents. */
	for (int i = 0; i < 100000; i++) {
		double v;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		memcpy(&v, &seed, sizeof(v));
		if (!isfinite(v))
			continue;
		assert_true(prom_fmt_f64(text, v) < PROM_F64_LEN);
		assert_true(strtod(text, NULL) == v);
		assert_null(strchr(text, ','));
	}
}

/*
 * A locale whose decimal point is a comma, made with localedef into @dir
 * when none is installed; its name, or NULL when there is none to be had.
 */
static const char *comma_locale(char *dir)
{
	static const char *names[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "ru_RU.UTF-8" };
	char cmd[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (newlocale(LC_NUMERIC_MASK, names[i], (locale_t)0))
			return names[i];
	if (!mkdtemp(dir))
		return NULL;
	snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
		 dir);
	if (system(cmd) != 0)
		return NULL;
	setenv("LOCPATH", dir, 1);
	return "de_DE.UTF-8";
}

static void test_doubles_ignore_a_decimal_comma_locale(void **state)
{
	char dir[] = "/tmp/test_prom.XXXXXX", cmd[64], text[PROM_F64_LEN], probe[16];
	const char *name = comma_locale(dir);
	bool made = strcmp(dir, "/tmp/test_prom.XXXXXX") != 0;
	bool set = name && setlocale(LC_NUMERIC, name);

	/* The locale is in memory once set: its files can go now, whatever follows. */
	if (made) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
		unsetenv("LOCPATH");
	}
	if (!set) {
		print_message("no locale with a decimal comma (locales, localedef): skipped\n");
		skip();
	}
	snprintf(probe, sizeof(probe), "%.1f", 2.5);
	assert_string_equal(probe, "2,5"); /* the locale is in force */
	prom_fmt_f64(text, 2.5);
	assert_string_equal(text, "2.5");
	prom_fmt_f64(text, 0.1 + 0.2);
	assert_string_equal(text, "0.30000000000000004");
	prom_fmt_f64(text, 1.5e-7);
	assert_string_equal(text, "1.5e-07");
	setlocale(LC_NUMERIC, "C");
}

/* ---- names ----------------------------------------------------------------------------- */

static void test_metric_and_label_names(void **state)
{
	static const char *metric_ok[] = { "a",		 "_",
					   ":",		 "socket_snoop_connections_total",
					   "job:rate5m", "A9_:" };
	static const char *metric_bad[] = { "", "9a", "a-b", "a b", "a.b", "é", "a\n", "a{" };
	static const char *label_ok[] = { "a", "_a", "comm", "state_2", "le", "Z" };
	static const char *label_bad[] = { "", "9", "a:b", "__name__", "__", "a-b", "a=b" };
	char longest[PROM_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(metric_ok) / sizeof(metric_ok[0]); i++)
		assert_true(prom_metric_name_ok(metric_ok[i]));
	for (size_t i = 0; i < sizeof(metric_bad) / sizeof(metric_bad[0]); i++)
		assert_false(prom_metric_name_ok(metric_bad[i]));
	for (size_t i = 0; i < sizeof(label_ok) / sizeof(label_ok[0]); i++)
		assert_true(prom_label_name_ok(label_ok[i]));
	for (size_t i = 0; i < sizeof(label_bad) / sizeof(label_bad[0]); i++)
		assert_false(prom_label_name_ok(label_bad[i]));
	assert_false(prom_metric_name_ok(NULL));
	assert_false(prom_label_name_ok(NULL));
	memset(longest, 'm', PROM_NAME_MAX);
	longest[PROM_NAME_MAX] = '\0';
	assert_true(prom_metric_name_ok(longest));
	strcat(longest, "m");
	assert_false(prom_metric_name_ok(longest));
}

/* ---- families and samples -------------------------------------------------------------- */

static void test_family_help_and_type_exact(void **state)
{
	struct out o;

	out_init(&o, sizeof(o.buf));
	assert_int_equal(prom_family(&o.p, "a_total", PROM_COUNTER, "Connections \"opened\"."), 0);
	assert_int_equal(prom_family(&o.p, "b", PROM_GAUGE, NULL), 0);
	assert_int_equal(prom_family(&o.p, "c", PROM_HISTOGRAM, "x"), 0);
	assert_int_equal(prom_family(&o.p, "d", PROM_SUMMARY, "y"), 0);
	assert_int_equal(prom_family(&o.p, "e", PROM_UNTYPED, ""), 0);
	assert_string_equal(o.buf, "# HELP a_total Connections \"opened\".\n"
				   "# TYPE a_total counter\n"
				   "# TYPE b gauge\n"
				   "# HELP c x\n"
				   "# TYPE c histogram\n"
				   "# HELP d y\n"
				   "# TYPE d summary\n"
				   "# HELP e \n"
				   "# TYPE e untyped\n");
}

static void test_help_escapes_backslash_newline_and_bad_bytes(void **state)
{
	struct out o;

	out_init(&o, sizeof(o.buf));
	assert_int_equal(prom_family(&o.p, "a", PROM_GAUGE, "C:\\tmp\nline two \xff\x01 \"q\""), 0);
	assert_string_equal(o.buf, "# HELP a C:\\\\tmp\\nline two \xef\xbf\xbd\xef\xbf\xbd \"q\"\n"
				   "# TYPE a gauge\n");
}

static void test_each_family_once_in_increasing_order(void **state)
{
	struct out o;
	size_t len;

	out_init(&o, sizeof(o.buf));
	assert_int_equal(prom_family(&o.p, "m_b", PROM_GAUGE, "b"), 0);
	len = strlen(o.buf);
	/* The same family again, or one that sorts before: refused, nothing written. */
	assert_int_equal(prom_family(&o.p, "m_b", PROM_GAUGE, "b"), -EINVAL);
	assert_int_equal(prom_family(&o.p, "m_a", PROM_GAUGE, "a"), -EINVAL);
	assert_int_equal(prom_family(&o.p, "m_", PROM_GAUGE, "a"), -EINVAL);
	assert_int_equal(strlen(o.buf), len);
	assert_int_equal(prom_family(&o.p, "m_ba", PROM_GAUGE, NULL), 0);
	assert_int_equal(prom_family(&o.p, "m_c", PROM_GAUGE, NULL), 0);
	/* Bad names and types. */
	len = strlen(o.buf);
	assert_int_equal(prom_family(&o.p, "z-z", PROM_GAUGE, NULL), -EINVAL);
	assert_int_equal(prom_family(&o.p, "z", (enum prom_type)99, NULL), -EINVAL);
	assert_int_equal(prom_family(&o.p, NULL, PROM_GAUGE, NULL), -EINVAL);
	assert_int_equal(strlen(o.buf), len);
}

static void test_samples_exact_in_the_order_written(void **state)
{
	const struct prom_label two[] = { { "state", "ESTABLISHED" }, { "comm", "nginx" } };
	const struct prom_label one[] = { { "comm", "curl" } };
	struct out o;

	out_init(&o, sizeof(o.buf));
	assert_int_equal(prom_family(&o.p, "a_total", PROM_COUNTER, "h"), 0);
	assert_int_equal(prom_sample_u64(&o.p, "a_total", two, 2, 42), 0);
	assert_int_equal(prom_sample_u64(&o.p, "a_total", one, 1, UINT64_MAX), 0);
	assert_int_equal(prom_sample_u64(&o.p, "a_total", NULL, 0, 0), 0);
	assert_int_equal(prom_family(&o.p, "b", PROM_GAUGE, NULL), 0);
	assert_int_equal(prom_sample_f64(&o.p, "b", one, 1, 0.5), 0);
	assert_int_equal(prom_sample_f64(&o.p, "b", two, 2, NAN), 0);
	assert_int_equal(prom_sample_f64(&o.p, "b", NULL, 0, -INFINITY), 0);
	assert_int_equal(prom_sample_f64(&o.p, "b", two, 1, INFINITY), 0);
	assert_string_equal(o.buf, "# HELP a_total h\n"
				   "# TYPE a_total counter\n"
				   "a_total{state=\"ESTABLISHED\",comm=\"nginx\"} 42\n"
				   "a_total{comm=\"curl\"} 18446744073709551615\n"
				   "a_total 0\n"
				   "# TYPE b gauge\n"
				   "b{comm=\"curl\"} 0.5\n"
				   "b{state=\"ESTABLISHED\",comm=\"nginx\"} NaN\n"
				   "b -Inf\n"
				   "b{state=\"ESTABLISHED\"} +Inf\n");
}

static void test_sample_outside_its_family_refused(void **state)
{
	const struct prom_label dup[] = { { "a", "1" }, { "a", "2" } };
	const struct prom_label bad[] = { { "a", "1" }, { "b-c", "2" } };
	const struct prom_label reserved[] = { { "__name__", "x" } };
	const struct prom_label null_value[] = { { "a", NULL } };
	const struct prom_label le[] = { { "le", "1" } };
	struct out o;
	size_t len;

	out_init(&o, sizeof(o.buf));
	/* Before any family: no TYPE before it. */
	assert_int_equal(prom_sample_u64(&o.p, "g", NULL, 0, 1), -EINVAL);
	assert_int_equal(prom_family(&o.p, "g", PROM_GAUGE, NULL), 0);
	len = strlen(o.buf);
	assert_int_equal(prom_sample_u64(&o.p, "h", NULL, 0, 1), -EINVAL);
	assert_int_equal(prom_sample_u64(&o.p, "gg", NULL, 0, 1), -EINVAL);
	assert_int_equal(prom_sample_u64(&o.p, "g_sum", NULL, 0, 1), -EINVAL);
	assert_int_equal(prom_sample_u64(&o.p, NULL, NULL, 0, 1), -EINVAL);
	assert_int_equal(prom_sample_u64(&o.p, "g", dup, 2, 1), -EINVAL);
	assert_int_equal(prom_sample_u64(&o.p, "g", bad, 2, 1), -EINVAL);
	assert_int_equal(prom_sample_f64(&o.p, "g", reserved, 1, 1), -EINVAL);
	assert_int_equal(prom_sample_f64(&o.p, "g", null_value, 1, 1), -EINVAL);
	assert_int_equal(strlen(o.buf), len);
	/* "le" is any label outside a histogram. */
	assert_int_equal(prom_sample_u64(&o.p, "g", le, 1, 1), 0);
	/* A summary's _sum and _count are its own. */
	assert_int_equal(prom_family(&o.p, "s", PROM_SUMMARY, NULL), 0);
	assert_int_equal(prom_sample_f64(&o.p, "s",
					 (const struct prom_label[]){ { "quantile", "0.5" } }, 1,
					 0.25),
			 0);
	assert_int_equal(prom_sample_f64(&o.p, "s_sum", NULL, 0, 1.5), 0);
	assert_int_equal(prom_sample_u64(&o.p, "s_count", NULL, 0, 3), 0);
	assert_int_equal(prom_sample_u64(&o.p, "s_bucket", NULL, 0, 3), -EINVAL);
	/* A histogram's samples come from prom_histogram() only. */
	assert_int_equal(prom_family(&o.p, "t", PROM_HISTOGRAM, NULL), 0);
	assert_int_equal(prom_sample_u64(&o.p, "t", NULL, 0, 1), -EINVAL);
	assert_int_equal(prom_sample_u64(&o.p, "t_count", NULL, 0, 1), -EINVAL);
}

/* ---- label values ---------------------------------------------------------------------- */

static void test_label_values_escaped(void **state)
{
	static const struct {
		const char *value;
		const char *line;
	} cases[] = {
		{ "plain", "g{comm=\"plain\"} 1\n" },
		{ "", "g{comm=\"\"} 1\n" },
		{ "a\\b", "g{comm=\"a\\\\b\"} 1\n" },
		{ "say \"hi\"", "g{comm=\"say \\\"hi\\\"\"} 1\n" },
		{ "two\nlines", "g{comm=\"two\\nlines\"} 1\n" },
		{ "\\n", "g{comm=\"\\\\n\"} 1\n" },
		{ "} 666\nforged 1", "g{comm=\"} 666\\nforged 1\"} 1\n" },
		/* Valid UTF-8 stays. */
		{ "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x90\xa7",
		  "g{comm=\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x90\xa7\"} 1\n" },
		/* Control characters: U+FFFD. */
		{ "a\x01z", "g{comm=\"a\xef\xbf\xbdz\"} 1\n" },
		{ "\x1b[31mred", "g{comm=\"\xef\xbf\xbd[31mred\"} 1\n" },
		{ "tab\there", "g{comm=\"tab\xef\xbf\xbdhere\"} 1\n" },
		{ "cr\r", "g{comm=\"cr\xef\xbf\xbd\"} 1\n" },
		{ "del\x7f", "g{comm=\"del\xef\xbf\xbd\"} 1\n" },
		{ "csi\xc2\x9b", "g{comm=\"csi\xef\xbf\xbd\"} 1\n" },	  /* U+009B */
		{ "rlo\xe2\x80\xae", "g{comm=\"rlo\xef\xbf\xbd\"} 1\n" }, /* U+202E */
		{ "lri\xe2\x81\xa6", "g{comm=\"lri\xef\xbf\xbd\"} 1\n" }, /* U+2066 */
		{ "ls\xe2\x80\xa8", "g{comm=\"ls\xef\xbf\xbd\"} 1\n" },	  /* U+2028 */
		{ "alm\xd8\x9c", "g{comm=\"alm\xef\xbf\xbd\"} 1\n" },	  /* U+061C */
		{ "nbsp\xc2\xa0", "g{comm=\"nbsp\xc2\xa0\"} 1\n" },	  /* U+00A0 stays */
		/* Invalid UTF-8: U+FFFD per byte. */
		{ "\xff", "g{comm=\"\xef\xbf\xbd\"} 1\n" },
		{ "cut\xc3", "g{comm=\"cut\xef\xbf\xbd\"} 1\n" },
		{ "cut\xe6\x97", "g{comm=\"cut\xef\xbf\xbd\xef\xbf\xbd\"} 1\n" },
		{ "\xc0\xaf", "g{comm=\"\xef\xbf\xbd\xef\xbf\xbd\"} 1\n" }, /* overlong '/' */
		{ "\xed\xa0\x80",
		  "g{comm=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 1\n" }, /* surrogate */
		{ "\xf4\x90\x80\x80",
		  "g{comm=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 1\n" },
		{ "\x80x", "g{comm=\"\xef\xbf\xbdx\"} 1\n" },
	};
	struct out o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_str_for(cases[i].line, value_line(&o, cases[i].value), cases[i].line);
}

static void test_any_two_bytes_make_a_clean_line(void **state)
{
	struct out o;
	char value[3] = { 0 };

	/* Every value of one or two bytes: valid UTF-8, no control, quotes and newlines escaped. */
	for (int a = 1; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			const char *line, *v, *end;

			value[0] = (char)a;
			value[1] = (char)b;
			line = value_line(&o, value);
			assert_true(utf8_clean(line, strlen(line)));
			v = line + strlen("g{comm=\"");
			end = strstr(line, "\"} 1\n");
			assert_non_null(end);
			assert_string_equal(end, "\"} 1\n");
			/* Inside: no '"' or newline but escaped ones. */
			for (const char *p = v; p < end; p++) {
				if (*p == '\\') {
					assert_non_null(strchr("\\\"n", p[1]));
					p++;
					continue;
				}
				assert_true(*p != '"' && *p != '\n');
			}
		}
	}
}

/* ---- histograms ------------------------------------------------------------------------ */

static void test_histogram_cumulative_inf_last_count_equals_inf(void **state)
{
	const double bounds[] = { 0.005, 0.01, 0.1, 1, 2.5 };
	const uint64_t counts[] = { 1, 2, 0, 3, 4, 5 };
	const struct prom_label l[] = { { "comm", "sshd" } };
	struct out o;

	out_init(&o, sizeof(o.buf));
	assert_int_equal(prom_family(&o.p, "rtt_seconds", PROM_HISTOGRAM, "RTT."), 0);
	assert_int_equal(prom_histogram(&o.p, "rtt_seconds", l, 1, bounds, counts, 5, 12.5), 0);
	assert_int_equal(prom_histogram(&o.p, "rtt_seconds", NULL, 0, bounds, counts, 2, 0.1), 0);
	assert_string_equal(o.buf, "# HELP rtt_seconds RTT.\n"
				   "# TYPE rtt_seconds histogram\n"
				   "rtt_seconds_bucket{comm=\"sshd\",le=\"0.005\"} 1\n"
				   "rtt_seconds_bucket{comm=\"sshd\",le=\"0.01\"} 3\n"
				   "rtt_seconds_bucket{comm=\"sshd\",le=\"0.1\"} 3\n"
				   "rtt_seconds_bucket{comm=\"sshd\",le=\"1\"} 6\n"
				   "rtt_seconds_bucket{comm=\"sshd\",le=\"2.5\"} 10\n"
				   "rtt_seconds_bucket{comm=\"sshd\",le=\"+Inf\"} 15\n"
				   "rtt_seconds_sum{comm=\"sshd\"} 12.5\n"
				   "rtt_seconds_count{comm=\"sshd\"} 15\n"
				   "rtt_seconds_bucket{le=\"0.005\"} 1\n"
				   "rtt_seconds_bucket{le=\"0.01\"} 3\n"
				   "rtt_seconds_bucket{le=\"+Inf\"} 3\n"
				   "rtt_seconds_sum 0.1\n"
				   "rtt_seconds_count 3\n");
}

static void test_histogram_of_no_bounds_and_large_bounds(void **state)
{
	const double bounds[] = { -1, 0, 1e6, 1.5e9 };
	const uint64_t counts[] = { 0, 0, 0, 0, 7 };
	struct out o;

	out_init(&o, sizeof(o.buf));
	assert_int_equal(prom_family(&o.p, "h", PROM_HISTOGRAM, NULL), 0);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, NULL, counts + 4, 0, NAN), 0);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, bounds, counts, 4, 1e10), 0);
	assert_string_equal(o.buf, "# TYPE h histogram\n"
				   "h_bucket{le=\"+Inf\"} 7\n"
				   "h_sum NaN\n"
				   "h_count 7\n"
				   "h_bucket{le=\"-1\"} 0\n"
				   "h_bucket{le=\"0\"} 0\n"
				   "h_bucket{le=\"1e+06\"} 0\n"
				   "h_bucket{le=\"1.5e+09\"} 0\n"
				   "h_bucket{le=\"+Inf\"} 7\n"
				   "h_sum 1e+10\n"
				   "h_count 7\n");
}

static void test_histogram_refusals_write_nothing(void **state)
{
	const double unsorted[] = { 1, 0.5 }, equal[] = { 1, 1 }, nan[] = { 0, NAN },
		     inf[] = { 0, INFINITY };
	const uint64_t counts[] = { 1, 1, 1 }, huge[] = { UINT64_MAX, 1, 0 };
	const double ok[] = { 1, 2 };
	const struct prom_label le[] = { { "le", "1" } };
	struct out o;
	size_t len;

	out_init(&o, sizeof(o.buf));
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, ok, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_family(&o.p, "g", PROM_GAUGE, NULL), 0);
	assert_int_equal(prom_histogram(&o.p, "g", NULL, 0, ok, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_family(&o.p, "h", PROM_HISTOGRAM, NULL), 0);
	len = strlen(o.buf);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, unsorted, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, equal, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, nan, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, inf, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h", le, 1, ok, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h_bucket", NULL, 0, ok, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, NULL, counts, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, ok, NULL, 2, 0), -EINVAL);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, ok, huge, 2, 0), -ERANGE);
	assert_int_equal(strlen(o.buf), len);
}

/* ---- a full buffer --------------------------------------------------------------------- */

static void test_full_buffer_is_enospc_and_stays_full(void **state)
{
	static const char want[] = "# TYPE g gauge\ng 1\n";
	struct out o;

	/* Room for the whole and a byte to spare. */
	out_init(&o, sizeof(want) + 1);
	assert_int_equal(prom_family(&o.p, "g", PROM_GAUGE, NULL), 0);
	assert_int_equal(prom_sample_u64(&o.p, "g", NULL, 0, 1), 0);
	assert_string_equal(o.buf, want);
	/* Filled exactly: counted as full. */
	out_init(&o, sizeof(want));
	assert_int_equal(prom_family(&o.p, "g", PROM_GAUGE, NULL), 0);
	assert_int_equal(prom_sample_u64(&o.p, "g", NULL, 0, 1), -ENOSPC);
	assert_string_equal(o.buf, want);
	/* Cut: NUL-terminated, and every later call is -ENOSPC. */
	out_init(&o, 10);
	assert_int_equal(prom_family(&o.p, "g", PROM_GAUGE, NULL), -ENOSPC);
	assert_string_equal(o.buf, "# TYPE g ");
	assert_int_equal(prom_sample_u64(&o.p, "g", NULL, 0, 1), -ENOSPC);
	assert_int_equal(prom_family(&o.p, "h", PROM_HISTOGRAM, NULL), -ENOSPC);
	assert_int_equal(prom_histogram(&o.p, "h", NULL, 0, NULL, (const uint64_t[]){ 1 }, 0, 1),
			 -ENOSPC);
	assert_string_equal(o.buf, "# TYPE g ");
	/* A refusal is still -EINVAL. */
	assert_int_equal(prom_sample_u64(&o.p, "x", NULL, 0, 1), -EINVAL);
}

/* ---- promtool -------------------------------------------------------------------------- */

/* An exposition with every feature: each family's HELP, hostile label values, all numbers. */
static void write_everything(struct out *o)
{
	const double bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
	const uint64_t counts[] = { 5, 0, 3, 9, 1, 0, 0, 2, 0, 0, 1, 4 };
	const struct prom_label hostile[] = {
		{ "comm", "a\\b\"c\nd\x01\x1b[0m\xff\xc3(\xe2\x80\xae\xed\xa0\x80" },
		{ "state", "ESTABLISHED" },
	};
	const struct prom_label plain[] = { { "comm", "nginx" }, { "state", "CLOSE_WAIT" } };
	const struct prom_label version[] = { { "version", "1.0.0" } };
	const struct prom_label which[][1] = { { { "which", "nan" } },
					       { { "which", "pos" } },
					       { { "which", "neg" } },
					       { { "which", "small" } } };
	struct prom *p = &o->p;

	out_init(o, sizeof(o->buf));
	assert_int_equal(prom_family(p, "socket_snoop_build_info", PROM_GAUGE,
				     "Build of socket-snoop; always 1."),
			 0);
	assert_int_equal(prom_sample_u64(p, "socket_snoop_build_info", version, 1, 1), 0);
	assert_int_equal(prom_family(p, "socket_snoop_connection_duration_seconds", PROM_HISTOGRAM,
				     "How long connections lived,\nby command."),
			 0);
	assert_int_equal(prom_histogram(p, "socket_snoop_connection_duration_seconds", hostile, 2,
					bounds, counts, 11, 123.456),
			 0);
	assert_int_equal(prom_histogram(p, "socket_snoop_connection_duration_seconds", plain, 2,
					bounds, counts, 11, 0.1 + 0.2),
			 0);
	assert_int_equal(prom_family(p, "socket_snoop_connections_total", PROM_COUNTER,
				     "Connections \"seen\", C:\\path \xff."),
			 0);
	assert_int_equal(
		prom_sample_u64(p, "socket_snoop_connections_total", hostile, 2, UINT64_MAX), 0);
	assert_int_equal(prom_sample_u64(p, "socket_snoop_connections_total", plain, 2, 0), 0);
	assert_int_equal(prom_family(p, "socket_snoop_queue_ratio", PROM_GAUGE, "Odd values."), 0);
	assert_int_equal(prom_sample_f64(p, "socket_snoop_queue_ratio", which[0], 1, NAN), 0);
	assert_int_equal(prom_sample_f64(p, "socket_snoop_queue_ratio", which[1], 1, INFINITY), 0);
	assert_int_equal(prom_sample_f64(p, "socket_snoop_queue_ratio", which[2], 1, -INFINITY), 0);
	assert_int_equal(prom_sample_f64(p, "socket_snoop_queue_ratio", which[3], 1, 5e-324), 0);
	assert_int_equal(prom_family(p, "socket_snoop_rtt_seconds", PROM_SUMMARY, "RTT."), 0);
	assert_int_equal(prom_sample_f64(p, "socket_snoop_rtt_seconds",
					 (const struct prom_label[]){ { "quantile", "0.99" } }, 1,
					 0.0123),
			 0);
	assert_int_equal(prom_sample_f64(p, "socket_snoop_rtt_seconds_sum", NULL, 0, 1e6), 0);
	assert_int_equal(prom_sample_u64(p, "socket_snoop_rtt_seconds_count", NULL, 0, 3), 0);
	assert_int_equal(prom_family(p, "socket_snoop_things", PROM_UNTYPED, "Untyped."), 0);
	assert_int_equal(prom_sample_f64(p, "socket_snoop_things", NULL, 0, -0.0), 0);
}

/* Whether an executable @name is on $PATH. */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	char dir[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, path, name);
		if (n && access(dir, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/*
 * promtool check metrics on @text: its exit status, what it said in @said.
 * Files in a directory of its own, removed before returning.
 */
static int promtool(const char *text, char *said, size_t said_size)
{
	char dir[] = "/tmp/test_prom.XXXXXX", in[64], out[64], cmd[256];
	FILE *f;
	size_t n;
	int st;

	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/metrics", dir);
	snprintf(out, sizeof(out), "%s/said", dir);
	f = fopen(in, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics <%s >%s 2>&1", in, out);
	st = system(cmd);
	said[0] = '\0';
	f = fopen(out, "r");
	if (f) {
		n = fread(said, 1, said_size - 1, f);
		said[n] = '\0';
		fclose(f);
	}
	unlink(in);
	unlink(out);
	rmdir(dir);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Missing promtool skips, but not under CI: there install-deps.sh installs it. */
static void need_promtool(void)
{
	const char *ci = getenv("CI");

	if (on_path("promtool"))
		return;
	if (ci && !strcmp(ci, "true"))
		fail_msg("promtool not found (Debian package prometheus) and CI=true");
	print_message("promtool not found (Debian package prometheus): skipped\n");
	skip();
}

static void test_promtool_reads_and_lints_everything_clean(void **state)
{
	char said[4096];
	struct out o;

	need_promtool();
	write_everything(&o);
	assert_true(utf8_clean(o.buf, strlen(o.buf)));
	assert_int_equal(promtool(o.buf, said, sizeof(said)), 0);
	assert_string_equal(said, "");
}

static void test_promtool_does_refuse_what_we_never_write(void **state)
{
	static const char *broken[] = {
		/* The checks above must be able to fail: promtool refusing these is the proof. */
		"# HELP a h\n# TYPE a gauge\na{comm=\"\xff\"} 1\n",  /* invalid UTF-8 */
		"# HELP a h\n# TYPE a gauge\na{comm=\"x\ny\"} 1\n",  /* raw newline */
		"# HELP a h\n# TYPE a gauge\na{comm=\"a\\xb\"} 1\n", /* unknown escape */
		"# HELP a h\n# HELP a h\n# TYPE a gauge\na 1\n",     /* HELP twice */
		"# HELP a h\n# TYPE a gauge\n# TYPE a gauge\na 1\n", /* TYPE twice */
		"# HELP a h\n# TYPE a gauge\na{b-c=\"x\"} 1\n",	     /* bad label name */
		"# HELP a h\n# TYPE a gauge\na{__name__=\"x\"} 1\n", /* reserved label name */
		"# HELP a h\n# TYPE a gauge\na 1,5\n",		     /* decimal comma */
	};
	char said[4096];

	need_promtool();
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		assert_int_equal(promtool(broken[i], said, sizeof(said)), 1);
		assert_non_null(strstr(said, "text format parsing error"));
	}
	/* And the same with the mistake taken out passes. */
	assert_int_equal(
		promtool("# HELP a h\n# TYPE a gauge\na{comm=\"x\"} 1\n", said, sizeof(said)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_as_go_writes_them),
		cmocka_unit_test(test_doubles_read_back_exactly),
		cmocka_unit_test(test_doubles_ignore_a_decimal_comma_locale),
		cmocka_unit_test(test_metric_and_label_names),
		cmocka_unit_test(test_family_help_and_type_exact),
		cmocka_unit_test(test_help_escapes_backslash_newline_and_bad_bytes),
		cmocka_unit_test(test_each_family_once_in_increasing_order),
		cmocka_unit_test(test_samples_exact_in_the_order_written),
		cmocka_unit_test(test_sample_outside_its_family_refused),
		cmocka_unit_test(test_label_values_escaped),
		cmocka_unit_test(test_any_two_bytes_make_a_clean_line),
		cmocka_unit_test(test_histogram_cumulative_inf_last_count_equals_inf),
		cmocka_unit_test(test_histogram_of_no_bounds_and_large_bounds),
		cmocka_unit_test(test_histogram_refusals_write_nothing),
		cmocka_unit_test(test_full_buffer_is_enospc_and_stays_full),
		cmocka_unit_test(test_promtool_reads_and_lints_everything_clean),
		cmocka_unit_test(test_promtool_does_refuse_what_we_never_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
