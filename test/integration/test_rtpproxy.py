"""rtpproxy module against a real rtpengine (Debian's rtpengine-daemon, userspace, loopback)
through its rtpproxy-protocol listener (--listen-udp): rtpproxy_offer() on an INVITE and
rtpproxy_answer() on its 200 rewrite c=/m= to the relay's ports; RTP then flows both ways
through the relay between two UDP sockets of the test (each side sends first);
rtpproxy_unforce() on the BYE, and a failed INVITE by itself, delete the relay's session. A
late offer (SDP offer in the 200, answer in the ACK) gets the tags in the offerer's order and
RTP flows both ways. Stopping the server (dialog module loaded) leaves active calls' sessions
on the relay. A relay that does not answer is failed over to another one of the set, or, when
it is the only one, the offer fails cleanly within the configured timeout."""

import re
import socket
import threading
import time

from harness import (LOOPBACK, Server, UdpPeer, build_request, check, check_config, check_eq,
                     recv_request, reply_to, wait_until, write_config)
from rtpengine_daemon import RtpEngine

ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("INVITE")) {
    if (!rtpproxy_offer("c")) {
      sl_send_reply(503, "No Media Relay");
      exit;
    }
    t_on_reply("media");
  }
  if (is_method("BYE")) {
    rtpproxy_unforce();
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}

