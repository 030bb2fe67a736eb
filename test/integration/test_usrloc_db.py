"""usrloc with a real PostgreSQL (a scratch cluster per test, schema by `siplinectl db init`)
behind the shipped registrar + proxy script:

  * write-back: 1,000 users registered by sipp reach the DB when the server stops (the
    shutdown flush) and all 1,000 are reachable again after a restart (MI and calls);
    changes, unregistrations and expiries are flushed every write_back_interval;
  * write-through: every change is in the DB when the REGISTER is answered;
  * db-only: lookups and registrations go to the DB and survive a restart; two workers
    registering one new AOR at once stay within max_contacts;
  * PostgreSQL stopped in the middle of a registration run (write-back, write-through):
    every REGISTER is still answered 200 from memory, and once PostgreSQL is back every
    binding reaches it (nothing lost);
  * PostgreSQL frozen with SIGSTOP: REGISTERs keep being answered, each within the DB
    timeouts plus a margin (write-through) or at once (write-back), keepalives are answered
    throughout, and after the thaw everything reaches the DB;
  * a database without the schema, or with another version of the location table, is
    refused at start with a message naming the table.

The sipp runs register sip:<prefix>N for N = 1..count with the Contact of one sipp phone
(loc_register.xml) from a port that is not the phone's, so store_received is off here (a
third-party registration; the phone is reached at its Contact). Counts are scaled up under
SIPLINE_SOAK=1."""

import threading
import time

from harness import LOOPBACK, ServerError, SippUas, check, check_eq, free_udp_port, scaled, \
    scenario
from location_db import LocationDb, location_rows, row_count, wait_rows
from location_flows import (Phone, check_all_calls, check_server_stops_cleanly, check_status,
                            check_workers_answer, contacts_of, reach_users, register_users,
                            registrar_server, ul_contacts, ul_counts)

# These tests mostly wait (database outages, restarts, dialog timers): they run beside
# the others (test/run_integration.py).
WAITS = True

QUERY_TIMEOUT_MS = 300      # usrloc db_query_timeout and db_connect_timeout in these tests
MARGIN_S = 0.7              # scheduling on a loaded 2-core machine
NO_RECEIVED = {"store_received": "off"}


def db_server(pg, mode, registrar=None, **usrloc):
    params = {"db_mode": mode, "db_url": pg.url, "write_back_interval": 1,
              "db_query_timeout": QUERY_TIMEOUT_MS, "db_connect_timeout": QUERY_TIMEOUT_MS}
    params.update(usrloc)
    reg = dict(NO_RECEIVED)
    reg.update(registrar or {})
    return registrar_server(usrloc=params, registrar=reg, name=f"ul-{mode}")


def expected_rows(prefix, count, contact_port):
    return {(f"{prefix}{i}", f"sip:{prefix}{i}@{LOOPBACK}:{contact_port}")
            for i in range(1, count + 1)}


def check_rows(pg, want, what):
    got = set(location_rows(pg))
    missing, extra = want - got, got - want
    check(not missing and not extra,
          f"{what}: {len(missing)} rows missing (e.g. {sorted(missing)[:3]}), "
          f"{len(extra)} unexpected (e.g. {sorted(extra)[:3]})")


def options_phone(port, calls, hard_timeout=90):
    """The users' phone: a sipp UAS answering OPTIONS on `port`."""
    return SippUas("-sf", scenario("loc_uas_options.xml"), calls=calls, port=port,
                   hard_timeout=hard_timeout, name="phone")


# ---------------------------------------------------------------- write-back
def test_write_back_restart_keeps_every_registration():
    users = scaled(1000, 20000)
    contact_port = free_udp_port()
    with LocationDb() as pg:
        pg.init_schema()
        # a flush interval longer than the test: only the shutdown flush writes
        with db_server(pg, "write-back", write_back_interval=3600) as srv:
            reg = register_users(srv.port, users, contact_port, expires=600)
            check_all_calls(reg, users, "REGISTERs in write-back mode")
            check_eq(ul_counts(srv), (users, users), "(users, contacts) in memory")
            check_eq(row_count(pg), 0, "rows before the shutdown flush (write-back)")
            check_server_stops_cleanly(srv)
        check_eq(row_count(pg), users, "rows after the server stopped (shutdown flush)")
        check_rows(pg, expected_rows("u", users, contact_port), "rows after the stop")
        now = int(time.time())
        expires = {e for e in location_rows(pg).values()}
        check(all(now + 500 < e <= now + 600 for e in expires),
              f"absolute expires in the DB: {sorted(expires)[:3]} (now {now})")

        with db_server(pg, "write-back", write_back_interval=3600) as srv:
            check_eq(ul_counts(srv), (users, users), "(users, contacts) loaded at start")
            c = ul_contacts(srv, f"u{users}")
            check_eq([x["contact"] for x in c], [f"sip:u{users}@{LOOPBACK}:{contact_port}"],
                     "a loaded contact")
            check(500 < c[0]["expires"] <= 600, f"its expires: {c[0]}")
            with options_phone(contact_port, users) as phone:
                reached = reach_users(srv.port, users)
                at_phone = phone.wait(30)
            check_all_calls(reached, users, "OPTIONS to every user after the restart")
            check_eq(at_phone.successful, users, "OPTIONS answered by the phone")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)
        check_eq(row_count(pg), users, "rows after the second stop")


