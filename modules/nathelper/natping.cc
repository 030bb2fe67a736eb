#include "modules/nathelper/natping.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "core/base/log.h"
#include "core/parser/name_addr.h"
#include "core/parser/uri.h"
#include "core/transport/conn_index.h"
#include "core/transport/send.h"

namespace sipline::nathelper {
namespace {

// The process's pinger, for tm's reply callback (a plain function; one pinger per server).
NatPinger* g_pinger = nullptr;

constexpr std::string_view kCrlfPing = "\r\n\r\n";

bool hasFlag(std::uint32_t flags, std::int64_t bit) {
  return bit >= 0 && bit <= 31 && (flags & (1u << bit)) != 0;
}

Proto protoOfSocket(std::string_view socket) {
  if (socket.rfind("tcp:", 0) == 0) return Proto::kTcp;
  if (socket.rfind("tls:", 0) == 0) return Proto::kTls;
  return Proto::kUdp;
}

// The proto a URI's transport parameter names (sips: means TLS), else `fallback`.
Proto protoOfUri(const SipUri& uri, Proto fallback) {
  if (uri.scheme == SipUri::Scheme::kSips) return Proto::kTls;
  std::string t(uri.transport);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (t == "udp") return Proto::kUdp;
  if (t == "tcp") return Proto::kTcp;
  if (t == "tls") return Proto::kTls;
  return fallback;
}

std::string randomTag() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

const Listener* socketFor(const usrloc::Contact& c, const PingDestination& dst) {
  for (const Listener& l : listeners().all()) {
    if (l.text == c.socket && l.proto == dst.proto && l.addr.family() == dst.addr.family()) {
      return &l;
    }
  }
  return listeners().forDestination(dst.addr, dst.proto, nullptr);
}

// A TCP/TLS contact is reached only over the connection it registered on: behind its NAT a
// new connection to it cannot get through, so a ping never opens one (as OpenSIPS).
bool streamGone(const PingDestination& dst) {
  if (dst.proto == Proto::kUdp) return false;
  ConnInfo conn;
  ConnIndex* index = connIndex();
  return index == nullptr || !index->find(dst.proto, dst.addr, conn);
}

// param: table (8 bits) | bucket (24 bits) | URI hash (32 bits).
std::uint64_t packParam(const usrloc::PingTarget& t) {
  return (static_cast<std::uint64_t>(t.table & 0xff) << 56) |
         (static_cast<std::uint64_t>(t.bucket & 0xffffff) << 32) |
         usrloc::pingUriHash(t.contact.uri);
}

}  // namespace

usrloc::PingMode selectPing(const NatPingConfig& cfg, const usrloc::Contact& c) {
  if (cfg.nated_only) {
    bool nated = cfg.nat_bflag >= 0 ? hasFlag(c.cflags, cfg.nat_bflag) : !c.received.empty();
    if (!nated) return usrloc::PingMode::kSkip;
  }
  if (hasFlag(c.cflags, cfg.sipping_bflag)) return usrloc::PingMode::kTracked;
  // A bare datagram needs the client's address; behind a Path the edge proxy pings.
  if (!c.path.empty()) return usrloc::PingMode::kSkip;
  Proto proto = protoOfSocket(c.socket);
  if (proto != Proto::kUdp && !cfg.tcp) return usrloc::PingMode::kSkip;
  return usrloc::PingMode::kUntracked;
}

Result<PingDestination> pingDestination(const usrloc::Contact& c) {
  std::string_view text = c.received.empty() ? std::string_view(c.uri) : c.received;
  SipUri uri;
  if (parseUri(text, uri) != ParseError::kOk || uri.scheme == SipUri::Scheme::kTel) {
    return Status::invalidArgument("'" + std::string(text) + "' is not a SIP URI");
  }
  PingDestination out;
  out.proto = protoOfUri(uri, c.received.empty() ? Proto::kUdp : protoOfSocket(c.socket));
  std::uint16_t port = uri.port != 0 ? uri.port : (out.proto == Proto::kTls ? 5061 : 5060);
  if (!SockAddr::fromNumeric(uri.hostNoBrackets(), port, out.addr)) {
    return Status::invalidArgument("'" + std::string(text) + "' has no numeric address");
  }
  return out;
}

tm::LocalRequest sipPingRequest(const NatPingConfig& cfg, const usrloc::Contact& c) {
  tm::LocalRequest r;
  r.method = cfg.sipping_method;
  r.ruri = c.uri;
  if (!cfg.sipping_from.empty()) r.from = "<" + cfg.sipping_from + ">;tag=" + randomTag();
  if (!c.path.empty()) {
    // RFC 3327 §5.2: the Path is the Route set towards the contact.
    std::vector<NameAddr> hops;
    if (parseNameAddrList(c.path, hops) == ParseError::kOk && !hops.empty()) {
      r.dst = std::string(hops.front().uri_text);
      r.headers = "Route: " + c.path + "\r\n";
    }
  } else {
    r.dst = c.received;
  }
  return r;
}

Status NatPinger::init(usrloc::Api* usrloc, tm::Api* tm) {
  if (!enabled()) return Status::ok();
  if (usrloc == nullptr) {
    return Status::failedPrecondition(
        "natping_interval needs the usrloc module (load it before nathelper)");
  }
  if (cfg_.sipping_bflag >= 0) {
    if (tm == nullptr) {
      return Status::failedPrecondition(
          "sipping_bflag needs the tm module (load it before nathelper)");
    }
    if (cfg_.sipping_method.empty() ||
        cfg_.sipping_method.find_first_of(" \t\r\n") != std::string::npos) {
      return Status::invalidArgument("sipping_method must be one method name");
    }
    if (!cfg_.sipping_from.empty()) {
      SipUri from;
      if (parseUri(cfg_.sipping_from, from) != ParseError::kOk) {
        return Status::invalidArgument("sipping_from '" + cfg_.sipping_from + "' is not a SIP URI");
      }
    }
    callback_ = tm->registerCallback(&NatPinger::onReply);
    g_pinger = this;
  }
  if (cfg_.nat_bflag < 0) cfg_.nat_bflag = usrloc->natBflag();  // OpenSIPS sets it there
  usrloc_ = usrloc;
  tm_ = tm;
  return Status::ok();
}

void NatPinger::tick(std::int64_t mono_ms) {
  if (!enabled() || usrloc_ == nullptr) return;
  const std::int64_t interval_ms = cfg_.interval_s * 1000;
  const std::uint64_t total = usrloc_->pingBuckets();
  if (pass_start_ms_ < 0) {
    pass_start_ms_ = mono_ms;
    cursor_ = 0;
  } else if (mono_ms - pass_start_ms_ >= interval_ms) {
    // A late tick: the rest of the pass first, so that no contact misses its ping.
    runBuckets(cursor_, total);
    pass_start_ms_ =
        mono_ms - pass_start_ms_ >= 2 * interval_ms ? mono_ms : pass_start_ms_ + interval_ms;
    cursor_ = 0;
  }
  // Spread: by a fraction f of the interval, a fraction f of the buckets is done.
  const auto elapsed = static_cast<std::uint64_t>(mono_ms - pass_start_ms_);
  std::uint64_t due = std::min<std::uint64_t>(
      total, total * (elapsed + 1) / static_cast<std::uint64_t>(interval_ms) + 1);
  runBuckets(cursor_, due);
}

void NatPinger::runBuckets(std::uint64_t from, std::uint64_t to) {
  if (to <= from) return;
  usrloc::PingBatch batch;
  usrloc_->collectPings(
      from, to, [this](const usrloc::Contact& c) { return selectPing(cfg_, c); },
      static_cast<int>(cfg_.max_pings_lost), batch);
  cursor_ = to;
  if (batch.removed != 0) {
    counters_.removed.inc(batch.removed);
    SL_NOTICE("nathelper: %llu contact(s) removed after %lld unanswered pings",
              static_cast<unsigned long long>(batch.removed),
              static_cast<long long>(cfg_.max_pings_lost));
  }
  for (const usrloc::PingTarget& t : batch.targets) ping(t);
}

void NatPinger::ping(const usrloc::PingTarget& t) {
  if (t.mode == usrloc::PingMode::kTracked) {
    tm::LocalRequest r = sipPingRequest(cfg_, t.contact);
    Result<PingDestination> dst = pingDestination(t.contact);
    if (dst.isOk() && t.contact.path.empty()) {
      if (streamGone(dst.value())) {
        // Not sent: it counts as lost at the next ping, and max_pings_lost of them remove the
        // contact that cannot be reached any more.
        counters_.no_connection.inc();
        SL_DBG("nathelper: no connection to %s left for its %s ping", t.contact.uri.c_str(),
               cfg_.sipping_method.c_str());
        return;
      }
      r.socket = socketFor(t.contact, dst.value());
    }
    Status st = tm_ != nullptr ? tm_->send(r, callback_, packParam(t))
                               : Status::failedPrecondition("no tm");
    if (!st.isOk()) {
      counters_.send_errors.inc();
      SL_ERR_RATELIMITED("nathelper: %s ping to %s failed: %s", cfg_.sipping_method.c_str(),
                         t.contact.uri.c_str(), st.message().c_str());
      return;
    }
    counters_.sip_sent.inc();
    return;
  }
  Result<PingDestination> dst = pingDestination(t.contact);
  const Listener* from = dst.isOk() ? socketFor(t.contact, dst.value()) : nullptr;
  if (from == nullptr) {
    counters_.send_errors.inc();
    SL_ERR_RATELIMITED("nathelper: cannot ping %s of %s: %s", t.contact.uri.c_str(), t.aor.c_str(),
                       dst.isOk() ? "no socket for its transport" : dst.status().message().c_str());
    return;
  }
  if (streamGone(dst.value())) {
    counters_.no_connection.inc();
    SL_DBG("nathelper: no connection to %s left for its ping", t.contact.uri.c_str());
    return;
  }
  SendResult sent = sendTo(*from, dst.value().addr, kCrlfPing);
  if (sent != SendResult::kOk) {
    counters_.send_errors.inc();
    SL_ERR_RATELIMITED("nathelper: ping to %s failed: %s", dst.value().addr.toString().c_str(),
                       sendResultText(sent));
    return;
  }
  counters_.crlf_sent.inc();
}

void NatPinger::onReply(const tm::LocalReply& reply, std::uint64_t param) {
  // A timeout is counted when the next ping finds this one still pending.
  if (reply.local || g_pinger == nullptr || g_pinger->usrloc_ == nullptr) return;
  // Any reply, even 404 or 405, shows the client is there and the pinhole open.
  g_pinger->counters_.answered.inc();
  g_pinger->usrloc_->pingAnswered(static_cast<std::uint32_t>(param >> 56),
                                  static_cast<std::uint32_t>((param >> 32) & 0xffffff),
                                  static_cast<std::uint32_t>(param));
}

}  // namespace sipline::nathelper
