#include "core/sip/uri_rewrite.h"

#include "core/base/strings.h"
#include "core/parser/uri.h"
#include "core/sip/msg_context.h"

namespace sipline {
namespace {

// The pieces a URI is rebuilt from; each a view into the original text or the new value.
struct Pieces {
  std::string_view scheme;  // "sip:" as written, colon included
  std::string_view user;
  std::string_view password;
  bool has_password = false;
  std::string_view host;
  std::string_view port;
  std::string params;  // without the leading ';'
  std::string_view headers;
  bool tel = false;
};

// `parsed` is `uri` parsed (its views point into uri).
Pieces piecesOf(std::string_view uri, const SipUri& parsed) {
  Pieces p;
  p.scheme = uri.substr(0, uri.find(':') + 1);
  p.user = parsed.user;
  p.tel = parsed.scheme == SipUri::Scheme::kTel;
  if (!p.tel && !parsed.user.empty()) {
    // A password is present when the userinfo has a ':' ("sip:u:@h" has an empty one).
    std::size_t user_end =
        static_cast<std::size_t>(parsed.user.data() - uri.data()) + parsed.user.size();
    p.has_password = user_end < uri.size() && uri[user_end] == ':';
    p.password = parsed.password;
  }
  p.host = parsed.host;
  p.port = parsed.port_text;
  p.params = std::string(parsed.params);
  p.headers = parsed.headers;
  return p;
}

Result<Pieces> split(std::string_view uri, SipUri& parsed) {
  if (parseUri(uri, parsed) != ParseError::kOk) {
    return Status::invalidArgument("the request-URI \"" + std::string(uri) + "\" does not parse");
  }
  return piecesOf(uri, parsed);
}

std::string join(const Pieces& p) {
  std::string out;
  out.reserve(64 + p.params.size() + p.headers.size());
  out.append(p.scheme);
  if (p.tel) {
    out.append(p.user);
  } else {
    if (!p.user.empty()) {
      out.append(p.user);
      if (p.has_password) {
        out += ':';
        out.append(p.password);
      }
      out += '@';
    }
    out.append(p.host);
    if (!p.port.empty()) {
      out += ':';
      out.append(p.port);
    }
  }
  if (!p.params.empty()) {
    out += ';';
    out += p.params;
  }
  if (!p.headers.empty()) {
    out += '?';
    out.append(p.headers);
  }
  return out;
}

std::string withoutMaddr(std::string_view params) {
  std::string out;
  while (!params.empty()) {
    std::size_t semi = params.find(';');
    std::string_view one = params.substr(0, semi);
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (iequals(trim(one.substr(0, one.find('='))), "maddr")) continue;
    if (!out.empty()) out += ';';
    out.append(one);
  }
  return out;
}

const char* partName(UriPart part) {
  switch (part) {
    case UriPart::kWhole:
      return "URI";
    case UriPart::kUser:
      return "user";
    case UriPart::kUserPass:
      return "user[:password]";
    case UriPart::kHost:
      return "host";
    case UriPart::kHostPort:
      return "host[:port]";
    case UriPart::kPort:
      return "port";
  }
  return "?";
}

// What `part` of a parsed URI holds, in the form a rewrite writes it.
std::string readBack(const SipUri& u, std::string_view text, UriPart part) {
  switch (part) {
    case UriPart::kUser:
      return std::string(u.user);
    case UriPart::kUserPass: {
      std::string s(u.user);
      std::size_t user_end =
          u.user.empty() ? 0
                         : static_cast<std::size_t>(u.user.data() - text.data()) + u.user.size();
      if (!u.user.empty() && user_end < text.size() && text[user_end] == ':') {
        s += ':';
        s.append(u.password);
      }
      return s;
    }
    case UriPart::kHost:
      return std::string(u.host);
    case UriPart::kHostPort: {
      std::string s(u.host);
      if (!u.port_text.empty()) s += ":" + std::string(u.port_text);
      return s;
    }
    case UriPart::kPort:
      return std::string(u.port_text);
    case UriPart::kWhole:
      return std::string(text);
  }
  return "";
}

// The rebuilt URI must parse and carry exactly `value` in `part`.
Result<std::string> checked(std::string out, UriPart part, std::string_view value) {
  SipUri parsed;
  if (parseUri(out, parsed) != ParseError::kOk) {
    return Status::invalidArgument("the result \"" + out + "\" is not a valid URI");
  }
  if (part != UriPart::kWhole && readBack(parsed, out, part) != value) {
    return Status::invalidArgument("\"" + std::string(value) + "\" is not a valid " +
                                   partName(part) + " (the URI would read \"" + out + "\")");
  }
  return out;
}

// The rewrite of a URI already parsed (the request-URI the context holds parsed).
Result<std::string> rewriteParsed(std::string_view uri, const SipUri& parsed, UriPart part,
                                  std::string_view value) {
  if (part == UriPart::kWhole) return checked(std::string(value), part, value);
  Pieces p = piecesOf(uri, parsed);
  if (p.tel && part != UriPart::kUser) {
    return Status::invalidArgument(std::string("a tel: URI has no ") + partName(part));
  }
  switch (part) {
    case UriPart::kUser:
      p.user = value;
      if (value.empty()) p.has_password = false;
      break;
    case UriPart::kUserPass: {
      std::size_t colon = value.find(':');
      p.user = value.substr(0, colon);
      p.has_password = colon != std::string_view::npos;
      p.password = p.has_password ? value.substr(colon + 1) : std::string_view();
      if (p.user.empty() && p.has_password) {
        return Status::invalidArgument("\"" + std::string(value) + "\" has a password but no user");
      }
      break;
    }
    case UriPart::kHost:
      p.host = value;
      p.params = withoutMaddr(p.params);
      break;
    case UriPart::kHostPort:
      p.host = value;  // the port comes with the value
      p.port = std::string_view();
      p.params = withoutMaddr(p.params);
      break;
    case UriPart::kPort:
      p.port = value;
      break;
    case UriPart::kWhole:
      break;
  }
  return checked(join(p), part, value);
}

}  // namespace

Result<std::string> rewriteUriPart(std::string_view uri, UriPart part, std::string_view value) {
  if (part == UriPart::kWhole) return checked(std::string(value), part, value);
  SipUri parsed;
  if (parseUri(uri, parsed) != ParseError::kOk) {
    return Status::invalidArgument("the request-URI \"" + std::string(uri) + "\" does not parse");
  }
  return rewriteParsed(uri, parsed, part, value);
}

Result<std::string> prefixUriUser(std::string_view uri, std::string_view prefix) {
  SipUri parsed;
  Result<Pieces> split_uri = split(uri, parsed);
  if (!split_uri.isOk()) return split_uri.status();
  std::string user = std::string(prefix) + std::string(split_uri.value().user);
  return rewriteUriPart(uri, UriPart::kUser, user);
}

Result<std::string> stripUriUser(std::string_view uri, std::size_t n, bool from_tail) {
  SipUri parsed;
  Result<Pieces> split_uri = split(uri, parsed);
  if (!split_uri.isOk()) return split_uri.status();
  std::string_view user = split_uri.value().user;
  if (n >= user.size()) {
    user = std::string_view();
  } else {
    user = from_tail ? user.substr(0, user.size() - n) : user.substr(n);
  }
  return rewriteUriPart(uri, UriPart::kUser, user);
}

namespace {

Status install(MsgContext& ctx, Result<std::string> uri) {
  if (!uri.isOk()) return uri.status();
  return ctx.setRuri(std::move(uri.value()));
}

Status needsRequest(MsgContext& ctx) {
  return ctx.msg().isRequest() ? Status::ok()
                               : Status::failedPrecondition("a reply has no request-URI");
}

}  // namespace

Status rewriteRuriPart(MsgContext& ctx, UriPart part, std::string_view value) {
  Status st = needsRequest(ctx);
  if (!st.isOk()) return st;
  const SipUri* u = ctx.ruriParsed();
  if (u == nullptr) return install(ctx, rewriteUriPart(ctx.ruri(), part, value));
  return install(ctx, rewriteParsed(ctx.ruri(), *u, part, value));
}

// prefix and strip read the user from the request-URI the context has parsed already, so a
// rewrite parses the URI once (to rebuild it) and the result once (to check it).
Status prefixRuriUser(MsgContext& ctx, std::string_view prefix) {
  Status st = needsRequest(ctx);
  if (!st.isOk()) return st;
  const SipUri* u = ctx.ruriParsed();
  if (u == nullptr) return install(ctx, prefixUriUser(ctx.ruri(), prefix));
  std::string user = std::string(prefix) + std::string(u->user);
  return install(ctx, rewriteParsed(ctx.ruri(), *u, UriPart::kUser, user));
}

Status stripRuriUser(MsgContext& ctx, std::size_t n, bool from_tail) {
  Status st = needsRequest(ctx);
  if (!st.isOk()) return st;
  const SipUri* u = ctx.ruriParsed();
  if (u == nullptr) return install(ctx, stripUriUser(ctx.ruri(), n, from_tail));
  std::string_view user = u->user;
  if (n >= user.size()) {
    user = std::string_view();
  } else {
    user = from_tail ? user.substr(0, user.size() - n) : user.substr(n);
  }
  // `user` views the current URI; rewriteUriPart copies it before the URI is replaced.
  return install(ctx, rewriteParsed(ctx.ruri(), *u, UriPart::kUser, std::string(user)));
}

}  // namespace sipline
