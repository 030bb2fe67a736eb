"""group against a throw-away PostgreSQL (scripts/sql/grp.sql), with the seed book's rule: a
call to an international number ("00" prefix) needs the caller in group "int"
(db_is_user_in("$fu", "int")). alice (int) reaches the UAS, bob (local only) gets 403; once
bob is added to "int" his next call passes (no cache); "Credentials" checks the digest user;
use_domain separates domains. With PostgreSQL down the check returns -2 (answered 503 by the
script, counted in group:db_errors, logged) while the server keeps answering, and calls pass
again once the DB is back. Bad arguments stop `sipline -c` with the call's position."""

import os

from harness import (LOOPBACK, ROOT, Server, UdpPeer, build_request, check, check_config,
                     check_eq, recv_request, wait_until, write_config)

WAITS = True

SQL = os.path.join(ROOT, "scripts", "sql")

ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if ($hdr(X-Op) == "ping") {
    sl_send_reply(200, "OK");
    exit;
  }
  if ($hdr(X-Op) == "cred") {
    if (is_user_in("Credentials", "$hdr(X-Grp)")) {
      sl_send_reply(200, "member");
    } else {
      sl_send_reply(404, "rc $rc");
    }
    exit;
  }
  if (is_method("INVITE") && $rU =~ "^00") {
    db_is_user_in("$fu", "int");
    $var(rc) = $rc;
    if ($var(rc) == -2) {
      sl_send_reply(503, "Group Database Unavailable");
      exit;
    }
    if ($var(rc) < 0) {
      sl_send_reply(403, "International Calls Not Allowed");
      exit;
    }
  }
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""


def _pg():
    import pgserver  # noqa: E402  (PostgreSQL only where needed)
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        pg.psql_file(os.path.join(SQL, "grp.sql"))
        pg.psql("INSERT INTO grp (username, domain, grp) VALUES "
                "('alice', '', 'local'), ('alice', '', 'ld'), ('alice', '', 'int'), "
                "('bob', '', 'local'), ('carol', '', 'ld')")
    except Exception:
        pg.stop()
        raise
    return pg


def _server(pg, uas_port=None, **params):
    p = {"db_url": f'"{pg.url}"', "db_query_timeout": 500, "db_connect_timeout": 500}
    p.update(params)
    text = " ".join(f"{k} = {v};" for k, v in p.items())
    modules = f"sl = {{}}; maxfwd = {{}}; db_postgres = {{}}; group = {{ {text} }};"
    return Server(routes=ROUTES, modules=modules, uas_port=uas_port, name="grp")


def _call(srv, caller, number, domain=LOOPBACK):
    """An INVITE to `number` from caller@domain; the final reply, or None if none came (the
    request went on to the UAS)."""
    with UdpPeer() as p:
        req = build_request("INVITE", f"sip:{number}@{LOOPBACK}:{srv.port}", p.port,
                            omit=("From",), extra=[f"From: <sip:{caller}@{domain}>;tag=1a2b"])
        p.send(req, srv.addr)
        return p.expect_reply(1.5)


def _reaches_uas(srv, uas, caller, number, domain=LOOPBACK):
    with UdpPeer() as p:
        req = build_request("INVITE", f"sip:{number}@{LOOPBACK}:{srv.port}", p.port,
                            omit=("From",), extra=[f"From: <sip:{caller}@{domain}>;tag=1a2b"])
        p.send(req, srv.addr)
        msg, _ = recv_request(uas, "INVITE", 3.0)
        check(f"sip:{caller}@" in (msg.get("from") or ""), f"the INVITE of {caller}: {msg!r}")


def _ask(srv, extra):
    with UdpPeer() as p:
        p.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", p.port, extra=list(extra)),
               srv.addr)
        reply = p.expect_reply(3.0)
        check(reply is not None, f"no reply to OPTIONS {extra}")
        return reply


def test_international_prefix_needs_group_int():
    pg = _pg()
    try:
        with UdpPeer() as uas, _server(pg, uas_port=uas.port) as srv:
            _reaches_uas(srv, uas, "alice", "004930123456")
            r = _call(srv, "bob", "004930123456")
            check(r is not None and r.status == 403, f"bob (no int) got {r!r}")
            _reaches_uas(srv, uas, "bob", "0301234")  # a national number needs no group
            pg.psql("INSERT INTO grp (username, domain, grp) VALUES ('bob', '', 'int')")
            _reaches_uas(srv, uas, "bob", "004930123456")  # no cache: at once
            st = srv.stats(["group:"])
            check_eq((st["group:queries"], st["group:members"], st["group:db_errors"]),
                     (3, 2, 0), f"statistics {st}")
    finally:
        pg.stop()


def test_credentials_and_use_domain():
    pg = _pg()
    try:
        pg.psql("INSERT INTO grp (username, domain, grp) VALUES ('dave', 'other.example', 'int')")
        with _server(pg) as srv:
            auth = ('Authorization: Digest username="carol", realm="127.0.0.1", nonce="n", '
                    'uri="sip:127.0.0.1", response="00000000000000000000000000000000"')
            r = _ask(srv, ["X-Op: cred", "X-Grp: ld", auth])
            check_eq((r.status, r.reason), (200, "member"), "carol (credentials) in ld")
            r = _ask(srv, ["X-Op: cred", "X-Grp: int", auth])
            check_eq((r.status, r.reason), (404, "rc -1"), "carol (credentials) not in int")
            r = _ask(srv, ["X-Op: cred", "X-Grp: ld"])
            check_eq((r.status, r.reason), (404, "rc -1"), "no credentials")
        with UdpPeer() as uas, _server(pg, uas_port=uas.port, use_domain=1) as srv:
            _reaches_uas(srv, uas, "dave", "0044123", domain="Other.Example")
            r = _call(srv, "dave", "0044123", domain="third.example")
            check(r is not None and r.status == 403, f"dave of another domain got {r!r}")
    finally:
        pg.stop()


