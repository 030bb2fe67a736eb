"""NAT traversal through a real NAT (issue 12, deliverable 4).

Three network namespaces (test/lib/netns.py): the server listens on 203.0.113.1 in "wan";
a phone in "lan" (192.168.77.2) reaches it only through the router "nat", which masquerades
with random source ports and has no SIP conntrack helper, so only Sipline's nathelper can fix
what the phone writes. The phone is a UDP socket made inside "lan" by this process, speaking
SIP by hand; callers are sockets in "wan".

  registration: the location table holds the NAT's public address and mapped port;
  incoming call: an INVITE reaches the phone through the pinhole its REGISTER opened and its
                 200 gets back to the caller (ACK and BYE too, through Record-Route);
  keepalives:    with the router's UDP timeout cut to a few seconds, nathelper's pings (CRLF,
                 or OPTIONS for contacts with sipping_bflag) keep the pinhole open; without
                 them the call no longer arrives (the control);
  media:         rtpengine (userspace, in "wan") relays RTP between a caller in "wan" and the
                 phone; the script calls rtpengine_manage() for calls to NATed contacts, and
                 packets are counted on both sides.

Only where namespaces cannot be created (not root, no ip or nft) are the tests skipped.
"""

import random
import time

import netns
from harness import (build_request, check, check_eq, new_branch, new_callid,
                     parse_sip, reply_to, test_tmpdir, wait_until)
from location_flows import location_modules, registrar_server, ul_dump
from rtpengine_daemon import RtpEngine

WAITS = True  # the keepalive tests wait for the router to forget pinholes

NAT_BFLAG = 6
SIPPING_BFLAG = 7

ROUTES = """\
#!define NAT_BFLAG @NAT_BFLAG@
#!define SIPPING_BFLAG @SIPPING_BFLAG@

route {
  # replies go back to where the request came from (RFC 3581), not to the private Via
  force_rport();
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      @MEDIA_IN_DIALOG@
      t_relay();
    } else if (!is_method("ACK")) {
      sl_send_reply(404, "Not Here");
    }
    exit;
  }
  if (is_method("REGISTER")) {
    if (nat_uac_test("private-contact|via-differs")) {
      fix_nated_register();
      setbflag(NAT_BFLAG);
      @SIPPING@
    }
    save("location");
    exit;
  }
  if (is_method("INVITE")) {
    if (!lookup("location")) {
      sl_send_reply(404, "Not Found");
      exit;
    }
    if (nat_uac_test("private-contact|via-differs")) {
      fix_nated_contact();
    }
    if (isbflagset(NAT_BFLAG)) {
      # the callee registered from behind a NAT (lookup() restored the flag)
      @MEDIA_OFFER@
      t_on_reply("callee_nated");
    }
    record_route();
    t_relay();
    exit;
  }
  sl_send_reply(405, "Method Not Allowed");
}

onreply_route {
  # the callee behind the NAT: its 200's Contact names the public address
  if (nat_uac_test("private-contact")) {
    fix_nated_contact();
  }
}

onreply_route[callee_nated] {
  @MEDIA_ANSWER@
}
"""

# The keepalive timer's parameters (modules/nathelper README); natping_interval 0: no pings.
NATPING = {"natping_interval": 1, "ping_nated_only": True, "nat_bflag": NAT_BFLAG,
           "sipping_bflag": SIPPING_BFLAG, "max_pings_lost": 0}


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v) + '"'


# rtpengine_manage(): offer on the INVITE, answer on its replies with SDP, delete on the BYE
MEDIA_RTPENGINE = {
    "MEDIA_OFFER": 'rtpengine_manage("replace-origin replace-session-connection");',
    "MEDIA_ANSWER": 'rtpengine_manage("replace-origin replace-session-connection");',
    "MEDIA_IN_DIALOG": 'if (is_method("BYE")) { rtpengine_manage(); }',
}


