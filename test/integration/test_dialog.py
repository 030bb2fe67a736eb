"""The dialog module on the wire: sipp callers and callees through a stateful proxy running
test/integration/dlg_proxy.routes (create_dialog("B") on every INVITE, a profile of two
concurrent calls per caller, in-dialog requests matched by loose_route()).  Calls ended by the
caller and by the callee with dlg_list showing them confirmed meanwhile and gone after; a
dialog timeout whose BYEs both sipp sides expect; the profile limit refusing a third call;
dlg_end_dlg; write-back persistence in a throw-away PostgreSQL across a restart in the middle
of a call (and a BYE that came before the late load of its dialog, the DB down at start);
in-dialog requests that match no dialog."""

import os
import threading
import time

from harness import (LOOPBACK, ROOT, UdpPeer, build_request, check, check_eq, free_udp_port,
                     wait_until)
from sipp_flows import call, callee, check_calls, proxy, tm_modules

# These tests mostly wait (database outages, restarts, dialog timers): they run beside
# the others (test/run_integration.py).
WAITS = True

ROUTES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dlg_proxy.routes")
SQL = os.path.join(ROOT, "scripts", "sql")


def _routes():
    with open(ROUTES_FILE) as f:
        return f.read()


def _server(uas_port, **dialog):
    params = {"hash_size": 256, "profiles_with_value": '"caller"',
              "profiles_no_value": '"calls"'}
    params.update(dialog)
    text = " ".join(f"{k} = {v};" for k, v in params.items())
    db = "db_postgres = {}; " if "db_url" in params else ""
    return proxy(_routes(), uas_port=uas_port, name="dlg",
                 modules=tm_modules(extra=f"textops = {{}}; {db}dialog = {{ {text} }};"))


def _dialogs(srv):
    res = srv.mi("dlg_list")
    check(isinstance(res, dict) and "dialogs" in res, f"dlg_list returned {res!r}")
    check_eq(res["count"], len(res["dialogs"]), "dlg_list count")
    return res["dialogs"]


def _wait_dialogs(srv, pred, timeout, what):
    last = [None]

    def probe():
        last[0] = _dialogs(srv)
        return pred(last[0])
    check(wait_until(probe, timeout, 0.1), f"{what}: dlg_list shows {last[0]}")
    return last[0]


def _confirmed(n):
    return lambda ds: len(ds) == n and all(d["state"] == "confirmed" for d in ds)


class _Background:
    """A sipp caller run in a thread (the test polls the proxy meanwhile)."""

    def __init__(self, fn):
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn):
        self.result = fn()

    def join(self, timeout):
        self.thread.join(timeout)
        check(not self.thread.is_alive(), "the sipp caller did not finish")
        return self.result


def test_call_ended_by_the_caller_is_confirmed_during_and_gone_after():
    with callee("tm_uas_call.xml", 1) as uas, _server(uas.port) as srv:
        # 5 s of talk: time enough for the MI calls below while the call is up.
        uac = _Background(lambda: call(srv.port, "tm_uac_call.xml", uas.port, 1, "-d", "5000",
                                       hard_timeout=30))
        ds = _wait_dialogs(srv, _confirmed(1), 10, "during the call")
        d = ds[0]
        check(d["from_uri"].startswith("sip:alice@") and d["to_tag"] and d["from_tag"],
              f"the dialog's identity: {d}")
        check_eq([(p["name"], p["value"]) for p in sorted(d["profiles"], key=str)],
                 [("caller", "alice"), ("calls", "")], "profiles of the call")
        check_eq(d["values"], {"callee": "bob"}, "dialog values")
        check_eq([x["id"] for x in srv.mi("dlg_list", {"callid": d["callid"]})["dialogs"]],
                 [d["id"]], "dlg_list of the call's Call-ID")
        check_eq(srv.mi("dlg_list", {"callid": "no-such-call"})["dialogs"], [],
                 "dlg_list of an unknown Call-ID")
        check_eq(srv.mi("profile_get_size", {"profile": "caller", "value": "alice"})["count"], 1,
                 "profile_get_size caller alice during the call")
        check_calls(uac.join(40), 1, "caller")
        check_calls(uas.wait(20), 1, "callee")
        _wait_dialogs(srv, lambda ds: ds == [], 5, "after the caller's BYE")
        check_eq(srv.mi("profile_get_size", {"profile": "calls"})["count"], 0,
                 "profile_get_size calls after the call")
        stats = srv.stats(["dialog:"])
        check_eq((stats.get("dialog:processed_dialogs"), stats.get("dialog:active_dialogs"),
                  stats.get("dialog:early_dialogs")), (1, 0, 0),
                 f"processed, active, early dialogs ({stats})")


