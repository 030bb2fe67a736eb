"""The TCP transport end to end: requests and replies on one connection, CRLF keep-alives
(RFC 5626 §4.4.1), calls crossing UDP and TCP with a double Record-Route, a contact
registered over TCP reached over its own connection, and the bad cases: a client that
hangs up mid-message, one that trickles bytes, an unframeable stream, too many connections,
idle connections, a destination that refuses."""

import socket
import time

from harness import (LOOPBACK, Server, UdpPeer, build_request, check, check_eq, new_callid,
                     reply_to, scenario, sipp, wait_until)
from sipp_flows import call, callee, check_calls, check_no_transactions, tm_modules
from stream_flows import MODULES, options, proxy_routes, register
from stream_peer import StreamListener, StreamPeer

# User "udp"/"tcp" goes to the test's callee over that transport; "forced" names no transport
# and relays from the forced TCP socket.
ROUTES = proxy_routes(
    'if ($rU == "udp") { $du = "sip:127.0.0.1:@UAS_PORT@"; t_relay(); exit; }',
    'if ($rU == "tcp") { $du = "sip:127.0.0.1:@UAS_PORT@;transport=tcp"; t_relay(); exit; }',
    'if ($rU == "forced") { force_send_socket("tcp:127.0.0.1:@PORT@"); '
    '$du = "sip:127.0.0.1:@UAS_PORT@"; t_relay(); exit; }')


def tcp_server(**kw):
    kw.setdefault("modules", MODULES)
    kw.setdefault("routes", ROUTES)
    return Server(transports=("udp", "tcp"), **kw)


def test_options_over_tcp_is_answered_on_the_same_connection_and_pings_get_pongs():
    with tcp_server() as srv:
        with StreamPeer.connect(srv.addr) as c:
            c.send(options(c.port))
            r = c.expect_reply()
            check(r is not None and r.status == 200, f"OPTIONS over TCP: {r}")
            via = r.get("via")
            check(f"rport={c.port}" in via and "received=127.0.0.1" in via,
                  f"the reply's Via records the connection: {via}")
            c.send(b"\r\n\r\n")  # RFC 5626 §4.4.1 ping
            c.send(options(c.port))  # answered after the pong, on the same stream
            check(c.expect_reply() is not None, "second OPTIONS on the connection")
            check_eq(c.pongs, 1, "CRLF pongs received for one ping")
            listed = srv.mi("tcp_list")["connections"]
            check_eq([(e["proto"], e["peer"], e["direction"], e["socket"]) for e in listed],
                     [("tcp", f"{LOOPBACK}:{c.port}", "in", f"tcp:{LOOPBACK}:{srv.port}")],
                     "MI tcp_list")
        accepted = srv.stat("tcp:accepted")
        check(accepted >= 1, f"tcp:accepted {accepted}")
        wait_until(lambda: srv.stat("tcp:connections") == 0, 3)


def test_tcp_caller_to_udp_callee_and_back_with_double_record_route():
    with UdpPeer() as uas:
        with tcp_server(uas_port=uas.port) as srv, StreamPeer.connect(srv.addr) as uac:
            call_id = new_callid()
            uac.send(build_request(
                "INVITE", f"sip:udp@{LOOPBACK}:{srv.port}", uac.port, call_id=call_id,
                via=f"SIP/2.0/TCP {LOOPBACK}:{uac.port};branch=z9hG4bK-i1{call_id[:8]}",
                extra=(f"Contact: <sip:alice@{LOOPBACK}:{uac.port};transport=tcp>",),
                omit=("Contact",)))
            inv, src = uas.recv_msg(3)
            check(inv is not None and inv.method == "INVITE", f"INVITE at the UDP callee: {inv}")
            rr = inv.all("record-route")
            check_eq(len(rr), 2, f"double Record-Route (UDP out, TCP in): {rr}")
            check(";r2=on" in rr[0] and "transport=tcp" not in rr[0], f"outgoing side {rr[0]}")
            check("transport=tcp" in rr[1] and ";r2=on" in rr[1], f"incoming side {rr[1]}")
            check(inv.all("via")[0].startswith("SIP/2.0/UDP "), "our Via on the UDP side")
            uas.send(reply_to(inv, 180, "Ringing"), src)
            uas.send(reply_to(inv, 200, "OK"), src)
            ok = uac.expect_reply()
            check(ok is not None and ok.status == 200, f"200 back over TCP: {ok}")
            check_eq(len(ok.all("via")), 1, "our Via removed from the reply")
            # The callee hangs up: its BYE follows the route set to the caller's connection.
            routes = ", ".join(inv.all("record-route"))
            bye = (f"BYE sip:alice@{LOOPBACK}:{uac.port};transport=tcp SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {LOOPBACK}:{uas.port};branch=z9hG4bK-bye{call_id[:6]}\r\n"
                   f"Route: {routes}\r\nMax-Forwards: 70\r\n"
                   f"From: {ok.get('to')}\r\nTo: {ok.get('from')}\r\nCall-ID: {call_id}\r\n"
                   f"CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n")
            uas.send(bye.encode(), srv.addr)
            got = uac.expect_request("BYE")
            check_eq(got.first, f"BYE sip:alice@{LOOPBACK}:{uac.port};transport=tcp SIP/2.0",
                     "BYE delivered over the caller's own connection")
            check(got.get("route") is None, f"both Route entries removed: {got.get('route')}")
            uac.send(reply_to(got, 200, "OK"))
            fin = uas.expect_reply(3)
            check(fin is not None and fin.status == 200, f"200 for the BYE back over UDP: {fin}")


