#include "core/sip/forward.h"

#include <optional>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/dns/resolver.h"
#include "core/sip/record_route.h"
#include "core/sip/relay_common.h"
#include "core/sip/reply.h"
#include "core/sip/via_ops.h"
#include "core/stats/core_stats.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"

namespace sipline {

const char* forwardResultText(ForwardResult r) {
  switch (r) {
    case ForwardResult::kOk:
      return "relayed";
    case ForwardResult::kTooManyHops:
      return "Max-Forwards exhausted";
    case ForwardResult::kBadMessage:
      return "malformed message";
    case ForwardResult::kUnroutable:
      return "no usable destination";
    case ForwardResult::kSendFailed:
      return "send failed";
  }
  return "?";
}

namespace {

// udp, tcp or tls (case-insensitive), as a URI's transport= or a "proto:" prefix names them.
std::optional<Proto> uriTransport(std::string_view name) {
  if (iequals(name, "udp")) return Proto::kUdp;
  if (iequals(name, "tcp")) return Proto::kTcp;
  if (iequals(name, "tls")) return Proto::kTls;
  return std::nullopt;
}

// A numeric address, or a name the resolver will accept (checked at load for constants).
Status checkHost(std::string_view host) {
  SockAddr numeric;
  if (SockAddr::fromNumeric(host, 0, numeric)) return Status::ok();
  std::string why;
  if (dns::normalizeName(host, &why).empty()) {
    return Status::invalidArgument(why + " '" + std::string(host.substr(0, 80)) + "'");
  }
  return Status::ok();
}

}  // namespace

Result<NextHop> parseNextHop(std::string_view text) {
  NextHop hop;
  text = trim(text);
  if (iequals(text.substr(0, 4), "sip:") || iequals(text.substr(0, 5), "sips:")) {
    SipUri uri;
    if (parseUri(text, uri) != ParseError::kOk || uri.host.empty()) {
      return Status::invalidArgument("not a valid SIP URI: " + std::string(text));
    }
    hop.secure = uri.scheme == SipUri::Scheme::kSips;
    if (!uri.transport.empty()) {
      std::optional<Proto> p = uriTransport(uri.transport);
      if (!p) {
        return Status::unsupported("transport=" + std::string(uri.transport) +
                                   " is not supported (udp, tcp or tls)");
      }
      hop.proto = *p;
    }
    // RFC 3261 §26.2: sips: means TLS on every hop (a transport=tcp in it is TLS over TCP).
    if (hop.secure) hop.proto = Proto::kTls;
    hop.host = std::string(uri.maddr.empty() ? uri.host : uri.maddr);
    Status st = checkHost(hop.host);
    if (!st.isOk()) return st;
    hop.port = uri.port != 0 ? uri.port : defaultPort(hop.proto);
    hop.port_set = uri.port != 0;
    hop.proto_set = !uri.transport.empty();
    return hop;
  }
  std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && colon <= 3 && text[0] != '[') {
    std::string_view proto = text.substr(0, colon);
    std::optional<Proto> p = uriTransport(proto);
    if (!p) return Status::invalidArgument("unknown protocol '" + std::string(proto) + "'");
    hop.proto = *p;
    hop.port = defaultPort(*p);
    text = text.substr(colon + 1);
    hop.proto_set = true;
  }
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text[0] == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return Status::invalidArgument("missing ']'");
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Status::invalidArgument("garbage after ']'");
      port_text = rest.substr(1);
    }
  } else {
    std::size_t c = text.rfind(':');
    if (c != std::string_view::npos) {
      host = text.substr(0, c);
      port_text = text.substr(c + 1);
    }
  }
  if (host.empty()) return Status::invalidArgument("missing host");
  hop.host = std::string(host);
  if (!port_text.empty()) {
    std::int64_t p = 0;
    if (!parseInt(port_text, p) || p < 1 || p > 65535) {
      return Status::invalidArgument("bad port '" + std::string(port_text) + "'");
    }
    hop.port = static_cast<std::uint16_t>(p);
    hop.port_set = true;
  }
  Status st = checkHost(hop.host);
  if (!st.isOk()) return st;
  return hop;
}

namespace {

// Stateless forwarding cannot fail over: the first target that a socket can reach (the
// forced socket's transport and family, else any listener's), else the first one
// (outgoingSocket() then says why it cannot be used).
const dns::SipTarget& firstReachable(const MsgContext& ctx,
                                     const std::vector<dns::SipTarget>& targets) {
  for (const dns::SipTarget& t : targets) {
    const bool reachable =
        ctx.send_socket != nullptr
            ? ctx.send_socket->addr.family() == t.addr.family() && ctx.send_socket->proto == t.proto
            : listeners().forDestination(t.addr, t.proto, ctx.rcv().listener) != nullptr;
    if (reachable) return t;
  }
  return targets.front();
}

// Stateless forwarding relays branch 0 only (as OpenSIPS: no stateless forking); appended
// branches wait for tm's t_relay(). Said once per process, not per message.
void warnIgnoredBranches(const MsgContext& ctx) {
  static bool warned = false;
  if (ctx.branches.empty() || warned) return;
  warned = true;
  SL_WARN(
      "forward(): %zu appended branch(es) ignored: stateless forwarding relays only the "
      "request-URI ($du); forking needs t_relay() (logged once)",
      ctx.branches.size());
}

}  // namespace

