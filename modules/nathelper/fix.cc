// fix_nated_contact(), add_rcv_param() and fix_nated_sdp(): write the address a message came
// from where the sender wrote its private one.
#include <algorithm>
#include <string>
#include <vector>

#include "core/base/strings.h"
#include "core/parser/sdp.h"
#include "modules/nathelper/nathelper.h"

namespace sipline::nathelper {
namespace {

// EditList key of the first Contact's rewrite (the next Contacts take the next keys), so a
// second fix_nated_contact() replaces the first instead of conflicting with it ('N', 'A',
// 'T', 1; SipMessage's own keys are small).
constexpr std::uint32_t kKeyContact = 0x4e415401u;
// The <> that fix_nated_contact(uri_params) and add_rcv_param(1) put around a bare Contact
// URI, keyed per Contact so that either call, in either order and repeated, brackets it once.
constexpr std::uint32_t kKeyContactOpen = 0x4e500000u;
constexpr std::uint32_t kKeyContactClose = 0x4e600000u;

struct Change {
  std::size_t offset;
  std::size_t length;
  std::string text;
};

std::string ipOf(const Source& src) { return src.addr.ip(); }

// 0.0.0.0 or :: (any spelling): a hold (RFC 3264 §8.4) or "no address yet".
bool isNullAddress(std::string_view ip) {
  SockAddr a;
  if (!SockAddr::fromNumeric(ip, 0, a)) return false;
  return a.isAny();
}

void rewriteConnection(const SdpSession& s, const SdpConnection& c, const Source& src,
                       bool rewrite_null, std::vector<Change>& out) {
  if (c.address.empty()) return;
  // Hold: no media to any address, unless the script asks (rewrite-null).
  if (!rewrite_null && (c.isUnspecified() || isNullAddress(c.address))) return;
  out.push_back({s.offsetOf(c.addrtype), c.addrtype.size(), src.addr.isV6() ? "IP6" : "IP4"});
  out.push_back({s.offsetOf(c.address), c.address.size(), ipOf(src)});
}

bool hasSessionAttribute(const SdpSession& s, std::string_view name) {
  for (const SdpAttribute& a : s.attributes) {
    if (a.name == name) return true;
  }
  return false;
}

std::string applyChanges(std::string_view text, std::vector<Change> changes) {
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.offset < b.offset; });
  std::string out;
  std::size_t pos = 0;
  for (const Change& c : changes) {
    if (c.offset < pos) continue;  // overlapping: cannot happen with distinct views
    out.append(text.substr(pos, c.offset - pos));
    out += c.text;
    pos = c.offset + c.length;
  }
  out.append(text.substr(pos));
  return out;
}

// params ("a=1;maddr=x;lr", no leading ';') without the parameter `name` (any case).
std::string withoutParam(std::string_view params, std::string_view name) {
  std::string out;
  while (!params.empty()) {
    std::size_t semi = params.find(';');
    std::string_view one = params.substr(0, semi);
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (iequals(trim(one.substr(0, one.find('='))), name)) continue;
    if (!out.empty()) out += ';';
    out.append(one);
  }
  return out;
}

}  // namespace

std::string receivedUri(const Source& src) {
  std::string uri = "sip:" + src.addr.ipForUri() + ":";
  appendDecimal(uri, src.addr.port());
  if (src.proto != Proto::kUdp) {
    uri += ";transport=";
    uri += protoName(src.proto);
  }
  return uri;
}

bool validUriParams(std::string_view params) {
  if (params.empty()) return true;
  if (params.front() != ';' || params.size() < 2) return false;
  // Only what a URI parameter may hold (RFC 3261 §25.1 uri-parameter, escaped or not):
  // nothing that would end the URI or the header.
  return params.find_first_of(" \t\r\n<>,\"?") == std::string_view::npos;
}

bool fixNatedContact(SipMessage& msg, const Source& src, std::string_view uri_params) {
  const ContactList* list = msg.contacts();
  if (list == nullptr || list->star || list->items.empty()) return false;
  std::string hostport = src.addr.ipForUri() + ":";
  appendDecimal(hostport, src.addr.port());
  hostport.append(uri_params);
  // Every Contact (a REGISTER may bind several), as OpenSIPS: each one its own key, so that
  // a second call replaces the first one's edits.
  bool fixed = false;
  std::uint32_t index = 0;
  for (const Contact& c : list->items) {
    const NameAddr& addr = c.addr;
    const std::uint32_t i = index++;
    const std::uint32_t this_key = kKeyContact + i;
    if (!addr.uri_ok || addr.uri.scheme == SipUri::Scheme::kTel || addr.uri.host.empty()) {
      continue;
    }
    std::size_t start = 0, uri_at = 0;
    if (!msg.offsetOf(addr.uri.host, start) || !msg.offsetOf(addr.uri_text, uri_at)) continue;
    std::string_view last = addr.uri.port_text.empty() ? addr.uri.host : addr.uri.port_text;
    std::string text = hostport;
    if (!addr.uri.maddr.empty()) {
      // maddr overrides the host (RFC 3261 §19.1.1): left in, it would still send requests
      // for this Contact to the private address. The edit then runs to the end of the
      // parameters.
      last = addr.uri.params;
      std::string params = withoutParam(addr.uri.params, "maddr");
      if (!params.empty()) text += ";" + params;
    }
    std::size_t end =
        start + static_cast<std::size_t>(last.data() + last.size() - addr.uri.host.data());
    const std::size_t uri_end = uri_at + addr.uri_text.size();
    const bool bracketed = uri_end < msg.buffer().size() && msg.buffer()[uri_end] == '>';
    if (!uri_params.empty() && !bracketed) {
      // A bare addr-spec ends at its first ';': the new parameters would be header
      // parameters. The URI goes in <> (add_rcv_param(1) may have closed it already).
      msg.edits().replaceKeyed(kKeyContactOpen + i, uri_at, 0, "<");
      if (!msg.edits().hasKeyed(kKeyContactClose + i)) {
        msg.edits().replaceKeyed(kKeyContactClose + i, uri_end, 0, ">");
      }
    }
    msg.edits().replaceKeyed(this_key, start, end - start, std::move(text));
    fixed = true;
  }
  return fixed;
}

