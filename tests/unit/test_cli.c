// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_cli.c - socket-snoop's command line: every bad value of issue 2 is a
 * usage error naming the option and the value; good values fill the config
 * exactly; seed aliases equal their modern options; log path precedence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <limits.h>
#include <sys/types.h>
#include <unistd.h>

#include "snoop/cli.h"
#include "packets/cli.h"
#include "common/target.h"
#include "lib/names.h"

#define MAX_ARGS 32

struct run {
	struct snoop_config cfg;
	char err[256];
	char *argv[MAX_ARGS];
};

/*
 * Parse "socket-snoop ARGS..." (NULL-terminated) with $SOCKET_SNOOP_LOG @env.
 * The config keeps pointers into argv, so the arguments are string literals.
 */
static enum cli_action parse_env(struct run *r, const char *env, ...)
{
	va_list ap;
	int argc = 0;
	const char *a;

	memset(r, 0xa5, sizeof(*r)); /* the parser must set every field itself */
	r->err[0] = '\0';
	r->argv[argc++] = (char *)"socket-snoop";
	va_start(ap, env);
	while ((a = va_arg(ap, const char *))) {
		assert_true(argc < MAX_ARGS - 1);
		r->argv[argc++] = (char *)a;
	}
	va_end(ap);
	r->argv[argc] = NULL;
	return cli_snoop__parse(argc, r->argv, env, &r->cfg, r->err, sizeof(r->err));
}

#define parse(r, ...) parse_env((r), NULL, __VA_ARGS__, (char *)NULL)
#define parse_none(r) parse_env((r), NULL, (char *)NULL)

/* A usage error whose message is exactly @msg. */
#define assert_usage_error(msg, ...)                                 \
	do {                                                         \
		struct run *r_ = *state;                             \
		assert_int_equal(parse(r_, __VA_ARGS__), CLI_ERROR); \
		assert_string_equal(r_->err, (msg));                 \
	} while (0)

static int port_bit(const uint64_t *bits, unsigned int port)
{
	return (int)((bits[port >> 6] >> (port & 63)) & 1);
}

static unsigned int port_count(const uint64_t *bits)
{
	unsigned int n = 0;

	for (int i = 0; i < SNOOP_PORT_WORDS; i++)
		n += (unsigned int)__builtin_popcountll(bits[i]);
	return n;
}

static void assert_cidr(const struct cidr *c, const char *text, uint32_t prefixlen)
{
	uint8_t want[SNOOP_ADDR_LEN] = { 0 };
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		want[10] = 0xff;
		want[11] = 0xff;
		memcpy(&want[12], &v4, 4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, want), 1);
	}
	assert_memory_equal(c->addr, want, SNOOP_ADDR_LEN);
	assert_int_equal(c->prefixlen, prefixlen);
}

/*
 * glibc's getopt keeps its place inside a cluster like "-xq" in private state
 * that only optind = 0 resets.  Tests that stop the parser inside a cluster
 * reset it afterwards, so a parser that does not reset it fails only them.
 */
static int reset_getopt(void **state)
{
	char *argv[] = { (char *)"reset", NULL };

	optind = 0;
	opterr = 0;
	getopt(1, argv, "");
	return 0;
}

/*
 * --unit and --container look for a running unit's or container's cgroup:
 * the tests make one of each under the real cgroup v2 root (as root; a
 * directory left by an earlier run is used as it is).
 */
#define TEST_SLICE "socket-snoop-test-cli.slice"
#define TEST_UNIT "socket-snoop-test-cli.service"
#define TEST_CID "c11ab0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5e0c5"
static const char *const test_cgroups[] = { TEST_SLICE, TEST_SLICE "/" TEST_UNIT,
					    TEST_SLICE "/docker-" TEST_CID ".scope" };
static char cgroup_root[PATH_MAX];

static int cgroup_dir(char *path, size_t size, const char *rel)
{
	return snprintf(path, size, "%s/%s", cgroup_root, rel) < (int)size ? 0 : -1;
}

static int setup(void **state)
{
	char path[PATH_MAX];

	*state = calloc(1, sizeof(struct run));
	if (!*state || target__cgroup2_mount(cgroup_root, sizeof(cgroup_root)))
		return -1;
	for (size_t i = 0; i < sizeof(test_cgroups) / sizeof(test_cgroups[0]); i++)
		if (cgroup_dir(path, sizeof(path), test_cgroups[i]) ||
		    (mkdir(path, 0755) && errno != EEXIST))
			return -1;
	return 0;
}

static char config_dir[];
static const char *config_file(const char *text);

static int teardown(void **state)
{
	char path[PATH_MAX];

	free(*state);
	/* The --config tests' files, then their directory. */
	if (config_dir[strlen(config_dir) - 1] != 'X') {
		static const char *const names[] = { "filters.conf", "nul.conf", "g.conf", "o.conf",
						     "big.conf" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", config_dir, names[i]);
			unlink(path);
		}
		rmdir(config_dir);
	}
	/* Deepest first; one still in use by a parallel run stays. */
	for (size_t i = sizeof(test_cgroups) / sizeof(test_cgroups[0]); i-- > 0;)
		if (!cgroup_dir(path, sizeof(path), test_cgroups[i]))
			rmdir(path);
	return 0;
}

/* ---- bad values: exit 64 naming the option and the value ------------------------------ */

static void test_unknown_state_name_is_usage_error(void **state)
{
	assert_usage_error("invalid value 'bogus' for --state: expected a TCP state name "
			   "(ESTABLISHED, SYN_SENT, ...)",
			   "--state=bogus");
	assert_usage_error("invalid value 'established,bogus' for --state: 'bogus' is not a TCP "
			   "state name (ESTABLISHED, SYN_SENT, ...)",
			   "-s", "established,bogus");
}

static void test_cidr_prefix_33_is_usage_error(void **state)
{
	assert_usage_error("invalid value '10.0.0.0/33' for --laddr: expected an IPv4 or IPv6 "
			   "address with an optional /prefix",
			   "--laddr=10.0.0.0/33");
	assert_usage_error("invalid value '10.0.0.0/33' for --raddr: expected an IPv4 or IPv6 "
			   "address with an optional /prefix",
			   "--raddr", "10.0.0.0/33");
	assert_usage_error("invalid value '10.0.0.0/8,fd00::/129' for --laddr: 'fd00::/129' is "
			   "not an IPv4 or IPv6 address with an optional /prefix",
			   "--laddr=10.0.0.0/8,fd00::/129");
}

static void test_port_70000_is_usage_error(void **state)
{
	assert_usage_error("invalid value '70000' for --lport: expected ports 0-65535 or ranges "
			   "LO-HI",
			   "--lport=70000");
	assert_usage_error("invalid value '70000' for --rport: expected ports 0-65535 or ranges "
			   "LO-HI",
			   "-D", "70000");
	assert_usage_error("invalid value '10-5' for --lport: expected ports 0-65535 or ranges "
			   "LO-HI",
			   "-L", "10-5");
}

static void test_pid_abc_is_usage_error(void **state)
{
	assert_usage_error("invalid value 'abc' for --pid: expected a process ID (1-4194304)",
			   "--pid=abc");
	assert_usage_error("invalid value 'abc' for --pid: expected a process ID (1-4194304)", "-p",
			   "abc");
	assert_usage_error("invalid value '0' for --pid: expected a process ID (1-4194304)",
			   "--pid=0");
	assert_usage_error("invalid value '4194305' for --pid: expected a process ID (1-4194304)",
			   "--pid=4194305");
	assert_usage_error("invalid value '1,abc' for --pid: 'abc' is not a process ID "
			   "(1-4194304)",
			   "--pid=1,abc");
}

static void test_uid_bad_values_are_usage_errors(void **state)
{
	assert_usage_error("invalid value '-1' for --uid: expected a user ID", "--uid=-1");
	assert_usage_error("invalid value '4294967295' for --uid: expected a user ID", "-u",
			   "4294967295");
}