onreply_route[media] {
  if ($rs == 200) {
    rtpproxy_answer("c");
  }
}
"""


# With the dialog module: the relay session ends with the call (here by dlg_end_dlg), without
# rtpproxy_unforce() in the script.
DIALOG_ROUTES = """\
route {
  if (has_totag()) {
    if (loose_route()) {
      t_relay();
    }
    exit;
  }
  if (is_method("INVITE")) {
    if (!rtpproxy_offer()) {
      sl_send_reply(503, "No Media Relay");
      exit;
    }
    record_route();
    t_on_reply("media");
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}

onreply_route[media] {
  if ($rs == 200) {
    rtpproxy_answer();
  }
}
"""


# A late offer: the INVITE has no SDP, the callee offers in its 200, the caller answers in the
# ACK (which reaches the proxy through its Record-Route).
LATE_OFFER_ROUTES = """\
route {
  if (has_totag()) {
    if (loose_route()) {
      if (is_method("ACK") && has_body("application/sdp")) {
        if (!rtpproxy_answer()) {
          xlog("L_ERR", "rtpproxy_answer failed on the ACK\\n");
        }
      }
      if (is_method("BYE")) {
        rtpproxy_unforce();
      }
      $du = "sip:127.0.0.1:@UAS_PORT@";
      t_relay();
    }
    exit;
  }
  if (is_method("INVITE")) {
    record_route();
    t_on_reply("late");
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}

onreply_route[late] {
  if ($rs == 200 && has_body("application/sdp")) {
    rtpproxy_offer();
  }
}
"""


def sdp(port, session="alice", ip=LOOPBACK):
    kind = "IP6" if ":" in ip else "IP4"
    return (f"v=0\r\n"
            f"o={session} 1 1 IN {kind} {ip}\r\n"
            f"s=-\r\n"
            f"c=IN {kind} {ip}\r\n"
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


def server(relay_sock, uas_port, extra="", routes=ROUTES, more_modules="", flags="c"):
    modules = (f"sl = {{}}; maxfwd = {{}}; tm = {{}}; {more_modules}"
               f'rtpproxy = {{ rtpproxy_sock = "{relay_sock}"; rtpproxy_tout_ms = 300; '
               f"rtpproxy_retr = 0; {extra} }};")
    routes = routes.replace('rtpproxy_offer("c")', f'rtpproxy_offer("{flags}")') \
        .replace('rtpproxy_answer("c")', f'rtpproxy_answer("{flags}")')
    return Server(routes=routes, modules=modules, uas_port=uas_port, name="rtpproxy")


def rtp_socket(ip=LOOPBACK):
    s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    return s


def in_range(port, rng):
    return rng[0] <= port <= rng[1]


def invite(caller, srv, rtp_port, ip=LOOPBACK):
    req = build_request("INVITE", "sip:bob@example.com", caller.port,
                        extra=["Content-Type: application/sdp"], body=sdp(rtp_port, ip=ip))
    caller.send(req, srv.addr)
    return req


def answer_200(msg, rtp_port, contact_port=None, ip=LOOPBACK):
    """The UAS's 200 with an SDP answer (and a Contact with the UAS's port when given)."""
    reply = reply_to(msg, 200, "OK").decode()
    if contact_port is not None:
        reply = reply.replace(f"<sip:bob@{LOOPBACK}>", f"<sip:bob@{LOOPBACK}:{contact_port}>")
    body = sdp(rtp_port, "bob", ip).decode()
    reply = reply.replace("Content-Length: 0\r\n\r\n",
                          f"Content-Type: application/sdp\r\nContent-Length: {len(body)}"
                          f"\r\n\r\n{body}")
    return reply.encode()


def relay_deleted(engine, call_id):
    """True once rtpengine no longer knows the call or has scheduled its deletion."""
    res = engine.ng({"command": "query", "call-id": call_id})
    if res.get("result") != "ok":
        return True
    log = engine.log()
    return call_id in log and ("Scheduling deletion" in log or "Deleting entire call" in log)


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
                data, src = s.recvfrom(2048)
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
    # Each side hears the relay, not the other side directly.
    check(got_a[1] != b_sock.getsockname()[1], f"caller heard the callee directly: {got_a}")
    check(got_b[1] != a_sock.getsockname()[1], f"callee heard the caller directly: {got_b}")


def test_offer_answer_rewrite_rtp_flows_and_unforce_deletes():
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.udp_addr, uas.port) as srv:
            a_rtp, b_rtp = rtp_socket(), rtp_socket()
            try:
                invite(caller, srv, a_rtp.getsockname()[1])
                msg, _ = recv_request(uas, "INVITE", 3.0)
                check_eq(int(msg.get("content-length")), len(msg.body), "Content-Length")
                addr, offer_port = media_of(msg.body)
                check_eq(addr, LOOPBACK, "offer c= (the relay)")
                check(in_range(offer_port, engine.port_range),
                      f"offer m= port {offer_port} not in the relay's {engine.port_range}")
                body = msg.body.decode()
                check(f"a=rtcp:{offer_port + 1}\r\n" in body, f"a=rtcp: {body!r}")
                check("a=candidate" not in body, f"ICE lines left (flag c): {body!r}")
                check("a=nortpproxy:yes" in body, "the relayed mark")

                uas.send(answer_200(msg, b_rtp.getsockname()[1]), srv.addr)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 200, f"caller got {final!r}")
                addr, answer_port = media_of(final.body)
                check_eq(addr, LOOPBACK, "answer c= (the relay)")
                check(in_range(answer_port, engine.port_range),
                      f"answer m= port {answer_port} not in {engine.port_range}")
                check(answer_port != offer_port, "offer and answer got the same relay port")
                check_eq(srv.stat("rtpproxy:offers"), 1, "offers")
                check_eq(srv.stat("rtpproxy:answers"), 1, "answers")

                # The caller sends to the port of the answer, the callee to that of the offer.
                check_rtp_flows(a_rtp, (LOOPBACK, answer_port), b_rtp, (LOOPBACK, offer_port))

                call_id = msg.get("call-id")
                check(engine.ng({"command": "query", "call-id": call_id}).get("result") == "ok",
                      "rtpengine knows the call")
                ftag = re.search(r";tag=([^;>\s]+)", msg.get("from")).group(1)
                bye = build_request("BYE", "sip:bob@example.com", caller.port, call_id=call_id,
                                    cseq="2 BYE",
                                    extra=[], omit=("From", "To"))
                bye = bye.replace(b"Call-ID:", (f"From: <sip:alice@{LOOPBACK}:{caller.port}>;"
                                                f"tag={ftag}\r\nTo: <sip:bob@example.com>;"
                                                f"tag=callee\r\nCall-ID:").encode(), 1)
                caller.send(bye, srv.addr)
                got, _ = recv_request(uas, "BYE", 3.0)
                uas.send(reply_to(got, 200, "OK"), srv.addr)
                check(wait_until(lambda: srv.stat("rtpproxy:deletes") == 1, 3.0),
                      "rtpproxy_unforce() counted no delete")
                check(wait_until(lambda: relay_deleted(engine, call_id), 3.0),
                      "rtpengine still has the call after the BYE")
                check_eq(srv.stat("rtpproxy:errors"), 0, "errors")
            finally:
                a_rtp.close()
                b_rtp.close()


def test_failed_invite_deletes_the_relay_session():
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.udp_addr, uas.port) as srv:
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            call_id = msg.get("call-id")
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")
            check(wait_until(lambda: srv.stat("rtpproxy:deletes") == 1, 3.0),
                  "no automatic delete after the 486")
            check(wait_until(lambda: relay_deleted(engine, call_id), 3.0),
                  "rtpengine still has the failed call")


def test_silent_relay_fails_over_to_the_next():
    silent = rtp_socket()  # bound, never answers: a relay that times out
    try:
        with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
            dead = f"udp:{LOOPBACK}:{silent.getsockname()[1]}"
            # The silent relay weighs most, so calls try it first (and fail over).
            with server(f"{dead}=1000 {engine.udp_addr}=1", uas.port,
                        "rtpproxy_disable_tout = 60; health_check_interval = 0;") as srv:
                for _ in range(2):
                    invite(caller, srv, 40000)
                    msg, _ = recv_request(uas, "INVITE", 3.0)
                    _, port = media_of(msg.body)
                    check(in_range(port, engine.port_range), f"m= port {port} not the relay's")
                    uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
                    caller.expect_reply(3.0)
                check_eq(srv.stat("rtpproxy:failovers"), 1,
                         "failovers (the second call skips the relay marked down)")
                check_eq(srv.stat("rtpproxy:offers"), 2, "offers")
                relays = {r["url"]: r for r in srv.mi("rtpproxy_show")["relays"]}
                check_eq(relays[dead]["state"], "down", "the silent relay's state")
                check_eq(relays[engine.udp_addr]["state"], "up", "rtpengine's state")
    finally:
        silent.close()


def test_only_relay_silent_fails_cleanly():
    silent = rtp_socket()
    try:
        with UdpPeer() as uas, UdpPeer() as caller:
            with server(f"udp:{LOOPBACK}:{silent.getsockname()[1]}", uas.port) as srv:
                started = time.monotonic()
                invite(caller, srv, 40000)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 503, f"caller got {final!r}")
                check(time.monotonic() - started < 2.0, "the offer waited too long")
                check_eq(srv.stat("rtpproxy:errors"), 1, "errors")
                check_eq(srv.stat("rtpproxy:offers"), 0, "offers")
                data, _ = uas.recv(0.3)
                check(data is None, "the INVITE went on without a relay")
    finally:
        silent.close()


def test_ended_dialog_deletes_the_relay_session():
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.udp_addr, uas.port, routes=DIALOG_ROUTES,
                    more_modules="rr = {}; dialog = {};") as srv:
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            call_id = msg.get("call-id")
            uas.send(answer_200(msg, 40010, uas.port), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 200, f"caller got {final!r}")
            dialogs = srv.mi("dlg_list", {"callid": call_id})["dialogs"]
            check_eq(len(dialogs), 1, "dialogs of the call")
            check(engine.ng({"command": "query", "call-id": call_id}).get("result") == "ok",
                  "rtpengine knows the call")
            srv.mi("dlg_end_dlg", {"id": dialogs[0]["id"]})
            # Both sides get a BYE; answering is polite, the teardown does not wait for it.
            for peer in (caller, uas):
                bye, _ = recv_request(peer, "BYE", 3.0)
                peer.send(reply_to(bye, 200, "OK"), srv.addr)
            check(wait_until(lambda: srv.stat("rtpproxy:deletes") == 1, 3.0),
                  "no delete when the dialog ended")
            check(wait_until(lambda: relay_deleted(engine, call_id), 3.0),
                  "rtpengine still has the ended call")


def test_ipv6_media_through_an_ipv6_relay():
    """Signalling on 127.0.0.1, media on ::1: flag r gives the relay the SDP's IPv6 address
    (modifier 6 follows) and the SDP comes back as IN IP6 with the relay's ports."""
    with RtpEngine(None, address="::1") as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.udp_addr, uas.port, flags="r") as srv:
            a_rtp, b_rtp = rtp_socket("::1"), rtp_socket("::1")
            try:
                invite(caller, srv, a_rtp.getsockname()[1], ip="::1")
                msg, _ = recv_request(uas, "INVITE", 3.0)
                addr, offer_port = media_of(msg.body)
                check_eq(addr, "::1", "offer c= (the relay)")
                check("c=IN IP6 ::1\r\n" in msg.body.decode(), f"offer: {msg.body!r}")
                check(in_range(offer_port, engine.port_range), f"offer port {offer_port}")
                uas.send(answer_200(msg, b_rtp.getsockname()[1], ip="::1"), srv.addr)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 200, f"caller got {final!r}")
                addr, answer_port = media_of(final.body)
                check_eq(addr, "::1", "answer c= (the relay)")
                check(in_range(answer_port, engine.port_range), f"answer port {answer_port}")
                check_rtp_flows(a_rtp, ("::1", answer_port), b_rtp, ("::1", offer_port))
            finally:
                a_rtp.close()
                b_rtp.close()


