// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* diag.c - diagnostics on standard error (see diag.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/clock.h"
#include "common/diag.h"
#include "lib/text.h"
#include "lib/json.h"
#include "lib/parse.h"

static const char *diag_face = "socket-snoop";
static bool diag_json;
/* stderr is the journal: each line starts with its syslog priority, "<4>". */
static bool diag_journal;

/* The syslog priority of each level (sd-daemon(3): LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
static const char level_priority[] = {
	[DIAG_ERROR] = '3',
	[DIAG_WARNING] = '4',
	[DIAG_INFO] = '6',
	[DIAG_DEBUG] = '7',
};

static const char *const level_names[] = {
	[DIAG_ERROR] = "error",
	[DIAG_WARNING] = "warning",
	[DIAG_INFO] = "info",
	[DIAG_DEBUG] = "debug",
};

/*
 * Is stderr connected to the journal?  systemd says so in $JOURNAL_STREAM
 * ("DEVICE:INODE" of the stream it gave us); it must still be our stderr
 * (not redirected since, not inherited by a child of a service).
 */
static bool stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	char dev[24];
	const char *colon;
	uint64_t d, i;
	struct stat st;

	if (!v || !(colon = strchr(v, ':')) || (size_t)(colon - v) >= sizeof(dev))
		return false;
	memcpy(dev, v, (size_t)(colon - v));
	dev[colon - v] = '\0';
	if (parse_u64(dev, UINT64_MAX, &d) || parse_u64(colon + 1, UINT64_MAX, &i))
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && (uint64_t)st.st_dev == d &&
	       (uint64_t)st.st_ino == i;
}

void diag__setup(const char *face, bool json)
{
	diag_face = face;
	diag_json = json;
	diag_journal = stderr_is_journal();
}

bool diag__json(void)
{
	return diag_json;
}

size_t diag__json_line(char *buf, size_t size, const char *level, const char *logger,
		       const char *message, size_t n, uint64_t wall_ns)
{
	/* Room for everything but the message: keys, timestamp, level, logger. */
	size_t fixed = 128 + sizeof(ECS_VERSION) + 24 + strlen(level) + strlen(logger);
	size_t room = size > fixed ? (size - fixed) / 6 : 0;
	struct strbuf sb;
	struct json j;
	char ts[40];
	struct strbuf t;

	/* Escaped, a byte takes up to 6: cut the message, never the object. */
	if (n > room)
		n = room;
	strbuf_init(&t, ts, sizeof(ts));
	fmt_rfc3339(&t, wall_ns);
	strbuf_init(&sb, buf, size);
	json_init(&j, &sb);
	json_value_begin(&j);
	json_str(&j, "@timestamp", ts);
	json_object_begin(&j, "ecs");
	json_str(&j, "version", ECS_VERSION);
	json_object_end(&j);
	json_object_begin(&j, "log");
	json_str(&j, "level", level);
	json_str(&j, "logger", logger);
	json_object_end(&j);
	json_mem(&j, "message", message, n);
	json_object_end(&j);
	strbuf_char(&sb, '\n');
	return (size_t)(sb.p - buf);
}

/* Write all of @buf to stderr, unbuffered: a diagnostic is never half-written by stdio. */
static void diag_write(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, buf, len);

		if (n <= 0)
			return; /* nowhere left to complain to */
		buf += n;
		len -= (size_t)n;
	}
}

/* One message as a text line: the face's prefix on warnings and errors, escaped. */
static void diag_text(enum diag_level level, const char *msg, size_t len)
{
	/* Static: messages are printed from the main thread only. */
	static char line[DIAG_MSG_MAX * 4 + 64];
	struct strbuf sb;

	strbuf_init(&sb, line, sizeof(line));
	if (diag_journal) {
		strbuf_char(&sb, '<');
		strbuf_char(&sb, level_priority[level]);
		strbuf_char(&sb, '>');
	}
	if (level < DIAG_INFO) {
		strbuf_str(&sb, diag_face);
		strbuf_str(&sb, ": ");
	}
	fmt_text_escape(&sb, msg, len);
	strbuf_char(&sb, '\n');
	diag_write(line, (size_t)(sb.p - line));
}

/* One message of @len bytes at @msg, as a line of either format. */
static void diag_line(enum diag_level level, const char *msg, size_t len)
{
	static char line[DIAG_MSG_MAX * 6 + 256];
	size_t at = 0;

	if (!diag_json) {
		diag_text(level, msg, len);
		return;
	}
	/* The journal takes the priority off the line and keeps the object as sent. */
	if (diag_journal) {
		line[0] = '<';
		line[1] = level_priority[level];
		line[2] = '>';
		at = 3;
	}
	diag_write(line, at + diag__json_line(line + at, sizeof(line) - at, level_names[level],
					      diag_face, msg, len, clock__wall_ns()));
}

/* Format into @msg (DIAG_MSG_MAX + 1 bytes): its length, cut with "..." when longer. */
static size_t __attribute__((format(printf, 2, 0)))
diag_format(char *msg, const char *fmt, va_list ap)
{
	int n = vsnprintf(msg, DIAG_MSG_MAX + 1, fmt, ap);

	if (n < 0)
		return 0;
	if ((size_t)n > DIAG_MSG_MAX) {
		memcpy(msg + DIAG_MSG_MAX - 3, "...", 4);
		return DIAG_MSG_MAX;
	}
	return (size_t)n;
}

void diag__vsay(enum diag_level level, const char *fmt, va_list ap)
{
	static char msg[DIAG_MSG_MAX + 1];

	diag_line(level, msg, diag_format(msg, fmt, ap));
}

void diag__vsay_lines(enum diag_level level, const char *fmt, va_list ap)
{
	static char msg[DIAG_MSG_MAX + 1];
	size_t len = diag_format(msg, fmt, ap);
	const char *p = msg;

	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) : len;

		diag_line(level, p, n);
		p += n + (nl ? 1 : 0);
		len -= n + (nl ? 1 : 0);
	}
}

void diag__say(enum diag_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag__vsay(level, fmt, ap);
	va_end(ap);
}
