// The shm dialog table on a private segment: ids lead to their bucket, tag matching either
// way round, end() exactly once, tombstones and write-back marks, profile counters, a full
// segment refused without a crash; and the kv encoding kept in its strings.
#include "modules/dialog/dlg_table.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>

#include "modules/dialog/kv_codec.h"

namespace sipline::dialog {
namespace {

DialogInfo sample(const std::string& call_id) {
  DialogInfo d;
  d.call_id = call_id;
  d.from_tag = "ftag";
  d.from_uri = "sip:alice@example.com";
  d.to_uri = "sip:bob@example.com";
  d.created_ms = 1000;
  d.timeout_s = 60;
  return d;
}

}  // namespace

class DialogTableTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DialogTableTest);
  CPPUNIT_TEST(idCarriesTheBucketOfTheCallId);
  CPPUNIT_TEST(findsByTagsEitherWayRound);
  CPPUNIT_TEST(endsOnceOnly);
  CPPUNIT_TEST(writeBackMarksAndTombstones);
  CPPUNIT_TEST(reloadedIdMovesTheSequencePastIt);
  CPPUNIT_TEST(profileCountersGoAwayAtZero);
  CPPUNIT_TEST(fullSegmentIsNoMemory);
  CPPUNIT_TEST(kvRoundTripsAnyBytes);
  CPPUNIT_TEST(kvRejectsGarbage);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { seg_ = std::move(shm::Segment::create(4 << 20).value()); }
  void tearDown() override { seg_.reset(); }

  Table make(bool persist = false, std::uint32_t size = 64) {
    Result<Table> t = Table::create(*seg_, size, persist);
    CPPUNIT_ASSERT(t.isOk());
    return t.value();
  }

  void idCarriesTheBucketOfTheCallId() {
    Table t = make();
    DialogInfo d = sample("abc@host");
    CPPUNIT_ASSERT(t.insert(d, true).isOk());
    CPPUNIT_ASSERT(d.id != 0);
    CPPUNIT_ASSERT_EQUAL(t.bucketOf("abc@host"), t.bucketOfId(d.id));
    DialogInfo copy;
    CPPUNIT_ASSERT(t.get(d.id, copy));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@example.com"), copy.to_uri);
    CPPUNIT_ASSERT(!t.get(d.id + 1, copy));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, t.live());
  }

  void findsByTagsEitherWayRound() {
    Table t = make();
    DialogInfo d = sample("c1");
    CPPUNIT_ASSERT(t.insert(d, true).isOk());
    t.update(d.id, [](DialogShm& s) { s.to_tag.assign("ttag"); });
    std::uint64_t id = 0;
    Side side = Side::kCallee;
    CPPUNIT_ASSERT(t.findByTags("c1", "ftag", "ttag", id, side));
    CPPUNIT_ASSERT_EQUAL(d.id, id);
    CPPUNIT_ASSERT(side == Side::kCaller);
    CPPUNIT_ASSERT(t.findByTags("c1", "ttag", "ftag", id, side));
    CPPUNIT_ASSERT(side == Side::kCallee);
    CPPUNIT_ASSERT(!t.findByTags("c1", "ftag", "other", id, side));
    CPPUNIT_ASSERT(!t.findByTags("c2", "ftag", "ttag", id, side));
  }

  void endsOnceOnly() {
    Table t = make();
    DialogInfo d = sample("c1");
    d.profiles = encodeKv({{"caller", "alice"}, {"calls", ""}});
    CPPUNIT_ASSERT(t.insert(d, true).isOk());  // a reloaded dialog counts in its profiles
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, t.profileCount(Table::profileKey("caller", "alice")));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, t.profileCount("calls"));
    DialogInfo out;
    CPPUNIT_ASSERT(t.end(d.id, out));
    CPPUNIT_ASSERT_EQUAL(std::string("c1"), out.call_id);
    CPPUNIT_ASSERT(!t.end(d.id, out));
    CPPUNIT_ASSERT(!t.get(d.id, out));
    // Its profiles no longer count it, once.
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, t.profileCount("caller"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, t.profileCount(Table::profileKey("caller", "alice")));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, t.profileCount("calls"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, t.live());
  }

  void writeBackMarksAndTombstones() {
    Table t = make(true);
    DialogInfo d = sample("c1");
    CPPUNIT_ASSERT(t.insert(d, true).isOk());
    std::vector<Table::Change> changes = t.collectChanges();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, changes.size());
    CPPUNIT_ASSERT(!changes[0].removed);
    CPPUNIT_ASSERT(t.settle(changes[0]));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, t.pending());
    CPPUNIT_ASSERT(t.collectChanges().empty());
    // Changed while written: the mark stays for the next flush.
    t.update(d.id, [&](DialogShm& s) { t.markDirtyLocked(s); });
    changes = t.collectChanges();
    t.update(d.id, [&](DialogShm& s) { t.markDirtyLocked(s); });
    CPPUNIT_ASSERT(t.settle(changes[0]));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, t.collectChanges().size());
    // Ended with a row: a tombstone until its DELETE is written, invisible meanwhile.
    DialogInfo out;
    CPPUNIT_ASSERT(t.end(d.id, out));
    CPPUNIT_ASSERT(!t.get(d.id, out));
    changes = t.collectChanges();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, changes.size());
    CPPUNIT_ASSERT(changes[0].removed);
    CPPUNIT_ASSERT(t.settle(changes[0]));
    CPPUNIT_ASSERT(t.collectChanges().empty());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, t.pending());
    // Ended and freed while being written: settle() says the row must go.
    DialogInfo e = sample("c2");
    CPPUNIT_ASSERT(t.insert(e, true).isOk());
    changes = t.collectChanges();
    CPPUNIT_ASSERT(t.end(e.id, out));
    CPPUNIT_ASSERT(!t.settle(changes[0]));
  }

  void reloadedIdMovesTheSequencePastIt() {
    Table t = make(true);
    DialogInfo d = sample("c1");
    d.id = (static_cast<std::uint64_t>(t.bucketOf("c1")) << 32) | 500;
    CPPUNIT_ASSERT(t.insert(d, false).isOk());
    CPPUNIT_ASSERT(t.collectChanges().empty());  // loaded rows are clean
    DialogInfo e = sample("c2");
    CPPUNIT_ASSERT(t.insert(e, true).isOk());
    CPPUNIT_ASSERT(static_cast<std::uint32_t>(e.id) > 500);
  }

  void profileCountersGoAwayAtZero() {
    Table t = make();
    std::string key = Table::profileKey("caller", "alice");
    t.addProfileCount("caller", 1);
    t.addProfileCount(key, 1);
    t.addProfileCount(key, 1);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, t.profileCount(key));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, t.profileCount("caller"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, t.profileCount(Table::profileKey("caller", "bob")));
    t.addProfileCount(key, -2);
    t.addProfileCount(key, -1);  // below zero is ignored
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, t.profileCount(key));
  }

  void fullSegmentIsNoMemory() {
    Table t = make(false, 16);
    std::string big(64 * 1024, 'x');
    int refused = 0;
    for (int i = 0; i < 200 && refused == 0; ++i) {
      DialogInfo d = sample("call" + std::to_string(i));
      d.ruri = big;
      Status st = t.insert(d, true);
      if (!st.isOk()) {
        CPPUNIT_ASSERT(st.code() == Code::kNoMemory);
        ++refused;
      }
    }
    CPPUNIT_ASSERT_EQUAL(1, refused);
    DialogInfo small = sample("after");
    std::uint64_t before = t.live();
    DialogInfo out;
    // The table still works: ending a dialog frees room.
    std::vector<std::uint64_t> ids;
    t.forEach([&](const DialogInfo& d) { ids.push_back(d.id); });
    CPPUNIT_ASSERT_EQUAL(before, static_cast<std::uint64_t>(ids.size()));
    CPPUNIT_ASSERT(t.end(ids.front(), out));
    CPPUNIT_ASSERT(t.insert(small, true).isOk());
  }

  void kvRoundTripsAnyBytes() {
    KvList in = {{"a", "1"}, {"b;c", std::string("x:\x1f\n7:", 6)}, {"", ""}};
    std::string text = encodeKv(in);
    KvList out;
    CPPUNIT_ASSERT(decodeKv(text, out));
    CPPUNIT_ASSERT(in == out);
    CPPUNIT_ASSERT(findKv(out, "b;c") != nullptr);
    CPPUNIT_ASSERT(findKv(out, "zz") == nullptr);
  }

  void kvRejectsGarbage() {
    KvList out;
    CPPUNIT_ASSERT(!decodeKv("5:ab", out));
    CPPUNIT_ASSERT(!decodeKv("x:ab", out));
    CPPUNIT_ASSERT(!decodeKv("1:a", out));  // a name without value
    CPPUNIT_ASSERT(decodeKv("", out));
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DialogTableTest);

}  // namespace sipline::dialog
