"""acc when PostgreSQL fails (issue 11, "nothing lost"): the proxy of acc_proxy.routes with
CDRs to a throw-away PostgreSQL.

  * PostgreSQL stopped in the middle of a run of calls, the server restarted while it is
    still down (after the calls of the first run ended, so their records are in the spool),
    a second run against the new server, then PostgreSQL started again: every call sipp
    completed has exactly one CDR, none twice (1,000 calls; 10,000 under SIPLINE_SOAK=1);
  * PostgreSQL frozen with SIGSTOP for 20 s and more during a bounded run: sipp completes
    every call within calls/rate + 3 s without one retransmission (no worker waits for the
    DB) and every record arrives after SIGCONT.

Both use a 500 ms query and connect timeout (the other acc tests 2000 ms) and check that no
record was refused (acc:failed 0, no acc.rejected)."""

import os
import threading
import time

from acc_flows import AccDb, SyslogSink, acc_server, row_count, spool_dir, wait_count
from harness import check, check_eq, free_udp_port, scaled
from sipp_flows import call, callee, check_calls

# These tests mostly wait (database outages, restarts, dialog timers): they run beside
# the others (test/run_integration.py).
WAITS = True

RATE = 100  # calls per second
FREEZE_S = scaled(8, 20)  # PostgreSQL frozen at least this long (16x the query timeout)
OUTAGE = {"db_query_timeout": 500, "db_connect_timeout": 500}


class _Background:
    def __init__(self, fn):
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except Exception as e:  # re-raised by join()
            self.error = e

    def join(self, timeout):
        self.thread.join(timeout)
        check(not self.thread.is_alive(), "the sipp caller did not finish")
        if self.error is not None:
            raise self.error
        return self.result


def _run_calls(srv, uas_port, calls, during=None, hard_timeout=None, rate=RATE):
    """`calls` caller-ended calls at `rate`/s through srv; `during()` runs meanwhile.
    Returns (caller result, callee result, seconds the caller ran)."""
    budget = hard_timeout or int(calls / rate) + 60
    with callee("tm_uas_answer.xml", calls, port=uas_port, hard_timeout=budget + 20) as uas:
        t0 = time.monotonic()
        run = _Background(lambda: call(srv.port, "tm_uac_call.xml", uas_port, calls, "-r",
                                       str(rate), "-l", str(2 * rate), hard_timeout=budget))
        if during is not None:
            during()
        uac = run.join(budget + 10)
        took = time.monotonic() - t0
        check_calls(uac, calls, "caller")
        uas_result = uas.wait(30)
        check_calls(uas_result, calls, "callee")
    return uac, uas_result, took


def _check_nothing_refused(srv, spool):
    check_eq(srv.stat("acc:failed"), 0, "acc:failed")
    check(not os.path.exists(os.path.join(spool, "acc.rejected")),
          "no record was set aside (acc.rejected)")


def _check_one_cdr_per_call(pg, total):
    check_eq(row_count(pg), total, "CDRs")
    check_eq(pg.scalar("SELECT count(DISTINCT callid) FROM acc"), total, "distinct Call-IDs")
    check_eq(pg.scalar("SELECT count(*) FROM acc WHERE ended_by = 'caller' AND "
                       "sip_code = 200 AND duration IS NOT NULL"), total, "complete CDRs")


def test_postgres_stopped_and_server_restarted_meanwhile_loses_no_cdr():
    total = scaled(1000, 10000)
    first, second = total // 2, total - total // 2
    uas_port = free_udp_port()
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        spool = spool_dir()
        with acc_server(pg, sink, spool, uas_port, backends="db", **OUTAGE) as srv:
            def outage():
                # Stop PostgreSQL once about a third of the first run is through.
                time.sleep(first / RATE / 3)
                pg.down()
            _run_calls(srv, uas_port, first, during=outage)
            check(srv.wait_stat("acc:spool_records", lambda v: v > 0, 10) > 0,
                  "records spooled while PostgreSQL is down")
            # A DB that goes away is no reason to set a record aside.
            _check_nothing_refused(srv, spool)
        with acc_server(pg, sink, spool, uas_port, backends="db", **OUTAGE) as srv:
            waiting = srv.stat("acc:spool_records")
            check(waiting > 0, "the restarted server finds the spooled records")
            _run_calls(srv, uas_port, second)
            check(srv.wait_stat("acc:spool_records", lambda v: v >= waiting + second, 15) >=
                  waiting + second, "the second run is spooled behind the first")
            pg.up()
            wait_count(pg, "acc", total, 60 + total // 100)
            check(srv.wait_stat("acc:spool_records", lambda v: v == 0, 10) == 0,
                  "acc:spool_records after the replay")
            _check_nothing_refused(srv, spool)
        _check_one_cdr_per_call(pg, total)


test_postgres_stopped_and_server_restarted_meanwhile_loses_no_cdr.timeout = 300


def test_postgres_frozen_calls_keep_flowing_and_records_arrive_after_the_thaw():
    # A run of FREEZE_S + 5 s: PostgreSQL is frozen 2 s in and stays frozen until the run
    # has ended, so for at least FREEZE_S s every statement of the writer hangs. A worker that
    # waited for the DB (or for a writer stuck in it) would hold calls back: the run would
    # take longer than its calls/rate and sipp would retransmit or time calls out.
    rate = 50
    calls = rate * (FREEZE_S + 5)
    uas_port = free_udp_port()
    with AccDb() as pg, SyslogSink() as sink:
        pg.init_schema()
        spool = spool_dir()
        with acc_server(pg, sink, spool, uas_port, backends="db", **OUTAGE) as srv:
            frozen_at = []

            def freeze():
                time.sleep(2)
                pg.freeze()
                frozen_at.append(time.monotonic())
            try:
                uac, uas, took = _run_calls(srv, uas_port, calls, during=freeze, rate=rate,
                                            hard_timeout=int(calls / rate) + 40)
                frozen_for = time.monotonic() - frozen_at[0] if frozen_at else 0
                still_frozen = pg.frozen
            finally:
                if pg.frozen:
                    pg.thaw()
            check(still_frozen and frozen_for >= FREEZE_S,
                  f"PostgreSQL was frozen {frozen_for:.1f}s of the run (want >= {FREEZE_S}s)")
            check(took <= calls / rate + 3, f"{calls} calls at {rate}/s took {took:.1f}s with "
                                            "PostgreSQL frozen (want <= calls/rate + 3 s)")
            for who, r in (("caller", uac), ("callee", uas)):
                check_eq(r.count("Retransmissions(C)"), 0, f"{who}: sipp retransmissions")
                check_eq(r.failed, 0, f"{who}: failed calls (timeouts)")
            check(srv.stat("acc:spooled") > 0, "records went to the spool during the freeze")
            wait_count(pg, "acc", calls, 90)
            check_eq(pg.scalar("SELECT count(DISTINCT callid) FROM acc"), calls,
                     "distinct Call-IDs")
            check(srv.wait_stat("acc:spool_records", lambda v: v == 0, 10) == 0,
                  "acc:spool_records after the thaw")
            _check_nothing_refused(srv, spool)


test_postgres_frozen_calls_keep_flowing_and_records_arrive_after_the_thaw.timeout = 300
