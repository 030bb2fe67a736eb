// Memory-only contacts (kContactMemoryOnly) in a persisting shm table: never marked for the
// DB; a contact turning memory-only leaves a DELETE of its row behind, one turning back is
// written again; and the settling of writes that cross such a change.
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <memory>
#include <string>

#include "modules/usrloc/ul_table.h"

namespace sipline::usrloc {
namespace {

Contact contact(const std::string& uri, std::int64_t expires, bool memory_only,
                std::int32_t cseq = 1) {
  Contact c;
  c.uri = uri;
  c.expires = expires;
  c.cseq = cseq;
  c.callid = "call-" + uri;
  c.user_agent = "TestPhone/1.0";
  c.flags = memory_only ? kContactMemoryOnly | 0x10u : 0x10u;
  return c;
}

}  // namespace

class UlTableMemoryOnlyTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UlTableMemoryOnlyTest);
  CPPUNIT_TEST(memoryOnlyContactIsNeverMarked);
  CPPUNIT_TEST(memoryOnlyRemovalAndExpiryLeaveNoTombstone);
  CPPUNIT_TEST(turningMemoryOnlyDeletesTheRow);
  CPPUNIT_TEST(turningMemoryOnlyDropsAPendingUpsert);
  CPPUNIT_TEST(turningBackIsWrittenAndCancelsTheDelete);
  CPPUNIT_TEST(memoryOnlyInsertKeepsAPendingDelete);
  CPPUNIT_TEST(olderUpsertLandingAfterTheSwitchIsDeletedAgain);
  CPPUNIT_TEST(upsertSettlingBeforeItsDeleteGetsTheDeleteWrittenAgain);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    counters_.expired_contacts.bindForTest(&expired_);
    counters_.db_errors.bindForTest(&db_errors_);
    counters_.no_memory.bindForTest(&no_memory_);
    TableOptions opt;
    opt.size = 64;
    opt.persist = true;  // write-through / write-back
    Result<std::unique_ptr<Table>> t = Table::create(*seg_, "location", opt, &counters_);
    CPPUNIT_ASSERT(t.isOk());
    table_ = std::move(t.value());
  }
  void tearDown() override {
    table_.reset();
    seg_.reset();
  }

  std::vector<PendingWrite> put(const Contact& c) {
    std::vector<PendingWrite> w;
    CPPUNIT_ASSERT(table_
                       ->edit(
                           "alice", 1000, [&](Record& r) { return r.insert(c); }, &w)
                       .isOk());
    return w;
  }
  std::vector<PendingWrite> removeAll() {
    std::vector<PendingWrite> w;
    CPPUNIT_ASSERT(table_
                       ->edit(
                           "alice", 1000,
                           [](Record& r) {
                             r.removeAll();
                             return Status::ok();
                           },
                           &w)
                       .isOk());
    return w;
  }
  std::vector<PendingWrite> pending() {
    std::vector<PendingWrite> out;
    std::uint32_t cursor = 0;
    CPPUNIT_ASSERT(table_->collectPending(1000, cursor, out));
    return out;
  }

  void memoryOnlyContactIsNeverMarked() {
    CPPUNIT_ASSERT(put(contact("sip:m", 2000, true)).empty());
    CPPUNIT_ASSERT(put(contact("sip:m", 2500, true, 2)).empty());  // refresh, same strings
    Contact changed = contact("sip:m", 3000, true, 3);
    changed.user_agent = "Other/2.0";  // new block
    CPPUNIT_ASSERT(put(changed).empty());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
    CPPUNIT_ASSERT(pending().empty());
    std::vector<Contact> got = table_->get("alice", 1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
    CPPUNIT_ASSERT_EQUAL(kContactMemoryOnly | 0x10u, got[0].flags);
    CPPUNIT_ASSERT_EQUAL(std::string("Other/2.0"), got[0].user_agent);
    // A persistent contact beside it is written as usual.
    std::vector<PendingWrite> w = put(contact("sip:p", 2000, false));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:p"), w[0].contact.uri);
  }

  void memoryOnlyRemovalAndExpiryLeaveNoTombstone() {
    // A first round fills the allocator's pools; from then on usage must come back exactly.
    put(contact("sip:m", 2000, true));
    removeAll();
    std::size_t empty = seg_->usage().used;
    put(contact("sip:m", 2000, true));
    CPPUNIT_ASSERT(removeAll().empty());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
    CPPUNIT_ASSERT_EQUAL(empty, seg_->usage().used);  // contact and record freed at once
    put(contact("sip:m", 2000, true));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), table_->sweep(2000));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
    CPPUNIT_ASSERT(pending().empty());
    CPPUNIT_ASSERT_EQUAL(empty, seg_->usage().used);
  }

  void turningMemoryOnlyDeletesTheRow() {
    std::vector<PendingWrite> w = put(contact("sip:a", 2000, false));
    table_->settle(w[0]);  // the row is in the DB
    w = put(contact("sip:a", 2000, true, 2));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
    CPPUNIT_ASSERT(w[0].remove);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a"), w[0].contact.uri);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), table_->pending());
    table_->settle(w[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
    std::vector<Contact> got = table_->get("alice", 1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());  // still registered, in memory
    CPPUNIT_ASSERT_EQUAL(std::int32_t(2), got[0].cseq);
  }

  void turningMemoryOnlyDropsAPendingUpsert() {
    put(contact("sip:a", 2000, false));  // not written yet
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), table_->pending());
    Contact c = contact("sip:a", 2000, true, 2);
    c.path = "<sip:edge;lr>";  // a new block
    put(c);
    std::vector<PendingWrite> w = pending();
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
    CPPUNIT_ASSERT(w[0].remove);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), table_->pending());
  }

  void turningBackIsWrittenAndCancelsTheDelete() {
    table_->settle(put(contact("sip:a", 2000, false))[0]);
    put(contact("sip:a", 2000, true, 2));  // DELETE pending
    std::vector<PendingWrite> w = put(contact("sip:a", 2000, false, 3));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
    CPPUNIT_ASSERT(!w[0].remove);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(3), w[0].contact.cseq);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), table_->pending());
    table_->settle(w[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
  }

  void memoryOnlyInsertKeepsAPendingDelete() {
    table_->settle(put(contact("sip:a", 2000, false))[0]);
    removeAll();  // DELETE pending
    std::vector<PendingWrite> w = put(contact("sip:a", 2000, true, 2));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
    CPPUNIT_ASSERT(w[0].remove);
    table_->settle(w[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), table_->get("alice", 1000).size());
  }

  void olderUpsertLandingAfterTheSwitchIsDeletedAgain() {
    std::vector<PendingWrite> up = put(contact("sip:a", 2000, false));  // on its way
    std::vector<PendingWrite> del = put(contact("sip:a", 2000, true, 2));
    CPPUNIT_ASSERT(del[0].remove);
    table_->settle(del[0]);  // the DELETE landed first...
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
    table_->settle(up[0]);  // ...then the upsert: the row is back and must go again
    std::vector<PendingWrite> again = pending();
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), again.size());
    CPPUNIT_ASSERT(again[0].remove);
    table_->settle(again[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
    CPPUNIT_ASSERT(!table_->get("alice", 1000).empty());  // the memory-only contact stays
  }

  void upsertSettlingBeforeItsDeleteGetsTheDeleteWrittenAgain() {
    // Two writers: an upsert and the DELETE that follows it land in the wrong order, and the
    // upsert settles first: the DELETE's settle must not end the tombstone.
    std::vector<PendingWrite> up = put(contact("sip:a", 2000, false));
    std::vector<PendingWrite> del = removeAll();
    table_->settle(up[0]);
    table_->settle(del[0]);
    std::vector<PendingWrite> again = pending();
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), again.size());
    CPPUNIT_ASSERT(again[0].remove);
    table_->settle(again[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table_->pending());
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  std::unique_ptr<Table> table_;
  Counters counters_;
  std::atomic<std::uint64_t> expired_{0}, db_errors_{0}, no_memory_{0};
};
CPPUNIT_TEST_SUITE_REGISTRATION(UlTableMemoryOnlyTest);

}  // namespace sipline::usrloc
