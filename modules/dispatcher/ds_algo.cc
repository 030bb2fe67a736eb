#include "modules/dispatcher/ds_algo.h"

#include <random>

#include "core/base/hash.h"

namespace sipline::dispatcher {

bool isHashAlg(Alg alg) {
  switch (alg) {
    case Alg::kHashCallId:
    case Alg::kHashFrom:
    case Alg::kHashTo:
    case Alg::kHashRuri:
    case Alg::kHashAuthUser:
    case Alg::kHashPvar:
      return true;
    default:
      return false;
  }
}

std::uint64_t hashKey(std::string_view text) {
  // fnv1a spreads short, similar keys (Call-IDs differing in one digit) well enough once
  // mixed; the final multiply keeps the low bits (used by %) from following the last byte.
  std::uint64_t h = fnv1a({text});
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

std::vector<std::size_t> orderCandidates(const DsSet& set, const std::vector<bool>& usable, Alg alg,
                                         std::uint64_t key, std::size_t max_results) {
  std::vector<std::size_t> out;
  const std::size_t n = set.dests.size();
  if (n == 0 || usable.size() != n) return out;
  const std::size_t limit = max_results == 0 ? n : max_results;
  if (alg == Alg::kPriority) {
    for (std::size_t i = 0; i < n && out.size() < limit; ++i) {
      if (usable[i]) out.push_back(i);
    }
    return out;
  }
  if (alg == Alg::kWeight) {
    std::vector<std::size_t> pool;
    for (std::size_t i = 0; i < n; ++i) {
      if (usable[i] && set.dests[i].weight > 0) pool.push_back(i);
    }
    std::mt19937_64 rng(key);
    while (!pool.empty() && out.size() < limit) {
      std::uint64_t total = 0;
      for (std::size_t i : pool) total += static_cast<std::uint64_t>(set.dests[i].weight);
      std::uint64_t pick = rng() % total;
      std::size_t k = 0;
      for (; k + 1 < pool.size(); ++k) {
        std::uint64_t w = static_cast<std::uint64_t>(set.dests[pool[k]].weight);
        if (pick < w) break;
        pick -= w;
      }
      out.push_back(pool[k]);
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(k));
    }
    return out;
  }
  std::size_t start = static_cast<std::size_t>(key % n);
  if (alg == Alg::kRoundRobin || alg == Alg::kRandom) {
    // Counted over the usable ones only, so a dead destination's turns are shared by all the
    // live ones instead of doubling the share of its neighbour.
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < n; ++i) {
      if (usable[i]) live.push_back(i);
    }
    if (live.empty()) return out;
    start = live[static_cast<std::size_t>(key % live.size())];
  }
  for (std::size_t j = 0; j < n && out.size() < limit; ++j) {
    std::size_t i = (start + j) % n;
    if (usable[i]) out.push_back(i);
  }
  return out;
}

}  // namespace sipline::dispatcher
