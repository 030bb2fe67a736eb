"""permissions against a throw-away PostgreSQL (scripts/sql/address.sql): a gateway's INVITE
(its source address and port in group 1) is let through without authentication and reaches the
UAS, while the same INVITE from another port of the same host is refused 403; check_address
with the address, port, proto and group in variables; get_source_group; address_reload picks
up a new row (and address_dump shows it, subnet_dump the subnets only); bad rows are skipped
with a log line; with PostgreSQL down address_reload fails, the table in use stays and the
server keeps answering; with PostgreSQL down at start the server starts with an empty table
(the gateway is refused) and a background load fills it once PostgreSQL is up. Bad arguments
stop `sipline -c` with the call's position. allow_routing(), allow_register() and allow_uri()
read their allow/deny files."""

import os
import time

from harness import (LOOPBACK, ROOT, MIError, Server, UdpPeer, build_request, check,
                     check_config, check_eq, recv_request, wait_until, write_config)

WAITS = True

SQL = os.path.join(ROOT, "scripts", "sql")

ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if ($hdr(X-Op) == "addr") {
    $var(g) = $hdr(X-Grp);
    $var(ip) = $hdr(X-Ip);
    $var(port) = $hdr(X-Port);
    $var(proto) = $hdr(X-Proto);
    if (check_address($var(g), $var(ip), $var(port), $var(proto), "$avp(info)")) {
      sl_send_reply(200, "match $avp(info)");
    } else {
      sl_send_reply(404, "rc $rc");
    }
    exit;
  }
  if ($hdr(X-Op) == "group") {
    if (get_source_group($var(grp))) {
      sl_send_reply(200, "group $var(grp)");
    } else {
      sl_send_reply(404, "rc $rc");
    }
    exit;
  }
  if (is_method("INVITE")) {
    if (!check_source_address(1, $avp(gw))) {
      sl_send_reply(403, "Forbidden");
      exit;
    }
    append_hf("X-Gateway: $avp(gw)\\r\\n");
  }
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""


def _pg():
    import pgserver  # noqa: E402  (PostgreSQL only where needed)
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        pg.psql_file(os.path.join(SQL, "address.sql"))
    except Exception:
        pg.stop()
        raise
    return pg


def _add(pg, grp, ip, mask=32, port=0, proto="any", pattern="", info=""):
    pg.psql("INSERT INTO address (grp, ip, mask, port, proto, pattern, context_info) VALUES "
            f"({grp}, '{ip}', {mask}, {port}, '{proto}', '{pattern}', '{info}')")


def _modules(pg):
    return (f'sl = {{}}; maxfwd = {{}}; textops = {{}}; db_postgres = {{}}; '
            f'permissions = {{ db_url = "{pg.url}"; db_query_timeout = 1000; '
            f'db_connect_timeout = 500; }};')


def _server(pg, routes=ROUTES, uas_port=None):
    return Server(routes=routes, modules=_modules(pg), uas_port=uas_port, name="perm")


def _invite_from(peer, srv):
    peer.send(build_request("INVITE", f"sip:+4930123@{LOOPBACK}:{srv.port}", peer.port), srv.addr)


def _ask(srv, extra):
    with UdpPeer() as p:
        p.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", p.port, extra=list(extra)),
               srv.addr)
        reply = p.expect_reply(3.0)
        check(reply is not None, f"no reply to OPTIONS {extra}")
        return reply


def _addr(srv, grp, ip, port, proto):
    r = _ask(srv, ["X-Op: addr", f"X-Grp: {grp}", f"X-Ip: {ip}", f"X-Port: {port}",
                   f"X-Proto: {proto}"])
    return r.status, r.reason


def _gateway_passes(srv, gw, uas):
    _invite_from(gw, srv)
    msg, _ = recv_request(uas, "INVITE", 3.0)
    return msg


