"""The packages (issue 10): `make deb` and `make rpm` from the tree `make` built, lintian, the
systemd unit, the man pages, and the .deb installed, run and purged on this machine.

The install test needs root and a machine without Sipline installed. Where systemd runs it
drives sipline.service itself; these machines run none, so there it starts the installed binary
the way the unit does (its ExecStartPre, ExecStart and ExecReload lines with the options of
/etc/default/sipline, as the user sipline, with /run/sipline). Whatever happens, the package is
purged at the end, and a run that was killed is cleaned up by the next one (STAMP)."""

import contextlib
import grp
import io
import os
import pwd
import re
import shlex
import signal
import subprocess
import tarfile

from harness import (BUILD, LOOPBACK, ROOT, Skip, TestFailure, check, check_eq, options_ping,
                     udp_port_bound, wait_until)

PKG_DIR = os.path.join(BUILD, "pkg")
VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()
MAN_SOURCES = sorted(os.path.join(ROOT, "man", f) for f in os.listdir(os.path.join(ROOT, "man")))
MODULES_MAN = os.path.join(BUILD, "man", "sipline-modules.7")
UNIT = "/lib/systemd/system/sipline.service"
SIP_PORT = 5060  # the installed configuration's socket


def _run(cmd, timeout=60, text=True, **kw):
    return subprocess.run(cmd, capture_output=True, text=text, timeout=timeout, **kw)


