"""The provider's default script (cfg/sipline.routes, auth + auth_db, test/lib/auth_flows.py)
against what is not a well-behaved phone: RFC 4475's regaut01 (an Authorization header of an
unknown scheme: a registrar that cares about authentication answers 401 with a scheme it
knows, §3.3.7), sipvicious's svwar scanning for extensions (it must not tell existing users
from others), and PostgreSQL going away (a REGISTER is answered 500 at once and nobody is
admitted; after the restart registrations succeed again)."""

import os
import re
import subprocess
import time

from auth_flows import (DOMAIN, AuthDb, add_subscriber, challenge_shape, holds_user,
                        provider_server)
from digest_client import DigestUa, auth_header_line, challenges, pick
from harness import UdpPeer, check, check_eq, free_udp_port, unique_path
from location_flows import check_server_stops_cleanly, check_status, check_workers_answer
from test_registrar_rfc4475 import corpus_message, with_our_via

PASSWORD = "s3cret-pw"


# ---------------------------------------------------------------- RFC 4475 §3.3.7
def test_regaut01_unknown_authorization_scheme_is_challenged_401():
    with AuthDb() as pg:
        pg.init_schema()
        add_subscriber(pg, "j.user", "example.com", PASSWORD)
        with provider_server(pg, aliases=["example.com"]) as srv, UdpPeer() as peer:
            data = corpus_message("regaut01")
            check(b"Authorization: NoOneKnowsThisScheme" in data, "the corpus message")
            peer.send(with_our_via(data, peer.port), srv.addr)
            reply = peer.expect_reply(3)
            check_status(reply, 401, "regaut01")
            chs = challenges(reply)
            check(chs, f"no Digest challenge in {reply.all('www-authenticate')}")
            check_eq(chs[0].realm, "example.com", "realm (the To domain)")
            check_eq(chs[0].algorithm, "MD5", "the first challenge")
            check(not holds_user(srv, "j.user"), "regaut01 was bound")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


# ---------------------------------------------------------------- sipvicious
SVWAR_RANGE = "100-130"
EXISTING = ("105", "117", "123")


def run_svwar(srv, method):
    """svwar over SVWAR_RANGE against the server (127.0.0.1 only, from a free local port,
    bounded by --maximumtime and coreutils timeout). Returns its stdout+stderr."""
    d = unique_path(f"svwar-{method}")
    os.makedirs(d)
    cmd = ["timeout", "-k", "5", "90", "svwar", "-m", method, "-e", SVWAR_RANGE,
           "-p", str(srv.port), "-P", str(free_udp_port()), "-b", "127.0.0.1",
           "-x", "127.0.0.1", "--force", "--maximumtime=5", "-t", "0.02", "127.0.0.1"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=110, cwd=d,
                       stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=d))
    out = " ".join(cmd) + f"\nexit {r.returncode}\n{r.stdout}\n{r.stderr}"
    with open(os.path.join(d, "svwar.log"), "w") as f:
        f.write(out)
    return out


def found_extensions(out):
    """Extensions listed in svwar's result table ("| 105 | reqauth |")."""
    return set(re.findall(r"^\|\s*(\d+)\s*\|\s*(?:reqauth|noauth|weird)", out, re.M))


