// Listeners: the sockets the server receives on, bound by the master before fork and
// inherited by the workers: UDP sockets, and listening TCP and TLS sockets (their
// connections are core/transport/tcp_worker.h's). Also answers "is this host[:port] me?" (the
// script's `myself`) from the listeners' addresses, their advertised names and the configured
// aliases. Process-private copies (identical in every process after fork).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/config/socket_spec.h"
#include "core/transport/sock_addr.h"

namespace sipline {

struct Listener {
  int fd = -1;
  Proto proto = Proto::kUdp;
  SockAddr addr;
  std::string ip;  // numeric, no brackets
  std::uint16_t port = 0;
  std::string via_host;  // what we write in Via/Record-Route (advertised, or ip; [v6])
  std::uint16_t via_port = 0;
  SockAddr via_addr;  // via_host when numeric (else family 0)
  std::string text;   // "udp:127.0.0.1:5060"
  int index = 0;
};

class Listeners {
 public:
  // Binds every socket (master, before dropping privileges). Errors name the socket. A
  // wildcard address (0.0.0.0, ::) needs an advertised address ("... as 192.0.2.10").
  Status bindAll(const std::vector<SocketSpec>& specs);
  // The same checks and Listener records as bindAll() without opening a socket (fd -1), for
  // the route simulator (sipline --simulate), which must not take a running server's ports.
  Status addUnbound(const std::vector<SocketSpec>& specs);
  void setAliases(const std::vector<std::string>& aliases);
  // The sockets of the settings, known before they are bound (the script compiles first), so
  // force_send_socket() and $fs can check their argument at load time and in `sipline -c`.
  void declare(const std::vector<SocketSpec>& specs);
  // The canonical texts ("udp:127.0.0.1:5060") of the bound sockets, else the declared ones.
  std::vector<std::string> socketTexts() const;
  void closeAll();
  const std::vector<Listener>& all() const { return listeners_; }
  // The socket to send from towards `dst` over `proto` (same transport and address family;
  // prefers `preferred`, then a socket on its address). nullptr when none fits.
  const Listener* forDestination(const SockAddr& dst, Proto proto, const Listener* preferred) const;
  bool has(Proto proto) const;
  // True when host (name, IPv4, or [IPv6]) and port (0 = any) designate this server.
  bool isMyself(std::string_view host, std::uint16_t port) const;

 private:
  Status addAll(const std::vector<SocketSpec>& specs, bool bind);
  std::vector<Listener> listeners_;
  std::vector<SockAddr> local_addrs_;  // interface addresses, when a socket is a wildcard
  struct Alias {
    std::string host;
    std::uint16_t port;  // 0 = any
  };
  std::vector<Alias> aliases_;
  std::vector<std::string> declared_;
};

// The process-global listener set.
Listeners& listeners();

}  // namespace sipline
