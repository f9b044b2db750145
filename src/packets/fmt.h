/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fmt_tcpsnoop.h - packet records -> DTraceToolkit's tcpsnoop and tcptop
 * text, byte for byte in the original's column widths.  Pure functions
 * writing into caller buffers; no allocation, no stdio.
 */
#ifndef FMT_TCPSNOOP_H
#define FMT_TCPSNOOP_H

#include <stddef.h>
#include <stdint.h>
#include "snoop_abi.h"

/* Optional tcpsnoop columns, printed in this order in front of UID. */
enum tcpsnoop_columns {
	TCPSNOOP_COL_TIME = 1u << 0,	/* -s: TIME, microseconds, "%-14d " */
	TCPSNOOP_COL_STRTIME = 1u << 1, /* -v: STRTIME "2005 Jul 11 21:21:19", "%-20s " */
	TCPSNOOP_COL_ZONE = 1u << 2,	/* -Z: ZONE, network namespace inode, "%4d " */
	TCPSNOOP_COL_PROJ = 1u << 3,	/* -j: PROJ, cgroup v2 id of the owner, "%4d " */
	TCPSNOOP_COL_WIDE = 1u << 4,	/* -w: LADDR and RADDR 39 wide instead of 15 */
	TCPSNOOP_COL_ALL = TCPSNOOP_COL_TIME | TCPSNOOP_COL_STRTIME | TCPSNOOP_COL_ZONE |
			   TCPSNOOP_COL_PROJ, /* -a */
};

#define TCPSNOOP_ADDR_WIDTH 15	    /* the original's %-15s */
#define TCPSNOOP_ADDR_WIDTH_WIDE 39 /* the longest IPv6 text, 8 groups of 4 */
/*
 * One row, the longest of every field included: with -a and -w, TIME 17
 * digits, STRTIME 20, ZONE 10, PROJ 20, UID 10, PID 10, two addresses of 39,
 * ports, SIZE 10, a command of 16 bytes escaped as \xNN (64), separators and
 * the newline make 264 bytes; a shorter buffer would cut the newline off.
 */
#define TCPSNOOP_LINE_MAX 320

/* The header line for @cols, newline-terminated; returns its length. */
size_t fmt_tcpsnoop_header(char *buf, size_t size, unsigned int cols);

/* Wire segments of @p: one row each (a GSO/GRO packet is several). */
unsigned int fmt_tcpsnoop_segments(const struct snoop_packet *p);

/*
 * SIZE of segment @seg of @p: the bytes a link layer carries, the IP packet
 * plus a 14-byte Ethernet header (no trailer, no FCS), as the original.
 */
uint64_t fmt_tcpsnoop_size(const struct snoop_packet *p, unsigned int seg);

/*
 * Row of segment @seg of @p, newline-terminated; returns its length.
 * @wall_ns is the packet's wall-clock time (STRTIME); TIME is its
 * CLOCK_MONOTONIC time in microseconds, as DTrace's timestamp.
 */
size_t fmt_tcpsnoop_row(char *buf, size_t size, const struct snoop_packet *p, unsigned int seg,
			unsigned int cols, uint64_t wall_ns);

/* Which id tcptop prints in its first column. */
enum tcptop_id {
	TCPTOP_ID_UID = 0, /* default: " UID " */
	TCPTOP_ID_PROJ,	   /* -j: cgroup v2 id of the owner */
	TCPTOP_ID_ZONE,	   /* -Z: network namespace inode */
};

/*
 * tcptop's status line and the empty line after it:
 * "2005 Jul 11 21:21:19,  load: 0.52,  TCPin:      3 KB,  TCPout:     12 KB".
 * @load_centi is the 1-minute load average in hundredths.
 */
size_t fmt_tcptop_status(char *buf, size_t size, uint64_t wall_ns, uint64_t load_centi,
			 uint64_t in_kb, uint64_t out_kb);

/* tcptop's column header for @id; returns its length. */
size_t fmt_tcptop_header(char *buf, size_t size, enum tcptop_id id);

/* One tcptop row: id, PID, addresses and ports, SIZE (bytes), NAME. */
size_t fmt_tcptop_row(char *buf, size_t size, const struct snoop_conn_key *key,
		      const struct snoop_conn_bytes *val, enum tcptop_id id);

/* The first field of /proc/loadavg ("0.52 0.58 ...") in hundredths.  0 or -EINVAL. */
int fmt_parse_loadavg(const char *text, uint64_t *centi);

#endif