def test_call_ended_by_the_callee_is_gone_after_its_bye():
    with callee("dlg_uas_send_bye.xml", 1, "-d", "2000") as uas, _server(uas.port) as srv:
        uac = _Background(lambda: call(srv.port, "dlg_uac_wait_bye.xml", uas.port, 1,
                                       hard_timeout=30))
        _wait_dialogs(srv, _confirmed(1), 10, "during the call")
        check_calls(uac.join(40), 1, "caller")
        check_calls(uas.wait(20), 1, "callee")
        _wait_dialogs(srv, lambda ds: ds == [], 5, "after the callee's BYE")
        check_eq(srv.stat("dialog:expired_dialogs"), 0, "expired dialogs")


def test_dialog_timeout_sends_bye_to_both_sides():
    # Calls to "short" get $DLG_timeout = 2: neither side hangs up, both expect the BYE and
    # check its request-URI, tags, CSeq and Route.
    with callee("dlg_uas_wait_bye.xml", 1) as uas, _server(uas.port) as srv:
        start = time.monotonic()
        uac = _Background(lambda: call(srv.port, "dlg_uac_wait_bye.xml", uas.port, 1,
                                       "-s", "short", hard_timeout=30))
        ds = _wait_dialogs(srv, _confirmed(1), 10, "during the call")
        check(0 <= ds[0]["timeout"] <= 2 and ds[0]["bye_on_timeout"], f"timeout: {ds[0]}")
        check_calls(uac.join(40), 1, "caller (BYE from the proxy answered)")
        check_calls(uas.wait(20), 1, "callee (BYE from the proxy answered)")
        elapsed = time.monotonic() - start
        check(2.0 <= elapsed < 12, f"the call lasted {elapsed:.1f}s with a 2 s timeout")
        check_eq(_dialogs(srv), [], "dialogs after the timeout")
        check_eq(srv.stat("dialog:expired_dialogs"), 1, "expired dialogs")


def test_profile_limits_a_caller_to_two_concurrent_calls():
    with callee("tm_uas_call.xml", 2) as uas, _server(uas.port) as srv:
        uac = _Background(lambda: call(srv.port, "tm_uac_call.xml", uas.port, 2, "-d", "3000",
                                       "-l", "2", "-r", "10", hard_timeout=30))
        _wait_dialogs(srv, _confirmed(2), 10, "two calls up")
        check_eq(srv.mi("profile_get_size", {"profile": "caller", "value": "alice"})["count"], 2,
                 "calls of alice")
        with UdpPeer() as peer:
            ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
            peer.send(build_request("INVITE", ruri, peer.port), srv.addr)
            reply = peer.expect_reply(3)
            check_eq(reply.status, 486, f"third concurrent call of alice: {reply!r}")
        check_eq(len(_dialogs(srv)), 2, "no dialog for the refused call")
        check_calls(uac.join(40), 2, "caller")
        check_calls(uas.wait(20), 2, "callee")
        _wait_dialogs(srv, lambda ds: ds == [], 5, "after both calls")
        check_eq(srv.mi("profile_get_size", {"profile": "caller"})["count"], 0, "profile after")


def test_dlg_end_dlg_ends_a_call_with_byes():
    with callee("dlg_uas_wait_bye.xml", 1) as uas, _server(uas.port) as srv:
        uac = _Background(lambda: call(srv.port, "dlg_uac_wait_bye.xml", uas.port, 1,
                                       hard_timeout=30))
        ds = _wait_dialogs(srv, _confirmed(1), 10, "during the call")
        res = srv.mi("dlg_end_dlg", {"id": ds[0]["id"]})
        check_eq(res.get("ended"), True, f"dlg_end_dlg: {res}")
        check_calls(uac.join(40), 1, "caller (BYE from the proxy answered)")
        check_calls(uas.wait(20), 1, "callee (BYE from the proxy answered)")
        check_eq(_dialogs(srv), [], "dialogs after dlg_end_dlg")
        try:
            srv.mi("dlg_end_dlg", {"id": ds[0]["id"]})
            check(False, "dlg_end_dlg of an ended dialog succeeded")
        except Exception as e:  # MIError: no such dialog
            check("no dialog" in str(e), f"dlg_end_dlg of an ended dialog: {e}")


