// Non-cryptographic hashing for table buckets and stateless branch ids: 64-bit FNV-1a over
// any number of string pieces. Deterministic across processes and restarts.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace sipline {

inline std::uint64_t fnv1a(std::initializer_list<std::string_view> parts) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::string_view p : parts) {
    for (unsigned char c : p) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace sipline
