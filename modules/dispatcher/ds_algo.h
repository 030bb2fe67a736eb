// The selection algorithms of ds_select_dst()/ds_select_domain() (OpenSIPS numbering), as a
// pure function from a set, which of its destinations may be used, and a key, to the ordered
// list of candidates: the first is the destination chosen, the rest the failover order of
// ds_next_dst(). No state, no I/O: the caller supplies the key (the hash of a message part, the
// round-robin counter, or a random number).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "modules/dispatcher/ds_dest.h"

namespace sipline::dispatcher {

enum class Alg : std::uint8_t {
  kHashCallId = 0,
  kHashFrom = 1,
  kHashTo = 2,
  kHashRuri = 3,
  kRoundRobin = 4,
  kHashAuthUser = 5,
  kRandom = 6,
  kHashPvar = 7,
  kPriority = 8,
  kWeight = 9,
};
inline constexpr std::int64_t kAlgCount = 10;

bool isHashAlg(Alg alg);
// The key of a hash algorithm for `text` (stable across processes and restarts).
std::uint64_t hashKey(std::string_view text);

// Indexes into set.dests, best first, at most max_results (0: no limit). usable[i] tells
// whether set.dests[i] may be chosen (active). Hash algorithms start at key % size and go
// round the set, skipping unusable destinations (so a dead destination's calls go to the next
// one and every other key keeps its destination); round robin and random start at the
// (key % usable)-th usable destination (a dead one's turns are shared evenly by the live
// ones) and go round the same way; priority (8) is the set's order; weight (9) draws without
// replacement in proportion to the weights, seeded by key, and never picks a weight of 0 (a
// set whose usable destinations all weigh 0 gives no candidate).
std::vector<std::size_t> orderCandidates(const DsSet& set, const std::vector<bool>& usable, Alg alg,
                                         std::uint64_t key, std::size_t max_results);

}  // namespace sipline::dispatcher
