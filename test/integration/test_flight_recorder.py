"""The flight recorder (issue 13): every message the server receives and sends is kept in
shared memory, tracing on or not, and comes back through the management command
`flight_recorder` by Call-ID, in order, with its addresses and transport. Off with
flight_recorder_size = 0 (the command says so). `siplinectl trace CALL-ID` draws a call
relayed through the server as a ladder and writes it as a pcap file that tshark reads back
with the original addresses."""

import base64
import os
import shutil
import subprocess

from harness import (LOOPBACK, MIError, Server, UdpPeer, build_request, check, check_eq,
                     new_callid, recv_request, reply_to, test_tmpdir, wait_until)
from location_db import SIPLINECTL  # the regular build's when this one has none (ASan)

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


RELAY_ROUTES = """\
route {
  if (is_method("INVITE")) {
    $du = "sip:127.0.0.1:@UAS_PORT@";
    t_relay();
    exit;
  }
  sl_send_reply(403, "Forbidden");
}
"""


def ctl(srv, *args):
    return subprocess.run(["timeout", "-k", "5", "30", SIPLINECTL, "--mi-socket", srv.mi_sock,
                           *args], capture_output=True, text=False, stdin=subprocess.DEVNULL)


def test_siplinectl_trace_draws_the_ladder_and_writes_a_pcap():
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(routes=RELAY_ROUTES, modules="sl = {}; tm = {};", uas_port=uas.port,
                    name="recorder-trace") as srv:
            cid = new_callid()
            uac.send(build_request("INVITE", f"sip:bob@{LOOPBACK}:{uas.port}", uac.port,
                                   call_id=cid), srv.addr)
            inv, at = recv_request(uas, "INVITE", 3.0)
            uas.send(reply_to(inv, 486, "Busy Here"), at)
            final = uac.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")
            # INVITE in, 100 out, INVITE out, 486 in, 486 out, ACK in (hop by hop), ACK out.
            check(wait_until(lambda: len(srv.mi("flight_recorder", {"call_id": cid})
                                         ["messages"]) >= 6, 3.0), "recorded messages")
            r = ctl(srv, "trace", cid)
            text = r.stdout.decode()
            check(r.returncode == 0, f"siplinectl trace: {r.returncode} {r.stderr!r}")
            lines = text.splitlines()
            check("sipline" in lines[0] and f"{LOOPBACK}:{uac.port}" in lines[0] and
                  f"{LOOPBACK}:{uas.port}" in lines[0], f"header: {lines[0]!r}")
            arrows = [ln for ln in lines if ">" in ln or "<" in ln]
            labels = " ".join(arrows)
            for label in ("INVITE", "100 Trying", "486 Busy Here"):
                check(label in labels, f"{label} missing from the ladder:\n{text}")
            check(arrows[0].lstrip().startswith("+0.000s"), f"first arrow: {arrows[0]!r}")

            pcap = os.path.join(test_tmpdir(), "call.pcap")
            r = ctl(srv, "trace", cid, "--pcap", pcap)
            check(r.returncode == 0 and os.path.getsize(pcap) > 24, f"--pcap: {r.stderr!r}")
            if shutil.which("tshark"):
                t = subprocess.run(["tshark", "-r", pcap, "-Y", "sip", "-T", "fields", "-e",
                                    "ip.src", "-e", "udp.srcport", "-e", "udp.dstport", "-e",
                                    "sip.Method", "-e", "sip.Status-Code", "-e", "sip.Call-ID"],
                                   capture_output=True, text=True, timeout=60)
                rows = [ln.split("\t") for ln in t.stdout.splitlines()]
                check(len(rows) >= 6, f"tshark read {len(rows)} SIP frames: {t.stdout} {t.stderr}")
                check(all(row[5] == cid for row in rows), f"Call-IDs: {rows}")
                first = rows[0]
                check_eq((first[1], first[2], first[3]), (str(uac.port), str(srv.port), "INVITE"),
                         "first frame: the caller's INVITE")
                check(any(row[4] == "486" and row[1] == str(uas.port) for row in rows),
                      f"the callee's 486 is not in {rows}")
            r = ctl(srv, "trace", "no-such-call")
            check(r.returncode == 7 and b"no message" in r.stderr, f"unknown call: {r}")
            # An empty Call-ID is a usage error, not the whole recorder.
            for extra in ((), ("--pcap", pcap)):
                r = ctl(srv, "trace", "", *extra)
                check(r.returncode == 2 and b"CALL-ID is empty" in r.stderr and not r.stdout,
                      f"empty Call-ID {extra}: {r}")


def test_a_binary_body_is_exported_byte_exact():
    """A gateway's INVITE with a binary ISUP part (not UTF-8): the management answer carries
    its bytes as message_b64, and the pcap holds the message exactly as it came."""
    isup = bytes([0x01, 0x00, 0x49, 0xff, 0xc3, 0x28, 0x80, 0x0a, 0x03, 0x02])
    with UdpPeer() as uas, UdpPeer() as uac:
        with Server(routes=RELAY_ROUTES, modules="sl = {}; tm = {};", uas_port=uas.port,
                    name="recorder-binary") as srv:
            cid = new_callid()
            sent = build_request("INVITE", f"sip:+4930123@{LOOPBACK}:{uas.port}", uac.port,
                                 call_id=cid, extra=["Content-Type: application/isup"],
                                 body=isup)
            uac.send(sent, srv.addr)
            inv, at = recv_request(uas, "INVITE", 3.0)
            uas.send(reply_to(inv, 486, "Busy Here"), at)
            check(uac.expect_reply(3.0) is not None, "no final reply")
            got = srv.mi("flight_recorder", {"call_id": cid})["messages"]
            first = got[0]
            check("message_b64" in first, f"no message_b64 for a binary body: {first.keys()}")
            check_eq(base64.b64decode(first["message_b64"]), sent, "the recorded bytes")
            check(all("message_b64" not in m for m in got[1:] if "486" in m["message"][:20]),
                  "a UTF-8 reply needs no message_b64")
            pcap = os.path.join(test_tmpdir(), "binary.pcap")
            r = ctl(srv, "trace", cid, "--pcap", pcap)
            check(r.returncode == 0, f"--pcap: {r.stderr!r}")
            with open(pcap, "rb") as f:
                data = f.read()
            check(sent in data, "the pcap does not hold the INVITE byte for byte")
