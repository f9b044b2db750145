#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Write the seed corpora of tests/fuzz/corpus/<target>/ (committed).

Each seed is one meaningful input: a command line, an option value, a
record as the BPF side writes it (layouts of src/snoop.h), a /proc file.
Run from the top of the repository: python3 tests/fuzz/make-seeds.py
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def args(*a):
    return b"\0".join(x.encode() if isinstance(x, str) else x for x in a)


def v4(a, b, c, d):
    return bytes(10) + b"\xff\xff" + bytes([a, b, c, d])


def v6(text):
    import ipaddress
    return ipaddress.IPv6Address(text).packed


def owner(pid, comm, uid=0, cgroup=1):
    comm = comm[:15] + bytes(16 - len(comm[:15]))
    return struct.pack("<IIIIQ16s", pid, pid, 1, uid, cgroup, comm)


def close_info(duration=7300473, sent=100, recv=50, closed_by=1):
    return struct.pack("<QQQIIIIB7x", duration, sent, recv, 6, 4, 0, 369, closed_by)


def event(kind, old, new, saddr, daddr, sport, dport, family, comm, detail=0,
          attribution=1, flags=1, close=None):
    e = struct.pack("<QQ16s16sHHHBBBBBbiI", 123456789000, 28341, saddr, daddr,
                    sport, dport, family, kind, attribution, old, new, flags, 0,
                    detail, 4026532370)
    e += bytes(4)  # owner is 8-aligned
    e += owner(4242, comm)
    e += close if close else bytes(48)
    assert len(e) == 160, len(e)
    return e


WALL = struct.pack("<Q", 1733436325454123456)  # Dec 2024
SEQ = struct.pack("<Q", 7)
AF_INET, AF_INET6 = 2, 10

# socket-snoop's command line (argv[1..] split on NUL).
write("fuzz_cli_snoop", "filters", args("--lport=22,80,8000-8100", "--laddr=10.0.0.0/8,fd00::/64",
                                        "--state=established,SYN_SENT", "--pid=1,2"))
write("fuzz_cli_snoop", "json-events", args("-qj", "--events=state,reset,close", "--buffer-size=64K"))
write("fuzz_cli_snoop", "cluster-value", args("-qn", "curl", "--duration=10", "--no-log-file"))
write("fuzz_cli_snoop", "bad-cidr", args("--raddr=10.0.0.0/33"))
write("fuzz_cli_snoop", "logfile", args("--log-file=/tmp/x.log", "--uid=0,1000", "-6"))
write("fuzz_cli_snoop", "help", args("--help"))

# tcpsnoop (first byte even) and tcptop (odd).
write("fuzz_cli_packets", "tcpsnoop-all", b"\0" + args("-a", "-w", "-n", "sshd", "-p", "1"))
write("fuzz_cli_packets", "tcpsnoop-bad-pid", b"\0" + args("-p", "x1"))
write("fuzz_cli_packets", "tcptop-interval", b"\x01" + args("-C", "-Z", "5", "3"))
write("fuzz_cli_packets", "tcptop-zero", b"\x01" + args("-j", "0"))

# parse.c: selector byte (parser % 8), then the value.
for sel, name, value in [(0, "u64", "65535"), (1, "ports", "22,80,8000-8100"),
                         (1, "ports-bad", "9-1"), (2, "cidr4", "10.0.0.0/8"),
                         (2, "cidr6", "fd00::1/128"), (3, "state", "TCP_established"),
                         (4, "kind", "retransmit"), (5, "size", "16M"),
                         (6, "list", "a,b,,c"), (7, "u64-max", "18446744073709551615")]:
    write("fuzz_parse", name, bytes([sel]) + value.encode())

