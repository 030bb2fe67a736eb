"""sl around the transaction layer: sl_reply_error() answers with why the relay failed, and the
ACK of a negative reply sent statelessly ends at the server (RFC 3261 §17.2.1), counted in
core:absorbed_acks, instead of being relayed."""

from harness import (LOOPBACK, Server, UdpPeer, build_request, check, check_eq, new_branch)
from sipp_flows import tm_modules

ROUTES = """\
route {
  if (is_method("INVITE") && $rU == "nobody") {
    sl_send_reply(404, "Not Found");
    exit;
  }
  if (is_method("OPTIONS")) {
    sl_send_reply(404, "Not Here");
    sl_reply_error();
    exit;
  }
  if (is_method("ACK")) {
    xlog("L_ERR", "ACK reached the script\\n");
    forward("udp:127.0.0.1:9");
    exit;
  }
  if (!t_relay()) sl_reply_error();
}
"""


def test_unresolvable_destination_is_answered_478_by_sl_reply_error():
    with Server(routes=ROUTES, modules=tm_modules()) as srv, UdpPeer() as uac:
        uac.send(build_request("INVITE", "sip:bob@no-such-host.invalid", uac.port), srv.addr)
        final = uac.expect_reply(3, skip_provisional=False)
        check(final is not None, "no reply")
        check_eq((final.status, final.reason), (478, "Unresolvable destination"),
                 "the reply to an unroutable INVITE (no 100 Trying before it)")
        # counted just after the send: the reply may arrive first
        check_eq(srv.wait_stat("sl:sent_err_replies", lambda v: v == 1), 1, "sl:sent_err_replies")


def test_ack_of_a_stateless_negative_reply_ends_at_the_server():
    with Server(routes=ROUTES, modules=tm_modules()) as srv, UdpPeer() as uac:
        branch = new_branch()
        ruri = f"sip:nobody@{LOOPBACK}:{srv.addr[1]}"
        invite = build_request("INVITE", ruri, uac.port, branch=branch, call_id="ack-1@x",
                               cseq="5 INVITE")
        uac.send(invite, srv.addr)
        nf = uac.expect_reply(3)
        check(nf is not None and nf.status == 404, f"expected 404, got {nf}")
        to = nf.get("to")
        check(";tag=sl" in to, f"To of the stateless 404: {to}")
        ack = build_request("ACK", ruri, uac.port, branch=branch, call_id="ack-1@x",
                            cseq="5 ACK", omit=("To", "From"),
                            extra=(f"From: {nf.get('from')}", f"To: {to}"))
        uac.send(ack, srv.addr)
        check(srv.wait_stat("core:absorbed_acks", lambda v: v >= 1, timeout=3) == 1,
              "core:absorbed_acks")
        check_eq(srv.stat("core:fwd_requests"), 0, "requests relayed (the ACK must not be)")
        # an ACK with another To tag (of someone else's reply) is not ours: the script sees it
        other = build_request("ACK", ruri, uac.port, branch=new_branch(), call_id="ack-2@x",
                              cseq="1 ACK", omit=("To",), extra=(f"To: <{ruri}>;tag=xyz",))
        uac.send(other, srv.addr)
        check(srv.wait_stat("core:fwd_requests", lambda v: v >= 1, timeout=3) == 1,
              "the foreign ACK went through the script")
        check_eq(srv.stat("core:absorbed_acks"), 1, "core:absorbed_acks after a foreign ACK")


def test_reply_error_after_a_reply_sends_nothing_more():
    with Server(routes=ROUTES, modules=tm_modules()) as srv, UdpPeer() as uac:
        uac.send(build_request("OPTIONS", f"sip:bob@{LOOPBACK}:{srv.addr[1]}", uac.port), srv.addr)
        first = uac.expect_reply(3, skip_provisional=False)
        check(first is not None and first.status == 404, f"the script's reply: {first}")
        check(uac.expect_reply(1, skip_provisional=False) is None,
              "sl_reply_error() answered a request that had its reply")
        check_eq(srv.stat("sl:sent_err_replies"), 0, "sl:sent_err_replies")
