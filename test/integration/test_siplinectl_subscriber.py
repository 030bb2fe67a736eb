"""siplinectl subscriber and domain commands against a real PostgreSQL (a scratch cluster per
test, test/lib/pgserver.py): domains and subscribers are added, shown, listed, given new
passwords and removed with the documented exit codes and --json objects; the stored HA1s
verify against MD5/SHA-256/SHA-512-256 of user:domain:password computed here; no clear
password is stored unless asked; an unreachable database is exit 3; after passwd and rm the
server's credential cache is flushed over the MI socket, and a server that is not running or
has no auth_db only gets a note."""

import hashlib
import json
import os
import socket
import subprocess

import harness
import pgserver
from fake_mi import FakeMi
from harness import check, check_eq

SIPLINECTL = os.path.join(harness.BUILD, "siplinectl")

EXIT_EXISTS, EXIT_NOT_FOUND, EXIT_UNKNOWN_DOMAIN, EXIT_DOMAIN_IN_USE = 6, 7, 8, 9


def ctl(*args, stdin_text=None, timeout=30):
    """Runs siplinectl (bounded by coreutils timeout too); returns CompletedProcess (text).
    Standard input is stdin_text, or empty."""
    check(os.access(SIPLINECTL, os.X_OK), f"{SIPLINECTL} not built")
    env = dict(os.environ)
    env.pop("SIPLINE_DB_URL", None)
    return subprocess.run(["timeout", "-k", "3", str(timeout), SIPLINECTL, *args],
                          capture_output=True, text=True, timeout=timeout + 10,
                          input=stdin_text or "", env=env)


def expect(proc, code, what):
    check(proc.returncode == code,
          f"{what}: exit {proc.returncode}, expected {code}\nstdout:\n{proc.stdout}\n"
          f"stderr:\n{proc.stderr}")
    return proc


