"""NAT handling of the provider's default script (cfg/sipline.routes with WITH_NAT, as
cfg/sipline.cfg ships it) against a real PostgreSQL, on loopback: phones that write a private
Contact and SDP (as phones behind NAT do) register with digest credentials and are stored at
the address their packets come from, marked NATed, and get OPTIONS keepalives; a call between
two of them reaches the callee there, each side sees the other's Contact and SDP rewritten to
its public address (the callee's in the reply, from the branch flags the registration kept).
With WITH_MEDIA_RELAY and a real rtpengine, both SDPs carry the relay's address and ports
instead, and the BYE ends the relay's session. test_nat.py runs the same kind of flows
through a real NAT in network namespaces."""

import os
import re

from auth_flows import DOMAIN, AuthDb, add_subscriber, provider_server
from digest_client import DigestUa, auth_header_line, challenges, pick, set_header
from harness import (LOOPBACK, build_request, check, check_eq, new_callid, recv_request,
                     reply_to, test_tmpdir, wait_until)
from location_flows import ul_dump
from rtpengine_daemon import RtpEngine

PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}


def private_sdp(ip):
    return (f"v=0\r\no=- 7 7 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            "m=audio 4000 RTP/AVP 0\r\n").encode()


class NatedUa(DigestUa):
    """A phone behind NAT: it writes its private address in Contact and SDP."""

    def __init__(self, server_addr, user, private_ip):
        super().__init__(server_addr, user, DOMAIN, PASSWORDS[user])
        self.private_ip = private_ip

    @property
    def contact(self):
        return f"<sip:{self.user}@{self.private_ip}:5062>"


def invite_with_auth(ua, callee, sdp, content_type="application/sdp"):
    """An INVITE with SDP from ua to callee@DOMAIN, its 407, the INVITE with credentials.
    Returns the Call-ID."""
    ruri = f"sip:{callee}@{DOMAIN}"
    cid = new_callid()
    from_tag = os.urandom(4).hex()

    def send(cseq, auth=None):
        extra = [f"Content-Type: {content_type}"] + ([auth] if auth else [])
        data = build_request("INVITE", ruri, ua.port, call_id=cid, cseq=f"{cseq} INVITE",
                             extra=extra, body=sdp)
        data = set_header(data, "From", f"<{ua.aor}>;tag={from_tag}")
        data = set_header(data, "Contact", ua.contact)
        ua.send(data, ua.server)

    send(1)
    first = ua.expect_reply(3.0)
    check(first is not None and first.status == 407, f"INVITE: expected 407, got {first!r}")
    ua.send(build_request("ACK", ruri, ua.port, call_id=cid, cseq="1 ACK"), ua.server)
    ch = pick(challenges(first), "MD5")
    send(2, auth_header_line(ch, ua.creds.authorization(ch, "INVITE", ruri)))
    return cid


def provision(pg):
    pg.init_schema()
    for u in PASSWORDS:
        add_subscriber(pg, u, DOMAIN, PASSWORDS[u])


def register_both(alice, bob):
    for ua in (alice, bob):
        _, final, _ = ua.register_with_auth()
        check(final is not None and final.status == 200, f"REGISTER of {ua.user}: {final!r}")


def answer_with_sdp(inv, sdp):
    """The callee's 200 to `inv` with a private Contact and `sdp` (bytes of the reply)."""
    ok = reply_to(inv, 200, "OK").decode()
    ok = re.sub(r"Contact: [^\r]*", "Contact: <sip:alice@192.168.1.20:5062>", ok)
    text = sdp.decode()
    return ok.replace("Content-Length: 0\r\n\r\n", "Content-Type: application/sdp\r\n"
                      f"Content-Length: {len(text)}\r\n\r\n{text}")


def invite_at(ua, cid):
    while True:
        inv, _ = recv_request(ua, "INVITE", 3.0)
        if inv.get("call-id") == cid:
            return inv


def media_of(body):
    """(c= address, first m= port) of an SDP text."""
    c = re.search(r"^c=IN IP4 (\S+)", body, re.M)
    m = re.search(r"^m=audio (\d+) ", body, re.M)
    check(c is not None and m is not None, f"SDP without c= or m=: {body!r}")
    return c.group(1), int(m.group(1))


def test_nated_phones_register_get_keepalives_and_call_each_other():
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg, aliases=(DOMAIN,), nathelper={"natping_interval": 1},
                             name="provider-nat") as srv:
            alice = NatedUa(srv.addr, "alice", "192.168.1.20")
            bob = NatedUa(srv.addr, "bob", "10.0.0.7")
            try:
                register_both(alice, bob)
                # Stored at the source address, NATed (6) and SIP-pinged (7).
                contacts = [c for aor, cs in ul_dump(srv).items()
                            if aor in ("alice", f"alice@{DOMAIN}") for c in cs]
                check_eq(len(contacts), 1, "alice's bindings")
                c = contacts[0]
                check_eq(c["received"], f"sip:{LOOPBACK}:{alice.port}", "alice's received")
                check_eq(int(c["cflags"]) & 0xC0, 0xC0, f"NAT_BFLAG and SIPPING_BFLAG in {c}")
                # The keepalive: an OPTIONS to her Contact, sent to her public address.
                ping, _ = recv_request(alice, "OPTIONS", 3.0)
                check(ping.first.startswith("OPTIONS sip:alice@192.168.1.20:5062 "), ping.first)
                alice.send(reply_to(ping, 200, "OK"), srv.addr)
                srv.wait_stat("nathelper:natping_answered", lambda v: v >= 1)

                # bob calls alice. She gets the INVITE at her public address, with bob's
                # Contact and SDP rewritten to his.
                cid = invite_with_auth(bob, "alice", private_sdp("10.0.0.7"))
                inv = invite_at(alice, cid)
                check(inv.first.startswith("INVITE sip:alice@192.168.1.20:5062 "), inv.first)
                check_eq(inv.get("contact"), f"<sip:bob@{LOOPBACK}:{bob.port}>",
                         "bob's Contact at alice")
                body = inv.body.decode()
                check("c=IN IP4 127.0.0.1\r\n" in body and "10.0.0.7\r\nt=" not in body,
                      f"bob's SDP at alice: {body!r}")
                # Her 200 (private Contact and SDP) reaches bob with both fixed.
                alice.send(answer_with_sdp(inv, private_sdp("192.168.1.20")), srv.addr)
                final = bob.expect_reply(3.0)
                check(final is not None and final.status == 200, f"bob got {final!r}")
                check_eq(final.get("contact"), f"<sip:alice@{LOOPBACK}:{alice.port}>",
                         "alice's Contact at bob")
                check("c=IN IP4 127.0.0.1\r\n" in final.body.decode(),
                      f"alice's SDP at bob: {final.body!r}")
            finally:
                alice.close()
                bob.close()