class FakeRelay:
    """A relay that stays silent until answering is set; then answers V with the version
    (the health check's probe), and any other command with `other_reply` when set."""

    def __init__(self):
        self.sock = rtp_socket()
        self.sock.settimeout(0.05)
        self.url = f"udp:{LOOPBACK}:{self.sock.getsockname()[1]}"
        self.answering = False
        self.probes = 0
        self.other_reply = None
        self.commands = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, src = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            cookie, _, cmd = data.decode(errors="replace").partition(" ")
            if cmd.strip() == "V":
                self.probes += 1
                if self.answering:
                    self.sock.sendto(f"{cookie} 20040107\n".encode(), src)
            else:
                self.commands.append(cmd.strip())
                if self.answering and self.other_reply:
                    self.sock.sendto(f"{cookie} {self.other_reply}\n".encode(), src)

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


def test_health_check_and_mi_bring_relays_back():
    fake = FakeRelay()
    try:
        with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
            with server(f"{fake.url}=1000 {engine.udp_addr}=1", uas.port,
                        "health_check_interval = 1;") as srv:
                invite(caller, srv, 40000)
                msg, _ = recv_request(uas, "INVITE", 3.0)
                uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
                caller.expect_reply(3.0)
                check_eq(srv.stat("rtpproxy:failovers"), 1, "failovers")

                def state(url):
                    return {r["url"]: r for r in srv.mi("rtpproxy_show")["relays"]}[url]["state"]
                check_eq(state(fake.url), "down", "the silent relay after the failover")
                # Probed while silent: it stays down; once it answers V it is back.
                check(wait_until(lambda: fake.probes >= 1, 3.0), "the health check never probed")
                check_eq(state(fake.url), "down", "a silent relay after a probe")
                fake.answering = True
                check(wait_until(lambda: state(fake.url) == "up", 4.0, 0.1),
                      "the relay answering V again is not back")
                # By hand: disabled stays disabled (the health check leaves it alone).
                srv.mi("rtpproxy_enable", {"url": engine.udp_addr, "enable": False})
                check_eq(state(engine.udp_addr), "disabled", "disabled by MI")
                srv.mi("rtpproxy_enable", {"url": engine.udp_addr, "enable": True})
                check_eq(state(engine.udp_addr), "up", "enabled again by MI")
    finally:
        fake.close()


