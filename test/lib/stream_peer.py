"""SIP over TCP and TLS for the integration tests (stdlib only: socket, ssl, selectors).

  * StreamPeer.connect(addr, tls=..., cert=...)   a client connection to the server
  * StreamListener(tls=...)                        a listening peer (a UAS or a phone's
                                                   listening port); accept() gives StreamPeers
  * frame(buffer)                                  cuts one SIP message off a byte buffer by
                                                   Content-Length (RFC 3261 §18.3)
  * CERTS                                          test/certs (test-only CA and certificates)

Every peer talks to 127.0.0.1 only and every wait is bounded.
"""

import os
import select
import socket
import ssl
import time

from harness import LOOPBACK, check, parse_sip

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "certs")


def cert(name):
    return os.path.join(CERTS, name)


def client_context(cafile=None, certfile=None, keyfile=None, verify=True,
                   maximum_version=None):
    """A TLS client context trusting the test CA (or `cafile`), optionally with a client
    certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(cafile or cert("ca.pem"))
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    if maximum_version is not None:
        ctx.maximum_version = maximum_version
    return ctx


def server_context(certfile=None, keyfile=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile or cert("server.pem"), keyfile or cert("server.key"))
    return ctx


def frame(buf):
    """(message, rest) when buf starts with a whole SIP message, else (None, buf). Leading
    CRLFs (keep-alive pongs) are skipped."""
    while buf[:2] == b"\r\n":
        buf = buf[2:]
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, buf
    length = 0
    for line in buf[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            length = int(value.strip())
    total = end + 4 + length
    if len(buf) < total:
        return None, buf
    return buf[:total], buf[total:]


class StreamPeer:
    """One TCP or TLS connection carrying SIP messages."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.pongs = 0
        self.closed = False
        self.local = sock.getsockname()
        self.port = self.local[1]

    @classmethod
    def connect(cls, addr, tls=False, context=None, server_hostname="localhost", timeout=5.0,
                source_port=0, source_host=""):
        check(addr[0] in (LOOPBACK, "::1"), f"refusing to connect to non-loopback {addr}")
        raw = socket.socket(socket.AF_INET6 if ":" in addr[0] else socket.AF_INET)
        raw.settimeout(timeout)
        if source_port or source_host:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            raw.bind((source_host or addr[0], source_port))
        raw.connect(addr)
        if tls:
            ctx = context or client_context()
            raw = ctx.wrap_socket(raw, server_hostname=server_hostname)
        return cls(raw)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, timeout):
        """Reads what arrives within `timeout`; False when nothing did (or the peer closed)."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            ready = True
        else:
            ready = select.select([self.sock], [], [], max(0.0, timeout))[0]
        if not ready:
            return False
        self.sock.settimeout(max(0.01, timeout))
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            self.closed = True
            return False
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def recv_raw(self, timeout=3.0):
        """The next whole message (bytes), else None."""
        deadline = time.monotonic() + timeout
        while True:
            before = len(self.buf)
            stripped = self.buf.lstrip(b"\r\n")
            self.pongs += (before - len(stripped)) // 2
            self.buf = stripped
            msg, self.buf = frame(self.buf)
            if msg is not None:
                return msg
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self._fill(left)

    def recv_msg(self, timeout=3.0):
        raw = self.recv_raw(timeout)
        return parse_sip(raw) if raw is not None else None

    def expect_reply(self, timeout=3.0, skip_provisional=True):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv_msg(max(0.0, deadline - time.monotonic()))
            if msg is None:
                return None
            if msg.is_reply and (not skip_provisional or (msg.status or 0) >= 200):
                return msg

    def expect_request(self, method, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv_msg(max(0.0, deadline - time.monotonic()))
            check(msg is not None, f"no {method} arrived on the connection")
            if not msg.is_reply and msg.method == method:
                return msg

    def wait_closed(self, timeout=3.0):
        """True once the server closed the connection (EOF or reset) within `timeout`."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            if not self._fill(deadline - time.monotonic()) and not self.closed:
                continue
        return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class StreamListener:
    """A listening TCP (or TLS) socket on 127.0.0.1:<free port>."""

    def __init__(self, tls=False, context=None, port=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.addr = (LOOPBACK, self.port)
        self.context = (context or server_context()) if tls else None

    def accept(self, timeout=3.0):
        """The next connection as a StreamPeer, else None."""
        if not select.select([self.sock], [], [], timeout)[0]:
            return None
        conn, _ = self.sock.accept()
        conn.settimeout(timeout)
        if self.context is not None:
            conn = self.context.wrap_socket(conn, server_side=True)
        return StreamPeer(conn)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
