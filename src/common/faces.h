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

#endif
