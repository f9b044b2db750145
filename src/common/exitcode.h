/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* exitcode.h - documented exit statuses (sysexits.h values). */
#ifndef EXITCODE_H
#define EXITCODE_H

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILURE_RUNTIME = 1, /* any other runtime failure */
	EXIT_USAGE = 64,	  /* bad option or value: names both */
	EXIT_UNAVAILABLE = 69,	  /* the kernel lacks something required */
	EXIT_CANTCREAT = 74,	  /* an output cannot be opened */
	EXIT_NOPERM = 77,	  /* not enough privilege */
};

#endif
