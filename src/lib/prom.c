// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* prom.c - Prometheus text exposition format 0.0.4 (see prom.h). */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/prom.h"

/* U+FFFD REPLACEMENT CHARACTER, for what a value may not carry as it is. */
#define REPLACEMENT "\xef\xbf\xbd"

void prom_init(struct prom *p, struct strbuf *sb)
{
	memset(p, 0, sizeof(*p));
	p->sb = sb;
}

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/* A name of @colon's alphabet (metric names may hold ':', label names not). */
static bool name_ok(const char *name, bool colon, size_t max)
{
	size_t i;

	if (!name || !name[0])
		return false;
	for (i = 0; name[i]; i++)
		if (i >= max || !name_char(name[i], i == 0, colon))
			return false;
	return true;
}

bool prom_metric_name_ok(const char *name)
{
	return name_ok(name, true, PROM_NAME_MAX);
}

bool prom_label_name_ok(const char *name)
{
	return name_ok(name, false, SIZE_MAX) && strncmp(name, "__", 2) != 0;
}

/*
 * @s escaped as the format says, for a label value (@quote: '"' too) or a
 * HELP text: "\\\\", "\\n", "\\\""; every byte that is not valid UTF-8 and
 * every obeyed character (but the newline, escaped) as U+FFFD.  Runs of
 * plain text are copied whole.
 */
static void put_escaped(struct strbuf *sb, const char *s, bool quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, run = 0;

	while (i < n) {
		char esc = 0; /* after a backslash; 'R' for U+FFFD */
		size_t len = 1;

		if (u[i] == '\\' || (u[i] == '"' && quote))
			esc = (char)u[i];
		else if (u[i] == '\n')
			esc = 'n';
		else if (fmt_obeyed(fmt_utf8_decode(u + i, n - i, &len)) || !len)
			esc = 'R';
		if (!len)
			len = 1; /* one U+FFFD per byte that is not UTF-8 */
		if (esc) {
			strbuf_mem(sb, s + run, i - run);
			if (esc == 'R') {
				strbuf_mem(sb, REPLACEMENT, 3);
			} else {
				strbuf_char(sb, '\\');
				strbuf_char(sb, esc);
			}
			run = i + len;
		}
		i += len;
	}
	strbuf_mem(sb, s + run, n - run);
}

/* Full (or filled exactly, which a strbuf cannot tell apart): see prom.h. */
static int room_left(const struct prom *p)
{
	return p->sb->p < p->sb->end ? 0 : -ENOSPC;
}

static const char *type_name(enum prom_type type)
{
	switch (type) {
	case PROM_COUNTER:
		return "counter";
	case PROM_GAUGE:
		return "gauge";
	case PROM_HISTOGRAM:
		return "histogram";
	case PROM_SUMMARY:
		return "summary";
	case PROM_UNTYPED:
		return "untyped";
	}
	return NULL;
}

int prom_family(struct prom *p, const char *name, enum prom_type type, const char *help)
{
	const char *tname = type_name(type);

	if (!tname || !prom_metric_name_ok(name) || strcmp(name, p->family) <= 0)
		return -EINVAL;
	strcpy(p->family, name);
	p->type = type;
	if (help) {
		strbuf_str(p->sb, "# HELP ");
		strbuf_str(p->sb, name);
		strbuf_char(p->sb, ' ');
		put_escaped(p->sb, help, false);
		strbuf_char(p->sb, '\n');
	}
	strbuf_str(p->sb, "# TYPE ");
	strbuf_str(p->sb, name);
	strbuf_char(p->sb, ' ');
	strbuf_str(p->sb, tname);
	strbuf_char(p->sb, '\n');
	return room_left(p);
}

/*
 * @name is a sample of the current family: its own name, or a summary's
 * _sum and _count.  A histogram's come from prom_histogram() only.
 */
static bool in_family(const struct prom *p, const char *name, bool histogram)
{
	size_t n = strlen(p->family);

	if (!n || (p->type == PROM_HISTOGRAM) != histogram || strncmp(name, p->family, n) != 0)
		return false;
	if (!name[n])
		return true;
	return p->type == PROM_SUMMARY &&
	       (!strcmp(name + n, "_sum") || !strcmp(name + n, "_count"));
}

static bool labels_ok(const struct prom_label *labels, size_t nlabels, bool histogram)
{
	for (size_t i = 0; i < nlabels; i++) {
		if (!prom_label_name_ok(labels[i].name) || !labels[i].value)
			return false;
		/* A histogram's buckets carry "le" themselves. */
		if (histogram && !strcmp(labels[i].name, "le"))
			return false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(labels[i].name, labels[j].name))
				return false;
	}
	return true;
}

/* "name{a="x",b="y"} ", the labels escaped, @le (a bucket's bound) the last. */
static void put_series(struct strbuf *sb, const char *name, const char *suffix,
		       const struct prom_label *labels, size_t nlabels, const char *le)
{
	strbuf_str(sb, name);
	strbuf_str(sb, suffix);
	if (nlabels || le) {
		strbuf_char(sb, '{');
		for (size_t i = 0; i < nlabels; i++) {
			if (i)
				strbuf_char(sb, ',');
			strbuf_str(sb, labels[i].name);
			strbuf_str(sb, "=\"");
			put_escaped(sb, labels[i].value, true);
			strbuf_char(sb, '"');
		}
		if (le) {
			strbuf_str(sb, nlabels ? ",le=\"" : "le=\"");
			strbuf_str(sb, le);
			strbuf_char(sb, '"');
		}
		strbuf_char(sb, '}');
	}
	strbuf_char(sb, ' ');
}