def test_svwar_cannot_tell_existing_users_from_others():
    """svwar first asks for a random extension to learn how the server answers a user it
    does not have, then walks the range looking for other answers: here every extension gets
    the same challenge, so it reports none (it stops at the first answer that looks like the
    unknown user's). The same scan done here, request by request over the whole range, with
    and without (wrong) credentials, finds one answer for all."""
    with AuthDb() as pg:
        pg.init_schema()
        for ext in EXISTING:
            add_subscriber(pg, ext, DOMAIN, PASSWORD)
        with provider_server(pg) as srv:
            # Registered users too: the answer must not depend on the location table either.
            for ext in EXISTING[:2]:
                with DigestUa(srv.addr, ext, DOMAIN, PASSWORD) as ua:
                    check_status(ua.register_with_auth()[1], 200, f"REGISTER of {ext}")
            for method in ("REGISTER", "INVITE", "OPTIONS"):
                before = srv.stat("core:rcv_requests")
                out = run_svwar(srv, method)
                sent = srv.stat("core:rcv_requests") - before
                check("Traceback" not in out, f"svwar crashed:\n{out}")
                check(sent >= 2, f"svwar -m {method} did not scan: {sent} requests arrived:\n{out}")
                found = found_extensions(out)
                check(not found and "found nothing" in out,
                      f"svwar -m {method} reported extensions {sorted(found)}:\n{out}")
            answers = {}
            for ext in (str(i) for i in range(100, 131)):
                with DigestUa(srv.addr, ext, DOMAIN, "wrong") as ua:
                    first, second, _ = ua.register_with_auth()
                    invite = ua.request("INVITE", f"sip:{ext}@127.0.0.1:{srv.port}")
                    check(invite is not None, f"no answer to the INVITE of {ext}")
                    shape = (challenge_shape(first), challenge_shape(second),
                             challenge_shape(invite))
                    answers.setdefault(repr(shape), []).append(ext)
            check_eq(len(answers), 1, f"kinds of answers over the range {SVWAR_RANGE} "
                                      f"(existing: {EXISTING}): {list(answers.values())}")
            check_workers_answer(srv)
            check_server_stops_cleanly(srv)


test_svwar_cannot_tell_existing_users_from_others.timeout = 240


# ---------------------------------------------------------------- PostgreSQL outage
def authenticated_register(srv, user, timeout=8.0):
    """A fresh UA's REGISTER with correct credentials: (final reply or None, seconds taken by
    the REGISTER with credentials)."""
    with DigestUa(srv.addr, user, DOMAIN, PASSWORD) as ua:
        first = ua.register(timeout=timeout)
        check(first is not None, f"no answer to {user}'s first REGISTER")
        if first.status != 401:
            return first, 0.0
        ch = pick(challenges(first))
        line = auth_header_line(ch, ua.creds.authorization(ch, "REGISTER", ua.register_uri))
        t0 = time.monotonic()
        reply = ua.register(auth=line, timeout=timeout)
        return reply, time.monotonic() - t0


def test_database_down_register_answered_500_fast_nobody_admitted_then_back():
    with AuthDb() as pg:
        pg.init_schema()
        for u in ("alice", "bob"):
            add_subscriber(pg, u, DOMAIN, PASSWORD)
        # No cache: every REGISTER asks the database.
        with provider_server(pg, auth_db={"cache_size": 0}) as srv:
            reply, _ = authenticated_register(srv, "alice")
            check_status(reply, 200, "REGISTER while the database is up")
            pg.down()
            for attempt in range(3):
                reply, took = authenticated_register(srv, "bob")
                check(reply is not None, "no answer to a REGISTER while the database is down")
                check(reply.status != 200, "admitted while the database is down")
                check_eq(reply.status, 500, f"REGISTER while the database is down ({attempt})")
                check(took < 4.0, f"the 500 took {took:.1f}s")
            check(not holds_user(srv, "bob"), "bob bound while the database is down")
            with DigestUa(srv.addr, "alice", DOMAIN, PASSWORD) as ua:
                _, final = ua.authenticated("MESSAGE", f"sip:bob@127.0.0.1:{srv.port}")
                check_status(final, 500, "a subscriber's MESSAGE while the database is down")
            check(srv.stat("auth_db:db_errors") >= 4, "auth_db:db_errors")
            check_workers_answer(srv)
            pg.up()
            deadline = time.monotonic() + 30
            while True:
                reply, _ = authenticated_register(srv, "bob")
                if reply is not None and reply.status == 200:
                    break
                check(time.monotonic() < deadline,
                      f"no 200 within 30 s of the restart (last {reply and reply.first})")
                time.sleep(0.5)
            check(holds_user(srv, "bob"), "bob is not bound after the restart")
            check_server_stops_cleanly(srv)


test_database_down_register_answered_500_fast_nobody_admitted_then_back.timeout = 180
