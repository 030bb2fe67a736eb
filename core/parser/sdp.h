// SDP session descriptions (RFC 8866, which obsoletes RFC 4566), parsed zero-copy for the media
// and NAT work (nathelper fix_nated_sdp, rtpengine offer/answer): they find connection
// addresses, ports and attributes here and rewrite them through an EditList. Every view points
// into the body given to parseSdp(), which the caller owns and must keep unchanged while the
// SdpSession is used; offsets are relative to that body (add the body's offset in the message,
// or in the multipart part, to get a message offset). The parser is tolerant where a proxy can
// be (unknown line types, unknown or malformed attributes are kept as plain attributes) and
// strict where rewriting would go wrong (v=, o=, c=, m=). It never throws, asserts or reads
// outside the body. Process-private, not thread-safe, not shm-safe (std::vector inside).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sipline {

enum class SdpError : std::uint8_t {
  kOk,
  kEmpty,          // no line at all
  kNoVersion,      // the first line is not v=
  kBadVersion,     // v= is not 0, or a second v=
  kBadLine,        // a line that is not <letter>=<value>
  kBadOrigin,      // o= without its six fields
  kBadConnection,  // c= malformed (fields, /ttl/count), or two c= at session level
  kBadMedia,       // m= without media, port and proto
  kBadPort,        // m= port not a number, above 65535, or a bad /count
};

// Never nullptr; "Unknown SDP error" for a value outside the enum.
const char* sdpErrorText(SdpError e);

enum class SdpAddrType : std::uint8_t { kOther, kIp4, kIp6 };

// RFC 8866 §6.7 media direction; kUnset when the level has no direction attribute.
enum class SdpDirection : std::uint8_t { kUnset, kSendRecv, kSendOnly, kRecvOnly, kInactive };

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 §5.2).
struct SdpOrigin {
  std::string_view username, sess_id, sess_version, nettype, addrtype, address;
  SdpAddrType addr_type = SdpAddrType::kOther;
  std::string_view line;  // the whole o= line including its line end; "" when absent
};

// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). For IP4 the address may carry
// /ttl[/count], for IP6 /count; address is without them.
struct SdpConnection {
  std::string_view nettype;   // "IN"
  std::string_view addrtype;  // as written ("IP4", "IP6", ...)
  SdpAddrType addr_type = SdpAddrType::kOther;
  std::string_view address;  // the view to rewrite
  std::uint32_t ttl = 0;     // 0 when absent
  std::uint32_t count = 1;   // number of addresses; 1 when absent
  std::string_view line;     // the whole c= line including its line end

  // 0.0.0.0 or :: (RFC 3264 §8.4 / RFC 2543 hold, "no media to this address").
  bool isUnspecified() const;
};

// b=<bwtype>:<bandwidth> (RFC 8866 §5.8). Malformed b= lines are skipped.
struct SdpBandwidth {
  std::string_view type;  // "AS", "CT", "TIAS", ...
  std::uint64_t value = 0;
  std::string_view line;
};

// Every a= line, in order, including those also parsed into the typed fields below.
struct SdpAttribute {
  std::string_view name;   // before ':'
  std::string_view value;  // after ':'; "" for a property attribute
  bool has_value = false;
  std::string_view line;  // the whole a= line including its line end (for removal)
};

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 §6.6).
struct SdpRtpMap {
  std::uint32_t payload_type = 0;  // 0..127
  std::string_view encoding;       // "PCMU", "telephone-event"
  std::uint32_t clock_rate = 0;
  std::string_view encoding_params;  // "" when absent
  std::uint32_t channels = 1;        // encoding_params as a number (audio); 1 when absent
};

// a=fmtp:<format> <format specific parameters> (RFC 8866 §6.15).
struct SdpFmtp {
  std::string_view format;  // "101"
  std::string_view params;  // "0-15"
};

