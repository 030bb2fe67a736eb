"""The TLS transport end to end, with Python's ssl module (and baresip) as the peers: requests
answered on their connection, server certificates chosen by SNI, client certificates required
and refused, minimum versions, calls crossing UDP and TLS both ways with a double
Record-Route, callees verified by name (SNI, a test DNS server) and by address, sips:, a
callee whose certificate does not verify, the handshake timeout, 1000 TLS connections held at
once, profiles that do not load stopping the start, and a real softphone (baresip) registering
over TLS and reached over its connection.

The certificates are the test-only set of test/certs (README there): ca.pem signs server.pem
(localhost, 127.0.0.1), sip2.pem (sip2.test), client.pem and expired.pem; rogue-client.pem is
signed by a CA nothing here trusts."""

import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import threading
import time

from dnsserver import DnsServer
from harness import (LOOPBACK, SIPLINE, Server, Skip, TestFailure, UdpPeer, build_request, check,
                     check_config, check_eq, free_udp_port, new_callid, reply_to, unique_path,
                     wait_until, write_config)
from location_flows import ul_dump
from stream_flows import MODULES, proxy_routes
from stream_flows import options as stream_options
from stream_peer import StreamListener, StreamPeer, cert, client_context, server_context
from test_softphone import BARESIP, MODULES as BARESIP_MODULES, need_baresip, replies_to, sip_port

# User "udp"/"tls" goes to the test's callee over that transport, "direct" to its request-URI.
ROUTES = proxy_routes(
    'if ($rU == "udp") { $du = "sip:127.0.0.1:@UAS_PORT@"; t_relay(); exit; }',
    'if ($rU == "tls") { $du = "sip:127.0.0.1:@UAS_PORT@;transport=tls"; t_relay(); exit; }',
    'if ($rU == "direct") { t_relay(); exit; }')


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(_value(x) for x in v) + " ]"
    return '"' + str(v) + '"'


def _profile(p):
    return "{ " + " ".join(f"{k} = {_value(v)};" for k, v in p.items()) + " }"


DEFAULT_SERVER = {"name": "default", "certificate": cert("server.pem"),
                  "private_key": cert("server.key")}
SIP2_SERVER = {"name": "sip2", "match": ["sip2.test"], "certificate": cert("sip2.pem"),
               "private_key": cert("sip2.key")}
# The server's outgoing connections trust the test CA and verify the callee.
DEFAULT_CLIENT = {"name": "default", "ca_list": cert("ca.pem"), "verify_peer": True}


def tls_settings(servers=(DEFAULT_SERVER,), clients=(DEFAULT_CLIENT,), handshake_timeout=None):
    """The tls group of the settings (absolute paths to test/certs)."""
    members = []
    if handshake_timeout is not None:
        members.append(f"handshake_timeout = {handshake_timeout};")
    if servers:
        members.append("server = ( " + ", ".join(_profile(p) for p in servers) + " );")
    if clients:
        members.append("client = ( " + ", ".join(_profile(p) for p in clients) + " );")
    return "tls = {\n  " + "\n  ".join(members) + "\n};\n"


def tls_server(tls=None, extra="", **kw):
    kw.setdefault("modules", MODULES)
    kw.setdefault("routes", ROUTES)
    return Server(transports=("udp", "tcp", "tls"),
                  extra_settings=(tls or tls_settings()) + extra, **kw)


def options(port, proto="TLS"):
    return stream_options(port, proto)


def connect(srv, **kw):
    """A TLS connection to the server's tls socket, verifying it against the test CA."""
    kw.setdefault("context", client_context())
    kw.setdefault("server_hostname", "localhost")
    return StreamPeer.connect(srv.tls_addr, tls=True, **kw)


def refused(srv, context, server_hostname="localhost"):
    """True when the server refuses a TLS client: the handshake fails, or (TLS 1.3, where the
    client finishes first) the connection ends at the first read; and an OPTIONS sent gets no
    reply either way."""
    try:
        peer = StreamPeer.connect(srv.tls_addr, tls=True, context=context,
                                  server_hostname=server_hostname)
    except (ssl.SSLError, ConnectionError, OSError):
        return True
    with peer:
        try:
            peer.send(options(peer.port))
        except (ssl.SSLError, ConnectionError, OSError):
            return True
        reply = peer.expect_reply(2)
        return reply is None and peer.closed


