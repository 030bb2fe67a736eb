"""The provider's full configuration end to end (issue 14): the shipped cfg/sipline.routes
with every service switched on (WITH_ALIASES, WITH_PSTN, WITH_CALLFWD, WITH_VOICEMAIL, as
cfg/sipline.cfg ships them) against a real PostgreSQL provisioned with siplinectl, sipp as the
PSTN gateways, the media server and the phones, all on loopback (every table provisioned
with the operator's commands: siplinectl alias/group/dispatcher/address/callfwd):

  * a call to a number goes out through the gateways of dispatcher set 1, and to the next
    gateway when the first answers 503;
  * dialing rights by group: a subscriber without group "int" is refused an international
    number (403), one with it gets through;
  * a gateway's call is trusted by its source address (permissions group 1): no challenge,
    and its number (an alias) reaches the subscriber's phone;
  * forwarding on busy and on no answer to another subscriber (usr_preferences);
  * voicemail: an unanswered call without forwarding goes to the media server, the mailbox
    named by the callee's user; a name that is no subscriber's gets 404, not a mailbox;
  * no way around the dialing rights (toll fraud): a call forwarded to a number needs the
    forwarding subscriber's rights (not the caller's), a phone's 3xx is followed but never
    straight to a gateway's address, and a forged in-dialog INVITE (a To tag and our Route)
    for no call of ours is refused instead of relayed to its request-URI (a real call's
    re-INVITE goes through);
  * a forward that cannot be relayed from failure_route gets one final reply, not two.
"""

import glob
import os

from auth_flows import DOMAIN, AuthDb, _ctl, add_subscriber, check_sipp_ok, provider_server
from digest_client import DigestUa, auth_header_line, challenges, pick, set_header
from harness import (LOOPBACK, UdpPeer, build_request, check, check_eq, free_udp_port,
                     new_callid, parse_sip, recv_request, reply_to, scenario, sipp)
from location_flows import check_status
from sipp_flows import callee, step_count

PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}
# alice may dial anything, bob only local numbers; carol has no dialing rights.
GROUPS = {"alice": ("local", "ld", "int"), "bob": ("local",)}
NUMBERS = {"4401": "alice", "4402": "bob", "4403": "carol"}
# The ring time before "no answer" (ms), short for the tests.
NOANSWER_MS = 3000


def ctl(pg, *args):
    r = _ctl(pg, *args)
    check(r.returncode == 0, f"siplinectl {' '.join(args)}: exit {r.returncode}: "
                             f"{r.stdout} {r.stderr}")


def provision(pg, gateways=(), gateway_addresses=()):
    pg.init_schema()
    for u, pw in PASSWORDS.items():
        add_subscriber(pg, u, DOMAIN, pw)
    for u, groups in GROUPS.items():
        for g in groups:
            ctl(pg, "group", "add", f"{u}@{DOMAIN}", g)
    for number, u in NUMBERS.items():
        ctl(pg, "alias", "add", number, f"{u}@{DOMAIN}")
    for prio, port in enumerate(gateways):
        ctl(pg, "dispatcher", "add", "1", f"sip:{LOOPBACK}:{port}", "--priority", str(prio),
            "--description", f"gw{prio}")
    for port in gateway_addresses:
        ctl(pg, "address", "add", "1", f"{LOOPBACK}/32", "--port", str(port), "--proto", "udp")


def set_forward(pg, srv, user, option, target):
    """A forwarding target in our domain: with the server's port, which is not 5060 here."""
    ctl(pg, "callfwd", "set", f"{user}@{DOMAIN}", option, f"sip:{target}@{DOMAIN}:{srv.port}")


def service_modules(url):
    return (f' dispatcher = {{ db_url = "{url}"; ds_ping_interval = 0; }};'
            f' permissions = {{ db_url = "{url}"; }};'
            f' group = {{ db_url = "{url}"; use_domain = true; }};'
            f' alias_db = {{ db_url = "{url}"; use_domain = true; }};'
            f' avpops = {{ db_url = "{url}"; use_domain = true; }};'
            f' uac_redirect = {{}};')


