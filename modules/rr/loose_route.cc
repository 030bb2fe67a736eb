#include "modules/rr/loose_route.h"

#include <string>
#include <vector>

#include "core/base/strings.h"

namespace sipline {
namespace {

std::uint16_t uriPort(const SipUri& uri) {
  if (uri.port != 0) return uri.port;
  bool tls = uri.scheme == SipUri::Scheme::kSips || iequals(uri.transport, "tls");
  return tls ? 5061 : 5060;
}

bool isOurRoute(const NameAddr& route, const Listeners& me) {
  return route.uri_ok && isOurUri(route.uri, me);
}

bool isDoubleRrEntry(const SipUri& uri) { return hasUriParam(uri.params, "r2"); }

// RFC 3261 §16.4: the request-URI holds a Record-Route value of ours. Our Record-Route URIs
// always carry ;lr, which a remote target of a dialog through us would not.
bool strictRouterPutUsInRuri(SipMessage& msg, const Listeners& me) {
  const SipUri* ruri = msg.requestUri();
  return ruri != nullptr && ruri->lr && msg.headerCount(HeaderType::kRoute) > 0 &&
         isOurUri(*ruri, me);
}

bool hasToTag(SipMessage& msg) {
  const NameAddr* to = msg.to();
  return to != nullptr && !to->tag.empty();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() < whole.data() + whole.size();
}

// Edit keys of the Route rewrite ("rr" in the high bits, the header's index below), so a
// second loose_route() on the same message overwrites its first edits instead of adding
// conflicting ones.
constexpr std::uint32_t kRouteEditKey = 0x72720000u;
constexpr std::uint32_t kAppendedRouteKey = 0x7272ffffu;

// Records the Route edits: values marked in `removed` go (a header left empty goes whole),
// and `append`, when not empty, becomes a new last Route header.
void rewriteRoutes(SipMessage& msg, const std::vector<NameAddr>& routes,
                   const std::vector<bool>& removed, const std::string& append) {
  const HeaderField* last = nullptr;
  const std::vector<HeaderField>& headers = msg.headers();
  for (std::size_t index = 0; index < headers.size(); ++index) {
    const HeaderField& h = headers[index];
    if (h.type != HeaderType::kRoute) continue;
    last = &h;
    std::string kept;
    bool changed = false;
    for (std::size_t i = 0; i < routes.size(); ++i) {
      if (!inside(routes[i].text, h.body)) continue;
      if (removed[i]) {
        changed = true;
        continue;
      }
      if (!kept.empty()) kept += ", ";
      kept += routes[i].text;
    }
    std::size_t offset = 0;
    if (!changed) continue;
    if (kept.empty()) {
      if (msg.offsetOf(h.raw, offset)) {
        msg.edits().replaceKeyed(kRouteEditKey | static_cast<std::uint32_t>(index & 0xffff), offset,
                                 h.raw.size(), "");
      }
    } else if (msg.offsetOf(h.body, offset)) {
      msg.edits().replaceKeyed(kRouteEditKey | static_cast<std::uint32_t>(index & 0xffff), offset,
                               h.body.size(), std::move(kept));
    }
  }
  std::size_t end = 0;
  if (!append.empty() && last != nullptr && msg.offsetOf(last->raw, end)) {
    msg.edits().replaceKeyed(kAppendedRouteKey, end + last->raw.size(), 0,
                             "Route: <" + append + ">\r\n");
  }
}

LooseRouteOutcome malformed(const char* problem) { return {LooseRouteResult::kMalformed, problem}; }

}  // namespace

bool isOurUri(const SipUri& uri, const Listeners& me) {
  return uri.scheme != SipUri::Scheme::kTel && me.isMyself(uri.host, uriPort(uri));
}

bool ourRouteParams(SipMessage& msg, const Listeners& me, std::string_view& params) {
  if (!msg.isRequest()) return false;
  if (strictRouterPutUsInRuri(msg, me)) {
    params = msg.requestUri()->params;
    return true;
  }
  const std::vector<NameAddr>* routes = msg.routes();
  if (routes == nullptr || routes->empty() || !isOurRoute(routes->front(), me)) return false;
  params = routes->front().uri.params;
  return true;
}

LooseRouteOutcome looseRoute(MsgContext& ctx, const Listeners& me) {
  SipMessage& msg = ctx.msg();
  if (msg.headerCount(HeaderType::kRoute) == 0) return {LooseRouteResult::kNoRoute, ""};
  const std::vector<NameAddr>* parsed = msg.routes();
  if (parsed == nullptr || parsed->empty()) return malformed("a Route header does not parse");
  const std::vector<NameAddr>& routes = *parsed;
  std::vector<bool> removed(routes.size(), false);
  std::size_t first = 0;
  std::size_t end = routes.size();
  std::string new_ruri;  // "" = the request-URI stays

  bool strict_prev = strictRouterPutUsInRuri(msg, me);
  if (strict_prev) {  // §16.4: the last Route value is the remote target
    const NameAddr& target = routes[end - 1];
    if (!target.uri_ok) return malformed("the last Route value is not a SIP URI");
    new_ruri = std::string(target.uri_text);
    removed[--end] = true;
  }
  if (first < end && isOurRoute(routes[first], me)) {
    bool r2 = isDoubleRrEntry(routes[first].uri);
    removed[first++] = true;
    // Our double Record-Route: its other half follows (unless the request-URI was it).
    if (!strict_prev && r2 && first < end && isOurRoute(routes[first], me) &&
        isDoubleRrEntry(routes[first].uri)) {
      removed[first++] = true;
    }
  }

  std::string append;
  std::string dst_uri;
  LooseRouteResult result = LooseRouteResult::kRouted;
  if (first == end) {
    // Nothing left to follow: the request-URI is the target. Without a To tag and without a
    // strict router, the only Route was a preloaded one to us.
    if (!strict_prev && !hasToTag(msg)) result = LooseRouteResult::kLocalOnly;
  } else {
    const NameAddr& next = routes[first];
    if (!next.uri_ok || next.uri.scheme == SipUri::Scheme::kTel) {
      return malformed("the next Route value is not a sip: or sips: URI");
    }
    if (next.uri.lr) {
      dst_uri = std::string(next.uri_text);  // §16.12: loose router, send to it
    } else {
      // §16.6 step 6: strict next hop: the request-URI goes last, the hop becomes it.
      append = new_ruri.empty() ? std::string(msg.requestUriText()) : new_ruri;
      new_ruri = std::string(next.uri_text);
      removed[first] = true;
    }
  }
  if (!new_ruri.empty() && !ctx.setRuri(new_ruri).isOk()) {
    return malformed("the Route value for the request-URI is not a valid URI");
  }
  rewriteRoutes(msg, routes, removed, append);
  if (!dst_uri.empty()) ctx.dst_uri = std::move(dst_uri);
  return {result, ""};
}

}  // namespace sipline
