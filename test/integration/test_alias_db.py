"""alias_db against a throw-away PostgreSQL (scripts/sql/dbaliases.sql): a phone registers as
alice@example.com from a UdpPeer, and an INVITE to her number sip:4401@example.com
(alias_db_lookup) reaches that phone; an unknown number gets the script's 404; the reverse
lookup ("r") turns alice back into her number; alias_db_find() fills a variable; flag "d"
ignores the domain. With PostgreSQL down the lookup returns -2 (answered 503 by the script,
counted in alias_db:db_errors) while the server keeps answering, and calls go through again
once the DB is back. Bad arguments stop `sipline -c` with the call's position."""

import os

from harness import (LOOPBACK, ROOT, Server, UdpPeer, build_request, check, check_config,
                     check_eq, recv_request, reply_to, wait_until, write_config)
from location_flows import location_modules

WAITS = True

SQL = os.path.join(ROOT, "scripts", "sql")

ROUTES = """\
route {
  if (is_method("REGISTER")) {
    save("location");
    exit;
  }
  if ($hdr(X-Op) == "reverse") {
    if (alias_db_lookup("dbaliases", "r")) {
      sl_send_reply(200, "$ru");
    } else {
      sl_send_reply(404, "rc $rc");
    }
    exit;
  }
  if ($hdr(X-Op) == "find") {
    if (alias_db_find("dbaliases", "$hdr(X-In)", "$var(out)")) {
      sl_send_reply(200, "$var(out)");
    } else {
      sl_send_reply(404, "rc $rc");
    }
    exit;
  }
  if ($hdr(X-Op) == "nodomain") {
    if (alias_db_lookup("dbaliases", "d")) {
      sl_send_reply(200, "$ru");
    } else {
      sl_send_reply(404, "rc $rc");
    }
    exit;
  }
  if ($hdr(X-Op) == "ping") {
    sl_send_reply(200, "OK");
    exit;
  }
  alias_db_lookup("dbaliases");
  $var(rc) = $rc;
  if ($var(rc) == -2) {
    sl_send_reply(503, "Alias Database Unavailable");
    exit;
  }
  if ($var(rc) < 0) {
    sl_send_reply(404, "Not Found");
    exit;
  }
  if (!lookup("location")) {
    sl_send_reply(480, "Temporarily Unavailable");
    exit;
  }
  t_relay();
}
"""


def _pg():
    import pgserver  # noqa: E402  (PostgreSQL only where needed)
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        pg.psql_file(os.path.join(SQL, "dbaliases.sql"))
        pg.psql("INSERT INTO dbaliases (alias_username, alias_domain, username, domain) VALUES "
                "('4401', 'example.com', 'alice', 'example.com'), "
                "('4402', 'example.com', 'bob', 'example.com'), "
                "('5501', 'other.example', 'carol', 'other.example')")
    except Exception:
        pg.stop()
        raise
    return pg


def _server(pg, routes=ROUTES, **params):
    p = {"db_url": f'"{pg.url}"', "db_query_timeout": 500, "db_connect_timeout": 500}
    p.update(params)
    text = " ".join(f"{k} = {v};" for k, v in p.items())
    modules = location_modules(db=True) + f" alias_db = {{ {text} }};"
    return Server(routes=routes, modules=modules, name="aliasdb")


def _register(peer, srv):
    req = build_request("REGISTER", "sip:example.com", peer.port,
                        extra=[f"Contact: <sip:alice@{LOOPBACK}:{peer.port}>", "Expires: 600"],
                        omit=("Contact",))
    req = req.replace(b"To: <sip:example.com>", b"To: <sip:alice@example.com>")
    peer.send(req, srv.addr)
    reply = peer.expect_reply(3.0)
    check(reply is not None and reply.status == 200, f"REGISTER reply: {reply!r}")


def _ask(srv, ruri, method="OPTIONS", extra=()):
    with UdpPeer() as p:
        p.send(build_request(method, ruri, p.port, extra=list(extra)), srv.addr)
        reply = p.expect_reply(3.0)
        check(reply is not None, f"no reply to {method} {ruri}")
        return reply


def _call_reaches_phone(srv, phone, number="4401"):
    with UdpPeer() as caller:
        caller.send(build_request("INVITE", f"sip:{number}@example.com", caller.port),
                    srv.addr)
        msg, _ = recv_request(phone, "INVITE", 3.0)
        contact = f"sip:alice@{LOOPBACK}:{phone.port}"
        check(msg.first.startswith(f"INVITE {contact} "), f"request line: {msg.first}")
        phone.send(reply_to(msg, 486, "Busy Here"), srv.addr)
        final = caller.expect_reply(3.0)
        check(final is not None and final.status == 486, f"caller got {final!r}")


