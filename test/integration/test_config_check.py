"""`sipline -c -f FILE` checks the whole configuration and names the place of an error:
FILE:LINE for the settings, FILE:LINE:COL for the routing script, and the module that
cannot be loaded."""

import os
import re
import subprocess

from harness import MPATH, SIPLINE, check, check_eq, free_udp_port, test_tmpdir, unique_path

GOOD_ROUTES = """\
route {
  if (is_method("OPTIONS")) {
    sl_send_reply(200, "OK");
    exit;
  }
  forward("udp:127.0.0.1:9");
}
"""


def _settings(port, udp_key="udp_workers", modules="sl = {}; maxfwd = {};", shm="32"):
    # line numbers matter: the typo test relies on udp_workers being line 3
    return [
        f'socket = ["udp:127.0.0.1:{port}"];',           # 1
        f"shm_size = {shm};",                             # 2
        f"{udp_key} = 2;",                                # 3
        'log_level = "notice"; log_target = "stderr";',   # 4
        f'mpath = "{MPATH}";',                            # 5
        'routes = "check.routes";',                       # 6
        'mi = { socket = "@MI@"; };',                     # 7
        f"modules = {{ {modules} }};",                    # 8
    ]


def _check(lines, routes=GOOD_ROUTES):
    """Writes check.cfg + check.routes in a fresh dir and runs `sipline -c -f check.cfg`."""
    d = unique_path("cfgcheck")
    os.makedirs(d)
    cfg = os.path.join(d, "check.cfg")
    mi = os.path.join(d, "mi.sock")
    with open(cfg, "w") as f:
        f.write("\n".join(ln.replace("@MI@", mi) for ln in lines) + "\n")
    with open(os.path.join(d, "check.routes"), "w") as f:
        f.write(routes)
    r = subprocess.run([SIPLINE, "-c", "-f", cfg], capture_output=True, text=True, timeout=20,
                       stdin=subprocess.DEVNULL, cwd=test_tmpdir())
    with open(os.path.join(test_tmpdir(), "sipline-check.log"), "a") as log:
        log.write(f"$ sipline -c -f {cfg}\n-> exit {r.returncode}\n{r.stdout}{r.stderr}\n")
    check(not os.path.exists(mi), "-c created the MI socket (it must only check)")
    return r


def test_valid_configuration_checks_ok():
    r = _check(_settings(free_udp_port()))
    check_eq(r.returncode, 0, f"exit code of -c on a valid configuration (stderr: {r.stderr!r})")


def test_misspelt_setting_is_refused_naming_its_line():
    r = _check(_settings(free_udp_port(), udp_key="udp_worker"))
    check_eq(r.returncode, 1, "exit code of -c with 'udp_worker' (typo)")
    check(re.search(r"check\.cfg:3: ", r.stderr),
          f"stderr does not name check.cfg:3: {r.stderr!r}")
    check("udp_worker" in r.stderr, f"stderr does not name the unknown setting: {r.stderr!r}")


def test_settings_syntax_error_is_refused_naming_its_line():
    r = _check(_settings(free_udp_port(), shm=""))
    check_eq(r.returncode, 1, "exit code of -c with 'shm_size = ;'")
    check(re.search(r"check\.cfg:2: ", r.stderr),
          f"stderr does not name check.cfg:2: {r.stderr!r}")


def test_unknown_script_function_is_refused_naming_line_and_column():
    routes = GOOD_ROUTES.replace('    sl_send_reply(200, "OK");',
                                 '    no_such_function("x");')
    check("no_such_function" in routes.splitlines()[2], "test data: line 3 changed")
    r = _check(_settings(free_udp_port()), routes)
    check_eq(r.returncode, 1, "exit code of -c with an unknown function")
    check(re.search(r"check\.routes:3:5: ", r.stderr),
          f"stderr does not name check.routes:3:5: {r.stderr!r}")
    check("no_such_function" in r.stderr, f"stderr does not name the function: {r.stderr!r}")


def test_bad_command_argument_is_refused_at_check_time():
    routes = GOOD_ROUTES.replace('sl_send_reply(200, "OK")', 'sl_send_reply("two hundred", "OK")')
    r = _check(_settings(free_udp_port()), routes)
    check_eq(r.returncode, 1, "exit code of -c with sl_send_reply(\"two hundred\", ...)")
    check(re.search(r"check\.routes:3:\d+: ", r.stderr),
          f"stderr does not name check.routes:3:<col>: {r.stderr!r}")


def test_module_missing_from_mpath_is_refused_naming_it():
    r = _check(_settings(free_udp_port(), modules="sl = {}; nosuchmod = {};"))
    check_eq(r.returncode, 1, "exit code of -c with module nosuchmod")
    check("nosuchmod" in r.stderr, f"stderr does not name the module: {r.stderr!r}")
