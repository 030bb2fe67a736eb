"""db_postgres and the PostgreSQL test fixture: the fixture (test/lib/pgserver.py over
scripts/pg-scratch) really starts, hangs, stops and restarts a server, and the module loads
into the server and exposes its statistics.  Consumers (usrloc) test outages end to end."""

import os
import time

import harness
import pgserver


def test_pgserver_fixture_controls_a_real_server():
    with pgserver.PgServer() as pg:
        harness.check(pg.url == f"postgres://sipline:sipline@127.0.0.1:{pg.port}/sipline",
                      f"unexpected URL {pg.url}")
        harness.check(os.path.isdir(pg.dir), "no cluster directory")
        pg.psql("CREATE TABLE t (k int PRIMARY KEY, v text)")
        pg.psql("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
        harness.check_eq(pg.psql("SELECT v FROM t ORDER BY k"), "one\ntwo", "rows")
        harness.check_eq(pg.psql("SELECT current_user"), "sipline", "user")
        try:
            pg.psql("INSERT INTO t VALUES (1, 'again')")
            raise harness.TestFailure("a duplicate key was accepted")
        except harness.TestFailure as e:
            harness.check("duplicate key" in str(e), f"unexpected error: {e}")

        # Frozen: nothing answers, nothing is refused.
        pg.freeze()
        t0 = time.monotonic()
        try:
            pg.psql("SELECT 1", timeout=1)
            raise harness.TestFailure("a frozen server answered")
        except harness.TestFailure as e:
            harness.check("took more than" in str(e), f"unexpected error: {e}")
        harness.check(time.monotonic() - t0 < 3, "the psql timeout did not hold")
        pg.thaw()
        harness.check_eq(pg.psql("SELECT count(*) FROM t"), "2", "rows after thaw")

        # Down: refused; up: same port, same data.
        pg.down()
        out = pg.psql("SELECT 1", check=False)
        harness.check_eq(out, "", "output of a stopped server")
        pg.up()
        harness.check_eq(pg.psql("SELECT count(*) FROM t"), "2", "rows after restart")
        d = pg.dir
    harness.check(not os.path.exists(d), f"{d} left behind")
    harness.check(os.path.exists(os.path.join(harness.test_tmpdir(), "postgres.log")),
                  "server log not kept")


def test_db_postgres_module_loads_and_counts():
    with harness.Server(modules="sl = {}; maxfwd = {}; db_postgres = {};") as srv:
        got = srv.stats(["db_postgres:"])
        for name in ("db_postgres:queries", "db_postgres:errors", "db_postgres:reconnects"):
            harness.check_eq(got.get(name), 0, name)
