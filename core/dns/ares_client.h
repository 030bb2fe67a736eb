// DnsClient over c-ares: queries are sent with ares_query (no search list: SIP names are
// fully qualified) and driven by poll() with ares_timeout capped by the caller's deadline,
// because UDP workers block while they resolve. The channel is created lazily in the process
// that uses it (a channel inherited through fork is thrown away: its sockets would be shared
// with the parent). When servers are configured /etc/resolv.conf is not read at all.
// Private memory; one instance per process; not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/dns/dns_client.h"

struct ares_channeldata;

namespace sipline::dns {

struct AresOptions {
  std::vector<std::string> servers;  // "127.0.0.1:5353", "[::1]:53"; empty = /etc/resolv.conf
  int timeout_ms = 1000;             // budget of a whole resolution (the caller's deadline)
  int retries = 1;                   // retransmissions of one query to one server
};

// The smallest TTL of the answer section of a DNS reply (c-ares 1.18 parses TTLs of A and
// AAAA only). False if the reply is malformed or has no answers. TTLs with the top bit set
// count as 0 (RFC 2181 §8).
bool minAnswerTtl(const unsigned char* abuf, int alen, std::uint32_t& ttl);

class AresClient : public DnsClient {
 public:
  explicit AresClient(AresOptions options) : options_(std::move(options)) {}
  ~AresClient() override;
  AresClient(const AresClient&) = delete;
  AresClient& operator=(const AresClient&) = delete;

  std::vector<DnsAnswer> query(const std::vector<DnsQuestion>& questions,
                               std::int64_t deadline_ms) override;

  // c-ares' first timeout: the budget spread over the tries, which double each round.
  static int perTryTimeoutMs(const AresOptions& options);

 private:
  Status ensureChannel();
  void destroyChannel();

  AresOptions options_;
  ares_channeldata* channel_ = nullptr;
  pid_t channel_pid_ = 0;
};

}  // namespace sipline::dns
