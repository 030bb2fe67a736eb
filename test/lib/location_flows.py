"""Registrar and location-service flows around sipline (issue 6): the registrar + proxy script
without authentication (cfg/examples/registrar-proxy.routes) with usrloc and registrar
loaded, phones that register by hand (exact headers, RFC 3261 §10), and what the server
holds (MI, statistics).

  location_modules(usrloc, registrar, tm, db)   the settings' modules group: sl, tm (short
                                 timers), rr, maxfwd, sanity, [db_postgres], usrloc, registrar
  registrar_server(...)          a Server (not started) running registrar-proxy.routes (or `routes`)
                                 with those modules; `aliases` adds names that mean "myself"
  Phone(server_addr, user)       a UdpPeer that registers: register(contacts, expires, ...)
                                 keeps its Call-ID and raises its CSeq like a real UA
                                 (RFC 3261 §10.2.4); query(), unregister_all()
  register_from(srv, user, port) registers <sip:user@127.0.0.1:port> from that port (then a
                                 sipp callee takes the port)
  contacts_of(reply)             the Contact values of a reply as [Binding(uri, params)]
  register_users(...), reach_users(...)   sipp runs of loc_register.xml / loc_uac_options.xml
                                 (one user per call, bounded rate)
  ul_contacts(srv, aor)          the AOR's contacts as the server's MI shows them
  ul_dump(srv), ul_counts(srv)   the table as MI ul_dump shows it / (users, contacts)
  check_workers_answer(srv)      every UDP worker is free: keepalive OPTIONS all answered fast
  check_server_stops_cleanly(srv)

Everything stays on 127.0.0.1 and every run is bounded in count and time.
"""

import os
import random
import socket
import threading
import time

from harness import (LOOPBACK, ROOT, MIError, Server, TestFailure, UdpPeer, build_request,
                     check, check_eq, new_branch, scenario, sipp, wait_until)
from sipp_flows import TM_TIMERS, shipped_routes

ROUTES_DIR = os.path.join(ROOT, "cfg")
REDIRECT_ROUTES = os.path.join(ROUTES_DIR, "examples", "redirect.routes")
REGISTRAR_ROUTES = os.path.join(ROUTES_DIR, "examples", "registrar.routes")

# Short expiry sweeps so that tests of expiry stay short (usrloc timer_interval, seconds).
USRLOC_DEFAULTS = {"db_mode": "memory", "timer_interval": 1}
REGISTRAR_DEFAULTS = {"default_expires": 3600, "min_expires": 10, "max_expires": 7200,
                      "max_contacts": 10}


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def group(params):
    """A libconfig group body from a dict: {'a': 1, 'b': "x"} -> 'a = 1; b = "x";'."""
    return " ".join(f"{k} = {_value(v)};" for k, v in params.items())


def location_modules(usrloc=None, registrar=None, tm=None, db=False):
    """The modules group for a registrar + proxy: sl, tm (TM_TIMERS updated with `tm`), rr,
    maxfwd, sanity, db_postgres when `db`, usrloc (USRLOC_DEFAULTS updated with `usrloc`),
    registrar (REGISTRAR_DEFAULTS updated with `registrar`). A value None drops the parameter."""
    tm_params = dict(TM_TIMERS)
    tm_params.update(tm or {})
    ul = dict(USRLOC_DEFAULTS)
    ul.update(usrloc or {})
    reg = dict(REGISTRAR_DEFAULTS)
    reg.update(registrar or {})
    ul = {k: v for k, v in ul.items() if v is not None}
    reg = {k: v for k, v in reg.items() if v is not None}
    out = (f"sl = {{}}; tm = {{ {group(tm_params)} }}; rr = {{}}; maxfwd = {{}}; "
           f"sanity = {{ proxy_require = \"\"; }}; ")
    if db:
        out += "db_postgres = {}; "
    out += f"usrloc = {{ {group(ul)} }}; registrar = {{ {group(reg)} }};"
    return out


def read_routes(path):
    with open(path) as f:
        return f.read()


