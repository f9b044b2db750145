#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""ender.py - ends TCP connections in the ways the close reasons name (e2e 94).

  ender.py server ADDR PORT MODE    MODE: hold (accept, read until the end),
                                    unread (accept, let the data come, close
                                    without reading it), tfo (TCP Fast Open
                                    listener with one SYN-ACK retry, accept,
                                    read until the end), twice (hold, for two
                                    connections in turn), seq (as hold, and
                                    first print "SEQ <n>": the sequence
                                    number its FIN will carry, read in
                                    TCP_REPAIR mode), abort (read until the
                                    end, wait 0.5 s, close with SO_LINGER 0:
                                    a RST), late (read until the end, wait
                                    0.5 s, close: the ACK of the client's FIN
                                    goes alone, then the FIN), answer (read
                                    until the end, wait 0.5 s, send 10 bytes,
                                    wait 0.3 s, close)
  ender.py client ADDR PORT MODE    MODE: hold (connect, wait for SIGUSR1, read
                                    until the end), send (connect, wait for
                                    SIGUSR1, send, read until the end),
                                    keepalive (as hold, with keepalive probes
                                    every second, two unanswered end it),
                                    abandon (non-blocking connect, close it
                                    0.3 s later), tfo (connect with data in
                                    the SYN, hold until killed), connects N
                                    (N blocking connects, one result each),
                                    bulk N (connect, send N bytes, print
                                    "SENT", wait for SIGUSR1, close), steps
                                    A,B,... (connect; for each size, send it,
                                    print "SENT", wait for SIGUSR1; close),
                                    close (connect, close at once), reuse
                                    LPORT (bind LPORT with SO_REUSEADDR,
                                    connect, close at once; 1.5 s later the
                                    same again, then wait for SIGUSR1 and
                                    close)
  ender.py rst SRC SPORT DST DPORT SEQ
                                    send one TCP RST (IPv4) from SRC:SPORT to
                                    DST:DPORT with sequence number SEQ, through
                                    a raw socket

Prints, one line each, flushed: "PID <pid> <comm>", "READY" (server listening),
"ACCEPTED <addr> <port>" (server, the client's end), "CONNECTED <addr>
<port>" (client, its own end), "RESULT <errno name or OK or EOF>" (how the
read, the connect or each of the connects ended), "DONE".  Every run ends by
itself within 20 s (SIGALRM).
"""
import errno
import os
import signal
import socket
import struct
import sys
import time

MSG_FASTOPEN = 0x20000000
TCP_FASTOPEN = 23
# linux/tcp.h
TCP_REPAIR = 19
TCP_REPAIR_QUEUE = 20
TCP_QUEUE_SEQ = 21
TCP_SEND_QUEUE = 2
TCP_REPAIR_OFF = 0


def say(*words):
    print(*words, flush=True)


def result(err):
    say("RESULT", errno.errorcode.get(err, str(err)) if err else "OK")


def wait_go():
    signal.sigwait({signal.SIGUSR1})


def read_to_end(s):
    try:
        while s.recv(65536):
            pass
        say("RESULT", "EOF")
    except OSError as e:
        result(e.errno)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def server(addr, port, mode):
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode == "tfo":
        ls.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 16)
        # Inherited by the connection: one SYN-ACK retry, then it gives up.
        ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
    ls.bind((addr, port))
    ls.listen(16)
    say("READY")
    for _ in range(2 if mode == "twice" else 1):
        s, peer = ls.accept()
        say("ACCEPTED", peer[0], peer[1])
        if mode == "seq":
            say("SEQ", send_seq(s))
        end(s, mode)


def send_seq(s):
    """The sequence number of the next byte @s sends (TCP_REPAIR, as CRIU reads it)."""
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
    seq = struct.unpack("I", s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, 4))[0]
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF)
    return seq


def end(s, mode):
    if mode == "unread":
        time.sleep(0.5)
        s.close()
        say("RESULT", "CLOSED")
    elif mode == "abort":
        while s.recv(65536):
            pass
        time.sleep(0.5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        say("RESULT", "CLOSED")
    else:
        read_to_end(s)
        if mode in ("late", "answer"):
            time.sleep(0.5)
        if mode == "answer":
            s.send(b"x" * 10)
            time.sleep(0.3)
        s.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def rst(src, sport, dst, dport, seq):
    """One RST segment, its checksum over the IPv4 pseudo-header; the kernel adds the IP header."""
    head = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x04, 0, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(head))
    head = head[:16] + struct.pack("!H", checksum(pseudo + head)) + head[18:]
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    r.bind((src, 0))
    r.sendto(head, (dst, 0))
    say("SENT")


def reuse_from(addr, port, lport):
    fam = family(addr)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", lport))
    s.connect((addr, port))
    say("CONNECTED", *s.getsockname()[:2])
    return s


def client(addr, port, mode, arg):
    fam = family(addr)
    if mode == "reuse":
        reuse_from(addr, port, int(arg)).close()
        # tcp_twsk_unique() takes a time-wait socket a second after its last timestamp.
        time.sleep(1.5)
        s = reuse_from(addr, port, int(arg))
        wait_go()
        s.close()
        return
    if mode == "connects":
        for _ in range(int(arg)):
            s = socket.socket(fam, socket.SOCK_STREAM)
            result(s.connect_ex((addr, port)))
            s.close()
        return
    s = socket.socket(fam, socket.SOCK_STREAM)
    if mode == "abandon":
        s.setblocking(False)
        s.connect_ex((addr, port))
        say("CONNECTING", *s.getsockname()[:2])
        time.sleep(0.3)
        s.close()
        return
    if mode == "tfo":
        s.sendto(b"hello", MSG_FASTOPEN, (addr, port))
        say("CONNECTED", *s.getsockname()[:2])
        time.sleep(30)
        return
    if mode == "keepalive":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
    s.connect((addr, port))
    say("CONNECTED", *s.getsockname()[:2])
    if mode == "close":
        s.close()
        return
    if mode in ("bulk", "steps"):
        for size in arg.split(","):
            s.sendall(b"x" * int(size))
            say("SENT")
            wait_go()
        s.close()
        return
    wait_go()
    if mode == "send":
        s.send(b"x" * 1000)
    read_to_end(s)
    s.close()


def main(argv):
    if len(argv) == 7 and argv[1] == "rst":
        rst(argv[2], int(argv[3]), argv[4], int(argv[5]), int(argv[6]))
        return
    if len(argv) < 5 or argv[1] not in ("server", "client"):
        sys.exit(__doc__)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    signal.alarm(20)
    with open("/proc/self/comm", encoding="utf-8") as f:
        say("PID", os.getpid(), f.read().strip())
    if argv[1] == "server":
        server(argv[2], int(argv[3]), argv[4])
    else:
        client(argv[2], int(argv[3]), argv[4], argv[5] if len(argv) > 5 else None)
    say("DONE")


if __name__ == "__main__":
    main(sys.argv)
