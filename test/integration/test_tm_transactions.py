"""The transaction layer of the stateful proxy seen datagram by datagram: hand-made callers and
callees (UdpPeer) around the registrar + proxy script (cfg/examples/registrar-proxy.routes), for
what sipp cannot show exactly: the hop-by-hop ACK for an error (RFC 3261 §17.1.1.3), absorbed
retransmissions (§17.2.1, §17.2.2), CANCEL without a transaction (§9.2), and the RFC 4475 messages
that test transaction matching: an unknown method (3.1.1.2, intmeth), a bare magic-cookie branch
(3.2.1, badbranch) and an RFC 2543 INVITE without a branch (3.4.1, inv2543).  Every test ends with
an empty transaction table."""

import os

from harness import (LOOPBACK, ROOT, STAT, UdpPeer, build_request, check, check_eq, new_branch,
                     new_callid, parse_sip, recv_request, reply_to)
from sipp_flows import check_no_transactions, proxy

CORPUS = os.path.join(ROOT, "test", "corpora", "rfc4475")


# ---------------------------------------------------------------- hop-by-hop ACK
def test_error_final_is_acked_by_the_proxy_with_the_branch_of_the_invite_it_sent():
    # wt_timer: how long the completed client transaction stays to ACK a retransmitted 486
    # (timer D); long enough for the steps below
    with UdpPeer() as uas, UdpPeer() as uac, proxy(tm={"wt_timer": 3000}) as srv:
        ruri = f"sip:bob@{LOOPBACK}:{uas.port}"
        branch = new_branch()
        uac.send(build_request("INVITE", ruri, uac.port, branch=branch), srv.addr)
        trying = uac.expect_reply(3, skip_provisional=False)
        check(trying is not None and trying.status == 100, f"no 100 Trying: {trying}")
        inv, at = recv_request(uas, "INVITE")
        check_eq(len(inv.all("via")), 2, f"Vias of the relayed INVITE {inv.all('via')}")
        check(_branch(inv.all("via")[0]) != branch, "the proxy reused the caller's branch")

        busy_at_uas = reply_to(inv, 486, "Busy Here", tag="busy1")
        uas.send(busy_at_uas, at)
        ack, _ = recv_request(uas, "ACK")
        check_eq(ack.first, f"ACK {ruri} SIP/2.0", "request line of the proxy's ACK")
        check_eq(ack.all("via"), inv.all("via")[:1],
                 "the proxy's ACK has exactly its own Via of the INVITE (same branch)")
        check_eq(ack.get("cseq"), f"{inv.get('cseq').split()[0]} ACK", "CSeq of the ACK")
        check(ack.get("to").endswith(";tag=busy1"), f"To of the ACK: {ack.get('to')!r}")
        check_eq((ack.get("from"), ack.get("call-id")), (inv.get("from"), inv.get("call-id")),
                 "From and Call-ID of the ACK")

        busy = uac.expect_reply(3)
        check(busy is not None and busy.status == 486, f"486 not relayed: {busy}")
        check_eq(len(busy.all("via")), 1, f"Vias of the 486 at the caller {busy.all('via')}")
        # the caller's ACK ends at the proxy (RFC 3261 §17.2.1: it belongs to the proxy's
        # server transaction)
        uac.send(_ack_for(busy, ruri, uac.port, branch), srv.addr)
        stray, _ = uas.recv(0.3)
        check(stray is None, f"the caller's ACK reached the callee: {(stray or b'')[:120]!r}")
        uac.drain(0.2)
        # the callee did not get the ACK (lost): its retransmitted 486 is ACKed again
        # (RFC 3261 §17.1.1.2, state Completed) and not relayed a second time
        uas.send(busy_at_uas, at)
        ack2, _ = recv_request(uas, "ACK")
        check_eq(ack2.all("via"), ack.all("via"), "Via of the repeated ACK")
        again = uac.expect_reply(0.5)
        check(again is None, f"the retransmitted 486 was relayed again: {again}")
        check_no_transactions(srv)


