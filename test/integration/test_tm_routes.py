"""The routes tm runs for a transaction: branch_route[name] once per branch on that branch's
copy of the request ($T_branch_idx; drop skips the branch), onreply_route[name] for the
replies, per branch when a branch_route arms it, with the request's message flags and the
branch's flags, and failure_route with the AVPs and flags of the request route; reply and
branch routes stay armed across a failure_route's relay; t_local_replied("last") tells a
timeout from a downstream reply; a 407 wins over a 486 (RFC 3261 §16.7 step 6). Hand-made
callees (UdpPeer) show exactly what each branch got."""

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


KEPT_ROUTES = """\
route {
  if (is_method("ACK|CANCEL") || has_totag()) { if (t_check_trans()) t_relay(); exit; }
  t_on_reply("seen");
  t_on_branch("each");
  t_on_failure("next");
  t_relay();
}

branch_route[each] { append_hf("X-Branch: $T_branch_idx\\r\\n"); }

onreply_route[seen] { append_hf("X-Reply-Route: seen $T_branch_idx\\r\\n"); }

failure_route[next] {
  $ru = "sip:carol@127.0.0.1:@SECOND@";
  t_relay();
}
"""


def test_reply_and_branch_routes_stay_armed_for_what_failure_route_relays():
    """Serial forking: only failure_route is one shot; the second round's branch still runs
    branch_route and its replies still run onreply_route, as armed in the request route."""
    with UdpPeer() as bob, UdpPeer() as carol, UdpPeer() as uac:
        with proxy(routes=KEPT_ROUTES, subst={"SECOND": carol.port},
                   modules=tm_modules(extra="textops = {};")) as srv:
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{bob.port}", uac.port,
                                   branch=new_branch()), srv.addr)
            inv_b, at_b = recv_request(bob, "INVITE")
            check_eq(inv_b.get("x-branch"), "0", "branch_route for bob")
            bob.send(reply_to(inv_b, 486, "Busy Here", "b1"), at_b)
            inv_c, at_c = recv_request(carol, "INVITE")
            check_eq(inv_c.get("x-branch"), "1", "branch_route for carol (second round)")
            carol.send(reply_to(inv_c, 180, "Ringing", "c1"), at_c)
            ringing = uac.expect_reply(3, skip_provisional=False)
            while ringing is not None and ringing.status == 100:
                ringing = uac.expect_reply(3, skip_provisional=False)
            check(ringing is not None and ringing.status == 180, f"180: {ringing}")
            check_eq(ringing.get("x-reply-route"), "seen 1", "onreply_route for carol's 180")
            carol.send(reply_to(inv_c, 404, "Not Found", "c1"), at_c)
            final = uac.expect_reply(3)
            check(final is not None and final.status >= 400, f"final: {final}")
            check_no_transactions(srv)


LAST_ROUTES = """\
route {
  if (is_method("ACK|CANCEL") || has_totag()) { if (t_check_trans()) t_relay(); exit; }
  t_on_failure("judge");
  t_relay();
}

failure_route[judge] {
  if (t_local_replied("last")) {
    t_reply(599, "Last local $T_reply_code");
  } else {
    t_reply(598, "Last from downstream $T_reply_code");
  }
}
"""


def test_local_replied_last_tells_a_timeout_from_a_downstream_reply():
    with UdpPeer() as bob, UdpPeer() as carol, UdpPeer() as uac, UdpPeer() as uac2:
        with proxy(routes=LAST_ROUTES, tm={"fr_timeout": 1, "fr_inv_timeout": 1}) as srv:
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{bob.port}", uac.port,
                                   branch=new_branch()), srv.addr)
            recv_request(bob, "INVITE")  # and never answered
            final = uac.expect_reply(5)
            check(final is not None and final.status == 599, f"after a timeout: {final}")
            check_eq(final.reason, "Last local 408", "the reply judged")
            uac2.send(build_request("INVITE", f"sip:carol@{LOOPBACK}:{carol.port}", uac2.port,
                                    branch=new_branch()), srv.addr)
            inv, at = recv_request(carol, "INVITE")
            carol.send(reply_to(inv, 486, "Busy Here", "c1"), at)
            final = uac2.expect_reply(3)
            check(final is not None and final.status == 598, f"after a 486: {final}")
            check_eq(final.reason, "Last from downstream 486", "the reply judged")
            check_no_transactions(srv)


CHALLENGE_ROUTES = """\
route {
  if (is_method("ACK|CANCEL") || has_totag()) { if (t_check_trans()) t_relay(); exit; }
  append_branch("sip:carol@127.0.0.1:@SECOND@");
  t_relay();
}
"""


def test_a_challenge_wins_over_a_busy_branch():
    """RFC 3261 §16.7 step 6: among 4xx a 407 is preferred, so the caller can authenticate."""
    with UdpPeer() as bob, UdpPeer() as carol, UdpPeer() as uac:
        with proxy(routes=CHALLENGE_ROUTES, subst={"SECOND": carol.port},
                   modules=tm_modules()) as srv:
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{bob.port}", uac.port,
                                   branch=new_branch()), srv.addr)
            inv_b, at_b = recv_request(bob, "INVITE")
            inv_c, at_c = recv_request(carol, "INVITE")
            bob.send(reply_to(inv_b, 486, "Busy Here", "b1"), at_b)
            challenge = reply_to(inv_c, 407, "Proxy Authentication Required", "c1").replace(
                b"Content-Length: 0",
                b'Proxy-Authenticate: Digest realm="carol", nonce="n1"\r\nContent-Length: 0')
            carol.send(challenge, at_c)
            final = uac.expect_reply(3)
            check(final is not None and final.status == 407, f"final: {final}")
            check_eq(final.get("proxy-authenticate"), 'Digest realm="carol", nonce="n1"',
                     "the challenge relayed")
            check_no_transactions(srv)