def test_options_over_tls_is_answered_on_the_same_connection():
    with tls_server() as srv:
        with connect(srv) as c:
            check_eq(c.sock.version() in ("TLSv1.2", "TLSv1.3"), True,
                     f"TLS version {c.sock.version()}")
            subject = dict(x[0] for x in c.sock.getpeercert()["subject"])
            check_eq(subject.get("commonName"), "localhost", "the server's certificate")
            c.send(options(c.port))
            r = c.expect_reply()
            check(r is not None and r.status == 200, f"OPTIONS over TLS: {r}")
            via = r.get("via")
            check(via.startswith("SIP/2.0/TLS ") and f"rport={c.port}" in via
                  and "received=127.0.0.1" in via, f"the reply's Via records the connection: {via}")
            c.send(options(c.port))
            r2 = c.expect_reply()
            check(r2 is not None and r2.status == 200, f"a second OPTIONS on the connection: {r2}")
        # counted when the client's Finished reaches the server: wait for it
        check(srv.wait_stat("tcp:tls_handshakes", lambda v: v >= 1) >= 1,
              "tcp:tls_handshakes")
        check(srv.stat("tcp:accepted") >= 1, "tcp:accepted")
        check_eq(srv.stat("tcp:tls_handshake_failures"), 0, "tcp:tls_handshake_failures")
        check(wait_until(lambda: srv.stat("tcp:connections") == 0, 3),
              "the closed connection left the count")


def _san(peer):
    return [v for k, v in peer.sock.getpeercert().get("subjectAltName", ()) if k == "DNS"]


def test_sni_selects_the_server_certificate():
    with tls_server(tls_settings(servers=(DEFAULT_SERVER, SIP2_SERVER))) as srv:
        with connect(srv, server_hostname="sip2.test") as c:
            check("sip2.test" in _san(c), f"SNI sip2.test: certificate names {_san(c)}")
            c.send(options(c.port))
            r = c.expect_reply()
            check(r is not None and r.status == 200, f"OPTIONS under the sip2 profile: {r}")
        with connect(srv, server_hostname="SIP2.Test") as c:
            check("sip2.test" in _san(c), f"SNI is case-insensitive: {_san(c)}")
        with connect(srv, server_hostname="localhost") as c:
            check("localhost" in _san(c) and "sip2.test" not in _san(c),
                  f"SNI localhost: the default certificate, got {_san(c)}")
        # An unknown name gets the default certificate (which then fails to verify for it).
        ctx = client_context(verify=False)
        with connect(srv, context=ctx, server_hostname="other.test") as c:
            der = c.sock.getpeercert(binary_form=True)
            with open(cert("server.pem")) as f:
                check_eq(der, ssl.PEM_cert_to_DER_cert(f.read()), "unknown SNI: the default")
        # counted when the client's Finished reaches the server: wait for it
        check(srv.wait_stat("tcp:tls_handshakes", lambda v: v >= 4) >= 4,
              "tcp:tls_handshakes")


def test_the_profile_sni_selects_decides_on_client_certificates():
    sip2_strict = dict(SIP2_SERVER, ca_list=cert("ca.pem"), require_peer_certificate=True)
    with tls_server(tls_settings(servers=(DEFAULT_SERVER, sip2_strict))) as srv:
        check(refused(srv, client_context(), "sip2.test"),
              "a client without a certificate was served under the sip2 profile")
        good = client_context(certfile=cert("client.pem"), keyfile=cert("client.key"))
        for name, ctx in (("sip2.test", good), ("localhost", client_context())):
            with connect(srv, context=ctx, server_hostname=name) as c:
                c.send(options(c.port))
                r = c.expect_reply()
                check(r is not None and r.status == 200, f"SNI {name}: {r}")
        check_eq(srv.stat("tcp:tls_handshake_failures"), 1, "tcp:tls_handshake_failures")