def registrar_server(routes=None, usrloc=None, registrar=None, tm=None, aliases=(),
                     name="registrar", extra_settings="", **kw):
    """A Server (not started) running `routes` (default: examples/registrar-proxy.routes) with
    location_modules(); the DB module is loaded when usrloc has a db_url.  `aliases` are
    names the server takes as its own (RFC 4475 messages are for example.com)."""
    text = routes if routes is not None else shipped_routes()
    db = bool(usrloc and usrloc.get("db_url"))
    kw.setdefault("modules", location_modules(usrloc, registrar, tm, db))
    if aliases:
        listed = ", ".join(f'"{a}"' for a in aliases)
        extra_settings = f"alias = [ {listed} ];\n{extra_settings}"
    return Server(routes=text, name=name, extra_settings=extra_settings, **kw)


# ---------------------------------------------------------------- parsing contacts
class Binding:
    """One Contact value of a reply: uri (between <>, or the bare URI) and its header
    parameters (lower-case names; a parameter without value maps to "")."""

    def __init__(self, uri, params):
        self.uri = uri
        self.params = params

    @property
    def expires(self):
        v = self.params.get("expires")
        return int(v) if v is not None and v.isdigit() else None

    @property
    def q(self):
        v = self.params.get("q")
        return float(v) if v not in (None, "") else None

    def __repr__(self):
        return f"<Binding {self.uri} {self.params}>"


def split_top_level(text, sep):
    """Splits at `sep` outside quotes and <>."""
    out, cur, depth, quoted = [], "", 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted:
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [x.strip() for x in out if x.strip()]


def parse_contact_value(value):
    """Binding of one contact-param: name-addr (with <>) or addr-spec (header params after
    the first ';' belong to the header, RFC 3261 §20.10)."""
    value = value.strip()
    if "<" in value:
        start = value.index("<")
        end = value.index(">", start)
        uri = value[start + 1:end]
        rest = value[end + 1:]
    else:
        parts = value.split(";", 1)
        uri, rest = parts[0], (";" + parts[1] if len(parts) > 1 else "")
    params = {}
    for p in split_top_level(rest, ";"):
        name, _, val = p.partition("=")
        params[name.strip().lower()] = val.strip()
    return Binding(uri.strip(), params)


def contacts_of(msg):
    """Every Contact value of SipMsg `msg` (all Contact / m headers, commas split)."""
    out = []
    for line in msg.all("contact"):
        if line.strip() == "*":
            out.append(Binding("*", {}))
            continue
        out.extend(parse_contact_value(v) for v in split_top_level(line, ","))
    return out


def binding_for(msg, uri):
    """The Binding of `uri` in the reply, or None."""
    for b in contacts_of(msg):
        if b.uri == uri:
            return b
    return None


