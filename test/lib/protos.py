"""PROTOS c07-sip test material (test/corpora/protos-c07-sip): loading and instantiation.

    groups = load_groups()                 # 54 Group(name, first, last, count), case order
    cases = load_cases()                   # {number: Case(number, invite, teardown)}
    ep = Endpoint(server_port=..., local_port=...)
    dgram = cases[n].invite_bytes(ep, token)  # placeholders substituted, Content-Length set

A case file is the jar's raw "bugcat" payload:
    <len1> SP <INVITE template, len1 bytes><len2> SP <teardown template, len2 bytes>
(see the corpus README.md).  The templates use the placeholders listed in PLACEHOLDERS; this
module substitutes them with values that point at the test's own loopback ports and then
computes <Content-Length> from the body as it is after substitution.

Where the body starts: after the first CRLF CRLF of the substituted INVITE.  Cases 2417-2426
(group crlf-request) mutate exactly that empty line (to CRLF NUL, CRLF LF, CRLF CR CR ..., a
missing CRLF, ...); for them the body is taken to be the SDP that follows the mutated
separator (from the first "v=" after the Content-Length line), and if even that is missing,
everything after the Content-Length line.  The server then sees whatever the mutated
separator makes of it, which is the point of those cases.

Every datagram gets a `token` (a short string of letters and digits) that is put into
<Branch-ID> and <Call-ID>, so that a reply or a relayed copy can be traced back to the
datagram it came from even when one of those two headers is the mutated one: see
find_tokens().  Stdlib only.
"""

import os
import re
import tarfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "test", "corpora", "protos-c07-sip")
TARBALL = os.path.join(CORPUS, "cases.tar.gz")
GROUPS_TSV = os.path.join(CORPUS, "GROUPS.tsv")

CASE_COUNT = 4527
# Largest UDP payload over IPv4 (65535 - 8 UDP - 20 IP); the jar's -maxpdusize default.
MAX_UDP_PAYLOAD = 65507

PLACEHOLDERS = (b"<To>", b"<From>", b"<From-Address>", b"<From-IP>", b"<Local-Port>",
                b"<Branch-ID>", b"<Call-ID>", b"<CSeq>", b"<Teardown-Method>",
                b"<Content-Length>")


class Group:
    __slots__ = ("name", "first", "last", "count")

    def __init__(self, name, first, last, count):
        self.name, self.first, self.last, self.count = name, first, last, count

    def numbers(self):
        return range(self.first, self.last + 1)

    def __repr__(self):
        return f"Group({self.name!r}, {self.first}..{self.last})"


def load_groups(path=GROUPS_TSV):
    """GROUPS.tsv as a list of Group in case order; checks that they tile 0..4526."""
    groups = []
    with open(path, encoding="ascii") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["first_case", "last_case", "count", "group"]:
            raise ValueError(f"{path}: unexpected header {header}")
        for line in f:
            if not line.strip():
                continue
            first, last, count, name = line.rstrip("\n").split("\t")
            g = Group(name, int(first), int(last), int(count))
            if g.last - g.first + 1 != g.count:
                raise ValueError(f"{path}: group {name} count does not match its range")
            groups.append(g)
    expect = 0
    for g in groups:
        if g.first != expect:
            raise ValueError(f"{path}: group {g.name} starts at {g.first}, expected {expect}")
        expect = g.last + 1
    if expect != CASE_COUNT:
        raise ValueError(f"{path}: groups end at {expect - 1}, expected {CASE_COUNT - 1}")
    return groups


def split_payload(data):
    """(invite_template, teardown_template) from one case file; ValueError if the
    `<len> SP <bytes>` framing does not account for every byte."""
    parts = []
    pos = 0
    for _ in range(2):
        sp = data.index(b" ", pos)
        length = int(data[pos:sp].decode("ascii"))
        start = sp + 1
        if start + length > len(data):
            raise ValueError(f"template of {length} bytes runs past the end ({len(data)})")
        parts.append(data[start:start + length])
        pos = start + length
    if pos != len(data):
        raise ValueError(f"{len(data) - pos} stray bytes after the teardown template")
    return parts[0], parts[1]