def test_client_certificates_required_and_verified():
    strict = dict(DEFAULT_SERVER, ca_list=cert("ca.pem"), require_peer_certificate=True)
    with tls_server(tls_settings(servers=(strict,))) as srv:
        # TLS 1.3: the client's handshake completes before the server has checked it, the
        # refusal shows at the first read; TLS 1.2: the handshake itself fails.
        check(refused(srv, client_context()), "a client without a certificate was served")
        check(refused(srv, client_context(maximum_version=ssl.TLSVersion.TLSv1_2)),
              "a TLS 1.2 client without a certificate was served")
        rogue = client_context(certfile=cert("rogue-client.pem"), keyfile=cert("rogue-client.key"))
        check(refused(srv, rogue), "a client with a certificate of another CA was served")
        check(srv.wait_stat("tcp:tls_handshake_failures", lambda v: v >= 3) == 3,
              f"tcp:tls_handshake_failures {srv.stat('tcp:tls_handshake_failures')} (3 refused)")
        good = client_context(certfile=cert("client.pem"), keyfile=cert("client.key"))
        with connect(srv, context=good) as c:
            c.send(options(c.port))
            r = c.expect_reply()
            check(r is not None and r.status == 200, f"a client with client.pem: {r}")
        check_eq(srv.stat("tcp:tls_handshake_failures"), 3, "no failure for the good client")
        # counted when the client's Finished reaches the server: wait for it
        check(srv.wait_stat("tcp:tls_handshakes", lambda v: v >= 1) >= 1,
              "tcp:tls_handshakes")


def test_min_version_tls13_refuses_a_tls12_client():
    modern = dict(DEFAULT_SERVER, min_version="TLSv1.3")
    with tls_server(tls_settings(servers=(modern,))) as srv:
        check(refused(srv, client_context(maximum_version=ssl.TLSVersion.TLSv1_2)),
              "a TLS 1.2 client was served under min_version TLSv1.3")
        with connect(srv) as c:
            check_eq(c.sock.version(), "TLSv1.3", "the version of a default client")
            c.send(options(c.port))
            r = c.expect_reply()
            check(r is not None and r.status == 200, f"a TLS 1.3 client: {r}")
    with tls_server() as srv, connect(
            srv, context=client_context(maximum_version=ssl.TLSVersion.TLSv1_2)) as c:
        check_eq(c.sock.version(), "TLSv1.2", "TLS 1.2 under the default min_version")
        c.send(options(c.port))
        r = c.expect_reply()
        check(r is not None and r.status == 200, f"a TLS 1.2 client: {r}")


def _ok_with_contact(req, contact):
    """A 200 for `req` whose Contact is `contact` (reply_to's has neither port nor transport)."""
    return re.sub(rb"Contact: <[^>]*>", f"Contact: <{contact}>".encode(),
                  reply_to(req, 200, "OK"))


