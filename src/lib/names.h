/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * names.h - the names of the kernel's and our enumerations, for every format:
 * TCP states, attributions, close sides, directions, reset reasons.  The lists
 * themselves are in snoop_abi.h.
 */
#ifndef LIB_NAMES_H
#define LIB_NAMES_H

/* "NO_SOCKET" for SNOOP_RST_NO_SOCKET; NULL past the list. */
const char *names__reset_reason(int reason);

/*
 * Decode a RESET_SENT event's detail (see struct snoop_event): its name, or
 * NULL with *@number set to the value to print instead.  *@number is -1 for
 * "no reason" (detail 0).
 */
const char *names__reset_detail(int detail, long long *number);

/* The seed's description of a TCP state ("Connection Opening (SYN_SENT)"). */
const char *names__state_desc(int state);

/* The attribution name of the JSON and the docs: owner, listener, snapshot, unknown. */
const char *names__attribution(int attribution);

/* "local", "remote", "reset" or "unknown" (enum snoop_closed_by). */
const char *names__closed_by(int closed_by);

/* "outbound" (connected from here), "inbound" (accepted here) or "unknown". */
const char *names__direction(int flags);

#endif
