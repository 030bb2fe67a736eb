#include "modules/dispatcher/ds_script.h"

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/parser/auth_header.h"
#include "core/parser/name_addr.h"
#include "core/parser/uri.h"
#include "core/script/format.h"
#include "core/script/socket_lookup.h"
#include "core/sip/msg_context.h"
#include "core/sip/uri_rewrite.h"
#include "core/transport/listener.h"

namespace sipline::dispatcher {
namespace {

std::optional<std::pair<std::int64_t, std::string>> splitValue(std::string_view v) {
  std::size_t sp = v.find(' ');
  std::int64_t setid = 0;
  if (sp == std::string_view::npos || !parseInt(v.substr(0, sp), setid)) return std::nullopt;
  return std::make_pair(setid, std::string(v.substr(sp + 1)));
}

std::string valueOf(const Destination& d) { return std::to_string(d.setid) + " " + d.uri; }

}  // namespace

std::string uriHashKey(std::string_view uri_text) {
  SipUri uri;
  if (parseUri(uri_text, uri) != ParseError::kOk) return std::string(uri_text);
  std::string out(uri.user);
  if (uri.scheme == SipUri::Scheme::kTel) return out;
  out += '@';
  out += toLower(uri.host);
  const std::uint16_t default_port = uri.scheme == SipUri::Scheme::kSips ? 5061 : 5060;
  if (!uri.port_text.empty() && uri.port != default_port) {
    out += ':';
    out += uri.port_text;
  }
  return out;
}

std::optional<std::string> hashText(MsgContext& ctx, Alg alg, const Format* pvar) {
  SipMessage& msg = ctx.msg();
  switch (alg) {
    case Alg::kHashCallId:
      return std::string(msg.callId());
    case Alg::kHashFrom: {
      const NameAddr* f = msg.from();
      return f != nullptr ? uriHashKey(f->uri_text) : std::string();
    }
    case Alg::kHashTo: {
      const NameAddr* t = msg.to();
      return t != nullptr ? uriHashKey(t->uri_text) : std::string();
    }
    case Alg::kHashAuthUser: {
      AuthHeader h;
      if ((msg.auth(HeaderType::kProxyAuthorization, "", h) == FieldState::kOk ||
           msg.auth(HeaderType::kAuthorization, "", h) == FieldState::kOk) &&
          !h.username.empty()) {
        return std::string(h.username);
      }
      return std::nullopt;
    }
    case Alg::kHashPvar: {
      if (pvar == nullptr) return std::string();
      std::string out;
      pvar->eval(ctx, out);
      return out;
    }
    case Alg::kHashRuri:
    default:
      return uriHashKey(ctx.ruri());
  }
}

Result<std::string> avpNameOf(std::string_view spec) {
  spec = trim(spec);
  if (spec.empty()) return std::string();
  constexpr std::string_view kPrefix = "$avp(";
  if (spec.size() <= kPrefix.size() + 1 || spec.substr(0, kPrefix.size()) != kPrefix ||
      spec.back() != ')') {
    return Status::invalidArgument("\"" + std::string(spec) + "\" is not $avp(name)");
  }
  std::string name(spec.substr(kPrefix.size(), spec.size() - kPrefix.size() - 1));
  if (name.find_first_of("()$ \t") != std::string::npos) {
    return Status::invalidArgument("\"" + std::string(spec) + "\" is not $avp(name)");
  }
  return name;
}

Status useDestination(MsgContext& ctx, const Destination& d, bool domain,
                      const std::string& attrs_avp) {
  if (domain) {
    Status st = rewriteRuriPart(ctx, UriPart::kHostPort, d.hostport);
    if (!st.isOk()) return st;
  } else {
    ctx.dst_uri = d.uri;
  }
  if (!d.socket.empty()) {
    Result<const Listener*> l = findListenerByText(listeners(), d.socket);
    if (l.isOk()) {
      ctx.send_socket = l.value();
    } else {
      SL_ERR_RATELIMITED("dispatcher: socket %s of %s is not ours: %s", d.socket.c_str(),
                         d.uri.c_str(), l.status().message().c_str());
    }
  }
  if (!attrs_avp.empty()) {
    ctx.avps.erase(attrs_avp);
    ctx.avps.push(attrs_avp, script::Value::owned(d.attrs));
  }
  ctx.avps.erase(kCurrentAvp);
  ctx.avps.push(kCurrentAvp, script::Value::owned(valueOf(d)));
  return Status::ok();
}

void keepCandidates(MsgContext& ctx, const std::vector<Destination>& rest) {
  ctx.avps.erase(kCandidatesAvp);
  // [0] is the newest value: push the last candidate first.
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    ctx.avps.push(kCandidatesAvp, script::Value::owned(valueOf(*it)));
  }
}

std::optional<std::pair<std::int64_t, std::string>> takeCandidate(MsgContext& ctx) {
  // Bounded by the number of values: a malformed one is dropped and the next tried.
  for (int n = ctx.avps.count(kCandidatesAvp); n > 0; --n) {
    const script::Value* v = ctx.avps.get(kCandidatesAvp, 0);
    if (v == nullptr) break;
    auto out = splitValue(v->str());
    ctx.avps.eraseAt(kCandidatesAvp, 0);
    if (out.has_value()) return out;
  }
  return std::nullopt;
}

std::optional<std::pair<std::int64_t, std::string>> currentDestination(MsgContext& ctx) {
  const script::Value* v = ctx.avps.get(kCurrentAvp, 0);
  if (v == nullptr) return std::nullopt;
  return splitValue(v->str());
}

}  // namespace sipline::dispatcher
