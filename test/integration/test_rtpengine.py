"""rtpengine module against a real rtpengine (Debian's rtpengine-daemon, userspace, loopback)
over its ng control protocol: rtpengine_offer() on an INVITE and rtpengine_answer() on its 200
put the relay's SDP in the messages (c= the relay, m= ports of its range, IPv4 and IPv6); RTP
then flows both ways through the relay between two UDP sockets of the test (each side sends
first); rtpengine_manage() on the BYE deletes the session, and a failed INVITE (486) is
deleted by itself (tm watcher). A relay that does not answer is failed over to the other one
of the set and shown down by rtpengine_show; when no relay answers the offer fails cleanly
and the script's error reply goes out. A bad rtpengine_sock stops the start. A call stays on
the relay that took its offer after the relay it failed over from is back; with
rtpengine_manage() one busy branch of a parallel fork and a failed re-INVITE delete nothing;
stopping the server leaves its calls' sessions on the relay."""

import re
import socket
import time

from harness import (LOOPBACK, Server, UdpPeer, build_request, check, check_config, check_eq,
                     recv_request, reply_to, wait_until, write_config)
from rtpengine_daemon import RtpEngine
from stream_peer import StreamPeer

ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("INVITE")) {
    if (!rtpengine_offer("replace-origin replace-session-connection ICE=remove RTP/AVP")) {
      sl_send_reply(503, "No Media Relay");
      exit;
    }
    t_on_reply("media");
  }
  if (is_method("BYE")) {
    rtpengine_manage();
  }
  $du = "sip:@UAS_HOST@:@UAS_PORT@";
  t_relay();
}

onreply_route[media] {
  if ($rs == 200) {
    rtpengine_answer("replace-origin replace-session-connection ICE=remove");
  }
}
"""


def sdp(port, ip=LOOPBACK, session="alice"):
    fam = "IP6" if ":" in ip else "IP4"
    return (f"v=0\r\n"
            f"o={session} 1 1 IN {fam} {ip}\r\n"
            f"s=-\r\n"
            f"c=IN {fam} {ip}\r\n"
            f"t=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\n"
            f"a=rtcp:{port + 1}\r\n"
            f"a=candidate:1 1 UDP 2130706431 {ip} {port} typ host\r\n"
            f"a=sendrecv\r\n").encode()


def media_of(body):
    """(c= address, m= port) of an SDP body (bytes)."""
    text = body.decode()
    c = re.search(r"^c=IN IP[46] (\S+)\r$", text, re.M)
    m = re.search(r"^m=audio (\d+) ", text, re.M)
    check(c is not None and m is not None, f"no c=/m= in {text!r}")
    return c.group(1), int(m.group(1))


def server(relay_sock, uas_port, extra="", uas_host=LOOPBACK):
    modules = ("sl = {}; maxfwd = {}; tm = {}; "
               f'rtpengine = {{ rtpengine_sock = "{relay_sock}"; rtpengine_tout_ms = 300; '
               f"rtpengine_retr = 0; {extra} }};")
    routes = ROUTES.replace("@UAS_HOST@", uas_host)
    return Server(routes=routes, modules=modules, uas_port=uas_port, name="rtpengine")


def rtp_socket(ip=LOOPBACK):
    s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    return s


def in_range(port, rng):
    return rng[0] <= port <= rng[1]


def invite(caller, srv, rtp_port, ip=LOOPBACK):
    req = build_request("INVITE", "sip:bob@example.com", caller.port,
                        extra=["Content-Type: application/sdp"], body=sdp(rtp_port, ip))
    caller.send(req, srv.addr)
    return req


def answer_200(msg, rtp_port, ip=LOOPBACK):
    """The UAS's 200 with an SDP answer."""
    reply = reply_to(msg, 200, "OK").decode()
    body = sdp(rtp_port, ip, "bob").decode()
    reply = reply.replace("Content-Length: 0\r\n\r\n",
                          f"Content-Type: application/sdp\r\nContent-Length: {len(body)}"
                          f"\r\n\r\n{body}")
    return reply.encode()


def known(engine, call_id):
    return call_id in engine.calls()


