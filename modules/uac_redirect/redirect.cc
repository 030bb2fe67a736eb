#include "modules/uac_redirect/redirect.h"

#include <algorithm>

#include "core/base/strings.h"
#include "core/parser/contact.h"
#include "core/parser/sip_message.h"

namespace sipline::uac_redirect {
namespace {

bool anyMatches(const std::vector<RegexPtr>& res, std::string_view uri) {
  for (const RegexPtr& re : res) {
    if (re->matches(uri)) return true;
  }
  return false;
}

bool parseCount(std::string_view s, std::uint32_t& out) {
  std::int64_t n = 0;
  if (!parseInt(s, n) || n < 0 || n > 1000) return false;
  out = static_cast<std::uint32_t>(n);
  return true;
}

// The Contacts of msg, each list element parsed on its own; the ones that do not parse are
// left out. False when one was left out (or a header could not be split into elements).
bool contactsOneByOne(const SipMessage& msg, ContactList& out) {
  bool all = true;
  for (const HeaderField& h : msg.headers()) {
    if (h.type != HeaderType::kContact) continue;
    std::size_t pos = 0;
    std::string_view element;
    ParseError err = ParseError::kOk;
    while (nextListElement(h.body, pos, element, err)) {
      ContactList one;
      if (parseContactBody(element, one) != ParseError::kOk || one.star) {
        all = false;
        continue;
      }
      for (Contact& c : one.items) out.items.push_back(c);
    }
    if (err != ParseError::kOk) all = false;
  }
  return all;
}

}  // namespace

bool Filters::accepts(std::string_view uri) const {
  if (anyMatches(accept, uri)) return true;
  if (anyMatches(deny, uri)) return false;
  return default_accept;
}

Result<Limits> parseLimits(std::string_view text) {
  Limits l;
  std::size_t colon = text.find(':');
  bool ok = parseCount(text.substr(0, colon), l.total);
  if (ok && colon != std::string_view::npos) ok = parseCount(text.substr(colon + 1), l.per_reply);
  if (!ok) {
    return Status::invalidArgument("max must be \"N\" or \"N:M\" (0 to 1000; 0: no limit), got \"" +
                                   std::string(text) + "\"");
  }
  return l;
}

Result<RegexPtr> compileFilter(const std::string& pattern) {
  if (pattern.empty()) return Status::invalidArgument("the filter regex is empty");
  auto re = std::make_shared<Regex>();
  Status st = re->compile(pattern);
  if (!st.isOk()) return st.withPrefix("filter \"" + pattern + "\"");
  return RegexPtr(std::move(re));
}

std::vector<Target> gather(const std::vector<ReplyText>& replies, const Filters& filters,
                           const Limits& limits, GatherStats* stats) {
  GatherStats local;
  GatherStats& st = stats != nullptr ? *stats : local;
  std::vector<Target> out;
  for (const ReplyText& r : replies) {
    if (r.code < 300 || r.code > 399) continue;
    ++st.replies;
    SipMessage msg;
    if (msg.parse(r.text) != ParseError::kOk) {
      ++st.unparsable;
      continue;
    }
    // Each Contact on its own: a malformed one (a bad q, a bad URI) is skipped, not every
    // Contact of the reply with it (as OpenSIPS skips a Contact with an invalid q).
    ContactList contacts;
    bool bad = !contactsOneByOne(msg, contacts);
    if (bad || contacts.items.empty()) ++st.unparsable;
    std::vector<Target> mine;
    for (const Contact& c : contacts.items) {
      bool sip = c.addr.uri_ok && c.addr.uri.scheme != SipUri::Scheme::kTel;
      // expires=0: the redirecting server says the address is no longer valid (RFC 3261
      // §20.19 gives a 3xx Contact's expires the URI's validity; the Expires header field
      // stands for the Contacts without the parameter).
      Uint32Field expires = c.expires.state == FieldState::kAbsent ? msg.expires() : c.expires;
      bool expired = expires.ok() && expires.value == 0;
      if (!sip || expired || !filters.accepts(c.addr.uri_text)) {
        ++st.filtered;
        continue;
      }
      Target t{std::string(c.addr.uri_text), c.has_q ? c.q : 1000, c.has_q};
      bool dup = false;
      for (const Target& seen : out) dup = dup || seen.uri == t.uri;
      for (const Target& seen : mine) dup = dup || seen.uri == t.uri;
      if (!dup) mine.push_back(std::move(t));
    }
    // The per-reply limit takes that reply's best Contacts.
    std::stable_sort(mine.begin(), mine.end(),
                     [](const Target& a, const Target& b) { return a.q > b.q; });
    if (limits.per_reply > 0 && mine.size() > limits.per_reply) mine.resize(limits.per_reply);
    for (Target& t : mine) out.push_back(std::move(t));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Target& a, const Target& b) { return a.q > b.q; });
  if (limits.total > 0 && out.size() > limits.total) out.resize(limits.total);
  return out;
}

}  // namespace sipline::uac_redirect