def test_with_media_relay_every_call_goes_through_rtpengine():
    with AuthDb() as pg, RtpEngine(test_tmpdir()) as engine:
        provision(pg)
        low, high = engine.port_range
        relay = f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; }};'
        with provider_server(pg, aliases=(DOMAIN,), defines={"WITH_MEDIA_RELAY": True},
                             extra_modules=" " + relay,
                             name="provider-relay") as srv:
            alice = NatedUa(srv.addr, "alice", "192.168.1.20")
            bob = NatedUa(srv.addr, "bob", "10.0.0.7")
            try:
                register_both(alice, bob)
                cid = invite_with_auth(bob, "alice", private_sdp("10.0.0.7"))
                inv = invite_at(alice, cid)
                ip, port = media_of(inv.body.decode())
                check(ip == LOOPBACK and low <= port <= high,
                      f"the offer at alice points at {ip}:{port}, not the relay {low}..{high}")
                alice.send(answer_with_sdp(inv, private_sdp("192.168.1.20")), srv.addr)
                final = bob.expect_reply(3.0)
                check(final is not None and final.status == 200, f"bob got {final!r}")
                ip2, port2 = media_of(final.body.decode())
                check(ip2 == LOOPBACK and low <= port2 <= high and port2 != port,
                      f"the answer at bob points at {ip2}:{port2}")
                check(cid in engine.calls(), f"rtpengine has no session for {cid}")
                check_eq(srv.stat("rtpengine:offers"), 1, "offers")
                check_eq(srv.stat("rtpengine:answers"), 1, "answers")
                # ACK and BYE from bob, along the Record-Route the 200 brought.
                route = ", ".join(final.all("record-route")[::-1])
                to = final.get("to")
                for method, cseq in (("ACK", "2 ACK"), ("BYE", "3 BYE")):
                    req = build_request(method, f"sip:alice@{LOOPBACK}:{alice.port}", bob.port,
                                        call_id=cid, cseq=cseq, extra=[f"Route: {route}"])
                    req = set_header(req, "From", inv.get("from"))
                    req = set_header(req, "To", to)
                    bob.send(req, srv.addr)
                bye, _ = recv_request(alice, "BYE", 3.0)
                alice.send(reply_to(bye, 200, "OK"), srv.addr)
                final = bob.expect_reply(3.0)
                check(final is not None and final.status == 200, f"BYE: {final!r}")
                check(wait_until(lambda: cid not in engine.calls(), 3.0),
                      "the BYE did not end the relay's session")
            finally:
                alice.close()
                bob.close()


