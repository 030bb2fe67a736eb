"""PROTOS c07-sip: all 4527 cases (test/corpora/protos-c07-sip) against a stateless relay.

Every case that fits in one UDP datagram is sent as the jar sends it (the INVITE, then its
CANCEL teardown) to a server that relays everything to a sink this test owns.  After each of
the 54 groups the server must still answer OPTIONS with the same processes (MI ps); at the
end every datagram must be accounted for exactly by the server's counters, and the outcomes
the test saw (400, relayed, dropped) must agree with them.  Where RFC 3261's grammar decides
alone whether a mutated field a relay must process is valid (request line, Via port,
Max-Forwards, CSeq number, Content-Length), the outcome must match that verdict.

A per-group summary is printed (and written to $SIPLINE_PROTOS_SUMMARY if set); every case's
outcome goes to protos-outcomes.tsv in the test's directory (kept with -v or on failure).
Cases too large for one UDP datagram are listed there as skipped, with the reason:
test_protos_tcp.py sends them over TCP.  SIPLINE_SOAK=1 sends every case 3 times.
"""

import collections
import os
import random
import re
import select
import socket
import time

import protos
from harness import (LOOPBACK, ROLE, SOAK, STAT, Server, UdpPeer, build_request, check,
                     check_eq, test_tmpdir)

# OPTIONS to us is answered (the liveness probe); everything else goes to the sink.
ROUTES = """\
route {
  if (is_method("OPTIONS") && $rd == myself) {
    sl_send_reply(200, "OK");
    exit;
  }
  forward("udp:127.0.0.1:@UAS_PORT@");
}
"""

BAD_MSG_REPLIES = "core:bad_msg_replies"   # 400s (505s) sent for unparseable requests
REFUSALS = (400, 505)
TOO_MANY_HOPS = "core:too_many_hops"       # 483s sent by forward() for Max-Forwards 0
COUNTERS = (STAT.rcv_requests, STAT.rcv_replies, STAT.parse_errors, STAT.err_requests,
            STAT.err_replies, STAT.fwd_requests, STAT.fwd_replies, STAT.drop_requests,
            STAT.drop_replies, BAD_MSG_REPLIES, TOO_MANY_HOPS)

# Pacing: at most BATCH cases (INVITE + CANCEL each) and at most a quarter of the smallest
# receive buffer involved in bytes go out back to back; then both sockets are drained until
# they have been quiet for QUIET s.  Late arrivals are still filed correctly (by token).
BATCH = 8
QUIET = 0.010
BATCH_DRAIN_MAX = 0.5
FINAL_QUIET = 0.3
SETTLE_TIMEOUT = 10.0  # for the counters and what they announce to arrive at the end
PROBE_TIMEOUTS = (1.0, 2.0)  # the liveness OPTIONS, then one retry
SKIP_REASON = (f"exceeds one UDP datagram (> {protos.MAX_UDP_PAYLOAD} bytes after "
               "substitution): test_protos_tcp.py sends them over TCP")


def _grow_rcvbuf(sock, size=8 << 20):
    """Asks for a large receive buffer (SO_RCVBUFFORCE if allowed); returns what was got."""
    for opt in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if opt is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, size)
            break
        except OSError:
            continue
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


def _udp_drops(port):
    """Datagrams the kernel dropped on the sockets bound to UDP port `port` (/proc/net/udp,
    last column)."""
    hexport = f"{port:04X}"
    total = 0
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                cols = line.split()
                if cols[1].rsplit(":", 1)[1] == hexport:
                    total += int(cols[-1])
    except (OSError, ValueError, IndexError):
        pass
    return total


class Datagram:
    """One INVITE (kind "invite") or CANCEL teardown ("teardown") sent, and its outcome."""
    __slots__ = ("case", "kind", "size", "relayed", "replies", "reply_texts")

    def __init__(self, case, kind, size):
        self.case, self.kind, self.size = case, kind, size
        self.relayed = 0
        self.replies = []       # status codes
        self.reply_texts = []

    @property
    def outcome(self):
        if self.relayed:
            return "relayed"
        if self.replies:
            # A refusal is 400, or 505 for a SIP version we do not speak (RFC 3261 §8.2.6.1);
            # both come from the parse-error path and count as "400" below.
            kinds = {"400" if r in REFUSALS else str(r) for r in self.replies}
            return kinds.pop() if len(kinds) == 1 else "mixed"
        return "dropped"


