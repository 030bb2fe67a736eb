"""Next-hop resolution (RFC 3263) with a real DNS server: dnsmasq on a loopback port holds
NAPTR, SRV and A records that point at peers on 127.0.0.1, and the server is told to use it
(dns_servers).  forward() relays a request for sip:user@<domain> to what the records say; a
DNS server that never answers delays a request by at most dns_timeout and leaves the worker
serving; a name that does not exist fails cleanly.  Never the system resolver."""

import time

from dnsserver import DnsServer, SilentDns
from harness import (LOOPBACK, STAT, Server, SippUas, UdpPeer, build_request, check, check_eq,
                     options_ping, scenario, wait_until)

# Requests for us are answered; everything else goes where DNS says, or gets 503.
DNS_ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("OPTIONS") && $rd == myself) {
    sl_send_reply(200, "OK");
    exit;
  }
  if (!forward()) {
    sl_send_reply(503, "Destination Unresolvable");
  }
}
"""

Q = "dns:queries"
HITS = "dns:cache_hits"
FAILURES = "dns:failures"
TIMEOUTS = "dns:timeouts"


def dns_settings(dns, timeout_ms=1000):
    return f'dns_servers = ["{dns.address}"];\ndns_timeout = {timeout_ms};\n'


def ask(srv, ruri, timeout=3.0):
    """Sends one OPTIONS for `ruri` through the server; (final reply or None, seconds)."""
    with UdpPeer() as uac:
        start = time.monotonic()
        uac.send(build_request("OPTIONS", ruri, uac.port), srv.addr)
        reply = uac.expect_reply(timeout)
        return reply, time.monotonic() - start


def test_request_for_a_domain_reaches_its_srv_target_and_the_answer_is_shared():
    with SippUas("-sf", scenario("options_uas.xml"), calls=2, hard_timeout=40) as uas, \
            UdpPeer() as backup:
        records = dict(
            srv=[("_sip._udp.example.test", "sip1.example.test", uas.port, 10, 50),
                 ("_sip._udp.example.test", "sip2.example.test", backup.port, 20, 50)],
            hosts=[("sip1.example.test", LOOPBACK), ("sip2.example.test", LOOPBACK)])
        with DnsServer(**records) as dns:
            check_eq(dns.query("_sip._udp.example.test", "SRV"), (0, 2), "dnsmasq SRV answer")
            with Server(routes=DNS_ROUTES, extra_settings=dns_settings(dns)) as srv:
                s0 = srv.stats([Q, HITS, STAT.fwd_requests])
                reply, _ = ask(srv, "sip:user@example.test")
                check(reply is not None and reply.status == 200,
                      f"no 200 from the SRV target through the server: {reply}")
                # (the relaying worker counts after its send, maybe after the reply came back)
                fwd = srv.wait_stat(STAT.fwd_requests, lambda v: v > s0[STAT.fwd_requests])
                check_eq(fwd - s0[STAT.fwd_requests], 1, STAT.fwd_requests)
                s1 = srv.stats([Q, HITS])
                # NAPTR (none), SRV, A of the first target
                check(s1[Q] - s0[Q] >= 3, f"{Q} grew by {s1[Q] - s0[Q]}, expected >= 3")
                # Again, from whichever worker: every answer comes from the shared cache.
                reply, _ = ask(srv, "sip:other@EXAMPLE.test")
                check(reply is not None and reply.status == 200, f"second request: {reply}")
                s2 = srv.stats([Q, HITS])
                check_eq(s2[Q], s1[Q], f"{Q} after a cached resolution")
                check(s2[HITS] - s1[HITS] >= 3, f"{HITS} grew by {s2[HITS] - s1[HITS]}")
            data, _ = backup.recv(0.2)
            check(data is None, "the priority-20 SRV target got a request")
        res = uas.wait(10)
        check_eq(res.successful, 2, f"calls answered by the SRV target ({res.describe()})")


def test_naptr_srv_a_chain_skips_transports_we_cannot_send_on():
    with UdpPeer() as uas, UdpPeer() as tcp_target:
        records = dict(
            naptr=[("naptr.test", 10, 10, "s", "SIP+D2T", "", "_sip._tcp.naptr.test"),
                   ("naptr.test", 20, 10, "s", "SIP+D2U", "", "_sip._udp.naptr.test")],
            srv=[("_sip._tcp.naptr.test", "tcp.naptr.test", tcp_target.port, 10, 10),
                 ("_sip._udp.naptr.test", "udp.naptr.test", uas.port, 10, 10)],
            hosts=[("tcp.naptr.test", LOOPBACK), ("udp.naptr.test", LOOPBACK)])
        with DnsServer(**records) as dns:
            check_eq(dns.query("naptr.test", "NAPTR"), (0, 2), "dnsmasq NAPTR answer")
            with Server(routes=DNS_ROUTES, extra_settings=dns_settings(dns)) as srv:
                with UdpPeer() as uac:
                    uac.send(build_request("MESSAGE", "sip:bob@naptr.test", uac.port), srv.addr)
                    req, src = uas.recv_msg(3)
                    check(req is not None, "MESSAGE did not reach the NAPTR->SRV->A target")
                    check_eq(req.first, "MESSAGE sip:bob@naptr.test SIP/2.0", "request line")
                    check_eq(src, srv.addr, "relayed from the server's socket")
                data, _ = tcp_target.recv(0.2)
                check(data is None, "the SIP+D2T target (TCP, not available) got a request")


def test_host_with_a_port_is_looked_up_as_an_address():
    with UdpPeer() as uas:
        with DnsServer(hosts=[("plain.test", LOOPBACK)]) as dns:
            with Server(routes=DNS_ROUTES, extra_settings=dns_settings(dns)) as srv:
                with UdpPeer() as uac:
                    uac.send(build_request("MESSAGE", f"sip:bob@plain.test:{uas.port}", uac.port),
                             srv.addr)
                    req, _ = uas.recv_msg(3)
                    check(req is not None, "MESSAGE did not reach plain.test's A record")


def test_dns_server_that_never_answers_delays_by_at_most_dns_timeout():
    timeout_ms = 500
    with SilentDns() as dns:
        with Server(routes=DNS_ROUTES, udp_workers=1,
                    extra_settings=dns_settings(dns, timeout_ms)) as srv:
            t0 = srv.stat(TIMEOUTS)
            for attempt in range(2):  # a timeout is not cached: the second waits as long
                reply, took = ask(srv, "sip:bob@slow.test", timeout=5)
                check(reply is not None and reply.status == 503,
                      f"attempt {attempt}: expected 503 after the DNS timeout, got {reply}")
                check(0.45 <= took <= timeout_ms / 1000 + 0.5,
                      f"attempt {attempt}: answered after {took:.3f} s (dns_timeout "
                      f"{timeout_ms} ms)")
                # The one worker serves again at once.
                start = time.monotonic()
                pong = options_ping(srv.addr)
                check(pong is not None and pong.status == 200, "worker does not serve after it")
                check(time.monotonic() - start < 0.4, "OPTIONS to the server was slow")
            check(wait_until(lambda: srv.stat(TIMEOUTS) == t0 + 2, 2),
                  f"{TIMEOUTS} did not grow by 2")
            check(dns.pending() >= 2, "no query reached the DNS server")


def test_name_that_does_not_exist_fails_cleanly_and_is_cached_briefly():
    with DnsServer(hosts=[("other.test", LOOPBACK)]) as dns:
        check_eq(dns.query("nowhere.test", "A"), (3, 0), "dnsmasq NXDOMAIN")
        with Server(routes=DNS_ROUTES, extra_settings=dns_settings(dns)) as srv:
            s0 = srv.stats([FAILURES, HITS, Q])
            reply, took = ask(srv, "sip:bob@nowhere.test")
            check(reply is not None and reply.status == 503, f"expected 503, got {reply}")
            check(took < 0.5, f"NXDOMAIN took {took:.3f} s")
            s1 = srv.stats([FAILURES, HITS, Q])
            check_eq(s1[FAILURES] - s0[FAILURES], 1, FAILURES)
            reply, _ = ask(srv, "sip:bob@nowhere.test")
            check(reply is not None and reply.status == 503, f"second request: {reply}")
            s2 = srv.stats([FAILURES, HITS, Q])
            check_eq(s2[Q], s1[Q], f"{Q} (the negative answers are cached)")
            check(s2[HITS] > s1[HITS], f"{HITS} did not grow")
            pong = options_ping(srv.addr)
            check(pong is not None and pong.status == 200, "server does not serve afterwards")