ForwardResult forwardRequest(MsgContext& ctx, const NextHop* explicit_hop) {
  SipMessage& msg = ctx.msg();
  CoreStats& stats = coreStats();
  NextHop hop;
  if (explicit_hop != nullptr) {
    hop = *explicit_hop;
  } else {
    Result<NextHop> parsed = parseNextHop(ctx.dst_uri.empty() ? ctx.ruri() : ctx.dst_uri);
    if (!parsed.isOk()) {
      SL_ERR_RATELIMITED("forward: no destination for Call-ID %.*s: %s", SL_SV(msg.callId()),
                         parsed.status().message().c_str());
      return ForwardResult::kUnroutable;
    }
    hop = std::move(parsed.value());
  }
  applyForcedTransport(ctx, hop);
  SockAddr dst;
  Proto proto = hop.proto;
  const std::string tls_name = tlsNameOf(hop);
  if (!SockAddr::fromNumeric(hop.host, hop.port, dst)) {
    // A name: RFC 3263 through the shared cache, blocking at most dns_timeout.
    Result<std::vector<dns::SipTarget>> targets = dns::resolveTargets(hop);
    if (!targets.isOk()) {
      SL_ERR_RATELIMITED("forward: cannot resolve '%s' (Call-ID %.*s): %s", hop.host.c_str(),
                         SL_SV(msg.callId()), targets.status().message().c_str());
      return ForwardResult::kUnroutable;
    }
    const dns::SipTarget& target = firstReachable(ctx, targets.value());
    dst = target.addr;
    proto = target.proto;
  }
  MaxForwardsResult mf = processMaxForwards(ctx);
  if (mf == MaxForwardsResult::kTooManyHops) {
    stats.too_many_hops.inc();
    sendStatelessReply(ctx, 483, "Too Many Hops");
    ctx.replied = true;
    return ForwardResult::kTooManyHops;
  }
  if (mf != MaxForwardsResult::kOk) return ForwardResult::kBadMessage;
  const Listener* out = outgoingSocket(ctx, dst, proto, "forward");
  if (out == nullptr) return ForwardResult::kUnroutable;
  warnIgnoredBranches(ctx);
  // RFC 3327: the Path of the registration becomes the Route of the request.
  if (!ctx.ruri_path.empty()) {
    msg.insertHeaderAtTop(HeaderType::kRoute, "Route: " + ctx.ruri_path + "\r\n");
  }
  insertRecordRoute(ctx, *out);
  if (!annotateTopVia(msg, ctx.rcv().src, ctx.force_rport)) {
    return ForwardResult::kBadMessage;
  }
  const HeaderField* first_via = msg.header(HeaderType::kVia);
  if (first_via == nullptr) return ForwardResult::kBadMessage;
  msg.insertHeaderBefore(
      *first_via, statelessVia(msg, *out, ctx.ruri(), ctx.advertised_address, ctx.advertised_port));
  if (out->proto != Proto::kUdp) msg.ensureContentLength();
  std::string wire;
  if (!msg.build(wire)) {
    SL_ERR_RATELIMITED("forward: conflicting edits on Call-ID %.*s", SL_SV(msg.callId()));
    return ForwardResult::kBadMessage;
  }
  SendResult sr = sendTo(*out, dst, wire, tls_name);
  // The edits stay recorded; a second forward() of the same message is refused by build().
  if (sr != SendResult::kOk) {
    SL_ERR_RATELIMITED("forward: cannot send %zu bytes to %s (Call-ID %.*s): %s", wire.size(),
                       dst.toString().c_str(), SL_SV(msg.callId()), sendResultText(sr));
    return ForwardResult::kSendFailed;
  }
  ctx.relayed = true;
  stats.fwd_requests.inc();
  return ForwardResult::kOk;
}

ForwardResult forwardReply(MsgContext& ctx) {
  SipMessage& msg = ctx.msg();
  CoreStats& stats = coreStats();
  const std::vector<Via>* vias = msg.vias();
  if (vias == nullptr || vias->size() < 2) {
    stats.drop_replies.inc();
    return ForwardResult::kBadMessage;
  }
  const Via& ours = (*vias)[0];
  if (!listeners().isMyself(ours.host, ours.port != 0 ? ours.port : 5060)) {
    SL_DBG("reply for %.*s:%u is not ours; dropped", SL_SV(ours.host), ours.port);
    stats.drop_replies.inc();
    return ForwardResult::kUnroutable;
  }
  SockAddr dst;
  if (!nextHopOfVia((*vias)[1], dst)) {
    SL_ERR_RATELIMITED("reply: next Via host %.*s is not a numeric address; dropped",
                       SL_SV((*vias)[1].host));
    stats.drop_replies.inc();
    return ForwardResult::kUnroutable;
  }
  // The reply goes back over the transport the request came by (RFC 3261 §18.2.2): on a
  // stream, the connection to received:rport, which the request's Via records.
  const Listener* out =
      listeners().forDestination(dst, viaTransport((*vias)[1]), ctx.rcv().listener);
  if (out == nullptr || !msg.removeTopVia()) {
    stats.drop_replies.inc();
    return ForwardResult::kUnroutable;
  }
  if (out->proto != Proto::kUdp) msg.ensureContentLength();
  std::string wire;
  if (!msg.build(wire)) {
    stats.drop_replies.inc();
    return ForwardResult::kBadMessage;
  }
  SendResult sr = out->proto != Proto::kUdp
                      ? sendReplyTo(*out, dst, streamFallbackOf((*vias)[1], dst), wire)
                      : sendTo(*out, dst, wire);
  if (sr != SendResult::kOk) {
    SL_ERR_RATELIMITED("reply: cannot send %zu bytes to %s (Call-ID %.*s): %s", wire.size(),
                       dst.toString().c_str(), SL_SV(msg.callId()), sendResultText(sr));
    stats.drop_replies.inc();
    return ForwardResult::kSendFailed;
  }
  ctx.relayed = true;
  stats.fwd_replies.inc();
  return ForwardResult::kOk;
}

}  // namespace sipline
