// Address groups of the permissions module: one row of the address table (AddressRow, as read
// from the DB), its checked and compiled form (AddressRule), and the AddressSet of every good
// rule that the checks search. Pure values: no DB, no shm, no script types, so the matching is
// tested directly.
//
// Matching (check_source_address, check_address, get_source_group): a rule matches when its
// group is the one asked for (0 asks for any group), the address falls in ip/mask (an IPv4
// request never matches an IPv6 rule; an IPv4-mapped IPv6 source counts as IPv4), the port is
// the rule's or the rule's port is 0 (a port 0 asked for matches every rule), the transport is
// the rule's or the rule's is "any" (a proto "any" asked for matches every rule), and, when the
// rule has a pattern, the pattern (a case-insensitive POSIX extended regex) matches the text.
// Rules are tried most specific prefix first, then by id, so the first hit (whose group and
// context_info the caller gets) is the narrowest one.
//
// Process-private; an AddressSet is immutable once built and shared by std::shared_ptr.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/regex.h"
#include "core/base/status.h"

namespace sipline::permissions {

// Transports as a bit mask (a rule's proto or what a check asks for).
enum ProtoBits : std::uint8_t {
  kProtoUdp = 1u << 0,
  kProtoTcp = 1u << 1,
  kProtoTls = 1u << 2,
  kProtoWs = 1u << 3,
  kProtoWss = 1u << 4,
  kProtoAny = 0x1f,
};
// "any", "udp", "tcp", "tls", "ws", "wss" (any case); false for anything else.
bool parseProto(std::string_view text, std::uint8_t& out);
const char* protoName(std::uint8_t bits);

// A numeric IPv4 or IPv6 address (no brackets or with them); an IPv4-mapped IPv6 address is
// stored as IPv4 (*mapped, when given, tells whether it was written so).
struct IpBytes {
  int family = 0;  // AF_INET or AF_INET6
  std::uint8_t bytes[16] = {};
  int bits() const;  // 32 or 128
};
bool parseIp(std::string_view text, IpBytes& out, bool* mapped = nullptr);
// The address of a socket address (AF_INET or AF_INET6; false for another family).
bool ipOfSockaddr(const sockaddr* sa, IpBytes& out);
std::string ipText(const IpBytes& ip);

// One row as stored (text as read; ints already converted).
struct AddressRow {
  std::int64_t id = 0;
  std::int64_t grp = 0;
  std::string ip;
  std::int64_t mask = 32;
  std::int64_t port = 0;
  std::string proto = "any";
  std::string pattern;
  std::string context_info;
};

struct AddressRule {
  std::int64_t id = 0;
  std::uint32_t grp = 0;
  IpBytes net;  // the address with the host bits cleared
  int mask = 32;
  std::uint16_t port = 0;
  std::uint8_t proto = kProtoAny;
  std::string pattern;
  std::shared_ptr<const Regex> regex;  // null without a pattern
  std::string context_info;
  AddressRow row;  // as read, for address_dump
};

// Checks and compiles one row; invalidArgument naming the bad field (group < 0, an address
// that is not numeric, a mask out of range for the family, a port outside 0..65535, an unknown
// proto, a pattern that does not compile). An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4
// rule: its mask is the IPv4 one (0..32) or the IPv6 one (96..128, converted).
Result<AddressRule> makeRule(const AddressRow& row);

// What a check looks for.
struct AddressQuery {
  std::uint32_t grp = 0;  // 0: any group
  IpBytes ip;
  std::uint16_t port = 0;          // 0: any port
  std::uint8_t proto = kProtoAny;  // one transport bit, or kProtoAny
  std::string_view text;           // matched against a rule's pattern
};

class AddressSet {
 public:
  // Builds the set from rows; a bad row is skipped with a log line (SL_ERR) naming its id and
  // why, and counted in *skipped when not null.
  static std::shared_ptr<const AddressSet> build(const std::vector<AddressRow>& rows,
                                                 std::uint64_t* skipped = nullptr);

  // The first matching rule in search order (see the header), nullptr when none.
  const AddressRule* find(const AddressQuery& q) const;
  const std::vector<AddressRule>& rules() const { return rules_; }
  std::size_t size() const { return rules_.size(); }

 private:
  std::vector<AddressRule> rules_;  // most specific first
};

// Whether ip falls in net/mask (families must agree).
bool inPrefix(const IpBytes& ip, const IpBytes& net, int mask);

}  // namespace sipline::permissions
