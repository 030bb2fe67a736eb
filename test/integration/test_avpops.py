"""avpops against a throw-away PostgreSQL (scripts/sql/usr_preferences.sql): a script loads,
stores and deletes subscriber attributes as AVPs and answers each OPTIONS with what it saw in
the reason phrase. Integer-typed rows come back as integers, rows that do not fit are skipped
and counted, avp_db_query() sends header values as bound parameters (an injection attempt is
just a value that matches nothing). With PostgreSQL down the commands return -3, counted in
avpops:db_errors and logged, while the server keeps answering; bad arguments stop
`sipline -c` with the call's position."""

import os

from harness import (Server, UdpPeer, build_request, check, check_config, check_eq, wait_until,
                     write_config)

WAITS = True

SQL = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "sql")

ROUTES = """\
route {
  $var(op) = $hdr(X-Op);
  if ($var(op) == "load") {
    avp_db_load("$ru", "$avp(callfwd)");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc) fwd=$avp(callfwd)");
    exit;
  }
  if ($var(op) == "loaduser") {
    avp_db_load("$ru/username", "$avp(callfwd)");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc) $avp(callfwd) $avp(callfwd)[1] $avp(callfwd)[2]");
    exit;
  }
  if ($var(op) == "int") {
    avp_db_load("$ru", "$avp(maxcalls)");
    $var(rc) = $rc;
    $var(sum) = $avp(maxcalls) + 1;
    sl_send_reply(200, "rc=$var(rc) sum=$var(sum)");
    exit;
  }
  if ($var(op) == "all") {
    avp_db_load("$ru", "$avp(*)");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc) fwd=$avp(callfwd) busy=$avp(fwdbusy) max=$avp(maxcalls)");
    exit;
  }
  if ($var(op) == "uuid") {
    $avp(id) = $hdr(X-Id);
    avp_db_load("$avp(id)", "$avp(lang)");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc) lang=$avp(lang)");
    exit;
  }
  if ($var(op) == "store") {
    $avp(vm) = "sip:vm@media.example";
    $avp(vm) = 42;
    avp_db_store("$ru", "$avp(vm)");
    $var(rc) = $rc;
    avp_db_store("$ru", "$avp(nothing)");
    $var(rc2) = $rc;
    sl_send_reply(200, "rc=$var(rc) empty=$var(rc2)");
    exit;
  }
  if ($var(op) == "delete") {
    avp_db_delete("$ru", "$avp(vm)");
    $var(rc) = $rc;
    avp_db_delete("$ru", "$avp(vm)");
    $var(rc2) = $rc;
    sl_send_reply(200, "rc=$var(rc) again=$var(rc2)");
    exit;
  }
  if ($var(op) == "query") {
    avp_db_query("SELECT value, type FROM usr_preferences WHERE username = '$rU' AND attribute = $hdr(X-Attr) ORDER BY id", "$avp(v);$avp(t)");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc) v=$avp(v) t=$avp(t) v1=$avp(v)[1]");
    exit;
  }
  if ($var(op) == "update") {
    avp_db_query("UPDATE usr_preferences SET value = $hdr(X-Val) WHERE username = $rU AND attribute = 'callfwd'");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc)");
    exit;
  }
  if ($var(op) == "avpsrc") {
    $avp(who) = $ru;
    avp_db_load("$avp(who)", "$avp(callfwd)");
    $var(rc) = $rc;
    avp_db_load("$avp(who)/uri", "$avp(callfwd)");
    sl_send_reply(200, "uuid=$var(rc) uri=$rc fwd=$avp(callfwd)");
    exit;
  }
  if ($var(op) == "storelong") {
    $avp(long) = $hdr(X-Val);
    avp_db_store("$ru", "$avp(long)");
    sl_send_reply(200, "rc=$rc");
    exit;
  }
  if ($var(op) == "badsrc") {
    avp_db_load("$avp(unset)", "$avp(callfwd)");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc)");
    exit;
  }
  sl_send_reply(200, "OK");
}
"""

ROWS = [
    # uuid, username, domain, attribute, type, value
    ("", "alice", "example.com", "callfwd", 0, "sip:carol@example.com"),
    ("", "alice", "example.com", "fwdbusy", 0, "sip:vm-busy@example.com"),
    ("", "alice", "example.com", "maxcalls", 1, "3"),
    ("", "alice", "other.example", "callfwd", 0, "sip:dave@other.example"),
    ("", "bob", "example.com", "maxcalls", 1, "not-a-number"),
    ("u-77", "", "", "lang", 0, "de"),
]


def _pg():
    import pgserver  # noqa: E402  (PostgreSQL only where needed)
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        pg.psql_file(os.path.join(SQL, "usr_preferences.sql"))
        values = ", ".join(f"('{u}', '{n}', '{d}', '{a}', {t}, '{v}')"
                           for u, n, d, a, t, v in ROWS)
        pg.psql("INSERT INTO usr_preferences (uuid, username, domain, attribute, type, value) "
                f"VALUES {values}")
    except Exception:
        pg.stop()
        raise
    return pg


