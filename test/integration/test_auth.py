"""Digest authentication of the provider's default script (cfg/sipline.routes with auth and
auth_db against a real PostgreSQL; test/lib/auth_flows.py) with real clients on loopback:
sipp's [authentication] (MD5, the first challenge) registers after a 401 and calls a
registered sipp callee after a 407; a wrong password and an unknown user get the same answer;
a subscriber cannot register another user's address (403). The small digest client of
test/lib/digest_client.py covers what Debian's sipp cannot: SHA-256 and SHA-512-256 (the
challenge offers MD5 first, then those), a replayed nonce-count (refused), an expired nonce
(stale=true, and the retry succeeds)."""

import time

from auth_flows import (DOMAIN, AuthDb, add_subscriber, challenge_shape, check_sipp_ok,
                        holds_user, provider_server, sipp_register)
from digest_client import (Credentials, DigestUa, auth_header_line, challenges, pick,
                           set_header)
from harness import (LOOPBACK, UdpPeer, build_request, check, check_eq, new_callid,
                     recv_request, reply_to, scenario, sipp)
from location_flows import check_server_stops_cleanly, check_status
from sipp_flows import callee, step_count

PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}


def provision(pg, users=("alice", "bob")):
    pg.init_schema()
    for u in users:
        add_subscriber(pg, u, DOMAIN, PASSWORDS[u])


# ---------------------------------------------------------------- sipp, MD5
def test_sipp_registers_after_a_401_challenge():
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv:
            r = sipp_register(srv, "alice", PASSWORDS["alice"])
            check_sipp_ok(r, 1, "REGISTER 401 REGISTER 200")
            check_eq(r.message_count("_401_Recv"), 1, "401 challenges sipp received")
            check_eq(r.message_count("_200_Recv"), 1, "200 replies sipp received")
            check(holds_user(srv, "alice"), "alice is not registered after the 200")
            check(srv.stat("auth:challenges") >= 1, "auth:challenges did not count the 401")
            check(srv.stat("auth:authorized") >= 1, "auth:authorized did not count the 200")
            check_server_stops_cleanly(srv)


def test_sipp_call_is_challenged_407_then_relayed_to_the_registered_callee():
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv, callee("tm_uas_call.xml", 1) as uas:
            # bob's phone: registered with its credentials, its Contact the sipp callee
            with DigestUa(srv.addr, "bob", DOMAIN, PASSWORDS["bob"],
                          contact_port=uas.port) as bob:
                _, ok, _ = bob.register_with_auth()
                check_status(ok, 200, "bob's authenticated REGISTER")
            r = sipp(srv.addr, "-sf", scenario("auth_uac_call.xml"), "-key", "caller", "alice",
                     "-au", "alice", "-ap", PASSWORDS["alice"], "-s", "bob", "-trace_counts",
                     "-trace_msg", calls=1, hard_timeout=40, name="caller")
            check_sipp_ok(r, 1, "INVITE 407 ACK INVITE 200 ACK BYE 200")
            check_eq(step_count(r, "2_407_Recv"), 1, "407 challenges the caller received")
            done = uas.wait(20)
            check_sipp_ok(done, 1, "the callee (INVITE relayed after authentication)")
            check_server_stops_cleanly(srv)


def test_wrong_password_and_unknown_user_get_the_same_answer():
    """No enumeration: a wrong password for alice and any password for a user the server does
    not have are both answered with a fresh 401 challenge, identical but for the nonce."""
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv:
            wrong = sipp_register(srv, "alice", "not-her-password",
                                  xml="auth_register_refused.xml", name="wrong")
            check_sipp_ok(wrong, 1, "a wrong password refused with a new 401")
            ghost = sipp_register(srv, "ghost", "any", xml="auth_register_refused.xml",
                                  name="ghost")
            check_sipp_ok(ghost, 1, "an unknown user refused with a new 401")
            check(not holds_user(srv, "alice") and not holds_user(srv, "ghost"),
                  "a refused REGISTER left a binding")
            shapes = []
            for user, password in (("alice", "wrong"), ("ghost", "wrong")):
                with DigestUa(srv.addr, user, DOMAIN, password) as ua:
                    first, second, _ = ua.register_with_auth()
                    check_eq(second.status, 401, f"{user} with a wrong password")
                    check(not any(c.stale for c in challenges(second)),
                          f"{user}: stale=true for a wrong password")
                    shapes.append((challenge_shape(first), challenge_shape(second)))
            check_eq(shapes[1], shapes[0], "the answers to an unknown user (2nd) and to a wrong "
                                           "password (1st)")
            check_server_stops_cleanly(srv)


