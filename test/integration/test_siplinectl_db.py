"""siplinectl db init / db check against a real PostgreSQL (a scratch cluster per test, through
test/lib/pgserver.py): the schema is created once and only in an empty database, checked, and
every kind of damage is reported with exit 4; an unreachable server is exit 3 without a hang,
bad arguments exit 2, and the DB URL comes from the settings file or SIPLINE_DB_URL."""

import json
import os
import shutil
import socket
import subprocess
import time

import harness
import pgserver
from harness import check, check_eq

SIPLINECTL = os.path.join(harness.BUILD, "siplinectl")
TABLES = ("version", "acc", "address", "dbaliases", "dialog", "dispatcher", "domain", "grp",
          "location", "missed_calls", "sip_trace", "subscriber", "usr_preferences")
NAME_WIDTH = max(len(t) for t in TABLES) + 2  # db check pads the table column to this


def row(table, text):
    """One line of `db check` output."""
    return table.ljust(NAME_WIDTH) + text


def ctl(*args, env=None, timeout=30, binary=SIPLINECTL):
    """Runs siplinectl; returns CompletedProcess (text). Bounded by coreutils timeout too."""
    check(os.access(binary, os.X_OK), f"{binary} not built")
    full_env = dict(os.environ)
    full_env.pop("SIPLINE_DB_URL", None)
    full_env.update(env or {})
    return subprocess.run(["timeout", "-k", "3", str(timeout), binary, *args],
                          capture_output=True, text=True, timeout=timeout + 10,
                          stdin=subprocess.DEVNULL, env=full_env)


def expect(proc, code, what):
    check(proc.returncode == code,
          f"{what}: exit {proc.returncode}, expected {code}\nstdout:\n{proc.stdout}\n"
          f"stderr:\n{proc.stderr}")
    return proc


def existing_tables(pg):
    out = pg.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                  "WHERE schemaname = 'public'")
    return set(t for t in out.split(",") if t)


