"""A real DNS server for the tests: Debian's dnsmasq on a free 127.0.0.1 port, answering only
from the records a test gives it (never forwarding anywhere), and a silent one.

    with DnsServer(srv=[("_sip._udp.example.test", "sip1.example.test", 5070, 10, 50)],
                   hosts=[("sip1.example.test", "127.0.0.1")],
                   naptr=[("example.test", 10, 50, "s", "SIP+D2U", "", "_sip._udp.example.test")]
                   ) as dns:
        dns.address            # "127.0.0.1:<port>", for dns_servers
        dns.query("sip1.example.test", "A")   # (rcode, answer count), a plain UDP probe

Every name under .test is local (--local=/test/): unknown names are NXDOMAIN, known names
without the asked type are NODATA.  dnsmasq reads no config file, no /etc/hosts and no
/etc/resolv.conf; its log goes to the test's temp dir (shown on failure).  SilentDns is a
bound UDP socket that reads nothing: a DNS server that is down but reachable."""

import os
import shutil
import socket
import struct
import subprocess
import time

from harness import LOOPBACK, TestFailure, Skip, free_udp_port, unique_path, udp_port_bound

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
QTYPES = {"A": 1, "AAAA": 28, "SRV": 33, "NAPTR": 35}


class DnsServer:
    def __init__(self, srv=(), hosts=(), naptr=(), ttl=60, start_timeout=10.0):
        if not os.access(DNSMASQ, os.X_OK):
            raise Skip("dnsmasq is not installed (apt-get install dnsmasq-base)")
        self.port = free_udp_port()
        self.address = f"{LOOPBACK}:{self.port}"
        self.dir = unique_path("dnsmasq")
        os.makedirs(self.dir)
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        user = _current_user()
        self.cmd = [
            DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            f"--port={self.port}", f"--listen-address={LOOPBACK}", "--bind-interfaces",
            f"--pid-file={os.path.join(self.dir, 'dnsmasq.pid')}",
            f"--dhcp-leasefile={os.path.join(self.dir, 'dnsmasq.leases')}",
            f"--log-facility={self.log_path}", "--log-queries",
            "--local=/test/", f"--local-ttl={ttl}", f"--user={user[0]}", f"--group={user[1]}",
        ]
        for name, target, port, priority, weight in srv:
            self.cmd.append(f"--srv-host={name},{target},{port},{priority},{weight}")
        for name, ip in hosts:
            self.cmd.append(f"--host-record={name},{ip}")
        for name, order, pref, flags, service, regexp, replacement in naptr:
            self.cmd.append(f"--naptr-record={name},{order},{pref},{flags},{service},{regexp},"
                            f"{replacement}")
        self.start_timeout = start_timeout
        self.proc = None

    def start(self):
        self.out = open(os.path.join(self.dir, "dnsmasq.out"), "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure(f"dnsmasq exited with {self.proc.returncode} "
                                  f"(output {self.out.name})")
            if udp_port_bound(self.port) and self.query("probe.test", "A")[0] is not None:
                return self
            time.sleep(0.05)
        self.stop()
        raise TestFailure(f"dnsmasq did not answer on {self.address}")

    def query(self, name, qtype, timeout=1.0):
        """(rcode, answer count) of one query, or (None, None) without an answer."""
        return dns_query((LOOPBACK, self.port), name, qtype, timeout)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "out", None):
            self.out.close()
        # the runner shows *.log files of the test's temp dir on failure
        if os.path.exists(self.log_path):
            shutil.copy(self.log_path, os.path.join(os.path.dirname(self.dir),
                                                    f"{os.path.basename(self.dir)}.log"))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SilentDns:
    """A bound UDP socket on 127.0.0.1 that never reads: queries vanish, no ICMP error."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.address = f"{LOOPBACK}:{self.port}"

    def pending(self):
        """How many queries arrived (drains them)."""
        n = 0
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(4096)
                n += 1
        except BlockingIOError:
            return n

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def dns_query(addr, name, qtype, timeout=1.0):
    """One query of `name`/`qtype` to addr (loopback only); (rcode, ancount) or (None, None)."""
    if addr[0] != LOOPBACK:
        raise TestFailure(f"DNS query to non-loopback {addr}")
    qid = os.getpid() & 0xFFFF
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + \
        struct.pack(">HH", QTYPES[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, addr)
        try:
            data = s.recv(4096)
        except (socket.timeout, ConnectionRefusedError):
            return None, None
    if len(data) < 12:
        return None, None
    _, flags, _, ancount, _, _ = struct.unpack(">HHHHHH", data[:12])
    return flags & 0xF, ancount


def _current_user():
    import grp
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
