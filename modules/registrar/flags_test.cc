#include "modules/registrar/flags.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::registrar {
namespace {

bool has(const Status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

}  // namespace

class RegistrarFlagsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RegistrarFlagsTest);
  CPPUNIT_TEST(emptySaveFlagsAreTheDefaults);
  CPPUNIT_TEST(saveFlagsCombine);
  CPPUNIT_TEST(pathModes);
  CPPUNIT_TEST(numericOverrides);
  CPPUNIT_TEST(numericFlagsNeedAValueInRange);
  CPPUNIT_TEST(unknownSaveFlagSuggestsTheClosest);
  CPPUNIT_TEST(oldLetterFlagsGetAHint);
  CPPUNIT_TEST(booleanFlagWithValueIsRefused);
  CPPUNIT_TEST(emptyElementIsRefused);
  CPPUNIT_TEST(lookupFlagsCombine);
  CPPUNIT_TEST(uaFilteringNeedsSlashes);
  CPPUNIT_TEST(noBranchesAndToBranchesOnlyExcludeEachOther);
  CPPUNIT_TEST(caseInsensitiveOnlyWithUaFiltering);
  CPPUNIT_TEST(unknownLookupFlagIsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void emptySaveFlagsAreTheDefaults() {
    Result<SaveFlags> f = parseSaveFlags("  ");
    CPPUNIT_ASSERT(f.isOk());
    CPPUNIT_ASSERT(!f.value().no_reply && !f.value().force && !f.value().memory_only);
    CPPUNIT_ASSERT(f.value().path_mode == PathMode::kLazy);
    CPPUNIT_ASSERT(!f.value().max_contacts.has_value());
  }
  void saveFlagsCombine() {
    Result<SaveFlags> f = parseSaveFlags("memory-only, no-reply,force-registration ,path-received");
    CPPUNIT_ASSERT(f.isOk());
    CPPUNIT_ASSERT(f.value().memory_only && f.value().no_reply && f.value().force &&
                   f.value().path_received);
    CPPUNIT_ASSERT(parseSaveFlags("only-request-contacts").value().only_request_contacts);
  }
  void pathModes() {
    CPPUNIT_ASSERT(parseSaveFlags("path-off").value().path_mode == PathMode::kOff);
    CPPUNIT_ASSERT(parseSaveFlags("path-strict").value().path_mode == PathMode::kStrict);
    CPPUNIT_ASSERT(parseSaveFlags("path-strict,path-lazy").value().path_mode == PathMode::kLazy);
  }
  void numericOverrides() {
    Result<SaveFlags> f = parseSaveFlags("max-contacts=5, min-expires = 30, max-expires=600");
    CPPUNIT_ASSERT(f.isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, *f.value().max_contacts);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{30}, *f.value().min_expires);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{600}, *f.value().max_expires);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, *parseSaveFlags("max-contacts=0").value().max_contacts);
  }
  void numericFlagsNeedAValueInRange() {
    CPPUNIT_ASSERT(has(parseSaveFlags("max-contacts").status(), "needs a number"));
    CPPUNIT_ASSERT(has(parseSaveFlags("max-contacts=x").status(), "needs a number"));
    CPPUNIT_ASSERT(has(parseSaveFlags("min-expires=-1").status(), "needs a number"));
    CPPUNIT_ASSERT(has(parseSaveFlags("max-expires=4294967296").status(), "needs a number"));
  }
  void unknownSaveFlagSuggestsTheClosest() {
    Status st = parseSaveFlags("no-replys").status();
    CPPUNIT_ASSERT(has(st, "unknown flag 'no-replys'"));
    CPPUNIT_ASSERT(has(st, "no-reply"));
  }
  void oldLetterFlagsGetAHint() {
    Status st = parseSaveFlags("mc5").status();
    CPPUNIT_ASSERT(has(st, "unknown flag 'mc5'"));
    CPPUNIT_ASSERT(has(st, "max-contacts=N"));
    CPPUNIT_ASSERT(has(parseLookupFlags("m").status(), "method-filtering"));
  }
  void booleanFlagWithValueIsRefused() {
    CPPUNIT_ASSERT(has(parseSaveFlags("no-reply=1").status(), "takes no value"));
    CPPUNIT_ASSERT(has(parseSaveFlags("path-off=1").status(), "takes no value"));
    CPPUNIT_ASSERT(has(parseLookupFlags("no-branches=yes").status(), "takes no value"));
  }
  void emptyElementIsRefused() {
    CPPUNIT_ASSERT(has(parseSaveFlags("no-reply,,path-off").status(), "empty flag"));
    CPPUNIT_ASSERT(has(parseLookupFlags(",").status(), "empty flag"));
  }
  void lookupFlagsCombine() {
    Result<LookupFlags> f = parseLookupFlags("method-filtering, no-branches");
    CPPUNIT_ASSERT(f.isOk());
    CPPUNIT_ASSERT(f.value().method_filtering && f.value().no_branches);
    Result<LookupFlags> g = parseLookupFlags("ua-filtering=/^Polycom/, case-insensitive");
    CPPUNIT_ASSERT(g.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("^Polycom"), g.value().ua_regex);
    CPPUNIT_ASSERT(g.value().ua_case_insensitive);
    CPPUNIT_ASSERT(parseLookupFlags("to-branches-only").value().to_branches_only);
  }
  void uaFilteringNeedsSlashes() {
    CPPUNIT_ASSERT(has(parseLookupFlags("ua-filtering=phone").status(), "/regexp/"));
    CPPUNIT_ASSERT(has(parseLookupFlags("ua-filtering=//").status(), "/regexp/"));
    CPPUNIT_ASSERT(has(parseLookupFlags("ua-filtering").status(), "/regexp/"));
  }
  void noBranchesAndToBranchesOnlyExcludeEachOther() {
    CPPUNIT_ASSERT(has(parseLookupFlags("no-branches,to-branches-only").status(), "exclude"));
  }
  void caseInsensitiveOnlyWithUaFiltering() {
    CPPUNIT_ASSERT(has(parseLookupFlags("case-insensitive").status(), "ua-filtering"));
  }
  void unknownLookupFlagIsRefused() {
    Status st = parseLookupFlags("method-filtring").status();
    CPPUNIT_ASSERT(has(st, "unknown flag 'method-filtring'"));
    CPPUNIT_ASSERT(has(st, "method-filtering"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RegistrarFlagsTest);

}  // namespace sipline::registrar
