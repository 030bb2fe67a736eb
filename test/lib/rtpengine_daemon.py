"""A real rtpengine (Debian's rtpengine-daemon) for the media-relay tests, in userspace mode
(--table=-1: no kernel module) on loopback ports the test picks: an ng control socket (for
the rtpengine module), an rtpproxy-protocol socket (for the rtpproxy module) and a free range
of RTP ports. Started in the foreground with its log on stderr (kept in a file), optionally
inside a network namespace (`ip netns exec`), and ready once it answers an ng ping.

    with RtpEngine(workdir) as engine:
        engine.ng_addr      # "udp:127.0.0.1:PORT", for rtpengine_sock
        engine.udp_addr     # "udp:127.0.0.1:PORT", for rtpproxy_sock
        engine.port_range   # (min, max) of the RTP ports
        engine.ng({"command": "list"})  # one ng command -> the reply dictionary
"""

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

from harness import Skip, free_udp_port

RTPENGINE = shutil.which("rtpengine") or "/usr/bin/rtpengine"


# ---------------------------------------------------------------- bencode (tests only)
def bencode(value):
    """bytes of a bencoded int, str/bytes, list or dict (insertion order kept)."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, (bytes, bytearray)):
        return b"%d:%s" % (len(value), bytes(value))
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(str(k)) + bencode(v) for k, v in value.items()) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data):
    """The value of one bencoded item spanning all of data; strings come back as str
    (latin-1 when not UTF-8). ValueError when malformed."""
    value, pos = _bdecode_at(bytes(data), 0, 0)
    if pos != len(data):
        raise ValueError(f"bencode: trailing data at {pos}")
    return value


def _bdecode_at(data, pos, depth):
    if depth > 64 or pos >= len(data):
        raise ValueError(f"bencode: truncated or too deep at {pos}")
    c = data[pos:pos + 1]
    if c == b"i":
        end = data.index(b"e", pos)
        return int(data[pos + 1:end]), end + 1
    if c in (b"l", b"d"):
        pos += 1
        items = []
        while data[pos:pos + 1] != b"e":
            v, pos = _bdecode_at(data, pos, depth + 1)
            items.append(v)
        if c == b"l":
            return items, pos + 1
        if len(items) % 2:
            raise ValueError("bencode: dictionary with a key but no value")
        return dict(zip(items[::2], items[1::2])), pos + 1
    if c.isdigit():
        colon = data.index(b":", pos)
        n = int(data[pos:colon])
        raw = data[colon + 1:colon + 1 + n]
        if len(raw) != n:
            raise ValueError("bencode: string longer than the input")
        try:
            return raw.decode(), colon + 1 + n
        except UnicodeDecodeError:
            return raw.decode("latin-1"), colon + 1 + n
    raise ValueError(f"bencode: unexpected byte at {pos}")


def _port_free(address, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((address, port))
        return True
    except OSError:
        return False


def _free_range(address, size):
    """(min, max): `size` consecutive UDP ports free on address right now."""
    rng = random.Random()
    for _ in range(100):
        base = rng.randrange(20000, 60000 - size) & ~1
        if all(_port_free(address, p) for p in range(base, base + size)):
            return base, base + size - 1
    raise RuntimeError("no free RTP port range found")


class RtpEngine:
    """One rtpengine process. workdir: where its log goes (None: a temporary directory,
    removed by stop()). address: what it listens on and relays from ("127.0.0.1", "::1").
    netns: run inside that network namespace (address must exist there)."""

    def __init__(self, workdir=None, address="127.0.0.1", netns=None, ports=40, extra_args=()):
        if not os.path.exists(RTPENGINE):
            raise Skip("rtpengine-daemon is not installed")
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="rtpengine-")
        self.address = address
        self.netns = netns
        self._ports = ports
        self._extra = list(extra_args)
        self.proc = None
        self._logf = None
        self.log_path = os.path.join(self.workdir, "rtpengine.log")
        self._sock = None
        host = f"[{address}]" if ":" in address else address
        if netns:
            # The host's port table says nothing about the namespace's: any port works there.
            self.ng_port = random.randrange(20000, 30000)
            self.udp_port = self.ng_port + 1
            base = random.randrange(30000, 60000 - ports) & ~1
            self.port_range = (base, base + ports - 1)
        else:
            probe = address if ":" not in address else None
            self.ng_port = free_udp_port() if probe else self._free_v6_port()
            self.udp_port = free_udp_port(exclude=(self.ng_port,)) if probe else \
                self._free_v6_port(exclude=(self.ng_port,))
            self.port_range = _free_range(address, ports)
        self.ng_addr = f"udp:{host}:{self.ng_port}"
        self.udp_addr = f"udp:{host}:{self.udp_port}"
        self._host = host

    def _free_v6_port(self, exclude=()):
        for _ in range(50):
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
                s.bind((self.address, 0))
                port = s.getsockname()[1]
            if port not in exclude:
                return port
        raise RuntimeError("no free UDP port on " + self.address)

    def command(self):
        lo, hi = self.port_range
        cmd = [RTPENGINE, "--config-file=none", "--foreground", "--table=-1",
               f"--interface={self.address}",
               f"--listen-ng={self._host}:{self.ng_port}",
               f"--listen-udp={self._host}:{self.udp_port}",
               f"--port-min={lo}", f"--port-max={hi}",
               "--delete-delay=0", "--log-stderr", "--log-level=6", "--num-threads=2",
               f"--pidfile={os.path.join(self.workdir, 'rtpengine.pid')}"] + self._extra
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        return cmd

    def start(self, timeout=10.0):
        self._logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rtpengine exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if self.ng({"command": "ping"}, timeout=0.2).get("result") == "pong":
                    return self
            except (OSError, ValueError, TimeoutError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"rtpengine did not answer an ng ping in {timeout}s:\n{self.log()}")

    def ng(self, command, timeout=2.0):
        """Sends one ng command (a dict) and returns the reply dict. TimeoutError when
        rtpengine does not answer."""
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        cookie = "%016x" % random.getrandbits(64)
        payload = cookie.encode() + b" " + bencode(command)
        target = (self.address, self.ng_port)
        if self.netns:
            return self._ng_in_netns(payload, cookie, timeout)
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(payload, target)
            deadline = time.monotonic() + timeout
            while True:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    data, _ = s.recvfrom(65536)
                except socket.timeout:
                    raise TimeoutError(f"rtpengine: no reply to {command.get('command')}")
                head, _, body = data.partition(b" ")
                if head.decode(errors="replace") == cookie:
                    return bdecode(body)

    def _ng_in_netns(self, payload, cookie, timeout):
        # A small python inside the namespace does the exchange (sockets are per namespace).
        script = ("import socket,sys;s=socket.socket(socket.AF_INET6 if ':' in sys.argv[1] "
                  "else socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(float(sys.argv[3]));"
                  "s.sendto(sys.stdin.buffer.read(),(sys.argv[1],int(sys.argv[2])));"
                  "sys.stdout.buffer.write(s.recvfrom(65536)[0])")
        out = subprocess.run(["ip", "netns", "exec", self.netns, "python3", "-c", script,
                              self.address, str(self.ng_port), str(timeout)],
                             input=payload, capture_output=True, timeout=timeout + 5)
        if out.returncode != 0:
            raise TimeoutError("rtpengine: no reply in the namespace")
        head, _, body = out.stdout.partition(b" ")
        if head.decode(errors="replace") != cookie:
            raise ValueError("rtpengine: reply with another cookie")
        return bdecode(body)

    def calls(self):
        """Call-IDs rtpengine knows now (ng "list")."""
        return list(self.ng({"command": "list", "limit": 1000}).get("calls", []))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self._logf is not None:
            self._logf.close()
            self._logf = None
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
