"""The core management commands about processes: `ps` shows each process's load (percent busy:
last second, 1 and 10 minute averages) and busy time, `log_level` reports and changes the log
level of every process or of one pid at run time (only that process then writes debug lines),
and refuses an unknown level or pid; usrloc's `ul_show` lists every AOR or one after a
REGISTER."""

import re
import time

from harness import (LOOPBACK, MIError, ROLE, Server, UdpPeer, build_request, check, check_eq,
                     wait_until)
from location_flows import Phone, check_status, registrar_server

# OPTIONS answered here, with one debug line per message that names the Call-ID.
PROBE_ROUTES = """\
route {
  if (is_method("OPTIONS")) {
    xlog("L_DBG", "mi-probe $ci\\n");
    sl_send_reply(200, "OK");
    exit;
  }
  sl_send_reply(403, "Forbidden");
}
onreply_route {
}
"""


def _send_options(srv, n, tag, gap=0.0):
    """n OPTIONS from one socket, each answered before the next (then `gap` seconds of
    pause); returns the Call-IDs."""
    ids = []
    with UdpPeer() as p:
        for i in range(n):
            cid = f"{tag}-{i}@{LOOPBACK}"
            p.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", p.port, call_id=cid),
                   srv.addr)
            reply = p.expect_reply(2.0)
            check(reply is not None and reply.status == 200, f"OPTIONS {i}: reply {reply!r}")
            ids.append(cid)
            if gap:
                time.sleep(gap)
    return ids


def _workers(srv):
    return [p for p in srv.mi("ps")["processes"] if p["role"] == ROLE.udp_worker]


def _probe_lines(log, tag):
    """{pid: count} of the debug probe lines for Call-IDs starting with `tag`."""
    out = {}
    for m in re.finditer(r"\[(\d+)\] debug: mi-probe " + re.escape(tag), log):
        out[int(m.group(1))] = out.get(int(m.group(1)), 0) + 1
    return out


def _mi_error(srv, method, params):
    try:
        res = srv.mi(method, params)
    except MIError as e:
        return e.error
    raise AssertionError(f"{method} {params!r} answered {res!r}, expected an error")


def test_ps_shows_load_and_busy_time_of_workers_after_traffic():
    with Server(routes=PROBE_ROUTES, udp_workers=2) as srv:
        # Spread over 2.5 s, so that the samples of the last seconds (the timer process takes
        # one every second) saw traffic.
        _send_options(srv, 200, "load", gap=0.0125)
        procs = srv.mi("ps")["processes"]
        for p in procs:
            for key in ("pid", "role", "index", "started", "handled", "load", "busy_seconds"):
                check(key in p, f"ps: {key} missing in {p!r}")
            for span in ("recent", "1m", "10m"):
                v = p["load"][span]
                check(isinstance(v, (int, float)) and 0 <= v <= 100,
                      f"ps: load {span} of {p['role']} is {v!r}, expected a percentage")
            check(p["busy_seconds"] >= 0, f"ps: busy_seconds of {p['role']}: {p!r}")
        workers = [p for p in procs if p["role"] == ROLE.udp_worker]
        check(sum(p["handled"] for p in workers) >= 200, f"messages handled: {workers!r}")
        check(any(p["busy_seconds"] > 0 for p in workers),
              f"no UDP worker with busy_seconds > 0: {workers!r}")
        # Light traffic is a small share, but not nothing (0.01 % is 100 us a second).
        check(any(p["load"]["recent"] > 0 for p in workers),
              f"the last second's load of every worker is 0 during traffic: {workers!r}")
        # Idle again: the share of the last second drops back to 0 within two samples.
        idle = wait_until(lambda: all(p["load"]["recent"] == 0 for p in _workers(srv)), 3.5)
        check(idle, f"workers still loaded when idle: {_workers(srv)!r}")
        check(any(p["role"] == ROLE.timer for p in procs), "timer process in ps")


test_ps_shows_load_and_busy_time_of_workers_after_traffic.timeout = 60


