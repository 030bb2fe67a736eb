// The rtpproxy control protocol (as rtpproxy and rtpengine's --listen-udp speak it): the text
// of the commands the module sends and the parsing of the replies. Every request goes out as
// "<cookie> <command>"; the cookie is added and removed by the relay client
// (core/media/relay_set.h), so the functions here see commands and replies without it.
//   U[mods] <call-id> <addr> <port> <from-tag>;<n> [<to-tag>;<n>]   update (offer)
//   L[mods] <call-id> <addr> <port> <from-tag>;<n> <to-tag>;<n>     lookup (answer)
//       both answered "<port> [<addr> [4|6]]"
//   D <call-id> <from-tag> [<to-tag>]   delete: "0"
//   V                                   version: "20040107"
//   VF <yyyymmdd>                       capability: "1" or "0"
// Any command may be answered "E<n>" (an error number). The first tag is the offerer's, for U
// and L alike (the relay pairs them so): the From tag, but the To tag for an offer in a reply
// or an answer in a request (late offer); n is the m= line's index, from 1. Pure functions:
// no I/O, process-private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sipline::rtpproxy {

// The protocol version rtpproxy answers to V (and the capability every relay has).
inline constexpr std::string_view kBaseVersion = "20040107";

struct StreamCommand {
  bool lookup = false;    // L (answer) instead of U (offer)
  std::string modifiers;  // "A" asymmetric, "6" IPv6 address, "I"/"E" direction, ...
  std::string_view call_id;
  std::string_view address;  // where the UA wants its media (numeric IP)
  std::uint16_t port = 0;
  std::string_view from_tag;  // the offerer's tag (see above)
  std::string_view to_tag;    // the other side's; "" for an initial offer
  unsigned media_index = 1;
};

// False (and out untouched) when a field would break the line: an empty call id, tag (the
// to-tag of a lookup too) or address, or whitespace in one.
bool formatStream(const StreamCommand& cmd, std::string& out);
// "D <call-id> <from-tag>[ <to-tag>]"; false on an empty or whitespace-carrying field.
bool formatDelete(std::string_view call_id, std::string_view from_tag, std::string_view to_tag,
                  std::string& out);
inline std::string formatVersion() { return "V"; }
std::string formatCapability(std::string_view date);  // "VF <date>"

enum class ReplyStatus : std::uint8_t {
  kOk,
  kError,      // "E<n>": the relay refused; code holds n (-1 when "E" had no number)
  kNotFound,   // a lookup for a call the relay does not know ("0" as the port)
  kMalformed,  // empty, or not what the command's reply looks like
};
const char* replyStatusText(ReplyStatus s);  // never nullptr

struct StreamReply {
  std::uint16_t port = 0;
  std::string address;  // "" when the relay gave none (use its own address then)
  int family = 0;       // 4, 6, or 0 when absent
};

// Replies are single lines; a trailing line end and surrounding blanks are ignored.
ReplyStatus parseStreamReply(std::string_view body, StreamReply& out, int& code);
// "0" (or any number: rtpengine answers "0", rtpproxy too) is success.
ReplyStatus parseDeleteReply(std::string_view body, int& code);
// V: the version number ("20040107").
ReplyStatus parseVersionReply(std::string_view body, std::string& version, int& code);
// VF: "1" supported, "0" not.
ReplyStatus parseCapabilityReply(std::string_view body, bool& supported, int& code);

}  // namespace sipline::rtpproxy
