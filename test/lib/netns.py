"""A real NAT for integration tests: three network namespaces made with ip, veth and nftables.

    wan  203.0.113.1/24 (WAN_ADDR)          the server side (and callers "on the internet")
     |  veth
    nat  203.0.113.254/24 (NAT_WAN)         router: ip_forward=1, nft masquerade (random ports)
     |  veth  192.168.77.1/24 (NAT_LAN)     on its WAN side, a table of its own; no SIP helper
    lan  192.168.77.2/24 (LAN_ADDR)         the client, default route via the router

Addresses are documentation / private ranges that exist only inside these namespaces, so
nothing a test sends leaves the machine.  Namespace names carry a prefix and the test
process's pid (parallel test lanes never collide); a Topology removes its namespaces on
exit, also after a failure, and first removes what a killed earlier run with the same prefix
left behind (names whose pid is no longer alive).

  available()                    (True, "") or (False, reason): root, ip, nft, and one
                                 namespace really created and removed
  Topology(...)                  context manager; .wan .nat .lan are namespace names
  run(ns, argv, timeout)         one command in a namespace (ip netns exec), CompletedProcess
  popen(ns, argv, **kw)          subprocess.Popen in a namespace
  socket_in(ns, family, type)    a socket created inside a namespace by this process (setns
                                 on the current thread and back), for driving UDP directly
  NsUdpPeer(ns, addr)            a harness.UdpPeer bound inside a namespace
  Topology.lan_peer(), wan_peer() NsUdpPeers of the client behind the NAT / the server side
  Topology.set_udp_timeouts(...) the router's UDP conntrack timeouts (the pinhole lifetime)
  Topology.conntrack(proto)      the router's conntrack table lines (/proc/net/nf_conntrack)

The kernel has the netfilter SIP helper built in; it is never attached here (no `ct helper`
rule), and automatic helper assignment is switched off where the kernel still has the knob
(net.netfilter.nf_conntrack_helper, gone since Linux 6.0), so only the server fixes SIP.
"""

import contextlib
import ctypes
import ipaddress
import os
import re
import shutil
import socket
import subprocess

import harness

PREFIX = "slnat"
WAN_ADDR = "203.0.113.1"      # server side (RFC 5737 TEST-NET-3)
NAT_WAN = "203.0.113.254"     # the router's public address: what the server sees
NAT_LAN = "192.168.77.1"      # the router on the private side
LAN_ADDR = "192.168.77.2"     # the client behind the NAT
WAN_NET = ipaddress.ip_network("203.0.113.0/24")
LAN_NET = ipaddress.ip_network("192.168.77.0/24")

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*args, timeout=10, check=True):
    res = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {res.stderr.strip() or res.returncode}")
    return res


