#include "modules/siptrace/packet_arena.h"

#include <algorithm>
#include <cassert>

namespace sipline::siptrace {

void PacketArena::startBlock(std::size_t capacity) {
  Block b;
  if (!free_.empty()) {
    b.bytes = std::move(free_.back());
    free_.pop_back();
    b.bytes.clear();
  }
  b.bytes.reserve(std::max(capacity, kBlockBytes));
  blocks_.push_back(std::move(b));
}

void PacketArena::dropReleased() {
  // Old blocks go from the front once nothing in them is live (a few are kept for reuse); the
  // current one stays, and is written from its start again when nothing in it is live.
  while (blocks_.size() > 1 && blocks_.front().live == 0) {
    if (free_.size() < kMaxFreeBlocks && blocks_.front().bytes.capacity() <= kBlockBytes) {
      free_.push_back(std::move(blocks_.front().bytes));
    }
    blocks_.pop_front();
    ++first_id_;
  }
  if (blocks_.back().live == 0) blocks_.back().bytes.clear();
}

std::string& PacketArena::bufferFor(std::size_t expected) {
  // A packet never spans blocks; one larger than a block gets a block of its own size.
  if (blocks_.empty() || blocks_.back().bytes.size() + expected > blocks_.back().bytes.capacity()) {
    startBlock(expected);
    dropReleased();
  }
  return blocks_.back().bytes;
}

PacketArena::Ref PacketArena::commit(std::size_t size_before) {
  Block& b = blocks_.back();
  ++b.live;
  return Ref{first_id_ + blocks_.size() - 1, static_cast<std::uint32_t>(size_before),
             static_cast<std::uint32_t>(b.bytes.size() - size_before)};
}

std::string_view PacketArena::view(const Ref& r) const {
  assert(r.block >= first_id_ && r.block - first_id_ < blocks_.size());
  return std::string_view(block(r.block).bytes).substr(r.offset, r.size);
}

void PacketArena::release(const Ref& r) {
  // A packet released twice (or a Ref of another arena) would free a block still in use.
  assert(r.block >= first_id_ && r.block - first_id_ < blocks_.size());
  assert(block(r.block).live > 0);
  --block(r.block).live;
  dropReleased();
}

}  // namespace sipline::siptrace