def test_udp_caller_to_tls_callee_with_double_record_route():
    with StreamListener(tls=True) as callee:
        with tls_server(uas_port=callee.port) as srv, UdpPeer() as uac:
            call_id = new_callid()
            uac.send(build_request("INVITE", f"sip:tls@{LOOPBACK}:{srv.port}", uac.port,
                                   call_id=call_id), srv.addr)
            conn = callee.accept(3)
            check(conn is not None, "the server connected to the TLS callee")
            with conn:
                inv = conn.expect_request("INVITE")
                check_eq(inv.get("call-id"), call_id, "the INVITE relayed")
                rr = inv.all("record-route")
                check_eq(len(rr), 2, f"double Record-Route (TLS out, UDP in): {rr}")
                check(f"{LOOPBACK}:{srv.tls_port}" in rr[0] and "transport=tls" in rr[0]
                      and ";r2=on" in rr[0], f"the TLS side on top: {rr[0]}")
                check(f"{LOOPBACK}:{srv.port}" in rr[1] and "transport=" not in rr[1]
                      and ";r2=on" in rr[1], f"the UDP side below: {rr[1]}")
                top = inv.all("via")[0]
                check(top.startswith(f"SIP/2.0/TLS {LOOPBACK}:{srv.tls_port}"),
                      f"our Via names TLS and the tls socket: {top}")
                check_eq(len(inv.all("via")), 2, "our Via on top of the caller's")
                conn.send(reply_to(inv, 180, "Ringing"))
                conn.send(_ok_with_contact(inv, f"sip:bob@{LOOPBACK}:{callee.port};transport=tls"))
                ok = uac.expect_reply(3)
                check(ok is not None and ok.status == 200, f"200 back over UDP: {ok}")
                check_eq(len(ok.all("via")), 1, "our Via removed from the reply")
                # The ACK follows the route set (reversed) to the callee's connection.
                routes = ", ".join(reversed(ok.all("record-route")))
                ack = (f"ACK sip:bob@{LOOPBACK}:{callee.port};transport=tls SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP {LOOPBACK}:{uac.port};branch=z9hG4bK-ack{call_id[:6]}\r\n"
                       f"Route: {routes}\r\nMax-Forwards: 70\r\nFrom: {ok.get('from')}\r\n"
                       f"To: {ok.get('to')}\r\nCall-ID: {call_id}\r\nCSeq: 1 ACK\r\n"
                       f"Content-Length: 0\r\n\r\n")
                uac.send(ack.encode(), srv.addr)
                got = conn.expect_request("ACK")
                check(got.get("route") is None, f"both Route entries removed: {got.get('route')}")
                # The callee hangs up on its connection; the BYE reaches the caller over UDP.
                bye = (f"BYE sip:alice@{LOOPBACK}:{uac.port} SIP/2.0\r\n"
                       f"Via: SIP/2.0/TLS {LOOPBACK}:{conn.port};"
                       f"branch=z9hG4bK-bye{call_id[:6]}\r\n"
                       f"Route: {', '.join(rr)}\r\nMax-Forwards: 70\r\n"
                       f"From: {ok.get('to')}\r\nTo: {ok.get('from')}\r\nCall-ID: {call_id}\r\n"
                       f"CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n")
                conn.send(bye)
                got, src = uac.recv_msg(3)
                check(got is not None and got.method == "BYE", f"BYE at the UDP caller: {got}")
                check_eq(got.first, f"BYE sip:alice@{LOOPBACK}:{uac.port} SIP/2.0", "BYE R-URI")
                check(got.get("route") is None, f"both Route entries removed: {got.get('route')}")
                check(got.all("via")[0].startswith(f"SIP/2.0/UDP {LOOPBACK}:{srv.port}"),
                      f"the BYE leaves by UDP: {got.all('via')[0]}")
                uac.send(reply_to(got, 200, "OK"), src)
                fin = conn.expect_reply()
                check(fin is not None and fin.status == 200, f"200 for the BYE over TLS: {fin}")
                check(callee.accept(0.3) is None, "everything on the one connection")
            check_eq(srv.stat("tcp:opened"), 1, "tcp:opened")
            # counted when the client's Finished reaches the server: wait for it
            check(srv.wait_stat("tcp:tls_handshakes", lambda v: v >= 1) >= 1,
                  "tcp:tls_handshakes")


