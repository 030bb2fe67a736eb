#include "core/sip/receive.h"

#include <cctype>
#include <optional>
#include <utility>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/parser/sip_message.h"
#include "core/script/script.h"
#include "core/sip/forward.h"
#include "core/sip/msg_context.h"
#include "core/sip/reply.h"
#include "core/sip/transaction_layer.h"
#include "core/stats/core_stats.h"
#include "core/trace/capture.h"

namespace sipline {
namespace {

// RFC 3261 §8.2.6.2: a reply copies Via, From, To, Call-ID and CSeq; the client matches it
// by the top Via branch and the CSeq method (§17.1.3). Without a Via and a CSeq header (or
// when the header index stopped before them) a reply cannot be matched: drop instead.
bool canBeAnswered(SipMessage& msg) {
  return msg.method() != Method::kAck && msg.header(HeaderType::kCSeq) != nullptr &&
         msg.header(HeaderType::kVia) != nullptr;
}

// An absolute URI scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 §3.1).
bool hasSchemeSyntax(std::string_view uri) {
  std::size_t colon = uri.find(':');
  if (colon == 0 || colon == std::string_view::npos ||
      !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return false;
  }
  for (std::size_t i = 1; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(uri[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

bool isSipOrTelScheme(std::string_view uri) {
  std::size_t colon = uri.find(':');
  std::string_view scheme = uri.substr(0, colon);
  return iequals(scheme, "sip") || iequals(scheme, "sips") || iequals(scheme, "tel");
}

// RFC 3261 §16.3 step 1: the fields a proxy uses must be well-formed. The reason for a 400,
// or nullptr. Max-Forwards is 0-255 (§20.22; RFC 4475 scalar02). A sip/sips/tel
// request-URI must parse; another scheme is left to the script (416 there, or a service
// that understands it). From and To carry the dialog and transaction identifiers.
const char* requestDefect(SipMessage& msg) {
  if (msg.topVia() == nullptr) return "Bad Via";
  int max_forwards = msg.maxForwards();
  if (max_forwards == -2 || max_forwards > 255) return "Bad Max-Forwards";
  if (msg.requestUri() == nullptr &&
      (!hasSchemeSyntax(msg.requestUriText()) || isSipOrTelScheme(msg.requestUriText()))) {
    return "Bad Request-URI";
  }
  if (msg.from() == nullptr) return "Bad From";
  if (msg.to() == nullptr) return "Bad To";
  if (msg.header(HeaderType::kContact) != nullptr && msg.contacts() == nullptr) {
    return "Bad Contact";  // RFC 4475 regbadct, badinv01
  }
  return nullptr;
}

// The ACK of a negative reply this server sent statelessly (sl_send_reply, a 400) ends here:
// its To tag is the deterministic tag of that reply (RFC 3261 §17.2.1: part of the INVITE
// transaction, never forwarded).
bool ackOfOurStatelessReply(SipMessage& msg) {
  if (msg.method() != Method::kAck) return false;
  const NameAddr* to = msg.to();
  return to != nullptr && to->tag.size() > 2 && to->tag.substr(0, 2) == "sl" &&
         to->tag == statelessToTag(msg);
}

bool isKeepalive(std::string_view data) {
  for (char c : data) {
    if (c != '\r' && c != '\n') return false;
  }
  return true;
}

void answerBadRequest(SipMessage& msg, const ReceiveInfo& rcv, int code, const char* reason) {
  if (msg.method() == Method::kAck) return;  // never answered
  if (sendStatelessReply(msg, rcv, code, reason) == SendResult::kOk) {
    coreStats().bad_replies_sent.inc();
  }
}

}  // namespace

bool MessageProcessor::runErrorRoute(SipMessage& msg, const ReceiveInfo& rcv, int code,
                                     const char* reason) {
  if (script_ == nullptr || !script_->hasErrorRoute()) return false;
  MsgContext ctx(msg, rcv, kErrorRoute);
  ctx.error.cls = 1;
  ctx.error.level = 1;
  ctx.error.info = reason;
  ctx.error.rcode = code;
  ctx.error.rreason = reason;
  int rc = 1;
  script_->runNamed(kErrorRoute, "", ctx, &rc);
  return ctx.replied || ctx.dropped;
}

void MessageProcessor::onDatagram(const Listener& listener, const SockAddr& src,
                                  std::string_view data) {
  CoreStats& stats = coreStats();
  if (!data.empty() && isKeepalive(data)) return;  // RFC 5626 CRLF keepalive
  if (trace::capturing()) trace::captureMessage(listener.proto, false, src, listener.addr, data);
  std::optional<SipMessage> nested;
  SipMessage& msg = busy_ ? nested.emplace() : reused_;
  bool was_busy = std::exchange(busy_, true);
  struct Release {
    bool& busy;
    bool was;
    ~Release() { busy = was; }
  } release{busy_, was_busy};
  ParseError err = msg.parse(data, limits_);
  ReceiveInfo rcv{&listener, src, listener.proto};
  if (err != ParseError::kOk) {
    stats.parse_errors.inc();
    if (msg.isRequest()) {
      stats.err_requests.inc();
      if (canBeAnswered(msg)) {
        // RFC 3261 §8.2.6.1 / RFC 4475 badvers: an unsupported version gets 505.
        bool version = err == ParseError::kBadVersion;
        int code = version ? 505 : 400;
        const char* reason = version ? "Version Not Supported" : parseErrorText(err);
        if (!runErrorRoute(msg, rcv, code, reason)) answerBadRequest(msg, rcv, code, reason);
      }
    } else if (msg.isReply()) {
      stats.err_replies.inc();
    }
    SL_ERR_RATELIMITED("bad message from %s (%zu bytes): %s", src.toString().c_str(), data.size(),
                       parseErrorText(err));
    return;
  }
  if (msg.isRequest()) {
    if (const char* defect = requestDefect(msg)) {
      stats.err_requests.inc();
      stats.parse_errors.inc();
      if (canBeAnswered(msg) && !runErrorRoute(msg, rcv, 400, defect)) {
        answerBadRequest(msg, rcv, 400, defect);
      }
      SL_ERR_RATELIMITED("bad request from %s: %s", src.toString().c_str(), defect);
      return;
    }
    stats.rcv_requests.inc();
    stats.countRequest(msg.method());
    if (ackOfOurStatelessReply(msg)) {
      stats.absorbed_acks.inc();
      return;
    }
    TransactionLayer* tl = transactionLayer();
    if (tl != nullptr && tl->absorbRequest(msg, rcv)) return;
    MsgContext ctx(msg, rcv, kRequestRoute);
    if (script_ != nullptr) script_->runRequest(ctx);
    if (tl != nullptr) tl->requestDone(ctx);
    // A request the script neither relayed nor answered ends here.
    if (!ctx.relayed && !ctx.replied) stats.drop_requests.inc();
    return;
  }
  stats.rcv_replies.inc();
  stats.countReply(msg.statusCode());
  const Via* top = msg.topVia();
  if (top == nullptr || !listeners().isMyself(top->host, top->port != 0 ? top->port : 5060)) {
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
  if (ctx.relayed) return;
  TransactionLayer* tl = transactionLayer();
  if (tl != nullptr && tl->takeReply(ctx)) return;
  forwardReply(ctx);
}

}  // namespace sipline
