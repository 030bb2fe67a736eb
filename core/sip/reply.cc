#include "core/sip/reply.h"

#include "core/base/hash.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/sip/transaction_layer.h"
#include "core/sip/via_ops.h"

namespace sipline {
namespace {

void appendHeaderLine(std::string& out, std::string_view raw) {
  out.append(raw);
  // A bare-LF line gets a proper CRLF in what we send.
  if (out.size() >= 2 && out[out.size() - 2] != '\r' && out.back() == '\n') {
    out.insert(out.size() - 1, 1, '\r');
  } else if (out.empty() || out.back() != '\n') {
    out += "\r\n";
  }
}

}  // namespace

std::string statelessToTag(SipMessage& req) {
  const NameAddr* from = req.from();
  const Via* top = req.topVia();
  const CSeq* cseq = req.cseq();
  std::string num = cseq ? std::to_string(cseq->number) : "";
  std::uint64_t h = fnv1a({req.callId(), from ? from->tag : "", num, top ? top->branch : ""});
  std::string tag = "sl";
  appendHex(tag, h >> 8, 14);
  return tag;
}

std::string buildReply(SipMessage& req, const SockAddr& src, int code, std::string_view reason,
                       std::string_view to_tag, std::string_view extra_headers, bool force_rport) {
  std::string out;
  out.reserve(512 + req.buffer().size() / 2);
  out += "SIP/2.0 ";
  appendDecimal(out, code);
  out += ' ';
  out.append(reason);
  out += "\r\n";

  const Via* top = req.topVia();
  bool top_done = false;
  for (const HeaderField& h : req.headers()) {
    switch (h.type) {
      case HeaderType::kVia: {
        if (!top_done && top != nullptr) {
          top_done = true;
          std::optional<std::string> annotated = annotatedVia(*top, src, force_rport);
          if (annotated) {
            // Keep whatever follows the top via-parm on the same line (", next-via").
            std::size_t top_end =
                static_cast<std::size_t>(top->text.data() - h.body.data()) + top->text.size();
            out += "Via: ";
            out += *annotated;
            out.append(h.body.substr(std::min(top_end, h.body.size())));
            out += "\r\n";
            break;
          }
        }
        appendHeaderLine(out, h.raw);
        break;
      }
      case HeaderType::kTo: {
        const NameAddr* to = req.to();
        if (code > 100 && to != nullptr && to->tag.empty()) {
          out += "To: ";
          out.append(h.body);
          out += ";tag=";
          if (to_tag.empty()) {
            out += statelessToTag(req);
          } else {
            out.append(to_tag);
          }
          out += "\r\n";
        } else {
          appendHeaderLine(out, h.raw);
        }
        break;
      }
      case HeaderType::kFrom:
      case HeaderType::kCallId:
      case HeaderType::kCSeq:
        appendHeaderLine(out, h.raw);
        break;
      default:
        break;
    }
  }
  out.append(extra_headers);
  out += "Server: sipline " SIPLINE_VERSION "\r\nContent-Length: 0\r\n\r\n";
  return out;
}

SendResult sendStatelessReply(SipMessage& req, const ReceiveInfo& rcv, int code,
                              std::string_view reason, std::string_view to_tag,
                              std::string_view extra_headers, bool force_rport) {
  if (req.method() == Method::kAck) return SendResult::kOk;  // ACK is never answered
  if (rcv.listener == nullptr) return SendResult::kNoSocket;
  // On a stream the reply goes back on the request's connection (RFC 3261 §18.2.2).
  force_rport = force_rport || rcv.proto != Proto::kUdp;
  // A request whose top Via does not parse (answered 400) goes back to where it came from.
  const Via* top = req.topVia();
  SockAddr dst = rcv.src;
  if (top != nullptr && !replyDestinationForRequest(*top, rcv.src, dst, force_rport)) {
    return SendResult::kNoSocket;
  }
  std::string text = buildReply(req, rcv.src, code, reason, to_tag, extra_headers, force_rport);
  SendResult r = top != nullptr && rcv.proto != Proto::kUdp
                     ? sendReplyTo(*rcv.listener, dst, streamFallbackOf(*top, rcv.src), text)
                     : sendTo(*rcv.listener, dst, text);
  if (r != SendResult::kOk) {
    SL_ERR_RATELIMITED("cannot send %d reply to %s (Call-ID %.*s): %s", code,
                       dst.toString().c_str(), SL_SV(req.callId()), sendResultText(r));
  }
  return r;
}

namespace {

// q in thousandths as a qvalue (RFC 3261 §20.10): 1000 "1", 800 "0.8", 25 "0.025".
void appendQ(std::string& out, int q) {
  if (q >= 1000) {
    out += '1';
    return;
  }
  char digits[3] = {static_cast<char>('0' + q / 100), static_cast<char>('0' + q / 10 % 10),
                    static_cast<char>('0' + q % 10)};
  std::size_t n = 3;
  while (n > 1 && digits[n - 1] == '0') --n;
  out += "0.";
  out.append(digits, n);
}

void appendContact(std::string& out, std::string_view uri, int q) {
  if (out.empty()) {
    out += "Contact: <";
  } else {
    out += ", <";
  }
  out.append(uri);
  out += '>';
  if (q >= 0) {
    out += ";q=";
    appendQ(out, q);
  }
}

}  // namespace

std::string destinationSetContacts(MsgContext& ctx) {
  std::string out;
  if (ctx.branches.empty() && ctx.ruri() == ctx.msg().requestUriText()) return out;
  appendContact(out, ctx.ruri(), ctx.ruri_q);
  for (const Branch& b : ctx.branches) appendContact(out, b.uri, b.q);
  out += "\r\n";
  return out;
}

SendResult sendStatelessReply(MsgContext& ctx, int code, std::string_view reason,
                              std::string_view to_tag, std::string_view extra_headers) {
  if ((code >= 300 && code < 400) || !ctx.reply_headers.empty()) {
    std::string headers(extra_headers);
    headers += ctx.reply_headers;
    if (code >= 300 && code < 400) headers += destinationSetContacts(ctx);
    return sendStatelessReply(ctx.msg(), ctx.rcv(), code, reason, to_tag, headers, ctx.force_rport);
  }
  return sendStatelessReply(ctx.msg(), ctx.rcv(), code, reason, to_tag, extra_headers,
                            ctx.force_rport);
}

bool sendReply(MsgContext& ctx, int code, std::string_view reason, std::string_view extra_headers) {
  // One final reply per request: a module after another's 400/500 must not answer again.
  if (ctx.replied && code >= 200) return false;
  TransactionLayer* tl = transactionLayer();
  bool sent = tl != nullptr && ctx.transaction != nullptr
                  ? tl->replyInTransaction(ctx, code, reason, extra_headers)
                  : sendStatelessReply(ctx, code, reason, "", extra_headers) == SendResult::kOk;
  if (sent) ctx.replied = true;
  return sent;
}

}  // namespace sipline