def check_rtp_flows(a_sock, a_target, b_sock, b_target):
    """Both sides send first; each must then receive what the other sent, through the relay."""
    got_a = got_b = None
    a_sock.settimeout(0.1)
    b_sock.settimeout(0.1)
    for i in range(30):
        pkt = bytes([0x80, 0, 0, i, 0, 0, 0, i, 0, 0, 0, 7]) + b"\xff" * 20
        a_sock.sendto(pkt, a_target)
        b_sock.sendto(pkt, b_target)
        for s, side in ((a_sock, "a"), (b_sock, "b")):
            try:
                _, src = s.recvfrom(2048)
            except socket.timeout:
                continue
            if side == "a":
                got_a = src
            else:
                got_b = src
        if got_a and got_b:
            break
    check(got_b is not None, f"the callee got no RTP sent by the caller to {a_target}")
    check(got_a is not None, f"the caller got no RTP sent by the callee to {b_target}")
    check(got_a[1] != b_sock.getsockname()[1], f"caller heard the callee directly: {got_a}")
    check(got_b[1] != a_sock.getsockname()[1], f"callee heard the caller directly: {got_b}")


def bye_for(msg, caller_port):
    """The caller's BYE for the dialog of INVITE `msg` (as the UAS saw it)."""
    ftag = re.search(r";tag=([^;>\s]+)", msg.get("from")).group(1)
    bye = build_request("BYE", "sip:bob@example.com", caller_port, call_id=msg.get("call-id"),
                        cseq="2 BYE", omit=("From", "To"))
    return bye.replace(b"Call-ID:", (f"From: <sip:alice@{LOOPBACK}:{caller_port}>;"
                                     f"tag={ftag}\r\nTo: <sip:bob@example.com>;"
                                     f"tag=callee\r\nCall-ID:").encode(), 1)


def call_through_relay(engine, srv, caller, uas, ip=LOOPBACK):
    """INVITE/200 through the relay, RTP both ways, BYE; the relay forgets the call."""
    a_rtp, b_rtp = rtp_socket(ip), rtp_socket(ip)
    try:
        invite(caller, srv, a_rtp.getsockname()[1], ip)
        msg, _ = recv_request(uas, "INVITE", 3.0)
        check_eq(int(msg.get("content-length")), len(msg.body), "Content-Length of the offer")
        addr, offer_port = media_of(msg.body)
        check_eq(addr, ip, "offer c= (the relay)")
        check(in_range(offer_port, engine.port_range),
              f"offer m= port {offer_port} not in the relay's {engine.port_range}")
        body = msg.body.decode()
        check("a=candidate" not in body, f"ICE lines left (ICE=remove): {body!r}")
        check(f"a=rtcp:{offer_port + 1}" in body, f"a=rtcp of the relay: {body!r}")
        call_id = msg.get("call-id")
        check(known(engine, call_id), "rtpengine does not list the offered call")

        uas.send(answer_200(msg, b_rtp.getsockname()[1], ip), srv.addr)
        final = caller.expect_reply(3.0)
        check(final is not None and final.status == 200, f"caller got {final!r}")
        check_eq(int(final.get("content-length")), len(final.body), "Content-Length of the answer")
        addr, answer_port = media_of(final.body)
        check_eq(addr, ip, "answer c= (the relay)")
        check(in_range(answer_port, engine.port_range),
              f"answer m= port {answer_port} not in {engine.port_range}")
        check(answer_port != offer_port, "offer and answer got the same relay port")

        # The caller sends to the port of the answer, the callee to that of the offer.
        check_rtp_flows(a_rtp, (ip, answer_port), b_rtp, (ip, offer_port))

        caller.send(bye_for(msg, caller.port), srv.addr)
        got, _ = recv_request(uas, "BYE", 3.0)
        uas.send(reply_to(got, 200, "OK"), srv.addr)
        check(wait_until(lambda: not known(engine, call_id), 3.0),
              "rtpengine still lists the call after the BYE")
        res = engine.ng({"command": "query", "call-id": call_id})
        check_eq(res.get("result"), "error", "query of the deleted call")
    finally:
        a_rtp.close()
        b_rtp.close()


def test_offer_answer_rewrite_rtp_flows_and_bye_deletes():
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.ng_addr, uas.port) as srv:
            call_through_relay(engine, srv, caller, uas)
            check_eq(srv.stat("rtpengine:offers"), 1, "offers")
            check_eq(srv.stat("rtpengine:answers"), 1, "answers")
            check(wait_until(lambda: srv.stat("rtpengine:deletes") >= 1, 3.0), "deletes")
            check_eq(srv.stat("rtpengine:errors"), 0, "errors")
            check_eq(srv.stat("rtpengine:relays_down"), 0, "relays down")


def test_ipv6_relay_rewrites_to_ipv6():
    try:
        engine = RtpEngine(None, address="::1").start()
    except (OSError, RuntimeError) as e:
        print(f"  (skipped: rtpengine cannot listen on ::1 here: {e})")
        return
    try:
        with UdpPeer() as uas, UdpPeer() as caller:
            with server(engine.ng_addr, uas.port) as srv:
                call_through_relay(engine, srv, caller, uas, ip="::1")
                check_eq(srv.stat("rtpengine:errors"), 0, "errors")
    finally:
        engine.stop()