test_write_back_restart_keeps_every_registration.timeout = 180


def test_write_back_flushes_changes_removals_and_expiries_every_interval():
    users = 50
    contact_port = free_udp_port()
    with LocationDb() as pg:
        pg.init_schema()
        with db_server(pg, "write-back", registrar={"min_expires": 1}, write_back_interval=1,
                       timer_interval=1) as srv:
            check_all_calls(register_users(srv.port, users, contact_port, expires=600), users,
                            "REGISTERs")
            wait_rows(pg, users, 10)
            check_rows(pg, expected_rows("u", users, contact_port), "flushed rows")
            # ten users leave (Contact: *), one refreshes to a shorter interval
            for i in range(1, 11):
                with Phone(srv.addr, f"u{i}") as p:
                    check_status(p.unregister_all(), 200, f"unregister u{i}")
            with Phone(srv.addr, "u20") as p:
                r = p.register([f"<sip:u20@{LOOPBACK}:{contact_port}>"], expires=120)
                check_status(r, 200, "refresh of u20")
            wait_rows(pg, users - 10, 10)
            wait_rows(pg, 1, 10, where="WHERE username = 'u20' AND expires <= "
                                       f"{int(time.time()) + 120}")
            # a 2 s binding expires in memory, and its row goes too
            with Phone(srv.addr, "short") as p:
                check_status(p.register([p.contact()], expires=2), 200, "2 s registration")
            wait_rows(pg, 1, 10, where="WHERE username = 'short'")
            wait_rows(pg, 0, 15, where="WHERE username = 'short'")
            check(srv.stat("usrloc:expired_contacts") >= 1, "usrloc:expired_contacts")
            check_eq(srv.stat("usrloc:pending_writes"), 0, "usrloc:pending_writes")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


test_write_back_flushes_changes_removals_and_expiries_every_interval.timeout = 90


# ---------------------------------------------------------------- write-through, db-only
def test_write_through_change_is_in_the_db_when_the_register_is_answered():
    with LocationDb() as pg:
        pg.init_schema()
        with db_server(pg, "write-through", write_back_interval=3600) as srv, \
                Phone(srv.addr, "alice") as p:
            uri = f"sip:alice@{LOOPBACK}:{p.port}"
            check_status(p.register([p.contact()], expires=600), 200, "REGISTER")
            rows = location_rows(pg)
            check_eq(list(rows), [("alice", uri)], "rows when the 200 arrived")
            check(abs(rows[("alice", uri)] - (time.time() + 600)) < 5, f"expires {rows}")
            check_eq(pg.rows("SELECT callid, cseq, user_agent FROM location"),
                     [[p.call_id, "1", "sipline-test-phone"]], "callid, cseq, user agent")
            check_status(p.register([p.contact()], expires=60), 200, "refresh")
            check(abs(location_rows(pg)[("alice", uri)] - (time.time() + 60)) < 5,
                  f"expires after the refresh: {location_rows(pg)}")
            check_status(p.unregister_all(), 200, "unregister")
            check_eq(row_count(pg), 0, "rows when the 200 of the unregistration arrived")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


