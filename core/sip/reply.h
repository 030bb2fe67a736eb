// Stateless replies built from a request (RFC 3261 §8.2.6): status line; every Via (the top
// one with received/rport, §18.2.1 and RFC 3581); From; To with a tag added when it had none
// (except for 100); Call-ID; CSeq; extra headers; Server; Content-Length: 0. Used by the core
// (400 for bad requests, 483 from forward()) and by the sl module. Works on a request whose
// parse failed too, as long as its header index and top Via are there.
#pragma once

#include <string>
#include <string_view>

#include "core/sip/msg_context.h"
#include "core/transport/send.h"

namespace sipline {

// A deterministic To-tag for a stateless reply, so retransmissions get the same one.
std::string statelessToTag(SipMessage& req);

// Builds the reply text. to_tag "" = statelessToTag(req). extra: full header lines with CRLF.
// force_rport: the script ran force_rport() (RFC 3581 §4), as if the top Via had rport.
std::string buildReply(SipMessage& req, const SockAddr& src, int code, std::string_view reason,
                       std::string_view to_tag = "", std::string_view extra_headers = "",
                       bool force_rport = false);

// Builds and sends the reply to where RFC 3261 §18.2.2 says (the source address when the top
// Via does not parse), from the receiving socket.
// Never replies to ACK (kNoSocket is not used for that; it returns kOk and sends nothing).
SendResult sendStatelessReply(SipMessage& req, const ReceiveInfo& rcv, int code,
                              std::string_view reason, std::string_view to_tag = "",
                              std::string_view extra_headers = "", bool force_rport = false);
// The Contact header lines of a 3xx built from the script's destination set (RFC 3261 §21.3):
// the request-URI, when the script changed it or added branches, then every branch, each with
// its q ("Contact: <sip:a@h>;q=0.8, <sip:b@h>;q=0.3\r\n"), as OpenSIPS's sl prints them.
// "" when the destination set is the untouched request-URI alone.
std::string destinationSetContacts(MsgContext& ctx);

// The same for the request of a script run: honours what the script set (force_rport()).
// The headers of append_to_reply() (ctx.reply_headers) follow extra_headers. A 3xx lists the
// destination set as its Contact (destinationSetContacts).
SendResult sendStatelessReply(MsgContext& ctx, int code, std::string_view reason,
                              std::string_view to_tag = "", std::string_view extra_headers = "");

// How modules answer a request (save(), www_challenge()): through its transaction when the
// script created one (t_newtran), so retransmissions get the same reply, else statelessly.
// Sets ctx.replied. False when nothing could be sent (the caller logs and counts), and for a
// final reply when the request was answered already.
bool sendReply(MsgContext& ctx, int code, std::string_view reason,
               std::string_view extra_headers = "");

}  // namespace sipline
