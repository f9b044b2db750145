/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * names.h - the names of the kernel's and our enumerations, for every format:
 * TCP states, attributions, close sides, directions, reset reasons.  The lists
 * themselves are in snoop_abi.h.
 */
#ifndef LIB_NAMES_H
#define LIB_NAMES_H

#include <stdint.h>

/* "NO_SOCKET" for SNOOP_RST_NO_SOCKET; NULL past the list. */
const char *names__reset_reason(int reason);

/*
 * Decode a RESET_SENT event's detail (see struct snoop_event): its name, or
 * NULL with *@number set to the value to print instead.  *@number is -1 for
 * "no reason" (detail 0).
 */
const char *names__reset_detail(int detail, long long *number);

/* "ring_full" for SNOOP_LOSS_RING_FULL (the CAUSE= of a loss); NULL out of range. */
const char *names__loss_cause(int cause);

/* What happened when events were lost for @cause, a phrase; NULL out of range. */
const char *names__loss_what(int cause);

/* The seed's description of a TCP state ("Connection Opening (SYN_SENT)"). */
const char *names__state_desc(int state);

/* The kernel's name of a TCP state ("SYN_SENT"), NULL when out of range. */
const char *names__state_kernel(int state);

/* The attribution name of the JSON and the docs: owner, listener, snapshot, unknown. */
const char *names__attribution(int attribution);

/* "local", "remote", "reset" or "unknown" (enum snoop_closed_by). */
const char *names__closed_by(int closed_by);

/*
 * How a time-wait socket ended before its time (enum snoop_tw_end, the detail
 * of a STATE event into CLOSE): "reset" or "reused"; NULL for none.
 */
const char *names__tw_end(int how);

/* The documented name of enum snoop_close_reason @reason ("fin_local"); "unknown" out of range. */
const char *names__close_reason(int reason);

/*
 * The side a close reason counts against, "client" or "server", for a socket
 * with event flags @flags (its direction); NULL when neither or not known.
 */
const char *names__close_side(int reason, int flags);

/*
 * The congestion state of snoop_close_info.ca_worst (icsk_ca_state + 1):
 * "open", "disorder", "cwr", "recovery", "loss"; NULL for 0 (not known).
 */
const char *names__ca_state(int ca_worst);

/* "outbound" (connected from here), "inbound" (accepted here) or "unknown". */
const char *names__direction(int flags);

/*
 * The kinds table's columns for @kind (snoop_abi.h); NULL for no such kind.
 * (The JSON action has its own table in fmt_json.c, lengths known at compile time.)
 */
const char *names__kind_option(int kind);
const char *names__kind_label(int kind);
/* Its JSON event.action ("state_change"), also the kind label of the metrics. */
const char *names__kind_action(int kind);

/* The kinds an --events name selects (any case); 0 for no such name. */
uint32_t names__kind_option_mask(const char *option);

/* The --events names joined by @sep ("state,retransmit,..."), in table order. */
const char *names__kind_options(const char *sep);

/*
 * The optional fields of log lines (--fields), in the order a line has
 * them, after its own: X(ID, --fields name, key in the line).  Where a
 * field comes from: docs/ARCHITECTURE.md, "Service, container, pod".
 */
#define SNOOP_LOG_FIELDS(X)                    \
	X(UNIT, "unit", "UNIT")                \
	X(CONTAINER, "container", "CONTAINER") \
	X(RUNTIME, "runtime", "RUNTIME")       \
	X(POD, "pod", "POD")                   \
	X(THREAD, "thread", "THREAD")

enum snoop_log_field {
#define SNOOP_LOG_FIELD_ID(id, name, key) SNOOP_FIELD_##id,
	SNOOP_LOG_FIELDS(SNOOP_LOG_FIELD_ID)
#undef SNOOP_LOG_FIELD_ID
		SNOOP_FIELD_COUNT
};

/* The --fields name of @field, and its key in a log line; NULL for no such field. */
const char *names__field_option(int field);
const char *names__field_key(int field);

/* The --fields names joined by @sep, in table order. */
const char *names__field_options(const char *sep);

#endif