def test_call_to_a_number_reaches_the_subscribers_registered_phone():
    pg = _pg()
    try:
        with _server(pg) as srv, UdpPeer() as phone:
            _register(phone, srv)
            _call_reaches_phone(srv, phone)
            check_eq(_ask(srv, "sip:9999@example.com", "INVITE").status, 404, "unknown number")
            # The number of another domain does not match in example.com.
            check_eq(_ask(srv, "sip:5501@example.com", "INVITE").status, 404,
                     "number of another domain")
            st = srv.stats(["alias_db:"])
            check_eq((st["alias_db:lookups"], st["alias_db:not_found"],
                      st["alias_db:db_errors"]), (3, 2, 0), f"statistics {st}")
    finally:
        pg.stop()


def test_reverse_find_and_no_domain_lookups():
    pg = _pg()
    try:
        with _server(pg) as srv:
            r = _ask(srv, "sip:alice@Example.COM", extra=["X-Op: reverse"])
            check_eq((r.status, r.reason), (200, "sip:4401@example.com"), "reverse lookup")
            r = _ask(srv, "sip:nobody@example.com", extra=["X-Op: reverse"])
            check_eq((r.status, r.reason), (404, "rc -1"), "reverse lookup of a non-subscriber")
            r = _ask(srv, "sip:x@example.com",
                     extra=["X-Op: find", "X-In: sip:4402@example.com"])
            check_eq((r.status, r.reason), (200, "sip:bob@example.com"), "alias_db_find")
            r = _ask(srv, "sip:x@example.com",
                     extra=["X-Op: find", "X-In: sip:%34402@example.com"])
            check_eq((r.status, r.reason), (200, "sip:bob@example.com"),
                     "alias_db_find of an escaped user")
            r = _ask(srv, "sip:x@example.com",
                     extra=["X-Op: find", "X-In: not a uri"])
            check_eq((r.status, r.reason), (404, "rc -3"), "alias_db_find of a bad input")
            r = _ask(srv, "sip:5501@example.com", extra=["X-Op: nodomain"])
            check_eq((r.status, r.reason), (200, "sip:carol@other.example"),
                     "flag d ignores the domain")
    finally:
        pg.stop()


def test_database_down_returns_minus_two_and_the_server_keeps_answering():
    pg = _pg()
    try:
        with _server(pg) as srv, UdpPeer() as phone:
            _register(phone, srv)
            _call_reaches_phone(srv, phone)
            pg.down()
            r = _ask(srv, "sip:4401@example.com", "INVITE")
            check_eq((r.status, r.reason), (503, "Alias Database Unavailable"),
                     "call while the DB is down")
            check_eq(_ask(srv, f"sip:{LOOPBACK}:{srv.port}", extra=["X-Op: ping"]).status, 200,
                     "OPTIONS to the server while the DB is down")
            check(srv.stat("alias_db:db_errors") >= 1, "alias_db:db_errors counted")
            check("alias_db: the DB fails (table dbaliases)" in srv.log(),
                  "the outage is logged")
            pg.up()

            def back():
                return _ask(srv, "sip:9999@example.com", "INVITE").status == 404
            check(wait_until(back, 40, 0.5), "lookups work again after the DB is back")
            _call_reaches_phone(srv, phone)
    finally:
        pg.stop()


test_database_down_returns_minus_two_and_the_server_keeps_answering.timeout = 180


def _check_routes(call):
    routes = "route {\n  " + call + ";\n}\n"
    modules = ('sl = {}; alias_db = { db_url = "postgres://sipline@127.0.0.1:9/sipline"; };')
    cfg, _ = write_config(routes=routes, subst={"MODULES": modules}, name="aliascheck")
    return check_config(cfg)


def test_bad_arguments_stop_the_start_with_the_position():
    for call, why in (('alias_db_lookup("dbaliases", "x")', "unknown flag 'x'"),
                      ('alias_db_lookup("$rU")', "the table must be a constant name"),
                      ('alias_db_lookup("db aliases")', "is not a table name"),
                      ('alias_db_find("dbaliases", "$ru", "$si")', "read-only"),
                      ('alias_db_find("dbaliases", "$ru", "$var(x)", "$rU")', "constant string"),
                      ('alias_db_find("dbaliases", "$ru", "x")', "writable variable")):
        r = _check_routes(call)
        check_eq(r.returncode, 1, f"exit code of -c with {call} ({r.stderr!r})")
        check(why in r.stderr and "aliascheck.routes:2:" in r.stderr,
              f"{call}: stderr {r.stderr!r}")
    r = _check_routes('alias_db_find("dbaliases", "$ru", "$var(x)", "rd")')
    check_eq(r.returncode, 0, f"a good call is accepted ({r.stderr!r})")
