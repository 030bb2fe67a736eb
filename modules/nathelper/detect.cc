// nat_uac_test(): is the sender behind NAT? Compares the addresses the message claims (Contact,
// Via, SDP c=) with private ranges and with where it really came from.
#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/base/strings.h"
#include "core/parser/multipart.h"
#include "core/parser/sdp.h"
#include "modules/nathelper/nathelper.h"

namespace sipline::nathelper {
namespace {

std::string_view noBrackets(std::string_view ip) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') return ip.substr(1, ip.size() - 2);
  return ip;
}

// True when ip is a numeric address equal to src's.
bool sameIp(std::string_view ip, const SockAddr& src) {
  SockAddr a;
  return SockAddr::fromNumeric(noBrackets(ip), 0, a) && a.sameIp(src);
}

// The sip:/sips: URIs of every Contact (all headers, in order): OpenSIPS's contact tests are
// true when any of them is. Empty for "*", none, or Contacts that do not parse.
std::vector<const SipUri*> contactUris(SipMessage& msg) {
  std::vector<const SipUri*> out;
  const ContactList* list = msg.contacts();
  if (list == nullptr || list->star) return out;
  for (const Contact& c : list->items) {
    if (c.addr.uri_ok && c.addr.uri.scheme != SipUri::Scheme::kTel) out.push_back(&c.addr.uri);
  }
  return out;
}

bool privateSdp(SipMessage& msg) {
  MessageSdp parsed;
  if (!parseMessageSdp(msg, parsed)) return false;
  const SdpSession& s = parsed.session;
  if (s.has_connection && isPrivateAddress(s.connection.address)) return true;
  for (const SdpMedia& m : s.media) {
    for (const SdpConnection& c : m.connections) {
      if (isPrivateAddress(c.address)) return true;
    }
  }
  return false;
}

std::uint16_t defaultPort(bool secure) { return secure ? 5061 : 5060; }

}  // namespace

bool parseMessageSdp(SipMessage& msg, MessageSdp& out) {
  const HeaderField* ct = msg.header(HeaderType::kContentType);
  if (ct == nullptr || msg.body().empty()) return false;
  if (findSdpBody(ct->body, msg.body(), out.text, out.offset) != MultipartError::kOk) {
    return false;
  }
  return parseSdp(out.text, out.session) == SdpError::kOk;
}

bool isPrivateAddress(std::string_view ip) {
  ip = noBrackets(ip);
  char buf[INET6_ADDRSTRLEN];
  if (ip.empty() || ip.size() >= sizeof(buf)) return false;
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  unsigned char a[16];
  if (inet_pton(AF_INET, buf, a) == 1) {
    return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64);
  }
  if (inet_pton(AF_INET6, buf, a) == 1) {
    return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
  }
  return false;
}

bool natUacTest(SipMessage& msg, const Source& src, std::uint32_t flags) {
  if ((flags & (kPrivateContact | kContactDiffers | kContactPortDiffers)) != 0) {
    for (const SipUri* uri : contactUris(msg)) {
      if ((flags & kPrivateContact) != 0 && isPrivateAddress(uri->host)) return true;
      if ((flags & kContactDiffers) != 0 && !sameIp(uri->host, src.addr)) return true;
      if ((flags & kContactPortDiffers) != 0) {
        bool tls = uri->scheme == SipUri::Scheme::kSips || iequals(uri->transport, "tls");
        std::uint16_t port = uri->port != 0 ? uri->port : defaultPort(tls);
        if (port != src.addr.port()) return true;
      }
    }
  }
  if ((flags & (kViaDiffers | kPrivateVia | kViaPortDiffers)) != 0) {
    if (const Via* via = msg.topVia(); via != nullptr) {
      if ((flags & kViaDiffers) != 0 && !sameIp(via->host, src.addr)) return true;
      if ((flags & kPrivateVia) != 0 && isPrivateAddress(via->host)) return true;
      if ((flags & kViaPortDiffers) != 0) {
        std::uint16_t port =
            via->port != 0 ? via->port : defaultPort(iequals(via->transport, "TLS"));
        if (port != src.addr.port()) return true;
      }
    }
  }
  if ((flags & kPrivateSdp) != 0 && privateSdp(msg)) return true;
  return false;
}

}  // namespace sipline::nathelper