class Run:
    """Sends datagrams and files whatever comes back (replies on the peer socket, relayed
    copies on the sink) under the datagram whose token it carries."""

    def __init__(self, srv, peer, sink, ep, byte_budget):
        self.srv, self.peer, self.sink, self.ep = srv, peer, sink, ep
        self.byte_budget = byte_budget
        self.tag = f"{random.getrandbits(32):08x}"
        self.rx = protos.token_regex(self.tag)
        self.slots = {}          # token index -> {"invite": Datagram, "teardown": Datagram}
        self.events = collections.defaultdict(list)  # token index -> [(kind, status, data)]
        self.sent = 0            # every datagram sent to the server, probes included
        self.probes = 0
        self.unattributed = []   # (where, first bytes) of datagrams that carry no token of ours
        self.ambiguous = []      # ... or several
        self.pending_cases = 0
        self.pending_bytes = 0
        self.seen = collections.Counter()  # "sink": copies, "peer": replies (attributed)

    def send(self, data):
        check(data.strip(b"\r\n") != b"", "a PROTOS datagram is a bare CRLF keepalive")
        self.peer.send(data, self.srv.addr)
        self.sent += 1

    def send_case(self, case):
        """Sends the case's INVITE then its CANCEL (same token: same Call-ID and branch);
        returns the slot, or None and the INVITE size if it does not fit a datagram."""
        idx = len(self.slots)
        token = protos.make_token(self.tag, idx)
        inv = case.invite_bytes(self.ep, token)
        if len(inv) > protos.MAX_UDP_PAYLOAD:
            return None, len(inv)
        td = case.teardown_bytes(self.ep, token)
        if self.pending_cases and (self.pending_cases >= BATCH or
                                   self.pending_bytes + len(inv) + len(td) > self.byte_budget):
            self.drain(QUIET, BATCH_DRAIN_MAX)
        slot = self.slots[idx] = {"invite": Datagram(case.number, "invite", len(inv)),
                                  "teardown": Datagram(case.number, "teardown", len(td))}
        self.send(inv)
        self.send(td)
        self.pending_cases += 1
        self.pending_bytes += len(inv) + len(td)
        return slot, len(inv)

    def _file(self, data, where):
        idxs = protos.find_tokens(self.rx, data)
        if len(idxs) != 1 or next(iter(idxs)) not in self.slots:
            (self.ambiguous if len(idxs) > 1 else self.unattributed).append((where, data[:160]))
            return
        idx = idxs.pop()
        self.seen[where] += 1
        if where == "sink":  # a relayed copy: its request line says which one it is
            kind = "teardown" if data.startswith(b"CANCEL ") else "invite"
            self.events[idx].append((kind, None, data[:0]))
            return
        # A reply names its request by its CSeq method (a teardown's CSeq method is never
        # mutated); a 400 for a request that failed to parse before its CSeq header has no
        # CSeq: kind None, settled in resolve().
        method = protos.cseq_method(data)
        kind = None if not method else "teardown" if method == b"CANCEL" else "invite"
        self.events[idx].append((kind, protos.status_of(data), data))

    def resolve(self):
        """Files the events under their datagrams.  A reply without CSeq goes to whichever
        of the INVITE and its CANCEL has no other outcome, the INVITE first (both carry the
        same mutated request line and Via, so such 400s come in pairs)."""
        for idx, events in self.events.items():
            slot = self.slots[idx]
            for kind, status, data in sorted(events, key=lambda e: e[0] is None):
                if kind is None:
                    free = [dg for dg in (slot["invite"], slot["teardown"])
                            if dg.outcome == "dropped"]
                    dg = free[0] if free else slot["invite"]
                else:
                    dg = slot[kind]
                if status is None:
                    dg.relayed += 1
                else:
                    dg.replies.append(status)
                    dg.reply_texts.append(data)
        self.events.clear()

    def drain(self, quiet, limit):
        """Reads both sockets until neither has had a datagram for `quiet` s (at most
        `limit` s in all)."""
        self.pending_cases = self.pending_bytes = 0
        socks = {self.peer.sock: "peer", self.sink.sock: "sink"}
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select(list(socks), [], [], min(quiet, left))
            if not ready:
                return
            for s in ready:
                while True:
                    try:
                        data = s.recv(65535, socket.MSG_DONTWAIT)
                    except (BlockingIOError, InterruptedError):
                        break
                    except ConnectionRefusedError:  # ICMP for an earlier send
                        continue
                    self._file(data, socks[s])

    def settle(self, base, timeout):
        """Drains until the server has counted every datagram sent and everything its
        counters say it relayed or answered has arrived (or `timeout` s passed), then reads
        the counters once more.  Returns the counter deltas since `base`."""
        deadline = time.monotonic() + timeout
        while True:
            self.drain(QUIET, 0.2)
            d = {k: v - base[k] for k, v in self.srv.stats(COUNTERS).items()}
            counted = d[STAT.rcv_requests] + d[STAT.rcv_replies] + d[STAT.parse_errors]
            if (counted >= self.sent and self.seen["sink"] >= d[STAT.fwd_requests] and
                    self.seen["peer"] >= d[BAD_MSG_REPLIES] + d[TOO_MANY_HOPS]) or \
                    time.monotonic() >= deadline:
                break
        self.drain(FINAL_QUIET, 2.0)
        return {k: v - base[k] for k, v in self.srv.stats(COUNTERS).items()}

    def probe(self, probe_peer):
        """Liveness: OPTIONS to the server, one retry; returns the reply's status or None."""
        for timeout in PROBE_TIMEOUTS:
            probe_peer.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{self.srv.port}",
                                          probe_peer.port), self.srv.addr)
            self.sent += 1
            self.probes += 1
            reply = probe_peer.expect_reply(timeout)
            if reply is not None:
                return reply.status
        return None