def test_log_level_of_one_worker_changes_only_what_that_worker_logs():
    with Server(routes=PROBE_ROUTES, udp_workers=2) as srv:
        report = srv.mi("log_level")["processes"]
        check(len(report) >= 4, f"log_level lists every process: {report!r}")
        check(all(p["log_level"] == "notice" for p in report), f"start levels: {report!r}")
        workers = _workers(srv)
        check_eq(len(workers), 2, "UDP workers")
        chosen, other = workers[0]["pid"], workers[1]["pid"]

        changed = srv.mi("log_level", {"level": "debug", "pid": chosen})["processes"]
        check_eq([(p["pid"], p["log_level"]) for p in changed], [(chosen, "debug")],
                 "processes changed")
        levels = {p["pid"]: p["log_level"] for p in srv.mi("log_level")["processes"]}
        check_eq(levels[other], "notice", "level of the other worker")

        # Both workers read the same socket: send until each has handled some messages.
        handled0 = {p["pid"]: p["handled"] for p in workers}
        for burst in range(10):
            _send_options(srv, 50, f"dbg{burst}")
            now = {p["pid"]: p["handled"] for p in _workers(srv)}
            if all(now[pid] > handled0[pid] for pid in now):
                break
        check(all(now[pid] > handled0[pid] for pid in now),
              f"not every worker handled a message: before {handled0}, after {now}")
        lines = wait_until(lambda: _probe_lines(srv.log(), "dbg"), 3)
        check(lines.get(chosen, 0) > 0, f"no debug line from pid {chosen}: {lines}")
        check_eq(set(lines), {chosen}, "pids that wrote debug lines")
        check(lines[chosen] == now[chosen] - handled0[chosen],
              f"pid {chosen} logged {lines[chosen]} probes for "
              f"{now[chosen] - handled0[chosen]} messages")

        # Back to notice: no more debug lines from anyone.
        back = srv.mi("log_level", {"level": "notice", "pid": chosen})["processes"]
        check_eq(back[0]["log_level"], "notice", "level after setting it back")
        _send_options(srv, 50, "quiet")
        time.sleep(0.3)
        check_eq(_probe_lines(srv.log(), "quiet"), {}, "debug lines after the level went back")

        # Every process at once, by OpenSIPS number; a process reads its level at each call.
        every = srv.mi("log_level", {"level": "4"})["processes"]
        check(len(every) >= 4 and all(p["log_level"] == "debug" for p in every),
              f"log_level 4 for all: {every!r}")
        _send_options(srv, 20, "all")
        lines = wait_until(lambda: _probe_lines(srv.log(), "all"), 3)
        check_eq(sum(lines.values()), 20, "debug lines with every process at debug")
        srv.mi("log_level", {"level": "notice"})


test_log_level_of_one_worker_changes_only_what_that_worker_logs.timeout = 90


def test_log_level_refuses_unknown_levels_and_pids():
    with Server(routes=PROBE_ROUTES, udp_workers=1) as srv:
        err = _mi_error(srv, "log_level", {"level": "loud"})
        check("loud" in err.get("message", "") and "debug" in err.get("message", ""),
              f"bad level: error {err!r} should name it and list the valid names")
        err = _mi_error(srv, "log_level", {"level": "debug", "pid": 999999})
        check("999999" in err.get("message", ""), f"unknown pid: error {err!r}")
        # Nothing changed.
        levels = {p["log_level"] for p in srv.mi("log_level")["processes"]}
        check_eq(levels, {"notice"}, "levels after refused changes")


def test_ul_show_lists_every_aor_or_the_one_asked_for():
    with registrar_server() as srv, Phone(srv.addr, "alice") as alice, \
            Phone(srv.addr, "bob") as bob:
        check_status(alice.register([alice.contact()], expires=600), 200, "REGISTER alice")
        check_status(bob.register([bob.contact()], expires=600), 200, "REGISTER bob")
        every = srv.mi("ul_show")["aors"]
        check_eq(sorted(a["aor"] for a in every), ["alice", "bob"], "AORs of ul_show")
        one = srv.mi("ul_show", {"aor": "alice"})["aors"]
        check_eq(len(one), 1, "entries for alice")
        check_eq([c["contact"] for c in one[0]["contacts"]],
                 [f"sip:alice@127.0.0.1:{alice.port}"], "alice's contacts")
        old = srv.mi("ul_show_contact", {"table": "location", "aor": "alice"})
        check_eq(one[0]["contacts"][0].keys(), old["contacts"][0].keys(), "contact fields")
        err = _mi_error(srv, "ul_show", {"aor": "carol"})
        check("carol" in err.get("message", ""), f"unknown AOR: error {err!r}")
