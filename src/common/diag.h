/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * diag.h - diagnostics on standard error, for every face: one line per
 * message, text or JSON (chosen once at start-up), every byte of the message
 * escaped, each line bounded.  Only the top layer of a face says things.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_INFO,
	DIAG_DEBUG, /* libbpf's debug messages (-v -v) */
};

/*
 * Choose the format: text lines prefixed by @face ("socket-snoop: ...";
 * info lines unprefixed), or with @json one JSON object per line whose
 * log.logger is @face.  @face must outlive the program (a literal).
 */
void diag__setup(const char *face, bool json);

/* True once diag__setup() chose JSON. */
bool diag__json(void);

/* One message; a longer message than DIAG_MSG_MAX bytes is cut and ends in "...". */
void diag__say(enum diag_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag__vsay(enum diag_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * A message that is several lines (libbpf's, with the verifier's log): each
 * line a diagnostic of its own.  diag__vsay() keeps a newline in the message
 * escaped instead, so that an outside value can never start a line.
 */
void diag__vsay_lines(enum diag_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define DIAG_MSG_MAX 2048

/*
 * A diagnostic (@level "info", "warning", "error" or "debug", from @logger;
 * @n bytes of @message) as a JSON object and a newline, in @buf.  The object
 * is always whole: a message too long for @size is cut first.  Its length.
 */
size_t diag__json_line(char *buf, size_t size, const char *level, const char *logger,
		       const char *message, size_t n, uint64_t wall_ns);

#define diag_error(...) diag__say(DIAG_ERROR, __VA_ARGS__)
#define diag_warn(...) diag__say(DIAG_WARNING, __VA_ARGS__)
#define diag_info(...) diag__say(DIAG_INFO, __VA_ARGS__)

#endif
