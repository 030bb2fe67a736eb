"""The route simulator, `sipline --simulate MSG.sip [--source] [--route] -f cfg`: every shipped
routing script passes its cases in test/scripts/<script>/, the message is printed exactly as
it would leave, nothing is sent, and bad input is refused with the documented exit status."""

import glob
import os
import re
import socket
import subprocess
import sys

from harness import (MPATH, ROOT, SIPLINE, check, check_eq, free_udp_port, shm_entries,
                     unique_path, unreferenced_shm)

sys.path.insert(0, os.path.join(ROOT, "test", "scripts"))
import script_test  # noqa: E402
from location_db import LocationDb  # noqa: E402

SHIPPED_CFG = os.path.join(ROOT, "cfg", "sipline.cfg")
CASES = os.path.join(ROOT, "test", "scripts")
# The registrar + proxy without authentication: relays a stranger's INVITE, which the shipped
# provider script (cfg/sipline.routes) refuses.
REGISTRAR_PROXY = os.path.join(ROOT, "cfg", "examples", "registrar-proxy.routes")


def shipped_settings(routes_path, db_url=None):
    """cfg/sipline.cfg (its sockets and modules) with this build's modules, the given script
    and no management socket (and `db_url` for auth_db, which checks its table at start when
    the script authenticates); returns the path of the written file."""
    with open(SHIPPED_CFG) as f:
        text = f.read()
    if db_url:
        text = re.sub(r'postgres://[^"]*', db_url, text)
    text = re.sub(r"^mpath\s*=.*$", f'mpath = "{MPATH}";', text, flags=re.M)
    text = re.sub(r"^routes\s*=.*$", f'routes = "{routes_path}";', text, flags=re.M)
    text = re.sub(r"^mi\s*=\s*\{.*?\};", "", text, flags=re.M | re.S)
    d = unique_path("sim")
    os.makedirs(d)
    text = text.replace('"../build/run/acc-spool"', '"' + os.path.join(d, "acc-spool") + '"')
    path = os.path.join(d, "sipline.cfg")
    with open(path, "w") as f:
        f.write(text)
    return path


def own_settings(routes_text, sockets=None):
    """Settings and routes files of our own in a fresh directory: (cfg, routes path, port of
    the first socket). The sockets default to one on a free loopback port."""
    port = free_udp_port()
    sockets = sockets or [f"udp:127.0.0.1:{port}"]
    d = unique_path("simown")
    os.makedirs(d)
    routes = os.path.join(d, "t.routes")
    with open(routes, "w") as f:
        f.write(routes_text)
    cfg = os.path.join(d, "t.cfg")
    with open(cfg, "w") as f:
        listed = ", ".join(f'"{x}"' for x in sockets)
        f.write(f'socket = [ {listed} ];\nshm_size = 16;\nlog_level = "notice";\n'
                f'mpath = "{MPATH}";\nroutes = "t.routes";\n'
                'modules = { sl = {}; maxfwd = {}; sanity = {}; textops = {}; };\n')
    return cfg, routes, int(sockets[0].rsplit(":", 1)[1])


def message_file(text, crlf=False, name="msg.sip"):
    d = unique_path("simmsg")
    os.makedirs(d)
    path = os.path.join(d, name)
    data = text.replace("\n", "\r\n") if crlf else text
    with open(path, "wb") as f:
        f.write(data.encode())
    return path


