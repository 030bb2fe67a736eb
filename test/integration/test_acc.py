"""The acc module on the wire: sipp callers and callees through a stateful proxy running
test/integration/acc_proxy.routes (do_accounting("log|db", "cdr|missed|failed") on every new
call, the dialog module for CDRs), a throw-away PostgreSQL with the schema of `siplinectl db
init`, and a syslog socket the test binds.

  * calls ended by the caller, by the callee and by the dialog's timeout: one CDR row each
    (answer time, setup time, duration, who ended it, the extras), a "call ended" syslog
    record, nothing in missed_calls; a call still up at a stop: a "shutdown" CDR through the
    spool;
  * busy (486), cancelled (487), unanswered (408 from a short fr_inv_timeout): a failed
    transaction row in acc and a missed_calls row with that code, no CDR;
  * bad input: PostgreSQL down at start (the server starts, the records wait in the spool and
    arrive once it is up), spool_dir missing (start refused naming it), a bad pvar in
    db_extra (start refused), an extra column the table lacks (one clear error, the records
    kept in the spool and written once the column exists), a torn last spool line after a
    crash (skipped, the lines before it replayed);
  * the seed book's flag model (db_flag, db_missed_flag, failed_transaction_flag) and
    acc_db_request()/acc_log_request();
  * SIP fields PostgreSQL's text refuses as they are (a 300-byte Call-ID, a 0xff byte in the
    From user, a NUL): the row is written with U+FFFD in their place, nothing set aside;
  * do_accounting() again in a failure_route with more modes ("missed"): the missed_calls
    row of the failed call."""

import os
import socket
import threading
import time
import zlib

from acc_flows import (AccDb, SyslogSink, acc_rows, acc_server, near, row_count, spool_dir,
                       spool_line, wait_count)
from harness import (LOOPBACK, ServerError, UdpPeer, build_request, check, check_eq,
                     free_udp_port, parse_sip, recv_request, reply_to, scenario, sipp, wait_until)
from sipp_flows import call, callee, check_calls

# These tests mostly wait (database outages, restarts, dialog timers): they run beside
# the others (test/run_integration.py).
WAITS = True

TALK_MS = 2000
RING_MS = 1000


def _by_callid(rows):
    out = {}
    for r in rows:
        check(r["callid"] not in out, f"two rows for Call-ID {r['callid']}: {rows}")
        out[r["callid"]] = r
    return out


def _check_cdr(r, ended_by, talk_s, setup_s, t_start, t_end):
    check_eq(r["method"], "INVITE", "CDR method")
    check_eq(r["sip_code"], "200", "CDR sip_code")
    check_eq(r["ended_by"], ended_by, "CDR ended_by")
    check(r["from_tag"] and r["to_tag"], f"CDR tags: {r}")
    near(r["duration"], talk_s, 1, "CDR duration (s)")
    near(int(r["ms_duration"]) / 1000.0, talk_s, 1, "CDR ms_duration (s)")
    near(r["setuptime"], setup_s, 1, "CDR setuptime (s)")
    created, answered = float(r["created"]), float(r["time"])
    check(t_start - 1 <= created <= answered <= t_end + 1,
          f"CDR created {created} <= time {answered} within the run [{t_start}, {t_end}]")
    near(answered - created, setup_s, 1, "CDR time - created")
    check_eq((r["src_user"], r["dst_user"], r["src_ip"]), ("alice", "bob", "127.0.0.1"),
             "CDR extras (src_user, dst_user, src_ip)")


