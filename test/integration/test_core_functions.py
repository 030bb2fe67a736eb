"""Core script functions seen on the wire: request-URI rewriting, revert_uri and $du tests,
force_send_socket with set_advertised_address/port and force_rport on the relayed request,
and append_branch ignored (with one warning) by stateless forward(); bad arguments refused
when the script loads, with their position."""

from harness import (DEFAULT_SETTINGS, LOOPBACK, Server, UdpPeer, build_request, check,
                     check_config, check_eq, free_udp_port, wait_until, write_config)

ROUTES = """\
route {
  if ($rU == "rewrite") {
    rewriteuser("bob");
    prefix("+49");
    strip_tail(1);
    rewritehostport("127.0.0.1:@UAS_PORT@");
    forward();
    exit;
  }
  if ($rU == "revert") {
    rewritehost("192.0.2.99");
    revert_uri();
    $du = "sip:127.0.0.1:@UAS_PORT@";
    if (isdsturiset()) {
      forward();
    }
    exit;
  }
  if ($rU == "socket") {
    force_send_socket("udp:127.0.0.1:@SECOND_PORT@");
    set_advertised_address("proxy.example.com");
    set_advertised_port(5999);
    force_rport();
    forward("udp:127.0.0.1:@UAS_PORT@");
    exit;
  }
  if ($rU == "branch") {
    append_branch("sip:carol@127.0.0.1:@UAS_PORT@", "0.5");
    forward("udp:127.0.0.1:@UAS_PORT@");
    exit;
  }
}
"""


def _server(uas_port):
    second = free_udp_port()
    settings = DEFAULT_SETTINGS.replace(
        "socket = [@SOCKETS@];",
        f'socket = ["udp:{LOOPBACK}:@PORT@", "udp:{LOOPBACK}:{second}"];')
    routes = ROUTES.replace("@SECOND_PORT@", str(second))
    return Server(routes=routes, settings=settings, uas_port=uas_port), second


def test_request_uri_rewrites_reach_the_wire():
    with UdpPeer() as uas, UdpPeer() as uac:
        srv, _ = _server(uas.port)
        with srv:
            uac.send(build_request("MESSAGE", f"sip:rewrite@{LOOPBACK}:{srv.port};lr", uac.port),
                     srv.addr)
            req, _ = uas.recv_msg(3)
            check(req is not None, "rewritten request not relayed")
            check_eq(req.first, f"MESSAGE sip:+49bo@{LOOPBACK}:{uas.port};lr SIP/2.0",
                     "request line after rewriteuser/prefix/strip_tail/rewritehostport")

            ruri = f"sip:revert@{LOOPBACK}:{srv.port}"
            uac.send(build_request("MESSAGE", ruri, uac.port), srv.addr)
            req, _ = uas.recv_msg(3)
            check(req is not None, "request with $du not relayed to $du")
            check_eq(req.first, f"MESSAGE {ruri} SIP/2.0", "request line after revert_uri")


def test_forced_socket_advertised_address_and_rport():
    with UdpPeer() as uas, UdpPeer() as uac:
        srv, second = _server(uas.port)
        with srv:
            uac.send(build_request("MESSAGE", f"sip:socket@{LOOPBACK}:{srv.port}", uac.port),
                     srv.addr)
            req, src = uas.recv_msg(3)
            check(req is not None, "request not relayed from the forced socket")
            check_eq(src, (LOOPBACK, second), "source of the relayed request")
            vias = req.all("via")
            check(vias[0].startswith("SIP/2.0/UDP proxy.example.com:5999;branch=z9hG4bK"),
                  f"our Via does not carry the advertised address: {vias[0]!r}")
            check(f";rport={uac.port}" in vias[1] and ";received=127.0.0.1" in vias[1],
                  f"force_rport did not fill rport/received: {vias[1]!r}")


def test_appended_branch_is_not_forked_statelessly():
    with UdpPeer() as uas, UdpPeer() as uac:
        srv, _ = _server(uas.port)
        with srv:
            for _ in range(2):
                uac.send(build_request("MESSAGE", f"sip:branch@{LOOPBACK}:{srv.port}", uac.port),
                         srv.addr)
                req, _ = uas.recv_msg(3)
                check(req is not None, "branch 0 not relayed")
                check(req.first.startswith("MESSAGE sip:branch@"), f"relayed {req.first!r}")
            data, _ = uas.recv(0.5)
            check(data is None, f"the appended branch was sent too: {(data or b'')[:120]!r}")
            check(wait_until(lambda: "appended branch(es) ignored" in srv.log(), 2),
                  "no warning about the ignored branch")
            check(srv.log().count("appended branch(es) ignored") <= 2,
                  "the warning repeats per message (once per process expected)")


def test_bad_core_function_arguments_are_refused_at_load():
    for script, fragment in [
        ('route {\n  rewritehost("bad host");\n}', ".routes:2:15: rewritehost():"),
        ('route {\n  strip(-2);\n}', "must not be negative"),
        ('route {\n  append_branch("carol", "0.5");\n}', "not a valid SIP URI"),
        ('route {\n  append_branch("sip:c@d", "2");\n}', "q must be a value from 0 to 1"),
        ('route {\n  setbflag(40);\n}', "a flag is a number 0..31"),
        ('route {\n  force_send_socket("tcp:127.0.0.1:5060");\n}', "is not one of ours"),
        # checked against the settings' sockets even though -c binds none
        ('route {\n  force_send_socket("udp:127.0.0.1:9");\n}', "is not one of ours"),
        ('route {\n  set_advertised_port(0);\n}', "1..65535"),
        ('route { }\nonreply_route {\n  force_rport();\n}', "not allowed in onreply_route"),
    ]:
        cfg, _ = write_config(routes=script)
        res = check_config(cfg)
        check(res.returncode == 1, f"{script!r} was accepted")
        check(fragment in res.stderr, f"{script!r}: stderr lacks {fragment!r}: {res.stderr}")
        check(".routes:" in res.stderr, f"{script!r}: no position in {res.stderr!r}")