def test_tls_caller_to_udp_callee_with_double_record_route():
    with UdpPeer() as uas:
        with tls_server(uas_port=uas.port) as srv, connect(srv) as uac:
            call_id = new_callid()
            uac.send(build_request(
                "INVITE", f"sip:udp@{LOOPBACK}:{srv.tls_port}", uac.port, call_id=call_id,
                via=f"SIP/2.0/TLS {LOOPBACK}:{uac.port};branch=z9hG4bK-i1{call_id[:8]}",
                extra=(f"Contact: <sip:alice@{LOOPBACK}:{uac.port};transport=tls>",),
                omit=("Contact",)))
            inv, src = uas.recv_msg(3)
            check(inv is not None and inv.method == "INVITE", f"INVITE at the UDP callee: {inv}")
            rr = inv.all("record-route")
            check_eq(len(rr), 2, f"double Record-Route (UDP out, TLS in): {rr}")
            check(f"{LOOPBACK}:{srv.port}" in rr[0] and "transport=" not in rr[0]
                  and ";r2=on" in rr[0], f"the UDP side on top: {rr[0]}")
            check(f"{LOOPBACK}:{srv.tls_port}" in rr[1] and "transport=tls" in rr[1]
                  and ";r2=on" in rr[1], f"the TLS side below: {rr[1]}")
            check(inv.all("via")[0].startswith(f"SIP/2.0/UDP {LOOPBACK}:{srv.port}"),
                  f"our Via on the UDP side: {inv.all('via')[0]}")
            caller_via = inv.all("via")[1]
            check("received=127.0.0.1" in caller_via and f"rport={uac.port}" in caller_via,
                  f"the caller's Via records its connection: {caller_via}")
            uas.send(reply_to(inv, 180, "Ringing"), src)
            uas.send(reply_to(inv, 200, "OK"), src)
            ok = uac.expect_reply()
            check(ok is not None and ok.status == 200, f"200 back over TLS: {ok}")
            check_eq(len(ok.all("via")), 1, "our Via removed from the reply")
            routes = ", ".join(rr)
            bye = (f"BYE sip:alice@{LOOPBACK}:{uac.port};transport=tls SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {LOOPBACK}:{uas.port};branch=z9hG4bK-bye{call_id[:6]}\r\n"
                   f"Route: {routes}\r\nMax-Forwards: 70\r\n"
                   f"From: {ok.get('to')}\r\nTo: {ok.get('from')}\r\nCall-ID: {call_id}\r\n"
                   f"CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n")
            uas.send(bye.encode(), srv.addr)
            got = uac.expect_request("BYE")
            check_eq(got.first, f"BYE sip:alice@{LOOPBACK}:{uac.port};transport=tls SIP/2.0",
                     "BYE delivered over the caller's own TLS connection")
            check(got.get("route") is None, f"both Route entries removed: {got.get('route')}")
            check(got.all("via")[0].startswith(f"SIP/2.0/TLS {LOOPBACK}:{srv.tls_port}"),
                  f"our Via on the BYE names TLS: {got.all('via')[0]}")
            uac.send(reply_to(got, 200, "OK"))
            fin = uas.expect_reply(3)
            check(fin is not None and fin.status == 200, f"200 for the BYE back over UDP: {fin}")
            check_eq(srv.stat("tcp:opened"), 0, "no connection opened towards the caller")