def test_calls_ended_by_caller_and_by_callee_make_one_cdr_each():
    calls = 2
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        with callee("tm_uas_call.xml", calls, "-d", str(RING_MS)) as uas, \
                acc_server(pg, sink, spool_dir(), uas.port) as srv:
            t0 = time.time()
            uac = call(srv.port, "tm_uac_call.xml", uas.port, calls, "-d", str(TALK_MS),
                       hard_timeout=60)
            check_calls(uac, calls, "caller-ended calls")
            t1 = time.time()
            wait_count(pg, "acc", calls, 10)
            rows = _by_callid(acc_rows(pg))
            for r in rows.values():
                _check_cdr(r, "caller", TALK_MS / 1000, RING_MS / 1000, t0, t1)
            check_calls(uas.wait(20), calls, "callee")
        with callee("dlg_uas_send_bye.xml", calls, "-d", str(TALK_MS)) as uas, \
                acc_server(pg, sink, spool_dir(), uas.port) as srv:
            t0 = time.time()
            uac = call(srv.port, "dlg_uac_wait_bye.xml", uas.port, calls, hard_timeout=60)
            check_calls(uac, calls, "callee-ended calls")
            t1 = time.time()
            wait_count(pg, "acc", 2 * calls, 10)
            new = [r for r in acc_rows(pg) if r["callid"] not in rows]
            check_eq(len(new), calls, "CDRs of the callee-ended calls")
            for r in new:
                _check_cdr(r, "callee", TALK_MS / 1000, 0, t0, t1)
            check_calls(uas.wait(20), calls, "callee")
            check_eq(srv.stat("acc:db_written"), calls, "acc:db_written")
            check_eq(srv.stat("acc:spooled"), 0, "acc:spooled")
        check_eq(row_count(pg, "missed_calls"), 0, "missed_calls rows")
        msgs = sink.wait_for(lambda m: sum("ACC: call ended:" in x for x in m) >= 2 * calls,
                             10, "syslog CDRs")
        ended = [m for m in msgs if "ACC: call ended:" in m]
        check(all(m.startswith("<134>") and " sipline[" in m for m in ended),
              f"RFC 3164 header (local0.info): {ended[0]!r}")
        for cid, r in rows.items():
            mine = [m for m in ended if f"call_id={cid};" in m]
            check_eq(len(mine), 1, f"syslog CDRs of Call-ID {cid}")
            check(";ended_by=caller" in mine[0] and ";code=200;" in mine[0] and
                  ";src_user=alice" in mine[0], f"syslog CDR: {mine[0]!r}")


test_calls_ended_by_caller_and_by_callee_make_one_cdr_each.timeout = 150


def test_call_ended_by_the_dialog_timeout_has_a_timeout_cdr():
    # Calls to "short" get $DLG_timeout = 2 and BYEs to both sides when it expires.
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        with callee("tm_uas_call.xml", 1) as uas, \
                acc_server(pg, sink, spool_dir(), uas.port) as srv:
            t0 = time.time()
            uac = call(srv.port, "dlg_uac_wait_bye.xml", uas.port, 1, "-s", "short",
                       hard_timeout=30)
            check_calls(uac, 1, "caller (BYE from the proxy answered)")
            check_calls(uas.wait(20), 1, "callee (BYE from the proxy answered)")
            wait_count(pg, "acc", 1, 10)
            r = acc_rows(pg)[0]
            check_eq((r["ended_by"], r["dst_user"]), ("timeout", "short"), "the CDR")
            near(r["duration"], 2, 1, "CDR duration (s)")
            check(t0 - 1 <= float(r["created"]) <= float(r["time"]) <= time.time() + 1,
                  f"CDR times: {r}")


test_call_ended_by_the_dialog_timeout_has_a_timeout_cdr.timeout = 90


