#include "modules/tm/local_requests.h"

namespace sipline::tm {
namespace {

void appendRaw(std::string& out, const HeaderField* h) {
  if (h == nullptr) return;
  out.append(h->raw);
  if (h->raw.empty() || h->raw.back() != '\n') out += "\r\n";
}

std::string build(SipMessage& req, std::string_view method, const HeaderField* to) {
  const Via* top = req.topVia();
  const CSeq* cseq = req.cseq();
  if (top == nullptr || cseq == nullptr || to == nullptr) return "";
  std::string out;
  out.reserve(512);
  out.append(method);
  out += ' ';
  out.append(req.requestUriText());
  out += " SIP/2.0\r\nVia: ";
  out.append(top->text);
  out += "\r\n";
  for (const HeaderField& h : req.headers()) {
    if (h.type == HeaderType::kRoute) appendRaw(out, &h);
  }
  out += "Max-Forwards: 70\r\n";
  appendRaw(out, req.header(HeaderType::kFrom));
  appendRaw(out, to);
  appendRaw(out, req.header(HeaderType::kCallId));
  out += "CSeq: " + std::to_string(cseq->number) + " ";
  out.append(method);
  out += "\r\nContent-Length: 0\r\n\r\n";
  return out;
}

}  // namespace

std::string buildCancel(SipMessage& request) {
  return build(request, "CANCEL", request.header(HeaderType::kTo));
}

std::string buildAck(SipMessage& request, const SipMessage& reply) {
  return build(request, "ACK", reply.header(HeaderType::kTo));
}

}  // namespace sipline::tm
