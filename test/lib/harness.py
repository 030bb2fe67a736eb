"""Integration-test harness: runs the real build/sipline on loopback.

Everything a test needs lives here so the tests read as behaviour:
  * free_udp_port()            a free 127.0.0.1 UDP port (bind port 0, read it back)
  * Server(...)                context manager: writes settings + routes from templates into
                               the test's temp dir, starts build/sipline in the foreground,
                               waits until the MI socket answers, captures stderr to a log
                               file (the runner shows its tail on failure), stop() sends
                               SIGTERM and checks the exit code and that no child is left
  * mi_call(sock, method, ...) one JSON-RPC 2.0 call over the unix management socket
  * stats(sock, names)         get_statistics, returns {name: int}
  * sipp(...), SippUas         bounded sipp runs (sipp -m, -timeout and coreutils timeout -k)
                               with counts parsed from the -trace_stat csv
  * UdpPeer, build_request,    raw UDP + a tiny SIP message builder/parser for hand-made
    parse_sip                  (and deliberately broken) datagrams
  * children_of(pid), shm_entries(), unreferenced_shm()   process / /dev/shm inspection

Rules this file enforces for every test: traffic only to 127.0.0.1, every load bounded in
count and time, no DNS (only literal addresses are used), stdlib only.  Counter and process
role names the server exposes are kept in STAT / ROLE below, the one place to adapt them.
"""

import contextlib
import csv
import errno
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SIPLINE_BUILD", os.path.join(ROOT, "build"))
SIPLINE = os.path.join(BUILD, "sipline")
MPATH = os.path.join(BUILD, "modules")
SCENARIOS = os.path.join(ROOT, "test", "scenarios")
LOOPBACK = "127.0.0.1"

# SIPLINE_SOAK=1 (make soak) selects the full counts; the default keeps `make test` short.
SOAK = os.environ.get("SIPLINE_SOAK", "") not in ("", "0")


def scaled(quick, soak):
    """Load size for this run: `quick` normally, `soak` under SIPLINE_SOAK=1."""
    return soak if SOAK else quick


# ---------------------------------------------------------------- names the server exposes
class STAT:
    """Statistic names (group:name) as returned by MI get_statistics."""
    rcv_requests = "core:rcv_requests"
    rcv_replies = "core:rcv_replies"
    fwd_requests = "core:fwd_requests"
    fwd_replies = "core:fwd_replies"
    drop_requests = "core:drop_requests"
    drop_replies = "core:drop_replies"
    err_requests = "core:err_requests"      # unparseable requests
    err_replies = "core:err_replies"        # unparseable replies
    parse_errors = "core:parse_errors"      # every unparseable datagram
    sl_sent = "sl:sent_replies"
    sl_1xx = "sl:1xx_replies"
    sl_2xx = "sl:2xx_replies"
    sl_4xx = "sl:4xx_replies"
    maxfwd_exceeded = "maxfwd:exceeded"
    shm_total = "shmem:total_size"
    shm_used = "shmem:used_size"
    shm_free = "shmem:free_size"
    shm_max_used = "shmem:max_used_size"


class ROLE:
    """Process roles as returned by MI ps."""
    master = "master"
    udp_worker = "udp-worker"
    timer = "timer"
    mi = "mi"


class TestFailure(AssertionError):
    pass


