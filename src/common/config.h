/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* config.h - what the command line asked for, validated. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>
#include "snoop_abi.h"
#include "lib/parse.h"

#define CONFIG_MAX_VALUES 256 /* per list option; the kernel filter maps hold as many */

/* The in-kernel filters; a zero count or false flag disables one. */
struct filter_config {
	uint32_t pids[CONFIG_MAX_VALUES];
	int n_pids;
	uint32_t uids[CONFIG_MAX_VALUES];
	int n_uids;
	char comms[CONFIG_MAX_VALUES][SNOOP_COMM_LEN];
	int n_comms;
	uint64_t lport_bits[SNOOP_PORT_WORDS];
	bool lport;
	uint64_t rport_bits[SNOOP_PORT_WORDS];
	bool rport;
	struct cidr laddrs[CONFIG_MAX_VALUES];
	int n_laddrs;
	struct cidr raddrs[CONFIG_MAX_VALUES];
	int n_raddrs;
	uint16_t family;      /* 0, AF_INET or AF_INET6 */
	uint32_t states_mask; /* bit per state entered; 0: all */
	uint32_t kinds_mask;  /* enum snoop_kind_mask: what the kernel reports */
	/* --cgroup's value, or the directory --unit or --container found; "": none */
	char cgroup_path[PATH_MAX];
	uint64_t cgroup_id;
	uint32_t cgroup_level;
	/* Which of cgroup, unit, container chose it (a static name), and its value as given. */
	const char *cgroup_opt;
	char cgroup_arg[PATH_MAX];
	uint32_t netns; /* inode; 0: all */
	bool all_addresses;
};

/* Which build of the BPF programs to attach (--attach). */
enum attach_mode {
	ATTACH_AUTO = 0, /* tp_btf, else raw_tp */
	ATTACH_TP_BTF,
	ATTACH_RAW_TP,
};

struct snoop_config {
	struct filter_config filter; /* in use: the command line's over --config's */
	const char *config_path;     /* --config: filters read at start and on SIGHUP */
	/* The filters the command line gave: they override the file's at each reload. */
	struct filter_config cli_filter;
	const char *log_path;		  /* NULL with --no-log-file */
	bool log_path_explicit;		  /* --log-file or $SOCKET_SNOOP_LOG: no fallback */
	uint64_t log_max_size;		  /* --log-max-size: rotate before this size; 0: never */
	unsigned int log_max_files;	  /* --log-max-files: rotated files kept */
	const char *host_name;		  /* --host-name, or NULL: the kernel's node name */
	const char *heartbeat_path;	  /* --heartbeat: touched every tick */
	const char *check_heartbeat_path; /* --check-heartbeat: check it and exit */
	bool events_explicit;		  /* -e given: its kinds must all be available */
	uint32_t output_kinds;	  /* kinds the outputs show (-e); the kernel may report more */
	bool metrics;		  /* --metrics: serve Prometheus metrics */
	const char *metrics_spec; /* its value as given, for messages */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addrlen;
	unsigned int metrics_comm_top; /* --metrics-labels=comm[:N]: N; 0 without comm labels */
	bool json;
	bool quiet;
	bool report;
	int verbose;		/* -v given once, twice (libbpf debug messages too) */
	bool check;		/* --check: report what would be used, and exit */
	bool owner_on_send;	/* --owner-on-send: sends record the owner too */
	bool thread_names;	/* --thread-names: COMM= of log lines is the thread's name */
	uint32_t log_fields;	/* --fields: a bit per SNOOP_LOG_FIELDS row */
	bool no_dns;		/* --no-dns: no DNS copies, no host names */
	bool tw_owners;		/* the packet faces: keep every time-wait socket's owner */
	uint64_t duration_s;	/* 0: until signalled */
	uint64_t interval_s;	/* --interval: Connection Update every SECS; 0: none */
	uint64_t ringbuf_bytes; /* 0: default from the number of CPUs */
	enum attach_mode attach_mode;
};

#endif
