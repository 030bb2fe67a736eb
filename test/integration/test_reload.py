"""Live reload of the routing script (SIGHUP and the MI reload_routes): the master checks
the new script first; only a valid one replaces the running one in every worker, between two
messages; a broken one is refused with file:line:col and the old script keeps answering."""

import os
import signal
import threading
import time

from harness import (LOOPBACK, Server, SippUas, UdpPeer, MIError, build_request, check,
                     check_eq, sipp, wait_until)

ROUTES = """\
route {
  if (is_method("OPTIONS") && $rd == myself) {
    sl_send_reply(200, "@REASON@");
    exit;
  }
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""

BROKEN = """\
route {
  if (is_method("OPTIONS") {
    sl_send_reply(200, "never");
  }
}
"""


def _write_routes(srv, text):
    tmp = srv.routes_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text.replace("@UAS_PORT@", str(srv.uas_port)))
    os.replace(tmp, srv.routes_path)  # atomic: a reload never reads half a file


def _options_reason(srv, uac):
    uac.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", uac.port), srv.addr)
    msg, _ = uac.recv_msg(3)
    check(msg is not None, "no reply to OPTIONS")
    return msg.status, msg.reason


def _generation(srv):
    return srv.mi("routes_status")["generation"]


def test_sighup_reload_switches_every_worker_to_the_new_script():
    with UdpPeer() as uac, Server(routes=ROUTES.replace("@REASON@", "One"),
                                  udp_workers=3) as srv:
        check_eq(_options_reason(srv, uac), (200, "One"), "reply before the reload")
        g0 = _generation(srv)
        _write_routes(srv, ROUTES.replace("@REASON@", "Two"))
        os.kill(srv.pid, signal.SIGHUP)
        check(wait_until(lambda: _generation(srv) == g0 + 1, 5),
              f"generation did not move from {g0} after SIGHUP")
        # every worker switches before its next message: whichever gets these, it says Two
        for _ in range(12):
            check_eq(_options_reason(srv, uac), (200, "Two"), "reply after the reload")
        check_eq(srv.stat("core:script_reloads"), 1, "core:script_reloads")
        # the workers that took a message report the new generation
        gens = {p["pid"]: p["script_generation"] for p in srv.processes()
                if p["role"] in ("udp-worker", "master")}
        check(g0 + 1 in gens.values(), f"no process reports generation {g0 + 1}: {gens}")
        check(srv.alive(), "server died during the reload")


def test_broken_script_is_refused_with_its_position_and_the_old_one_keeps_running():
    with UdpPeer() as uac, Server(routes=ROUTES.replace("@REASON@", "Good")) as srv:
        g0 = _generation(srv)
        _write_routes(srv, BROKEN)
        try:
            srv.mi("reload_routes")
            check(False, "reload_routes accepted a broken script")
        except MIError as e:
            msg = str(e)
            check(f"{os.path.basename(srv.routes_path)}:2:" in msg,
                  f"error does not point at line 2 of the script: {msg}")
            check("old" in msg or "stays" in msg, f"error does not say the old script stays: {msg}")
        check_eq(_generation(srv), g0, "generation after a refused reload")
        check_eq(_options_reason(srv, uac), (200, "Good"), "the old script still answers")
        check_eq(srv.stat("core:script_reload_errors"), 1, "core:script_reload_errors")
        st = srv.mi("routes_status")
        check(st["last_reload_ok"] is False and ":2:" in st["last_result"],
              f"routes_status after the failure: {st}")
        check(":2:" in srv.log(), "the refused reload is not logged with its position")

        # the next reload, with a good script, succeeds
        _write_routes(srv, ROUTES.replace("@REASON@", "Fixed"))
        res = srv.mi("reload_routes")
        check_eq(res["generation"], g0 + 1, "generation after the good reload")
        check_eq(_options_reason(srv, uac), (200, "Fixed"), "the new script answers")


def test_reload_of_a_missing_file_is_refused():
    with UdpPeer() as uac, Server(routes=ROUTES.replace("@REASON@", "Here")) as srv:
        os.rename(srv.routes_path, srv.routes_path + ".away")
        try:
            srv.mi("reload_routes")
            check(False, "reload_routes accepted a missing file")
        except MIError as e:
            check("cannot read" in str(e), f"unexpected error: {e}")
        os.rename(srv.routes_path + ".away", srv.routes_path)
        check_eq(_options_reason(srv, uac), (200, "Here"), "the old script still answers")


def test_ten_reloads_two_broken_during_sipp_calls_fail_no_call():
    """Calls flow uac → sipline → uas while the script is reloaded 10 times (the 4th and 8th
    time with a broken script): every call completes."""
    n, rate = 1500, 150
    lenient = ("-default_behaviors", "all,-abortunexp")
    with SippUas("-sn", "uas", *lenient, calls=n, hard_timeout=60) as uas:
        with Server(routes=ROUTES.replace("@REASON@", "v0"), uas_port=uas.port,
                    udp_workers=2) as srv:
            outcomes = []
            stop = threading.Event()

            def reloader():
                for i in range(1, 11):
                    if stop.wait(0.7):
                        return
                    broken = i in (4, 8)
                    _write_routes(srv, BROKEN if broken else ROUTES.replace("@REASON@", f"v{i}"))
                    try:
                        srv.mi("reload_routes")
                        outcomes.append(("ok", broken))
                    except MIError:
                        outcomes.append(("refused", broken))

            t = threading.Thread(target=reloader)
            t.start()
            try:
                res = sipp(srv.addr, "-sn", "uac", *lenient, "-r", str(rate), "-l", "1000",
                           "-recv_timeout", "5000", calls=n, hard_timeout=50, name="uac")
            finally:
                t.join(20)
                stop.set()
            uas_res = uas.wait(15)
            check_eq(len(outcomes), 10, f"reloads done during the load: {outcomes}")
            check(all((o == "refused") == b for o, b in outcomes),
                  f"a broken script was accepted or a good one refused: {outcomes}")
            check(res.rc == 0 and res.successful == n and res.failed == 0,
                  f"UAC: expected {n} successful calls: {res.describe()}\n{res.output_tail()}")
            check(uas_res.failed == 0, f"UAS: {uas_res.describe()}")
            check_eq(srv.stat("core:script_reloads"), 8, "core:script_reloads")
            check_eq(srv.stat("core:script_reload_errors"), 2, "core:script_reload_errors")
            check(srv.alive(), "server died during reloads under load")


test_ten_reloads_two_broken_during_sipp_calls_fail_no_call.timeout = 120
