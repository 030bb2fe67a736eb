#include "modules/tm/reply.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline::tm {

class BestReplyTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(BestReplyTest);
  CPPUNIT_TEST(sixHundredWinsOverEverything);
  CPPUNIT_TEST(lowestClassWins);
  CPPUNIT_TEST(downstreamAnswerBeatsLocalTimeout);
  CPPUNIT_TEST(serviceUnavailableComesLastAmongServerErrors);
  CPPUNIT_TEST(firstOfEqualsWins);
  CPPUNIT_TEST(repliesTheCallerCanActOnComeFirstAmong4xx);
  CPPUNIT_TEST(noFinalMeansNoChoice);
  CPPUNIT_TEST_SUITE_END();

 public:
  void sixHundredWinsOverEverything() {
    CPPUNIT_ASSERT_EQUAL(2, pickBestBranch({{302, false}, {486, false}, {603, false}}));
  }
  void lowestClassWins() {
    CPPUNIT_ASSERT_EQUAL(1, pickBestBranch({{500, false}, {404, false}, {480, false}}));
    CPPUNIT_ASSERT_EQUAL(2, pickBestBranch({{500, false}, {404, false}, {302, false}}));
  }
  void downstreamAnswerBeatsLocalTimeout() {
    CPPUNIT_ASSERT_EQUAL(1, pickBestBranch({{408, true}, {480, false}}));
    CPPUNIT_ASSERT_EQUAL(1, pickBestBranch({{408, false}, {486, false}}));
    CPPUNIT_ASSERT_EQUAL(0, pickBestBranch({{408, true}, {500, false}}));
  }
  void serviceUnavailableComesLastAmongServerErrors() {
    CPPUNIT_ASSERT_EQUAL(1, pickBestBranch({{503, false}, {500, false}}));
  }
  void repliesTheCallerCanActOnComeFirstAmong4xx() {
    for (int code : {401, 407, 415, 420, 484}) {
      CPPUNIT_ASSERT_EQUAL(1, pickBestBranch({{486, false}, {code, false}, {404, false}}));
    }
    CPPUNIT_ASSERT_EQUAL(0, pickBestBranch({{407, false}, {401, false}}));  // merged later
    CPPUNIT_ASSERT_EQUAL(2, pickBestBranch({{408, true}, {486, false}, {401, false}}));
    CPPUNIT_ASSERT_EQUAL(0, pickBestBranch({{302, false}, {407, false}}));  // class first
  }
  void firstOfEqualsWins() {
    CPPUNIT_ASSERT_EQUAL(0, pickBestBranch({{486, false}, {486, false}}));
  }
  void noFinalMeansNoChoice() {
    CPPUNIT_ASSERT_EQUAL(-1, pickBestBranch({}));
    CPPUNIT_ASSERT_EQUAL(-1, pickBestBranch({{0, false}, {180, false}}));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BestReplyTest);

}  // namespace sipline::tm