class Skip(Exception):
    """Raise with a stated reason to skip a test (the runner counts it as skipped)."""


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def check_eq(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


# ---------------------------------------------------------------- temp dir / ports
def test_tmpdir():
    """The per-test directory (the runner sets SIPLINE_TEST_TMP; logs here are shown on
    failure).  Outside the runner a fresh temp dir is made once per process."""
    d = os.environ.get("SIPLINE_TEST_TMP")
    if not d:
        d = tempfile.mkdtemp(prefix="sipline-test-")
        os.environ["SIPLINE_TEST_TMP"] = d
    os.makedirs(d, exist_ok=True)
    return d


_seq = itertools.count(1)


def unique_path(stem, ext=""):
    return os.path.join(test_tmpdir(), f"{stem}-{next(_seq)}{ext}")


def free_udp_port(exclude=()):
    """A UDP port on 127.0.0.1 that is free right now (the kernel picks it; never 5060).
    The TCP port of the same number is checked too so a later tcp: socket can share it."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
        if port == 5060 or port in exclude:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                t.bind((LOOPBACK, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free UDP port found")


def udp_port_bound(port):
    """True if some socket is bound to UDP port `port` (reads /proc/net/udp{,6})."""
    hexport = f"{port:04X}"
    for f in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    local = line.split()[1]
                    if local.rsplit(":", 1)[1] == hexport:
                        return True
        except OSError:
            pass
    return False


# ---------------------------------------------------------------- processes, /dev/shm
def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    # comm may contain spaces/parens: split after the last ')'
    rest = data[data.rindex(")") + 2:].split()
    return rest  # rest[0]=state, rest[1]=ppid, rest[11]=utime, rest[12]=stime


def _start_time(pid):
    try:
        return int(_stat_fields(pid)[19])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except (OSError, ValueError, IndexError):
        return False


def children_of(pid, recursive=True):
    """Pids whose parent is `pid` (and their descendants if recursive)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            kids.setdefault(int(_stat_fields(d)[1]), []).append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            if recursive:
                todo.append(c)
    return sorted(out)


def cpu_ticks(pids):
    """utime+stime clock ticks summed over pids (missing pids count 0)."""
    t = 0
    for p in pids:
        try:
            f = _stat_fields(p)
            t += int(f[11]) + int(f[12])
        except (OSError, ValueError, IndexError):
            pass
    return t


def shm_entries():
    """Names currently in /dev/shm."""
    try:
        return set(os.listdir("/dev/shm"))
    except FileNotFoundError:
        return set()


def shm_names_mapped_by(pids):
    """/dev/shm names mapped by the given processes, as (name, deleted) pairs."""
    out = set()
    for p in pids:
        try:
            with open(f"/proc/{p}/maps") as f:
                for line in f:
                    parts = line.split(None, 5)
                    if len(parts) == 6 and parts[5].startswith("/dev/shm/"):
                        path = parts[5].strip()
                        deleted = path.endswith(" (deleted)")
                        name = path[len("/dev/shm/"):].replace(" (deleted)", "")
                        out.add((name, deleted))
        except OSError:
            pass
    return out


def unreferenced_shm(names):
    """Those of `names` still in /dev/shm that no living process maps or holds open,
    i.e. leaked (robust against other programs using /dev/shm at the same time)."""
    present = set(names) & shm_entries()
    if not present:
        return set()
    used = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        for name, _ in shm_names_mapped_by([d]):
            used.add(name)
        try:
            for fd in os.listdir(f"/proc/{d}/fd"):
                try:
                    tgt = os.readlink(f"/proc/{d}/fd/{fd}")
                except OSError:
                    continue
                if tgt.startswith("/dev/shm/"):
                    used.add(tgt[len("/dev/shm/"):].replace(" (deleted)", ""))
        except OSError:
            pass
    return present - used


def wait_until(pred, timeout, interval=0.05):
    """Polls pred() until it is truthy or timeout seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------- management interface
class MIError(Exception):
    def __init__(self, error):
        super().__init__(f"MI error: {error}")
        self.error = error


_rpc_id = itertools.count(1)


class MIConnection:
    """A reusable connection to the JSON-RPC unix socket (one request, one response line)."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def call(self, method, params=None):
        req = {"jsonrpc": "2.0", "method": method, "id": next(_rpc_id)}
        if params is not None:
            req["params"] = params
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"MI closed the connection during {method}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        resp = json.loads(line)
        if resp.get("jsonrpc") != "2.0" or resp.get("id") != req["id"]:
            raise TestFailure(f"MI {method}: malformed response {resp!r}")
        if "error" in resp:
            raise MIError(resp["error"])
        if "result" not in resp:
            raise TestFailure(f"MI {method}: response without result {resp!r}")
        return resp["result"]

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def mi_call(sock_path, method, params=None, timeout=5.0):
    """One JSON-RPC 2.0 call; returns `result`, raises MIError on an `error` response."""
    with MIConnection(sock_path, timeout) as c:
        return c.call(method, params)


def stats(sock_path, names=("all",)):
    """get_statistics → {name: int}.  `names` are full names, groups ("core:") or "all"."""
    res = mi_call(sock_path, "get_statistics", {"statistics": list(names)})
    check(isinstance(res, dict), f"get_statistics returned {res!r}")
    return {k: int(v) for k, v in res.items()}


def stat(sock_path, name):
    res = stats(sock_path, [name])
    check(name in res, f"statistic {name} not returned by get_statistics (got {sorted(res)})")
    return res[name]


# ---------------------------------------------------------------- config templates
DEFAULT_SETTINGS = """\
# generated by test/lib/harness.py
socket = [@SOCKETS@];
udp_workers = @UDP_WORKERS@;
shm_size = @SHM_MB@;
log_level = "@LOG_LEVEL@";
log_target = "stderr";
mpath = "@MPATH@";
routes = "@ROUTES_NAME@";
mi = { socket = "@MI_SOCK@"; };
modules = { @MODULES@ };
@EXTRA@
"""

# Stateless relay: Max-Forwards check, OPTIONS to us answered, everything else to the UAS.
DEFAULT_ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("OPTIONS") && $rd == myself) {
    sl_send_reply(200, "OK");
    exit;
  }
  forward("udp:127.0.0.1:@UAS_PORT@");
}
onreply_route {
}
"""


def render(template, subst):
    out = template
    for k, v in subst.items():
        out = out.replace(f"@{k}@", str(v))
    left = re.findall(r"@[A-Z_]+@", out)
    if left:
        raise ValueError(f"unsubstituted placeholders {left}")
    return out


def write_config(settings=DEFAULT_SETTINGS, routes=DEFAULT_ROUTES, subst=None, name="sipline"):
    """Writes <dir>/<name>.cfg and <dir>/<name>.routes in a fresh directory; returns
    (cfg_path, routes_path).  Defaults for every placeholder come from a free port set."""
    d = unique_path(name)
    os.makedirs(d)
    subst = dict(subst or {})
    if not subst.get("PORT"):
        subst["PORT"] = free_udp_port()
    if not subst.get("UAS_PORT"):
        subst["UAS_PORT"] = free_udp_port(exclude=(subst["PORT"],))
    s = {
        "UDP_WORKERS": 2, "SHM_MB": 32, "LOG_LEVEL": "notice",
        "MPATH": MPATH, "ROUTES_NAME": f"{name}.routes", "MI_SOCK": os.path.join(d, "mi.sock"),
        "MODULES": "sl = {}; maxfwd = {};", "EXTRA": "",
    }
    s.update(subst)
    s.setdefault("SOCKETS", f'"udp:{LOOPBACK}:{s["PORT"]}"')
    cfg = os.path.join(d, f"{name}.cfg")
    rts = os.path.join(d, f"{name}.routes")
    with open(cfg, "w") as f:
        f.write(render(settings, s))
    if routes is not None:
        with open(rts, "w") as f:
            f.write(render(routes, s))
    return cfg, rts


def check_config(cfg_path, timeout=20):
    """Runs `sipline -c -f cfg`; returns CompletedProcess (text)."""
    return subprocess.run([SIPLINE, "-c", "-f", cfg_path], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


# ---------------------------------------------------------------- the server
class ServerError(TestFailure):
    pass


class Server:
    """build/sipline on 127.0.0.1:<free port>, relaying to 127.0.0.1:<uas_port>.

        with Server(uas_port=p) as srv:
            srv.port, srv.mi_sock, srv.pid, srv.mi("ps"), srv.stats([...])

    `routes`/`settings` are templates with @PORT@, @UAS_PORT@, @MI_SOCK@, ... placeholders.
    stop() (also on __exit__) sends SIGTERM and fails the test unless the server exits 0
    within `stop_timeout` seconds with every child gone."""

    def __init__(self, routes=DEFAULT_ROUTES, settings=DEFAULT_SETTINGS, uas_port=None,
                 udp_workers=2, modules="sl = {}; maxfwd = {};", log_level="notice",
                 extra_settings="", start_timeout=15.0, stop_timeout=10.0, name="sipline"):
        self.port = free_udp_port()
        self.uas_port = uas_port or free_udp_port(exclude=(self.port,))
        self.subst = {"PORT": self.port, "UAS_PORT": self.uas_port,
                      "UDP_WORKERS": udp_workers, "MODULES": modules,
                      "LOG_LEVEL": log_level, "EXTRA": extra_settings}
        self.cfg, self.routes_path = write_config(settings, routes, self.subst, name)
        self.dir = os.path.dirname(self.cfg)
        self.mi_sock = os.path.join(self.dir, "mi.sock")
        self.log_path = os.path.join(test_tmpdir(), f"{os.path.basename(self.dir)}.log")
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.proc = None
        self.known_children = set()
        self.start_times = {}
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid

    @property
    def addr(self):
        return (LOOPBACK, self.port)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self):
        if not os.access(SIPLINE, os.X_OK):
            raise ServerError(f"{SIPLINE} not built (run make)")
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen([SIPLINE, "-f", self.cfg], stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + self.start_timeout
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"sipline exited with {self.proc.returncode} during start "
                                  f"(log {self.log_path})")
            if os.path.exists(self.mi_sock):
                try:
                    mi_call(self.mi_sock, "version", timeout=2)
                    if udp_port_bound(self.port):
                        self._note_children()
                        return self
                except (OSError, ConnectionError, ValueError, MIError) as e:
                    last_err = e
            time.sleep(0.05)
        self.kill()
        raise ServerError(f"sipline did not become ready in {self.start_timeout}s "
                          f"(MI {self.mi_sock}: {last_err}; udp {self.port} bound: "
                          f"{udp_port_bound(self.port)})")

    def _note_children(self):
        if self.proc and self.proc.poll() is None:
            for c in children_of(self.proc.pid):
                if c not in self.known_children:
                    self.known_children.add(c)
                    self.start_times[c] = _start_time(c)

    def _same_process(self, pid):
        """True if pid is still the child we saw (not a reused pid)."""
        return pid_alive(pid) and _start_time(pid) == self.start_times.get(pid)

    def children(self):
        self._note_children()
        return children_of(self.proc.pid)

    def mi(self, method, params=None):
        return mi_call(self.mi_sock, method, params)

    def stats(self, names=("all",)):
        return stats(self.mi_sock, names)

    def stat(self, name):
        return stat(self.mi_sock, name)

    def processes(self):
        res = self.mi("ps")
        check(isinstance(res, dict) and isinstance(res.get("processes"), list),
              f"ps returned {res!r}")
        return res["processes"]

    def pids_by_role(self):
        out = {}
        for p in self.processes():
            out.setdefault(p.get("role"), []).append(int(p["pid"]))
        return {k: sorted(v) for k, v in out.items()}

    def wait_stat(self, name, pred, timeout=3.0):
        """Polls statistic `name` until pred(value) holds; returns the last value."""
        val = [None]

        def probe():
            val[0] = self.stat(name)
            return pred(val[0])
        wait_until(probe, timeout)
        return val[0]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, check_exit=True):
        """Graceful stop; returns the exit code.  Fails if it does not exit 0 in time or
        leaves a child behind."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        self._note_children()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(f"sipline did not exit within {self.stop_timeout}s of "
                              f"{signal.Signals(sig).name}")
        finally:
            self.logf.close()
        # children are reparented and reaped by init once the master is gone
        def alive():
            return sorted(p for p in self.known_children if self._same_process(p))
        left = [] if wait_until(lambda: not alive(), self.stop_timeout, 0.1) else alive()
        if left:
            for p in left:  # only our own server's children, by pid
                with contextlib.suppress(OSError):
                    os.kill(p, signal.SIGKILL)
            raise ServerError(f"children {left} still alive after the master exited")
        if check_exit and self.returncode != 0:
            raise ServerError(f"sipline exited with {self.returncode} after "
                              f"{signal.Signals(sig).name} (expected 0)")
        return self.returncode

    def kill(self):
        """Hard stop for cleanup paths: SIGKILL the master and every known child."""
        if self.proc is None:
            return
        self._note_children()
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()
        for p in sorted(self.known_children):
            if self._same_process(p):
                with contextlib.suppress(OSError):
                    os.kill(p, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.wait(5)
        if self.returncode is None:
            self.returncode = self.proc.returncode
        with contextlib.suppress(Exception):
            self.logf.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            # the test already failed: still try a clean stop, but never mask the error
            try:
                self.stop(check_exit=False)
            except Exception:
                self.kill()
        return False


# ---------------------------------------------------------------- raw SIP over UDP
def new_branch():
    return f"z9hG4bK-t{random.getrandbits(48):012x}"


def new_callid():
    return f"{random.getrandbits(64):016x}@test"


def build_request(method, ruri, local_port, *, via=None, call_id=None, cseq=None,
                  max_forwards=70, extra=(), omit=(), body=b"", branch=None):
    """A well-formed request from 127.0.0.1:local_port.  `omit` drops headers by name,
    `extra` appends raw header lines, `via`/`cseq` override the defaults verbatim."""
    hdrs = [
        ("Via", via or f"SIP/2.0/UDP {LOOPBACK}:{local_port};branch={branch or new_branch()}"),
        ("Max-Forwards", str(max_forwards) if max_forwards is not None else None),
        ("From", f"<sip:alice@{LOOPBACK}:{local_port}>;tag={random.getrandbits(32):08x}"),
        ("To", f"<{ruri}>"),
        ("Call-ID", call_id or new_callid()),
        ("CSeq", cseq or f"1 {method}"),
        ("Contact", f"<sip:alice@{LOOPBACK}:{local_port}>"),
    ]
    lines = [f"{method} {ruri} SIP/2.0"]
    for name, val in hdrs:
        if name in omit or val is None:
            continue
        lines.append(f"{name}: {val}")
    lines.extend(extra)
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


COMPACT = {"v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact",
           "l": "content-length", "c": "content-type"}


class SipMsg:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.first = lines[0]
        self.headers = []  # (lower-case full name, value), in order; Via lines split
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:  # folded line
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + line.strip())
                continue
            name, _, val = line.partition(":")
            name = name.strip().lower()
            name = COMPACT.get(name, name)
            if name == "via":
                self.headers.extend(("via", v.strip()) for v in _split_commas(val))
            else:
                self.headers.append((name, val.strip()))
        parts = self.first.split(" ", 2)
        self.is_reply = parts[0].startswith("SIP/")
        self.status = int(parts[1]) if self.is_reply and len(parts) > 1 and \
            parts[1].isdigit() else None
        self.reason = parts[2] if self.is_reply and len(parts) > 2 else None
        self.method = None if self.is_reply else parts[0]

    def get(self, name):
        name = name.lower()
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n == name]

    def __repr__(self):
        return f"<SipMsg {self.first!r}>"


