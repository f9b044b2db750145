/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * names.h - names the kernel gives to numbers, read from its BTF at start-up
 * (their values differ between kernel versions).
 */
#ifndef NAMES_H
#define NAMES_H

struct btf;

/* Load enum sk_rst_reason from kernel BTF.  0 or negative errno (names then unknown). */
int names__load(const struct btf *vmlinux);

/* "NO_SOCKET" for a reason the kernel calls SK_RST_REASON_NO_SOCKET; NULL if unknown. */
const char *names__reset_reason(int reason);

#endif