def _handshake_in_background(listener):
    """Accepts one connection on `listener` and runs its server-side handshake in a thread
    (the server's verification fails, so the handshake raises here): returns the thread and a
    list that gets the outcome ("accepted", "handshake failed" or "no connection")."""
    out = []

    def run():
        try:
            peer = listener.accept(5)
            out.append("accepted" if peer is not None else "no connection")
            if peer is not None:
                peer.recv_raw(1)
                peer.close()
        except (ssl.SSLError, OSError):
            out.append("handshake failed")
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_tls_callees_are_verified_and_a_bad_certificate_fails_the_call_fast():
    """The server's default client profile verifies the callee against the test CA and the
    name of the URI (expired.test and sip2.test resolve to 127.0.0.1 through a test DNS
    server), or its address when the URI has one."""
    sni = []
    named_ctx = server_context(cert("sip2.pem"), cert("sip2.key"))
    named_ctx.sni_callback = lambda sock, name, ctx: sni.append(name)
    hosts = [("expired.test", LOOPBACK), ("sip2.test", LOOPBACK)]
    with DnsServer(hosts=hosts) as dns, \
            StreamListener(tls=True, context=server_context(cert("expired.pem"),
                                                            cert("expired.key"))) as expired, \
            StreamListener(tls=True, context=server_context(cert("sip2.pem"),
                                                            cert("sip2.key"))) as wrong_name, \
            StreamListener(tls=True, context=named_ctx) as named, \
            tls_server(uas_port=wrong_name.port,
                       extra=f'dns_servers = ["{dns.address}"];\ndns_timeout = 1000;\n') as srv, \
            UdpPeer() as uac:
        failures = 0
        for what, ruri, callee, why in (
                ("an expired certificate",
                 f"sip:direct@expired.test:{expired.port};transport=tls", expired, "expired"),
                ("a certificate for sip2.test at 127.0.0.1",
                 f"sip:tls@{LOOPBACK}:{srv.port}", wrong_name, "mismatch")):
            thread, outcome = _handshake_in_background(callee)
            t0 = time.monotonic()
            uac.send(build_request("INVITE", ruri, uac.port), srv.addr)
            r = uac.expect_reply(6)
            took = time.monotonic() - t0
            thread.join(6)
            failures += 1
            # A transport error: the branch's 503 (RFC 3261 §16.9) goes up as 500 (§16.7).
            check(r is not None and r.status == 500, f"{what}: a 500 for the call, got {r}")
            check(took < 4, f"{what}: the 500 came after {took:.1f} s (not timer B)")
            check_eq(outcome, ["handshake failed"], f"{what}: the callee's side")
            check_eq(srv.stat("tcp:tls_handshake_failures"), failures,
                     f"{what}: tcp:tls_handshake_failures")
            # The reason logged is the one meant (OpenSSL's verify error text).
            check(re.search(rf"tls connection to {LOOPBACK}:{callee.port}: .*{why}", srv.log()),
                  f"{what}: no '{why}' in the log line for {LOOPBACK}:{callee.port}")
        check_eq(srv.stat("tcp:tls_handshakes"), 0, "tcp:tls_handshakes before a good callee")
        # The same certificate is good for its own name, which is also sent as SNI.
        uac.send(build_request("INVITE", f"sip:direct@sip2.test:{named.port};transport=tls",
                               uac.port), srv.addr)
        conn = named.accept(3)
        check(conn is not None, "the server connected to sip2.test")
        with conn:
            inv = conn.expect_request("INVITE")
            check_eq(sni, ["sip2.test"], "the SNI the server sent")
            conn.send(reply_to(inv, 486, "Busy Here"))
            r = uac.expect_reply(3)
            check(r is not None and r.status == 486, f"486 from sip2.test relayed: {r}")
            # sips: means TLS too (RFC 3261 §26.2), here on the connection already open.
            uac.send(build_request("INVITE", f"sips:direct@sip2.test:{named.port}", uac.port),
                     srv.addr)
            inv2 = conn.expect_request("INVITE")
            check_eq(inv2.first, f"INVITE sips:direct@sip2.test:{named.port} SIP/2.0",
                     "the sips: INVITE on the TLS connection")
            conn.send(reply_to(inv2, 486, "Busy Here"))
            r = uac.expect_reply(3)
            check(r is not None and r.status == 486, f"486 for the sips: INVITE: {r}")
            check(named.accept(0.3) is None, "no second connection for the sips: INVITE")
        check_eq(srv.stat("tcp:tls_handshakes"), 1, "tcp:tls_handshakes")
        check_eq(srv.stat("tcp:tls_handshake_failures"), 2, "tcp:tls_handshake_failures")


def test_handshake_timeout_and_garbage_close_the_connection():
    with tls_server(tls_settings(handshake_timeout=500)) as srv:
        silent = socket.create_connection(srv.tls_addr, timeout=3)
        silent_peer = StreamPeer(silent)
        t0 = time.monotonic()
        check(silent_peer.wait_closed(3), "a connection that sends nothing is closed")
        took = time.monotonic() - t0
        check(0.4 <= took <= 2.0, f"closed {took:.2f} s after the connect (timeout 0.5 s)")
        silent_peer.close()
        garbage = StreamPeer(socket.create_connection(srv.tls_addr, timeout=3))
        t0 = time.monotonic()
        garbage.send(options(garbage.port, "TLS"))  # SIP in clear text on the TLS port
        check(garbage.wait_closed(2), "a connection that sends no ClientHello is closed")
        took = time.monotonic() - t0
        check(took < 0.35, f"garbage closed after {took:.2f} s, not at once")
        garbage.close()
        check(srv.wait_stat("tcp:tls_handshake_failures", lambda v: v >= 2) == 2,
              "tcp:tls_handshake_failures for the two")
        with connect(srv) as c:
            c.send(options(c.port))
            r = c.expect_reply()
            check(r is not None and r.status == 200, f"a good client afterwards: {r}")
        check(wait_until(lambda: srv.stat("tcp:connections") == 0, 3), "no connection left")