def _server(pg, **params):
    p = {"db_url": f'"{pg.url}"', "use_domain": "true", "db_query_timeout": 500,
         "db_connect_timeout": 500}
    p.update(params)
    text = " ".join(f"{k} = {v};" for k, v in p.items())
    return Server(routes=ROUTES, modules=f"sl = {{}}; db_postgres = {{}}; avpops = {{ {text} }};",
                  name="avpops")


def _ask(srv, op, ruri="sip:alice@example.com", extra=()):
    with UdpPeer() as p:
        p.send(build_request("OPTIONS", ruri, p.port, extra=[f"X-Op: {op}", *extra]), srv.addr)
        reply = p.expect_reply(3.0)
        check(reply is not None, f"no reply to op {op} for {ruri}")
        check_eq(reply.status, 200, f"op {op}: status")
        return reply.reason


def test_load_round_trips_strings_integers_and_keys():
    pg = _pg()
    try:
        with _server(pg) as srv:
            check_eq(_ask(srv, "load"), "rc=1 fwd=sip:carol@example.com", "callfwd of alice")
            check_eq(_ask(srv, "load", "sip:alice@OTHER.example"),
                     "rc=1 fwd=sip:dave@other.example", "the domain keys the rows (any case)")
            check_eq(_ask(srv, "load", "sip:nobody@example.com"), "rc=-1 fwd=<null>",
                     "nothing found")
            check_eq(_ask(srv, "loaduser"),
                     "rc=1 sip:dave@other.example sip:carol@example.com <null>",
                     "$ru/username ignores the domain: both of alice's callfwd rows, the "
                     "newest (highest id) on top")
            check_eq(_ask(srv, "avpsrc"), "uuid=-1 uri=1 fwd=sip:carol@example.com",
                     "an AVP source is a uuid (as in OpenSIPS) unless /uri says otherwise")
            check_eq(_ask(srv, "int"), "rc=1 sum=4", "type 1 loads an integer")
            check_eq(_ask(srv, "all"),
                     "rc=1 fwd=sip:carol@example.com busy=sip:vm-busy@example.com max=3",
                     "$avp(*) loads every attribute")
            check_eq(_ask(srv, "uuid", extra=["X-Id: u-77"]), "rc=1 lang=de",
                     "a value that is no URI keys by uuid")
            check_eq(_ask(srv, "badsrc"), "rc=-2", "a source without value")
            check_eq(_ask(srv, "int", "sip:bob@example.com"), "rc=-1 sum=<null>",
                     "a bad integer row is skipped")
            st = srv.stats(["avpops:"])
            check_eq(st["avpops:bad_rows"], 1, f"bad rows counted {st}")
            check_eq(st["avpops:db_errors"], 0, f"no DB error {st}")
    finally:
        pg.stop()


def test_store_delete_and_query_round_trips():
    pg = _pg()
    try:
        with _server(pg) as srv:
            check_eq(_ask(srv, "store", "sip:erin@example.com"), "rc=1 empty=-1", "store")
            rows = pg.psql("SELECT username, domain, attribute, type, value FROM "
                           "usr_preferences WHERE attribute = 'vm' ORDER BY id")
            check_eq(rows.splitlines(),
                     ["erin|example.com|vm|0|sip:vm@media.example", "erin|example.com|vm|1|42"],
                     "stored rows (oldest value first, the integer with type 1)")
            check_eq(_ask(srv, "delete", "sip:erin@example.com"), "rc=1 again=-1", "delete")
            check_eq(pg.psql("SELECT count(*) FROM usr_preferences WHERE attribute = 'vm'"), "0",
                     "rows left after delete")
            check_eq(_ask(srv, "query", extra=["X-Attr: maxcalls"]), "rc=1 v=3 t=1 v1=<null>",
                     "avp_db_query into two AVPs")
            check_eq(_ask(srv, "query", extra=["X-Attr: x' OR '1'='1"]),
                     "rc=-1 v=<null> t=<null> v1=<null>",
                     "a quote in a value is data, not SQL")
            check_eq(_ask(srv, "update", extra=["X-Val: sip:frank@example.com"]), "rc=1",
                     "a statement without result AVPs")
            check_eq(_ask(srv, "load"), "rc=1 fwd=sip:frank@example.com", "the update is seen")
            # A statement the server refuses (value longer than the column) is -3, counted,
            # logged as that statement's error, and no outage.
            check_eq(_ask(srv, "storelong", "sip:erin@example.com", ["X-Val: " + "v" * 200]),
                     "rc=-3", "a value too long for the column")
            check_eq(srv.stat("avpops:db_errors"), 1, "the refused statement is counted")
            check("avpops: a statement failed" in srv.log(), "the refused statement is logged")
            check("the DB fails" not in srv.log(), "a refused statement is no outage")
    finally:
        pg.stop()