def test_media_relay_without_nat_handling_relays_the_answers_too():
    """WITH_MEDIA_RELAY with WITH_NAT off (phones on public addresses, media anchored on the
    relay all the same): the callee's 200 gets the relay's SDP too, not only the INVITE, and
    so does the answer to an UPDATE's offer."""
    with AuthDb() as pg, RtpEngine(test_tmpdir()) as engine:
        provision(pg)
        low, high = engine.port_range
        relay = f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; }};'
        with provider_server(pg, aliases=(DOMAIN,),
                             defines={"WITH_NAT": False, "WITH_MEDIA_RELAY": True},
                             extra_modules=" " + relay, name="provider-relay-nonat") as srv:
            alice = DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"])
            bob = DigestUa(srv.addr, "bob", DOMAIN, PASSWORDS["bob"])
            try:
                register_both(alice, bob)
                cid = invite_with_auth(bob, "alice", private_sdp(LOOPBACK))
                inv = invite_at(alice, cid)
                ip, port = media_of(inv.body.decode())
                check(ip == LOOPBACK and low <= port <= high,
                      f"the offer at alice points at {ip}:{port}, not the relay {low}..{high}")
                alice.send(answer_with_sdp(inv, private_sdp(LOOPBACK)), srv.addr)
                final = bob.expect_reply(3.0)
                check(final is not None and final.status == 200, f"bob got {final!r}")
                ip2, port2 = media_of(final.body.decode())
                check(ip2 == LOOPBACK and low <= port2 <= high and port2 != port,
                      f"the answer at bob points at {ip2}:{port2}, not the relay")
                check_eq(srv.stat("rtpengine:answers"), 1, "answers")
                # ACK, then an UPDATE with a new offer from bob: alice's answer in the 200 to
                # the UPDATE gets the relay's SDP too.
                route = ", ".join(final.all("record-route")[::-1])
                to = final.get("to")
                for method, cseq, body in (("ACK", "2 ACK", b""),
                                           ("UPDATE", "3 UPDATE", private_sdp(LOOPBACK))):
                    extra = [f"Route: {route}"]
                    if body:
                        extra.append("Content-Type: application/sdp")
                    req = build_request(method, f"sip:alice@{LOOPBACK}:{alice.port}", bob.port,
                                        call_id=cid, cseq=cseq, extra=extra, body=body)
                    req = set_header(req, "From", inv.get("from"))
                    req = set_header(req, "To", to)
                    bob.send(req, srv.addr)
                upd, _ = recv_request(alice, "UPDATE", 3.0)
                ip3, port3 = media_of(upd.body.decode())
                check(ip3 == LOOPBACK and low <= port3 <= high,
                      f"the UPDATE's offer at alice points at {ip3}:{port3}")
                alice.send(answer_with_sdp(upd, private_sdp(LOOPBACK)), srv.addr)
                final = bob.expect_reply(3.0)
                check(final is not None and final.status == 200, f"UPDATE: {final!r}")
                ip4, port4 = media_of(final.body.decode())
                check(ip4 == LOOPBACK and low <= port4 <= high,
                      f"the UPDATE's answer at bob points at {ip4}:{port4}, not the relay")
                check_eq(srv.stat("rtpengine:answers"), 2, "answers")
            finally:
                alice.close()
                bob.close()


def multipart_body(sdp):
    """A multipart/mixed body with `sdp` and a second part (as SIP-I or an INVITE with
    a location object carries)."""
    return (b"--b1\r\nContent-Type: application/sdp\r\n\r\n" + sdp +
            b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n")


def test_media_relay_handles_sdp_in_a_multipart_body():
    """WITH_MEDIA_RELAY: the SDP part of a multipart/mixed INVITE and 200 goes through the
    relay like a plain SDP body; the other part stays as it was."""
    with AuthDb() as pg, RtpEngine(test_tmpdir()) as engine:
        provision(pg)
        low, high = engine.port_range
        relay = f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; }};'
        with provider_server(pg, aliases=(DOMAIN,), defines={"WITH_MEDIA_RELAY": True},
                             extra_modules=" " + relay, name="provider-relay-mp") as srv:
            alice = DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"])
            bob = DigestUa(srv.addr, "bob", DOMAIN, PASSWORDS["bob"])
            try:
                register_both(alice, bob)
                cid = invite_with_auth(bob, "alice", multipart_body(private_sdp(LOOPBACK)),
                                       content_type="multipart/mixed;boundary=b1")
                inv = invite_at(alice, cid)
                body = inv.body.decode()
                ip, port = media_of(body)
                check(ip == LOOPBACK and low <= port <= high,
                      f"the offer at alice points at {ip}:{port}, not the relay {low}..{high}")
                check("Content-Type: text/plain\r\n\r\nhello\r\n" in body,
                      f"the other part changed: {body!r}")
                ok = answer_with_sdp(inv, multipart_body(private_sdp(LOOPBACK)))
                ok = ok.replace("Content-Type: application/sdp",
                                "Content-Type: multipart/mixed;boundary=b1", 1)
                alice.send(ok, srv.addr)
                final = bob.expect_reply(3.0)
                check(final is not None and final.status == 200, f"bob got {final!r}")
                ip2, port2 = media_of(final.body.decode())
                check(ip2 == LOOPBACK and low <= port2 <= high and port2 != port,
                      f"the answer at bob points at {ip2}:{port2}, not the relay")
            finally:
                alice.close()
                bob.close()
