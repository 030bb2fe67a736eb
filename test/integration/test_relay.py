"""Stateless relay semantics, checked datagram by datagram with hand-made SIP:
Via handling both ways (received and rport set from the source, whatever the sender wrote),
Max-Forwards (RFC 3261 §16.3 step 3, §16.6 step 3), and replies that are not ours."""

from harness import (LOOPBACK, STAT, Server, UdpPeer, build_request, check, check_eq,
                     new_branch, wait_until)


def _reply_to(req, status=200, reason="OK"):
    """A reply to SipMsg `req` as a UAS builds it: every Via copied in order."""
    lines = [f"SIP/2.0 {status} {reason}"]
    lines += [f"Via: {v}" for v in req.all("via")]
    for h in ("from", "call-id", "cseq"):
        lines.append(f"{h.title()}: {req.get(h)}")
    lines.append(f"To: {req.get('to')};tag=uas1")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_request_is_relayed_with_our_via_on_top_and_the_reply_comes_back_by_via():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(uas_port=uas.port) as srv:
            ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
            branch = new_branch()
            s0 = srv.stats([STAT.fwd_requests, STAT.fwd_replies])
            uac.send(build_request("INVITE", ruri, uac.port, branch=branch), srv.addr)
            req, src = uas.recv_msg(3)
            check(req is not None, "INVITE not relayed to the UAS")
            check_eq(req.first, f"INVITE {ruri} SIP/2.0", "relayed request line")
            check_eq(src, (LOOPBACK, srv.port), "relayed from the server's socket")
            vias = req.all("via")
            check_eq(len(vias), 2, f"Via count in the relayed request {vias}")
            top = vias[0]
            check(top.startswith(f"SIP/2.0/UDP {LOOPBACK}:{srv.port};"),
                  f"top Via is not the server's: {top!r}")
            check("branch=z9hG4bK" in top, f"top Via without an RFC 3261 branch: {top!r}")
            check(f"branch={branch}" not in top, "server reused the client's branch")
            check(vias[1].startswith(f"SIP/2.0/UDP {LOOPBACK}:{uac.port};branch={branch}"),
                  f"second Via is not the client's: {vias[1]!r}")
            check_eq(req.get("max-forwards"), "69", "Max-Forwards after one hop (70 sent)")

            uas.send(_reply_to(req, 180, "Ringing"), src)
            uas.send(_reply_to(req), src)
            got = [uac.recv_msg(3)[0], uac.recv_msg(3)[0]]
            check(all(got), f"replies not relayed back to the UAC: {got}")
            # Two workers read the socket: a stateless relay may swap back-to-back replies.
            check_eq(sorted(m.status for m in got), [180, 200], "relayed reply statuses")
            for m in got:
                check_eq(m.all("via"), vias[1:], "Vias of the relayed reply (ours removed)")
            # A worker counts a relayed reply once it is sent: the UAC may see it first.
            srv.wait_stat(STAT.fwd_replies, lambda v: v - s0[STAT.fwd_replies] >= 2)
            s1 = srv.stats([STAT.fwd_requests, STAT.fwd_replies])
            check_eq(s1[STAT.fwd_requests] - s0[STAT.fwd_requests], 1, STAT.fwd_requests)
            check_eq(s1[STAT.fwd_replies] - s0[STAT.fwd_replies], 2, STAT.fwd_replies)


def test_max_forwards_zero_is_answered_483_and_not_relayed():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(uas_port=uas.port) as srv:
            ex0 = srv.stat(STAT.maxfwd_exceeded)
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{srv.port}", uac.port,
                                   max_forwards=0), srv.addr)
            reply = uac.expect_reply(3, skip_provisional=False)
            check(reply is not None, "no reply to Max-Forwards: 0")
            check_eq(reply.status, 483, "status for Max-Forwards: 0")
            check(reply.get("via") and f"{LOOPBACK}:{uac.port}" in reply.get("via"),
                  f"483 does not carry the request's Via: {reply.raw[:300]!r}")
            data, _ = uas.recv(0.5)
            check(data is None,
                  f"request with Max-Forwards: 0 was relayed: {(data or b'')[:200]!r}")
            check(wait_until(lambda: srv.stat(STAT.maxfwd_exceeded) == ex0 + 1, 2),
                  f"{STAT.maxfwd_exceeded} did not grow by 1")


def test_missing_max_forwards_is_added_with_the_configured_value():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(uas_port=uas.port) as srv:
            uac.send(build_request("MESSAGE", f"sip:bob@{LOOPBACK}:{srv.port}", uac.port,
                                   max_forwards=None), srv.addr)
            req, _ = uas.recv_msg(3)
            check(req is not None, "request without Max-Forwards not relayed")
            check_eq(req.all("max-forwards"), ["10"],
                     "Max-Forwards added by mf_process_maxfwd_header(10)")


