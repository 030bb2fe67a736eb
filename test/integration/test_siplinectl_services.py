"""siplinectl dispatcher, address, group, alias and callfwd against a real PostgreSQL (a
scratch cluster per test, test/lib/pgserver.py): rows are added, listed, shown and removed
with the documented exit codes (6 exists, 7 not found or no such subscriber, 2 bad input
before the database is touched, 3 database unreachable) and one JSON object each with
--json; the rows in the tables are what the modules read (dispatcher, address, grp,
dbaliases, usr_preferences with attributes callfwd/fwdbusy/fwdnoanswer, type 0, one value
each). The MI side runs against a fake JSON-RPC server on a unix socket: dispatcher
reload/status/set-state, address reload and --reload after a change; with no server the
change stays and the exit is 12."""

import json
import os
import threading
import time

import harness
import pgserver
from fake_mi import FakeMi
from harness import check, check_eq
from test_siplinectl_subscriber import closed_port, ctl, expect, initialised

EXIT_USAGE, EXIT_UNREACHABLE, EXIT_EXISTS, EXIT_NOT_FOUND = 2, 3, 6, 7
EXIT_REFUSED, EXIT_RELOAD_FAILED = 10, 12


def db(pg, *args):
    return ctl("--db-url", pg.url, *args)


def js(proc):
    """The one JSON object on stdout."""
    return json.loads(proc.stdout)


def rows(pg, sql):
    out = pg.psql(sql)
    return [line.split("|") for line in out.splitlines()] if out else []



def test_dispatcher_table():
    with pgserver.PgServer() as pg:
        initialised(pg)
        r = expect(db(pg, "dispatcher", "add", "1", "sip:10.0.0.1:5060"), 0, "add defaults")
        check("added sip:10.0.0.1:5060 to set 1 (weight 1, priority 0, active)" in r.stdout,
              r.stdout)
        check("siplinectl dispatcher reload" in r.stdout, "the reload hint: " + r.stdout)
        expect(db(pg, "dispatcher", "add", "1", "sip:gw2.example.com;transport=tcp",
                  "--weight", "10", "--priority", "2", "--state", "probing", "--attrs",
                  "carrier=b", "--socket", "udp:127.0.0.1:5060", "--description", "backup"),
               0, "add with every option")
        expect(db(pg, "dispatcher", "add", "2", "sips:ms.example.com", "--state", "inactive"),
               0, "add to set 2")
        check_eq(rows(pg, "SELECT setid, destination, socket, state, weight, priority, attrs, "
                          "description FROM dispatcher ORDER BY id"),
                 [["1", "sip:10.0.0.1:5060", "", "0", "1", "0", "", ""],
                  ["1", "sip:gw2.example.com;transport=tcp", "udp:127.0.0.1:5060", "2", "10",
                   "2", "carrier=b", "backup"],
                  ["2", "sips:ms.example.com", "", "1", "1", "0", "", ""]], "dispatcher rows")
        r = expect(db(pg, "dispatcher", "add", "1", "sip:10.0.0.1:5060", "--weight", "3"),
                   EXIT_EXISTS, "duplicate")
        check("set 1 has sip:10.0.0.1:5060 already" in r.stderr, r.stderr)
        # The same destination in another set is another row.
        expect(db(pg, "dispatcher", "add", "3", "sip:10.0.0.1:5060"), 0, "other set")

        r = expect(db(pg, "dispatcher", "list"), 0, "list")
        lines = r.stdout.splitlines()
        check(lines[0].split() == ["SET", "DESTINATION", "STATE", "WEIGHT", "PRIORITY",
                                   "SOCKET", "ATTRS", "DESCRIPTION"], r.stdout)
        check_eq(lines[-1], "4 destinations", "count line")
        check("probing" in r.stdout and "inactive" in r.stdout, r.stdout)
        j = js(expect(db(pg, "--json", "dispatcher", "list", "1"), 0, "list --json"))
        check_eq(j["setid"], 1, "setid")
        check_eq([d["destination"] for d in j["destinations"]],
                 ["sip:10.0.0.1:5060", "sip:gw2.example.com;transport=tcp"],
                 "set 1 by priority")
        check_eq(j["destinations"][1]["state"], "probing", "state name")
        check_eq(j["destinations"][1]["weight"], 10, "weight")
        j = js(expect(db(pg, "--json", "dispatcher", "list", "--limit", "1"), 0, "--limit"))
        check(j["truncated"] and len(j["destinations"]) == 1, j)

        r = expect(db(pg, "dispatcher", "rm", "1", "sip:10.0.0.9"), EXIT_NOT_FOUND, "rm unknown")
        check("set 1 has no destination sip:10.0.0.9" in r.stderr, r.stderr)
        j = js(expect(db(pg, "--json", "dispatcher", "rm", "3", "sip:10.0.0.1:5060"), 0, "rm"))
        check(j["ok"] and j["reload"]["done"] is False and "hint" in j["reload"], j)
        check_eq(rows(pg, "SELECT count(*) FROM dispatcher WHERE setid = 3"), [["0"]], "removed")

        # Bad input: exit 2, nothing written.
        before = rows(pg, "SELECT count(*) FROM dispatcher")
        for args, message in [
                (["add", "x", "sip:gw"], "SETID needs a number"),
                (["add", "1", "10.0.0.1"], "is not a SIP URI"),
                (["add", "1", "tel:+4930123"], "sip: or sips:"),
                (["add", "1", "sip:gw", "--weight", "-3"], "--weight needs a number"),
                (["add", "1", "sip:gw", "--state", "up"], "--state needs active"),
                (["add", "1", "sip:gw", "--socket", "udp:gw.example.com"], "--socket"),
                (["add", "1", "sip:gw", "--description", "d" * 65], "longer than 64"),
                (["rm", "1", "sip:gw", "--weight", "3"], "takes no option --weight"),
                (["set-state", "up", "1", "sip:gw"], "active, inactive or probing")]:
            r = expect(db(pg, "dispatcher", *args), EXIT_USAGE, f"dispatcher {args}")
            check(message in r.stderr, f"{args}: {r.stderr}")
        check_eq(rows(pg, "SELECT count(*) FROM dispatcher"), before, "nothing written")