class Endpoint:
    """Values for the placeholders: the server under test on 127.0.0.1:server_port, the test's
    own socket on 127.0.0.1:local_port."""

    def __init__(self, server_port, local_port, host="127.0.0.1", to_user="bob",
                 from_user="protos", teardown_method="CANCEL"):
        self.server_port = server_port
        self.local_port = local_port
        self.host = host
        self.to = f"{to_user}@{host}:{server_port}".encode()
        self.from_ = f"{from_user}@{host}:{local_port}".encode()
        self.teardown_method = teardown_method.encode()


_CL_LINE = re.compile(rb"Content-Length: <Content-Length>[^\n]*\n?")


def _body_start(msg):
    end = msg.find(b"\r\n\r\n")
    if end >= 0:
        return end + 4
    m = _CL_LINE.search(msg)
    if m is None:
        return len(msg)
    sdp = msg.find(b"v=", m.end())
    return sdp if sdp >= 0 else m.end()


def instantiate(template, ep, token, cseq):
    """The template with every placeholder substituted; <Content-Length> last, as the length
    of the body after substitution (a digit count change cannot move the body start: it is
    computed with the placeholder still in place, then the length is written)."""
    t = token.encode() if isinstance(token, str) else token
    out = template
    for name, value in ((b"<Teardown-Method>", ep.teardown_method),
                        (b"<From-Address>", ep.host.encode()),
                        (b"<From-IP>", ep.host.encode()),
                        (b"<Local-Port>", str(ep.local_port).encode()),
                        (b"<Branch-ID>", t),
                        (b"<Call-ID>", t),
                        (b"<CSeq>", str(cseq).encode()),
                        (b"<From>", ep.from_),
                        (b"<To>", ep.to)):
        out = out.replace(name, value)
    if b"<Content-Length>" in out:
        body_len = len(out) - _body_start(out)
        out = out.replace(b"<Content-Length>", str(body_len).encode())
    return out


class Case:
    __slots__ = ("number", "invite", "teardown")

    def __init__(self, number, invite, teardown):
        self.number, self.invite, self.teardown = number, invite, teardown

    def invite_bytes(self, ep, token, cseq=None):
        return instantiate(self.invite, ep, token, self.number + 1 if cseq is None else cseq)

    def teardown_bytes(self, ep, token, cseq=None):
        """The CANCEL for this case's INVITE: same Call-ID, branch and CSeq number."""
        return instantiate(self.teardown, ep, token, self.number + 1 if cseq is None else cseq)


def load_cases(path=TARBALL):
    """{number: Case} for all 4527 cases of cases.tar.gz (members protos/NNNNNNN)."""
    cases = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            name = os.path.basename(member.name)
            if not (len(name) == 7 and name.isdigit()):
                continue
            data = tar.extractfile(member).read()
            invite, teardown = split_payload(data)
            n = int(name)
            cases[n] = Case(n, invite, teardown)
    missing = sorted(set(range(CASE_COUNT)) - set(cases))
    if missing:
        more = "..." if len(missing) > 10 else ""
        raise ValueError(f"{path}: cases missing: {missing[:10]}{more}")
    return cases


# ---------------------------------------------------------------- tracing datagrams
def make_token(run_tag, index):
    """A token unique to datagram `index` of the run tagged `run_tag` (letters/digits only,
    valid in a branch and a Call-ID)."""
    return f"Q{run_tag}X{index}Z"


def token_regex(run_tag):
    return re.compile(rb"Q" + run_tag.encode() + rb"X(\d+)Z")


def find_tokens(rx, data):
    """The set of datagram indexes whose token appears in data."""
    return {int(m) for m in rx.findall(data)}