def test_failed_invite_deletes_the_relay_session():
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.ng_addr, uas.port) as srv:
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            call_id = msg.get("call-id")
            check(known(engine, call_id), "rtpengine does not list the offered call")
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")
            check(wait_until(lambda: not known(engine, call_id), 3.0),
                  "rtpengine still lists the failed call")
            check(wait_until(lambda: srv.stat("rtpengine:deletes") == 1, 3.0),
                  "no automatic delete counted after the 486")


def test_silent_relay_fails_over_and_shows_down():
    silent = rtp_socket()  # bound, never answers: a relay that times out
    try:
        with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
            dead = f"udp:{LOOPBACK}:{silent.getsockname()[1]}"
            # The silent relay weighs most, so calls try it first (and fail over).
            with server(f"{dead}=1000 {engine.ng_addr}=1", uas.port,
                        "rtpengine_disable_tout = 60; health_check_interval = 0;") as srv:
                for _ in range(3):
                    invite(caller, srv, 40000)
                    msg, _ = recv_request(uas, "INVITE", 3.0)
                    _, port = media_of(msg.body)
                    check(in_range(port, engine.port_range), f"m= port {port} not the relay's")
                    uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
                    final = caller.expect_reply(3.0)
                    check(final is not None and final.status == 486, f"caller got {final!r}")
                check_eq(srv.stat("rtpengine:failovers"), 1,
                         "failovers (later calls skip the relay marked down)")
                check_eq(srv.stat("rtpengine:offers"), 3, "offers")
                check_eq(srv.stat("rtpengine:relays_down"), 1, "relays down")
                relays = {r["url"]: r for r in srv.mi("rtpengine_show")["relays"]}
                check_eq(relays[dead]["state"], "down", "the silent relay's state")
                check_eq(relays[engine.ng_addr]["state"], "up", "rtpengine's state")
                # Disabled by hand, the live relay takes no call either: the script answers.
                srv.mi("rtpengine_enable", {"url": engine.ng_addr, "enable": False})
                invite(caller, srv, 40000)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 503, f"caller got {final!r}")
                srv.mi("rtpengine_enable", {"url": engine.ng_addr, "enable": True})
                invite(caller, srv, 40000)
                msg, _ = recv_request(uas, "INVITE", 3.0)
                uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
                caller.expect_reply(3.0)
    finally:
        silent.close()


def test_silent_relay_comes_back_by_health_check():
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        stopped = RtpEngine(None)  # a relay that is not running yet: its ports are known
        with server(f"{stopped.ng_addr}=1000 {engine.ng_addr}=1", uas.port,
                    "rtpengine_disable_tout = 60; health_check_interval = 1;") as srv:
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            caller.expect_reply(3.0)
            check_eq(srv.stat("rtpengine:relays_down"), 1, "relays down")
            with stopped:
                check(wait_until(lambda: srv.stat("rtpengine:relays_down") == 0, 5.0),
                      "the health check did not bring the relay back")
                relays = {r["url"]: r for r in srv.mi("rtpengine_show")["relays"]}
                check_eq(relays[stopped.ng_addr]["state"], "up", "the revived relay's state")


def test_no_relay_answers_fails_cleanly():
    silent = rtp_socket()
    try:
        with UdpPeer() as uas, UdpPeer() as caller:
            with server(f"udp:{LOOPBACK}:{silent.getsockname()[1]}", uas.port) as srv:
                started = time.monotonic()
                invite(caller, srv, 40000)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 503, f"caller got {final!r}")
                check(time.monotonic() - started < 2.0, "the offer waited too long")
                check_eq(srv.stat("rtpengine:errors"), 1, "errors")
                check_eq(srv.stat("rtpengine:offers"), 0, "offers")
                check_eq(srv.stat("rtpengine:relays_down"), 1, "relays down")
                data, _ = uas.recv(0.3)
                check(data is None, "the INVITE went on without a relay")
    finally:
        silent.close()


DIALOG_ROUTES = """\
route {
  if (has_totag()) {
    if (loose_route()) {
      # The test's UAS has no reachable Contact: in-dialog requests go to its port.
      $du = "sip:127.0.0.1:@UAS_PORT@";
      t_relay();
    } else {
      xlog("L_ERR", "no loose route for $rm\\n");
    }
    exit;
  }
  if (is_method("INVITE")) {
    if (!rtpengine_offer("replace-origin replace-session-connection")) {
      sl_send_reply(503, "No Media Relay");
      exit;
    }
    t_on_reply("media");
    record_route();
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}

onreply_route[media] {
  if ($rs == 200) {
    rtpengine_answer("replace-origin replace-session-connection");
  }
}
"""


