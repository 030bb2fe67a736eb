"""textops through the real server: headers added, removed and searched in relayed
requests; bad arguments refused when the script loads."""

from harness import LOOPBACK, Server, UdpPeer, build_request, check, check_eq, write_config, \
    check_config

MODULES = "sl = {}; maxfwd = {}; textops = {};"
ROUTES = """\
route {
  if (is_present_hf("X-Drop-Me")) {
    remove_hf("X-Drop-Me");
    append_hf("X-Removed: yes");
  }
  if (search("^X-Secret: ")) {
    sl_send_reply(403, "No Secrets");
    exit;
  }
  if (has_body("application/sdp")) {
    insert_hf("X-Has-Sdp: $rm");
  }
  append_hf("X-Relayed-By: sipline");
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""


def test_headers_are_added_removed_and_searched_in_relayed_requests():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(routes=ROUTES, modules=MODULES, uas_port=uas.port) as srv:
            ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
            sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                  b"m=audio 4000 RTP/AVP 0\r\n"
            uac.send(build_request("INVITE", ruri, uac.port,
                                   extra=("X-Drop-Me: 1", "Content-Type: application/sdp"),
                                   body=sdp), srv.addr)
            req, _ = uas.recv_msg(3)
            check(req is not None, "INVITE not relayed")
            check(req.get("x-drop-me") is None, "remove_hf left the header")
            check_eq(req.get("x-removed"), "yes", "append_hf after remove_hf")
            check_eq(req.get("x-relayed-by"), "sipline", "append_hf")
            check_eq(req.get("x-has-sdp"), "INVITE", "insert_hf with a pseudo-variable")

            uac.send(build_request("MESSAGE", ruri, uac.port, extra=("X-Secret: 42",)), srv.addr)
            reply = uac.expect_reply(3)
            check(reply is not None and reply.status == 403, f"search(): got {reply}")
            data, _ = uas.recv(0.3)
            check(data is None, "a request answered 403 was relayed too")


def test_bad_textops_arguments_are_refused_at_load():
    for script, fragment in [
        ('route { append_hf("no colon here"); }', "not a header"),
        ('route { search("([unclosed"); }', "regex does not compile"),
        ('route { has_body($rm); }', "the type must be a constant"),
    ]:
        cfg, _ = write_config(routes=script, subst={"MODULES": MODULES})
        res = check_config(cfg)
        check(res.returncode == 1, f"{script!r} was accepted")
        check(fragment in res.stderr, f"{script!r}: stderr lacks {fragment!r}: {res.stderr}")
        check(".routes:1:" in res.stderr, f"{script!r}: no position in {res.stderr!r}")


SUBST_ROUTES = r"""
route {
  if (is_content_type("application/sdp")) {
    append_hf("X-Is-Sdp: yes");
  }
  subst('/^(Subject: )([^\r]*)/\1[\2] via $rm/');
  subst('/^c=IN IP4 127\.0\.0\.1/c=IN IP4 203.0.113.7/g');
  replace("^X-Old-Name:", "X-New-Name:");
  replace_all("secret-[0-9]+", "xxx");
  subst('/^(X-Orig-Uri:)[^\r]*/\1 \u/');
  if ($rU =~ "^0") {
    subst_user('/^0+/+/');
  }
  subst_uri('/;foo=[a-z]+//');
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""


def test_substitutions_reach_the_wire_with_a_matching_content_length():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(routes=SUBST_ROUTES, modules=MODULES, uas_port=uas.port) as srv:
            ruri = f"sip:0049301234@{LOOPBACK}:{srv.port};foo=bar;lr"
            sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                  b"m=audio 4000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n"
            uac.send(build_request("INVITE", ruri, uac.port,
                                   extra=("Subject: lunch", "X-Old-Name: 1",
                                          "X-Codes: secret-1, secret-22", "X-Orig-Uri: x",
                                          "Content-Type: application/sdp; charset=x"),
                                   body=sdp), srv.addr)
            req, _ = uas.recv_msg(3)
            check(req is not None, "INVITE not relayed")
            check_eq(req.first, f"INVITE sip:+49301234@{LOOPBACK}:{srv.port};lr SIP/2.0",
                     "request line after subst_user and subst_uri")
            check_eq(req.get("subject"), "[lunch] via INVITE", "subst with \\1, \\2 and $rm")
            check(req.get("x-old-name") is None, "replace() left the old header name")
            check_eq(req.get("x-new-name"), "1", "replace()")
            check_eq(req.get("x-codes"), "xxx, xxx", "replace_all()")
            check_eq(req.get("x-orig-uri"), ruri, "subst with \\u (the request-URI)")
            check_eq(req.get("x-is-sdp"), "yes", "is_content_type() with parameters")
            want = sdp.replace(b"c=IN IP4 127.0.0.1", b"c=IN IP4 203.0.113.7")
            check_eq(req.body, want, "body after subst /g")
            check_eq(req.get("content-length"), str(len(want)), "Content-Length follows the body")


def test_bad_substitutions_are_refused_at_load():
    for script, fragment in [
        ("route { subst('/a/b'); }", "missing the '/' after the replacement"),
        ("route { subst('/([a/b/'); }", "regex does not compile"),
        ("route { subst('/(a)/\\2/'); }", "refers to group 2 but the regex has 1"),
        ("route { subst('/a/b/x'); }", "unknown flag 'x'"),
        ("route { subst('/a/$nosuch/'); }", "unknown pseudo-variable $nosuch"),
        ("route { subst($rm); }", "expected a string constant"),
        ("route { subst_user('/a/b/q'); }", "unknown flag 'q'"),
        ('route { replace("(", "x"); }', "regex does not compile"),
        ('route { replace("^X-$rm", "x"); }', "the regex must be a constant"),
        ('route { is_content_type("sdp"); }', 'expected "type/subtype"'),
        ("route { }\nonreply_route { subst_uri('/a/b/'); }", "not allowed in onreply_route"),
    ]:
        cfg, _ = write_config(routes=script, subst={"MODULES": MODULES})
        res = check_config(cfg)
        check(res.returncode == 1, f"{script!r} was accepted")
        check(fragment in res.stderr, f"{script!r}: stderr lacks {fragment!r}: {res.stderr}")
        check(".routes:" in res.stderr, f"{script!r}: no position in {res.stderr!r}")


REPLY_ROUTES = """\
route {
  if ($rU == "moved") {
    append_to_reply("Contact: <sip:new@127.0.0.1>");
    append_to_reply("X-Why: $rm moved");
    sl_send_reply(302, "Moved Temporarily");
    exit;
  }
  if ($rU == "short") {
    append_to_reply("Min-Expires: 600");
    t_reply(423, "Interval Too Brief");
    exit;
  }
  sl_send_reply(404, "Not Here");
}
"""


def test_append_to_reply_adds_headers_to_stateless_and_stateful_replies():
    from sipp_flows import tm_modules
    with UdpPeer() as uac:
        with Server(routes=REPLY_ROUTES, modules=tm_modules(extra="textops = {};")) as srv:
            uac.send(build_request("INVITE", f"sip:moved@{LOOPBACK}:{srv.port}", uac.port),
                     srv.addr)
            reply = uac.expect_reply(3)
            check(reply is not None and reply.status == 302, f"expected 302, got {reply}")
            check_eq(reply.get("contact"), "<sip:new@127.0.0.1>", "append_to_reply's Contact")
            check_eq(reply.get("x-why"), "INVITE moved", "append_to_reply with $rm")
            uac.send(build_request("REGISTER", f"sip:short@{LOOPBACK}:{srv.port}", uac.port),
                     srv.addr)
            reply = uac.expect_reply(3)
            check(reply is not None and reply.status == 423, f"expected 423, got {reply}")
            check_eq(reply.get("min-expires"), "600", "append_to_reply before t_reply")
            # the headers belong to that request only
            uac.send(build_request("OPTIONS", f"sip:other@{LOOPBACK}:{srv.port}", uac.port),
                     srv.addr)
            reply = uac.expect_reply(3)
            check(reply is not None and reply.status == 404, f"expected 404, got {reply}")
            check(reply.get("min-expires") is None and reply.get("x-why") is None,
                  "another request's append_to_reply leaked into this reply")


BODY_ROUTES = r"""
route {
  subst_body('/127\.0\.0\.1/203.0.113.7/g');
  replace_body("^s=-", "s=session");
  replace_body_all("RTP/AVP 0", "RTP/AVP 0 8");
  search_append("^Subject: [a-z]+", " (checked)");
  append_hf("X-After-Call-ID: 1", "Call-ID");
  insert_hf("X-Before-Subject: 2", "Subject");
  append_hf("X-No-Anchor: 3", "X-Missing");
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""


def test_body_substitutions_search_append_and_anchored_headers():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(routes=BODY_ROUTES, modules=MODULES, uas_port=uas.port) as srv:
            ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
            sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                  b"m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 0\r\n"
            uac.send(build_request("INVITE", ruri, uac.port,
                                   extra=("Subject: lunch", "Content-Type: application/sdp"),
                                   body=sdp), srv.addr)
            req, _ = uas.recv_msg(3)
            check(req is not None, "INVITE not relayed")
            want = sdp.replace(b"127.0.0.1", b"203.0.113.7") \
                      .replace(b"s=-", b"s=session").replace(b"RTP/AVP 0", b"RTP/AVP 0 8")
            check_eq(req.body, want, "body after subst_body, replace_body, replace_body_all")
            check_eq(req.get("content-length"), str(len(want)), "Content-Length follows")
            check(all("203.0.113.7" not in v for _, v in req.headers),
                  "subst_body touched the headers")
            check_eq(req.get("subject"), "lunch (checked)", "search_append")
            names = [n for n, _ in req.headers]
            i = names.index("call-id")
            check_eq(names[i + 1], "x-after-call-id", "append_hf(txt, \"Call-ID\")")
            j = names.index("subject")
            check_eq(names[j - 1], "x-before-subject", "insert_hf(txt, \"Subject\")")
            check_eq(names[-1], "x-no-anchor", "append_hf with a missing anchor: at the end")


HUNT_ROUTES = """\
route {
  if (is_method("ACK|CANCEL") || has_totag()) { if (t_check_trans()) t_relay(); exit; }
  append_to_reply("X-Kept: 1");
  t_on_failure("hunt");
  if (!t_relay()) sl_reply_error();
}

failure_route[hunt] {
  append_to_reply("X-Hunt: yes");
  if ($avp(tries) == "1") {
    t_reply(503, "Hunted");
    exit;
  }
  $avp(tries) = "1";
  $ru = "sip:carol@127.0.0.1:@SECOND@";
  t_on_failure("hunt");
  t_relay();
}
"""


def test_append_to_reply_before_t_relay_reaches_a_failure_routes_reply_once():
    """As in OpenSIPS: headers appended before t_relay() stay with the transaction; those a
    failure_route appends last for that run only, so a hunt does not repeat them."""
    from harness import new_branch, recv_request, reply_to
    from sipp_flows import check_no_transactions, proxy, tm_modules
    with UdpPeer() as bob, UdpPeer() as carol, UdpPeer() as uac:
        with proxy(routes=HUNT_ROUTES, subst={"SECOND": carol.port},
                   modules=tm_modules(extra="textops = {};")) as srv:
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{bob.port}", uac.port,
                                   branch=new_branch()), srv.addr)
            inv_b, at_b = recv_request(bob, "INVITE")
            bob.send(reply_to(inv_b, 486, "Busy Here", "b1"), at_b)
            inv_c, at_c = recv_request(carol, "INVITE")
            carol.send(reply_to(inv_c, 486, "Busy Here", "c1"), at_c)
            final = uac.expect_reply(3)
            while final is not None and final.status < 200:
                final = uac.expect_reply(3)
            check(final is not None and final.status == 503, f"final: {final}")
            check_eq(final.all("x-kept"), ["1"], "the request route's header, once")
            check_eq(final.all("x-hunt"), ["yes"], "the last failure_route's header, once")
            check_no_transactions(srv)
