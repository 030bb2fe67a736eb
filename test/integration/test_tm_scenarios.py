"""The sipp scenarios of the tm flow tests (test/scenarios/tm_*.xml) checked on their own:
each caller/callee pair completes its RFC 3665 flow directly (no proxy) and through the
stateless forward(), a caller fails when the callee answers something else, and the messages
the scenarios build are right where a proxy relies on them (the ACK for an error reuses the
INVITE's branch, the 487 carries every Via of the INVITE).  When these pass, a failing tm flow
test points at the server, not at the scenario."""

import threading

from harness import LOOPBACK, Server, UdpPeer, check, check_eq, free_udp_port
from sipp_flows import call, callee, check_calls, check_flow, step_count


def test_call_pair_completes_directly():
    uac, uas = _direct("tm_uac_call.xml", "tm_uas_call.xml", 3)
    check_flow(uac, uas, 3, "call")
    check_eq(step_count(uac, "4_200_Recv"), 3, "200 OKs received by the caller")
    check_eq(step_count(uas, "4_ACK_Recv"), 3, "ACKs received by the callee")
    check_eq(step_count(uas, "5_BYE_Recv"), 3, "BYEs received by the callee")


def test_call_pair_with_ringing_time_completes_directly():
    uac, uas = _direct("tm_uac_call.xml", "tm_uas_call.xml", 2, uas_args=("-d", "300"))
    check_flow(uac, uas, 2, "call with 300 ms of ringing")


def test_call_pair_without_ringing_completes_directly():
    uac, uas = _direct("tm_uac_call.xml", "tm_uas_answer.xml", 2)
    check_flow(uac, uas, 2, "call answered at once")
    check_eq(step_count(uac, "2_180_Recv"), 0, "180s at the caller")


def test_busy_pair_completes_directly():
    uac, uas = _direct("tm_uac_busy.xml", "tm_uas_busy.xml", 2)
    check_flow(uac, uas, 2, "busy")


def test_unavailable_callee_completes_the_no_answer_caller_directly():
    uac, uas = _direct("tm_uac_noanswer.xml", "tm_uas_unavailable.xml", 2)
    check_flow(uac, uas, 2, "480 after ringing")


def test_cancel_pair_completes_directly():
    uac, uas = _direct("tm_uac_cancel.xml", "tm_uas_cancelled.xml", 2, uac_args=("-d", "200"))
    check_flow(uac, uas, 2, "cancel")
    check_eq(step_count(uac, "6_487_Recv"), 2, "487s received by the caller")


def test_busy_caller_fails_when_the_callee_answers_480():
    uac, uas = _direct("tm_uac_busy.xml", "tm_uas_unavailable.xml", 1)
    check_eq(uac.successful, 0, f"successful calls of a busy caller that got 480 "
                                f"({uac.describe()})")
    check_eq(uac.failed, 1, f"failed calls ({uac.describe()})")


def test_call_caller_fails_when_nobody_answers_the_bye():
    # the callee refuses the call: the caller expecting 200 must not count it as a success
    uac, _ = _direct("tm_uac_call.xml", "tm_uas_busy.xml", 1)
    check_eq(uac.successful, 0, f"successful calls that got 486 ({uac.describe()})")


def test_no_answer_caller_accepts_408_and_acks_it_with_the_invite_branch():
    """The 408 branch of tm_uac_noanswer.xml, answered by hand: RFC 3261 §17.1.1.3, the ACK
    for a non-2xx final has the INVITE's branch, CSeq number and the reply's To tag."""
    with UdpPeer() as uas:
        got = {}

        def answer():
            inv, src = uas.recv_msg(10)
            if inv is None or inv.method != "INVITE":
                return
            got["invite"] = inv
            lines = ["SIP/2.0 408 Request Timeout"] + [f"Via: {v}" for v in inv.all("via")]
            lines += [f"From: {inv.get('from')}", f"To: {inv.get('to')};tag=t408",
                      f"Call-ID: {inv.get('call-id')}", f"CSeq: {inv.get('cseq')}",
                      "Content-Length: 0"]
            uas.send(("\r\n".join(lines) + "\r\n\r\n").encode(), src)
            got["ack"] = uas.recv_msg(5)[0]
        t = threading.Thread(target=answer)
        t.start()
        uac = call(uas.port, "tm_uac_noanswer.xml", uas.port, 1, hard_timeout=20)
        t.join(15)
    check_calls(uac, 1, "caller answered 408")
    inv, ack = got.get("invite"), got.get("ack")
    check(inv is not None and ack is not None, f"INVITE/ACK not both seen: {got}")
    check_eq(ack.method, "ACK", "method after the 408")
    check_eq(_branch(ack.all("via")[0]), _branch(inv.all("via")[0]), "ACK branch")
    check_eq(ack.get("cseq"), inv.get("cseq").split()[0] + " ACK", "ACK CSeq")
    check(ack.get("to").endswith(";tag=t408"), f"ACK To without the 408's tag: {ack.get('to')}")


