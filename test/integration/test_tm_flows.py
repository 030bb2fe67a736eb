"""RFC 3665 session flows through the registrar + proxy script without authentication
(cfg/examples/registrar-proxy.routes) as a transaction-stateful proxy, with sipp callers and callees
on loopback (test/lib/sipp_flows.py, test/scenarios/tm_*.xml): a successful session, two proxies in
a row, busy, temporarily unavailable, no answer (the proxy's INVITE timer fires), CANCEL before the
answer, and calls that still complete when sipp loses 10% of the messages on both sides. After every
flow the transaction table is empty again."""

import glob
import os
import re

from harness import LOOPBACK, MPATH, ROOT, STAT, check, check_config, check_eq, unique_path
from sipp_flows import (SHIPPED_ROUTES, check_flow, check_no_transactions, flow, proxy,
                        step_count)


# ---------------------------------------------------------------- the shipped configuration
def test_shipped_configuration_passes_the_check():
    """`sipline -c` accepts cfg/sipline.cfg with cfg/sipline.routes (the provider's script,
    with auth, auth_db and db_postgres; no database needed for the check) and with the
    script these flows run, examples/registrar-proxy.routes (its modules from this build, its
    management socket in the test's directory), and the provider's script again with its
    media relay switched on as the comments in sipline.cfg say (WITH_MEDIA_RELAY, the rtpengine
    group uncommented)."""
    provider = os.path.join(ROOT, "cfg", "sipline.routes")
    for routes, relay in ((provider, False), (SHIPPED_ROUTES, False), (provider, True)):
        d = unique_path("shipped")
        os.makedirs(d)
        with open(os.path.join(ROOT, "cfg", "sipline.cfg")) as f:
            text = f.read()
        text = re.sub(r"^mpath\s*=.*$", f'mpath = "{MPATH}";', text, flags=re.M)
        text = re.sub(r"^routes\s*=.*$", f'routes = "{routes}";', text, flags=re.M)
        text = text.replace('"../build/run/mi.sock"', f'"{os.path.join(d, "mi.sock")}"')
        modules = 20
        if relay:
            check("WITH_MEDIA_RELAY = false" in text and "# rtpengine = {" in text,
                  "the media relay switch of sipline.cfg")
            text = text.replace("WITH_MEDIA_RELAY = false", "WITH_MEDIA_RELAY = true")
            text = text.replace("# rtpengine = {", "rtpengine = {")
            modules = 21
        cfg = os.path.join(d, "sipline.cfg")
        with open(cfg, "w") as f:
            f.write(text)
        r = check_config(cfg)
        check_eq(r.returncode, 0, f"sipline -c of the shipped configuration with {routes}: "
                                  f"{r.stdout}{r.stderr}")
        check(f"configuration OK ({modules} modules" in r.stdout + r.stderr,
              f"{r.stdout}{r.stderr}")


# ---------------------------------------------------------------- 3.1/3.2 successful session
def test_session_through_the_proxy_is_record_routed_and_completes():
    """INVITE/100/180/200/ACK/BYE/200 (RFC 3665 §3.2 with one proxy): the 100 Trying comes
    from the proxy, the 200 carries its Record-Route, so the ACK and BYE come back through it."""
    calls = 3
    with proxy() as srv:
        s0 = srv.stats([STAT.tm_uas, STAT.tm_2xx])
        uac, uas = flow(srv.port, "tm_uac_call.xml", "tm_uas_call.xml", calls)
        check_flow(uac, uas, calls, "session")
        check_eq(step_count(uac, "1_100_Recv"), calls, "100 Trying at the caller (from tm)")
        check_eq(step_count(uac, "2_180_Recv"), calls, "180 relayed to the caller")
        check_eq(step_count(uas, "4_ACK_Recv"), calls, "ACKs for the 2xx at the callee")
        check_eq(step_count(uas, "5_BYE_Recv"), calls, "BYEs at the callee")
        _check_record_routed(uac, srv.port)
        s1 = srv.stats([STAT.tm_uas, STAT.tm_2xx])
        # INVITE and BYE are transactions; the ACK for the 2xx is not (RFC 3261 §17)
        check_eq(s1[STAT.tm_uas] - s0[STAT.tm_uas], 2 * calls, STAT.tm_uas)
        check(s1[STAT.tm_2xx] - s0[STAT.tm_2xx] >= 2 * calls, f"{STAT.tm_2xx}: {s0} -> {s1}")
        check_no_transactions(srv)


