"""What the TCP and TLS tests share (test_tcp.py, test_tls.py): a proxy and registrar whose
routing sends chosen users to the test's callee over a given transport, and the requests a
test writes on a stream.

  MODULES                     sl, maxfwd, tm, rr, usrloc, registrar (600 s default expiry)
  proxy_routes(lines)         REGISTER saved, in-dialog requests by Route, OPTIONS to user
                              "ping" answered 200, `lines` (one per test user: where it goes),
                              the rest by location (404 when not registered)
  options(port, proto)        an OPTIONS to ping@127.0.0.1 whose Via names the stream's port
  register(peer, user, ...)   a REGISTER of user@127.0.0.1 from StreamPeer `peer`
"""

from harness import LOOPBACK, build_request, new_callid

MODULES = ('sl = {}; maxfwd = {}; tm = {}; rr = {}; usrloc = {}; '
           'registrar = { default_expires = 600; min_expires = 10; };')


def proxy_routes(*user_lines):
    lines = "\n".join("  " + line for line in user_lines)
    return f"""\
route {{
  if (!mf_process_maxfwd_header(10)) {{ sl_send_reply(483, "Too Many Hops"); exit; }}
  if (has_totag()) {{
    if (loose_route()) {{ t_relay(); exit; }}
    if (is_method("ACK")) {{ t_relay(); exit; }}
    sl_send_reply(404, "Not here");
    exit;
  }}
  if (is_method("OPTIONS") && $rU == "ping") {{ sl_send_reply(200, "OK"); exit; }}
  if (is_method("REGISTER")) {{ save("location"); exit; }}
  record_route();
{lines}
  if (!lookup("location")) {{ sl_send_reply(404, "Not Found"); exit; }}
  t_relay();
}}
"""


def options(port, proto="TCP"):
    branch = f"z9hG4bK-{new_callid()[:12]}"
    return build_request("OPTIONS", f"sip:ping@{LOOPBACK}", port,
                         via=f"SIP/2.0/{proto} {LOOPBACK}:{port};branch={branch}")


def register(peer, user, contact, expires=600, cseq=1, proto="TCP"):
    """A REGISTER of user@127.0.0.1 from StreamPeer `peer` binding `contact`."""
    return (f"REGISTER sip:{LOOPBACK} SIP/2.0\r\n"
            f"Via: SIP/2.0/{proto} {LOOPBACK}:{peer.port};branch=z9hG4bK-{new_callid()[:12]}\r\n"
            f"From: <sip:{user}@{LOOPBACK}>;tag=r{cseq}\r\nTo: <sip:{user}@{LOOPBACK}>\r\n"
            f"Call-ID: reg-{user}-{peer.port}\r\nCSeq: {cseq} REGISTER\r\nMax-Forwards: 70\r\n"
            f"Contact: <{contact}>\r\nExpires: {expires}\r\nContent-Length: 0\r\n\r\n")