def test_in_dialog_requests_of_no_dialog_match_nothing():
    with UdpPeer() as next_hop, _server(free_udp_port()) as srv:
        target = f"sip:bob@{LOOPBACK}:{next_hop.port}"
        routes = [f"<sip:{LOOPBACK}:{srv.port};lr;did=4294967297>",        # no such dialog
                  f"<sip:{LOOPBACK}:{srv.port};lr;did=99999999999999999999999>",  # overflows
                  f"<sip:{LOOPBACK}:{srv.port};lr;did=>",
                  f"<sip:{LOOPBACK}:{srv.port};lr;did=x;did>"]
        with UdpPeer() as peer:
            for route in routes:
                msg = build_request("BYE", target, peer.port, omit=("To",),
                                    extra=(f"To: <{target}>;tag=nosuch", f"Route: {route}"))
                peer.send(msg, srv.addr)
                got, _ = next_hop.recv_msg(3)
                check(got is not None, f"the BYE with Route {route} was not relayed")
                check_eq(got.get("x-dialog"), "none", f"X-Dialog of a BYE with Route {route}")
        check(srv.alive(), "the server survived")
        check_eq(_dialogs(srv), [], "dialogs")
        check_eq(srv.stat("dialog:processed_dialogs"), 0, "dialogs created")


def test_busy_and_cancelled_calls_leave_no_dialog():
    # A 486 ends the dialog unanswered; a call cancelled while ringing is early meanwhile and
    # ends with the 487.
    with callee("tm_uas_busy.xml", 1) as uas, _server(uas.port) as srv:
        check_calls(call(srv.port, "tm_uac_busy.xml", uas.port, 1, hard_timeout=20), 1,
                    "busy caller")
        check_calls(uas.wait(20), 1, "busy callee")
        check_eq(_dialogs(srv), [], "dialogs after the 486")
    with callee("tm_uas_cancelled.xml", 1) as uas, _server(uas.port) as srv:
        # Rings for 5 s before the CANCEL: time enough for the checks while it is early.
        uac = _Background(lambda: call(srv.port, "tm_uac_cancel.xml", uas.port, 1, "-d", "5000",
                                       hard_timeout=30))
        ds = _wait_dialogs(srv, lambda ds: len(ds) == 1 and ds[0]["state"] == "early", 5,
                           "while ringing")
        check_eq(ds[0]["to_tag"], "", "to tag of an early dialog")
        check_eq(srv.stat("dialog:early_dialogs"), 1, "early dialogs while ringing")
        check_calls(uac.join(30), 1, "cancelling caller")
        check_calls(uas.wait(20), 1, "cancelled callee")
        _wait_dialogs(srv, lambda ds: ds == [], 5, "after the 487")
        stats = srv.stats(["dialog:"])
        check_eq((stats.get("dialog:failed_dialogs"), stats.get("dialog:early_dialogs"),
                  stats.get("dialog:active_dialogs")), (1, 0, 0),
                 f"failed, early, active dialogs ({stats})")


def _pg_with_schema():
    import pgserver  # noqa: E402  (only the persistence test needs PostgreSQL)
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        pg.psql_file(os.path.join(SQL, "dialog.sql"))
    except Exception:
        pg.stop()
        raise
    return pg


def test_write_back_dialog_survives_a_restart_and_its_bye_still_ends_it():
    pg = _pg_with_schema()
    try:
        with callee("tm_uas_call.xml", 1) as uas:
            srv = _server(uas.port, db_mode='"write-back"', db_url=f'"{pg.url}"',
                          db_flush_interval=1)
            with srv:
                # 14 s of talk: the stop and the restart happen inside the call.
                uac = _Background(lambda: call(srv.port, "tm_uac_call.xml", uas.port, 1,
                                               "-d", "14000", hard_timeout=60))
                before = _wait_dialogs(srv, _confirmed(1), 10, "during the call")[0]
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog WHERE state = 3")
                                 == "1", 5, 0.2), "the confirmed dialog's row in the DB")
                srv.stop()
                check_eq(pg.psql("SELECT count(*) FROM dialog"), "1", "rows after the stop")
                srv.returncode = None
                srv.start()
                after = _wait_dialogs(srv, _confirmed(1), 5, "after the restart")[0]
                for key in ("id", "callid", "from_tag", "to_tag", "profiles", "values"):
                    check_eq(after[key], before[key], f"{key} of the reloaded dialog")
                check(after["timeout"] > 40000, f"timeout of the reloaded dialog: {after}")
                check_eq(srv.mi("profile_get_size", {"profile": "caller", "value": "alice"})
                         ["count"], 1, "profile counted again after the reload")
                check(uac.thread.is_alive(), "the call ended before the restart was done")
                check_calls(uac.join(70), 1, "caller (its BYE after the restart)")
                check_calls(uas.wait(20), 1, "callee")
                _wait_dialogs(srv, lambda ds: ds == [], 5, "after the BYE")
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog") == "0", 5, 0.2),
                      "the ended dialog's row deleted")
    finally:
        pg.stop()


test_write_back_dialog_survives_a_restart_and_its_bye_still_ends_it.timeout = 120