def test_address_table():
    with pgserver.PgServer() as pg:
        initialised(pg)
        r = expect(db(pg, "address", "add", "1", "10.0.0.0/8", "--port", "5060", "--proto",
                      "UDP", "--pattern", "^sip:[0-9]+@", "--context", "carrier-a"), 0, "add")
        check("added 10.0.0.0/8 (port 5060, proto udp) to group 1" in r.stdout, r.stdout)
        check("siplinectl address reload" in r.stdout, r.stdout)
        expect(db(pg, "address", "add", "1", "192.0.2.7"), 0, "one host")
        expect(db(pg, "address", "add", "2", "2001:DB8::/32", "--proto", "tls"), 0, "IPv6")
        check_eq(rows(pg, "SELECT grp, ip, mask, port, proto, pattern, context_info FROM address "
                          "ORDER BY id"),
                 [["1", "10.0.0.0", "8", "5060", "udp", "^sip:[0-9]+@", "carrier-a"],
                  ["1", "192.0.2.7", "32", "0", "any", "", ""],
                  ["2", "2001:db8::", "32", "0", "tls", "", ""]], "address rows")
        r = expect(db(pg, "address", "add", "1", "192.0.2.7"), EXIT_EXISTS, "duplicate")
        check("already" in r.stderr, r.stderr)
        expect(db(pg, "address", "add", "1", "192.0.2.7", "--port", "5080"), 0, "other port")

        r = expect(db(pg, "address", "list", "1"), 0, "list")
        check(r.stdout.splitlines()[0].split() == ["GROUP", "ADDRESS", "PORT", "PROTO",
                                                   "PATTERN", "CONTEXT"], r.stdout)
        check(r.stdout.endswith("3 addresses\n"), r.stdout)
        j = js(expect(db(pg, "--json", "address", "list"), 0, "list --json"))
        check_eq(len(j["addresses"]), 4, "every group")
        check_eq(j["addresses"][-1], {"group": 2, "ip": "2001:db8::", "mask": 32, "port": 0,
                                      "proto": "tls", "pattern": "", "context": ""}, "row")

        expect(db(pg, "address", "rm", "1", "192.0.2.7", "--port", "5090"), EXIT_NOT_FOUND,
               "rm other port")
        r = expect(db(pg, "address", "rm", "1", "192.0.2.7", "--port", "5080"), 0, "rm port")
        check("removed 1 row of 192.0.2.7/32" in r.stdout, r.stdout)
        j = js(expect(db(pg, "--json", "address", "rm", "1", "10.0.0.0/8"), 0, "rm all ports"))
        check_eq(j["removed"], 1, "removed")
        expect(db(pg, "address", "rm", "1", "10.0.0.0/8"), EXIT_NOT_FOUND, "rm again")

        before = rows(pg, "SELECT count(*) FROM address")
        for args, message in [
                (["add", "g", "10.0.0.1"], "GROUP needs a number"),
                (["add", "1", "10.0.0.256"], "is not an IP address"),
                (["add", "1", "gw.example.com"], "is not an IP address"),
                (["add", "1", "10.0.0.1/33"], "0 to 32"),
                (["add", "1", "::1/129"], "0 to 128"),
                (["add", "1", "10.0.0.1", "--port", "70000"], "--port needs a number"),
                (["add", "1", "10.0.0.1", "--proto", "sctp"], "--proto needs any"),
                (["add", "1", "10.0.0.1", "--pattern", "a(b"], "not a regular expression"),
                (["add", "1", "10.0.0.1", "--context", "c" * 33], "longer than 32")]:
            r = expect(db(pg, "address", *args), EXIT_USAGE, f"address {args}")
            check(message in r.stderr, f"{args}: {r.stderr}")
        check_eq(rows(pg, "SELECT count(*) FROM address"), before, "nothing written")