def test_db_only_registrations_live_in_the_db_and_survive_a_restart():
    with LocationDb() as pg:
        pg.init_schema()
        with db_server(pg, "db-only") as srv, Phone(srv.addr, "bob") as p:
            check_status(p.register([p.contact()], expires=600), 200, "REGISTER (db-only)")
            check_eq(row_count(pg), 1, "rows after the REGISTER")
            check_server_stops_cleanly(srv)
        with db_server(pg, "db-only") as srv, Phone(srv.addr, "bob") as p:
            # the binding is found after a restart, and a row written by someone else too
            pg.psql("INSERT INTO location (username, contact, expires) VALUES "
                    f"('carol', 'sip:carol@{LOOPBACK}:40201', {int(time.time()) + 600})")
            q = p.query()
            check_status(q, 200, "query after the restart")
            check_eq(len(contacts_of(q)), 1, f"bob's bindings after the restart: {q.raw}")
            check_eq([c["contact"] for c in ul_contacts(srv, "carol")],
                     [f"sip:carol@{LOOPBACK}:40201"], "carol, inserted into the DB")
            check_status(p.unregister_all(), 200, "unregister")
            check_eq(row_count(pg, where="WHERE username = 'bob'"), 0, "bob's rows")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


def _refused_contact_changes_nothing(mode):
    """RFC 3261 §10.3 step 7: one REGISTER removes a binding, adds one and adds a third
    whose instance is too long for its column: 400, and neither the memory nor the DB
    changed."""
    with LocationDb() as pg:
        pg.init_schema()
        with db_server(pg, mode) as srv, Phone(srv.addr, "atom") as p:
            old = p.contact("old", 40010)
            check_status(p.register([old], expires=600), 200, "REGISTER old")
            before = location_rows(pg)
            too_long = f';+sip.instance="<urn:uuid:{"x" * 300}>";reg-id=1'
            r = p.register([p.contact("old", 40010, ";expires=0"), p.contact("new", 40011),
                            p.contact("bad", 40012, too_long)], expires=600)
            check_status(r, 400, "REGISTER with a contact too long for the store")
            q = p.query()
            check_eq(sorted(c.uri for c in contacts_of(q)),
                     [f"sip:old@{LOOPBACK}:40010"], f"bindings after the refusal: {q.raw}")
            check_eq(location_rows(pg), before, "DB rows after the refusal")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


def test_write_through_register_with_a_refused_contact_changes_nothing():
    _refused_contact_changes_nothing("write-through")


def test_db_only_register_with_a_refused_contact_changes_nothing():
    _refused_contact_changes_nothing("db-only")


# ---------------------------------------------------------------- outages
def _register_in_background(port, count, contact_port, prefix, rate):
    out = {}

    def run():
        out["result"] = register_users(port, count, contact_port, prefix=prefix, rate=rate,
                                       name=f"register-{prefix}")
    t = threading.Thread(target=run)
    t.start()
    return t, out


def _postgres_stopped_in_the_middle(mode):
    count = scaled(300, 3000)
    rate = 100
    contact_port = free_udp_port()
    with LocationDb() as pg:
        pg.init_schema()
        with db_server(pg, mode) as srv:
            check_all_calls(register_users(srv.port, 20, contact_port, prefix="before"), 20,
                            "REGISTERs before the outage")
            wait_rows(pg, 20, 10)
            e0 = srv.stat("usrloc:db_errors")
            t, out = _register_in_background(srv.port, count, contact_port, "during", rate)
            time.sleep(0.5)
            pg.down()
            t.join(count / rate + 60)
            check_all_calls(out["result"], count, f"REGISTERs while PostgreSQL is down ({mode})")
            check(srv.stat("usrloc:db_errors") > e0, "usrloc:db_errors did not grow")
            check(srv.stat("usrloc:pending_writes") > 0,
                  "usrloc:pending_writes is 0 while PostgreSQL is down")
            check_eq(ul_counts(srv), (20 + count, 20 + count), "(users, contacts) in memory")
            check_workers_answer(srv)
            pg.up()
            took = wait_rows(pg, 20 + count, 30)
            check_rows(pg, expected_rows("before", 20, contact_port) |
                       expected_rows("during", count, contact_port), "rows after the outage")
            check_eq(srv.stat("usrloc:pending_writes"), 0, "usrloc:pending_writes")
            print(f"{mode}: {count} registrations reached PostgreSQL {took:.1f}s after it "
                  "came back")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


