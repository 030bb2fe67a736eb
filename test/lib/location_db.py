"""PostgreSQL for the location-service tests (issue 6): pgserver.PgServer (a throw-away
cluster through scripts/pg-scratch) with the schema created as an operator creates it,
`siplinectl db init`, and the queries these tests make of the location table.

  with LocationDb() as pg:             start (and on exit stop and remove) the cluster
      pg.init_schema()                 `siplinectl --db-url URL db init` (fails the test on error)
      pg.rows("SELECT a, b ...")       rows as lists of strings (COPY ... TO STDOUT: tabs)
      pg.scalar("SELECT count(*) ...") the one value, as int when it reads as one
      pg.url, pg.psql(), pg.down()/up(), pg.freeze()/thaw()   as PgServer
  location_rows(pg, table)             {(username, contact): expires} of a location table
  row_count(pg, table, where)          rows of the table (with an optional WHERE clause)
  wait_rows(pg, n, timeout, ...)       polls until the table has n rows (bounded)
"""

import os
import subprocess
import time

from harness import BUILD, ROOT, TestFailure, check, wait_until
from pgserver import PgServer

# siplinectl only provisions the database here; the ASan build (SIPLINE_BUILD=build-asan) has
# no siplinectl of its own, so the tests then use the regular build's.
SIPLINECTL = os.path.join(BUILD, "siplinectl")
if not os.access(SIPLINECTL, os.X_OK):
    SIPLINECTL = os.path.join(ROOT, "build", "siplinectl")


class LocationDb(PgServer):
    def init_schema(self):
        check(os.access(SIPLINECTL, os.X_OK), f"{SIPLINECTL} not built")
        r = subprocess.run(["timeout", "-k", "5", "60", SIPLINECTL, "--db-url", self.url, "db",
                            "init"], capture_output=True, text=True, timeout=75,
                           stdin=subprocess.DEVNULL)
        check(r.returncode == 0, f"siplinectl db init exited {r.returncode}: "
                                 f"{r.stdout.strip()} {r.stderr.strip()}")
        return self

    def rows(self, sql, timeout=30):
        out = self.psql(f"COPY ({sql}) TO STDOUT", timeout=timeout)
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def scalar(self, sql, timeout=30):
        rows = self.rows(sql, timeout)
        check(len(rows) == 1 and len(rows[0]) == 1, f"{sql!r} returned {rows!r}")
        v = rows[0][0]
        try:
            return int(v)
        except ValueError:
            return v


def location_rows(pg, table="location"):
    """{(username, contact): expires} of every row of `table`."""
    return {(r[0], r[1]): int(r[2])
            for r in pg.rows(f"SELECT username, contact, expires FROM {table}")}


def row_count(pg, table="location", where=""):
    return pg.scalar(f"SELECT count(*) FROM {table} {where}")


def wait_rows(pg, n, timeout, table="location", where=""):
    """Polls (every 0.25 s, at most `timeout` s) until `table` has exactly n rows; fails the
    test with the last count otherwise.  Returns the seconds it took."""
    t0 = time.monotonic()
    last = [None]

    def done():
        last[0] = row_count(pg, table, where)
        return last[0] == n
    if not wait_until(done, timeout, 0.25):
        raise TestFailure(f"{table} {where}: {last[0]} rows after {timeout}s, expected {n}")
    return time.monotonic() - t0