def test_busy_cancelled_and_unanswered_calls_are_failed_and_missed():
    # fr_inv_timeout 2 s: the unanswered call ends in the proxy's 408.
    flows = [("busy", "tm_uac_busy.xml", "tm_uas_busy.xml", (), "486"),
             ("cancelled", "tm_uac_cancel.xml", "tm_uas_cancelled.xml", ("-d", "500"), "487"),
             ("unanswered", "tm_uac_noanswer.xml", "tm_uas_cancelled.xml", (), "408")]
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        uas_port = free_udp_port()
        with acc_server(pg, sink, spool_dir(), uas_port, tm={"fr_inv_timeout": 2}) as srv:
            want = {}
            for what, uac_xml, uas_xml, args, code in flows:
                with callee(uas_xml, 1, port=uas_port) as uas:
                    uac = call(srv.port, uac_xml, uas_port, 1, *args, hard_timeout=40)
                    check_calls(uac, 1, f"{what}: caller")
                    check_calls(uas.wait(20), 1, f"{what}: callee")
                wait_count(pg, "missed_calls", len(want) + 1, 10)
                new = [r for r in acc_rows(pg, "missed_calls") if r["callid"] not in want]
                check_eq(len(new), 1, f"{what}: missed_calls rows")
                want[new[0]["callid"]] = (what, code)
            missed = _by_callid(acc_rows(pg, "missed_calls"))
            failed = _by_callid(acc_rows(pg, "acc"))
            check_eq(sorted(failed), sorted(want), "Call-IDs of the failed-transaction rows")
            for cid, (what, code) in want.items():
                for table, r in (("missed_calls", missed[cid]), ("acc", failed[cid])):
                    check_eq((r["method"], r["sip_code"]), ("INVITE", code), f"{what} in {table}")
                    check(r["from_tag"] and r["acc_key"], f"{what} in {table}: {r}")
                    check_eq(r["src_user"], "alice", f"{what} in {table}: src_user")
                check(failed[cid]["duration"] is None and failed[cid]["ended_by"] is None,
                      f"{what}: a failed call has no CDR columns: {failed[cid]}")
            check_eq(srv.stat("acc:db_written"), 6, "acc:db_written")
        msgs = sink.wait_for(lambda m: sum("ACC: call missed:" in x for x in m) >= 3, 10,
                             "syslog missed calls")
        for cid, (what, code) in want.items():
            for kind in ("call missed", "transaction failed"):
                mine = [m for m in msgs if f"ACC: {kind}:" in m and f"call_id={cid};" in m]
                check_eq(len(mine), 1, f"{what}: syslog '{kind}'")
                check(f";code={code};" in mine[0], f"{what}: {mine[0]!r}")


test_busy_cancelled_and_unanswered_calls_are_failed_and_missed.timeout = 150


def test_db_down_at_start_the_server_starts_and_the_records_wait_in_the_spool():
    calls = 3
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        pg.down()
        spool = spool_dir()
        with callee("tm_uas_call.xml", calls) as uas, \
                acc_server(pg, sink, spool, uas.port) as srv:
            uac = call(srv.port, "tm_uac_call.xml", uas.port, calls, hard_timeout=40)
            check_calls(uac, calls, "calls while PostgreSQL is down")
            check(srv.wait_stat("acc:spool_records", lambda v: v == calls, 10) == calls,
                  "acc:spool_records while the DB is down")
            check_eq(srv.stat("acc:db_written"), 0, "acc:db_written while the DB is down")
            pg.up()
            wait_count(pg, "acc", calls, 20)
            check_eq(srv.stat("acc:replayed"), calls, "acc:replayed")
            check(srv.wait_stat("acc:spool_records", lambda v: v == 0, 5) == 0,
                  "acc:spool_records after the replay")
            check_calls(uas.wait(20), calls, "callee")
        log = srv.log()
        check("the DB does not take records" in log, "a log line tells the DB is down")
        check(os.path.getsize(os.path.join(spool, "acc.spool")) == 0,
              "the replayed spool is emptied")


test_db_down_at_start_the_server_starts_and_the_records_wait_in_the_spool.timeout = 120


def _start_fails(srv, what, needle):
    try:
        srv.start()
    except ServerError:
        log = srv.log()
        check(needle in log, f"{what}: the log does not say {needle!r}:\n{log[-2000:]}")
        return
    srv.stop()
    raise AssertionError(f"{what}: the server started")


def test_missing_spool_dir_or_bad_db_extra_refuse_the_start():
    with SyslogSink() as sink:
        # The last level is created; a missing parent refuses the start.
        missing = os.path.join(spool_dir(), "not-there", "acc")
        url = "postgres://sipline@127.0.0.1:9/sipline"

        class NoDb:
            pass
        pg = NoDb()
        pg.url = url
        _start_fails(acc_server(pg, sink, missing, 9), "a missing spool_dir", missing)
        _start_fails(acc_server(pg, sink, spool_dir(), 9, db_extra="src_user=$nosuchvar"),
                     "a bad pvar in db_extra", "db_extra")
        _start_fails(acc_server(pg, sink, spool_dir(), 9, db_extra="src_user=fU"),
                     "a db_extra value that is no pvar", "db_extra")