def test_udp_caller_to_tcp_callee_opens_a_connection_and_reuses_it():
    with StreamListener() as callee:
        with tcp_server(uas_port=callee.port) as srv, UdpPeer() as uac:
            inv_bytes = build_request("INVITE", f"sip:tcp@{LOOPBACK}:{srv.port}", uac.port)
            uac.send(inv_bytes, srv.addr)
            conn = callee.accept(3)
            check(conn is not None, "the server connected to the TCP callee")
            with conn:
                inv = conn.expect_request("INVITE")
                rr = inv.all("record-route")
                check_eq(len(rr), 2, f"double Record-Route: {rr}")
                check("transport=tcp" in rr[0], f"the TCP side on top: {rr}")
                check(inv.all("via")[0].startswith("SIP/2.0/TCP "), "our Via names TCP")
                conn.send(reply_to(inv, 200, "OK"))
                ok = uac.expect_reply(3)
                check(ok is not None and ok.status == 200, f"200 back over UDP: {ok}")
                # A second call reuses the connection (no new accept).
                uac.send(build_request("INVITE", f"sip:tcp@{LOOPBACK}:{srv.port}", uac.port),
                         srv.addr)
                inv2 = conn.expect_request("INVITE")
                check(inv2.get("call-id") != inv.get("call-id"), "a second INVITE")
                check(callee.accept(0.3) is None, "no second connection for the second call")
            check_eq(srv.stat("tcp:opened"), 1, "tcp:opened")


def test_contact_registered_over_tcp_is_reached_over_its_own_connection():
    with tcp_server() as srv, UdpPeer() as caller:
        with StreamPeer.connect(srv.addr) as phone:
            # The Contact names a port nobody listens on: only the connection reaches the phone.
            phone.send(register(phone, "bob", f"sip:bob@{LOOPBACK}:9;transport=tcp"))
            r = phone.expect_reply()
            check(r is not None and r.status == 200, f"REGISTER over TCP: {r}")
            caller.send(build_request("INVITE", f"sip:bob@{LOOPBACK}", caller.port), srv.addr)
            inv = phone.expect_request("INVITE")
            check_eq(inv.first, f"INVITE sip:bob@{LOOPBACK}:9;transport=tcp SIP/2.0",
                     "the INVITE for the registered contact, on the phone's connection")
            phone.send(reply_to(inv, 486, "Busy Here"))
            busy = caller.expect_reply(3)
            check(busy is not None and busy.status == 486, f"486 relayed to the caller: {busy}")
            check_eq(srv.stat("tcp:opened"), 0, "no connection opened towards the Contact")


