// rtpengine's ng protocol at the message level, without I/O or script types so tests call it
// directly: the flag words of a call site split into the ng dictionary (as Kamailio's
// rtpengine module documents them), the offer/answer/delete request for a SIP message, and
// the reply's verdict. Process-private.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/parser/sip_message.h"
#include "core/transport/sock_addr.h"
#include "modules/rtpengine/bencode.h"

namespace sipline::rtpengine {

enum class Op : std::uint8_t { kOffer, kAnswer, kDelete };
const char* opName(Op op);  // "offer", "answer", "delete"

// The flags of one call site, parsed when the script loads.
//   plain words             -> "flags" list ("trust-address", "symmetric", "strict-source", ...)
//   RTP/AVP, RTP/SAVPF, ... -> "transport-protocol"
//   replace-X               -> "replace" list (replace-origin, replace-session-connection)
//   rtcp-mux-X, SDES-X, OSRTP-X -> "rtcp-mux" / "SDES" / "OSRTP" lists
//   codec-strip-X, codec-offer-X, codec-transcode-X, codec-mask-X, codec-set-X,
//   codec-except-X, transcode-X -> "codec" dictionary of lists
//   direction=X, internal, external -> "direction" list
//   TOS=N, delete-delay=N, ptime=N, repacketize=N -> integers
//   via-branch=1|2|auto     -> which Via's branch goes in "via-branch" (not sent as a key)
//   any other key=value     -> a string entry (ICE=remove, DTLS=off, address-family=IP6,
//                              media-address=..., label=..., record-call=yes, ...)
struct NgFlags {
  Bencode dict = Bencode::dict();
  int via_branch = 0;  // 0 auto (requests: top Via, replies: the second), 1 or 2
};
// invalidArgument naming the word for a malformed one (control characters, "=" without a
// key, a non-numeric integer flag, a bad via-branch).
Result<NgFlags> parseNgFlags(std::string_view text);

// The message's SDP: its text and where it sits in the body (multipart bodies: the SDP part).
// False when the message has no SDP.
bool findMessageSdp(SipMessage& msg, std::string_view& sdp, std::size_t& offset);

// What a delete names: the whole call (Call-ID and one tag), or one branch of it (also the
// other tag and the via-branch: a branch's failure reply). rtpengine 10.5 ends the whole call
// on either (checked against it), so a parallel fork's branch failure must not send one.
enum class DeleteScope : std::uint8_t { kCall, kBranch };

// The request for op on msg received from `source`. Tags follow rtpengine: from-tag is the
// offerer's tag, so they are swapped for an offer in a reply (late offer in a 2xx) and an
// answer in a request (its ACK). invalidArgument when msg lacks Call-ID or From tag, or (offer,
// answer) has no SDP.
Result<Bencode> buildRequest(Op op, SipMessage& msg, const SockAddr& source, const NgFlags& flags,
                             DeleteScope scope = DeleteScope::kCall);

// An error reply saying the relay knows no such call or tag (what an answer gets when the
// offer came in the reply: a late offer).
bool isUnknownCallError(const Status& status);

// A reply by which the relay refuses a new call for lack of capacity: rtpengine's "load limit"
// result, or an error for its session, load, CPU or bandwidth limit or for running out of
// ports. Another relay of the set may well take the call.
bool isFullRelayReply(std::string_view body);

// The relay's reply: ok, or the reason it failed ("error-reason" of an error result, a
// malformed reply, no "sdp" where one is needed).
struct NgReply {
  Bencode dict;
  std::string sdp;  // offer/answer: the rewritten SDP
};
Result<NgReply> parseReply(Op op, std::string_view body);

// Puts `sdp` in place of the message's SDP (body and Content-Length through replaceBody()).
bool replaceSdp(SipMessage& msg, std::string_view sdp);

}  // namespace sipline::rtpengine
