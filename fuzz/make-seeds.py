#!/usr/bin/env python3
"""Regenerates the raw seed inputs of the fuzz targets from the corpora in test/corpora.

Writes <out>/message/ (whole SIP messages) and <out>/uri/ (URIs, Via, name-addr and CSeq
bodies taken from those messages). The committed corpora under fuzz/corpus/ are these seeds
after fuzzing and `-merge=1` minimisation (see fuzz/README.md); this script is kept so the
provenance can be checked and the seeding redone.

  message: every test/corpora/rfc4475/*.dat and rfc5118/*.dat as-is, and a sample of the
           PROTOS c07-sip cases (every --protos-step-th case of each SIP group, fewer of the SDP
           groups, plus the valid case 0 and its CANCEL teardown) with the placeholders
           substituted the way the PROTOS jar does (README of protos-c07-sip).
  uri:     the Request-URI, the URIs inside <> and the header bodies of Via, From, To,
           Contact, Route, Record-Route, CSeq of all of the above, deduplicated.

Usage: fuzz/make-seeds.py OUT_DIR   (run from anywhere; reads the repository's test/corpora)
"""
import hashlib
import io
import os
import re
import sys
import tarfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CORPORA = os.path.join(ROOT, "test", "corpora")
MAX_LEN = 65535  # the -max_len of the fuzz runs (and the parser's default max_message)

# Placeholders of the PROTOS templates and plausible values (documentation addresses).
PROTOS_VALUES = {
    b"<To>": b"bob@127.0.0.1",
    b"<From>": b"alice@192.0.2.10",
    b"<From-Address>": b"192.0.2.10",
    b"<From-IP>": b"192.0.2.10",
    b"<Local-Port>": b"5070",
    b"<Teardown-Method>": b"CANCEL",
}


def write_unique(directory, data, seen):
    digest = hashlib.sha1(data).hexdigest()
    if digest in seen or not data or len(data) > MAX_LEN:
        return
    seen.add(digest)
    with open(os.path.join(directory, digest), "wb") as f:
        f.write(data)


def protos_groups():
    groups = []
    with open(os.path.join(CORPORA, "protos-c07-sip", "GROUPS.tsv")) as f:
        next(f)
        for line in f:
            first, last, _count, name = line.rstrip("\n").split("\t")
            groups.append((int(first), int(last), name))
    return groups


def split_case(raw):
    """'<len1> SP <invite><len2> SP <teardown>' -> (invite, teardown)."""
    parts = []
    pos = 0
    while pos < len(raw):
        sp = raw.index(b" ", pos)
        n = int(raw[pos:sp])
        parts.append(raw[sp + 1 : sp + 1 + n])
        pos = sp + 1 + n
    return parts


def substitute(template, case):
    data = template
    for key, value in PROTOS_VALUES.items():
        data = data.replace(key, value)
    data = data.replace(b"<Branch-ID>", b"%07d" % case)
    data = data.replace(b"<Call-ID>", b"protos-%07d" % case)
    data = data.replace(b"<CSeq>", str(case + 1).encode())
    sep = data.find(b"\r\n\r\n")
    body_len = len(data) - (sep + 4) if sep >= 0 else 0
    return data.replace(b"<Content-Length>", str(body_len).encode())


def protos_seeds(step):
    groups = protos_groups()
    wanted = set()
    for first, last, name in groups:
        group_step = step if name.startswith("sip-") or name in ("valid", "crlf-request") else step * 4
        wanted.update(range(first, last + 1, group_step))
        wanted.add(last)
    path = os.path.join(CORPORA, "protos-c07-sip", "cases.tar.gz")
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile():
                continue
            case = int(os.path.basename(member.name))
            if case not in wanted:
                continue
            parts = split_case(tar.extractfile(member).read())
            yield substitute(parts[0], case)
            if case == 0 and len(parts) > 1:
                yield substitute(parts[1], case)


def dat_files(folder):
    d = os.path.join(CORPORA, folder)
    for name in sorted(os.listdir(d)):
        if name.endswith(".dat"):
            with open(os.path.join(d, name), "rb") as f:
                yield f.read()


HEADER_RE = re.compile(
    rb"^(via|v|from|f|to|t|contact|m|route|record-route|cseq|p-asserted-identity|refer-to|r)"
    rb"[ \t]*:[ \t]*(.*?)\r?$",
    re.IGNORECASE | re.MULTILINE,
)
ANGLE_RE = re.compile(rb"<([^<>\r\n]{1,512})>")


def uri_seeds(message):
    head = message.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    first = head.split(b"\n", 1)[0].rstrip(b"\r").split(b" ")
    if len(first) == 3 and not first[0].upper().startswith(b"SIP/"):
        yield first[1]
    for m in HEADER_RE.finditer(head):
        body = m.group(2).strip()
        if body:
            yield body
    for m in ANGLE_RE.finditer(head):
        yield m.group(1)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    msg_dir = os.path.join(out, "message")
    uri_dir = os.path.join(out, "uri")
    os.makedirs(msg_dir, exist_ok=True)
    os.makedirs(uri_dir, exist_ok=True)
    msg_seen, uri_seen = set(), set()
    messages = list(dat_files("rfc4475")) + list(dat_files("rfc5118"))
    messages += list(protos_seeds(step=12))
    for m in messages:
        write_unique(msg_dir, m, msg_seen)
        for u in uri_seeds(m):
            write_unique(uri_dir, u, uri_seen)
    print("make-seeds: %d message seeds, %d uri seeds in %s" % (len(msg_seen), len(uri_seen), out))


if __name__ == "__main__":
    main()
