// SIP request methods. Method names are case-sensitive (RFC 3261 §7.1), so "invite" is an
// unknown method (kOther) and its text must be kept by the caller. Plain values; shm-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipline {

enum class Method : std::uint8_t {
  kOther,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kRegister,
  kOptions,
  kInfo,
  kUpdate,
  kPrack,
  kSubscribe,
  kNotify,
  kMessage,
  kRefer,
  kPublish,
};

// Exact, case-sensitive match of the RFC 3261/3262/3265/3311/3428/3515/3903/6086 names;
// kOther for anything else (including the empty string).
Method methodFromName(std::string_view name);

// Canonical upper-case name ("INVITE"); "" for kOther.
std::string_view methodName(Method method);

}  // namespace sipline
