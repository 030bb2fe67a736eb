// The auth service (api.h) and the challenge that goes with it: reads credentials, checks a
// response against an HA1, keeps nonce-counts, and answers 401/407 with fresh nonces. One
// object per process (made in describe(), initialised in the master before fork); its shm
// part is the nonce-count table, its secret is inherited by fork.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/stats/stats.h"
#include "modules/auth/api.h"
#include "modules/auth/challenge.h"
#include "modules/auth/nonce.h"
#include "modules/auth/nonce_table.h"

namespace sipline::shm {
class Segment;
}

namespace sipline::auth {

struct AuthStats {
  StatCounter challenges;        // 401/407 sent
  StatCounter authorized;        // postAuth() accepted
  StatCounter invalid_password;  // wrong response (or unusable HA1)
  StatCounter stale;             // right response, nonce expired / foreign / slot reused
  StatCounter reused;            // right response, nonce-count seen before (replay)
  StatCounter malformed;         // credentials answered 400
  StatCounter nonce_slots;       // gauge: the nonce-count table's size
};

struct AuthConfig {
  std::int64_t nonce_expire = 30;  // seconds a nonce is good for
  std::string realm_prefix;        // stripped from a realm taken from To/From ("sip.")
  // Bit per crypto::DigestAlgorithm: what any challenge may offer. Only consulted for a
  // nonce that is not ours (its own offer cannot be read); an ours names its challenge's.
  std::uint32_t accepted = 0;
};

// The offer a challenge signs into its nonce.
NonceOffer nonceOfferFor(const QopOffer& qop, const AlgorithmList& algorithms);

class AuthService : public Api {
 public:
  // Master: the secret ("" = random), the nonce-count table in the segment.
  Status init(shm::Segment& segment, std::string_view secret, std::int64_t nonce_slots);
  bool ready() const { return table_ != nullptr; }

  // Lets responses to foreign nonces use these algorithms (the `algorithms` parameter and
  // every challenge's); responses to our nonces may use what their challenge offered only.
  void accept(const AlgorithmList& list);

  std::string realmFor(MsgContext& ctx, std::string_view realm) const override;
  std::string_view realmPrefix() const override { return config.realm_prefix; }
  int preAuth(MsgContext& ctx, std::string_view realm, HeaderType type, Credentials& out) override;
  int postAuth(MsgContext& ctx, const Credentials& c, std::string_view ha1) override;

  // A fresh nonce carrying `offer` (takes a nonce-count slot).
  std::string newNonce(const NonceOffer& offer);
  // Sends the 401 (or 407 when proxy) with one challenge per algorithm and a fresh nonce;
  // stale=true when ctx.auth.stale. False, without taking a nonce slot, when the request was
  // answered already (ctx.replied: a 400 for bad credentials, auth_db's 500), when the realm
  // is empty (no realm given and no host in To/From), or when the reply could not be sent;
  // `why` says which.
  bool challenge(MsgContext& ctx, bool proxy, std::string_view realm, const QopOffer& qop,
                 const AlgorithmList& algorithms, std::string& why);

  AuthConfig config;
  AuthStats stats;
  // Seconds since the epoch; tests replace it.
  std::function<std::int64_t()> clock;

 private:
  std::int64_t now() const;
  int reject(MsgContext& ctx, const char* what);
  NonceCodec codec_;
  std::unique_ptr<NonceTable> table_;
};

}  // namespace sipline::auth
