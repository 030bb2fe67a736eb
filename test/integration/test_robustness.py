"""Start-up refusals, daemon mode, stopping under load, and a management interface that
survives bad input."""

import json
import os
import signal
import socket
import subprocess
import time

from harness import (LOOPBACK, ROLE, SIPLINE, STAT, MIConnection, MIError, Server, SippUas,
                     check, check_eq, children_of, mi_call, options_ping, pid_alive, sipp,
                     wait_until, write_config, test_tmpdir)


def test_start_is_refused_when_the_udp_port_is_taken():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((LOOPBACK, 0))
        port = taken.getsockname()[1]
        cfg, _ = write_config(subst={"PORT": port})
        t0 = time.monotonic()
        with open(os.path.join(test_tmpdir(), "busy-port.log"), "wb") as log:
            p = subprocess.run([SIPLINE, "-f", cfg], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=20)
        with open(os.path.join(test_tmpdir(), "busy-port.log"), errors="replace") as f:
            out = f.read()
        check(p.returncode != 0, "sipline started although its UDP port was taken")
        check(time.monotonic() - t0 < 10, "refusal took more than 10 s")
        check(str(port) in out, f"the error does not name the port {port}: {out!r}")
        check(not os.path.exists(os.path.join(os.path.dirname(cfg), "mi.sock")),
              "MI socket left behind by a refused start")


def test_start_is_refused_when_a_module_is_missing():
    cfg, _ = write_config(subst={"MODULES": "sl = {}; nosuchmod = {};"})
    p = subprocess.run([SIPLINE, "-f", cfg], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=20)
    check(p.returncode != 0, "sipline started with a module that does not exist")
    check("nosuchmod" in p.stderr, f"the error does not name the module: {p.stderr!r}")


def test_daemon_mode_writes_the_pid_file_and_stops_on_sigterm():
    pid_file = os.path.join(test_tmpdir(), "sipline.pid")
    srv = Server(extra_settings=f'pid_file = "{pid_file}";')
    log = open(srv.log_path, "wb")
    daemon_pid = None
    try:
        p = subprocess.run([SIPLINE, "-d", "-f", srv.cfg], stdout=log, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=20, cwd=srv.dir)
        check_eq(p.returncode, 0, "exit code of the launching process with -d")
        check(wait_until(lambda: os.path.exists(pid_file) and open(pid_file).read().strip(), 5),
              f"pid file {pid_file} not written")
        daemon_pid = int(open(pid_file).read().strip())
        check(pid_alive(daemon_pid), f"daemon pid {daemon_pid} from the pid file is not running")
        check(wait_until(lambda: os.path.exists(srv.mi_sock), 5), "MI socket not created")
        ps = mi_call(srv.mi_sock, "ps")["processes"]
        masters = [x["pid"] for x in ps if x["role"] == ROLE.master]
        check_eq(masters, [daemon_pid], "MI master pid vs pid file")
        reply = options_ping(srv.addr)
        check(reply is not None and reply.status == 200, f"daemon did not answer OPTIONS: {reply}")
        kids = children_of(daemon_pid)
        os.kill(daemon_pid, signal.SIGTERM)
        check(wait_until(lambda: not pid_alive(daemon_pid), 10), "daemon did not stop on SIGTERM")
        check(wait_until(lambda: not [k for k in kids if pid_alive(k)], 5),
              "daemon children left after SIGTERM")
        check(not os.path.exists(pid_file) or not open(pid_file).read().strip(),
              "pid file left behind after a clean stop")
    finally:
        # the daemon left our process group: clean up by pid, whatever happened
        if daemon_pid and pid_alive(daemon_pid):
            for k in children_of(daemon_pid):
                os.kill(k, signal.SIGKILL)
            os.kill(daemon_pid, signal.SIGKILL)
        log.close()