def closed_port():
    """A loopback TCP port nothing listens on (bound and released at once)."""
    s = socket.socket()
    s.bind((harness.LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_init_creates_the_schema_once_and_check_accepts_it():
    with pgserver.PgServer() as pg:
        empty = expect(ctl("--db-url", pg.url, "db", "check"), 4, "check of an empty database")
        check("'siplinectl db init' creates them" in empty.stdout, empty.stdout)

        done = expect(ctl("--db-url", pg.url, "db", "init"), 0, "db init")
        for t in TABLES:
            check(f"created table {t} (table_version 1)" in done.stdout, done.stdout)
        check_eq(existing_tables(pg), set(TABLES), "tables after db init")
        check_eq(pg.psql("SELECT table_name || '=' || table_version FROM version "
                         "ORDER BY table_name"),
                 "\n".join(f"{t}=1" for t in sorted(TABLES)),
                 "version rows")
        check(":sipline@" not in done.stdout, f"the password was printed:\n{done.stdout}")

        again = expect(ctl("--db-url", pg.url, "db", "init"), 5, "second db init")
        check("already has tables " + ", ".join(TABLES) in again.stderr, again.stderr)
        check("nothing was changed" in again.stderr and "db check" in again.stderr, again.stderr)
        check_eq(pg.psql("SELECT count(*) FROM version"), str(len(TABLES)),
                 "version rows after the refusal")

        ok = expect(ctl("--db-url", pg.url, "db", "check"), 0, "db check")
        check(f"schema OK: {len(TABLES)} tables as expected" in ok.stdout, ok.stdout)
        for t in TABLES:
            check(any(line.split()[:2] == [t, "OK"] for line in ok.stdout.splitlines()),
                  f"no OK line for {t}:\n{ok.stdout}")

        j = json.loads(expect(ctl("--json", "--db-url", pg.url, "db", "check"), 0,
                              "db check --json").stdout)
        check(j["ok"] is True and j["problems"] == 0, f"json: {j}")
        check_eq([t["table"] for t in j["tables"]], list(TABLES), "json tables")
        check_eq(j["database"]["url"], pg.url.replace(":sipline@", ":***@"), "json url")

        # The binary needs nothing of the build tree (driver linked in, schema embedded).
        alone = os.path.join(harness.test_tmpdir(), "sbin")
        os.makedirs(alone)
        shutil.copy(SIPLINECTL, alone)
        moved = expect(ctl("--db-url", pg.url, "db", "check",
                           binary=os.path.join(alone, "siplinectl")), 0, "check by a copied binary")
        check("schema OK" in moved.stdout, moved.stdout)


def test_check_reports_every_kind_of_damage():
    with pgserver.PgServer() as pg:
        expect(ctl("--db-url", pg.url, "db", "init"), 0, "db init")
        pg.psql("ALTER TABLE location DROP COLUMN q")
        pg.psql("ALTER TABLE location ALTER COLUMN expires TYPE integer")
        pg.psql("ALTER TABLE location DROP CONSTRAINT location_username_domain_contact_key")
        pg.psql("ALTER TABLE location ADD COLUMN note text")
        pg.psql("UPDATE version SET table_version = 2 WHERE table_name = 'subscriber'")
        r = expect(ctl("--db-url", pg.url, "db", "check"), 4, "check of a damaged schema")
        for line in (row("location", "PROBLEM  column q is missing (real)"),
                     row("location", "PROBLEM  column expires is integer, expected bigint"),
                     row("location", "PROBLEM  no unique key on (username, domain, contact)"),
                     row("location", "note     extra column note (text)"),
                     row("subscriber", "PROBLEM  table_version is 2, this siplinectl expects 1"),
                     row("version", "OK       table_version 1"),
                     f"2 of {len(TABLES)} tables with problems (4 problems)"):
            check(line in r.stdout, f"missing {line!r} in:\n{r.stdout}")

        j = json.loads(expect(ctl("--db-url", pg.url, "db", "check", "--json"), 4,
                              "--json").stdout)
        check(j["ok"] is False and j["problems"] == 4, f"json: {j}")
        sub = [t for t in j["tables"] if t["table"] == "subscriber"][0]
        check_eq(sub["found_version"], 2, "found_version")

        # The version table itself gone: every table lacks its row; init still refuses.
        pg.psql("DROP TABLE version")
        r = expect(ctl("--db-url", pg.url, "db", "check"), 4, "check without table version")
        check(row("version", "PROBLEM  table does not exist") in r.stdout, r.stdout)
        check(row("subscriber", "PROBLEM  no version row (table version does not exist)")
              in r.stdout, r.stdout)
        r = expect(ctl("--db-url", pg.url, "db", "init"), 5, "init over a partial schema")
        check("(missing: version)" in r.stderr, r.stderr)


def test_init_is_all_or_nothing():
    with pgserver.PgServer() as pg:
        # A domain (a type, not a relation) named like a table: CREATE TABLE subscriber fails
        # after version and location were created in the same transaction.
        pg.psql("CREATE DOMAIN subscriber AS integer")
        r = expect(ctl("--db-url", pg.url, "db", "init"), 1, "init that fails half-way")
        check("subscriber.sql:" in r.stderr and "already exists" in r.stderr, r.stderr)
        check_eq(existing_tables(pg), set(), "tables left by a failed init")
        pg.psql("DROP DOMAIN subscriber")
        expect(ctl("--db-url", pg.url, "db", "init"), 0, "init after the cause is gone")


def test_db_url_from_settings_or_environment():
    with pgserver.PgServer() as pg:
        cfg, _ = harness.write_config(subst={
            "MODULES": f'sl = {{}}; usrloc = {{ db_url = "{pg.url}"; }}; '
                       f'auth_db = {{ db_url = "postgres://other@127.0.0.1:{closed_port()}/x"; }};'})
        r = expect(ctl("-f", cfg, "db", "init"), 0, "init with the URL from -f")
        check(f"(from {cfg}:" in r.stdout and "usrloc db_url)" in r.stdout, r.stdout)
        check("auth_db db_url names another database" in r.stderr, r.stderr)
        expect(ctl("db", "check", "-f", cfg), 0, "check with the URL from -f")

        r = expect(ctl("db", "check", "-f", "/nonexistent/sipline.cfg",
                       env={"SIPLINE_DB_URL": pg.url}), 0, "SIPLINE_DB_URL")
        check("(from SIPLINE_DB_URL)" in r.stdout, r.stdout)
        # --db-url beats the environment.
        bad = f"postgres://sipline:sipline@127.0.0.1:{closed_port()}/sipline"
        expect(ctl("--db-url", bad, "db", "check", env={"SIPLINE_DB_URL": pg.url}), 3,
               "--db-url over SIPLINE_DB_URL")

        nourl, _ = harness.write_config(subst={"MODULES": "sl = {};"})
        r = expect(ctl("-f", nourl, "db", "check"), 1, "settings without db_url")
        check("no module group sets db_url (give --db-url URL" in r.stderr, r.stderr)
        r = expect(ctl("-f", "/nonexistent/sipline.cfg", "db", "check"), 1, "missing settings")
        check("/nonexistent/sipline.cfg: cannot be read" in r.stderr, r.stderr)


def test_unreachable_database_is_exit_3_without_hanging():
    url = f"postgres://sipline:sipline@127.0.0.1:{closed_port()}/sipline"
    for cmd in ("init", "check"):
        t0 = time.monotonic()
        r = expect(ctl("--db-url", url, "db", cmd), 3, f"db {cmd} with nothing listening")
        check(time.monotonic() - t0 < 3, f"db {cmd} took {time.monotonic() - t0:.1f}s")
        check("cannot connect to postgres://sipline:***@127.0.0.1:" in r.stderr, r.stderr)
        check("sipline:sipline@" not in r.stderr, "the password was printed")
    j = json.loads(expect(ctl("--json", "--db-url", url, "db", "check"), 3, "--json").stdout)
    check(j["ok"] is False and j["exit"] == 3, f"json: {j}")

    with pgserver.PgServer() as pg:
        r = expect(ctl("--db-url", pg.url.rsplit("/", 1)[0] + "/nodb", "db", "check"), 3,
                   "a database that does not exist")
        check('database "nodb" does not exist' in r.stderr, r.stderr)
        r = expect(ctl("--db-url", pg.url.replace(":sipline@", ":wrong@"), "db", "init"), 3,
                   "a wrong password")
        check("password authentication failed" in r.stderr, r.stderr)
        # A hung server: the connect timeout (5 s) ends the wait.
        pg.freeze()
        t0 = time.monotonic()
        r = expect(ctl("--db-url", pg.url, "db", "check", timeout=20), 3, "a frozen server")
        took = time.monotonic() - t0
        pg.thaw()
        check(took < 9, f"db check waited {took:.1f}s for a frozen server")


test_unreachable_database_is_exit_3_without_hanging.timeout = 180


def test_bad_arguments_are_exit_2_with_usage():
    cases = [
        ((), "no command given"),
        (("db",), "db needs a command: init or check"),
        (("db", "int"), "unknown db command 'int' (did you mean 'init'?)"),
        (("dv", "check"), "unknown command 'dv' (did you mean 'db'?)"),
        (("db", "check", "--jsn"), "unknown option --jsn (did you mean '--json'?)"),
        (("db", "check", "--db-url"), "option --db-url needs a URL"),
        (("db", "init", "extra"), "db init: unexpected argument 'extra'"),
    ]
    for args, message in cases:
        r = expect(ctl(*args), 2, f"siplinectl {' '.join(args)}")
        check(f"siplinectl: {message}\n" in r.stderr, f"{args}: {r.stderr}")
        check("Usage: siplinectl" in r.stderr, f"{args}: no usage in {r.stderr}")
        check_eq(r.stdout, "", f"stdout of {args}")
    for args in (("--help",), ("help",), ("db", "--help"), ("help", "db")):
        r = expect(ctl(*args), 0, f"siplinectl {' '.join(args)}")
        check("db init" in r.stdout and "db check" in r.stdout, r.stdout)
    r = expect(ctl("--version"), 0, "--version")
    check("schema: " + " ".join(f"{t} 1" for t in TABLES) in r.stdout, r.stdout)