static void test_unknown_option_is_usage_error(void **state)
{
	assert_usage_error("unknown option '--bogus'", "--bogus");
	assert_usage_error("unknown option '-x'", "-x");
	assert_usage_error("unknown option '--bogus=1'", "-q", "--bogus=1");
	/* A known flag given a value is named as such, with the value. */
	assert_usage_error("option '--owner-on-send' takes no value, not 'yes'",
			   "--owner-on-send=yes");
	assert_usage_error("option '--quiet' takes no value, not ''", "--quiet=");
}

static void test_unknown_short_option_in_a_cluster_is_named(void **state)
{
	struct run *r = *state;

	/* The option is -x, whatever else shares its argument. */
	assert_int_equal(parse(r, "-xq"), CLI_ERROR);
	assert_string_equal(r->err, "unknown option '-x'");
}

static void test_duration_minus_1_and_0_are_usage_errors(void **state)
{
	assert_usage_error("invalid value '-1' for --duration: expected a number of seconds "
			   "greater than 0",
			   "--duration=-1");
	assert_usage_error("invalid value '0' for --duration: expected a number of seconds "
			   "greater than 0",
			   "--duration=0");
	assert_usage_error("invalid value '0' for --duration: expected a number of seconds "
			   "greater than 0",
			   "-d", "0");
	assert_usage_error("invalid value '5s' for --duration: expected a number of seconds "
			   "greater than 0",
			   "-d", "5s");
}

static void test_interval_parsed_and_bounded(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "--interval=30"), CLI_RUN);
	assert_int_equal(r->cfg.interval_s, 30);
	assert_int_equal(parse(r, "--interval", "86400"), CLI_RUN);
	assert_int_equal(r->cfg.interval_s, 86400);
	assert_int_equal(parse(r, "--no-report"), CLI_RUN);
	assert_int_equal(r->cfg.interval_s, 0);
	assert_usage_error("invalid value '0' for --interval: expected a number of seconds "
			   "from 1 to 86400",
			   "--interval=0");
	assert_usage_error("invalid value '86401' for --interval: expected a number of seconds "
			   "from 1 to 86400",
			   "--interval=86401");
	assert_usage_error("invalid value '1m' for --interval: expected a number of seconds "
			   "from 1 to 86400",
			   "--interval=1m");
	assert_usage_error("invalid value '' for --interval: expected a number of seconds "
			   "from 1 to 86400",
			   "--interval=");
	assert_usage_error("option --interval needs the event kind update, which --events leaves "
			   "out",
			   "--interval=5", "--events=state,close");
	assert_int_equal(parse(r, "--interval=5", "--events=update"), CLI_RUN);
	assert_int_equal(r->cfg.filter.kinds_mask, SNOOP_EV_UPDATE);
}

static void test_comm_longer_than_15_bytes_is_usage_error(void **state)
{
	assert_usage_error("invalid value 'abcdefghijklmnop' for --comm: expected a command name "
			   "of at most 15 bytes",
			   "--comm=abcdefghijklmnop");
	assert_usage_error("invalid value 'sshd,abcdefghijklmnop' for --comm: 'abcdefghijklmnop' "
			   "is not a command name of at most 15 bytes",
			   "-n", "sshd,abcdefghijklmnop");
}

static void test_ipv4_with_ipv6_is_usage_error(void **state)
{
	assert_usage_error("options -4 and -6 exclude each other", "-4", "-6");
	assert_usage_error("options -4 and -6 exclude each other", "--ipv6", "--ipv4");
	assert_usage_error("options -4 and -6 exclude each other", "-46");
}

static void test_missing_value_is_usage_error(void **state)
{
	assert_usage_error("option '--pid' needs a value", "--pid");
	assert_usage_error("option '-p' needs a value", "-p");
	assert_usage_error("option '--state' needs a value", "-q", "--state");
}

static void test_empty_values_are_usage_errors(void **state)
{
	assert_usage_error("invalid value '' for --pid: expected a process ID (1-4194304)",
			   "--pid=");
	assert_usage_error("invalid value '' for --lport: expected ports 0-65535 or ranges LO-HI",
			   "--lport=");
	assert_usage_error("invalid value '' for --log-file: expected a file path", "--log-file=");
	/* Not the root cgroup, not the current directory. */
	assert_usage_error("invalid value '' for --cgroup: expected a cgroup v2 directory",
			   "--cgroup=");
	assert_usage_error("invalid value '' for --netns: expected a network namespace file or "
			   "inode number",
			   "--netns=");
	assert_usage_error("invalid value '' for --attach: expected auto, tp_btf or raw_tp",
			   "--attach=");
}

static void test_huge_value_is_cut_after_the_option_is_named(void **state)
{
	struct run *r = *state;
	char *big = malloc(100001);
	char want[512];

	assert_non_null(big);
	memset(big, '7', 100000);
	big[100000] = '\0';
	assert_int_equal(parse(r, "--pid", big), CLI_ERROR);
	snprintf(want, sizeof(want),
		 "invalid value '%.64s...' for --pid: expected a process ID "
		 "(1-4194304)",
		 big);
	assert_string_equal(r->err, want);
	big[0] = '-';
	big[1] = '-';
	assert_int_equal(parse(r, big), CLI_ERROR);
	snprintf(want, sizeof(want), "unknown option '%.64s...'", big);
	assert_string_equal(r->err, want);
	free(big);
}

static void test_single_value_options_given_twice_are_usage_errors(void **state)
{
	assert_usage_error("option '--attach' given twice", "--attach=tp_btf", "--attach=raw_tp");
	assert_usage_error("option '--attach' given twice", "--attach=auto", "--attach=auto");
	assert_usage_error("option '--log-file' given twice", "-o", "/tmp/a", "--log-file=/tmp/b");
	assert_usage_error("option '--duration' given twice", "-d", "1", "-d", "2");
	assert_usage_error("option '--buffer-size' given twice", "-b", "1M", "--buffer-size=2M");
	assert_usage_error("option '--netns' given twice", "--netns=/proc/self/ns/net", "-N",
			   "/proc/self/ns/net");
}

static void test_contradictory_log_options_are_usage_errors(void **state)
{
	assert_usage_error("options --log-file and --no-log-file exclude each other", "-o",
			   "/tmp/a.log", "--no-log-file");
	assert_usage_error("options --log-file and --no-log-file exclude each other",
			   "--no-log-file", "--log-file=/tmp/a.log");
}

static void test_extra_positional_argument_is_usage_error(void **state)
{
	assert_usage_error("unexpected argument 'extra'", "extra");
	assert_usage_error("unexpected argument 'extra'", "-q", "extra", "--no-report");
}

static void test_bad_buffer_size_is_usage_error(void **state)
{
	assert_usage_error("invalid value '1K' for --buffer-size: expected a size between 64K and "
			   "1G",
			   "--buffer-size=1K");
	assert_usage_error("invalid value '2G' for --buffer-size: expected a size between 64K and "
			   "1G",
			   "-b", "2G");
	assert_usage_error("invalid value 'lots' for --buffer-size: expected a size between 64K "
			   "and 1G",
			   "-b", "lots");
}

static void test_bad_events_is_usage_error(void **state)
{
	assert_usage_error("invalid value 'bogus' for --events: expected an event kind (state, "
			   "retransmit, reset, error, close, accept, update)",
			   "--events=bogus");
	assert_usage_error("invalid value 'state,,close' for --events: expected an event kind "
			   "(state, retransmit, reset, error, close, accept, update)",
			   "-e", "state,,close");
}

static void test_bad_netns_and_cgroup_are_usage_errors(void **state)
{
	assert_usage_error("invalid value '0' for --netns: inode 0", "--netns=0");
	assert_usage_error("invalid value '/nonexistent-socket-snoop' for --netns: No such file or "
			   "directory",
			   "-N", "/nonexistent-socket-snoop");
	assert_usage_error("invalid value '/' for --netns: not a network namespace file",
			   "--netns=/");
	assert_usage_error("invalid value '/nonexistent-socket-snoop' for --cgroup: No such file "
			   "or directory",
			   "--cgroup=/nonexistent-socket-snoop");
}

