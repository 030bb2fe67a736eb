// Tests of EditList.
#include "core/parser/edit_list.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {

class EditListTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(EditListTest);
  CPPUNIT_TEST(emptyListCopiesOriginal);
  CPPUNIT_TEST(appliesEditsInOffsetOrder);
  CPPUNIT_TEST(sameOffsetInsertsKeepCallOrder);
  CPPUNIT_TEST(insertAtStartOfRemovalGoesBefore);
  CPPUNIT_TEST(insertAtEndOfRemovalGoesAfter);
  CPPUNIT_TEST(insertAtEndOfOriginalAppends);
  CPPUNIT_TEST(adjacentRemovalsAreFine);
  CPPUNIT_TEST(overlappingRemovalsFail);
  CPPUNIT_TEST(sameRangeReplacedTwiceFails);
  CPPUNIT_TEST(insertInsideRemovalFails);
  CPPUNIT_TEST(editBeyondOriginalFails);
  CPPUNIT_TEST(clearForgetsEdits);
  CPPUNIT_TEST_SUITE_END();

 public:
  void emptyListCopiesOriginal() {
    EditList e;
    CPPUNIT_ASSERT(e.empty());
    std::string out = "junk";
    CPPUNIT_ASSERT(e.build("abc", out));
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), out);
  }

  void appliesEditsInOffsetOrder() {
    EditList e;
    e.replace(6, 5, "there");  // "world" -> "there"
    e.insert(0, ">> ");
    e.remove(5, 1);  // the comma
    e.insert(11, "!");
    CPPUNIT_ASSERT(!e.empty());
    std::string out;
    CPPUNIT_ASSERT(e.build("hello,world.", out));
    CPPUNIT_ASSERT_EQUAL(std::string(">> hellothere!."), out);
  }

  void sameOffsetInsertsKeepCallOrder() {
    EditList e;
    e.insert(1, "1");
    e.insert(1, "2");
    e.insert(1, "3");
    std::string out;
    CPPUNIT_ASSERT(e.build("ab", out));
    CPPUNIT_ASSERT_EQUAL(std::string("a123b"), out);
  }

  void insertAtStartOfRemovalGoesBefore() {
    EditList e;
    e.remove(2, 3);
    e.insert(2, "X");
    e.replace(5, 1, "Y");
    std::string out;
    CPPUNIT_ASSERT(e.build("abcdefg", out));
    CPPUNIT_ASSERT_EQUAL(std::string("abXYg"), out);
  }

  void insertAtEndOfRemovalGoesAfter() {
    EditList e;
    e.insert(5, "X");
    e.remove(2, 3);
    std::string out;
    CPPUNIT_ASSERT(e.build("abcdefg", out));
    CPPUNIT_ASSERT_EQUAL(std::string("abXfg"), out);
  }

  void insertAtEndOfOriginalAppends() {
    EditList e;
    e.insert(3, "d");
    std::string out;
    CPPUNIT_ASSERT(e.build("abc", out));
    CPPUNIT_ASSERT_EQUAL(std::string("abcd"), out);
  }

  void adjacentRemovalsAreFine() {
    EditList e;
    e.remove(3, 2);
    e.remove(1, 2);
    std::string out;
    CPPUNIT_ASSERT(e.build("abcdef", out));
    CPPUNIT_ASSERT_EQUAL(std::string("af"), out);
  }

  void overlappingRemovalsFail() {
    EditList e;
    e.remove(1, 3);
    e.remove(3, 2);
    std::string out;
    CPPUNIT_ASSERT(!e.build("abcdef", out));
  }

  void sameRangeReplacedTwiceFails() {
    EditList e;
    e.replace(1, 2, "x");
    e.replace(1, 2, "y");
    std::string out;
    CPPUNIT_ASSERT(!e.build("abcdef", out));
  }

  void insertInsideRemovalFails() {
    EditList e;
    e.remove(1, 3);
    e.insert(2, "x");
    std::string out;
    CPPUNIT_ASSERT(!e.build("abcdef", out));
  }

  void editBeyondOriginalFails() {
    std::string out;
    EditList a;
    a.insert(4, "x");
    CPPUNIT_ASSERT(!a.build("abc", out));
    EditList b;
    b.remove(2, 2);
    CPPUNIT_ASSERT(!b.build("abc", out));
    EditList c;
    c.remove(1, static_cast<std::size_t>(-1));  // must not wrap around
    CPPUNIT_ASSERT(!c.build("abc", out));
  }

  void clearForgetsEdits() {
    EditList e;
    e.remove(0, 1);
    e.clear();
    CPPUNIT_ASSERT(e.empty());
    std::string out;
    CPPUNIT_ASSERT(e.build("abc", out));
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), out);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EditListTest);

}  // namespace sipline
