// HeaderType: the header fields the core and modules look up by identity instead of by name.
// headerTypeFromName() maps a header name as written (any case, long or compact form,
// RFC 3261 §7.3.3 and the extensions' compact forms) to its type; unknown names are kOther and
// are found by name through SipMessage::header(std::string_view). Plain values; shm-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipline {

enum class HeaderType : std::uint8_t {
  kOther,
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kMaxForwards,
  kContact,
  kContentLength,
  kContentType,
  kRoute,
  kRecordRoute,
  kExpires,
  kAuthorization,
  kProxyAuthorization,
  kWwwAuthenticate,
  kProxyAuthenticate,
  kSupported,
  kRequire,
  kProxyRequire,
  kUnsupported,
  kAllow,
  kEvent,
  kUserAgent,
  kServer,
  kAccept,
  kContentEncoding,
  kSubject,
  kReferTo,
  kReferredBy,
  kPath,
  kMinExpires,
  kAllowEvents,
  kSessionExpires,
  kMinSe,
  kRSeq,
  kRAck,
  kSubscriptionState,
  kServiceRoute,
  kPAssertedIdentity,
  kPPreferredIdentity,
  kPrivacy,
  kReason,
  kReplaces,
  kAcceptEncoding,
  kAcceptLanguage,
  kContentDisposition,
  kContentLanguage,
  kDate,
  kRetryAfter,
  kTimestamp,
  kWarning,
  kOrganization,
  kPriority,
  kMimeVersion,
  kCallInfo,
  kAlertInfo,
  kErrorInfo,
  kReplyTo,
  kInReplyTo,
  kIdentity,
  kAuthenticationInfo,
  kDiversion,
  kCount
};

// Case-insensitive; accepts long and compact forms (v f t i m l c e k s o r b u x y).
// kOther when unknown or empty.
HeaderType headerTypeFromName(std::string_view name);

// Canonical long name ("Call-ID"); "" for kOther and kCount.
std::string_view headerTypeName(HeaderType type);

}  // namespace sipline