def wait_for_session(pg, marker):
    """Waits (bounded) until another session runs a statement containing `marker`."""
    for _ in range(100):
        n = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                    f"AND state = 'active' AND query LIKE '%{marker}%'")
        if n != "0":
            return
        time.sleep(0.05)
    raise harness.TestFailure(f"no session ran {marker}")


def in_open_transaction(pg, sql, marker):
    """Runs `sql` in a transaction another session holds open for two seconds (a thread);
    returns the thread once the statements before the sleep ran."""
    holder = threading.Thread(target=pg.psql, daemon=True, args=(
        f"BEGIN; {sql}; SELECT pg_sleep(2) AS {marker}; COMMIT;",))
    holder.start()
    wait_for_session(pg, marker)
    time.sleep(0.2)
    return holder


def test_address_spelling_and_concurrent_add():
    with pgserver.PgServer() as pg:
        initialised(pg)
        # One spelling per address (inet_ntop's): duplicates and rm see through the writing.
        expect(db(pg, "address", "add", "1", "2001:0DB8:0:0::0001"), 0, "long IPv6")
        check_eq(rows(pg, "SELECT ip, mask FROM address"), [["2001:db8::1", "128"]], "stored")
        expect(db(pg, "address", "add", "1", "2001:db8::1/128"), EXIT_EXISTS, "same address")
        expect(db(pg, "address", "rm", "1", "2001:db8:0::1"), 0, "rm another spelling")
        check_eq(rows(pg, "SELECT count(*) FROM address"), [["0"]], "removed")
        # What the permissions module would skip is refused.
        for bad, message in [("010.0.0.1", "not an IP address"),
                             ("::ffff:10.0.0.1/120", "IPv4-mapped")]:
            r = expect(db(pg, "address", "add", "1", bad), EXIT_USAGE, bad)
            check(message in r.stderr, r.stderr)

        # Another writer's uncommitted equal row: add waits for its commit, then refuses.
        holder = in_open_transaction(
            pg, "INSERT INTO address (grp, ip, mask) VALUES (5, '192.0.2.1', 32)", "addr_hold")
        r = expect(db(pg, "address", "add", "5", "192.0.2.1"), EXIT_EXISTS, "concurrent add")
        holder.join(10)
        check_eq(rows(pg, "SELECT count(*) FROM address WHERE grp = 5"), [["1"]], "one row")