def test_database_down_returns_minus_three_and_the_server_keeps_answering():
    pg = _pg()
    try:
        with _server(pg) as srv:
            check_eq(_ask(srv, "load"), "rc=1 fwd=sip:carol@example.com", "before the outage")
            pg.down()
            check_eq(_ask(srv, "load"), "rc=-3 fwd=<null>", "load while the DB is down")
            check_eq(_ask(srv, "query", extra=["X-Attr: callfwd"]),
                     "rc=-3 v=<null> t=<null> v1=<null>", "query while the DB is down")
            check_eq(_ask(srv, "other"), "OK", "the server keeps answering")
            check(srv.stat("avpops:db_errors") >= 1, "avpops:db_errors counted")
            check("avpops: the DB fails" in srv.log(), "the outage is logged")
            pg.up()

            def back():
                return _ask(srv, "load") == "rc=1 fwd=sip:carol@example.com"
            check(wait_until(back, 40, 0.5), "loads work again after the DB is back")
    finally:
        pg.stop()


test_database_down_returns_minus_three_and_the_server_keeps_answering.timeout = 180


def _check_routes(call):
    routes = "route {\n  " + call + ";\n}\n"
    modules = ('sl = {}; avpops = { db_url = "postgres://sipline@127.0.0.1:9/sipline"; };')
    cfg, _ = write_config(routes=routes, subst={"MODULES": modules}, name="avpcheck")
    return check_config(cfg)


def test_bad_arguments_stop_the_start_with_the_position():
    for call, why in (('avp_db_load("$ru/user", "$avp(x)")', "unknown source part"),
                      ('avp_db_load("$nosuch", "$avp(x)")', "nosuch"),
                      ('avp_db_load("$ru", "$var(x)")', "is not an $avp(name)"),
                      ('avp_db_load("$ru", "$avp(x)", "bad table")', "is not a table name"),
                      ('avp_db_store("$ru", "$avp(*)")', "not allowed here"),
                      ('avp_db_query("SELECT $1")', "positional parameters"),
                      ('avp_db_query("SELECT 1", "$var(a)")', "is not an $avp(name)"),
                      ('avp_db_query("SELECT $ 1")', "starts no pseudo-variable"),
                      ("avp_db_query(\"SELECT 1 WHERE u = 'sip:$rU@x'\")",
                       "inside a quoted literal"),
                      ('avp_db_load("$ru/uuidx", "$avp(x)")', "unknown source part")):
        r = _check_routes(call)
        check_eq(r.returncode, 1, f"exit code of -c with {call} ({r.stderr!r})")
        check(why in r.stderr and "avpcheck.routes:2:" in r.stderr,
              f"{call}: stderr {r.stderr!r}")
    r = _check_routes('avp_db_query("SELECT value FROM usr_preferences WHERE username = '
                      '\'$rU\'", "$avp(v)")')
    check_eq(r.returncode, 0, f"a good call is accepted ({r.stderr!r})")
    modules = 'sl = {}; avpops = {};'
    cfg, _ = write_config(routes='route {\n  avp_db_load("$ru", "$avp(x)");\n}\n',
                          subst={"MODULES": modules}, name="avpnourl")
    r = check_config(cfg)
    check(r.returncode == 1 and "db_url is not set" in r.stderr, f"no db_url: {r.stderr!r}")


PUSH_ROUTES = """\
route {
  $avp(callfwd) = $hdr(X-Fwd);
  if (avp_check("$avp(callfwd)", "re/^sip:.*@voicemail\\\\.")) {
    avp_pushto("$ru/username", "$avp(callfwd)");
  }
  if (avp_check("$avp(callfwd)", "fm/sip:*")) {
    avp_pushto("$ru", "$avp(callfwd)");
    $var(rc) = $rc;
    sl_send_reply(200, "rc=$var(rc) ru=$ru");
    exit;
  }
  if (!is_avp_set("$avp(nothing)") && !is_avp_set("$avp(callfwd)/s")
      && !avp_pushto("$du", "$avp(nothing)")) {
    sl_send_reply(200, "none rc=$rc");
    exit;
  }
}
"""


def test_avp_pushto_and_avp_check_without_a_database():
    """The 1.6 book's call forwarding: avp_check() tests the AVP, avp_pushto() writes it into
    the request-URI; neither needs db_url."""
    with Server(routes=PUSH_ROUTES, modules="sl = {}; avpops = {};", name="avppush") as srv:
        def ask(fwd):
            with UdpPeer() as p:
                extra = [f"X-Fwd: {fwd}"] if fwd else []
                p.send(build_request("OPTIONS", "sip:alice@example.com", p.port, extra=extra),
                       srv.addr)
                reply = p.expect_reply(3.0)
                check(reply is not None, f"no reply for {fwd}")
                return reply.reason
        check_eq(ask("sip:carol@example.net"), "rc=1 ru=sip:carol@example.net", "pushed")
        check_eq(ask(None), "none rc=-1", "no value to push")
    r = _check_routes('avp_pushto("$fu", "$avp(x)")')
    check(r.returncode == 1 and "unknown destination" in r.stderr
          and "avpcheck.routes:2:" in r.stderr, f"bad destination: {r.stderr!r}")
    r = _check_routes('avp_check("$avp(x)", "like/1")')
    check(r.returncode == 1 and "unknown operator" in r.stderr, f"bad operator: {r.stderr!r}")