def test_subscriber_cannot_register_another_users_address():
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv:
            with DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as ua:
                _, reply, _ = ua.register_with_auth(to=f"sip:bob@{DOMAIN}")
                check_status(reply, 403, "alice's credentials for bob's address of record")
            check(not holds_user(srv, "bob"), "bob was bound by alice's REGISTER")
            with DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as ua:
                _, reply, _ = ua.register_with_auth()
                check_status(reply, 200, "alice's credentials for her own address")
            check_server_stops_cleanly(srv)


# ---------------------------------------------------------------- the digest client
def test_challenge_offers_md5_first_then_sha256_and_sha512_256():
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv, DigestUa(srv.addr, "alice", DOMAIN, "x") as ua:
            first = ua.register()
            check_status(first, 401, "REGISTER without credentials")
            chs = challenges(first)
            check_eq([c.algorithm for c in chs], ["MD5", "SHA-256", "SHA-512-256"],
                     "algorithms offered, in order")
            for c in chs:
                check_eq(c.realm, DOMAIN, f"realm of the {c.algorithm} challenge")
                check("auth" in c.qop, f"qop of the {c.algorithm} challenge: {c.qop}")
                check(not c.stale, "stale=true in a first challenge")
            check_server_stops_cleanly(srv)


def test_sha256_and_sha512_256_register_and_call():
    """The client picks SHA-256 or SHA-512-256 from the challenge: REGISTER 200, and a MESSAGE
    to a registered user is authenticated (407, then relayed to bob's phone, which answers)."""
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv:
            for alg in ("SHA-256", "SHA-512-256"):
                with DigestUa(srv.addr, "bob", DOMAIN, PASSWORDS["bob"]) as bob, \
                        DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as alice:
                    _, ok, line = bob.register_with_auth(alg)
                    check_status(ok, 200, f"bob's REGISTER with {alg}")
                    check(f"algorithm={alg}" in line, line)
                    ruri = f"sip:bob@{LOOPBACK}:{srv.port}"
                    challenge = alice.request("MESSAGE", ruri)
                    check_status(challenge, 407, f"alice's MESSAGE without credentials ({alg})")
                    ch = pick(challenges(challenge), alg)
                    auth = auth_header_line(ch, alice.creds.authorization(ch, "MESSAGE", ruri))
                    alice.send(_message(alice, ruri, auth), srv.addr)
                    msg, at = recv_request(bob, "MESSAGE", 5)
                    check(msg.get("proxy-authorization") is None,
                          "the credentials were passed on to the callee (consume_credentials)")
                    bob.send(reply_to(msg, 200, "OK"), at)
                    final = alice.expect_reply(5)
                    check_status(final, 200, f"alice's MESSAGE with {alg} credentials")
            check(srv.stat("auth:authorized") >= 4, "auth:authorized")
            check_server_stops_cleanly(srv)


def _message(ua, ruri, auth):
    data = build_request("MESSAGE", ruri, ua.port, call_id=new_callid(), cseq="2 MESSAGE",
                         extra=[auth, "Content-Type: text/plain"], body=b"hello")
    return set_header(data, "From", f"<{ua.aor}>;tag=m{ua.port}")


