/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* names.h - names of the kernel's reset reasons (the list is SNOOP_RST_REASONS in snoop.h). */
#ifndef NAMES_H
#define NAMES_H

/* "NO_SOCKET" for SNOOP_RST_NO_SOCKET; NULL past the list. */
const char *names__reset_reason(int reason);

/*
 * Decode a RESET_SENT event's detail (see struct snoop_event): its name, or
 * NULL with *@number set to the value to print instead.  *@number is -1 for
 * "no reason" (detail 0).
 */
const char *names__reset_detail(int detail, long long *number);

#endif
