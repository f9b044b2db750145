/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * prom.h - a writer of the Prometheus text exposition format 0.0.4 over a
 * strbuf.  It checks what would make a scrape fail: metric and label names,
 * each family's HELP and TYPE written once and before its samples, samples
 * under their own family, histogram buckets.  Label values and help texts
 * are outside bytes (process names): escaped as the format says, and kept
 * valid UTF-8 and harmless on a terminal (see prom_sample_u64()).  Pure
 * functions, no I/O; the one allocation is the "C" locale that numbers are
 * written in, made at the first double and kept.
 *
 * Every function returns 0 or a negative errno: -EINVAL for a call that
 * breaks a rule above (nothing written), -ERANGE for histogram counts that
 * overflow, -ENOSPC when the buffer is full.  A full buffer holds a cut
 * exposition and stays full, so every later call is -ENOSPC too and a
 * writer may check only its last; filling it exactly counts as full (a
 * strbuf cannot tell that from a cut), so give it a byte to spare.
 */
#ifndef LIB_PROM_H
#define LIB_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/text.h"

/* The longest metric name a family may have. */
#define PROM_NAME_MAX 128
/* Room for a double as prom_fmt_f64() writes it: "-2.2250738585072014e-308" and a NUL. */
#define PROM_F64_LEN 32
/* The media type of what this writes, for the response's Content-Type. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_type {
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
	PROM_SUMMARY,
	PROM_UNTYPED,
};

/* One label of a sample; the value may hold any bytes but NUL. */
struct prom_label {
	const char *name;
	const char *value;
};

/* The writer: its buffer and the family being written. */
struct prom {
	struct strbuf *sb;
	enum prom_type type;
	char family[PROM_NAME_MAX + 1]; /* "" before the first family */
};

void prom_init(struct prom *p, struct strbuf *sb);

/*
 * Start the family @name of @type: "# HELP" (when @help is not NULL; '\\'
 * and newlines escaped) and "# TYPE".  Families come in increasing byte
 * order of their names, as client_golang writes them: that is what keeps
 * each to one HELP and one TYPE, checked with one comparison, and it makes
 * every scrape list them the same way.
 */
int prom_family(struct prom *p, const char *name, enum prom_type type, const char *help);

/*
 * A sample of the current family: @name is the family's (or, in a summary,
 * its _sum or _count), with @nlabels labels in the order given.  Label names
 * match [a-zA-Z_][a-zA-Z0-9_]*, do not start with "__" (Prometheus's own)
 * and appear once.  In values, '\\', '"' and newlines are escaped; invalid
 * UTF-8 and what a terminal would obey instead of showing (other control
 * characters, C1 controls, bidirectional controls, line and paragraph
 * separators) become U+FFFD.  So two values that differ only there are one
 * series: process names that do are hostile.
 */
int prom_sample_u64(struct prom *p, const char *name, const struct prom_label *labels,
		    size_t nlabels, uint64_t v);
/* The same with a double: NaN, +Inf, -Inf, or as prom_fmt_f64() writes it. */
int prom_sample_f64(struct prom *p, const char *name, const struct prom_label *labels,
		    size_t nlabels, double v);

/*
 * A histogram of the current family (@name): @n finite upper bounds in
 * increasing order and @n + 1 counts, each of its own bucket (not
 * cumulative), counts[n] that of the values above bounds[n - 1].  Written
 * as Prometheus reads it: cumulative _bucket lines, le="+Inf" last, then
 * _sum (@sum) and _count (the +Inf bucket's).  The labels may not use "le".
 */
int prom_histogram(struct prom *p, const char *name, const struct prom_label *labels,
		   size_t nlabels, const double *bounds, const uint64_t *counts, size_t n,
		   double sum);

/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, at most PROM_NAME_MAX bytes. */
bool prom_metric_name_ok(const char *name);

/* A label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__". */
bool prom_label_name_ok(const char *name);

/*
 * @v as Go's strconv.FormatFloat(v, 'g', -1, 64), which Prometheus and its
 * clients write (le="0.005", "1", "1e+06"): the fewest digits that read back
 * as @v exactly, a '.' whatever LC_NUMERIC says, and "NaN", "+Inf", "-Inf".
 * NUL-terminated; returns the length.
 */
size_t prom_fmt_f64(char buf[PROM_F64_LEN], double v);

#endif
