"""nathelper on loopback (issue 12, step 1): a phone whose Contact names a private address
registers from a UdpPeer on 127.0.0.1 through `nat_uac_test("private-contact")` and
`fix_nated_register()`; a call for it then reaches the peer (the address the REGISTER came
from), not the private address. A relayed INVITE with a private SDP c= arrives at the UAS
rewritten by `fix_nated_sdp("rewrite-c")`, and its Contact by fix_nated_contact(). Bad flags
stop the start with the call's position. No network namespaces: everything on 127.0.0.1."""

import re

from harness import (LOOPBACK, UdpPeer, build_request, check, check_config, check_eq,
                     recv_request, reply_to, write_config)
from location_flows import location_modules, registrar_server

ROUTES = """\
route {
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("REGISTER")) {
    if (nat_uac_test("private-contact")) {
      fix_nated_register();
    }
    save("location");
    exit;
  }
  if (is_method("INVITE") && $rU == "alice") {
    if (!lookup("location")) {
      sl_send_reply(404, "Not Found");
      exit;
    }
    t_relay();
    exit;
  }
  if (nat_uac_test("private-sdp|private-contact")) {
    fix_nated_contact();
    fix_nated_sdp("rewrite-c");
  }
  $du = "sip:127.0.0.1:@UAS_PORT@";
  t_relay();
}
"""

PRIVATE_SDP = ("v=0\r\n"
               "o=- 1 1 IN IP4 192.168.1.20\r\n"
               "s=-\r\n"
               "c=IN IP4 192.168.1.20\r\n"
               "t=0 0\r\n"
               "m=audio 4000 RTP/AVP 0\r\n"
               "a=rtcp:4001\r\n"
               "m=video 4002 RTP/AVP 96\r\n"
               "c=IN IP4 10.0.0.3\r\n").encode()


def nat_server(store_received="diff-ip"):
    modules = location_modules(registrar={"store_received": store_received}) + " nathelper = {};"
    return registrar_server(routes=ROUTES, modules=modules, name="nathelper")


def register(peer, srv, contact):
    req = build_request("REGISTER", f"sip:{LOOPBACK}:{srv.port}", peer.port,
                        extra=[f"Contact: <{contact}>", "Expires: 600"], omit=("Contact",))
    req = req.replace(f"To: <sip:{LOOPBACK}:{srv.port}>".encode(),
                      f"To: <sip:alice@{LOOPBACK}:{srv.port}>".encode())
    peer.send(req, srv.addr)
    reply = peer.expect_reply(3.0)
    check(reply is not None, "no reply to the REGISTER")
    check_eq(reply.status, 200, "REGISTER reply")
    return reply


def call_reaches_phone(srv, phone, contact):
    """An INVITE for alice arrives at the phone's UdpPeer, its request-URI the Contact."""
    with UdpPeer() as caller:
        caller.send(build_request("INVITE", f"sip:alice@{LOOPBACK}:{srv.port}", caller.port),
                    srv.addr)
        msg, _ = recv_request(phone, "INVITE", 3.0)
        check(msg.first.startswith(f"INVITE {contact} "), f"request line: {msg.first}")
        phone.send(reply_to(msg, 486, "Busy Here"), srv.addr)
        final = caller.expect_reply(3.0)
        check(final is not None and final.status == 486, f"caller got {final!r}")


def _check_fix_nated_register(store_received):
    with nat_server(store_received) as srv, UdpPeer() as phone:
        contact = "sip:alice@192.168.1.20:5062"
        reply = register(phone, srv, contact)
        check(contact in reply.get("contact"), f"200 Contact: {reply.get('contact')}")
        call_reaches_phone(srv, phone, contact)


def test_registered_behind_nat_is_reached_at_the_source_address():
    _check_fix_nated_register("diff-ip")


def test_fix_nated_register_overrides_store_received_off():
    _check_fix_nated_register("off")


def test_private_sdp_is_rewritten_at_the_uas():
    with UdpPeer() as uas:
        modules = location_modules() + " nathelper = {};"
        with registrar_server(routes=ROUTES, modules=modules, name="nathelper",
                              uas_port=uas.port) as srv, UdpPeer() as caller:
            req = build_request("INVITE", "sip:bob@example.com", caller.port,
                                extra=["Contact: <sip:carol@192.168.1.20:5062;transport=udp>",
                                       "Content-Type: application/sdp"],
                                omit=("Contact",), body=PRIVATE_SDP)
            caller.send(req, srv.addr)
            msg, _ = recv_request(uas, "INVITE", 3.0)
            body = msg.body.decode()
            check_eq(int(msg.get("content-length")), len(msg.body), "Content-Length")
            check("c=IN IP4 192.168.1.20" not in body and "10.0.0.3" not in body,
                  f"private c= left: {body!r}")
            check_eq(len(re.findall(r"c=IN IP4 127\.0\.0\.1\r\n", body)), 2, f"c= lines {body!r}")
            check("o=- 1 1 IN IP4 192.168.1.20" in body, "o= is not rewritten without rewrite-o")
            check("a=rtcp:4001\r\n" in body, "a=rtcp untouched")
            check_eq(msg.get("contact"),
                     f"<sip:carol@{LOOPBACK}:{caller.port};transport=udp>", "fixed Contact")
            uas.send(reply_to(msg, 486, "Busy Here"), srv.addr)
            final = caller.expect_reply(3.0)
            check(final is not None and final.status == 486, f"caller got {final!r}")


def test_bad_flags_stop_the_start():
    for call, word in (('nat_uac_test("private-contakt")', "private-contakt"),
                       ('nat_uac_test("128")', "128"),
                       ('fix_nated_sdp("rewrite-x")', "rewrite-x")):
        routes = "route {\n  if (%s) { exit; }\n  drop;\n}\n" % call
        cfg, _ = write_config(routes=routes, subst={"MODULES": "sl = {}; nathelper = {};"},
                              name="nathelper-bad")
        res = check_config(cfg)
        check(res.returncode != 0, f"{call} accepted: {res.stdout}{res.stderr}")
        out = res.stdout + res.stderr
        check(word in out and ":2:" in out, f"{call}: error does not name it: {out}")