def _raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        raise Skip(f"RLIMIT_NOFILE hard limit {hard} < {want}: cannot hold 1000 TLS connections "
                   f"(the test and the server each need a descriptor per connection)")
    if soft == resource.RLIM_INFINITY or soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def test_a_thousand_tls_connections_held_open():
    count, probes = 1000, 20
    _raise_nofile(2500)  # before the start: the server inherits it
    with tls_server(extra="tcp_max_connections = 2048;\n", tcp_workers=2) as srv:
        ctx = client_context()
        held = []
        try:
            t0 = time.monotonic()
            for i in range(count):
                check(time.monotonic() - t0 < 40, f"only {i} connections opened in 40 s")
                held.append(connect(srv, context=ctx))
            opened = time.monotonic() - t0
            check(wait_until(lambda: srv.stat("tcp:connections") == count, 5),
                  f"tcp:connections {srv.stat('tcp:connections')}, expected {count}")
            # counted when the client's Finished reaches the server: wait for it
            check(srv.wait_stat("tcp:tls_handshakes", lambda v: v >= count) >= count,
                  "tcp:tls_handshakes")
            for c in held[::count // probes]:
                c.send(options(c.port))
                r = c.expect_reply()
                check(r is not None and r.status == 200,
                      f"OPTIONS on connection {held.index(c)} of {count}: {r}")
            check(srv.alive(), "the server is still running")
            print(f"{count} TLS connections opened in {opened:.1f} s")
        finally:
            for c in held:
                c.close()
        check(wait_until(lambda: srv.stat("tcp:connections") == 0, 5),
              f"tcp:connections {srv.stat('tcp:connections')} after closing them all")
        check_eq(srv.stat("tcp:refused"), 0, "tcp:refused")


test_a_thousand_tls_connections_held_open.timeout = 90


def _config_with_tls(servers):
    port, tls_port = free_udp_port(), free_udp_port()
    sockets = f'"udp:{LOOPBACK}:{port}", "tls:{LOOPBACK}:{tls_port}"'
    return write_config(subst={"PORT": port, "SOCKETS": sockets,
                               "EXTRA": tls_settings(servers=servers)}, name="tlscheck")


def test_a_tls_profile_that_does_not_load_stops_the_start():
    cfg, _ = _config_with_tls((DEFAULT_SERVER,))
    ok = check_config(cfg)
    check_eq(ok.returncode, 0, f"the good profile passes the check ({ok.stdout}{ok.stderr})")
    mismatched = dict(DEFAULT_SERVER, name="mism", private_key=cert("sip2.key"))
    missing = dict(DEFAULT_SERVER, name="gone",
                   certificate=os.path.join(os.path.dirname(cfg), "missing.pem"))
    for what, profile, needle in (("a key that does not match", mismatched, "sip2.key"),
                                  ("a missing certificate", missing, "missing.pem")):
        cfg, _ = _config_with_tls((profile,))
        res = check_config(cfg)
        out = res.stdout + res.stderr
        check(res.returncode != 0, f"{what}: sipline -c exited 0 ({out!r})")
        check(f"'{profile['name']}'" in out and needle in out,
              f"{what}: the error names the profile and the file: {out!r}")
        # The server itself refuses to start the same way.
        run = subprocess.run([SIPLINE, "-f", cfg], capture_output=True, text=True, timeout=20,
                             stdin=subprocess.DEVNULL)
        check(run.returncode != 0 and f"'{profile['name']}'" in run.stdout + run.stderr,
              f"{what}: the server started or did not say why: rc {run.returncode} "
              f"{run.stdout + run.stderr!r}")


class TlsBaresip:
    """A scripted baresip (test_softphone.py's setup) registering as `user` over TLS to
    127.0.0.1:<tls_port>, trusting `cafile` (its sip_cafile)."""

    def __init__(self, user, tls_port, cafile):
        self.user = user
        self.dir = unique_path(f"baresip-tls-{user}")
        os.makedirs(self.dir)
        self.port = sip_port()  # UDP/TCP here, TLS on port + 1
        self.cons = free_udp_port(exclude=(self.port, self.port + 1))
        rtp = 20000 + (self.port % 20000)
        config = f"""poll_method\t\tepoll
sip_listen\t\t{LOOPBACK}:{self.port}
sip_trans_def\t\ttls
sip_cafile\t\t{cafile}
net_interface\t\t{LOOPBACK}
dns_server\t\t{LOOPBACK}:9
audio_player\t\taubridge,play-{user}
audio_source\t\taubridge,src-{user}
audio_alert\t\taubridge,alert-{user}
rtp_ports\t\t{rtp}-{rtp + 40}
module_path\t\t{BARESIP_MODULES}
module\t\t\tg711.so
module\t\t\taubridge.so
module\t\t\tcons.so
cons_listen\t\t{LOOPBACK}:{self.cons}
module_app\t\taccount.so
module_app\t\tmenu.so
"""
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(config)
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(f"<sip:{user}@{LOOPBACK}:{tls_port};transport=tls>;regint=60\n")
        self.log_path = os.path.join(os.path.dirname(self.dir), f"baresip-tls-{user}.log")
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["timeout", "-k", "5", "60", BARESIP, "-f", self.dir, "-s"],
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)

    def log(self):
        with open(self.log_path, "rb") as f:
            return re.sub(r"\x1b\[[0-9;]*m", "", f.read().decode("utf-8", "replace"))

    def stop(self):
        if self.proc.poll() is None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"/quit\n", (LOOPBACK, self.cons))
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)  # coreutils timeout passes it on
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
        self.logf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _tls_bindings(srv, user):
    """The contacts of `user` that usrloc holds with the server's tls socket."""
    found = []
    for aor, contacts in ul_dump(srv).items():
        if aor == user or aor.startswith(user + "@"):
            found += [c for c in contacts if c.get("socket") == f"tls:{LOOPBACK}:{srv.tls_port}"]
    return found