def answered_call(engine, srv, caller, uas):
    """An INVITE through the relay, answered and ACKed; returns (INVITE at the UAS, 200)."""
    invite(caller, srv, 40000)
    msg, _ = recv_request(uas, "INVITE", 3.0)
    uas.send(answer_200(msg, 40010), srv.addr)
    final = caller.expect_reply(3.0)
    check(final is not None and final.status == 200, f"caller got {final!r}")
    check(known(engine, msg.get("call-id")), "rtpengine does not list the answered call")
    return msg, final


def in_dialog(method, msg, final, caller_port, cseq):
    """A caller's in-dialog request routed back through the proxy's Record-Route."""
    req = bye_for(msg, caller_port).replace(b"BYE sip:", method.encode() + b" sip:", 1)
    req = req.replace(b"CSeq: 2 BYE", f"CSeq: {cseq}".encode())
    routes = "".join(f"Route: {r}\r\n" for r in final.all("record-route"))
    return req.replace(b"Call-ID:", routes.encode() + b"Call-ID:", 1)


def test_dialog_end_deletes_the_session():
    """With the dialog module, the end of the call deletes the session even though the script
    calls no rtpengine command for it: a BYE (loose_route) and dlg_end_dlg."""
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        modules = ("sl = {}; maxfwd = {}; tm = {}; rr = {}; dialog = { hash_size = 256; }; "
                   f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; }};')
        with Server(routes=DIALOG_ROUTES, modules=modules, uas_port=uas.port,
                    name="rtpengine-dlg") as srv:
            msg, final = answered_call(engine, srv, caller, uas)
            call_id = msg.get("call-id")
            caller.send(in_dialog("ACK", msg, final, caller.port, "1 ACK"), srv.addr)
            recv_request(uas, "ACK", 3.0)
            caller.send(in_dialog("BYE", msg, final, caller.port, "2 BYE"), srv.addr)
            got, _ = recv_request(uas, "BYE", 3.0)
            uas.send(reply_to(got, 200, "OK"), srv.addr)
            bye_ok = caller.expect_reply(3.0)
            check(bye_ok is not None and bye_ok.status == 200, f"BYE got {bye_ok!r}")
            check(wait_until(lambda: not known(engine, call_id), 3.0),
                  "rtpengine still lists the call after the BYE ended its dialog")

            msg, final = answered_call(engine, srv, caller, uas)
            call_id = msg.get("call-id")
            caller.send(in_dialog("ACK", msg, final, caller.port, "1 ACK"), srv.addr)
            recv_request(uas, "ACK", 3.0)
            dialogs = srv.mi("dlg_list", {"callid": call_id})["dialogs"]
            check_eq(len(dialogs), 1, "dialogs of the call")
            srv.mi("dlg_end_dlg", {"id": dialogs[0]["id"]})
            check(wait_until(lambda: not known(engine, call_id), 3.0),
                  "rtpengine still lists the call after dlg_end_dlg")

            # A failed call is deleted once (by the transaction), not again by its dialog.
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")
            check(wait_until(lambda: not known(engine, msg.get("call-id")), 3.0),
                  "rtpengine still lists the failed call")
            time.sleep(0.2)
            check_eq(srv.stat("rtpengine:deletes"), 3, "deletes (BYE, dlg_end_dlg, 486)")
            check_eq(srv.stat("rtpengine:errors"), 0, "errors")


def test_bad_socket_stops_the_start():
    for sock, why in (("udp:localhost:2223", "not a numeric"),
                      ("tcp:127.0.0.1:2223", "only the udp: scheme"),
                      ("1 == udp:127.0.0.1:1; 1 == udp:127.0.0.1:2", "defined twice")):
        modules = ("sl = {}; maxfwd = {}; tm = {}; "
                   f'rtpengine = {{ rtpengine_sock = "{sock}"; }};')
        cfg, _ = write_config(routes=ROUTES.replace("@UAS_HOST@", LOOPBACK),
                              subst={"MODULES": modules}, name="rtpengine-bad")
        res = check_config(cfg)
        out = res.stdout + res.stderr
        check(res.returncode != 0, f"{sock!r} was accepted")
        check(why in out, f"{sock!r}: the error does not say {why!r}: {out}")