# Records: state change v4, v6 hostile name, close summary, reset sent, error.
records = {
    "state-v4": event(1, 2, 1, v4(10, 200, 1, 2), v4(10, 200, 1, 1), 55462, 8961, AF_INET, b"curl"),
    "state-v6-hostile": event(1, 1, 4, v6("fd00:200::2"), v6("fd00:200::1"), 443, 59322,
                              AF_INET6, b"e\x1b[31m\n\xc2\x9b\xe2\x80\xae\xff"),
    "close": event(6, 0, 7, v4(127, 0, 0, 1), v4(127, 0, 0, 1), 60760, 8080, AF_INET, b"client",
                   close=close_info()),
    "reset-sent": event(3, 0, 1, v4(10, 0, 0, 1), v4(10, 0, 0, 2), 22, 50000, AF_INET, b"sshd",
                        detail=3),
    "error-refused": event(5, 0, 2, v4(10, 0, 0, 1), v4(10, 0, 0, 2), 0, 9, AF_INET, b"nc",
                           detail=111),
    "listener": event(1, 7, 10, v4(0, 0, 0, 0), bytes(16), 8080, 0, AF_INET, b"server",
                      attribution=2, flags=0),
}
for name, rec in records.items():
    write("fuzz_fmt_json", name, rec + WALL + SEQ)
    write("fuzz_fmt_log", name, rec + WALL + SEQ)

# Diagnostics: level/logger byte, wall time, message.
write("fuzz_json_message", "banner", b"\0" + WALL + b"Monitoring socket connections. No log file.")
write("fuzz_json_message", "hostile", b"\x02" + WALL + b"cannot open \"/tmp/a\x1b\n.log\": \xff\xfe")
write("fuzz_json_message", "long", b"\x05" + WALL + b"\xe2\x80\xae" * 1400)


def packet(comm, flags, laddr, raddr, lport, rport, family, ip_len, segs, gso):
    p = struct.pack("<Q", 123456789000) + owner(4242, comm)
    p += struct.pack("<16s16sHHHBBIHHHHI", laddr, raddr, lport, rport, family, flags, 0x18,
                     ip_len, segs, 52, gso, 0, 4026532370)
    assert len(p) == 104, len(p)
    return p


def conn(comm):
    key = struct.pack("<16s16sHHIIHBB", v4(10, 0, 0, 1), v4(10, 0, 0, 2), 22, 50000, 4242,
                      4026532370, AF_INET, 0, 0)
    val = struct.pack("<QQII16s", 3000, 1, 0, 0, comm[:15] + bytes(16 - len(comm[:15])))
    return key + val


tail = struct.pack("<QQQ", 52, 3, 12)
write("fuzz_fmt_tcpsnoop", "default-v4",
      struct.pack("<IB", 0, 0) + WALL
      + packet(b"sshd", 1, v4(10, 0, 0, 1), v4(10, 0, 0, 2), 22, 50000, AF_INET, 1500, 1, 0)
      + conn(b"sshd") + tail)
write("fuzz_fmt_tcpsnoop", "all-wide-gso-v6",
      struct.pack("<IB", 0x1f, 1) + WALL
      + packet(b"\xc3\xa9" * 8, 0, v6("2001:db8::1"), v6("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
               65535, 443, AF_INET6, 64000, 44, 1448)
      + conn(b"\x1b]0;x\x07") + tail)
write("fuzz_fmt_tcpsnoop", "closed",
      struct.pack("<IB", 0x1, 2) + WALL
      + packet(b"", 2, v4(10, 0, 0, 1), v4(10, 0, 0, 2), 9, 40000, AF_INET, 40, 1, 0)
      + conn(b"") + tail)

# /proc/loadavg as the kernel writes it.
write("fuzz_proc_loadavg", "normal", "0.52 0.58 0.59 1/467 12345\n")
write("fuzz_proc_loadavg", "busy", "123.07 99.00 7.10 64/2048 999999\n")
write("fuzz_proc_loadavg", "bad", "-1.0 0 0")

# /proc/PID/comm, status and cgroup, separated by NUL bytes.
STATUS = ("Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\nNgid:\t0\n"
          "Pid:\t812\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
write("fuzz_proc_owner", "sshd", args("sshd\n", STATUS, "0::/system.slice/ssh.service\n"))
write("fuzz_proc_owner", "newline-name", args("sshd\nX\n", STATUS, "0::/\n"))
write("fuzz_proc_owner", "v1-and-v2", args("a\x1b[2J\n", STATUS.replace("PPid:\t1", "PPid:\t4294967295"),
                                             "12:pids:/user.slice\n1:name=systemd:/x\n0::/user.slice/u\n"))