def test_extra_column_missing_in_the_table_keeps_the_records_in_the_spool():
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        with callee("tm_uas_call.xml", 2) as uas, \
                acc_server(pg, sink, spool_dir(), uas.port,
                           db_extra="src_user=$fU;peer_ip=$si") as srv:
            check_calls(call(srv.port, "tm_uac_call.xml", uas.port, 2, hard_timeout=40), 2,
                        "calls")
            check(srv.wait_stat("acc:spool_records", lambda v: v == 2, 10) == 2,
                  "records kept in the spool")
            check_eq(row_count(pg), 0, "rows while the column is missing")
            check_eq(srv.stat("acc:failed"), 0, "acc:failed")
            errors = [line for line in srv.log().splitlines() if "has no column peer_ip" in line]
            check_eq(len(errors), 1, "error lines about the missing column")
            pg.psql("ALTER TABLE acc ADD COLUMN peer_ip varchar(64)")
            wait_count(pg, "acc", 2, 25)
            check_eq(pg.scalar("SELECT count(*) FROM acc WHERE peer_ip = '127.0.0.1'"), 2,
                     "the extra column's values")
            check_calls(uas.wait(20), 2, "callee")


test_extra_column_missing_in_the_table_keeps_the_records_in_the_spool.timeout = 120


def test_a_call_up_at_a_stop_gets_a_shutdown_cdr_through_the_spool():
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        spool = spool_dir()
        uas_port = free_udp_port()
        with callee("dlg_uas_send_bye.xml", 1, "-d", "60000", port=uas_port,
                    hard_timeout=40) as uas:
            srv = acc_server(pg, sink, spool, uas_port)
            with srv:
                caller = threading.Thread(
                    target=lambda: call(srv.port, "dlg_uac_wait_bye.xml", uas.port, 1,
                                        hard_timeout=8), daemon=True)
                caller.start()
                check(wait_until(lambda: any(d.get("state") == "confirmed"
                                             for d in srv.mi("dlg_list")["dialogs"]), 10, 0.1),
                      "the call is answered")
                t_seen = time.time()  # the answer came before this
                time.sleep(1)
                t_stop = time.time()
            t_stopped = time.time()
            # Stopped with the call up: the dialog module ends it in the master, after the
            # writer is gone; the CDR waits in the spool.
            with open(os.path.join(spool, "acc.spool")) as f:
                lines = f.read().splitlines()
            check(len(lines) == 1 and "\tended_by=shutdown\t" in lines[0],
                  f"the spool after the stop: {lines}")
            check_eq(row_count(pg), 0, "rows before the restart")
            with acc_server(pg, sink, spool, uas_port) as srv2:
                wait_count(pg, "acc", 1, 15)
                r = acc_rows(pg)[0]
                check_eq((r["ended_by"], r["sip_code"]), ("shutdown", "200"), "the CDR")
                # The call ended while the server stopped (the stop takes its time: the
                # writer goes last), so answer + duration lies within the stop.
                answered = float(r["time"])
                ended = answered + int(r["ms_duration"]) / 1000.0
                check(answered <= t_seen + 0.05, f"answer time {answered} after {t_seen}")
                check(t_stop - 0.05 <= ended <= t_stopped + 0.05,
                      f"the CDR's end {ended:.3f} is not within the stop "
                      f"[{t_stop:.3f}, {t_stopped:.3f}]: {r}")
                check_eq(int(r["duration"]), int(int(r["ms_duration"]) / 1000.0 + 0.5),
                         "duration is ms_duration in s")
                check_eq(srv2.stat("acc:replayed"), 1, "acc:replayed")
            caller.join(30)


test_a_call_up_at_a_stop_gets_a_shutdown_cdr_through_the_spool.timeout = 120


# The seed book's flag model: no do_accounting(), flags named by the module parameters.
FLAG_ROUTES = """
route {
  if (has_totag()) {
    if (loose_route()) {
      t_relay();
    } else if (is_method("ACK") && t_check_trans()) {
      t_relay();
    }
    exit;
  }
  if (is_method("OPTIONS")) {
    acc_db_request("200 options seen", "acc");
    acc_log_request("options seen");
    sl_send_reply(200, "OK");
    exit;
  }
  t_check_trans();
  if (is_method("INVITE")) {
    record_route();
    setflag(1);
    setflag(2);
    setflag(3);
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}
"""


