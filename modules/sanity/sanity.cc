#include "modules/sanity/sanity.h"

#include "core/base/strings.h"
#include "core/parser/header_values.h"
#include "core/parser/sip_message.h"

namespace sipline {
namespace {

struct CheckName {
  const char* name;
  std::uint32_t bit;
};
constexpr CheckName kChecks[] = {
    {"ruri_scheme", kCheckRuriScheme},
    {"max_forwards", kCheckMaxForwards},
    {"proxy_require", kCheckProxyRequire},
    {"from_tag", kCheckFromTag},
    {"expires", kCheckExpires},
    {"content_length", kCheckContentLength},
    {"all", kCheckAll},
};

SanityFailure fail(std::uint32_t check, int code, std::string reason, std::string extra = "") {
  return SanityFailure{code, std::move(reason), std::move(extra), check};
}

bool schemeSupported(std::string_view ruri) {
  std::string_view scheme = ruri.substr(0, ruri.find(':'));
  return iequals(scheme, "sip") || iequals(scheme, "sips") || iequals(scheme, "tel");
}

}  // namespace

Result<std::uint32_t> parseSanityChecks(std::string_view text) {
  std::uint32_t mask = 0;
  std::vector<std::string> names;
  for (const CheckName& c : kChecks) names.emplace_back(c.name);
  while (!text.empty()) {
    std::size_t sep = text.find_first_of(",|");
    std::string_view word = trim(text.substr(0, sep));
    text = sep == std::string_view::npos ? std::string_view() : text.substr(sep + 1);
    if (word.empty()) continue;
    bool found = false;
    for (const CheckName& c : kChecks) {
      if (word == c.name) {
        mask |= c.bit;
        found = true;
      }
    }
    if (!found) {
      return Status::invalidArgument("unknown check '" + std::string(word) + "'" +
                                     didYouMean(word, names));
    }
  }
  if (mask == 0) return Status::invalidArgument("no check named");
  return mask;
}

SanityFailure checkRequest(SipMessage& msg, std::uint32_t checks,
                           const std::vector<std::string>& supported) {
  if (!msg.isRequest()) return {};
  if ((checks & kCheckRuriScheme) && !schemeSupported(msg.requestUriText())) {
    return fail(kCheckRuriScheme, 416, "Unsupported URI Scheme");
  }
  if ((checks & kCheckMaxForwards) && msg.maxForwards() == 0 && msg.method() != Method::kOptions) {
    return fail(kCheckMaxForwards, 483, "Too Many Hops");
  }
  if (checks & kCheckProxyRequire) {
    std::string unsupported;
    for (const HeaderField& h : msg.headers()) {
      if (h.type != HeaderType::kProxyRequire) continue;
      std::vector<std::string_view> tags;
      if (parseTokenList(h.body, tags) != ParseError::kOk) {
        return fail(kCheckProxyRequire, 400, "Bad Proxy-Require");
      }
      for (std::string_view tag : tags) {
        bool known = false;
        for (const std::string& s : supported) known = known || s == tag;
        if (!known) unsupported += (unsupported.empty() ? "" : ", ") + std::string(tag);
      }
    }
    // RFC 3261 §16.3 step 5 (and §8.2.2.3): list the tags we do not support.
    if (!unsupported.empty()) {
      return fail(kCheckProxyRequire, 420, "Bad Extension", "Unsupported: " + unsupported + "\r\n");
    }
  }
  if (checks & kCheckFromTag) {
    const NameAddr* from = msg.from();
    if (from == nullptr || from->tag.empty()) return fail(kCheckFromTag, 400, "Missing From Tag");
  }
  if ((checks & kCheckExpires) && msg.expires().state == FieldState::kBad) {
    return fail(kCheckExpires, 400, "Bad Expires");
  }
  if (checks & kCheckContentLength) {
    const HeaderField* cl = msg.header(HeaderType::kContentLength);
    std::int64_t declared = 0;
    if (cl != nullptr && (!parseInt(trim(cl->body), declared) ||
                          declared != static_cast<std::int64_t>(msg.body().size()))) {
      return fail(kCheckContentLength, 400, "Bad Content-Length");
    }
  }
  return {};
}

}  // namespace sipline
