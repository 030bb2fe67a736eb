#include "modules/siptrace/packet_arena.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline::siptrace {

class SiptracePacketArenaTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SiptracePacketArenaTest);
  CPPUNIT_TEST(packetsReadBackWhileHeld);
  CPPUNIT_TEST(blocksAreReusedOnceReleased);
  CPPUNIT_TEST(aBlockWithALivePacketIsKept);
  CPPUNIT_TEST(anOversizedPacketGetsItsOwnBlock);
  CPPUNIT_TEST_SUITE_END();

  static PacketArena::Ref add(PacketArena& a, const std::string& packet) {
    std::string& buf = a.bufferFor(packet.size());
    const std::size_t before = buf.size();
    buf += packet;
    return a.commit(before);
  }
  static std::string packetOf(std::size_t i, std::size_t size) {
    std::string p = std::to_string(i) + ":";
    p.resize(size, static_cast<char>('a' + i % 26));
    return p;
  }

 public:
  void packetsReadBackWhileHeld() {
    PacketArena a;
    std::vector<PacketArena::Ref> refs;
    // About four blocks' worth: packets never span blocks and read back whole.
    const std::size_t n = 4 * PacketArena::kBlockBytes / 1000;
    for (std::size_t i = 0; i < n; ++i) refs.push_back(add(a, packetOf(i, 1000)));
    CPPUNIT_ASSERT(a.blocks() >= 4);
    for (std::size_t i = 0; i < n; ++i) {
      CPPUNIT_ASSERT_EQUAL(packetOf(i, 1000), std::string(a.view(refs[i])));
    }
  }

  void blocksAreReusedOnceReleased() {
    PacketArena a;
    // Rounds of packets released a round later, as the writer does after its window: the
    // arena holds about two rounds' blocks and recycles them instead of growing.
    std::vector<PacketArena::Ref> previous;
    std::size_t most_blocks = 0;
    for (std::size_t round = 0; round < 50; ++round) {
      std::vector<PacketArena::Ref> current;
      for (std::size_t i = 0; i < 300; ++i) current.push_back(add(a, packetOf(round + i, 700)));
      for (std::size_t i = 0; i < previous.size(); ++i) {
        CPPUNIT_ASSERT_EQUAL(packetOf(round - 1 + i, 700), std::string(a.view(previous[i])));
        a.release(previous[i]);
      }
      most_blocks = std::max(most_blocks, a.blocks());
      previous = std::move(current);
    }
    CPPUNIT_ASSERT(most_blocks <= 3);
    CPPUNIT_ASSERT(a.freeBlocks() <= PacketArena::kMaxFreeBlocks);
    for (const PacketArena::Ref& r : previous) a.release(r);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, a.blocks());  // the current one, emptied
    CPPUNIT_ASSERT_EQUAL(std::string("x"), std::string(a.view(add(a, "x"))));
  }

  void aBlockWithALivePacketIsKept() {
    PacketArena a;
    const PacketArena::Ref old = add(a, "held long");
    std::vector<PacketArena::Ref> refs;
    for (std::size_t i = 0; i < 3 * PacketArena::kBlockBytes / 4000; ++i) {
      refs.push_back(add(a, packetOf(i, 4000)));
    }
    for (const PacketArena::Ref& r : refs) a.release(r);
    // The first block stays while its packet is held (so do those after it: freed in order).
    CPPUNIT_ASSERT(a.blocks() >= 3);
    CPPUNIT_ASSERT_EQUAL(std::string("held long"), std::string(a.view(old)));
    a.release(old);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, a.blocks());
  }

  void anOversizedPacketGetsItsOwnBlock() {
    PacketArena a;
    const PacketArena::Ref small = add(a, "small");
    const std::string big = packetOf(7, 3 * PacketArena::kBlockBytes);
    const PacketArena::Ref large = add(a, big);
    CPPUNIT_ASSERT(large.block != small.block);
    CPPUNIT_ASSERT_EQUAL(big, std::string(a.view(large)));
    a.release(small);
    a.release(large);
    // Released, it is one block again, and that is written from its start.
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{0}, add(a, "after").offset);
    CPPUNIT_ASSERT(a.freeBlocks() <= PacketArena::kMaxFreeBlocks);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, a.blocks());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiptracePacketArenaTest);

}  // namespace sipline::siptrace
