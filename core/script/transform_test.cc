#include "core/script/transform.h"

#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <string>

#include "core/script/pvar_test_util.h"

namespace sipline {

using script::TransformChain;
using script::Value;

namespace {

// Applies the chain (e.g. "{s.len}") to a string value; "<null>" for null.
std::string transformed(const std::string& chain, const Value& in) {
  Result<TransformChain> c = TransformChain::parse(chain);
  CPPUNIT_ASSERT_MESSAGE(chain + ": " + c.status().message(), c.isOk());
  return c.value().apply(in).toString();
}
std::string transformed(const std::string& chain, const std::string& in) {
  return transformed(chain, Value::view(in));
}
Value applyValue(const std::string& chain, const Value& in) {
  Result<TransformChain> c = TransformChain::parse(chain);
  CPPUNIT_ASSERT_MESSAGE(chain + ": " + c.status().message(), c.isOk());
  return c.value().apply(in);
}
std::string parseError(const std::string& chain) {
  Result<TransformChain> c = TransformChain::parse(chain);
  return c.isOk() ? std::string("(parsed)") : c.status().message();
}
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class TransformTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TransformTest);
  CPPUNIT_TEST(length);
  CPPUNIT_TEST(toInteger);
  CPPUNIT_TEST(caseConversion);
  CPPUNIT_TEST(substring);
  CPPUNIT_TEST(selectField);
  CPPUNIT_TEST(trimWhitespace);
  CPPUNIT_TEST(hashes);
  CPPUNIT_TEST(uriParts);
  CPPUNIT_TEST(uriParam);
  CPPUNIT_TEST(paramValue);
  CPPUNIT_TEST(nameAddr);
  CPPUNIT_TEST(privateAddresses);
  CPPUNIT_TEST(nullInNullOut);
  CPPUNIT_TEST(chainsRunLeftToRight);
  CPPUNIT_TEST(unknownTransformationSuggestsTheName);
  CPPUNIT_TEST(wrongArgumentsAreLoadErrors);
  CPPUNIT_TEST(malformedChains);
  CPPUNIT_TEST(everyTransformationIsDocumented);
  CPPUNIT_TEST(pvarWithTransformationsReadsTheMessage);
  CPPUNIT_TEST_SUITE_END();

