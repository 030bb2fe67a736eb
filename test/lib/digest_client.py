"""A small SIP digest client (RFC 3261 §22, RFC 7616, RFC 8760) on Python's hashlib, for what
Debian's sipp cannot do: SHA-256 and SHA-512-256, a replayed nonce, an exact nonce-count.

  challenges(reply)              the digest challenges of a 401/407 in order:
                                 [Challenge(realm, nonce, algorithm, qop, opaque, stale)]
  pick(challenges, algorithm)    the first challenge offering `algorithm`
  ha1(user, realm, password, algorithm)
  Credentials(user, password, ...).authorization(challenge, method, uri, nc=1)
                                 the Authorization/Proxy-Authorization value (qop=auth when
                                 offered, else RFC 2069 style)
  DigestUa(server_addr, user, domain, password[, contact_port])   a UdpPeer that registers
                                 (its Contact: its own port or `contact_port`) and calls:
      ua.register(auth=None, expires=60)          one REGISTER; `auth` is a header line
      ua.register_with_auth(algorithm="MD5")      REGISTER, 401, REGISTER with credentials;
                                                  returns (challenge reply, final reply, header)
      ua.request(method, ruri, auth=None, ...)    any request of this UA's dialog-less kind
      ua.authenticated(method, ruri, algorithm)   the same with the 401/407 round trip
  set_header(data, name, value)  a built request (bytes) with one header replaced or added

Stdlib only; every wait is bounded (UdpPeer.expect_reply timeouts)."""

import hashlib
import os
import re

from harness import LOOPBACK, UdpPeer, build_request, check, new_callid

ALGORITHMS = {
    "MD5": lambda b: hashlib.md5(b).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
    "SHA-512-256": lambda b: hashlib.new("sha512_256", b).hexdigest(),
}


def digest_hash(algorithm, text):
    return ALGORITHMS[algorithm.upper()](text.encode())


def ha1(user, realm, password, algorithm="MD5"):
    """H(username:realm:password) (RFC 7616 §3.4.2), lower-case hex."""
    return digest_hash(algorithm, f"{user}:{realm}:{password}")


class Challenge:
    def __init__(self, params, header):
        self.header = header                      # "www-authenticate" / "proxy-authenticate"
        self.realm = params.get("realm", "")
        self.nonce = params.get("nonce", "")
        self.algorithm = params.get("algorithm", "MD5")
        self.qop = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
        self.opaque = params.get("opaque")
        self.stale = params.get("stale", "").lower() == "true"
        self.params = params

    def __repr__(self):
        return (f"<Challenge {self.algorithm} realm={self.realm!r} qop={self.qop} "
                f"stale={self.stale}>")


_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')