def server(pg, voicemail_port=None):
    defines = {"WITH_ALIASES": True, "WITH_PSTN": True, "WITH_CALLFWD": True,
               "WITH_VOICEMAIL": voicemail_port is not None, "NOANSWER_TIMEOUT": NOANSWER_MS,
               "PSTN_ALG": 8}  # first available by priority: gw0 is always tried first
    if voicemail_port is not None:
        defines["VOICEMAIL_SERVER"] = f"{LOOPBACK}:{voicemail_port}"
    return provider_server(pg, defines=defines, extra_modules=service_modules(pg.url))


def register(srv, user, port):
    with DigestUa(srv.addr, user, DOMAIN, PASSWORDS[user], contact_port=port) as ua:
        _, ok, _ = ua.register_with_auth()
        check_status(ok, 200, f"{user}'s authenticated REGISTER")


def subscriber_call(srv, user, target, calls=1, hard_timeout=40, name=None):
    """user calls target (a user or number of our domain) with digest authentication."""
    return sipp(srv.addr, "-sf", scenario("auth_uac_call.xml"), "-key", "caller", user,
                "-au", user, "-ap", PASSWORDS[user], "-s", target, "-trace_counts",
                "-trace_msg", calls=calls, hard_timeout=hard_timeout, name=name or user)


# ------------------------------------------------------------------------ the PSTN
def test_pstn_call_fails_over_to_the_next_gateway_on_503():
    with AuthDb() as pg, callee("prov_uas_503.xml", 1, name="gw0") as gw0, \
            callee("tm_uas_call.xml", 1, name="gw1") as gw1:
        provision(pg, gateways=(gw0.port, gw1.port))
        with server(pg) as srv:
            r = subscriber_call(srv, "alice", "004412345678")
            check_sipp_ok(r, 1, "alice's international call")
            check_sipp_ok(gw0.wait(20), 1, "gw0 (503)")
            check_sipp_ok(gw1.wait(20), 1, "gw1 (answers after the failover)")


def test_dialing_rights_by_group():
    with AuthDb() as pg, callee("tm_uas_call.xml", 1, name="gw") as gw:
        provision(pg, gateways=(gw.port,))
        with server(pg) as srv:
            refused = sipp(srv.addr, "-sf", scenario("auth_uac_call.xml"), "-key", "caller",
                           "bob", "-au", "bob", "-ap", PASSWORDS["bob"], "-s", "004412345678",
                           "-trace_counts", "-trace_msg", calls=1, hard_timeout=30,
                           name="bob-int")
            check(r_failed_with(refused, 403), f"bob's international call was not refused "
                                               f"with 403:\n{refused.output_tail(30)}")
            ok = subscriber_call(srv, "alice", "004412345678")
            check_sipp_ok(ok, 1, "alice (group int) dials the same number")
            check_sipp_ok(gw.wait(20), 1, "the gateway got alice's call only")


def messages(result):
    """What sipp's -trace_msg logged for a run (every message sent and received)."""
    text = ""
    for path in glob.glob(os.path.join(os.path.dirname(result.out_path), "*_messages.log")):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def r_failed_with(result, code):
    return result.successful == 0 and f"SIP/2.0 {code}" in messages(result)


def test_gateway_call_is_trusted_by_address_and_reaches_the_number():
    gw_port = free_udp_port()
    with AuthDb() as pg, callee("tm_uas_call.xml", 1, name="bob-phone") as phone:
        provision(pg, gateway_addresses=(gw_port,))
        with server(pg) as srv:
            register(srv, "bob", phone.port)
            # From names our own domain: without the address trust it would be challenged.
            r = sipp(srv.addr, "-sf", scenario("tm_uac_call.xml"), "-p", str(gw_port), "-key",
                     "callee", f"{LOOPBACK}:{srv.port}", "-s", "4402", "-trace_counts",
                     "-trace_msg", calls=1, hard_timeout=40, name="gateway")
            check_sipp_ok(r, 1, "the gateway's call to 4402 (bob) without a challenge")
            check_sipp_ok(phone.wait(20), 1, "bob's phone")
            # The same call from another port of the same host is not the gateway.
            other = sipp(srv.addr, "-sf", scenario("tm_uac_call.xml"), "-key", "callee",
                         f"{LOOPBACK}:{srv.port}", "-s", "4402", "-trace_counts",
                         "-trace_msg", calls=1, hard_timeout=30, name="not-gateway")
            check(other.successful == 0 and "SIP/2.0 407" in messages(other),
                  f"a call from a port not in the address table was not challenged:\n"
                  f"{other.output_tail(30)}")


