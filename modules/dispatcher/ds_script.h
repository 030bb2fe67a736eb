// The message side of the dispatcher commands: the text an algorithm hashes, and the
// candidates kept for failover. The candidates live in AVPs of the message (so tm keeps them
// with the transaction and hands them to failure_route): "_ds_cand" holds the ones not used
// yet, the next one as [0]; "_ds_cur" the destination in use (for ds_mark_dst). Each value is
// "<setid> <uri>". Process-private.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "modules/dispatcher/ds_algo.h"
#include "modules/dispatcher/ds_dest.h"

namespace sipline {
class MsgContext;
class Format;
}  // namespace sipline

namespace sipline::dispatcher {

inline constexpr std::string_view kCandidatesAvp = "_ds_cand";
inline constexpr std::string_view kCurrentAvp = "_ds_cur";

// The text a hash algorithm hashes for ctx ("" when the message has none; the key is then
// the hash of ""). The URI algorithms (From, To, request-URI) hash uriHashKey() of the URI, so
// URI parameters, a display name or a tag do not move a call to another destination. Alg 5
// gives nullopt when the request has no credentials with a username (the caller then uses
// round robin, as OpenSIPS); alg 7 evaluates `pvar` (null: "").
std::optional<std::string> hashText(MsgContext& ctx, Alg alg, const Format* pvar);
// "user@host[:port]" of a URI: the host lowercased, the port only when it is not the
// scheme's default (5060, 5061 for sips:), no parameters or headers; a tel: URI gives its
// number. A text that is not a URI is hashed as it is.
std::string uriHashKey(std::string_view uri_text);

// "$avp(name)" -> "name"; invalidArgument otherwise. "" gives "".
Result<std::string> avpNameOf(std::string_view spec);

// Uses `d`: $du (or the request-URI's host:port when `domain`), the send socket, attrs into
// `attrs_avp` (when not empty) and _ds_cur. An error when the request-URI cannot be rewritten.
Status useDestination(MsgContext& ctx, const Destination& d, bool domain,
                      const std::string& attrs_avp);
// Replaces the candidates with `rest` (in failover order).
void keepCandidates(MsgContext& ctx, const std::vector<Destination>& rest);
// Takes the next candidate off: (setid, uri), or nullopt when none is left.
std::optional<std::pair<std::int64_t, std::string>> takeCandidate(MsgContext& ctx);
// The destination in use (_ds_cur), or nullopt.
std::optional<std::pair<std::int64_t, std::string>> currentDestination(MsgContext& ctx);

}  // namespace sipline::dispatcher