def test_groups_and_aliases():
    with pgserver.PgServer() as pg:
        initialised(pg)
        expect(db(pg, "domain", "add", "example.com"), 0, "domain")
        expect(db(pg, "subscriber", "add", "alice@example.com", "pw-alice-1"), 0, "alice")

        r = expect(db(pg, "group", "add", "alice@example.com", "int"), 0, "group add")
        check_eq(r.stdout, "added alice@example.com to group int\n", "group add output")
        expect(db(pg, "group", "add", "alice@example.com", "ld"), 0, "second group")
        expect(db(pg, "group", "add", "alice@example.com", "int"), EXIT_EXISTS, "twice")
        r = expect(db(pg, "group", "add", "bob@example.com", "int"), EXIT_NOT_FOUND, "no bob")
        check("no subscriber bob@example.com" in r.stderr and "--force" in r.stderr, r.stderr)
        check_eq(rows(pg, "SELECT count(*) FROM grp WHERE username = 'bob'"), [["0"]], "no row")
        expect(db(pg, "group", "add", "bob@example.com", "int", "--force"), 0, "--force")
        check_eq(rows(pg, "SELECT username, domain, grp FROM grp ORDER BY id"),
                 [["alice", "example.com", "int"], ["alice", "example.com", "ld"],
                  ["bob", "example.com", "int"]], "grp rows")
        r = expect(db(pg, "group", "show", "alice@example.com"), 0, "show")
        check_eq(r.stdout, "int\nld\nalice@example.com is in 2 groups\n", "show output")
        j = js(expect(db(pg, "--json", "group", "show", "alice@example.com"), 0, "show --json"))
        check_eq(j["groups"], ["int", "ld"], "groups")
        j = js(expect(db(pg, "--json", "group", "list", "int"), 0, "list --json"))
        check_eq([m["subscriber"] for m in j["members"]],
                 ["alice@example.com", "bob@example.com"], "members")
        expect(db(pg, "group", "rm", "alice@example.com", "ld"), 0, "group rm")
        expect(db(pg, "group", "rm", "alice@example.com", "ld"), EXIT_NOT_FOUND, "rm again")
        expect(db(pg, "group", "add", "alice@example.com", "in t"), EXIT_USAGE, "bad group")
        expect(db(pg, "group", "add", "alice", "int"), EXIT_USAGE, "bad AOR")

        r = expect(db(pg, "alias", "add", "1001", "alice@example.com"), 0, "alias add")
        check_eq(r.stdout, "added alias 1001@example.com for alice@example.com\n", "output")
        expect(db(pg, "alias", "add", "+4930123@pstn.example.com", "alice@example.com"), 0,
               "alias in another domain")
        r = expect(db(pg, "alias", "add", "1001", "alice@example.com"), EXIT_EXISTS, "exists")
        check("alias 1001@example.com exists already (for alice@example.com)" in r.stderr,
              r.stderr)
        r = expect(db(pg, "alias", "add", "1002", "carol@example.com"), EXIT_NOT_FOUND, "nobody")
        check("no subscriber carol@example.com" in r.stderr, r.stderr)
        expect(db(pg, "alias", "add", "1002", "carol@example.com", "--force"), 0, "--force")
        check_eq(rows(pg, "SELECT alias_username, alias_domain, username, domain FROM dbaliases "
                          "ORDER BY id"),
                 [["1001", "example.com", "alice", "example.com"],
                  ["+4930123", "pstn.example.com", "alice", "example.com"],
                  ["1002", "example.com", "carol", "example.com"]], "dbaliases rows")
        j = js(expect(db(pg, "--json", "alias", "list", "alice@example.com"), 0, "list"))
        check_eq(j["aliases"], [{"alias": "1001@example.com", "subscriber": "alice@example.com"},
                                {"alias": "+4930123@pstn.example.com",
                                 "subscriber": "alice@example.com"}], "alice's aliases")
        r = expect(db(pg, "alias", "list"), 0, "list all")
        check(r.stdout.endswith("3 aliases\n"), r.stdout)
        # Without a domain: the only alias of that name; ambiguous names are refused.
        expect(db(pg, "alias", "add", "1002@pstn.example.com", "alice@example.com"), 0, "twin")
        r = expect(db(pg, "alias", "rm", "1002"), 1, "ambiguous")
        check("name one as ALIAS@DOMAIN" in r.stderr, r.stderr)
        check_eq(rows(pg, "SELECT count(*) FROM dbaliases WHERE alias_username = '1002'"),
                 [["2"]], "both kept")
        r = expect(db(pg, "alias", "rm", "1002@pstn.example.com"), 0, "rm with domain")
        check("removed alias 1002@pstn.example.com (for alice@example.com)" in r.stdout, r.stdout)
        j = js(expect(db(pg, "--json", "alias", "rm", "1002"), 0, "rm unique"))
        check_eq(j["alias"], {"alias": "1002@example.com", "subscriber": "carol@example.com"},
                 "removed")
        expect(db(pg, "alias", "rm", "1002"), EXIT_NOT_FOUND, "rm again")
        expect(db(pg, "alias", "add", "10 01", "alice@example.com"), EXIT_USAGE, "bad alias")
        # An alias that is a subscriber's address would take over that subscriber's calls.
        expect(db(pg, "subscriber", "add", "bob@example.com", "pw-bob-12"), 0, "bob")
        for extra in [[], ["--force"]]:
            r = expect(db(pg, "alias", "add", "bob", "alice@example.com", *extra), EXIT_EXISTS,
                       f"alias of a subscriber's address {extra}")
            check("alias bob@example.com is a subscriber's address" in r.stderr, r.stderr)
        check_eq(rows(pg, "SELECT count(*) FROM dbaliases WHERE alias_username = 'bob'"),
                 [["0"]], "no alias bob")


