// The capture point of every SIP message the server receives or sends: the receive path
// (MessageProcessor::onDatagram, UDP and stream alike) and sendTo() call captureMessage(), which
// hands the message to the sinks registered before fork (the flight recorder, siptrace). A sink
// runs in the capturing process, on the hot path: it copies what it keeps and never blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/transport/listener.h"
#include "core/transport/sock_addr.h"

namespace sipline::trace {

struct Captured {
  std::int64_t time_us = 0;  // unix time
  Proto proto = Proto::kUdp;
  bool outgoing = false;  // sent by the server
  const SockAddr* src = nullptr;
  const SockAddr* dst = nullptr;
  std::string_view message;  // as on the wire
  std::string_view call_id;  // "" when the message has none (or is not SIP)
};

class CaptureSink {
 public:
  virtual ~CaptureSink() = default;
  virtual void onCaptured(const Captured& c) = 0;
};

// Master, before fork. At most kMaxSinks; false when full.
inline constexpr int kMaxSinks = 4;
bool addCaptureSink(CaptureSink* sink);
void removeCaptureSinksForTest();

// True when any sink is registered (the callers skip building a Captured otherwise).
bool capturing();
// time_us: when the message was received or handed to the socket (0: now). A sender stamps
// before it sends, so that the reply a message caused never gets the earlier time.
void captureMessage(Proto proto, bool outgoing, const SockAddr& src, const SockAddr& dst,
                    std::string_view message, std::int64_t time_us = 0);

// The value of the first header named `name` or `compact` ("" compact: none) of a raw message,
// before the end of its headers; nullopt when absent. Case-insensitive, blanks before the
// colon allowed, the value trimmed, folded lines not joined: no full parse, for the capture
// path and the tracing modules.
std::optional<std::string_view> rawHeaderValue(std::string_view message, std::string_view name,
                                               std::string_view compact);

// The Call-ID header value of a raw message ("Call-ID:" or its compact form "i:"); "" when
// there is none.
std::string_view scanCallId(std::string_view message);

}  // namespace sipline::trace