def nat_server(topo, nathelper=None, sipping=False, media=None, rtpengine_sock=None):
    """A registrar + proxy (ROUTES) listening on the WAN address inside topo's "wan";
    `media` fills the script's media-relay calls (MEDIA_RTPENGINE), `rtpengine_sock` loads
    the rtpengine module."""
    params = " ".join(f"{k} = {_value(v)};" for k, v in (nathelper or {}).items())
    # store_received off: only fix_nated_register() can make the binding's address public
    modules = location_modules(tm={"fr_timeout": 2, "fr_inv_timeout": 6},
                               registrar={"store_received": "off"}) + \
        f" nathelper = {{ {params} }};"
    if rtpengine_sock:
        modules += f' rtpengine = {{ rtpengine_sock = "{rtpengine_sock}"; }};'
    routes = ROUTES
    for key in ("MEDIA_OFFER", "MEDIA_ANSWER", "MEDIA_IN_DIALOG"):
        routes = routes.replace(f"@{key}@", (media or {}).get(key, ""))
    routes = (routes.replace("@NAT_BFLAG@", str(NAT_BFLAG))
              .replace("@SIPPING_BFLAG@", str(SIPPING_BFLAG))
              .replace("@SIPPING@", "setbflag(SIPPING_BFLAG);" if sipping else ""))
    return registrar_server(routes=routes, modules=modules, name="nat", netns=topo.wan,
                            host=netns.WAN_ADDR)


# ---------------------------------------------------------------- the phone behind the NAT
class Phone:
    """alice on a UDP socket in "lan" at 192.168.77.2: she writes her private address in Via
    and Contact, as a phone behind a NAT does, and answers what reaches her."""

    def __init__(self, topo, srv, user="alice"):
        self.peer = topo.lan_peer()
        self.srv = srv
        self.user = user
        self.contact = f"sip:{user}@{netns.LAN_ADDR}:{self.peer.port}"
        self.call_id = new_callid()
        self.cseq = 0
        self.seen = []  # every datagram that reached the phone, in order

    @property
    def aor_uri(self):
        return f"sip:{self.user}@{self.srv.host}"

    def register(self, expires=600):
        self.cseq += 1
        host, port = self.srv.addr
        req = build_request(
            "REGISTER", f"sip:{host}:{port}", self.peer.port,
            # no rport: the phone knows nothing of the NAT; force_rport() must route the reply
            via=f"SIP/2.0/UDP {netns.LAN_ADDR}:{self.peer.port};branch={new_branch()}",
            call_id=self.call_id, cseq=f"{self.cseq} REGISTER",
            extra=[f"Contact: <{self.contact}>", f"Expires: {expires}"],
            omit=("Contact", "From", "To"))
        tag = f"{random.getrandbits(32):08x}"
        req = req.replace(b"Max-Forwards: 70\r\n",
                          f"Max-Forwards: 70\r\nFrom: <{self.aor_uri}>;tag={tag}\r\n"
                          f"To: <{self.aor_uri}>\r\n".encode())
        self.peer.send(req, self.srv.addr)
        reply = self.peer.expect_reply(3.0)
        check(reply is not None, "no reply to the REGISTER from behind the NAT")
        check_eq(reply.status, 200, "REGISTER reply")
        return reply

    def recv(self, timeout):
        """The next SipMsg (None after timeout s); keepalives are recorded and skipped."""
        deadline = time.monotonic() + timeout
        while True:
            data, src = self.peer.recv(max(0.0, deadline - time.monotonic()))
            if data is None:
                return None
            self.seen.append(data)
            if not data.strip():
                continue  # a CRLF keepalive
            msg = parse_sip(data)
            if not msg.is_reply and msg.method == "OPTIONS":
                self.peer.send(reply_to(msg, 200, "OK", tag="phone"), src)
                continue
            return msg

    def listen(self, seconds):
        """Stays reachable for `seconds` (answers OPTIONS pings); returns other messages."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self.recv(deadline - time.monotonic())
            if msg is not None:
                got.append(msg)
        return got

    def crlf_pings(self):
        return sum(1 for d in self.seen if d in (b"\r\n\r\n", b"\r\n"))

    def options_pings(self):
        return sum(1 for d in self.seen if d.startswith(b"OPTIONS "))

    def close(self):
        self.peer.close()


def location_entry(srv, phone):
    """The phone's one binding in MI ul_dump (the AOR is whatever key names alice)."""
    table = ul_dump(srv)
    aors = [a for a in table if a.split("@")[0].endswith(phone.user)]
    check_eq(len(aors), 1, f"AORs for {phone.user} in {sorted(table)}")
    contacts = table[aors[0]]
    check_eq(len(contacts), 1, f"contacts of {aors[0]}")
    return contacts[0]