def test_call_forwarding():
    with pgserver.PgServer() as pg:
        initialised(pg)
        expect(db(pg, "domain", "add", "example.com"), 0, "domain")
        expect(db(pg, "subscriber", "add", "alice@example.com", "pw-alice-1"), 0, "alice")
        aor = "alice@example.com"
        r = expect(db(pg, "callfwd", "set", aor, "--always", "sip:bob@example.com",
                      "--busy", "sip:voicemail@media.example.com"), 0, "set")
        check("always     sip:bob@example.com" in r.stdout, r.stdout)
        r = expect(db(pg, "callfwd", "set", aor, "--busy", "sip:vm2@media.example.com",
                      "--noanswer", "sip:+4930123456@example.com"), 0, "set replaces")
        prefs = "SELECT attribute, type, value FROM usr_preferences " \
                "WHERE username = 'alice' AND domain = 'example.com' ORDER BY attribute"
        check_eq(rows(pg, prefs),
                 [["callfwd", "0", "sip:bob@example.com"],
                  ["fwdbusy", "0", "sip:vm2@media.example.com"],
                  ["fwdnoanswer", "0", "sip:+4930123456@example.com"]], "one row per attribute")
        j = js(expect(db(pg, "--json", "callfwd", "show", aor), 0, "show --json"))
        check_eq(j["forwarding"], {"always": "sip:bob@example.com",
                                   "busy": "sip:vm2@media.example.com",
                                   "noanswer": "sip:+4930123456@example.com"}, "show")
        j = js(expect(db(pg, "--json", "callfwd", "clear", aor, "--busy"), 0, "clear busy"))
        check_eq((j["removed"], j["cleared"]), (1, ["fwdbusy"]), "cleared busy")
        check_eq(j["forwarding"]["busy"], None, "busy gone")
        r = expect(db(pg, "callfwd", "clear", aor), 0, "clear all")
        check("cleared 2 forwardings" in r.stdout, r.stdout)
        check_eq(rows(pg, prefs), [], "no rows left")
        r = expect(db(pg, "callfwd", "show", aor), 0, "show empty")
        check_eq(r.stdout, "always     -\nbusy       -\nnoanswer   -\n", "empty show")

        r = expect(db(pg, "callfwd", "set", "bob@example.com", "--always", "sip:x@example.com"),
                   EXIT_NOT_FOUND, "no subscriber")
        check("no subscriber bob@example.com" in r.stderr, r.stderr)
        expect(db(pg, "callfwd", "set", "bob@example.com", "--always", "sip:x@example.com",
                  "--force"), 0, "--force")
        for args, message in [
                (["set", aor], "needs --always URI"),
                (["set", aor, "--busy", "voicemail"], "is not a sip: or sips: URI"),
                (["set", aor, "--always", "tel:+4930123"], "write a number as sip:NUMBER@"),
                (["set", aor, "--always"], "needs a URI"),
                (["clear", aor, "--always=sip:x@y.z"], "takes no value"),
                (["show", "alice"], "@")]:
            r = expect(db(pg, "callfwd", *args), EXIT_USAGE, f"callfwd {args}")
            check(message in r.stderr, f"{args}: {r.stderr}")