def test_gateway_by_source_address_passes_another_port_is_refused():
    pg = _pg()
    try:
        with UdpPeer() as gw, UdpPeer() as stranger, UdpPeer() as uas:
            _add(pg, 1, LOOPBACK, 32, gw.port, "udp", info="pstn-a")
            _add(pg, 1, LOOPBACK, 32, stranger.port, "tcp", info="tcp-only")  # wrong transport
            _add(pg, 2, "127.0.0.0", 8, 0, "any", info="net")
            srv = _server(pg, uas_port=uas.port)
            with srv:
                msg = _gateway_passes(srv, gw, uas)
                check_eq(msg.get("x-gateway"), "pstn-a", "context_info of the gateway's rule")
                _invite_from(stranger, srv)
                reply = stranger.expect_reply(3.0)
                check(reply is not None and reply.status == 403,
                      f"an INVITE from another port: {reply!r}")
                st = srv.stats(["permissions:"])
                check_eq((st["permissions:address_entries"], st["permissions:checks"],
                          st["permissions:matches"]), (3, 2, 1), f"statistics {st}")
                # get_source_group: the most specific rule of the source (group 2: the /8).
                r = _ask(srv, ["X-Op: group"])
                check_eq((r.status, r.reason), (200, "group 2"), "get_source_group")
    finally:
        pg.stop()


def test_check_address_with_variables():
    pg = _pg()
    try:
        _add(pg, 5, "192.0.2.0", 24, 5060, "udp", info="sbc")
        _add(pg, 6, "2001:db8::", 32, 0, "tls", info="v6-peer")
        _add(pg, 7, "198.51.100.7", 32, 0, "any", pattern="^sip:\\+49", info="de")
        _add(pg, 8, "::ffff:203.0.113.0", 120, info="mapped")  # the IPv4 /24, IPv6-style
        with _server(pg) as srv:
            check_eq(_addr(srv, 5, "192.0.2.99", 5060, "udp"), (200, "match sbc"), "in /24")
            check_eq(_addr(srv, 5, "192.0.2.99", 5070, "udp"), (404, "rc -1"), "other port")
            check_eq(_addr(srv, 5, "192.0.2.99", 0, "any"), (200, "match sbc"), "any port, proto")
            check_eq(_addr(srv, 5, "192.0.3.1", 5060, "udp"), (404, "rc -1"), "outside /24")
            check_eq(_addr(srv, 0, "192.0.2.1", 5060, "UDP"), (200, "match sbc"), "group 0")
            check_eq(_addr(srv, 6, "2001:db8:ffff::1", 5061, "tls"), (200, "match v6-peer"),
                     "IPv6 /32")
            check_eq(_addr(srv, 6, "2001:db9::1", 5061, "tls"), (404, "rc -1"), "outside /32")
            check_eq(_addr(srv, 6, "2001:db8::1", 5061, "udp"), (404, "rc -1"), "proto")
            # The pattern is matched against the From URI (sip:alice@...): no match.
            check_eq(_addr(srv, 7, "198.51.100.7", 5060, "udp"), (404, "rc -1"), "pattern")
            check_eq(_addr(srv, 8, "203.0.113.77", 5060, "udp"), (200, "match mapped"),
                     "an IPv4-mapped row with an IPv6 mask")
            check_eq(_addr(srv, 8, "::ffff:203.0.113.1", 5060, "udp"), (200, "match mapped"),
                     "an IPv4-mapped address asked for")
            check_eq(_addr(srv, 8, "203.0.114.1", 5060, "udp"), (404, "rc -1"), "outside /120")
            check_eq(_addr(srv, 5, "not-an-ip", 5060, "udp"), (404, "rc -2"), "bad address")
            check_eq(_addr(srv, 5, "192.0.2.1", 5060, "sctp"), (404, "rc -2"), "bad proto")
            check_eq(_addr(srv, "x", "192.0.2.1", 5060, "udp"), (404, "rc -2"), "bad group")
    finally:
        pg.stop()