def test_baresip_registers_over_tls():
    need_baresip()
    with tls_server() as srv:
        with TlsBaresip("carol", srv.tls_port, cert("ca.pem")) as phone:
            if not wait_until(lambda: _tls_bindings(srv, "carol") or phone.proc.poll() is not None,
                              15, 0.2) or not _tls_bindings(srv, "carol"):
                raise TestFailure(f"baresip did not register over TLS within 15 s "
                                  f"(exit {phone.proc.poll()}; log {phone.log_path}; "
                                  f"tls_handshakes {srv.stat('tcp:tls_handshakes')}, "
                                  f"failures {srv.stat('tcp:tls_handshake_failures')})")
            check(200 in replies_to(phone.log(), "REGISTER"),
                  f"baresip saw no 200 for its REGISTER: {replies_to(phone.log(), 'REGISTER')}")
            binding = _tls_bindings(srv, "carol")[0]
            check("transport=tls" in binding["contact"].lower(),
                  f"the Contact registered names TLS: {binding}")
            check(srv.stat("registrar:accepted_regs") >= 1, "registrar:accepted_regs")
            # counted when the client's Finished reaches the server: wait for it
            check(srv.wait_stat("tcp:tls_handshakes", lambda v: v >= 1) >= 1,
                  "tcp:tls_handshakes")
            # Reached through the server over its own connection: an OPTIONS from a UDP peer
            # is found by lookup and relayed on the TLS connection baresip registered on.
            with UdpPeer() as caller:
                caller.send(build_request("OPTIONS", f"sip:carol@{LOOPBACK}:{srv.tls_port}",
                                          caller.port), srv.addr)
                r = caller.expect_reply(5)
                check(r is not None and r.status == 200, f"OPTIONS to the phone via lookup: {r}")
                check("baresip" in (r.get("server") or ""),
                      f"the 200 came from baresip: {r.raw[:300]!r}")
            check_eq(srv.stat("tcp:opened"), 0, "no connection opened towards the phone")


test_baresip_registers_over_tls.timeout = 60
