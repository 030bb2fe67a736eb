// NAT keepalives: the timer process pings registered contacts so that the NAT in front of
// them keeps their pinhole open, one pass over the location tables every natping_interval,
// spread evenly over that interval. A contact gets a SIP request (OPTIONS by default, through
// tm's local transactions, so it is retransmitted and times out like any other) when it
// carries sipping_bflag, else a bare CRLFCRLF datagram (nothing answers it; RFC 5626 §4.4.1
// uses the same bytes on streams). A SIP ping that goes unanswered until the next one counts
// as lost; max_pings_lost in a row remove the contact.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/stats/stats.h"
#include "core/transport/listener.h"
#include "core/transport/sock_addr.h"
#include "modules/tm/api.h"
#include "modules/usrloc/api.h"

namespace sipline::nathelper {

struct NatPingConfig {
  std::int64_t interval_s = 0;      // 0: no pings
  bool nated_only = true;           // only contacts marked NATed (nat_bflag, else `received`)
  std::int64_t nat_bflag = -1;      // branch flag of a NATed contact (-1: none)
  std::int64_t sipping_bflag = -1;  // branch flag of a contact pinged with SIP (-1: none)
  std::string sipping_from;         // From URI of SIP pings ("": tm's sip:sipline@<socket>)
  std::string sipping_method = "OPTIONS";
  std::int64_t max_pings_lost = 3;  // 0: never remove
  bool tcp = false;                 // also ping TCP/TLS contacts (CRLFCRLF on the connection)
};

// Whether and how c is pinged under cfg.
usrloc::PingMode selectPing(const NatPingConfig& cfg, const usrloc::Contact& c);

// Where a ping for c goes: its received address (the NAT's public side), else its URI's
// host when that is a numeric address. Path contacts are the edge proxy's to ping.
struct PingDestination {
  SockAddr addr;
  Proto proto = Proto::kUdp;
};
Result<PingDestination> pingDestination(const usrloc::Contact& c);

// The SIP request of a ping (tm::LocalRequest) for c.
tm::LocalRequest sipPingRequest(const NatPingConfig& cfg, const usrloc::Contact& c);

struct NatPingCounters {
  StatCounter crlf_sent;      // natping_crlf_sent
  StatCounter sip_sent;       // natping_sip_sent
  StatCounter answered;       // natping_answered
  StatCounter removed;        // natping_removed
  StatCounter send_errors;    // natping_send_errors
  StatCounter no_connection;  // natping_no_connection
};

class NatPinger {
 public:
  NatPingConfig& config() { return cfg_; }
  NatPingCounters& counters() { return counters_; }
  bool enabled() const { return cfg_.interval_s > 0; }

  // Master, before fork: checks the parameters, takes the services (tm only with
  // sipping_bflag) and registers the reply callback.
  Status init(usrloc::Api* usrloc, tm::Api* tm);
  // Timer process: the buckets due by mono_ms since the pass began.
  void tick(std::int64_t mono_ms);

  // One contact now (tick() and tests).
  void ping(const usrloc::PingTarget& target);

 private:
  void runBuckets(std::uint64_t from, std::uint64_t to);
  static void onReply(const tm::LocalReply& reply, std::uint64_t param);

  NatPingConfig cfg_;
  NatPingCounters counters_;
  usrloc::Api* usrloc_ = nullptr;
  tm::Api* tm_ = nullptr;
  std::uint16_t callback_ = 0;
  std::int64_t pass_start_ms_ = -1;
  std::uint64_t cursor_ = 0;  // the next bucket of the pass
};

}  // namespace sipline::nathelper