def mapped_source(topo, phone):
    """The router's mapping of the phone's socket: (public address, port) as conntrack shows
    it, or None when the kernel has no /proc/net/nf_conntrack."""
    for line in topo.conntrack("udp"):
        if f"src={netns.LAN_ADDR} " in line and f"sport={phone.peer.port} " in line:
            fields = line.split()
            reply_dir = fields[fields.index(f"sport={phone.peer.port}") + 1:]
            dports = [f for f in reply_dir if f.startswith("dport=")]
            if len(dports) >= 2:
                return netns.NAT_WAN, int(dports[1].split("=")[1])
    return None


# ---------------------------------------------------------------- a caller on the WAN side
def invite(caller, srv, user="alice"):
    host, port = srv.addr
    req = build_request(
        "INVITE", f"sip:{user}@{host}:{port}", caller.port,
        via=f"SIP/2.0/UDP {caller.addr[0]}:{caller.port};branch={new_branch()};rport",
        extra=[f"Contact: <sip:bob@{caller.addr[0]}:{caller.port}>"], omit=("Contact",))
    req = req.replace(f"@127.0.0.1:{caller.port}>".encode(),
                      f"@{caller.addr[0]}:{caller.port}>".encode())
    caller.send(req, srv.addr)
    return parse_sip(req)


def phone_answers(phone, inv, status=200, reason="OK"):
    """The phone's reply to the INVITE it got (Contact: its private address)."""
    raw = reply_to(inv, status, reason, tag="phone").replace(
        b"Contact: <sip:bob@127.0.0.1>", f"Contact: <{phone.contact}>".encode())
    phone.peer.send(raw, phone.srv.addr)


def call_through_pinhole(srv, phone, topo):
    """A call from "wan" reaches the phone and its 200 reaches the caller; the ACK and the BYE
    follow the Record-Route through the server to the phone."""
    with topo.wan_peer() as caller:
        sent = invite(caller, srv)
        inv = phone.recv(4.0)
        check(inv is not None and inv.method == "INVITE",
              f"the INVITE did not reach the phone behind the NAT (got {inv!r})")
        check(inv.first.startswith(f"INVITE {phone.contact} "), f"request line {inv.first}")
        phone_answers(phone, inv)
        final = caller.expect_reply(4.0)
        check(final is not None and final.status == 200, f"caller got {final!r}")
        contact = final.get("contact")
        check(netns.LAN_ADDR not in contact and netns.NAT_WAN in contact,
              f"the 200's Contact is not the public address: {contact}")
        # in-dialog requests: Route = the Record-Route, request-URI = the fixed Contact
        routes = final.all("record-route")
        check(routes, "no Record-Route in the 200")
        to = final.get("to")
        target = contact.strip("<>").split(">")[0]
        for method, cseq in (("ACK", "1 ACK"), ("BYE", "2 BYE")):
            req = build_request(
                method, target, caller.port, call_id=sent.get("call-id"), cseq=cseq,
                via=f"SIP/2.0/UDP {caller.addr[0]}:{caller.port};branch={new_branch()};rport",
                extra=[f"Route: {r}" for r in routes], omit=("From", "To", "Contact"))
            req = req.replace(b"Max-Forwards: 70\r\n",
                              f"Max-Forwards: 70\r\nFrom: {sent.get('from')}\r\n"
                              f"To: {to}\r\n".encode())
            caller.send(req, srv.addr)
            got = phone.recv(4.0)
            check(got is not None and got.method == method,
                  f"the {method} did not reach the phone (got {got!r})")
        phone.peer.send(reply_to(got, 200, "OK", tag="phone"), srv.addr)
        bye_ok = caller.expect_reply(4.0)
        check(bye_ok is not None and bye_ok.status == 200, f"BYE answered {bye_ok!r}")


def topology(**kw):
    netns.skip_unless_available()
    return netns.Topology(**kw)