def test_address_reload_picks_up_a_new_row_and_skips_bad_ones():
    pg = _pg()
    try:
        _add(pg, 1, "10.9.9.9", 32)
        with UdpPeer() as gw, UdpPeer() as uas:
            srv = _server(pg, uas_port=uas.port)
            with srv:
                _invite_from(gw, srv)
                reply = gw.expect_reply(3.0)
                check(reply is not None and reply.status == 403, f"before the reload: {reply!r}")
                _add(pg, 1, LOOPBACK, 32, gw.port, "any", info="new-gw")
                _add(pg, 1, "300.1.1.1", 32, info="bad")        # not an address
                _add(pg, 1, "10.1.1.1", 40, info="bad-mask")    # mask too long
                _add(pg, 1, "10.2.2.2", 32, pattern="([", info="bad-re")
                res = srv.mi("address_reload")
                check_eq((res.get("entries"), res.get("bad_rows")), (2, 3),
                         f"address_reload {res}")
                msg = _gateway_passes(srv, gw, uas)
                check_eq(msg.get("x-gateway"), "new-gw", "the new row is used")
                dump = srv.mi("address_dump", {"group": 1})
                infos = sorted(r["context_info"] for r in dump["rules"])
                check_eq(infos, ["", "new-gw"], f"address_dump {dump}")
                log = srv.log()
                for why in ("300.1.1.1", "mask 40", "pattern"):
                    check(why in log, f"no log line about the bad row ({why})")
                st = srv.stats(["permissions:"])
                check_eq((st["permissions:reloads"], st["permissions:bad_rows"],
                          st["permissions:address_entries"]), (2, 3, 2), f"statistics {st}")
                # bad_rows answers for that load (the rows still wrong), not a running sum.
                res = srv.mi("address_reload")
                check_eq((res.get("entries"), res.get("bad_rows")), (2, 3), f"again: {res}")
                check_eq(srv.stat("permissions:bad_rows"), 6, "the statistic sums the loads")
                # subnet_dump: the rows of subnets only (a mask shorter than the address).
                _add(pg, 2, "10.8.0.0", 16, info="subnet")
                _add(pg, 2, "2001:db8::", 32, info="subnet6")
                _add(pg, 2, "2001:db8::1", 128, info="host6")
                check_eq(srv.mi("address_reload").get("entries"), 5, "with the subnets")
                subnets = srv.mi("subnet_dump")
                check_eq(sorted(r["context_info"] for r in subnets["rules"]),
                         ["subnet", "subnet6"], f"subnet_dump {subnets}")
                check_eq(subnets["entries"], 2, "subnet_dump entries")
                check_eq(srv.mi("subnet_dump", {"group": 1})["entries"], 0,
                         "group 1 has hosts only")
    finally:
        pg.stop()


def test_database_down_reload_fails_old_table_stays_server_answers():
    pg = _pg()
    try:
        with UdpPeer() as gw, UdpPeer() as uas:
            _add(pg, 1, LOOPBACK, 32, gw.port, "udp", info="pstn")
            srv = _server(pg, uas_port=uas.port)
            with srv:
                _gateway_passes(srv, gw, uas)
                pg.down()
                try:
                    srv.mi("address_reload")
                    check(False, "address_reload succeeded while the DB is down")
                except MIError as e:
                    check("address_reload" in str(e) or "permissions" in str(e),
                          f"the error names what failed: {e}")
                check(srv.stat("permissions:reload_errors") >= 1, "reload_errors counted")
                msg = _gateway_passes(srv, gw, uas)
                check_eq(msg.get("x-gateway"), "pstn", "the table in use stayed")
                check_eq(_ask(srv, ["X-Op: group"]).status, 404, "the server keeps answering")
                check_eq(srv.stat("permissions:address_entries"), 1, "address_entries")
                pg.up()

                def reloaded():  # the DB API backs off after the outage: retry a while
                    try:
                        return srv.mi("address_reload").get("entries") == 1
                    except MIError:
                        return False
                check(wait_until(reloaded, 30, 0.5), "address_reload after the DB is back")
    finally:
        pg.stop()


test_database_down_reload_fails_old_table_stays_server_answers.timeout = 180


def _reload_error(srv):
    try:
        srv.mi("address_reload")
        return None
    except MIError as e:
        return str(e)


def test_address_reload_right_after_the_db_is_back_works_after_failed_reloads():
    # Reloads that failed during an outage must not hold up the operator's first reload once
    # the DB is back (a connection kept from them would still be backing off for seconds).
    pg = _pg()
    try:
        _add(pg, 1, LOOPBACK, 32, info="pstn")
        with _server(pg) as srv:
            check_eq(srv.mi("address_reload").get("entries"), 1, "a reload before the outage")
            pg.down()
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:  # an operator retrying during the outage
                check(_reload_error(srv) is not None, "address_reload worked with the DB down")
                time.sleep(0.3)
            pg.up()
            _add(pg, 2, "10.9.9.9", 32, info="new")
            error = _reload_error(srv)
            check(error is None, f"the first address_reload after the DB is back: {error}")
            check_eq(srv.stat("permissions:address_entries"), 2, "the reload read the table")
    finally:
        pg.stop()


test_address_reload_right_after_the_db_is_back_works_after_failed_reloads.timeout = 120