def test_flag_model_and_request_records():
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        uas_port = free_udp_port()
        with acc_server(pg, sink, spool_dir(), uas_port, routes_text=FLAG_ROUTES, db_flag=1,
                        db_missed_flag=2, failed_transaction_flag=3, log_flag=4) as srv:
            for uac_xml, uas_xml in (("tm_uac_call.xml", "tm_uas_call.xml"),
                                     ("tm_uac_busy.xml", "tm_uas_busy.xml")):
                with callee(uas_xml, 1, port=uas_port) as uas:
                    check_calls(call(srv.port, uac_xml, uas_port, 1, hard_timeout=30), 1,
                                uac_xml)
                    check_calls(uas.wait(20), 1, uas_xml)
            opts = sipp((LOOPBACK, srv.port), "-sf", scenario("options_uac.xml"), calls=2,
                        hard_timeout=20, name="options")
            check_calls(opts, 2, "OPTIONS")
            wait_count(pg, "acc", 4, 10)
            wait_count(pg, "missed_calls", 1, 10)
            rows = acc_rows(pg)
            got = sorted((r["method"], r["sip_code"], r["sip_reason"]) for r in rows)
            check_eq(got, [("INVITE", "200", "OK"), ("INVITE", "486", "Busy Here"),
                           ("OPTIONS", "200", "options seen"), ("OPTIONS", "200", "options seen")],
                     "acc rows (no BYE: it carries no flag; no CDR: no cdr_flag)")
            check(all(r["duration"] is None for r in rows), f"no CDR columns: {rows}")
            check_eq([r["sip_code"] for r in acc_rows(pg, "missed_calls")], ["486"],
                     "missed_calls")
        msgs = sink.wait_for(lambda m: sum("ACC: options seen:" in x for x in m) == 2, 10,
                             "syslog request records")
        check(not any("ACC: transaction" in m for m in msgs),
              "log_flag was never set: no transaction goes to syslog")


test_flag_model_and_request_records.timeout = 90


