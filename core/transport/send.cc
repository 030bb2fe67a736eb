#include "core/transport/send.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/trace/capture.h"
#include "core/transport/conn_index.h"
#include "core/transport/stream_send.h"

namespace sipline {

const char* sendResultText(SendResult r) {
  switch (r) {
    case SendResult::kOk:
      return "ok";
    case SendResult::kNoSocket:
      return "no socket for the destination's address family";
    case SendResult::kTooLarge:
      return "message too large for UDP";
    case SendResult::kError:
      return "send error";
  }
  return "?";
}

namespace {
constexpr std::size_t kMaxUdpPayload = 65507;  // 65535 - 8 (UDP) - 20 (IPv4)
SendCapture* g_capture = nullptr;

// NAT and RFC 5626 keepalives (CRLF only): not SIP messages, not recorded.
bool isKeepalive(std::string_view data) {
  return !data.empty() && data.find_first_not_of("\r\n") == std::string_view::npos;
}
}  // namespace

void setSendCapture(SendCapture* capture) { g_capture = capture; }

SendResult sendTo(const Listener& from, const SockAddr& to, std::string_view data,
                  std::string_view host) {
  const bool udp = from.proto == Proto::kUdp;
  if (g_capture != nullptr) {
    if (udp && data.size() > kMaxUdpPayload) return SendResult::kTooLarge;
    g_capture->captured(from, to, data);
    return SendResult::kOk;
  }
  // Stamped before the send: the reply it causes may be received (and stamped) before
  // sendto() returns here.
  const std::int64_t sent_us = trace::capturing() ? unixNowUs() : 0;
  if (!udp) {
    SendResult r = sendStream(from, to, data, host);
    if (r == SendResult::kOk && sent_us != 0 && !isKeepalive(data)) {
      trace::captureMessage(from.proto, true, from.addr, to, data, sent_us);
    }
    return r;
  }
  if (from.fd < 0) return SendResult::kNoSocket;
  if (data.size() > kMaxUdpPayload) return SendResult::kTooLarge;
  ssize_t n;
  do {
    n = ::sendto(from.fd, data.data(), data.size(), MSG_DONTWAIT, to.sa(), to.len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    SL_ERR_RATELIMITED("sendto %s from %s failed: %s", to.toString().c_str(), from.text.c_str(),
                       std::strerror(errno));
    return SendResult::kError;
  }
  if (sent_us != 0 && !isKeepalive(data)) {
    trace::captureMessage(from.proto, true, from.addr, to, data, sent_us);
  }
  return SendResult::kOk;
}

}  // namespace sipline

namespace sipline {

SendResult sendReplyTo(const Listener& from, const SockAddr& to, const SockAddr& fallback,
                       std::string_view data) {
  if (from.proto == Proto::kUdp || g_capture != nullptr || fallback.family() == 0) {
    return sendTo(from, to, data);
  }
  ConnInfo conn;
  ConnIndex* index = connIndex();
  if (index != nullptr && !index->find(from.proto, to, conn)) return sendTo(from, fallback, data);
  return sendTo(from, to, data);
}

}  // namespace sipline
