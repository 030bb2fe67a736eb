#include "modules/rr/route_params.h"

#include <cctype>
#include <string_view>

#include "core/parser/uri.h"
#include "modules/rr/loose_route.h"

namespace sipline {
namespace {

// A tag is a token (RFC 3261 §25.1); '%' and '`' are tokens but not URI param characters.
bool keepsInParam(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("-_.!~*'()[]/:&+$").find(c) != std::string_view::npos;
}

}  // namespace

std::string fromTagParam(SipMessage& msg) {
  const NameAddr* from = msg.from();
  if (from == nullptr || from->tag.empty()) return "";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = ";ftag=";
  for (char c : from->tag) {
    if (keepsInParam(c)) {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

bool checkRouteParam(SipMessage& msg, const Listeners& me, const Regex& re) {
  std::string_view params;
  if (!ourRouteParams(msg, me, params)) return false;
  std::string text = ";";
  text += params;
  return re.matches(text);
}

FlowDirection flowDirection(SipMessage& msg, const Listeners& me) {
  std::string_view params;
  if (!ourRouteParams(msg, me, params)) return FlowDirection::kDownstream;
  std::string_view ftag = uriParam(params, "ftag");
  const NameAddr* from = msg.from();
  if (ftag.empty() || from == nullptr || from->tag.empty()) return FlowDirection::kDownstream;
  return unescapeUri(ftag) == from->tag ? FlowDirection::kDownstream : FlowDirection::kUpstream;
}

}  // namespace sipline