def test_database_down_at_start_starts_empty_and_loads_when_back():
    pg = _pg()
    try:
        with UdpPeer() as gw, UdpPeer() as uas:
            _add(pg, 1, LOOPBACK, 32, gw.port, "udp", info="pstn")
            pg.down()
            srv = _server(pg, uas_port=uas.port)
            with srv:
                _invite_from(gw, srv)
                r = gw.expect_reply(3.0)
                check(r is not None and r.status == 403,
                      f"the gateway is not trusted while the table is empty: {r!r}")
                check_eq(srv.stat("permissions:address_entries"), 0, "address_entries")
                check(srv.stat("permissions:reload_errors") >= 1, "reload_errors counted")
                check("permissions: cannot reach the DB" in srv.log() and "EMPTY" in srv.log(),
                      f"the degraded start is logged: {srv.log()[-600:]!r}")
                pg.up()
                # Back-off 1, 2, 4, 8 s ...: the next try comes within about twice the outage.
                check(wait_until(lambda: srv.stat("permissions:address_entries") == 1, 40, 0.5),
                      f"the background load after the DB is up: {srv.log()[-600:]!r}")
                check("is back: address table address loaded" in srv.log(),
                      "the successful retry is logged")
                check_eq(srv.stat("permissions:reloads"), 1, "one successful load")
                msg = _gateway_passes(srv, gw, uas)
                check_eq(msg.get("x-gateway"), "pstn", "the loaded table is in use")
                # After it, only address_reload reads the table again.
                _add(pg, 2, "192.0.2.1")
                check_eq(srv.stat("permissions:reloads"), 1, "no load after the retry succeeded")
                check_eq(srv.mi("address_reload").get("entries"), 2, "address_reload")
    finally:
        pg.stop()


test_database_down_at_start_starts_empty_and_loads_when_back.timeout = 180


def _check_routes(call):
    routes = "route {\n  " + call + ";\n}\n"
    modules = ('sl = {}; permissions = { db_url = "postgres://sipline@127.0.0.1:9/sipline"; };')
    cfg, _ = write_config(routes=routes, subst={"MODULES": modules}, name="permcheck")
    return check_config(cfg)


def test_bad_arguments_stop_the_start_with_the_position():
    for call, why in (('check_source_address(-1)', "the group must be 0"),
                      ('check_source_address("one")', "integer"),
                      ('check_source_address(1, "x")', "writable variable"),
                      ('check_source_address(1, $si)', "$si is read-only"),
                      ('check_source_address(1, "$si")', "$si is read-only"),
                      ('check_address(1, "10.0.0.300", 0, "any")', "not an IPv4 or IPv6"),
                      ('check_address(1, "10.0.0.1", 70000, "any")', "0..65535"),
                      ('check_address(1, "10.0.0.1", 0, "sctp")', "proto must be"),
                      ('get_source_group("grp")', "writable variable")):
        r = _check_routes(call)
        check_eq(r.returncode, 1, f"exit code of -c with {call} ({r.stderr!r})")
        check(why in r.stderr and "permcheck.routes:2:" in r.stderr,
              f"{call}: stderr {r.stderr!r}")
        check("$$" not in r.stderr, f"{call}: a doubled '$' in {r.stderr!r}")
    for good in ('check_source_address(0)', 'check_source_address("$var(g)", "$avp(i)", "$ru")',
                 'check_address("0", "192.168.0.35", "0", "ANY", "", "")',
                 'get_source_group($var(g))'):
        r = _check_routes(good)
        check_eq(r.returncode, 0, f"{good} is accepted ({r.stderr!r})")


def test_start_is_refused_without_the_address_table():
    import pgserver  # noqa: E402
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        srv = _server(pg)
        try:
            srv.start()
            srv.stop(check_exit=False)
            check(False, "the server started without an address table")
        except Exception as e:  # noqa: BLE001  (ServerError or a failed check)
            if "started without" in str(e):
                raise
        # "address" alone would match any log line about a listen address.
        check("table address" in srv.log(), f"the log names the table: {srv.log()[-800:]}")
    finally:
        pg.stop()


ROUTING_ROUTES = """\
route {
  if ($hdr(X-Op) == "default") {
    if (allow_routing()) {
      sl_send_reply(200, "allowed");
    } else {
      sl_send_reply(403, "denied");
    }
    exit;
  }
  if (allow_routing("pstn")) {
    sl_send_reply(200, "allowed");
  } else {
    sl_send_reply(403, "denied");
  }
}
"""


