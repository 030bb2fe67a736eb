#include "modules/registrar/lookup.h"

#include <algorithm>
#include <vector>

#include "core/base/log.h"
#include "core/parser/name_addr.h"
#include "modules/registrar/register_request.h"

namespace sipline::registrar {
namespace {

// Contacts without q rank as 1.0, as tm's serial forking treats them.
int effectiveQ(std::int32_t q) { return q < 0 ? 1000 : q; }

// The AOR of the call's argument or of the request-URI; kLookupFound when there is one.
int resolveAor(MsgContext& ctx, const AorOptions& options, std::optional<std::string_view> text,
               std::string& aor) {
  AorError e = AorError::kBadUri;
  if (text.has_value()) {
    e = aorFromText(*text, options, aor);
  } else if (const SipUri* ruri = ctx.ruriParsed(); ruri != nullptr) {
    e = aorFromUri(*ruri, options, aor);
  }
  if (e == AorError::kOk) return kLookupFound;
  SL_DBG("registrar: no AOR to look up in '%.*s': %s", SL_SV(text.value_or(ctx.ruri())),
         aorErrorText(e));
  return e == AorError::kBadUri ? kLookupError : kLookupNotFound;
}

// A binding's URI as a request-URI: without a headers part (RFC 3261 §19.1.1: not allowed
// there; RFC 4475 regescrt registers one).
std::string requestUriOf(const std::string& contact) {
  std::size_t q = contact.find('?');
  return q == std::string::npos ? contact : contact.substr(0, q);
}

// Where to send: the first Path hop (RFC 3327 §5.2), else the address the phone registered
// from, else the request-URI itself ("").
std::string destinationOf(const usrloc::Contact& c) {
  if (!c.path.empty()) {
    std::vector<NameAddr> hops;
    if (parseNameAddrList(c.path, hops) == ParseError::kOk && !hops.empty()) {
      return std::string(hops.front().uri_text);
    }
  }
  return c.received;
}

const Listener* socketOf(const usrloc::Contact& c, const Listeners* sockets) {
  if (sockets == nullptr || c.socket.empty()) return nullptr;
  for (const Listener& l : sockets->all()) {
    if (l.text == c.socket) return &l;
  }
  return nullptr;
}

Branch branchOf(const usrloc::Contact& c, const Listeners* sockets) {
  Branch b;
  b.uri = requestUriOf(c.uri);
  b.dst_uri = destinationOf(c);
  b.path = c.path;
  b.q = c.q;
  b.bflags = c.cflags;
  b.send_socket = socketOf(c, sockets);
  return b;
}

// Makes c the request-URI (branch 0); false when its URI cannot be one.
bool routeToBest(MsgContext& ctx, const usrloc::Contact& c, const Listeners* sockets) {
  Branch b = branchOf(c, sockets);
  if (!ctx.setRuri(b.uri).isOk()) {
    SL_DBG("registrar: binding '%s' cannot be a request-URI; skipped", c.uri.c_str());
    return false;
  }
  ctx.dst_uri = b.dst_uri;
  ctx.ruri_q = b.q;
  ctx.bflags = b.bflags;
  if (b.send_socket != nullptr) ctx.send_socket = b.send_socket;
  // RFC 3327 §5.2: the Path becomes the Route set of this branch (written when it is relayed).
  ctx.ruri_path = b.path;
  return true;
}

void appendOthers(MsgContext& ctx, const std::vector<usrloc::Contact>& contacts, std::size_t from,
                  const Listeners* sockets) {
  for (std::size_t i = from; i < contacts.size(); ++i) {
    Branch b = branchOf(contacts[i], sockets);
    SipUri check;
    if (parseUri(b.uri, check) != ParseError::kOk) continue;  // not a SIP/tel URI
    if (!ctx.appendBranch(std::move(b)).isOk()) {
      SL_DBG("registrar: branch limit reached; %zu binding(s) of Call-ID %.*s left out",
             contacts.size() - i, SL_SV(ctx.msg().callId()));
      return;
    }
  }
}

}  // namespace

int lookupContacts(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                   const LookupOptions& options, std::optional<std::string_view> aor_text,
                   std::int64_t now, const Listeners* sockets) {
  std::string aor;
  int rc = resolveAor(ctx, options.aor, aor_text, aor);
  if (rc != kLookupFound) return rc;
  Result<std::vector<usrloc::Contact>> got = usrloc.get(domain, aor);
  if (!got.isOk()) {
    SL_ERR_RATELIMITED("registrar: lookup of %s failed: %s", aor.c_str(),
                       got.status().message().c_str());
    return kLookupError;
  }
  std::vector<usrloc::Contact> contacts = std::move(got.value());
  std::erase_if(contacts, [&](const usrloc::Contact& c) { return c.expires <= now; });
  if (options.ua_filter != nullptr) {
    std::erase_if(contacts, [&](const usrloc::Contact& c) {
      return !options.ua_filter->matches(c.user_agent);
    });
  }
  if (contacts.empty()) return kLookupNotFound;
  if (options.flags.method_filtering && ctx.msg().isRequest()) {
    std::uint32_t bit = methodBit(ctx.msg().method());
    std::erase_if(contacts,
                  [&](const usrloc::Contact& c) { return bit != 0 && (c.methods & bit) == 0; });
    if (contacts.empty()) return kLookupMethodNotAllowed;
  }
  // Highest q first; among equals the most recently refreshed; then as stored.
  std::stable_sort(contacts.begin(), contacts.end(),
                   [](const usrloc::Contact& a, const usrloc::Contact& b) {
                     if (effectiveQ(a.q) != effectiveQ(b.q))
                       return effectiveQ(a.q) > effectiveQ(b.q);
                     return a.last_modified > b.last_modified;
                   });

  if (options.flags.to_branches_only) {
    std::size_t before = ctx.branches.size();
    appendOthers(ctx, contacts, 0, sockets);
    return ctx.branches.size() > before ? kLookupFound : kLookupNotFound;
  }
  std::size_t best = 0;
  while (best < contacts.size() && !routeToBest(ctx, contacts[best], sockets)) ++best;
  if (best == contacts.size()) return kLookupNotFound;
  if (options.append_branches && !options.flags.no_branches) {
    appendOthers(ctx, contacts, best + 1, sockets);
  }
  return kLookupFound;
}

int registeredAor(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                  const AorOptions& options, std::optional<std::string_view> aor_text) {
  std::string aor;
  int rc = resolveAor(ctx, options, aor_text, aor);
  if (rc != kLookupFound) return rc;
  Result<std::vector<usrloc::Contact>> got = usrloc.get(domain, aor);
  if (!got.isOk()) return kLookupError;
  return got.value().empty() ? kLookupNotFound : kLookupFound;
}

int isRegisteredAor(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                    const AorOptions& options, std::optional<std::string_view> aor_text) {
  if (aor_text.has_value()) return registeredAor(ctx, usrloc, domain, options, aor_text);
  SipMessage& msg = ctx.msg();
  const NameAddr* who =
      msg.isRequest() && msg.method() == Method::kRegister ? msg.to() : msg.from();
  if (who == nullptr) return kLookupError;
  return registeredAor(ctx, usrloc, domain, options, who->text);
}

}  // namespace sipline::registrar