def test_call_stays_on_its_relay_after_the_first_relay_recovers():
    """Relay A (weighted first) is silent at the offer, so B takes the call; A comes back (the
    health check) before the 200: the answer and the BYE's delete still reach B, which holds
    the call, and A never hears of it."""
    with RtpEngine(None) as b, UdpPeer() as uas, UdpPeer() as caller:
        a = RtpEngine(None)  # not running yet: silent
        with server(f"{a.ng_addr}=1000 {b.ng_addr}=1", uas.port,
                    "rtpengine_disable_tout = 60; health_check_interval = 1;") as srv:
            a_rtp, b_rtp = rtp_socket(), rtp_socket()
            try:
                invite(caller, srv, a_rtp.getsockname()[1])
                msg, _ = recv_request(uas, "INVITE", 3.0)
                call_id = msg.get("call-id")
                _, offer_port = media_of(msg.body)
                check(in_range(offer_port, b.port_range), f"offer port {offer_port} not B's")
                check_eq(srv.stat("rtpengine:failovers"), 1, "failovers")
                with a:
                    check(wait_until(lambda: srv.stat("rtpengine:relays_down") == 0, 5.0),
                          "relay A did not come back")
                    uas.send(answer_200(msg, b_rtp.getsockname()[1]), srv.addr)
                    final = caller.expect_reply(3.0)
                    check(final is not None and final.status == 200, f"caller got {final!r}")
                    _, answer_port = media_of(final.body)
                    check(in_range(answer_port, b.port_range),
                          f"answer port {answer_port} not B's: the answer went to A?")
                    check_rtp_flows(a_rtp, (LOOPBACK, answer_port), b_rtp,
                                    (LOOPBACK, offer_port))
                    check(not known(a, call_id), "relay A knows the call")
                    caller.send(bye_for(msg, caller.port), srv.addr)
                    got, _ = recv_request(uas, "BYE", 3.0)
                    uas.send(reply_to(got, 200, "OK"), srv.addr)
                    check(wait_until(lambda: not known(b, call_id), 3.0),
                          "relay B still lists the call after the BYE")
                    check_eq(srv.stat("rtpengine:errors"), 0, "errors")
                    check_eq(srv.stat("rtpengine:answers"), 1, "answers")
            finally:
                a_rtp.close()
                b_rtp.close()


FORK_ROUTES = """\
route {
  if (has_totag()) {
    if (is_method("BYE|INVITE")) {
      rtpengine_manage("replace-origin replace-session-connection");
    }
    if (is_method("INVITE")) {
      t_on_reply("media");
    }
    if (loose_route()) {
      $du = "sip:127.0.0.1:@SECOND_PORT@";
      t_relay();
    }
    exit;
  }
  if (is_method("INVITE")) {
    if (!rtpengine_manage("replace-origin replace-session-connection")) {
      sl_send_reply(503, "No Media Relay");
      exit;
    }
    t_on_reply("media");
    record_route();
  }
  $ru = "sip:bob@127.0.0.1:@UAS_PORT@";
  append_branch("sip:bob@127.0.0.1:@SECOND_PORT@");
  t_relay();
}

onreply_route[media] {
  rtpengine_manage("replace-origin replace-session-connection");
}
"""


def fork_server(engine, first, second, extra_modules=""):
    modules = ("sl = {}; maxfwd = {}; tm = {}; rr = {}; " + extra_modules +
               f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; rtpengine_tout_ms = 300; '
               "rtpengine_retr = 0; };")
    routes = FORK_ROUTES.replace("@SECOND_PORT@", str(second.port))
    return Server(routes=routes, modules=modules, uas_port=first.port, name="rtpengine-fork")