static void test_bad_unit_container_and_fields_are_usage_errors(void **state)
{
	assert_usage_error("invalid value '' for --unit: expected a systemd unit name (.service, "
			   ".scope or .slice)",
			   "--unit=");
	assert_usage_error("invalid value 'a/b' for --unit: expected a systemd unit name "
			   "(.service, .scope or .slice)",
			   "--unit=a/b");
	assert_usage_error("invalid value 'ssh.socket' for --unit: expected a systemd unit name "
			   "(.service, .scope or .slice)",
			   "--unit=ssh.socket");
	assert_usage_error("invalid value 'nosuch-socket-snoop' for --unit: "
			   "nosuch-socket-snoop.service has no cgroup (is it running?)",
			   "--unit=nosuch-socket-snoop");
	assert_usage_error("invalid value 'c11ab0c5e0c' for --container: expected a container id "
			   "of 12 to 64 hexadecimal digits",
			   "--container=c11ab0c5e0c");
	assert_usage_error("invalid value 'c11ab0c5e0cx' for --container: expected a container id "
			   "of 12 to 64 hexadecimal digits",
			   "--container=c11ab0c5e0cx");
	/* The value is cut at 64 bytes in the message. */
	assert_usage_error("invalid value '" TEST_CID "...' for --container: expected a container "
			   "id of 12 to 64 hexadecimal digits",
			   "--container=" TEST_CID "0");
	assert_usage_error("invalid value '000000000000' for --container: 000000000000 has no "
			   "cgroup (is it running?)",
			   "--container=000000000000");
	assert_usage_error("invalid value 'unit,bogus' for --fields: 'bogus' is not a log line "
			   "field (unit, container, runtime, pod, thread)",
			   "--fields=unit,bogus");
	assert_usage_error("invalid value '/' for --cgroup: --unit chose the cgroup already (give "
			   "one of --cgroup, --unit, --container)",
			   "--unit=" TEST_UNIT, "--cgroup=/");
	assert_usage_error("invalid value 'c11ab0c5e0c5' for --container: --cgroup chose the "
			   "cgroup already (give one of --cgroup, --unit, --container)",
			   "--cgroup=/", "--container=c11ab0c5e0c5");
	assert_usage_error("option '--unit' given twice", "--unit=" TEST_UNIT, "--unit=" TEST_UNIT);
}

static void test_unit_container_and_fields_resolved(void **state)
{
	struct run *r = *state;
	char path[PATH_MAX];
	struct stat st;

	assert_int_equal(parse(r, "--unit=socket-snoop-test-cli"), CLI_RUN);
	assert_int_equal(cgroup_dir(path, sizeof(path), TEST_SLICE "/" TEST_UNIT), 0);
	assert_string_equal(r->cfg.filter.cgroup_path, path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(r->cfg.filter.cgroup_id, st.st_ino);
	assert_int_equal(r->cfg.filter.cgroup_level, 2);
	/* Any case, a prefix of 12 or more digits. */
	assert_int_equal(parse(r, "--container=C11AB0C5E0C5e0"), CLI_RUN);
	assert_int_equal(cgroup_dir(path, sizeof(path), TEST_SLICE "/docker-" TEST_CID ".scope"),
			 0);
	assert_string_equal(r->cfg.filter.cgroup_path, path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(r->cfg.filter.cgroup_id, st.st_ino);
	/* A slice keeps its units' processes. */
	assert_int_equal(parse(r, "--unit=" TEST_SLICE), CLI_RUN);
	assert_int_equal(r->cfg.filter.cgroup_level, 1);
	/* Fields in any order and case; a line has them in the table's order. */
	assert_int_equal(parse(r, "--fields=THREAD,pod", "--fields=unit"), CLI_RUN);
	assert_int_equal(r->cfg.log_fields,
			 1u << SNOOP_FIELD_THREAD | 1u << SNOOP_FIELD_POD | 1u << SNOOP_FIELD_UNIT);
	assert_int_equal(parse(r, "-q"), CLI_RUN);
	assert_int_equal(r->cfg.log_fields, 0);
}

static void test_bad_log_max_size_is_usage_error(void **state)
{
	static const char *const bad[] = { "1K",  "4095", "2T",	 "1025G",
					   "abc", "",	  "-4K", "4KB",
					   "4 K", "0",	  "K",	 "99999999999999999999K" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run *r = *state;
		char arg[64], want[160];

		snprintf(arg, sizeof(arg), "--log-max-size=%s", bad[i]);
		snprintf(want, sizeof(want),
			 "invalid value '%s' for --log-max-size: expected a size between 4K and 1T",
			 bad[i]);
		assert_int_equal(parse(r, arg), CLI_ERROR);
		assert_string_equal(r->err, want);
	}
	assert_usage_error("invalid value '1K' for --log-max-size: expected a size between 4K and "
			   "1T",
			   "--log-max-size", "1K");
}

static void test_bad_log_max_files_is_usage_error(void **state)
{
	static const char *const bad[] = { "0", "1001", "x", "", "-1", "5x", "4294967297" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run *r = *state;
		char arg[64], want[160];

		snprintf(arg, sizeof(arg), "--log-max-files=%s", bad[i]);
		snprintf(want, sizeof(want),
			 "invalid value '%s' for --log-max-files: expected a number of files from "
			 "1 to 1000",
			 bad[i]);
		/* With --log-max-size: the value is what is wrong. */
		assert_int_equal(parse(r, "--log-max-size=1M", arg), CLI_ERROR);
		assert_string_equal(r->err, want);
	}
}

static void test_log_rotation_options_need_a_log_file(void **state)
{
	assert_usage_error("option --log-max-files needs --log-max-size", "--log-max-files=3");
	assert_usage_error("option --log-max-files needs --log-max-size", "-o", "/tmp/a.log",
			   "--log-max-files", "3");
	assert_usage_error("options --log-max-size and --no-log-file exclude each other",
			   "--log-max-size=1M", "--no-log-file");
	assert_usage_error("options --log-max-size and --no-log-file exclude each other",
			   "--no-log-file", "--log-max-size=1M", "--log-max-files=2");
}

static void test_bad_host_name_is_usage_error(void **state)
{
	struct run *r = *state;
	char name[256], want[256];

	assert_usage_error("invalid value '' for --host-name: expected a host name of 1 to 253 "
			   "bytes",
			   "--host-name=");
	memset(name, 'h', 254);
	name[254] = '\0';
	assert_int_equal(parse(r, "-j", "--host-name", name), CLI_ERROR);
	snprintf(want, sizeof(want),
		 "invalid value '%.64s...' for --host-name: expected a host name of 1 to 253 "
		 "bytes",
		 name);
	assert_string_equal(r->err, want);
}

static void test_empty_heartbeat_paths_are_usage_errors(void **state)
{
	assert_usage_error("invalid value '' for --heartbeat: expected a file path",
			   "--heartbeat=");
	assert_usage_error("invalid value '' for --check-heartbeat: expected a file path",
			   "--check-heartbeat=");
	assert_usage_error("option '--heartbeat' needs a value", "--heartbeat");
	assert_usage_error("option '--check-heartbeat' needs a value", "--check-heartbeat");
}

static void test_new_options_given_twice_are_usage_errors(void **state)
{
	assert_usage_error("option '--log-max-size' given twice", "--log-max-size=1M",
			   "--log-max-size=2M");
	assert_usage_error("option '--log-max-files' given twice", "--log-max-size=1M",
			   "--log-max-files=2", "--log-max-files=3");
	assert_usage_error("option '--host-name' given twice", "--host-name=a", "--host-name=a");
	assert_usage_error("option '--heartbeat' given twice", "--heartbeat=/tmp/a",
			   "--heartbeat=/tmp/b");
	assert_usage_error("option '--check-heartbeat' given twice", "--check-heartbeat=/tmp/a",
			   "--check-heartbeat", "/tmp/b");
}

/* ---- good values fill the config exactly ---------------------------------------------- */

static void test_log_rotation_values(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "--log-max-size=4K"), CLI_RUN);
	assert_int_equal(r->cfg.log_max_size, 4096);
	/* Five rotated files unless told. */
	assert_int_equal(r->cfg.log_max_files, 5);
	assert_string_equal(r->cfg.log_path, "/var/log/socket_monitor.log");
	assert_int_equal(parse(r, "--log-max-size=4096", "--log-max-files=1"), CLI_RUN);
	assert_int_equal(r->cfg.log_max_size, 4096);
	assert_int_equal(r->cfg.log_max_files, 1);
	assert_int_equal(parse(r, "--log-max-files", "1000", "--log-max-size", "1T"), CLI_RUN);
	assert_int_equal(r->cfg.log_max_size, 1ull << 40);
	assert_int_equal(r->cfg.log_max_files, 1000);
	assert_int_equal(parse(r, "--log-max-size=10m", "-o", "/tmp/x.log"), CLI_RUN);
	assert_int_equal(r->cfg.log_max_size, 10ull << 20);
	assert_string_equal(r->cfg.log_path, "/tmp/x.log");
	assert_int_equal(parse(r, "--log-max-size=1024G"), CLI_RUN);
	assert_int_equal(r->cfg.log_max_size, 1ull << 40);
	/* With $SOCKET_SNOOP_LOG: that file is rotated. */
	assert_int_equal(parse_env(r, "/tmp/env.log", "--log-max-size=64K", (char *)NULL), CLI_RUN);
	assert_int_equal(r->cfg.log_max_size, 64 << 10);
	assert_string_equal(r->cfg.log_path, "/tmp/env.log");
}

