"""Call forwarding and voicemail (issue 14): per-subscriber settings in usr_preferences
(attributes callfwd, fwdbusy, fwdnoanswer, each a SIP URI) loaded into AVPs with avp_db_load()
before the call is relayed; failure_route forwards on busy (486) and on no answer (the
fr_inv_timeout's 408), sends the call to a media server (a sipp callee that answers 200,
playing nothing) when no forward is set, and follows a 3xx with get_redirects(). The script
is CF_ROUTES below, written to be copied into cfg/ (only @MEDIA@ is filled in here). Phones,
callees and the media server are sipp on loopback, with the short tm timers of sipp_flows
(fr_inv_timeout 2 s here, so "no answer" comes quickly)."""

import os

from harness import LOOPBACK, ROOT, Server, UdpPeer, check, check_eq, scenario, sipp
from sipp_flows import callee, check_calls, check_no_transactions, tm_modules

WAITS = True

SQL = os.path.join(ROOT, "scripts", "sql")

# The callee's settings are read before relaying: failure_route sees the AVPs of the
# transaction, so it needs no DB query of its own.
CF_ROUTES = """\
route {
  if (!is_method("INVITE")) {
    t_relay();
    exit;
  }
  # Unconditional forwarding: replaces the request-URI before the location lookup.
  if (avp_db_load("$ru", "$avp(callfwd)")) {
    xlog("L_NOTICE", "callfwd: $rU forwarded to $avp(callfwd)\\n");
    $ru = $avp(callfwd);
    t_relay();
    exit;
  }
  avp_db_load("$ru", "$avp(fwdbusy)");
  avp_db_load("$ru", "$avp(fwdnoanswer)");
  # (the provider's script looks the callee up in the location table here)
  t_on_failure("forward");
  if (!t_relay()) {
    sl_reply_error();
  }
}

failure_route[forward] {
  if (t_was_cancelled()) {
    exit;
  }
  if (t_check_status("3[0-9][0-9]")) {
    if (get_redirects("3:1") > 0) {
      t_relay();
    }
    exit;
  }
  if (t_check_status("486") && $avp(fwdbusy) != NULL) {
    xlog("L_NOTICE", "fwdbusy: $rU forwarded to $avp(fwdbusy)\\n");
    $ru = $avp(fwdbusy);
    t_relay();
    exit;
  }
  if (t_check_status("408") && $avp(fwdnoanswer) != NULL) {
    xlog("L_NOTICE", "fwdnoanswer: $rU forwarded to $avp(fwdnoanswer)\\n");
    $ru = $avp(fwdnoanswer);
    t_relay();
    exit;
  }
  # No forward set: voicemail on busy or no answer. The media server gets the original
  # request-URI (whose mailbox) through $du.
  if (t_check_status("486|408")) {
    xlog("L_NOTICE", "voicemail: $rU ($T_reply_code)\\n");
    $du = "@MEDIA@";
    t_relay();
    exit;
  }
}
"""

MODULES_TM = {"fr_inv_timeout": 2}


def _pg(rows):
    import pgserver  # noqa: E402  (PostgreSQL only where needed)
    pg = pgserver.PgServer().start()
    try:
        pg.psql_file(os.path.join(SQL, "version.sql"))
        pg.psql_file(os.path.join(SQL, "usr_preferences.sql"))
        for user, attr, value in rows:
            pg.psql("INSERT INTO usr_preferences (username, domain, attribute, value) VALUES "
                    f"('{user}', '{LOOPBACK}', '{attr}', '{value}')")
    except Exception:
        pg.stop()
        raise
    return pg


def _proxy(pg, media_port):
    avpops = (f'db_postgres = {{}}; avpops = {{ db_url = "{pg.url}"; use_domain = true; '
              f'db_query_timeout = 500; }}; uac_redirect = {{}};')
    routes = CF_ROUTES.replace("@MEDIA@", f"sip:{LOOPBACK}:{media_port}")
    return Server(routes=routes, modules=tm_modules(MODULES_TM, avpops), name="cf")


def _call(srv, user, callee_port):
    """A sipp caller (tm_uac_call.xml) calls sip:<user>@127.0.0.1:<callee_port> through srv."""
    return sipp((LOOPBACK, srv.port), "-sf", scenario("tm_uac_call.xml"), "-key", "callee",
                f"{LOOPBACK}:{callee_port}", "-s", user, "-trace_counts", "-trace_msg",
                calls=1, hard_timeout=40, name=f"caller-{user}")


