"""startup_route (once, in the master, before the workers: they inherit what it sets) and
timer_route[name, seconds] (in the timer process; a reload re-plans them)."""

import os
import re
import time

from harness import Server, UdpPeer, build_request, check, check_eq, wait_until

ROUTES = """\
startup_route {
  $var(greeting) = "Hello from startup";
  xlog("L_NOTICE", "startup_route ran in $pp\\n");
}
timer_route[tick, 1] {
  xlog("L_NOTICE", "timer tick $Ts\\n");
}
route {
  sl_send_reply(200, "$var(greeting)");
}
"""


def test_startup_route_runs_once_before_the_workers_and_they_inherit_its_variables():
    with UdpPeer() as peer, Server(routes=ROUTES, udp_workers=2) as srv:
        for _ in range(4):  # both workers answer with the value set by startup_route
            peer.send(build_request("OPTIONS", f"sip:127.0.0.1:{srv.port}", peer.port),
                      srv.addr)
            r = peer.expect_reply(3)
            check(r is not None, "no reply")
            check_eq(r.reason, "Hello from startup", "reason set from startup_route's $var")
        runs = re.findall(r"startup_route ran in (\d+)", srv.log())
        check_eq(len(runs), 1, "startup_route runs")
        check_eq(int(runs[0]), srv.pid, "startup_route runs in the master")


def test_timer_route_runs_every_interval_and_a_reload_replans_it():
    with Server(routes=ROUTES) as srv:
        check(wait_until(lambda: srv.log().count("timer tick") >= 2, 5),
              f"timer_route[tick, 1] did not run twice in 5 s: {srv.log()[-600:]}")
        with open(srv.routes_path, "w") as f:
            f.write(ROUTES.replace("timer_route[tick, 1] {\n  xlog(\"L_NOTICE\", \"timer tick",
                                   "timer_route[tock, 1] {\n  xlog(\"L_NOTICE\", \"timer tock"))
        srv.mi("reload_routes")
        check(wait_until(lambda: "timer tock" in srv.log(), 5),
              "the reloaded timer_route[tock] did not run")
        ticks = srv.log().count("timer tick")
        time.sleep(1.5)
        check_eq(srv.log().count("timer tick"), ticks, "the removed timer_route still runs")
