#include "modules/alias_db/alias_lookup.h"

#include <vector>

#include "core/base/log.h"
#include "core/parser/uri.h"
#include "core/sip/uri_rewrite.h"

namespace sipline::alias_db {
namespace {

bool lookable(const SipUri& uri) {
  return uri.scheme != SipUri::Scheme::kTel && !uri.user.empty() && !uri.host.empty();
}

// The user as the table stores it: unescaped ("%2B4401" is "+4401", RFC 3261 §19.1.4 compares
// users unescaped, and `siplinectl alias` writes them without escapes). False for a user that
// unescapes to a NUL or to a byte beyond ASCII: no text column holds a NUL, PostgreSQL
// refuses a parameter that is not valid UTF-8 with an error that would pass for a DB outage
// (a caller could fake one with "%FF"), and the users `siplinectl alias` writes are ASCII.
bool tableUser(const SipUri& uri, std::string& out) {
  out = unescapeUri(uri.user);
  for (char c : out) {
    if (c == '\0' || static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

int toRc(Lookup l) {
  switch (l) {
    case Lookup::kFound:
      return kFound;
    case Lookup::kNotFound:
      return kNotFound;
    case Lookup::kError:
      break;
  }
  return kDbError;
}

}  // namespace

Result<std::string> applyTarget(std::string_view uri, const Target& target) {
  Result<std::string> out = rewriteUriPart(uri, UriPart::kUser, target.user);
  if (!out.isOk() || target.domain.empty()) return out;
  return rewriteUriPart(out.value(), UriPart::kHostPort, target.domain);
}

int lookupRuri(Service& service, Table& table, const Flags& flags, MsgContext& ctx) {
  const SipUri* ruri = ctx.msg().isRequest() ? ctx.ruriParsed() : nullptr;
  if (ruri == nullptr || !lookable(*ruri)) {
    SL_DBG("alias_db: request-URI of %.*s has no user@host to look up", SL_SV(ctx.msg().callId()));
    return kBadUri;
  }
  std::size_t room =
      service.config().append_branches ? MsgContext::kMaxBranches - ctx.branches.size() : 1;
  std::string user;
  if (!tableUser(*ruri, user)) return kBadUri;
  std::vector<Target> found;
  Lookup l = service.find(table, user, ruri->host, flags, room, found);
  if (l != Lookup::kFound) return toRc(l);
  std::string current(ctx.ruri());
  std::vector<std::string> uris;
  for (const Target& t : found) {
    Result<std::string> u = applyTarget(current, t);
    if (!u.isOk()) {
      SL_ERR_RATELIMITED("alias_db: table %s: %s@%s does not make a URI from %.*s: %s",
                         table.name().c_str(), t.user.c_str(), t.domain.c_str(), SL_SV(current),
                         u.status().message().c_str());
      continue;
    }
    uris.push_back(std::move(u.value()));
  }
  if (uris.empty()) {
    service.counters().not_found.inc();  // rows, but none usable: as good as none
    return kNotFound;
  }
  Status st = ctx.setRuri(uris.front());
  if (!st.isOk()) {
    SL_ERR_RATELIMITED("alias_db: cannot rewrite the request-URI of %.*s: %s",
                       SL_SV(ctx.msg().callId()), st.message().c_str());
    return kBadUri;
  }
  for (std::size_t i = 1; i < uris.size(); ++i) {
    Branch b;
    b.uri = std::move(uris[i]);
    if (!ctx.appendBranch(std::move(b)).isOk()) break;  // the branch limit
  }
  return kFound;
}

int findUri(Service& service, Table& table, const Flags& flags, std::string_view input,
            std::string& out) {
  std::string text(input);
  SipUri uri;
  if (parseUri(text, uri) != ParseError::kOk) {
    text = "sip:" + std::string(input);
    if (parseUri(text, uri) != ParseError::kOk) return kBadUri;
  }
  std::string user;
  if (!lookable(uri) || !tableUser(uri, user)) return kBadUri;
  std::vector<Target> found;
  Lookup l = service.find(table, user, uri.host, flags, 1, found);
  if (l != Lookup::kFound) return toRc(l);
  const Target& t = found.front();
  std::string result = uri.scheme == SipUri::Scheme::kSips ? "sips:" : "sip:";
  result += t.user;
  result += '@';
  if (t.domain.empty()) {
    result.append(uri.host);  // kept with its port, as alias_db_lookup() keeps it
    if (!uri.port_text.empty()) result.append(":").append(uri.port_text);
  } else {
    result += t.domain;
  }
  // A row the script could not use as a URI (a user with a space, a bad domain) is skipped
  // as alias_db_lookup() skips it.
  SipUri check;
  if (parseUri(result, check) != ParseError::kOk) {
    SL_ERR_RATELIMITED("alias_db: table %s: %s@%s does not make a URI; skipped",
                       table.name().c_str(), t.user.c_str(), t.domain.c_str());
    service.counters().not_found.inc();
    return kNotFound;
  }
  out = std::move(result);
  return kFound;
}

}  // namespace sipline::alias_db