# ---------------------------------------------------------------- a registering phone
class Phone(UdpPeer):
    """A UA on 127.0.0.1:<free port> that registers `user` at the server.  One Call-ID for all
    its REGISTERs, CSeq raised by one each time (RFC 3261 §10.2.4), as a phone does."""

    def __init__(self, server_addr, user, domain=None, port=None):
        if port is None:
            super().__init__()
        else:  # a given port: the phone that will answer there registers from it first
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((LOOPBACK, port))
            self.port = port
            self.addr = (LOOPBACK, port)
        self.server = server_addr
        self.user = user
        self.domain = domain or f"{server_addr[0]}:{server_addr[1]}"
        self.call_id = f"reg-{random.getrandbits(48):012x}@{LOOPBACK}"
        self.cseq = 0
        self.tag = f"{random.getrandbits(32):08x}"

    def contact(self, name=None, port=None, params=""):
        """<sip:NAME@127.0.0.1:PORT> (defaults: this phone's user and port) plus params."""
        return f"<sip:{name or self.user}@{LOOPBACK}:{port or self.port}>{params}"

    def register_request(self, contacts=(), expires=None, extra=(), call_id=None, cseq=None,
                         ruri=None, to=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        aor = to or f"sip:{self.user}@{self.domain}"
        lines = [
            f"REGISTER {ruri or 'sip:' + self.domain} SIP/2.0",
            f"Via: SIP/2.0/UDP {LOOPBACK}:{self.port};branch={new_branch()};rport",
            "Max-Forwards: 70",
            f"From: <{aor}>;tag={self.tag}",
            f"To: <{aor}>",
            f"Call-ID: {call_id or self.call_id}",
            f"CSeq: {cseq} REGISTER",
        ]
        lines += [f"Contact: {c}" for c in contacts]
        if expires is not None:
            lines.append(f"Expires: {expires}")
        lines += list(extra)
        lines += ["User-Agent: sipline-test-phone", "Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def register(self, contacts=(), expires=None, extra=(), call_id=None, cseq=None,
                 timeout=3.0, ruri=None, to=None):
        """Sends one REGISTER and returns the final reply (SipMsg); fails the test when none
        comes within `timeout` s."""
        self.drain(0)
        self.send(self.register_request(contacts, expires, extra, call_id, cseq, ruri, to),
                  self.server)
        reply = self.expect_reply(timeout)
        check(reply is not None, f"no reply to the REGISTER of {self.user} within {timeout}s")
        return reply

    def query(self, **kw):
        """A REGISTER without Contact (RFC 3261 §10.2.3): the current bindings."""
        return self.register((), **kw)

    def unregister_all(self, **kw):
        """Contact: * with Expires: 0 (RFC 3261 §10.2.2)."""
        return self.register(("*",), expires=0, **kw)

    def drain(self, wait=0.2):
        return super().drain(wait) if wait else self._drain_now()

    def _drain_now(self):
        self.sock.setblocking(False)
        try:
            while True:
                try:
                    self.sock.recvfrom(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
        finally:
            self.sock.setblocking(True)
        return []


def register_from(srv, user, port, expires=600, params=""):
    """Registers `user` with the Contact <sip:user@127.0.0.1:port> sent from that very port,
    as the phone that will answer there would (so the source is the Contact and no received
    address is stored); the port is free again afterwards for a sipp callee.  Returns the
    200."""
    with Phone(srv.addr, user, port=port) as p:
        reply = p.register([p.contact(user, port, params)], expires=expires)
        check_status(reply, 200, f"REGISTER of {user} from port {port}")
        return reply


def check_status(reply, status, what):
    check(reply is not None, f"{what}: no reply")
    if reply.status != status:
        raise TestFailure(f"{what}: expected {status}, got {reply.first!r}\n"
                          f"{reply.raw.decode('utf-8', 'replace')}")


def check_bindings(reply, uris, what):
    """The 200 lists exactly `uris` (in any order), each with an expires parameter."""
    got = contacts_of(reply)
    check_eq(sorted(b.uri for b in got), sorted(uris), f"{what}: bindings in the 200")
    for b in got:
        check(b.expires is not None, f"{what}: binding {b.uri} without ;expires= ({b.params})")


# ---------------------------------------------------------------- sipp runs (bulk)
def register_users(server_port, users, contact_port, expires=300, prefix="u", rate=500,
                   limit=200, hard_timeout=60, name="register"):
    """REGISTERs sip:<prefix>1 ... <prefix><users> with sipp (loc_register.xml) at `rate` per
    second (at most `limit` open at once), each Contact at 127.0.0.1:contact_port.
    Returns the SippResult."""
    return sipp((LOOPBACK, server_port), "-sf", scenario("loc_register.xml"),
                "-key", "aor_prefix", prefix, "-key", "contact_port", str(contact_port),
                "-key", "expires", str(expires), "-r", str(rate), "-rp", "1000",
                "-l", str(limit), "-trace_counts", calls=users, hard_timeout=hard_timeout,
                name=name)


def reach_users(server_port, users, prefix="u", rate=500, limit=200, hard_timeout=60,
                name="reach"):
    """OPTIONS to sip:<prefix>1 ... <prefix><users> through the server's lookup
    (loc_uac_options.xml); a call succeeds only on the phone's 200.  Returns the
    SippResult."""
    return sipp((LOOPBACK, server_port), "-sf", scenario("loc_uac_options.xml"),
                "-key", "aor_prefix", prefix, "-r", str(rate), "-rp", "1000", "-l", str(limit),
                "-trace_counts", calls=users, hard_timeout=hard_timeout, name=name)


def check_all_calls(result, n, what):
    if result.successful != n or result.failed not in (0, None):
        raise TestFailure(f"{what}: expected {n} successful, {result.describe()}\n"
                          f"{result.output_tail(30)}")


# ---------------------------------------------------------------- what the server holds (MI)
def _mi(srv, method, params=None):
    return srv.mi(method, params)


def ul_contacts(srv, aor, table="location"):
    """The AOR's contacts as MI ul_show_contact returns them: dicts with "contact" (the URI),
    "expires" (seconds left), "q", "callid", ...; [] when the AOR has none."""
    try:
        res = _mi(srv, "ul_show_contact", {"table": table, "aor": aor})
    except MIError as e:
        if "not found" in str(e.error).lower():
            return []
        raise
    check(isinstance(res, dict) and isinstance(res.get("contacts"), list),
          f"ul_show_contact returned {res!r}")
    return res["contacts"]


def ul_dump(srv, table="location"):
    """MI ul_dump of one table: {aor: [contact dicts]}."""
    res = _mi(srv, "ul_dump", {"table": table})
    check(isinstance(res, dict) and isinstance(res.get("tables"), list) and
          len(res["tables"]) == 1, f"ul_dump returned {str(res)[:300]}")
    t = res["tables"][0]
    check_eq(t.get("table"), table, "table of ul_dump")
    return {a["aor"]: a["contacts"] for a in t.get("aors", [])}


def ul_counts(srv, table="location"):
    """(users, contacts) of the table as MI ul_dump counts them."""
    res = _mi(srv, "ul_dump", {"table": table})
    t = res["tables"][0]
    return int(t["users"]), int(t["contacts"])


# ---------------------------------------------------------------- the server stays healthy
def _ping(server_addr, results, idx, timeout):
    with UdpPeer() as p:
        t0 = time.monotonic()
        p.send(build_request("OPTIONS", f"sip:{server_addr[0]}:{server_addr[1]}", p.port),
               server_addr)
        r = p.expect_reply(timeout)
        results[idx] = (time.monotonic() - t0) if r is not None and r.status == 200 else None


def check_workers_answer(srv, pings=None, timeout=1.0):
    """Sends keepalive OPTIONS (answered by the script without touching usrloc) from several
    peers at once, twice as many as there are UDP workers: every one must be answered 200
    within `timeout` s, so no worker is stuck (the UDP workers share one socket)."""
    workers = len(srv.pids_by_role().get("udp-worker", [])) or 2
    n = pings or 2 * workers
    results = [None] * n
    threads = [threading.Thread(target=_ping, args=(srv.addr, results, i, timeout))
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 2)
    late = [i for i, r in enumerate(results) if r is None]
    check(not late, f"{len(late)} of {n} keepalive OPTIONS unanswered within {timeout}s "
                    f"(a stuck worker?)")


def check_server_stops_cleanly(srv):
    """SIGTERM: exit 0 within the stop timeout, every child gone (harness Server.stop)."""
    check_eq(srv.stop(), 0, "exit status after SIGTERM")


def wait_for(pred, timeout, what, interval=0.1):
    """wait_until that fails the test with `what` when pred() stays false."""
    v = wait_until(pred, timeout, interval)
    check(v, f"{what} (waited {timeout}s)")
    return v


def raw_udp_exchange(server_addr, data, timeout=2.0):
    """Sends `data` from a fresh peer and returns the first final reply (or None)."""
    with UdpPeer() as p:
        p.send(data, server_addr)
        return p.expect_reply(timeout)
