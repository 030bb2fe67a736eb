"""uac_redirect: a callee answers 302 with Contacts; failure_route's get_redirects() makes them
the destination set (best q as the request-URI, the others as branches) and t_relay() calls
them. With sipp: a caller's call reaches the redirect target and is answered there. With
hand-made peers: the max argument ("N", "N:M"), the module's filters and set_deny_filter(),
everything filtered (the caller gets the 302 itself), a second redirect round that takes only
the new 3xx (tm's round of branches), and bad arguments refused by `sipline -c`."""

from harness import (LOOPBACK, Server, UdpPeer, build_request, check, check_config, check_eq,
                     parse_sip as parse, recv_request, reply_to, write_config)
from sipp_flows import call, callee, check_calls, check_no_transactions, tm_modules

WAITS = True

ROUTES = """\
route {
  t_on_failure("redirect");
  t_relay();
}

failure_route[redirect] {
  if (!t_check_status("3[0-9][0-9]")) {
    exit;
  }
  @FILTERS@
  get_redirects(@MAX@);
  $var(n) = $rc;
  xlog("L_NOTICE", "get_redirects: $var(n) ru=$ru\\n");
  if ($var(n) > 0) {
    @REARM@
    t_relay();
  }
}
"""


def _proxy(max_arg='"0"', filters="", params="", rearm=""):
    routes = ROUTES.replace("@MAX@", max_arg).replace("@FILTERS@", filters)
    routes = routes.replace("@REARM@", rearm)
    return Server(routes=routes, modules=tm_modules(extra=f"uac_redirect = {{ {params} }};"),
                  name="redirect")


def test_a_call_redirected_by_302_reaches_the_target():
    with _proxy() as srv, \
            callee("tm_uas_call.xml", 1, name="target") as high, \
            callee("tm_uas_busy.xml", 1, name="busy") as low, \
            callee("cf_uas_redirect.xml", 1, "-key", "target_low", f"{LOOPBACK}:{low.port}",
                   "-key", "target_high", f"{LOOPBACK}:{high.port}", name="redirector") as rd:
        uac = call(srv.port, "tm_uac_call.xml", rd.port, 1, name="caller")
        check_calls(uac, 1, "caller")
        check_calls(rd.wait(20), 1, "redirector")
        check_calls(high.wait(20), 1, "target (q=0.9)")
        check_calls(low.wait(20), 1, "busy target (q=0.4), forked to as well")
        check("get_redirects: 2 ru=sip:bob@127.0.0.1:" + str(high.port) in srv.log(),
              "the best Contact is the request-URI")
        st = srv.stats(["uac_redirect:"])
        check_eq((st["uac_redirect:redirects"], st["uac_redirect:contacts_added"]), (1, 2),
                 f"statistics {st}")
        check_no_transactions(srv)


def _redirect_302(req, contacts):
    """A 302 to SipMsg req with these Contact values."""
    text = reply_to(req, 302, "Moved Temporarily").decode()
    text = text.replace(f"Contact: <sip:bob@{LOOPBACK}>\r\n",
                        "".join(f"Contact: {c}\r\n" for c in contacts))
    return text.encode()


def _run(srv, contacts_of, answer=486):
    """A caller INVITEs sip:bob@<redirector>; the redirector answers 302 with
    contacts_of(peers) (peers: name -> UdpPeer of the targets); every target that gets the
    INVITE answers `answer`. Returns (names that got the INVITE, the caller's final code).
    When every target fails, the best reply over all branches goes up (RFC 3261 §16.7: a
    3xx before a 4xx), so the caller gets the 302 and may follow it itself."""
    names = ("a", "b", "c")
    peers = {n: UdpPeer() for n in names}
    try:
        with UdpPeer() as caller, UdpPeer() as rd:
            caller.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{rd.port}", caller.port),
                        srv.addr)
            inv, _ = recv_request(rd, "INVITE", 3.0)
            rd.send(_redirect_302(inv, contacts_of(peers)), srv.addr)
            reached = []
            for n in names:
                msg, _ = peers[n].recv_msg(1.0)
                if msg is not None and not msg.is_reply and msg.method == "INVITE":
                    check(msg.first.startswith(f"INVITE sip:{n}@{LOOPBACK}:{peers[n].port}"),
                          f"request line at {n}: {msg.first}")
                    reached.append(n)
                    peers[n].send(reply_to(msg, answer, "Busy Here"), srv.addr)
            final = caller.expect_reply(5.0)
            check(final is not None, "no final reply at the caller")
            return reached, final.status
    finally:
        for p in peers.values():
            p.close()


