#include "modules/dispatcher/ds_algo.h"

#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <string>
#include <vector>

namespace sipline::dispatcher {
namespace {

DsSet makeSet(std::vector<std::int64_t> weights) {
  std::vector<Destination> dests;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    Destination d;
    d.setid = 1;
    d.uri = "sip:10.0.0." + std::to_string(i + 1) + ":5060";
    d.weight = weights[i];
    d.priority = static_cast<std::int64_t>(weights.size() - i);  // reverse order
    CPPUNIT_ASSERT(checkDestination(d).isOk());
    dests.push_back(d);
  }
  return buildList(dests).sets.at(0);
}

}  // namespace

class DsAlgoTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DsAlgoTest);
  CPPUNIT_TEST(hashIsStableAndSpreads);
  CPPUNIT_TEST(hashSkipsDeadDestinationKeepingOthers);
  CPPUNIT_TEST(roundRobinCyclesOverUsable);
  CPPUNIT_TEST(priorityOrderSkipsDead);
  CPPUNIT_TEST(weightFollowsWeightsAndNeverPicksZero);
  CPPUNIT_TEST(maxResultsLimitsCandidates);
  CPPUNIT_TEST(noUsableGivesEmpty);
  CPPUNIT_TEST(candidatesHoldEveryUsableOnce);
  CPPUNIT_TEST_SUITE_END();

 public:
  void hashIsStableAndSpreads() {
    DsSet s = makeSet({1, 1, 1});
    std::vector<bool> all(3, true);
    std::map<std::size_t, int> hits;
    for (int i = 0; i < 300; ++i) {
      std::string callid = "call-" + std::to_string(i) + "@host";
      auto a = orderCandidates(s, all, Alg::kHashCallId, hashKey(callid), 0);
      auto b = orderCandidates(s, all, Alg::kHashCallId, hashKey(callid), 0);
      CPPUNIT_ASSERT(a == b);
      ++hits[a.front()];
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), hits.size());
    for (auto& [i, n] : hits) CPPUNIT_ASSERT(n > 60);
    CPPUNIT_ASSERT_EQUAL(hashKey("abc"), hashKey("abc"));
    CPPUNIT_ASSERT(hashKey("abc") != hashKey("abd"));
  }

  void hashSkipsDeadDestinationKeepingOthers() {
    DsSet s = makeSet({1, 1, 1});
    std::vector<bool> all(3, true);
    std::vector<bool> one_dead = {true, false, true};
    for (int i = 0; i < 100; ++i) {
      std::uint64_t k = hashKey("k" + std::to_string(i));
      std::size_t first = orderCandidates(s, all, Alg::kHashFrom, k, 0).front();
      std::size_t now = orderCandidates(s, one_dead, Alg::kHashFrom, k, 0).front();
      CPPUNIT_ASSERT(now != 1);
      if (first != 1) CPPUNIT_ASSERT_EQUAL(first, now);  // the others keep their calls
    }
  }

  void roundRobinCyclesOverUsable() {
    DsSet s = makeSet({1, 1, 1, 1});
    std::vector<bool> usable = {true, true, false, true};
    std::map<std::size_t, int> hits;
    for (std::uint64_t c = 0; c < 400; ++c)
      ++hits[orderCandidates(s, usable, Alg::kRoundRobin, c, 1).front()];
    for (std::uint64_t c = 0; c < 2; ++c)
      ++hits[orderCandidates(s, usable, Alg::kRoundRobin, 400 + c, 1).front()];
    // 402 turns over three live destinations: the dead one's turns are shared evenly.
    CPPUNIT_ASSERT_EQUAL(0, hits[2]);
    CPPUNIT_ASSERT_EQUAL(134, hits[0]);
    CPPUNIT_ASSERT_EQUAL(134, hits[1]);
    CPPUNIT_ASSERT_EQUAL(134, hits[3]);
    // The failover order after the chosen one still holds every live destination once.
    auto c = orderCandidates(s, usable, Alg::kRoundRobin, 1, 0);
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), c.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), c[0]);
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), c[1]);
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), c[2]);
  }

  void priorityOrderSkipsDead() {
    DsSet s = makeSet({1, 1, 1});
    // makeSet gives priorities 3, 2, 1: the set is sorted so .3 comes first.
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.3:5060"), s.dests[0].uri);
    auto c = orderCandidates(s, {false, true, true}, Alg::kPriority, 0, 0);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), c[0]);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), c[1]);
  }

  void weightFollowsWeightsAndNeverPicksZero() {
    DsSet s = makeSet({0, 1, 3});  // sorted: weights 3, 1, 0
    std::vector<bool> all(3, true);
    std::map<std::int64_t, int> by_weight;
    for (std::uint64_t k = 0; k < 4000; ++k) {
      auto c = orderCandidates(s, all, Alg::kWeight, k * 7919 + 1, 0);
      CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.size());
      ++by_weight[s.dests[c.front()].weight];
    }
    CPPUNIT_ASSERT_EQUAL(0, by_weight[0]);
    CPPUNIT_ASSERT(by_weight[3] > 2700 && by_weight[3] < 3300);
    CPPUNIT_ASSERT(by_weight[1] > 700 && by_weight[1] < 1300);
  }

  void maxResultsLimitsCandidates() {
    DsSet s = makeSet({1, 1, 1, 1});
    std::vector<bool> all(4, true);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), orderCandidates(s, all, Alg::kRandom, 5, 2).size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), orderCandidates(s, all, Alg::kRandom, 5, 0).size());
  }

  void noUsableGivesEmpty() {
    DsSet s = makeSet({1, 1});
    for (std::int64_t a = 0; a < kAlgCount; ++a) {
      CPPUNIT_ASSERT(orderCandidates(s, {false, false}, static_cast<Alg>(a), 3, 0).empty());
    }
    DsSet empty;
    CPPUNIT_ASSERT(orderCandidates(empty, {}, Alg::kRoundRobin, 0, 0).empty());
  }

  void candidatesHoldEveryUsableOnce() {
    DsSet s = makeSet({1, 2, 3, 4, 5});
    std::vector<bool> usable = {true, false, true, true, false};
    for (std::int64_t a = 0; a < kAlgCount; ++a) {
      auto c = orderCandidates(s, usable, static_cast<Alg>(a), 12345, 0);
      CPPUNIT_ASSERT_EQUAL(std::size_t(3), c.size());
      std::vector<bool> seen(5, false);
      for (std::size_t i : c) {
        CPPUNIT_ASSERT(usable[i]);
        CPPUNIT_ASSERT(!seen[i]);
        seen[i] = true;
      }
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(DsAlgoTest);

}  // namespace sipline::dispatcher
