#include "core/script/avp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {

using script::AvpStore;
using script::Value;

namespace {

std::string at(const AvpStore& s, const char* name, int index) {
  const Value* v = s.get(name, index);
  return v ? v->toString() : "(none)";
}

}  // namespace

class AvpStoreTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AvpStoreTest);
  CPPUNIT_TEST(newestIsIndexZero);
  CPPUNIT_TEST(negativeIndexCountsFromTheOldest);
  CPPUNIT_TEST(namesAreIndependentAndCaseSensitive);
  CPPUNIT_TEST(replaceAndEraseAt);
  CPPUNIT_TEST(eraseAllOfOneName);
  CPPUNIT_TEST(storesOwnedCopies);
  CPPUNIT_TEST(pushingAViewOfAStoredValueIsSafe);
  CPPUNIT_TEST(serializedFormRoundTripsInOrder);
  CPPUNIT_TEST(malformedSerializedFormIsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void newestIsIndexZero() {
    AvpStore s;
    CPPUNIT_ASSERT(s.empty());
    CPPUNIT_ASSERT(s.get("x") == nullptr);
    s.push("x", Value::integer(1));
    s.push("x", Value::view("2"));
    s.push("x", Value::integer(3));
    CPPUNIT_ASSERT_EQUAL(3, s.count("x"));
    CPPUNIT_ASSERT_EQUAL(std::string("3"), at(s, "x", 0));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), at(s, "x", 1));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), at(s, "x", 2));
    CPPUNIT_ASSERT_EQUAL(std::string("(none)"), at(s, "x", 3));
    CPPUNIT_ASSERT(s.get("x", 0)->isInt());
    CPPUNIT_ASSERT(s.get("x", 1)->isStr());
  }
  void negativeIndexCountsFromTheOldest() {
    AvpStore s;
    for (const char* v : {"a", "b", "c"}) s.push("x", Value::view(v));
    CPPUNIT_ASSERT_EQUAL(std::string("a"), at(s, "x", -1));
    CPPUNIT_ASSERT_EQUAL(std::string("b"), at(s, "x", -2));
    CPPUNIT_ASSERT_EQUAL(std::string("c"), at(s, "x", -3));
    CPPUNIT_ASSERT_EQUAL(std::string("(none)"), at(s, "x", -4));
  }
  void namesAreIndependentAndCaseSensitive() {
    AvpStore s;
    s.push("x", Value::view("x1"));
    s.push("X", Value::view("X1"));
    s.push("x", Value::view("x2"));
    CPPUNIT_ASSERT_EQUAL(2, s.count("x"));
    CPPUNIT_ASSERT_EQUAL(1, s.count("X"));
    CPPUNIT_ASSERT_EQUAL(std::string("x1"), at(s, "x", 1));
    CPPUNIT_ASSERT_EQUAL(std::string("X1"), at(s, "X", 0));
    CPPUNIT_ASSERT_EQUAL(0, s.count("y"));
  }
  void replaceAndEraseAt() {
    AvpStore s;
    for (const char* v : {"a", "b", "c"}) s.push("x", Value::view(v));
    CPPUNIT_ASSERT(s.replace("x", 1, Value::view("B")));
    CPPUNIT_ASSERT_EQUAL(std::string("B"), at(s, "x", 1));
    CPPUNIT_ASSERT(!s.replace("x", 3, Value::view("none")));
    CPPUNIT_ASSERT(!s.replace("y", 0, Value::view("none")));
    CPPUNIT_ASSERT(s.eraseAt("x", 0));
    CPPUNIT_ASSERT_EQUAL(std::string("B"), at(s, "x", 0));
    CPPUNIT_ASSERT(s.eraseAt("x", -1));
    CPPUNIT_ASSERT_EQUAL(std::string("B"), at(s, "x", 0));
    CPPUNIT_ASSERT_EQUAL(1, s.count("x"));
    CPPUNIT_ASSERT(!s.eraseAt("x", 1));
  }
  void eraseAllOfOneName() {
    AvpStore s;
    s.push("x", Value::view("1"));
    s.push("y", Value::view("2"));
    s.push("x", Value::view("3"));
    s.erase("x");
    CPPUNIT_ASSERT_EQUAL(0, s.count("x"));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), at(s, "y", 0));
    s.clear();
    CPPUNIT_ASSERT(s.empty());
  }
  void storesOwnedCopies() {
    AvpStore s;
    std::string text = "original";
    s.push("x", Value::view(text));
    s.replace("x", 0, Value::view(text));
    text = "changed!";
    CPPUNIT_ASSERT_EQUAL(std::string("original"), at(s, "x", 0));
  }
  void pushingAViewOfAStoredValueIsSafe() {
    AvpStore s;
    s.push("x", Value::owned("a value long enough to live on the heap, not in SSO"));
    // Many pushes of a view into the store force the vector to reallocate meanwhile.
    for (int i = 0; i < 100; ++i) s.push("x", Value::view(s.get("x", 0)->str()));
    CPPUNIT_ASSERT_EQUAL(101, s.count("x"));
    CPPUNIT_ASSERT_EQUAL(std::string("a value long enough to live on the heap, not in SSO"),
                         at(s, "x", -1));
    CPPUNIT_ASSERT_EQUAL(at(s, "x", -1), at(s, "x", 0));
  }

  void serializedFormRoundTripsInOrder() {
    AvpStore s;
    s.push("caller", Value::owned("sip:alice@a.example"));
    s.push("n", Value::integer(-42));
    s.push("caller", Value::owned(std::string("with:colon\0and nul", 19)));
    s.push("empty", Value::owned(""));
    AvpStore back;
    CPPUNIT_ASSERT(back.deserialize(s.serialize()));
    CPPUNIT_ASSERT_EQUAL(2, back.count("caller"));
    CPPUNIT_ASSERT_EQUAL(std::string("with:colon\0and nul", 19), at(back, "caller", 0));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@a.example"), at(back, "caller", 1));
    CPPUNIT_ASSERT(back.get("n", 0)->isInt());
    CPPUNIT_ASSERT_EQUAL(std::string("-42"), at(back, "n", 0));
    CPPUNIT_ASSERT_EQUAL(std::string(""), at(back, "empty", 0));
    CPPUNIT_ASSERT(AvpStore().serialize().empty());
  }

  void malformedSerializedFormIsRefused() {
    AvpStore s;
    s.push("keep", Value::integer(1));
    for (const char* bad :
         {"x1:a1:b", "s1:a", "s1:a5:abc", "i1:a2:zz", "s:a1:b", "s1234567890:a"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !s.deserialize(bad));
      CPPUNIT_ASSERT(s.empty());
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AvpStoreTest);

}  // namespace sipline