def test_forwarding_unconditional_on_busy_and_on_no_answer():
    with UdpPeer() as media_unused:
        with callee("tm_uas_call.xml", 3, name="target") as target:
            fwd = f"sip:fwd@{LOOPBACK}:{target.port}"
            pg = _pg([("carol", "callfwd", fwd), ("dave", "fwdbusy", fwd),
                      ("erin", "fwdnoanswer", fwd), ("erin", "fwdbusy", "sip:x@192.0.2.1")])
            try:
                with _proxy(pg, media_unused.port) as srv:
                    # carol forwards everything: her phone (a peer that stays silent) gets
                    # nothing, the target answers.
                    with UdpPeer() as carol:
                        check_calls(_call(srv, "carol", carol.port), 1, "caller of carol")
                        data, _ = carol.recv(0.2)
                        check(data is None, "carol's phone got the forwarded INVITE")
                    check("callfwd: carol forwarded to " + fwd in srv.log(), "callfwd logged")
                    # dave is busy: 486 -> failure_route -> fwdbusy.
                    with callee("tm_uas_busy.xml", 1, name="dave") as dave:
                        check_calls(_call(srv, "dave", dave.port), 1, "caller of dave")
                        check_calls(dave.wait(20), 1, "dave (busy)")
                    check("fwdbusy: dave forwarded to " + fwd in srv.log(), "fwdbusy logged")
                    # erin does not answer: fr_inv_timeout, CANCEL, 408 -> fwdnoanswer.
                    with callee("tm_uas_cancelled.xml", 1, name="erin") as erin:
                        check_calls(_call(srv, "erin", erin.port), 1, "caller of erin")
                        check_calls(erin.wait(20), 1, "erin (ringing, then canceled)")
                    check("fwdnoanswer: erin forwarded to " + fwd in srv.log(),
                          "fwdnoanswer logged")
                    check_calls(target.wait(30), 3, "forward target")
                    data, _ = media_unused.recv(0.1)
                    check(data is None, "the media server got a call although forwards are set")
                    check_no_transactions(srv)
            finally:
                pg.stop()


test_forwarding_unconditional_on_busy_and_on_no_answer.timeout = 180


def test_voicemail_on_busy_and_no_answer_without_forward():
    with callee("tm_uas_call.xml", 2, name="media") as media:
        pg = _pg([("frank", "callfwd_unused", "x")])
        try:
            with _proxy(pg, media.port) as srv:
                with callee("tm_uas_busy.xml", 1, name="frank") as frank:
                    check_calls(_call(srv, "frank", frank.port), 1, "caller of busy frank")
                    check_calls(frank.wait(20), 1, "frank (busy)")
                check("voicemail: frank (486)" in srv.log(), "voicemail on busy logged")
                with callee("tm_uas_cancelled.xml", 1, name="gina") as gina:
                    check_calls(_call(srv, "gina", gina.port), 1, "caller of gina")
                    check_calls(gina.wait(20), 1, "gina (no answer)")
                check("voicemail: gina (408)" in srv.log(), "voicemail on no answer logged")
                check_calls(media.wait(30), 2, "media server")
                check_eq(srv.stat("avpops:db_errors"), 0, "no DB error")
                check_no_transactions(srv)
        finally:
            pg.stop()


test_voicemail_on_busy_and_no_answer_without_forward.timeout = 180


def test_a_redirecting_callee_is_followed():
    with callee("tm_uas_call.xml", 1, name="target") as target, UdpPeer() as low:
        pg = _pg([])
        try:
            with UdpPeer() as media_unused, _proxy(pg, media_unused.port) as srv, \
                    callee("cf_uas_redirect.xml", 1, "-key", "target_low",
                           f"{LOOPBACK}:{low.port}", "-key", "target_high",
                           f"{LOOPBACK}:{target.port}", name="redirector") as rd:
                check_calls(_call(srv, "henry", rd.port), 1, "caller of henry")
                check_calls(rd.wait(20), 1, "redirector")
                check_calls(target.wait(20), 1, "redirect target (q=0.9)")
                # "3:1": one Contact per 3xx reply, the best; the q=0.4 one is not called.
                data, _ = low.recv(0.1)
                check(data is None, "the q=0.4 Contact was called")
                check_no_transactions(srv)
        finally:
            pg.stop()