def _table(rows, headers):
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*headers)] + [fmt.format(*r) for r in rows]


def _ranges(numbers):
    """[1, 2, 3, 7] -> '1-3, 7'."""
    out, start, prev = [], None, None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}-{prev}" if prev > start else f"{start}")
            start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if prev > start else f"{start}")
    return ", ".join(out)


def test_protos_c07_sip_cases_never_kill_a_worker_and_are_accounted_for():
    groups = protos.load_groups()
    cases = protos.load_cases()
    reps = 3 if SOAK else 1
    t0 = time.monotonic()
    with UdpPeer() as sink, UdpPeer() as peer, UdpPeer() as probe_peer:
        budget = min(_grow_rcvbuf(sink.sock), _grow_rcvbuf(peer.sock)) // 4
        with Server(routes=ROUTES, uas_port=sink.port, udp_workers=2, modules="sl = {};",
                    name="protos") as srv:
            ep = protos.Endpoint(server_port=srv.port, local_port=peer.port)
            run = Run(srv, peer, sink, ep, byte_budget=max(budget, 2 * protos.MAX_UDP_PAYLOAD))
            roles = srv.pids_by_role()
            workers = roles.get(ROLE.udp_worker)
            check(workers and len(workers) == 2, f"expected 2 udp workers, ps says {roles}")
            base = srv.stats(COUNTERS)
            base_drops = _udp_drops(srv.port)

            per_group = []  # (group, [slot], [(case, size)] skipped)
            for g in groups:
                slots, skipped = [], []
                for n in g.numbers():
                    for _ in range(reps):
                        slot, size = run.send_case(cases[n])
                        if slot is not None:
                            slots.append(slot)
                        elif not skipped or skipped[-1][0] != n:
                            skipped.append((n, size))
                run.drain(QUIET, BATCH_DRAIN_MAX)
                per_group.append((g, slots, skipped))
                where = f"group {g.name} (cases {g.first}-{g.last})"
                status = run.probe(probe_peer)
                check(srv.alive(), f"sipline exited during {where}; log {srv.log_path}")
                check_eq(status, 200, f"reply to OPTIONS after {where}")
                check_eq(srv.pids_by_role(), roles, f"processes (MI ps) after {where}")
            elapsed = time.monotonic() - t0

            d = run.settle(base, SETTLE_TIMEOUT)  # late replies and copies
            run.resolve()
            server_drops = _udp_drops(srv.port) - base_drops
            own_drops = _udp_drops(peer.port) + _udp_drops(sink.port)
            check_eq(srv.pids_by_role(), roles, "processes (MI ps) at the end")

    # ------------------------------------------------------------ what happened
    base_case = cases[0]
    datagrams = [dg for _, slots, _ in per_group for s in slots for dg in s.values()]
    invites = [dg for dg in datagrams if dg.kind == "invite"]
    teardowns = [dg for dg in datagrams if dg.kind == "teardown"]
    n_400 = sum(dg.replies.count(code) for dg in datagrams for code in REFUSALS)
    n_483 = sum(dg.replies.count(483) for dg in datagrams)
    n_relayed = sum(dg.relayed for dg in datagrams)
    n_silent = sum(1 for dg in datagrams if dg.outcome == "dropped")
    other_replies = [(dg.case, dg.kind, dg.replies) for dg in datagrams
                     if any(s not in REFUSALS + (483,) for s in dg.replies)]
    multi = [(dg.case, dg.kind, dg.relayed, dg.replies) for dg in datagrams
             if dg.relayed + len(dg.replies) > 1]
    verdict_misses = []   # (case, verdict, outcome)
    notes = collections.defaultdict(set)
    for g, slots, _ in per_group:
        for s in slots:
            inv = s["invite"]
            msg = cases[inv.case].invite_bytes(ep, "T")
            verdict = protos.rfc_verdict(g.name, msg)
            ok = {None: True, "relay": inv.outcome == "relayed", "400": inv.outcome == "400",
                  "483": inv.outcome == "483",
                  "reject": inv.outcome in ("400", "dropped")}[verdict]
            if not ok:
                verdict_misses.append((inv.case, verdict, inv.outcome))
            if inv.outcome == "relayed":
                problem = protos.request_uri_problem(msg)
                if problem:
                    notes[f"relayed with a Request-URI that is {problem}"].add(inv.case)
                problem = protos.via_host_problem(msg)
                if problem:
                    notes[f"relayed although the top Via's {problem}"].add(inv.case)
            for dg in s.values():
                request = msg if dg.kind == "invite" else \
                    cases[dg.case].teardown_bytes(ep, "T")
                for text in dg.reply_texts:
                    missing = protos.missing_reply_headers(text, request)
                    if missing:
                        notes["answered 400 without the request's " + "/".join(missing) +
                              " (§8.2.6.2; INVITE or CANCEL)"].add(dg.case)
    bad_teardowns = [dg.case for dg in teardowns if dg.outcome != "relayed" and
                     not protos.teardown_is_mutated(cases[dg.case], base_case)]
    # a 400 goes to the top Via's port: another one than ours when a valid port was mutated in
    elsewhere = [dg for dg in datagrams if dg.outcome == "dropped" and
                 _via_port(cases[dg.case], ep, dg.kind) not in (None, ep.local_port)]

    # ------------------------------------------------------------ summary
    rows, tot = [], collections.Counter()
    for g, slots, skipped in per_group:
        c = collections.Counter(s["invite"].outcome for s in slots)
        other = sum(v for k, v in c.items() if k not in ("400", "relayed", "dropped"))
        row = (g.name, f"{g.first}-{g.last}", len(slots), c["400"], c["relayed"], c["dropped"],
               other, len(skipped))
        rows.append(row)
        tot.update(dict(zip(("sent", "400", "relayed", "dropped", "other", "skipped"), row[2:])))
    rows.append(("TOTAL", f"0-{protos.CASE_COUNT - 1}", tot["sent"], tot["400"], tot["relayed"],
                 tot["dropped"], tot["other"], tot["skipped"]))
    skipped_all = [n for _, _, sk in per_group for n, _ in sk]
    lines = [f"PROTOS c07-sip over UDP, {run.sent} datagrams in {elapsed:.1f}s: {len(invites)} "
             f"INVITEs{f' ({reps} per case)' if reps > 1 else ''}, {len(teardowns)} CANCEL "
             f"teardowns, {run.probes} OPTIONS probes.  Per group, INVITEs (other: 483 for "
             "Max-Forwards 0):"]
    lines += ["  " + ln for ln in _table(rows, ("group", "cases", "sent", "400/505", "relayed",
                                                "dropped", "other", "skipped"))]
    lines.append("CANCEL teardowns: " + ", ".join(
        f"{k} {v}" for k, v in sorted(collections.Counter(dg.outcome for dg in teardowns).items())))
    lines.append("server counters (delta): " + " ".join(
        f"{k.split(':')[1]}={v}" for k, v in d.items()) + f"; kernel drops {server_drops}")
    lines.append(f"SKIPPED {len(skipped_all)} cases, {SKIP_REASON}: {_ranges(skipped_all)}")
    for what, nums in sorted(notes.items()):
        lines.append(f"RFC 3261 note (reported, not asserted): {len(nums)} cases {what}: "
                     f"{_ranges(nums)}")
    summary = "\n".join(lines)
    print(summary, flush=True)
    if os.environ.get("SIPLINE_PROTOS_SUMMARY"):
        with open(os.environ["SIPLINE_PROTOS_SUMMARY"], "w") as f:
            f.write(summary + "\n")
    with open(os.path.join(test_tmpdir(), "protos-outcomes.tsv"), "w") as f:
        f.write("case\tgroup\tinvite_bytes\tinvite\tteardown\treplies\n")
        for g, slots, skipped in per_group:
            for s in slots:
                i, t = s["invite"], s["teardown"]
                f.write(f"{i.case}\t{g.name}\t{i.size}\t{i.outcome}\t{t.outcome}\t"
                        f"{i.replies + t.replies}\n")
            for n, size in skipped:
                f.write(f"{n}\t{g.name}\t{size}\tskipped\tskipped\t[]\n")

    # ------------------------------------------------------------ assertions
    check_eq(len(skipped_all) + len(invites) // reps, protos.CASE_COUNT,
             "cases sent + cases skipped")
    check_eq(own_drops, 0, "datagrams the kernel dropped on the test's sockets")
    check_eq(server_drops, 0, "datagrams the kernel dropped on the server's socket")
    check(not run.unattributed and not run.ambiguous,
          f"received datagrams naming no (or several) sent datagrams: {run.unattributed[:3]} "
          f"{run.ambiguous[:3]}")
    check(not multi, f"datagrams with more than one outcome (case, kind, relayed, replies): "
          f"{multi[:10]}")
    check(not other_replies, f"replies other than 400/505/483 (case, kind, statuses): "
          f"{other_replies[:10]}")
    # core/sip/receive.cc counts every datagram that is not a bare CRLF keepalive exactly
    # once: rcv_requests (parsed request), rcv_replies (parsed reply) or parse_errors.
    check_eq(d[STAT.rcv_requests] + d[STAT.rcv_replies] + d[STAT.parse_errors], run.sent,
             f"{STAT.rcv_requests} + {STAT.rcv_replies} + {STAT.parse_errors} vs datagrams sent")
    check(d[STAT.parse_errors] > 0, f"no parse error counted: {d}")
    check_eq(d[STAT.rcv_replies], 0, "PROTOS datagrams taken for replies")
    check(d[STAT.err_requests] + d[STAT.err_replies] <= d[STAT.parse_errors],
          f"err_requests + err_replies exceed parse_errors: {d}")
    # parsed requests end relayed (fwd_requests: what the sink got), answered (483 by
    # forward(), 200 to the probes) or dropped (drop_requests)
    check_eq(d[STAT.fwd_requests], n_relayed, f"{STAT.fwd_requests} vs copies at the sink")
    check_eq(d[TOO_MANY_HOPS], n_483, f"{TOO_MANY_HOPS} vs 483 replies received")
    check_eq(d[STAT.rcv_requests], d[STAT.fwd_requests] + n_483 + run.probes +
             d[STAT.drop_requests], f"{STAT.rcv_requests} vs relayed + 483 + probes + "
             f"{STAT.drop_requests}")
    # Every 400 comes from the parse-error path (the script sends none, forward() only 483),
    # so the 400s seen plus the datagrams with no outcome at all are exactly the parse
    # errors plus the parsed requests nobody relayed or answered.  (A 400 for a Via whose
    # port was mutated to another valid port would go there: counted in bad_msg_replies,
    # silent here, so it sits on the right-hand side as "no outcome" - still exact.)
    check_eq(d[STAT.parse_errors] + d[STAT.drop_requests], n_400 + n_silent,
             f"{STAT.parse_errors} + {STAT.drop_requests} vs 400s seen + datagrams that got "
             "no reply and were not relayed")
    check(n_400 <= d[BAD_MSG_REPLIES] <= n_400 + len(elsewhere),
          f"{BAD_MSG_REPLIES}={d[BAD_MSG_REPLIES]} vs {n_400} 400s seen (+ at most "
          f"{len(elsewhere)} sent to another Via port)")
    check(not verdict_misses, f"{len(verdict_misses)} INVITEs not treated as RFC 3261's grammar "
          f"says (case, verdict, outcome): {verdict_misses[:15]}")
    check(not bad_teardowns, f"well-formed CANCEL teardowns not relayed, cases "
          f"{_ranges(bad_teardowns)}")


test_protos_c07_sip_cases_never_kill_a_worker_and_are_accounted_for.timeout = 240


def _via_port(case, ep, kind):
    """The port of the first Via as written in the case's INVITE or teardown (None if it
    has none that parses as digits)."""
    data = case.invite_bytes(ep, "T") if kind == "invite" else case.teardown_bytes(ep, "T")
    m = re.search(rb"\r\nVia: SIP/2\.0/UDP [^:;\r\n]*:(\d{1,5})[;\r]", data)
    return int(m.group(1)) if m else None