def _contacts(qs):
    def make(peers):
        return [f"<sip:{n}@{LOOPBACK}:{peers[n].port}>;q={q}" for n, q in qs]
    return make


def test_max_limits_the_targets_by_q():
    three = _contacts([("a", "0.2"), ("b", "0.9"), ("c", "0.5")])
    with _proxy('"2"') as srv:
        check_eq(_run(srv, three), (["b", "c"], 302), "max 2: the two best")
    with _proxy("1") as srv:
        check_eq(_run(srv, three), (["b"], 302), "max 1 (an integer)")
    with _proxy('"0"') as srv:
        check_eq(_run(srv, three), (["a", "b", "c"], 302), "max 0: all")


def test_filters_of_the_module_and_the_script():
    three = _contacts([("a", "0.2"), ("b", "0.9"), ("c", "0.5")])
    with _proxy(params='default_filter = "deny"; accept_filter = "^sip:(a|c)@";') as srv:
        check_eq(_run(srv, three), (["a", "c"], 302), "default deny, accept_filter a|c")
    with _proxy(params='deny_filter = "^sip:b@";') as srv:
        check_eq(_run(srv, three), (["a", "c"], 302), "deny_filter b")
    with _proxy(filters='set_deny_filter("^sip:c@", "reset_all");',
                params='deny_filter = "^sip:b@";') as srv:
        check_eq(_run(srv, three), (["a", "b"], 302), "set_deny_filter replaces the param")
    with _proxy(filters='set_deny_filter(".*");') as srv:
        reached, code = _run(srv, three)
        check_eq((reached, code), ([], 302), "everything denied: the 302 goes to the caller")
        check("get_redirects: -1" in srv.log(), "get_redirects returned -1")
        check_eq(srv.stat("uac_redirect:contacts_filtered"), 3, "filtered Contacts counted")


def test_a_second_redirect_round_sees_only_its_own_replies():
    with _proxy(rearm='t_on_failure("redirect");') as srv, UdpPeer() as caller, \
            UdpPeer() as rd, UdpPeer() as a, UdpPeer() as c:
        caller.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{rd.port}", caller.port),
                    srv.addr)
        inv, _ = recv_request(rd, "INVITE", 3.0)
        rd.send(_redirect_302(inv, [f"<sip:a@{LOOPBACK}:{a.port}>"]), srv.addr)
        inv, _ = recv_request(a, "INVITE", 3.0)
        a.send(_redirect_302(inv, [f"<sip:c@{LOOPBACK}:{c.port}>"]), srv.addr)
        inv, _ = recv_request(c, "INVITE", 3.0)
        check(inv.first.startswith(f"INVITE sip:c@{LOOPBACK}:{c.port} "),
              f"request line at c: {inv.first}")
        c.send(reply_to(inv, 486, "Busy Here"), srv.addr)
        again = [m for m in (parse(d) for d in a.drain(0.3)) if m.method == "INVITE"]
        check_eq(again, [], "INVITEs at a after its own 302 (the first round's Contact again)")
        final = caller.expect_reply(5.0)
        check(final is not None and final.status == 302, f"caller got {final!r}")
        check("get_redirects: 1 ru=sip:c@" in srv.log(), "the second round took c only")


