"""The provider's default configuration under test (issue 7): the shipped script
cfg/sipline.routes (REGISTER authenticated with www_authorize and the To check, requests from
our subscribers with proxy_authorize and the From check, calls to our users by lookup) with
auth and auth_db against a real PostgreSQL, subscribers provisioned as an operator does.

  with AuthDb() as pg:                   a throw-away PostgreSQL with the schema (`siplinectl
      pg.init_schema()                   db init`); subscribers added with
      add_subscriber(pg, "alice", "127.0.0.1", "secret")   `siplinectl subscriber add`
                                         (SQL with the same HA1s while it does not exist)
  provider_server(pg, auth={...}, auth_db={...}, aliases=(...))
                                         a Server (not started) running cfg/sipline.routes
                                         with sl, tm, rr, maxfwd, sanity, db_postgres, usrloc
                                         (memory), registrar, auth and auth_db
  sipp_register(srv, user, password, xml=...)   one sipp run of auth_register*.xml
  registered_aors(srv)                   the AORs usrloc holds (MI ul_dump)
  challenge_shape(reply)                 a reply without what must differ between two
                                         challenges (nonce, To tag): for no-enumeration checks

Every run is bounded in count and time and stays on 127.0.0.1.
"""

import hashlib
import os
import re
import subprocess

from harness import ROOT, Server, TestFailure, check, scenario, sipp, unique_path
from location_db import SIPLINECTL, LocationDb
from location_flows import group, location_modules, ul_dump

# SIPLINE_AUTH_ROUTES=/path/to/your.routes runs these tests against another script of the
# same shape (yours, or a deliberately broken one to see the tests fail).
SHIPPED_ROUTES = os.environ.get("SIPLINE_AUTH_ROUTES") or os.path.join(ROOT, "cfg",
                                                                         "sipline.routes")
DOMAIN = "127.0.0.1"

# auth: a nonce good for a minute unless a test says otherwise; a small nonce table; all three
# algorithms offered (cfg/sipline.cfg offers MD5 alone for baresip's sake: test_softphone.py).
AUTH_DEFAULTS = {"nonce_expire": 60, "nonce_slots": 4096,
                 "algorithms": "MD5,SHA-256,SHA-512-256"}
AUTH_DB_DEFAULTS = {"cache_size": 1024, "cache_ttl": 60}
# As cfg/sipline.cfg: NAT handling on, keepalives every 30 s (flags as in sipline.routes).
NATHELPER_DEFAULTS = {"natping_interval": 30, "nat_bflag": 6, "sipping_bflag": 7,
                      "max_pings_lost": 3}
PROVIDER_DEFINES = {"WITH_NAT": True}


class AuthDb(LocationDb):
    """LocationDb (PgServer + siplinectl db init) for the subscriber table."""


def _ctl(pg, *args, timeout=60):
    return subprocess.run(["timeout", "-k", "5", str(timeout), SIPLINECTL, "--db-url", pg.url,
                           *args], capture_output=True, text=True, timeout=timeout + 15,
                          stdin=subprocess.DEVNULL)


def ctl_has(pg, group_name):
    """True when this siplinectl knows the command group (`subscriber`, `domain`)."""
    r = _ctl(pg, "help", group_name, timeout=20)
    return r.returncode == 0


def add_domain(pg, domain=DOMAIN):
    """`siplinectl domain add DOMAIN` (skipped while siplinectl has no domain command)."""
    if not ctl_has(pg, "domain"):
        return
    r = _ctl(pg, "domain", "add", domain)
    check(r.returncode == 0 or "exists" in (r.stderr + r.stdout),
          f"siplinectl domain add {domain}: exit {r.returncode}: {r.stdout} {r.stderr}")


def ha1_hashes(user, realm, password):
    """(MD5, SHA-256, SHA-512/256) HA1 of user:realm:password, lower-case hex (RFC 7616)."""
    text = f"{user}:{realm}:{password}".encode()
    return (hashlib.md5(text).hexdigest(), hashlib.sha256(text).hexdigest(),
            hashlib.new("sha512_256", text).hexdigest())