int addRcvParam(SipMessage& msg, const Source& src, bool uri_param) {
  const ContactList* list = msg.contacts();
  if (list == nullptr || list->star) return 0;
  const std::string uri = receivedUri(src);
  int n = 0;
  std::uint32_t index = 0;
  for (const Contact& c : list->items) {
    const std::uint32_t i = index++;
    std::size_t text_at = 0, uri_at = 0;
    if (!msg.offsetOf(c.addr.text, text_at) || !msg.offsetOf(c.addr.uri_text, uri_at)) continue;
    if (!uri_param) {
      msg.edits().insert(text_at + c.addr.text.size(), ";received=\"" + uri + "\"");
      ++n;
      continue;
    }
    // Inside a URI ';' and '=' would end the param: escape them (RFC 3261 §25.1 paramchar).
    std::string value;
    for (char ch : uri) {
      if (ch == ';') {
        value += "%3B";
      } else if (ch == '=') {
        value += "%3D";
      } else {
        value += ch;
      }
    }
    std::size_t uri_end = uri_at + c.addr.uri_text.size();
    bool bracketed = uri_end < msg.buffer().size() && msg.buffer()[uri_end] == '>';
    // A bare addr-spec ends at its first ';': without <> the param would be a header param.
    // The brackets are the ones fix_nated_contact(uri_params) uses: one pair whatever runs.
    if (bracketed) {
      msg.edits().insert(uri_end, ";received=" + value);
    } else {
      msg.edits().replaceKeyed(kKeyContactOpen + i, uri_at, 0, "<");
      msg.edits().replaceKeyed(kKeyContactClose + i, uri_end, 0, ";received=" + value + ">");
    }
    ++n;
  }
  return n;
}

bool parseSdpIp(std::string_view text, SockAddr& out) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  return !text.empty() && SockAddr::fromNumeric(text, 0, out);
}

bool sdpFieldLines(std::string_view text, std::vector<std::string>& lines) {
  lines.clear();
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    // <type>=<value> (RFC 8866 §5): one lower-case letter, then no control character.
    if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=') return false;
    for (char ch : line) {
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return false;
    }
    lines.emplace_back(line);
  }
  return !lines.empty();
}

bool fixNatedSdp(SipMessage& msg, const Source& source, std::uint32_t flags, std::string_view ip,
                 std::string_view fields) {
  Source src = source;
  if (!ip.empty() && !parseSdpIp(ip, src.addr)) return false;
  std::vector<std::string> extra;
  if (!fields.empty() && !sdpFieldLines(fields, extra)) return false;
  MessageSdp parsed;
  if (!parseMessageSdp(msg, parsed)) return false;
  const SdpSession& s = parsed.session;
  const std::string_view sdp = parsed.text;
  const std::size_t offset = parsed.offset;
  std::vector<Change> changes;
  const bool rewrite_null = (flags & kRewriteNull) != 0;
  if ((flags & kRewriteC) != 0) {
    if (s.has_connection) rewriteConnection(s, s.connection, src, rewrite_null, changes);
    for (const SdpMedia& m : s.media) {
      for (const SdpConnection& c : m.connections) {
        rewriteConnection(s, c, src, rewrite_null, changes);
      }
    }
  }
  if ((flags & kRewriteO) != 0 && s.has_origin && !s.origin.address.empty() &&
      (rewrite_null || !isNullAddress(s.origin.address))) {
    changes.push_back(
        {s.offsetOf(s.origin.addrtype), s.origin.addrtype.size(), src.addr.isV6() ? "IP6" : "IP4"});
    changes.push_back({s.offsetOf(s.origin.address), s.origin.address.size(), ipOf(src)});
  }
  if ((flags & kAddDirActive) != 0 && !hasSessionAttribute(s, "direction")) {
    // At the end of the session section, where session attributes belong (before m=).
    std::size_t at = s.offsetOf(s.session_text) + s.session_text.size();
    std::string eol = sdp.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
    std::string line = "a=direction:active" + eol;
    if (at > 0 && sdp[at - 1] != '\n') line = eol + line;
    changes.push_back({at, 0, std::move(line)});
  }
  if (!extra.empty()) {
    // At the end of the SDP (of its part in a multipart body), as OpenSIPS.
    std::string eol = sdp.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
    std::string text = !sdp.empty() && sdp.back() != '\n' ? eol : "";
    for (const std::string& line : extra) text += line + eol;
    changes.push_back({sdp.size(), 0, std::move(text)});
  }
  if (changes.empty()) return true;
  std::string_view body = msg.body();
  std::string out(body.substr(0, offset));
  out += applyChanges(sdp, std::move(changes));
  out.append(body.substr(offset + sdp.size()));
  return msg.replaceBody(std::move(out));
}

}  // namespace sipline::nathelper
