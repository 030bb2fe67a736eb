#!/usr/bin/python3
"""Tests of a routing script, run through the route simulator (`sipline --simulate`).

  script_test.py [-f sipline.cfg] [--sipline PATH] [-v] CASE...

CASE is a message file NAME.sip (with NAME.expect beside it) or a directory of them.  For
each case the simulator runs the script of the settings file on the message, nothing is sent,
and the expectations are checked against what it printed.  Prints `PASS name` or `FAIL name`
with the reasons and the simulator's output, then `script tests: N passed, N failed`; the
exit status is 1 when a case failed, 2 for bad usage.

NAME.expect, one expectation a line (`#` starts a comment; TEXT is taken as written):

  source 192.0.2.10:5060    run with --source (default: the message's top Via)
  route NAME                run route[NAME] (onreply_route[NAME] for a reply) instead
  exit 1                    the exit status of the simulator (default 0)
  outcome TEXT              the outcome line is exactly TEXT: "reply 404 Not Found",
                            "relay to udp:192.0.2.20:5060", "drop", "no decision",
                            "reply 100 Trying, then relay to udp:..."
  path TEXT                 some line of the path contains TEXT, e.g. `if ($ru == myself) -> true`
  no-path TEXT              no line of the path contains TEXT
  to TEXT                   the first message leaves for TEXT ("udp:192.0.2.10:5060")
  message TEXT              the first message that leaves contains TEXT, e.g. `Max-Forwards: 69`
  no-message TEXT           ... does not contain TEXT
  log TEXT                  the log (stderr) contains TEXT, e.g. a run-time error's file:line
  stdout TEXT               the output contains TEXT (errors of exit 1 and 2 are on stderr:
                            use `log`)

The module also serves the integration tests (test/integration/test_simulate.py): simulate()
runs the simulator and returns a SimResult with the parsed output.  Stdlib only.
"""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_SIPLINE = os.path.join(os.environ.get("SIPLINE_BUILD", os.path.join(ROOT, "build")),
                               "sipline")


class SimResult:
    """What one `sipline --simulate` printed, parsed.

    exit, stdout (text), stderr (text), header (the `simulate:` line), notes (list of the
    note lines' text, before and after the outcome), path (list of trace lines, indentation
    kept), outcome (text or None), messages (list of Sent)."""

    def __init__(self, exit_code, stdout, stderr):
        self.exit = exit_code
        self.stdout = stdout.decode("utf-8", "replace")
        self.stderr = stderr.decode("utf-8", "replace")
        self.header = None
        self.notes = []
        self.path = []
        self.outcome = None
        self.messages = []
        if exit_code == 0:
            self._parse(stdout)

    def _parse(self, out):
        pos = 0
        section = None
        while pos < len(out):
            eol = out.find(b"\n", pos)
            if eol < 0:
                eol = len(out)
            line = out[pos:eol].decode("utf-8", "replace")
            pos = eol + 1
            m = re.match(r"message (\d+) of (\d+): (\S+) -> (\S+), (\d+) bytes$", line)
            if m:
                size = int(m.group(5))
                data = out[pos:pos + size]
                pos += size + 1  # the bytes, then one newline
                self.messages.append(Sent(m.group(3), m.group(4), data))
                continue
            if line.startswith("simulate: "):
                self.header = line[len("simulate: "):]
            elif line.startswith("note: "):
                self.notes.append(line[len("note: "):])
            elif line == "path:":
                section = "path"
            elif line.startswith("outcome: "):
                self.outcome = line[len("outcome: "):]
                section = None
            elif section == "path" and line.startswith("  "):
                self.path.append(line[2:])

    def path_text(self):
        return "\n".join(self.path)


class Sent:
    """One message that would have left: source socket, destination, exact bytes."""

    def __init__(self, source, to, data):
        self.source = source
        self.to = to
        self.data = data
        self.text = data.decode("utf-8", "replace")

    def first_line(self):
        return self.text.split("\r\n", 1)[0]

    def headers(self, name):
        """Values of every header line called `name` (case-insensitive), in order."""
        head = self.text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
        out = []
        for h in head:
            n, _, v = h.partition(":")
            if n.strip().lower() == name.lower():
                out.append(v.strip())
        return out

    def body(self):
        parts = self.data.split(b"\r\n\r\n", 1)
        return parts[1] if len(parts) == 2 else b""


def simulate(cfg, message_file, source=None, route=None, sipline=DEFAULT_SIPLINE, timeout=30,
             extra_args=()):
    """Runs `sipline -f cfg --simulate message_file [...]` and returns a SimResult."""
    cmd = [sipline, "-f", cfg, "--simulate", message_file]
    if source:
        cmd += ["--source", source]
    if route:
        cmd += ["--route", route]
    cmd += list(extra_args)
    r = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return SimResult(r.returncode, r.stdout, r.stderr)