# ---------------------------------------------------------------- tests
def test_register_from_behind_nat_stores_the_public_address():
    with topology() as topo, nat_server(topo) as srv:
        phone = Phone(topo, srv)
        try:
            reply = phone.register()
            check(phone.contact in (reply.get("contact") or ""),
                  f"200 Contact: {reply.get('contact')}")
            entry = location_entry(srv, phone)
            check_eq(entry.get("contact"), phone.contact, "stored Contact URI")
            received = entry.get("received") or ""
            check(netns.NAT_WAN in received and netns.LAN_ADDR not in received,
                  f"received is not the NAT's public address: {entry}")
            port = int(received.rsplit(":", 1)[1].split(";")[0])
            check(port != phone.peer.port, f"received port {port} is the phone's own port "
                  "(the NAT maps ports at random: the test would not tell them apart)")
            mapped = mapped_source(topo, phone)
            if mapped is not None:
                check_eq((netns.NAT_WAN, port), mapped, "received vs the router's mapping")
            # the kernel's SIP helper would rewrite the Contact itself: never attached
            check("helper" not in topo.ruleset(), f"router ruleset: {topo.ruleset()}")
            check(int(entry.get("cflags") or entry.get("flags") or 0) & (1 << NAT_BFLAG),
                  f"NAT_BFLAG not stored with the contact: {entry}")
        finally:
            phone.close()


def test_incoming_call_reaches_the_phone_through_the_pinhole():
    with topology() as topo, nat_server(topo) as srv:
        phone = Phone(topo, srv)
        try:
            phone.register()
            call_through_pinhole(srv, phone, topo)
        finally:
            phone.close()


# The router forgets an idle UDP mapping after PINHOLE_S; the tests wait WAIT_S.
PINHOLE_S = 3
WAIT_S = 3 * PINHOLE_S


def _call_outcome(srv, phone, topo):
    """(INVITE reached the phone, final status the caller got)."""
    with topo.wan_peer() as caller:
        invite(caller, srv)
        inv = phone.recv(4.0)
        if inv is not None and inv.method == "INVITE":
            phone_answers(phone, inv, 486, "Busy Here")
        final = caller.expect_reply(10.0)
        return inv is not None and inv.method == "INVITE", final.status if final else None


def test_crlf_keepalives_keep_the_pinhole_open():
    with topology(udp_timeout=PINHOLE_S, udp_timeout_stream=PINHOLE_S) as topo, \
            nat_server(topo, NATPING) as srv:
        phone = Phone(topo, srv)
        try:
            phone.register()
            idle = phone.listen(WAIT_S)
            check(not idle, f"unexpected requests while idle: {idle}")
            check(phone.crlf_pings() >= WAIT_S - 2,
                  f"{phone.crlf_pings()} CRLF keepalives in {WAIT_S}s at natping_interval 1")
            check_eq(phone.options_pings(), 0, "OPTIONS pings to a contact without sipping")
            reached, status = _call_outcome(srv, phone, topo)
            check(reached, f"the INVITE did not reach the phone after {WAIT_S}s "
                  f"(caller got {status})")
            check_eq(status, 486, "the phone's answer at the caller")
            sent = srv.stat("nathelper:natping_crlf_sent")
            check(sent >= phone.crlf_pings(), f"nathelper:natping_crlf_sent = {sent}, the "
                  f"phone got {phone.crlf_pings()}")
        finally:
            phone.close()


def test_sip_options_keepalives_keep_the_pinhole_open():
    # max_pings_lost 2: the phone answers, so its contact stays
    with topology(udp_timeout=PINHOLE_S, udp_timeout_stream=PINHOLE_S) as topo, \
            nat_server(topo, dict(NATPING, max_pings_lost=2), sipping=True) as srv:
        phone = Phone(topo, srv)
        try:
            phone.register()
            idle = phone.listen(WAIT_S)
            check(not idle, f"unexpected requests while idle: {idle}")
            check(phone.options_pings() >= WAIT_S - 2,
                  f"{phone.options_pings()} OPTIONS keepalives in {WAIT_S}s")
            reached, status = _call_outcome(srv, phone, topo)
            check(reached, f"the INVITE did not reach the phone (caller got {status})")
            check_eq(status, 486, "the phone's answer at the caller")
            st = srv.stats(["nathelper:"])
            check(st.get("nathelper:natping_sip_sent", 0) >= phone.options_pings(),
                  f"statistics {st}, the phone got {phone.options_pings()} OPTIONS")
            check(st.get("nathelper:natping_answered", 0) >= phone.options_pings() - 2,
                  f"answered keepalives not counted: {st}")
        finally:
            phone.close()