# ---------------------------------------------------------------- absorbed retransmissions
def test_invite_retransmission_is_answered_with_the_last_provisional_and_not_relayed():
    with UdpPeer() as uas, UdpPeer() as uac, proxy() as srv:
        ruri = f"sip:bob@{LOOPBACK}:{uas.port}"
        invite = build_request("INVITE", ruri, uac.port, branch=new_branch())
        a0 = srv.stat(STAT.tm_absorbed)
        uac.send(invite, srv.addr)
        check_eq(_status(uac.expect_reply(3, skip_provisional=False)), 100, "first reply")
        inv, at = recv_request(uas, "INVITE")
        uas.send(reply_to(inv, 180, "Ringing", tag="r1"), at)
        check_eq(_status(uac.expect_reply(3, skip_provisional=False)), 180, "relayed 180")
        uas.drain(0.3)  # timer A copies sent before the 180 arrived

        uac.send(invite, srv.addr)  # the caller did not see the 180 in time
        again = uac.expect_reply(3, skip_provisional=False)
        check_eq(_status(again), 180, "reply to the retransmitted INVITE (the last one sent)")
        stray, _ = uas.recv(0.5)
        check(stray is None, f"the retransmission reached the callee: {(stray or b'')[:80]!r}")
        check(srv.stat(STAT.tm_absorbed) > a0, f"{STAT.tm_absorbed} did not grow")

        uas.send(reply_to(inv, 480, "Temporarily Unavailable", tag="r1"), at)
        recv_request(uas, "ACK")
        final = uac.expect_reply(3)
        check_eq(_status(final), 480, "final at the caller")
        uac.send(_ack_for(final, ruri, uac.port, _branch(parse_sip(invite).get("via"))),
                 srv.addr)
        check_no_transactions(srv)


def test_non_invite_retransmission_after_the_final_gets_the_same_final_again():
    """RFC 3261 §17.2.2: a completed non-INVITE server transaction answers a retransmitted
    request with its final reply; the callee sees the request once."""
    with UdpPeer() as uas, UdpPeer() as uac, proxy() as srv:
        ruri = f"sip:bob@{LOOPBACK}:{uas.port}"
        message = build_request("MESSAGE", ruri, uac.port, branch=new_branch(), body=b"hi",
                                extra=("Content-Type: text/plain",))
        uac.send(message, srv.addr)
        req, at = recv_request(uas, "MESSAGE")
        uas.send(reply_to(req, 202, "Accepted", tag="m1"), at)
        first = uac.expect_reply(3)
        check_eq(_status(first), 202, "relayed final")
        uac.send(message, srv.addr)
        second = uac.expect_reply(3)
        check_eq(_status(second), 202, "final resent for the retransmission")
        check_eq(second.get("to"), first.get("to"), "the resent final is the same reply")
        check(uas.recv(0.4)[0] is None, "the retransmitted MESSAGE reached the callee")
        check_no_transactions(srv)


def test_unreachable_next_hop_gets_one_error_reply_and_leaves_no_transaction():
    """The shipped script answers a failed t_relay() with sl_reply_error(): an IPv6
    request-URI with only an IPv4 socket gets 478 once, its retransmission the same answer,
    and no transaction stays behind."""
    with UdpPeer() as uac, proxy() as srv:
        msg = build_request("MESSAGE", "sip:bob@[2001:db8::20]", uac.port, branch=new_branch())
        for attempt in ("request", "retransmission"):
            uac.send(msg, srv.addr)
            got = []
            while True:
                r = uac.expect_reply(0.6)
                if r is None:
                    break
                got.append(r.status)
            check_eq(got, [478], f"final replies to the {attempt}")
        check_no_transactions(srv)


# ---------------------------------------------------------------- CANCEL
def test_cancel_without_a_matching_transaction_is_answered_481():
    with UdpPeer() as uas, UdpPeer() as uac, proxy() as srv:
        ruri = f"sip:bob@{LOOPBACK}:{uas.port}"
        uac.send(build_request("CANCEL", ruri, uac.port, cseq="1 CANCEL"), srv.addr)
        reply = uac.expect_reply(3)
        check(reply is not None, "no reply to a CANCEL for nothing")
        check_eq(reply.status, 481, "status for a CANCEL without its INVITE")
        check(uas.recv(0.5)[0] is None, "an unmatched CANCEL was relayed")
        check_no_transactions(srv)


