// What the siptrace-writer has made of held messages but not sent yet (they wait out the
// reorder window): HEP packets, or COPY rows in an arena of their own. Kept back to back in a
// few large blocks instead of one heap string each: a steady writer allocates nothing per
// packet, and the packets of a round sit together in memory. A block is reused once every
// packet in it has been released; packets are released roughly in the order they were added,
// so blocks come free from the oldest. Process-private.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace sipline::siptrace {

class PacketArena {
 public:
  static constexpr std::size_t kBlockBytes = 256 * 1024;
  static constexpr std::size_t kMaxFreeBlocks = 2;  // kept for reuse beyond the ones in use

  struct Ref {
    std::uint64_t block = 0;
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };

  // The buffer a packet of about `expected` bytes is appended to: the current block, or a
  // new one when it has no room left. Append to it, then call commit() with its size before.
  std::string& bufferFor(std::size_t expected);
  // The packet made of what was appended since `size_before` (bufferFor's buffer's size
  // before the append).
  Ref commit(std::size_t size_before);
  std::string_view view(const Ref& r) const;
  // The packet is no longer needed; its block is reused once all of its packets are.
  void release(const Ref& r);

  std::size_t blocks() const { return blocks_.size(); }
  std::size_t freeBlocks() const { return free_.size(); }

 private:
  struct Block {
    std::string bytes;
    std::size_t live = 0;  // packets committed and not released
  };
  Block& block(std::uint64_t id) { return blocks_[id - first_id_]; }
  const Block& block(std::uint64_t id) const { return blocks_[id - first_id_]; }
  void startBlock(std::size_t capacity);
  void dropReleased();

  std::deque<Block> blocks_;  // blocks_[0] has id first_id_; the last one is written to
  std::uint64_t first_id_ = 0;
  std::vector<std::string> free_;
};

}  // namespace sipline::siptrace