def run(cfg, *args):
    r = subprocess.run([SIPLINE, "-f", cfg] + list(args), capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    return script_test.SimResult(r.returncode, r.stdout, r.stderr)


def shipped_scripts():
    scripts = [os.path.join(ROOT, "cfg", "sipline.routes")]
    scripts += sorted(glob.glob(os.path.join(ROOT, "cfg", "examples", "*.routes")))
    return scripts


INVITE = """INVITE sip:bob@192.0.2.20 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-sim-1
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@192.0.2.20>
Call-ID: sim-1@192.0.2.10
CSeq: 1 INVITE
Content-Type: application/sdp
Content-Length: 999

v=0
o=alice 1 1 IN IP4 192.0.2.10
s=-
"""

SDP_CRLF = b"v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\n"


# ---------------------------------------------------------------- every shipped script
def test_every_shipped_routing_script_passes_its_simulator_cases():
    scripts = shipped_scripts()
    check(len(scripts) >= 3, f"shipped scripts found: {scripts}")
    failures = []
    # The provider's script authenticates: auth_db checks the subscriber table at start, so the
    # settings name a throw-away PostgreSQL with the schema (an empty subscriber table).
    with LocationDb() as pg:
        pg.init_schema()
        _run_cases(scripts, pg.url, failures)
    check(not failures, "\n".join(failures))


def _run_cases(scripts, db_url, failures):
    for routes in scripts:
        stem = os.path.basename(routes)[:-len(".routes")]
        case_dir = os.path.join(CASES, stem)
        cases = script_test.find_cases([case_dir]) if os.path.isdir(case_dir) else []
        if len(cases) < 3:
            failures.append(f"{routes}: needs at least 3 cases in test/scripts/{stem}/, "
                            f"found {len(cases)}")
            continue
        cfg = shipped_settings(routes, db_url)
        for case in cases:
            problems, result = script_test.run_case(cfg, case, SIPLINE)
            if problems:
                shown = (result.stdout + result.stderr) if result else ""
                failures.append(f"{os.path.relpath(case, ROOT)}: {'; '.join(problems)}\n{shown}")


def test_operator_runner_reports_pass_fail_and_exit_status():
    cfg = shipped_settings(os.path.join(ROOT, "cfg", "examples", "options-responder.routes"))
    runner = os.path.join(CASES, "script_test.py")
    env = dict(os.environ, SIPLINE_BUILD=os.path.dirname(SIPLINE))
    ok = subprocess.run([sys.executable, runner, "-f", cfg, os.path.join(CASES,
                                                                        "options-responder")],
                        capture_output=True, text=True, timeout=60, env=env)
    check_eq(ok.returncode, 0, f"runner exit on passing cases ({ok.stdout}{ok.stderr})")
    check("script tests: 3 passed, 0 failed" in ok.stdout, ok.stdout)
    # A wrong expectation fails, says which line and shows the simulator's output.
    d = unique_path("runner")
    os.makedirs(d)
    with open(os.path.join(CASES, "options-responder", "invite.sip")) as f:
        msg = f.read()
    with open(os.path.join(d, "invite.sip"), "w") as f:
        f.write(msg)
    with open(os.path.join(d, "invite.expect"), "w") as f:
        f.write("# wrong on purpose\noutcome reply 200 OK\npath no such text\n")
    bad = subprocess.run([sys.executable, runner, "-f", cfg, d], capture_output=True, text=True,
                         timeout=60, env=env)
    check_eq(bad.returncode, 1, f"runner exit on a failing case ({bad.stdout})")
    check("FAIL" in bad.stdout and "line 2: outcome is 'reply 403 Forbidden'" in bad.stdout,
          bad.stdout)
    check("line 3: no path line contains 'no such text'" in bad.stdout, bad.stdout)
    check("| outcome: reply 403 Forbidden" in bad.stdout, bad.stdout)
    with open(os.path.join(d, "invite.expect"), "w") as f:
        f.write("outcom reply 200 OK\n")
    usage = subprocess.run([sys.executable, runner, "-f", cfg, d], capture_output=True,
                           text=True, timeout=60, env=env)
    check_eq(usage.returncode, 2, f"runner exit on a bad expectation file ({usage.stderr})")
    check("invite.expect:1: unknown expectation 'outcom'" in usage.stderr, usage.stderr)


# ---------------------------------------------------------------- what leaves, exactly
def test_relayed_request_is_printed_exactly_as_it_would_leave():
    cfg = shipped_settings(REGISTRAR_PROXY)
    r = run(cfg, "--simulate", message_file(INVITE))
    check_eq(r.exit, 0, f"exit ({r.stderr})")
    check_eq(r.outcome, "relay to udp:192.0.2.20:5060, then reply 100 Trying", "outcome")
    check_eq(len(r.messages), 2, "messages (the INVITE, then tm's 100 Trying)")
    m = r.messages[0]
    check_eq((m.source, m.to), ("udp:127.0.0.1:5060", "udp:192.0.2.20:5060"), "socket and to")
    check_eq(m.first_line(), "INVITE sip:bob@192.0.2.20 SIP/2.0", "request line")
    vias = m.headers("Via")
    check_eq(len(vias), 2, f"Via headers in {m.text!r}")
    check(re.fullmatch(r"SIP/2\.0/UDP 127\.0\.0\.1:5060;branch=z9hG4bK[0-9A-Za-z.]+", vias[0]),
          f"our Via: {vias[0]!r}")
    check_eq(vias[1], "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-sim-1", "the client's Via")
    check_eq(m.headers("Max-Forwards"), ["69"], "Max-Forwards")
    check_eq(m.body(), SDP_CRLF, "body (CRLF line ends, editor's newline dropped)")
    check_eq(m.headers("Content-Length"), [str(len(SDP_CRLF))], "Content-Length")
    check(m.data.count(b"\n") == m.data.count(b"\r\n"), "a bare LF left in the message")
    check(any(f"Content-Length 999 was set to {len(SDP_CRLF)}" in n for n in r.notes),
          f"notes: {r.notes}")
    check(any("t_relay() -> 1 (true); relays to udp:192.0.2.20:5060; sends reply 100 Trying to "
              "udp:192.0.2.10:5060" in p for p in r.path),
          r.path_text())


def test_crlf_message_file_is_taken_byte_for_byte():
    body = "v=0\r\no=- 2 2 IN IP4 192.0.2.10\r\n"
    text = INVITE.split("\n\n")[0].replace("Content-Length: 999",
                                            f"Content-Length: {len(body)}")
    path = message_file(text + "\n\n", crlf=True)
    with open(path, "ab") as f:
        f.write(body.encode())
    cfg = shipped_settings(REGISTRAR_PROXY)
    r = run(cfg, "--simulate", path)
    check_eq(r.exit, 0, f"exit ({r.stderr})")
    check_eq(r.notes, [], "notes for a CRLF file")
    check_eq(r.messages[0].body(), body.encode(), "body (of the relayed INVITE)")


def test_reply_from_the_script_goes_back_to_the_source_with_received():
    cfg = shipped_settings(REGISTRAR_PROXY)
    msg = os.path.join(CASES, "registrar-proxy", "options-to-server.sip")
    r = run(cfg, "--simulate", msg, "--source", "10.1.1.1:4000")
    check_eq(r.exit, 0, f"exit ({r.stderr})")
    check_eq(r.outcome, "reply 200 OK", "outcome")
    check("from udp:10.1.1.1:4000 on udp:127.0.0.1:5060" in r.header, r.header)
    m = r.messages[0]
    check_eq(m.to, "udp:10.1.1.1:5060", "a reply goes to the Via port at the source address")
    check_eq(m.headers("Via"),
             ["SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-opt-1;received=10.1.1.1"], "Via")
    check(re.fullmatch(r"<sip:127\.0\.0\.1:5060>;tag=\S+", m.headers("To")[0]),
          f"To: {m.headers('To')}")


def test_request_the_core_refuses_never_reaches_the_script():
    cfg = shipped_settings(REGISTRAR_PROXY)
    bad = INVITE.replace("Max-Forwards: 70", "Max-Forwards: 300")
    r = run(cfg, "--simulate", message_file(bad))
    check_eq(r.exit, 0, f"exit ({r.stderr})")
    check_eq(r.outcome, "reply 400 Bad Max-Forwards", "outcome")
    check("(the script did not run)" in r.path, r.path_text())
    check("the core sends reply 400 Bad Max-Forwards to udp:192.0.2.10:5060" in r.path,
          r.path_text())


# ---------------------------------------------------------------- the trace
TRACED = """route {
  if ($rU == "alice" &&
      is_method("INVITE")) {
    $du = "not a uri";
    route(gw);
    exit;
  }
  switch ($rm) {
    case "BYE":
      drop;
    default:
      sl_send_reply(405, "Not Here");
  }
}
route[gw] {
  $du = "sip:192.0.2.30:5070";
  forward();
  return(2);
}
onreply_route[late] {
  drop;
}
"""


def test_trace_shows_routes_conditions_calls_assignments_and_runtime_errors():
    cfg, _, _ = own_settings(TRACED)
    r = run(cfg, "--simulate", message_file(INVITE.replace("sip:bob@", "sip:alice@")))
    check_eq(r.exit, 0, f"exit ({r.stderr})")
    want = [
        "route (t.routes:1)",
        '  t.routes:3: is_method("INVITE") -> 1 (true)',
        '  t.routes:2: if ($rU == "alice" && is_method("INVITE")) -> true',
        '  t.routes:4:5: error: cannot assign "not a uri" to $du: bad $du: not a uri',
        "  route[gw] (t.routes:15)",
        '    t.routes:16: $du = "sip:192.0.2.30:5070"',
        "    t.routes:17: forward() -> 1 (true); relays to udp:192.0.2.30:5070",
        "    t.routes:18: return(2)",
        "  end of route[gw] -> 2",
        "  t.routes:6: exit",
        "end of route (script stops)",
    ]
    check_eq(r.path, want, "path")
    check_eq(r.outcome, "relay to udp:192.0.2.30:5070", "outcome")
    # The run-time error is logged too, with the action's file:line:col and the Call-ID.
    check(re.search(r"t\.routes:4:5: cannot assign \"not a uri\" to \$du: .*"
                    r"\(Call-ID sim-1@192\.0\.2\.10\)", r.stderr), r.stderr)

    bye = run(cfg, "--simulate", message_file(INVITE.replace("INVITE", "BYE")))
    check_eq(bye.outcome, "drop", "outcome of BYE")
    check('  t.routes:8: switch ($rm): "BYE" -> case "BYE": (line 9)' in bye.path,
          bye.path_text())
    other = run(cfg, "--simulate", message_file(INVITE.replace("INVITE", "MESSAGE")))
    check_eq(other.outcome, "reply 405 Not Here", "outcome of MESSAGE")
    check('  t.routes:8: switch ($rm): "MESSAGE" -> default (line 11)' in other.path,
          other.path_text())


def test_route_option_runs_a_named_route_alone():
    cfg, _, port = own_settings(TRACED)
    r = run(cfg, "--simulate", message_file(INVITE), "--route", "gw")
    check_eq(r.exit, 0, f"exit ({r.stderr})")
    check_eq(r.path[0], "route[gw] (t.routes:15)", "first path line")
    check_eq(r.outcome, "relay to udp:192.0.2.30:5070", "outcome")
    reply = (f"SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKx\n"
             "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-sim-1\n"
             "From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@192.0.2.20>;tag=b\n"
             "Call-ID: sim-1@192.0.2.10\nCSeq: 1 INVITE\nContent-Length: 0\n\n")
    dropped = run(cfg, "--simulate", message_file(reply), "--route", "late")
    check_eq(dropped.path[0], "onreply_route[late] (t.routes:20)", "reply route")
    check_eq(dropped.outcome, "drop", "outcome of onreply_route[late]")
    relayed = run(cfg, "--simulate", message_file(reply))
    check_eq(relayed.outcome, "relay to udp:192.0.2.10:5060", "a reply without onreply_route")


def test_the_socket_a_message_leaves_from_is_shown():
    first, second = free_udp_port(), None
    second = free_udp_port(exclude=(first,))
    routes = (f'route {{\n  force_send_socket("udp:127.0.0.1:{second}");\n'
              '  forward("udp:192.0.2.30:5060");\n}\n')
    cfg, _, _ = own_settings(routes, [f"udp:127.0.0.1:{first}", f"udp:127.0.0.1:{second}"])
    r = run(cfg, "--simulate", message_file(INVITE))
    check_eq(r.exit, 0, f"exit ({r.stderr})")
    check(r.header.endswith(f"on udp:127.0.0.1:{first}"), r.header)
    m = r.messages[0]
    check_eq(m.source, f"udp:127.0.0.1:{second}", "the forced socket")
    check(m.headers("Via")[0].startswith(f"SIP/2.0/UDP 127.0.0.1:{second};branch="),
          f"our Via: {m.headers('Via')}")


# ---------------------------------------------------------------- no side effects
def test_nothing_is_sent_and_no_shared_memory_is_left():
    port = free_udp_port()
    routes = f'route {{\n  forward("udp:127.0.0.1:{port}");\n}}\n'
    cfg, _, _ = own_settings(routes)
    before = shm_entries()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", port))
        peer.settimeout(0.5)
        r = run(cfg, "--simulate", message_file(INVITE))
        check_eq(r.outcome, f"relay to udp:127.0.0.1:{port}", f"outcome ({r.stderr})")
        try:
            data = peer.recv(65535)
            check(False, f"the simulator sent {len(data)} bytes to the destination")
        except socket.timeout:
            pass
    leaked = unreferenced_shm(shm_entries() - before)
    check(not leaked, f"left in /dev/shm: {leaked}")


# ---------------------------------------------------------------- bad input
def test_bad_input_is_refused_with_exit_2_and_load_errors_with_exit_1():
    cfg, routes, _ = own_settings(TRACED)
    good = message_file(INVITE)

    missing = run(cfg, "--simulate", "/nonexistent/msg.sip")
    check_eq(missing.exit, 2, "missing message file")
    check("/nonexistent/msg.sip: cannot read the message" in missing.stderr, missing.stderr)

    junk = run(cfg, "--simulate", message_file("this is not SIP\n"))
    check_eq(junk.exit, 2, "unparsable message")
    check("not a SIP message" in junk.stderr, junk.stderr)

    for source in ("1.2.3", "example.com:5060", "192.0.2.1:99999"):
        bad = run(cfg, "--simulate", good, "--source", source)
        check_eq(bad.exit, 2, f"--source {source}")
        check(f"--source '{source}'" in bad.stderr, bad.stderr)

    unknown = run(cfg, "--simulate", good, "--route", "gww")
    check_eq(unknown.exit, 2, "unknown --route")
    check("route[gww] is not defined" in unknown.stderr and "defined: gw" in unknown.stderr,
          unknown.stderr)

    alone = run(cfg, "--route", "gw")
    check_eq(alone.exit, 2, "--route without --simulate")
    check("go with --simulate" in alone.stderr, alone.stderr)
    no_arg = run(cfg, "--simulate")
    check_eq(no_arg.exit, 2, "--simulate without a file")
    check("--simulate needs an argument" in no_arg.stderr, no_arg.stderr)
    both = run(cfg, "-c", "--simulate", good)
    check_eq(both.exit, 2, "-c with --simulate")

    with open(routes, "w") as f:
        f.write('route {\n  forwrd();\n}\n')
    broken = run(cfg, "--simulate", good)
    check_eq(broken.exit, 1, "script that does not compile")
    check(re.search(r"t\.routes:2:3: unknown function 'forwrd'", broken.stderr), broken.stderr)
    check(broken.stdout == "", f"stdout of a load error: {broken.stdout!r}")

    bad_cfg = os.path.join(os.path.dirname(cfg), "bad.cfg")
    with open(bad_cfg, "w") as f:
        f.write('socket = [ "udp:127.0.0.1:5999" ];\nudp_worker = 2;\n')
    settings_error = run(bad_cfg, "--simulate", good)
    check_eq(settings_error.exit, 1, "settings error")
    check("bad.cfg:2:" in settings_error.stderr, settings_error.stderr)


def test_help_documents_the_simulator():
    r = subprocess.run([SIPLINE, "--help"], capture_output=True, text=True, timeout=10)
    check_eq(r.returncode, 0, "exit of --help")
    for word in ("--simulate MSG.sip", "--source IP:PORT", "--route NAME", "no decision"):
        check(word in r.stdout, f"--help does not mention {word!r}")
