"""nathelper on loopback (issue 12, step 1): a phone whose Contact names a private address
registers from a UdpPeer on 127.0.0.1 through `nat_uac_test("private-contact")` and
`fix_nated_register()`; a call for it then reaches the peer (the address the REGISTER came
from), not the private address. A relayed INVITE with a private SDP c= arrives at the UAS
rewritten by `fix_nated_sdp("rewrite-c")`, and its Contact by fix_nated_contact(). Bad flags
stop the start with the call's position. Keepalives: a NATed phone gets CRLFCRLF pings, one
with the SIP-ping flag OPTIONS that it must answer, and is removed when it stops answering.
No network namespaces here (test_nat.py has the real NAT): everything on 127.0.0.1."""

import re
import socket
import time

from harness import (LOOPBACK, Server, ServerError, UdpPeer, build_request, check, check_config,
                     check_eq, recv_request, reply_to, wait_until, write_config)
from location_flows import location_modules, registrar_server
from stream_flows import register as stream_register
from stream_peer import StreamListener, StreamPeer

ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("REGISTER")) {
    if (nat_uac_test("private-contact")) {
      fix_nated_register();
    }
    save("location");
    exit;
  }
  if (is_method("INVITE") && $rU == "alice") {
    if (!lookup("location")) {
      sl_send_reply(404, "Not Found");
      exit;
    }
    t_relay();
    exit;
  }
  if (nat_uac_test("private-sdp|private-contact")) {
    fix_nated_contact();
    fix_nated_sdp("rewrite-c");
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}
"""

PRIVATE_SDP = ("v=0\r\n"
               "o=- 1 1 IN IP4 192.168.1.20\r\n"
               "s=-\r\n"
               "c=IN IP4 192.168.1.20\r\n"
               "t=0 0\r\n"
               "m=audio 4000 RTP/AVP 0\r\n"
               "a=rtcp:4001\r\n"
               "m=video 4002 RTP/AVP 96\r\n"
               "c=IN IP4 10.0.0.3\r\n").encode()


def nat_server(store_received="diff-ip"):
    modules = location_modules(registrar={"store_received": store_received}) + " nathelper = {};"
    return registrar_server(routes=ROUTES, modules=modules, name="nathelper")


def register(peer, srv, contact):
    req = build_request("REGISTER", f"sip:{LOOPBACK}:{srv.port}", peer.port,
                        extra=[f"Contact: <{contact}>", "Expires: 600"], omit=("Contact",))
    req = req.replace(f"To: <sip:{LOOPBACK}:{srv.port}>".encode(),
                      f"To: <sip:alice@{LOOPBACK}:{srv.port}>".encode())
    peer.send(req, srv.addr)
    reply = peer.expect_reply(3.0)
    check(reply is not None, "no reply to the REGISTER")
    check_eq(reply.status, 200, "REGISTER reply")
    return reply


def call_reaches_phone(srv, phone, contact):
    """An INVITE for alice arrives at the phone's UdpPeer, its request-URI the Contact."""
    with UdpPeer() as caller:
        caller.send(build_request("INVITE", f"sip:alice@{LOOPBACK}:{srv.port}", caller.port),
                    srv.addr)
        msg, _ = recv_request(phone, "INVITE", 3.0)
        check(msg.first.startswith(f"INVITE {contact} "), f"request line: {msg.first}")
        phone.send(reply_to(msg, 486, "Busy Here"), srv.addr)
        final = caller.expect_reply(3.0)
        check(final is not None and final.status == 486, f"caller got {final!r}")


def _check_fix_nated_register(store_received):
    with nat_server(store_received) as srv, UdpPeer() as phone:
        contact = "sip:alice@192.168.1.20:5062"
        reply = register(phone, srv, contact)
        check(contact in reply.get("contact"), f"200 Contact: {reply.get('contact')}")
        call_reaches_phone(srv, phone, contact)


def test_registered_behind_nat_is_reached_at_the_source_address():
    _check_fix_nated_register("diff-ip")


def test_fix_nated_register_overrides_store_received_off():
    _check_fix_nated_register("off")


