"""auth_db's identity checks (db_is_to_authorized, db_is_from_authorized) read the credentials
www/proxy_authorize() left in the request's context, which a failure or branch route never
has: `sipline -c` refuses them there, naming the place, and accepts them in the request route.
No database is needed: -c binds the script without initialising the modules."""

import os
import subprocess

from harness import MPATH, SIPLINE, check, check_eq, free_udp_port, test_tmpdir, unique_path


def _check(routes):
    d = unique_path("authdbroutes")
    os.makedirs(d)
    cfg = os.path.join(d, "check.cfg")
    with open(cfg, "w") as f:
        f.write("\n".join([
            f'socket = ["udp:127.0.0.1:{free_udp_port()}"];',
            "shm_size = 32;",
            'log_level = "notice"; log_target = "stderr";',
            f'mpath = "{MPATH}";',
            'routes = "check.routes";',
            f'mi = {{ socket = "{os.path.join(d, "mi.sock")}"; }};',
            "modules = { sl = {}; tm = {}; auth = {}; "
            'auth_db = { db_url = "postgres://sipline@127.0.0.1:9/sipline"; }; };',
        ]) + "\n")
    with open(os.path.join(d, "check.routes"), "w") as f:
        f.write(routes)
    r = subprocess.run([SIPLINE, "-c", "-f", cfg], capture_output=True, text=True, timeout=20,
                       stdin=subprocess.DEVNULL, cwd=test_tmpdir())
    with open(os.path.join(test_tmpdir(), "sipline-check.log"), "a") as log:
        log.write(f"$ sipline -c -f {cfg}\n-> exit {r.returncode}\n{r.stdout}{r.stderr}\n")
    return r


def test_identity_checks_are_accepted_in_the_request_route():
    r = _check('route {\n'
               '  if (!www_authorize("", "subscriber")) { exit; }\n'
               '  if (!db_is_to_authorized() || !db_check_from()) { exit; }\n'
               '}\n')
    check_eq(r.returncode, 0, f"exit code of -c (stderr: {r.stderr!r})")


def test_identity_checks_are_refused_in_failure_and_branch_routes():
    for kind, name in (("failure_route", "db_is_to_authorized"),
                       ("branch_route", "db_is_from_authorized"),
                       ("failure_route", "db_check_to")):
        r = _check('route { exit; }\n'
                   f'{kind}[x] {{\n'
                   f'  if ({name}()) {{ exit; }}\n'
                   '}\n')
        check_eq(r.returncode, 1, f"exit code of -c with {name}() in {kind}")
        check(f"check.routes:3:7: {name}() is not allowed in {kind}" in r.stderr,
              f"stderr: {r.stderr!r}")