def test_sigterm_under_call_load_stops_cleanly():
    lenient = ("-default_behaviors", "all,-abortunexp")
    with SippUas("-sn", "uas", *lenient, calls=3000, hard_timeout=40) as uas:
        srv = Server(uas_port=uas.port).start()
        try:
            kids = srv.children()
            # sipp in the background at 300 calls/s; stop the server after 2 s of load
            loader = subprocess.Popen(
                ["timeout", "-k", "3", "20", "sipp", f"{LOOPBACK}:{srv.port}", "-i", LOOPBACK,
                 "-p", "0", "-sn", "uac", *lenient, "-r", "300", "-m", "3000", "-timeout", "15s",
                 "-nostdin", "-recv_timeout", "2000"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                cwd=test_tmpdir())
            time.sleep(2)
            check(srv.stat(STAT.fwd_requests) > 100, "no load reached the server")
            t0 = time.monotonic()
            check_eq(srv.stop(), 0, "exit code after SIGTERM under load")
            check(time.monotonic() - t0 < 5, "stop under load took more than 5 s")
            check(not [k for k in kids if pid_alive(k)], "children left after SIGTERM")
        finally:
            srv.kill()
            if loader.poll() is None:
                loader.terminate()
            loader.wait(10)


def test_management_interface_survives_bad_requests():
    with Server() as srv:
        with MIConnection(srv.mi_sock) as c:
            try:
                c.call("no_such_method")
                check(False, "unknown method did not return a JSON-RPC error")
            except MIError as e:
                check(isinstance(e.error, dict) and e.error.get("code") == -32601,
                      f"unknown method: expected error code -32601, got {e.error!r}")
            check(c.call("version")["server"].startswith("sipline"),
                  "connection not usable after an error response")
        # garbage on a connection: an error response (-32700) or a closed connection, but the
        # MI process keeps serving new connections
        mi_pid = srv.pids_by_role()[ROLE.mi]
        for junk in (b"{not json\n", b"\x00\xff\xfe\n", b"[]\n", b'{"jsonrpc":"2.0"}\n',
                     b"x" * 200000 + b"\n"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(3)
                s.connect(srv.mi_sock)
                try:
                    s.sendall(junk)
                    line = s.makefile("rb").readline()
                except OSError:
                    line = b""  # closed on us: allowed
                if line:
                    resp = json.loads(line)
                    check("error" in resp, f"junk {junk[:20]!r} answered without an error: {resp}")
        check_eq(srv.pids_by_role()[ROLE.mi], mi_pid, "MI process pid after junk")
        check(srv.mi("version")["server"].startswith("sipline"), "MI dead after junk")


def test_statistics_groups_and_shared_memory_counters():
    with Server() as srv:
        core = srv.stats(["core:"])
        check(core and all(k.startswith("core:") for k in core),
              f"get_statistics ['core:'] returned other groups: {sorted(core)}")
        for name in (STAT.rcv_requests, STAT.fwd_requests, STAT.parse_errors, STAT.drop_replies):
            check(name in core, f"{name} missing from the core group")
        one = srv.stats([STAT.rcv_requests])
        check_eq(list(one), [STAT.rcv_requests], "get_statistics with one name")
        shm = srv.stats(["shmem:"])
        total, used, free = shm[STAT.shm_total], shm[STAT.shm_used], shm[STAT.shm_free]
        check(abs(total - 32 * 1024 * 1024) <= 1024 * 1024,
              f"{STAT.shm_total} = {total}, expected about shm_size = 32 MB")
        check(used > 0 and free > 0 and used + free <= total,
              f"shmem used {used} + free {free} inconsistent with total {total}")
        check(shm[STAT.shm_max_used] >= used, f"max_used < used: {shm}")
        allst = srv.stats(["all"])
        for name in (STAT.sl_sent, STAT.maxfwd_exceeded, STAT.shm_total):
            check(name in allst, f"{name} missing from 'all'")


def test_a_killed_worker_is_reported_and_nothing_is_left_behind():
    """ARCHITECTURE: a child that dies is logged with its role, and the server either shuts
    down cleanly or replaces it; never leaves processes, the segment or the MI socket."""
    from harness import shm_entries, unreferenced_shm
    shm_before = shm_entries()
    srv = Server(udp_workers=2).start()
    try:
        kids = srv.children()
        victim = srv.pids_by_role()[ROLE.udp_worker][0]
        os.kill(victim, signal.SIGKILL)
        exited = wait_until(lambda: not srv.alive(), 5)
        log = srv.log()
        check(str(victim) in log and "udp-worker" in log,
              f"the death of udp-worker {victim} is not logged with its role and pid")
        if exited:
            check(srv.proc.returncode != 0, "master exited 0 after losing a worker")
            check(wait_until(lambda: not [k for k in kids if pid_alive(k)], 5),
                  f"children left: {[k for k in kids if pid_alive(k)]}")
            check(not os.path.exists(srv.mi_sock), "MI socket left behind")
            leaked = unreferenced_shm(shm_entries() - shm_before)
            check(not leaked, f"/dev/shm entries left behind: {sorted(leaked)}")
        else:  # replaced: a new worker serves
            workers = srv.pids_by_role()[ROLE.udp_worker]
            check(victim not in workers and len(workers) == 2, f"workers after kill: {workers}")
            reply = options_ping(srv.addr)
            check(reply is not None and reply.status == 200, "OPTIONS not answered")
    finally:
        if srv.alive():
            srv.stop(check_exit=False)
        else:
            srv.kill()  # reaps, closes the log; kills nothing that is gone