def test_write_back_calls_flow_while_postgres_is_down_and_rows_follow():
    pg = _pg_with_schema()
    try:
        with callee("tm_uas_call.xml", 1) as uas:
            with _server(uas.port, db_mode='"write-back"', db_url=f'"{pg.url}"',
                         db_flush_interval=1) as srv:
                pg.down()
                start = time.monotonic()
                uac = _Background(lambda: call(srv.port, "tm_uac_call.xml", uas.port, 1,
                                               "-d", "6000", hard_timeout=40))
                _wait_dialogs(srv, _confirmed(1), 5, "a call while PostgreSQL is down")
                setup = time.monotonic() - start
                check(setup < 3, f"call setup took {setup:.1f}s with the DB down")
                check(wait_until(lambda: srv.stat("dialog:db_errors") > 0, 5, 0.2),
                      "dialog:db_errors while the DB is down")
                pg.up()
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog WHERE state = 3")
                                 == "1", 15, 0.3), "the dialog's row once the DB is back")
                check_calls(uac.join(50), 1, "caller")
                check_calls(uas.wait(20), 1, "callee")
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog") == "0", 10, 0.3),
                      "the ended dialog's row deleted")
    finally:
        pg.stop()


test_write_back_calls_flow_while_postgres_is_down_and_rows_follow.timeout = 90


def test_write_back_start_with_postgres_down_loads_the_dialogs_once_it_is_back():
    pg = _pg_with_schema()
    try:
        with callee("tm_uas_call.xml", 1) as uas:
            srv = _server(uas.port, db_mode='"write-back"', db_url=f'"{pg.url}"',
                          db_flush_interval=1)
            with srv:
                # 14 s of talk: the stop, the restart and the late load happen inside the call.
                uac = _Background(lambda: call(srv.port, "tm_uac_call.xml", uas.port, 1,
                                               "-d", "14000", hard_timeout=60))
                before = _wait_dialogs(srv, _confirmed(1), 10, "during the call")[0]
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog WHERE state = 3")
                                 == "1", 5, 0.2), "the confirmed dialog's row in the DB")
                srv.stop()
                pg.down()
                srv.returncode = None
                srv.start()  # the DB is down: the server starts all the same
                check_eq(_dialogs(srv), [], "dialogs before the DB is back")
                pg.up()
                after = _wait_dialogs(srv, _confirmed(1), 10, "once the DB is back")[0]
                for key in ("id", "callid", "from_tag", "to_tag", "profiles"):
                    check_eq(after[key], before[key], f"{key} of the late-loaded dialog")
                check(uac.thread.is_alive(), "the call ended before the late load")
                check_calls(uac.join(70), 1, "caller (its BYE after the late load)")
                check_calls(uas.wait(20), 1, "callee")
                _wait_dialogs(srv, lambda ds: ds == [], 5, "after the BYE")
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog") == "0", 10, 0.3),
                      "the ended dialog's row deleted")
    finally:
        pg.stop()


test_write_back_start_with_postgres_down_loads_the_dialogs_once_it_is_back.timeout = 120


def test_write_back_bye_before_the_late_load_ends_the_loaded_dialog():
    # The server restarts with PostgreSQL down; the caller hangs up before the DB is back. The
    # BYE matches nothing then; once the last run's dialogs are loaded, it ends its call
    # (which would otherwise live for default_timeout: a 12 h CDR).
    pg = _pg_with_schema()
    try:
        with callee("tm_uas_call.xml", 1) as uas:
            srv = _server(uas.port, db_mode='"write-back"', db_url=f'"{pg.url}"',
                          db_flush_interval=1)
            with srv:
                uac = _Background(lambda: call(srv.port, "tm_uac_call.xml", uas.port, 1,
                                               "-d", "10000", hard_timeout=60))
                _wait_dialogs(srv, _confirmed(1), 10, "during the call")
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog WHERE state = 3")
                                 == "1", 5, 0.2), "the confirmed dialog's row in the DB")
                srv.stop()
                pg.down()
                srv.returncode = None
                srv.start()
                check(uac.thread.is_alive(), "the call ended before the restart was done")
                check_calls(uac.join(40), 1, "caller (its BYE while the DB is down)")
                check_calls(uas.wait(20), 1, "callee")
                check_eq(_dialogs(srv), [], "dialogs before the DB is back")
                pg.up()
                check(wait_until(lambda: pg.psql("SELECT count(*) FROM dialog") == "0", 15, 0.3),
                      "the row of the call its BYE ended, once the DB is back")
                check_eq(_dialogs(srv), [], "dialogs after the late load")
                stats = srv.stats(["dialog:"])
                check_eq((stats.get("dialog:active_dialogs"), stats.get("dialog:expired_dialogs")),
                         (0, 0), f"active, expired dialogs after the late load ({stats})")
    finally:
        pg.stop()


test_write_back_bye_before_the_late_load_ends_the_loaded_dialog.timeout = 120
