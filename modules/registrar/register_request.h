// A REGISTER read for save(): RFC 3261 §10.3 steps 2 and 5-6 and what the bindings need
// (AOR, Contacts with their expires computed, Call-ID, CSeq, Path, User-Agent, Allow, the
// source address when it differs from the Contact). Validation only: nothing is stored here
// (bindings.h applies the result to usrloc). A refused REGISTER comes back as the reply to
// send (400, 420, 423) and the script's return code. Process-private.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/socket_spec.h"
#include "core/parser/sip_message.h"
#include "core/transport/sock_addr.h"
#include "modules/registrar/aor.h"
#include "modules/registrar/flags.h"

namespace sipline::registrar {

// More Contacts than this in one REGISTER is answered 400 (no phone sends that many).
inline constexpr std::size_t kMaxContactsPerRegister = 64;

// save()'s return codes: > 0 true, < 0 false in the script ($rc tells which).
enum SaveRc : int {
  kSaveOk = 1,           // stored (or a query answered); 200 sent unless no-reply
  kSaveBadRequest = -1,  // 400 (malformed To/Contact/Path, "*" misuse, a field too long to
                         // store), 420 (Require, Path)
  kSaveTooBrief = -2,    // 423 Interval Too Brief with Min-Expires
  kSaveTooMany = -3,     // max_contacts reached: 503
  kSaveStale = -4,       // RFC 3261 §10.3 step 7: same Call-ID and a lower CSeq: 400
  kSaveInternal = -5,    // shared memory full (500), DB-only mode with the DB down (503), not
                         // a REGISTER (no reply)
};

// What save() answers (and returns to the script).
struct SaveReply {
  int code = 200;
  std::string reason = "OK";
  std::string headers;  // extra header lines, each ending in CRLF
  int rc = kSaveOk;
  std::string error;  // why it was refused, for the log and P-Registrar-Error
};

// When save() keeps the address a REGISTER came from (usrloc::Contact::received), which
// lookup() then sends to instead of the Contact: the NAT case (nathelper's
// fix_nated_register() in OpenSIPS terms, decided here by comparing addresses).
enum class ReceivedMode : std::uint8_t {
  kOff,         // never
  kDiffIp,      // the Contact's host is not the source IP (a private address behind NAT)
  kDiffIpPort,  // ... or its port or transport differs from the source's too
};

// The module parameters merged with the call's flags.
struct SaveLimits {
  std::int64_t default_expires = 3600;
  std::int64_t min_expires = 60;  // 0: none
  std::int64_t max_expires = 0;   // 0: none
  std::int64_t max_contacts = 0;  // 0: unlimited
  bool reject_too_brief = true;   // 423 (else raised to min_expires, as OpenSIPS does)
  bool force = false;             // force-registration
  std::int32_t default_q = -1;    // q of a Contact without one; -1: none
  std::size_t max_contact_len = 512;
  PathMode path_mode = PathMode::kLazy;
  bool path_received = false;
  ReceivedMode received_mode = ReceivedMode::kDiffIp;
  AorOptions aor;
};

// The expires parameters agree (checked at load): min_expires not above max_expires, and
// default_expires within them, else every REGISTER without an expiry would be refused (423)
// or silently changed. 0 for min/max means none. kInvalidArgument naming both values.
Status checkExpiresLimits(std::int64_t default_expires, std::int64_t min_expires,
                          std::int64_t max_expires);

// Where the REGISTER came from.
struct RequestSource {
  SockAddr src;
  Proto proto = Proto::kUdp;
  std::string_view socket;   // "udp:127.0.0.1:5060" of the receiving listener
  std::uint32_t bflags = 0;  // branch flags set by the script, kept with the binding
  // fix_nated_register() (nathelper): keep src as every Contact's received, whatever
  // received_mode says (MsgContext::force_received).
  bool force_received = false;
};

struct RequestedBinding {
  std::string uri;           // the Contact URI as written (inside <>), contact-params apart
  std::int64_t expires = 0;  // seconds; 0 removes
  std::int32_t q = -1;       // thousandths; -1: none
  std::string instance;      // RFC 5626 +sip.instance without quotes and <>
  std::int32_t reg_id = 0;   // RFC 5626 reg-id (only with an instance); 0: none
  std::string received;      // "sip:ip:port[;transport=x]" the REGISTER came from, when it
                             // differs from the Contact (NAT) or fix_nated_register() asked;
                             // the Contact's own received param (add_rcv_param() at an edge
                             // proxy) first; "" otherwise
};

struct RegisterRequest {
  std::string aor;
  bool has_contacts = false;  // false: a query (RFC 3261 §10.3 step 6 skips to step 8)
  bool star = false;          // "Contact: *" with Expires: 0
  std::vector<RequestedBinding> bindings;  // in request order; a repeated URI once (the last)
  std::string callid;
  std::int32_t cseq = 0;
  std::string path;        // every Path value, comma-separated, as received
  bool echo_path = false;  // the 200 repeats the Path (RFC 3327 §5.3)
  std::string user_agent;
  std::string socket;
  std::uint32_t methods = 0xffffffffu;  // from Allow; every method when absent
  std::uint32_t cflags = 0;
  std::uint32_t flags = 0;  // usrloc::Contact::flags the save sets (kContactMemoryOnly)
};

// The bit of a method in usrloc::Contact::methods; 0 for kOther (unknown methods are never
// filtered).
std::uint32_t methodBit(Method m);

// Reads msg (a REGISTER). aor_text: the AOR argument of save() (a URI or name-addr); nullopt:
// the To URI. True with out filled; false with reply set to the refusal.
bool parseRegister(SipMessage& msg, const RequestSource& source,
                   std::optional<std::string_view> aor_text, const SaveLimits& limits,
                   RegisterRequest& out, SaveReply& reply);

// "sip:192.0.2.1:5062" / "sip:[2001:db8::1]:5060;transport=tcp": the address a request came
// from, as a URI lookup() can send to.
std::string sourceUri(const SockAddr& src, Proto proto);

// Value of the header param `name` (case-insensitive) in params ("a=1;b=\"x;y\""); quotes kept.
// False when absent; value "" for a flag.
bool headerParam(std::string_view params, std::string_view name, std::string_view& value);

}  // namespace sipline::registrar