def test_reply_whose_top_via_is_not_ours_is_dropped():
    with UdpPeer() as uac, UdpPeer() as other, UdpPeer() as next_hop:
        with Server() as srv:
            d0 = srv.stats([STAT.drop_replies, STAT.fwd_replies])
            # top Via: a loopback address that is not the server's socket; the second Via
            # is where a broken relay would send it
            reply = (
                "SIP/2.0 200 OK\r\n"
                f"Via: SIP/2.0/UDP {LOOPBACK}:{other.port};branch={new_branch()}\r\n"
                f"Via: SIP/2.0/UDP {LOOPBACK}:{next_hop.port};branch={new_branch()}\r\n"
                f"From: <sip:a@{LOOPBACK}>;tag=1\r\nTo: <sip:b@{LOOPBACK}>;tag=2\r\n"
                "Call-ID: foreign-via@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
            uac.send(reply, srv.addr)
            check(wait_until(lambda: srv.stat(STAT.drop_replies) == d0[STAT.drop_replies] + 1,
                             3), f"{STAT.drop_replies} did not grow by 1")
            for sock, what in ((other, "top Via"), (next_hop, "second Via")):
                data, _ = sock.recv(0.3)
                check(data is None, f"foreign reply was sent to its {what}")
            check_eq(srv.stat(STAT.fwd_replies), d0[STAT.fwd_replies], STAT.fwd_replies)


def test_reply_goes_to_the_source_port_with_rport_and_to_the_via_port_without():
    """RFC 3581 §4: with ;rport the reply goes back to the source port (and the Via gets
    rport=<port>); RFC 3261 §18.2.2: without it, to the port in the Via's sent-by."""
    with UdpPeer() as src, UdpPeer() as via_port, UdpPeer() as uas:
        with Server(uas_port=uas.port) as srv:
            ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
            # a locally answered request (483) ...
            for rport in (True, False):
                via = f"SIP/2.0/UDP {LOOPBACK}:{via_port.port};branch={new_branch()}" + \
                    (";rport" if rport else "")
                src.send(build_request("OPTIONS", ruri, via_port.port, via=via,
                                       max_forwards=0), srv.addr)
                where, other = (src, via_port) if rport else (via_port, src)
                reply = where.expect_reply(3, skip_provisional=False)
                check(reply is not None and reply.status == 483,
                      f"483 {'with' if rport else 'without'} rport not received at the "
                      f"{'source' if rport else 'Via'} port: {reply}")
                if rport:
                    check(f"rport={src.port}" in reply.get("via"),
                          f"Via of the reply lacks rport={src.port}: {reply.get('via')!r}")
                stray, _ = other.recv(0.2)
                check(stray is None, "reply also sent to the other port")
            # ... and a relayed one: the reply from the UAS follows the filled-in rport
            via = f"SIP/2.0/UDP {LOOPBACK}:{via_port.port};branch={new_branch()};rport"
            src.send(build_request("INVITE", ruri, via_port.port, via=via), srv.addr)
            req, at = uas.recv_msg(3)
            check(req is not None, "INVITE not relayed")
            second = req.all("via")[1]
            check(f"rport={src.port}" in second,
                  f"relayed request: client Via lacks rport={src.port}: {second!r}")
            uas.send(_reply_to(req), at)
            reply = src.expect_reply(3)
            check(reply is not None and reply.status == 200,
                  "relayed 200 did not reach the source port")


def test_received_and_rport_the_sender_wrote_are_replaced_so_replies_reach_it():
    """RFC 3261 §18.2.1 (received is the packet's source) and RFC 3581: a client that writes
    received=/rport= values of its own must not get the replies sent to another host (here
    127.0.0.2, a reflection target), for a locally answered and for a relayed request."""
    import socket
    with UdpPeer() as src, UdpPeer() as uas, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as victim:
        victim.bind(("127.0.0.2", 0))
        victim.settimeout(0.3)
        forged = f";received=127.0.0.2;rport={victim.getsockname()[1]}"
        with Server(uas_port=uas.port) as srv:
            ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
            for max_forwards in (0, 70):  # answered 483 here / relayed to the UAS
                via = f"SIP/2.0/UDP 192.0.2.1:5070;branch={new_branch()}{forged}"
                src.send(build_request("INVITE", ruri, src.port, via=via,
                                       max_forwards=max_forwards), srv.addr)
                if max_forwards:
                    req, at = uas.recv_msg(3)
                    check(req is not None, "INVITE not relayed")
                    client_via = req.all("via")[1]
                    check(f"received={LOOPBACK}" in client_via and
                          f"rport={src.port}" in client_via,
                          f"relayed Via keeps the forged values: {client_via!r}")
                    uas.send(_reply_to(req), at)
                reply = src.expect_reply(3)
                want = 483 if max_forwards == 0 else 200
                check(reply is not None and reply.status == want,
                      f"the {want} did not reach the client: {reply}")
                try:
                    data, _ = victim.recvfrom(65535)
                except socket.timeout:
                    data = None
                check(data is None, f"a reply went to the forged address: {data[:40]!r}"
                      if data else "")


LOOP_ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  forward("udp:127.0.0.1:@PORT@");
}
"""


def test_request_routed_to_itself_stops_at_max_forwards_and_the_483_comes_back():
    with UdpPeer() as uac:
        with Server(routes=LOOP_ROUTES) as srv:
            hops = 20
            f0 = srv.stat(STAT.fwd_requests)
            via = f"SIP/2.0/UDP {LOOPBACK}:{uac.port};branch={new_branch()}"
            uac.send(build_request("MESSAGE", f"sip:loop@{LOOPBACK}:{srv.port}", uac.port,
                                   via=via, max_forwards=hops), srv.addr)
            reply = uac.expect_reply(5, skip_provisional=False)
            check(reply is not None, "no reply to a request looping through the server")
            check_eq(reply.status, 483, "status after the loop")
            check_eq(reply.all("via"), [via], "Vias of the 483 back at the client")
            check_eq(srv.stat(STAT.fwd_requests) - f0, hops, "hops relayed before the 483")
            check(uac.recv(0.3)[0] is None, "more than one reply")


def test_compact_header_forms_are_relayed_both_ways():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(uas_port=uas.port) as srv:
            branch = new_branch()
            msg = (f"MESSAGE sip:bob@{LOOPBACK}:{srv.port} SIP/2.0\r\n"
                   f"v: SIP/2.0/UDP {LOOPBACK}:{uac.port};branch={branch}\r\n"
                   f"f: <sip:alice@{LOOPBACK}>;tag=a1\r\nt: <sip:bob@{LOOPBACK}>\r\n"
                   "i: compact-forms@test\r\nCSeq: 7 MESSAGE\r\nMax-Forwards: 70\r\n"
                   "c: text/plain\r\nl: 5\r\n\r\nhello").encode()
            uac.send(msg, srv.addr)
            req, at = uas.recv_msg(3)
            check(req is not None, "compact-form request not relayed")
            check(req.raw.endswith(b"\r\n\r\nhello"), f"body not relayed intact: {req.raw[-40:]!r}")
            check_eq(len(req.all("via")), 2, f"Vias at the UAS: {req.all('via')}")
            # reply with both Vias in one comma-separated compact header
            rpl = (f"SIP/2.0 200 OK\r\nv: {', '.join(req.all('via'))}\r\n"
                   f"f: {req.get('from')}\r\nt: {req.get('to')};tag=b1\r\n"
                   f"i: {req.get('call-id')}\r\nCSeq: 7 MESSAGE\r\nl: 0\r\n\r\n").encode()
            uas.send(rpl, at)
            reply = uac.expect_reply(3)
            check(reply is not None and reply.status == 200, "compact-form reply not relayed")
            check_eq(len(reply.all("via")), 1, f"Vias back at the UAC: {reply.all('via')}")
            check(f"branch={branch}" in reply.all("via")[0], "client Via lost")


def test_request_too_big_to_relay_does_not_harm_the_worker():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(uas_port=uas.port, udp_workers=1) as srv:
            workers = srv.pids_by_role().get("udp-worker")
            # a 65490-byte request: with the server's Via it exceeds the UDP maximum (65507)
            def req(n):
                return build_request("MESSAGE", f"sip:bob@{LOOPBACK}:{srv.port}", uac.port,
                                     body=b"x" * n, extra=("Content-Type: text/plain",),
                                     call_id="too-big@test", branch="z9hG4bK-too-big")
            big = req(65490 - len(req(10000)) + 10000)  # same Content-Length digit count
            check_eq(len(big), 65490, "test datagram size")
            d0 = srv.stats([STAT.fwd_requests, STAT.drop_requests])
            uac.send(big, srv.addr)
            data, _ = uas.recv(1)
            check(data is None, f"a {len(data or b'')}-byte datagram reached the UAS")
            reply = uac.expect_reply(1, skip_provisional=False)
            check(reply is None or reply.status >= 500 or reply.status == 413,
                  f"unexpected reply to an unrelayable request: {reply}")
            uac.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", uac.port), srv.addr)
            reply = uac.expect_reply(3)
            check(reply is not None and reply.status == 200, "OPTIONS not answered afterwards")
            check_eq(srv.pids_by_role().get("udp-worker"), workers, "worker pids")
            d1 = srv.stats([STAT.fwd_requests, STAT.drop_requests])
            check_eq(d1[STAT.fwd_requests], d0[STAT.fwd_requests],
                     f"{STAT.fwd_requests} counted a relay that could not be sent")
            check(d1[STAT.drop_requests] > d0[STAT.drop_requests],
                  f"{STAT.drop_requests} did not count the request that could not be relayed")


def test_bytes_beyond_content_length_are_not_relayed():
    """RFC 3261 §18.3: octets of a UDP datagram beyond Content-Length MUST be discarded."""
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(uas_port=uas.port) as srv:
            msg = build_request("MESSAGE", f"sip:bob@{LOOPBACK}:{srv.port}", uac.port,
                                body=b"hello", extra=("Content-Type: text/plain",))
            uac.send(msg + b" trailing junk", srv.addr)
            data, _ = uas.recv(3)
            check(data is not None, "request with bytes after its body was not relayed")
            check(data.endswith(b"\r\n\r\nhello"),
                  f"relayed body is not exactly Content-Length bytes: ...{data[-40:]!r}")