static void put_f64(struct strbuf *sb, double v)
{
	char text[PROM_F64_LEN];

	strbuf_mem(sb, text, prom_fmt_f64(text, v));
}

int prom_sample_u64(struct prom *p, const char *name, const struct prom_label *labels,
		    size_t nlabels, uint64_t v)
{
	if (!name || !in_family(p, name, false) || !labels_ok(labels, nlabels, false))
		return -EINVAL;
	put_series(p->sb, name, "", labels, nlabels, NULL);
	strbuf_u64(p->sb, v);
	strbuf_char(p->sb, '\n');
	return room_left(p);
}

int prom_sample_f64(struct prom *p, const char *name, const struct prom_label *labels,
		    size_t nlabels, double v)
{
	if (!name || !in_family(p, name, false) || !labels_ok(labels, nlabels, false))
		return -EINVAL;
	put_series(p->sb, name, "", labels, nlabels, NULL);
	put_f64(p->sb, v);
	strbuf_char(p->sb, '\n');
	return room_left(p);
}

int prom_histogram(struct prom *p, const char *name, const struct prom_label *labels,
		   size_t nlabels, const double *bounds, const uint64_t *counts, size_t n,
		   double sum)
{
	char le[PROM_F64_LEN];
	uint64_t total = 0;

	if (!name || strcmp(name, p->family) != 0 || !in_family(p, name, true) ||
	    !labels_ok(labels, nlabels, true) || !counts || (n && !bounds))
		return -EINVAL;
	/* Checked whole before a line is written: a refused call writes nothing. */
	for (size_t i = 0; i < n; i++)
		if (!isfinite(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])))
			return -EINVAL;
	for (size_t i = 0; i <= n; i++)
		if (__builtin_add_overflow(total, counts[i], &total))
			return -ERANGE;
	total = 0;
	for (size_t i = 0; i <= n; i++) {
		total += counts[i];
		if (i < n)
			prom_fmt_f64(le, bounds[i]);
		put_series(p->sb, name, "_bucket", labels, nlabels, i < n ? le : "+Inf");
		strbuf_u64(p->sb, total);
		strbuf_char(p->sb, '\n');
	}
	put_series(p->sb, name, "_sum", labels, nlabels, NULL);
	put_f64(p->sb, sum);
	strbuf_char(p->sb, '\n');
	put_series(p->sb, name, "_count", labels, nlabels, NULL);
	strbuf_u64(p->sb, total);
	strbuf_char(p->sb, '\n');
	return room_left(p);
}

/*
 * The "C" locale's numbers, made once: printf("%e") and strtod() follow
 * LC_NUMERIC, and a locale with a decimal comma would write "0,005".
 * NULL when it cannot be made (no memory): see prom_fmt_f64().
 */
static locale_t c_numeric(void)
{
	static locale_t c;

	if (!c)
		c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return c;
}

/*
 * The shortest "%.*e" of @v that reads back as @v, in @e (@size bytes):
 * 17 significant digits always do (DBL_DECIMAL_DIG).
 */
static void shortest_e(char *e, size_t size, double v)
{
	locale_t c = c_numeric(), old = c ? uselocale(c) : (locale_t)0;

	for (int prec = 0; prec < 17; prec++) {
		snprintf(e, size, "%.*e", prec, v);
		/* Without the C locale strtod() may stop at the '.': 17 digits then. */
		if (prec == 16 || strtod(e, NULL) == v)
			break;
	}
	if (c)
		uselocale(old);
}

static size_t put_word(char *buf, const char *w)
{
	size_t n = strlen(w);

	memcpy(buf, w, n + 1);
	return n;
}

size_t prom_fmt_f64(char buf[PROM_F64_LEN], double v)
{
	char e[PROM_F64_LEN + 8], digits[20], *p = buf;
	const char *s;
	int nd = 0, exp = 0, dp;
	bool eneg;

	if (isnan(v))
		return put_word(buf, "NaN");
	if (isinf(v))
		return put_word(buf, v > 0 ? "+Inf" : "-Inf");
	shortest_e(e, sizeof(e), v);
	/* "-d.ddde-xx": the digits, whatever the decimal point, then the exponent. */
	s = e;
	if (*s == '-')
		*p++ = *s++;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && nd < (int)sizeof(digits))
			digits[nd++] = *s;
	eneg = *s && s[1] == '-';
	for (s += *s ? 2 : 0; *s >= '0' && *s <= '9'; s++)
		exp = exp * 10 + (*s - '0');
	if (eneg)
		exp = -exp;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	dp = exp + 1; /* digits before the decimal point */
	/* Go's 'g' with the shortest digits: an exponent below -4 or from 6 on. */
	if (exp < -4 || exp >= 6) {
		*p++ = digits[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, digits + 1, (size_t)nd - 1);
			p += nd - 1;
		}
		*p++ = 'e';
		*p++ = eneg ? '-' : '+';
		exp = abs(exp);
		if (exp >= 100)
			*p++ = (char)('0' + exp / 100);
		*p++ = (char)('0' + exp / 10 % 10);
		*p++ = (char)('0' + exp % 10);
	} else {
		for (int i = 0; i < (dp > 0 ? dp : 1); i++)
			*p++ = (char)(dp > 0 && i < nd ? digits[i] : '0');
		if (nd > dp) {
			*p++ = '.';
			for (int i = dp; i < nd; i++)
				*p++ = (char)(i < 0 ? '0' : digits[i]);
		}
	}
	*p = '\0';
	return (size_t)(p - buf);
}
