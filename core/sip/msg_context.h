// MsgContext: one message on its way through the routing script: the parsed message, where it
// came from, and what the script decided so far ($du, a rewritten request-URI, flags, whether
// it was replied, relayed or dropped). Created per received message by the worker, on its
// stack; process-private, never in shm.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/config/socket_spec.h"
#include "core/parser/sip_message.h"
#include "core/script/avp.h"
#include "core/script/script_api.h"
#include "core/transport/sock_addr.h"

namespace sipline {

struct Listener;

// An extra destination added by append_branch (branch 0 is the request-URI itself).
struct Branch {
  std::string uri;
  std::string dst_uri;       // its $du, if any
  std::string path;          // Path header value to add (RFC 3327), if any
  int q = -1;                // q-value in thousandths; -1: none given
  std::uint32_t bflags = 0;  // branch flags
  const Listener* send_socket = nullptr;
};

// What record_route() asked for (rr module); the relay writes the header(s) once it knows
// the outgoing socket (core/sip/record_route.h).
struct RecordRouteRequest {
  bool wanted = false;
  std::string preset;  // record_route_preset(): fixed host[:port] instead of the socket's
  std::string params;  // ";name=value..." added to our Record-Route URI (record_route(params),
                       // add_rr_param)
};

// What the script asked of the transaction layer before (or instead of) t_relay(): routes to
// arm and timeouts (tm module). Names are route names; "" = none.
struct TransactionHints {
  std::string on_failure;
  std::string on_reply;
  std::string on_branch;
  std::int64_t fr_timeout_ms = -1;      // t_set_fr(); -1: the module parameter
  std::int64_t fr_inv_timeout_ms = -1;  // t_set_fr(); -1: the module parameter
  bool no_100 = false;                  // t_relay("no-100-trying")
  bool no_auto_reply = false;  // t_relay("no-auto-reply"): a failed relay is left to the script
  bool no_memory = false;      // shm was full: answered 500 after the script unless it answered
  int reply_code = 0;          // $T_reply_code: the winning reply in failure_route
  bool reply_local = false;    // failure_route: that reply was made up here (timeout, 503...)
  int branch_index = -1;       // $T_branch_idx: the branch a branch_route/onreply_route is for
  std::uint32_t watch_pending = 0;   // tm watchers (bit = id) asked to follow, not attached yet
  std::uint32_t watch_attached = 0;  // tm watchers already attached to the transaction
};

// Why error_route runs ($err.*); cls 0 means no error.
struct ScriptErrorInfo {
  int cls = 0;       // 1: parse error
  int level = 0;     // 1: the request is refused
  std::string info;  // what is wrong
  int rcode = 0;     // the reply the server would send
  std::string rreason;
};

// What the digest check of this request found (auth, auth_db).
struct AuthState {
  // The credentials header that authorized the request: consume_credentials() removes it.
  const HeaderField* credentials = nullptr;
  // Their username ("user" or "user@domain", decoded) and realm; "" until a check succeeds.
  // They stay after consume_credentials(): $au, $ad, $ar and the identity checks use them.
  std::string username;
  std::string realm;
  // The last check met a nonce that is expired or used up while the digest was right:
  // the next challenge says stale=true (RFC 7616 §3.3), so the phone retries silently.
  bool stale = false;
};

struct ReceiveInfo {
  const Listener* listener = nullptr;  // the socket it arrived on
  SockAddr src;
  Proto proto = Proto::kUdp;
};

class MsgContext {
 public:
  // A request that came on a stream is force_rport()ed from the start: its Via then records
  // the connection's address (received/rport), which is how replies find the connection
  // back (RFC 3261 §18.2.2), whichever process relays them.
  MsgContext(SipMessage& msg, const ReceiveInfo& rcv, RouteType route_type)
      : msg_(msg), rcv_(rcv), route_type_(route_type) {
    force_rport = rcv.proto != Proto::kUdp;
  }
  MsgContext(const MsgContext&) = delete;
  MsgContext& operator=(const MsgContext&) = delete;

