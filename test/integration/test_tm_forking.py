"""Forking through the transaction-stateful proxy with sipp callers and callees on loopback:
serial forking from failure_route (the first callee is busy, or rings until the proxy gives
up, and the call completes at the second) and parallel forking with append_branch() (one
callee answers, the other is CANCELled).  The scripts are the shipped script's in-dialog and
CANCEL handling around a fixed forking plan."""

from harness import STAT, check, check_eq
from sipp_flows import call, callee, check_calls, check_no_transactions, proxy, step_count

# In-dialog requests, CANCEL and retransmissions as in cfg/examples/registrar-proxy.routes; new
# requests are record-routed and relayed by route[fork] (defined by each test's script).
PREAMBLE = """\
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
  route(fork);
}
"""

SERIAL = PREAMBLE + """\
route[fork] {
  t_on_failure("next_target");
  if (!t_relay()) {
    sl_send_reply(500, "Server Internal Error");
  }
}

# Forward on busy or no answer: the second callee gets the call (voicemail in real life).
failure_route[next_target] {
  if (t_was_cancelled()) {
    exit;
  }
  if (t_check_status("486|408")) {
    xlog("L_NOTICE", "$T_reply_code from the first callee of $ci: trying the second\\n");
    $ru = "sip:bob@127.0.0.1:@SECOND_PORT@";
    t_relay();
  }
}
"""

SERIAL_NO_ANSWER = SERIAL.replace('  t_on_failure("next_target");\n',
                                  '  t_on_failure("next_target");\n  t_set_fr(1500);\n')

PARALLEL = PREAMBLE + """\
route[fork] {
  # ring both: the request-URI and one more branch
  append_branch("sip:bob@127.0.0.1:@SECOND_PORT@");
  if (!t_relay()) {
    sl_send_reply(500, "Server Internal Error");
  }
}
"""


def test_serial_forking_after_busy_completes_the_call_at_the_second_callee():
    calls = 2
    with callee("tm_uas_call.xml", calls, hard_timeout=80, name="second") as second, \
            callee("tm_uas_busy.xml", calls, hard_timeout=80, name="first") as first:
        with proxy(SERIAL, subst={"SECOND_PORT": second.port}) as srv:
            uac = call(srv.port, "tm_uac_call.xml", first.port, calls, hard_timeout=40)
            r_first, r_second = first.wait(20), second.wait(20)
            check_calls(uac, calls, "caller")
            check_calls(r_first, calls, "busy first callee (got the proxy's ACK)")
            check_calls(r_second, calls, "second callee")
            check_eq(step_count(r_first, "2_ACK_Recv"), calls, "ACKs for the 486")
            check_eq(step_count(r_second, "5_BYE_Recv"), calls,
                     "BYEs at the second callee (routed by its Record-Route)")
            check_eq(step_count(uac, "2_180_Recv") + step_count(uac, "3_180_Recv"), calls,
                     "180s at the caller (only the second callee rings)")
            check("from the first callee" in srv.log(), "failure_route did not run")
            check_no_transactions(srv)


test_serial_forking_after_busy_completes_the_call_at_the_second_callee.timeout = 150


def test_serial_forking_after_no_answer_cancels_the_first_and_completes_at_the_second():
    """t_set_fr(1500): the first callee rings for 1.5 s, the proxy CANCELs it (it answers 487
    and gets the ACK), failure_route sees 408 and relays to the second callee."""
    calls = 2
    with callee("tm_uas_call.xml", calls, hard_timeout=80, name="second") as second, \
            callee("tm_uas_cancelled.xml", calls, hard_timeout=80, name="first") as first:
        with proxy(SERIAL_NO_ANSWER, subst={"SECOND_PORT": second.port}) as srv:
            uac = call(srv.port, "tm_uac_call.xml", first.port, calls, hard_timeout=40)
            r_first, r_second = first.wait(20), second.wait(20)
            check_calls(uac, calls, "caller")
            check_calls(r_first, calls, "unanswering first callee (CANCEL, 487, ACK)")
            check_calls(r_second, calls, "second callee")
            check_eq(step_count(r_first, "2_CANCEL_Recv"), calls, "CANCELs at the first")
            check_eq(step_count(uac, "2_180_Recv") + step_count(uac, "3_180_Recv"),
                     2 * calls, "180s at the caller (both callees rang)")
            check("408 from the first callee" in srv.log(),
                  "failure_route did not see 408 for the unanswered branch")
            check_no_transactions(srv)


test_serial_forking_after_no_answer_cancels_the_first_and_completes_at_the_second.timeout = 150


def test_parallel_forking_answers_from_one_callee_and_cancels_the_other():
    """Both callees ring; the first answers after 500 ms, the other gets CANCEL (RFC 3261
    §16.7 step 10), answers 487 which the proxy ACKs and keeps from the caller."""
    calls = 2
    with callee("tm_uas_cancelled.xml", calls, hard_timeout=80, name="loser") as loser, \
            callee("tm_uas_call.xml", calls, "-d", "500", hard_timeout=80,
                   name="winner") as winner:
        with proxy(PARALLEL, subst={"SECOND_PORT": loser.port}) as srv:
            c0 = srv.stat(STAT.tm_uac)
            uac = call(srv.port, "tm_uac_call.xml", winner.port, calls, hard_timeout=40)
            r_winner, r_loser = winner.wait(20), loser.wait(20)
            check_calls(uac, calls, "caller")
            check_calls(r_winner, calls, "answering callee")
            check_calls(r_loser, calls, "callee that was CANCELled")
            check_eq(step_count(r_loser, "2_CANCEL_Recv"), calls, "CANCELs at the loser")
            check_eq(step_count(r_loser, "5_ACK_Recv"), calls, "ACKs for its 487")
            check_eq(step_count(uac, "2_180_Recv") + step_count(uac, "3_180_Recv"),
                     2 * calls, "180s at the caller (both rang)")
            check_eq(step_count(r_winner, "5_BYE_Recv"), calls, "BYEs at the winner")
            # two INVITE branches per call, plus the BYE (a CANCEL is not a new branch)
            check(srv.stat(STAT.tm_uac) - c0 >= 3 * calls,
                  f"{STAT.tm_uac} grew by {srv.stat(STAT.tm_uac) - c0}")
            check_no_transactions(srv)


test_parallel_forking_answers_from_one_callee_and_cancels_the_other.timeout = 150