def _route(srv, ruri, frm, op="named"):
    with UdpPeer() as p:
        req = build_request("INVITE", ruri, p.port, omit=("From",),
                            extra=[f"From: <{frm}>;tag=9", f"X-Op: {op}"])
        p.send(req, srv.addr)
        r = p.expect_reply(3.0)
        check(r is not None, f"no reply to INVITE {ruri} from {frm}")
        return r.status


def test_allow_routing_files():
    pg = _pg()
    try:
        srv = Server(routes=ROUTING_ROUTES, modules=_modules(pg), name="perm")
        with open(os.path.join(srv.dir, "pstn.allow"), "w") as f:
            f.write('# operators may call anything\n"^sip:ops[0-9]*@" : ALL\n')
        with open(os.path.join(srv.dir, "pstn.deny"), "w") as f:
            f.write('ALL : "^sip:0900", "^sip:00" EXCEPT "^sip:0049"\n')
        with srv:
            check_eq(_route(srv, "sip:0900123@example.com", "sip:alice@example.com"), 403,
                     "a premium number")
            check_eq(_route(srv, "sip:0044123@example.com", "sip:alice@example.com"), 403,
                     "an international number")
            check_eq(_route(srv, "sip:0049301@example.com", "sip:alice@example.com"), 200,
                     "the EXCEPT of the deny rule")
            check_eq(_route(srv, "sip:0900123@example.com", "sip:ops7@example.com"), 200,
                     "the allow file wins")
            check_eq(_route(srv, "sip:030123@example.com", "sip:alice@example.com"), 200,
                     "in neither file")
            # No permissions.allow / permissions.deny next to the script: everything passes.
            check_eq(_route(srv, "sip:0900123@example.com", "sip:alice@example.com",
                            op="default"), 200, "allow_routing() without files")
            check("neither" in srv.log(), "the missing default files are logged")
    finally:
        pg.stop()


def test_bad_routing_files_stop_the_start():
    d = os.path.dirname(write_config(name="permfiles")[0])
    allow, deny = os.path.join(d, "x.allow"), os.path.join(d, "x.deny")
    with open(allow, "w") as f:
        f.write('ALL : "^sip:1"\n"^sip:a" "^sip:b"\n')
    r = _check_routes(f'allow_routing("{allow}", "{deny}")')
    check_eq(r.returncode, 1, f"exit code with a bad allow file ({r.stderr!r})")
    check(f"{allow}:2: expected ':'" in r.stderr, f"stderr {r.stderr!r}")
    r = _check_routes(f'allow_routing("{d}/nothing")')
    check_eq(r.returncode, 1, f"exit code with missing named files ({r.stderr!r})")
    check("neither" in r.stderr, f"stderr {r.stderr!r}")
    r = _check_routes('allow_routing("$var(x)")')
    check_eq(r.returncode, 1, "a variable as file name")
    with open(allow, "w") as f:
        f.write('ALL : "^sip:1"\n')
    r = _check_routes(f'allow_routing("{allow}", "{deny}")')
    check_eq(r.returncode, 0, f"a good allow file and a missing deny file ({r.stderr!r})")


REGISTER_URI_ROUTES = """\
route {
  if (is_method("REGISTER")) {
    if (allow_register("reg")) {
      sl_send_reply(200, "allowed");
    } else {
      sl_send_reply(403, "denied $rc");
    }
    exit;
  }
  if ($hdr(X-Op) == "register-check") {
    allow_register("reg");
    sl_send_reply(500, "rc $rc");
    exit;
  }
  if (allow_uri("uri", "$hdr(X-Target)")) {
    sl_send_reply(200, "allowed");
  } else {
    sl_send_reply(403, "denied $rc");
  }
}
"""


def _ask_raw(srv, method, to, frm, extra=(), omit=()):
    with UdpPeer() as p:
        req = build_request(method, f"sip:{LOOPBACK}:{srv.port}", p.port,
                            omit=("From", "To") + tuple(omit),
                            extra=[f"From: <{frm}>;tag=9", f"To: <{to}>"] + list(extra))
        p.send(req, srv.addr)
        r = p.expect_reply(3.0)
        check(r is not None, f"no reply to {method} to {to} from {frm} {extra}")
        return r.status, r.reason


