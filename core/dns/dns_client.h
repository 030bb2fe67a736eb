// The seam between the RFC 3263 logic and the wire: a DnsClient answers a batch of questions
// before a deadline. The production client is AresClient (c-ares); unit tests use a fake
// with canned answers. Private memory, one instance per process.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dns/dns_types.h"

namespace sipline::dns {

class DnsClient {
 public:
  virtual ~DnsClient() = default;
  // Asks every question at once and waits until each has an answer or deadline_ms (on the
  // monotonicMs() clock) passes; questions still open then are kTimeout. Never blocks past
  // the deadline. Answers come back in question order.
  virtual std::vector<DnsAnswer> query(const std::vector<DnsQuestion>& questions,
                                       std::int64_t deadline_ms) = 0;
};

}  // namespace sipline::dns
