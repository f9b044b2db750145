/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* faces.h - the entry point of each face of the binary (see main.c). */
#ifndef FACES_H
#define FACES_H

/* socket-snoop: the connection event monitor.  Returns the exit status. */
int snoop_main(int argc, char **argv);

/* tcpsnoop: one line per TCP packet with its owner (DTraceToolkit's columns). */
int tcpsnoop_main(int argc, char **argv);

/* tcptop: TCP connections by bytes, every interval. */
int tcptop_main(int argc, char **argv);

struct packets_config;
struct packets_loader;

/*
 * Before anything is opened: 0, or -EPERM after saying why when the binary
 * runs set-user-ID or set-group-ID (exit EXIT_NOPERM then).
 */
int packets_face__check_setid(const char *face);

/*
 * The start tcpsnoop and tcptop share: privilege check, stop signals held
 * for the loop, the BPF side, owners of connections open at start.  Prints
 * its diagnostics prefixed by @face; NULL with *@rc the exit status on failure.
 */
struct packets_loader *packets_face__open(const char *face, const struct packets_config *pk,
					  int *rc);

#endif