def test_private_sdp_is_rewritten_at_the_uas():
    with UdpPeer() as uas:
        modules = location_modules() + " nathelper = {};"
        with registrar_server(routes=ROUTES, modules=modules, name="nathelper",
                              uas_port=uas.port) as srv, UdpPeer() as caller:
            req = build_request("INVITE", "sip:bob@example.com", caller.port,
                                extra=["Contact: <sip:carol@192.168.1.20:5062;transport=udp>",
                                       "Content-Type: application/sdp"],
                                omit=("Contact",), body=PRIVATE_SDP)
            caller.send(req, srv.addr)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            body = msg.body.decode()
            check_eq(int(msg.get("content-length")), len(msg.body), "Content-Length")
            check("c=IN IP4 192.168.1.20" not in body and "10.0.0.3" not in body,
                  f"private c= left: {body!r}")
            check_eq(len(re.findall(r"c=IN IP4 127\.0\.0\.1\r\n", body)), 2, f"c= lines {body!r}")
            check("o=- 1 1 IN IP4 192.168.1.20" in body, "o= is not rewritten without rewrite-o")
            check("a=rtcp:4001\r\n" in body, "a=rtcp untouched")
            check_eq(msg.get("contact"),
                     f"<sip:carol@{LOOPBACK}:{caller.port};transport=udp>", "fixed Contact")
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")


def test_fix_nated_contact_adds_the_uri_params():
    routes = ("route {\n  fix_nated_contact(\";ata=$rU\");\n"
              "  $du = \"sip:127.0.0.1:@UAS_PORT@\";\n  t_relay();\n}\n")
    with UdpPeer() as uas:
        modules = location_modules() + " nathelper = {};"
        with registrar_server(routes=routes, modules=modules, name="nathelper",
                              uas_port=uas.port) as srv, UdpPeer() as caller:
            req = build_request("INVITE", "sip:bob@example.com", caller.port,
                                extra=["Contact: <sip:carol@192.168.1.20:5062;transport=udp>"],
                                omit=("Contact",))
            caller.send(req, srv.addr)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            check_eq(msg.get("contact"),
                     f"<sip:carol@{LOOPBACK}:{caller.port};ata=bob;transport=udp>",
                     "fixed Contact")
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")


def test_fix_nated_sdp_writes_the_given_ip_and_fields():
    routes = ("route {\n  $var(media) = \"198.51.100.9\";\n"
              "  fix_nated_sdp(\"rewrite-c|rewrite-o\", \"$var(media)\", \"\\r\\na=x-attr1\");\n"
              "  $du = \"sip:127.0.0.1:@UAS_PORT@\";\n  t_relay();\n}\n")
    with UdpPeer() as uas:
        modules = location_modules() + " nathelper = {};"
        with registrar_server(routes=routes, modules=modules, name="nathelper",
                              uas_port=uas.port) as srv, UdpPeer() as caller:
            req = build_request("INVITE", "sip:bob@example.com", caller.port,
                                extra=["Content-Type: application/sdp"], body=PRIVATE_SDP)
            caller.send(req, srv.addr)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            body = msg.body.decode()
            check_eq(len(re.findall(r"c=IN IP4 198\.51\.100\.9\r\n", body)), 2, f"c= {body!r}")
            check("o=- 1 1 IN IP4 198.51.100.9\r\n" in body, f"o= {body!r}")
            check(body.endswith("c=IN IP4 198.51.100.9\r\na=x-attr1\r\n"), f"end {body!r}")
            check_eq(int(msg.get("content-length")), len(msg.body), "Content-Length")
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")


def test_bad_flags_stop_the_start():
    for call, word in (('nat_uac_test("private-contakt")', "private-contakt"),
                       ('nat_uac_test("128")', "128"),
                       ('fix_nated_sdp("rewrite-x")', "rewrite-x"),
                       ('fix_nated_contact(";a=b>")', "URI parameters"),
                       ('fix_nated_sdp("rewrite-c", "media.example")', "media.example"),
                       ('fix_nated_sdp("rewrite-c", "", "x-attr")', "SDP fields")):
        routes = "route {\n  if (%s) { exit; }\n  drop;\n}\n" % call
        cfg, _ = write_config(routes=routes, subst={"MODULES": "sl = {}; nathelper = {};"},
                              name="nathelper-bad")
        res = check_config(cfg)
        check(res.returncode != 0, f"{call} accepted: {res.stdout}{res.stderr}")
        out = res.stdout + res.stderr
        check(word in out and ":2:" in out, f"{call}: error does not name it: {out}")


