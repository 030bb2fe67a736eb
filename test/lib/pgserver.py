"""A throw-away PostgreSQL for integration tests, around scripts/pg-scratch.

    with pgserver.PgServer() as pg:      # started; harness.Skip if PostgreSQL is not installed
        pg.url                           # postgres://sipline:sipline@127.0.0.1:<port>/sipline
        pg.port
        pg.psql("SELECT count(*) FROM location")   # "42": psql -At output, stripped
        pg.psql_file("scripts/sql/...")            # runs a file (ON_ERROR_STOP)
        pg.freeze(); ...; pg.thaw()      # SIGSTOP / SIGCONT of the postmaster and its children
        pg.down(); ...; pg.up()          # an outage: stopped keeping the data, then started
                                         # again on the same port
    # leaving the block (or stop()) stops the server and removes its directory

The cluster lives in a fresh directory right under /tmp (the postgres user must reach it, and
the runner's per-test directory is private).  stop() first copies the server log into the
test's temp dir as postgres.log, so the runner shows it when the test fails.  If the test
process dies without stopping the server, pg-scratch's watchdog (PG_SCRATCH_OWNER) stops it
and removes the directory within a second.  Stdlib only.
"""

import os
import shutil
import subprocess
import tempfile

import harness

PG_SCRATCH = os.path.join(harness.ROOT, "scripts", "pg-scratch")
MISSING_RC = 3  # pg-scratch: PostgreSQL is not installed


class PgServer:
    def __init__(self):
        self.dir = None
        self.url = None
        self.port = None
        self.frozen = False
        self.is_down = False

    # ------------------------------------------------------------ life cycle
    def start(self):
        """Creates and starts the cluster; returns self."""
        if self.dir is not None:
            raise harness.TestFailure("PgServer.start(): already started")
        self.dir = tempfile.mkdtemp(prefix="sipline-pg-", dir="/tmp")
        proc = self._run("start", timeout=120, check=False)
        if proc.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
            if proc.returncode == MISSING_RC:
                raise harness.Skip("PostgreSQL is not installed: " + proc.stderr.strip())
            raise harness.TestFailure("scripts/pg-scratch start failed: " +
                                      (proc.stderr or proc.stdout).strip())
        fields = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        self.url = fields.get("URL")
        self.port = int(fields.get("PORT", "0"))
        if not self.url or not self.port:
            self.stop()
            raise harness.TestFailure(f"pg-scratch printed no PORT/URL: {proc.stdout!r}")
        return self

    def stop(self):
        """Stops the server at once and removes its directory (idempotent)."""
        if self.dir is None:
            return
        self._keep_log()
        self._run("stop", timeout=60, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        self.frozen = self.is_down = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ------------------------------------------------------------ outages
    def freeze(self):
        """SIGSTOP the postmaster and its children: connections hang, nothing is refused."""
        self._run("freeze")
        self.frozen = True

    def thaw(self):
        self._run("thaw")
        self.frozen = False

    def down(self):
        """Stops the server (fast shutdown), keeping its data; clients see refused connects."""
        self._run("down", timeout=60)
        self.is_down = True

    def up(self):
        """Starts a stopped server again on the same port with the same data."""
        self._run("up", timeout=60)
        self.is_down = False

    # ------------------------------------------------------------ SQL
    def psql(self, sql, check=True, timeout=30):
        """Runs SQL as user sipline on database sipline; returns psql -At output, stripped.
        With check, an SQL error raises TestFailure (psql stops at the first error)."""
        return self._psql(["-At", "-c", sql], check, timeout)

    def psql_file(self, path, check=True, timeout=60):
        return self._psql(["-At", "-f", path], check, timeout)

    # ------------------------------------------------------------ internals
    def _psql(self, args, check, timeout):
        proc = self._run("psql", *args, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise harness.TestFailure(f"psql {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def _run(self, cmd, *args, timeout=30, check=True):
        if self.dir is None:
            raise harness.TestFailure(f"PgServer.{cmd}(): not started")
        env = dict(os.environ, PG_SCRATCH_OWNER=str(os.getpid()))
        try:
            proc = subprocess.run([PG_SCRATCH, cmd, self.dir, *args], capture_output=True,
                                  text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise harness.TestFailure(f"scripts/pg-scratch {cmd} took more than {timeout}s")
        if check and proc.returncode != 0:
            raise harness.TestFailure(f"scripts/pg-scratch {cmd} failed: {proc.stderr.strip()}")
        return proc

    def _keep_log(self):
        src = os.path.join(self.dir, "server.log")
        try:
            shutil.copyfile(src, os.path.join(harness.test_tmpdir(), "postgres.log"))
        except OSError:
            pass
