#include "core/dns/dns_types.h"

#include <unistd.h>

#include <cctype>
#include <random>

namespace sipline::dns {

const char* rrTypeName(RrType type) {
  switch (type) {
    case RrType::kA:
      return "A";
    case RrType::kAaaa:
      return "AAAA";
    case RrType::kSrv:
      return "SRV";
    case RrType::kNaptr:
      return "NAPTR";
  }
  return "?";
}

const char* rcodeText(Rcode rcode) {
  switch (rcode) {
    case Rcode::kOk:
      return "ok";
    case Rcode::kNoData:
      return "no records";
    case Rcode::kNxDomain:
      return "no such name";
    case Rcode::kTimeout:
      return "timeout";
    case Rcode::kFailure:
      return "failure";
  }
  return "?";
}

std::uint32_t defaultRandomUpTo(std::uint32_t bound) {
  static std::mt19937 engine;
  static pid_t seeded_in = 0;
  if (seeded_in != getpid()) {
    std::random_device seed;
    engine.seed(seed() ^ static_cast<std::uint32_t>(getpid()));
    seeded_in = getpid();
  }
  return std::uniform_int_distribution<std::uint32_t>(0, bound)(engine);
}

std::string normalizeName(std::string_view name, std::string* why) {
  auto fail = [why](const char* reason) {
    if (why != nullptr) *why = reason;
    return std::string();
  };
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return fail("empty host name");
  if (name.size() > 253) return fail("host name longer than 253 characters");
  std::string out;
  out.reserve(name.size());
  std::size_t label = 0;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (label == 0) return fail("empty label in host name");
      label = 0;
    } else if (std::isalnum(u) || c == '-' || c == '_') {
      if (++label > 63) return fail("host name label longer than 63 characters");
    } else {
      return fail("invalid character in host name");
    }
    out += static_cast<char>(std::tolower(u));
  }
  if (label == 0) return fail("empty label in host name");
  return out;
}

}  // namespace sipline::dns
