"""dispatcher (issue 14): gateways are sipp UASs on loopback (test/scenarios/ds_gw_*.xml: 200
to OPTIONS, 486 or 503 to INVITE) in sets read from a real PostgreSQL (table dispatcher,
created by `siplinectl db init`) or from a list_file.  Calls from a sipp caller spread over
the gateways by round robin and by weight (counted per gateway from each UAS's message log);
a gateway that does not answer the OPTIONS probes is set probing and skipped, then used again
once it answers; a 503 fails over to the next gateway in failure_route with ds_next_dst(); a server started
while the DB is down runs with no sets and loads them once the DB is back;
ds_is_from_list() recognises a gateway's address; ds_list, ds_set_state and ds_reload (a row
added, then used; the DB down keeps the old sets) work over MI.  Probes run every second and
tm uses the short timers of sipp_flows.TM_TIMERS, so every wait is a few seconds and bounded."""

import glob
import os
import time

from harness import (LOOPBACK, MIError, Server, ServerError, SippUas, UdpPeer,
                     build_request, check, check_config, check_eq, free_udp_port, scenario,
                     wait_until, write_config)
from sipp_flows import TM_TIMERS, call

ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("OPTIONS")) {
    if (ds_is_from_list()) {
      sl_send_reply(200, "Gateway Known");
      exit;
    }
    sl_send_reply(403, "Not A Gateway");
    exit;
  }
  if (is_method("ACK")) {
    if (t_check_trans()) {
      t_relay();
    }
    exit;
  }
  t_check_trans();
  if (!ds_select_dst(@SET@, @ALG@)) {
    sl_send_reply(503, "No Gateway");
    exit;
  }
  xlog("L_NOTICE", "call $ci to $du attrs $avp(gw)\\n");
  t_on_failure("gw_failed");
  if (!t_relay()) {
    sl_reply_error();
  }
}

