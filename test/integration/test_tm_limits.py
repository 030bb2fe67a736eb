"""The stateful proxy out of shared memory: with a 1 MB segment, requests whose transactions
do not fit are answered 500 and counted (tm:no_memory), never a crash; the server keeps
answering OPTIONS statelessly, every request gets exactly one final reply, and once the
transactions that did fit have timed out the memory is back and relaying works again."""

import time

from harness import (DEFAULT_SETTINGS, LOOPBACK, STAT, UdpPeer, build_request, check, check_eq,
                     new_callid, options_ping)
from sipp_flows import check_no_transactions, proxy

# 30 KB bodies: a transaction keeps the request and the relayed copy, so a few dozen fill the
# 1 MB segment (which also holds the table of hash_size buckets and the DNS cache).
BODY = b"x" * 30000
REQUESTS = 60


def test_tiny_shared_memory_refuses_new_transactions_with_500_and_keeps_serving():
    settings = DEFAULT_SETTINGS.replace("@SHM_MB@", "1")
    with UdpPeer() as uas, UdpPeer() as uac, \
            proxy(settings=settings, tm={"hash_size": 16, "fr_timeout": 2}) as srv:
        ruri = f"sip:bob@{LOOPBACK}:{uas.port}"
        workers = srv.pids_by_role().get("udp-worker")
        s0 = srv.stats([STAT.tm_no_memory, STAT.shm_used])
        finals = {}  # Call-ID -> [final statuses]
        sent = []
        for _ in range(REQUESTS):
            call_id = new_callid()
            sent.append(call_id)
            uac.send(build_request("MESSAGE", ruri, uac.port, call_id=call_id, body=BODY,
                                   extra=("Content-Type: text/plain",)), srv.addr)
            _collect(uac, finals, 0.05)
        refused = sum(1 for v in finals.values() if 500 in v)
        check(refused > 0, f"no 500 with a 1 MB segment: finals so far {_summary(finals)}")
        check(srv.stat(STAT.tm_no_memory) - s0[STAT.tm_no_memory] >= refused,
              f"{STAT.tm_no_memory} counted fewer than the {refused} 500s")

        # full, but the stateless side still answers
        pong = options_ping(srv.addr)
        check(pong is not None and pong.status == 200, f"OPTIONS while shm is full: {pong}")

        # the relayed ones time out (fr_timeout 2 s, the callee never answers): 408
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(finals) < REQUESTS:
            _collect(uac, finals, 0.3)
        _collect(uac, finals, 1.0)  # anything extra that is still coming
        missing = [c for c in sent if c not in finals]
        check(not missing, f"{len(missing)} requests got no final reply; {_summary(finals)}")
        doubled = {c: v for c, v in finals.items() if len(v) != 1}
        check(not doubled, f"requests with more than one final reply: {doubled}")
        codes = {v[0] for v in finals.values()}
        check(codes <= {500, 408}, f"final replies other than 500/408: {_summary(finals)}")
        check(408 in codes, f"no request was relayed at all: {_summary(finals)}")

        check_eq(srv.pids_by_role().get("udp-worker"), workers, "worker pids (none crashed)")
        check_no_transactions(srv)
        used = srv.stat(STAT.shm_used)
        check(used <= s0[STAT.shm_used] + 64 * 1024,
              f"shm not given back: {s0[STAT.shm_used]} bytes used before, {used} after")

        # memory is back: a new request is relayed and answered
        uas.drain(0.2)
        uac.send(build_request("MESSAGE", ruri, uac.port, body=b"again",
                               extra=("Content-Type: text/plain",)), srv.addr)
        req, at = uas.recv_msg(3)
        check(req is not None and req.method == "MESSAGE", "no relay after the memory came back")
        uas.send(_ok(req), at)
        check_eq(getattr(uac.expect_reply(3), "status", None), 200, "final after recovery")
        check_no_transactions(srv)


test_tiny_shared_memory_refuses_new_transactions_with_500_and_keeps_serving.timeout = 120


def _collect(peer, finals, wait):
    while True:
        msg, _ = peer.recv_msg(wait)
        if msg is None:
            return
        if msg.is_reply and msg.status >= 200:
            finals.setdefault(msg.get("call-id"), []).append(msg.status)


def _summary(finals):
    counts = {}
    for v in finals.values():
        key = "+".join(str(x) for x in v)
        counts[key] = counts.get(key, 0) + 1
    return f"{len(finals)} answered, by finals: {counts}"


def _ok(req):
    lines = ["SIP/2.0 200 OK"] + [f"Via: {v}" for v in req.all("via")]
    lines += [f"From: {req.get('from')}", f"To: {req.get('to')};tag=ok",
              f"Call-ID: {req.get('call-id')}", f"CSeq: {req.get('cseq')}", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
