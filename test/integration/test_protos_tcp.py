"""PROTOS c07-sip over TCP: the 81 cases too large for one UDP datagram (up to 128 KB after
substitution, which test_protos.py has to skip), and a sample of the others, each INVITE and
its CANCEL on a connection of their own, against a stateless relay that forwards to a TCP
sink this test owns (max_message_size raised so the big ones are parsed, not refused).

Every case must end in something observable: a reply on its connection, a copy relayed to
the sink, the connection closed by the server, or the server counting it as an unparseable
or dropped message (core:parse_errors, core:drop_requests). After every chunk of cases the server
answers OPTIONS over TCP with the same worker processes."""

import threading
import time

import protos
from harness import LOOPBACK, STAT, Server, check, check_eq
from stream_peer import StreamListener, StreamPeer

ROUTES = """\
route {
  if (is_method("OPTIONS") && $rU == "ping") { sl_send_reply(200, "OK"); exit; }
  forward("tcp:127.0.0.1:@UAS_PORT@");
}
"""
SAMPLE_EVERY = 30  # of the cases that fit a datagram (those are all covered over UDP)
CHUNK = 25
OUTCOME_WAIT = 2.0


class Sink:
    """Accepts the server's connections and records the tokens of what it relays."""

    def __init__(self, run_tag):
        self.listener = StreamListener()
        self.rx = protos.token_regex(run_tag)
        self.seen = set()
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conns = []
        deadline = time.monotonic() + 300
        while not self.stop and time.monotonic() < deadline:
            c = self.listener.accept(0.05)
            if c is not None:
                conns.append(c)
            for c in conns:
                if c.closed:
                    continue
                c._fill(0.01)
                # Tokens straight from the bytes: a mutated Content-Length must not stop
                # the sink. The tail is kept in case a token straddles two reads.
                with self.lock:
                    self.seen |= protos.find_tokens(self.rx, c.buf)
                c.buf = c.buf[-64:]
        for c in conns:
            c.close()

    def got(self, idx):
        with self.lock:
            return idx in self.seen

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.listener.close()


def _options_over_tcp(srv):
    with StreamPeer.connect(srv.addr) as c:
        c.send(f"OPTIONS sip:ping@{LOOPBACK} SIP/2.0\r\n"
               f"Via: SIP/2.0/TCP {LOOPBACK}:{c.port};branch=z9hG4bK-ping{c.port}\r\n"
               f"From: <sip:t@{LOOPBACK}>;tag=p\r\nTo: <sip:ping@{LOOPBACK}>\r\n"
               f"Call-ID: ping-{c.port}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
               f"Content-Length: 0\r\n\r\n")
        r = c.expect_reply(3)
        return r.status if r is not None else None


def test_protos_cases_over_tcp_including_those_too_large_for_udp():
    cases = protos.load_cases()
    tag = f"T{int(time.time()) % 100000}"
    sink = Sink(tag)
    try:
        with Server(routes=ROUTES, uas_port=sink.listener.port, modules="sl = {};",
                    transports=("udp", "tcp"), tcp_workers=2, name="protos_tcp",
                    extra_settings="max_message_size = 262144;") as srv:
            ep = protos.Endpoint(server_port=srv.port, local_port=5999)
            workers = srv.pids_by_role().get("tcp-worker")
            check(workers and len(workers) == 2, f"two tcp workers: {srv.pids_by_role()}")
            chosen, big = [], 0
            for n in sorted(cases):
                size = len(cases[n].invite_bytes(ep, protos.make_token(tag, 0)))
                if size > protos.MAX_UDP_PAYLOAD:
                    chosen.append(n)
                    big += 1
                elif n % SAMPLE_EVERY == 0:
                    chosen.append(n)
            check_eq(big, 81, "cases larger than one UDP datagram")
            outcomes = {"replied": 0, "relayed": 0, "closed": 0, "counted": 0, "silent": 0}
            counters = [STAT.parse_errors, STAT.drop_requests]
            silent = []
            last = sum(srv.stats(counters).values())
            for i, n in enumerate(chosen):
                token = protos.make_token(tag, i)
                with StreamPeer.connect(srv.addr) as c:
                    ep = protos.Endpoint(server_port=srv.port, local_port=c.port)
                    try:
                        c.send(cases[n].invite_bytes(ep, token))
                        c.send(cases[n].teardown_bytes(ep, token))
                    except OSError:
                        pass  # closed by the server while sending: a framing refusal
                    deadline = time.monotonic() + OUTCOME_WAIT
                    outcome = "silent"
                    polls = 0
                    while time.monotonic() < deadline:
                        polls += 1
                        if polls % 3 == 0:  # dropped or refused without an answer: counted
                            now = sum(srv.stats(counters).values())
                            if now > last:
                                last = now
                                outcome = "counted"
                                break
                        if sink.got(i):
                            outcome = "relayed"
                            break
                        r = c.recv_msg(0.02)
                        if r is not None and r.is_reply:
                            outcome = "replied"
                            break
                        if c.closed:
                            outcome = "closed"
                            break
                    outcomes[outcome] += 1
                    if outcome == "silent":
                        silent.append(n)
                    if outcome in ("replied", "closed"):
                        last = sum(srv.stats(counters).values())
                if (i + 1) % CHUNK == 0 or i + 1 == len(chosen):
                    where = f"case {n} ({i + 1} of {len(chosen)})"
                    check(srv.alive(), f"sipline exited after {where}")
                    check_eq(_options_over_tcp(srv), 200, f"OPTIONS over TCP after {where}")
                    check_eq(srv.pids_by_role().get("tcp-worker"), workers,
                             f"tcp workers after {where}")
            print(f"PROTOS over TCP: {len(chosen)} cases ({big} too large for UDP): {outcomes}")
            check(outcomes["relayed"] > 0 and outcomes["replied"] > 0, f"outcomes {outcomes}")
            check_eq(outcomes["silent"], 0, f"cases without any outcome ({outcomes}): {silent}")
    finally:
        sink.close()
