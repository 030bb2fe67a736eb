"""RFC 4475's registrar messages sent to the registrar without authentication
(cfg/examples/registrar-proxy.routes with usrloc in memory; example.com is an alias of the server):
unksm2 (§3.3.4), cparam01 (§3.3.12), cparam02 (§3.3.13), regescrt (§3.3.14) and escnull (§3.1.1.4),
read byte-exact from test/corpora/rfc4475.

One line is changed before sending: the top Via, whose sent-by names a host of the RFC's
(saturn.example.com, host5.example.com, 192.0.2.21), becomes 127.0.0.1:<test port> with the
message's own branch, so that the reply comes back to the test instead of going to port 5060.
Every other byte is the corpus's (checked). The verdicts are the RFC's:
  unksm2    400: the To of a REGISTER must be a SIP or SIPS URI; nothing is bound
  cparam01  200; 'unknownparam' is a contact parameter, never part of the bound URI
  cparam02  200; the bound URI keeps ';unknownparam' as a URI parameter
  regescrt  200; the bound URI keeps its escaped Route header (?Route=%3C...%3E)
  escnull   200; two distinct bindings (%00 and %00%00) of the AOR null-%00-null, whose
            user part is not cut short at the escaped NUL
and every binding is seen again in a later query and in the server's MI."""

import os
import re

from harness import UdpPeer, check, check_eq
from location_flows import (Phone, check_server_stops_cleanly, check_status,
                            check_workers_answer, contacts_of, registrar_server, ul_contacts)

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpora", "rfc4475")


def corpus_message(name):
    with open(os.path.join(CORPUS, name + ".dat"), "rb") as f:
        return f.read()


def with_our_via(data, port):
    """`data` with its one Via header line replaced by one for 127.0.0.1:port (same branch);
    fails unless every other byte stays as it was."""
    lines = data.split(b"\r\n")
    vias = [i for i, ln in enumerate(lines) if re.match(rb"(?i)(via|v)\s*:", ln)]
    check_eq(len(vias), 1, "Via header lines in the corpus message")
    branch = re.search(rb"branch=([^;\s]+)", lines[vias[0]]).group(1)
    new = lines[:vias[0]] + [b"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s" % (port, branch)] + \
        lines[vias[0] + 1:]
    out = b"\r\n".join(new)
    check_eq(out.replace(new[vias[0]], lines[vias[0]]), data, "the rest of the message")
    return out


def send_corpus(srv, peer, name):
    peer.send(with_our_via(corpus_message(name), peer.port), srv.addr)
    reply = peer.expect_reply(3)
    check(reply is not None, f"{name}: no final reply")
    return reply


def query(srv, user):
    with Phone(srv.addr, user, domain="example.com") as p:
        r = p.query()
        check_status(r, 200, f"query of {user}@example.com")
        return [b.uri for b in contacts_of(r)]


def unregister_all(srv, user):
    with Phone(srv.addr, user, domain="example.com") as p:
        check_status(p.unregister_all(), 200, f"Contact: * for {user}@example.com")


def mi_uris(srv, aor):
    return sorted(c.get("contact") for c in ul_contacts(srv, aor))


def test_unksm2_register_with_non_sip_to_is_refused_400():
    with registrar_server(aliases=["example.com"]) as srv, UdpPeer() as peer:
        reply = send_corpus(srv, peer, "unksm2")
        check_status(reply, 400, "unksm2 (To: isbn:2983792873)")
        check_eq(mi_uris(srv, "isbn:2983792873"), [], "bindings after unksm2")
        check_workers_answer(srv)
        check_server_stops_cleanly(srv)


def test_cparam01_and_cparam02_keep_contact_and_uri_parameters_apart():
    with registrar_server(aliases=["example.com"]) as srv, UdpPeer() as peer:
        plain = "sip:+19725552222@gw1.example.net"
        r1 = send_corpus(srv, peer, "cparam01")
        check_status(r1, 200, "cparam01")
        check_eq([b.uri for b in contacts_of(r1)], [plain], "binding in the 200 of cparam01")
        check_eq(query(srv, "watson"), [plain], "binding in a later query (cparam01)")
        check_eq(mi_uris(srv, "watson"), [plain], "binding in the MI (cparam01)")

        unregister_all(srv, "watson")
        with_param = plain + ";unknownparam"
        r2 = send_corpus(srv, peer, "cparam02")
        check_status(r2, 200, "cparam02")
        check_eq([b.uri for b in contacts_of(r2)], [with_param],
                 "binding in the 200 of cparam02")
        check_eq(query(srv, "watson"), [with_param], "binding in a later query (cparam02)")
        check_eq(mi_uris(srv, "watson"), [with_param], "binding in the MI (cparam02)")
        check_workers_answer(srv)
        check_server_stops_cleanly(srv)


def test_regescrt_binding_keeps_its_escaped_route_header():
    with registrar_server(aliases=["example.com"]) as srv, UdpPeer() as peer:
        uri = "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
        reply = send_corpus(srv, peer, "regescrt")
        check_status(reply, 200, "regescrt")
        check_eq([b.uri for b in contacts_of(reply)], [uri], "binding in the 200")
        check_eq(query(srv, "user"), [uri], "binding in a later query")
        check_eq(mi_uris(srv, "user"), [uri], "binding in the MI")
        check_workers_answer(srv)
        check_server_stops_cleanly(srv)


def test_escnull_registers_two_contacts_under_the_whole_aor():
    with registrar_server(aliases=["example.com"]) as srv, UdpPeer() as peer:
        want = ["sip:%00%00@host5.example.com", "sip:%00@host5.example.com"]
        reply = send_corpus(srv, peer, "escnull")
        check_status(reply, 200, "escnull")
        check_eq(sorted(b.uri for b in contacts_of(reply)), want, "bindings in the 200")
        check_eq(sorted(query(srv, "null-%00-null")), want, "bindings in a later query")
        check_eq(mi_uris(srv, "null-%00-null"), want, "bindings of null-%00-null in the MI")
        # the AOR was not cut at the NUL: "null-" has nothing
        check_eq(query(srv, "null-"), [], "bindings of a truncated AOR")
        check_workers_answer(srv)
        check_server_stops_cleanly(srv)