# ------------------------------------------------------------ forwarding and voicemail
def test_forward_on_busy_to_another_subscriber():
    with AuthDb() as pg, callee("tm_uas_busy.xml", 1, name="bob-phone") as bob, \
            callee("tm_uas_call.xml", 1, name="carol-phone") as carol:
        provision(pg)
        with server(pg) as srv:
            set_forward(pg, srv, "bob", "--busy", "carol")
            register(srv, "bob", bob.port)
            register(srv, "carol", carol.port)
            r = subscriber_call(srv, "alice", "bob")
            check_sipp_ok(r, 1, "alice's call to bob, answered by carol")
            check_sipp_ok(bob.wait(20), 1, "bob's busy phone")
            check_sipp_ok(carol.wait(20), 1, "carol's phone")


def test_forward_on_no_answer_to_another_subscriber():
    with AuthDb() as pg, callee("tm_uas_cancelled.xml", 1, name="bob-phone") as bob, \
            callee("tm_uas_call.xml", 1, name="carol-phone") as carol:
        provision(pg)
        with server(pg) as srv:
            set_forward(pg, srv, "bob", "--noanswer", "4403")   # a number: carol's alias
            register(srv, "bob", bob.port)
            register(srv, "carol", carol.port)
            r = subscriber_call(srv, "alice", "bob")
            check_sipp_ok(r, 1, "alice's call to bob, answered by carol after the ring time")
            check_sipp_ok(bob.wait(20), 1, "bob's phone (rang, then CANCEL)")
            check_sipp_ok(carol.wait(20), 1, "carol's phone")


def test_voicemail_on_no_answer_and_when_not_registered():
    with AuthDb() as pg, callee("tm_uas_cancelled.xml", 1, name="bob-phone") as bob, \
            callee("tm_uas_call.xml", 2, name="media-server") as vm:
        provision(pg)
        with server(pg, voicemail_port=vm.port) as srv:
            register(srv, "bob", bob.port)
            r = subscriber_call(srv, "alice", "bob")
            check_sipp_ok(r, 1, "alice's unanswered call to bob, taken by voicemail")
            check_sipp_ok(bob.wait(20), 1, "bob's phone (rang, then CANCEL)")
            # carol is not registered: her calls go straight to her mailbox.
            r = subscriber_call(srv, "alice", "carol", name="alice-carol")
            check_sipp_ok(r, 1, "alice's call to carol (not registered), taken by voicemail")
            done = vm.wait(20)
            check_sipp_ok(done, 2, "the media server")
            msgs = messages(done)
            for mailbox in ("bob", "carol"):
                check(f"INVITE sip:{mailbox}@{LOOPBACK}:{vm.port}" in msgs,
                      f"no INVITE for mailbox {mailbox} at the media server:\n{msgs[:3000]}")
            check_eq(step_count(done, "0_INVITE_Recv"), 2, "INVITEs at the media server")
            # A name that is no subscriber's has no mailbox: 404, not the media server.
            r = subscriber_call(srv, "alice", "nobody", hard_timeout=30, name="alice-nobody")
            check(r_failed_with(r, 404), f"a call to no subscriber was not answered 404:\n"
                                         f"{r.output_tail(30)}")


# -------------------------------------------------------- toll fraud: no way around the rights
INT_NUMBER = "004412345678"


def test_forwarding_to_a_number_needs_the_forwarding_subscribers_rights():
    with AuthDb() as pg, callee("tm_uas_call.xml", 1, name="gw") as gw:
        provision(pg, gateways=(gw.port,))
        with server(pg) as srv:
            # bob (group local only) forwards every call abroad; alice (int) calls him.
            set_forward(pg, srv, "bob", "--always", INT_NUMBER)
            refused = subscriber_call(srv, "alice", "bob", hard_timeout=30, name="alice-bob")
            check(r_failed_with(refused, 403), f"bob's forwarding abroad took alice's rights:\n"
                                               f"{refused.output_tail(30)}")
            # alice (int) forwards abroad; carol (no rights at all) calls her: alice pays.
            set_forward(pg, srv, "alice", "--always", INT_NUMBER)
            r = subscriber_call(srv, "carol", "alice", name="carol-alice")
            check_sipp_ok(r, 1, "carol's call to alice, forwarded abroad on alice's rights")
            check_sipp_ok(gw.wait(20), 1, "the gateway got the forwarded call only")


