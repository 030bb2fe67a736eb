// Checks for the body parsers (Content-Type, multipart, SDP) as fuzz_message drives them: the
// path nathelper and rtpengine take from a received message to the SDP they rewrite. Every view
// must lie inside the body it came from and every offset must point at its view. Header-only;
// for the fuzz targets in fuzz/ only. Failed checks trap (fuzz_check.h).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/parser/header_values.h"
#include "core/parser/multipart.h"
#include "core/parser/sdp.h"
#include "fuzz/fuzz_check.h"

namespace sipline {
namespace fuzz {

inline volatile unsigned g_body_sink = 0;

inline void checkInside(std::string_view view, std::string_view outer) {
  SL_FUZZ_CHECK(within(view, outer));
  g_body_sink = g_body_sink + touch(view);
}

inline void checkSdpConnection(const SdpConnection& c, std::string_view text) {
  for (std::string_view v : {c.nettype, c.addrtype, c.address, c.line}) checkInside(v, text);
  for (std::string_view v : {c.nettype, c.addrtype, c.address}) checkInside(v, c.line);
  SL_FUZZ_CHECK(c.count >= 1);
  g_body_sink = g_body_sink + (c.isUnspecified() ? 1u : 0u);
}

inline void checkSdpAttributes(const std::vector<SdpAttribute>& attrs, std::string_view text) {
  for (const SdpAttribute& a : attrs) {
    for (std::string_view v : {a.name, a.value, a.line}) checkInside(v, text);
    checkInside(a.name, a.line);
    checkInside(a.value, a.line);
    if (!a.has_value) SL_FUZZ_CHECK(a.value.empty());
  }
}

inline void checkSdpBandwidths(const std::vector<SdpBandwidth>& bws, std::string_view text) {
  for (const SdpBandwidth& b : bws) {
    checkInside(b.type, text);
    checkInside(b.line, text);
    checkInside(b.type, b.line);
  }
}

// Parses body as SDP; on kOk every view lies inside body, media sections follow each other,
// and effectiveConnection() offsets point at the address they describe.
inline void checkSdp(std::string_view body) {
  SdpSession s;
  const SdpError e = parseSdp(body, s);
  SL_FUZZ_CHECK(sdpErrorText(e) != nullptr);
  if (e != SdpError::kOk) return;  // out is partly filled and must not be used
  SL_FUZZ_CHECK(s.body.data() == body.data() && s.body.size() == body.size());
  const SdpOrigin& o = s.origin;
  for (std::string_view v :
       {o.username, o.sess_id, o.sess_version, o.nettype, o.addrtype, o.address, o.line}) {
    checkInside(v, body);
  }
  for (std::string_view v : {s.session_name, s.start_time, s.stop_time, s.session_text}) {
    checkInside(v, body);
  }
  if (s.has_connection) checkSdpConnection(s.connection, body);
  checkSdpBandwidths(s.bandwidths, body);
  checkSdpAttributes(s.attributes, body);
  std::size_t prev_end = 0;
  for (const SdpMedia& m : s.media) {
    SL_FUZZ_CHECK(!m.text.empty() && within(m.text, body));
    const std::size_t off = offsetIn(m.text, body);
    SL_FUZZ_CHECK(off >= prev_end && s.offsetOf(m.text) == off);
    prev_end = off + m.text.size();
    for (std::string_view v : {m.media, m.port_text, m.proto, m.formats}) checkInside(v, m.text);
    for (std::string_view f : m.format_list) checkInside(f, m.text);
    for (const SdpConnection& c : m.connections) checkSdpConnection(c, m.text);
    checkSdpBandwidths(m.bandwidths, m.text);
    checkSdpAttributes(m.attributes, m.text);
    for (const SdpRtpMap& r : m.rtpmaps) {
      checkInside(r.encoding, m.text);
      checkInside(r.encoding_params, m.text);
      SL_FUZZ_CHECK(r.payload_type <= 127);
      SL_FUZZ_CHECK(m.rtpmap(r.payload_type) != nullptr);
    }
    for (const SdpFmtp& f : m.fmtps) {
      checkInside(f.format, m.text);
      checkInside(f.params, m.text);
    }
    if (m.has_rtcp) {
      for (std::string_view v :
           {m.rtcp.port_text, m.rtcp.nettype, m.rtcp.addrtype, m.rtcp.address}) {
        checkInside(v, m.text);
      }
    }
    for (const SdpAttribute& a : m.attributes) {
      const SdpAttribute* found = m.attribute(a.name);
      SL_FUZZ_CHECK(found != nullptr && found->name == a.name);
    }
    // The port as written is the port parsed.
    unsigned long value = 0;
    for (char c : m.port_text) {
      SL_FUZZ_CHECK(c >= '0' && c <= '9');
      value = value * 10 + static_cast<unsigned>(c - '0');
      SL_FUZZ_CHECK(value <= 65535);
    }
    SL_FUZZ_CHECK(value == m.port && m.port_count >= 1);
  }
  for (std::size_t i = 0; i <= s.media.size(); ++i) {
    const SdpAddressRef ref = s.effectiveConnection(i);
    if (ref.connection != nullptr) {
      SL_FUZZ_CHECK(i < s.media.size());
      SL_FUZZ_CHECK(ref.offset <= body.size() && ref.length <= body.size() - ref.offset);
      SL_FUZZ_CHECK(body.substr(ref.offset, ref.length) == ref.connection->address);
      SL_FUZZ_CHECK(ref.from_session == (ref.connection == &s.connection));
    }
    g_body_sink =
        g_body_sink + static_cast<unsigned>(s.effectiveDirection(i)) + (s.isOnHold(i) ? 1u : 0u);
  }
}

// The body as a server finds its SDP: Content-Type, multipart split, findSdpBody, parseSdp.
// content_type is the Content-Type header body ("" when absent).
inline void checkBody(std::string_view content_type, std::string_view body) {
  const std::string_view media_type = mediaTypeOf(content_type);
  checkInside(media_type, content_type);
  // "type/subtype" as written (without LWS, which isMediaType() does not expect in its second
  // argument) matches itself.
  if (media_type.find('/') != std::string_view::npos &&
      media_type.find_first_of(" \t\r\n") == std::string_view::npos) {
    SL_FUZZ_CHECK(isMediaType(content_type, media_type));
  }
  const std::string_view boundary = contentTypeParam(content_type, "boundary");
  checkInside(boundary, content_type);
  SL_FUZZ_CHECK(multipartErrorText(MultipartError::kOk) != nullptr);

  std::vector<MimePart> parts;
  const MultipartError me = parseMultipart(boundary, body, parts);
  SL_FUZZ_CHECK(multipartErrorText(me) != nullptr);
  SL_FUZZ_CHECK(parts.size() <= kMaxMimeParts);
  for (const MimePart& p : parts) {
    for (std::string_view v : {p.headers, p.content_type, p.body}) checkInside(v, body);
    checkInside(p.content_type, p.headers);
    SL_FUZZ_CHECK(p.offset <= p.body_offset && p.body_offset <= body.size());
    SL_FUZZ_CHECK(p.body.size() <= body.size() - p.body_offset);
    SL_FUZZ_CHECK(p.body.empty() || offsetIn(p.body, body) == p.body_offset);
    SL_FUZZ_CHECK(p.headers.empty() || offsetIn(p.headers, body) == p.offset);
  }

  std::string_view sdp;
  std::size_t offset = 0;
  const MultipartError fe = findSdpBody(content_type, body, sdp, offset);
  SL_FUZZ_CHECK(multipartErrorText(fe) != nullptr);
  if (fe == MultipartError::kOk) {
    checkInside(sdp, body);
    SL_FUZZ_CHECK(offset <= body.size() && sdp.size() <= body.size() - offset);
    SL_FUZZ_CHECK(sdp.empty() || offsetIn(sdp, body) == offset);
    checkSdp(sdp);
  }
  // The SDP parser is also run on the whole body, whatever the Content-Type says, as a
  // careless module might.
  checkSdp(body);
}

}  // namespace fuzz
}  // namespace sipline
