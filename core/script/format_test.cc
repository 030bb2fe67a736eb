#include "core/script/format.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/script/pvar_test_util.h"

namespace sipline {

namespace {

std::string eval(pvartest::TestMsg& m, const std::string& text) {
  Result<FormatPtr> f = Format::compile(text);
  CPPUNIT_ASSERT_MESSAGE(text + ": " + f.status().message(), f.isOk());
  std::string out;
  return std::string(f.value()->eval(m.ctx(), out));
}

std::string compileError(const std::string& text) {
  Result<FormatPtr> f = Format::compile(text);
  return f.isOk() ? std::string("(compiled)") : f.status().message();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class FormatTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(FormatTest);
  CPPUNIT_TEST(literalTextAndDollars);
  CPPUNIT_TEST(pseudoVariablesWithArgumentsAndIndexes);
  CPPUNIT_TEST(transformationsInFormats);
  CPPUNIT_TEST(nullPrintsAsNull);
  CPPUNIT_TEST(errorsNameTheProblem);
  CPPUNIT_TEST_SUITE_END();

 public:
  void literalTextAndDollars() {
    pvartest::TestMsg m(pvartest::inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("plain"), eval(m, "plain"));
    CPPUNIT_ASSERT_EQUAL(std::string("cost $5 and $ here $"), eval(m, "cost $$5 and $ here $"));
    CPPUNIT_ASSERT(!Format::compile("no pvars").value()->hasPvars());
    CPPUNIT_ASSERT(Format::compile("$ci").value()->hasPvars());
  }
  void pseudoVariablesWithArgumentsAndIndexes() {
    pvartest::TestMsg m(pvartest::inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE abc@host from 192.0.2.7:5099"),
                         eval(m, "$rm $ci from $si:$sp"));
    CPPUNIT_ASSERT_EQUAL(std::string("[two]"), eval(m, "[$hdr(X-Custom)[1]]"));
    CPPUNIT_ASSERT_EQUAL(std::string("n=3."), eval(m, "n=$hdrcnt(Via)."));
    // An index only follows "(...)": "$si[...]" is $si and text.
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7[x]"), eval(m, "$si[x]"));
    m.ctx().avps.push("a", script::Value::view("old"));
    m.ctx().avps.push("a", script::Value::view("new"));
    CPPUNIT_ASSERT_EQUAL(std::string("new/old/new, old"), eval(m, "$avp(a)/$avp(a)[1]/$avp(a)[*]"));
  }
  void transformationsInFormats() {
    pvartest::TestMsg m(pvartest::inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("x alice y"), eval(m, "x $(ru{uri.user}) y"));
    CPPUNIT_ASSERT_EQUAL(std::string("ALI-5"),
                         eval(m, "$(ru{uri.user}{s.substr,0,3}{s.toupper})-$(rU{s.len})"));
    CPPUNIT_ASSERT_EQUAL(std::string("via 10.0.0.2:5060;"),
                         eval(m, "via $(hdr(Via)[1]{s.select,1, }{s.select,0,;});"));
    CPPUNIT_ASSERT_EQUAL(std::string("tag=ft1"), eval(m, "tag=$(hdr(From){param.value,tag})"));
  }
  void nullPrintsAsNull() {
    pvartest::TestMsg m(pvartest::inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("du=<null> len=0"), eval(m, "du=$du len=$(du{s.len})"));
  }
  void errorsNameTheProblem() {
    CPPUNIT_ASSERT(contains(compileError("x $foo"), "unknown pseudo-variable $foo"));
    CPPUNIT_ASSERT(contains(compileError("x $(ru{uri.usr})"), "did you mean 'uri.user'?"));
    CPPUNIT_ASSERT(contains(compileError("x $(ru{s.substr,1}) y"), "takes 2 arguments"));
    CPPUNIT_ASSERT(contains(compileError("x $(ru{uri.user}"), "missing ')'"));
    CPPUNIT_ASSERT(contains(compileError("x $hdr(Via"), "missing ')'"));
    CPPUNIT_ASSERT(contains(compileError("$ru[1]x"), "(compiled)"));  // "[1]x" is text
    CPPUNIT_ASSERT(contains(compileError("$hdr(Via)[z]"), "bad index [z]"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(FormatTest);

}  // namespace sipline
