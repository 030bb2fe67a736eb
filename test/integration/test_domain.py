"""The domain module against a throw-away PostgreSQL (scripts/sql/domain.sql): is_from_local(),
is_uri_host_local() and is_domain_local() true and false (case-insensitive), next to the
core's `$rd == myself`, which knows the server's own addresses and not the table;
domain_reload picks up a new domain and domain_dump shows it; with PostgreSQL down a reload
fails, the previous domains keep answering and domain:reload_errors counts it, and once it is
back the first reload works (a removed domain is gone); an IPv6 row matches however a URI
writes the address; a DB that
cannot be reached at start does not stop the server: it starts with no domain and a
background load fills the list once PostgreSQL is up; a table without its version row
refuses the start with the reason."""

import os

from harness import (LOOPBACK, MIError, Server, ServerError, UdpPeer, build_request, check,
                     check_config, check_eq, wait_until, write_config)

WAITS = True

SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "sql")

ROUTES = """\
route {
  if (is_from_local()) { $var(f) = "yes"; } else { $var(f) = "no"; }
  if (is_uri_host_local()) { $var(u) = "yes"; } else { $var(u) = "no"; }
  if (is_domain_local("$hdr(X-Dom)")) { $var(d) = "yes"; } else { $var(d) = "no"; }
  if ($rd == myself) { $var(m) = "yes"; } else { $var(m) = "no"; }
  sl_send_reply(200, "from=$var(f) ruri=$var(u) dom=$var(d) myself=$var(m)");
}
"""


def _pg():
    import pgserver  # noqa: E402  (PostgreSQL only where needed)
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        pg.psql_file(os.path.join(SQL, "domain.sql"))
        pg.psql("INSERT INTO domain (domain) VALUES ('example.com'), ('voip.example.org')")
    except Exception:
        pg.stop()
        raise
    return pg


def _server(url):
    modules = (f'sl = {{}}; db_postgres = {{}}; domain = {{ db_url = "{url}"; '
               'db_query_timeout = 500; db_connect_timeout = 500; };')
    return Server(routes=ROUTES, modules=modules, name="domain")


def _ask(srv, ruri, from_host, dom):
    """The reply's reason: what the script found for this From host, request-URI and X-Dom."""
    with UdpPeer() as p:
        p.send(build_request("OPTIONS", ruri, p.port, omit=("From",),
                             extra=[f"From: <sip:alice@{from_host}>;tag=f1", f"X-Dom: {dom}"]),
               srv.addr)
        reply = p.expect_reply(3.0)
        check(reply is not None and reply.status == 200, f"reply to OPTIONS {ruri}: {reply!r}")
        return reply.reason


def test_checks_true_and_false_and_myself_is_another_thing():
    pg = _pg()
    try:
        # An IPv6 row written without brackets (as an operator would type it).
        pg.psql("INSERT INTO domain (domain) VALUES ('::1')")
        with _server(pg.url) as srv:
            check_eq(_ask(srv, "sip:bob@Example.COM", "VOIP.example.org", "example.com"),
                     "from=yes ruri=yes dom=yes myself=no", "all local")
            check_eq(_ask(srv, "sip:bob@example.net", "example.net", "other.example"),
                     "from=no ruri=no dom=no myself=no", "nothing local")
            check_eq(_ask(srv, f"sip:bob@{LOOPBACK}:{srv.port}", "example.com", "EXAMPLE.COM"),
                     "from=yes ruri=no dom=yes myself=yes",
                     "the server's own address is myself, not a table domain")
            # The same address however the URI writes it; a trailing dot is the same domain.
            check_eq(_ask(srv, "sip:bob@[0:0::1]:5070", "[::1]", "example.com."),
                     "from=yes ruri=yes dom=yes myself=no", "IPv6 host in another form")
            dump = srv.mi("domain_dump")
            check_eq(dump, {"count": 3, "domains": ["[::1]", "example.com", "voip.example.org"]},
                     "domain_dump")
            check_eq(srv.stat("domain:domains"), 3, "domain:domains")
    finally:
        pg.stop()