def test_database_down_returns_minus_two_and_the_server_keeps_answering():
    pg = _pg()
    try:
        with UdpPeer() as uas, _server(pg, uas_port=uas.port) as srv:
            _reaches_uas(srv, uas, "alice", "0033123")
            pg.down()
            r = _call(srv, "alice", "0033123")
            check(r is not None, "no answer while the DB is down")
            check_eq((r.status, r.reason), (503, "Group Database Unavailable"),
                     "a call while the DB is down")
            check_eq(_ask(srv, ["X-Op: ping"]).status, 200, "OPTIONS while the DB is down")
            _reaches_uas(srv, uas, "bob", "0301234")  # no group check: still relayed
            check(srv.stat("group:db_errors") >= 1, "group:db_errors counted")
            check("group: the DB fails (table grp)" in srv.log(), "the outage is logged")
            pg.up()

            # Each worker has its own connection, which backs off after the outage: retry
            # until alice is relayed again and bob refused again (not answered 503).
            def alice_back():
                with UdpPeer() as p:
                    req = build_request("INVITE", f"sip:0033123@{LOOPBACK}:{srv.port}", p.port,
                                        omit=("From",),
                                        extra=[f"From: <sip:alice@{LOOPBACK}>;tag=1a2b"])
                    p.send(req, srv.addr)
                    msg, _ = uas.recv_msg(1.0)
                    return msg is not None and msg.method == "INVITE"

            def bob_refused():
                r = _call(srv, "bob", "0033123")
                return r is not None and r.status == 403
            check(wait_until(alice_back, 40, 0.2), "alice's call passes after the DB is back")
            check(wait_until(bob_refused, 40, 0.2), "bob is refused 403 after the DB is back")
    finally:
        pg.stop()


test_database_down_returns_minus_two_and_the_server_keeps_answering.timeout = 180


def test_database_down_at_start_does_not_stop_the_start():
    """A restart during a DB outage: the server starts (an error line), answers -2, and the
    group check works once the DB is back."""
    pg = _pg()
    try:
        pg.down()
        with UdpPeer() as uas, _server(pg, uas_port=uas.port) as srv:
            check("group: cannot reach the DB" in srv.log() and "starting anyway" in srv.log(),
                  f"no start-up error line:\n{srv.log()}")
            r = _call(srv, "alice", "0033123")
            check(r is not None and (r.status, r.reason) == (503, "Group Database Unavailable"),
                  f"a call while the DB is down: {r!r}")
            pg.up()

            # Each worker's connection backs off after its failures: retry until every
            # worker answers from the DB (bob refused 403, not 503, several times in a row).
            def bob_refused():
                return all((r := _call(srv, "bob", "0033123")) is not None and r.status == 403
                           for _ in range(4))
            check(wait_until(bob_refused, 60, 0.2), "bob is refused 403 once the DB is up")

            def alice_relayed():
                with UdpPeer() as p:
                    req = build_request("INVITE", f"sip:0033123@{LOOPBACK}:{srv.port}", p.port,
                                        omit=("From",),
                                        extra=[f"From: <sip:alice@{LOOPBACK}>;tag=1a2b"])
                    p.send(req, srv.addr)
                    msg, _ = uas.recv_msg(1.0)
                    return msg is not None and msg.method == "INVITE"
            check(wait_until(alice_relayed, 60, 0.2), "alice is relayed once the DB is up")
    finally:
        pg.stop()


test_database_down_at_start_does_not_stop_the_start.timeout = 180


def _check_routes(call):
    routes = "route {\n  " + call + ";\n}\n"
    modules = 'sl = {}; group = { db_url = "postgres://sipline@127.0.0.1:9/sipline"; };'
    cfg, _ = write_config(routes=routes, subst={"MODULES": modules}, name="grpcheck")
    return check_config(cfg)


def test_bad_arguments_stop_the_start_with_the_position():
    for call, why in (('db_is_user_in("alice", "int")', "expected $fu"),
                      ('db_is_user_in("$fu", "")', "must not be empty"),
                      ('db_is_user_in("$fu")', "argument")):
        r = _check_routes(call)
        check_eq(r.returncode, 1, f"exit code of -c with {call} ({r.stderr!r})")
        check(why in r.stderr and "grpcheck.routes:2:" in r.stderr,
              f"{call}: stderr {r.stderr!r}")
    for good in ('db_is_user_in("$fu", "int")', 'is_user_in("Request-URI", "$var(g)")',
                 'db_is_user_in("Credentials", "ld")', 'db_is_user_in("$avp(u)", "local")',
                 'db_is_user_in("sip:bob@example.com", "local")'):
        r = _check_routes(good)
        check_eq(r.returncode, 0, f"{good} is accepted ({r.stderr!r})")