# Keepalives: a phone whose Contact is private is NATed (nat_bflag 6); user "sipper" also gets
# SIP pings (sipping_bflag 7). Calls to any user go to its bindings.
PING_ROUTES = """\
route {
  if (is_method("REGISTER")) {
    if (nat_uac_test("private-contact")) {
      fix_nated_register();
      setbflag(6);
      if ($tU == "sipper") {
        setbflag(7);
      }
    }
    save("location");
    exit;
  }
  if (is_method("INVITE")) {
    if (!lookup("location")) {
      sl_send_reply(404, "Not Found");
      exit;
    }
    t_relay();
    exit;
  }
  sl_send_reply(403, "Forbidden");
}
"""


def ping_server(transports=("udp",), **params):
    nh = {"natping_interval": 1, "nat_bflag": 6, "sipping_bflag": 7, "max_pings_lost": 2,
          "sipping_from": '"sip:keepalive@ping.example.com"'}
    nh.update(params)
    group = " ".join(f"{k} = {v};" for k, v in nh.items())
    modules = location_modules() + f" nathelper = {{ {group} }};"
    return registrar_server(routes=PING_ROUTES, modules=modules, name="natping",
                            transports=transports)


def register_user(peer, srv, user, contact):
    req = build_request("REGISTER", f"sip:{LOOPBACK}:{srv.port}", peer.port,
                        extra=[f"Contact: <{contact}>", "Expires: 600"], omit=("Contact",))
    req = req.replace(f"To: <sip:{LOOPBACK}:{srv.port}>".encode(),
                      f"To: <sip:{user}@{LOOPBACK}:{srv.port}>".encode())
    peer.send(req, srv.addr)
    reply = peer.expect_reply(3.0)
    check(reply is not None and reply.status == 200, f"REGISTER of {user}: {reply!r}")


def datagrams(peer, seconds):
    """Every datagram peer receives within `seconds`."""
    got = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data, _ = peer.recv(max(0.01, deadline - time.monotonic()))
        if data is not None:
            got.append(data)
    return got


def test_nated_contacts_get_crlf_pings_and_public_ones_none():
    with ping_server() as srv, UdpPeer() as nated, UdpPeer() as public:
        register_user(nated, srv, "alice", "sip:alice@192.168.1.20:5062")
        register_user(public, srv, "bob", f"sip:bob@{LOOPBACK}:{public.port}")
        got = datagrams(nated, 3.5)
        pings = [d for d in got if d == b"\r\n\r\n"]
        check(2 <= len(pings) <= 5, f"{len(pings)} CRLFCRLF pings in 3.5 s at 1 s: {got!r}")
        check_eq(datagrams(public, 0.5), [], "datagrams at the phone that is not behind NAT")
        check(srv.stat("nathelper:natping_crlf_sent") >= 2, "natping_crlf_sent")
        check_eq(srv.stat("nathelper:natping_sip_sent"), 0, "natping_sip_sent")


def test_sip_pings_keep_answering_phones_and_remove_silent_ones():
    with ping_server() as srv, UdpPeer() as phone:
        contact = "sip:sipper@192.168.1.20:5062"
        register_user(phone, srv, "sipper", contact)
        # Answer three OPTIONS pings.
        for _ in range(3):
            msg, _ = recv_request(phone, "OPTIONS", 3.0)
            check(msg.first.startswith(f"OPTIONS {contact} "), f"ping request line: {msg.first}")
            check("<sip:keepalive@ping.example.com>;tag=" in msg.get("from"),
                  f"From: {msg.get('from')}")
            check_eq(msg.get("to"), f"<{contact}>", "To of the ping")
            phone.send(reply_to(msg, 200, "OK"), srv.addr)
        srv.wait_stat("nathelper:natping_answered", lambda v: v >= 3)
        # Still registered: a call arrives.
        with UdpPeer() as caller:
            caller.send(build_request("INVITE", f"sip:sipper@{LOOPBACK}:{srv.port}", caller.port),
                        srv.addr)
            msg, _ = recv_request(phone, "INVITE", 3.0)
            phone.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")
        check_eq(srv.stat("nathelper:natping_removed"), 0, "removed while answering")
        # Silence: after max_pings_lost (2) unanswered pings the binding goes.
        check(wait_until(lambda: srv.stat("nathelper:natping_removed") == 1, 8.0),
              "the silent phone was not removed")
        with UdpPeer() as caller:
            caller.send(build_request("INVITE", f"sip:sipper@{LOOPBACK}:{srv.port}", caller.port),
                        srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 404, f"call after removal: {final!r}")


