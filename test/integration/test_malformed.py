"""Malformed datagrams: never kill a worker, are counted exactly, get 400 when they carry
enough to be answered, and are never relayed."""

import os
import re

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


def _mutations(seed, count, base):
    """Deterministic mutants of `base`: byte flips, truncations, duplications, splices."""
    import random
    rnd = random.Random(seed)
    specials = [b"\r\n", b":", b";", b",", b"<", b">", b"\"", b" ", b"\x00", b"\xff", b"0",
                b"99999999999", b"-1", b"SIP/2.0", b"\r\n\r\n", b"=", b"[", b"]"]
    for _ in range(count):
        d = bytearray(base)
        for _ in range(rnd.randint(1, 6)):
            op = rnd.randrange(5)
            pos = rnd.randrange(len(d) + 1)
            if op == 0 and d:
                d[min(pos, len(d) - 1)] = rnd.randrange(256)
            elif op == 1:
                del d[pos:]
            elif op == 2:
                d[pos:pos] = rnd.choice(specials)
            elif op == 3 and d:
                end = min(len(d), pos + rnd.randint(1, 40))
                d[pos:pos] = d[pos:end] * rnd.randint(1, 20)
            elif op == 4 and d:
                del d[pos:pos + rnd.randint(1, 30)]
        yield bytes(d[:65000])


_VIA_HOST = re.compile(rb"sip\s*/\s*2\.0\s*/\s*[^\s]*\s+([^;:,\s]*)", re.I)
_VIA_ADDR_PARAM = re.compile(rb"(?:received|maddr)\s*=\s*([^;,\s]*)", re.I)


def _routes_only_to_loopback(d):
    """False if a Via of datagram d names any host but 127.0.0.1 (the server would send a
    reply there): mutants must never make the server talk to another address or resolve a
    name."""
    in_via = False
    for line in re.split(rb"\r\n|\n|\r", d):
        if line[:1] in (b" ", b"\t"):
            if not in_via:
                continue
        else:
            in_via = line.split(b":", 1)[0].strip().lower() in (b"via", b"v")
            if not in_via:
                continue
        hosts = _VIA_HOST.findall(line) + _VIA_ADDR_PARAM.findall(line)
        if any(h != b"127.0.0.1" for h in hosts) or (b"sip" in line.lower() and not hosts):
            return False
    return True


# no `myself` (a mutated host must not be looked up), OPTIONS answered for the final check
FUZZ_ROUTES = """\
route {
  if (is_method("OPTIONS")) {
    sl_send_reply(200, "OK");
    exit;
  }
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  forward("udp:127.0.0.1:@UAS_PORT@");
}
# runs on every refused request: reads the partly parsed message through many accessors
error_route {
  xlog("L_DBG", "error_route: $err.info ($err.rcode) $rm $(ru{uri.user}) $fu $tt $ci $ua\n");
  if ($err.rcode == 400 && $(hdr(Via){s.len}) > 1000) {
    drop;
  }
}
"""


def test_mutated_requests_and_replies_never_kill_a_worker():
    from harness import scaled
    count = scaled(10000, 100000)
    seed = int(os.environ.get("SIPLINE_FUZZ_SEED", "4242"))
    with UdpPeer() as uas, UdpPeer() as peer:
        with Server(routes=FUZZ_ROUTES, uas_port=uas.port, udp_workers=2) as srv:
            workers = srv.pids_by_role().get("udp-worker")
            inv = build_request("INVITE", f"sip:bob@127.0.0.1:{srv.port};transport=udp",
                                peer.port, extra=("Route: <sip:127.0.0.1;lr>",
                                                  "Content-Type: application/sdp"),
                                body=b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n")
            rpl = (f"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:{srv.port};branch=z9hG4bKa"
                   f", SIP/2.0/UDP 127.0.0.1:{peer.port};branch=z9hG4bKb;rport=1;received=127.0.0.1"
                   "\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c@h\r\n"
                   "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()
            sent = skipped = 0
            for i, d in enumerate(_mutations(seed, count, inv)):
                for m in (d, next(_mutations(seed + i + 1, 1, rpl))):
                    if _routes_only_to_loopback(m):
                        peer.send(m, srv.addr)
                        sent += 1
                    else:
                        skipped += 1
                if i % 200 == 199:  # pace: let the workers keep up, drain what comes back
                    peer.drain(0.01)
                    uas.drain(0.01)
                    check(srv.alive(), f"server died within the first {sent} mutants "
                          f"(SIPLINE_FUZZ_SEED={seed})")
            peer.drain(0.2)
            uas.drain(0.1)
            check(sent > count, f"too few mutants sent ({sent}, {skipped} skipped)")
            reply = options_ping(srv.addr)
            check(reply is not None and reply.status == 200,
                  f"OPTIONS not answered after {sent} mutants (seed {seed})")
            check_eq(srv.pids_by_role().get("udp-worker"), workers,
                     f"worker pids after {sent} mutants (seed {seed})")


test_mutated_requests_and_replies_never_kill_a_worker.timeout = 180


ERROR_ROUTES = """\
route {
  sl_send_reply(200, "OK");
}
error_route {
  xlog("L_NOTICE", "error_route: class $err.class level $err.level rcode $err.rcode: $err.info\\n");
  if ($rm == "MESSAGE") {
    drop;
  }
  if ($rm == "INFO") {
    sl_send_reply(499, "Refused by script");
  }
}
"""


def test_error_route_sees_the_error_and_may_answer_or_drop():
    with UdpPeer() as peer, Server(routes=ERROR_ROUTES) as srv:
        ruri = f"sip:bob@127.0.0.1:{srv.port}"
        # the route does nothing for INVITE: the server answers 400 as without it
        peer.send(build_request("INVITE", ruri, peer.port, omit=("Call-ID",)), srv.addr)
        r = peer.expect_reply(3)
        check(r is not None and r.status == 400, f"INVITE without Call-ID: {r and r.first}")
        check(wait_until(lambda: re.search(r"error_route: class 1 level 1 rcode 400: \S",
                                           srv.log()), 3),
              f"error_route did not log $err.*: {srv.log()[-800:]}")
        # it answers INFO itself: only its reply goes out
        peer.send(build_request("INFO", ruri, peer.port, omit=("Call-ID",)), srv.addr)
        r = peer.expect_reply(3)
        check(r is not None and r.status == 499, f"INFO: {r and r.first}")
        check(peer.expect_reply(0.5) is None, "a second reply after the script answered")
        # it drops MESSAGE: no reply at all
        peer.send(build_request("MESSAGE", ruri, peer.port, omit=("Call-ID",)), srv.addr)
        check(peer.expect_reply(1) is None, "a dropped MESSAGE was answered")
        # good requests never reach it
        peer.send(build_request("OPTIONS", ruri, peer.port), srv.addr)
        r = peer.expect_reply(3)
        check(r is not None and r.status == 200, f"OPTIONS: {r and r.first}")
        check_eq(srv.log().count("error_route:"), 3, "error_route runs")
