// rtpproxy: puts a call's media through an rtpproxy-protocol relay (rtpproxy, or rtpengine's
// --listen-udp), as OpenSIPS's rtpproxy module does. For every media stream of the SDP the
// relay allocates a port (U on an offer, L on an answer) and the SDP is rewritten to it
// (core/media/sdp_rewrite.h); D tears the session down. No script or MI types here, so unit
// tests drive it with a fake relay (Transport). Process-private: one Engine per process,
// inherited through fork; the relay health and the call -> relay table it uses live in shm
// (core/media/relay_set.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/media/relay_set.h"
#include "core/parser/sip_message.h"
#include "core/stats/stats.h"
#include "core/transport/sock_addr.h"

namespace sipline::rtpproxy {

// rtpproxy_offer()/rtpproxy_answer() flags: one letter each, OpenSIPS's meaning.
struct Flags {
  bool asymmetric = false;      // a: the UA does not send from where it receives (modifier A)
  bool ipv6 = false;            // 6: the address given to the relay is IPv6 (modifier 6)
  bool force = false;           // f: proxy even when the SDP says a=nortpproxy:yes
  bool trust_address = false;   // r: give the relay the SDP's c= address, not the source IP
  bool rewrite_origin = false;  // o: rewrite the o= address too
  bool remove_ice = false;      // c: remove a=candidate and a=ice-* lines
  std::string direction;        // i/e letters in order ("ie": from inside to outside)
};
// Letters as above, in any order; invalidArgument naming an unknown letter, or more than two
// direction letters.
Result<Flags> parseFlags(std::string_view text);

struct Counters {
  StatCounter offers;     // offers that went through a relay
  StatCounter answers;    // answers that went through a relay
  StatCounter deletes;    // D commands sent (unforce and automatic teardown)
  StatCounter errors;     // commands that failed: no relay answered, E<n>, malformed reply
  StatCounter failovers;  // relays that timed out and were left for another
};

// How the engine reaches the relays. RelayTransport is the real one.
class Transport {
 public:
  virtual ~Transport() = default;
  // One command for the call `key` to a relay of `set`, with failover (RelayClient::request).
  // relay >= 0: that relay first (the one holding the call), the set's others only when it is
  // down or does not answer; relay < 0: the set's choice for key.
  virtual Result<media::RelayClient::Reply> request(unsigned set, std::string_view key,
                                                    std::string_view payload, int relay,
                                                    unsigned* failovers) = 0;
  // A command whose reply nobody waits for (teardown from tm and dialog callbacks, which must
  // not block): to `relay` when >= 0 (whatever its health: the call lives there), else to
  // every relay of the set (a call whose relay is not known any more). False when nothing
  // could be sent.
  virtual bool post(unsigned set, std::string_view payload, int relay) = 0;
  // The relay's own address: the SDP gets it when the reply carries none (or 0.0.0.0).
  virtual std::string relayAddress(std::size_t relay) const = 0;
  // The relay that took the call's offer (shm, shared by every process; see
  // media::RelaySets::relayOf), so its answer and delete reach it after a failover and a
  // recovery: -1 when unknown.
  virtual int relayOf(std::string_view call_id) const = 0;
  virtual void remember(std::string_view call_id, std::size_t relay) = 0;
  virtual void forget(std::string_view call_id) = 0;
};

// Sends through a RelayClient (blocking, bounded) and posts with a socket of its own.
class RelayTransport : public Transport {
 public:
  RelayTransport(media::RelaySets& sets, media::RelayClientOptions options)
      : sets_(sets), client_(sets, options) {}
  ~RelayTransport() override;
  Result<media::RelayClient::Reply> request(unsigned set, std::string_view key,
                                            std::string_view payload, int relay,
                                            unsigned* failovers) override;
  bool post(unsigned set, std::string_view payload, int relay) override;
  std::string relayAddress(std::size_t relay) const override;
  int relayOf(std::string_view call_id) const override;
  void remember(std::string_view call_id, std::size_t relay) override;
  void forget(std::string_view call_id) override;
  media::RelayClient& client() { return client_; }

 private:
  bool postTo(std::size_t relay, std::string_view payload);

  media::RelaySets& sets_;
  media::RelayClient client_;
  int fd4_ = -1, fd6_ = -1;
  std::uint64_t cookie_ = 0;
};

enum class Outcome : std::uint8_t {
  kOk,
  kNoSdp,           // no application/sdp body (or part)
  kBadSdp,          // the SDP does not parse
  kAlreadyProxied,  // a=nortpproxy:yes and no f flag
  kBadMessage,      // no Call-ID or From tag, an answer without To tag, a bad ip argument
  kNoStream,        // no stream with a port to relay
  kRelayFailed,     // no relay answered (or none is usable)
  kRelayRefused,    // E<n>, a malformed reply, or a lookup for a call the relay does not know
};
const char* outcomeText(Outcome o);  // never nullptr

// What teardown needs of a call: kept with the transaction or dialog
// ("set\ncall-id\ntag\nto-tag[\nt]").
struct CallRef {
  unsigned set = 0;
  std::string call_id;
  std::string from_tag;
  std::string to_tag;
  bool tm_follows = false;  // the tm watcher deletes it when the INVITE fails (dialog data)
};
std::string packCallRef(const CallRef& ref);
bool unpackCallRef(std::string_view text, CallRef& out);

class Engine {
 public:
  Engine(Transport& transport, Counters& counters) : transport_(transport), counters_(counters) {}

  // rtpproxy_offer (offer = true: U) or rtpproxy_answer (L) on msg, received from `source`:
  // one command per stream with a non-zero port, then the SDP is replaced (Content-Length
  // follows). The tags go first the side whose SDP this is: From then To, swapped for an offer
  // in a reply (late offer in a 200) and an answer in a request (the ACK). All streams go to
  // one relay: the call's (relayOf) when known, and an offer remembers it. `ip` (may be "")
  // replaces the relay's address in the SDP. Logs each failure with the Call-ID and counts it
  // in errors; nothing is rewritten unless every stream succeeded, and an initial offer whose
  // later stream failed has its earlier ports released (D posted).
  Outcome manage(SipMessage& msg, const SockAddr& source, const Flags& flags, std::string_view ip,
                 bool offer, unsigned set);
  // rtpproxy_unforce: D for the call of msg to the call's relay (waits for the reply). False
  // when the message lacks Call-ID or From tag, or no relay answered.
  bool unforce(SipMessage& msg, unsigned set);
  // Teardown from a callback: D posted (not awaited) to the call's relay, or to every relay of
  // the set when that is not known; the call is forgotten.
  void teardown(const CallRef& ref);

 private:
  Transport& transport_;
  Counters& counters_;
};

}  // namespace sipline::rtpproxy