def add_subscriber(pg, user, domain, password):
    """Provisions user@domain with `password` as an operator does: `siplinectl subscriber
    add` (which stores the HA1 of every algorithm and no clear password); while that command
    does not exist, the same row through SQL."""
    if ctl_has(pg, "subscriber"):
        r = _ctl(pg, "subscriber", "add", f"{user}@{domain}", password)
        if r.returncode != 0 and "domain" in (r.stderr + r.stdout).lower():
            add_domain(pg, domain)
            r = _ctl(pg, "subscriber", "add", f"{user}@{domain}", password)
        check(r.returncode == 0, f"siplinectl subscriber add {user}@{domain}: exit "
                                 f"{r.returncode}: {r.stdout} {r.stderr}")
        return
    check(re.fullmatch(r"[A-Za-z0-9._-]+", user + domain) is not None, "plain names only")
    md5, sha256, sha512t256 = ha1_hashes(user, domain, password)
    pg.psql("INSERT INTO subscriber (username, domain, ha1, ha1_sha256, ha1_sha512t256) "
            f"VALUES ('{user}', '{domain}', '{md5}', '{sha256}', '{sha512t256}')")


def provider_modules(auth=None, auth_db=None, usrloc=None, registrar=None, tm=None, db_url="",
                     nathelper=None, extra=""):
    """The modules of cfg/sipline.cfg for cfg/sipline.routes: the registrar + proxy, textops,
    nathelper (NATHELPER_DEFAULTS updated with `nathelper`), auth, auth_db, dialog in memory,
    and acc writing CDRs to `db_url` with a spool in the test's temporary directory; `extra`
    (more module groups) last."""
    a = dict(AUTH_DEFAULTS)
    a.update(auth or {})
    d = dict(AUTH_DB_DEFAULTS)
    d.update(auth_db or {})
    d["db_url"] = db_url
    a = {k: v for k, v in a.items() if v is not None}
    d = {k: v for k, v in d.items() if v is not None}
    n = dict(NATHELPER_DEFAULTS)
    n.update(nathelper or {})
    spool = unique_path("acc-spool")
    return (location_modules(usrloc, registrar, tm, db=True) +
            f" textops = {{}}; nathelper = {{ {group(n)} }};"
            f" auth = {{ {group(a)} }}; auth_db = {{ {group(d)} }};"
            f' dialog = {{ profiles_with_value = "caller"; }};'
            f' acc = {{ db_url = "{db_url}"; spool_dir = "{spool}"; }};' + extra)


def provider_server(pg, auth=None, auth_db=None, usrloc=None, registrar=None, tm=None,
                    aliases=(), name="provider", extra_settings="", defines=None, nathelper=None,
                    extra_modules="", **kw):
    """A Server (not started) running the shipped cfg/sipline.routes against `pg`, with the
    switches of cfg/sipline.cfg (PROVIDER_DEFINES updated with `defines`)."""
    with open(SHIPPED_ROUTES) as f:
        text = f.read()
    kw.setdefault("modules", provider_modules(auth, auth_db, usrloc, registrar, tm, pg.url,
                                              nathelper, extra_modules))
    if aliases:
        listed = ", ".join(f'"{a}"' for a in aliases)
        extra_settings = f"alias = [ {listed} ];\n{extra_settings}"
    switches = dict(PROVIDER_DEFINES)
    switches.update(defines or {})
    extra_settings = (f"defines = {{ {group(switches)} }};\n" if switches else "") + extra_settings
    return Server(routes=text, name=name, extra_settings=extra_settings, **kw)


def sipp_register(srv, user, password, auth_user=None, xml="auth_register.xml", calls=1,
                  hard_timeout=30, name=None):
    """sipp registers sip:user@127.0.0.1 with digest credentials (auth_user, password)."""
    return sipp(srv.addr, "-sf", scenario(xml), "-s", user, "-au", auth_user or user,
                "-ap", password, "-trace_counts", "-trace_msg", calls=calls,
                hard_timeout=hard_timeout, name=name or f"reg-{user}")


def check_sipp_ok(result, n, what):
    if result.successful != n or result.failed not in (0, None):
        raise TestFailure(f"{what}: expected {n} successful sipp calls, {result.describe()}\n"
                          f"{result.output_tail(40)}")


def registered_aors(srv):
    """The AORs usrloc holds now (MI ul_dump of table location)."""
    return set(ul_dump(srv))


def holds_user(srv, user):
    return any(a == user or a.startswith(user + "@") for a in registered_aors(srv))


def challenge_shape(reply):
    """What a challenge tells a client, without what differs from one request or challenge to
    the next (the nonce; the request's own From, To, Call-ID, CSeq and Via echoed back):
    (status, reason, [(header, value)])."""
    out = []
    for name, value in reply.headers:
        if name in ("call-id", "cseq", "from", "to", "via", "content-length"):
            continue
        value = re.sub(r'nonce="[^"]*"', 'nonce="*"', value)
        out.append((name, value))
    return reply.status, reply.reason, out