static void test_host_name_and_heartbeat_values(void **state)
{
	struct run *r = *state;
	static char name[254];

	memset(name, 0x01, 253);
	name[0] = '"';
	assert_int_equal(parse(r, "-j", "--host-name=node-1.example", "--heartbeat=/run/x.hb"),
			 CLI_RUN);
	assert_string_equal(r->cfg.host_name, "node-1.example");
	assert_string_equal(r->cfg.heartbeat_path, "/run/x.hb");
	assert_null(r->cfg.check_heartbeat_path);
	/* Any bytes, up to 253: escaped where they are written. */
	assert_int_equal(parse(r, "--host-name", name), CLI_RUN);
	assert_ptr_equal(r->cfg.host_name, name);
	assert_int_equal(parse(r, "--host-name=x"), CLI_RUN);
	assert_string_equal(r->cfg.host_name, "x");
	assert_int_equal(parse(r, "--check-heartbeat", "/run/x.hb"), CLI_RUN);
	assert_string_equal(r->cfg.check_heartbeat_path, "/run/x.hb");
	assert_null(r->cfg.heartbeat_path);
	/* A check needs nothing else and takes no log file of its own. */
	assert_int_equal(parse(r, "--check-heartbeat=relative.hb", "--no-log-file"), CLI_RUN);
	assert_string_equal(r->cfg.check_heartbeat_path, "relative.hb");
}

static void test_defaults(void **state)
{
	struct run *r = *state;
	const struct filter_config *f = &r->cfg.filter;
	uint64_t zero[SNOOP_PORT_WORDS] = { 0 };

	assert_int_equal(parse_none(r), CLI_RUN);
	assert_string_equal(r->cfg.log_path, "/var/log/socket_monitor.log");
	assert_false(r->cfg.log_path_explicit);
	assert_false(r->cfg.json);
	assert_false(r->cfg.quiet);
	assert_true(r->cfg.report);
	assert_false(r->cfg.verbose);
	assert_int_equal(r->cfg.duration_s, 0);
	assert_int_equal(r->cfg.ringbuf_bytes, 0);
	assert_int_equal(f->n_pids, 0);
	assert_int_equal(f->n_uids, 0);
	assert_int_equal(f->n_comms, 0);
	assert_false(f->lport);
	assert_false(f->rport);
	assert_memory_equal(f->lport_bits, zero, sizeof(zero));
	assert_memory_equal(f->rport_bits, zero, sizeof(zero));
	assert_int_equal(f->n_laddrs, 0);
	assert_int_equal(f->n_raddrs, 0);
	assert_int_equal(f->family, 0);
	assert_int_equal(f->states_mask, 0);
	/* DESIGN.md: --events defaults to all kinds. */
	assert_int_equal(f->kinds_mask, SNOOP_EV_STATE | SNOOP_EV_RETRANSMIT | SNOOP_EV_RESET_SENT |
						SNOOP_EV_RESET_RECV | SNOOP_EV_ERROR |
						SNOOP_EV_CLOSE | SNOOP_EV_UPDATE);
	assert_string_equal(f->cgroup_path, "");
	assert_int_equal(f->cgroup_id, 0);
	assert_int_equal(f->netns, 0);
	assert_false(f->all_addresses);
	/* Sends record the owner only when asked (their cost, issue 4). */
	assert_false(r->cfg.owner_on_send);
	/* No rotation, no heartbeat, the kernel's node name. */
	assert_int_equal(r->cfg.log_max_size, 0);
	assert_int_equal(r->cfg.log_max_files, 0);
	assert_null(r->cfg.host_name);
	assert_null(r->cfg.heartbeat_path);
	assert_null(r->cfg.check_heartbeat_path);
}

static void test_pids_list_deduplicated_and_accumulated(void **state)
{
	struct run *r = *state;
	const struct filter_config *f = &r->cfg.filter;

	assert_int_equal(parse(r, "--pid=100,200,100", "-p", "300", "-p4194304"), CLI_RUN);
	assert_int_equal(f->n_pids, 4);
	assert_int_equal(f->pids[0], 100);
	assert_int_equal(f->pids[1], 200);
	assert_int_equal(f->pids[2], 300);
	assert_int_equal(f->pids[3], 4194304);
}

static void test_uids_and_comms(void **state)
{
	struct run *r = *state;
	const struct filter_config *f = &r->cfg.filter;
	char want[SNOOP_COMM_LEN] = "sshd-session";

	assert_int_equal(parse(r, "--uid=0,1000", "-n", "sshd-session,abcdefghijklmno"), CLI_RUN);
	assert_int_equal(f->n_uids, 2);
	assert_int_equal(f->uids[0], 0);
	assert_int_equal(f->uids[1], 1000);
	assert_int_equal(f->n_comms, 2);
	/* Zero-padded: the kernel compares all 16 bytes. */
	assert_memory_equal(f->comms[0], want, SNOOP_COMM_LEN);
	assert_memory_equal(f->comms[1], "abcdefghijklmno", SNOOP_COMM_LEN);
}

static void test_port_bitmaps_for_22_80_8000_to_8100(void **state)
{
	struct run *r = *state;
	const struct filter_config *f = &r->cfg.filter;

	assert_int_equal(parse(r, "--lport=22,80,8000-8100"), CLI_RUN);
	assert_true(f->lport);
	assert_false(f->rport);
	assert_int_equal(port_count(f->lport_bits), 103);
	assert_int_equal(port_bit(f->lport_bits, 22), 1);
	assert_int_equal(port_bit(f->lport_bits, 80), 1);
	assert_int_equal(port_bit(f->lport_bits, 8000), 1);
	assert_int_equal(port_bit(f->lport_bits, 8100), 1);
	assert_int_equal(port_bit(f->lport_bits, 7999), 0);
	assert_int_equal(port_bit(f->lport_bits, 8101), 0);
	assert_int_equal(port_count(f->rport_bits), 0);

	assert_int_equal(parse(r, "-D", "443", "-D", "0,65535"), CLI_RUN);
	assert_false(f->lport);
	assert_true(f->rport);
	assert_int_equal(port_count(f->rport_bits), 3);
	assert_int_equal(port_bit(f->rport_bits, 0), 1);
	assert_int_equal(port_bit(f->rport_bits, 443), 1);
	assert_int_equal(port_bit(f->rport_bits, 65535), 1);
}

static void test_laddr_raddr_cidrs(void **state)
{
	struct run *r = *state;
	const struct filter_config *f = &r->cfg.filter;

	assert_int_equal(parse(r, "--laddr=10.1.2.3/8,fd00::/64", "--raddr", "192.0.2.1",
			       "--raddr=2001:db8::1"),
			 CLI_RUN);
	assert_int_equal(f->n_laddrs, 2);
	assert_cidr(&f->laddrs[0], "10.0.0.0", 104);
	assert_cidr(&f->laddrs[1], "fd00::", 64);
	assert_int_equal(f->n_raddrs, 2);
	assert_cidr(&f->raddrs[0], "192.0.2.1", 128);
	assert_cidr(&f->raddrs[1], "2001:db8::1", 128);
}