 public:
  void length() {
    CPPUNIT_ASSERT_EQUAL(std::string("5"), transformed("{s.len}", "hello"));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), transformed("{s.len}", ""));
    CPPUNIT_ASSERT_EQUAL(std::string("4"), transformed("{s.len}", Value::integer(-123)));
    CPPUNIT_ASSERT(applyValue("{s.len}", Value::view("ab")).isInt());
  }
  void toInteger() {
    CPPUNIT_ASSERT_EQUAL(std::int64_t{42}, applyValue("{s.int}", Value::view("42")).i());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{-7}, applyValue("{s.int}", Value::view(" -7 ")).i());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{12}, applyValue("{s.int}", Value::view("12abc")).i());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, applyValue("{s.int}", Value::view("abc")).i());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0},
                         applyValue("{s.int}", Value::view("99999999999999999999")).i());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, applyValue("{s.int}", Value::integer(5)).i());
  }
  void caseConversion() {
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@x"), transformed("{s.tolower}", "SIP:Bob@X"));
    CPPUNIT_ASSERT_EQUAL(std::string("SIP:BOB@X"), transformed("{s.toupper}", "sip:Bob@x"));
    CPPUNIT_ASSERT_EQUAL(std::string("12"), transformed("{s.toupper}", Value::integer(12)));
  }
  void substring() {
    CPPUNIT_ASSERT_EQUAL(std::string("234"), transformed("{s.substr,1,3}", "123456"));
    CPPUNIT_ASSERT_EQUAL(std::string("3456"), transformed("{s.substr,2,0}", "123456"));  // to end
    CPPUNIT_ASSERT_EQUAL(std::string("56"), transformed("{s.substr,-2,0}", "123456"));
    CPPUNIT_ASSERT_EQUAL(std::string("5"), transformed("{s.substr,-2,1}", "123456"));
    CPPUNIT_ASSERT_EQUAL(std::string("3456"),
                         transformed("{s.substr,2,100}", "123456"));  // clipped
    CPPUNIT_ASSERT_EQUAL(std::string(""), transformed("{s.substr,6,0}", "123456"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{s.substr,7,1}", "123456"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{s.substr,-7,1}", "123456"));
    CPPUNIT_ASSERT_EQUAL(std::string("23"), transformed("{s.substr, 1 , 2 }", "123456"));
  }
  void selectField() {
    CPPUNIT_ASSERT_EQUAL(std::string("b"), transformed("{s.select,1,;}", "a;b;c"));
    CPPUNIT_ASSERT_EQUAL(std::string("c"), transformed("{s.select,-1,;}", "a;b;c"));
    CPPUNIT_ASSERT_EQUAL(std::string("a"), transformed("{s.select,-3,;}", "a;b;c"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{s.select,3,;}", "a;b;c"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), transformed("{s.select,1,;}", "a;;c"));  // empty field
    CPPUNIT_ASSERT_EQUAL(std::string("y"), transformed("{s.select,1,,}", "x,y"));  // ',' separator
    CPPUNIT_ASSERT_EQUAL(std::string("two"), transformed("{s.select,1, }", "one two"));  // space
    CPPUNIT_ASSERT_EQUAL(std::string("whole"), transformed("{s.select,0,:}", "whole"));
  }
  void trimWhitespace() {
    CPPUNIT_ASSERT_EQUAL(std::string("a b"), transformed("{s.trim}", " \t a b \r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), transformed("{s.trim}", "   "));
  }
  void hashes() {
    // RFC 1321 §A.5 and FIPS 180-2 test vectors.
    CPPUNIT_ASSERT_EQUAL(std::string("900150983cd24fb0d6963f7d28e17f72"),
                         transformed("{s.md5}", "abc"));
    CPPUNIT_ASSERT_EQUAL(std::string("d41d8cd98f00b204e9800998ecf8427e"),
                         transformed("{s.md5}", ""));
    CPPUNIT_ASSERT_EQUAL(
        std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        transformed("{s.sha256}", "abc"));
    CPPUNIT_ASSERT_EQUAL(transformed("{s.md5}", "12"), transformed("{s.md5}", Value::integer(12)));
  }
  void uriParts() {
    const std::string uri = "sip:alice@[2001:db8::1]:5070;transport=tcp;lr";
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), transformed("{uri.user}", uri));
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]"), transformed("{uri.host}", uri));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5070}, applyValue("{uri.port}", Value::view(uri)).i());
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{uri.port}", "sip:example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{uri.user}", "sip:example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123"), transformed("{uri.user}", "tel:+4930123"));
    // A name-addr is accepted too.
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), transformed("{uri.user}", "\"B\" <sip:bob@h>;tag=1"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{uri.host}", "not a uri"));
  }
  void uriParam() {
    const std::string uri = "sip:alice@h;transport=TCP;lr;x=1?h=v";
    CPPUNIT_ASSERT_EQUAL(std::string("TCP"), transformed("{uri.param,transport}", uri));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), transformed("{uri.param,X}", uri));  // case-insensitive
    CPPUNIT_ASSERT_EQUAL(std::string(""), transformed("{uri.param,lr}", uri));  // a flag
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{uri.param,maddr}", uri));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{uri.param,lr}", "::"));
  }
  void paramValue() {
    CPPUNIT_ASSERT_EQUAL(std::string("2"), transformed("{param.value,b}", "a=1;b=2"));
    CPPUNIT_ASSERT_EQUAL(std::string("x"),
                         transformed("{param.value,tag}", ";expires=60; tag = x"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), transformed("{param.value,lr}", "a=1;lr"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{param.value,c}", "a=1;b=2"));
    CPPUNIT_ASSERT_EQUAL(std::string("\"q v\""), transformed("{param.value,n}", "n=\"q v\""));
  }
  void nameAddr() {
    const std::string na = "\"Bob B\" <sip:bob@example.org;lr>;tag=1";
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@example.org;lr"), transformed("{nameaddr.uri}", na));
    CPPUNIT_ASSERT_EQUAL(std::string("Bob B"), transformed("{nameaddr.name}", na));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@b"), transformed("{nameaddr.uri}", "sip:a@b"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{nameaddr.name}", "<sip:a@b>"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), transformed("{nameaddr.uri}", "<sip:a@b"));
  }
  void privateAddresses() {
    for (const char* ip : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
                           "100.127.255.254", "127.0.0.1", "169.254.10.10", "::1", "[::1]",
                           "fe80::1", "fd00::5", "fc12::1", "::ffff:192.168.0.1"}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(ip, std::string("1"), transformed("{ip.isprivate}", ip));
    }
    for (const char* ip : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1", "100.128.0.1",
                           "100.63.255.255", "2001:db8::1", "fec0::1", "::ffff:8.8.8.8"}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(ip, std::string("0"), transformed("{ip.isprivate}", ip));
    }
    for (const char* bad : {"example.com", "10.0.0", "", "300.1.1.1"}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, std::string("<null>"), transformed("{ip.isprivate}", bad));
    }
  }
  void nullInNullOut() {
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, applyValue("{s.len}", Value::null()).i());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, applyValue("{s.int}", Value::null()).i());
    for (const script::TransformInfo& t : script::transformInfos()) {
      std::string usage = t.usage;
      if (usage == "{s.len}" || usage == "{s.int}") continue;
      // The usage text with example arguments filled in.
      std::string chain = usage == "{s.substr,offset,length}"     ? "{s.substr,0,1}"
                          : usage == "{s.select,index,separator}" ? "{s.select,0,;}"
                          : usage == "{uri.param,name}"           ? "{uri.param,x}"
                          : usage == "{param.value,name}"         ? "{param.value,x}"
                                                                  : usage;
      CPPUNIT_ASSERT_MESSAGE(chain, applyValue(chain, Value::null()).isNull());
    }
  }
  void chainsRunLeftToRight() {
    CPPUNIT_ASSERT_EQUAL(std::string("ALI"), transformed("{uri.user}{s.substr,0,3}{s.toupper}",
                                                         "sip:alice@example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("5"),
                         transformed("{nameaddr.uri}{uri.user}{s.len}", "<sip:alice@example.com>"));
    // A step giving null makes the rest see null.
    CPPUNIT_ASSERT_EQUAL(std::string("0"), transformed("{uri.user}{s.len}", "sip:example.com"));
  }
  void unknownTransformationSuggestsTheName() {
    CPPUNIT_ASSERT(contains(parseError("{s.lenn}"), "unknown transformation {s.lenn}"));
    CPPUNIT_ASSERT(contains(parseError("{s.lenn}"), "did you mean 's.len'?"));
    CPPUNIT_ASSERT(contains(parseError("{uri.usr}"), "did you mean 'uri.user'?"));
    CPPUNIT_ASSERT(contains(parseError("{s.lne}"), "did you mean 's.len'?"));
    CPPUNIT_ASSERT(contains(parseError("{s.itn}"), "did you mean 's.int'?"));
    CPPUNIT_ASSERT(contains(parseError("{s.len}{nope}"), "unknown transformation {nope}"));
  }
  void wrongArgumentsAreLoadErrors() {
    CPPUNIT_ASSERT(contains(parseError("{s.len,1}"), "{s.len} takes no arguments: {s.len}, got 1"));
    CPPUNIT_ASSERT(contains(parseError("{s.substr,1}"),
                            "{s.substr} takes 2 arguments: {s.substr,offset,length}, got 1"));
    CPPUNIT_ASSERT(contains(parseError("{s.substr,1,2,3}"), "got 3"));
    CPPUNIT_ASSERT(contains(parseError("{s.substr,a,2}"), "offset must be an integer, got 'a'"));
    CPPUNIT_ASSERT(contains(parseError("{s.substr,1,x}"), "length must be an integer"));
    CPPUNIT_ASSERT(contains(parseError("{s.substr,1,-1}"), "length must not be negative"));
    CPPUNIT_ASSERT(contains(parseError("{s.select,1}"), "{s.select} takes 2 arguments"));
    CPPUNIT_ASSERT(contains(parseError("{s.select,x,;}"), "index must be an integer"));
    CPPUNIT_ASSERT(contains(parseError("{s.select,1,ab}"), "separator must be one character"));
    CPPUNIT_ASSERT(contains(parseError("{s.select,1,}"), "separator must be one character"));
    CPPUNIT_ASSERT(contains(parseError("{uri.param}"), "takes 1 argument"));
    CPPUNIT_ASSERT(contains(parseError("{uri.param, }"), "needs a parameter name"));
    CPPUNIT_ASSERT(contains(parseError("{param.value,a,b}"), "got 2"));
    CPPUNIT_ASSERT(contains(parseError("{s.substr,$var(x),1}"), "must be constants"));
  }
  void malformedChains() {
    CPPUNIT_ASSERT(contains(parseError(""), "expected a transformation"));
    CPPUNIT_ASSERT(contains(parseError("s.len"), "expected '{'"));
    CPPUNIT_ASSERT(contains(parseError("{s.len}x"), "expected '{' to start a transformation"));
    CPPUNIT_ASSERT(contains(parseError("{s.len"), "missing '}'"));
    CPPUNIT_ASSERT(contains(parseError("{s.len{s.int}}"), "'{' inside a transformation"));
    CPPUNIT_ASSERT(contains(parseError("{}"), "unknown transformation {}"));
  }
  void everyTransformationIsDocumented() {
    std::set<std::string> names;
    for (const script::TransformInfo& t : script::transformInfos()) {
      CPPUNIT_ASSERT_MESSAGE(t.name, names.insert(t.name).second);
      CPPUNIT_ASSERT_MESSAGE(t.name, std::string(t.help).size() > 10);
      CPPUNIT_ASSERT_MESSAGE(t.name, std::string(t.usage).rfind("{" + std::string(t.name), 0) == 0);
    }
    for (const char* n :
         {"s.len", "s.int", "s.tolower", "s.toupper", "s.substr", "s.select", "s.trim", "s.md5",
          "s.sha256", "uri.user", "uri.host", "uri.port", "uri.param", "param.value",
          "nameaddr.uri", "nameaddr.name", "ip.isprivate"}) {
      CPPUNIT_ASSERT_MESSAGE(n, names.count(n) == 1);
    }
  }
  void pvarWithTransformationsReadsTheMessage() {
    pvartest::TestMsg m(pvartest::inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("ALICE"), m.str("(ru{uri.user}{s.toupper})"));
    CPPUNIT_ASSERT_EQUAL(std::string("ft1"), m.str("(hdr(From){param.value,tag})"));
    CPPUNIT_ASSERT_EQUAL(std::string("Bob B"), m.str("(hdr(From){nameaddr.name})"));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.2:5060"),
                         m.str("(hdr(Via)[1]{s.select,1, }{s.select,0,;})"));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), m.str("(ct{nameaddr.uri}{uri.host}{ip.isprivate})"));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), m.str("(si{ip.isprivate})"));  // 192.0.2.7
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, m.num("(avp(none){s.len})"));
    CPPUNIT_ASSERT(m.isNull("(avp(none){s.toupper})"));
    CPPUNIT_ASSERT_EQUAL(std::string("4"), m.str("(rp{s.len}{s.substr,0,1})"));  // "5070" -> 4
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(TransformTest);

}  // namespace sipline