def test_cancel_of_a_ringing_invite_is_answered_200_and_the_invite_487():
    """RFC 3261 §16.10: the proxy answers the CANCEL itself and CANCELs its pending branch
    with the branch of the INVITE it sent; the 487 from the callee goes up as the INVITE's
    final."""
    with UdpPeer() as uas, UdpPeer() as uac, proxy() as srv:
        ruri = f"sip:bob@{LOOPBACK}:{uas.port}"
        branch, call_id = new_branch(), new_callid()
        invite = build_request("INVITE", ruri, uac.port, branch=branch, call_id=call_id)
        uac.send(invite, srv.addr)
        inv, at = recv_request(uas, "INVITE")
        uas.send(reply_to(inv, 180, "Ringing", tag="c1"), at)
        uac.drain(0.3)
        cancel = invite.split(b"\r\n", 1)[1]
        cancel = (f"CANCEL {ruri} SIP/2.0\r\n".encode() + cancel).replace(
            b"CSeq: 1 INVITE", b"CSeq: 1 CANCEL")
        uac.send(cancel, srv.addr)
        got = uac.expect_reply(3)
        check(got is not None and got.status == 200 and got.get("cseq") == "1 CANCEL",
              f"200 for the CANCEL: {got}")
        c, at2 = recv_request(uas, "CANCEL")
        check_eq(c.all("via"), inv.all("via")[:1], "the proxy's CANCEL: its INVITE Via only")
        check_eq(c.get("cseq"), f"{inv.get('cseq').split()[0]} CANCEL", "CSeq of the CANCEL")
        uas.send(reply_to(c, 200, "OK", tag="c1"), at2)
        uas.send(reply_to(inv, 487, "Request Terminated", tag="c1"), at)
        recv_request(uas, "ACK")
        final = uac.expect_reply(3)
        check_eq(_status(final), 487, "final of the cancelled INVITE at the caller")
        uac.send(_ack_for(final, ruri, uac.port, branch), srv.addr)
        check_no_transactions(srv)


# ---------------------------------------------------------------- RFC 4475
def test_rfc4475_unknown_method_is_relayed_statefully_and_its_retransmission_absorbed():
    """3.1.1.2 intmeth: a well-formed request with an unknown method; a proxy relays it.
    Statefully: the proxy retransmits it to a silent callee (timer E) with one branch, and the
    caller's own retransmission goes no further."""
    with UdpPeer() as uas, UdpPeer() as uac, proxy() as srv:
        msg = _corpus("intmeth.dat", uac.port, uas.port,
                      b"Via: SIP/2.0/TCP host1.example.com;",
                      b"@example.com SIP/2.0\r\n")
        method = msg.split(b" ", 1)[0]
        uac.send(msg, srv.addr)
        first, at = uas.recv_msg(3)
        check(first is not None and first.raw.startswith(method + b" "),
              f"the unknown method was not relayed: {first}")
        check(first.all("via")[1].endswith(";branch=z9hG4bK-.!%66*_+`'~"),
              f"the caller's Via changed: {first.all('via')}")
        copies = [first]
        uac.send(msg, srv.addr)  # the caller's retransmission
        while True:
            m, _ = uas.recv_msg(0.4)
            if m is None:
                break
            copies.append(m)
        check(len(copies) >= 2, "no retransmission from the proxy to a silent callee (timer E)")
        check_eq({_branch(m.all("via")[0]) for m in copies}, {_branch(first.all("via")[0])},
                 "branches of the copies the callee got (one transaction)")
        uas.send(reply_to(first, 200, "OK", tag="u1"), at)
        ok = uac.expect_reply(3)
        check(ok is not None and ok.status == 200, f"200 not relayed: {ok}")
        check_eq(ok.get("cseq"), first.get("cseq"), "CSeq of the relayed 200")
        check_no_transactions(srv)


def test_rfc4475_bare_magic_cookie_branch_is_handled_without_harm():
    """3.2.1 badbranch: the branch is only "z9hG4bK".  Either refused with 400 or matched the
    RFC 2543 way; whichever, one reply per request, a retransmission does not make a second
    transaction at the callee, and the server keeps working."""
    with UdpPeer() as uas, UdpPeer() as uac, proxy() as srv:
        msg = _corpus("badbranch.dat", uac.port, uas.port,
                      b"Via: SIP/2.0/UDP 192.0.2.1;", b"@example.com SIP/2.0\r\n")
        uac.send(msg, srv.addr)
        req, at = uas.recv_msg(2)
        if req is None:
            reply = uac.expect_reply(2)
            check(reply is not None and reply.status == 400,
                  f"neither relayed nor refused with 400: {reply}")
        else:
            uac.send(msg, srv.addr)
            more = [m for m in (uas.recv_msg(0.4)[0] for _ in range(3)) if m is not None]
            check(all(_branch(m.all("via")[0]) == _branch(req.all("via")[0]) for m in more),
                  f"the retransmission made another branch: {[m.all('via') for m in more]}")
            uas.send(reply_to(req, 200, "OK", tag="bb"), at)
            reply = uac.expect_reply(3)
            check(reply is not None and reply.status == 200, f"200 not relayed: {reply}")
            check(uac.expect_reply(0.5) is None, "two replies to one OPTIONS")
        uac.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", uac.port), srv.addr)
        check_eq(_status(uac.expect_reply(3)), 200, "OPTIONS to the server after badbranch")
        check_no_transactions(srv)