def test_replayed_nonce_count_is_refused():
    """The same credentials sent twice (a captured REGISTER replayed): the second is not
    admitted (401 with stale=true, a new nonce); the next nonce-count on the same nonce is."""
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv, \
                DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as ua:
            first, ok, line = ua.register_with_auth()
            check_status(ok, 200, "the first use of the credentials")
            replay = ua.register(auth=line)
            check_status(replay, 401, "the same credentials replayed (same nc)")
            check(all(c.stale for c in challenges(replay)),
                  f"a replayed nonce-count gets stale=true: {replay.all('www-authenticate')}")
            check(srv.stat("auth:nonce_reused") >= 1, "auth:nonce_reused")
            ch = pick(challenges(first))
            nc2 = auth_header_line(ch, ua.creds.authorization(ch, "REGISTER", ua.register_uri,
                                                              nc=2))
            check_status(ua.register(auth=nc2), 200, "the next nonce-count on the same nonce")
            check_status(ua.register(auth=nc2), 401, "that one replayed")
            check_server_stops_cleanly(srv)


def test_expired_nonce_is_stale_and_the_retry_succeeds():
    expire = 2
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg, auth={"nonce_expire": expire}) as srv, \
                DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as ua:
            first, ok, _ = ua.register_with_auth()
            check_status(ok, 200, "REGISTER with a fresh nonce")
            time.sleep(expire + 1.5)
            ch = pick(challenges(first))
            old = auth_header_line(ch, ua.creds.authorization(ch, "REGISTER", ua.register_uri,
                                                              nc=2))
            stale = ua.register(auth=old)
            check_status(stale, 401, "REGISTER with an expired nonce")
            chs = challenges(stale)
            check(chs and all(c.stale for c in chs),
                  f"the challenge says stale=true: {stale.all('www-authenticate')}")
            fresh = pick(chs)
            check(fresh.nonce != ch.nonce, "the stale challenge has a new nonce")
            retry = auth_header_line(fresh, ua.creds.authorization(fresh, "REGISTER",
                                                                   ua.register_uri))
            check_status(ua.register(auth=retry), 200, "the retry with the new nonce")
            check(srv.stat("auth:stale_nonce") >= 1, "auth:stale_nonce")
            check_server_stops_cleanly(srv)


def test_forged_response_and_foreign_realm_are_refused():
    """A response computed with another password, and credentials for a realm we did not
    ask for, never admit anyone."""
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv, \
                DigestUa(srv.addr, "alice", DOMAIN, PASSWORDS["alice"]) as ua:
            first = ua.register()
            ch = pick(challenges(first))
            forged = Credentials("alice", "guess").authorization(ch, "REGISTER", ua.register_uri)
            check_status(ua.register(auth=auth_header_line(ch, forged)), 401, "forged response")
            other = ua.creds.authorization(ch, "REGISTER", ua.register_uri, realm="elsewhere")
            check_status(ua.register(auth=auth_header_line(ch, other)), 401,
                         "credentials for another realm")
            check(not holds_user(srv, "alice"), "alice was bound")
            check_server_stops_cleanly(srv)


def test_requests_from_strangers_to_strangers_are_not_relayed():
    """Not an open relay: a request neither from nor for our domain gets 403, unchallenged;
    a keepalive OPTIONS to the server is answered 200 without credentials."""
    with AuthDb() as pg:
        provision(pg)
        with provider_server(pg) as srv, UdpPeer() as peer, UdpPeer() as elsewhere:
            # "elsewhere" is not the server (another port), so a relay would reach this peer
            data = build_request("INVITE", f"sip:carol@{LOOPBACK}:{elsewhere.port}", peer.port)
            data = set_header(data, "From", "<sip:mallory@example.net>;tag=m1")
            peer.send(data, srv.addr)
            check_status(peer.expect_reply(3), 403, "a stranger's INVITE to elsewhere")
            check_eq(elsewhere.drain(0.3), [], "datagrams relayed for a stranger")
            peer.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", peer.port),
                      srv.addr)
            check_status(peer.expect_reply(3), 200, "keepalive OPTIONS to the server")
            check_server_stops_cleanly(srv)
