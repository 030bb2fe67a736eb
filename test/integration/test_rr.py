"""Record-Route and loose routing (rr module) on the wire: a sipp call through a
record-routing stateless proxy (INVITE/200/ACK/BYE/200) with the in-dialog requests routed
by loose_route(); the double Record-Route of a request that changes socket and the way back
through both entries, is_direction() both ways, a strict router before us (RFC 3261 §16.4);
and the commands' arguments refused at load with their position."""

import glob
import os
import re

from harness import (DEFAULT_SETTINGS, LOOPBACK, STAT, Server, SippUas, UdpPeer,
                     build_request, check, check_config, check_eq, free_udp_port, new_branch,
                     parse_sip, scenario, sipp, wait_until, write_config)

MODULES = "sl = {}; maxfwd = {}; textops = {}; rr = {};"

# The classic split: in-dialog requests by their Route (404 when it is not ours), initial
# INVITEs record-routed; the headers added in-dialog show what is_direction() and
# check_route_param() said. Initial requests go to the callee at UAS_PORT, or to the
# request-URI's port when SECOND is in the user part (leaving from the second socket).
ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      if (is_direction("upstream")) {
        append_hf("X-Rr-Dir: upstream");
        force_send_socket("udp:127.0.0.1:@PORT@");
      } else {
        append_hf("X-Rr-Dir: downstream");
      }
      if (check_route_param("nat=yes")) {
        append_hf("X-Rr-Nat: yes");
      }
      forward();
      exit;
    }
    if (!is_method("ACK")) {
      sl_send_reply(404, "Not Here");
    }
    exit;
  }
  if (is_method("INVITE")) {
    record_route();
    add_rr_param(";nat=yes");
  }
  if ($rU == "second") {
    force_send_socket("udp:127.0.0.1:@SECOND_PORT@");
    forward();
    exit;
  }
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""


def _server(uas_port=None):
    second = free_udp_port()
    settings = DEFAULT_SETTINGS.replace(
        "socket = [@SOCKETS@];",
        f'socket = ["udp:{LOOPBACK}:@PORT@", "udp:{LOOPBACK}:{second}"];')
    routes = ROUTES.replace("@SECOND_PORT@", str(second))
    return Server(routes=routes, settings=settings, uas_port=uas_port, modules=MODULES), second


def _messages_log(result):
    """The text of the -trace_msg log of a sipp run."""
    logs = glob.glob(os.path.join(os.path.dirname(result.out_path), "*_messages.log"))
    check(logs, f"no sipp message log next to {result.out_path}")
    with open(logs[0], errors="replace") as f:
        return f.read()


def test_call_through_the_proxy_is_record_routed_and_loose_routed():
    calls = 5
    with SippUas("-sf", scenario("rr_uas.xml"), calls=calls, hard_timeout=60) as uas:
        srv, _ = _server(uas.port)
        with srv:
            s0 = srv.stats([STAT.fwd_requests, STAT.sl_4xx])
            uac = sipp(srv.addr, "-sf", scenario("rr_uac.xml"), "-s", "bob", "-trace_msg",
                       "-r", "5", calls=calls, hard_timeout=40)
            check(uac.successful == calls and not uac.failed, f"caller: {uac.describe()}")
            res = uas.wait(20)
            check(res.successful == calls and not res.failed, f"callee: {res.describe()}")
            # INVITE, ACK and BYE of every call crossed the proxy; no in-dialog request
            # was refused for a Route that is not ours.
            s1 = srv.stats([STAT.fwd_requests, STAT.sl_4xx])
            check(s1[STAT.fwd_requests] - s0[STAT.fwd_requests] >= 3 * calls,
                  f"relayed requests: {s0} -> {s1}")
            check_eq(s1[STAT.sl_4xx] - s0[STAT.sl_4xx], 0, "404 for in-dialog requests")
        # The exact Record-Route the caller saw in its 200, and the Route of its BYE.
        log = _messages_log(uac)
        rr = re.findall(r"^Record-Route: (.*?)\r?$", log, re.M)
        want = re.compile(rf"^<sip:{re.escape(LOOPBACK)}:{srv.port};lr;ftag=\d+SIPpTag00\d+"
                          r";nat=yes>$")
        check(rr and all(want.match(v) for v in rr), f"Record-Route seen by the caller: {rr}")
        routes = re.findall(r"^Route: (.*?)\r?$", log, re.M)
        check(len(routes) >= 2 * calls, f"Route headers sent by the caller (ACK, BYE): {routes}")
        check(all(want.match(v) for v in routes), f"caller's route set: {routes[:2]}")