def test_call_stays_on_its_relay_after_a_recovery():
    """The offer fails over from a silent relay to rtpengine; the silent relay comes back (and
    would be the set's choice again) before the 200: the answer and the delete still go to
    rtpengine, which holds the call (the recovered relay refuses everything with E8)."""
    fake = FakeRelay()
    try:
        with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
            with server(f"{fake.url}=1000 {engine.udp_addr}=1", uas.port,
                        "health_check_interval = 1;") as srv:
                invite(caller, srv, 40000)
                msg, _ = recv_request(uas, "INVITE", 3.0)
                check_eq(srv.stat("rtpproxy:failovers"), 1, "failovers")
                call_id = msg.get("call-id")
                fake.other_reply = "E8"
                fake.answering = True

                def state():
                    return {r["url"]: r for r in srv.mi("rtpproxy_show")["relays"]}[fake.url][
                        "state"]
                check(wait_until(lambda: state() == "up", 4.0, 0.1), "the relay is not back")
                fake.commands.clear()
                uas.send(answer_200(msg, 40010), srv.addr)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 200, f"caller got {final!r}")
                _, port = media_of(final.body)
                check(in_range(port, engine.port_range), f"answer m= port {port} not the relay's")
                check_eq(srv.stat("rtpproxy:answers"), 1, "answers")
                check_eq(srv.stat("rtpproxy:errors"), 0, "errors")
                caller.send(in_dialog("BYE", msg, final, caller.port, "2 BYE"), srv.addr)
                bye, _ = recv_request(uas, "BYE", 3.0)
                uas.send(reply_to(bye, 200, "OK"), srv.addr)
                check(wait_until(lambda: relay_deleted(engine, call_id), 3.0),
                      "rtpengine still has the call after the BYE")
                check_eq(fake.commands, [], "commands that reached the recovered relay")
    finally:
        fake.close()


