#include "core/dns/rfc3263.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "core/base/log.h"
#include "core/dns/dns_stats.h"

namespace sipline::dns {

// What went wrong on the way, to explain an empty result.
struct Rfc3263Resolver::Trace {
  bool timed_out = false;
  std::string failure;  // first server failure seen
  void note(const DnsAnswer& a) {
    if (a.rcode == Rcode::kTimeout) timed_out = true;
    if (a.rcode == Rcode::kFailure && failure.empty()) failure = a.error;
  }
};

namespace {

SockAddr toSockAddr(const IpAddress& ip, std::uint16_t port) {
  SockAddr out;
  if (ip.family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.ss);
    v4->sin_family = AF_INET;
    std::memcpy(&v4->sin_addr, ip.bytes, 4);
    out.len = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.ss);
    v6->sin6_family = AF_INET6;
    std::memcpy(&v6->sin6_addr, ip.bytes, 16);
    out.len = sizeof(sockaddr_in6);
  }
  out.setPort(port);
  return out;
}

bool sameTarget(const SipTarget& a, const SipTarget& b) {
  return a.proto == b.proto && a.addr == b.addr;
}

// sips: is TLS whatever the transport says (RFC 3261 §26.2.2); sips over UDP is an error.
Result<Proto> transportOf(std::optional<Proto> transport, bool secure, TransportSet usable) {
  if (secure && transport == Proto::kUdp) {
    return Status::invalidArgument("a sips: URI cannot use transport=udp");
  }
  const Proto p = secure ? Proto::kTls : transport.value_or(Proto::kUdp);
  if (!usable.has(p)) {
    return Status::unsupported(std::string(protoName(p)) + " is not available for relaying");
  }
  return p;
}

std::string shown(std::string_view host) {
  return std::string(host.substr(0, 80)) + (host.size() > 80 ? "..." : "");
}

}  // namespace

Rfc3263Resolver::Rfc3263Resolver(ResolverConfig config, DnsClient& client, DnsCache* cache,
                                 Blacklist* blacklist, NowMs now, RandomUpTo random)
    : config_(std::move(config)),
      client_(client),
      cache_(cache),
      blacklist_(blacklist),
      now_(std::move(now)),
      random_(std::move(random)) {}

std::vector<DnsAnswer> Rfc3263Resolver::lookup(const std::vector<DnsQuestion>& questions,
                                               std::int64_t deadline, Trace& trace) {
  DnsStats& stats = dnsStats();
  std::vector<DnsAnswer> out(questions.size());
  std::vector<std::size_t> asked_for;  // index in `questions` of each question sent
  std::vector<DnsQuestion> ask;
  std::int64_t now = now_();
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const DnsQuestion& q = questions[i];
    if (cache_ != nullptr) {
      if (std::optional<DnsAnswer> hit = cache_->get(q.name, q.type, now)) {
        stats.cache_hits.inc();
        out[i] = std::move(*hit);
        continue;
      }
    }
    asked_for.push_back(i);
    ask.push_back(q);
  }
  if (ask.empty()) return out;
  std::vector<DnsAnswer> got;
  if (now >= deadline) {
    got.resize(ask.size());
    for (DnsAnswer& a : got) a.rcode = Rcode::kTimeout;
  } else {
    stats.queries.inc(ask.size());
    got = client_.query(ask, deadline);
    now = now_();
  }
  for (std::size_t j = 0; j < ask.size() && j < got.size(); ++j) {
    DnsAnswer& a = got[j];
    trace.note(a);
    SL_DBG("dns: %s %s: %s (ttl %u) %s", rrTypeName(ask[j].type), ask[j].name.c_str(),
           rcodeText(a.rcode), a.ttl, a.error.c_str());
    if (cache_ != nullptr && isAnswer(a.rcode)) {
      const std::uint32_t ttl = a.rcode == Rcode::kOk
                                    ? std::clamp(a.ttl, config_.min_ttl, config_.max_ttl)
                                    : config_.negative_ttl;
      if (ttl > 0 && cache_->put(ask[j].name, ask[j].type, a, ttl, now) != PutResult::kStored) {
        stats.cache_full.inc();
      }
    }
    out[asked_for[j]] = std::move(a);
  }
  return out;
}

void Rfc3263Resolver::addAddresses(const std::vector<HostPlan>& plans, std::int64_t deadline,
                                   Trace& trace, std::vector<SipTarget>& out) {
  std::vector<DnsQuestion> questions;
  auto ask = [&](const std::string& name, RrType type) {
    for (const DnsQuestion& q : questions) {
      if (q.name == name && q.type == type) return;
    }
    questions.push_back(DnsQuestion{name, type});
  };
  for (const HostPlan& p : plans) {
    ask(p.name, RrType::kA);
    if (config_.try_ipv6) ask(p.name, RrType::kAaaa);
  }
  std::vector<DnsAnswer> answers = lookup(questions, deadline, trace);
  for (const HostPlan& p : plans) {
    for (RrType type : {RrType::kA, RrType::kAaaa}) {
      for (std::size_t i = 0; i < questions.size(); ++i) {
        if (questions[i].name != p.name || questions[i].type != type) continue;
        for (const IpAddress& ip : answers[i].addrs) {
          SipTarget t{p.proto, toSockAddr(ip, p.port), p.name};
          const bool seen = std::any_of(out.begin(), out.end(),
                                        [&](const SipTarget& o) { return sameTarget(o, t); });
          if (!seen && out.size() < kMaxTargets) out.push_back(std::move(t));
        }
      }
    }
  }
}