def _reply_to(req, status=200, reason="OK"):
    """A UAS's reply to SipMsg `req`: Vias and Record-Route copied, To tagged."""
    lines = [f"SIP/2.0 {status} {reason}"]
    lines += [f"Via: {v}" for v in req.all("via")]
    lines += [f"Record-Route: {v}" for v in req.all("record-route")]
    for h in ("from", "call-id", "cseq"):
        lines.append(f"{h.title()}: {req.get(h)}")
    lines.append(f"To: {req.get('to')};tag=callee1")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _in_dialog(method, ruri, local_port, routes, from_tag, to_tag, call_id, cseq):
    lines = [f"{method} {ruri} SIP/2.0",
             f"Via: SIP/2.0/UDP {LOOPBACK}:{local_port};branch={new_branch()}",
             "Max-Forwards: 70"]
    lines += [f"Route: {r}" for r in routes]
    lines += [f"From: <sip:x@{LOOPBACK}>;tag={from_tag}", f"To: <sip:y@{LOOPBACK}>;tag={to_tag}",
              f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_socket_change_gives_double_record_route_and_both_directions_route_back():
    with UdpPeer() as caller, UdpPeer() as callee:
        srv, second = _server()
        with srv:
            ruri = f"sip:second@{LOOPBACK}:{callee.port}"
            invite = build_request("INVITE", ruri, caller.port)
            caller.send(invite, srv.addr)
            req, src = callee.recv_msg(3)
            check(req is not None, "INVITE not relayed")
            check_eq(src, (LOOPBACK, second), "INVITE left from the second socket")
            sent = parse_sip(invite)
            ftag = sent.get("from").split("tag=")[1]
            # Outgoing side on top: the callee's first hop is the socket it heard from.
            check_eq(req.all("record-route"),
                     [f"<sip:{LOOPBACK}:{second};lr;r2=on;ftag={ftag};nat=yes>",
                      f"<sip:{LOOPBACK}:{srv.port};lr;r2=on;ftag={ftag};nat=yes>"],
                     "double Record-Route of the relayed INVITE")
            rrs = req.all("record-route")
            call_id = req.get("call-id")

            # Callee -> caller (upstream): the route set in header order, sent to the top.
            bye = _in_dialog("BYE", f"sip:alice@{LOOPBACK}:{caller.port}", callee.port, rrs,
                             "callee1", ftag, call_id, 1)
            callee.send(bye, (LOOPBACK, second))
            got, src = caller.recv_msg(3)
            check(got is not None, "upstream BYE not routed to the caller")
            check_eq(got.all("route"), [], "Route left in the upstream BYE")
            check_eq(got.get("x-rr-dir"), "upstream", "is_direction for the callee's BYE")
            check_eq(got.get("x-rr-nat"), "yes", "check_route_param")
            check_eq(src, (LOOPBACK, srv.port), "upstream BYE left from the caller's side")

            # Caller -> callee (downstream): the route set reversed, to the side it used.
            bye = _in_dialog("BYE", f"sip:bob@{LOOPBACK}:{callee.port}", caller.port,
                             list(reversed(rrs)), ftag, "callee1", call_id, 2)
            caller.send(bye, srv.addr)
            got, _ = callee.recv_msg(3)
            check(got is not None, "downstream BYE not routed to the callee")
            check_eq(got.all("route"), [], "Route left in the downstream BYE")
            check_eq(got.get("x-rr-dir"), "downstream", "is_direction for the caller's BYE")


def test_strict_router_before_us_and_foreign_route():
    with UdpPeer() as caller, UdpPeer() as next_hop, UdpPeer() as callee:
        srv, _ = _server()
        with srv:
            ours = f"<sip:{LOOPBACK}:{srv.port};lr;ftag=t1>"
            # RFC 3261 §16.4: a strict router put our Record-Route URI in the request-URI
            # and the remote target at the end of the Route list.
            target = f"sip:bob@{LOOPBACK}:{callee.port}"
            msg = _in_dialog("BYE", ours[1:-1], caller.port,
                             [f"<sip:{LOOPBACK}:{next_hop.port};lr>", f"<{target}>"],
                             "t1", "u1", "strict@test", 2)
            caller.send(msg, srv.addr)
            got, _ = next_hop.recv_msg(3)
            check(got is not None, "request not sent to the next loose router ($du)")
            check_eq(got.first, f"BYE {target} SIP/2.0", "request-URI restored from the Route")
            check_eq(got.all("route"), [f"<sip:{LOOPBACK}:{next_hop.port};lr>"],
                     "Route after the strict-router fix-up")
            # A Route that is not ours stays and is followed (a preloaded route elsewhere).
            msg = _in_dialog("BYE", target, caller.port, [f"<sip:{LOOPBACK}:{next_hop.port};lr>"],
                             "t1", "u1", "foreign@test", 3)
            caller.send(msg, srv.addr)
            got, _ = next_hop.recv_msg(3)
            check(got is not None, "request not sent to the foreign Route")
            check_eq(got.all("route"), [f"<sip:{LOOPBACK}:{next_hop.port};lr>"],
                     "foreign Route kept")
            data, _ = callee.recv(0.3)
            check(data is None, "request bypassed its Route")


def test_malformed_route_is_not_loose_routed():
    with UdpPeer() as caller, UdpPeer() as callee:
        srv, _ = _server()
        with srv:
            msg = _in_dialog("BYE", f"sip:bob@{LOOPBACK}:{callee.port}", caller.port,
                             [f"<sip:{LOOPBACK}:{srv.port};lr"], "t1", "u1", "bad@test", 2)
            caller.send(msg, srv.addr)
            reply = caller.expect_reply(3)
            check(reply is not None and reply.status == 404,
                  f"malformed Route: expected the script's 404, got {reply}")
            data, _ = callee.recv(0.3)
            check(data is None, "request with a malformed Route was relayed")
            check(wait_until(lambda: "loose_route(): a Route header does not parse" in srv.log(),
                             2), "no log line for the malformed Route")


def test_bad_rr_arguments_are_refused_at_load():
    for script, fragment in [
        ('route {\n  check_route_param("nat=(");\n}', ".routes:2:21: check_route_param():"),
        ('route {\n  check_route_param("$var(x)");\n}', "must be a constant"),
        ('route {\n  is_direction("downstream ");\n}', ".routes:2:16: is_direction():"),
        ('route {\n  is_direction("upstraem");\n}', "did you mean 'upstream'"),
        ('route {\n  record_route("a b");\n}', ".routes:2:16: record_route():"),
        ('route {\n  add_rr_param("x=1\\r\\nY: z");\n}', "not a list of URI parameters"),
        ('route {\n  record_route_preset("1.2.3.4:99999");\n}', "out of range"),
        ('route {\n  record_route_preset("1.2.3.4", ";;");\n}', "not a list of URI parameters"),
        ('onreply_route {\n  loose_route();\n}', "loose_route"),
    ]:
        cfg, _ = write_config(routes=script, subst={"MODULES": MODULES})
        res = check_config(cfg)
        check(res.returncode != 0, f"accepted: {script!r}")
        check(fragment in res.stderr, f"error for {script!r} lacks {fragment!r}: {res.stderr!r}")
