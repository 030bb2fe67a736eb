"""`make run` (scripts/run-demo): the provider's default configuration with a throw-away
PostgreSQL. Run here on a free port with this build: it prints two subscribers and their
passwords, one of them registers with sipp's digest code (401, then 200), a wrong password
is refused, and Ctrl-C (SIGINT to its process group, as a terminal sends it) stops the server
and removes the database directory."""

import os
import re
import signal
import socket
import ssl
import subprocess
import time

from auth_flows import check_sipp_ok
from harness import (BUILD, ROOT, TestFailure, check, free_udp_port, scenario, sipp,
                     test_tmpdir, udp_port_bound, wait_until)

RUN_DEMO = os.path.join(ROOT, "scripts", "run-demo")


def test_make_run_serves_its_printed_subscribers_and_ctrl_c_removes_the_database():
    port = free_udp_port()
    tls_port = free_udp_port(exclude=(port,))
    log_path = os.path.join(test_tmpdir(), "run-demo.log")
    env = dict(os.environ, DEMO_PORT=str(port), SIPLINE_BUILD=BUILD,
               DEMO_TLS_PORT=str(tls_port))
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(["timeout", "-k", "5", "150", RUN_DEMO], stdout=logf,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)

    def log():
        with open(log_path, errors="replace") as f:
            return f.read()
    try:
        if not wait_until(lambda: ("started:" in log() and udp_port_bound(port)) or
                          proc.poll() is not None, 90, 0.2) or proc.poll() is not None:
            raise TestFailure(f"run-demo did not start the server (exit {proc.poll()}):\n{log()}")
        text = log()
        creds = dict(re.findall(r"subscriber\s+(\w+)@127\.0\.0\.1\s+password\s+(\S+)", text))
        check(set(creds) == {"alice", "bob"}, f"printed subscribers {creds}:\n{text}")
        check(f"<sip:alice@127.0.0.1:{port};transport=udp>;auth_pass={creds['alice']}" in text,
              f"no baresip account line for alice:\n{text}")
        ok = sipp(("127.0.0.1", port), "-sf", scenario("auth_register.xml"), "-s", "alice",
                  "-au", "alice", "-ap", creds["alice"], calls=1, hard_timeout=30, name="alice")
        check_sipp_ok(ok, 1, "alice registers with the printed password")
        bad = sipp(("127.0.0.1", port), "-sf", scenario("auth_register_refused.xml"), "-s",
                   "bob", "-au", "bob", "-ap", creds["alice"], calls=1, hard_timeout=30,
                   name="bob")
        check_sipp_ok(bad, 1, "bob with alice's password is refused")
        # The same REGISTER over TCP, and a TLS handshake with the demo's self-signed certificate.
        ok = sipp(("127.0.0.1", port), "-t", "t1", "-sf", scenario("auth_register.xml"), "-s",
                  "alice", "-au", "alice", "-ap", creds["alice"], calls=1, hard_timeout=30,
                  name="alice-tcp")
        check_sipp_ok(ok, 1, "alice registers over TCP")
        ctx = ssl.create_default_context(cafile=os.path.join(BUILD, "run", "tls", "server.pem"))
        with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                check(tls.version() in ("TLSv1.2", "TLSv1.3"), f"TLS to the demo: {tls.version()}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)   # Ctrl-C
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            raise TestFailure(f"run-demo did not stop within 40 s of SIGINT:\n{log()}")
    text = log()
    dirs = re.findall(r"/tmp/sipline-demo-pg\.\w+", text)
    check(dirs, f"run-demo did not name its database directory:\n{text}")
    check(wait_until(lambda: not os.path.exists(dirs[0]), 10, 0.2),
          f"{dirs[0]} is still there after Ctrl-C:\n{text}")
    check("stop requested" in text and "stopped" in text, f"the server did not stop:\n{text}")
    check(wait_until(lambda: not udp_port_bound(port), 5, 0.1), f"port {port} still bound")
    time.sleep(1.5)  # pg-scratch's watchdog notices the removed directory within a second


test_make_run_serves_its_printed_subscribers_and_ctrl_c_removes_the_database.timeout = 240
