#include "core/sip/via_ops.h"

#include <charconv>

#include "core/base/hash.h"
#include "core/base/strings.h"
#include "core/parser/sip_message.h"

namespace sipline {

std::optional<std::string> annotatedVia(const Via& via, const SockAddr& src, bool force_rport) {
  SockAddr sent_by;
  bool host_is_src = SockAddr::fromNumeric(via.hostNoBrackets(), 0, sent_by) && sent_by.sameIp(src);
  // What the sender wrote in received= or rport= is never trusted: replies follow them
  // (§18.2.2, RFC 3581), so a forged value would send them to a third party. (Compared
  // without formatting the source: most requests need no change.)
  std::uint16_t rport = 0;
  const char* rport_end = via.rport_value.data() + via.rport_value.size();
  bool rport_is_src = std::from_chars(via.rport_value.data(), rport_end, rport).ptr == rport_end &&
                      !via.rport_value.empty() && rport == src.port();
  bool set_rport = via.has_rport && !rport_is_src;
  bool add_rport = force_rport && !via.has_rport;
  bool want_received = !host_is_src || via.has_rport || add_rport || !via.received.empty();
  SockAddr received;
  bool received_is_src = SockAddr::fromNumeric(via.received, 0, received) && received.sameIp(src);
  bool set_received = want_received && !received_is_src;
  if (!set_rport && !add_rport && !set_received) return std::nullopt;
  const std::string port = std::to_string(src.port());
  const std::string ip = src.ip();

  // Rebuild the via-parm from its parts: "SIP/2.0/UDP host[:port]" + params.
  std::string out;
  out.reserve(via.text.size() + 48);
  std::size_t params_at = via.params.empty()
                              ? std::string_view::npos
                              : static_cast<std::size_t>(via.params.data() - via.text.data());
  std::string_view head =
      params_at == std::string_view::npos ? via.text : via.text.substr(0, params_at);
  while (!head.empty() && (head.back() == ';' || head.back() == ' ' || head.back() == '\t')) {
    head.remove_suffix(1);
  }
  out.append(head);
  std::string_view params = via.params;
  while (!params.empty()) {
    std::size_t semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.empty()) continue;
    std::string_view name = trim(p.substr(0, p.find('=')));
    if (iequals(name, "received")) continue;  // written below, with the source address
    out += ';';
    if (iequals(name, "rport")) {
      out += "rport=" + port;
    } else {
      out.append(p);
    }
  }
  if (add_rport) out += ";rport=" + port;
  if (want_received) out += ";received=" + ip;
  return out;
}

bool annotateTopVia(SipMessage& msg, const SockAddr& src, bool force_rport) {
  const Via* top = msg.topVia();
  if (top == nullptr) return false;
  std::optional<std::string> text = annotatedVia(*top, src, force_rport);
  if (!text) return true;
  std::size_t offset = 0;
  if (!msg.offsetOf(top->text, offset)) return false;
  msg.edits().replace(offset, top->text.size(), std::move(*text));
  return true;
}

std::string statelessVia(SipMessage& msg, const Listener& out, std::string_view out_ruri,
                         std::string_view host, std::uint16_t port) {
  const Via* top = msg.topVia();
  std::uint64_t h;
  if (top != nullptr && top->branch.size() > 7 && iequals(top->branch.substr(0, 7), "z9hG4bK")) {
    h = fnv1a({top->branch, top->host, out_ruri});
  } else {
    const NameAddr* from = msg.from();
    const CSeq* cseq = msg.cseq();
    std::string num = cseq ? std::to_string(cseq->number) : "";
    h = fnv1a({msg.callId(), from ? from->tag : "", num, top ? top->text : "", out_ruri});
  }
  std::string branch = "z9hG4bKsl";
  appendHex(branch, h, 16);
  std::string via;
  via.reserve(80);
  via += out.proto == Proto::kUdp   ? "Via: SIP/2.0/UDP "
         : out.proto == Proto::kTcp ? "Via: SIP/2.0/TCP "
                                    : "Via: SIP/2.0/TLS ";
  via.append(host.empty() ? std::string_view(out.via_host) : host);
  via += ':';
  via += std::to_string(port != 0 ? port : out.via_port);
  via += ";branch=";
  via += branch;
  via += "\r\n";
  return via;
}

bool replyDestinationForRequest(const Via& top, const SockAddr& src, SockAddr& out,
                                bool force_rport) {
  out = src;
  if (top.has_rport || force_rport) return true;  // RFC 3581 §4: back to the source port
  out.setPort(top.port != 0 ? top.port : 5060);
  return true;
}

Proto viaTransport(const Via& via) {
  if (iequals(via.transport, "TCP")) return Proto::kTcp;
  if (iequals(via.transport, "TLS")) return Proto::kTls;
  return Proto::kUdp;
}

SockAddr streamFallbackOf(const Via& via, const SockAddr& src) {
  SockAddr out = src;
  if (!via.received.empty()) SockAddr::fromNumeric(via.received, 0, out);
  out.setPort(via.port != 0 ? via.port : defaultPort(viaTransport(via)));
  return out;
}

bool nextHopOfVia(const Via& via, SockAddr& out) {
  std::uint16_t port = via.port != 0 ? via.port : defaultPort(viaTransport(via));
  if (via.has_rport && !via.rport_value.empty()) {
    std::int64_t p = 0;
    if (parseInt(via.rport_value, p) && p > 0 && p < 65536) port = static_cast<std::uint16_t>(p);
  }
  std::string_view host = !via.received.empty() ? via.received : via.hostNoBrackets();
  // TODO(#5): sent-by names resolve through the RFC 3263 resolver.
  return SockAddr::fromNumeric(host, port, out);
}

}  // namespace sipline