def _split_commas(val):
    out, depth, cur, quoted = [], 0, "", False
    for ch in val:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted:
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [x for x in out if x.strip()]


def parse_sip(raw):
    return SipMsg(raw)


class UdpPeer:
    """A UDP socket on 127.0.0.1:<kernel-chosen port> for hand-made SIP."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.addr = (LOOPBACK, self.port)

    def send(self, data, addr):
        check(addr[0] in (LOOPBACK, "::1"), f"refusing to send to non-loopback {addr}")
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendto(data, addr)

    def recv(self, timeout=2.0):
        """(bytes, addr) of the next datagram, or (None, None) after timeout seconds.
        ICMP port-unreachable errors from earlier sends are ignored."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            self.sock.settimeout(left)
            try:
                return self.sock.recvfrom(65535)
            except socket.timeout:
                return None, None
            except ConnectionRefusedError:
                continue

    def recv_msg(self, timeout=2.0):
        data, addr = self.recv(timeout)
        return (parse_sip(data), addr) if data is not None else (None, None)

    def expect_reply(self, timeout=2.0, skip_provisional=True):
        """The next final reply (or any reply if skip_provisional is False), else None."""
        deadline = time.monotonic() + timeout
        while True:
            msg, _ = self.recv_msg(max(0.0, deadline - time.monotonic()))
            if msg is None:
                return None
            if msg.is_reply and (not skip_provisional or (msg.status or 0) >= 200):
                return msg

    def drain(self, wait=0.2):
        got = []
        while True:
            data, _ = self.recv(wait)
            if data is None:
                return got
            got.append(data)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def options_ping(server_addr, timeout=2.0):
    """Sends one OPTIONS to sip:<server> and returns the final reply (SipMsg) or None."""
    with UdpPeer() as p:
        host, port = server_addr
        p.send(build_request("OPTIONS", f"sip:{host}:{port}", p.port), server_addr)
        return p.expect_reply(timeout)


