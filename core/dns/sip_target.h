// SipTarget: one place a request can be sent to, as RFC 3263 resolution yields it (transport,
// address and port), with the name it came from for logs. A relay tries the targets of one
// resolution in order and fails over to the next on a timeout or a 503. Private memory value.
#pragma once

#include <string>

#include "core/config/socket_spec.h"
#include "core/transport/sock_addr.h"

namespace sipline::dns {

struct SipTarget {
  Proto proto = Proto::kUdp;
  SockAddr addr;     // address and port to send to
  std::string host;  // the SRV target or URI host it came from ("10.0.0.1" for numeric ones)
};

}  // namespace sipline::dns
