// trace::Record: one SIP message as seen on the wire, the unit every tracing format works on
// (HEPv3 packets, pcap files, ladder diagrams; the capture hooks and the flight recorder fill
// it). A plain process-private value (std::string inside): not shm-safe.
// Also two small helpers shared by the formats that need an address family per record.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/config/socket_spec.h"
#include "core/transport/sock_addr.h"

namespace sipline::trace {

struct Record {
  std::int64_t time_us = 0;   // unix time, microseconds
  Proto proto = Proto::kUdp;  // kUdp, kTcp, kTls
  bool outgoing = false;      // sent by the server (false: received)
  SockAddr src, dst;          // IPv4 or IPv6
  std::string message;        // the SIP message bytes as on the wire
};

// True when a record must be framed as IPv6: when either address is IPv6 (the other, if IPv4,
// is then written v4-mapped, ::ffff:a.b.c.d). An address of no family counts as 0.0.0.0.
inline bool usesV6(const Record& r) { return r.src.isV6() || r.dst.isV6(); }

// Writes the 4 (v6 false) or 16 (v6 true) network-order address bytes of `a` to out.
inline void addressBytes(const SockAddr& a, bool v6, std::uint8_t* out) {
  std::memset(out, 0, v6 ? 16 : 4);
  if (a.isV6()) {
    // An IPv6 address in an IPv4 frame cannot occur (usesV6() picks the family).
    if (v6) std::memcpy(out, &reinterpret_cast<const sockaddr_in6*>(&a.ss)->sin6_addr, 16);
    return;
  }
  if (a.family() != AF_INET) return;
  const auto* v4 = &reinterpret_cast<const sockaddr_in*>(&a.ss)->sin_addr;
  if (!v6) {
    std::memcpy(out, v4, 4);
    return;
  }
  out[10] = 0xff;
  out[11] = 0xff;
  std::memcpy(out + 12, v4, 4);
}

}  // namespace sipline::trace
