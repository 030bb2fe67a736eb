// Sends HEPv3 packets to one collector from the siptrace-writer process: "udp:IP:PORT" (one
// non-blocking datagram per packet) or "tcp:IP:PORT" (one stream; packets follow each other).
// Never blocks the writer more than briefly: a TCP connect is non-blocking and gets
// kConnectWaitMs per attempt, unsent bytes wait in a bounded buffer (kMaxPending), and a
// connection that fails is retried with a back-off doubling from 100 ms to 5 s. A packet that
// cannot be sent or buffered is dropped (send() returns false). Process-private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/transport/sock_addr.h"

namespace sipline::siptrace {

struct HepDestination {
  bool tcp = false;
  SockAddr addr;
};
// "udp:127.0.0.1:9060", "tcp:[::1]:9061" (numeric addresses only).
Result<HepDestination> parseHepDestination(std::string_view text);

class HepSender {
 public:
  static constexpr int kConnectWaitMs = 20;
  static constexpr std::size_t kMaxPending = 4 << 20;
  static constexpr std::int64_t kMinBackoffMs = 100;
  static constexpr std::int64_t kMaxBackoffMs = 5000;

  explicit HepSender(HepDestination dest) : dest_(dest) {}
  ~HepSender();
  HepSender(const HepSender&) = delete;
  HepSender& operator=(const HepSender&) = delete;

  // Sends (UDP) or queues and flushes (TCP) one packet; false when it was dropped.
  bool send(std::string_view packet, std::int64_t now_ms);
  // TCP: writes what is buffered, without waiting; reconnects when due.
  void flush(std::int64_t now_ms);
  bool connected() const { return fd_ >= 0 && !connecting_; }
  std::size_t pending() const { return pending_.size() - pending_at_; }

 private:
  bool ensureSocket(std::int64_t now_ms);
  void fail(std::int64_t now_ms, const char* what);
  void closeFd();

  HepDestination dest_;
  int fd_ = -1;
  bool connecting_ = false;
  std::string pending_;
  std::size_t pending_at_ = 0;
  std::int64_t retry_at_ms_ = 0;
  std::int64_t connect_deadline_ms_ = 0;
  std::int64_t backoff_ms_ = kMinBackoffMs;
  bool reported_ = false;
};

}  // namespace sipline::siptrace