def test_unanswered_sip_keepalives_remove_the_contact():
    # the phone is gone (its pinhole still open): OPTIONS pings go unanswered
    with topology() as topo, \
            nat_server(topo, dict(NATPING, max_pings_lost=2), sipping=True) as srv:
        phone = Phone(topo, srv)
        try:
            phone.register()
            location_entry(srv, phone)
            def silent_until_removed():
                phone.peer.drain(0.05)  # read and ignore the pings
                return not ul_dump(srv)
            gone = wait_until(silent_until_removed, 12.0, 0.2)
            check(gone, f"contact still registered after 12s of unanswered pings: "
                  f"{ul_dump(srv)}")
            check(srv.stat("nathelper:natping_removed") >= 1, "natping_removed not counted")
            reached, status = _call_outcome(srv, phone, topo)
            check(not reached and status == 404, f"call after removal: reached={reached}, "
                  f"caller got {status} (expected 404)")
        finally:
            phone.close()


def test_without_keepalives_the_pinhole_closes():
    # the control: same topology and wait, pings off; proves the NAT really forgets
    with topology(udp_timeout=PINHOLE_S, udp_timeout_stream=PINHOLE_S) as topo, \
            nat_server(topo, dict(NATPING, natping_interval=0)) as srv:
        phone = Phone(topo, srv)
        try:
            phone.register()
            check(mapped_source(topo, phone) is not None or not topo.conntrack("udp"),
                  "no conntrack entry for the phone right after REGISTER")
            phone.listen(WAIT_S)
            check_eq(len(phone.seen), 0, "datagrams at the phone with pings off")
            check(mapped_source(topo, phone) is None,
                  f"the router still maps the phone after {WAIT_S}s: {topo.conntrack()}")
            reached, status = _call_outcome(srv, phone, topo)
            check(not reached, "the INVITE reached the phone through an expired pinhole")
            check(status in (408, 480, 503), f"caller got {status} (expected 408/480/503)")
        finally:
            phone.close()


# ---------------------------------------------------------------- media through the relay
def sdp(addr, port, sess=1):
    return (f"v=0\r\no=- {sess} 1 IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n").encode()


def sdp_media(body):
    """(c= address, first m=audio port) of an SDP body."""
    text = body.decode(errors="replace")
    addr = [ln.split()[-1] for ln in text.split("\r\n") if ln.startswith("c=")]
    ports = [int(ln.split()[1]) for ln in text.split("\r\n") if ln.startswith("m=audio ")]
    check(addr and ports, f"SDP without c= or m=audio: {text!r}")
    return addr[-1], ports[0]


def with_body(raw, body):
    """A message (bytes, no body yet) with an application/sdp body."""
    head = raw.split(b"Content-Length: 0\r\n\r\n")[0]
    return head + (f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n"
                   ).encode() + body


class RtpStream:
    """One side's RTP: PCMU packets (20 ms, valid RTP headers) sent to `to`; counts what
    arrives on its socket."""

    def __init__(self, peer):
        self.peer = peer
        self.peer.sock.setblocking(False)
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.sent = 0
        self.received = 0
        self.sources = set()

    def send(self, to):
        hdr = bytes([0x80, 0x00]) + self.seq.to_bytes(2, "big") + \
            self.ts.to_bytes(4, "big") + self.ssrc.to_bytes(4, "big")
        self.peer.send(hdr + b"\xff" * 160, to)
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + 160) & 0xFFFFFFFF
        self.sent += 1

    def drain(self):
        while True:
            try:
                data, src = self.peer.sock.recvfrom(2048)
            except (BlockingIOError, ConnectionRefusedError):
                return
            if len(data) >= 12 and data[0] >> 6 == 2:
                self.received += 1
                self.sources.add(src)