def test_forked_call_keeps_its_session_when_one_branch_is_busy():
    """A parallel fork with rtpengine_manage() in onreply_route: the first callee's 486 deletes
    nothing (tm deletes only when the whole transaction fails), the second callee's 200 is
    answered by the relay, media flows, and the BYE deletes the session once."""
    with RtpEngine(None) as engine, UdpPeer() as first, UdpPeer() as second, \
            UdpPeer() as caller:
        with fork_server(engine, first, second) as srv:
            a_rtp, b_rtp = rtp_socket(), rtp_socket()
            try:
                invite(caller, srv, a_rtp.getsockname()[1])
                m1, _ = recv_request(first, "INVITE", 3.0)
                m2, _ = recv_request(second, "INVITE", 3.0)
                call_id = m1.get("call-id")
                _, offer_port = media_of(m2.body)
                first.send(reply_to(m1, 486, "Busy Here", tag="busy"), srv.addr)
                recv_request(first, "ACK", 3.0)  # the proxy took the 486
                time.sleep(0.2)
                check(known(engine, call_id), "the busy branch deleted the call's session")
                second.send(answer_200(m2, b_rtp.getsockname()[1]), srv.addr)
                final = caller.expect_reply(3.0)
                while final is not None and final.status < 200:
                    final = caller.expect_reply(3.0)
                check(final is not None and final.status == 200, f"caller got {final!r}")
                _, answer_port = media_of(final.body)
                check(in_range(answer_port, engine.port_range),
                      f"answer port {answer_port} not the relay's")
                check_rtp_flows(a_rtp, (LOOPBACK, answer_port), b_rtp, (LOOPBACK, offer_port))
                check_eq(srv.stat("rtpengine:deletes"), 0, "deletes before the BYE")
                caller.send(in_dialog("ACK", m2, final, caller.port, "1 ACK"), srv.addr)
                recv_request(second, "ACK", 3.0)
                caller.send(in_dialog("BYE", m2, final, caller.port, "2 BYE"), srv.addr)
                got, _ = recv_request(second, "BYE", 3.0)
                second.send(reply_to(got, 200, "OK"), srv.addr)
                check(wait_until(lambda: not known(engine, call_id), 3.0),
                      "rtpengine still lists the call after the BYE")
                check_eq(srv.stat("rtpengine:deletes"), 1, "deletes")
                check_eq(srv.stat("rtpengine:errors"), 0, "errors")
            finally:
                a_rtp.close()
                b_rtp.close()


def test_failed_reinvite_keeps_the_session():
    """rtpengine_manage() on a 491 to a re-INVITE of an answered call deletes nothing."""
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with fork_server(engine, uas, uas) as srv:
            invite(caller, srv, 40000)
            m1, _ = recv_request(uas, "INVITE", 3.0)
            m2, _ = recv_request(uas, "INVITE", 3.0)  # both branches reach the same peer
            call_id = m1.get("call-id")
            uas.send(reply_to(m1, 486, "Busy Here", tag="busy"), srv.addr)
            uas.send(answer_200(m2, 40010), srv.addr)
            final = caller.expect_reply(3.0)
            while final is not None and final.status < 200:
                final = caller.expect_reply(3.0)
            check(final is not None and final.status == 200, f"caller got {final!r}")
            caller.send(in_dialog("ACK", m2, final, caller.port, "1 ACK"), srv.addr)
            reinvite = in_dialog("INVITE", m2, final, caller.port, "3 INVITE")
            body = sdp(40002)
            reinvite = reinvite.replace(b"Content-Length: 0\r\n\r\n",
                                        b"Content-Type: application/sdp\r\nContent-Length: " +
                                        str(len(body)).encode() + b"\r\n\r\n" + body)
            caller.send(reinvite, srv.addr)
            got, _ = recv_request(uas, "INVITE", 3.0)
            uas.send(reply_to(got, 491, "Request Pending"), srv.addr)
            reply = caller.expect_reply(3.0)
            check(reply is not None and reply.status == 491, f"caller got {reply!r}")
            time.sleep(0.3)
            check(known(engine, call_id), "the failed re-INVITE deleted the call's session")
            check_eq(srv.stat("rtpengine:deletes"), 0, "deletes")


def test_server_stop_leaves_the_sessions_on_the_relay():
    """With the dialog module, stopping the server ends its dialogs (kShutdown) but not their
    media: the relay still holds the answered call."""
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        modules = ("sl = {}; maxfwd = {}; tm = {}; rr = {}; dialog = { hash_size = 256; }; "
                   f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; }};')
        srv = Server(routes=DIALOG_ROUTES, modules=modules, uas_port=uas.port,
                     name="rtpengine-stop")
        with srv:
            msg, final = answered_call(engine, srv, caller, uas)
            call_id = msg.get("call-id")
            caller.send(in_dialog("ACK", msg, final, caller.port, "1 ACK"), srv.addr)
            recv_request(uas, "ACK", 3.0)
        time.sleep(0.3)
        check(known(engine, call_id), "the server's stop deleted the call's session")


def _huge_sdp(port):
    lines = "".join(f"a=x-filler-{i}:{'y' * 60}\r\n" for i in range(1100))
    return sdp(port).replace(b"a=sendrecv\r\n", b"a=sendrecv\r\n" + lines.encode())


