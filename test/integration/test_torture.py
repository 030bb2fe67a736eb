"""RFC 4475 and RFC 5118 torture messages sent as-is (byte-exact, from test/corpora) to the
real server, one datagram each. Replies go to each message's own Via port, which the test
does not own, so the server's verdict is read from its counters: the exact class of outcome
of every message is asserted, and the server must survive all of them.

Outcome classes (what changed in get_statistics after the datagram):
  answered    the script answered it (sl 4xx: the test script's 404 "Not Here")
  sanity      sanity_check() answered it (416 / 420 / 400; exact codes in sanity_corpus_test)
  hops        mf_process_maxfwd_header() refused it and the script answered 483
  400         the core answered 400 (it did not parse, or a forwarding field is malformed),
              or 505 for another SIP version (badvers)
  dropped     it did not parse and could not be answered (no usable Via / CSeq, or a reply)
  reply       a well-formed reply: never answered, dropped (its top Via is not ours)
"""

import os
import time

from harness import Server, UdpPeer, check, check_eq

HERE = os.path.dirname(os.path.abspath(__file__))
CORPORA = os.path.join(HERE, "..", "corpora")

MODULES = "sl = {}; maxfwd = {}; sanity = {};"
ROUTES = """\
route {
  if (!sanity_check()) {
    exit;
  }
  if (!mf_process_maxfwd_header(10)) {
    sl_send_reply(483, "Too Many Hops");
    exit;
  }
  if (is_method("ACK")) {
    exit;
  }
  # A full configuration would look the user up or relay; never relay test messages.
  sl_send_reply(404, "Not Here");
}
"""

# The expected class of every message. Where RFC 4475 allows either answer, the choice is
# the parser's (documented in core/parser/torture_corpus_test.cc).
EXPECTED_4475 = {
    # 3.1.1 valid messages
    "wsinv.dat": "answered", "intmeth.dat": "answered", "esc01.dat": "answered",
    "escnull.dat": "answered", "esc02.dat": "answered", "lwsdisp.dat": "answered",
    "longreq.dat": "answered", "dblreq.dat": "answered", "semiuri.dat": "answered",
    "transports.dat": "answered", "mpart01.dat": "answered",
    "unreason.dat": "reply", "noreason.dat": "reply",
    # 3.1.2 invalid messages
    "badinv01.dat": "400", "clerr.dat": "400", "ncl.dat": "400", "scalar02.dat": "400",
    "scalarlg.dat": "dropped", "quotbal.dat": "400", "ltgtruri.dat": "400",
    "lwsruri.dat": "400", "lwsstart.dat": "400", "trws.dat": "400", "escruri.dat": "400",
    "baddate.dat": "answered", "regbadct.dat": "400", "badaspec.dat": "400", "baddn.dat": "400",
    "badvers.dat": "400", "mismatch01.dat": "400", "mismatch02.dat": "400",
    "bigcode.dat": "dropped",
    # 3.2 transaction layer
    "badbranch.dat": "answered",
    # 3.3 application layer
    "insuf.dat": "400", "unkscm.dat": "sanity", "novelsc.dat": "sanity",
    "unksm2.dat": "answered", "bext01.dat": "sanity", "invut.dat": "answered",
    "regaut01.dat": "answered", "multi01.dat": "400", "mcl01.dat": "400",
    "bcast.dat": "reply", "zeromf.dat": "hops", "cparam01.dat": "answered",
    "cparam02.dat": "answered", "regescrt.dat": "answered", "sdp01.dat": "answered",
    "inv2543.dat": "answered",
    # not referenced by the RFC text: no Via/CSeq to answer to
    "test.dat": "dropped",
}

EXPECTED_5118 = {
    "ipv6-good.dat": "answered", "ipv6-bad.dat": "400", "port-ambiguous.dat": "answered",
    "port-unambiguous.dat": "answered", "via-received-param-with-delim.dat": "answered",
    "via-received-param-no-delim.dat": "answered", "ipv6-in-sdp.dat": "answered",
    "mult-ip-in-header.dat": "answered", "mult-ip-in-sdp.dat": "answered",
    "ipv4-mapped-ipv6.dat": "answered", "ipv6-correct-abnf-2-colons.dat": "answered",
    # RFC 5118 §4.10: an implementation MAY be robust; ours refuses the extra colon.
    "ipv6-bug-abnf-3-colons.dat": "400",
}

# Counters that move last on each path (the outcome is known once one of them moved).
FINAL = ["sl:4xx_replies", "sanity:failed", "maxfwd:exceeded", "core:bad_msg_replies",
         "core:parse_errors", "core:rcv_replies"]
WATCHED = ["sl:4xx_replies", "sanity:failed", "maxfwd:exceeded", "core:bad_msg_replies",
           "core:parse_errors", "core:rcv_replies", "core:err_replies", "core:rcv_requests"]


def classify(before, after):
    d = {k: after[k] - before[k] for k in WATCHED}
    if d["core:bad_msg_replies"] == 1:
        return "400"
    if d["sanity:failed"] == 1:
        return "sanity"
    if d["maxfwd:exceeded"] == 1:
        return "hops"
    if d["sl:4xx_replies"] == 1:
        return "answered"
    if d["core:rcv_replies"] == 1:
        return "reply"
    if d["core:parse_errors"] == 1:
        return "dropped"
    return f"unknown {d}"


def run_corpus(folder, expected):
    files = sorted(f for f in os.listdir(os.path.join(CORPORA, folder)) if f.endswith(".dat"))
    check_eq(sorted(files), sorted(expected), f"the {folder} files the test knows")
    outcomes = {}
    with Server(routes=ROUTES, modules=MODULES, udp_workers=1,
                extra_settings='alias = [ "example.com", "example.net" ];') as srv, \
            UdpPeer() as peer:
        workers = srv.pids_by_role().get("udp-worker")
        for name in files:
            with open(os.path.join(CORPORA, folder, name), "rb") as f:
                data = f.read()
            before = srv.stats(WATCHED)
            peer.send(data, srv.addr)
            # One worker handles the datagram: it is done once a counter that ends its path
            # moved (core:rcv_requests moves before the script has answered).
            after = before
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                after = srv.stats(WATCHED)
                if any(after[k] != before[k] for k in FINAL):
                    break
                time.sleep(0.01)
            if after["core:parse_errors"] != before["core:parse_errors"]:
                time.sleep(0.1)  # a 400 is counted right after the parse error
                after = srv.stats(WATCHED)
            outcomes[name] = classify(before, after)
            check(srv.alive(), f"the server died on {folder}/{name}")
        check_eq(srv.pids_by_role().get("udp-worker"), workers, "udp worker pids after the corpus")
    wrong = {n: (outcomes[n], expected[n]) for n in files if outcomes[n] != expected[n]}
    print(f"NOTE: {folder}: " + ", ".join(f"{n}={outcomes[n]}" for n in files))
    check(not wrong, f"{folder}: unexpected outcomes (got, want): {wrong}")


def test_rfc4475_torture_messages_get_the_answer_the_rfc_asks_for():
    run_corpus("rfc4475", EXPECTED_4475)


def test_rfc5118_ipv6_torture_messages_get_the_answer_the_rfc_asks_for():
    run_corpus("rfc5118", EXPECTED_5118)
