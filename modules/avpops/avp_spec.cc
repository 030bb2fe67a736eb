#include "modules/avpops/avp_spec.h"

#include "core/base/strings.h"
#include "core/parser/uri.h"

namespace sipline::avpops {
namespace {

bool isAvpNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Result<SourceSpec> parseSource(std::string_view text) {
  text = trim(text);
  if (text.empty()) return Status::invalidArgument("the source is empty");
  SourceSpec spec;
  bool explicit_part = false;
  std::size_t slash = text.rfind('/');
  // A '/' inside the pseudo-variable's parentheses is not a part selector.
  if (slash != std::string_view::npos && text.find(')', slash) == std::string_view::npos) {
    std::string part = toLower(text.substr(slash + 1));
    explicit_part = true;
    if (part == "username") {
      spec.part = KeyPart::kUsername;
    } else if (part == "domain") {
      spec.part = KeyPart::kDomain;
    } else if (part == "uri") {
      spec.part = KeyPart::kUri;
    } else if (part == "uuid") {
      spec.part = KeyPart::kUuid;
    } else if (text.front() == '$') {
      return Status::invalidArgument("unknown source part \"/" +
                                     std::string(text.substr(slash + 1)) +
                                     "\" (use /username, /domain, /uri or /uuid)");
    } else {
      explicit_part = false;  // a constant with a '/' in it
    }
    if (explicit_part) text = text.substr(0, slash);
  }
  if (text.empty()) return Status::invalidArgument("the source is empty");
  if (text.front() == '$') {
    if (text.size() < 2) return Status::invalidArgument("\"$\" names no pseudo-variable");
    spec.pvar = std::string(text.substr(1));
  } else {
    spec.constant = std::string(text);
  }
  if (!explicit_part) {
    bool uri_pvar =
        spec.pvar == "ru" || spec.pvar == "fu" || spec.pvar == "tu" || spec.pvar == "ou";
    spec.part = uri_pvar ? KeyPart::kUri : KeyPart::kUuid;
  }
  return spec;
}

Result<RowKey> keyOf(std::string_view value, KeyPart part, bool use_domain) {
  value = trim(value);
  if (value.empty()) return Status::invalidArgument("the source has no value");
  RowKey key;
  SipUri uri;
  bool is_uri = parseUri(value, uri) == ParseError::kOk && uri.scheme != SipUri::Scheme::kTel;
  switch (part) {
    case KeyPart::kUuid:
      key.uuid = std::string(value);
      key.by_uuid = true;
      return key;
    case KeyPart::kUri:
      if (!is_uri) {
        return Status::invalidArgument("\"" + std::string(value) + "\" is not a SIP URI");
      }
      if (uri.user.empty()) {
        return Status::invalidArgument("the URI \"" + std::string(value) + "\" has no user");
      }
      key.username = std::string(uri.user);
      key.by_username = true;
      if (use_domain) {
        key.domain = toLower(uri.hostNoBrackets());
        key.by_domain = true;
      }
      return key;
    case KeyPart::kUsername:
      key.username = std::string(is_uri ? uri.user : value);
      key.by_username = true;
      if (key.username.empty()) {
        return Status::invalidArgument("the URI \"" + std::string(value) + "\" has no user");
      }
      return key;
    case KeyPart::kDomain:
      key.domain = is_uri ? toLower(uri.hostNoBrackets()) : toLower(value);
      key.by_domain = true;
      return key;
  }
  return Status::internal("unknown key part");
}

Result<std::string> parseAvpName(std::string_view text, bool allow_all) {
  text = trim(text);
  std::string_view name = text;
  if (name.substr(0, 5) == "$avp(" && name.size() > 5 && name.back() == ')') {
    name = name.substr(5, name.size() - 6);
  } else if (!name.empty() && name.front() == '$') {
    return Status::invalidArgument("\"" + std::string(text) + "\" is not an $avp(name)");
  }
  // OpenSIPS 1.x: "s:name" and "i:number" are the name (as $avp(s:name) in the script).
  if (name.size() > 2 && name[1] == ':' && (name[0] == 's' || name[0] == 'i')) {
    name.remove_prefix(2);
  }
  if (name == "*") {
    if (allow_all) return std::string("*");
    return Status::invalidArgument("\"*\" (every attribute) is not allowed here");
  }
  if (name.empty() || name.size() > 32) {
    return Status::invalidArgument("the AVP name must have 1 to 32 characters, got \"" +
                                   std::string(text) + "\"");
  }
  for (char c : name) {
    if (!isAvpNameChar(c)) {
      return Status::invalidArgument("the AVP name \"" + std::string(name) +
                                     "\" may hold only letters, digits, '_', '.' and '-'");
    }
  }
  return std::string(name);
}

Result<std::vector<std::string>> parseAvpList(std::string_view text) {
  std::vector<std::string> out;
  std::size_t guard = 0;
  while (!text.empty() && guard++ < 1000) {
    std::size_t semi = text.find(';');
    std::string_view item = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (trim(item).empty()) continue;
    Result<std::string> name = parseAvpName(item, false);
    if (!name.isOk()) return name.status();
    out.push_back(std::move(name.value()));
  }
  if (out.empty()) return Status::invalidArgument("the AVP list is empty");
  return out;
}

}  // namespace sipline::avpops
