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
write("fuzz_config", "filters", "# comment\r\n  lport = 22,80,8000-8100\n\tpid=1,2\ncomm = nginx\n"
      "laddr = 10.0.0.0/8,fd00::/64\nipv4 = yes\nstate = ESTABLISHED,time_wait\n"
      "all-addresses = on\nsrc-port = 443\nactive-only = true\nnetns = 4026531840\n")
write("fuzz_config", "errors", "lport 22\nfoo = 1\njson = true\nipv6 = maybe\nnetns = 1\nnetns = 2\n")
write("fuzz_config", "nul", b"pid = 1\0 2\ncomm = a\xffb\n")
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

# Cgroup paths: the first byte is how many names are trusted (0xff: all).
ID64 = "0123456789abcdef" * 4
write("fuzz_cgroup_name", "systemd", b"\xff/system.slice/nginx.service")
write("fuzz_cgroup_name", "k8s", b"\xff/kubepods.slice/kubepods-besteffort.slice/"
      b"kubepods-besteffort-pod2e5a1b3c_4d5e_4f60_8a9b_0c1d2e3f4a5b.slice/cri-containerd-"
      + ID64.encode() + b".scope")
write("fuzz_cgroup_name", "delegated", b"\x03/user.slice/user-1000.slice/user@1000.service/"
      b"evil.service/docker-" + ID64.encode() + b".scope")
write("fuzz_cgroup_name", "cgroupfs", b"\xff/kubepods/burstable/"
      b"pod2e5a1b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b/" + ID64.encode())
write("fuzz_cgroup_name", "unitarg", b"\xffnginx")

# DNS responses as a resolver sends them (RFC 1035 wire format), for fuzz_dns.


def dns_labels(dotted):
    return b"".join(bytes([len(x)]) + x.encode() for x in dotted.split(".") if x)


def dns_name(dotted):
    return dns_labels(dotted) + b"\0"


def dns_ptr(off):
    return struct.pack(">H", 0xc000 | off)


def dns_header(an, flags=0x8180, qd=1, ar=0):
    return struct.pack(">HHHHHH", 0x1234, flags, qd, an, 0, ar)


def dns_question(name, qtype=1):
    return dns_name(name) + struct.pack(">HH", qtype, 1)


def dns_rr(owner, rtype, ttl, rdata, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def dns_a(owner, ttl, *quad):
    return dns_rr(owner, 1, ttl, bytes(quad))


QNAME = 12  # where the question name starts

# www.example.com -> cdn.example.com -> e1.cdn.example.com: compressed, both A and AAAA.
chain = dns_header(5) + dns_question("www.example.com")
c1 = len(chain) + 2 + 10
chain += dns_rr(dns_ptr(QNAME), 5, 600, dns_labels("cdn") + dns_ptr(QNAME + 4))
c2 = len(chain) + 2 + 10
chain += dns_rr(dns_ptr(c1), 5, 60, dns_labels("e1") + dns_ptr(c1))
chain += dns_a(dns_ptr(c2), 300, 192, 0, 2, 1) + dns_a(dns_ptr(c2), 30, 192, 0, 2, 2)
chain += dns_rr(dns_ptr(c2), 28, 120, v6("2001:db8::1"))
write("fuzz_dns", "cname-chain-compressed", chain)
write("fuzz_dns", "cname-chain-cut", chain[:-7])
write("fuzz_dns", "tcp-framed", struct.pack(">H", len(chain)) + chain)

write("fuzz_dns", "a-record", dns_header(1) + dns_question("example.com")
      + dns_a(dns_ptr(QNAME), 3600, 93, 184, 216, 34))
# The addresses first, the CNAMEs after; an off-chain record and an additional one.
write("fuzz_dns", "cname-after-a-off-chain",
      dns_header(4, ar=1) + dns_question("API.Example.net")
      + dns_a(dns_name("edge.example.org"), 20, 198, 51, 100, 7)
      + dns_rr(dns_name("lb.example.net"), 5, 3600, dns_name("edge.example.org"))
      + dns_rr(dns_ptr(QNAME), 5, 10, dns_name("lb.example.net"))
      + dns_a(dns_name("evil.example"), 20, 10, 6, 6, 6)
      + dns_a(dns_ptr(QNAME), 20, 10, 0, 0, 9))
# A 63-byte label pointing back to its own start; a pointer ladder; a label bomb.
write("fuzz_dns", "pointer-loop", dns_header(0) + dns_labels("a" * 63) + dns_ptr(QNAME)
      + struct.pack(">HH", 1, 1))
ladder = dns_header(2) + dns_question("q.example") + dns_ptr(QNAME)
rungs = len(ladder) + 10
ladder += dns_rr(b"", 65280, 60, dns_ptr(QNAME) + b"".join(dns_ptr(rungs + 2 * i)
                                                           for i in range(70)))
ladder += dns_a(dns_ptr(rungs + 2 * 70), 60, 192, 0, 2, 1)
write("fuzz_dns", "pointer-ladder", ladder)
bomb = dns_header(2 + 50) + dns_question("q.example") + dns_ptr(QNAME)
at = [len(bomb) + 10 + 64 * i + 2 * i for i in range(5)]
bomb += dns_rr(b"", 65280, 60, b"".join(dns_labels("b" * 63) + dns_ptr(at[i - 1] if i else QNAME)
                                       for i in range(5)))
bomb += dns_rr(dns_ptr(QNAME), 5, 60, dns_ptr(at[2])) + dns_a(dns_ptr(at[4]), 60, 192, 0, 2, 4) * 50
write("fuzz_dns", "label-bomb", bomb)
write("fuzz_dns", "nxdomain", dns_header(0, flags=0x8183) + dns_question("nope.example"))
write("fuzz_dns", "query", dns_header(0, flags=0x0100) + dns_question("example.com", 28))
