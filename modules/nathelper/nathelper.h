// nathelper: the message-level NAT traversal functions of OpenSIPS's nathelper, without the
// script types so tests call them directly: detecting a client behind NAT (nat_uac_test),
// rewriting its Contact to the address the message came from (fix_nated_contact), marking
// Contacts with that address (add_rcv_param) and rewriting the SDP addresses
// (fix_nated_sdp). Changes go through the message's edit list; the received buffer is never
// written. Process-private.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/config/socket_spec.h"
#include "core/parser/sdp.h"
#include "core/parser/sip_message.h"
#include "core/transport/sock_addr.h"

namespace sipline::nathelper {

// nat_uac_test() bits, OpenSIPS's values.
enum NatTest : std::uint32_t {
  kPrivateContact = 1,       // a Contact's host is a private address
  kViaDiffers = 2,           // the top Via's host is not the source IP
  kPrivateVia = 4,           // the top Via's host is a private address
  kPrivateSdp = 8,           // a c= address of the SDP is private
  kViaPortDiffers = 16,      // the source port is not the top Via's port
  kContactDiffers = 32,      // a Contact's host is not the source IP
  kContactPortDiffers = 64,  // a Contact's port is not the source port
};
inline constexpr std::uint32_t kAllNatTests = 127;

// fix_nated_sdp() bits, OpenSIPS's values (4, a=nortpproxy, is not supported).
enum SdpFix : std::uint32_t {
  kAddDirActive = 1,  // adds a=direction:active (RFC 4145 comedia)
  kRewriteC = 2,      // every c= address becomes the source IP
  kRewriteO = 8,      // the o= address too
  kRewriteNull = 16,  // with 2 or 8: null addresses (0.0.0.0, ::) are rewritten too
};
inline constexpr std::uint32_t kAllSdpFixes = kAddDirActive | kRewriteC | kRewriteO | kRewriteNull;

// A flags argument: a number ("19"), or names joined by '|' or ',' ("private-contact|via-differs").
// invalidArgument naming the unknown word or bit; a value that selects nothing (0) is an error
// too.
Result<std::uint32_t> parseNatTestFlags(std::string_view text);
Result<std::uint32_t> parseSdpFixFlags(std::string_view text);

// RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 carrier-grade NAT 100.64/10 (as OpenSIPS
// counts them), IPv6 ULA fc00::/7 and link-local fe80::/10. ip is a numeric address (IPv6 with
// or without brackets); a host name or anything else is not private.
bool isPrivateAddress(std::string_view ip);

// Where the message came from.
struct Source {
  SockAddr addr;
  Proto proto = Proto::kUdp;
};

// The SDP of msg (application/sdp, or the first SDP part of a multipart body), parsed: its
// text, where it starts in the body, and the session. False when there is none or it does
// not parse. Shared by nat_uac_test's private-sdp and fix_nated_sdp.
struct MessageSdp {
  std::string_view text;
  std::size_t offset = 0;  // of text in msg.body()
  SdpSession session;
};
bool parseMessageSdp(SipMessage& msg, MessageSdp& out);

// True when any test selected in flags is true for msg from src. The Contact tests look at
// every Contact (true when any one is), as OpenSIPS's.
bool natUacTest(SipMessage& msg, const Source& src, std::uint32_t flags);

// Rewrites host[:port] of every Contact URI to the source IP:port and drops its maddr
// parameter (which would override the new host), as OpenSIPS. False when there is no Contact
// to fix (none, "*", malformed, or no sip/sips URI).
// uri_params (OpenSIPS's optional argument, ";name=value..."), when given, goes right after
// the new host:port; a bare addr-spec is then put in <> so that they stay URI parameters.
bool fixNatedContact(SipMessage& msg, const Source& src, std::string_view uri_params = {});
// True when params is "" or ";..." with nothing that would end the URI or the header.
bool validUriParams(std::string_view params);

// "sip:<ip>:<port>[;transport=tcp|tls]": the address msg came from.
std::string receivedUri(const Source& src);

// Adds received="<receivedUri>" to every Contact: as a header param, or (uri_param) inside the
// URI (which is then put in <> if it was a bare addr-spec). Returns how many Contacts got it;
// 0 when there is none (or "*", or the Contacts do not parse).
int addRcvParam(SipMessage& msg, const Source& src, bool uri_param);

// Applies the SdpFix flags to the SDP of msg (application/sdp, or the first SDP part of a
// multipart body) through replaceBody() (Content-Length follows; a later replaceBody() by
// anyone replaces this one). Null (hold) addresses (0.0.0.0, ::) are kept, unless kRewriteNull.
// False when there is no SDP or it does not parse; true otherwise, also when nothing needed a
// change. ip (OpenSIPS's optional ip_address argument), when given, is written instead of the
// source IP (its family decides IP4/IP6); false when it is not a numeric address.
// fields (OpenSIPS's optional sdp_fields: lines such as "a=x-attr1", each before or after a
// CRLF) are appended at the end of the SDP; false when one is not "<letter>=<value>".
bool fixNatedSdp(SipMessage& msg, const Source& src, std::uint32_t flags, std::string_view ip = {},
                 std::string_view fields = {});
// The lines of an sdp_fields argument (empty ones skipped); false when there is none or one
// is not "<lower-case letter>=<value without control characters>".
bool sdpFieldLines(std::string_view text, std::vector<std::string>& lines);
// A numeric IPv4 or IPv6 address (brackets allowed) for fixNatedSdp's ip.
bool parseSdpIp(std::string_view text, SockAddr& out);

}  // namespace sipline::nathelper
