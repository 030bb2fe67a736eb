#include "core/module/loader.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {
namespace {

std::string modulePath(const std::string& name) {
  return std::string(SIPLINE_TEST_MODULE_DIR) + "/" + name + ".so";
}

ModuleConfig configWith(std::vector<ModuleParamValue> params) {
  ModuleConfig c;
  c.name = "good";
  c.line = 3;
  c.params = std::move(params);
  return c;
}

ModuleParamValue intParam(const std::string& name, std::int64_t v, int line = 4) {
  ModuleParamValue p;
  p.name = name;
  p.line = line;
  p.value = v;
  return p;
}

ModuleParamValue strParam(const std::string& name, const std::string& v, int line = 4) {
  ModuleParamValue p;
  p.name = name;
  p.line = line;
  p.value = v;
  return p;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class LoaderTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LoaderTest);
  CPPUNIT_TEST(loadsAGoodModuleAndPublishesIt);
  CPPUNIT_TEST(refusesAModuleWithAnotherAbi);
  CPPUNIT_TEST(refusesAModuleWithAnotherBuildId);
  CPPUNIT_TEST(refusesAMissingFileNamingTheConfigLine);
  CPPUNIT_TEST(refusesAMissingDependencyNamingBothModules);
  CPPUNIT_TEST(refusesTheSameModuleTwice);
  CPPUNIT_TEST(appliesTypedParams);
  CPPUNIT_TEST(refusesUnknownParamWithSuggestion);
  CPPUNIT_TEST(refusesParamOutOfRange);
  CPPUNIT_TEST(refusesParamOfWrongType);
  CPPUNIT_TEST(refusesStringNotInEnum);
  CPPUNIT_TEST_SUITE_END();

 public:
  void loadsAGoodModuleAndPublishesIt() {
    ModuleSet set;
    Status st = set.loadFile("good", modulePath("good"), "s.cfg:3");
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(set.checkDependencies().isOk());
    CommandRegistry commands;
    MiRegistry mi;
    StatsRegistry stats;
    Services services;
    CPPUNIT_ASSERT(set.publish(commands, mi, stats, services).isOk());
    CPPUNIT_ASSERT(commands.find("good_cmd") != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("good"), commands.find("good_cmd")->module);
    CPPUNIT_ASSERT(stats.exists("good:calls"));
  }

  void refusesAModuleWithAnotherAbi() {
    ModuleSet set;
    Status st = set.loadFile("bad_abi", modulePath("bad_abi"), "s.cfg:9");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "s.cfg:9: module 'bad_abi'"));
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           contains(st.message(), "module ABI " + std::to_string(kModuleAbi + 41)));
    CPPUNIT_ASSERT_MESSAGE(
        st.message(), contains(st.message(), "this server has ABI " + std::to_string(kModuleAbi)));
  }

  void refusesAModuleWithAnotherBuildId() {
    ModuleSet set;
    Status st = set.loadFile("bad_build", modulePath("bad_build"), "s.cfg:5");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "0.0.0 clang++ 99 san=1"));
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), kBuildId));
  }

  void refusesAMissingFileNamingTheConfigLine() {
    ModuleSet set;
    Status st = set.loadFile("nosuch", modulePath("nosuch"), "s.cfg:12");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "s.cfg:12: module 'nosuch'"));
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "nosuch.so"));
  }

  void refusesAMissingDependencyNamingBothModules() {
    ModuleSet set;
    CPPUNIT_ASSERT(set.loadFile("needs_missing", modulePath("needs_missing"), "s.cfg:7").isOk());
    Status st = set.checkDependencies();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "s.cfg:7"));
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           contains(st.message(), "'needs_missing' needs module 'usrloc'"));
  }

  void refusesTheSameModuleTwice() {
    ModuleSet set;
    CPPUNIT_ASSERT(set.loadFile("good", modulePath("good"), "s.cfg:3").isOk());
    Status st = set.loadFile("good", modulePath("good"), "s.cfg:4");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT(contains(st.message(), "loaded twice"));
  }

  void appliesTypedParams() {
    ModuleSet set;
    CPPUNIT_ASSERT(set.loadFile("good", modulePath("good"), "s.cfg:3").isOk());
    ModuleParamValue on;
    on.name = "enabled";
    on.line = 6;
    on.value = true;
    Status st =
        set.applyParams(*set.modules()[0],
                        configWith({intParam("count", 7), strParam("mode", "fast"), on}), "s.cfg");
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }

  void refusesUnknownParamWithSuggestion() {
    ModuleSet set;
    CPPUNIT_ASSERT(set.loadFile("good", modulePath("good"), "s.cfg:3").isOk());
    Status st = set.applyParams(*set.modules()[0], configWith({intParam("cuont", 2, 8)}), "s.cfg");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(
        st.message(), contains(st.message(), "s.cfg:8: module 'good' has no parameter 'cuont'"));
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "did you mean 'count'"));
  }

  void refusesParamOutOfRange() {
    ModuleSet set;
    CPPUNIT_ASSERT(set.loadFile("good", modulePath("good"), "s.cfg:3").isOk());
    Status st = set.applyParams(*set.modules()[0], configWith({intParam("count", 11)}), "s.cfg");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "out of range [1, 10]"));
  }

  void refusesParamOfWrongType() {
    ModuleSet set;
    CPPUNIT_ASSERT(set.loadFile("good", modulePath("good"), "s.cfg:3").isOk());
    Status st = set.applyParams(*set.modules()[0], configWith({strParam("count", "7")}), "s.cfg");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "must be integer, got string"));
  }

  void refusesStringNotInEnum() {
    ModuleSet set;
    CPPUNIT_ASSERT(set.loadFile("good", modulePath("good"), "s.cfg:3").isOk());
    Status st =
        set.applyParams(*set.modules()[0], configWith({strParam("mode", "turbo")}), "s.cfg");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "is not one of: fast, safe"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(LoaderTest);

}  // namespace sipline
