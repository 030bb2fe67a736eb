"""Accounting tests (test_acc.py, test_acc_outage.py): a stateful proxy running
test/integration/acc_proxy.routes with dialog + acc to a throw-away PostgreSQL and to a syslog
socket the test binds itself (these machines run no syslog daemon).

  AccDb()                        LocationDb (pgserver + `siplinectl db init`) for acc tables
  acc_server(pg, sink, spool_dir, **acc_params)   the proxy (not started)
  SyslogSink()                   a unix datagram socket in a short /tmp dir; messages()
  acc_rows(pg, table, where)     rows as dicts (columns of ROW_COLUMNS)
  wait_count(pg, table, n, timeout, where)   polls until the table has n rows
  spool_line(table, columns)     a line of acc.spool, as the module writes it
"""

import os
import shutil
import socket
import tempfile
import threading
import zlib

from harness import ROOT, TestFailure, check, wait_until
from location_db import LocationDb
from sipp_flows import proxy, tm_modules

ROUTES_FILE = os.path.join(ROOT, "test", "integration", "acc_proxy.routes")
EXTRAS = "src_user=$fU;src_domain=$fd;dst_user=$rU;dst_domain=$rd;src_ip=$si"
ACC_COLUMNS = ("callid", "method", "from_tag", "to_tag", "sip_code", "sip_reason",
               "extract(epoch from time)", "duration", "ms_duration", "setuptime",
               "extract(epoch from created)", "ended_by", "src_user", "dst_user", "src_ip",
               "acc_key")
ACC_NAMES = ("callid", "method", "from_tag", "to_tag", "sip_code", "sip_reason", "time",
             "duration", "ms_duration", "setuptime", "created", "ended_by", "src_user",
             "dst_user", "src_ip", "acc_key")


class AccDb(LocationDb):
    pass


def routes(backends="log|db"):
    with open(ROUTES_FILE) as f:
        return f.read().replace("@BACKENDS@", backends)


def acc_server(pg, sink, spool_dir, uas_port, tm=None, backends="log|db", dialog=None,
               routes_text=None, **acc):
    """The accounting proxy; `acc` overrides module parameters (strings are quoted here);
    `routes_text` replaces acc_proxy.routes."""
    params = {"db_url": pg.url if pg is not None else "", "syslog_socket": sink.path,
              "spool_dir": spool_dir, "db_extra": EXTRAS, "log_extra": "src_user=$fU",
              # Generous: a loaded 2-core machine must not look like a slow DB (the outage
              # tests pass 500 ms).
              "db_query_timeout": 2000, "db_connect_timeout": 2000}
    params.update(acc)
    text = " ".join(f"{k} = {v!r};".replace("'", '"') if isinstance(v, str)
                    else f"{k} = {v};" for k, v in params.items())
    dlg = " ".join(f"{k} = {v};" for k, v in (dialog or {"hash_size": 256}).items())
    extra = f"db_postgres = {{}}; dialog = {{ {dlg} }}; acc = {{ {text} }};"
    return proxy(routes_text or routes(backends), name="acc", tm=tm, uas_port=uas_port,
                 modules=tm_modules(tm, extra=extra))


class SyslogSink:
    """A unix datagram socket standing in for /dev/log (in a short path: sun_path is 108
    bytes)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="acc-log-", dir="/tmp")
        self.path = os.path.join(self.dir, "log.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.received = []
        self.lock = threading.Lock()
        self.stopping = False
        # A daemon reads at once: the kernel queues only ~10 datagrams per unix socket.
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.stopping:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.received.append(data.decode("utf-8", "replace"))

    def messages(self):
        with self.lock:
            return list(self.received)

    def wait_for(self, pred, timeout, what):
        if not wait_until(lambda: pred(self.messages()), timeout, 0.1):
            raise TestFailure(f"{what}: syslog got {len(self.received)} messages: "
                              f"{self.received[-5:]}")
        return self.received

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def spool_dir():
    """A fresh directory for the spool (removed by the runner with the test's tmp)."""
    return tempfile.mkdtemp(prefix="acc-spool-", dir=os.environ.get("SIPLINE_TEST_TMP", "/tmp"))


def acc_rows(pg, table="acc", where=""):
    cols = ACC_COLUMNS if table == "acc" else \
        tuple(c for c in ACC_COLUMNS if c not in ("duration", "ms_duration", "setuptime",
                                                   "extract(epoch from created)", "ended_by"))
    names = ACC_NAMES if table == "acc" else \
        tuple(n for n in ACC_NAMES if n not in ("duration", "ms_duration", "setuptime",
                                                "created", "ended_by"))
    out = []
    for r in pg.rows(f"SELECT {', '.join(cols)} FROM {table} {where} ORDER BY id"):
        out.append({n: (None if v == "\\N" else v) for n, v in zip(names, r)})
    return out


def row_count(pg, table="acc", where=""):
    return pg.scalar(f"SELECT count(*) FROM {table} {where}")


def wait_count(pg, table, n, timeout, where=""):
    last = [None]

    def done():
        last[0] = row_count(pg, table, where)
        return last[0] == n
    if not wait_until(done, timeout, 0.25):
        raise TestFailure(f"{table} {where}: {last[0]} rows after {timeout}s, expected {n}")


def near(value, want, tolerance, what):
    check(value is not None and abs(float(value) - want) <= tolerance,
          f"{what}: {value} (expected {want} +- {tolerance})")



def spool_line(table, columns):
    """A spool line as acc writes it (modules/acc/acc_record.h): A1, the table, col=value,
    the CRC-32 of what precedes it.  Values must need no escaping here."""
    body = "\t".join(["A1", table] + [f"{k}={v}" for k, v in columns])
    return f"{body}\t#{zlib.crc32(body.encode()):08x}\n"
