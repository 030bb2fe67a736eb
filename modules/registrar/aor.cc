#include "modules/registrar/aor.h"

#include "core/base/strings.h"
#include "core/parser/lex.h"
#include "core/parser/name_addr.h"

namespace sipline::registrar {

void appendCanonicalUser(std::string_view user, bool case_sensitive, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < user.size(); ++i) {
    char c = user[i];
    if (c == '%' && i + 2 < user.size() && lex::isHex(user[i + 1]) && lex::isHex(user[i + 2])) {
      int hi = lex::hexValue(user[i + 1]);
      int lo = lex::hexValue(user[i + 2]);
      char decoded = static_cast<char>(hi * 16 + lo);
      if (lex::isUnreserved(decoded)) {
        out += case_sensitive ? decoded : lex::toLower(decoded);
      } else {
        out += '%';
        out += kHex[hi];
        out += kHex[lo];
      }
      i += 2;
      continue;
    }
    out += case_sensitive ? c : lex::toLower(c);
  }
}

AorError aorFromUri(const SipUri& uri, const AorOptions& options, std::string& out) {
  out.clear();
  if (uri.scheme == SipUri::Scheme::kTel) return AorError::kNotSip;
  if (uri.user.empty()) return AorError::kNoUser;
  appendCanonicalUser(uri.user, options.case_sensitive, out);
  if (options.use_domain) {
    std::string_view host = uri.host;
    const std::string_view prefix = options.realm_prefix;
    if (!prefix.empty() && host.size() > prefix.size() &&
        iequals(host.substr(0, prefix.size()), prefix)) {
      host.remove_prefix(prefix.size());
    }
    out += '@';
    for (char c : host) out += lex::toLower(c);
  }
  return out.size() > options.max_len ? AorError::kTooLong : AorError::kOk;
}

AorError aorFromText(std::string_view text, const AorOptions& options, std::string& out) {
  out.clear();
  NameAddr na;
  if (parseNameAddr(trim(text), na) != ParseError::kOk) return AorError::kBadUri;
  if (!na.uri_ok) return AorError::kNotSip;
  return aorFromUri(na.uri, options, out);
}

const char* aorErrorText(AorError e) {
  switch (e) {
    case AorError::kOk:
      return "ok";
    case AorError::kNotSip:
      return "the address-of-record is not a SIP or SIPS URI";
    case AorError::kNoUser:
      return "no user in the address-of-record";
    case AorError::kBadUri:
      return "the address-of-record does not parse";
    case AorError::kTooLong:
      return "the address-of-record is too long";
  }
  return "?";
}

}  // namespace sipline::registrar
