#include "modules/avpops/avp_ops.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/script/pvar_test_util.h"

namespace sipline::avpops {

using script::Value;

class AvpOpsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AvpOpsTest);
  CPPUNIT_TEST(pushDestinationsAndNames);
  CPPUNIT_TEST(pushWritesTheNewestValue);
  CPPUNIT_TEST(pushEveryValueToBranches);
  CPPUNIT_TEST(pushWithoutValueOrWithABadOneFails);
  CPPUNIT_TEST(checkArguments);
  CPPUNIT_TEST(checkComparesTheNewestOrAnyValue);
  CPPUNIT_TEST(checkRegexWildcardAndBits);
  CPPUNIT_TEST(isSetByType);
  CPPUNIT_TEST_SUITE_END();

 public:
  void pushDestinationsAndNames() {
    PushSpec p = parsePush("$ru", "$avp(callfwd)").value();
    CPPUNIT_ASSERT(p.target == PushTarget::kRuri);
    CPPUNIT_ASSERT_EQUAL(std::string("callfwd"), p.avp);
    CPPUNIT_ASSERT(!p.all);
    CPPUNIT_ASSERT(parsePush("$ru/username", "$avp(x)").value().target == PushTarget::kRuriUser);
    CPPUNIT_ASSERT(parsePush("$ru/domain", "$avp(x)").value().target == PushTarget::kRuriHost);
    CPPUNIT_ASSERT(parsePush("$du", "$avp(x)").value().target == PushTarget::kDstUri);
    p = parsePush("$br", "$avp(x)[*]").value();
    CPPUNIT_ASSERT(p.target == PushTarget::kBranch && p.all);
    CPPUNIT_ASSERT(!parsePush("$fu", "$avp(x)").isOk());
    CPPUNIT_ASSERT(!parsePush("$ru", "$avp(x)[*]").isOk());  // [*] only for $br
    CPPUNIT_ASSERT(!parsePush("$ru", "$var(x)").isOk());
  }

  void pushWritesTheNewestValue() {
    pvartest::TestMsg m(pvartest::inviteText());
    m.ctx().avps.push("fwd", Value::owned("sip:old@gw1.example.net"));
    m.ctx().avps.push("fwd", Value::owned("sip:voicemail@vm.example.net"));
    CPPUNIT_ASSERT_EQUAL(1, pushTo(m.ctx(), parsePush("$ru", "$avp(fwd)").value(), nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:voicemail@vm.example.net"), m.str("ru"));
    m.ctx().avps.push("user", Value::integer(4711));
    CPPUNIT_ASSERT_EQUAL(1,
                         pushTo(m.ctx(), parsePush("$ru/username", "$avp(user)").value(), nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:4711@vm.example.net"), m.str("ru"));
    m.ctx().avps.push("gw", Value::owned("gw2.example.net"));
    CPPUNIT_ASSERT_EQUAL(1, pushTo(m.ctx(), parsePush("$ru/domain", "$avp(gw)").value(), nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:4711@gw2.example.net"), m.str("ru"));
    CPPUNIT_ASSERT_EQUAL(1, pushTo(m.ctx(), parsePush("$du", "$avp(fwd)").value(), nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:voicemail@vm.example.net"), m.str("du"));
  }

  void pushEveryValueToBranches() {
    pvartest::TestMsg m(pvartest::inviteText());
    m.ctx().avps.push("fork", Value::owned("sip:a@example.net"));
    m.ctx().avps.push("fork", Value::owned("sip:b@example.net"));
    CPPUNIT_ASSERT_EQUAL(1, pushTo(m.ctx(), parsePush("$br", "$avp(fork)[*]").value(), nullptr));
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.ctx().branches.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@example.net"), m.ctx().branches[0].uri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:b@example.net"), m.ctx().branches[1].uri);
    CPPUNIT_ASSERT_EQUAL(1, pushTo(m.ctx(), parsePush("$br", "$avp(fork)").value(), nullptr));
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), m.ctx().branches.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:b@example.net"), m.ctx().branches[2].uri);
  }

  void pushWithoutValueOrWithABadOneFails() {
    pvartest::TestMsg m(pvartest::inviteText());
    const std::string ru = m.str("ru");
    CPPUNIT_ASSERT_EQUAL(-1, pushTo(m.ctx(), parsePush("$ru", "$avp(none)").value(), nullptr));
    m.ctx().avps.push("bad", Value::owned("not a uri"));
    std::string error;
    CPPUNIT_ASSERT_EQUAL(-1, pushTo(m.ctx(), parsePush("$ru", "$avp(bad)").value(), &error));
    CPPUNIT_ASSERT(!error.empty());
    CPPUNIT_ASSERT_EQUAL(ru, m.str("ru"));
    CPPUNIT_ASSERT_EQUAL(-1, pushTo(m.ctx(), parsePush("$du", "$avp(bad)").value(), nullptr));
    CPPUNIT_ASSERT(m.isNull("du"));
  }

  void checkArguments() {
    CheckSpec c = parseCheck("$avp(x)", "eq/sip:a@b.net/g").value();
    CPPUNIT_ASSERT(c.op == CheckOp::kEq && c.all && !c.icase);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@b.net"), c.constant.toString());
    c = parseCheck("$avp(x)", "lt/i:345/gi").value();
    CPPUNIT_ASSERT(c.op == CheckOp::kLt && c.all && c.icase && c.constant.isInt());
    c = parseCheck("$avp(x)", "ne/$avp(y)").value();
    CPPUNIT_ASSERT_EQUAL(std::string("avp(y)"), c.pvar);
    c = parseCheck("$avp(x)", "eq/s:42").value();
    CPPUNIT_ASSERT(c.constant.isStr());
    CPPUNIT_ASSERT(parseCheck("$avp(x)", "eq/42").value().constant.isInt());
    CPPUNIT_ASSERT(!parseCheck("$avp(x)", "like/1").isOk());
    CPPUNIT_ASSERT(!parseCheck("$avp(x)", "eq").isOk());
    CPPUNIT_ASSERT(!parseCheck("$avp(x)", "eq/").isOk());
    CPPUNIT_ASSERT(!parseCheck("$avp(x)", "re/a((").isOk());
    CPPUNIT_ASSERT(!parseCheck("$avp(x)", "and/abc").isOk());
    CPPUNIT_ASSERT(!parseCheck("$var(x)", "eq/1").isOk());
  }

  void checkComparesTheNewestOrAnyValue() {
    pvartest::TestMsg m(pvartest::inviteText());
    m.ctx().avps.push("fwd", Value::owned("sip:Bob@example.net"));
    m.ctx().avps.push("fwd", Value::owned("sip:carol@example.net"));
    auto check = [&](const char* op_value, const Value& v = Value::null()) {
      CheckSpec c = parseCheck("$avp(fwd)", op_value).value();
      return checkAvp(m.ctx(), c, c.pvar.empty() ? c.constant : v);
    };
    CPPUNIT_ASSERT(check("eq/sip:carol@example.net"));
    CPPUNIT_ASSERT(!check("eq/sip:bob@example.net"));    // not the newest
    CPPUNIT_ASSERT(!check("eq/sip:bob@example.net/g"));  // case matters
    CPPUNIT_ASSERT(check("eq/sip:bob@example.net/gi"));  // any value, ignoring case
    CPPUNIT_ASSERT(check("ne/$ru", Value::owned("sip:alice@example.com")));
    CPPUNIT_ASSERT(!check("eq/$ru", Value::null()));  // a pseudo-variable without value
    m.ctx().avps.push("n", Value::integer(10));
    auto num = [&](const char* op_value) {
      CheckSpec c = parseCheck("$avp(n)", op_value).value();
      return checkAvp(m.ctx(), c, c.constant);
    };
    CPPUNIT_ASSERT(num("gt/9"));  // as numbers: 10 > 9
    CPPUNIT_ASSERT(num("le/i:10") && num("ge/10") && !num("lt/10") && num("ne/11"));
    CPPUNIT_ASSERT(!checkAvp(m.ctx(), parseCheck("$avp(none)", "eq/1").value(), Value::integer(1)));
  }

  void checkRegexWildcardAndBits() {
    pvartest::TestMsg m(pvartest::inviteText());
    m.ctx().avps.push("uri", Value::owned("sip:alice@gw.example.net"));
    m.ctx().avps.push("acl", Value::integer(6));
    auto check = [&](const char* avp, const char* op_value) {
      CheckSpec c = parseCheck(avp, op_value).value();
      return checkAvp(m.ctx(), c, c.constant);
    };
    CPPUNIT_ASSERT(check("$avp(uri)", "re/^sip:[a-z]+@gw\\."));
    CPPUNIT_ASSERT(!check("$avp(uri)", "re/^sips:"));
    CPPUNIT_ASSERT(check("$avp(uri)", "fm/sip:*@*.example.net"));
    CPPUNIT_ASSERT(!check("$avp(uri)", "fm/SIP:*"));
    CPPUNIT_ASSERT(check("$avp(uri)", "fm/SIP:*/i"));
    CPPUNIT_ASSERT(check("$avp(acl)", "and/4") && !check("$avp(acl)", "and/1"));
    CPPUNIT_ASSERT(check("$avp(acl)", "or/0") && check("$avp(acl)", "xor/4"));
    CPPUNIT_ASSERT(!check("$avp(acl)", "xor/6"));
    CPPUNIT_ASSERT(!check("$avp(uri)", "and/4"));  // not an integer
  }
  void isSetByType() {
    pvartest::TestMsg m(pvartest::inviteText());
    m.ctx().avps.push("fwd", Value::owned("sip:vm@example.net"));
    m.ctx().avps.push("n", Value::integer(3));
    m.ctx().avps.push("n", Value::owned(""));
    auto set = [&](const char* name) { return isAvpSet(m.ctx(), parseIsSet(name).value()); };
    CPPUNIT_ASSERT(set("$avp(fwd)") && set("$avp(s:fwd)") && set("$avp(fwd)/s"));
    CPPUNIT_ASSERT(!set("$avp(fwd)/n") && !set("$avp(fwd)/e") && !set("$avp(busy)"));
    CPPUNIT_ASSERT(set("$avp(n)/n") && set("$avp(n)/e") && set("$avp(n)/s"));
    CPPUNIT_ASSERT(!parseIsSet("$avp(n)/x").isOk());
    CPPUNIT_ASSERT(!parseIsSet("$var(n)").isOk());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AvpOpsTest);

}  // namespace sipline::avpops
