#!/usr/bin/python3
"""Runs the integration tests: every test_* function in test/integration/test_*.py.

  /usr/bin/python3 test/run_integration.py [-v] [-l] [NAME-SUBSTRING ...]

Each test runs in its own process (its own process group and temp dir, SIPLINE_TEST_TMP)
under a per-test timeout (function attribute `timeout`, default 120 s, x3 under
SIPLINE_SOAK=1); whatever the test started is killed with its process group afterwards, and
a test that leaves a process behind fails.  Output:
  PASS name (1.2s)
  FAIL name: reason           followed by the traceback and the tail of every *.log the test
                              wrote (server logs); the temp dir is kept on failure
  SKIP name: reason
and last `integration: N passed, N failed` (`, N skipped` only if a test skipped).
Exit status 1 if any test failed.

Two lanes: the tests of files that set `WAITS = True` (they spend their time waiting for a
database outage, a restart or a timer, not computing) run one after another beside the
others, which also run one after another; once its own tests are done, that lane takes the
other lane's last tests, so both end together. Each test's report is printed whole when it
ends. SIPLINE_IT_LANES=1 runs everything in one lane.

Writing a test: a module-level `def test_<behaviour>():` in test/integration/test_<topic>.py
that uses test/lib/harness.py (Server, sipp, UdpPeer, ...) and fails by raising (harness.check
raises TestFailure); `raise harness.Skip("reason")` skips; `test_x.timeout = 300` raises its
time limit.  SIPLINE_BUILD=/path/to/build runs another build (default build/).
"""

import collections
import importlib.util
import inspect
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_DIR = os.path.join(HERE, "integration")
LIB_DIR = os.path.join(HERE, "lib")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
DEFAULT_TIMEOUT = 120
SKIP_RC = 3
LOG_TAIL = 40
PRINT_LOCK = threading.Lock()


sys.dont_write_bytecode = True