def closed_port():
    """A loopback TCP port nothing listens on (bound and released at once)."""
    s = socket.socket()
    s.bind((harness.LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ha1(algorithm, user, realm, password):
    return hashlib.new(algorithm, f"{user}:{realm}:{password}".encode()).hexdigest()


def row(pg, user, domain):
    """(password, ha1, ha1_sha256, ha1_sha512t256, email_address) of a subscriber."""
    out = pg.psql("SELECT password, ha1, ha1_sha256, ha1_sha512t256, email_address "
                  f"FROM subscriber WHERE username = '{user}' AND domain = '{domain}'")
    check(out != "", f"no row for {user}@{domain}")
    return tuple(out.split("|"))


def check_hashes(pg, user, domain, password):
    _, md5, sha256, sha512t256, _ = row(pg, user, domain)
    check_eq(md5, ha1("md5", user, domain, password), f"ha1 of {user}@{domain}")
    check_eq(sha256, ha1("sha256", user, domain, password), "ha1_sha256")
    check_eq(sha512t256, ha1("sha512_256", user, domain, password), "ha1_sha512t256")


def initialised(pg):
    expect(ctl("--db-url", pg.url, "db", "init"), 0, "db init")



def test_domain_and_subscriber_life_cycle():
    with pgserver.PgServer() as pg:
        initialised(pg)
        url = ("--db-url", pg.url)
        r = expect(ctl(*url, "domain", "add", "Example.COM"), 0, "domain add")
        check_eq(r.stdout, "added domain example.com\n", "domain add output")
        r = expect(ctl(*url, "domain", "add", "example.com"), EXIT_EXISTS, "domain add twice")
        check("domain example.com exists already" in r.stderr, r.stderr)

        # Unknown domain: refused, and nothing stored; --force accepts it.
        r = expect(ctl(*url, "subscriber", "add", "alice@exmaple.com", "pw"),
                   EXIT_UNKNOWN_DOMAIN, "add in an unknown domain")
        check("domain exmaple.com is not in table domain" in r.stderr, r.stderr)
        check_eq(pg.psql("SELECT count(*) FROM subscriber"), "0", "rows after the refusal")
        expect(ctl(*url, "subscriber", "add", "carol@other.org", "pw", "--force"), 0, "--force")

        # Given password: HA1s for every algorithm, realm = domain, no clear password.
        r = expect(ctl(*url, "subscriber", "add", "alice@example.com", "s3cret pass",
                       "--email", "alice@example.com"), 0, "subscriber add")
        check("added subscriber alice@example.com" in r.stdout, r.stdout)
        check("s3cret" not in r.stdout + r.stderr, "the password was printed")
        check_hashes(pg, "alice", "example.com", "s3cret pass")
        check_eq(row(pg, "alice", "example.com")[0], "", "clear password column")
        check_eq(row(pg, "alice", "example.com")[4], "alice@example.com", "email")

        r = expect(ctl(*url, "subscriber", "add", "alice@example.com", "other"), EXIT_EXISTS,
                   "add twice")
        check("subscriber alice@example.com exists already" in r.stderr, r.stderr)
        check_hashes(pg, "alice", "example.com", "s3cret pass")

        # Generated password: printed once, and it is the one hashed.
        r = expect(ctl(*url, "subscriber", "add", "bob@example.com"), 0, "add, generated")
        lines = [l for l in r.stdout.splitlines() if l.startswith("password: ")]
        check_eq(len(lines), 1, f"password lines in:\n{r.stdout}")
        generated = lines[0][len("password: "):]
        check(len(generated) == 20 and generated.isalnum(), f"generated {generated!r}")
        check_hashes(pg, "bob", "example.com", generated)

        # --stdin, and --store-password for auth_db's calculate_ha1 mode.
        r = expect(ctl(*url, "subscriber", "add", "dave@example.com", "--stdin",
                       "--store-password", stdin_text="from stdin\n"), 0, "add --stdin")
        check("password:" not in r.stdout, r.stdout)
        check_hashes(pg, "dave", "example.com", "from stdin")
        check_eq(row(pg, "dave", "example.com")[0], "from stdin", "stored clear password")

        # show never prints hashes unless asked, and never a password.
        r = expect(ctl(*url, "subscriber", "show", "alice@example.com"), 0, "show")
        check("ha1             set" in r.stdout, r.stdout)
        check(ha1("md5", "alice", "example.com", "s3cret pass") not in r.stdout, r.stdout)
        r = expect(ctl(*url, "subscriber", "show", "dave@example.com", "--show-hashes"), 0,
                   "show --show-hashes")
        check(ha1("md5", "dave", "example.com", "from stdin") in r.stdout, r.stdout)
        check("from stdin" not in r.stdout, "show printed the clear password")
        expect(ctl(*url, "subscriber", "show", "nobody@example.com"), EXIT_NOT_FOUND, "show none")

        # list: ordered by domain then user, bounded.
        r = expect(ctl(*url, "subscriber", "list"), 0, "list")
        names = [l.split()[0] for l in r.stdout.splitlines()[:-1]]
        check_eq(names, ["alice@example.com", "bob@example.com", "dave@example.com",
                         "carol@other.org"], "list order")
        check(r.stdout.endswith("4 subscribers\n"), r.stdout)
        r = expect(ctl(*url, "subscriber", "list", "example.com", "--limit", "2"), 0, "--limit")
        check("first 2 subscribers shown; there are more" in r.stdout, r.stdout)
        check("dave@" not in r.stdout, r.stdout)

        # passwd: new hashes, the stale clear password dropped.
        r = expect(ctl(*url, "subscriber", "passwd", "dave@example.com", "n3w",
                       "--mi-socket", os.path.join(harness.test_tmpdir(), "none.sock")), 0,
                   "passwd")
        check("changed the password of dave@example.com" in r.stdout, r.stdout)
        check("note: no server answers on" in r.stderr and "cache TTL" in r.stderr, r.stderr)
        check_hashes(pg, "dave", "example.com", "n3w")
        check_eq(row(pg, "dave", "example.com")[0], "", "clear password after passwd")
        expect(ctl(*url, "subscriber", "passwd", "nobody@example.com", "x"), EXIT_NOT_FOUND,
               "passwd of nobody")

        # domain rm: refused while used, --force takes the subscribers along.
        r = expect(ctl(*url, "domain", "rm", "example.com"), EXIT_DOMAIN_IN_USE, "domain rm")
        check("still has 3 subscribers" in r.stderr, r.stderr)
        r = expect(ctl(*url, "domain", "list"), 0, "domain list")
        check("example.com" in r.stdout and "3 subscribers" in r.stdout, r.stdout)
        expect(ctl(*url, "subscriber", "rm", "alice@example.com"), 0, "subscriber rm")
        expect(ctl(*url, "subscriber", "rm", "alice@example.com"), EXIT_NOT_FOUND, "rm twice")
        r = expect(ctl(*url, "domain", "rm", "example.com", "--force"), 0, "domain rm --force")
        check("removed domain example.com and its 2 subscribers" in r.stdout, r.stdout)
        check_eq(pg.psql("SELECT string_agg(username || '@' || domain, ',') FROM subscriber"),
                 "carol@other.org", "subscribers left")
        expect(ctl(*url, "domain", "rm", "example.com"), EXIT_NOT_FOUND, "domain rm twice")


def test_json_output_of_every_command():
    with pgserver.PgServer() as pg:
        initialised(pg)

        def run(*args, code=0):
            r = expect(ctl("--json", "--db-url", pg.url, *args), code, " ".join(args))
            return json.loads(r.stdout)

        j = run("domain", "add", "example.com")
        check(j["ok"] and j["command"] == "domain add" and j["domain"] == "example.com", j)
        j = run("subscriber", "add", "alice@example.com")
        check(j["password_generated"] is True and not j["password_stored"], j)
        check_hashes(pg, "alice", "example.com", j["password"])
        j = run("subscriber", "add", "alice@example.com", "x", code=EXIT_EXISTS)
        check(j["ok"] is False and j["exit"] == EXIT_EXISTS and "exists already" in j["error"], j)
        j = run("subscriber", "add", "bob@nowhere.org", "x", code=EXIT_UNKNOWN_DOMAIN)
        check(j["exit"] == EXIT_UNKNOWN_DOMAIN, j)
        j = run("subscriber", "show", "alice@example.com")
        check(j["subscriber"]["ha1_set"] == {"ha1": True, "ha1_sha256": True,
                                             "ha1_sha512t256": True}, j)
        check(j["subscriber"]["created"].endswith("Z"), j)
        j = run("subscriber", "list")
        check_eq([s["subscriber"] for s in j["subscribers"]], ["alice@example.com"], "json list")
        check(j["truncated"] is False and j["limit"] == 100, j)
        j = run("subscriber", "passwd", "alice@example.com", "pw2", "--mi-socket",
                os.path.join(harness.test_tmpdir(), "none.sock"))
        check(j["cache_flush"]["done"] is False and "no server answers" in j["cache_flush"]["note"],
              j)
        check("password" not in j, j)
        j = run("domain", "list")
        check_eq(j["domains"][0]["subscribers"], 1, "json domain list")
        j = run("domain", "rm", "example.com", code=EXIT_DOMAIN_IN_USE)
        check(j["exit"] == EXIT_DOMAIN_IN_USE, j)
        j = run("subscriber", "rm", "alice@example.com", "--mi-socket",
                os.path.join(harness.test_tmpdir(), "none.sock"))
        check(j["ok"] and j["subscriber"] == "alice@example.com", j)
        j = run("subscriber", "show", "alice@example.com", code=EXIT_NOT_FOUND)
        check(j["exit"] == EXIT_NOT_FOUND, j)
        j = run("subscriber", "add", "bad user@example.com", "x", code=2)
        check(j["exit"] == 2, j)


def test_cache_flush_over_the_mi_socket():
    with pgserver.PgServer() as pg:
        initialised(pg)
        cfg, _ = harness.write_config()  # its mi.socket: <dir>/mi.sock
        mi_sock = os.path.join(os.path.dirname(cfg), "mi.sock")
        expect(ctl("--db-url", pg.url, "domain", "add", "example.com"), 0, "domain add")
        for user in ("alice", "bob", "carol"):
            expect(ctl("--db-url", pg.url, "subscriber", "add", f"{user}@example.com", "pw"), 0,
                   "add")
        mi = FakeMi(mi_sock, {"auth_db_cache_flush": {"flushed": 1}})
        try:
            # The socket comes from the settings file (-f), the DB from --db-url.
            r = expect(ctl("-f", cfg, "--db-url", pg.url, "subscriber", "passwd",
                           "alice@example.com", "new"), 0, "passwd with a server")
            check(f"cached credentials of alice@example.com were dropped ({mi_sock})" in r.stdout,
                  r.stdout)
            check_eq(r.stderr, "", "stderr")
            expect(ctl("-f", cfg, "--db-url", pg.url, "subscriber", "rm", "bob@example.com"), 0,
                   "rm with a server")
            r = expect(ctl("-f", cfg, "--db-url", pg.url, "--json", "domain", "rm", "example.com",
                           "--force"), 0, "domain rm --force with a server")
            j = json.loads(r.stdout)
            check_eq(j["removed_subscribers"], ["alice@example.com", "carol@example.com"],
                     "removed with the domain")
            check(j["cache_flush"]["flushed"] == 2 and j["cache_flush"]["done"], r.stdout)
        finally:
            mi.stop()
        check_eq(mi.calls, [("auth_db_cache_flush", {"aor": "alice@example.com"}),
                            ("auth_db_cache_flush", {"aor": "bob@example.com"}),
                            ("auth_db_cache_flush", {"aor": "alice@example.com"}),
                            ("auth_db_cache_flush", {"aor": "carol@example.com"})], "MI calls")

        # A server without auth_db answers "method not found": a note, exit 0.
        check(not os.path.exists(mi_sock), "the fake MI removed its socket")
        expect(ctl("--db-url", pg.url, "domain", "add", "example.com"), 0, "domain add")
        expect(ctl("--db-url", pg.url, "subscriber", "add", "dan@example.com", "pw"), 0, "add")
        mi = FakeMi(mi_sock, {})  # a server without auth_db
        try:
            r = expect(ctl("-f", cfg, "--db-url", pg.url, "subscriber", "passwd",
                           "dan@example.com", "x"), 0, "passwd, no auth_db")
        finally:
            mi.stop()
        check("note: the server on" in r.stderr and "(auth_db is not loaded)" in r.stderr,
              r.stderr)
        check_hashes(pg, "dan", "example.com", "x")


def test_unreachable_database_and_bad_arguments():
    url = f"postgres://sipline:sipline@127.0.0.1:{closed_port()}/sipline"
    for args in (("subscriber", "add", "alice@example.com", "pw"),
                 ("subscriber", "list"), ("domain", "add", "example.com"),
                 ("domain", "list")):
        r = expect(ctl("--db-url", url, *args), 3, " ".join(args))
        check("cannot connect to postgres://sipline:***@127.0.0.1:" in r.stderr, r.stderr)
        check("sipline:sipline@" not in r.stdout + r.stderr, "the DB password was printed")
    j = json.loads(expect(ctl("--json", "--db-url", url, "subscriber", "rm", "a@b.org"), 3,
                          "--json").stdout)
    check(j["ok"] is False and j["exit"] == 3, j)

    for args, message in (
            (("subscriber",), "subscriber needs a command: add, passwd, rm, show or list"),
            (("subscriber", "add"), "subscriber add needs USER@DOMAIN [PASSWORD]"),
            (("subscriber", "ad", "a@b.org"), "unknown subscriber command 'ad' (did you mean "
                                              "'add'?)"),
            (("subscriber", "rm", "a@b.org", "--email", "x@y.org"),
             "subscriber rm takes no option --email"),
            (("subscriber", "add", "a@b.org", "pw", "--stdin"),
             "subscriber add: give the password as an argument or with --stdin, not both"),
            (("domain", "list", "--limit", "x"), "--limit needs a number from 0 (all) to 1000000")):
        r = expect(ctl("--db-url", url, *args), 2, " ".join(args))
        check(f"siplinectl: {message}" in r.stderr, r.stderr)
    # Bad operands are refused before connecting (exit 2, not 3, with the DB unreachable).
    for args, message in ((("subscriber", "add", "alice", "pw"), "'alice' is not USER@DOMAIN"),
                          (("subscriber", "add", "a:b@example.com", "pw"), "contains ':'"),
                          (("domain", "add", "example.com:5060"), "without a port"),
                          (("subscriber", "add", "a@example.com", "--stdin"),
                           "--stdin: no password on standard input")):
        r = expect(ctl("--db-url", url, *args), 2, " ".join(args))
        check(message in r.stderr, r.stderr)
    for args in (("help", "subscriber"), ("subscriber", "--help"), ("domain", "--help")):
        r = expect(ctl(*args), 0, " ".join(args))
        check("Usage: siplinectl [OPTIONS]" in r.stdout, r.stdout)
    main_help = expect(ctl("--help"), 0, "--help").stdout
    sub_help = expect(ctl("help", "subscriber"), 0, "help subscriber").stdout
    block = sub_help[sub_help.index("  subscriber add USER@DOMAIN"):]
    block = block[:block.index("\n\n")]
    check(block in main_help, "the subscriber commands differ between --help and help subscriber")


def test_running_server_without_auth_db_gets_a_note():
    """The real MI of a running sipline (no auth_db loaded): the flush is answered with
    'method not found', which is a note and exit 0; the socket comes from -f."""
    with pgserver.PgServer() as pg, harness.Server() as srv:
        initialised(pg)
        expect(ctl("--db-url", pg.url, "domain", "add", "example.com"), 0, "domain add")
        expect(ctl("--db-url", pg.url, "subscriber", "add", "alice@example.com", "pw"), 0, "add")
        r = expect(ctl("-f", srv.cfg, "--db-url", pg.url, "subscriber", "passwd",
                       "alice@example.com", "pw2"), 0, "passwd")
        check(f"note: the server on {srv.mi_sock} has no auth_db_cache_flush "
              "(auth_db is not loaded)" in r.stderr, r.stderr)
        check_hashes(pg, "alice", "example.com", "pw2")
        r = expect(ctl("-f", srv.cfg, "--db-url", pg.url, "--json", "subscriber", "rm",
                       "alice@example.com"), 0, "rm")
        j = json.loads(r.stdout)
        check(j["cache_flush"]["socket"] == srv.mi_sock and not j["cache_flush"]["done"], j)
