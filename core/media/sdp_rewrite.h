// Rewrites an SDP body so that its media go through a relay (rtpproxy, rtpengine's rtpproxy
// protocol): for each media stream the caller gives the address and port the relay allocated,
// and the result carries them in the c= lines (switching IN IP4 / IN IP6 as needed), the m=
// ports and a=rtcp (RTP port + 1, as rtpproxy allocates the pair; the RTP port itself with
// a=rtcp-mux); optionally the o= address too, and ICE lines kept or removed. Works on a parsed
// SdpSession (core/parser/sdp.h) and builds a new body; the input is never written.
// Process-private, pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/parser/sdp.h"

namespace sipline::media {

// Where one media stream (an m= line, by index) goes now. An unset target leaves the stream
// as it is (its address too, when the session c= it used is rewritten for other streams).
struct StreamTarget {
  bool set = false;
  std::string address;  // numeric IPv4 or IPv6 (no brackets)
  std::uint16_t port = 0;
};

enum class IceMode : std::uint8_t {
  kKeep,    // a=candidate and a=ice-* stay (they then point past the relay)
  kRemove,  // a=candidate, a=remote-candidates, a=end-of-candidates, a=ice-* go, every level
};

struct RewriteOptions {
  bool rewrite_origin = false;  // o= gets the address of the first rewritten stream
  IceMode ice = IceMode::kKeep;
  // A session-level attribute added once ("nortpproxy:yes"); "" none. Not added twice when the
  // body has it already.
  std::string add_session_attribute;
};

enum class RewriteError : std::uint8_t {
  kOk,
  kBadSdp,     // the body does not parse (rewriteSdpBody only)
  kBadTarget,  // more targets than streams, or a target address that is not a numeric IP
};
// Never nullptr.
const char* rewriteErrorText(RewriteError e);

// Builds in `out` the body of `session` (session.body) with the targets applied:
// - media i with targets[i].set and a non-zero port: m= port := target.port; its own c= lines
//   get the target address; a=rtcp port := target.port + 1, or target.port when the stream
//   has a=rtcp-mux (with the address rewritten when the a=rtcp line had one);
// - a session-level c= takes the address of the first such stream that relies on it; any other
//   stream relying on it that needs another address (a different target, or none) gets a
//   media-level c= line of its own, so no stream's address changes by accident;
// - a stream with neither level's c= gets a media-level c= line;
// - hold addresses (0.0.0.0, ::) stay as they are (ports are still rewritten);
// - streams with port 0 (rejected/disabled) and streams without a set target are not touched.
// New lines use the body's line end (CRLF, or LF when the body uses bare LF). targets may be
// shorter than session.media (the rest are unset). On an error `out` is unspecified.
RewriteError rewriteSdp(const SdpSession& session, const std::vector<StreamTarget>& targets,
                        const RewriteOptions& options, std::string& out);

// parseSdp(body) then rewriteSdp(); kBadSdp when the body does not parse.
RewriteError rewriteSdpBody(std::string_view body, const std::vector<StreamTarget>& targets,
                            const RewriteOptions& options, std::string& out);

// True for the lines IceMode::kRemove drops (by attribute name).
bool isIceAttribute(std::string_view name);

}  // namespace sipline::media
