"""Malformed datagrams: never kill a worker, are counted exactly, get 400 when they carry
enough to be answered, and are never relayed."""

from harness import (STAT, Server, UdpPeer, build_request, check, check_eq, options_ping,
                     wait_until)


def malformed_datagrams(peer_port, server_port):
    """(label, datagram, reply the server must send or None if it must not answer 2xx-6xx
    other than 400).  Every entry is unparseable and counts once in core:parse_errors."""
    ruri = f"sip:bob@127.0.0.1:{server_port}"
    invite = build_request("INVITE", ruri, peer_port)
    cut = invite.index(b"Via: SIP/2.0/UD") + len(b"Via: SIP/2.0/UD")
    return [
        ("garbage", b"\x00\xff\xfeHELLO this is not SIP\x01\x02\r\n\r\n", None),
        ("truncated INVITE (cut inside the first Via)", invite[:cut], None),
        ("request without Call-ID",
         build_request("INVITE", ruri, peer_port, omit=("Call-ID",)), 400),
        ("request with a non-numeric CSeq",
         build_request("INVITE", ruri, peer_port, cseq="one INVITE"), 400),
        ("reply with garbage after the status line",
         b"SIP/2.0 200 OK\r\n\x01\x02\x03\xff garbage \x00\r\nVia SIP/2.0 junk\r\n\r\n", None),
        ("empty datagram", b"", None),
        ("60 KB of junk", (b"J\x00U\xffN\x7fK " * (60 * 1024 // 8))[:60 * 1024], None),
    ]


def test_malformed_datagrams_are_counted_and_do_not_kill_workers():
    with Server(udp_workers=2) as srv, UdpPeer() as peer:
        workers_before = srv.pids_by_role().get("udp-worker")
        check(workers_before and len(workers_before) == 2,
              f"expected 2 udp workers, ps says {workers_before}")
        base = srv.stat(STAT.parse_errors)
        err_rpl0 = srv.stat(STAT.err_replies)
        data = malformed_datagrams(peer.port, srv.port)
        expected = base
        for label, dgram, want in data:
            peer.send(dgram, srv.addr)
            expected += 1
            got = srv.wait_stat(STAT.parse_errors, lambda v: v >= expected, timeout=3)
            check_eq(got, expected, f"{STAT.parse_errors} after '{label}'")
            reply = peer.expect_reply(timeout=1.0 if want else 0.3, skip_provisional=False)
            if want is not None:
                check(reply is not None, f"'{label}': no reply, expected {want}")
                check_eq(reply.status, want, f"status of the reply to '{label}'")
            elif reply is not None:
                check_eq(reply.status, 400, f"'{label}' may only be answered with 400")
            check(srv.alive(), f"server exited after '{label}'")
        # a second round back to back, to reach both workers; every datagram counts again
        for _, dgram, _ in data:
            peer.send(dgram, srv.addr)
        expected += len(data)
        got = srv.wait_stat(STAT.parse_errors, lambda v: v >= expected, timeout=5)
        check_eq(got, expected, f"{STAT.parse_errors} after the second round")
        check(srv.stat(STAT.err_replies) > err_rpl0,
              f"{STAT.err_replies} did not count the garbage reply")
        peer.drain(0.2)

        reply = options_ping(srv.addr)
        check(reply is not None and reply.status == 200,
              f"OPTIONS after the malformed datagrams: {reply}")
        workers_after = srv.pids_by_role().get("udp-worker")
        check_eq(workers_after, workers_before, "udp worker pids before/after")
        check(wait_until(lambda: srv.stat(STAT.parse_errors) == expected, 0.5),
              f"{STAT.parse_errors} changed without malformed input")


def test_malformed_requests_are_not_relayed():
    with UdpPeer() as uas, UdpPeer() as peer:
        with Server(uas_port=uas.port) as srv:
            for label, dgram, _ in malformed_datagrams(peer.port, srv.port):
                peer.send(dgram, srv.addr)
            # a good INVITE afterwards is relayed: proves the sink is the relay target
            good = build_request("INVITE", f"sip:bob@127.0.0.1:{srv.port}", peer.port)
            peer.send(good, srv.addr)
            good_cid = [ln for ln in good.split(b"\r\n") if ln.startswith(b"Call-ID:")][0]
            got = []
            while True:
                data, _ = uas.recv(3 if not got else 0.5)
                if data is None:
                    break
                got.append(data)
            check(any(good_cid in d for d in got),
                  "the well-formed INVITE was not relayed to the UAS")
            bad = [d[:100] for d in got if good_cid not in d]
            check(not bad, f"malformed datagrams relayed to the UAS: {bad}")
