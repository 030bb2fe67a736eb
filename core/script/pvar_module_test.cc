// Pseudo-variables offered by modules ($DLG_timeout): resolved like the core's once published,
// refused when they would shadow a core name or another module's, replaced when the same
// module publishes again (a test process loading a module twice).
#include <cppunit/extensions/HelperMacros.h>

#include "core/script/pvar.h"

namespace sipline::script {
namespace {

Value getSeven(MsgContext&, const PvarRef&) { return Value::integer(7); }
Value getEight(MsgContext&, const PvarRef&) { return Value::integer(8); }

}  // namespace

class PvarModuleTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PvarModuleTest);
  CPPUNIT_TEST(publishedNameResolves);
  CPPUNIT_TEST(coreAndOtherModulesNamesAreRefused);
  CPPUNIT_TEST(sameModuleReplacesItsEntry);
  CPPUNIT_TEST(unknownNameSuggestsAModuleName);
  CPPUNIT_TEST_SUITE_END();

 public:
  void publishedNameResolves() {
    CPPUNIT_ASSERT(registerModulePvar({"TEST_seven", getSeven, nullptr, 0, "seven"}, "m1").isOk());
    Result<PvarRef> ref = resolvePvar("TEST_seven");
    CPPUNIT_ASSERT(ref.isOk());
    CPPUNIT_ASSERT(ref.value().spec->get == getSeven);
    CPPUNIT_ASSERT(!resolvePvar("TEST_seven(x)").isOk());  // takes no argument
    bool listed = false;
    for (const PvarSpec* s : modulePvarSpecs()) listed |= std::string(s->name) == "TEST_seven";
    CPPUNIT_ASSERT(listed);
  }

  void coreAndOtherModulesNamesAreRefused() {
    Status core = registerModulePvar({"ru", getSeven, nullptr, 0, "shadow"}, "m1");
    CPPUNIT_ASSERT(core.code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT(registerModulePvar({"TEST_owned", getSeven, nullptr, 0, "x"}, "m1").isOk());
    Status other = registerModulePvar({"TEST_owned", getEight, nullptr, 0, "x"}, "m2");
    CPPUNIT_ASSERT(other.code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT(other.message().find("m1") != std::string::npos);
    CPPUNIT_ASSERT(!registerModulePvar({nullptr, getSeven, nullptr, 0, "x"}, "m1").isOk());
    CPPUNIT_ASSERT(!registerModulePvar({"TEST_noget", nullptr, nullptr, 0, "x"}, "m1").isOk());
  }

  void sameModuleReplacesItsEntry() {
    CPPUNIT_ASSERT(registerModulePvar({"TEST_again", getSeven, nullptr, 0, "x"}, "m1").isOk());
    std::size_t before = modulePvarSpecs().size();
    CPPUNIT_ASSERT(registerModulePvar({"TEST_again", getEight, nullptr, 0, "x"}, "m1").isOk());
    CPPUNIT_ASSERT_EQUAL(before, modulePvarSpecs().size());
    CPPUNIT_ASSERT(resolvePvar("TEST_again").value().spec->get == getEight);
  }

  void unknownNameSuggestsAModuleName() {
    CPPUNIT_ASSERT(registerModulePvar({"TEST_timeout", getSeven, nullptr, 0, "x"}, "m1").isOk());
    Result<PvarRef> bad = resolvePvar("TEST_timeuot");
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT(bad.status().message().find("TEST_timeout") != std::string::npos);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PvarModuleTest);

}  // namespace sipline::script