# ---------------------------------------------------------------- sipp
def read_trace_stat(path):
    """Last row of a sipp -trace_stat csv as {column: str}; {} if absent/empty."""
    try:
        with open(path, newline="", errors="replace") as f:
            rows = list(csv.reader(f, delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    header, last = rows[0], rows[-1]
    return {h: v for h, v in zip(header, last) if h}


class SippResult:
    def __init__(self, rc, out_path, stat):
        self.rc = rc
        self.out_path = out_path
        self.stat = stat

    def count(self, col):
        v = self.stat.get(col, "")
        try:
            return int(float(v))
        except ValueError:
            return None

    @property
    def successful(self):
        return self.count("SuccessfulCall(C)")

    @property
    def failed(self):
        return self.count("FailedCall(C)")

    @property
    def created(self):
        return self.count("TotalCallCreated")

    def output_tail(self, n=25):
        try:
            with open(self.out_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def describe(self):
        return (f"sipp rc={self.rc} created={self.created} ok={self.successful} "
                f"failed={self.failed} (output {self.out_path})")


def _sipp_cmd(args, calls, hard_timeout, name, buff_size):
    d = unique_path(f"sipp-{name}")
    os.makedirs(d)
    stf = os.path.join(d, "stat.csv")
    cmd = ["timeout", "-k", "5", str(int(hard_timeout)), "sipp", *args,
           "-m", str(calls), "-timeout", f"{int(hard_timeout) - 5}s",
           "-nostdin", "-buff_size", str(buff_size),
           "-trace_stat", "-stf", stf, "-fd", "1", "-trace_err"]
    return cmd, d, stf


def sipp(remote, *args, calls, hard_timeout=60, name="uac", buff_size=1 << 21):
    """Runs sipp (client side) against remote=(host, port) until `calls` calls ended, or
    `hard_timeout` s (sipp -timeout 5 s earlier, then coreutils timeout -k).  Returns
    SippResult with the parsed -trace_stat counts."""
    check(remote[0] in (LOOPBACK, "::1"), f"sipp to non-loopback {remote}")
    check(hard_timeout > 5, "hard_timeout must exceed 5 s")
    if "-p" not in args:  # sipp's default local port is 5060, which tests must not use
        args = ("-p", str(free_udp_port()), *args)
    cmd, d, stf = _sipp_cmd([f"{remote[0]}:{remote[1]}", "-i", LOOPBACK, *args], calls,
                            hard_timeout, name, buff_size)
    out = os.path.join(d, "sipp.out")
    with open(out, "wb") as f:
        f.write((" ".join(cmd) + "\n").encode())
        f.flush()
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=d,
                            stdin=subprocess.DEVNULL).returncode
    return SippResult(rc, out, read_trace_stat(stf))


class SippUas:
    """Background sipp server (default `-sn uas`) on 127.0.0.1:<free port>, bounded by -m
    `calls` and `hard_timeout` s.  wait() returns its SippResult."""

    def __init__(self, *args, calls, hard_timeout=90, name="uas", port=None,
                 buff_size=1 << 21):
        self.port = port or free_udp_port()
        args = args or ("-sn", "uas")
        cmd, self.dir, self.stf = _sipp_cmd(["-i", LOOPBACK, "-p", str(self.port), *args],
                                            calls, hard_timeout, name, buff_size)
        self.out = os.path.join(self.dir, "sipp.out")
        self.f = open(self.out, "wb")
        self.f.write((" ".join(cmd) + "\n").encode())
        self.f.flush()
        self.proc = subprocess.Popen(cmd, stdout=self.f, stderr=subprocess.STDOUT,
                                     cwd=self.dir, stdin=subprocess.DEVNULL)
        # ready when its UDP port is bound
        if not wait_until(lambda: udp_port_bound(self.port) or self.proc.poll() is not None,
                          10) or self.proc.poll() is not None:
            self.stop()
            raise TestFailure(f"sipp UAS did not start (output {self.out})")

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            rc = self.proc.returncode
        self.f.close()
        return SippResult(rc, self.out, read_trace_stat(self.stf))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # coreutils timeout forwards it to sipp
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def scenario(name):
    return os.path.join(SCENARIOS, name)


def run(cmd, timeout, **kw):
    """subprocess.run with a hard timeout (coreutils timeout -k as a second bound)."""
    full = ["timeout", "-k", "3", str(int(timeout)), *cmd]
    return subprocess.run(full, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=timeout + 10, **kw)
