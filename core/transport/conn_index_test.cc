#include "core/transport/conn_index.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <vector>

namespace sipline {
namespace {

SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, a));
  return a;
}

ConnInfo conn(const char* ip, std::uint16_t port, int owner, Proto proto = Proto::kTcp) {
  ConnInfo c;
  c.proto = proto;
  c.peer = addr(ip, port);
  c.listener = 1;
  c.owner = owner;
  return c;
}

}  // namespace

class ConnIndexTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ConnIndexTest);
  CPPUNIT_TEST(findsByTransportAndPeer);
  CPPUNIT_TEST(fullIndexRefusesAndFreedSlotsAreReused);
  CPPUNIT_TEST(staleIdsNeverMatchAReusedSlot);
  CPPUNIT_TEST(publishRunsBeforeTheConnectionIsVisibleAndCanRefuse);
  CPPUNIT_TEST(keepUntilOnlyGrows);
  CPPUNIT_TEST(ownersAreCountedAndForgotten);
  CPPUNIT_TEST(aProcessDyingWithTheLockLeavesAConsistentIndex);
  CPPUNIT_TEST(oneAddressHoldsAtMostItsShareOfIncomingConnections);
  CPPUNIT_TEST(incomingConnectionsLeaveTheReserveFree);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(4 << 20).value());
    index_ = ConnIndex::create(*seg_, 8, 2).value();
  }
  void tearDown() override { seg_.reset(); }

  void findsByTransportAndPeer() {
    std::uint64_t a = index_->add(conn("127.0.0.1", 5000, 0));
    std::uint64_t b = index_->add(conn("127.0.0.1", 5000, 1, Proto::kTls));
    std::uint64_t c = index_->add(conn("::1", 5000, 1));
    CPPUNIT_ASSERT(a != 0 && b != 0 && c != 0 && a != b && b != c);
    ConnInfo got;
    CPPUNIT_ASSERT(index_->find(Proto::kTcp, addr("127.0.0.1", 5000), got));
    CPPUNIT_ASSERT_EQUAL(a, got.id);
    CPPUNIT_ASSERT_EQUAL(0, got.owner);
    CPPUNIT_ASSERT(index_->find(Proto::kTls, addr("127.0.0.1", 5000), got));
    CPPUNIT_ASSERT_EQUAL(b, got.id);
    CPPUNIT_ASSERT(index_->find(Proto::kTcp, addr("::1", 5000), got));
    CPPUNIT_ASSERT_EQUAL(c, got.id);
    CPPUNIT_ASSERT(!index_->find(Proto::kTcp, addr("127.0.0.1", 5001), got));
    CPPUNIT_ASSERT(index_->findById(b, got) && got.proto == Proto::kTls);
    index_->remove(a);
    CPPUNIT_ASSERT(!index_->find(Proto::kTcp, addr("127.0.0.1", 5000), got));
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), index_->size());
  }

  void fullIndexRefusesAndFreedSlotsAreReused() {
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 8; ++i) ids.push_back(index_->add(conn("127.0.0.1", 6000 + i, 0)));
    CPPUNIT_ASSERT(std::set<std::uint64_t>(ids.begin(), ids.end()).size() == 8);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), index_->add(conn("127.0.0.1", 7000, 0)));
    index_->remove(ids[3]);
    std::uint64_t again = index_->add(conn("127.0.0.1", 7000, 0));
    CPPUNIT_ASSERT(again != 0);
    CPPUNIT_ASSERT_EQUAL(index_->capacity(), index_->size());
  }

  void staleIdsNeverMatchAReusedSlot() {
    std::uint64_t old_id = index_->add(conn("127.0.0.1", 5000, 0));
    index_->remove(old_id);
    std::uint64_t new_id = index_->add(conn("127.0.0.1", 5002, 0));
    CPPUNIT_ASSERT_EQUAL(old_id & 0xffffffffu, new_id & 0xffffffffu);  // same slot
    ConnInfo got;
    CPPUNIT_ASSERT(!index_->findById(old_id, got));
    index_->remove(old_id);  // a stale remove leaves the new connection alone
    CPPUNIT_ASSERT(index_->findById(new_id, got));
  }

  void publishRunsBeforeTheConnectionIsVisibleAndCanRefuse() {
    bool seen_during_publish = true;
    std::uint64_t published = 0;
    std::uint64_t id = index_->add(conn("127.0.0.1", 5000, 1), [&](std::uint64_t new_id) {
      published = new_id;
      return true;
    });
    CPPUNIT_ASSERT(id != 0);
    CPPUNIT_ASSERT_EQUAL(id, published);
    std::uint64_t refused = index_->add(conn("127.0.0.1", 5001, 1), [&](std::uint64_t) {
      seen_during_publish = false;
      return false;
    });
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), refused);
    CPPUNIT_ASSERT(!seen_during_publish);
    ConnInfo got;
    CPPUNIT_ASSERT(!index_->find(Proto::kTcp, addr("127.0.0.1", 5001), got));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), index_->size());
  }

  void keepUntilOnlyGrows() {
    std::uint64_t id = index_->add(conn("127.0.0.1", 5000, 0));
    CPPUNIT_ASSERT(index_->keepUntil(Proto::kTcp, addr("127.0.0.1", 5000), 5000));
    CPPUNIT_ASSERT(index_->keepUntil(Proto::kTcp, addr("127.0.0.1", 5000), 3000));
    CPPUNIT_ASSERT_EQUAL(std::int64_t(5000), index_->keepUntilOf(id));
    CPPUNIT_ASSERT(!index_->keepUntil(Proto::kTls, addr("127.0.0.1", 5000), 9000));
  }

  void ownersAreCountedAndForgotten() {
    index_->add(conn("127.0.0.1", 5000, 0));
    index_->add(conn("127.0.0.1", 5001, 0));
    index_->add(conn("127.0.0.1", 5002, 1));
    CPPUNIT_ASSERT_EQUAL(1, index_->leastLoadedOwner());
    CPPUNIT_ASSERT_EQUAL(2, index_->ownedBy(0));
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), index_->removeOwnedBy(0));
    CPPUNIT_ASSERT_EQUAL(0, index_->ownedBy(0));
    CPPUNIT_ASSERT_EQUAL(0, index_->leastLoadedOwner());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), index_->size());
  }

  void aProcessDyingWithTheLockLeavesAConsistentIndex() {
    std::uint64_t kept = index_->add(conn("127.0.0.1", 5000, 0));
    pid_t pid = fork();
    if (pid == 0) {
      // Dies inside publish, holding the lock, in the middle of an add.
      index_->add(conn("127.0.0.1", 5001, 1), [](std::uint64_t) -> bool { _exit(0); });
      _exit(1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ConnInfo got;
    CPPUNIT_ASSERT(index_->findById(kept, got));  // the lock is usable, the index intact
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), index_->size());
    CPPUNIT_ASSERT(index_->add(conn("127.0.0.1", 5001, 1)) != 0);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), index_->size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), index_->incomingFrom(addr("127.0.0.1", 1)));
  }

  std::uint64_t incoming(const char* ip, std::uint16_t port, ConnIndex::Refusal& why,
                         std::size_t per_ip = 3, std::size_t reserved = 2) {
    return index_->addIncoming(conn(ip, port, 0), {per_ip, reserved}, why);
  }

  void oneAddressHoldsAtMostItsShareOfIncomingConnections() {
    ConnIndex::Refusal why = ConnIndex::Refusal::kFull;
    std::vector<std::uint64_t> ids;
    for (std::uint16_t p = 5000; p < 5003; ++p) {
      ids.push_back(incoming("192.0.2.1", p, why));
      CPPUNIT_ASSERT(ids.back() != 0 && why == ConnIndex::Refusal::kNone);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), incoming("192.0.2.1", 5003, why));
    CPPUNIT_ASSERT(why == ConnIndex::Refusal::kPerIp);
    // TLS counts with TCP; other addresses (IPv4 and IPv6) are not affected.
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0),
                         index_->addIncoming(conn("192.0.2.1", 6000, 1, Proto::kTls), {3, 0}, why));
    CPPUNIT_ASSERT(incoming("192.0.2.2", 5000, why) != 0);
    CPPUNIT_ASSERT(incoming("2001:db8::1", 5000, why) != 0);
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), index_->incomingFrom(addr("192.0.2.1", 1)));
    // Connections the server opened to that address are not the peer's to count.
    ConnInfo out = conn("192.0.2.1", 5060, 1);
    out.outgoing = true;
    CPPUNIT_ASSERT(index_->add(out) != 0);
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), index_->incomingFrom(addr("192.0.2.1", 1)));
    // One closes: room for one more.
    index_->remove(ids[1]);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), index_->incomingFrom(addr("192.0.2.1", 1)));
    CPPUNIT_ASSERT(incoming("192.0.2.1", 5003, why, 3, 0) != 0);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), incoming("192.0.2.1", 5004, why, 3, 0));
    // No limit: 0.
    CPPUNIT_ASSERT(incoming("192.0.2.1", 5004, why, 0, 0) != 0);
  }

  void incomingConnectionsLeaveTheReserveFree() {
    ConnIndex::Refusal why = ConnIndex::Refusal::kNone;
    for (std::uint16_t p = 5000; p < 5006; ++p) {
      CPPUNIT_ASSERT(incoming("192.0.2.1", p, why, 0, 2) != 0);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), incoming("192.0.2.9", 5000, why, 0, 2));
    CPPUNIT_ASSERT(why == ConnIndex::Refusal::kFull);
    // The server's own connections still get the last two slots.
    CPPUNIT_ASSERT(index_->add(conn("192.0.2.50", 5060, 1)) != 0);
    CPPUNIT_ASSERT(index_->add(conn("192.0.2.51", 5060, 1)) != 0);
    CPPUNIT_ASSERT_EQUAL(index_->capacity(), index_->size());
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  ConnIndex* index_ = nullptr;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConnIndexTest);

}  // namespace sipline