def test_bad_arguments_and_sockets_stop_the_start():
    good = 'rtpproxy_sock = "1 == udp:127.0.0.1:22222";'
    for call, sock, word in (('rtpproxy_offer("az")', good, "'z'"),
                             ('rtpproxy_answer("iei")', good, "direction"),
                             ("rtpproxy_use_set(2)", good, "no set 2"),
                             ("rtpproxy_unforce()", 'rtpproxy_sock = "udp:nohost:1";', "nohost"),
                             ("rtpproxy_unforce()", "", "rtpproxy_sock")):
        routes = "route {\n  if (%s) { exit; }\n  drop;\n}\n" % call
        cfg, _ = write_config(routes=routes, name="rtpproxy-bad",
                              subst={"MODULES": f"sl = {{}}; rtpproxy = {{ {sock} }};"})
        res = check_config(cfg)
        out = res.stdout + res.stderr
        check(res.returncode != 0, f"{call} with {sock!r} accepted: {out}")
        check(word in out, f"{call}: the error does not name {word!r}: {out}")


def in_dialog(method, msg, final, caller_port, cseq, body=b""):
    """The caller's in-dialog request for the call of INVITE `msg` (as the UAS saw it), routed
    back through the proxy's Record-Route, with an SDP body when given."""
    ftag = re.search(r";tag=([^;>\s]+)", msg.get("from")).group(1)
    extra = ["Content-Type: application/sdp"] if body else []
    req = build_request(method, "sip:bob@example.com", caller_port, call_id=msg.get("call-id"),
                        cseq=cseq, omit=("From", "To"), extra=extra, body=body)
    routes = "".join(f"Route: {r}\r\n" for r in final.all("record-route"))
    return req.replace(b"Call-ID:", (f"From: <sip:alice@{LOOPBACK}:{caller_port}>;tag={ftag}"
                                     f"\r\nTo: <sip:bob@example.com>;tag=callee\r\n"
                                     f"{routes}Call-ID:").encode(), 1)


def advertised_port(tags, tag):
    """The RTP port rtpengine took from the SDP of the party with `tag` (ng query)."""
    check(tag in tags, f"the relay has no tag {tag!r}: {sorted(tags)}")
    return tags[tag]["medias"][0]["streams"][0]["advertised endpoint"]["port"]