failure_route[gw_failed] {
  if (t_check_status("503|408")) {
    ds_mark_dst("p");
    if (ds_next_dst()) {
      xlog("L_NOTICE", "failover of $ci to $du\\n");
      t_on_failure("gw_failed");
      t_relay();
    }
  }
}
"""


class Gateway(SippUas):
    """A sipp gateway (ds_gw_busy.xml or ds_gw_unavailable.xml) on its own port."""

    def __init__(self, xml="ds_gw_busy.xml", port=None, name="gw"):
        super().__init__("-sf", scenario(xml), "-trace_msg", calls=100000, hard_timeout=170,
                         name=name, port=port)

    @property
    def uri(self):
        return f"sip:{LOOPBACK}:{self.port}"

    def received(self, method):
        """How many `method` requests reached it so far (its -trace_msg log)."""
        n = 0
        for path in glob.glob(os.path.join(self.dir, "*_messages.log")):
            with open(path, errors="replace") as f:
                n += sum(1 for line in f if line.startswith(method + " sip:"))
        return n


def _pg(rows=()):
    """A throw-away PostgreSQL with the schema as an operator makes it (`siplinectl db init`)
    and `rows` in table dispatcher."""
    from location_db import LocationDb  # noqa: E402  (PostgreSQL only where needed)
    pg = LocationDb().start()
    try:
        pg.init_schema()
        for r in rows:
            add_row(pg, *r)
    except Exception:
        pg.stop()
        raise
    return pg


def add_row(pg, setid, uri, weight=1, priority=0, state=0, attrs=""):
    pg.psql("INSERT INTO dispatcher (setid, destination, weight, priority, state, attrs) "
            f"VALUES ({setid}, '{uri}', {weight}, {priority}, {state}, '{attrs}')")


def _modules(params):
    tm = " ".join(f"{k} = {v};" for k, v in TM_TIMERS.items())
    p = {"attrs_avp": '"$avp(gw)"'}
    p.update(params)
    ds = " ".join(f"{k} = {v};" for k, v in p.items())
    return (f"sl = {{}}; tm = {{ {tm} }}; maxfwd = {{}}; db_postgres = {{}}; "
            f"dispatcher = {{ {ds} }};")


def ds_server(alg=4, setid=1, pg=None, **params):
    if pg is not None:
        params.setdefault("db_url", f'"{pg.url}"')
        params.setdefault("db_query_timeout", 500)
        params.setdefault("db_connect_timeout", 500)
    routes = ROUTES.replace("@SET@", str(setid)).replace("@ALG@", str(alg))
    return Server(routes=routes, modules=_modules(params), name="dispatcher")


def calls(srv, n, name="caller"):
    """n calls through the proxy (each answered 486 by a gateway); returns the sipp result."""
    r = call(srv.port, "tm_uac_busy.xml", 9, n, "-r", "20", hard_timeout=40, name=name)
    check(r.successful == n, f"{n} calls expected to end in 486: {r.describe()}\n"
                             f"{r.output_tail(30)}")
    return r


def states(srv):
    """{uri: state} of every destination (MI ds_list)."""
    out = {}
    for s in srv.mi("ds_list")["sets"]:
        for d in s["destinations"]:
            out[d["uri"]] = d["state"]
    return out


def test_round_robin_spreads_calls_evenly_over_the_gateways():
    with Gateway(name="gw1") as g1, Gateway(name="gw2") as g2, Gateway(name="gw3") as g3:
        pg = _pg([(1, g.uri) for g in (g1, g2, g3)])
        try:
            with ds_server(alg=4, pg=pg) as srv:
                calls(srv, 30)
                counts = [g.received("INVITE") for g in (g1, g2, g3)]
                check_eq(counts, [10, 10, 10], "INVITEs per gateway (round robin)")
                check_eq(srv.stat("dispatcher:ds_selects"), 30, "ds_selects")
                check_eq(srv.stat("dispatcher:ds_active"), 3, "ds_active gauge")
        finally:
            pg.stop()


test_round_robin_spreads_calls_evenly_over_the_gateways.timeout = 120


def test_weight_gives_the_heavier_gateway_more_calls():
    with Gateway(name="light") as light, Gateway(name="heavy") as heavy, \
            Gateway(name="zero") as zero:
        pg = _pg([(1, light.uri, 1), (1, heavy.uri, 4), (1, zero.uri, 0)])
        try:
            with ds_server(alg=9, pg=pg) as srv:
                calls(srv, 60)
                n_light, n_heavy = light.received("INVITE"), heavy.received("INVITE")
                check_eq(n_light + n_heavy, 60, "every call reached a weighted gateway")
                check_eq(zero.received("INVITE"), 0, "weight 0 is never chosen")
                # light ~ Bin(60, 0.2): mean 12, sd 3.1; the bounds are ~4 sd away.
                check(2 < n_light < 25, f"weights 1:4 gave {n_light}:{n_heavy}")
        finally:
            pg.stop()


test_weight_gives_the_heavier_gateway_more_calls.timeout = 120


def test_dead_gateway_is_skipped_after_probing_and_used_again_when_it_answers():
    with Gateway(name="alive") as alive:
        dead_port = free_udp_port(exclude=(alive.port,))
        dead_uri = f"sip:{LOOPBACK}:{dead_port}"
        pg = _pg([(1, alive.uri), (1, dead_uri)])
        try:
            with ds_server(alg=4, pg=pg, ds_ping_interval=1, ds_probing_mode=1,
                           ds_probing_threshold=1) as srv:
                check(wait_until(lambda: states(srv).get(dead_uri) == "probing", 20, 0.25),
                      f"the dead gateway was not set probing: {states(srv)}")
                check_eq(states(srv)[alive.uri], "active", "the answering gateway")
                check("-> probing" in srv.log(), "the state change is logged")
                calls(srv, 6)
                check_eq(alive.received("INVITE"), 6, "every call goes to the live gateway")
                check(srv.stat("dispatcher:ds_probes_failed") >= 1, "ds_probes_failed")
                check_eq(srv.stat("dispatcher:ds_probing"), 1, "ds_probing gauge")
                with Gateway(port=dead_port, name="revived") as revived:
                    check(wait_until(lambda: states(srv).get(dead_uri) == "active", 20, 0.25),
                          f"the gateway that answers again is not active: {states(srv)}")
                    calls(srv, 6, name="caller2")
                    check_eq(revived.received("INVITE"), 3, "round robin uses it again")
                check(srv.stat("dispatcher:ds_probes_sent") >= 3, "ds_probes_sent")
        finally:
            pg.stop()


test_dead_gateway_is_skipped_after_probing_and_used_again_when_it_answers.timeout = 150


def test_503_fails_over_to_the_next_gateway():
    with Gateway("ds_gw_unavailable.xml", name="down") as down, Gateway(name="up") as up:
        pg = _pg([(1, down.uri, 1, 0), (1, up.uri, 1, 1)])
        try:
            with ds_server(alg=8, pg=pg, ds_probing_threshold=3) as srv:
                calls(srv, 2)
                check_eq(down.received("INVITE"), 2, "first try at the priority gateway")
                check_eq(up.received("INVITE"), 2, "failover to the next one")
                check_eq(srv.stat("dispatcher:ds_failovers"), 2, "ds_failovers")
                check("failover of" in srv.log(), "failure_route ran ds_next_dst()")
                # Two ds_mark_dst("p") of three: still active; the third sets it probing.
                check_eq(states(srv)[down.uri], "active", "below ds_probing_threshold")
                calls(srv, 1, name="caller2")
                check_eq(states(srv)[down.uri], "probing", "at ds_probing_threshold")
                calls(srv, 2, name="caller3")
                check_eq(down.received("INVITE"), 3, "a probing gateway is skipped")
        finally:
            pg.stop()


test_503_fails_over_to_the_next_gateway.timeout = 120


def test_is_from_list_recognises_a_gateway_address():
    with UdpPeer() as gw, UdpPeer() as stranger:
        pg = _pg([(2, f"sip:{LOOPBACK}:{gw.port}")])
        try:
            with ds_server(alg=0, pg=pg) as srv:
                for peer, code, reason in ((gw, 200, "Gateway Known"),
                                           (stranger, 403, "Not A Gateway")):
                    peer.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", peer.port),
                              srv.addr)
                    r = peer.expect_reply(3.0)
                    check(r is not None, "no reply to OPTIONS")
                    check_eq((r.status, r.reason), (code, reason), f"OPTIONS from {peer.port}")
                check("dispatcher.routes:21:22 names set 1, which has no destination" in srv.log(),
                      "a set the script names but the table lacks is warned about")
        finally:
            pg.stop()


test_is_from_list_recognises_a_gateway_address.timeout = 90


def test_mi_list_set_state_and_reload_with_a_new_row():
    with Gateway(name="first") as first, Gateway(name="added") as added:
        pg = _pg([(1, first.uri, 1, 5, 0, "gw=first")])
        try:
            with ds_server(alg=8, pg=pg) as srv:
                sets = srv.mi("ds_list")["sets"]
                check_eq(len(sets), 1, "one set")
                d = sets[0]["destinations"][0]
                check_eq((d["uri"], d["state"], d["priority"], d["attrs"]),
                         (first.uri, "active", 5, "gw=first"), "ds_list entry")
                calls(srv, 1)
                check("attrs gw=first" in srv.log(), "attrs_avp holds the attrs")
                add_row(pg, 1, added.uri, 1, 1)
                check_eq(srv.mi("ds_reload")["destinations"], 2, "ds_reload count")
                calls(srv, 2, name="caller2")
                check_eq(added.received("INVITE"), 2, "the new row (priority 1) is used")
                srv.mi("ds_set_state", {"state": "i", "set": 1, "destination": added.uri})
                check_eq(states(srv)[added.uri], "inactive", "ds_set_state")
                calls(srv, 1, name="caller3")
                check_eq(first.received("INVITE"), 2, "an inactive gateway is skipped")
                for bad in ({"state": "x", "set": 1, "destination": added.uri},
                            {"state": "a", "set": 9, "destination": added.uri}):
                    try:
                        srv.mi("ds_set_state", bad)
                        raise AssertionError(f"ds_set_state {bad} accepted")
                    except MIError:
                        pass
                # A reload keeps the state of a destination that stays.
                srv.mi("ds_reload")
                check_eq(states(srv)[added.uri], "inactive", "state kept over ds_reload")
                # DB down: MI error, the old sets stay and calls still go out.
                pg.down()
                try:
                    srv.mi("ds_reload")
                    raise AssertionError("ds_reload succeeded with the DB down")
                except MIError as e:
                    check("old sets stay" in str(e), f"ds_reload error: {e}")
                check_eq(len(states(srv)), 2, "the old sets stay")
                calls(srv, 1, name="caller4")
                check_eq(first.received("INVITE"), 3, "calls still dispatched")
                check_eq(srv.stat("dispatcher:ds_reload_errors"), 1, "ds_reload_errors")
                pg.up()
                check(wait_until(lambda: _reload_ok(srv), 30, 0.5), "reload after the DB is back")
        finally:
            pg.stop()


test_mi_list_set_state_and_reload_with_a_new_row.timeout = 180


def test_ds_reload_right_after_the_db_is_back_works_after_failed_reloads():
    # ds_reloads that failed during an outage must not hold up the first one once the DB is
    # back (a connection kept from them would still be backing off for seconds).
    with Gateway(name="one") as one, Gateway(name="two") as two:
        pg = _pg([(1, one.uri)])
        try:
            with ds_server(alg=8, pg=pg) as srv:
                check_eq(srv.mi("ds_reload")["destinations"], 1, "a reload before the outage")
                pg.down()
                deadline = time.monotonic() + 12
                while time.monotonic() < deadline:  # an operator retrying during the outage
                    check(not _reload_ok(srv), "ds_reload worked with the DB down")
                    time.sleep(0.3)
                pg.up()
                add_row(pg, 1, two.uri)
                try:
                    n = srv.mi("ds_reload")["destinations"]
                except MIError as e:
                    raise AssertionError(f"the first ds_reload after the DB is back: {e}")
                check_eq(n, 2, "the reload read the table")
        finally:
            pg.stop()


test_ds_reload_right_after_the_db_is_back_works_after_failed_reloads.timeout = 120


def _reload_ok(srv):
    try:
        srv.mi("ds_reload")
        return True
    except MIError:
        return False


def test_list_file_source_and_its_errors():
    with Gateway(name="f1") as g1, Gateway(name="f2") as g2:
        d = os.path.dirname(write_config(name="dslist")[0])
        path = os.path.join(d, "gateways.list")
        with open(path, "w") as f:
            f.write(f"# PSTN gateways\n3 {g1.uri} 0 0 gw=one\n\n3 {g2.uri} 0 0 - 1\n")
        with ds_server(alg=4, setid=3, list_file=f'"{path}"') as srv:
            calls(srv, 4)
            check_eq([g1.received("INVITE"), g2.received("INVITE")], [2, 2], "per gateway")
            with open(path, "a") as f:
                f.write(f"4 {g1.uri}\n")
            check_eq(srv.mi("ds_reload")["sets"], 2, "the file is read again")
        with open(path, "w") as f:
            f.write(f"3 {g1.uri}\n3 not-a-uri\nx {g2.uri}\n")
        srv = ds_server(alg=4, setid=3, list_file=f'"{path}"')
        try:
            srv.start()
            raise AssertionError("started with a bad list_file")
        except ServerError:
            pass
        log = srv.log()
        check(f"{path}:2:" in log and f"{path}:3:" in log, f"bad lines named: {log[-800:]}")


test_list_file_source_and_its_errors.timeout = 90


def test_auth_user_algorithm_without_credentials_is_round_robin():
    # Algorithm 5 hashes the credentials' username; a request without credentials is spread
    # by round robin (as OpenSIPS does), not all sent to the gateway of its request-URI hash.
    with Gateway(name="a1") as g1, Gateway(name="a2") as g2:
        d = os.path.dirname(write_config(name="dsauth")[0])
        path = os.path.join(d, "gateways.list")
        with open(path, "w") as f:
            f.write(f"6 {g1.uri}\n6 {g2.uri}\n")
        with ds_server(alg=5, setid=6, list_file=f'"{path}"') as srv:
            calls(srv, 4)
            check_eq([g1.received("INVITE"), g2.received("INVITE")], [2, 2],
                     "INVITEs per gateway (no credentials: round robin)")


test_auth_user_algorithm_without_credentials_is_round_robin.timeout = 60


def test_relative_list_file_is_found_next_to_the_settings_whatever_the_working_directory():
    # systemd starts the server in "/": a list_file named relative to sipline.cfg (as every
    # relative path of the settings) must still be found, at start and at ds_reload.
    with Gateway(name="rel") as gw:
        srv = Server(routes=ROUTES.replace("@SET@", "5").replace("@ALG@", "4"),
                     modules=_modules({"list_file": '"gateways.list"'}), name="dsrel", cwd="/")
        with open(os.path.join(srv.dir, "gateways.list"), "w") as f:
            f.write(f"5 {gw.uri}\n")
        with srv:
            check_eq(states(srv), {gw.uri: "active"}, "the set of the relative list_file")
            check_eq(srv.mi("ds_reload")["destinations"], 1, "ds_reload reads it again")
            calls(srv, 1)
            check_eq(gw.received("INVITE"), 1, "the call went to the listed gateway")


test_relative_list_file_is_found_next_to_the_settings_whatever_the_working_directory.timeout = 60


def test_db_down_at_start_starts_empty_and_fills_when_the_db_is_back():
    with Gateway(name="late") as gw:
        pg = _pg([(1, gw.uri)])
        try:
            pg.down()
            with ds_server(alg=4, pg=pg) as srv:
                check("starting with no destination sets until the DB is back" in srv.log(),
                      f"degraded start logged: {srv.log()[-800:]}")
                check_eq(states(srv), {}, "no sets while the DB is down")
                check_eq(srv.stat("dispatcher:ds_reload_errors"), 1, "counted")
                pg.up()
                check(wait_until(lambda: states(srv).get(gw.uri) == "active", 40, 0.5),
                      f"the sets were not loaded once the DB was back: {srv.log()[-800:]}")
                check("dispatcher: the DB is back" in srv.log(), "the retry's notice")
                calls(srv, 2)
                check_eq(gw.received("INVITE"), 2, "calls dispatched after the late load")
        finally:
            pg.stop()


test_db_down_at_start_starts_empty_and_fills_when_the_db_is_back.timeout = 150


def test_start_errors_both_sources_and_bad_arguments():
    def check_routes(call_text, params, why):
        routes = "route {\n  " + call_text + ";\n}\n"
        cfg, _ = write_config(routes=routes, subst={"MODULES": _modules(params)},
                              name="dscheck")
        r = check_config(cfg)
        check(r.returncode != 0 and why in r.stderr,
              f"{call_text} with {params}: rc {r.returncode} stderr {r.stderr!r}")

    lf = {"list_file": '"/nonexistent.list"'}
    check_routes("ds_select_dst(1, 10)", lf, "the algorithm must be 0..9")
    check_routes("ds_select_dst(-1, 4)", lf, "the set must be a number >= 0")
    check_routes("ds_select_dst(1, 7)", lf, "algorithm 7 needs the hash_pvar parameter")
    check_routes('ds_mark_dst("x")', lf, "state must be")
    both = ds_server(list_file='"/nonexistent.list"',
                     db_url='"postgres://sipline@127.0.0.1:9/sipline"')
    try:
        both.start()
        raise AssertionError("started with two sources")
    except ServerError:
        pass
    check("set either db_url or list_file, not both" in both.log(), both.log()[-600:])


test_start_errors_both_sources_and_bad_arguments.timeout = 120
