#include "core/dns/blacklist.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::dns {
namespace {

SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, a));
  return a;
}

std::unique_ptr<shm::Segment> segmentOf(std::size_t bytes) {
  Result<std::unique_ptr<shm::Segment>> seg = shm::Segment::create(bytes);
  CPPUNIT_ASSERT(seg.isOk());
  return std::move(seg.value());
}

}  // namespace

class BlacklistTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(BlacklistTest);
  CPPUNIT_TEST(listedUntilItExpires);
  CPPUNIT_TEST(portProtocolAndFamilyArePartOfTheKey);
  CPPUNIT_TEST(laterExpiryExtendsEarlierDoesNotShorten);
  CPPUNIT_TEST(fullTableReusesSlotsAndNeverFails);
  CPPUNIT_TEST(removeForgetsTheDestination);
  CPPUNIT_TEST(listShowsLiveEntriesWithReasons);
  CPPUNIT_TEST(secondTableInTheSameSegmentIsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void listedUntilItExpires() {
    auto seg = segmentOf(1 << 20);
    Blacklist list = Blacklist::create(*seg, 64).value();
    const SockAddr a = addr("192.0.2.1", 5060);
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, a, 0));
    list.add(Proto::kUdp, a, 30000, "timeout");
    CPPUNIT_ASSERT(list.contains(Proto::kUdp, a, 0));
    CPPUNIT_ASSERT(list.contains(Proto::kUdp, a, 29999));
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, a, 30000));
    CPPUNIT_ASSERT(list.list(0).empty());  // the expired slot was freed
  }

  void portProtocolAndFamilyArePartOfTheKey() {
    auto seg = segmentOf(1 << 20);
    Blacklist list = Blacklist::create(*seg, 64).value();
    list.add(Proto::kUdp, addr("192.0.2.1", 5060), 1000, "503");
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, addr("192.0.2.1", 5061), 0));
    CPPUNIT_ASSERT(!list.contains(Proto::kTcp, addr("192.0.2.1", 5060), 0));
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, addr("192.0.2.2", 5060), 0));
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, addr("::ffff:192.0.2.1", 5060), 0));
    list.add(Proto::kUdp, addr("[2001:db8::1]", 5060), 1000, "timeout");
    CPPUNIT_ASSERT(list.contains(Proto::kUdp, addr("2001:db8::1", 5060), 0));
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, addr("2001:db8::2", 5060), 0));
  }

  void laterExpiryExtendsEarlierDoesNotShorten() {
    auto seg = segmentOf(1 << 20);
    Blacklist list = Blacklist::create(*seg, 64).value();
    const SockAddr a = addr("192.0.2.1", 5060);
    list.add(Proto::kUdp, a, 1000, "first");
    list.add(Proto::kUdp, a, 5000, "second");
    CPPUNIT_ASSERT(list.contains(Proto::kUdp, a, 4000));
    list.add(Proto::kUdp, a, 2000, "third");
    CPPUNIT_ASSERT(list.contains(Proto::kUdp, a, 4000));
    std::vector<Blacklist::Item> items = list.list(0);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, items.size());
    CPPUNIT_ASSERT_EQUAL(std::string("second"), items[0].reason);
  }

  void fullTableReusesSlotsAndNeverFails() {
    auto seg = segmentOf(1 << 20);
    Blacklist list = Blacklist::create(*seg, 16).value();
    CPPUNIT_ASSERT_EQUAL(16u, list.capacity());
    for (int i = 0; i < 500; ++i) {
      const SockAddr a = addr("192.0.2.1", static_cast<std::uint16_t>(10000 + i));
      list.add(Proto::kUdp, a, 1000 + i, "timeout");
      CPPUNIT_ASSERT(list.contains(Proto::kUdp, a, 0));  // the newest is always kept
    }
    std::vector<Blacklist::Item> items = list.list(0);
    CPPUNIT_ASSERT(items.size() <= 16);
    CPPUNIT_ASSERT(items.size() >= 8);
    // The oldest (soonest expiring) ones made room.
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, addr("192.0.2.1", 10000), 0));
  }

  void removeForgetsTheDestination() {
    auto seg = segmentOf(1 << 20);
    Blacklist list = Blacklist::create(*seg, 64).value();
    const SockAddr a = addr("192.0.2.1", 5060);
    CPPUNIT_ASSERT(!list.remove(Proto::kUdp, a));
    list.add(Proto::kUdp, a, 1000, "503");
    CPPUNIT_ASSERT(list.remove(Proto::kUdp, a));
    CPPUNIT_ASSERT(!list.contains(Proto::kUdp, a, 0));
  }

  void listShowsLiveEntriesWithReasons() {
    auto seg = segmentOf(1 << 20);
    Blacklist list = Blacklist::create(*seg, 64).value();
    list.add(Proto::kUdp, addr("192.0.2.1", 5060), 1000, "timeout");
    list.add(Proto::kUdp, addr("192.0.2.2", 5060), 3000, std::string(100, 'r'));
    std::vector<Blacklist::Item> items = list.list(2000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, items.size());
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.2:5060"), items[0].addr.toString());
    CPPUNIT_ASSERT_EQUAL(std::size_t{47}, items[0].reason.size());  // truncated, not overrun
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3000}, items[0].until_ms);
  }

  void secondTableInTheSameSegmentIsRefused() {
    auto seg = segmentOf(1 << 20);
    CPPUNIT_ASSERT(Blacklist::create(*seg, 64).isOk());
    Result<Blacklist> again = Blacklist::create(*seg, 64);
    CPPUNIT_ASSERT(!again.isOk());
    CPPUNIT_ASSERT(again.status().code() == Code::kAlreadyExists);
    auto tiny = segmentOf(8 * 1024);
    Result<Blacklist> huge = Blacklist::create(*tiny, 60000);
    CPPUNIT_ASSERT(!huge.isOk());
    CPPUNIT_ASSERT(huge.status().code() == Code::kNoMemory);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(BlacklistTest);

}  // namespace sipline::dns
