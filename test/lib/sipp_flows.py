"""sipp callers and callees around sipline proxies: the transaction-stateful (tm) flow tests.

The scenarios are test/scenarios/tm_*.xml, written for RFC 3665's session flows:

  caller (uac)            callee (uas)              flow
  tm_uac_call.xml         tm_uas_call.xml           INVITE 100 180 200 ACK BYE 200 (3.1, 3.2)
                          tm_uas_answer.xml         the same without 180 (for sipp -lost runs)
  tm_uac_busy.xml         tm_uas_busy.xml           INVITE 486 ACK (3.9)
  tm_uac_noanswer.xml     tm_uas_cancelled.xml      INVITE 180 ... 408/480 ACK; callee CANCELed
                          tm_uas_unavailable.xml    INVITE 180 480 ACK (3.11)
  tm_uac_cancel.xml       tm_uas_cancelled.xml      INVITE 180 CANCEL 200 487 ACK (3.8)

Every caller addresses sip:bob@<callee> (-key callee 127.0.0.1:PORT) and sends to its first
hop, a proxy or the callee itself; every pair also works without a proxy
(test_tm_scenarios.py proves it).  All runs are bounded (sipp -m, -timeout, timeout -k) and
stay on 127.0.0.1.

  proxy(routes, tm=...)          a Server running `routes` with sl, tm, rr, maxfwd, sanity and
                                 short transaction timers (TM_TIMERS)
  shipped_routes()               the text of cfg/examples/registrar-proxy.routes, the
                                 registrar + proxy without authentication (the shipped
                                 cfg/sipline.routes authenticates: test_auth*.py)
  callee(xml, calls, ...)        a background SippUas with -trace_counts
  call(first_hop, xml, callee_port, calls, ...)   a sipp caller run to its end
  check_calls(result, n, who)    exactly n successful calls and no failed one
  check_no_transactions(srv)     tm:inuse_transactions drains to 0 (timers J/K/D expired)
"""

import os

from harness import (LOOPBACK, ROOT, STAT, Server, SippUas, TestFailure, check, scenario, sipp,
                     wait_until)

# Short RFC 3261 timers so that finished transactions leave the table within a second or two:
# T1 100 ms (timers A/E/G start there, B/F/H/J are 64*T1 = 6.4 s), T4 500 ms (timers I/K),
# wt_timer 500 ms (how long a completed transaction absorbs retransmissions).  fr_timeout
# and fr_inv_timeout are seconds.
TM_TIMERS = {"t1_timer": 100, "t2_timer": 400, "t4_timer": 500, "wt_timer": 500,
             "fr_timeout": 4, "fr_inv_timeout": 15}

# How long a test waits for the table to drain: the longest wait state (64*T1 = 6.4 s) plus
# margin for a loaded machine.
DRAIN_TIMEOUT = 20

# The default script's shape without authentication: what the flow and location tests run.
SHIPPED_ROUTES = os.path.join(ROOT, "cfg", "examples", "registrar-proxy.routes")


def shipped_routes():
    with open(SHIPPED_ROUTES) as f:
        return f.read()


def tm_modules(tm=None, extra=""):
    """The settings' modules group: sl, tm (TM_TIMERS updated with `tm`), rr, maxfwd, sanity."""
    params = dict(TM_TIMERS)
    params.update(tm or {})
    tm_text = " ".join(f"{k} = {v};" for k, v in params.items())
    return (f"sl = {{}}; tm = {{ {tm_text} }}; rr = {{}}; maxfwd = {{}}; "
            f"sanity = {{ proxy_require = \"\"; }}; {extra}")


# What the shipped script's save() and lookup() need: the location service in memory (a
# small table, so that tests with a tiny segment still start).
LOCATION_MODULES = 'usrloc = { db_mode = "memory"; hash_size = 256; }; registrar = {};'


def proxy(routes=None, tm=None, name="proxy", **kw):
    """A Server (not started) running `routes` (default: the shipped script, with
    LOCATION_MODULES loaded) as a stateful proxy; placeholders such as @PORT@ are filled by
    the harness, more through `subst`."""
    subst = kw.pop("subst", {})
    text = routes if routes is not None else shipped_routes()
    for k, v in subst.items():
        text = text.replace(f"@{k}@", str(v))
    kw.setdefault("modules", tm_modules(tm, LOCATION_MODULES if routes is None else ""))
    return Server(routes=text, name=name, **kw)


def callee(xml, calls, *args, hard_timeout=60, name="callee", port=None):
    """A sipp callee running test/scenarios/<xml> in the background for `calls` calls."""
    return SippUas("-sf", scenario(xml), "-trace_counts", "-trace_msg", *args, calls=calls,
                   hard_timeout=hard_timeout, name=name, port=port)


def call(first_hop_port, xml, callee_port, calls, *args, hard_timeout=60, name="caller"):
    """Runs the sipp caller test/scenarios/<xml> towards 127.0.0.1:first_hop_port, calling
    sip:bob@127.0.0.1:callee_port, until `calls` calls ended; returns its SippResult."""
    return sipp((LOOPBACK, first_hop_port), "-sf", scenario(xml), "-key", "callee",
                f"{LOOPBACK}:{callee_port}", "-s", "bob", "-trace_counts", "-trace_msg", *args,
                calls=calls, hard_timeout=hard_timeout, name=name)


def check_calls(result, n, who):
    """Exactly n calls succeeded and none failed."""
    if result.successful != n or result.failed not in (0, None):
        raise TestFailure(f"{who}: expected {n} successful calls, {result.describe()}\n"
                          f"{result.output_tail(40)}")


def check_no_transactions(srv, timeout=DRAIN_TIMEOUT):
    """Fails unless tm:inuse_transactions reaches 0 within `timeout` s (RFC 3261 §17: every
    transaction ends; the table must not keep a finished one)."""
    last = [None]

    def empty():
        last[0] = srv.stat(STAT.tm_inuse)
        return last[0] == 0
    if not wait_until(empty, timeout, 0.2):
        raise TestFailure(f"{STAT.tm_inuse} is still {last[0]} after {timeout}s")


def flow(first_hop_port, uac_xml, uas_xml, calls=1, uac_args=(), uas_args=(),
         hard_timeout=60):
    """One caller/callee pair: the callee starts first, the caller runs to its end, then the
    callee is given 20 s to finish.  Returns (caller result, callee result)."""
    with callee(uas_xml, calls, *uas_args, hard_timeout=hard_timeout + 20) as uas:
        uac = call(first_hop_port, uac_xml, uas.port, calls, *uac_args,
                   hard_timeout=hard_timeout)
        return uac, uas.wait(20)


def check_flow(uac, uas, calls, what):
    check_calls(uac, calls, f"{what}: caller")
    check_calls(uas, calls, f"{what}: callee")


def step_count(result, column):
    """One -trace_counts counter by its exact column name ("<step index>_<message>_<what>",
    e.g. "6_487_Recv"; labels take no index).  A column the scenario does not have fails the
    test, so a renumbered scenario cannot make a check pass by reading nothing."""
    counts = result.message_counts()
    check(column in counts, f"no column {column} in the -trace_counts of {result.out_path}: "
                            f"{sorted(counts)}")
    return counts[column]