def test_concurrent_callfwd_set_keeps_one_row():
    with pgserver.PgServer() as pg:
        initialised(pg)
        aor = "alice@example.com"
        # A second `callfwd set` of the same subscriber, its transaction still open (the lock
        # siplinectl takes, then its DELETE and INSERT): this one waits, then replaces it.
        holder = in_open_transaction(
            pg, "SELECT pg_advisory_xact_lock(hashtext('usr_preferences'), hashtext("
                f"'{aor}')); DELETE FROM usr_preferences WHERE username = 'alice' AND "
                "attribute = 'callfwd'; INSERT INTO usr_preferences (username, domain, "
                "attribute, type, value) VALUES ('alice', 'example.com', 'callfwd', 0, "
                "'sip:first@example.com')", "fwd_hold")
        expect(db(pg, "callfwd", "set", aor, "--always", "sip:second@example.com", "--force"),
               0, "concurrent set")
        holder.join(10)
        check_eq(rows(pg, "SELECT value FROM usr_preferences WHERE attribute = 'callfwd'"),
                 [["sip:second@example.com"]], "one value, the last set")


def test_reload_over_the_mi():
    with pgserver.PgServer() as pg:
        initialised(pg)
        mi_sock = os.path.join(harness.test_tmpdir(), "mi.sock")
        ds_list = {"sets": [{"id": 1, "destinations": [
            {"uri": "sip:10.0.0.1", "state": "active", "weight": 1, "priority": 0,
             "failures": 0}]}]}
        mi = FakeMi(mi_sock, {"ds_reload": {"sets": 1}, "address_reload": {"entries": 1},
                              "domain_reload": {"domains": 1}, "ds_list": ds_list,
                              "ds_set_state": {}})
        try:
            r = expect(db(pg, "dispatcher", "add", "1", "sip:10.0.0.1", "--reload",
                          "--mi-socket", mi_sock), 0, "add --reload")
            check("the server reloaded table dispatcher (ds_reload)" in r.stdout, r.stdout)
            j = js(expect(db(pg, "--json", "address", "add", "1", "10.0.0.1", "--reload",
                             "--mi-socket", mi_sock), 0, "address add --reload"))
            check_eq(j["reload"], {"method": "address_reload", "done": True}, "reload object")
            expect(db(pg, "domain", "add", "example.com", "--reload", "--mi-socket", mi_sock), 0,
                   "domain add --reload")
            r = expect(ctl("dispatcher", "status", "--mi-socket", mi_sock), 0, "status")
            check("sip:10.0.0.1" in r.stdout and "1 set, 1 destination" in r.stdout, r.stdout)
            expect(ctl("dispatcher", "set-state", "probing", "1", "sip:10.0.0.1",
                       "--mi-socket", mi_sock), 0, "set-state")
            expect(ctl("dispatcher", "reload", "--mi-socket", mi_sock), 0, "reload")
            expect(ctl("address", "reload", "--mi-socket", mi_sock), 0, "address reload")
            check_eq([c[0] for c in mi.calls],
                     ["ds_reload", "address_reload", "domain_reload", "ds_list", "ds_set_state",
                      "ds_reload", "address_reload"], "MI calls")
            check_eq(mi.calls[4][1], {"state": "p", "set": 1, "destination": "sip:10.0.0.1"},
                     "ds_set_state params")
        finally:
            mi.stop()
        # A server without the module: refused (10); the change made with --reload stays (12).
        mi = FakeMi(mi_sock, {})
        try:
            r = expect(ctl("dispatcher", "reload", "--mi-socket", mi_sock), EXIT_REFUSED,
                       "no dispatcher module")
            check("does not load the dispatcher module" in r.stderr, r.stderr)
            r = expect(db(pg, "dispatcher", "add", "2", "sip:10.0.0.2", "--reload",
                          "--mi-socket", mi_sock), EXIT_RELOAD_FAILED, "reload refused")
            check("warning: the change is in the database" in r.stderr, r.stderr)
        finally:
            mi.stop()
        # No server at all.
        gone = os.path.join(harness.test_tmpdir(), "gone.sock")
        r = expect(db(pg, "--json", "dispatcher", "rm", "1", "sip:10.0.0.1", "--reload",
                      "--mi-socket", gone), EXIT_RELOAD_FAILED, "no server")
        j = js(r)
        check(j["ok"] is False and j["exit"] == 12 and j["reload"]["done"] is False, j)
        check("siplinectl dispatcher reload" in r.stderr, r.stderr)
        check_eq(rows(pg, "SELECT setid, destination FROM dispatcher ORDER BY id"),
                 [["2", "sip:10.0.0.2"]], "both changes kept")
        expect(ctl("dispatcher", "status", "--mi-socket", gone), EXIT_UNREACHABLE, "status")