def test_torn_last_spool_line_after_a_crash_is_skipped_and_the_lines_before_replayed():
    def line(n):
        return spool_line("acc", [("acc_key", f"torn-test-{n}"), ("method", "INVITE"),
                                  ("callid", f"crash-{n}@test"), ("sip_code", "200"),
                                  ("sip_reason", "OK"), ("time", "2026-11-27 12:00:00.000+00")])
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        spool = spool_dir()
        torn = line(3)
        with open(os.path.join(spool, "acc.spool"), "w") as f:
            f.write(line(1) + line(2) + torn[:len(torn) // 2])
        with acc_server(pg, sink, spool, free_udp_port()) as srv:
            wait_count(pg, "acc", 2, 15)
            check_eq(sorted(r["callid"] for r in acc_rows(pg)), ["crash-1@test", "crash-2@test"],
                     "replayed rows")
            check(srv.wait_stat("acc:spool_records", lambda v: v == 0, 5) == 0,
                  "acc:spool_records")
            torn_logs = [x for x in srv.log().splitlines() if "torn line" in x]
            check_eq(len(torn_logs), 1, "log lines about the torn line")


test_torn_last_spool_line_after_a_crash_is_skipped_and_the_lines_before_replayed.timeout = 60


def test_syslog_only_needs_no_database_and_no_spool():
    class NoDb:
        url = ""
    with SyslogSink() as sink:
        with callee("tm_uas_call.xml", 1) as uas, \
                acc_server(NoDb(), sink, "/nonexistent/acc", uas.port, backends="log") as srv:
            check_calls(call(srv.port, "tm_uac_call.xml", uas.port, 1, "-d", "1000",
                             hard_timeout=30), 1, "caller")
            check_calls(uas.wait(20), 1, "callee")
            msgs = sink.wait_for(lambda m: any("ACC: call ended:" in x for x in m), 10,
                                 "the syslog CDR")
            cdr = [m for m in msgs if "ACC: call ended:" in m][0]
            check(";ended_by=caller" in cdr and (";duration=1;" in cdr or ";duration=2;" in cdr),
                  f"syslog CDR (1 s of talk): {cdr!r}")
            check_eq(srv.stat("acc:log_written"), 1, "acc:log_written")
            check_eq(srv.stat("acc:spooled") + srv.stat("acc:db_written"), 0, "rows")


def _sip_options(port, call_id, from_user, from_tag):
    """Sends one OPTIONS (bytes as given) over UDP; returns the reply's first line."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.settimeout(5)
        lport = sock.getsockname()[1]
        msg = (b"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
               b"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-bad-%d\r\n"
               b"From: <sip:%s@example.org>;tag=%s\r\n"
               b"To: <sip:bob@127.0.0.1>\r\n"
               b"Call-ID: %s\r\n"
               b"CSeq: 1 OPTIONS\r\n"
               b"Max-Forwards: 70\r\n"
               b"Content-Length: 0\r\n\r\n") % (lport, len(call_id), from_user, from_tag,
                                                   call_id)
        sock.sendto(msg, (LOOPBACK, port))
        try:
            return sock.recv(65535).split(b"\r\n", 1)[0]
        except socket.timeout:
            return b""


def test_fields_postgres_would_refuse_are_written_with_replacement_characters():
    fffd = "\ufffd"
    # 300 bytes with a 0xff and a NUL (the parser takes the Call-ID's bytes as they are; it
    # refuses a 0xff in a URI's user part, so that never reaches acc).
    long_id = b"L" * 280 + b"\xff\x00" + b"z" * 8 + b"@long.test"
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        spool = spool_dir()
        # A spool line as an older version wrote it: a NUL (the "\x00" escape) and a raw 0xff
        # byte in its values.
        body = (b"A1\tacc\tacc_key=bad-bytes-1\tmethod=INVITE\tcallid=nul\\x00@spool"
                b"\tfrom_tag=f\xff1\tsip_code=200\tsip_reason=OK\t"
                b"time=2026-11-27 12:00:00.000+00\tsrc_user=a\\x00b")
        with open(os.path.join(spool, "acc.spool"), "wb") as f:
            f.write(body + b"\t#%08x\n" % zlib.crc32(body))
        with acc_server(pg, sink, spool, free_udp_port(), routes_text=FLAG_ROUTES,
                        db_flag=1) as srv:
            first = _sip_options(srv.port, long_id, b"alice", b"t\xfe1")
            check(first.startswith(b"SIP/2.0 200"), f"reply to the OPTIONS: {first!r}")
            wait_count(pg, "acc", 2, 15)
            rows = {r["callid"]: r for r in acc_rows(pg)}
            live_id = "L" * 280 + fffd + fffd + "z" * 8 + "@long.test"
            live = rows.get(live_id)
            check(live is not None, f"the row of the 300-byte Call-ID: {sorted(rows)}")
            check_eq((live["src_user"], live["from_tag"], live["sip_reason"]),
                     ("alice", f"t{fffd}1", "options seen"), "the live row")
            spooled = rows.get(f"nul{fffd}@spool")
            check(spooled is not None, f"the replayed row with a NUL: {sorted(rows)}")
            check_eq((spooled["from_tag"], spooled["src_user"]), (f"f{fffd}1", f"a{fffd}b"),
                     "the replayed row")
            check_eq(srv.stat("acc:failed"), 0, "acc:failed")
            check(srv.wait_stat("acc:spool_records", lambda v: v == 0, 5) == 0,
                  "acc:spool_records")
        check(not os.path.exists(os.path.join(spool, "acc.rejected")),
              "nothing is set aside in acc.rejected")


test_fields_postgres_would_refuse_are_written_with_replacement_characters.timeout = 60


# do_accounting("db") on the INVITE, do_accounting("db", "missed") again when it fails: tm
# attaches acc again and keeps the new modes.
FAILURE_ROUTES = """
route {
  if (has_totag()) {
    if (is_method("ACK") && t_check_trans()) {
      t_relay();
    }
    exit;
  }
  t_check_trans();
  if (is_method("INVITE")) {
    do_accounting("db");
    t_on_failure("missed");
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}

failure_route[missed] {
  do_accounting("db", "missed");
}
"""


def test_do_accounting_in_failure_route_adds_the_missed_call():
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        uas_port = free_udp_port()
        with acc_server(pg, sink, spool_dir(), uas_port, routes_text=FAILURE_ROUTES) as srv:
            with callee("tm_uas_busy.xml", 1, port=uas_port) as uas:
                check_calls(call(srv.port, "tm_uac_busy.xml", uas_port, 1, hard_timeout=30), 1,
                            "busy call")
                check_calls(uas.wait(20), 1, "busy callee")
            wait_count(pg, "missed_calls", 1, 10)
            r = acc_rows(pg, "missed_calls")[0]
            check_eq((r["method"], r["sip_code"], r["src_user"]), ("INVITE", "486", "alice"),
                     "the missed call")
            check(r["to_tag"], f"the missed call has the 486's To tag: {r}")
            # "db" alone records no failed transaction; the re-attach replaced, not added.
            time.sleep(0.5)
            check_eq(row_count(pg, "acc"), 0, "acc rows")
            check_eq(srv.stat("acc:records"), 1, "acc:records")
            check_eq(srv.stat("acc:failed"), 0, "acc:failed")


test_do_accounting_in_failure_route_adds_the_missed_call.timeout = 60


def _in_dialog(method, invite, reply, to, cseq, caller_port, callee_port):
    """An in-dialog request of the caller of SipMsg `invite` to the callee (the hand-made
    callee's Contact has no port), along the Record-Route of SipMsg `reply`, with To `to`."""
    target = f"sip:bob@{LOOPBACK}:{callee_port}"
    route = reply.get("record-route")
    return build_request(method, target, caller_port, call_id=invite.get("call-id"),
                         cseq=f"{cseq} {method}", omit=("From", "To"),
                         extra=(f"From: {invite.get('from')}", f"To: {to}", f"Route: {route}"))


def test_a_bye_before_the_answer_does_not_leave_the_answered_call_unbilled():
    """A caller BYEs the early dialog with a To tag no one sent (the callee answers 481), then
    the call is answered and talks: it still gets its CDR, with the talk time."""
    with AccDb() as pg, SyslogSink() as sink, UdpPeer() as uas, UdpPeer() as uac:
        pg.init_schema()
        with acc_server(pg, sink, spool_dir(), uas.port) as srv:
            ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
            invite = build_request("INVITE", ruri, uac.port)
            uac.send(invite, srv.addr)
            sent = parse_sip(invite)
            inv, at = recv_request(uas, "INVITE")
            uas.send(reply_to(inv, 180, "Ringing", "real"), at)
            ringing = uac.expect_reply(3, skip_provisional=False)
            while ringing is not None and ringing.status == 100:
                ringing = uac.expect_reply(3, skip_provisional=False)
            check(ringing is not None and ringing.status == 180, f"180: {ringing}")
            uac.send(_in_dialog("BYE", sent, ringing, f"<{ruri}>;tag=forged", 2, uac.port, uas.port),
                     srv.addr)
            bye, bye_at = recv_request(uas, "BYE")
            uas.send(reply_to(bye, 481, "Call/Transaction Does Not Exist"), bye_at)
            check_eq(uac.expect_reply(3).status, 481, "the forged BYE's reply")
            uas.send(reply_to(inv, 200, "OK", "real"), at)
            ok = uac.expect_reply(3)
            check(ok is not None and ok.status == 200, f"200: {ok}")
            t_answer = time.time()
            uac.send(_in_dialog("ACK", sent, ok, ok.get("to"), 1, uac.port, uas.port), srv.addr)
            recv_request(uas, "ACK")
            time.sleep(1.5)
            uac.send(_in_dialog("BYE", sent, ok, ok.get("to"), 3, uac.port, uas.port), srv.addr)
            bye, bye_at = recv_request(uas, "BYE")
            uas.send(reply_to(bye, 200, "OK"), bye_at)
            t_end = time.time()
            check_eq(uac.expect_reply(3).status, 200, "the real BYE's reply")
            where = f"WHERE callid = '{sent.get('call-id')}' AND method = 'INVITE'"
            wait_count(pg, "acc", 1, 10, where)
            cdr = acc_rows(pg, "acc", where)[0]
            check_eq((cdr["sip_code"], cdr["ended_by"]), ("200", "caller"), "the CDR")
            near(int(cdr["ms_duration"]) / 1000.0, t_end - t_answer, 0.5, "talk time (s)")
            check_eq(srv.stat("dialog:late_answers"), 0, "late answers")