def no_invite(peer, wait, what):
    """Nothing at all reached UdpPeer `peer` (a gateway) within `wait` seconds."""
    msg, _ = peer.recv_msg(wait)
    check(msg is None, f"{what}: the gateway got {msg and msg.first}")


def test_a_redirect_is_followed_but_never_straight_to_a_gateway():
    with AuthDb() as pg, UdpPeer() as gw, callee("tm_uas_call.xml", 1, name="target") as target, \
            callee("cf_uas_redirect.xml", 1, "-key", "target_low", f"{LOOPBACK}:{target.port}",
                   "-key", "target_high", f"{LOOPBACK}:{target.port}", name="bob-phone") as bob, \
            callee("cf_uas_redirect.xml", 1, "-key", "target_low", f"{LOOPBACK}:{gw.port}",
                   "-key", "target_high", f"{LOOPBACK}:{gw.port}", name="carol-phone") as carol:
        provision(pg, gateway_addresses=(gw.port,))
        with server(pg) as srv:
            register(srv, "bob", bob.port)
            register(srv, "carol", carol.port)
            r = subscriber_call(srv, "alice", "bob", name="alice-bob")
            check_sipp_ok(r, 1, "alice's call to bob, redirected by his phone")
            check_sipp_ok(bob.wait(20), 1, "bob's redirecting phone")
            check_sipp_ok(target.wait(20), 1, "the redirect target")
            # carol's phone redirects to the gateway's address: the gateway trusts us, so
            # following it would be a PSTN call past every dialing right.
            refused = subscriber_call(srv, "alice", "carol", hard_timeout=30, name="alice-carol")
            check(r_failed_with(refused, 403), f"a redirect to a gateway was not refused:\n"
                                               f"{refused.output_tail(30)}")
            check_sipp_ok(carol.wait(20), 1, "carol's redirecting phone")
            no_invite(gw, 0.5, "redirect to a gateway's address")


def answered_call(srv, ua, phone):
    """ua (alice) calls bob, registered at UdpPeer `phone`, which answers 200. Returns
    (From header, the 200 at the caller)."""
    ruri = f"sip:bob@{DOMAIN}:{srv.port}"
    cid = new_callid()
    first = ua.request("INVITE", ruri, call_id=cid)
    check(first is not None and first.status == 407, f"INVITE: {first and first.first}")
    ch = pick(challenges(first))
    line = auth_header_line(ch, ua.creds.authorization(ch, "INVITE", ruri))
    from_hdr = f"<{ua.aor}>;tag=caller"
    data = build_request("INVITE", ruri, ua.port, call_id=cid, cseq="2 INVITE", extra=[line])
    data = set_header(set_header(data, "From", from_hdr), "Contact", ua.contact)
    ua.send(data, srv.addr)
    got, _ = recv_request(phone, "INVITE", 3.0)
    phone.send(answer(got, phone.port), srv.addr)
    final = ua.expect_reply(3.0)
    check(final is not None and final.status == 200, f"the call: {final and final.first}")
    return from_hdr, final


def answer(req, port):
    """bob's 200 to `req`, with a Contact that names his port."""
    return reply_to(req, 200, "OK", tag="bob").replace(
        f"Contact: <sip:bob@{LOOPBACK}>".encode(), f"Contact: <sip:bob@{LOOPBACK}:{port}>".encode())


def in_dialog(ua, method, from_hdr, final, cseq):
    """The caller's request inside the dialog the 200 `final` set up (RFC 3261 §12.2.1.1)."""
    target = final.get("contact").split("<", 1)[1].split(">", 1)[0]
    routes = [f"Route: {r}" for r in reversed(final.all("record-route"))]
    data = build_request(method, target, ua.port, call_id=final.get("call-id"),
                         cseq=f"{cseq} {method}", extra=routes)
    data = set_header(data, "From", from_hdr)
    return set_header(data, "To", final.get("to"))


