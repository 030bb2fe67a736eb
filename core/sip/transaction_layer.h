// The seam between the core's receive path and the transaction layer (the tm module). The
// core knows no transaction; when tm is loaded it installs itself here in its init() (master,
// before fork, so every child inherits it) and the receive path asks it first:
//   - a request, before the routing script: a retransmission of a request that has a
//     transaction gets the last reply again, and the ACK of a non-2xx final reply is part of
//     the INVITE transaction (RFC 3261 §17.2.1); both end there;
//   - after the script: whatever the script's message held of a transaction is released;
//   - a reply whose top Via is ours: when it belongs to a transaction, tm relays it
//     (RFC 3261 §16.7), else the core relays it statelessly.
#pragma once

#include <string_view>

#include "core/sip/msg_context.h"

namespace sipline {

class TransactionLayer {
 public:
  virtual ~TransactionLayer() = default;
  // True when the request was consumed (no script run).
  virtual bool absorbRequest(SipMessage& msg, const ReceiveInfo& rcv) = 0;
  // After the request route; drops ctx.transaction's reference and finishes a transaction the
  // script created but neither relayed nor answered.
  virtual void requestDone(MsgContext& ctx) = 0;
  // A reply after the main onreply_route: true when a transaction took it.
  virtual bool takeReply(MsgContext& ctx) = 0;
  // Answers ctx's request through its transaction (ctx.transaction is set: t_newtran ran).
  // extra_headers: full header lines with CRLF. True when the reply went out.
  virtual bool replyInTransaction(MsgContext& ctx, int code, std::string_view reason,
                                  std::string_view extra_headers) = 0;
};

// nullptr when tm is not loaded (a stateless server).
TransactionLayer* transactionLayer();
void setTransactionLayer(TransactionLayer* layer);

}  // namespace sipline
