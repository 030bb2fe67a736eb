// Sends HEPv3 packets to one collector from the siptrace-writer process: "udp:IP:PORT" (one
// non-blocking datagram per packet, on a connected socket) or "tcp:IP:PORT" (one stream; packets
// follow each other). Never blocks or waits: a TCP connect is non-blocking and is checked (without
// waiting) by each flush() and send(), for kConnectTimeoutMs of real time; packets sent meanwhile
// and unsent bytes wait in a bounded buffer (kMaxPending), and a connection that fails is retried
// with a back-off doubling from 100 ms to 5 s (packets buffered then are lost). A packet that
// cannot be sent or buffered is refused (send() returns false). Every packet accepted ends in
// exactly one of sent() (written whole to the socket) and lost() (buffered, then discarded
// with a connect that failed or a stream that broke), or is still pending. UDP packets must fit
// a datagram: encode them with max_packet = trace::kHepMaxUdpPacket. Process-private.
#pragma once

#include <cstdint>
#include <deque>
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
  static constexpr std::int64_t kConnectTimeoutMs = 1000;
  static constexpr std::size_t kUdpBatch = 64;   // datagrams per sendmmsg()
  static constexpr std::size_t kIovBatch = 256;  // TCP packets per sendmsg()
  static constexpr std::size_t kMaxPending = 4 << 20;
  static constexpr std::int64_t kMinBackoffMs = 100;
  static constexpr std::int64_t kMaxBackoffMs = 5000;

  explicit HepSender(HepDestination dest) : dest_(dest) {}
  ~HepSender();
  HepSender(const HepSender&) = delete;
  HepSender& operator=(const HepSender&) = delete;

  // Sends (UDP) or queues and flushes (TCP) one packet; false when it was refused (UDP: not
  // sent). A TCP packet accepted counts later in sent() or lost().
  bool send(std::string_view packet, std::int64_t now_ms);
  // Several packets: UDP in sendmmsg() batches of kUdpBatch; TCP written straight from
  // `packets` (sendmsg() batches of kIovBatch) when nothing is buffered, the rest buffered.
  // Returns how many were accepted: sent (UDP), or written or buffered (TCP); the others were
  // refused.
  std::size_t sendMany(const std::string_view* packets, std::size_t n, std::int64_t now_ms);
  // TCP: completes a connect in progress and writes what is buffered, without waiting;
  // reconnects when due and there is something to send.
  void flush(std::int64_t now_ms);
  bool tcp() const { return dest_.tcp; }
  bool connected() const { return fd_ >= 0 && !connecting_; }
  std::size_t pending() const { return pending_.size() - pending_at_; }
  // TCP packets written straight from the caller's memory (not through the buffer).
  std::uint64_t writtenDirect() const { return written_direct_; }
  // Packets written whole to the socket, and packets accepted but then discarded from the
  // buffer; both since construction (callers count the difference between two reads).
  std::uint64_t sent() const { return sent_; }
  std::uint64_t lost() const { return lost_; }
  // TCP: discards what is still buffered (the writer stops), counting it in lost().
  void discardPending();

 private:
  // Opens the socket (TCP: starts the connect) unless it is open; false in the back-off.
  bool ensureSocket(std::int64_t now_ms);
  // A connect in progress: true once it completed, fails it after the deadline.
  bool checkConnect(std::int64_t now_ms);
  void markConnected();
  bool sendUdp(std::string_view packet, std::int64_t now_ms);
  // After a failed UDP send (errno set): logs a passing error; a lasting one closes the
  // socket so that a new one (and a new source address) is opened after the back-off.
  void udpError(std::int64_t now_ms);
  // TCP, connected with nothing buffered: writes packets in order until the socket is full;
  // how many were written (a packet cut by a full socket counts: its rest is buffered).
  std::size_t writeDirect(const std::string_view* packets, std::size_t n, std::int64_t now_ms);
  std::size_t sendManyTcp(const std::string_view* packets, std::size_t n, std::int64_t now_ms);
  // TCP: appends to the buffer (starting a connect when needed) without writing.
  bool queueTcp(std::string_view packet, std::int64_t now_ms);
  // Appends the tail of a packet (its whole, or the rest a short write left) to the buffer.
  void appendPending(std::string_view bytes);
  // `n` more buffered bytes reached the socket: counts the packets they complete.
  void consumePending(std::size_t n);
  void fail(std::int64_t now_ms, const char* what);
  void closeFd();

  HepDestination dest_;
  int fd_ = -1;
  bool connecting_ = false;
  std::string pending_;
  std::size_t pending_at_ = 0;
  // Where each buffered packet ends, as a count of bytes ever buffered (unaffected by the
  // buffer's compaction), and how many buffered bytes were ever written or discarded.
  std::deque<std::uint64_t> pending_ends_;
  std::uint64_t buffered_total_ = 0;
  std::uint64_t drained_total_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t lost_ = 0;
  std::int64_t retry_at_ms_ = 0;
  std::int64_t connect_deadline_ms_ = 0;  // monotonicMs()
  std::int64_t backoff_ms_ = kMinBackoffMs;
  bool reported_ = false;
  std::uint64_t written_direct_ = 0;
};

}  // namespace sipline::siptrace
