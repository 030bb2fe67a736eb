"""Edges of the transaction layer that the everyday flows do not reach:

  * a CANCEL sent on a TCP branch that the callee never answers: nothing is retransmitted on
    the stream, but the wait is bounded by 64*T1 (RFC 3261 §9.1, timer F of the CANCEL), the
    branch ends as if timed out and the transaction leaves the table (tm:inuse_transactions
    back to 0), whether the proxy canceled at fr_inv_timeout or the caller canceled;
  * a branch whose TCP connection is refused ends as if it had received a 503 (§16.9): the
    failure_route sees 503 (t_check_status, $T_reply_code) and the caller gets 500, as for
    a 503 from downstream (§16.7 step 6);
  * RFC 2543 transaction matching (no magic cookie in the branch, §17.2.3): the ACK of a
    non-2xx final is absorbed for a re-INVITE (which already carries a To tag) as for an
    initial INVITE, so the final is not retransmitted until timer H."""

import socket
import time

from harness import (LOOPBACK, UdpPeer, build_request, check, check_eq, new_branch,
                     recv_request, reply_to)
from sipp_flows import check_no_transactions, proxy
from stream_peer import StreamListener

WAITS = True  # most of the time goes in waiting for 64*T1 and for timer H

ROUTES = r"""
route {
  if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if ($hdr(X-Ring) == "short") t_set_fr(1000);  # fr_inv_timeout: the proxy cancels
  t_on_failure("failed");
  t_relay();
}

failure_route[failed] {
  xlog("L_NOTICE", "failure_route: $T_reply_code\n");
  if (t_check_status("503")) xlog("L_NOTICE", "failure_route: t_check_status(503) matched\n");
}
"""

# 64*T1 = 6.4 s: the bound of an unanswered CANCEL (and timer H) within a test's patience.
FAST_T1 = {"t1_timer": 100, "t2_timer": 400}


def _dead_tcp_socket():
    """A TCP socket bound to a loopback port and never listening: while it is open, no one
    else gets the port and a connection to it is refused."""
    s = socket.socket()
    s.bind((LOOPBACK, 0))
    return s


# ---------------------------------------------------------------- unanswered CANCEL on TCP
def _ringing_tcp_call(uac, srv, callee, extra):
    """An INVITE from the UDP caller relayed over TCP to `callee`, answered 180 there;
    returns (INVITE at the caller, the connection at the callee)."""
    ruri = f"sip:bob@{LOOPBACK}:{callee.port};transport=tcp"
    invite = build_request("INVITE", ruri, uac.port, extra=extra)
    uac.send(invite, srv.addr)
    conn = callee.accept(5)
    check(conn is not None, "the proxy did not connect to the TCP callee")
    inv = conn.expect_request("INVITE", 5)
    conn.send(reply_to(inv, 180, "Ringing", tag="tcp1"))
    ringing = uac.expect_reply(3, skip_provisional=False)
    while ringing is not None and ringing.status == 100:
        ringing = uac.expect_reply(3, skip_provisional=False)
    check(ringing is not None and ringing.status == 180, f"no 180 at the caller: {ringing}")
    return invite, conn


def _unanswered_cancel_drains(canceled_by_caller):
    with StreamListener() as callee, UdpPeer() as uac, \
            proxy(ROUTES, tm=FAST_T1, transports=("udp", "tcp")) as srv:
        # The caller cancels long before fr_inv_timeout; otherwise the proxy cancels at 1 s.
        extra = () if canceled_by_caller else ("X-Ring: short",)
        invite, conn = _ringing_tcp_call(uac, srv, callee, extra)
        with conn:
            if canceled_by_caller:
                cancel = invite.replace(b"INVITE sip", b"CANCEL sip", 1) \
                               .replace(b" INVITE\r\n", b" CANCEL\r\n")
                uac.send(cancel, srv.addr)
            conn.expect_request("CANCEL", 5)
            # The callee answers neither the CANCEL nor the INVITE.
            want = 487 if canceled_by_caller else 408
            final = uac.expect_reply(10)
            if final is not None and final.get("cseq").endswith("CANCEL"):
                final = uac.expect_reply(10)  # the 200 for the caller's CANCEL came first
            check(final is not None and final.status == want, f"caller's final: {final}")
            # Over TCP the CANCEL is never retransmitted (RFC 3261 §17.1.2.2) ...
            again = conn.recv_msg(2)
            check(again is None, f"something more on the stream after the CANCEL: {again}")
            # ... yet the branch ends 64*T1 after it, and the table empties.
            check_no_transactions(srv, 20)