def test_rfc4475_rfc2543_invite_is_relayed_and_matched_without_a_branch():
    """3.4.1 inv2543: no branch, no From tag, no Content-Length, no Max-Forwards.  It is
    relayed with a branch of ours; its retransmission and its ACK (RFC 2543 style) match the
    transaction by RFC 3261 §17.2.3's fallback rules and go no further."""
    with UdpPeer() as uas, UdpPeer() as uac, proxy() as srv:
        msg = _corpus("inv2543.dat", uac.port, uas.port,
                      b"Via: SIP/2.0/UDP iftgw.example.com\r\n", b"@example.com SIP/2.0\r\n")
        uac.send(msg, srv.addr)
        inv, at = recv_request(uas, "INVITE")
        check(_branch(inv.all("via")[0]).startswith("z9hG4bK"),
              f"the proxy's Via lacks an RFC 3261 branch: {inv.all('via')}")
        check(inv.raw.endswith(b"m=audio 49217 RTP/AVP 0\r\n"), "the body was not relayed whole")
        uas.send(reply_to(inv, 180, "Ringing", tag="u2543"), at)
        uac.drain(0.5)
        uac.send(msg, srv.addr)
        again = uac.expect_reply(3, skip_provisional=False)
        check_eq(_status(again), 180, "reply to the retransmitted RFC 2543 INVITE")
        check(uas.recv(0.4)[0] is None, "the retransmission reached the callee")
        uas.send(reply_to(inv, 486, "Busy Here", tag="u2543"), at)
        recv_request(uas, "ACK")
        busy = uac.expect_reply(3)
        check_eq(_status(busy), 486, "486 relayed to the RFC 2543 caller")
        ruri = msg.split(b" ")[1].decode()
        ack = (f"ACK {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {LOOPBACK}:{uac.port}\r\n"
               f"From: {busy.get('from')}\r\nTo: {busy.get('to')}\r\n"
               f"Call-ID: {busy.get('call-id')}\r\nCSeq: 56 ACK\r\nContent-Length: 0\r\n\r\n")
        uac.send(ack, srv.addr)
        check(uas.recv(0.5)[0] is None, "the caller's RFC 2543 ACK reached the callee")
        check(uac.expect_reply(0.8) is None, "486 retransmitted after the caller's ACK")
        check_no_transactions(srv)


# ---------------------------------------------------------------- helpers
def _corpus(name, uac_port, uas_port, via_prefix, ruri_tail):
    """An RFC 4475 message with its Via sent-by moved to the caller's port and its
    request-URI host to the callee (everything else byte for byte)."""
    with open(os.path.join(CORPUS, name), "rb") as f:
        data = f.read()
    check(via_prefix in data and ruri_tail in data, f"{name} changed")
    new_via = via_prefix.split(b" ")[0] + b" SIP/2.0/UDP " + f"{LOOPBACK}:{uac_port}".encode()
    new_via += b";" if via_prefix.endswith(b";") else b"\r\n"
    data = data.replace(via_prefix, new_via, 1)
    return data.replace(ruri_tail, f"@{LOOPBACK}:{uas_port} SIP/2.0\r\n".encode(), 1)


def _ack_for(final, ruri, port, branch):
    """The caller's ACK for a non-2xx final (RFC 3261 §17.1.1.3)."""
    return (f"ACK {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {LOOPBACK}:{port};branch={branch}\r\n"
            f"Max-Forwards: 70\r\nFrom: {final.get('from')}\r\nTo: {final.get('to')}\r\n"
            f"Call-ID: {final.get('call-id')}\r\n"
            f"CSeq: {final.get('cseq').split()[0]} ACK\r\nContent-Length: 0\r\n\r\n").encode()


def _branch(via):
    for part in via.split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == "branch":
            return v.strip()
    return ""


def _status(msg):
    return msg.status if msg is not None else None
