// SockAddr: an IPv4 or IPv6 socket address as a value type (sockaddr_storage inside).
// Trivially copyable, so it may be stored in shm.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sipline {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;

  // Parses a numeric IPv4 or IPv6 address (brackets allowed around IPv6) and a port.
  static bool fromNumeric(std::string_view ip, std::uint16_t port, SockAddr& out);
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&ss); }
  int family() const { return ss.ss_family; }
  bool isV6() const { return ss.ss_family == AF_INET6; }
  std::uint16_t port() const;
  void setPort(std::uint16_t port);
  std::string ip() const;        // "127.0.0.1" / "::1" (no brackets)
  std::string ipForUri() const;  // "127.0.0.1" / "[::1]"
  std::string toString() const;  // "127.0.0.1:5060" / "[::1]:5060"
  bool sameIp(const SockAddr& other) const;
  // 0.0.0.0 or :: (a wildcard socket's address).
  bool isAny() const;
  bool operator==(const SockAddr& other) const;
};

// A SockAddr in 28 bytes instead of 136, for addresses kept in shm by the thousand (tm's
// transactions): an IPv4 address is a sockaddr_in in the first bytes of the sockaddr_in6.
struct PackedAddr {
  sockaddr_in6 sa{};
  static PackedAddr of(const SockAddr& a);
  SockAddr unpack() const;
};

}  // namespace sipline