def available():
    """(True, "") when namespaces, veths and nftables can be used here, else (False, reason)."""
    if os.geteuid() != 0:
        return False, "network namespaces need root"
    for tool in ("ip", "nft", "sysctl"):
        if shutil.which(tool) is None:
            return False, f"no `{tool}` command"
    probe = f"{PREFIX}probe{os.getpid()}"
    try:
        res = _ip("netns", "add", probe, check=False)
        if res.returncode != 0:
            return False, f"cannot create a network namespace: {res.stderr.strip()}"
        res = subprocess.run(["ip", "netns", "exec", probe, "nft", "list", "tables"],
                             capture_output=True, text=True, timeout=10,
                             stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            return False, f"nftables unusable in a namespace: {res.stderr.strip()}"
    except (OSError, subprocess.SubprocessError) as e:
        return False, f"cannot create a network namespace: {e}"
    finally:
        _ip("netns", "del", probe, check=False)
    return True, ""


def skip_unless_available():
    ok, reason = available()
    if not ok:
        raise harness.Skip(reason)


def run(ns, argv, timeout=10, check=False):
    """Runs argv inside namespace `ns` (bounded by `timeout` s); CompletedProcess (text)."""
    res = subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise RuntimeError(f"[{ns}] {' '.join(argv)}: "
                           f"{(res.stderr or res.stdout).strip() or res.returncode}")
    return res


def popen(ns, argv, **kw):
    """subprocess.Popen of argv inside namespace `ns` (ip netns exec execs it: the pid is
    the command's own)."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(["ip", "netns", "exec", ns, *argv], **kw)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def inside(ns):
    """The current thread is in namespace `ns` for the with block (sockets created there stay
    in it after the thread goes back)."""
    orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(orig)  # if this fails the thread is unusable: let it raise
    finally:
        os.close(orig)


def socket_in(ns, family=socket.AF_INET, type=socket.SOCK_DGRAM):
    """A socket created inside namespace `ns` by this process (its network namespace is
    fixed at creation)."""
    with inside(ns):
        return socket.socket(family, type)


def _ours(addr):
    """True for an address that only exists inside a Topology's namespaces (or loopback)."""
    ip = ipaddress.ip_address(addr)
    return ip.is_loopback or ip in WAN_NET or ip in LAN_NET


class NsUdpPeer(harness.UdpPeer):
    """harness.UdpPeer on a socket bound inside namespace `ns` at (addr, port or a kernel
    port).  send() only reaches the Topology's addresses."""

    def __init__(self, ns, addr, port=0):  # noqa: super().__init__ would bind in this netns
        self.ns = ns
        self.sock = socket_in(ns, socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((addr, port))
        self.port = self.sock.getsockname()[1]
        self.addr = (addr, self.port)

    def send(self, data, addr):
        harness.check(_ours(addr[0]), f"refusing to send outside the test namespaces: {addr}")
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendto(data, addr)


def remove_leftovers(prefix=PREFIX):
    """Deletes the namespaces this module names (<prefix>[probe]<pid>[wan|nat|lan]) whose pid
    is gone (a killed earlier run); those of living test processes stay.  Returns the names
    deleted."""
    ours = re.compile(re.escape(prefix) + r"(?:probe)?(\d+)(?:wan|nat|lan)?")
    gone = []
    res = _ip("netns", "list", check=False)
    for line in res.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = ours.fullmatch(name)
        if not m:
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or not harness.pid_alive(pid):
            if _ip("netns", "del", name, check=False).returncode == 0:
                gone.append(name)
    return gone


class Topology:
    """wan / nat / lan namespaces (see the module doc).  `udp_timeout`, `udp_timeout_stream`
    (s) set the router's conntrack UDP timeouts at creation (set_udp_timeouts later);
    `random_ports` makes the masquerade pick random source ports (so the mapped port is never
    the client's own and a test can tell them apart)."""

    def __init__(self, prefix=PREFIX, udp_timeout=None, udp_timeout_stream=None,
                 random_ports=True):
        base = f"{prefix}{os.getpid()}"
        self.prefix = prefix
        self.wan, self.nat, self.lan = f"{base}wan", f"{base}nat", f"{base}lan"
        self.names = (self.wan, self.nat, self.lan)
        self.udp_timeout = udp_timeout
        self.udp_timeout_stream = udp_timeout_stream
        self.random_ports = random_ports
        self.wan_addr, self.nat_wan, self.nat_lan, self.lan_addr = \
            WAN_ADDR, NAT_WAN, NAT_LAN, LAN_ADDR
        self.created = []

    # ---- lifecycle
    def create(self):
        remove_leftovers(self.prefix)
        try:
            for ns in self.names:
                _ip("netns", "add", ns)
                self.created.append(ns)
                _ip("-n", ns, "link", "set", "lo", "up")
            # veth pairs made directly inside the namespaces: their names never meet in the
            # root namespace, so parallel topologies cannot collide
            _ip("-n", self.nat, "link", "add", "wan0", "type", "veth",
                "peer", "name", "up0", "netns", self.wan)
            _ip("-n", self.nat, "link", "add", "lan0", "type", "veth",
                "peer", "name", "up0", "netns", self.lan)
            _ip("-n", self.wan, "addr", "add", f"{WAN_ADDR}/24", "dev", "up0")
            _ip("-n", self.nat, "addr", "add", f"{NAT_WAN}/24", "dev", "wan0")
            _ip("-n", self.nat, "addr", "add", f"{NAT_LAN}/24", "dev", "lan0")
            _ip("-n", self.lan, "addr", "add", f"{LAN_ADDR}/24", "dev", "up0")
            for ns, dev in ((self.wan, "up0"), (self.nat, "wan0"), (self.nat, "lan0"),
                            (self.lan, "up0")):
                _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", self.lan, "route", "add", "default", "via", NAT_LAN)
            self._router()
        except BaseException:
            self.destroy()
            raise
        return self

    def _router(self):
        run(self.nat, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], check=True)
        # no automatic conntrack helpers (the knob exists only before Linux 6.0)
        if run(self.nat, ["test", "-e", "/proc/sys/net/netfilter/nf_conntrack_helper"]
               ).returncode == 0:
            run(self.nat, ["sysctl", "-q", "-w", "net.netfilter.nf_conntrack_helper=0"],
                check=True)
        masq = "masquerade random" if self.random_ports else "masquerade"
        ruleset = ("table ip sipline_nat {\n"
                   "  chain postrouting {\n"
                   "    type nat hook postrouting priority srcnat; policy accept;\n"
                   f"    oifname \"wan0\" {masq}\n"
                   "  }\n"
                   "}\n")
        res = subprocess.run(["ip", "netns", "exec", self.nat, "nft", "-f", "-"],
                             input=ruleset, capture_output=True, text=True, timeout=10)
        if res.returncode != 0:
            raise RuntimeError(f"nft in {self.nat}: {res.stderr.strip()}")
        self.set_udp_timeouts(self.udp_timeout, self.udp_timeout_stream)

    def destroy(self):
        for ns in reversed(self.created):
            _ip("netns", "del", ns, check=False)
        self.created = []

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.destroy()
        return False

    # ---- router knobs and state
    def set_udp_timeouts(self, timeout=None, stream=None):
        """The router's UDP conntrack timeouts in seconds (None leaves one as it is): how
        long a pinhole lives without traffic (`stream`: once packets went both ways)."""
        for key, val in (("nf_conntrack_udp_timeout", timeout),
                         ("nf_conntrack_udp_timeout_stream", stream)):
            if val is not None:
                run(self.nat, ["sysctl", "-q", "-w", f"net.netfilter.{key}={int(val)}"],
                    check=True)

    def udp_timeouts(self):
        out = {}
        for key in ("nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream"):
            res = run(self.nat, ["sysctl", "-n", f"net.netfilter.{key}"], check=True)
            out[key] = int(res.stdout.strip())
        return out

    def ruleset(self):
        return run(self.nat, ["nft", "list", "ruleset"], check=True).stdout

    def conntrack(self, proto="udp"):
        """The router's conntrack entries of `proto` as text lines ([] when the kernel has no
        /proc/net/nf_conntrack; the conntrack tool is not needed)."""
        res = run(self.nat, ["cat", "/proc/net/nf_conntrack"])
        if res.returncode != 0:
            return []
        return [ln for ln in res.stdout.splitlines() if f" {proto} " in f" {ln} "]

    # ---- helpers bound to this topology
    def run(self, ns, argv, timeout=10, check=False):
        return run(ns, argv, timeout, check)

    def popen(self, ns, argv, **kw):
        return popen(ns, argv, **kw)

    def lan_peer(self, port=0):
        """A UDP peer on the client behind the NAT (LAN_ADDR)."""
        return NsUdpPeer(self.lan, LAN_ADDR, port)

    def wan_peer(self, port=0):
        """A UDP peer on the server side (WAN_ADDR), e.g. a caller."""
        return NsUdpPeer(self.wan, WAN_ADDR, port)