def test_db_only_new_aor_registered_by_two_workers_at_once_stays_within_max_contacts():
    """Two phones of one new AOR register at the same instant, each REGISTER handled by its own
    worker: the AOR has no row for SELECT ... FOR UPDATE to lock, so only the AOR's advisory
    lock keeps the second from also passing max_contacts 1. Each AOR ends with one row, and
    one of the two REGISTERs gets 503."""
    aors = 12
    with LocationDb() as pg:
        pg.init_schema()
        with db_server(pg, "db-only", registrar={"max_contacts": 1}) as srv:
            for i in range(aors):
                user = f"race{i}"
                with Phone(srv.addr, user) as a, Phone(srv.addr, user) as b:
                    reqs = [(p, p.register_request([p.contact()], expires=600)) for p in (a, b)]
                    for p, req in reqs:
                        p.send(req, srv.addr)
                    codes = sorted(p.expect_reply(3).status for p, _ in reqs)
                    check_eq(codes, [200, 503], f"replies to the two REGISTERs of {user}")
                    check_eq(row_count(pg, where=f"WHERE username = '{user}'"), 1,
                             f"rows of {user}")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


def test_postgres_stopped_during_registrations_write_back_loses_nothing():
    _postgres_stopped_in_the_middle("write-back")


def test_postgres_stopped_during_registrations_write_through_loses_nothing():
    _postgres_stopped_in_the_middle("write-through")


test_postgres_stopped_during_registrations_write_back_loses_nothing.timeout = 150
test_postgres_stopped_during_registrations_write_through_loses_nothing.timeout = 150


def _timed_register(srv, user):
    with Phone(srv.addr, user) as p:
        t0 = time.monotonic()
        r = p.register([p.contact()], expires=600, timeout=10)
        return r, time.monotonic() - t0


def _postgres_frozen(mode, bound_s):
    count = 12
    with LocationDb() as pg:
        pg.init_schema()
        with db_server(pg, mode) as srv:
            for i in range(3):
                check_status(_timed_register(srv, f"warm{i}")[0], 200, "REGISTER before")
            wait_rows(pg, 3, 10)
            pg.freeze()
            try:
                took = []
                for i in range(count):
                    r, dt = _timed_register(srv, f"frozen{i}")
                    check_status(r, 200, f"REGISTER {i} while PostgreSQL is frozen ({mode})")
                    took.append(dt)
                    check_workers_answer(srv)
                    time.sleep(0.4)  # past the reconnect back-off: the next one tries again
                print(f"{mode}, PostgreSQL frozen: REGISTER answered in "
                      f"{', '.join(f'{x * 1000:.0f}' for x in took)} ms")
                check(max(took) <= bound_s,
                      f"{mode}: a REGISTER took {max(took):.2f}s while PostgreSQL was frozen "
                      f"(bound {bound_s:.2f}s: db_query_timeout {QUERY_TIMEOUT_MS} ms + "
                      f"{MARGIN_S}s)")
                check_eq(ul_counts(srv)[0], 3 + count, "users in memory")
            finally:
                pg.thaw()
            wait_rows(pg, 3 + count, 30)
            check_eq(srv.stat("usrloc:pending_writes"), 0, "usrloc:pending_writes")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


def test_postgres_frozen_write_through_register_waits_at_most_the_query_timeout():
    _postgres_frozen("write-through", QUERY_TIMEOUT_MS / 1000 + MARGIN_S)


def test_postgres_frozen_write_back_register_is_answered_at_once():
    _postgres_frozen("write-back", MARGIN_S)


test_postgres_frozen_write_through_register_waits_at_most_the_query_timeout.timeout = 120
test_postgres_frozen_write_back_register_is_answered_at_once.timeout = 120


# ---------------------------------------------------------------- schema check at start
def _refused(pg, what):
    srv = db_server(pg, "write-back")
    try:
        srv.start()
    except ServerError:
        srv.stop(check_exit=False)
        return srv.log()
    srv.stop(check_exit=False)
    raise AssertionError(f"the server started with {what}")


def test_database_without_the_schema_or_with_another_version_is_refused_at_start():
    with LocationDb() as pg:
        log = _refused(pg, "an empty database")
        check("siplinectl db init" in log, f"the refusal does not say what to do:\n{log}")
        pg.init_schema()
        pg.psql("ALTER TABLE location RENAME TO location_old")
        log = _refused(pg, "no location table")
        check("location" in log, f"the refusal does not name the table:\n{log}")
        pg.psql("ALTER TABLE location_old RENAME TO location")
        pg.psql("UPDATE version SET table_version = 99 WHERE table_name = 'location'")
        log = _refused(pg, "location at version 99")
        check("location" in log and "99" in log, f"the refusal does not say why:\n{log}")
        pg.psql("UPDATE version SET table_version = 1 WHERE table_name = 'location'")
        pg.psql("ALTER TABLE location DROP COLUMN callid")
        log = _refused(pg, "location without its callid column")
        check("callid" in log, f"the refusal does not name the column:\n{log}")
