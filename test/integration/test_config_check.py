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


def _check_with_files(lines, routes, files):
    """Like _check, with extra files (name -> text) written beside check.routes."""
    d = unique_path("cfgcheck")
    os.makedirs(d)
    for name, text in files.items():
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
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
    return d, r


def test_warnings_are_printed_and_the_check_passes():
    routes = ("route {\n"
              "  setflag(4);\n"
              "  exit;\n"
              "  forward(\"udp:127.0.0.1:9\");\n"
              "}\n"
              "route[spare] { }\n")
    r = _check(_settings(free_udp_port()), routes)
    check_eq(r.returncode, 0, f"exit code of -c with warnings only (stderr: {r.stderr!r})")
    for want in ("check.routes:4:3: unreachable code (after 'exit' at ",
                 "check.routes:6:1: route[spare] is never called",
                 "check.routes:2:3: flag 4 is set but never tested"):
        check(want in r.stderr, f"stderr lacks {want!r}: {r.stderr!r}")


def test_error_in_an_included_file_names_that_file():
    files = {"lib/common.routes": "route[common] {\n  exit;\n}\n",
             "lib/replies.routes": "\n\nroute[replies] {\n    sl_send_reply(\"x\", \"OK\");\n}\n"}
    routes = ("include_file \"lib/common.routes\"\n"
              "#!include_file \"lib/replies.routes\"\n"
              "route { route(common); route(replies); }\n")
    d, r = _check_with_files(_settings(free_udp_port()), routes, files)
    check_eq(r.returncode, 1, "exit code of -c with a bad argument in an included file")
    where = os.path.join(d, "lib", "replies.routes") + ":4:19: "
    check(where in r.stderr, f"stderr does not name {where!r}: {r.stderr!r}")


def test_include_cycle_is_refused():
    files = {"a.routes": "include_file \"b.routes\"\n", "b.routes": "include_file \"a.routes\"\n"}
    d, r = _check_with_files(_settings(free_udp_port()),
                             "include_file \"a.routes\"\nroute { exit; }\n", files)
    check_eq(r.returncode, 1, "exit code of -c with an include cycle")
    check("includes a file that is already being read" in r.stderr,
          f"stderr does not explain the cycle: {r.stderr!r}")
    check(os.path.join(d, "b.routes") + ":1:1: " in r.stderr,
          f"stderr does not name b.routes:1:1: {r.stderr!r}")


def test_unknown_function_of_a_module_not_loaded_names_the_module():
    routes = GOOD_ROUTES.replace('    exit;\n', '    save("location");\n    exit;\n', 1)
    r = _check(_settings(free_udp_port()), routes)
    check_eq(r.returncode, 1, "exit code of -c with save() and no registrar")
    check("check.routes:4:5: unknown function 'save': module registrar is not loaded" in r.stderr,
          f"stderr does not name the module: {r.stderr!r}")


def test_command_not_allowed_in_the_route_type_that_reaches_it():
    routes = ("route { exit; }\n"
              "branch_route[b] {\n"
              "  route(reply);\n"
              "}\n"
              "route[reply] {\n"
              "  sl_send_reply(403, \"Forbidden\");\n"
              "}\n")
    r = _check(_settings(free_udp_port()), routes)
    check_eq(r.returncode, 1, "exit code of -c with sl_send_reply reached from branch_route")
    check("check.routes:6:3: sl_send_reply() is not allowed in branch_route" in r.stderr,
          f"stderr: {r.stderr!r}")
    check("branch_route[b] -> route[reply] (" in r.stderr, f"stderr lacks the path: {r.stderr!r}")


def test_constant_regex_is_compiled_at_check_time():
    routes = GOOD_ROUTES.replace('is_method("OPTIONS")', '$ru =~ "sip:(["')
    r = _check(_settings(free_udp_port()), routes)
    check_eq(r.returncode, 1, "exit code of -c with a broken regex")
    check(re.search(r"check\.routes:2:\d+: regex does not compile: ", r.stderr),
          f"stderr: {r.stderr!r}")


def test_defines_from_the_settings_reach_the_script():
    routes = ("#!ifndef RELAY_TO\n"
              "#!define RELAY_TO \"udp:127.0.0.1:1\"\n"
              "#!endif\n"
              "route {\n"
              "#!ifdef DEBUG\n"
              "  no_such_debug_function();\n"
              "#!endif\n"
              "  forward(RELAY_TO);\n"
              "}\n")
    lines = _settings(free_udp_port())
    ok = lines + ['defines = { RELAY_TO = "udp:127.0.0.1:9"; DEBUG = false; };']
    r = _check(ok, routes)
    check_eq(r.returncode, 0, f"exit code of -c with settings defines (stderr: {r.stderr!r})")
    debug = lines + ['defines = { DEBUG = true; };']
    r = _check(debug, routes)
    check_eq(r.returncode, 1, "exit code of -c with DEBUG = true (its branch has an error)")
    check("check.routes:6:3: unknown function 'no_such_debug_function'" in r.stderr,
          f"the #!ifdef DEBUG branch was not compiled: {r.stderr!r}")
    clash = ("#!define RELAY_TO \"udp:127.0.0.1:1\"\n" + routes.split("#!endif\n", 1)[1])
    r = _check(ok, clash)
    check_eq(r.returncode, 1, "exit code of -c defining a name the settings define")
    check(re.search(r"check\.routes:1:10: RELAY_TO is already defined \(at .*check\.cfg:9\)",
                    r.stderr), f"stderr: {r.stderr!r}")


def test_bad_define_in_the_settings_names_its_line():
    r = _check(_settings(free_udp_port()) + ["defines = { RATIO = 1.5; };"])
    check_eq(r.returncode, 1, "exit code of -c with a float define")
    check(re.search(r"check\.cfg:9: define 'RATIO' must be a string, an integer or a boolean",
                    r.stderr), f"stderr: {r.stderr!r}")
