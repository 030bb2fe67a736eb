// EditList: changes to a received message expressed as inserts, removals and replacements at
// byte offsets of the ORIGINAL buffer. The buffer is never written; build() produces the
// outgoing bytes once, after routing has decided (ARCHITECTURE.md, message flow step 4-5).
// Offsets stay valid whatever other edits are recorded, so independent modules may edit the
// same message without knowing about each other. Process-private (std::string inside); not
// shm-safe; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipline {

class EditList {
 public:
  // Inserts text before the original byte at offset (offset == size appends).
  void insert(std::size_t offset, std::string text);
  // Removes [offset, offset + length) of the original; the same range twice is one removal.
  void remove(std::size_t offset, std::size_t length);
  // Replaces [offset, offset + length) of the original with text.
  void replace(std::size_t offset, std::size_t length, std::string text);

  // Like replace(), but keyed: a later call with the same key (non-zero) overwrites the
  // earlier edit (offset, length and text) instead of adding a second one, so a caller can
  // change its mind (e.g. rewrite the Request-URI twice). length 0 makes it an insert.
  void replaceKeyed(std::uint32_t key, std::size_t offset, std::size_t length, std::string text);

  // True when an edit with this (non-zero) key is recorded.
  bool hasKeyed(std::uint32_t key) const {
    for (const Edit& e : edits_) {
      if (e.key == key) return true;
    }
    return false;
  }
  bool empty() const { return edits_.empty(); }
  std::size_t size() const { return edits_.size(); }
  void clear() { edits_.clear(); }
  // Drops the edits recorded after the first n: undoes plain insert()/remove()/replace() calls
  // made since size() was n (not a keyed edit that overwrote an earlier one).
  void truncate(std::size_t n) {
    if (n < edits_.size()) edits_.resize(n);
  }

  // Writes original + edits into out (replacing its contents). Edits apply in offset order;
  // inserts at the same offset keep call order and go before a removal/replacement that starts
  // there. Returns false (out unspecified) when two removals/replacements overlap, when an
  // insert falls strictly inside a removed range, or when an edit lies beyond the original.
  bool build(std::string_view original, std::string& out) const;

 private:
  struct Edit {
    std::size_t offset;
    std::size_t length;  // 0 for an insert
    std::string text;
    std::uint32_t key = 0;  // 0: not keyed
  };
  std::vector<Edit> edits_;
};

}  // namespace sipline
