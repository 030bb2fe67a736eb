"""Statistics under known traffic: the core counts received requests by method and replies by
class, sl counts its replies by class (MI get_statistics, exact deltas), and the Prometheus
exposition at /metrics of the MI HTTP endpoint parses with the real client parser, agrees
with get_statistics and passes `promtool check metrics`."""

import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request

import harness
from harness import (LOOPBACK, STAT, Server, UdpPeer, build_request, check, check_eq, scaled,
                     scenario, sipp, wait_until)

METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "SUBSCRIBE", "NOTIFY",
           "MESSAGE", "INFO", "UPDATE", "PRACK", "REFER", "PUBLISH", "other"]
CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"]

# OPTIONS 200, INFO 404, anything else 501: every request gets exactly one sl reply.
ROUTES = """\
route {
  if (is_method("OPTIONS")) {
    sl_send_reply(200, "OK");
    exit;
  }
  if (is_method("INFO")) {
    sl_send_reply(404, "Not Here");
    exit;
  }
  sl_send_reply(501, "Not Implemented");
}
onreply_route {
}
"""

MI_LINE = 'mi = { socket = "@MI_SOCK@"; };'


def by_method(m):
    return f"core:rcv_requests_{m.lower()}"


def by_class(c):
    return f"core:rcv_replies_{c}"


def sl_class(c):
    return f"sl:{c}_replies"


COUNTED = ([STAT.rcv_requests, STAT.rcv_replies, STAT.sl_sent] + [by_method(m) for m in METHODS]
           + [by_class(c) for c in CLASSES] + [sl_class(c) for c in CLASSES])


def send_and_answer(srv, peer, method, n):
    """Sends `n` `method` requests one at a time; each must get its one final reply."""
    codes = {}
    for _ in range(n):
        peer.send(build_request(method, f"sip:{LOOPBACK}:{srv.port}", peer.port), srv.addr)
        reply = peer.expect_reply(3.0)
        check(reply is not None, f"no reply to {method}")
        codes[reply.status] = codes.get(reply.status, 0) + 1
    return codes


def foreign_reply(status, reason):
    """A reply whose top Via is not ours: the core counts it, then drops it."""
    return (f"SIP/2.0 {status} {reason}\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.2:5999;branch=z9hG4bK-{os.urandom(6).hex()}\r\n"
            f"From: <sip:a@{LOOPBACK}>;tag=1\r\nTo: <sip:b@{LOOPBACK}>;tag=2\r\n"
            f"Call-ID: {os.urandom(8).hex()}@test\r\nCSeq: 1 INVITE\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def deltas(before, after):
    return {k: after[k] - before[k] for k in before}


def test_requests_and_replies_are_counted_by_method_and_class():
    n_options, n_info, n_other, n_replies = 50, 20, 5, 10
    with Server(routes=ROUTES) as srv:
        before = srv.stats(COUNTED)
        check_eq(sorted(before), sorted(COUNTED), "statistics get_statistics knows")
        with UdpPeer() as peer:
            check_eq(send_and_answer(srv, peer, "OPTIONS", n_options), {200: n_options},
                     "replies to OPTIONS")
            check_eq(send_and_answer(srv, peer, "INFO", n_info), {404: n_info}, "replies to INFO")
            check_eq(send_and_answer(srv, peer, "FROBNICATE", n_other), {501: n_other},
                     "replies to an unknown method")
            for _ in range(n_replies):
                peer.send(foreign_reply(180, "Ringing"), srv.addr)
        # Nothing answers the replies, and sl counts a reply after sending it: wait until the
        # last of both is counted.
        n_requests = n_options + n_info + n_other
        wait_until(lambda: srv.stat(by_class("1xx")) - before[by_class("1xx")] >= n_replies and
                   srv.stat(STAT.sl_sent) - before[STAT.sl_sent] >= n_requests, 5.0)
        got = deltas(before, srv.stats(COUNTED))
        want = {k: 0 for k in COUNTED}
        want.update({
            STAT.rcv_requests: n_options + n_info + n_other,
            by_method("OPTIONS"): n_options, by_method("INFO"): n_info,
            by_method("other"): n_other,
            STAT.rcv_replies: n_replies, by_class("1xx"): n_replies,
            STAT.sl_sent: n_options + n_info + n_other,
            sl_class("2xx"): n_options, sl_class("4xx"): n_info, sl_class("5xx"): n_other,
        })
        check_eq(got, want, "statistics moved by")


test_requests_and_replies_are_counted_by_method_and_class.timeout = 60


def test_sipp_traffic_is_counted_exactly():
    """N OPTIONS from sipp: every one is counted once as received and once as answered 2xx
    (sipp -recv_timeout would fail a lost reply, and a retransmission would count twice)."""
    n = scaled(300, 5000)
    with Server(routes=ROUTES) as srv:
        watched = [STAT.rcv_requests, by_method("OPTIONS"), STAT.sl_sent, sl_class("2xx")]
        before = srv.stats(watched)
        res = sipp(srv.addr, "-sf", scenario("options_uac.xml"), "-r", str(scaled(300, 1000)),
                   "-l", "100", "-recv_timeout", "3000", calls=n, hard_timeout=scaled(30, 60),
                   name="metrics-options")
        check(res.rc == 0 and res.successful == n and res.failed == 0,
              f"expected {n} OPTIONS answered 200: {res.describe()}\n{res.output_tail()}")
        wait_until(lambda: srv.stat(sl_class("2xx")) - before[sl_class("2xx")] >= n, 2.0)
        got = deltas(before, srv.stats(watched))
        check_eq(got, {k: n for k in watched}, f"statistics after {n} sipp OPTIONS")


test_sipp_traffic_is_counted_exactly.timeout = 90


# ---------------------------------------------------------------- /metrics
def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def metrics_server():
    """A Server with the MI HTTP endpoint on a free port; (server, /metrics URL)."""
    port = free_tcp_port()
    check(MI_LINE in harness.DEFAULT_SETTINGS, "harness settings template changed its mi line")
    settings = harness.DEFAULT_SETTINGS.replace(
        MI_LINE, f'mi = {{ socket = "@MI_SOCK@"; http = "{LOOPBACK}:{port}"; }};')
    return Server(routes=ROUTES, settings=settings), f"http://{LOOPBACK}:{port}/metrics"


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5.0) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode(errors="replace")