static void test_states_mask_bits(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "--state=established,SYN_SENT,Closed", "-s", "tcp_listen"),
			 CLI_RUN);
	assert_int_equal(r->cfg.filter.states_mask,
			 (1u << SNOOP_TCP_ESTABLISHED) | (1u << SNOOP_TCP_SYN_SENT) |
				 (1u << SNOOP_TCP_CLOSE) | (1u << SNOOP_TCP_LISTEN));
}

static void test_active_only_selects_established(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "--active-only"), CLI_RUN);
	assert_int_equal(r->cfg.filter.states_mask, 1u << SNOOP_TCP_ESTABLISHED);
}

static void test_seed_aliases_equal_modern_options(void **state)
{
	struct run *seed = *state;
	struct run *modern = calloc(1, sizeof(*modern));

	assert_non_null(modern);
	assert_int_equal(parse(seed, "--src-ip=10.0.0.0/8", "--dst-ip", "192.0.2.0/24",
			       "--src-port=22", "--dst-port", "8000-8100", "--active-only"),
			 CLI_RUN);
	assert_int_equal(parse(modern, "--laddr=10.0.0.0/8", "--raddr", "192.0.2.0/24",
			       "--lport=22", "--rport", "8000-8100", "--state=ESTABLISHED"),
			 CLI_RUN);
	assert_int_equal(seed->cfg.filter.n_laddrs, 1);
	assert_cidr(&seed->cfg.filter.laddrs[0], "10.0.0.0", 104);
	assert_int_equal(seed->cfg.filter.n_raddrs, 1);
	assert_cidr(&seed->cfg.filter.raddrs[0], "192.0.2.0", 120);
	assert_true(seed->cfg.filter.lport);
	assert_int_equal(port_count(seed->cfg.filter.lport_bits), 1);
	assert_true(seed->cfg.filter.rport);
	assert_int_equal(port_count(seed->cfg.filter.rport_bits), 101);
	/* The whole filter, field by field and byte by byte. */
	assert_memory_equal(&seed->cfg.filter, &modern->cfg.filter, sizeof(struct filter_config));
	free(modern);
}

static void test_output_flags(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "-q", "--no-report", "-v", "--all-addresses", "--owner-on-send",
			       "--thread-names"),
			 CLI_RUN);
	assert_true(r->cfg.quiet);
	assert_false(r->cfg.report);
	assert_true(r->cfg.verbose);
	assert_true(r->cfg.filter.all_addresses);
	assert_true(r->cfg.owner_on_send);
	assert_true(r->cfg.thread_names);
	assert_int_equal(parse(r, "--no-dns"), CLI_RUN);
	assert_true(r->cfg.no_dns);
	assert_int_equal(parse(r, "--quiet"), CLI_RUN);
	assert_false(r->cfg.no_dns);
	assert_true(r->cfg.quiet);
	assert_true(r->cfg.report);
	assert_false(r->cfg.thread_names);
	/* A flag: no value. */
	assert_int_equal(parse(r, "--thread-names=yes"), CLI_ERROR);
}

static void test_family_duration_buffer_events(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "-4", "--ipv4", "-d", "30", "-b", "4M", "--events=state"),
			 CLI_RUN);
	assert_int_equal(r->cfg.filter.family, AF_INET);
	assert_int_equal(r->cfg.duration_s, 30);
	assert_int_equal(r->cfg.ringbuf_bytes, 4u << 20);
	assert_int_equal(r->cfg.filter.kinds_mask, SNOOP_EV_STATE);
	assert_int_equal(parse(r, "--events=retransmit,CLOSE", "-e", "reset"), CLI_RUN);
	assert_int_equal(r->cfg.filter.kinds_mask, SNOOP_EV_RETRANSMIT | SNOOP_EV_CLOSE |
							   SNOOP_EV_RESET_SENT |
							   SNOOP_EV_RESET_RECV);
	assert_int_equal(parse(r, "--ipv6", "--duration=315360000", "--buffer-size=64K"), CLI_RUN);
	assert_int_equal(r->cfg.filter.family, AF_INET6);
	assert_int_equal(r->cfg.duration_s, 315360000);
	assert_int_equal(r->cfg.ringbuf_bytes, 65536);
}

static void test_netns_and_cgroup_resolved(void **state)
{
	struct run *r = *state;
	struct stat st;

	assert_int_equal(parse(r, "--netns=4026531833"), CLI_RUN);
	assert_int_equal(r->cfg.filter.netns, 4026531833u);
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_int_equal(parse(r, "-N", "/proc/self/ns/net"), CLI_RUN);
	assert_int_equal(r->cfg.filter.netns, (uint32_t)st.st_ino);
	/* "/" is the cgroup v2 root, wherever it is mounted. */
	assert_int_equal(parse(r, "--cgroup=/"), CLI_RUN);
	assert_string_equal(r->cfg.filter.cgroup_path, "/");
	assert_int_equal(r->cfg.filter.cgroup_level, 0);
	assert_true(r->cfg.filter.cgroup_id != 0);
}

static void test_help_and_version(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "-h"), CLI_HELP);
	assert_int_equal(parse(r, "--help"), CLI_HELP);
	assert_int_equal(parse(r, "-V"), CLI_VERSION);
	assert_int_equal(parse(r, "--version", "-v"), CLI_VERSION);
	assert_true(r->cfg.verbose);
}

/* ---- log file path --------------------------------------------------------------------- */

static void test_no_log_file_gives_null_path(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "--no-log-file"), CLI_RUN);
	assert_null(r->cfg.log_path);
	assert_false(r->cfg.log_path_explicit);
	assert_int_equal(parse_env(r, "/tmp/env.log", "--no-log-file", (char *)NULL), CLI_RUN);
	assert_null(r->cfg.log_path);
	assert_false(r->cfg.log_path_explicit);
}

static void test_env_log_is_explicit(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse_env(r, "/tmp/env.log", (char *)NULL), CLI_RUN);
	assert_string_equal(r->cfg.log_path, "/tmp/env.log");
	assert_true(r->cfg.log_path_explicit);
	/* An empty $SOCKET_SNOOP_LOG is unset. */
	assert_int_equal(parse_env(r, "", (char *)NULL), CLI_RUN);
	assert_string_equal(r->cfg.log_path, "/var/log/socket_monitor.log");
	assert_false(r->cfg.log_path_explicit);
}

static void test_log_file_option_wins_over_env(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse_env(r, "/tmp/env.log", "-o", "/tmp/opt.log", (char *)NULL), CLI_RUN);
	assert_string_equal(r->cfg.log_path, "/tmp/opt.log");
	assert_true(r->cfg.log_path_explicit);
	assert_int_equal(parse_env(r, "/tmp/env.log", "--log-file=/tmp/opt2.log", (char *)NULL),
			 CLI_RUN);
	assert_string_equal(r->cfg.log_path, "/tmp/opt2.log");
	assert_true(r->cfg.log_path_explicit);
	assert_int_equal(parse(r, "--log-file", "/var/log/socket_monitor.log"), CLI_RUN);
	assert_string_equal(r->cfg.log_path, "/var/log/socket_monitor.log");
	assert_true(r->cfg.log_path_explicit);
}

/* ---- tcpsnoop and tcptop --------------------------------------------------------------- */

static enum cli_action parse_packets(int tcptop, char *err, size_t err_len, ...)
{
	static struct tcpsnoop_config snoop_cfg;
	static struct tcptop_config top_cfg;
	char *argv[MAX_ARGS];
	int argc = 0;
	const char *a;
	va_list ap;

