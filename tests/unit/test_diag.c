// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_diag.c - diagnostics on standard error (src/common/diag.h) when it is
 * the journal: with $JOURNAL_STREAM naming stderr's own device and inode,
 * every line, text or JSON, starts with its syslog priority ("<3>" error,
 * "<4>" warning, "<6>" info, "<7>" debug); with a variable that does not
 * name stderr (another file, malformed, out of range) no line has one.
 * Standard error is a temp file here, read back after each message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"

/* The real stderr, kept while a test's stderr is a temp file. */
struct tmp {
	int saved_stderr;
	char path[64];
	char other[64];
};

static int setup_stderr(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	int fd;

	if (!t)
		return -1;
	snprintf(t->path, sizeof(t->path), "/tmp/test_diag.XXXXXX");
	fd = mkstemp(t->path);
	if (fd < 0) {
		free(t);
		return -1;
	}
	t->saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	unsetenv("JOURNAL_STREAM");
	*state = t;
	return 0;
}

static int teardown_stderr(void **state)
{
	struct tmp *t = *state;
	char buf[4096];
	ssize_t n;
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);

	/* What a failed test left there (cmocka's message) goes to the real stderr. */
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(t->saved_stderr, buf, (size_t)n) != n)
			break;
	if (fd >= 0)
		close(fd);
	dup2(t->saved_stderr, STDERR_FILENO);
	close(t->saved_stderr);
	unlink(t->path);
	if (t->other[0])
		unlink(t->other);
	free(t);
	unsetenv("JOURNAL_STREAM");
	/* Other tests see the default: text, not the journal. */
	diag__setup("socket-snoop", false);
	return 0;
}

