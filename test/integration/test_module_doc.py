"""`sipline --module-doc DIR` prints sipline-modules(7) from the modules' own describe():
every module of the build, each of its parameters, script commands and MI commands, none
undocumented, and a page that mandoc and man accept without a warning."""

import glob
import os
import re
import shutil
import subprocess

from harness import MPATH, ROOT, SIPLINE, Skip, check, check_eq, unique_path

# The names a module declares with a literal first argument in its <name>_module.cc; the page
# must show each one (names made in loops are checked by the unit tests' structure only).
DECL = re.compile(r'spec\.(param|command|mi)\(\s*"([a-z0-9_]+)"')


def _module_doc(*args):
    return subprocess.run([SIPLINE, "--module-doc", *args], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)


def _page():
    r = _module_doc(MPATH)
    check_eq(r.returncode, 0, f"exit code of --module-doc (stderr: {r.stderr!r})")
    return r


def _declared(module):
    with open(os.path.join(ROOT, "modules", module, f"{module}_module.cc")) as f:
        return DECL.findall(f.read())


def test_every_module_and_declaration_is_on_the_page():
    page = _page().stdout
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(MPATH, "*.so")))
    check(modules, f"no module in {MPATH}")
    sections = re.findall(r"^\.SH MODULE (\S+)$", page, re.M)
    check_eq(sections, modules, "module sections (in name order)")
    for module in modules:
        part = page.split(f".SH MODULE {module}\n", 1)[1].split("\n.SH ", 1)[0]
        for kind, name in _declared(module):
            check(r"\fB" + name + r"\fR" in part,
                  f"{module}: {kind} {name} is missing from its section")


def test_no_module_is_left_undocumented():
    r = _page()
    check_eq(r.stderr, "", "warnings of --module-doc (every module needs a summary and help "
             "for each parameter, command, MI command and statistic)")
    for missing in ("Undocumented.", "No summary."):
        check(missing not in r.stdout, f"the page says {missing!r}")


def test_page_is_clean_under_mandoc_and_man():
    if shutil.which("mandoc") is None:
        raise Skip("mandoc is not installed")
    path = unique_path("sipline-modules", ".7")
    with open(path, "w") as f:
        f.write(_page().stdout)
    lint = subprocess.run(["mandoc", "-Tlint", "-W", "warning", path], capture_output=True,
                          text=True, timeout=30)
    check_eq(lint.stdout + lint.stderr, "", "mandoc -Tlint -W warning")
    if shutil.which("man") is not None:
        env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
        man = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                             capture_output=True, text=True, timeout=30, env=env)
        check_eq(man.stderr, "", "man --warnings")


def test_unreadable_directory_is_a_usage_error():
    r = _module_doc(unique_path("no-such-dir"))
    check_eq(r.returncode, 2, f"exit code for a missing directory (stderr: {r.stderr!r})")
    check("cannot read module directory" in r.stderr, f"stderr: {r.stderr!r}")
    check_eq(_module_doc(MPATH, MPATH).returncode, 2, "exit code for two directories")


def test_a_file_that_is_no_module_fails_naming_it():
    d = unique_path("moddir")
    os.makedirs(d)
    bad = os.path.join(d, "broken.so")
    with open(bad, "w") as f:
        f.write("not an ELF file\n")
    r = _module_doc(d)
    check_eq(r.returncode, 1, f"exit code for a broken module (stderr: {r.stderr!r})")
    check(bad in r.stderr, f"the error names {bad}: {r.stderr!r}")
    check_eq(r.stdout, "", "no page is printed when a module does not load")
