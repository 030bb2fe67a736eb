// NextHop: where a request should go, as the script or the request-URI names it, before RFC
// 3263 turns it into addresses (core/dns/resolver.h). parseNextHop() (core/sip/forward.h)
// builds it from "udp:host:port", "host:port", "host" or a sip: URI. Private memory value.
#pragma once

#include <cstdint>
#include <string>

#include "core/config/socket_spec.h"

namespace sipline {

struct NextHop {
  Proto proto = Proto::kUdp;
  std::string host;           // as written (IPv6 with brackets); a name or a numeric address
  std::uint16_t port = 5060;  // the written port, else the default port of `proto`
  bool port_set = false;      // a port was written: no SRV lookup (RFC 3263 §4.2)
  bool proto_set = false;     // "udp:" or ;transport= was written: no NAPTR lookup (§4.1)
  bool secure = false;        // a sips: URI (TLS only)
};

}  // namespace sipline