def test_natping_needs_usrloc_and_sip_pings_need_tm():
    for modules, needle in (("sl = {}; nathelper = { natping_interval = 5; };", "usrloc"),
                            ("sl = {}; usrloc = {}; nathelper = { natping_interval = 5; "
                             "sipping_bflag = 7; };", "tm")):
        srv = Server(routes="route {\n  drop;\n}\n", modules=modules, name="natping-bad")
        try:
            srv.start()
        except ServerError:
            log = srv.log()
            check(f"needs service '{needle}'" in log, f"{modules}: the log does not say why:\n{log[-1500:]}")
            continue
        srv.stop()
        raise AssertionError(f"{modules}: the server started")


def test_tcp_pings_use_the_phones_connection_and_never_open_one():
    """natping_tcp: CRLFCRLF pings go on the connection the phone registered over; once it is
    gone, the phone (behind its NAT) cannot be reached by a new connection, and none is opened
    (OpenSIPS pings only over an existing connection)."""
    with ping_server(natping_tcp=1, transports=("udp", "tcp")) as srv:
        # SO_REUSEADDR on both sides, so the port can listen while the phone's closed
        # connection is in TIME_WAIT.
        with socket.socket() as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        phone = StreamPeer.connect(srv.addr, source_port=port)
        with phone:
            phone.send(stream_register(phone, "alice", "sip:alice@192.168.1.20:5062;transport=tcp"))
            reply = phone.expect_reply()
            check(reply is not None and reply.status == 200, f"REGISTER: {reply!r}")
            check(wait_until(lambda: (phone.recv_raw(0.2), phone.pongs)[1] >= 2, 4.0),
                  f"{phone.pongs} CRLFCRLF pings on the phone's connection")
        check(wait_until(lambda: srv.stat("tcp:connections") == 0, 3.0), "connection not closed")
        sent = srv.stat("nathelper:natping_crlf_sent")
        # Something listening where the phone's connection came from: a new connection from
        # the server would be accepted here.
        with StreamListener(port=port) as where_it_was:
            late = where_it_was.accept(2.5)
            check(late is None, "the server opened a new connection to ping the phone")
        check_eq(srv.stat("tcp:opened"), 0, "tcp:opened")
        check_eq(srv.stat("nathelper:natping_crlf_sent"), sent, "pings counted as sent")
        check(srv.stat("nathelper:natping_no_connection") >= 1, "natping_no_connection")


def test_sip_pings_over_tcp_never_open_a_connection_and_remove_the_lost_phone():
    """A SIP ping (OPTIONS through tm) to a TCP contact goes on its connection too; once that
    is gone no new one is opened, and the pings not sent count as lost: the contact goes."""
    with ping_server(transports=("udp", "tcp")) as srv:
        with socket.socket() as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        phone = StreamPeer.connect(srv.addr, source_port=port)
        with phone:
            phone.send(stream_register(phone, "sipper", "sip:sipper@192.168.1.20:5062;transport=tcp"))
            reply = phone.expect_reply()
            check(reply is not None and reply.status == 200, f"REGISTER: {reply!r}")
            ping = phone.expect_request("OPTIONS")
            phone.send(reply_to(ping, 200, "OK"))
            srv.wait_stat("nathelper:natping_answered", lambda v: v >= 1)
        check(wait_until(lambda: srv.stat("tcp:connections") == 0, 3.0), "connection not closed")
        with StreamListener(port=port) as where_it_was:
            check(wait_until(lambda: srv.stat("nathelper:natping_removed") == 1, 6.0),
                  "the unreachable phone was not removed")
            check(where_it_was.accept(0.1) is None,
                  "the server opened a new connection to ping the phone")
        check_eq(srv.stat("tcp:opened"), 0, "tcp:opened")