def test_late_offer_in_200_and_answer_in_ack():
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.udp_addr, uas.port, routes=LATE_OFFER_ROUTES,
                    more_modules="rr = {}; textops = {}; ") as srv:
            a_rtp, b_rtp = rtp_socket(), rtp_socket()
            try:
                caller.send(build_request("INVITE", "sip:bob@example.com", caller.port),
                            srv.addr)
                msg, _ = recv_request(uas, "INVITE", 3.0)
                check(not msg.body, "the INVITE carries no SDP")
                uas.send(answer_200(msg, b_rtp.getsockname()[1], uas.port), srv.addr)
                final = caller.expect_reply(3.0)
                check(final is not None and final.status == 200, f"caller got {final!r}")
                addr, offer_port = media_of(final.body)
                check_eq(addr, LOOPBACK, "offer c= in the 200 (the relay)")
                check(in_range(offer_port, engine.port_range),
                      f"offer m= port {offer_port} not in the relay's {engine.port_range}")
                check_eq(srv.stat("rtpproxy:offers"), 1, "offers")

                ack = in_dialog("ACK", msg, final, caller.port, "1 ACK",
                                sdp(a_rtp.getsockname()[1]))
                caller.send(ack, srv.addr)
                got, _ = recv_request(uas, "ACK", 3.0)
                addr, answer_port = media_of(got.body)
                check_eq(addr, LOOPBACK, "answer c= in the ACK (the relay)")
                check(in_range(answer_port, engine.port_range),
                      f"answer m= port {answer_port} not in {engine.port_range}")
                check(answer_port != offer_port, "offer and answer got the same relay port")
                check_eq(srv.stat("rtpproxy:answers"), 1, "answers")
                check_eq(srv.stat("rtpproxy:errors"), 0, "errors")
                # RTP would flow with the tags reversed too (the relay learns the addresses from
                # the packets): the relay must have paired each tag with its side's SDP.
                ftag = re.search(r";tag=([^;>\s]+)", msg.get("from")).group(1)
                tags = engine.ng({"command": "query", "call-id": msg.get("call-id")})["tags"]
                check_eq(advertised_port(tags, "callee"), b_rtp.getsockname()[1],
                         "the callee's (offerer's) SDP port as the relay has it")
                check_eq(advertised_port(tags, ftag), a_rtp.getsockname()[1],
                         "the caller's (answerer's) SDP port as the relay has it")

                # The callee offered: the caller sends to the offer's port, the callee to the
                # answer's.
                check_rtp_flows(a_rtp, (LOOPBACK, offer_port), b_rtp, (LOOPBACK, answer_port))

                call_id = msg.get("call-id")
                caller.send(in_dialog("BYE", msg, final, caller.port, "2 BYE"), srv.addr)
                bye, _ = recv_request(uas, "BYE", 3.0)
                uas.send(reply_to(bye, 200, "OK"), srv.addr)
                check(wait_until(lambda: srv.stat("rtpproxy:deletes") == 1, 3.0),
                      "rtpproxy_unforce() counted no delete")
                check(wait_until(lambda: relay_deleted(engine, call_id), 3.0),
                      "rtpengine still has the call after the BYE")
            finally:
                a_rtp.close()
                b_rtp.close()


def test_server_stop_leaves_active_calls_on_the_relay():
    """The dialog module ends its dialogs when the server stops (no persistence): that is no
    end of the calls, so their relay sessions stay."""
    with RtpEngine(None) as engine, UdpPeer() as uas, UdpPeer() as caller:
        with server(engine.udp_addr, uas.port, routes=DIALOG_ROUTES,
                    more_modules="rr = {}; dialog = {};") as srv:
            invite(caller, srv, 40000)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            call_id = msg.get("call-id")
            uas.send(answer_200(msg, 40010, uas.port), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 200, f"caller got {final!r}")
            check_eq(len(srv.mi("dlg_list", {"callid": call_id})["dialogs"]), 1, "dialogs")
        # Stopped: a delete would have been sent before the processes exited; give it time
        # to arrive anyway.
        time.sleep(0.5)
        check(engine.ng({"command": "query", "call-id": call_id}).get("result") == "ok",
              "rtpengine lost the call when the server stopped")
        check(not relay_deleted(engine, call_id), "the relay session was deleted at the stop")


# A parallel fork whose offers are made per branch, in a branch_route.
BRANCH_ROUTES = """\
route {
  if (is_method("INVITE")) {
    t_on_branch("media");
  }
  $ru = "sip:bob@127.0.0.1:@UAS_PORT@";
  append_branch("sip:bob@127.0.0.1:@SECOND_PORT@");
  t_relay();
}

branch_route[media] {
  rtpproxy_offer("c");
}
"""


def test_forked_call_offered_per_branch_is_deleted_when_every_branch_fails():
    """rtpproxy_offer() in a branch_route: the first callee's 486 deletes nothing (the other
    branch may still answer), and once the second one refused too the relay session is
    deleted, once, instead of staying until the relay's own timeout."""
    with RtpEngine(None) as engine, UdpPeer() as first, UdpPeer() as second, \
            UdpPeer() as caller:
        routes = BRANCH_ROUTES.replace("@SECOND_PORT@", str(second.port))
        with server(engine.udp_addr, first.port, routes=routes) as srv:
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
            check_eq(srv.stat("rtpproxy:deletes"), 0, "deletes after one busy branch")
            second.send(reply_to(m2, 603, "Decline", tag="no"), srv.addr)
            recv_request(second, "ACK", 3.0)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 603, f"caller got {final!r}")
            check(wait_until(lambda: srv.stat("rtpproxy:deletes") == 1, 3.0),
                  "no automatic delete after every branch failed")
            check(wait_until(lambda: relay_deleted(engine, call_id), 3.0),
                  "rtpengine still has the failed call")
            check_eq(srv.stat("rtpproxy:errors"), 0, "errors")
