// The receive path of every worker: a datagram becomes a SipMessage; bad ones are answered
// 400 (requests, where enough parses) or dropped, and counted; requests run the request
// route; replies whose top Via is ours run the onreply_route and are relayed back by their
// Via stack unless the script dropped or relayed them already.
#pragma once

#include <string_view>

#include "core/parser/parse_error.h"
#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "core/transport/sock_addr.h"

namespace sipline {

class Script;

class MessageProcessor {
 public:
  MessageProcessor(const Script* script, const ParseLimits& limits)
      : script_(script), limits_(limits) {}
  void setScript(const Script* script) { script_ = script; }
  // `data` stays valid for the call (the worker's receive buffer).
  void onDatagram(const Listener& listener, const SockAddr& src, std::string_view data);

 private:
  // error_route for a request the server refuses: true when the script replied or dropped.
  bool runErrorRoute(SipMessage& msg, const ReceiveInfo& rcv, int code, const char* reason);
  const Script* script_;
  ParseLimits limits_;
  // The message of the datagram being handled, reused from one datagram to the next: its
  // vectors keep their capacity, so parsing allocates nothing for them. A nested call (a
  // datagram handled while another is) gets a message of its own.
  SipMessage reused_;
  bool busy_ = false;
};

}  // namespace sipline