// a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1).
struct SdpRtcp {
  std::uint16_t port = 0;
  std::string_view port_text;                   // the view to rewrite
  std::string_view nettype, addrtype, address;  // "" when the address part is absent
  SdpAddrType addr_type = SdpAddrType::kOther;
};

// One media description: its m= line and everything up to the next m= line.
struct SdpMedia {
  std::string_view media;  // "audio", "video", ...
  std::uint16_t port = 0;
  std::string_view port_text;  // the digits, the view to rewrite
  std::uint32_t port_count = 1;
  std::string_view proto;    // "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...
  std::string_view formats;  // the fmt list as written, "" when empty
  std::vector<std::string_view> format_list;
  std::vector<SdpConnection> connections;  // media-level c= lines (usually 0 or 1)
  std::vector<SdpBandwidth> bandwidths;
  std::vector<SdpRtpMap> rtpmaps;  // well-formed a=rtpmap only
  std::vector<SdpFmtp> fmtps;
  SdpRtcp rtcp;
  bool has_rtcp = false;  // a well-formed a=rtcp was seen (the first one counts)
  SdpDirection direction = SdpDirection::kUnset;
  std::uint32_t ptime = 0;  // a=ptime in whole ms; 0 when absent or malformed
  std::vector<SdpAttribute> attributes;
  std::string_view text;  // from "m=" through the line end of the section's last line

  // RFC 3264 §6: port 0 rejects (or disables) the stream.
  bool isRejected() const { return port == 0; }
  // The a=rtpmap of a payload type, or nullptr (static types such as 0 and 8 may have none).
  const SdpRtpMap* rtpmap(std::uint32_t payload_type) const;
  // The first attribute called name (case-sensitive, as RFC 8866 §5.13), or nullptr.
  const SdpAttribute* attribute(std::string_view name) const;
};

// Where a media stream's effective connection address lies (see effectiveConnection()).
struct SdpAddressRef {
  const SdpConnection* connection = nullptr;  // nullptr when neither level has a c=
  std::size_t offset = 0;                     // of connection->address in the body
  std::size_t length = 0;
  bool from_session = false;  // true: rewriting it changes every stream without its own c=
};

struct SdpSession {
  std::string_view body;  // what parseSdp() was given
  SdpOrigin origin;
  bool has_origin = false;
  std::string_view session_name;  // s= value
  SdpConnection connection;       // session-level c=
  bool has_connection = false;
  std::string_view start_time, stop_time;  // the first t= line's fields; "" when absent
  std::vector<SdpBandwidth> bandwidths;
  SdpDirection direction = SdpDirection::kUnset;
  std::vector<SdpAttribute> attributes;  // session-level a= lines
  std::vector<SdpMedia> media;
  std::string_view session_text;  // from v= up to the first m= line (or the end)

  // The c= that applies to media[index] (its first own c=, else the session c=), with the
  // offset and length of its address in the body. connection == nullptr when there is none
  // or index is out of range.
  SdpAddressRef effectiveConnection(std::size_t index) const;
  // Media-level direction, else the session-level one, else kSendRecv (RFC 8866 §6.7).
  // kSendRecv when index is out of range.
  SdpDirection effectiveDirection(std::size_t index) const;
  // True when media[index] is put on hold: sendonly/inactive, or an unspecified address.
  bool isOnHold(std::size_t index) const;
  // Offset of a view into body; precondition: view lies inside body (every view here does).
  std::size_t offsetOf(std::string_view view) const {
    return static_cast<std::size_t>(view.data() - body.data());
  }
};

// Parses body into out (all previous contents are replaced). Lines end with CRLF or LF; the
// last line may lack one; empty lines are skipped. The first line must be v=0. Lines of unknown
// type and session-level i= u= e= p= r= z= k= are accepted and ignored. Returns the first
// structural problem found; out is then partly filled and must not be used.
SdpError parseSdp(std::string_view body, SdpSession& out);

}  // namespace sipline
