"""The routes tm runs for a transaction: branch_route[name] once per branch on that branch's
copy of the request ($T_branch_idx; drop skips the branch), onreply_route[name] for the
replies, per branch when a branch_route arms it, with the request's message flags and the
branch's flags, and failure_route with the AVPs and flags of the request route.  Hand-made callees (UdpPeer) show exactly what each branch got."""

from harness import (LOOPBACK, UdpPeer, build_request, check, check_eq, new_branch,
                     recv_request, reply_to)
from sipp_flows import check_no_transactions, proxy, tm_modules

ROUTES = """\
route {
  if (is_method("CANCEL")) { t_relay(); exit; }
  if (has_totag()) { t_relay(); exit; }
  $avp(caller) = $fU;
  setflag(3);
  append_branch("sip:carol@127.0.0.1:@SECOND@");
  t_on_branch("each");
  t_on_reply("all");
  t_on_failure("failed");
  if (!t_relay()) sl_reply_error();
}

branch_route[each] {
  append_hf("X-Branch: $T_branch_idx\\r\\n");
  if ($rU == "dropme") drop;
  if ($T_branch_idx == 1) {
    setbflag(4);
    t_on_reply("second");
  }
}

onreply_route[all] {
  append_hf("X-Reply-Route: all\\r\\n");
  if (isflagset(3)) append_hf("X-Flag: 3\\r\\n");
  if (isbflagset(4)) append_hf("X-Bflag: 4\\r\\n");
}

onreply_route[second] {
  append_hf("X-Reply-Route: second\\r\\n");
  if (isbflagset(4)) append_hf("X-Bflag: 4\\r\\n");
}

failure_route[failed] {
  if (isflagset(3) && $avp(caller) != NULL) {
    t_reply(480, "Gone $avp(caller) $T_reply_code");
  }
}
"""


def _server(second_port):
    return proxy(routes=ROUTES, subst={"SECOND": second_port},
                 modules=tm_modules(extra="textops = {};"))


def test_branch_and_reply_routes_run_per_branch_and_failure_route_sees_avps_and_flags():
    with UdpPeer() as bob, UdpPeer() as carol, UdpPeer() as uac:
        with _server(carol.port) as srv:
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{bob.port}", uac.port,
                                   branch=new_branch()), srv.addr)
            inv_b, at_b = recv_request(bob, "INVITE")
            inv_c, at_c = recv_request(carol, "INVITE")
            check_eq(inv_b.all("x-branch"), ["0"], "X-Branch of branch 0")
            check_eq(inv_c.all("x-branch"), ["1"], "X-Branch of branch 1")
            bob.send(reply_to(inv_b, 180, "Ringing", "b1"), at_b)
            first = uac.expect_reply(3, skip_provisional=False)
            while first is not None and first.status == 100:
                first = uac.expect_reply(3, skip_provisional=False)
            check(first is not None and first.status == 180, f"180 of bob: {first}")
            check_eq(first.all("x-reply-route"), ["all"], "route of branch 0's reply")
            check_eq(first.all("x-flag"), ["3"], "the request's flag in onreply_route")
            check_eq(first.all("x-bflag"), [], "branch 0 has no branch flag 4")
            carol.send(reply_to(inv_c, 180, "Ringing", "c1"), at_c)
            second = uac.expect_reply(3, skip_provisional=False)
            check(second is not None and second.status == 180, f"180 of carol: {second}")
            check_eq(second.all("x-reply-route"), ["second"], "route of branch 1's reply")
            check_eq(second.all("x-bflag"), ["4"], "branch 1's flag in its onreply_route")
            bob.send(reply_to(inv_b, 486, "Busy Here", "b1"), at_b)
            carol.send(reply_to(inv_c, 486, "Busy Here", "c1"), at_c)
            final = uac.expect_reply(3)
            check(final is not None and final.status == 480, f"final: {final}")
            check_eq(final.reason, "Gone alice 486", "the failure_route's reply (AVP, code)")
            check_no_transactions(srv)


def test_branch_route_drop_skips_only_that_branch():
    with UdpPeer() as bob, UdpPeer() as carol, UdpPeer() as uac:
        with _server(carol.port) as srv:
            uac.send(build_request("INVITE", f"sip:dropme@{LOOPBACK}:{bob.port}", uac.port,
                                   branch=new_branch()), srv.addr)
            inv_c, at_c = recv_request(carol, "INVITE")
            stray, _ = bob.recv(0.3)
            check(stray is None, "the dropped branch was sent")
            carol.send(reply_to(inv_c, 404, "Not Found", "c1"), at_c)
            final = uac.expect_reply(3)
            check(final is not None and final.status == 480, f"final: {final}")
            check_no_transactions(srv)


SERIAL_ROUTES = """\
route {
  if (is_method("CANCEL")) { t_relay(); exit; }
  if (has_totag()) { t_relay(); exit; }
  t_on_failure("again");
  if (!t_relay()) sl_reply_error();
}

failure_route[again] {
  if (isflagset(5) && $avp(tries) == "1") {
    t_reply(486, "Tried twice");
    exit;
  }
  if (isflagset(5) || $avp(tries) != NULL) {
    t_reply(500, "Half of what the first round set");
    exit;
  }
  setflag(5);
  $avp(tries) = "1";
  $ru = "sip:carol@127.0.0.1:@SECOND@";
  t_on_failure("again");
  t_relay();
}
"""


def test_flags_and_avps_set_in_failure_route_reach_the_next_failure_route():
    with UdpPeer() as bob, UdpPeer() as carol, UdpPeer() as uac:
        with proxy(routes=SERIAL_ROUTES, subst={"SECOND": carol.port},
                   modules=tm_modules()) as srv:
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{bob.port}", uac.port,
                                   branch=new_branch()), srv.addr)
            inv_b, at_b = recv_request(bob, "INVITE")
            bob.send(reply_to(inv_b, 486, "Busy Here", "b1"), at_b)
            inv_c, at_c = recv_request(carol, "INVITE")
            carol.send(reply_to(inv_c, 486, "Busy Here", "c1"), at_c)
            final = uac.expect_reply(3)
            check(final is not None and final.status == 486, f"final: {final}")
            check_eq(final.reason, "Tried twice", "the second failure_route saw flag 5 and the AVP")
            check_no_transactions(srv)