def test_reload_picks_up_a_new_domain_and_db_down_keeps_the_old_ones():
    pg = _pg()
    try:
        with _server(pg.url) as srv:
            check_eq(_ask(srv, "sip:bob@new.example", "example.net", "x.example"),
                     "from=no ruri=no dom=no myself=no", "before the reload")
            pg.psql("INSERT INTO domain (domain) VALUES ('new.example')")
            check_eq(srv.mi("domain_reload"), {"domains": 3}, "domain_reload")
            check_eq(_ask(srv, "sip:bob@new.example", "example.net", "x.example"),
                     "from=no ruri=yes dom=no myself=no", "after the reload")
            st = srv.stats(["domain:"])
            check_eq((st["domain:domains"], st["domain:reloads"], st["domain:reload_errors"]),
                     (3, 1, 0), f"statistics {st}")

            pg.down()
            try:
                srv.mi("domain_reload")
                check(False, "domain_reload succeeded with the DB down")
            except MIError as e:
                check("previous domains stay" in str(e), f"domain_reload error: {e}")
            check_eq(_ask(srv, "sip:bob@new.example", "example.com", "voip.example.org"),
                     "from=yes ruri=yes dom=yes myself=no", "the old snapshot still answers")
            check_eq(srv.mi("domain_dump")["count"], 3, "domain_dump after the failed reload")
            st = srv.stats(["domain:"])
            check_eq((st["domain:domains"], st["domain:reloads"], st["domain:reload_errors"]),
                     (3, 1, 1), f"statistics {st}")
            check("domain: reload of table domain failed, the previous 3 domains stay"
                  in srv.log(), "the failed reload is logged")

            pg.up()
            pg.psql("DELETE FROM domain WHERE domain = 'new.example'")
            # At once: each reload has a connection of its own, no back-off left from the outage.
            check_eq(srv.mi("domain_reload"), {"domains": 2},
                     "the first domain_reload after the DB is back")
            check_eq(_ask(srv, "sip:bob@new.example", "example.com", "x.example"),
                     "from=yes ruri=no dom=no myself=no", "the removed domain is gone")
    finally:
        pg.stop()


def test_unreachable_db_at_start_starts_empty_and_loads_when_the_db_is_up():
    pg = _pg()
    try:
        pg.down()
        with _server(pg.url) as srv:
            check_eq(_ask(srv, "sip:bob@example.com", "example.com", "voip.example.org"),
                     "from=no ruri=no dom=no myself=no", "no domain while the DB is down")
            check_eq(srv.mi("domain_dump")["count"], 0, "domain_dump while the DB is down")
            st = srv.stats(["domain:"])
            check(st["domain:reload_errors"] >= 1 and st["domain:domains"] == 0,
                  f"statistics while the DB is down {st}")
            check("domain: cannot reach the DB" in srv.log() and "EMPTY" in srv.log(),
                  f"the degraded start is logged: {srv.log()[-600:]!r}")
            pg.up()
            # Back-off 1, 2, 4, 8 s ...: the next try comes within about twice the outage.
            check(wait_until(lambda: srv.mi("domain_dump")["count"] == 2, 40, 0.5),
                  f"the background load after the DB is up: {srv.log()[-600:]!r}")
            check_eq(_ask(srv, "sip:bob@example.com", "example.com", "voip.example.org"),
                     "from=yes ruri=yes dom=yes myself=no", "the loaded list answers")
            check("is back: 2 domains loaded from table domain" in srv.log(),
                  "the successful retry is logged")
            check_eq(srv.stats(["domain:"])["domain:reloads"], 1, "counted in reloads")
            # After it, only domain_reload reads the table again.
            pg.psql("INSERT INTO domain (domain) VALUES ('new.example')")
            check_eq(srv.mi("domain_dump")["count"], 2, "no load after the retry succeeded")
            check_eq(srv.mi("domain_reload"), {"domains": 3}, "domain_reload")
    finally:
        pg.stop()


test_unreachable_db_at_start_starts_empty_and_loads_when_the_db_is_up.timeout = 180


def test_a_table_without_its_version_row_refuses_the_start():
    pg = _pg()
    try:
        pg.psql("DELETE FROM version WHERE table_name = 'domain'")
        srv = _server(pg.url)
        try:
            srv.start()
            srv.stop(check_exit=False)
            check(False, "the server started without the domain table's version row")
        except ServerError:
            pass
        check("domain:" in srv.log() and "version" in srv.log(),
              f"log: {srv.log()[-400:]!r}")
    finally:
        pg.stop()


def test_a_constant_that_is_no_domain_stops_the_start_with_the_position():
    modules = 'sl = {}; db_postgres = {}; domain = { db_url = "postgres://x@127.0.0.1:9/x"; };'
    for arg, ok in (('"example.com"', True), ('"[::1]"', True), ('"$fd"', True),
                    ('""', False), ('"exa mple.com"', False), ('"example.com:5060"', False)):
        routes = "route {\n  if (is_domain_local(" + arg + ")) { exit; }\n}\n"
        cfg, _ = write_config(routes=routes, subst={"MODULES": modules}, name="domaincheck")
        r = check_config(cfg)
        if ok:
            check_eq(r.returncode, 0, f"is_domain_local({arg}) accepted ({r.stderr!r})")
        else:
            check_eq(r.returncode, 1, f"is_domain_local({arg}) refused ({r.stderr!r})")
            check("is not a domain name or address" in r.stderr
                  and "domaincheck.routes:2:" in r.stderr, f"{arg}: stderr {r.stderr!r}")
