// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* main.c - one binary, dispatched on the name it was started under. */
#include <string.h>

#include "common/faces.h"
#include "common/loop.h"

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	name = name ? name + 1 : argv[0];
	loop__hold_signals();
	if (strcmp(name, "tcpsnoop") == 0)
		return tcpsnoop_main(argc, argv);
	if (strcmp(name, "tcptop") == 0)
		return tcptop_main(argc, argv);
	return snoop_main(argc, argv);
}
