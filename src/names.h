/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * names.h - names the kernel gives to numbers, read from its BTF at start-up
 * (their values differ between kernel versions).
 */
#ifndef NAMES_H
#define NAMES_H

/*
 * "NO_SOCKET" for a reason the kernel calls SK_RST_REASON_NO_SOCKET; NULL if
 * unknown.  The first call parses kernel BTF (tens of ms): only resets need it.
 */
const char *names__reset_reason(int reason);

#endif