def test_unreachable_database_and_json_errors():
    url = f"postgres://sipline@{harness.LOOPBACK}:{closed_port()}/sipline"
    for args in [["dispatcher", "list"], ["address", "add", "1", "10.0.0.1"],
                 ["group", "show", "a@example.com"], ["alias", "list"],
                 ["callfwd", "show", "a@example.com"]]:
        r = expect(ctl("--db-url", url, "--json", *args), EXIT_UNREACHABLE, " ".join(args))
        j = js(r)
        check(j["ok"] is False and j["exit"] == 3, j)
    with pgserver.PgServer() as pg:
        # An empty database: the tables are missing, and the message says how to check.
        r = expect(db(pg, "group", "list", "int"), 1, "no tables")
        check("siplinectl db check" in r.stderr, r.stderr)


def test_bash_completion_of_the_service_commands():
    from test_siplinectl_mgmt import BASH_COMPLETION, bash_complete
    for bc in [False] + ([True] if os.path.exists(BASH_COMPLETION) else []):
        def complete(*words):
            return bash_complete(words, with_bash_completion=bc)

        how = "with bash-completion" if bc else "without bash-completion"
        check_eq(complete("a"), ["address", "alias"], f"commands ({how})")
        check_eq(complete("dispatcher", ""),
                 ["add", "list", "reload", "rm", "set-state", "status"], f"dispatcher ({how})")
        check_eq(complete("callfwd", ""), ["clear", "set", "show"], f"callfwd ({how})")
        check_eq(complete("group", "s"), ["show"], f"group ({how})")
        check_eq(complete("dispatcher", "set-state", "i"), ["inactive"], f"states ({how})")
        check_eq(complete("dispatcher", "add", "1", "sip:gw", "--state", "p"), ["probing"],
                 f"--state ({how})")
        check_eq(complete("address", "add", "1", "10.0.0.1", "--proto", "t"), ["tcp", "tls"],
                 f"--proto ({how})")
        check_eq(complete("--weight", "5", "dispatcher", "l"), ["list"],
                 f"after an option value ({how})")
        check_eq(complete("--always", "sip:x@example.com", "callfwd", "s"), ["set", "show"],
                 f"after a forwarding URI ({how})")
        check_eq(complete("callfwd", "clear", "a@example.com", "--always", "--b"), ["--busy"],
                 f"forwarding flags of clear ({how})")


