// Statistics of the TCP and TLS transports (group "tcp"), counted by every process that
// accepts, opens, feeds or closes a connection. "connections" is the current count, read from
// the connection index.
#pragma once

#include "core/base/status.h"
#include "core/stats/stats.h"

namespace sipline {

struct TcpStats {
  StatCounter accepted;                // connections accepted from peers
  StatCounter opened;                  // connections we opened that connected
  StatCounter connect_failures;        // connects refused, unreachable or timed out
  StatCounter refused;                 // connections refused (either limit below)
  StatCounter refused_per_ip;          // of them, at tcp_max_connections_per_ip
  StatCounter closed_idle;             // closed after tcp_connection_lifetime without traffic
  StatCounter closed_by_peer;          // closed by the peer (EOF or reset)
  StatCounter framing_errors;          // streams closed for a message that cannot be framed
  StatCounter slow_messages;           // closed: a message not complete within its deadline
  StatCounter write_queue_full;        // closed: more than tcp_max_write_queue waiting
  StatCounter send_errors;             // messages that could not be queued or written
  StatCounter handoff_failures;        // hand-offs to the owning worker that failed (channel full)
  StatCounter handoff_orphans;         // handed-off messages whose connection had closed
  StatCounter tls_handshakes;          // TLS handshakes completed
  StatCounter tls_handshake_failures;  // TLS handshakes failed or timed out
};

TcpStats& tcpStats();
Status declareTcpStats(StatsRegistry& registry);

}  // namespace sipline