def test_session_through_two_proxies_is_record_routed_by_both():
    """RFC 3665 §3.2: caller -> P1 -> P2 -> callee.  P1 sends every new request to P2 (an
    outbound proxy), P2 runs the shipped script; both record-route, so the ACK and the BYE
    traverse both, and both tables empty afterwards."""
    calls = 2
    with proxy(name="p2") as p2:
        with proxy(OUTBOUND_ROUTES, name="p1", subst={"NEXT_PORT": p2.port}) as p1:
            uac, uas = flow(p1.port, "tm_uac_call.xml", "tm_uas_call.xml", calls)
            check_flow(uac, uas, calls, "session through two proxies")
            rr = _record_routes_seen(uac)
            check(any(f"{LOOPBACK}:{p1.port}" in r for r in rr) and
                  any(f"{LOOPBACK}:{p2.port}" in r for r in rr),
                  f"the 200 at the caller does not record-route both proxies: {rr}")
            for srv in (p1, p2):
                check(srv.stat(STAT.tm_uas) >= 2 * calls,
                      f"{STAT.tm_uas} of the proxy on {srv.port}: INVITE and BYE of each call")
                check_no_transactions(srv)


test_session_through_two_proxies_is_record_routed_by_both.timeout = 180


# ---------------------------------------------------------------- 3.9 busy, 3.11 unavailable
def test_busy_reaches_the_caller_and_the_proxy_acks_it_hop_by_hop():
    """RFC 3665 §3.9: the callee's 486 is ACKed by the proxy (the callee's call succeeds only
    on that ACK) and relayed; the caller's own ACK ends at the proxy."""
    calls = 2
    with proxy() as srv:
        uac, uas = flow(srv.port, "tm_uac_busy.xml", "tm_uas_busy.xml", calls)
        check_flow(uac, uas, calls, "busy")
        check_eq(step_count(uas, "2_ACK_Recv"), calls, "ACKs at the busy callee")
        check_no_transactions(srv)


def test_busy_through_two_proxies_is_acked_at_every_hop():
    calls = 2
    with proxy(name="p2") as p2:
        with proxy(OUTBOUND_ROUTES, name="p1", subst={"NEXT_PORT": p2.port}) as p1:
            uac, uas = flow(p1.port, "tm_uac_busy.xml", "tm_uas_busy.xml", calls)
            check_flow(uac, uas, calls, "busy through two proxies")
            for srv in (p1, p2):
                check_no_transactions(srv)


test_busy_through_two_proxies_is_acked_at_every_hop.timeout = 180


def test_unavailable_after_ringing_reaches_the_caller():
    """RFC 3665 §3.11: 180, then 480 from the callee, relayed and ACKed per hop."""
    with proxy() as srv:
        uac, uas = flow(srv.port, "tm_uac_noanswer.xml", "tm_uas_unavailable.xml", 2,
                        uas_args=("-d", "200"))
        check_flow(uac, uas, 2, "480 after ringing")
        check_eq(step_count(uac, "5_480_Recv"), 2, "480s relayed to the caller")
        check_eq(step_count(uac, "4_408_Recv"), 0, "408s at the caller")
        check_no_transactions(srv)


# ---------------------------------------------------------------- 3.10 no answer
def test_unanswered_call_is_cancelled_by_the_proxy_and_the_caller_gets_408_or_480():
    """The callee rings and never answers; after fr_inv_timeout (2 s here) the proxy CANCELs
    the branch (the callee gets CANCEL, answers 200 and 487, and receives the proxy's ACK) and
    the caller gets 408 or 480 (never the 487 meant for the proxy)."""
    with proxy(tm={"fr_inv_timeout": 2}) as srv:
        t0 = srv.stat(STAT.tm_timeouts)
        uac, uas = flow(srv.port, "tm_uac_noanswer.xml", "tm_uas_cancelled.xml", 2)
        check_flow(uac, uas, 2, "no answer")
        check_eq(step_count(uas, "2_CANCEL_Recv"), 2, "CANCELs at the callee")
        check_eq(step_count(uas, "5_ACK_Recv"), 2, "ACKs for the 487 at the callee")
        check(srv.stat(STAT.tm_timeouts) - t0 >= 2, f"{STAT.tm_timeouts} did not count both")
        check_no_transactions(srv)


test_unanswered_call_is_cancelled_by_the_proxy_and_the_caller_gets_408_or_480.timeout = 150