def test_reload_status_and_set_state_with_a_running_server():
    """The real dispatcher, permissions and domain modules, reading the tables siplinectl
    writes: --reload puts a change in use at once, status shows the live state, set-state
    changes it, and a server refusal keeps its exit code."""
    from harness import Server
    for mod in ("dispatcher", "permissions", "domain"):
        if not os.path.exists(os.path.join(harness.BUILD, "modules", f"{mod}.so")):
            raise harness.Skip(f"modules/{mod} is not built")
    with pgserver.PgServer() as pg:
        initialised(pg)
        url = f'"{pg.url}"'
        modules = (f"sl = {{}}; maxfwd = {{}}; tm = {{}}; db_postgres = {{}}; "
                   f"dispatcher = {{ db_url = {url}; }}; permissions = {{ db_url = {url}; }}; "
                   f"domain = {{ db_url = {url}; }};")
        with Server(modules=modules, name="services") as srv:
            mi = ["--mi-socket", srv.mi_sock]
            gw = f"sip:{harness.LOOPBACK}:5099"
            r = expect(db(pg, "dispatcher", "add", "1", gw, "--weight", "3", "--reload", *mi), 0,
                       "dispatcher add --reload")
            check("the server reloaded table dispatcher (ds_reload)" in r.stdout, r.stdout)
            j = js(expect(ctl("--json", "dispatcher", "status", *mi), 0, "status --json"))
            check_eq([(s["id"], [d["uri"] for d in s["destinations"]]) for s in j["sets"]],
                     [(1, [gw])], "the new destination is in use")
            r = expect(ctl("dispatcher", "status", *mi), 0, "status")
            check(gw in r.stdout and "1 set, 1 destination" in r.stdout, r.stdout)
            expect(ctl("dispatcher", "set-state", "inactive", "1", gw, *mi), 0, "set-state")
            states = {d["uri"]: d["state"] for s in srv.mi("ds_list")["sets"]
                      for d in s["destinations"]}
            check_eq(states[gw][:1], "i", "inactive in the server")
            # Exit 7 as the man page says (the module's "no destination ... in set 1").
            r = expect(ctl("dispatcher", "set-state", "active", "1", "sip:192.0.2.99", *mi),
                       EXIT_NOT_FOUND, "unknown destination")
            check("sip:192.0.2.99" in r.stderr, r.stderr)
            expect(db(pg, "dispatcher", "rm", "1", gw, "--reload", *mi), 0, "rm --reload")
            check_eq(srv.mi("ds_list").get("sets"), [], "no sets after the reload")

            expect(db(pg, "address", "add", "7", f"{harness.LOOPBACK}", "--proto", "udp",
                      "--reload", *mi), 0, "address add --reload")
            rules = srv.mi("address_dump")["rules"]
            check_eq([(x["grp"], x["ip"], x["proto"]) for x in rules],
                     [(7, harness.LOOPBACK, "udp")], "the new address is in use")
            expect(ctl("address", "reload", *mi), 0, "address reload")

            expect(db(pg, "domain", "add", "example.com", "--reload", *mi), 0,
                   "domain add --reload")
            check_eq(srv.mi("domain_dump")["domains"], ["example.com"], "domain in use")
        # The server is gone: the change stays, exit 12.
        r = expect(db(pg, "dispatcher", "add", "2", gw, "--reload", *mi), EXIT_RELOAD_FAILED,
                   "no server")
        check_eq(rows(pg, "SELECT setid FROM dispatcher"), [["2"]], "the change stays")


test_reload_status_and_set_state_with_a_running_server.timeout = 180
