#include "core/stats/stats.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

#include "core/shm/segment.h"
#include "core/stats/core_stats.h"

namespace sipline {
namespace {

StatLabels method(const std::string& value) { return StatLabels{"by_method", {{"method", value}}}; }

}  // namespace

class StatsRegistryTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(StatsRegistryTest);
  CPPUNIT_TEST(entryCarriesHelpAndLabels);
  CPPUNIT_TEST(unlabelledStatisticHasNoFamily);
  CPPUNIT_TEST(familyMembersKeepTheirOwnNames);
  CPPUNIT_TEST(badLabelNamesAreRefused);
  CPPUNIT_TEST(familyWithoutLabelsIsRefused);
  CPPUNIT_TEST(memberWithOtherKindOrLabelsIsRefused);
  CPPUNIT_TEST(duplicateSeriesIsRefused);
  CPPUNIT_TEST(namesExposedAlikeAreRefused);
  CPPUNIT_TEST(reservedNamesAreRefused);
  CPPUNIT_TEST(sameFamilyNameInAnotherGroupIsAnotherFamily);
  CPPUNIT_TEST(resetLeavesGaugesAlone);
  CPPUNIT_TEST(bareNameSelectsItInAnyGroup);
  CPPUNIT_TEST(coreStatisticsCountByMethodAndClass);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { segment_ = std::move(shm::Segment::create(1 << 20).value()); }
  void tearDown() override { segment_.reset(); }

