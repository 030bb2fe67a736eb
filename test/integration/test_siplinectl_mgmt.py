"""siplinectl's management commands against a running server (its MI unix socket, and HTTP
when the server offers mi.http): ps, uptime, version, stats (a counter that moves with the
OPTIONS sent here) and stats reset, shm, ul add/show/online/rm, reload of a good and a broken
script, log-level get and set, tm stats, mi with params by name and position and a misspelt
method; every MI method the server offers through `siplinectl mi` (a method without a row in
MI_CALLS fails the test, so a new command gets covered); the documented exit codes for a
server that is not running, a socket the user may not open (mode 0600, siplinectl run as
nobody) and refused HTTP credentials; the MI found through mi.http of the settings; and the
bash completion of commands, options (also after `--url http://h:port`, which bash cuts at
':') and the server's MI methods."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile

import harness
from harness import LOOPBACK, Server, UdpPeer, build_request, check, check_eq, STAT
from location_flows import Phone, contacts_of, location_modules, registrar_server

SIPLINECTL = os.path.join(harness.BUILD, "siplinectl")
COMPLETION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                          "siplinectl", "siplinectl.bash-completion")

EXIT_UNREACHABLE, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_ACCESS = 3, 7, 10, 11

BROKEN = """\
route {
  if (is_method("OPTIONS") {
    sl_send_reply(200, "never");
  }
}
"""


def ctl(*args, timeout=30, env_extra=None, prefix=()):
    """Runs siplinectl (bounded by coreutils timeout too); returns CompletedProcess (text)."""
    check(os.access(SIPLINECTL, os.X_OK), f"{SIPLINECTL} not built")
    env = {k: v for k, v in os.environ.items()
           if k not in ("SIPLINE_MI_URL", "SIPLINE_MI_PASSWORD", "SIPLINE_DB_URL")}
    env.update(env_extra or {})
    return subprocess.run([*prefix, "timeout", "-k", "3", str(timeout), SIPLINECTL, *args],
                          capture_output=True, text=True, timeout=timeout + 10,
                          stdin=subprocess.DEVNULL, env=env)


def expect(proc, code, what):
    check(proc.returncode == code,
          f"{what}: exit {proc.returncode}, expected {code}\nstdout:\n{proc.stdout}\n"
          f"stderr:\n{proc.stderr}")
    return proc


def on(srv, *args, code=0, **kw):
    """siplinectl ARGS against srv's MI socket, expecting exit `code`."""
    return expect(ctl("--mi-socket", srv.mi_sock, *args, **kw), code, " ".join(args))


def as_json(srv, *args):
    return json.loads(on(srv, "--json", *args).stdout)


def options(srv, peer, n):
    for _ in range(n):
        peer.send(build_request("OPTIONS", f"sip:{LOOPBACK}:{srv.port}", peer.port), srv.addr)
        msg, _ = peer.recv_msg(3)
        check(msg is not None and msg.status == 200, "no 200 to OPTIONS")


def mgmt_server(**kw):
    return Server(modules=location_modules(), name="mgmt", **kw)


def ul_server(use_domain=True):
    """The registrar + proxy script: its save("location") declares the usrloc table. With
    usrloc's use_domain (the AORs these tests use are user@domain)."""
    return registrar_server(name="mgmt-ul", usrloc={"use_domain": use_domain})


def test_process_uptime_version_shm_and_statistics():
    with mgmt_server() as srv, UdpPeer() as peer:
        out = on(srv, "ps").stdout
        header = out.splitlines()[0].split()
        check_eq(header[:6], ["ID", "PID", "ROLE", "INDEX", "LOAD(1m)", "HANDLED"], "ps header")
        check(f" {srv.pid} " in out and "master" in out and "udp-worker" in out, out)
        procs = as_json(srv, "ps")["processes"]
        check_eq({p["pid"] for p in procs}, {p["pid"] for p in srv.processes()}, "ps --json")

        check(on(srv, "uptime").stdout.startswith("up "), "uptime text")
        check(as_json(srv, "uptime")["uptime"] >= 0, "uptime --json")

        out = on(srv, "version").stdout
        check("siplinectl " in out and "server: sipline " in out, out)
        check_eq(as_json(srv, "mi", "version")["version"],
                 srv.mi("version")["version"], "mi version")

        shm = as_json(srv, "shm")
        check(shm["size"] > 0 and shm["used"] > 0, f"shm {shm}")
        check("% used" in on(srv, "shm").stdout, "shm text")

        before = as_json(srv, "stats", STAT.rcv_requests)[STAT.rcv_requests]
        options(srv, peer, 3)
        after = as_json(srv, "stats", STAT.rcv_requests)[STAT.rcv_requests]
        check(after >= before + 3, f"{STAT.rcv_requests}: {before} -> {after}")
        text = on(srv, "stats", "core:").stdout
        check(any(line.split()[0] == STAT.rcv_requests for line in text.splitlines()[1:]), text)
        on(srv, "stats", "reset", STAT.rcv_requests)
        check_eq(as_json(srv, "stats", STAT.rcv_requests)[STAT.rcv_requests], 0, "after reset")
        # As OpenSIPS's get_statistics: a name without its group.
        bare = STAT.rcv_requests.split(":", 1)[1]
        check_eq(list(as_json(srv, "stats", bare)), [STAT.rcv_requests], "stats without group")
        proc = on(srv, "stats", "core:no_such_counter", code=EXIT_NOT_FOUND)
        check("no_such_counter" in proc.stderr, proc.stderr)

        tm = as_json(srv, "tm", "stats")
        check("inuse" in tm, f"tm stats {tm}")


def test_contacts_add_show_online_remove():
    with ul_server() as srv:
        aor = "alice@example.com"
        on(srv, "ul", "add", aor, "sip:alice@192.0.2.10:5060", "--expires", "600", "--q", "0.5")
        on(srv, "ul", "add", aor, "sip:alice@192.0.2.11:5062")
        on(srv, "ul", "add", "bob@example.com", "sip:bob@192.0.2.20")
        out = on(srv, "ul", "show", aor).stdout
        check("sip:alice@192.0.2.10:5060" in out and "sip:alice@192.0.2.11:5062" in out, out)
        check("1 AOR, 2 contacts" in out and "0.5" in out, out)
        shown = as_json(srv, "ul", "show", aor)
        check_eq(sorted(c["contact"] for c in shown["contacts"]),
                 ["sip:alice@192.0.2.10:5060", "sip:alice@192.0.2.11:5062"], "ul show --json")
        check(any(550 < c["expires"] <= 600 for c in shown["contacts"]), f"{shown}")
        check("2 AORs, 3 contacts" in on(srv, "ul", "show").stdout, "ul show (all)")
        check_eq(on(srv, "online").stdout, f"{aor}\nbob@example.com\n", "online")
        check_eq(as_json(srv, "online")["aors"], [aor, "bob@example.com"], "online --json")

        on(srv, "ul", "rm", aor, "sip:alice@192.0.2.11:5062")
        check("1 AOR, 1 contact" in on(srv, "ul", "show", aor).stdout, "after rm of a contact")
        on(srv, "ul", "rm", aor)
        proc = on(srv, "ul", "show", aor, code=EXIT_NOT_FOUND)
        check("not found" in proc.stderr, proc.stderr)
        on(srv, "ul", "rm", aor, code=EXIT_NOT_FOUND)
        check_eq(on(srv, "online").stdout, "bob@example.com\n", "online after rm")
        proc = on(srv, "ul", "show", "--table", "nosuch", code=EXIT_NOT_FOUND)
        check("no usrloc table 'nosuch'" in proc.stderr, proc.stderr)


def test_without_use_domain_an_aor_with_domain_names_the_user():
    """usrloc's use_domain off (the default): save() keys a phone by its user, and the operator's
    user@domain names that binding (as OpenSIPS's MI strips the domain), in every ul command."""
    with ul_server(use_domain=False) as srv, Phone(srv.addr, "alice") as phone:
        reply = phone.register([phone.contact()], expires=600)
        check(reply is not None and reply.status == 200, f"REGISTER: {reply}")
        registered = contacts_of(reply)[0].uri
        aor = f"alice@{LOOPBACK}"
        out = on(srv, "ul", "show", aor).stdout
        check(registered in out, out)
        check_eq(as_json(srv, "ul", "show", aor)["aor"], "alice", "ul show --json")
        out = on(srv, "ul", "add", "bob@example.com", "sip:bob@192.0.2.20").stdout
        check_eq(out, "added sip:bob@192.0.2.20 to bob, expires in 1h00m\n", "ul add")
        check_eq(on(srv, "online").stdout, "alice\nbob\n", "online")
        on(srv, "ul", "rm", "bob@example.com")
        on(srv, "ul", "rm", aor, registered)
        check_eq(on(srv, "online").stdout, "", "online after rm")


def test_reload_good_then_broken_script():
    with mgmt_server() as srv:
        out = on(srv, "reload").stdout
        check(re.fullmatch(r"routing script \S+ reloaded: generation \d+\n", out), out)
        with open(srv.routes_path) as f:
            good = f.read()
        with open(srv.routes_path, "w") as f:
            f.write(BROKEN)
        proc = on(srv, "reload", code=EXIT_REFUSED)
        check("refused the script" in proc.stderr and ":2:" in proc.stderr, proc.stderr)
        err = json.loads(ctl("--mi-socket", srv.mi_sock, "reload", "--json").stdout)
        check_eq(err["exit"], EXIT_REFUSED, "reload --json exit")
        with open(srv.routes_path, "w") as f:
            f.write(good)
        on(srv, "reload")
        check(srv.alive(), "the server died")


def test_log_level_get_and_set():
    with mgmt_server() as srv:
        out = on(srv, "log-level").stdout
        check(out.splitlines()[0].split()[:4] == ["PID", "ROLE", "INDEX", "LEVEL"], out)
        on(srv, "log-level", "info")
        levels = as_json(srv, "log-level")["processes"]
        check(levels and all(p["log_level"] == "info" for p in levels), f"{levels}")
        worker = next(p["pid"] for p in levels if p["role"] == "udp-worker")
        on(srv, "log-level", "debug", "--pid", str(worker))
        levels = {p["pid"]: p["log_level"] for p in as_json(srv, "log-level")["processes"]}
        check(levels[worker] == "debug" and levels[srv.pid] == "info", f"{levels}")
        on(srv, "log-level", "warning", "--pid", "999999", code=EXIT_NOT_FOUND)
        on(srv, "log-level", "loud", code=EXIT_REFUSED)


def test_generic_mi_and_its_errors():
    with ul_server() as srv:
        on(srv, "ul", "add", "carol@example.com", "sip:carol@192.0.2.30")
        by_position = as_json(srv, "mi", "ul_show_contact", "location", "carol@example.com")
        by_name = as_json(srv, "mi", "ul_show_contact", "table=location", "aor=carol@example.com")
        check_eq(by_position["aor"], "carol@example.com", "mi by position")
        check_eq(by_name["aor"], "carol@example.com", "mi by name")
        stats = as_json(srv, "mi", "get_statistics", 'statistics=["core:rcv_requests"]')
        check_eq(list(stats), ["core:rcv_requests"], "mi with a JSON list")
        check("ul_dump" in as_json(srv, "mi", "which"), "mi which")
        proc = on(srv, "mi", "vresion", code=EXIT_REFUSED)
        check("did you mean" in proc.stderr and "version" in proc.stderr, proc.stderr)
        proc = on(srv, "mi", "ul_add", "table=location", code=EXIT_REFUSED)
        check("ul_add" in proc.stderr, proc.stderr)
        on(srv, "mi", "x", "a=1", "2", code=2)


def test_unreachable_server_and_a_socket_the_user_may_not_open():
    gone = os.path.join(harness.test_tmpdir(), "nobody-here.sock")
    proc = expect(ctl("--mi-socket", gone, "ps"), EXIT_UNREACHABLE, "no server")
    check("is the server running?" in proc.stderr, proc.stderr)
    check("server: no answer" in expect(ctl("--mi-socket", gone, "version"), 0, "version").stdout,
          "version without a server")
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        raise harness.Skip("needs root and setpriv to run siplinectl as nobody")
    settings = harness.DEFAULT_SETTINGS.replace('mi = { socket = "@MI_SOCK@"; };',
                                                'mi = { socket = "@MI_SOCK@"; socket_mode = "0600"; };')
    with mgmt_server(settings=settings) as srv:
        check_eq(os.stat(srv.mi_sock).st_mode & 0o777, 0o600, "socket mode")
        # nobody may walk to the socket and run a copy of siplinectl: only the mode stops it.
        d = srv.dir
        while d.startswith(harness.test_tmpdir()) or d == os.path.dirname(harness.test_tmpdir()):
            os.chmod(d, os.stat(d).st_mode | 0o755)
            if d in ("/", "/tmp"):
                break
            d = os.path.dirname(d)
        bindir = tempfile.mkdtemp(prefix="ctl-bin-")
        os.chmod(bindir, 0o755)
        binary = os.path.join(bindir, "siplinectl")
        shutil.copy(SIPLINECTL, binary)
        os.chmod(binary, 0o755)
        try:
            proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                   binary, "--mi-socket", srv.mi_sock, "ps"],
                                  capture_output=True, text=True, timeout=20,
                                  stdin=subprocess.DEVNULL)
        finally:
            shutil.rmtree(bindir, ignore_errors=True)
        check(proc.returncode == EXIT_ACCESS and "Permission denied" in proc.stderr,
              f"exit {proc.returncode}: {proc.stderr}")
        on(srv, "ps")  # root still may


BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
WORDBREAKS = "\"'><=;|&(:"  # bash's default COMP_WORDBREAKS, blanks aside


def comp_words(line):
    """COMP_WORDS as bash makes them: split at blanks, and every run of COMP_WORDBREAKS
    characters a word of its own (`http://h:1` is `http` `:` `//h` `:` `1`)."""
    words = []
    for blank_word in line.split(" "):
        if blank_word == "":
            continue
        words += [w for w in re.split("([" + re.escape(WORDBREAKS) + "]+)", blank_word) if w]
    if line.endswith(" "):
        words.append("")
    return words


def bash_complete(words, with_bash_completion=False):
    """What _siplinectl offers for the line `siplinectl WORDS...` (the last word the one being
    completed), with COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD set as bash sets them."""
    line = " ".join([SIPLINECTL, *words])
    cwords = comp_words(line)
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in cwords)
    preamble = f"source '{BASH_COMPLETION}'; " if with_bash_completion else ""
    script = (f"{preamble}source '{COMPLETION}'; complete -p siplinectl >/dev/null || exit 9; "
              f"COMP_LINE='{line}'; COMP_POINT={len(line)}; COMP_WORDS=({quoted}); "
              f"COMP_CWORD={len(cwords) - 1}; _siplinectl; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    proc = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                          timeout=20)
    check(proc.returncode == 0, f"completion of {words}: {proc.stderr}")
    return sorted(w for w in proc.stdout.split("\n") if w)


def test_bash_completion():
    variants = [False] + ([True] if os.path.exists(BASH_COMPLETION) else [])
    with mgmt_server() as srv:
        for bc in variants:
            def complete(*words):
                return bash_complete(words, with_bash_completion=bc)

            how = "with bash-completion" if bc else "without bash-completion"
            check_eq(complete("u"), ["ul", "uptime"], f"commands ({how})")
            check_eq(complete("ul", ""), ["add", "flush", "rm", "show"], f"ul subcommands ({how})")
            check_eq(complete("--ur"), ["--url"], f"options ({how})")
            check_eq(complete("log-level", "d"), ["debug"], f"log levels ({how})")
            check_eq(complete("--table", "x", "stats", "r"), ["reset"], f"option values ({how})")
            # A URL on the line: bash cuts it at ':' (and '='), the completion must not care.
            url = f"http://admin:pw@{LOOPBACK}:8888/mi"
            check_eq(complete("--url", url, "u"), ["ul", "uptime"], f"after --url ({how})")
            check_eq(complete("--url", url, "ul", ""), ["add", "flush", "rm", "show"],
                     f"ul after --url ({how})")
            check_eq(complete(f"--url={url}", "log-level", "d"), ["debug"],
                     f"after --url= ({how})")
            check_eq(complete("--mi-socket", srv.mi_sock, "mi", "ul_show_c"),
                     ["ul_show_contact"], f"mi methods from the server ({how})")
            check("ul_dump" in complete("--mi-socket", srv.mi_sock, "mi", ""),
                  f"every method ({how})")
            check_eq(complete("--mi-socket", "/nonexistent.sock", "mi", "ul_s"), [],
                     f"no server: no methods ({how})")


# ---------------------------------------------------------------- every MI method
AOR = "1001@example.com"
CONTACT_A = "sip:1001@192.0.2.41:5060"
CONTACT_B = "sip:1001@192.0.2.42:5062"


def _is_obj(r, *keys):
    return isinstance(r, dict) and all(k in r for k in keys)


def mi_calls(unused_port):
    """(method, args of `siplinectl mi`, check of the JSON answer), run in this order. Every
    method the server lists must have a row here."""
    return [
        ("version", [], lambda r: _is_obj(r, "version")),
        ("uptime", [], lambda r: _is_obj(r, "uptime") and r["uptime"] >= 0),
        ("ps", [], lambda r: _is_obj(r, "processes") and len(r["processes"]) > 1),
        ("which", [], lambda r: isinstance(r, list) and "which" in r),
        ("help", ["command=ps"],
         lambda r: _is_obj(r, "name", "params") and r["name"] == "ps"),
        ("get_statistics", ['statistics=["core:"]'],
         lambda r: isinstance(r, dict) and STAT.rcv_requests in r),
        ("reset_statistics", [f"statistics={STAT.rcv_requests}"], lambda r: _is_obj(r, "reset")),
        ("shm", [], lambda r: _is_obj(r, "size", "used") and r["size"] > 0),
        ("tcp_list", [], lambda r: _is_obj(r, "max", "connections") and r["connections"] == []),
        ("flight_recorder", ["seconds=600"],
         lambda r: _is_obj(r, "minutes", "messages") and isinstance(r["messages"], list)),
        ("reload_routes", [], lambda r: _is_obj(r, "generation")),
        ("routes_status", [], lambda r: _is_obj(r, "generation", "last_reload_ok")),
        ("log_level", [], lambda r: _is_obj(r, "processes") and len(r["processes"]) > 1),
        ("t_stats", [], lambda r: _is_obj(r, "inuse", "uac")),
        # To a port nobody listens on: tm's own 408 (timer F) or 503 (ICMP), exit 0 either way.
        ("t_uac", ["method=OPTIONS", f"ruri=sip:nobody@{LOOPBACK}:{unused_port}"],
         lambda r: _is_obj(r, "code", "reason") and isinstance(r["code"], int)
         and r["code"] >= 400),
        ("ul_add", ["table=location", f"aor={AOR}", f"contact={CONTACT_A}", "expires=600"],
         lambda r: _is_obj(r, "aor") and r["aor"] == AOR),
        ("ul_dump", ["table=location"],
         lambda r: _is_obj(r, "tables")
         and any(a["aor"] == AOR for t in r["tables"] for a in t["aors"])),
        ("ul_show", [f"aor={AOR}"], lambda r: _is_obj(r, "aors") and r["aors"][0]["aor"] == AOR),
        ("ul_show_contact", ["location", AOR],  # by position
         lambda r: _is_obj(r, "contacts") and len(r["contacts"]) == 2),
        ("ul_flush", [], lambda r: _is_obj(r, "mode", "written", "pending")),
        ("ul_rm_contact", ["table=location", f"aor={AOR}", f"contact={CONTACT_A}"],
         lambda r: isinstance(r, dict)),
        ("ul_rm", ["table=location", f"aor={AOR}"], lambda r: isinstance(r, dict)),
        ("auth_db_cache_flush", [f"aor={AOR}"], lambda r: isinstance(r, dict)),
    ]


def test_every_mi_command_through_siplinectl():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        unused_port = s.getsockname()[1]  # closed again below: nobody answers there
    with ul_server() as srv:
        methods = json.loads(on(srv, "--json", "mi", "which").stdout)
        check(isinstance(methods, list) and len(methods) > 10, f"which: {methods}")
        calls = mi_calls(unused_port)
        covered = {name for name, _, _ in calls}
        missing = sorted(set(methods) - covered)
        check(not missing, f"MI methods with no row in mi_calls() of this test: {missing}")
        # ul_show_contact expects two contacts, ul_rm an AOR left after ul_rm_contact.
        on(srv, "ul", "add", AOR, CONTACT_B)
        for name, args, good in calls:
            if name not in methods:
                continue
            proc = on(srv, "--json", "mi", name, *args, timeout=60)
            try:
                answer = json.loads(proc.stdout)
            except ValueError:
                check(False, f"mi {name}: not JSON: {proc.stdout!r}")
            check(good(answer), f"mi {name} {' '.join(args)}: unexpected answer {answer}")
        check(srv.alive(), "the server died")


def test_http_transport():
    """The MI over HTTP (mi.http with basic authentication), when this build's server has
    the endpoint."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port = s.getsockname()[1]
    settings = harness.DEFAULT_SETTINGS.replace(
        'mi = { socket = "@MI_SOCK@"; };',
        f'mi = {{ socket = "@MI_SOCK@"; http = "{LOOPBACK}:{port}"; http_user = "admin"; '
        f'http_password = "s3cret"; }};')
    srv = mgmt_server(settings=settings)  # not `with`: a server that fails to start is a skip
    try:
        srv.start()
    except harness.ServerError as e:
        raise harness.Skip(f"the server does not start with mi.http: {e}")
    try:
        _http_checks(srv, port)
    finally:
        srv.stop()


def _http_checks(srv, port):
    url = f"http://{LOOPBACK}:{port}/mi"
    with socket.socket() as probe:
        if probe.connect_ex((LOOPBACK, port)) != 0:
            raise harness.Skip("no MI HTTP endpoint in this build")
    ok = expect(ctl("--url", url, "--http-user", "admin", "--json", "uptime",
                    env_extra={"SIPLINE_MI_PASSWORD": "s3cret"}), 0, "uptime over HTTP")
    check(json.loads(ok.stdout)["uptime"] >= 0, ok.stdout)
    expect(ctl("--json", "ps", env_extra={"SIPLINE_MI_URL": f"http://admin:s3cret@{LOOPBACK}:{port}"}),
           0, "ps over SIPLINE_MI_URL")
    proc = expect(ctl("--url", url, "--http-user", "admin", "ps",
                      env_extra={"SIPLINE_MI_PASSWORD": "wrong"}), EXIT_ACCESS, "wrong password")
    check("authentication failed" in proc.stderr and "wrong" not in proc.stderr, proc.stderr)
    expect(ctl("--url", url, "ps"), EXIT_ACCESS, "no credentials")
    proc = expect(ctl("--url", url, "--http-user", "admin", "mi", "vresion",
                      env_extra={"SIPLINE_MI_PASSWORD": "s3cret"}), EXIT_REFUSED, "bad method")
    check("did you mean" in proc.stderr, proc.stderr)
    # A password with '/' and '@' unescaped: taken at the last '@', never in a message.
    proc = expect(ctl("--url", f"http://admin:wr/o@ng@{LOOPBACK}:{port}/mi", "ps"), EXIT_ACCESS,
                  "password with / and @")
    check("wr/o" not in proc.stderr and "admin" not in proc.stderr, proc.stderr)
    # Settings with mi.http and no mi.socket: siplinectl takes the endpoint and its
    # credentials from there.
    with open(srv.cfg) as f:
        text = f.read()
    only_http = text.replace(f'socket = "{srv.mi_sock}";', "")
    check(only_http != text and "http_user" in only_http, "settings without mi.socket")
    cfg = os.path.join(os.path.dirname(srv.cfg), "only-http.cfg")
    with open(cfg, "w") as f:
        f.write(only_http)
    ok = expect(ctl("-f", cfg, "--json", "uptime"), 0, "uptime through mi.http of the settings")
    check(json.loads(ok.stdout)["uptime"] >= 0, ok.stdout)
