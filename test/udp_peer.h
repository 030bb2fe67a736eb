// A UDP socket bound to 127.0.0.1 on a free port, for unit tests that need a peer on the
// wire: a next hop that records what arrives, or a DNS server that never answers.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sipline::testing {

class UdpPeer {
 public:
  UdpPeer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
  }
  ~UdpPeer() { ::close(fd_); }
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;

  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // The next datagram ("" after timeout_ms) and the port it came from.
  std::string receive(std::uint16_t& from_port, int timeout_ms = 1000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return "";
    char buf[65536];
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    ssize_t n = ::recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    from_port = ntohs(from.sin_port);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  // How many datagrams are waiting (drains them).
  int drain() {
    int n = 0;
    char buf[2048];
    while (::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT) > 0) ++n;
    return n;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace sipline::testing