def test_an_unanswered_cancel_on_a_tcp_branch_is_given_up_after_64_t1_and_the_table_empties():
    _unanswered_cancel_drains(canceled_by_caller=False)


test_an_unanswered_cancel_on_a_tcp_branch_is_given_up_after_64_t1_and_the_table_empties \
    .timeout = 60


def test_a_caller_cancel_unanswered_on_a_tcp_branch_gets_487_and_the_table_empties():
    _unanswered_cancel_drains(canceled_by_caller=True)


test_a_caller_cancel_unanswered_on_a_tcp_branch_gets_487_and_the_table_empties.timeout = 60


# ---------------------------------------------------------------- transport error
def test_a_refused_tcp_branch_ends_as_a_503_and_the_caller_gets_500():
    with _dead_tcp_socket() as dead_sock, UdpPeer() as uac, \
            proxy(ROUTES, transports=("udp", "tcp")) as srv:
        dead = dead_sock.getsockname()[1]
        t0 = time.monotonic()
        uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{dead};transport=tcp", uac.port),
                 srv.addr)
        final = uac.expect_reply(5)
        # RFC 3261 §16.7 step 6: the proxy does not pass a 503 upstream; 500 instead.
        check(final is not None and final.status == 500, f"caller's final: {final}")
        check(time.monotonic() - t0 < 3, "answered only after a timer, not at the refusal")
        log = srv.log()
        check("failure_route: 503" in log, "failure_route did not see 503 ($T_reply_code)")
        check("t_check_status(503) matched" in log, "t_check_status(\"503\") did not match")
        check_no_transactions(srv)


# ---------------------------------------------------------------- RFC 2543 ACK matching
def _acked_busy_retransmissions(to_tag):
    """An RFC 2543 INVITE (a branch without the magic cookie; a To tag for a re-INVITE)
    answered 486 by the callee and ACKed by the caller: returns how many finals the caller
    still gets afterwards and how many ACKs reached the callee."""
    with UdpPeer() as uas, UdpPeer() as uac, proxy(ROUTES, tm={"t1_timer": 200}) as srv:
        ruri = f"sip:bob@{LOOPBACK}:{uas.port}"
        via = f"SIP/2.0/UDP {LOOPBACK}:{uac.port};branch=rfc2543{new_branch()[7:]}"
        invite = build_request("INVITE", ruri, uac.port, via=via, cseq="2 INVITE")
        if to_tag:
            invite = invite.replace(f"To: <{ruri}>".encode(),
                                    f"To: <{ruri}>;tag={to_tag}".encode())
        uac.send(invite, srv.addr)
        inv, at = recv_request(uas, "INVITE")
        uas.send(reply_to(inv, 486, "Busy Here", tag=to_tag or "busy1"), at)
        busy = uac.expect_reply(3)
        check(busy is not None and busy.status == 486, f"486 not relayed: {busy}")
        ack = [f"ACK {ruri} SIP/2.0", f"Via: {via}", "Max-Forwards: 70",
               f"From: {busy.get('from')}", f"To: {busy.get('to')}",
               f"Call-ID: {busy.get('call-id')}", "CSeq: 2 ACK", "Content-Length: 0"]
        uac.send(("\r\n".join(ack) + "\r\n\r\n").encode(), srv.addr)
        # Timer G (T1 = 200 ms) would resend the 486 several times in 3 s.
        end = time.monotonic() + 3
        finals = 0
        while time.monotonic() < end:
            msg, _ = uac.recv_msg(max(0.01, end - time.monotonic()))
            if msg is not None and msg.is_reply and msg.status >= 200:
                finals += 1
        acks = 0
        for raw in uas.drain(0.2):
            acks += raw.startswith(b"ACK ")
        check_no_transactions(srv)
        return finals, acks


def test_rfc2543_ack_of_a_final_to_an_initial_invite_is_absorbed():
    finals, acks = _acked_busy_retransmissions(to_tag="")
    check_eq(finals, 0, "486s at the caller after its ACK")
    check_eq(acks, 1, "ACKs at the callee (only the proxy's own, hop by hop)")


def test_rfc2543_ack_of_a_final_to_a_reinvite_is_absorbed():
    finals, acks = _acked_busy_retransmissions(to_tag="dlg1")
    check_eq(finals, 0, "486s at the caller after its ACK")
    check_eq(acks, 1, "ACKs at the callee (only the proxy's own, hop by hop)")