/* $JOURNAL_STREAM as systemd sets it for the file open on @fd: "DEVICE:INODE". */
static void set_stream_of(int fd)
{
	struct stat st;
	char v[64];

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

/* Everything written to stderr since the last call (stderr emptied).  Static buffer. */
static const char *take_stderr(void)
{
	static char buf[32768];
	ssize_t n;

	n = pread(STDERR_FILENO, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal(ftruncate(STDERR_FILENO, 0), 0);
	assert_true(lseek(STDERR_FILENO, 0, SEEK_SET) == 0);
	return buf;
}

/* One message of each level in text: what stderr got. */
static const char *say_each_level(void)
{
	diag__say(DIAG_ERROR, "cannot %s", "open");
	diag__say(DIAG_WARNING, "lost %d", 3);
	diag__say(DIAG_INFO, "Monitoring socket connections.");
	diag__say(DIAG_DEBUG, "libbpf: loading");
	return take_stderr();
}

/* ---- the journal ----------------------------------------------------------------------- */

static void test_text_lines_start_with_their_priority(void **state)
{
	set_stream_of(STDERR_FILENO);
	diag__setup("socket-snoop", false);
	assert_string_equal(say_each_level(), "<3>socket-snoop: cannot open\n"
					      "<4>socket-snoop: lost 3\n"
					      "<6>Monitoring socket connections.\n"
					      "<7>libbpf: loading\n");
	/* The face's name follows the priority. */
	diag__setup("tcpsnoop", false);
	diag_warn("x");
	assert_string_equal(take_stderr(), "<4>tcpsnoop: x\n");
}

static void test_json_lines_start_with_their_priority_then_the_whole_object(void **state)
{
	static const struct {
		enum diag_level level;
		const char *prefix, *name;
	} levels[] = {
		{ DIAG_ERROR, "<3>{", "error" },
		{ DIAG_WARNING, "<4>{", "warning" },
		{ DIAG_INFO, "<6>{", "info" },
		{ DIAG_DEBUG, "<7>{", "debug" },
	};

	set_stream_of(STDERR_FILENO);
	diag__setup("socket-snoop", true);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		char want[128];
		const char *got;

		diag__say(levels[i].level, "message \"%zu\"", i);
		got = take_stderr();
		assert_memory_equal(got, levels[i].prefix, 4);
		/* The object is the same as without the journal, after the priority. */
		assert_memory_equal(got + 3, "{\"@timestamp\":\"", 15);
		snprintf(
			want, sizeof(want),
			"Z\",\"ecs\":{\"version\":\"8.11.0\"},\"log\":{\"level\":\"%s\",\"logger\":\"socket-snoop\"},"
			"\"message\":\"message \\\"%zu\\\"\"}\n",
			levels[i].name, i);
		assert_non_null(strstr(got, want));
		assert_string_equal(strstr(got, want), want);
		assert_int_equal(strchr(got, '\n') - got + 1, strlen(got));
	}
}

static void test_each_line_of_a_several_line_message_has_the_priority(void **state)
{
	set_stream_of(STDERR_FILENO);
	diag__setup("socket-snoop", false);
	/* A newline inside one message is escaped: one line, one priority. */
	diag_warn("a\nb");
	assert_string_equal(take_stderr(), "<4>socket-snoop: a\\x0ab\n");
}

/* diag__vsay_lines() through a variadic wrapper. */
static void say_lines(enum diag_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say_lines(enum diag_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag__vsay_lines(level, fmt, ap);
	va_end(ap);
}

static void test_libbpf_multi_line_messages_get_a_priority_per_line(void **state)
{
	set_stream_of(STDERR_FILENO);
	diag__setup("socket-snoop", false);
	say_lines(DIAG_DEBUG, "libbpf: %s\n%s\n", "verifier log:", "0: r1 = 0");
	assert_string_equal(take_stderr(), "<7>libbpf: verifier log:\n<7>0: r1 = 0\n");
	diag__setup("socket-snoop", true);
	say_lines(DIAG_WARNING, "one\ntwo");
	{
		const char *got = take_stderr();
		const char *second = strchr(got, '\n');

		assert_non_null(second);
		assert_memory_equal(got, "<4>{", 4);
		assert_memory_equal(second + 1, "<4>{", 4);
		assert_non_null(strstr(got, "\"message\":\"one\"}\n<4>{"));
		assert_non_null(strstr(second, "\"message\":\"two\"}\n"));
	}
}

static void test_longest_message_is_whole_after_the_priority(void **state)
{
	char msg[DIAG_MSG_MAX + 100];
	const char *got;
	size_t len;

	/* Every byte escaped at its longest: \x01 in text, \u0001 in JSON. */
	memset(msg, 0x01, sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	set_stream_of(STDERR_FILENO);
	diag__setup("socket-snoop", false);
	diag_error("%s", msg);
	got = take_stderr();
	len = strlen(got);
	assert_memory_equal(got, "<3>socket-snoop: \\x01", 21);
	assert_memory_equal(got + len - 8, "\\x01...\n", 8);
	assert_int_equal(strchr(got, '\n') - got + 1, len);

	diag__setup("socket-snoop", true);
	diag_error("%s", msg);
	got = take_stderr();
	len = strlen(got);
	assert_memory_equal(got, "<3>{", 4);
	assert_memory_equal(got + len - 10, "0001...\"}\n", 10);
	assert_int_equal(strchr(got, '\n') - got + 1, len);
}

/* ---- not the journal ------------------------------------------------------------------- */

/* With $JOURNAL_STREAM @value (NULL: unset), no line of either format has a priority. */
static void assert_no_priority(const char *value)
{
	const char *got;

	if (value)
		assert_int_equal(setenv("JOURNAL_STREAM", value, 1), 0);
	else
		unsetenv("JOURNAL_STREAM");
	diag__setup("socket-snoop", false);
	assert_string_equal(say_each_level(), "socket-snoop: cannot open\n"
					      "socket-snoop: lost 3\n"
					      "Monitoring socket connections.\n"
					      "libbpf: loading\n");
	diag__setup("socket-snoop", true);
	diag_warn("x");
	got = take_stderr();
	assert_memory_equal(got, "{\"@timestamp\":", 14);
}

static void test_unset_or_malformed_stream_is_not_the_journal(void **state)
{
	struct stat st;
	char v[128];

	assert_no_priority(NULL);
	assert_no_priority("");
	assert_no_priority("1");
	assert_no_priority(":");
	assert_no_priority("a:b");
	assert_no_priority("1:2:3");
	assert_no_priority("-1:-1");
	assert_no_priority("99999999999999999999999999:1");
	assert_no_priority("1:99999999999999999999999999");
	assert_no_priority("18446744073709551616:18446744073709551616");
	/* Our own device and inode, but not as systemd writes them. */
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llux", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_no_priority(v);
	snprintf(v, sizeof(v), " %llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_no_priority(v);
	snprintf(v, sizeof(v), "%llu:", (unsigned long long)st.st_dev);
	assert_no_priority(v);
	snprintf(v, sizeof(v), ":%llu", (unsigned long long)st.st_ino);
	assert_no_priority(v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)st.st_ino);
	assert_no_priority(v);
	/* A device longer than any number, then our inode. */
	memset(v, '0', 60);
	snprintf(v + 60, sizeof(v) - 60, "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_no_priority(v);
}

static void test_stream_of_another_file_is_not_the_journal(void **state)
{
	struct tmp *t = *state;
	struct stat st;
	char v[64];
	int fd;

	/* Another file: stderr was redirected since the manager set the variable. */
	snprintf(t->other, sizeof(t->other), "/tmp/test_diag_other.XXXXXX");
	fd = mkstemp(t->other);
	assert_true(fd >= 0);
	set_stream_of(fd);
	close(fd);
	assert_no_priority(getenv("JOURNAL_STREAM"));
	/* Our device with another inode, our inode on another device. */
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	assert_no_priority(v);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev + 1,
		 (unsigned long long)st.st_ino);
	assert_no_priority(v);
}

static void test_the_stream_is_judged_at_setup(void **state)
{
	/* Set up with the journal, then the variable goes: the next setup has none. */
	set_stream_of(STDERR_FILENO);
	diag__setup("socket-snoop", false);
	diag_warn("in");
	assert_string_equal(take_stderr(), "<4>socket-snoop: in\n");
	unsetenv("JOURNAL_STREAM");
	diag__setup("socket-snoop", false);
	diag_warn("out");
	assert_string_equal(take_stderr(), "socket-snoop: out\n");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_stderr, teardown_stderr)
	const struct CMUnitTest tests[] = {
		T(test_text_lines_start_with_their_priority),
		T(test_json_lines_start_with_their_priority_then_the_whole_object),
		T(test_each_line_of_a_several_line_message_has_the_priority),
		T(test_libbpf_multi_line_messages_get_a_priority_per_line),
		T(test_longest_message_is_whole_after_the_priority),
		T(test_unset_or_malformed_stream_is_not_the_journal),
		T(test_stream_of_another_file_is_not_the_journal),
		T(test_the_stream_is_judged_at_setup),
	};
#undef T

	/* cmocka's own messages go to stdout; stderr is the file under test. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
