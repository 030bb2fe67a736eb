"""A call to a user at another domain, found through DNS (RFC 3263) and relayed statefully:
dnsmasq on a loopback port holds two SRV targets for the domain; when the first one does not
answer (no reply at all within fr_timeout) or answers 503, t_relay() moves to the second
inside the same transaction and blacklists the first, so the next request goes straight to
the second.  The registrar + proxy script (cfg/examples/registrar-proxy.routes) routes; never
the system resolver."""

from dnsserver import DnsServer
from harness import (LOOPBACK, UdpPeer, build_request, check, check_eq, new_branch,
                     recv_request, reply_to)
from sipp_flows import check_no_transactions, proxy

FAILOVERS = "tm:dns_failovers"
BLACKLISTED = "dns:blacklisted"


def _srv_records(first_port, second_port):
    return dict(
        srv=[("_sip._udp.example.test", "sip1.example.test", first_port, 10, 50),
             ("_sip._udp.example.test", "sip2.example.test", second_port, 20, 50)],
        hosts=[("sip1.example.test", LOOPBACK), ("sip2.example.test", LOOPBACK)])


def _dns_settings(dns):
    return f'dns_servers = ["{dns.address}"];\ndns_timeout = 1000;\n'


def test_silent_first_srv_target_fails_over_to_the_second_and_is_blacklisted():
    with UdpPeer() as silent, UdpPeer() as second, UdpPeer() as uac:
        with DnsServer(**_srv_records(silent.port, second.port)) as dns:
            with proxy(tm={"fr_timeout": 1}, extra_settings=_dns_settings(dns)) as srv:
                uac.send(build_request("OPTIONS", "sip:bob@example.test", uac.port,
                                       branch=new_branch()), srv.addr)
                first, _ = recv_request(silent, "OPTIONS")
                # nothing from the first target: after fr_timeout the second one gets it
                req, at = recv_request(second, "OPTIONS", timeout=4)
                check_eq(req.get("call-id"), first.get("call-id"), "Call-ID of the failover")
                second.send(reply_to(req, 200, "OK"), at)
                ok = uac.expect_reply(3)
                check(ok is not None and ok.status == 200, f"caller got {ok}, expected 200")
                check_eq(srv.stat(FAILOVERS), 1, FAILOVERS)
                check(srv.stat(BLACKLISTED) >= 1, f"{BLACKLISTED} = {srv.stat(BLACKLISTED)}")
                silent.drain(0.3)  # its retransmissions of the first request
                # the first target is blacklisted now: the next request goes to the second
                uac.send(build_request("OPTIONS", "sip:carol@example.test", uac.port,
                                       branch=new_branch()), srv.addr)
                req, at = recv_request(second, "OPTIONS", timeout=3)
                second.send(reply_to(req, 200, "OK"), at)
                ok = uac.expect_reply(3)
                check(ok is not None and ok.status == 200, f"second request: {ok}")
                stray, _ = silent.recv(0.3)
                check(stray is None, "a blacklisted target got the next request")
                check_eq(srv.stat(FAILOVERS), 1, f"{FAILOVERS} after the second request")
                check_no_transactions(srv)


def test_service_unavailable_from_the_first_srv_target_moves_the_invite_to_the_second():
    with UdpPeer() as busy_gw, UdpPeer() as second, UdpPeer() as uac:
        with DnsServer(**_srv_records(busy_gw.port, second.port)) as dns:
            with proxy(extra_settings=_dns_settings(dns)) as srv:
                uac.send(build_request("INVITE", "sip:bob@example.test", uac.port,
                                       branch=new_branch()), srv.addr)
                inv1, at1 = recv_request(busy_gw, "INVITE")
                busy_gw.send(reply_to(inv1, 503, "Service Unavailable", tag="gw1"), at1)
                ack, _ = recv_request(busy_gw, "ACK")  # the 503 is ACKed hop by hop
                check(ack.get("to").endswith(";tag=gw1"), f"To of the ACK: {ack.get('to')}")
                inv2, at2 = recv_request(second, "INVITE")
                check_eq(inv2.get("call-id"), inv1.get("call-id"), "Call-ID at the second target")
                second.send(reply_to(inv2, 200, "OK", tag="gw2"), at2)
                final = uac.expect_reply(3)
                check(final is not None and final.status == 200,
                      f"caller got {final}, expected the second target's 200 (never the 503)")
                check_eq(srv.stat(FAILOVERS), 1, FAILOVERS)
                check_no_transactions(srv)