  void entryCarriesHelpAndLabels() {
    StatsRegistry r;
    StatCounter invite;
    CPPUNIT_ASSERT(
        r.declare("g", "rcv_invite", &invite, StatKind::kCounter, "by method", method("INVITE"))
            .isOk());
    CPPUNIT_ASSERT(r.materialize(*segment_).isOk());
    invite.inc(3);
    auto e = r.read("g:rcv_invite");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), e.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), e[0].value);
    CPPUNIT_ASSERT_EQUAL(std::string("by method"), e[0].help);
    CPPUNIT_ASSERT_EQUAL(std::string("by_method"), e[0].labels.family);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), e[0].labels.pairs.size());
    CPPUNIT_ASSERT_EQUAL(std::string("method"), e[0].labels.pairs[0].first);
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), e[0].labels.pairs[0].second);
  }

  void unlabelledStatisticHasNoFamily() {
    StatsRegistry r;
    StatCounter c;
    CPPUNIT_ASSERT(r.declare("g", "plain", &c).isOk());
    auto e = r.read("all");
    CPPUNIT_ASSERT(e[0].labels.empty());
    CPPUNIT_ASSERT(e[0].labels.pairs.empty());
  }

  void familyMembersKeepTheirOwnNames() {
    StatsRegistry r;
    StatCounter a, b;
    CPPUNIT_ASSERT(
        r.declare("g", "rcv_invite", &a, StatKind::kCounter, "", method("INVITE")).isOk());
    CPPUNIT_ASSERT(r.declare("g", "rcv_bye", &b, StatKind::kCounter, "", method("BYE")).isOk());
    CPPUNIT_ASSERT(r.exists("g:rcv_bye"));
    CPPUNIT_ASSERT(!r.exists("g:by_method"));  // the family is no statistic of the MI
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.read("g:").size());
  }

  void badLabelNamesAreRefused() {
    StatsRegistry r;
    StatCounter c;
    for (const char* bad : {"", "1st", "__reserved", "has-dash", "a b"}) {
      Status st = r.declare("g", "x", &c, StatKind::kCounter, "", StatLabels{"f", {{bad, "v"}}});
      CPPUNIT_ASSERT_MESSAGE(bad, st.code() == Code::kInvalidArgument);
    }
    CPPUNIT_ASSERT(
        !r.declare("g", "x", &c, StatKind::kCounter, "", StatLabels{"f", {{"a", "1"}, {"a", "2"}}})
             .isOk());
    CPPUNIT_ASSERT(
        !r.declare("g", "x", &c, StatKind::kCounter, "", StatLabels{"Bad", {{"a", "1"}}}).isOk());
    CPPUNIT_ASSERT(r.read("all").empty());
    // Any text is a valid label value (the exposition escapes it).
    CPPUNIT_ASSERT(r.declare("g", "x", &c, StatKind::kCounter, "",
                             StatLabels{"f", {{"Mixed_1", "a \"q\" \\ \n"}}})
                       .isOk());
  }

  void familyWithoutLabelsIsRefused() {
    StatsRegistry r;
    StatCounter c;
    CPPUNIT_ASSERT(r.declare("g", "x", &c, StatKind::kCounter, "", StatLabels{"f", {}}).code() ==
                   Code::kInvalidArgument);
  }

  void memberWithOtherKindOrLabelsIsRefused() {
    StatsRegistry r;
    StatCounter a, b, c;
    CPPUNIT_ASSERT(r.declare("g", "a", &a, StatKind::kCounter, "", method("A")).isOk());
    CPPUNIT_ASSERT(r.declare("g", "b", &b, StatKind::kGauge, "", method("B")).code() ==
                   Code::kInvalidArgument);
    CPPUNIT_ASSERT(
        r.declare("g", "c", &c, StatKind::kCounter, "", StatLabels{"by_method", {{"verb", "C"}}})
            .code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(r.declare("g", "c", &c, StatKind::kCounter, "",
                             StatLabels{"by_method", {{"method", "C"}, {"x", "y"}}})
                       .code() == Code::kInvalidArgument);
  }

  void duplicateSeriesIsRefused() {
    StatsRegistry r;
    StatCounter a, b;
    CPPUNIT_ASSERT(r.declare("g", "a", &a, StatKind::kCounter, "", method("A")).isOk());
    CPPUNIT_ASSERT(r.declare("g", "b", &b, StatKind::kCounter, "", method("A")).code() ==
                   Code::kAlreadyExists);
  }

  void namesExposedAlikeAreRefused() {
    StatsRegistry r;
    StatCounter a, b, c, d, e;
    CPPUNIT_ASSERT(r.declare("auth_db", "hits", &a).isOk());
    // sipline_auth_db_hits_total twice.
    CPPUNIT_ASSERT(r.declare("auth", "db_hits", &b).code() == Code::kAlreadyExists);
    // A counter "x" (x_total) and a gauge "x_total".
    CPPUNIT_ASSERT(r.declare("g", "x", &c).isOk());
    CPPUNIT_ASSERT(r.declare("g", "x_total", &d, StatKind::kGauge).code() == Code::kAlreadyExists);
    // A family named like a plain statistic.
    CPPUNIT_ASSERT(
        r.declare("g", "y", &e, StatKind::kCounter, "", StatLabels{"x", {{"l", "1"}}}).code() ==
        Code::kAlreadyExists);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.read("all").size());
  }

  void reservedNamesAreRefused() {
    StatsRegistry r;
    StatCounter c;
    CPPUNIT_ASSERT(r.declare("process", "handled", &c).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(r.declare("start", "time_seconds", &c, StatKind::kGauge).code() ==
                   Code::kInvalidArgument);
    CPPUNIT_ASSERT(r.declare("build", "info", &c, StatKind::kGauge).code() ==
                   Code::kInvalidArgument);
    CPPUNIT_ASSERT(r.declare("processes", "x", &c).isOk());
  }

  void sameFamilyNameInAnotherGroupIsAnotherFamily() {
    StatsRegistry r;
    StatCounter a, b;
    CPPUNIT_ASSERT(r.declare("g1", "a", &a, StatKind::kCounter, "", method("A")).isOk());
    CPPUNIT_ASSERT(r.declare("g2", "a", &b, StatKind::kGauge, "", method("A")).isOk());
  }

  void resetLeavesGaugesAlone() {
    StatsRegistry r;
    StatCounter counter, gauge;
    CPPUNIT_ASSERT(r.declare("g", "c", &counter, StatKind::kCounter, "", method("A")).isOk());
    CPPUNIT_ASSERT(r.declare("g", "level", &gauge, StatKind::kGauge).isOk());
    CPPUNIT_ASSERT(r.materialize(*segment_).isOk());
    counter.inc(5);
    gauge.set(7);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reset("g:"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), counter.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), gauge.get());
  }

  // OpenSIPS operators ask for "rcv_requests" (get_statistics rcv_requests), not "core:...".
  void bareNameSelectsItInAnyGroup() {
    StatsRegistry r;
    StatCounter a, b, c;
    CPPUNIT_ASSERT(r.declare("core", "rcv_requests", &a).isOk());
    CPPUNIT_ASSERT(r.declare("tm", "inuse", &b, StatKind::kGauge).isOk());
    CPPUNIT_ASSERT(r.declare("tm", "xinuse", &c).isOk());
    CPPUNIT_ASSERT(r.materialize(*segment_).isOk());
    a.inc(4);
    auto e = r.read("rcv_requests");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), e.size());
    CPPUNIT_ASSERT_EQUAL(std::string("core:rcv_requests"), e[0].name);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), e[0].value);
    e = r.read("inuse");  // not xinuse: the whole name after the group
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), e.size());
    CPPUNIT_ASSERT_EQUAL(std::string("tm:inuse"), e[0].name);
    CPPUNIT_ASSERT(r.exists("rcv_requests"));
    CPPUNIT_ASSERT(!r.exists("requests"));
    CPPUNIT_ASSERT(!r.exists("m:inuse"));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reset("rcv_requests"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), a.get());
  }

  void coreStatisticsCountByMethodAndClass() {
    // declareCoreStats binds the process-global CoreStats into this test's segment; the guard
    // puts the previous bindings back.
    CoreStats& s = coreStats();
    struct Restore {
      CoreStats& s;
      CoreStats saved;
      ~Restore() { s = saved; }
    } restore{s, s};
    StatsRegistry r;
    CPPUNIT_ASSERT(declareCoreStats(r).isOk());
    CPPUNIT_ASSERT(r.materialize(*segment_).isOk());
    s.countRequest(Method::kInvite);
    s.countRequest(Method::kOptions);
    s.countRequest(Method::kOptions);
    s.countRequest(Method::kOther);
    s.countReply(183);
    s.countReply(699);
    s.countReply(99);  // not a reply class: ignored
    auto value = [&](const std::string& name) { return r.read(name).at(0).value; };
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), value("core:rcv_requests_invite"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), value("core:rcv_requests_options"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), value("core:rcv_requests_other"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), value("core:rcv_requests_publish"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), value("core:rcv_replies_1xx"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), value("core:rcv_replies_6xx"));
    auto prack = r.read("core:rcv_requests_prack").at(0);
    CPPUNIT_ASSERT_EQUAL(std::string("rcv_requests_method"), prack.labels.family);
    CPPUNIT_ASSERT_EQUAL(std::string("PRACK"), prack.labels.pairs.at(0).second);
    CPPUNIT_ASSERT_EQUAL(std::string("other"),
                         r.read("core:rcv_requests_other").at(0).labels.pairs.at(0).second);
    CPPUNIT_ASSERT_EQUAL(std::string("5xx"),
                         r.read("core:rcv_replies_5xx").at(0).labels.pairs.at(0).second);
  }

 private:
  std::unique_ptr<shm::Segment> segment_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(StatsRegistryTest);

}  // namespace sipline