	argv[argc++] = (char *)(tcptop ? "tcptop" : "tcpsnoop");
	va_start(ap, err_len);
	while ((a = va_arg(ap, const char *))) {
		assert_true(argc < MAX_ARGS - 1);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return tcptop ? cli_tcptop__parse(argc, argv, &top_cfg, err, err_len) :
			cli_tcpsnoop__parse(argc, argv, &snoop_cfg, err, err_len);
}

static void test_packet_faces_take_long_help_and_version(void **state)
{
	char err[256];

	for (int top = 0; top <= 1; top++) {
		assert_int_equal(parse_packets(top, err, sizeof(err), "--help", (char *)NULL),
				 CLI_HELP);
		assert_int_equal(parse_packets(top, err, sizeof(err), "-h", (char *)NULL),
				 CLI_HELP);
		assert_int_equal(parse_packets(top, err, sizeof(err), "--version", (char *)NULL),
				 CLI_VERSION);
		assert_int_equal(parse_packets(top, err, sizeof(err), "--bogus", (char *)NULL),
				 CLI_ERROR);
		assert_string_equal(err, "unknown option '--bogus'");
		assert_int_equal(parse_packets(top, err, sizeof(err), "-x", (char *)NULL),
				 CLI_ERROR);
		assert_string_equal(err, "unknown option '-x'");
	}
}

static void test_tcpsnoop_bad_values_named_and_cut(void **state)
{
	char err[256], want[256];
	char *big = malloc(100001);

	assert_non_null(big);
	memset(big, '9', 100000);
	big[100000] = '\0';
	assert_int_equal(parse_packets(0, err, sizeof(err), "-p", big, (char *)NULL), CLI_ERROR);
	snprintf(want, sizeof(want),
		 "invalid value '%.64s...' for -p: expected a process ID "
		 "(1-4194304)",
		 big);
	assert_string_equal(err, want);
	assert_int_equal(parse_packets(1, err, sizeof(err), big, (char *)NULL), CLI_ERROR);
	snprintf(want, sizeof(want),
		 "invalid interval '%.64s...': expected seconds from 1 to "
		 "86400",
		 big);
	assert_string_equal(err, want);
	free(big);
	assert_int_equal(parse_packets(0, err, sizeof(err), "-p", "1", "-p", "2", (char *)NULL),
			 CLI_ERROR);
	assert_string_equal(err, "option '-p' given twice");
	assert_int_equal(parse_packets(0, err, sizeof(err), "-n", "a", "-n", "b", (char *)NULL),
			 CLI_ERROR);
	assert_string_equal(err, "option '-n' given twice");
	assert_int_equal(parse_packets(1, err, sizeof(err), "-C", "1", "2", (char *)NULL), CLI_RUN);
}

/* ---- parser state ---------------------------------------------------------------------- */

static void test_parse_after_error_starts_fresh(void **state)
{
	struct run *r = *state;

	assert_int_equal(parse(r, "--pid=abc"), CLI_ERROR);
	assert_int_equal(parse(r, "-p", "7"), CLI_RUN);
	assert_int_equal(r->cfg.filter.n_pids, 1);
	assert_int_equal(r->cfg.filter.pids[0], 7);
	assert_string_equal(r->cfg.log_path, "/var/log/socket_monitor.log");
}

static void test_parse_after_error_inside_a_cluster_starts_fresh(void **state)
{
	struct run *r = *state;

	/* "-x" fails with "q4" of the cluster not yet read: none of it may leak. */
	assert_int_equal(parse(r, "-xq4"), CLI_ERROR);
	if (parse(r, "-p", "7") != CLI_RUN)
		assert_string_equal(r->err, ""); /* shows the error */
	assert_false(r->cfg.quiet);
	assert_int_equal(r->cfg.filter.family, 0);
	assert_int_equal(r->cfg.filter.n_pids, 1);
	assert_int_equal(r->cfg.filter.pids[0], 7);
}

/*
 * The option table and the kernel's filter guards cannot disagree: each
 * filter option, given alone, turns on exactly the guard of its row of
 * SNOOP_FILTERS (by the row's own "is on" expression), every other option
 * turns on none, and every row has an option.
 */
static void test_options_turn_on_their_filter_guard(void **state)
{
	static const struct {
		const char *name, *value; /* value NULL: a switch */
		const char *with;	  /* another option it needs, or NULL */
	} samples[] = {
		{ "json", NULL },
		{ "log-file", "x.log" },
		{ "no-log-file", NULL },
		{ "quiet", NULL },
		{ "no-report", NULL },
		{ "events", "state" },
		{ "pid", "1" },
		{ "comm", "x" },
		{ "uid", "0" },
		{ "lport", "22" },
		{ "rport", "22" },
		{ "laddr", "10.0.0.0/8" },
		{ "raddr", "10.0.0.0/8" },
		{ "ipv4", NULL },
		{ "ipv6", NULL },
		{ "state", "LISTEN" },
		{ "cgroup", "/" },
		{ "unit", "socket-snoop-test-cli" },
		{ "container", "C11AB0C5E0C5" },
		{ "fields", "unit,thread" },
		{ "no-dns", NULL },
		{ "netns", "/proc/self/ns/net" },
		{ "all-addresses", NULL },
		{ "src-ip", "::1" },
		{ "dst-ip", "::1" },
		{ "src-port", "1-2" },
		{ "dst-port", "1-2" },
		{ "active-only", NULL },
		{ "duration", "1" },
		{ "interval", "10" },
		{ "buffer-size", "1M" },
		{ "attach", "raw_tp" },
		{ "owner-on-send", NULL },
		{ "thread-names", NULL },
		{ "verbose", NULL },
		{ "log-max-size", "1M" },
		{ "log-max-files", "3", "--log-max-size=1M" },
		{ "heartbeat", "/run/socket-snoop.hb" },
		{ "check-heartbeat", "/run/socket-snoop.hb" },
		{ "check", NULL },
		{ "host-name", "node-1" },
		{ "metrics", "127.0.0.1:9580" },
		{ "metrics-labels", "comm:5", "--metrics=127.0.0.1:9580" },
		{ "config", "" }, /* an empty file, written below */
	};
	struct run *r = *state;
	uint32_t covered = 0, all = 0;
	size_t i, j;

#define COUNT_FILTER(name, scope, on) all = all << 1 | 1;
	SNOOP_FILTERS(COUNT_FILTER)
#undef COUNT_FILTER
	for (i = 0; cli_snoop__option_name(i); i++) {
		const char *name = cli_snoop__option_name(i);
		int filter = cli_snoop__option_filter(name);
		char arg[96];

		if (!strcmp(name, "help") || !strcmp(name, "version"))
			continue;
		const char *value = NULL, *with = NULL;
		bool found = false;

		for (j = 0; j < sizeof(samples) / sizeof(samples[0]) && !found; j++)
			if (!strcmp(samples[j].name, name)) {
				value = samples[j].value;
				with = samples[j].with;
				found = true;
			}
		/* A new option needs a sample here. */
		if (!found)
			fail_msg("no sample for option --%s", name);
		if (!strcmp(name, "config"))
			value = config_file("");
		snprintf(arg, sizeof(arg), "--%s%s%s", name, value ? "=" : "", value ? value : "");
		if (with)
			assert_int_equal(parse(r, with, arg), CLI_RUN);
		else
			assert_int_equal(parse(r, arg), CLI_RUN);
		if (filter < 0) {
			assert_int_equal(cli_snoop__filters_on(&r->cfg.filter), 0);
			continue;
		}
		assert_int_equal(cli_snoop__filters_on(&r->cfg.filter), 1u << filter);
		covered |= 1u << filter;
	}
	assert_int_equal(covered, all);
	assert_int_equal(cli_snoop__option_filter("no-such-option"), -ENOENT);
}

/* ---------------------------------------------------------------- --config */

static char config_dir[] = "/tmp/test_cli_config.XXXXXX";

/* Write @text (@len bytes) as the config file @name in config_dir, mode @mode; its path. */
static const char *config_file_n(const char *name, const char *text, size_t len, mode_t mode)
{
	static char path[PATH_MAX];
	FILE *f;

	if (config_dir[strlen(config_dir) - 1] == 'X')
		assert_non_null(mkdtemp(config_dir));
	snprintf(path, sizeof(path), "%s/%s", config_dir, name);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static const char *config_file(const char *text)
{
	return config_file_n("filters.conf", text, strlen(text), 0644);
}

/* A value for each option a --config file takes, as the file and the command line write it. */
static const struct {
	const char *key, *value;
} config_samples[] = {
	{ "pid", "1,2" },
	{ "comm", "nginx,sshd" },
	{ "uid", "0,33" },
	{ "lport", "22,8000-8100" },
	{ "rport", "443" },
	{ "laddr", "10.0.0.0/8" },
	{ "raddr", "fd00::/64,192.0.2.1" },
	{ "ipv4", NULL },
	{ "ipv6", NULL },
	{ "state", "ESTABLISHED,time_wait" },
	{ "cgroup", "/" },
	{ "netns", "4026531833" },
	{ "all-addresses", NULL },
	{ "src-ip", "10.1.0.0/16" },
	{ "dst-ip", "::1" },
	{ "src-port", "80" },
	{ "dst-port", "53" },
	{ "active-only", NULL },
};

/*
 * Every filter option is a --config key, and "key = value" (a switch:
 * "key = true") sets exactly what --key=value does.
 */
static void test_config_keys_equal_their_options(void **state)
{
	struct run *r = *state;
	struct filter_config *file = malloc(sizeof(*file)), *cli = malloc(sizeof(*cli));
	char err[1024], text[256], opt[256];

	assert_non_null(file);
	assert_non_null(cli);
	for (size_t i = 0; i < sizeof(config_samples) / sizeof(config_samples[0]); i++) {
		const char *k = config_samples[i].key, *v = config_samples[i].value;

		snprintf(text, sizeof(text), "%s = %s\n", k, v ? v : "true");
		assert_int_equal(cli_snoop__read_config(config_file(text), file, err, sizeof(err)),
				 0);
		snprintf(opt, sizeof(opt), "--%s%s%s", k, v ? "=" : "", v ? v : "");
		assert_int_equal(parse(r, opt), CLI_RUN);
		memcpy(cli, &r->cfg.filter, sizeof(*cli));
		/* The kinds are -e's, not the file's. */
		cli->kinds_mask = file->kinds_mask;
		if (memcmp(cli, file, sizeof(*cli)) != 0)
			fail_msg("key %s: the file's filters differ from %s's", k, opt);
		/* Off is as if not given. */
		if (!v) {
			snprintf(text, sizeof(text), "%s = no\n", k);
			assert_int_equal(cli_snoop__read_config(config_file(text), file, err,
								sizeof(err)),
					 0);
			assert_int_equal(file->family, 0);
			assert_int_equal(file->states_mask, 0);
			assert_false(file->all_addresses);
		}
	}
	/* And no filter option is left out of the samples. */
	for (size_t i = 0; cli_snoop__option_name(i); i++) {
		const char *name = cli_snoop__option_name(i);
		bool sampled = false;

		if (cli_snoop__option_filter(name) < 0)
			continue;
		for (size_t j = 0; j < sizeof(config_samples) / sizeof(config_samples[0]); j++)
			sampled |= !strcmp(config_samples[j].key, name);
		if (!sampled && strcmp(name, "unit") && strcmp(name, "container"))
			fail_msg("filter option --%s has no --config sample", name);
	}
	free(file);
	free(cli);
}

/* Blank lines, comments, blanks around either side, CRLF line ends, repeated list keys. */
static void test_config_layout(void **state)
{
	struct filter_config *f = malloc(sizeof(*f));
	char err[1024];

	(void)state;
	assert_non_null(f);
	assert_int_equal(cli_snoop__read_config(config_file("# socket-snoop filters\r\n"
							    "\n"
							    "   \t\n"
							    "  pid=7\r\n"
							    "\tpid   =   8 \t\n"
							    "  # lport = 1\n"
							    "lport = 80"),
						f, err, sizeof(err)),
			 0);
	assert_int_equal(f->n_pids, 2);
	assert_int_equal(f->pids[0], 7);
	assert_int_equal(f->pids[1], 8);
	assert_true(f->lport);
	assert_true(f->lport_bits[80 / 64] & (1ull << (80 % 64)));
	assert_false(f->lport_bits[0] & 2);
	/* An empty file: no filter. */
	assert_int_equal(cli_snoop__read_config(config_file(""), f, err, sizeof(err)), 0);
	assert_int_equal(cli_snoop__filters_on(f), 0);
	free(f);
}

/*
 * A reload keeps the cgroup a file gives as before (the same key and value):
 * a unit restarted, or stopped, since the start is not looked up again.
 * Given otherwise, or at a start, it is looked up.
 */
static void test_config_reload_keeps_the_cgroup_given_as_before(void **state)
{
	struct filter_config *f = calloc(1, sizeof(*f)), *keep = calloc(1, sizeof(*keep));
	const char *path = config_file("unit = snoop-no-such-unit.service\nlport = 80\n");
	char err[512];

	(void)state;
	assert_non_null(f);
	assert_non_null(keep);
	/* At a start: no such unit has a cgroup. */
	assert_int_not_equal(cli_snoop__read_config(path, f, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "has no cgroup"));
	/* At a reload whose filters were given that unit: kept. */
	keep->cgroup_opt = "unit";
	strcpy(keep->cgroup_arg, "snoop-no-such-unit.service");
	strcpy(keep->cgroup_path, "/sys/fs/cgroup/system.slice/snoop-no-such-unit.service");
	keep->cgroup_id = 4242;
	keep->cgroup_level = 2;
	assert_int_equal(cli_snoop__reread_config(path, f, keep, err, sizeof(err)), 0);
	assert_int_equal(f->cgroup_id, 4242);
	assert_int_equal(f->cgroup_level, 2);
	assert_string_equal(f->cgroup_path, keep->cgroup_path);
	assert_string_equal(f->cgroup_opt, "unit");
	assert_true(f->lport);
	/* Another value, or the same value for another key: looked up. */
	strcpy(keep->cgroup_arg, "snoop-other.service");
	assert_int_not_equal(cli_snoop__reread_config(path, f, keep, err, sizeof(err)), 0);
	strcpy(keep->cgroup_arg, "snoop-no-such-unit.service");
	keep->cgroup_opt = "container";
	assert_int_not_equal(cli_snoop__reread_config(path, f, keep, err, sizeof(err)), 0);
	free(f);
	free(keep);
}

/* Each bad file: its message names the file, the line and the key, and what was expected. */
static void test_config_errors_name_file_line_and_key(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "lport = 80\nfrobnicate = 1\n", "line 2: unknown key 'frobnicate'" },
		{ "json = true\n",
		  "line 1: key 'json' is not a filter: give --json on the command line" },
		{ "config = /etc/x\n", "line 1: key 'config' is not a filter" },
		{ "\n\nlport 80\n", "line 3: expected \"key = value\", not 'lport 80'" },
		{ "rport = 99999\n", "line 1: invalid value '99999' for rport: expected ports" },
		{ "pid = 1,x\n", "line 1: invalid value '1,x' for pid: 'x' is not a process ID" },
		{ "ipv4 = maybe\n",
		  "line 1: invalid value 'maybe' for ipv4: expected true, false, yes, no, on, off, 1 or 0" },
		{ "ipv4 = true\nipv6 = true\n", "line 2: keys ipv4 and ipv6 exclude each other" },
		{ "netns = 1\nnetns = 2\n", "line 2: key 'netns' given twice" },
		{ "state = ESTABLISHED\nstate =\n", "line 2: invalid value '' for state" },
		{ "cgroup = /no/such/cgroup\n",
		  "line 1: invalid value '/no/such/cgroup' for cgroup" },
	};
	struct filter_config *f = malloc(sizeof(*f));
	char err[1024], want[1200];