def test_client_that_disconnects_mid_message_costs_nothing():
    with tcp_server() as srv:
        for _ in range(5):
            with StreamPeer.connect(srv.addr) as c:
                whole = options(c.port)
                c.send(whole[: len(whole) // 2])
        check(wait_until(lambda: srv.stat("tcp:closed_by_peer") >= 5, 3),
              "the half-sent connections were closed")
        check_eq(srv.stat("tcp:connections"), 0, "no connection left")
        with StreamPeer.connect(srv.addr) as c:
            c.send(options(c.port))
            r = c.expect_reply()
            check(r is not None and r.status == 200, "the server still answers")


def test_a_slow_client_does_not_block_others():
    with tcp_server(tcp_workers=1) as srv:
        with StreamPeer.connect(srv.addr) as slow, StreamPeer.connect(srv.addr) as fast:
            message = options(slow.port)
            worst = 0.0
            for i in range(6):  # one byte a second, while the other client is served
                slow.send(message[i:i + 1])
                t0 = time.monotonic()
                fast.send(options(fast.port))
                r = fast.expect_reply(2)
                worst = max(worst, time.monotonic() - t0)
                check(r is not None and r.status == 200, f"fast client answered while slow: {r}")
                time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
            check(worst < 1.0, f"fast client waited {worst:.2f} s")
            slow.send(message[6:])
            r = slow.expect_reply()
            check(r is not None and r.status == 200, "the slow message is answered at the end")


def test_unframeable_stream_is_closed_and_counted():
    with tcp_server() as srv:
        with StreamPeer.connect(srv.addr) as c:
            no_length = options(c.port).replace(b"Content-Length: 0\r\n", b"")
            c.send(no_length)
            check(c.wait_closed(3), "a message without Content-Length closes the connection")
        check_eq(srv.stat("tcp:framing_errors"), 1, "tcp:framing_errors")
        with StreamPeer.connect(srv.addr) as c:
            c.send(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n")
            check(c.wait_closed(3), "an oversized Content-Length closes the connection")
        check_eq(srv.stat("tcp:framing_errors"), 2, "tcp:framing_errors")


def test_connections_beyond_tcp_max_connections_are_refused():
    # Peers get 15 of the 16: a sixteenth stays free for the connections the server opens.
    with tcp_server(extra_settings="tcp_max_connections = 16;") as srv:
        held = [StreamPeer.connect(srv.addr) for _ in range(15)]
        try:
            check(wait_until(lambda: srv.stat("tcp:connections") == 15, 3), "15 connections")
            extra = StreamPeer.connect(srv.addr)
            check(extra.wait_closed(3), "the 16th connection is closed at once")
            extra.close()
            check_eq(srv.stat("tcp:refused"), 1, "tcp:refused")
            check_eq(srv.stat("tcp:refused_per_ip"), 0, "tcp:refused_per_ip")
            held[0].send(options(held[0].port))
            check(held[0].expect_reply() is not None, "the held connections still work")
        finally:
            for c in held:
                c.close()


def test_one_address_cannot_take_every_connection():
    # 127.0.0.2 holds its 3; the 4th is refused; another address and the held ones still work.
    with tcp_server(extra_settings="tcp_max_connections_per_ip = 3;") as srv:
        held = [StreamPeer.connect(srv.addr, source_host="127.0.0.2") for _ in range(3)]
        try:
            check(wait_until(lambda: srv.stat("tcp:connections") == 3, 3), "3 connections")
            extra = StreamPeer.connect(srv.addr, source_host="127.0.0.2")
            check(extra.wait_closed(3), "the 4th connection from 127.0.0.2 is closed at once")
            extra.close()
            check_eq(srv.stat("tcp:refused_per_ip"), 1, "tcp:refused_per_ip")
            check_eq(srv.stat("tcp:refused"), 1, "tcp:refused")
            with StreamPeer.connect(srv.addr, source_host="127.0.0.3") as other:
                other.send(options(other.port))
                check(other.expect_reply() is not None, "another address is served")
            held[2].close()
            check(wait_until(lambda: srv.stat("tcp:connections") == 2, 3), "one closed")
            with StreamPeer.connect(srv.addr, source_host="127.0.0.2") as again:
                again.send(options(again.port))
                check(again.expect_reply() is not None, "a freed place is taken again")
        finally:
            for c in held:
                c.close()


def test_idle_connections_close_but_registered_ones_stay():
    with tcp_server(extra_settings="tcp_connection_lifetime = 1;") as srv:
        with StreamPeer.connect(srv.addr) as idle, StreamPeer.connect(srv.addr) as phone:
            phone.send(register(phone, "alice", f"sip:alice@{LOOPBACK}:9;transport=tcp", 60))
            r = phone.expect_reply()
            check(r is not None and r.status == 200, f"REGISTER answered: {r}")
            check(idle.wait_closed(4), "the idle connection is closed after its lifetime")
            time.sleep(1.5)
            phone.send(options(phone.port))
            r = phone.expect_reply()
            check(r is not None and r.status == 200, "the registered connection stayed open")
        check(srv.stat("tcp:closed_idle") >= 1, "tcp:closed_idle")


def test_a_refused_tcp_destination_fails_the_branch_at_once():
    with socket.socket() as s:  # a port with nobody listening
        s.bind((LOOPBACK, 0))
        dead = s.getsockname()[1]
    with tcp_server(uas_port=dead) as srv, UdpPeer() as uac:
        t0 = time.monotonic()
        uac.send(build_request("INVITE", f"sip:tcp@{LOOPBACK}:{srv.port}", uac.port), srv.addr)
        r = uac.expect_reply(5)
        # As for a send that fails at once: the branch ends as a 503 (RFC 3261 §16.9; no other
        # target), which goes upstream as 500 (§16.7 step 6).
        check(r is not None and r.status == 500, f"a 500 for the refused connection: {r}")
        check(time.monotonic() - t0 < 3, "answered without waiting for timer B (32 s)")
        check(srv.stat("tcp:connect_failures") >= 1, "tcp:connect_failures")


# sipp over TCP (-t t1: one connection each way): registrations, and calls relayed from a TCP
# caller to a TCP callee with Record-Route (ACK and BYE follow the route set).
SIPP_ROUTES = """\
route {
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { t_relay(); exit; }
    sl_send_reply(404, "Not here");
    exit;
  }
  if (is_method("REGISTER")) { save("location"); exit; }
  record_route();
  $du = "sip:127.0.0.1:@UAS_PORT@;transport=tcp";
  t_relay();
}
"""


def test_sipp_registrations_and_calls_over_tcp():
    users, calls = 50, 30
    with callee("tm_uas_call.xml", calls, "-t", "t1") as uas:
        with Server(routes=SIPP_ROUTES, uas_port=uas.port, transports=("udp", "tcp"),
                    modules=tm_modules(extra='usrloc = {}; registrar = {};')) as srv:
            reg = sipp(srv.addr, "-t", "t1", "-sf", scenario("loc_register.xml"),
                       "-key", "aor_prefix", "u", "-key", "contact_port", "9",
                       "-key", "expires", "300", "-r", "100", calls=users, name="reg")
            check_calls(reg, users, "REGISTER over TCP")
            check_eq(srv.stat("registrar:accepted_regs"), users, "registrar:accepted_regs")
            caller = call(srv.port, "tm_uac_call.xml", uas.port, calls, "-t", "t1",
                          "-r", "20")
            check_calls(caller, calls, "calls over TCP: caller")
            check_calls(uas.wait(20), calls, "calls over TCP: callee")
            check_no_transactions(srv)
            check_eq(srv.stat("tcp:opened"), 1, "one connection to the callee, reused")
            check_eq(srv.stat("tm:retransmissions"), 0, "no retransmission over TCP")


def test_udp_message_without_content_length_gets_one_on_the_stream():
    """RFC 3261 §18.3: Content-Length is optional on UDP, mandatory on a stream."""
    with StreamListener() as callee:
        with tcp_server(uas_port=callee.port) as srv, UdpPeer() as uac:
            body = b"hello over tcp"
            msg = build_request("MESSAGE", f"sip:tcp@{LOOPBACK}:{srv.port}", uac.port,
                                extra=("Content-Type: text/plain",), body=body)
            msg = msg.replace(b"Content-Length: 14\r\n", b"")
            check(b"Content-Length" not in msg, "the request carries no Content-Length")
            uac.send(msg, srv.addr)
            conn = callee.accept(3)
            check(conn is not None, "the server connected to the TCP callee")
            with conn:
                got = conn.expect_request("MESSAGE")
                check_eq(got.get("content-length"), str(len(body)), "Content-Length added")
                check_eq(got.body, body, "the body, framed whole")
                conn.send(reply_to(got, 200, "OK"))
                r = uac.expect_reply(3)
                check(r is not None and r.status == 200, f"200 back over UDP: {r}")


def test_a_forced_tcp_socket_decides_the_transport_of_a_destination_without_one():
    with StreamListener() as callee:
        with tcp_server(uas_port=callee.port) as srv, UdpPeer() as uac:
            uac.send(build_request("OPTIONS", f"sip:forced@{LOOPBACK}:{srv.port}", uac.port),
                     srv.addr)
            conn = callee.accept(3)
            check(conn is not None, "the forced TCP socket connected to the callee")
            with conn:
                got = conn.expect_request("OPTIONS")
                check(got.all("via")[0].startswith(f"SIP/2.0/TCP {LOOPBACK}:{srv.port};"),
                      f"our Via names the forced socket: {got.all('via')[0]}")
                conn.send(reply_to(got, 200, "OK"))
                r = uac.expect_reply(3)
                check(r is not None and r.status == 200, f"200 back over UDP: {r}")


def test_a_reply_after_the_callers_connection_closed_goes_to_its_sent_by_port():
    """RFC 3261 §18.2.2: the connection is gone, so a new one to received + sent-by port."""
    with UdpPeer() as uas, StreamListener() as caller_port:
        with tcp_server(uas_port=uas.port) as srv:
            with StreamPeer.connect(srv.addr) as uac:
                uac.send(build_request(
                    "INVITE", f"sip:udp@{LOOPBACK}:{srv.port}", caller_port.port,
                    via=f"SIP/2.0/TCP {LOOPBACK}:{caller_port.port};branch=z9hG4bK-gone1"))
                inv, src = uas.recv_msg(3)
                check(inv is not None, "INVITE relayed to the UDP callee")
            check(wait_until(lambda: srv.stat("tcp:connections") == 0, 3),
                  "the server saw the caller's connection close")
            uas.send(reply_to(inv, 486, "Busy Here"), src)
            conn = caller_port.accept(3)
            check(conn is not None, "the server connected to the caller's sent-by port")
            with conn:
                r = conn.expect_reply(3)
                check(r is not None and r.status == 486, f"the 486 on the new connection: {r}")
