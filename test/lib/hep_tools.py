"""HEPv3 in the tests: decode a packet (hep_decode), wrap received HEP datagrams in a pcap
file (pcap_of_datagrams: Ethernet, IPv4, UDP; the checksum left 0) and read them back with
tshark through tools/wireshark/hep3.lua, the HEPv3 dissector tshark 4.0 lacks (tshark_hep)."""

import os
import shutil
import socket
import struct
import subprocess

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "wireshark",
                   "hep3.lua")


def hep_decode(data):
    """{chunk type: bytes} of a HEPv3 packet (vendor 0 chunks); ValueError when malformed."""
    if len(data) < 6 or data[:4] != b"HEP3":
        raise ValueError("not HEP3")
    total = struct.unpack("!H", data[4:6])[0]
    if total != len(data):
        raise ValueError(f"length {total} != {len(data)}")
    chunks, off = {}, 6
    while off < total:
        if off + 6 > total:
            raise ValueError("truncated chunk header")
        vendor, ctype, clen = struct.unpack("!HHH", data[off:off + 6])
        if clen < 6 or off + clen > total:
            raise ValueError(f"bad chunk length {clen} at {off}")
        if vendor == 0:
            chunks[ctype] = data[off + 6:off + clen]
        off += clen
    return chunks


def hep_fields(data):
    """The fields a test checks, from hep_decode(): family, ip_proto, src, dst (ip, port),
    time (s, us), proto_type, capture_id, correlation_id, payload (bytes)."""
    c = hep_decode(data)
    family = c[1][0]
    if family == 2:
        src_ip, dst_ip = socket.inet_ntop(socket.AF_INET, c[3]), socket.inet_ntop(socket.AF_INET, c[4])
    else:
        src_ip, dst_ip = (socket.inet_ntop(socket.AF_INET6, c[5]),
                          socket.inet_ntop(socket.AF_INET6, c[6]))
    u16 = lambda b: struct.unpack("!H", b)[0]  # noqa: E731
    u32 = lambda b: struct.unpack("!I", b)[0]  # noqa: E731
    return {"family": family, "ip_proto": c[2][0],
            "src": (src_ip, u16(c[7])), "dst": (dst_ip, u16(c[8])),
            "time": (u32(c[9]), u32(c[10])), "proto_type": c[11][0],
            "capture_id": u32(c[12]) if 12 in c else None,
            "auth_key": c.get(14, b"").decode(errors="replace"),
            "correlation_id": c.get(17, b"").decode(errors="replace"),
            "payload": c[15]}


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pcap_of_datagrams(datagrams, sport, dport, src="127.0.0.1", dst="127.0.0.1"):
    """A classic pcap file (bytes) with one Ethernet/IPv4/UDP frame per datagram."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for i, payload in enumerate(datagrams):
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
        frame = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00" + ip + udp
        out.append(struct.pack("<IIII", 1_800_000_000 + i, 0, len(frame), len(frame)) + frame)
    return b"".join(out)


def tshark_hep(pcap_path, port, fields):
    """Rows (lists of strings) of `fields` (e.g. "hep3.src_port", "sip.Method") for every HEP
    frame tshark decodes in pcap_path with hep3.lua on UDP port `port`; None without tshark."""
    if shutil.which("tshark") is None:
        return None
    args = ["tshark", "-n", "-X", f"lua_script:{LUA}", "-d", f"udp.port=={port},hep3",
            "-r", pcap_path, "-Y", "hep3", "-T", "fields"]
    for f in fields:
        args += ["-e", f]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"tshark failed ({r.returncode}): {r.stderr}")
    return [line.split("\t") for line in r.stdout.splitlines()]
