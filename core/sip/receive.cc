#include "core/sip/receive.h"

#include "core/base/log.h"
#include "core/parser/sip_message.h"
#include "core/script/script.h"
#include "core/sip/forward.h"
#include "core/sip/msg_context.h"
#include "core/sip/reply.h"
#include "core/stats/core_stats.h"

namespace sipline {
namespace {

bool isKeepalive(std::string_view data) {
  for (char c : data) {
    if (c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

void MessageProcessor::onDatagram(const Listener& listener, const SockAddr& src,
                                  std::string_view data) {
  CoreStats& stats = coreStats();
  if (!data.empty() && isKeepalive(data)) return;  // RFC 5626 CRLF keepalive
  SipMessage msg;
  ParseError err = msg.parse(data, limits_);
  ReceiveInfo rcv{&listener, src, listener.proto};
  if (err != ParseError::kOk) {
    stats.parse_errors.inc();
    if (msg.isRequest()) {
      stats.err_requests.inc();
      // Answer 400 when the request can be routed back (a parseable top Via), never ACK.
      if (msg.method() != Method::kAck && msg.topVia() != nullptr) {
        if (sendStatelessReply(msg, rcv, 400, parseErrorText(err)) == SendResult::kOk) {
          stats.bad_replies_sent.inc();
        }
      }
    } else if (msg.isReply()) {
      stats.err_replies.inc();
    }
    SL_ERR_RATELIMITED("bad message from %s (%zu bytes): %s", src.toString().c_str(), data.size(),
                       parseErrorText(err));
    return;
  }
  if (msg.isRequest()) {
    if (msg.topVia() == nullptr) {
      stats.err_requests.inc();
      stats.parse_errors.inc();
      SL_ERR_RATELIMITED("bad Via in request from %s, Call-ID %.*s", src.toString().c_str(),
                         SL_SV(msg.callId()));
      return;  // no usable Via: nowhere to send a reply
    }
    int max_forwards = msg.maxForwards();
    if (max_forwards == -2 || max_forwards > 255) {
      // RFC 3261 §20.22: 0-255 (RFC 4475 scalar02 expects 400 for 300).
      stats.err_requests.inc();
      stats.parse_errors.inc();
      if (sendStatelessReply(msg, rcv, 400, "Bad Max-Forwards") == SendResult::kOk) {
        stats.bad_replies_sent.inc();
      }
      return;
    }
    stats.rcv_requests.inc();
    MsgContext ctx(msg, rcv, kRequestRoute);
    if (script_ != nullptr) script_->runRequest(ctx);
    // A request the script neither relayed nor answered ends here.
    if (!ctx.relayed && !ctx.replied) stats.drop_requests.inc();
    return;
  }
  stats.rcv_replies.inc();
  const Via* top = msg.topVia();
  if (top == nullptr ||
      !listeners().isMyself(top->host, top->port != 0 ? top->port : 5060)) {
    stats.drop_replies.inc();
    SL_DBG("reply from %s not for us (top Via not ours), Call-ID %.*s; dropped",
           src.toString().c_str(), SL_SV(msg.callId()));
    return;
  }
  MsgContext ctx(msg, rcv, kOnReplyRoute);
  if (script_ != nullptr && script_->hasReplyRoute()) script_->runReply(ctx);
  if (ctx.dropped) {
    stats.drop_replies.inc();
    return;
  }
  if (!ctx.relayed) forwardReply(ctx);
}

}  // namespace sipline