def test_a_reinvite_of_an_answered_call_goes_through():
    with AuthDb() as pg, UdpPeer() as phone:
        provision(pg)
        with server(pg) as srv:
            register(srv, "bob", phone.port)
            with DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as ua:
                from_hdr, final = answered_call(srv, ua, phone)
                ua.send(in_dialog(ua, "ACK", from_hdr, final, 2), srv.addr)
                recv_request(phone, "ACK", 3.0)
                ua.send(in_dialog(ua, "INVITE", from_hdr, final, 3), srv.addr)
                got, _ = recv_request(phone, "INVITE", 3.0)
                phone.send(answer(got, phone.port), srv.addr)
                ok = ua.expect_reply(3.0)
                check(ok is not None and ok.status == 200, f"re-INVITE: {ok and ok.first}")
                ua.send(in_dialog(ua, "BYE", from_hdr, final, 4), srv.addr)
                got, _ = recv_request(phone, "BYE", 3.0)
                phone.send(reply_to(got, 200, "OK"), srv.addr)
                ok = ua.expect_reply(3.0)
                check(ok is not None and ok.status == 200, f"BYE: {ok and ok.first}")


def test_a_forged_in_dialog_invite_is_not_relayed():
    with AuthDb() as pg, UdpPeer() as gw, UdpPeer() as attacker:
        provision(pg, gateway_addresses=(gw.port,))
        with server(pg) as srv:
            # A "re-INVITE" for no call of ours: our Route, a To tag, a number at a gateway.
            data = build_request("INVITE", f"sip:{INT_NUMBER}@{LOOPBACK}:{gw.port}",
                                 attacker.port,
                                 extra=[f"Route: <sip:{LOOPBACK}:{srv.port};lr>"])
            data = set_header(data, "To", f"<sip:{INT_NUMBER}@{LOOPBACK}>;tag=forged")
            attacker.send(data, srv.addr)
            reply = attacker.expect_reply(3.0)
            check(reply is not None and reply.status == 481,
                  f"a forged in-dialog INVITE: expected 481, got {reply and reply.first}")
            no_invite(gw, 0.5, "forged in-dialog INVITE")


def test_a_forward_that_cannot_be_relayed_gets_one_final_reply():
    with AuthDb() as pg, callee("tm_uas_busy.xml", 1, name="bob-phone") as bob:
        provision(pg)
        with server(pg) as srv:
            # No TLS socket here: relaying to this target fails at once, in failure_route.
            ctl(pg, "callfwd", "set", f"bob@{DOMAIN}", "--busy",
                f"sip:nobody@{LOOPBACK}:{free_udp_port()};transport=tls")
            register(srv, "bob", bob.port)
            with DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as ua:
                _, final = ua.authenticated("INVITE", f"sip:bob@{DOMAIN}:{srv.port}")
                check(final is not None and final.status >= 300,
                      f"alice's call to busy bob: {final and final.first}")
                finals = {(final.status, final.get("to"))}
                for data in ua.drain(1.0):
                    msg = parse_sip(data)
                    if msg.is_reply and msg.status >= 200:
                        finals.add((msg.status, msg.get("to")))
                check_eq(len(finals), 1, f"different final replies to one INVITE: {finals}")
            check_sipp_ok(bob.wait(20), 1, "bob's busy phone")


def test_a_call_forwarded_on_no_answer_to_a_number_fails_over_with_that_number():
    local_number = "5551234"   # group local: bob may dial it
    with AuthDb() as pg, callee("tm_uas_cancelled.xml", 1, name="bob-phone") as bob, \
            callee("prov_uas_503.xml", 1, name="gw0") as gw0, \
            callee("tm_uas_call.xml", 1, name="gw1") as gw1:
        provision(pg, gateways=(gw0.port, gw1.port))
        with server(pg) as srv:
            set_forward(pg, srv, "bob", "--noanswer", local_number)
            register(srv, "bob", bob.port)
            r = subscriber_call(srv, "alice", "bob")
            check_sipp_ok(r, 1, "alice's call to bob, forwarded out on no answer, taken by gw1")
            check_sipp_ok(bob.wait(20), 1, "bob's phone (rang, then CANCEL)")
            check_sipp_ok(gw0.wait(20), 1, "gw0 (503)")
            done = gw1.wait(20)
            check_sipp_ok(done, 1, "gw1 (after the failover)")
            # The second gateway gets the number too, not bob's phone's Contact: the failure
            # route after the forward sees the request as the request route relayed it.
            check(f"INVITE sip:{local_number}@" in messages(done),
                  f"gw1 did not get the number:\n{messages(done)[:2000]}")
