// The tm service other modules use ("tm", Services): requests the server originates itself
// (BYE when a dialog times out, NAT keepalive OPTIONS, gateway probes) sent through a local
// transaction: timers, retransmissions, RFC 3263 resolution and failover as for relayed
// requests, local_route run on the request before it leaves, and the final reply (or a
// timeout as 408) delivered once to a callback, in whichever process it arrives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/transport/listener.h"

namespace sipline::tm {

struct LocalRequest {
  std::string method;   // "OPTIONS", "BYE", ...
  std::string ruri;     // request-URI
  std::string dst;      // next hop (URI or host[:port]); "" = the request-URI
  std::string from;     // From value with its tag; "" = sip:sipline@<socket>;tag=<random>
  std::string to;       // To value (with the tag for an in-dialog request); "" = ruri
  std::string call_id;  // "" = generated
  std::uint32_t cseq = 1;
  std::string headers;       // extra header lines, each ending in CRLF (Route, Contact, ...)
  std::string content_type;  // with a body
  std::string body;
  const Listener* socket = nullptr;  // nullptr: chosen by destination
};

struct LocalReply {
  int code = 0;  // the final code; 408 when nothing answered in time
  std::string reason;
  std::string message;  // the reply as received ("" when generated here)
  bool local = false;   // generated here (timeout, unreachable)
};

// Runs in the process where the final reply arrives (a worker or the timer process): keep it
// short and never block.
using LocalCallback = void (*)(const LocalReply& reply, std::uint64_t param);

class Api {
 public:
  virtual ~Api() = default;
  // Before fork (describe() or init()): makes `cb` known in every process; returns its id.
  virtual std::uint16_t registerCallback(LocalCallback cb) = 0;
  // After fork, any process. kFailedPrecondition when local_route dropped it, kUnavailable
  // when no destination works, kNoMemory when shm is full. callback 0: no report.
  virtual Status send(const LocalRequest& request, std::uint16_t callback, std::uint64_t param) = 0;
};

}  // namespace sipline::tm
