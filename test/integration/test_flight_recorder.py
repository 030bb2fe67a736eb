"""The flight recorder (issue 13): every message the server receives and sends is kept in
shared memory, tracing on or not, and comes back through the management command
`flight_recorder` by Call-ID, in order, with its addresses and transport. Off with
flight_recorder_size = 0 (the command says so)."""

from harness import (LOOPBACK, MIError, Server, UdpPeer, build_request, check, check_eq,
                     new_callid, wait_until)

ROUTES = """\
route {
  if (is_method("OPTIONS")) {
    sl_send_reply(200, "OK");
    exit;
  }
  sl_send_reply(403, "Forbidden");
}
"""


def test_received_and_sent_messages_come_back_by_call_id_in_order():
    with Server(routes=ROUTES, modules="sl = {};", name="recorder") as srv, UdpPeer() as ua:
        cid = new_callid()
        ua.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", ua.port, call_id=cid),
                srv.addr)
        check(ua.expect_reply(3.0) is not None, "no reply to the OPTIONS")
        other = new_callid()
        ua.send(build_request("INFO", f"sip:{LOOPBACK}:{srv.port}", ua.port, call_id=other),
                srv.addr)
        check(ua.expect_reply(3.0) is not None, "no reply to the INFO")

        def messages():
            return srv.mi("flight_recorder", {"call_id": cid})["messages"]
        # The worker records its reply after sending it: the UA may have it first.
        check(wait_until(lambda: len(messages()) == 2, 3.0), f"recorded: {messages()}")
        got = messages()
        check_eq([m["direction"] for m in got], ["in", "out"], "directions")
        check(got[0]["message"].startswith("OPTIONS "), got[0]["message"][:40])
        check(got[1]["message"].startswith("SIP/2.0 200 OK"), got[1]["message"][:40])
        check_eq(got[0]["src"], f"{LOOPBACK}:{ua.port}", "source of the request")
        check_eq(got[0]["dst"], f"{LOOPBACK}:{srv.port}", "destination of the request")
        check_eq(got[1]["src"], f"{LOOPBACK}:{srv.port}", "source of the reply")
        check_eq(got[1]["dst"], f"{LOOPBACK}:{ua.port}", "destination of the reply")
        check(all(m["proto"] == "udp" and m["call_id"] == cid for m in got), str(got))
        check(got[0]["time_us"] <= got[1]["time_us"], "time order")
        everything = srv.mi("flight_recorder")
        check_eq(len(everything["messages"]), 4, "all messages")
        check(everything["recorded"] >= 4 and everything["minutes"] == 10, str(everything)[:200])


def test_off_when_its_size_is_zero():
    with Server(routes=ROUTES, modules="sl = {};", name="recorder-off",
                extra_settings="flight_recorder_size = 0;") as srv:
        try:
            srv.mi("flight_recorder")
        except MIError as e:
            check("flight recorder is off" in str(e), str(e))
            return
        raise AssertionError("flight_recorder answered with the recorder off")
