#include "core/transport/tcp_stats.h"

#include "core/transport/conn_index.h"

namespace sipline {

TcpStats& tcpStats() {
  static TcpStats s;
  return s;
}

Status declareTcpStats(StatsRegistry& r) {
  TcpStats& s = tcpStats();
  const struct {
    const char* name;
    StatCounter* counter;
    const char* help;
  } kTcp[] = {
      {"accepted", &s.accepted, "TCP/TLS connections accepted"},
      {"opened", &s.opened, "TCP/TLS connections opened to peers"},
      {"connect_failures", &s.connect_failures, "outgoing connections that failed or timed out"},
      {"refused", &s.refused,
       "connections refused at tcp_max_connections or tcp_max_connections_per_ip"},
      {"refused_per_ip", &s.refused_per_ip,
       "connections refused because their address held tcp_max_connections_per_ip"},
      {"closed_idle", &s.closed_idle, "connections closed after tcp_connection_lifetime idle"},
      {"closed_by_peer", &s.closed_by_peer, "connections closed or reset by the peer"},
      {"framing_errors", &s.framing_errors, "connections closed for an unframeable message"},
      {"slow_messages", &s.slow_messages, "connections closed for a message not complete in time"},
      {"write_queue_full", &s.write_queue_full,
       "connections closed with more than tcp_max_write_queue waiting"},
      {"send_errors", &s.send_errors, "messages that could not be queued or written"},
      {"handoff_failures", &s.handoff_failures,
       "messages not handed to the owning worker (channel full)"},
      {"handoff_orphans", &s.handoff_orphans, "handed-off messages whose connection had closed"},
      {"tls_handshakes", &s.tls_handshakes, "TLS handshakes completed"},
      {"tls_handshake_failures", &s.tls_handshake_failures, "TLS handshakes failed or timed out"},
  };
  for (const auto& c : kTcp) {
    Status st = r.declare("tcp", c.name, c.counter, StatKind::kCounter, c.help);
    if (!st.isOk()) return st;
  }
  return r.declareComputed(
      "tcp", "connections",
      []() -> std::uint64_t { return connIndex() != nullptr ? connIndex()->size() : 0; },
      "TCP/TLS connections open");
}

}  // namespace sipline
