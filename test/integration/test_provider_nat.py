"""NAT handling of the provider's default script (cfg/sipline.routes with WITH_NAT, as
cfg/sipline.cfg ships it) against a real PostgreSQL, on loopback: phones that write a private
Contact and SDP (as phones behind NAT do) register with digest credentials and are stored at
the address their packets come from, marked NATed, and get OPTIONS keepalives; a call between
two of them reaches the callee there, each side sees the other's Contact and SDP rewritten to
its public address (the callee's in the reply, from the branch flags the registration kept).
test_nat.py runs the same kind of flows through a real NAT in network namespaces."""

import os
import re

from auth_flows import DOMAIN, AuthDb, add_subscriber, provider_server
from digest_client import DigestUa, auth_header_line, challenges, pick, set_header
from harness import (LOOPBACK, build_request, check, check_eq, new_callid, recv_request,
                     reply_to)
from location_flows import ul_dump

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


def invite_with_auth(ua, callee, sdp):
    """An INVITE with SDP from ua to callee@DOMAIN, its 407, the INVITE with credentials.
    Returns the Call-ID."""
    ruri = f"sip:{callee}@{DOMAIN}"
    cid = new_callid()
    from_tag = os.urandom(4).hex()

    def send(cseq, auth=None):
        extra = ["Content-Type: application/sdp"] + ([auth] if auth else [])
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


def test_nated_phones_register_get_keepalives_and_call_each_other():
    with AuthDb() as pg:
        pg.init_schema()
        for u in PASSWORDS:
            add_subscriber(pg, u, DOMAIN, PASSWORDS[u])
        with provider_server(pg, aliases=(DOMAIN,), nathelper={"natping_interval": 1},
                             name="provider-nat") as srv:
            alice = NatedUa(srv.addr, "alice", "192.168.1.20")
            bob = NatedUa(srv.addr, "bob", "10.0.0.7")
            try:
                for ua in (alice, bob):
                    _, final, _ = ua.register_with_auth()
                    check(final is not None and final.status == 200,
                          f"REGISTER of {ua.user}: {final!r}")
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
                while True:
                    inv, _ = recv_request(alice, "INVITE", 3.0)
                    if inv.get("call-id") == cid:
                        break
                check(inv.first.startswith("INVITE sip:alice@192.168.1.20:5062 "), inv.first)
                check_eq(inv.get("contact"), f"<sip:bob@{LOOPBACK}:{bob.port}>",
                         "bob's Contact at alice")
                body = inv.body.decode()
                check("c=IN IP4 127.0.0.1\r\n" in body and "10.0.0.7\r\nt=" not in body,
                      f"bob's SDP at alice: {body!r}")
                # Her 200 (private Contact and SDP) reaches bob with both fixed.
                ok = reply_to(inv, 200, "OK").decode()
                sdp = private_sdp("192.168.1.20").decode()
                ok = re.sub(r"Contact: [^\r]*", "Contact: <sip:alice@192.168.1.20:5062>", ok)
                ok = ok.replace("Content-Length: 0\r\n\r\n",
                                "Content-Type: application/sdp\r\n"
                                f"Content-Length: {len(sdp)}\r\n\r\n{sdp}")
                alice.send(ok, srv.addr)
                final = bob.expect_reply(3.0)
                check(final is not None and final.status == 200, f"bob got {final!r}")
                check_eq(final.get("contact"), f"<sip:alice@{LOOPBACK}:{alice.port}>",
                         "alice's Contact at bob")
                check("c=IN IP4 127.0.0.1\r\n" in final.body.decode(),
                      f"alice's SDP at bob: {final.body!r}")
            finally:
                alice.close()
                bob.close()