# ---------------------------------------------------------------- 3.8 CANCEL
def test_cancel_before_the_answer_ends_both_sides_with_487():
    """RFC 3665 §3.8: the caller CANCELs after the 180; the proxy answers the CANCEL with 200
    itself (RFC 3261 §16.10), CANCELs the branch, the callee answers 487, the proxy ACKs it
    and relays a 487 to the caller, who ACKs it."""
    calls = 2
    with proxy() as srv:
        c0 = srv.stat(STAT.tm_canceled)
        uac, uas = flow(srv.port, "tm_uac_cancel.xml", "tm_uas_cancelled.xml", calls,
                        uac_args=("-d", "200"))
        check_flow(uac, uas, calls, "cancel")
        check_eq(step_count(uac, "5_200_Recv"), calls, "200 for the CANCEL at the caller")
        check_eq(step_count(uac, "6_487_Recv"), calls, "487 at the caller")
        check_eq(step_count(uas, "2_CANCEL_Recv"), calls, "CANCELs at the callee")
        check_eq(step_count(uas, "5_ACK_Recv"), calls, "ACKs for the 487 at the callee")
        check(srv.stat(STAT.tm_canceled) - c0 >= calls, f"{STAT.tm_canceled} did not count")
        check_no_transactions(srv)


def test_cancel_through_two_proxies_is_answered_and_propagated_hop_by_hop():
    calls = 2
    with proxy(name="p2") as p2:
        with proxy(OUTBOUND_ROUTES, name="p1", subst={"NEXT_PORT": p2.port}) as p1:
            uac, uas = flow(p1.port, "tm_uac_cancel.xml", "tm_uas_cancelled.xml", calls,
                            uac_args=("-d", "300"))
            check_flow(uac, uas, calls, "cancel through two proxies")
            for srv in (p1, p2):
                check_no_transactions(srv)


test_cancel_through_two_proxies_is_answered_and_propagated_hop_by_hop.timeout = 180


# ---------------------------------------------------------------- retransmissions
def test_calls_complete_when_sipp_loses_ten_percent_on_both_sides():
    """sipp -lost 10 on the caller and the callee: the caller's INVITE/BYE retransmissions
    are absorbed by the proxy, the proxy retransmits to the callee (timers A/E), the callee's
    200 retransmissions reach the caller; every call completes and the proxy counted its
    retransmissions.  The callee answers without ringing (tm_uas_answer.xml says why)."""
    calls = 20
    # A completed transaction absorbs retransmissions for wt_timer ms (timers D and J): here
    # longer than the caller's retransmission schedule (sipp T1 500 ms, T2 capped at 1 s:
    # 0.5, 1.5, 2.5, 3.5, 4.5 s), so a retransmitted BYE whose 200 was lost meets its
    # transaction instead of becoming a new request.
    with proxy(tm={"wt_timer": 5000}) as srv:
        s0 = srv.stats([STAT.tm_retransmissions, STAT.tm_absorbed])
        uac, uas = flow(srv.port, "tm_uac_call.xml", "tm_uas_answer.xml", calls,
                        uac_args=("-lost", "10", "-d", "2000", "-r", "5", "-l", "20",
                                  "-T2", "1000"),
                        uas_args=("-lost", "10"), hard_timeout=120)
        check_flow(uac, uas, calls, "calls with 10% loss")
        s1 = srv.stats([STAT.tm_retransmissions, STAT.tm_absorbed])
        check(s1[STAT.tm_retransmissions] > s0[STAT.tm_retransmissions],
              f"the proxy never retransmitted under loss: {s0} -> {s1}")
        check_no_transactions(srv)


test_calls_complete_when_sipp_loses_ten_percent_on_both_sides.timeout = 240


# ---------------------------------------------------------------- helpers
# P1 of the two-proxy flows: an outbound proxy that sends every new request to P2.
OUTBOUND_ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      t_relay();
    } else if (is_method("ACK") && t_check_trans()) {
      t_relay();
    }
    exit;
  }
  if (is_method("CANCEL")) {
    if (t_check_trans()) {
      t_relay();
    }
    exit;
  }
  t_check_trans();
  if (is_method("INVITE")) {
    record_route();
  }
  $du = "sip:127.0.0.1:@NEXT_PORT@";
  if (!t_relay()) {
    sl_send_reply(500, "Server Internal Error");
  }
}
"""


def _messages_received(result):
    """The messages a sipp run received (its -trace_msg file), as text blocks."""
    out = []
    for path in glob.glob(os.path.join(os.path.dirname(result.out_path), "*_messages.log")):
        with open(path, errors="replace") as f:
            for block in f.read().split("----------------------------------------------- "):
                if "message received" in block:
                    out.append(block)
    return out


def _record_routes_seen(result):
    rr = []
    for block in _messages_received(result):
        for line in block.splitlines():
            if line.lower().startswith("record-route:"):
                rr.append(line.split(":", 1)[1].strip())
    return rr


def _check_record_routed(uac, port):
    rr = _record_routes_seen(uac)
    check(any(f"{LOOPBACK}:{port}" in r and ";lr" in r for r in rr),
          f"no Record-Route of the proxy ({LOOPBACK}:{port};lr) at the caller: {rr}")

