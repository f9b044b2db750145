/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cppcheck-macros.h - macros of system headers that `make lint` runs cppcheck
 * without (it reads src/ only): forced in with --include so that cppcheck
 * parses the code that uses them instead of stopping at an unknown macro.
 */
/* libbpf_common.h: an options struct with its size set, the named fields after. */
#define LIBBPF_OPTS(TYPE, NAME, ...) struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }
