#include "core/transport/sock_addr.h"

#include <arpa/inet.h>

#include <cstring>

namespace sipline {

bool SockAddr::fromNumeric(std::string_view ip, std::uint16_t port, SockAddr& out) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  char buf[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof(buf)) return false;
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  out = SockAddr{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.ss);
  if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.ss);
  if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::uint16_t SockAddr::port() const {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

void SockAddr::setPort(std::uint16_t port) {
  if (ss.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
  if (ss.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
}

std::string SockAddr::ip() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, and this runs per message
    // (received=, $si, traces).
    const auto* b = reinterpret_cast<const unsigned char*>(
        &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr);
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      if (i != 0) *p++ = '.';
      const unsigned v = b[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
    }
    return std::string(buf, static_cast<std::size_t>(p - buf));
  }
  if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

std::string SockAddr::ipForUri() const { return isV6() ? "[" + ip() + "]" : ip(); }

std::string SockAddr::toString() const { return ipForUri() + ":" + std::to_string(port()); }

bool SockAddr::sameIp(const SockAddr& other) const {
  if (ss.ss_family != other.ss.ss_family) return false;
  if (ss.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&other.ss)->sin_addr.s_addr;
  }
  if (ss.ss_family == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&other.ss)->sin6_addr,
                       sizeof(in6_addr)) == 0;
  }
  return false;
}

bool SockAddr::operator==(const SockAddr& other) const {
  return sameIp(other) && port() == other.port();
}

PackedAddr PackedAddr::of(const SockAddr& a) {
  PackedAddr p;
  std::size_t n = std::min<std::size_t>(a.len, sizeof(p.sa));
  std::memcpy(&p.sa, &a.ss, n);
  return p;
}

bool SockAddr::isAny() const {
  if (family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  return family() == AF_INET6 &&
         IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr);
}

SockAddr PackedAddr::unpack() const {
  SockAddr a;
  a.len = sa.sin6_family == AF_INET6  ? sizeof(sockaddr_in6)
          : sa.sin6_family == AF_INET ? sizeof(sockaddr_in)
                                      : 0;
  std::memcpy(&a.ss, &sa, a.len);
  return a;
}

}  // namespace sipline