def parse_challenge(value, header):
    """One header value "Digest a=b, c="d"" -> Challenge (None for another scheme)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            break
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r"\\(.)", r"\1", v[1:-1])
        params[m.group(1).lower()] = v
        pos = m.end()
    return Challenge(params, header)


def challenges(reply):
    """Every digest challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate), in the
    order the server sent them (one per header; SipMsg does not split these at commas)."""
    name = "www-authenticate" if reply.status == 401 else "proxy-authenticate"
    out = []
    for v in reply.all(name):
        c = parse_challenge(v, name)
        if c:
            out.append(c)
    return out


def pick(chs, algorithm="MD5"):
    for c in chs:
        if c.algorithm.upper() == algorithm.upper():
            return c
    raise AssertionError(f"no {algorithm} challenge among {chs}")


class Credentials:
    def __init__(self, user, password, username=None):
        self.user = user
        self.password = password
        self.username = username if username is not None else user

    def authorization(self, ch, method, uri, nc=1, cnonce=None, response=None, realm=None):
        """The credentials value answering challenge `ch` (qop=auth if offered). `response`
        overrides the computed one (a forged answer); `realm` the realm sent."""
        alg = ch.algorithm
        realm = ch.realm if realm is None else realm
        h1 = ha1(self.username, ch.realm, self.password, alg)
        h2 = digest_hash(alg, f"{method}:{uri}")
        parts = [f'username="{self.username}"', f'realm="{realm}"', f'nonce="{ch.nonce}"',
                 f'uri="{uri}"']
        if "auth" in ch.qop:
            cnonce = cnonce or os.urandom(8).hex()
            ncs = f"{nc:08x}"
            resp = digest_hash(alg, f"{h1}:{ch.nonce}:{ncs}:{cnonce}:auth:{h2}")
            parts += [f"algorithm={alg}", f'response="{response or resp}"', "qop=auth",
                      f'cnonce="{cnonce}"', f"nc={ncs}"]
        else:
            resp = digest_hash(alg, f"{h1}:{ch.nonce}:{h2}")
            parts += [f"algorithm={alg}", f'response="{response or resp}"']
        if ch.opaque is not None:
            parts.append(f'opaque="{ch.opaque}"')
        return "Digest " + ", ".join(parts)


def auth_header_line(ch, value):
    name = "Authorization" if ch.header == "www-authenticate" else "Proxy-Authorization"
    return f"{name}: {value}"


class DigestUa(UdpPeer):
    """A UdpPeer acting as user@domain with a password; keeps one Call-ID for its REGISTERs
    and raises the CSeq like a real UA (RFC 3261 §10.2.4)."""

    def __init__(self, server_addr, user, domain, password, username=None, contact_port=None):
        super().__init__()
        self.contact_port = contact_port or self.port   # where calls for this UA go
        check(server_addr[0] == LOOPBACK, f"refusing non-loopback {server_addr}")
        self.server = server_addr
        self.user = user
        self.domain = domain
        self.creds = Credentials(user, password, username)
        self.reg_callid = new_callid()
        self.cseq = 0

    @property
    def aor(self):
        return f"sip:{self.user}@{self.domain}"

    @property
    def register_uri(self):
        """The request-URI of its REGISTERs: the server's address (RFC 3261 §10.2: the
        registrar's domain; here with the test port, so that it is the server's own)."""
        return f"sip:{self.server[0]}:{self.server[1]}"

    @property
    def contact(self):
        return f"<sip:{self.user}@{LOOPBACK}:{self.contact_port}>"

    def _next_cseq(self):
        self.cseq += 1
        return self.cseq

    def register(self, auth=None, expires=60, to=None, timeout=3.0):
        """One REGISTER for this AOR (or `to`); returns the final reply or None."""
        ruri = self.register_uri
        to = to or self.aor
        extra = [f"Expires: {expires}"]
        if auth:
            extra.append(auth)
        data = build_request("REGISTER", ruri, self.port, call_id=self.reg_callid,
                             cseq=f"{self._next_cseq()} REGISTER", extra=extra)
        data = set_header(data, "From", f"<{self.aor}>;tag={os.urandom(4).hex()}")
        data = set_header(data, "To", f"<{to}>")
        data = set_header(data, "Contact", self.contact)
        self.send(data, self.server)
        return self.expect_reply(timeout)

    def register_with_auth(self, algorithm="MD5", expires=60, to=None):
        """REGISTER, its 401, REGISTER with credentials for `algorithm`. Returns (401 reply,
        final reply, the Authorization line sent)."""
        first = self.register(expires=expires, to=to)
        check(first is not None and first.status == 401,
              f"REGISTER without credentials: expected 401, got {first and first.first}")
        ch = pick(challenges(first), algorithm)
        line = auth_header_line(ch, self.creds.authorization(ch, "REGISTER",
                                                             self.register_uri))
        return first, self.register(auth=line, expires=expires, to=to), line

    def request(self, method, ruri, auth=None, call_id=None, cseq=1, timeout=3.0,
                skip_provisional=True):
        """A request from this AOR to `ruri` (To = ruri); returns the (final) reply or None."""
        extra = [auth] if auth else []
        data = build_request(method, ruri, self.port, call_id=call_id or new_callid(),
                             cseq=f"{cseq} {method}", extra=extra)
        data = set_header(data, "From", f"<{self.aor}>;tag={os.urandom(4).hex()}")
        data = set_header(data, "Contact", self.contact)
        self.send(data, self.server)
        return self.expect_reply(timeout, skip_provisional)

    def authenticated(self, method, ruri, algorithm="MD5", timeout=3.0):
        """`method` to `ruri`, its 401/407, the same with credentials (a new CSeq, same
        Call-ID). Returns (challenge reply, final reply)."""
        cid = new_callid()
        first = self.request(method, ruri, call_id=cid, timeout=timeout)
        check(first is not None and first.status in (401, 407),
              f"{method} without credentials: expected 401/407, got {first and first.first}")
        ch = pick(challenges(first), algorithm)
        line = auth_header_line(ch, self.creds.authorization(ch, method, ruri))
        return first, self.request(method, ruri, auth=line, call_id=cid, cseq=2,
                                   timeout=timeout)


def set_header(data, name, value):
    """Replaces the first `name:` header line of a built request (bytes)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    for i, ln in enumerate(lines):
        if ln.lower().startswith(name.lower().encode() + b":"):
            lines[i] = f"{name}: {value}".encode()
            break
    else:
        lines.insert(len(lines) - 1, f"{name}: {value}".encode())
    return b"\r\n".join(lines) + sep + body