def load(path):
    sys.path[:0] = [LIB_DIR, TEST_DIR]
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def discover():
    tests = []
    for fn in sorted(os.listdir(TEST_DIR)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        path = os.path.join(TEST_DIR, fn)
        mod = load(path)
        funcs = [f for n, f in vars(mod).items()
                 if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod.__name__]
        funcs.sort(key=lambda f: f.__code__.co_firstlineno)
        short = fn[len("test_"):-len(".py")]
        waits = bool(getattr(mod, "WAITS", False))
        for f in funcs:
            tests.append((f"{short}.{f.__name__}", path, f.__name__,
                          int(getattr(f, "timeout", DEFAULT_TIMEOUT)), waits))
    return tests


def child(path, func_name):
    """Runs one test in this process; exit 0 pass, 1 fail, SKIP_RC skip."""
    mod = load(path)
    import harness  # noqa: E402  (path set up by load)
    try:
        getattr(mod, func_name)()
    except harness.Skip as e:
        print(f"\nSKIP-REASON: {e}", flush=True)
        return SKIP_RC
    except BaseException as e:  # noqa: BLE001 - report everything, including KeyboardInterrupt
        traceback.print_exc()
        reason = f"{type(e).__name__}: {e}" if not isinstance(e, AssertionError) else str(e)
        reason = reason.strip().splitlines()[0] if reason.strip() else type(e).__name__
        print(f"\nFAIL-REASON: {reason}", flush=True)
        return 1
    return 0


def pgroup_members(pgid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                data = f.read()
            rest = data[data.rindex(")") + 2:].split()
            if int(rest[2]) == pgid and rest[0] != "Z":
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                out.append(f"{d} {cmd[:80]}")
        except (OSError, ValueError, IndexError):
            continue
    return out


# The process groups of the tests running now: Ctrl-C kills them all, the other lane's too.
RUNNING = set()
RUNNING_LOCK = threading.Lock()


def killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            return f.readlines()[-n:]
    except OSError:
        return []


def indent(lines):
    return "".join("    | " + ln if ln.endswith("\n") else "    | " + ln + "\n" for ln in lines)


def run_one(name, path, func, timeout, verbose):
    tmp = tempfile.mkdtemp(prefix=f"sipline-it-{func[:40]}-")
    env = dict(os.environ, SIPLINE_TEST_TMP=tmp, PYTHONDONTWRITEBYTECODE="1")
    out_path = os.path.join(tmp, "test.out")
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([PYTHON, os.path.abspath(__file__), "--child", path, func],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        with RUNNING_LOCK:
            RUNNING.add(proc.pid)
        timed_out = False
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            killpg(proc.pid)
            rc = proc.wait()
        except KeyboardInterrupt:
            killpg(proc.pid)
            proc.wait()
            raise
        finally:
            with RUNNING_LOCK:
                RUNNING.discard(proc.pid)
    dt = time.monotonic() - t0
    # anything the test started and left running (sipp, a server) is in its process group
    leftovers = pgroup_members(proc.pid)
    if leftovers:
        killpg(proc.pid)
    text = tail(out_path, 2000)
    reason = next((ln.split(":", 1)[1].strip() for ln in reversed(text)
                   if ln.startswith(("FAIL-REASON:", "SKIP-REASON:"))), "")
    if timed_out:
        status, reason = "FAIL", f"timed out after {timeout}s"
    elif rc == 0 and leftovers:
        status, reason = "FAIL", f"left processes running: {leftovers}"
    elif rc == 0:
        status = "PASS"
    elif rc == SKIP_RC and reason:
        status = "SKIP"
    else:
        status = "FAIL"
        reason = reason or f"test process exited with {rc}"
    report = []
    if status == "PASS":
        report.append(f"PASS {name} ({dt:.1f}s)\n")
    elif status == "SKIP":
        report.append(f"SKIP {name}: {reason}\n")
    else:
        report.append(f"FAIL {name}: {reason} ({dt:.1f}s)\n")
        body = [ln for ln in text if not ln.startswith("FAIL-REASON:")]
        while body and not body[-1].strip():
            body.pop()
        if body:
            report.append("  test output (tail):\n")
            report.append(indent(body[-30:]))
        for fn in sorted(os.listdir(tmp)):
            if fn.endswith(".log"):
                report.append(f"  {fn} (last {LOG_TAIL} lines):\n")
                report.append(indent(tail(os.path.join(tmp, fn), LOG_TAIL)) or "    | (empty)\n")
        report.append(f"  files kept in {tmp}\n")
    with PRINT_LOCK:
        sys.stdout.write("".join(report))
        sys.stdout.flush()
    if status == "PASS" and not verbose:
        shutil.rmtree(tmp, ignore_errors=True)
    return status


def main(argv):
    if len(argv) >= 3 and argv[0] == "--child":
        return child(argv[1], argv[2])
    verbose = "-v" in argv
    list_only = "-l" in argv
    filters = [a for a in argv if not a.startswith("-")]
    soak = os.environ.get("SIPLINE_SOAK", "") not in ("", "0")
    tests = [t for t in discover() if not filters or any(f in t[0] for f in filters)]
    if list_only:
        for t in tests:
            print(t[0] + ("  (waits)" if t[4] else ""))
        return 0
    sys.path.insert(0, LIB_DIR)
    import harness
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    if not tests:
        print(f"no integration test matches {filters}")
        counts["FAIL"] += 1
    elif not os.access(harness.SIPLINE, os.X_OK):
        for t in tests:
            print(f"FAIL {t[0]}: {harness.SIPLINE} not built (run make)")
        counts["FAIL"] += len(tests)
    else:
        one_lane = os.environ.get("SIPLINE_IT_LANES", "") == "1"
        computing = collections.deque(t for t in tests if one_lane or not t[4])
        waiting = collections.deque(t for t in tests if not one_lane and t[4])
        lock = threading.Lock()
        interrupted = threading.Event()

        def next_test(waits_lane):
            # The waits lane, once its own tests are done, takes the other lane's last tests:
            # still two tests at a time, but both lanes end together.
            with lock:
                if interrupted.is_set():
                    return None
                if not waits_lane:
                    return computing.popleft() if computing else None
                if waiting:
                    return waiting.popleft()
                return computing.pop() if computing and not one_lane else None

        def run_lane(waits_lane):
            while (t := next_test(waits_lane)) is not None:
                name, path, func, timeout, _ = t
                status = run_one(name, path, func, timeout * (3 if soak else 1), verbose)
                with lock:
                    counts[status] += 1
        beside = threading.Thread(target=run_lane, args=(True,))
        beside.start()
        try:
            run_lane(False)
            beside.join()
        except KeyboardInterrupt:
            # Ctrl-C reaches this lane only: the other one starts nothing more, and the test it
            # runs (in a session of its own) is killed too.
            interrupted.set()
            with RUNNING_LOCK:
                running = list(RUNNING)
            for pgid in running:
                killpg(pgid)
            beside.join()
            print(f"integration: interrupted after {counts['PASS']} passed, "
                  f"{counts['FAIL']} failed", flush=True)
            return 130
    line = f"integration: {counts['PASS']} passed, {counts['FAIL']} failed"
    if counts["SKIP"]:
        line += f", {counts['SKIP']} skipped"
    print(line, flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