def test_huge_sdp_over_tcp_disables_no_relay():
    """An offer too large for one ng datagram (a ~70 kB SDP, over TCP) is the message's fault,
    not the relays': the script's error reply goes out at once and both relays stay up for
    the next call (it used to disable every relay of the set, one after the other)."""
    with RtpEngine(None) as one, RtpEngine(None) as two, UdpPeer() as uas, UdpPeer() as caller:
        modules = ("sl = {}; maxfwd = {}; tm = {}; "
                   f'rtpengine = {{ rtpengine_sock = "{one.ng_addr} {two.ng_addr}"; '
                   "rtpengine_tout_ms = 300; rtpengine_retr = 0; };")
        routes = ROUTES.replace("@UAS_HOST@", LOOPBACK)
        with Server(routes=routes, modules=modules, uas_port=uas.port, name="rtpengine",
                    transports=("udp", "tcp"), extra_settings="max_message_size = 200000;") as srv:
            body = _huge_sdp(40000)
            check(len(body) > 66000, f"the SDP is only {len(body)} bytes")
            req = build_request("INVITE", "sip:bob@example.com", caller.port,
                                extra=["Content-Type: application/sdp"], body=body)
            req = req.replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP", 1)
            peer = StreamPeer.connect(srv.addr)
            try:
                peer.send(req)
                started = time.monotonic()
                final = None
                while final is None or final.status < 200:
                    final = peer.recv_msg(3.0)
                    check(final is not None, "no reply to the huge offer")
                check_eq(final.status, 503, "the script's reply to the failed offer")
                check(time.monotonic() - started < 0.5, "the offer waited for the relays")
            finally:
                peer.sock.close()
            check_eq(srv.stat("rtpengine:relays_down"), 0, "relays down after the huge offer")
            check_eq(srv.stat("rtpengine:failovers"), 0, "failovers")
            relays = srv.mi("rtpengine_show")["relays"]
            check(all(r["state"] == "up" for r in relays), f"relays: {relays}")
            # The next (normal) call is relayed.
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            _, port = media_of(msg.body)
            check(in_range(port, one.port_range) or in_range(port, two.port_range),
                  f"m= port {port} is no relay's")
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")


def test_answer_follows_the_set_of_the_offer():
    """rtpengine_use_set(2) before the offer only: the 200's rtpengine_answer() (no
    rtpengine_use_set() in the onreply_route) reaches set 2's relay, which holds the call."""
    with RtpEngine(None) as one, RtpEngine(None) as two, UdpPeer() as uas, UdpPeer() as caller:
        routes = ROUTES.replace("@UAS_HOST@", LOOPBACK).replace(
            '    if (!rtpengine_offer(', '    rtpengine_use_set(2);\n    if (!rtpengine_offer(', 1)
        modules = ("sl = {}; maxfwd = {}; tm = {}; "
                   f'rtpengine = {{ rtpengine_sock = "1 == {one.ng_addr}; 2 == {two.ng_addr}"; '
                   "rtpengine_tout_ms = 300; rtpengine_retr = 0; };")
        with Server(routes=routes, modules=modules, uas_port=uas.port, name="rtpengine") as srv:
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            _, offer_port = media_of(msg.body)
            check(in_range(offer_port, two.port_range), f"offer m= port {offer_port} not set 2's")
            uas.send(answer_200(msg, 40010), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 200, f"caller got {final!r}")
            _, answer_port = media_of(final.body)
            check(in_range(answer_port, two.port_range),
                  f"answer m= port {answer_port} not set 2's relay")
            check_eq(srv.stat("rtpengine:answers"), 1, "answers")
            check_eq(srv.stat("rtpengine:errors"), 0, "errors")
            check(not one.calls(), f"set 1's relay knows calls: {one.calls()}")


def test_full_relay_passes_new_calls_to_the_next():
    """A relay at its session limit (rtpengine --max-sessions) refuses a new call: the offer
    goes to the set's other relay, the full one stays up and keeps its own call."""
    with RtpEngine(None, extra_args=["--max-sessions=1"]) as full, RtpEngine(None) as spare, \
            UdpPeer() as uas, UdpPeer() as caller:
        with server(f"{full.ng_addr}=1000 {spare.ng_addr}=1", uas.port) as srv:
            ports = []
            for _ in range(2):
                invite(caller, srv, 40000)
                msg, _ = recv_request(uas, "INVITE", 3.0)
                ports.append(media_of(msg.body)[1])
                uas.send(answer_200(msg, 40010), srv.addr)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 200, f"caller got {final!r}")
            check(in_range(ports[0], full.port_range), f"first call's port {ports[0]}")
            check(in_range(ports[1], spare.port_range), f"second call's port {ports[1]}")
            check_eq(len(full.calls()), 1, "calls on the full relay")
            check_eq(len(spare.calls()), 1, "calls on the spare relay")
            check_eq(srv.stat("rtpengine:offers"), 2, "offers")
            check_eq(srv.stat("rtpengine:errors"), 0, "errors")
            check_eq(srv.stat("rtpengine:relays_down"), 0, "relays down")