  SipMessage& msg() { return msg_; }
  const ReceiveInfo& rcv() const { return rcv_; }
  RouteType routeType() const { return route_type_; }
  void setRouteType(RouteType t) { route_type_ = t; }

  // The effective request-URI ($ru): the rewritten one if the script changed it.
  std::string_view ruri() const;
  // Parsed effective request-URI; nullptr when it does not parse (or for replies).
  const SipUri* ruriParsed();
  // Rewrites the request-URI (checked: it must parse); edits the outgoing message.
  Status setRuri(std::string uri);
  // revert_uri(): back to the request-URI as received (no-op when it was not changed).
  void revertRuri();

  // Branch 0 (the request-URI) and the appended branches together hold at most this many
  // destinations, as OpenSIPS's max_branches.
  static constexpr std::size_t kMaxBranches = 12;
  // Adds a branch (append_branch). failedPrecondition when kMaxBranches are there already.
  Status appendBranch(Branch branch);
  // The flags of branch `index` (0: the request-URI's, 1..n: appended branches in order);
  // nullptr when there is no such branch.
  std::uint32_t* branchFlags(std::size_t index);

  std::string dst_uri;           // $du: where to send, overriding the request-URI
  std::uint32_t flags = 0;       // message flags (setflag/isflagset)
  std::uint32_t bflags = 0;      // branch flags of branch 0 (setbflag/isbflagset, $bf)
  int ruri_q = -1;               // q of branch 0 in thousandths (registrar lookup); -1: none
  std::string ruri_path;         // Path of branch 0 (registrar lookup): its Route (RFC 3327)
  std::vector<Branch> branches;  // extra branches (append_branch), after branch 0
  const Listener* send_socket = nullptr;  // $fs / force_send_socket(); nullptr: chosen by route
  std::string advertised_address;         // set_advertised_address(): used in Via/Record-Route
  std::uint16_t advertised_port = 0;      // set_advertised_port(); 0: the socket's own
  bool force_rport = false;               // force_rport(): answer to the source port (RFC 3581)
  script::AvpStore avps;                  // $avp(name)
  ScriptErrorInfo error;                  // $err.*, set for error_route
  // Why the last relay (forward(), t_relay()) failed, as the reply sl_reply_error() sends;
  // code 0: no failure noted.
  int relay_error_code = 0;
  std::string relay_error_reason;
  void noteRelayError(int code, std::string reason) {
    relay_error_code = code;
    relay_error_reason = std::move(reason);
  }
  // append_to_reply(): header lines (with CRLF) added to every reply built here for this
  // request (sl_send_reply, t_reply, a module's reply through sendReply()).
  std::string reply_headers;
  RecordRouteRequest record_route;  // record_route() was called (rr module)
  TransactionHints tm;              // t_on_failure(), t_set_fr(), ... (tm module)
  AuthState auth;                   // www_authorize() and friends (auth modules)
  void* transaction = nullptr;      // the tm transaction of this message, if any (opaque)
  std::uint64_t dialog = 0;         // the dialog of this message, if any (dialog module's id)
  bool maxfwd_processed = false;    // Max-Forwards already decremented (maxfwd module)
  bool force_received = false;      // fix_nated_register(): save() keeps the source as received
  bool dropped = false;             // `drop` ran: a reply is not relayed
  bool replied = false;             // a reply was sent for this request
  bool relayed = false;             // the message was forwarded
  int last_rc = 1;                  // $rc

 private:
  SipMessage& msg_;
  const ReceiveInfo& rcv_;
  RouteType route_type_;
  std::string new_ruri_;
  bool ruri_changed_ = false;
  SipUri new_ruri_parsed_;
  bool new_ruri_ok_ = false;
};

}  // namespace sipline
