// Invariant checks shared by the libFuzzer targets in fuzz/. A failed check prints the file,
// line and condition to stderr and executes __builtin_trap(), which libFuzzer reports as a
// crash (deadly signal) and saves the input. Only for fuzz targets: never include from core/.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// Like assert(), but always on and fatal through a trap so libFuzzer keeps the input.
#define SL_FUZZ_CHECK(cond)                                                                  \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                                      \
    }                                                                                        \
  } while (0)

// SL_FUZZ_CHECK for an invariant whose violation is a reported, not yet fixed bug: id is the
// short name of its input in fuzz/regressions/ (<target>-<id>). Skipped when id is listed in
// the environment variable SIPLINE_FUZZ_SKIP (comma-separated), so that a fuzzing run keeps
// looking for new bugs instead of finding the known one again; scripts/run-fuzz-smoke sets it
// from the regression inputs that still fail (which fail the run on their own).
#define SL_FUZZ_CHECK_KNOWN(id, cond)                                                         \
  do {                                                                                        \
    if (!(cond) && !::sipline::fuzz::skipKnown(id)) {                                         \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed (%s): %s\n", __FILE__, __LINE__, id, \
                   #cond);                                                                    \
      __builtin_trap();                                                                       \
    }                                                                                         \
  } while (0)

namespace sipline {
namespace fuzz {

// True when id is listed in SIPLINE_FUZZ_SKIP. Only called on a failed check.
inline bool skipKnown(const char* id) {
  static const std::string list = [] {
    const char* env = std::getenv("SIPLINE_FUZZ_SKIP");
    return env != nullptr ? "," + std::string(env) + "," : std::string();
  }();
  return list.find("," + std::string(id) + ",") != std::string::npos;
}

// True when view lies inside outer. An empty view is always accepted: the parsers return
// default (null) views for absent parts, and nothing can be read through an empty view.
inline bool within(std::string_view view, std::string_view outer) {
  if (view.empty()) return true;
  const auto v = reinterpret_cast<std::uintptr_t>(view.data());
  const auto o = reinterpret_cast<std::uintptr_t>(outer.data());
  return v >= o && v - o <= outer.size() && view.size() <= outer.size() - (v - o);
}

// Offset of a (non-empty) view inside outer; call only after within() held.
inline std::size_t offsetIn(std::string_view view, std::string_view outer) {
  return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(view.data()) -
                                  reinterpret_cast<std::uintptr_t>(outer.data()));
}

// Reads every byte of a view so ASan notices a view that points outside its buffer even when
// the pointer arithmetic above happens to pass. Returns a value the caller must use.
inline unsigned touch(std::string_view view) {
  unsigned sum = 0;
  for (char c : view) sum += static_cast<unsigned char>(c);
  return sum;
}

inline bool iequalsAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace fuzz
}  // namespace sipline