BRANCH_ROUTES = FORK_ROUTES.replace('''  if (is_method("INVITE")) {
    if (!rtpengine_manage("replace-origin replace-session-connection")) {
      sl_send_reply(503, "No Media Relay");
      exit;
    }
    t_on_reply("media");
    record_route();
  }''', '''  if (is_method("INVITE")) {
    t_on_branch("media");
    t_on_reply("media");
    record_route();
  }''') + '''
branch_route[media] {
  rtpengine_manage("replace-origin replace-session-connection");
}
'''


def test_forked_call_offered_per_branch_keeps_its_session_when_one_branch_is_busy():
    """The offers made in a branch_route (per branch, as OpenSIPS scripts do) with
    rtpengine_manage() in onreply_route: the first callee's 486 deletes nothing (tm follows
    the whole transaction, and rtpengine would end the whole call on a branch delete), the
    second callee's 200 is answered by the relay."""
    with RtpEngine(None) as engine, UdpPeer() as first, UdpPeer() as second, \
            UdpPeer() as caller:
        modules = ("sl = {}; maxfwd = {}; tm = {}; rr = {}; "
                   f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; rtpengine_tout_ms = 300; '
                   "rtpengine_retr = 0; };")
        routes = BRANCH_ROUTES.replace("@SECOND_PORT@", str(second.port))
        with Server(routes=routes, modules=modules, uas_port=first.port,
                    name="rtpengine-branch") as srv:
            invite(caller, srv, 40000)
            m1, _ = recv_request(first, "INVITE", 3.0)
            m2, _ = recv_request(second, "INVITE", 3.0)
            call_id = m1.get("call-id")
            for m in (m1, m2):
                _, port = media_of(m.body)
                check(in_range(port, engine.port_range), f"branch offer port {port}")
            first.send(reply_to(m1, 486, "Busy Here", tag="busy"), srv.addr)
            recv_request(first, "ACK", 3.0)
            time.sleep(0.2)
            check(known(engine, call_id), "the busy branch deleted the call's session")
            second.send(answer_200(m2, 40010), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 200, f"caller got {final!r}")
            _, answer_port = media_of(final.body)
            check(in_range(answer_port, engine.port_range),
                  f"answer port {answer_port} not the relay's")
            check_eq(srv.stat("rtpengine:deletes"), 0, "deletes")
            check_eq(srv.stat("rtpengine:errors"), 0, "errors")


def test_forked_call_offered_per_branch_is_deleted_when_every_branch_fails():
    """The offers made in a branch_route: tm follows the transaction from there, so once both
    callees refused (the 603 goes upstream) the call's session is deleted on the relay, once,
    instead of staying until rtpengine's own timeout."""
    with RtpEngine(None) as engine, UdpPeer() as first, UdpPeer() as second, \
            UdpPeer() as caller:
        modules = ("sl = {}; maxfwd = {}; tm = {}; rr = {}; "
                   f'rtpengine = {{ rtpengine_sock = "{engine.ng_addr}"; rtpengine_tout_ms = 300; '
                   "rtpengine_retr = 0; };")
        routes = BRANCH_ROUTES.replace("@SECOND_PORT@", str(second.port))
        with Server(routes=routes, modules=modules, uas_port=first.port,
                    name="rtpengine-branch-fail") as srv:
            invite(caller, srv, 40000)
            m1, _ = recv_request(first, "INVITE", 3.0)
            m2, _ = recv_request(second, "INVITE", 3.0)
            call_id = m1.get("call-id")
            check(known(engine, call_id), "no session after the branch offers")
            first.send(reply_to(m1, 486, "Busy Here", tag="busy"), srv.addr)
            recv_request(first, "ACK", 3.0)
            time.sleep(0.2)
            check(known(engine, call_id), "one busy branch deleted the call's session")
            check_eq(srv.stat("rtpengine:deletes"), 0, "deletes after one branch")
            second.send(reply_to(m2, 603, "Decline", tag="no"), srv.addr)
            recv_request(second, "ACK", 3.0)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 603, f"caller got {final!r}")
            deadline = time.time() + 3.0
            while known(engine, call_id) and time.time() < deadline:
                time.sleep(0.05)
            check(not known(engine, call_id), "the failed call's session is still on the relay")
            check_eq(srv.stat("rtpengine:deletes"), 1, "deletes")
            check_eq(srv.stat("rtpengine:errors"), 0, "errors")