def test_allow_register_and_allow_uri_files():
    # No DB: the address table is not used here (the module starts with it empty).
    modules = ('sl = {}; textops = {}; db_postgres = {}; permissions = { '
               'db_url = "postgres://sipline@127.0.0.1:9/sipline"; db_connect_timeout = 500; };')
    srv = Server(routes=REGISTER_URI_ROUTES, modules=modules, name="perm")
    with open(os.path.join(srv.dir, "reg.allow"), "w") as f:
        f.write('# a subscriber registers Contacts with its own user part only\n'
                '"^sip:alice@" : "^sip:alice@"\n'
                '# carol from one host only (the plain Contact has no port)\n'
                '"^sip:carol@" : "^sip:carol@127\\.0\\.0\\.1$"\n')
    with open(os.path.join(srv.dir, "reg.deny"), "w") as f:
        f.write("ALL : ALL\n")
    with open(os.path.join(srv.dir, "uri.allow"), "w") as f:
        f.write('"^sip:ops@" : ALL\n')
    with open(os.path.join(srv.dir, "uri.deny"), "w") as f:
        f.write('ALL : "^sip:0900"\n')
    alice, bob = "sip:alice@example.com", "sip:bob@example.com"
    with srv:
        reg = lambda to, contacts: _ask_raw(  # noqa: E731
            srv, "REGISTER", to, to, omit=("Contact",), extra=contacts)
        check_eq(reg(alice, ["Contact: <sip:alice@127.0.0.1:5999>"]), (200, "allowed"),
                 "alice's own Contact")
        check_eq(reg(alice, ["Contact: <sip:alice@127.0.0.1:5999>, <sip:mallory@127.0.0.1>"]),
                 (403, "denied -1"), "one Contact of the REGISTER is denied")
        check_eq(reg(alice, ["Contact: <sip:alice@127.0.0.1:5999>",
                             "Contact: <sip:mallory@127.0.0.1>"]),
                 (403, "denied -1"), "the second Contact header is checked too")
        check_eq(reg(bob, ["Contact: <sip:bob@127.0.0.1:5998>"]), (403, "denied -1"),
                 "bob is in the deny file only")
        # Contacts are matched as sip:user@host, without port, parameters or sips:.
        carol = "sip:carol@example.com"
        check_eq(reg(carol, ["Contact: <sip:carol@127.0.0.1:5997;transport=udp>;expires=60"]),
                 (200, "allowed"), "port and parameters are not matched")
        check_eq(reg(carol, ["Contact: <sips:carol@127.0.0.1:5061>"]), (200, "allowed"),
                 "a sips: Contact is matched as sip:")
        check_eq(reg(carol, ["Contact: <sip:carol@127.0.0.2:5997>"]), (403, "denied -1"),
                 "another host")
        check_eq(reg(carol, ["Contact: <sip:carol@127.0.0.1;maddr=127.0.0.2>"]),
                 (403, "denied -1"), "the maddr is where requests go: it is matched as the host")
        check_eq(reg(bob, []), (200, "allowed"), "a query registers nothing")
        check_eq(reg(bob, ["Contact: *", "Expires: 0"]), (200, "allowed"),
                 "removing every binding registers nothing")
        check_eq(_ask_raw(srv, "OPTIONS", bob, bob, extra=["X-Op: register-check"]),
                 (500, "rc -2"), "allow_register() on a request that is no REGISTER")
        uri = lambda frm, target: _ask_raw(  # noqa: E731
            srv, "OPTIONS", bob, frm, extra=[f"X-Target: {target}"])
        check_eq(uri(alice, "sip:0900123@example.com"), (403, "denied -1"), "a premium number")
        check_eq(uri(alice, "sip:030123@example.com"), (200, "allowed"), "in neither file")
        check_eq(uri("sip:ops@example.com", "sip:0900123@example.com"), (200, "allowed"),
                 "the allow file wins")
        check_eq(uri(alice, ""), (403, "denied -1"), "an empty URI is refused")


def test_allow_register_and_allow_uri_need_their_files():
    d = os.path.dirname(write_config(name="permfiles2")[0])
    for call in (f'allow_register("{d}/nothing")', f'allow_uri("{d}/nothing", "$ru")'):
        r = _check_routes(call)
        check_eq(r.returncode, 1, f"{call}: exit code with missing files ({r.stderr!r})")
        check("neither" in r.stderr, f"{call}: stderr {r.stderr!r}")
    r = _check_routes('allow_register()')
    check_eq(r.returncode, 1, f"allow_register() without a basename ({r.stderr!r})")
    r = _check_routes('allow_uri("$var(x)", "$ru")')
    check_eq(r.returncode, 1, "a variable as the basename of allow_uri()")