	(void)state;
	assert_non_null(f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path = config_file(bad[i].text);

		assert_int_not_equal(cli_snoop__read_config(path, f, err, sizeof(err)), 0);
		snprintf(want, sizeof(want), "--config file '%s', %s", path, bad[i].want);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("for %s: got \"%s\", want \"%s...\"", bad[i].text, err, want);
	}
	/* A NUL byte is refused, not read as the end of the line. */
	assert_int_not_equal(
		cli_snoop__read_config(config_file_n("nul.conf", "pid = 1\0 2\n", 11, 0644), f, err,
				       sizeof(err)),
		0);
	assert_non_null(strstr(err, "', line 1: a NUL byte"));
	free(f);
}

/* A file another user may change, or that is not a file, is refused before a byte is read. */
static void test_config_refuses_files_others_may_change(void **state)
{
	struct filter_config *f = malloc(sizeof(*f));
	char err[1024], *big, path[PATH_MAX + 32];

	(void)state;
	assert_non_null(f);
	assert_int_not_equal(cli_snoop__read_config(config_file_n("g.conf", "pid = 1\n", 8, 0664),
						    f, err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "refusing a file that another user could change"));
	assert_int_not_equal(cli_snoop__read_config(config_file_n("o.conf", "pid = 1\n", 8, 0646),
						    f, err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "refusing a file that another user could change"));
	/* A directory, a FIFO: not regular files. */
	assert_int_not_equal(cli_snoop__read_config(config_dir, f, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/fifo", config_dir);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_not_equal(cli_snoop__read_config(path, f, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
	/* Missing. */
	snprintf(path, sizeof(path), "%s/none", config_dir);
	assert_int_equal(cli_snoop__read_config(path, f, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file or directory"));
	/* Larger than 1 MiB. */
	big = malloc((1u << 20) + 1);
	assert_non_null(big);
	memset(big, '\n', (1u << 20) + 1);
	assert_int_equal(
		cli_snoop__read_config(config_file_n("big.conf", big, (1u << 20) + 1, 0644), f, err,
				       sizeof(err)),
		-EFBIG);
	assert_non_null(strstr(err, "larger than 1 MiB"));
	free(big);
	free(f);
}

/* --config with options: each filter the command line gives replaces the file's. */
static void test_config_command_line_overrides_per_filter(void **state)
{
	struct run *r = *state;
	const char *path = config_file("lport = 80\nrport = 443\npid = 7\nipv6 = yes\n");
	char opt[PATH_MAX + 16], said[512];

	snprintf(opt, sizeof(opt), "--config=%s", path);
	assert_int_equal(parse(r, opt, "--src-port=22", "-4", "-e", "state"), CLI_RUN);
	assert_string_equal(r->cfg.config_path, path);
	/* The command line's lport and family, the file's rport and pid. */
	assert_true(r->cfg.filter.lport_bits[0] & (1ull << 22));
	assert_false(r->cfg.filter.lport_bits[80 / 64] & (1ull << (80 % 64)));
	assert_true(r->cfg.filter.rport_bits[443 / 64] & (1ull << (443 % 64)));
	assert_int_equal(r->cfg.filter.n_pids, 1);
	assert_int_equal(r->cfg.filter.family, AF_INET);
	assert_int_equal(r->cfg.filter.kinds_mask, SNOOP_EV_STATE);
	/* What a reload merges with: the command line's alone, its kinds settled. */
	assert_int_equal(r->cfg.cli_filter.n_pids, 0);
	assert_false(r->cfg.cli_filter.rport);
	assert_int_equal(r->cfg.cli_filter.kinds_mask, SNOOP_EV_STATE);
	cli_snoop__describe_filters(&r->cfg.filter, said, sizeof(said));
	assert_string_equal(said, "pid=7 lport=22 rport=443 ipv4");
	/* A bad file is a usage error at start. */
	snprintf(opt, sizeof(opt), "--config=%s", config_file("lport = x\n"));
	assert_int_equal(parse(r, opt), CLI_ERROR);
	assert_non_null(strstr(r->err, "line 1: invalid value 'x' for lport"));
	assert_int_equal(parse(r, "--config=/a", "--config=/b"), CLI_ERROR);
}

/* The filters as a message says them: ranges folded, names escaped, "none" for none. */
static void test_describe_filters(void **state)
{
	struct filter_config *f = calloc(1, sizeof(*f));
	char said[512], tiny[8];

	(void)state;
	assert_non_null(f);
	cli_snoop__describe_filters(f, said, sizeof(said));
	assert_string_equal(said, "none");
	assert_int_equal(cli_snoop__read_config(config_file("lport = 1-3,5,65535\n"
							    "comm = a\tb\n"
							    "laddr = 10.0.0.0/8,fd00::/64\n"
							    "state = LISTEN\nnetns = 9\n"
							    "all-addresses = on\n"),
						f, said, sizeof(said)),
			 0);
	cli_snoop__describe_filters(f, said, sizeof(said));
	assert_string_equal(said, "comm=a\\x09b lport=1-3,5,65535 laddr=10.0.0.0/8,fd00::/64 "
				  "state=LISTEN netns=9 all-addresses");
	cli_snoop__describe_filters(f, tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_turn_on_their_filter_guard),
		cmocka_unit_test(test_unknown_state_name_is_usage_error),
		cmocka_unit_test(test_cidr_prefix_33_is_usage_error),
		cmocka_unit_test(test_port_70000_is_usage_error),
		cmocka_unit_test(test_pid_abc_is_usage_error),
		cmocka_unit_test(test_uid_bad_values_are_usage_errors),
		cmocka_unit_test(test_unknown_option_is_usage_error),
		cmocka_unit_test_teardown(test_unknown_short_option_in_a_cluster_is_named,
					  reset_getopt),
		cmocka_unit_test(test_duration_minus_1_and_0_are_usage_errors),
		cmocka_unit_test(test_interval_parsed_and_bounded),
		cmocka_unit_test(test_comm_longer_than_15_bytes_is_usage_error),
		cmocka_unit_test(test_ipv4_with_ipv6_is_usage_error),
		cmocka_unit_test(test_missing_value_is_usage_error),
		cmocka_unit_test(test_empty_values_are_usage_errors),
		cmocka_unit_test(test_huge_value_is_cut_after_the_option_is_named),
		cmocka_unit_test(test_single_value_options_given_twice_are_usage_errors),
		cmocka_unit_test(test_contradictory_log_options_are_usage_errors),
		cmocka_unit_test(test_extra_positional_argument_is_usage_error),
		cmocka_unit_test(test_bad_buffer_size_is_usage_error),
		cmocka_unit_test(test_bad_events_is_usage_error),
		cmocka_unit_test(test_bad_netns_and_cgroup_are_usage_errors),
		cmocka_unit_test(test_bad_unit_container_and_fields_are_usage_errors),
		cmocka_unit_test(test_unit_container_and_fields_resolved),
		cmocka_unit_test(test_bad_log_max_size_is_usage_error),
		cmocka_unit_test(test_bad_log_max_files_is_usage_error),
		cmocka_unit_test(test_log_rotation_options_need_a_log_file),
		cmocka_unit_test(test_bad_host_name_is_usage_error),
		cmocka_unit_test(test_empty_heartbeat_paths_are_usage_errors),
		cmocka_unit_test(test_new_options_given_twice_are_usage_errors),
		cmocka_unit_test(test_log_rotation_values),
		cmocka_unit_test(test_host_name_and_heartbeat_values),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_pids_list_deduplicated_and_accumulated),
		cmocka_unit_test(test_uids_and_comms),
		cmocka_unit_test(test_port_bitmaps_for_22_80_8000_to_8100),
		cmocka_unit_test(test_laddr_raddr_cidrs),
		cmocka_unit_test(test_states_mask_bits),
		cmocka_unit_test(test_active_only_selects_established),
		cmocka_unit_test(test_seed_aliases_equal_modern_options),
		cmocka_unit_test(test_output_flags),
		cmocka_unit_test(test_family_duration_buffer_events),
		cmocka_unit_test(test_netns_and_cgroup_resolved),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_no_log_file_gives_null_path),
		cmocka_unit_test(test_env_log_is_explicit),
		cmocka_unit_test(test_log_file_option_wins_over_env),
		cmocka_unit_test(test_packet_faces_take_long_help_and_version),
		cmocka_unit_test(test_tcpsnoop_bad_values_named_and_cut),
		cmocka_unit_test(test_parse_after_error_starts_fresh),
		cmocka_unit_test(test_config_keys_equal_their_options),
		cmocka_unit_test(test_config_layout),
		cmocka_unit_test(test_config_errors_name_file_line_and_key),
		cmocka_unit_test(test_config_reload_keeps_the_cgroup_given_as_before),
		cmocka_unit_test(test_config_refuses_files_others_may_change),
		cmocka_unit_test(test_config_command_line_overrides_per_filter),
		cmocka_unit_test(test_describe_filters),
		cmocka_unit_test_teardown(test_parse_after_error_inside_a_cluster_starts_fresh,
					  reset_getopt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