std::vector<NaptrChoice> Rfc3263Resolver::naptrChoices(const std::string& name, bool secure,
                                                       std::int64_t deadline, Trace& trace) {
  std::vector<DnsAnswer> naptr = lookup({DnsQuestion{name, RrType::kNaptr}}, deadline, trace);
  return selectNaptr(naptr[0].naptr, config_.transports, secure);
}

std::vector<Rfc3263Resolver::HostPlan> Rfc3263Resolver::srvPlans(
    const std::vector<NaptrChoice>& choices, std::int64_t deadline, Trace& trace, bool& any_srv) {
  std::vector<DnsQuestion> questions;
  for (const NaptrChoice& c : choices) questions.push_back(DnsQuestion{c.srv_name, RrType::kSrv});
  std::vector<DnsAnswer> answers = lookup(questions, deadline, trace);
  std::vector<HostPlan> plans;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (answers[i].rcode != Rcode::kOk) continue;
    any_srv = true;
    for (SrvRecord& r : orderSrv(std::move(answers[i].srv), random_)) {
      std::string target = normalizeName(r.target, nullptr);
      if (!target.empty()) plans.push_back(HostPlan{choices[i].proto, std::move(target), r.port});
    }
  }
  return plans;
}

void Rfc3263Resolver::blacklistedLast(std::vector<SipTarget>& targets) {
  if (blacklist_ == nullptr || targets.size() < 2) return;
  const std::int64_t now = now_();
  std::size_t moved = 0;
  std::stable_partition(targets.begin(), targets.end(), [&](const SipTarget& t) {
    const bool listed = blacklist_->contains(t.proto, t.addr, now);
    moved += listed ? 1 : 0;
    return !listed;
  });
  if (moved > 0) dnsStats().blacklist_skips.inc(moved);
}

std::optional<Result<std::vector<SipTarget>>> resolveNumeric(std::string_view host,
                                                             std::uint16_t port,
                                                             std::optional<Proto> transport,
                                                             bool secure, TransportSet usable) {
  SockAddr addr;
  if (!SockAddr::fromNumeric(host, 0, addr)) return std::nullopt;
  Result<Proto> proto = transportOf(transport, secure, usable);
  if (!proto.isOk()) return Result<std::vector<SipTarget>>(proto.status());
  addr.setPort(port != 0 ? port : defaultPort(proto.value()));
  return Result<std::vector<SipTarget>>(
      std::vector<SipTarget>{SipTarget{proto.value(), addr, std::string(host)}});
}

Result<std::vector<SipTarget>> Rfc3263Resolver::resolve(std::string_view host, std::uint16_t port,
                                                        std::optional<Proto> transport,
                                                        bool secure) {
  const std::int64_t deadline = now_() + config_.timeout_ms;
  if (auto numeric = resolveNumeric(host, port, transport, secure, config_.transports)) {
    return std::move(*numeric);
  }
  std::string why;
  const std::string name = normalizeName(host, &why);
  if (name.empty()) return Status::invalidArgument(why + " '" + shown(host) + "'");

  Trace trace;
  std::vector<SipTarget> targets;
  bool service_refused = false;  // SRV said "." (RFC 2782): no fallback to A
  Proto fixed = Proto::kUdp;     // the transport when one is written (or implied by sips:)
  if (port != 0 || transport.has_value() || secure) {
    Result<Proto> proto = transportOf(transport, secure, config_.transports);
    if (!proto.isOk()) return proto.status();
    fixed = proto.value();
  }
  if (port != 0) {
    addAddresses({HostPlan{fixed, name, port}}, deadline, trace, targets);  // RFC 3263 §4.2
  } else {
    std::vector<NaptrChoice> choices;
    if (transport.has_value()) {
      choices.push_back(NaptrChoice{fixed, srvNameFor(fixed, name)});
    } else {
      if (config_.try_naptr) choices = naptrChoices(name, secure, deadline, trace);
      if (choices.empty()) {
        for (Proto p : {Proto::kUdp, Proto::kTcp, Proto::kTls}) {
          if (config_.transports.has(p) && (!secure || p == Proto::kTls)) {
            choices.push_back(NaptrChoice{p, srvNameFor(p, name)});
          }
        }
      }
      if (choices.empty()) {
        return Status::unsupported("no transport to reach '" + shown(host) + "' (" +
                                   (secure ? "sips needs TLS" : "none is available") + ")");
      }
    }
    bool any_srv = false;
    std::vector<HostPlan> plans = srvPlans(choices, deadline, trace, any_srv);
    if (!any_srv && !trace.timed_out) {
      // No SRV records: A/AAAA at the default port of the first transport (§4.2).
      plans.push_back(HostPlan{choices[0].proto, name, defaultPort(choices[0].proto)});
    }
    service_refused = any_srv && plans.empty();
    addAddresses(plans, deadline, trace, targets);
  }
  DnsStats& stats = dnsStats();
  if (trace.timed_out) stats.timeouts.inc();
  if (targets.empty()) {
    if (trace.timed_out) {
      return Status::unavailable("DNS timeout (" + std::to_string(config_.timeout_ms) +
                                 " ms) resolving '" + name + "'");
    }
    stats.failures.inc();
    if (!trace.failure.empty()) {
      return Status::unavailable("DNS failure resolving '" + name + "': " + trace.failure);
    }
    return Status::notFound(service_refused
                                ? "'" + name + "' offers no SIP service (SRV target \".\")"
                                : "no SIP server found for '" + name + "'");
  }
  blacklistedLast(targets);
  return targets;
}

}  // namespace sipline::dns