def status_of(data):
    """Status code of a SIP reply (bytes), or None if data is not a reply."""
    m = re.match(rb"SIP/2\.0 (\d{3}) ", data)
    return int(m.group(1)) if m else None


def cseq_method(data):
    """The method of the first CSeq header in data (bytes, '' if none)."""
    m = re.search(rb"\r\n(?:CSeq|cseq|CSEQ)\s*:\s*\d+\s+([^\r\n]*)", data)
    return m.group(1).strip() if m else b""


# ---------------------------------------------------------------- RFC 3261 verdicts
# For the groups whose mutated field a stateless relay must process and whose validity the
# RFC 3261 grammar decides without judgement, the fate the INVITE must meet:
#   "relay"   well-formed: must be relayed
#   "400"     malformed in a way the server can answer (the request line and top Via are
#             intact): must be answered 400 (RFC 3261 §16.3 step 1, §18.3 for Content-Length)
#   "reject"  malformed: 400 or dropped, never relayed
#   "483"     Max-Forwards 0 (§16.3 step 3)
# None: no verdict (the field is one a proxy need not parse, e.g. From, Contact, the SDP).
_TOKEN = re.compile(rb"[A-Za-z0-9\-.!%*_+`'~]+\Z")
_DIGITS = re.compile(rb"[0-9]+\Z")


def _header_value(msg, name):
    m = re.search(rb"\r\n" + re.escape(name) + rb": ?([^\r\n]*)\r\n", msg)
    return m.group(1) if m else None


def _body_len(msg):
    end = msg.find(b"\r\n\r\n")
    return len(msg) - end - 4 if end >= 0 else None


def rfc_verdict(group, msg, line_limit=16384):
    """The verdict for an instantiated INVITE `msg` of `group` (see above).  A request line
    longer than `line_limit` (the server's header line limit) may be refused without a
    reply, so its verdict is at most "reject"."""
    first = msg.split(b"\r\n", 1)[0]
    if group == "valid":
        return "relay"
    if group == "sip-method":
        # CSeq says INVITE (§8.1.1.5: the CSeq method MUST match the request method); a
        # method that is a token leaves the request line parseable, so the 400 can be sent
        method = first.split(b" ", 1)[0]
        if method == b"INVITE":
            return "relay"
        answerable = _TOKEN.match(method) and first.count(b" ") == 2 and \
            len(first) <= line_limit
        return "400" if answerable else "reject"
    if group == "sip-version":
        return "relay" if first.endswith(b" SIP/2.0") else "reject"
    if group == "sip-via-hostport":
        m = re.search(rb"\r\nVia: SIP/2\.0/UDP [^:\r\n]*:([^;\r\n]*);", msg)
        port = m.group(1) if m else b""
        ok = _DIGITS.match(port) and 1 <= int(port) <= 65535
        return "relay" if ok else "reject"
    if group == "sip-max-forwards":
        v = _header_value(msg, b"Max-Forwards")
        if v is None or not _DIGITS.match(v):
            return "400"
        n = int(v)
        return "483" if n == 0 else "relay" if n <= 255 else "400"
    if group == "sip-cseq-integer":
        v = _header_value(msg, b"CSeq") or b""
        num = v.split(b" ", 1)[0]
        return "relay" if _DIGITS.match(num) and int(num) < 2 ** 31 else "400"
    if group == "sip-content-length":
        v = _header_value(msg, b"Content-Length")
        body = _body_len(msg)
        return "relay" if v is not None and _DIGITS.match(v) and body is not None and \
            int(v) <= body else "400"
    return None


