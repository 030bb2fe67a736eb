// Plain values shared by the DNS units: the record types the RFC 3263 resolver asks for, one
// answer (an RRset or why there is none), and the clock/random hooks tests inject. Private
// memory only (std::string/std::vector inside); the shm cache stores answers encoded
// (dns_cache.h), never these structs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"

namespace sipline::dns {

// Query types (RFC 1035, RFC 3596, RFC 2782, RFC 3403 numbers).
enum class RrType : std::uint16_t { kA = 1, kAaaa = 28, kSrv = 33, kNaptr = 35 };
const char* rrTypeName(RrType type);

// What a query ended with. kOk, kNoData and kNxDomain are answers (and may be cached);
// kTimeout and kFailure are not.
enum class Rcode : std::uint8_t { kOk, kNoData, kNxDomain, kTimeout, kFailure };
const char* rcodeText(Rcode rcode);
inline bool isAnswer(Rcode r) {
  return r == Rcode::kOk || r == Rcode::kNoData || r == Rcode::kNxDomain;
}

struct NaptrRecord {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;        // "s", "a", "u", "p" or "" (RFC 3403 §4.1)
  std::string service;      // "SIP+D2U", "SIP+D2T", "SIPS+D2T", ...
  std::string regexp;       // unused by SIP (RFC 3263 §4.1 wants it empty)
  std::string replacement;  // the SRV name to query next
  bool operator==(const NaptrRecord&) const = default;
};

struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // "." = the service is not offered here (RFC 2782)
  bool operator==(const SrvRecord&) const = default;
};

// A or AAAA address in network byte order; family is AF_INET or AF_INET6.
struct IpAddress {
  int family = 0;
  unsigned char bytes[16] = {};
  bool operator==(const IpAddress&) const = default;
};

// One query's result. Only the vector matching the query type is filled.
struct DnsAnswer {
  Rcode rcode = Rcode::kFailure;
  std::uint32_t ttl = 0;  // smallest TTL of the answer records (kOk only)
  std::vector<NaptrRecord> naptr;
  std::vector<SrvRecord> srv;
  std::vector<IpAddress> addrs;
  std::string error;  // why, for kFailure/kTimeout (logs)
};

struct DnsQuestion {
  std::string name;  // lower-case, no trailing dot (see normalizeName)
  RrType type = RrType::kA;
};

// Milliseconds of a clock shared by every process (monotonicMs() of core/base/clock.h), so
// expiry times can be stored in shm. Tests inject a fake one.
using NowMs = std::function<std::int64_t()>;
// A uniformly distributed integer in [0, bound]. Tests inject a scripted one.
using RandomUpTo = std::function<std::uint32_t(std::uint32_t bound)>;
// Per-process PRNG (reseeded after fork, so workers do not share one sequence).
std::uint32_t defaultRandomUpTo(std::uint32_t bound);

// Checks a DNS name (RFC 1035 §2.3.4: at most 253 characters without the root dot, labels of
// 1..63 characters; letters, digits, '-' and '_' (SRV labels)) and returns it lower-cased
// without a trailing dot. Empty on error, with the reason in `why`.
std::string normalizeName(std::string_view name, std::string* why);

}  // namespace sipline::dns
