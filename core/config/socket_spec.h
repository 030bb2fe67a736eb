// Listening socket specifications as written in sipline.cfg ("udp:127.0.0.1:5060",
// "udp:[::1]:5062", "tls:10.0.0.1", "udp:10.0.0.1:5060 as 198.51.100.7:5060") and the small
// host[:port] parser shared with the other address-valued settings (alias, mi.http).
// Pure functions over text: no I/O, no name resolution, no logging. A SocketSpec is a plain
// private-memory value (std::string inside), not shm-safe.
// Syntax follows OpenSIPS 3: PROTO ":" ADDRESS [":" PORT] [" as " HOST [":" PORT]].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace sipline {

enum class Proto : std::uint8_t { kUdp, kTcp, kTls };

// "udp", "tcp", "tls".
const char* protoName(Proto p);
// 5060 for udp and tcp, 5061 for tls (RFC 3261 §19.1.2).
std::uint16_t defaultPort(Proto p);

struct SocketSpec {
  Proto proto = Proto::kUdp;
  std::string address;  // canonical numeric IPv4 or IPv6, without brackets; never a host name
  std::uint16_t port = 5060;
  bool ipv6 = false;
  // "as HOST[:PORT]": what goes into Via/Record-Route instead of the bound address (NAT).
  // `advertised` is "host:port" ("[v6]:port" for IPv6) with the port defaulting to `port`;
  // all three are empty/0 when there is no "as" part.
  std::string advertised;
  std::string advertised_host;  // as written (lower-cased), IPv6 without brackets
  std::uint16_t advertised_port = 0;
  std::string text;  // canonical "udp:127.0.0.1:5060" / "udp:[::1]:5060" (no "as" part)
};

// Parses one socket. The protocol is case-insensitive; the port defaults to defaultPort(proto);
// the address must be numeric (0.0.0.0 and :: are fine, host names and "*" are not) and IPv6
// must be bracketed. On error returns Status::invalidArgument("socket 'TEXT': reason").
// tcp and tls parse here; whether they may be used is the caller's decision.
Result<SocketSpec> parseSocketSpec(std::string_view text);

// host[:port] where host is a DNS name, a dotted IPv4 address or a bracketed IPv6 address.
struct HostPort {
  std::string host;        // lower-cased; canonical for numeric addresses; IPv6 without brackets
  std::uint16_t port = 0;  // 0 when absent
  bool ipv6 = false;
  bool numeric = false;  // host is an IP address
  // "host" or "host:port", IPv6 in brackets.
  std::string toString() const;
};

enum class HostRule : std::uint8_t { kNameOrAddress, kNumericOnly };
enum class PortRule : std::uint8_t { kOptional, kRequired };

// Parses host[:port]. Errors are Status::invalidArgument with a reason and no prefix
// ("port '0' is out of range 1..65535"); callers add what the text was for.
Result<HostPort> parseHostPort(std::string_view text, HostRule host_rule, PortRule port_rule);

}  // namespace sipline