def exchange_rtp(a, a_to, b, b_to, seconds):
    """Both streams send every 20 ms for `seconds` (bounded: 50 packets a second each)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        a.send(a_to)
        b.send(b_to)
        time.sleep(0.02)
        a.drain()
        b.drain()
    time.sleep(0.2)
    a.drain()
    b.drain()


def test_rtp_flows_through_the_relay_both_ways():
    with topology() as topo, \
            RtpEngine(test_tmpdir(), address=netns.WAN_ADDR, netns=topo.wan) as rtp, \
            nat_server(topo, media=MEDIA_RTPENGINE, rtpengine_sock=rtp.ng_addr) as srv:
        phone = Phone(topo, srv)
        phone_rtp = topo.lan_peer()
        caller_rtp = topo.wan_peer()
        try:
            phone.register()
            with topo.wan_peer() as caller:
                host, port = srv.addr
                req = build_request(
                    "INVITE", f"sip:alice@{host}:{port}", caller.port,
                    via=f"SIP/2.0/UDP {netns.WAN_ADDR}:{caller.port};branch={new_branch()}"
                        ";rport",
                    extra=[f"Contact: <sip:bob@{netns.WAN_ADDR}:{caller.port}>"],
                    omit=("Contact",))
                req = req.replace(f"@127.0.0.1:{caller.port}>".encode(),
                                  f"@{netns.WAN_ADDR}:{caller.port}>".encode())
                req = with_body(req, sdp(netns.WAN_ADDR, caller_rtp.port))
                caller.send(req, srv.addr)
                sent = parse_sip(req)

                inv = phone.recv(4.0)
                check(inv is not None and inv.method == "INVITE",
                      f"the INVITE did not reach the phone (got {inv!r})")
                to_relay_a = sdp_media(inv.body)
                check(to_relay_a != (netns.WAN_ADDR, caller_rtp.port),
                      f"the phone's offer still names the caller's media: {inv.body!r}")
                check_eq(to_relay_a[0], netns.WAN_ADDR, "relay address in the offer")

                ok = reply_to(inv, 200, "OK", tag="phone").replace(
                    b"Contact: <sip:bob@127.0.0.1>", f"Contact: <{phone.contact}>".encode())
                phone.peer.send(with_body(ok, sdp(netns.LAN_ADDR, phone_rtp.port, 2)),
                                srv.addr)
                final = caller.expect_reply(4.0)
                check(final is not None and final.status == 200, f"caller got {final!r}")
                to_relay_b = sdp_media(final.body)
                check(netns.LAN_ADDR not in final.body.decode(),
                      f"the private address reached the caller: {final.body!r}")
                check_eq(to_relay_b[0], netns.WAN_ADDR, "relay address in the answer")

                # the phone speaks first (it must open its pinhole; the relay learns the NAT's
                # mapping from its packets, after rtpengine's 3 s learning delay)
                ps, cs = RtpStream(phone_rtp), RtpStream(caller_rtp)
                exchange_rtp(ps, to_relay_a, cs, to_relay_b, 6.0)
                check(cs.received >= 100,
                      f"caller got {cs.received} RTP packets of the phone's {ps.sent}")
                check(ps.received >= 50,
                      f"phone got {ps.received} RTP packets of the caller's {cs.sent}")
                check_eq(cs.sources, {to_relay_b}, "the caller's RTP comes from the relay")
                check_eq(ps.sources, {to_relay_a}, "the phone's RTP comes from the relay")
                check_eq(rtp.calls(), [sent.get("call-id")], "calls at the relay")

                # BYE through the record-route: the relay forgets the call
                bye = build_request(
                    "BYE", final.get("contact").strip("<>").split(">")[0], caller.port,
                    call_id=sent.get("call-id"), cseq="2 BYE",
                    via=f"SIP/2.0/UDP {netns.WAN_ADDR}:{caller.port};branch={new_branch()}"
                        ";rport",
                    extra=[f"Route: {r}" for r in final.all("record-route")],
                    omit=("From", "To", "Contact"))
                bye = bye.replace(b"Max-Forwards: 70\r\n",
                                  f"Max-Forwards: 70\r\nFrom: {sent.get('from')}\r\n"
                                  f"To: {final.get('to')}\r\n".encode())
                caller.send(bye, srv.addr)
                got = phone.recv(4.0)
                check(got is not None and got.method == "BYE", f"phone got {got!r}")
                phone.peer.send(reply_to(got, 200, "OK", tag="phone"), srv.addr)
                bye_ok = caller.expect_reply(4.0)
                check(bye_ok is not None and bye_ok.status == 200, f"BYE answered {bye_ok!r}")
                check(wait_until(lambda: not rtp.calls(), 3.0, 0.2),
                      f"the relay still has the call after the BYE: {rtp.calls()}")
        finally:
            phone.close()
            phone_rtp.close()
            caller_rtp.close()


test_rtp_flows_through_the_relay_both_ways.timeout = 60