def parse_metrics(text):
    """{family name: Metric} by the real client parser (which raises on bad input)."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        raise harness.Skip("python3-prometheus-client is not installed (scripts/install-deps)")
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(families, family, labels=None, suffix=""):
    """The value of the one sample of `family` with exactly `labels`."""
    check(family in families, f"family {family} not in /metrics (have {sorted(families)[:60]})")
    want = labels or {}
    hits = [s.value for s in families[family].samples
            if s.name == family + suffix and s.labels == want]
    check(len(hits) == 1, f"{family}{want}: expected one sample, got {hits} in "
          f"{families[family].samples}")
    return hits[0]


def exposed_name(stat):
    group, name = stat.split(":", 1)
    return f"sipline_{group}_{name}"


def test_metrics_endpoint_agrees_with_mi_and_passes_promtool():
    srv, url = metrics_server()
    r = harness.check_config(srv.cfg)
    if r.returncode != 0 and "http" in (r.stdout + r.stderr):
        raise harness.Skip(f"this build has no mi.http endpoint: {(r.stdout + r.stderr)[-300:]}")
    with srv:
        with UdpPeer() as peer:
            send_and_answer(srv, peer, "OPTIONS", 10)
            send_and_answer(srv, peer, "INFO", 3)
        # sl counts a reply after sending it.
        wait_until(lambda: srv.stat(STAT.sl_sent) >= 13, 5.0)
        mi = srv.stats()
        procs = srv.processes()
        status, ctype, text = fetch(url)
        check_eq(status, 200, "GET /metrics status")
        check(ctype is not None and ctype.startswith("text/plain") and "version=0.0.4" in ctype,
              f"/metrics content type {ctype!r}")
        families = parse_metrics(text)

        # Counters by method and class: the same values as get_statistics.
        check_eq(families["sipline_core_rcv_requests"].type, "counter", "type of rcv_requests")
        check_eq(sample(families, "sipline_core_rcv_requests", suffix="_total"),
                 mi[STAT.rcv_requests], "rcv_requests in /metrics")
        for m in METHODS:
            check_eq(sample(families, "sipline_core_rcv_requests_method", {"method": m}, "_total"),
                     mi[by_method(m)], f"rcv_requests method={m}")
        for c in CLASSES:
            check_eq(sample(families, "sipline_core_rcv_replies_class", {"class": c}, "_total"),
                     mi[by_class(c)], f"rcv_replies class={c}")
            check_eq(sample(families, "sipline_sl_sent_replies_class", {"class": c}, "_total"),
                     mi[sl_class(c)], f"sl sent_replies class={c}")
        check_eq(mi[by_method("OPTIONS")], 10, "OPTIONS counted")
        check_eq(mi[sl_class("4xx")], 3, "404s counted")
        # Gauges keep their name; the shm size does not move.
        check_eq(families["sipline_shmem_total_size"].type, "gauge", "type of shmem total")
        check_eq(sample(families, "sipline_shmem_total_size"), mi[STAT.shm_total], "shm size")
        # Every unlabelled counter of get_statistics is exposed under its name, same value
        # (but the mi group: the scrape itself is an HTTP request).
        compared = 0
        for stat, value in mi.items():
            fam = families.get(exposed_name(stat))
            if stat.startswith("mi:"):
                continue
            if fam is None or fam.type != "counter":
                continue
            check_eq(sample(families, fam.name, suffix="_total"), value, f"{stat} in /metrics")
            compared += 1
        check(compared >= 10, f"only {compared} counters matched by name")

        # One series per live process, labelled like MI ps.
        handled = families["sipline_process_handled"]
        check_eq(handled.type, "counter", "type of process_handled")
        exposed = sorted((s.labels["role"], int(s.labels["index"]), int(s.labels["pid"]))
                         for s in handled.samples if s.name == "sipline_process_handled_total")
        listed = sorted((p["role"], p["index"], p["pid"]) for p in procs if p["pid"])
        check_eq(exposed, listed, "processes in /metrics vs MI ps")
        load = families["sipline_process_load"]
        check_eq(load.type, "gauge", "type of process_load")
        check_eq(sorted({s.labels["window"] for s in load.samples}), ["10m", "1m", "recent"],
                 "load windows")
        check(all(0.0 <= s.value <= 1.0 for s in load.samples), f"load out of 0..1: {load}")
        check("sipline_process_busy_seconds" in families, "no busy_seconds family")
        check_eq(sample(families, "sipline_start_time_seconds"),
                 next(p["started"] for p in procs if p["role"] == "master"), "start time")

        # No family twice (the parser would merge them silently).
        types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
        check_eq(len(types), len(set(types)), "families with one # TYPE line each")

        promtool = shutil.which("promtool")
        if promtool is None:
            print("promtool not installed: skipped its check (scripts/install-deps)")
            return
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
              f"promtool check metrics exited {r.returncode}:\n{r.stdout}{r.stderr}")


test_metrics_endpoint_agrees_with_mi_and_passes_promtool.timeout = 60
