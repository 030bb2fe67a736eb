#include "modules/auth_db/uri_checks.h"

#include <vector>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/parser/auth_header.h"
#include "core/parser/uri.h"

namespace sipline::auth_db {
namespace {

// The realm of a URI host: lower-cased, without the prefix (auth's realmFor() rule).
std::string realmOfHost(std::string_view host, std::string_view realm_prefix) {
  std::string h = toLower(host);
  std::string prefix = toLower(realm_prefix);
  if (!prefix.empty() && h.size() > prefix.size() && h.compare(0, prefix.size(), prefix) == 0) {
    h.erase(0, prefix.size());
  }
  return h;
}

}  // namespace

bool authenticatedIdentity(MsgContext& ctx, AuthIdentity& out) {
  // Kept by the check that authorized the request, so consume_credentials() may come first.
  const std::string& username = ctx.auth.username;
  out.user = username.substr(0, username.find('@'));
  out.realm = ctx.auth.realm;
  return !out.user.empty();
}

int isUriAuthorized(MsgContext& ctx, const NameAddr* na, bool use_domain,
                    std::string_view realm_prefix) {
  AuthIdentity id;
  if (!authenticatedIdentity(ctx, id)) return -1;
  if (na == nullptr || !na->uri_ok || na->uri.scheme == SipUri::Scheme::kTel) return -1;
  if (unescapeUri(na->uri.user) != id.user) return -1;
  if (use_domain && !iequals(realmOfHost(na->uri.host, realm_prefix), id.realm)) {
    return -1;
  }
  return 1;
}

int doesUriExist(Service& service, Table& table, MsgContext& ctx,
                 std::optional<std::string_view> uri) {
  SipUri parsed;
  const SipUri* u = nullptr;
  if (uri.has_value()) {
    if (parseUri(*uri, parsed) != ParseError::kOk) {
      SL_DBG("auth_db: db_does_uri_exist: not a URI: %.*s", SL_SV(*uri));
      return -2;
    }
    u = &parsed;
  } else {
    u = ctx.ruriParsed();
    if (u == nullptr) return -2;
  }
  if (u->scheme == SipUri::Scheme::kTel || u->user.empty()) return -1;
  std::string user = unescapeUri(u->user);
  switch (service.exists(table, user, u->host)) {
    case Lookup::kFound:
      return 1;
    case Lookup::kNotFound:
      return -1;
    case Lookup::kError:
      break;
  }
  return -2;
}

}  // namespace sipline::auth_db
