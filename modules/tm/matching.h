// Which transaction a message belongs to.
//  - A request (RFC 3261 §17.2.3): with a magic-cookie branch, branch + sent-by (+ the method,
//    compared separately: ACK matches its INVITE, CANCEL is looked up against the INVITE it
//    cancels); without one (RFC 2543 peers), Call-ID, CSeq number, From tag, To tag (not for
//    INVITE, ACK and CANCEL), request-URI and top Via.
//  - A reply (§17.1.3): the branch we put in our Via encodes the bucket, the transaction's
//    label, the branch index and a per-start nonce, so no search is needed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/parser/sip_message.h"

namespace sipline::tm {

struct ServerKey {
  std::string key;
  std::uint64_t hash = 0;
  bool rfc3261 = true;
};

// The key of a request's server transaction. For an INVITE, ACK or CANCEL from an RFC 2543
// peer the To tag is left out: the ACK's is the tag of the reply it acknowledges, which an
// initial INVITE does not have and a re-INVITE does. False when the request lacks what
// matching needs (top Via, CSeq).
bool serverKey(SipMessage& req, ServerKey& out);

struct BranchId {
  std::uint32_t nonce = 0;  // per server start
  std::uint32_t bucket = 0;
  std::uint32_t label = 0;
  int index = 0;  // branch index
};

// "z9hG4bK" + "T" + hex fields separated by '.' (RFC 3261 §8.1.1.7: unique, with the cookie).
std::string formatBranchId(const BranchId& id);
bool parseBranchId(std::string_view branch, BranchId& out);

}  // namespace sipline::tm