def test_cancelled_callee_answers_487_with_every_via_of_the_invite():
    """tm_uas_cancelled.xml behind two proxies sees three Vias and a Record-Route; the CANCEL
    has only one Via.  Its 487 must still carry the INVITE's Vias in order."""
    port = free_udp_port()
    with callee("tm_uas_cancelled.xml", 1, port=port, hard_timeout=30) as uas, UdpPeer() as p:
        vias = [f"SIP/2.0/UDP {LOOPBACK}:{p.port};branch=z9hG4bK-p2",
                f"SIP/2.0/UDP {LOOPBACK}:{p.port};branch=z9hG4bK-p1;received={LOOPBACK}",
                f"SIP/2.0/UDP {LOOPBACK}:{p.port};branch=z9hG4bK-uac;rport=1"]
        common = (f"From: <sip:alice@{LOOPBACK}>;tag=f1\r\nTo: <sip:bob@{LOOPBACK}:{port}>\r\n"
                  "Call-ID: vias@test\r\n")
        invite = (f"INVITE sip:bob@{LOOPBACK}:{port} SIP/2.0\r\n"
                  + "".join(f"Via: {v}\r\n" for v in vias)
                  + f"Record-Route: <sip:{LOOPBACK}:1;lr>\r\nMax-Forwards: 68\r\n" + common
                  + "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n")
        p.send(invite, (LOOPBACK, port))
        ring = p.expect_reply(5, skip_provisional=False)
        check(ring is not None and ring.status == 180, f"no 180: {ring}")
        p.send(f"CANCEL sip:bob@{LOOPBACK}:{port} SIP/2.0\r\nVia: {vias[0]}\r\n"
               f"Max-Forwards: 70\r\n{common}CSeq: 7 CANCEL\r\nContent-Length: 0\r\n\r\n",
               (LOOPBACK, port))
        replies = {}
        for _ in range(2):
            r = p.expect_reply(5)
            check(r is not None, f"replies to the CANCEL so far: {replies}")
            replies[r.get("cseq")] = r
        check_eq(sorted(replies), ["7 CANCEL", "7 INVITE"], "CSeqs of the final replies")
        check_eq(replies["7 CANCEL"].status, 200, "reply to the CANCEL")
        check_eq(replies["7 CANCEL"].all("via"), vias[:1], "Vias of the 200 for the CANCEL")
        r487 = replies["7 INVITE"]
        check_eq(r487.status, 487, "reply to the INVITE")
        check_eq(r487.all("via"), vias, "Vias of the 487")
        check_eq(r487.get("to"), ring.get("to"), "the 487's To tag is the 180's")
        p.send(f"ACK sip:bob@{LOOPBACK}:{port} SIP/2.0\r\nVia: {vias[0]}\r\nMax-Forwards: 70\r\n"
               f"From: <sip:alice@{LOOPBACK}>;tag=f1\r\nTo: {r487.get('to')}\r\n"
               "Call-ID: vias@test\r\nCSeq: 7 ACK\r\nContent-Length: 0\r\n\r\n", (LOOPBACK, port))
        res = uas.wait(15)
    check_calls(res, 1, "cancelled callee")


# ---------------------------------------------------------------- through forward()
def test_call_busy_and_cancel_pairs_complete_through_the_stateless_relay():
    """The harness's stateless script forward()s every request to the callee's port; the
    flows need nothing a stateless proxy cannot do (no Record-Route: the ACK and BYE go to the
    first hop, which relays them)."""
    for uac_xml, uas_xml, uac_args in (("tm_uac_call.xml", "tm_uas_call.xml", ()),
                                       ("tm_uac_busy.xml", "tm_uas_busy.xml", ()),
                                       ("tm_uac_cancel.xml", "tm_uas_cancelled.xml",
                                        ("-d", "200"))):
        port = free_udp_port()
        with Server(uas_port=port) as srv:
            with callee(uas_xml, 2, port=port, hard_timeout=40) as uas:
                uac = call(srv.port, uac_xml, port, 2, *uac_args, hard_timeout=30)
                res = uas.wait(20)
            check_flow(uac, res, 2, f"{uac_xml} through forward()")


test_call_busy_and_cancel_pairs_complete_through_the_stateless_relay.timeout = 180


# ---------------------------------------------------------------- helpers
def _direct(uac_xml, uas_xml, calls, uac_args=(), uas_args=()):
    """Caller straight to the callee (the callee is its own first hop)."""
    with callee(uas_xml, calls, *uas_args, hard_timeout=50) as uas:
        uac = call(uas.port, uac_xml, uas.port, calls, *uac_args, hard_timeout=30)
        return uac, uas.wait(20)


def _branch(via):
    for part in via.split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == "branch":
            return v.strip()
    return None
