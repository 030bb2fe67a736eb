// The shm location table on a private segment: edits, expiry, the DB marks and their
// settling, a full segment, and the shm cost per contact.
#include "modules/usrloc/ul_table.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <memory>
#include <string>

namespace sipline::usrloc {
namespace {

Contact contact(const std::string& uri, std::int64_t expires, std::int32_t cseq = 1) {
  Contact c;
  c.uri = uri;
  c.expires = expires;
  c.cseq = cseq;
  c.callid = "call-" + uri;
  c.user_agent = "TestPhone/1.0";
  c.socket = "udp:127.0.0.1:5060";
  c.received = "sip:192.0.2.1:5062";
  c.last_modified = 1000;
  return c;
}

Status insertOne(Table& t, const std::string& aor, const Contact& c, std::int64_t now = 1000) {
  return t.edit(
      aor, now, [&](Record& r) { return r.insert(c); }, nullptr);
}

}  // namespace

class UlTableTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UlTableTest);
  CPPUNIT_TEST(insertedContactsComeBackInOrder);
  CPPUNIT_TEST(insertOfSameUriReplaces);
  CPPUNIT_TEST(refreshWithSameStringsKeepsTheBlock);
  CPPUNIT_TEST(updateOfUnknownUriIsNotFound);
  CPPUNIT_TEST(removingLastContactDropsRecordAndFreesShm);
  CPPUNIT_TEST(expiredContactsAreHiddenThenSwept);
  CPPUNIT_TEST(editRemovesExpiredFirst);
  CPPUNIT_TEST(memoryTableKeepsNoMarks);
  CPPUNIT_TEST(persistTableMarksAndSettles);
  CPPUNIT_TEST(settleOfOlderWriteKeepsNewerChange);
  CPPUNIT_TEST(reinsertCancelsTombstone);
  CPPUNIT_TEST(upsertLandingAfterDeleteIsDeletedAgain);
  CPPUNIT_TEST(collectPendingResumesAtCursor);
  CPPUNIT_TEST(loadStoresContactsWithoutMarks);
  CPPUNIT_TEST(overlongFieldsAreRefused);
  CPPUNIT_TEST(userAgentIsCutAtUtf8Boundary);
  CPPUNIT_TEST(fullShmRefusesWithoutHalfInsert);
  CPPUNIT_TEST(shmPerContactStaysUnder300Bytes);
  CPPUNIT_TEST(collectPingsSelectsAndMarksTracked);
  CPPUNIT_TEST(unansweredPingsRemoveTheContact);
  CPPUNIT_TEST(answeredOrRefreshedContactsKeepNoLostPings);
  CPPUNIT_TEST(collectPingsVisitsOnlyItsBuckets);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(16 << 20).value());
    counters_.expired_contacts.bindForTest(&expired_);
    counters_.db_errors.bindForTest(&db_errors_);
    counters_.no_memory.bindForTest(&no_memory_);
  }
  void tearDown() override { seg_.reset(); }

  std::unique_ptr<Table> make(bool persist, const std::string& name = "location",
                              FieldLimits limits = memoryLimits()) {
    TableOptions opt;
    opt.size = 256;
    opt.persist = persist;
    opt.limits = limits;
    Result<std::unique_ptr<Table>> t = Table::create(*seg_, name, opt, &counters_);
    CPPUNIT_ASSERT(t.isOk());
    return std::move(t.value());
  }

  void insertedContactsComeBackInOrder() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@1", 2000)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@2", 3000)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "bob", contact("sip:b@1", 2000)).isOk());
    std::vector<Contact> got = t->get("alice", 1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), got.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@1"), got[0].uri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@2"), got[1].uri);
    CPPUNIT_ASSERT_EQUAL(std::string("call-sip:a@2"), got[1].callid);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5060"), got[1].socket);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(3000), got[1].expires);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t->users());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), t->contacts());
    CPPUNIT_ASSERT(t->get("carol", 1000).empty());
  }

  void insertOfSameUriReplaces() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@1", 2000, 1)).isOk());
    Contact c = contact("sip:a@1", 2500, 2);
    c.path = "<sip:edge.example;lr>";
    CPPUNIT_ASSERT(insertOne(*t, "alice", c).isOk());
    std::vector<Contact> got = t->get("alice", 1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
    CPPUNIT_ASSERT_EQUAL(std::int32_t(2), got[0].cseq);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:edge.example;lr>"), got[0].path);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->contacts());
  }

  void refreshWithSameStringsKeepsTheBlock() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@1", 2000, 1)).isOk());
    std::size_t used = seg_->usage().used;
    Status st = t->edit(
        "alice", 1000,
        [](Record& r) {
          Contact c = r.contacts().at(0);
          c.expires = 5000;
          c.cseq = 7;
          return r.update(c);
        },
        nullptr);
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(used, seg_->usage().used);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(7), t->get("alice", 1000).at(0).cseq);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(5000), t->get("alice", 1000).at(0).expires);
  }

  void updateOfUnknownUriIsNotFound() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@1", 2000)).isOk());
    Status st = t->edit(
        "alice", 1000, [](Record& r) { return r.update(contact("sip:x", 3000)); }, nullptr);
    CPPUNIT_ASSERT(st.code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t->get("alice", 1000).size());
  }

  void removingLastContactDropsRecordAndFreesShm() {
    auto t = make(false);
    std::size_t before = 0;
    // The second round reuses the blocks the first one freed (the pool keeps them): from
    // then on, usage must come back exactly.
    for (int round = 0; round < 2; ++round) {
      before = seg_->usage().used;
      CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@1", 2000)).isOk());
      CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@2", 2000)).isOk());
      CPPUNIT_ASSERT(seg_->usage().used > before);
      bool removed = false;
      Status st = t->edit(
          "alice", 1000,
          [&](Record& r) {
            removed = r.remove("sip:a@1");
            CPPUNIT_ASSERT(!r.remove("sip:nope"));
            r.removeAll();
            return Status::ok();
          },
          nullptr);
      CPPUNIT_ASSERT(st.isOk() && removed);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->users());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->contacts());
    CPPUNIT_ASSERT_EQUAL(before, seg_->usage().used);
    // An edit that adds nothing leaves nothing behind either.
    Status st = t->edit(
        "ghost", 1000,
        [](Record& r) { return r.contacts().empty() ? Status::ok() : Status::internal("x"); },
        nullptr);
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(before, seg_->usage().used);
  }

  void expiredContactsAreHiddenThenSwept() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@1", 1500)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@2", 3000)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "bob", contact("sip:b@1", 1500)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t->get("alice", 1500).size());
    CPPUNIT_ASSERT(t->get("bob", 1500).empty());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t->sweep(1500));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->users());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->contacts());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t->expired());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), expired_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->sweep(1500));
  }

  void editRemovesExpiredFirst() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a@1", 1500)).isOk());
    std::size_t seen = 99;
    Status st = t->edit(
        "alice", 1600,
        [&](Record& r) {
          seen = r.contacts().size();
          return r.update(contact("sip:a@1", 4000));  // gone: expired before the edit
        },
        nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), seen);
    CPPUNIT_ASSERT(st.code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->expired());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->users());
  }

  void memoryTableKeepsNoMarks() {
    auto t = make(false);
    std::vector<PendingWrite> writes;
    Status st = t->edit(
        "alice", 1000, [](Record& r) { return r.insert(contact("sip:a", 2000)); }, &writes);
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT(writes.empty());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->pending());
  }

  void persistTableMarksAndSettles() {
    auto t = make(true);
    std::vector<PendingWrite> writes;
    Status st = t->edit(
        "alice", 1000, [](Record& r) { return r.insert(contact("sip:a", 2000)); }, &writes);
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), writes.size());
    CPPUNIT_ASSERT(!writes[0].remove);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), writes[0].aor);
    CPPUNIT_ASSERT_EQUAL(std::string("call-sip:a"), writes[0].contact.callid);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->pending());
    t->settle(writes[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->pending());

    writes.clear();
    std::size_t before = seg_->usage().used;
    st = t->edit(
        "alice", 1000,
        [](Record& r) {
          r.removeAll();
          return Status::ok();
        },
        &writes);
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), writes.size());
    CPPUNIT_ASSERT(writes[0].remove);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a"), writes[0].contact.uri);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->users());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->pending());
    CPPUNIT_ASSERT(t->get("alice", 1000).empty());
    CPPUNIT_ASSERT_EQUAL(before, seg_->usage().used);  // the tombstone is the contact's block
    t->settle(writes[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->pending());
    CPPUNIT_ASSERT(seg_->usage().used < before);  // record and tombstone freed
  }

  void settleOfOlderWriteKeepsNewerChange() {
    auto t = make(true);
    std::vector<PendingWrite> first;
    CPPUNIT_ASSERT(
        t->edit(
             "alice", 1000, [](Record& r) { return r.insert(contact("sip:a", 2000, 1)); }, &first)
            .isOk());
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:a", 2000, 2)).isOk());  // while written
    t->settle(first[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->pending());
    std::vector<PendingWrite> again;
    std::uint32_t cursor = 0;
    CPPUNIT_ASSERT(t->collectPending(100, cursor, again));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), again.size());
    CPPUNIT_ASSERT_EQUAL(std::int32_t(2), again[0].contact.cseq);

    // Two writers: the newer one settles first, then the older write lands and settles: the
    // contact must be written once more, since the DB may hold the older row now.
    t->settle(again[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->pending());
    t->settle(first[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->pending());
  }

  void reinsertCancelsTombstone() {
    auto t = make(true);
    std::vector<PendingWrite> w;
    CPPUNIT_ASSERT(
        t->edit(
             "alice", 1000, [](Record& r) { return r.insert(contact("sip:a", 2000)); }, &w)
            .isOk());
    t->settle(w[0]);
    CPPUNIT_ASSERT(t->edit(
                        "alice", 1000,
                        [](Record& r) {
                          return Status(r.remove("sip:a") ? Status::ok() : Status::internal("x"));
                        },
                        nullptr)
                       .isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->pending());
    w.clear();
    CPPUNIT_ASSERT(
        t->edit(
             "alice", 1000, [](Record& r) { return r.insert(contact("sip:a", 3000)); }, &w)
            .isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->pending());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
    CPPUNIT_ASSERT(!w[0].remove);
  }

  void upsertLandingAfterDeleteIsDeletedAgain() {
    auto t = make(true);
    std::vector<PendingWrite> up;
    CPPUNIT_ASSERT(
        t->edit(
             "alice", 1000, [](Record& r) { return r.insert(contact("sip:a", 2000)); }, &up)
            .isOk());
    std::vector<PendingWrite> del;
    CPPUNIT_ASSERT(t->edit(
                        "alice", 1000,
                        [](Record& r) {
                          r.removeAll();
                          return Status::ok();
                        },
                        &del)
                       .isOk());
    t->settle(del[0]);  // the DELETE was written first...
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->pending());
    t->settle(up[0]);  // ...then the older upsert landed: it must be deleted again
    std::vector<PendingWrite> again;
    std::uint32_t cursor = 0;
    CPPUNIT_ASSERT(t->collectPending(100, cursor, again));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), again.size());
    CPPUNIT_ASSERT(again[0].remove);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a"), again[0].contact.uri);
    t->settle(again[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->pending());
    CPPUNIT_ASSERT(t->get("alice", 1000).empty());
  }

  void collectPendingResumesAtCursor() {
    auto t = make(true);
    for (int i = 0; i < 50; ++i) {
      CPPUNIT_ASSERT(insertOne(*t, "u" + std::to_string(i), contact("sip:x", 2000)).isOk());
    }
    std::vector<PendingWrite> got;
    std::uint32_t cursor = 0;
    int rounds = 0;
    bool end = false;
    while (!end && rounds < 1000) {
      std::vector<PendingWrite> batch;
      end = t->collectPending(10, cursor, batch);
      for (PendingWrite& w : batch) got.push_back(std::move(w));
      ++rounds;
    }
    CPPUNIT_ASSERT(end);
    CPPUNIT_ASSERT(rounds > 3);
    CPPUNIT_ASSERT_EQUAL(std::size_t(50), got.size());
  }

  void loadStoresContactsWithoutMarks() {
    auto t = make(true);
    CPPUNIT_ASSERT(t->load("alice", contact("sip:a", 2000)).isOk());
    CPPUNIT_ASSERT(t->load("alice", contact("sip:b", 2000)).isOk());
    CPPUNIT_ASSERT(t->load("alice", contact("sip:a", 2500)).isOk());  // a duplicate row
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->pending());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t->users());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t->contacts());
    CPPUNIT_ASSERT_EQUAL(std::int64_t(2500), t->get("alice", 1000).at(0).expires);
  }

  void overlongFieldsAreRefused() {
    auto t = make(true, "location", dbLimits());
    Contact c = contact("sip:" + std::string(600, 'a'), 2000);
    Status st = insertOne(*t, "alice", c);
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(st.message().find("contact URI") != std::string::npos);
    c = contact("sip:a", 2000);
    c.callid = std::string(300, 'c');
    CPPUNIT_ASSERT(insertOne(*t, "alice", c).code() == Code::kInvalidArgument);
    c = contact("sip:a", 2000);
    c.q = 1001;
    CPPUNIT_ASSERT(insertOne(*t, "alice", c).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("", 2000)).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t->users());
    CPPUNIT_ASSERT(checkAor(std::string(65, 'u'), false, dbLimits()).code() ==
                   Code::kInvalidArgument);
    CPPUNIT_ASSERT(checkAor(std::string(64, 'u') + "@example.com", true, dbLimits()).isOk());
    CPPUNIT_ASSERT(checkAor("", true, dbLimits()).code() == Code::kInvalidArgument);
  }

  void userAgentIsCutAtUtf8Boundary() {
    auto t = make(true, "location", dbLimits());
    Contact c = contact("sip:a", 2000);
    c.user_agent = std::string(254, 'x') + "\xc3\xa9" + "tail";  // é straddles byte 255
    CPPUNIT_ASSERT(insertOne(*t, "alice", c).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string(254, 'x'), t->get("alice", 1000).at(0).user_agent);
  }

  void fullShmRefusesWithoutHalfInsert() {
    seg_.reset();
    seg_ = std::move(shm::Segment::create(256 << 10).value());
    auto t = make(false);
    Status st;
    int stored = 0;
    for (int i = 0; i < 100000 && st.isOk(); ++i) {
      std::string aor = "user" + std::to_string(i);
      st = insertOne(*t, aor, contact("sip:" + aor + "@192.0.2.1:5060;transport=udp", 5000));
      if (st.isOk()) ++stored;
    }
    CPPUNIT_ASSERT(st.code() == Code::kNoMemory);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), no_memory_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(stored), t->users());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(stored), t->contacts());
    CPPUNIT_ASSERT(t->get("user" + std::to_string(stored), 1000).empty());
    // A refresh that needs a bigger block fails the same way and keeps the old contact.
    Contact big = contact("sip:user0@192.0.2.1:5060;transport=udp", 6000);
    big.path = std::string(4000, 'p');
    CPPUNIT_ASSERT(insertOne(*t, "user0", big).code() == Code::kNoMemory);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(5000), t->get("user0", 1000).at(0).expires);
    // Room again once something is removed.
    CPPUNIT_ASSERT(t->edit(
                        "user1", 1000,
                        [](Record& r) {
                          r.removeAll();
                          return Status::ok();
                        },
                        nullptr)
                       .isOk());
    CPPUNIT_ASSERT(insertOne(*t, "userX", contact("sip:x@192.0.2.1", 5000)).isOk());
  }

  // The budget: at most 300 bytes of shm per contact beyond its strings (one contact
  // per AOR, the common case; the AOR counts as a string).
  void shmPerContactStaysUnder300Bytes() {
    for (bool persist : {false, true}) {
      auto t = make(persist, persist ? "location_db" : "location");
      constexpr int kN = 2000;
      std::size_t before = seg_->usage().used;
      std::size_t strings = 0;
      for (int i = 0; i < kN; ++i) {
        std::string aor = "subscriber" + std::to_string(100000 + i) + "@voip.example.com";
        Contact c = contact("sip:" + aor.substr(0, 16) + "@198.51.100.7:5060;transport=udp", 5000);
        c.callid = "a84b4c76e66710-" + std::to_string(i) + "@198.51.100.7";
        c.user_agent = "Yealink SIP-T46S 66.86.0.15";
        c.received = "sip:198.51.100.7:41234";
        strings += aor.size() + c.uri.size() + c.callid.size() + c.user_agent.size() +
                   c.received.size() + c.socket.size();
        CPPUNIT_ASSERT(insertOne(*t, aor, c).isOk());
      }
      std::size_t per_contact = (seg_->usage().used - before - strings) / kN;
      CPPUNIT_ASSERT_MESSAGE("shm bytes per contact beyond strings: " + std::to_string(per_contact),
                             per_contact <= 300);
    }
  }

  // NAT keepalives: "sip:t..." contacts get tracked pings, "sip:u..." untracked ones.
  static PingMode byUri(const Contact& c) {
    if (c.uri.rfind("sip:t", 0) == 0) return PingMode::kTracked;
    if (c.uri.rfind("sip:u", 0) == 0) return PingMode::kUntracked;
    return PingMode::kSkip;
  }

  PingBatch pingAll(Table& t, int max_lost, std::int64_t now = 1000) {
    PingBatch out;
    t.collectPings(0, t.bucketCount(), now, &UlTableTest::byUri, max_lost, 7, out);
    return out;
  }

  void collectPingsSelectsAndMarksTracked() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:t@192.0.2.1", 2000)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:u@192.0.2.2", 2000)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "bob", contact("sip:skip@192.0.2.3", 2000)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "carol", contact("sip:t@192.0.2.4", 900)).isOk());  // expired
    PingBatch b = pingAll(*t, 3);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, b.targets.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, b.removed);
    for (const PingTarget& p : b.targets) {
      CPPUNIT_ASSERT_EQUAL(std::string("alice"), p.aor);
      CPPUNIT_ASSERT_EQUAL(7u, p.table);
      CPPUNIT_ASSERT_EQUAL(t->bucketOf("alice"), p.bucket);
      CPPUNIT_ASSERT(p.mode == byUri(p.contact));
      CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.1:5062"), p.contact.received);
    }
  }

  void unansweredPingsRemoveTheContact() {
    auto t = make(true);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:t@192.0.2.1", 2000)).isOk());
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:u@192.0.2.2", 2000)).isOk());
    std::uint64_t pending_before = t->pending();
    // Pings 1..3 go out; each later one finds the previous unanswered: lost 0, 1, 2.
    for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT_EQUAL(std::size_t{2}, pingAll(*t, 3).targets.size());
    // The fourth pass finds 3 lost in a row: the contact goes, as if it had expired.
    PingBatch b = pingAll(*t, 3);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, b.removed);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.targets.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:u@192.0.2.2"), b.targets[0].contact.uri);
    std::vector<Contact> left = t->get("alice", 1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, left.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, t->expired());
    CPPUNIT_ASSERT(t->pending() > pending_before - 2);  // its DELETE is pending (tombstone)
    // max_lost 0: never removed.
    CPPUNIT_ASSERT(insertOne(*t, "bob", contact("sip:t@192.0.2.9", 2000)).isOk());
    for (int i = 0; i < 10; ++i) CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, pingAll(*t, 0).removed);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, t->get("bob", 1000).size());
  }

  void answeredOrRefreshedContactsKeepNoLostPings() {
    auto t = make(false);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:t@192.0.2.1", 2000)).isOk());
    for (int i = 0; i < 10; ++i) {
      PingBatch b = pingAll(*t, 2);
      CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, b.removed);
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.targets.size());
      // Another URI's answer in the same bucket changes nothing; ours clears the count.
      t->pingAnswered(b.targets[0].bucket, pingUriHash("sip:t@192.0.2.99"));
      if (i % 2 == 1) t->pingAnswered(b.targets[0].bucket, pingUriHash("sip:t@192.0.2.1"));
    }
    // Two passes unanswered, then a REGISTER refresh: the count starts again.
    pingAll(*t, 2);
    pingAll(*t, 2);
    CPPUNIT_ASSERT(insertOne(*t, "alice", contact("sip:t@192.0.2.1", 2100, 2)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, pingAll(*t, 2).removed);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, pingAll(*t, 2).removed);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, pingAll(*t, 2).removed);
    t->pingAnswered(t->bucketCount() + 5, 1);  // out of range: ignored
  }

  void collectPingsVisitsOnlyItsBuckets() {
    auto t = make(false);
    for (int i = 0; i < 50; ++i) {
      std::string aor = "user" + std::to_string(i);
      CPPUNIT_ASSERT(
          insertOne(*t, aor, contact("sip:u@192.0.2." + std::to_string(i), 2000)).isOk());
    }
    std::size_t seen = 0;
    std::uint32_t n = t->bucketCount();
    for (std::uint32_t from = 0; from < n; from += 10) {
      PingBatch b;
      t->collectPings(from, from + 10, 1000, &UlTableTest::byUri, 3, 0, b);
      for (const PingTarget& p : b.targets) {
        CPPUNIT_ASSERT(p.bucket >= from && p.bucket < from + 10);
        CPPUNIT_ASSERT_EQUAL(t->bucketOf(p.aor), p.bucket);
      }
      seen += b.targets.size();
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{50}, seen);
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  Counters counters_;
  std::atomic<std::uint64_t> expired_{0}, db_errors_{0}, no_memory_{0};
};
CPPUNIT_TEST_SUITE_REGISTRATION(UlTableTest);

}  // namespace sipline::usrloc