def _make(target):
    """`make TARGET` on the tree under test, outside the jobserver of an enclosing make."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = _run(["make", "-C", ROOT, target, f"BUILD={BUILD}"], timeout=900, env=env)
    check(r.returncode == 0, f"make {target} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


def _deb_path(build=False):
    arch = _run(["dpkg", "--print-architecture"]).stdout.strip()
    path = os.path.join(PKG_DIR, f"sipline_{VERSION}_{arch}.deb")
    if build or not os.path.exists(path):
        _make("deb")
    check(os.path.exists(path), f"make deb did not produce {path}")
    return path


def _deb_files(deb):
    """Paths of the non-directory entries of the .deb (dpkg-deb -c)."""
    out = _run(["dpkg-deb", "-c", deb]).stdout
    files = []
    for line in out.splitlines():
        fields = line.split(None, 5)
        if fields and not fields[0].startswith("d"):
            files.append(fields[5].split(" -> ")[0].lstrip("."))
    return files


# ---------------------------------------------------------------- man pages
def test_man_pages_are_lint_clean():
    """Every man page, the generated sipline-modules(7) included (test_module_doc.py checks its
    content): `mandoc -Tlint` and `man --warnings` report nothing."""
    pages = MAN_SOURCES + [MODULES_MAN]
    for name in ("sipline.8", "siplinectl.8", "sipline.cfg.5", "sipline.routes.5"):
        check(os.path.join(ROOT, "man", name) in pages, f"man/{name} is missing")
    check(os.path.exists(MODULES_MAN), f"{MODULES_MAN} was not generated (make)")
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    for page in pages:
        r = _run(["mandoc", "-Tlint", "-W", "warning", page])
        check(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
              f"mandoc -Tlint {page}:\n{r.stdout}{r.stderr}")
        r = _run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page], env=env)
        check(r.returncode == 0 and not r.stderr.strip(), f"man --warnings {page}:\n{r.stderr}")


# ---------------------------------------------------------------- .deb
def test_deb_builds_with_the_layout_and_lintian_finds_no_error():
    deb = _deb_path(build=True)
    files = set(_deb_files(deb))
    for path in ("/usr/sbin/sipline", "/usr/sbin/siplinectl", "/etc/sipline/sipline.cfg",
                 "/etc/sipline/sipline.routes", "/etc/default/sipline", UNIT,
                 "/usr/lib/sipline/modules/tm.so", "/usr/lib/sipline/modules/db_postgres.so",
                 "/usr/share/sipline/examples/provider/sipline.cfg",
                 "/usr/share/sipline/examples/provider/sipline.routes",
                 "/usr/share/man/man7/sipline-modules.7.gz", "/usr/share/man/man5/sipline.cfg.5.gz",
                 "/usr/share/man/man5/sipline.routes.5.gz", "/usr/share/man/man8/sipline.8.gz",
                 "/usr/share/man/man8/siplinectl.8.gz",
                 "/usr/share/bash-completion/completions/siplinectl",
                 "/usr/share/sipline/wireshark/hep3.lua"):
        check(path in files, f"{path} is not in the .deb")
    sql = [f for f in files if f.startswith("/usr/share/sipline/sql/") and f.endswith(".sql")]
    check(sql, "no SQL schema under /usr/share/sipline/sql")
    control = _run(["dpkg-deb", "-I", deb, "conffiles"]).stdout.split()
    check_eq(sorted(control), ["/etc/default/sipline", "/etc/sipline/sipline.cfg",
                               "/etc/sipline/sipline.routes"], "conffiles")
    postinst = _run(["dpkg-deb", "-I", deb, "postinst"]).stdout
    check("adduser --system" in postinst and "deb-systemd-helper" in postinst,
          "postinst neither creates the user nor enables the unit")

    dbgsym = deb.replace("sipline_", "sipline-dbgsym_").replace(".deb", ".ddeb")
    if not os.path.exists(dbgsym):
        dbgsym = deb.replace("sipline_", "sipline-dbgsym_")
    check(os.path.exists(dbgsym), "no -dbgsym package: the binaries were not stripped")

    r = _run(["lintian", "--no-tag-display-limit", deb], timeout=600)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
    check(not errors, "lintian errors:\n" + "\n".join(errors))
    check(r.returncode in (0, 2), f"lintian failed ({r.returncode}): {r.stderr[-2000:]}")


test_deb_builds_with_the_layout_and_lintian_finds_no_error.timeout = 900


# Written before the test installs the package and removed after the purge: a package found
# installed with this stamp is a leftover of an interrupted run (purged), without it someone
# else's (the test skips).
STAMP = "/var/tmp/sipline-package-test.stamp"


def _dpkg_status():
    return _run(["dpkg-query", "-W", "-f=${Status}", "sipline"]).stdout


def _purge():
    r = _run(["dpkg", "--purge", "sipline"], timeout=120)
    if r.returncode == 0:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(STAMP)
    return r


@contextlib.contextmanager
def _installed(deb):
    """dpkg -i, and dpkg --purge whatever happens (a failed test must not leave it behind)."""
    open(STAMP, "w").write(f"{deb}\n")
    try:
        r = _run(["dpkg", "-i", deb], timeout=120,
                 env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        check(r.returncode == 0, f"dpkg -i failed:\n{r.stdout}\n{r.stderr}")
        yield
    finally:
        r = _purge()
        check(r.returncode == 0, f"dpkg --purge failed:\n{r.stdout}\n{r.stderr}")


def _service_command():
    """ExecStartPre and ExecStart of the installed unit, with /etc/default/sipline applied."""
    env = {"SIPLINE_CFG": "/etc/sipline/sipline.cfg", "SIPLINE_OPTS": ""}
    for line in open("/etc/default/sipline"):
        m = re.match(r'^\s*([A-Z_]+)=(.*)$', line)
        if m:
            env[m.group(1)] = " ".join(shlex.split(m.group(2)))
    unit = open(UNIT).read()

    def expand(key):
        cmd = re.search(rf"^{key}=(.*)$", unit, re.M).group(1)
        cmd = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], cmd)
        return shlex.split(re.sub(r"\$(\w+)", lambda m: env[m.group(1)], cmd))
    return expand("ExecStartPre"), expand("ExecStart"), expand("ExecReload")


def _as_sipline(cmd):
    return ["setpriv", "--reuid=sipline", "--regid=sipline", "--init-groups"] + cmd


def _processes_of(uid):
    pids = []
    for d in os.listdir("/proc"):
        with contextlib.suppress(OSError):
            if d.isdigit() and os.stat(f"/proc/{d}").st_uid == uid:
                pids.append(int(d))
    return pids


class _EmulatedUnit:
    """sipline.service where no systemd runs: its commands, as its user, with its directories."""

    def __init__(self, user):
        self.user = user
        self.pre, self.start_cmd, self.reload_cmd = _service_command()
        self.proc = None
        self.log = open(os.path.join(os.environ.get("SIPLINE_TEST_TMP", "/tmp"), "installed.log"),
                        "w")

    def start(self):
        check_eq(self.pre[:2], ["/usr/sbin/sipline", "-c"], "ExecStartPre")
        r = _run(_as_sipline(self.pre))
        check(r.returncode == 0 and "configuration OK" in r.stdout + r.stderr,
              f"{' '.join(self.pre)} failed:\n{r.stdout}{r.stderr}")
        # RuntimeDirectory= and StateDirectory=
        for d in ("/run/sipline", "/var/lib/sipline"):
            os.makedirs(d, mode=0o750, exist_ok=True)
            os.chown(d, self.user.pw_uid, self.user.pw_gid)
        self.proc = subprocess.Popen(_as_sipline(self.start_cmd), stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: os.path.exists("/run/sipline/mi.sock") or self.proc.poll() is not None,
                   10)
        check(self.proc.poll() is None, f"the installed server exited ({self.proc.returncode})")
        return self.proc.pid

    def reload(self):
        return _run(_as_sipline(self.reload_cmd))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        check_eq(self.proc.wait(30), 0, "exit status of the installed server on SIGTERM")
        subprocess.run(["rm", "-rf", "/run/sipline"])  # systemd removes it at stop

    def cleanup(self):
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        self.log.close()


class _SystemdUnit:
    """sipline.service under a running systemd (the package's postinst has started it)."""

    def __init__(self, user):
        self.user = user

    def start(self):
        _run(["systemctl", "start", "sipline"], timeout=60)  # started already, unless policy-rc.d
        active = wait_until(lambda: _run(["systemctl", "is-active", "sipline"]).stdout.strip() ==
                            "active" and os.path.exists("/run/sipline/mi.sock"), 15)
        status = _run(["systemctl", "status", "--no-pager", "sipline"]).stdout
        check(active, f"sipline.service is not active:\n{status}")
        return int(_run(["systemctl", "show", "-p", "MainPID", "--value", "sipline"]).stdout)

    def reload(self):
        r = _run(["systemctl", "reload", "sipline"], timeout=60)
        # systemctl reports a failed ExecReload as 1; the script's place is in the journal.
        if r.returncode != 0:
            r.returncode = 10
            r.stdout += _run(["journalctl", "-u", "sipline", "-n", "20", "--no-pager"]).stdout
        return r

    def stop(self):
        r = _run(["systemctl", "stop", "sipline"], timeout=60)
        check(r.returncode == 0, f"systemctl stop sipline: {r.stderr}")

    def cleanup(self):
        _run(["systemctl", "stop", "sipline"], timeout=60)


def test_deb_installs_runs_as_a_service_and_purges_without_a_trace():
    if os.geteuid() != 0:
        raise Skip("installing a package needs root")
    if _dpkg_status().startswith("install"):
        if not os.path.exists(STAMP):
            raise Skip("a sipline package is installed on this machine: not ours to purge")
        r = _purge()  # left by an interrupted run of this test
        check(r.returncode == 0, f"cannot purge the package a previous run left:\n{r.stderr}")
    if udp_port_bound(SIP_PORT):
        raise Skip(f"UDP port {SIP_PORT} (the installed configuration's) is in use")
    deb = _deb_path()
    paths = _deb_files(deb)
    with _installed(deb):
        user = pwd.getpwnam("sipline")
        check(user.pw_uid < 1000, f"sipline is not a system user (uid {user.pw_uid})")
        st = os.stat("/etc/sipline")
        check_eq((st.st_uid, st.st_gid, st.st_mode & 0o777),
                 (0, grp.getgrnam("sipline").gr_gid, 0o750), "owner, group and mode of /etc/sipline")

        # Documentation= is checked with man(1) unless dpkg leaves man pages out (path-exclude).
        man = [] if os.path.exists("/usr/share/man/man8/sipline.8.gz") else ["--man=no"]
        r = _run(["systemd-analyze", "verify"] + man + [UNIT])
        check(r.returncode == 0 and not r.stderr.strip(),
              f"systemd-analyze verify {UNIT}:\n{r.stdout}{r.stderr}")

        unit = _SystemdUnit(user) if os.path.isdir("/run/systemd/system") else _EmulatedUnit(user)
        try:
            pid = unit.start()
            reply = options_ping((LOOPBACK, SIP_PORT))
            check(reply is not None, "no reply to OPTIONS from the installed server")
            check_eq(reply.status, 200, "status of the OPTIONS reply")

            r = _run(["/usr/sbin/siplinectl", "ps"])
            check(r.returncode == 0, f"siplinectl ps failed ({r.returncode}):\n{r.stdout}{r.stderr}")
            check("udp-worker" in r.stdout and str(pid) in r.stdout,
                  f"siplinectl ps does not show the server's processes:\n{r.stdout}")
            r = unit.reload()
            check(r.returncode == 0, f"reload failed:\n{r.stdout}{r.stderr}")
            # `systemctl reload` with a broken script: refused (and reported), the running
            # script stays.
            with open("/etc/sipline/sipline.routes", "a") as f:
                f.write("route[broken] { no_such_function(); }\n")
            r = unit.reload()
            check(r.returncode == 10 and "sipline.routes:" in r.stdout + r.stderr,
                  f"reload of a broken script: exit {r.returncode}\n{r.stdout}{r.stderr}")
            reply = options_ping((LOOPBACK, SIP_PORT))
            check(reply is not None and reply.status == 200,
                  "no 200 to OPTIONS after a refused reload")
            unit.stop()
            check(wait_until(lambda: not _processes_of(user.pw_uid), 5),
                  f"processes of user sipline left after the stop: {_processes_of(user.pw_uid)}")
        finally:
            unit.cleanup()

    status = _dpkg_status()
    check(not status.startswith("install") and "config-files" not in status,
          f"sipline still known to dpkg after purge: {status!r}")
    left = [p for p in paths if os.path.lexists(p)]
    for d in ("/etc/sipline", "/usr/lib/sipline", "/usr/share/sipline", "/usr/share/doc/sipline",
              "/var/lib/sipline", "/run/sipline", "/etc/default/sipline", STAMP):
        if os.path.lexists(d):
            left.append(d)
    # The unit's enablement: systemd's links and deb-systemd-helper's state.
    for top in ("/etc/systemd/system", "/var/lib/systemd"):
        for dirpath, dirnames, filenames in os.walk(top):
            left += [os.path.join(dirpath, f) for f in filenames + dirnames if "sipline" in f]
    check(not left, f"left behind by the purge: {left}")
    for db, name in ((pwd.getpwnam, "user"), (grp.getgrnam, "group")):
        with contextlib.suppress(KeyError):
            db("sipline")
            raise TestFailure(f"the {name} sipline is left after the purge")
    r = _run(["dpkg-statoverride", "--list", "/etc/sipline"])
    check(r.returncode != 0, f"a stat override is left: {r.stdout}")


test_deb_installs_runs_as_a_service_and_purges_without_a_trace.timeout = 600


# ---------------------------------------------------------------- .rpm
def _rpm_normalised(path):
    """A path of the RPM as the .deb names it: RPM puts units in /usr/lib/systemd and the
    service options in /etc/sysconfig."""
    path = path.replace("/usr/lib/systemd/system/", "/lib/systemd/system/")
    return path.replace("/etc/sysconfig/sipline", "/etc/default/sipline")


def _strip_gz(path):
    return path[:-3] if path.endswith(".gz") else path


def test_rpm_has_the_file_list_of_the_deb():
    deb = _deb_path()
    _make("rpm")
    rpms = [f for f in os.listdir(PKG_DIR) if f.startswith(f"sipline-{VERSION}-") and
            f.endswith(".rpm")]
    check_eq(len(rpms), 1, f"RPMs in {PKG_DIR}: {rpms}")
    rpm = os.path.join(PKG_DIR, rpms[0])
    out = _run(["rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILENAMES}\n]", rpm]).stdout
    rpm_files = {_strip_gz(_rpm_normalised(line.split(" ", 1)[1]))
                 for line in out.splitlines() if line and not line.startswith("d")}
    # Debian's own: the changelog and copyright of dh_installchangelogs and dh_installdocs.
    deb_only = {"/usr/share/doc/sipline/changelog", "/usr/share/doc/sipline/copyright"}
    deb_files = {_strip_gz(p) for p in _deb_files(deb)} - deb_only
    check(not deb_files - rpm_files, f"in the .deb only: {sorted(deb_files - rpm_files)}")
    check(not rpm_files - deb_files, f"in the .rpm only: {sorted(rpm_files - deb_files)}")

    conf = {_rpm_normalised(p) for p in _run(["rpm", "-qpc", rpm]).stdout.split()}
    deb_conf = set(_run(["dpkg-deb", "-I", deb, "conffiles"]).stdout.split())
    check_eq(sorted(conf), sorted(deb_conf), "configuration files of the .rpm and the .deb")
    scripts = _run(["rpm", "-qp", "--scripts", rpm]).stdout
    check("useradd -r" in scripts, "the RPM does not create the user sipline")
    perms = _run(["rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILEGROUPNAME} %{FILENAMES}\n]",
                  rpm]).stdout
    check("drwxr-x--- sipline /etc/sipline\n" in perms, "/etc/sipline is not root:sipline 0750")
    # Stripped like the .deb's (dh_strip): the same binaries, about the same sizes.
    rpm_sizes = dict(line.split()[:2] for line in
                     _run(["rpm", "-qp", "--dump", rpm]).stdout.splitlines())
    tar = _run(["dpkg-deb", "--fsys-tarfile", deb], text=False).stdout
    deb_sizes = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for m in t.getmembers():
            deb_sizes[m.name.lstrip(".")] = m.size
    for elf in ("/usr/sbin/sipline", "/usr/sbin/siplinectl", "/usr/lib/sipline/modules/tm.so"):
        rpm_size, deb_size = int(rpm_sizes[elf]), deb_sizes[elf]
        check(abs(rpm_size - deb_size) <= deb_size // 20,
              f"{elf}: {rpm_size} bytes in the .rpm, {deb_size} in the .deb (not stripped?)")


test_rpm_has_the_file_list_of_the_deb.timeout = 900