LEAK_ROUTES = """\
route {
  t_on_failure("redirect");
  t_relay();
}

failure_route[redirect] {
  if ($avp(round) == NULL) {
    # First run: adds a filter but follows no redirect; relays to a fixed target instead.
    $avp(round) = 1;
    set_deny_filter("^sip:c@");
    $ru = "@A_URI@";
    t_on_failure("redirect");
    t_relay();
    exit;
  }
  get_redirects("0");
  $var(n) = $rc;
  xlog("L_NOTICE", "get_redirects: $var(n) ru=$ru\\n");
  if ($var(n) > 0) {
    t_relay();
  }
}
"""


def test_filters_of_a_run_do_not_reach_the_next_run():
    """set_deny_filter() of a failure_route run that calls no get_redirects() must not filter
    the next run's redirects (one worker: both runs in the same process)."""
    with UdpPeer() as caller, UdpPeer() as rd, UdpPeer() as a, UdpPeer() as c:
        routes = LEAK_ROUTES.replace("@A_URI@", f"sip:a@{LOOPBACK}:{a.port}")
        with Server(routes=routes, modules=tm_modules(extra="uac_redirect = {};"),
                    udp_workers=1, name="redirleak") as srv:
            caller.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{rd.port}", caller.port),
                        srv.addr)
            inv, _ = recv_request(rd, "INVITE", 3.0)
            rd.send(_redirect_302(inv, [f"<sip:x@{LOOPBACK}:{c.port}>"]), srv.addr)
            inv, _ = recv_request(a, "INVITE", 3.0)
            a.send(_redirect_302(inv, [f"<sip:c@{LOOPBACK}:{c.port}>"]), srv.addr)
            inv, _ = recv_request(c, "INVITE", 3.0)
            check(inv is not None and inv.first.startswith(f"INVITE sip:c@{LOOPBACK}:{c.port} "),
                  f"the second run's redirect to c was filtered by the first run ({inv!r})")
            c.send(reply_to(inv, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(5.0)
            check(final is not None and final.status >= 300, f"caller got {final!r}")
            check("get_redirects: 1 ru=sip:c@" in srv.log(), "the second run took c")


def _check_routes(body):
    routes = "route { t_on_failure(\"f\"); t_relay(); }\nfailure_route[f] {\n  " + body + ";\n}\n"
    modules = tm_modules(extra="uac_redirect = {};")
    cfg, _ = write_config(routes=routes, subst={"MODULES": modules}, name="redircheck")
    return check_config(cfg)


def test_bad_arguments_stop_the_start_with_the_position():
    for body, why in (('get_redirects("x")', "max must be"),
                      ('get_redirects("-1")', "max must be"),
                      ('get_redirects("2:y")', "max must be"),
                      ('get_redirects("$var(m)")', "max must be a constant"),
                      ('set_deny_filter("(")', "filter"),
                      ('set_accept_filter("a", "reset")', "flags must be")):
        r = _check_routes(body)
        check_eq(r.returncode, 1, f"exit code of -c with {body} ({r.stderr!r})")
        check(why in r.stderr and "redircheck.routes:3:" in r.stderr,
              f"{body}: stderr {r.stderr!r}")
    r = _check_routes('get_redirects("3:1", "redirected")')
    check_eq(r.returncode, 0, f"a good call is accepted ({r.stderr!r})")
    routes = "route { t_relay(); }\nroute[x] {\n  get_redirects(\"1\");\n}\n"
    cfg, _ = write_config(routes=routes, subst={"MODULES": tm_modules(extra="uac_redirect = {};")},
                          name="redirroute")
    r = check_config(cfg)
    check(r.returncode == 1 and "not allowed" in r.stderr, f"request route: {r.stderr!r}")
    cfg, _ = write_config(routes=routes.replace("route[x]", "failure_route[x]"),
                          subst={"MODULES": tm_modules(extra='uac_redirect = { '
                                                             'deny_filter = "("; };')},
                          name="redirparam")
    r = check_config(cfg)
    check(r.returncode == 1 and "deny_filter" in r.stderr, f"bad deny_filter: {r.stderr!r}")
