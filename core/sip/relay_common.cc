#include "core/sip/relay_common.h"

#include <string>

#include "core/base/log.h"

namespace sipline {

MaxForwardsResult processMaxForwards(MsgContext& ctx) {
  if (ctx.maxfwd_processed) return MaxForwardsResult::kOk;
  SipMessage& msg = ctx.msg();
  int mf = msg.maxForwards();
  if (mf == -1) {
    msg.appendHeader("Max-Forwards: 70\r\n");
  } else if (mf < 0 || mf > 255) {
    return MaxForwardsResult::kBad;
  } else if (mf == 0) {
    return MaxForwardsResult::kTooManyHops;
  } else {
    const HeaderField* h = msg.header(HeaderType::kMaxForwards);
    std::size_t offset = 0;
    if (h == nullptr || !msg.offsetOf(h->body, offset)) return MaxForwardsResult::kBad;
    msg.edits().replace(offset, h->body.size(), std::to_string(mf - 1));
  }
  ctx.maxfwd_processed = true;
  return MaxForwardsResult::kOk;
}

void applyForcedTransport(const MsgContext& ctx, NextHop& hop) {
  if (ctx.send_socket == nullptr || hop.proto_set || hop.secure) return;
  hop.proto = ctx.send_socket->proto;
  hop.proto_set = true;
  if (!hop.port_set) hop.port = defaultPort(hop.proto);
}

std::string tlsNameOf(const NextHop& hop) {
  SockAddr numeric;
  return SockAddr::fromNumeric(hop.host, 0, numeric) ? std::string() : hop.host;
}

const Listener* outgoingSocket(MsgContext& ctx, const SockAddr& dst, Proto proto, const char* who) {
  if (ctx.send_socket != nullptr) {
    if (ctx.send_socket->addr.family() != dst.family()) {
      SL_ERR_RATELIMITED("%s: the forced socket %s cannot reach %s (address family)", who,
                         ctx.send_socket->text.c_str(), dst.toString().c_str());
      return nullptr;
    }
    if (ctx.send_socket->proto != proto) {
      SL_ERR_RATELIMITED("%s: the forced socket %s cannot reach %s over %s", who,
                         ctx.send_socket->text.c_str(), dst.toString().c_str(), protoName(proto));
      return nullptr;
    }
    return ctx.send_socket;
  }
  const Listener* out = listeners().forDestination(dst, proto, ctx.rcv().listener);
  if (out == nullptr) {
    SL_ERR_RATELIMITED("%s: no %s socket can reach %s", who, protoName(proto),
                       dst.toString().c_str());
  }
  return out;
}

}  // namespace sipline