# ---------------------------------------------------------------- expectation files
KEYS = ("source", "route", "exit", "outcome", "path", "no-path", "to", "message", "no-message",
        "log", "stdout")


class ExpectError(Exception):
    pass


def read_expect(path):
    """The expectations of NAME.expect as a list of (key, text, line number)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, text = line.strip().partition(" ")
            if key not in KEYS:
                raise ExpectError(f"{path}:{n}: unknown expectation '{key}' "
                                  f"(one of: {', '.join(KEYS)})")
            if not text.strip():
                raise ExpectError(f"{path}:{n}: '{key}' needs a value")
            out.append((key, text.strip(), n))
    return out


def check_case(expect, result):
    """The failed expectations of one case, as messages (empty: the case passed)."""
    failures = []
    want_exit = 0
    first = result.messages[0] if result.messages else None
    for key, text, n in expect:
        where = f"line {n}"
        if key == "exit":
            want_exit = int(text)
        elif key == "outcome" and result.outcome != text:
            failures.append(f"{where}: outcome is {result.outcome!r}, expected {text!r}")
        elif key == "path" and not any(text in p for p in result.path):
            failures.append(f"{where}: no path line contains {text!r}")
        elif key == "no-path" and any(text in p for p in result.path):
            failures.append(f"{where}: a path line contains {text!r}")
        elif key == "to" and (first is None or first.to != text):
            failures.append(f"{where}: the first message goes to "
                            f"{first.to if first else 'nowhere'}, expected {text}")
        elif key == "message" and (first is None or text not in first.text):
            failures.append(f"{where}: the first message does not contain {text!r}"
                            if first else f"{where}: no message leaves")
        elif key == "no-message" and first is not None and text in first.text:
            failures.append(f"{where}: the first message contains {text!r}")
        elif key == "log" and text not in result.stderr:
            failures.append(f"{where}: the log does not contain {text!r}")
        elif key == "stdout" and text not in result.stdout:
            failures.append(f"{where}: the output does not contain {text!r}")
    if result.exit != want_exit:
        failures.insert(0, f"exit status {result.exit}, expected {want_exit}")
    return failures


def find_cases(args):
    """Every NAME.sip under the given files and directories, sorted."""
    cases = []
    for a in args:
        if os.path.isdir(a):
            for fn in sorted(os.listdir(a)):
                if fn.endswith(".sip"):
                    cases.append(os.path.join(a, fn))
        else:
            cases.append(a)
    return cases


def run_case(cfg, sip_path, sipline=DEFAULT_SIPLINE):
    """Runs one case; returns (failures, SimResult)."""
    expect_path = sip_path[:-len(".sip")] + ".expect" if sip_path.endswith(".sip") else None
    if expect_path is None or not os.path.exists(expect_path):
        return [f"missing {expect_path or sip_path + ' (not a .sip file)'}"], None
    expect = read_expect(expect_path)
    opts = {k: t for k, t, _ in expect if k in ("source", "route")}
    result = simulate(cfg, sip_path, source=opts.get("source"), route=opts.get("route"),
                      sipline=sipline)
    return check_case(expect, result), result


def main(argv):
    ap = argparse.ArgumentParser(description="Run routing-script tests with sipline --simulate.")
    ap.add_argument("-f", dest="cfg", default="/etc/sipline/sipline.cfg",
                    help="settings file naming the script (default /etc/sipline/sipline.cfg)")
    ap.add_argument("--sipline", default=DEFAULT_SIPLINE if os.path.exists(DEFAULT_SIPLINE)
                    else "sipline", help="the sipline binary")
    ap.add_argument("-v", action="store_true", help="show the simulator's output of passing cases")
    ap.add_argument("cases", nargs="+", help="NAME.sip files or directories of them")
    a = ap.parse_args(argv)
    passed = failed = 0
    try:
        cases = find_cases(a.cases)
        if not cases:
            print("script tests: no NAME.sip case found", file=sys.stderr)
            return 2
        for case in cases:
            name = os.path.relpath(case)
            failures, result = run_case(a.cfg, case, a.sipline)
            if failures:
                failed += 1
                print(f"FAIL {name}")
                for f in failures:
                    print(f"  {f}")
            else:
                passed += 1
                print(f"PASS {name}")
            if result is not None and (failures or a.v):
                for line in (result.stdout + result.stderr).splitlines():
                    print(f"  | {line}")
    except (ExpectError, OSError) as e:
        print(f"script tests: {e}", file=sys.stderr)
        return 2
    print(f"script tests: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
