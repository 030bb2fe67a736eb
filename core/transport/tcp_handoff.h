// Hand-off channels: how a process gets a message onto a TCP/TLS connection another process
// owns. Each TCP worker has one unix datagram socket pair, made by the master before fork;
// every process holds the send ends. A datagram carries one SIP message for a connection the
// worker owns (kSend), or a new outgoing connection's socket (SCM_RIGHTS) with its first
// message (kAdopt). Sends never block: a full channel is a failed send (back-pressure to the
// caller, counted). Datagram boundaries keep each message whole; ordering holds per sender.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/config/socket_spec.h"
#include "core/transport/sock_addr.h"

namespace sipline {

enum class HandoffKind : std::uint8_t { kSend = 1, kAdopt = 2 };

struct HandoffHeader {
  std::uint32_t magic = kMagic;
  HandoffKind kind = HandoffKind::kSend;
  std::uint8_t proto = 0;
  std::int16_t listener = -1;
  std::uint64_t conn_id = 0;
  PackedAddr peer;
  std::uint16_t host_len = 0;  // kAdopt: the TLS server name follows the header
  static constexpr std::uint32_t kMagic = 0x53504c48;  // "SPLH"
};

struct HandoffMessage {
  HandoffHeader header;
  std::string host;     // kAdopt: the name the TLS peer is verified against ("" = numeric)
  std::string payload;  // the SIP message
  int fd = -1;          // kAdopt: the connecting socket (the receiver owns it)
};

class HandoffChannels {
 public:
  HandoffChannels() = default;
  ~HandoffChannels();
  HandoffChannels(const HandoffChannels&) = delete;
  HandoffChannels& operator=(const HandoffChannels&) = delete;
  // Master, before fork. `max_message` sizes the socket buffers.
  Status create(int workers, std::size_t max_message);
  int workers() const { return static_cast<int>(pairs_.size()); }
  int receiveFd(int worker) const { return pairs_[worker].receive; }
  // Non-blocking. False when the channel is full or broken (errno says which).
  bool send(int worker, const HandoffHeader& header, std::string_view host,
            std::string_view payload, int fd = -1);
  // Reads one message from a worker's receive fd. False when none is waiting (EAGAIN) or on
  // an error; a malformed datagram is discarded (and its descriptor closed) with a log line.
  static bool receive(int fd, HandoffMessage& out, std::string& scratch);

 private:
  struct Pair {
    int send = -1;
    int receive = -1;
  };
  std::vector<Pair> pairs_;
};

HandoffChannels& handoffChannels();

}  // namespace sipline