# Grammar checks for the notes (reported, not asserted: see test_protos.py).
_ALNUM = rb"[A-Za-z0-9]"
_DOMAINLABEL = rb"(?:%s(?:[A-Za-z0-9\-]*%s)?)" % (_ALNUM, _ALNUM)
_TOPLABEL = rb"(?:[A-Za-z](?:[A-Za-z0-9\-]*%s)?)" % _ALNUM
_HOSTNAME = rb"(?:(?:%s\.)*%s\.?)" % (_DOMAINLABEL, _TOPLABEL)
_IPV4 = rb"(?:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})"
_IPV6REF = rb"(?:\[[0-9A-Fa-f:.]+\])"
_HOST = rb"(?:%s|%s|%s)" % (_HOSTNAME, _IPV4, _IPV6REF)
_ESC = rb"(?:%[0-9A-Fa-f]{2})"
_USER = rb"(?:(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%s)+)" % _ESC
_PASSWORD = rb"(?:(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%s)*)" % _ESC
_PCHAR = rb"(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|%s)" % _ESC
_PARAMS = rb"(?:;%s+(?:=%s+)?)*" % (_PCHAR, _PCHAR)
_HEADERS = rb"(?:\?[A-Za-z0-9\-_.!~*'()\[\]/?:+$=&%]+)?"
SIP_URI = re.compile(rb"sips?:(?:%s(?::%s)?@)?%s(?::[0-9]+)?%s%s\Z"
                     % (_USER, _PASSWORD, _HOST, _PARAMS, _HEADERS), re.I)
HOST = re.compile(_HOST + rb"\Z")
SCHEME = re.compile(rb"[A-Za-z][A-Za-z0-9+\-.]*\Z")


def request_uri_problem(msg):
    """None if the Request-URI of `msg` is a valid SIP URI, else why not (RFC 3261 §25.1)."""
    parts = msg.split(b"\n", 1)[0].rstrip(b"\r").split(b" ")
    if len(parts) != 3:
        return "request line is not Method SP Request-URI SP SIP-Version"
    uri = parts[1]
    scheme = uri.split(b":", 1)[0]
    if scheme.lower() not in (b"sip", b"sips"):
        if SCHEME.match(scheme) and b":" in uri:
            return "unknown URI scheme (416 SHOULD, §16.3 step 2)"
        return "not a URI (bad scheme)"
    return None if SIP_URI.match(uri) else "malformed SIP URI"


def via_host_problem(msg):
    """None if the sent-by host of the first Via is a valid host (RFC 3261 §25.1), else why."""
    m = re.search(rb"\r\nVia: SIP/2\.0/UDP ([^;\r\n]*);", msg)
    if not m:
        return None
    sent_by = m.group(1)
    host = sent_by
    if not sent_by.startswith(b"["):
        host = sent_by.rsplit(b":", 1)[0] if b":" in sent_by else sent_by
    if HOST.match(host):
        return None
    return "sent-by host is not hostname / IPv4address / IPv6reference"


def teardown_is_mutated(case, base):
    """True if the case's teardown template differs from the valid case's beyond the case
    number (many groups mutate the teardown's request line, Via, From, To, Call-ID or CSeq
    the same way as the INVITE's)."""
    def norm(t):  # the case number appears in the branch, the From display name and tag
        t = re.sub(rb"z9hG4bK[0-9]+<", b"z9hG4bKN<", t)
        t = re.sub(rb"\r\nFrom: [0-9]+ <", b"\r\nFrom: N <", t)
        return re.sub(rb";tag=[0-9]+\r\n", b";tag=N\r\n", t)
    return norm(case.teardown) != norm(base.teardown)


MANDATORY_REPLY_HEADERS = (b"via", b"from", b"to", b"call-id", b"cseq")
_COMPACT = {b"v": b"via", b"f": b"from", b"t": b"to", b"i": b"call-id"}


def _header_names(msg):
    names = set()
    for line in msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        if b":" in line:
            name = line.split(b":", 1)[0].strip().lower()
            names.add(_COMPACT.get(name, name))
    return names


def missing_reply_headers(reply, request):
    """Of Via/From/To/Call-ID/CSeq, those `request` has (by name) and `reply` lacks: RFC
    3261 §8.2.6.2 has a response copy them."""
    have, had = _header_names(reply), _header_names(request)
    return [h.decode() for h in MANDATORY_REPLY_HEADERS if h in had and h not in have]
