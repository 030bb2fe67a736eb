#include "core/parser/header_type.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>

namespace sipline {

namespace {

struct NameEntry {
  std::string_view name;  // canonical spelling
  HeaderType type;
};

// clang-format off
constexpr NameEntry kNames[] = {
    {"", HeaderType::kOther},
    {"Via", HeaderType::kVia},
    {"From", HeaderType::kFrom},
    {"To", HeaderType::kTo},
    {"Call-ID", HeaderType::kCallId},
    {"CSeq", HeaderType::kCSeq},
    {"Max-Forwards", HeaderType::kMaxForwards},
    {"Contact", HeaderType::kContact},
    {"Content-Length", HeaderType::kContentLength},
    {"Content-Type", HeaderType::kContentType},
    {"Route", HeaderType::kRoute},
    {"Record-Route", HeaderType::kRecordRoute},
    {"Expires", HeaderType::kExpires},
    {"Authorization", HeaderType::kAuthorization},
    {"Proxy-Authorization", HeaderType::kProxyAuthorization},
    {"WWW-Authenticate", HeaderType::kWwwAuthenticate},
    {"Proxy-Authenticate", HeaderType::kProxyAuthenticate},
    {"Supported", HeaderType::kSupported},
    {"Require", HeaderType::kRequire},
    {"Proxy-Require", HeaderType::kProxyRequire},
    {"Unsupported", HeaderType::kUnsupported},
    {"Allow", HeaderType::kAllow},
    {"Event", HeaderType::kEvent},
    {"User-Agent", HeaderType::kUserAgent},
    {"Server", HeaderType::kServer},
    {"Accept", HeaderType::kAccept},
    {"Content-Encoding", HeaderType::kContentEncoding},
    {"Subject", HeaderType::kSubject},
    {"Refer-To", HeaderType::kReferTo},
    {"Referred-By", HeaderType::kReferredBy},
    {"Path", HeaderType::kPath},
    {"Min-Expires", HeaderType::kMinExpires},
    {"Allow-Events", HeaderType::kAllowEvents},
    {"Session-Expires", HeaderType::kSessionExpires},
    {"Min-SE", HeaderType::kMinSe},
    {"RSeq", HeaderType::kRSeq},
    {"RAck", HeaderType::kRAck},
    {"Subscription-State", HeaderType::kSubscriptionState},
    {"Service-Route", HeaderType::kServiceRoute},
    {"P-Asserted-Identity", HeaderType::kPAssertedIdentity},
    {"P-Preferred-Identity", HeaderType::kPPreferredIdentity},
    {"Privacy", HeaderType::kPrivacy},
    {"Reason", HeaderType::kReason},
    {"Replaces", HeaderType::kReplaces},
    {"Accept-Encoding", HeaderType::kAcceptEncoding},
    {"Accept-Language", HeaderType::kAcceptLanguage},
    {"Content-Disposition", HeaderType::kContentDisposition},
    {"Content-Language", HeaderType::kContentLanguage},
    {"Date", HeaderType::kDate},
    {"Retry-After", HeaderType::kRetryAfter},
    {"Timestamp", HeaderType::kTimestamp},
    {"Warning", HeaderType::kWarning},
    {"Organization", HeaderType::kOrganization},
    {"Priority", HeaderType::kPriority},
    {"MIME-Version", HeaderType::kMimeVersion},
    {"Call-Info", HeaderType::kCallInfo},
    {"Alert-Info", HeaderType::kAlertInfo},
    {"Error-Info", HeaderType::kErrorInfo},
    {"Reply-To", HeaderType::kReplyTo},
    {"In-Reply-To", HeaderType::kInReplyTo},
    {"Identity", HeaderType::kIdentity},
    {"Authentication-Info", HeaderType::kAuthenticationInfo},
    {"Diversion", HeaderType::kDiversion},
};
// clang-format on
static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<std::size_t>(HeaderType::kCount));

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Compact forms, RFC 3261 §7.3.3, RFC 3265 (o, u), RFC 3515 (r), RFC 3892 (b), RFC 4028 (x),
// RFC 4474 (y). a/j/d/n (caller prefs, Identity-Info) have no type here: kOther.
HeaderType compactForm(char c) {
  switch (lower(c)) {
    case 'v':
      return HeaderType::kVia;
    case 'f':
      return HeaderType::kFrom;
    case 't':
      return HeaderType::kTo;
    case 'i':
      return HeaderType::kCallId;
    case 'm':
      return HeaderType::kContact;
    case 'l':
      return HeaderType::kContentLength;
    case 'c':
      return HeaderType::kContentType;
    case 'e':
      return HeaderType::kContentEncoding;
    case 'k':
      return HeaderType::kSupported;
    case 's':
      return HeaderType::kSubject;
    case 'o':
      return HeaderType::kEvent;
    case 'r':
      return HeaderType::kReferTo;
    case 'b':
      return HeaderType::kReferredBy;
    case 'u':
      return HeaderType::kAllowEvents;
    case 'x':
      return HeaderType::kSessionExpires;
    case 'y':
      return HeaderType::kIdentity;
    default:
      return HeaderType::kOther;
  }
}

// Names bucketed by lower-case first letter, so a lookup compares against at most a few.
struct Bucket {
  std::uint8_t count = 0;
  std::uint8_t index[12] = {};
};

constexpr std::array<Bucket, 26> kByFirstLetter = [] {
  std::array<Bucket, 26> buckets{};
  for (std::size_t t = 1; t < std::size(kNames); ++t) {
    Bucket& b = buckets[static_cast<std::size_t>(lower(kNames[t].name[0]) - 'a')];
    b.index[b.count++] = static_cast<std::uint8_t>(t);  // overflow fails constant evaluation
  }
  return buckets;
}();

}  // namespace

HeaderType headerTypeFromName(std::string_view name) {
  if (name.size() == 1) return compactForm(name[0]);
  const char first = lower(name.empty() ? '\0' : name[0]);
  if (first < 'a' || first > 'z') return HeaderType::kOther;
  const Bucket& bucket = kByFirstLetter[static_cast<std::size_t>(first - 'a')];
  for (std::size_t b = 0; b < bucket.count; ++b) {
    const NameEntry& cand = kNames[bucket.index[b]];
    if (cand.name.size() != name.size()) continue;
    std::size_t i = 1;
    while (i < name.size() && lower(name[i]) == lower(cand.name[i])) ++i;
    if (i == name.size()) return cand.type;
  }
  return HeaderType::kOther;
}

std::string_view headerTypeName(HeaderType type) {
  const auto i = static_cast<std::size_t>(type);
  return i < static_cast<std::size_t>(HeaderType::kCount) ? kNames[i].name : std::string_view();
}

}  // namespace sipline
