#include "core/module/module_doc.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sipline {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every line of the page is a known request or a text line that starts with neither '.' nor
// '\'' (a control line), and no line is blank or ends in whitespace (mandoc warns about both).
std::string firstBadLine(const std::string& page) {
  static const std::vector<std::string> kRequests = {
      ".TH", ".SH", ".SS", ".PP", ".TP", ".RS", ".RE", ".nf", ".fi", ".BR", ".B", ".ad", ".br"};
  std::size_t start = 0;
  while (start < page.size()) {
    std::size_t end = page.find('\n', start);
    std::string line = page.substr(start, end - start);
    start = end == std::string::npos ? page.size() : end + 1;
    if (line.empty() || line.back() == ' ' || line.back() == '\t') return "[" + line + "]";
    if (line[0] == '\'') return line;
    if (line[0] != '.') continue;
    const std::string request = line.substr(0, line.find(' '));
    if (std::find(kRequests.begin(), kRequests.end(), request) == kRequests.end()) return line;
  }
  return "";
}

BindFn noBind() {
  return [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
    return Status::internal("not bound in tests");
  };
}

MiHandler noHandler() {
  return [](const MiParams&) -> Result<Json> { return Json(); };
}

// A module that uses every kind of declaration, with text that needs escaping.
struct SampleModule {
  std::int64_t timeout = 30;
  std::int64_t offset = -5;
  std::string mode = "fast";
  std::string path = "C:\\dir";
  bool enabled = true;
  StatCounter hits;
  StatCounter by_class;

  void describe(ModuleSpec& spec) {
    spec.summary("a sample: -1 means off");
    spec.description(".starts with a dot\nand wraps\n\n'second paragraph, with a \\ backslash");
    spec.dependsOn("core_dep");
    spec.dependsOn("maybe_dep", Dependency::kOptional);
    spec.param("timeout", &timeout, IntRange{1, 3600}, "seconds (RFC 3261 §17)");
    spec.param("offset", &offset, IntRange{-10, 10}, "an offset");
    spec.param("mode", &mode, OneOf{{"fast", "write-back"}}, "how fast");
    spec.param("path", &path, "a path");
    spec.param("enabled", &enabled, "on or off");
    spec.command("do_it", {ArgSpec::str("table"), ArgSpec::integer("count").opt()},
                 kRequestRoute | kFailureRoute, noBind(),
                 "do_it(table[, count]): does it; -1 when it cannot");
    spec.command("pick", {ArgSpec::str("which")}, kAnyRoute, noBind(),
                 "pick(\"all\"|\"last\"): picks");
    spec.mi(
        "sample_show",
        {MiParamSpec::str("aor", "the address"), MiParamSpec::integer("limit", "at most").opt()},
        "shows samples", noHandler());
    spec.stat("hits", &hits, "hits so far");
    spec.stat("2xx_replies", &by_class, "replies, by class", StatKind::kGauge,
              StatLabels{"replies_class", {{"class", "2xx"}}});
  }
};

std::string samplePage() {
  SampleModule sample;
  ModuleSpec spec("sample");
  sample.describe(spec);
  ModuleSpec other("alpha");
  other.summary("first in the page");
  return moduleManPage({&spec, &other}, ManPageInfo{"2026-11-27", "sipline 0.1.0"});
}

}  // namespace

class ModuleDocTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ModuleDocTest);
  CPPUNIT_TEST(escapesBackslashesAndControlCharactersAtLineStart);
  CPPUNIT_TEST(minusOnlyWhereAWordStartsInProse);
  CPPUNIT_TEST(nonAsciiBecomesUnicodeEscapes);
  CPPUNIT_TEST(whitespaceRunsBecomeOneSpace);
  CPPUNIT_TEST(listsWithoutSpacesGetBreakPoints);
  CPPUNIT_TEST(pageHasTheStandardSectionsAndModulesInNameOrder);
  CPPUNIT_TEST(paramsShowTypeDefaultAndAllowedValues);
  CPPUNIT_TEST(commandsShowSignatureArgumentsAndRoutes);
  CPPUNIT_TEST(commandHelpKeepsASignatureWithLiteralValues);
  CPPUNIT_TEST(miCommandsListTheirParams);
  CPPUNIT_TEST(statisticsShowKindAndFamily);
  CPPUNIT_TEST(descriptionParagraphsAndDependencies);
  CPPUNIT_TEST(noLineIsBlankOrAStrayRequest);
  CPPUNIT_TEST(aCompleteModuleHasNothingUndocumented);
  CPPUNIT_TEST(emptyHelpsAndAMissingSummaryAreReported);
  CPPUNIT_TEST_SUITE_END();

 public:
  void escapesBackslashesAndControlCharactersAtLineStart() {
    CPPUNIT_ASSERT_EQUAL(std::string("a\\eb"), roffText("a\\b"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\&.SH x"), roffText(".SH x"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\&'quoted'"), roffText("'quoted'"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\&.x"), roffText("  .x"));
    CPPUNIT_ASSERT_EQUAL(std::string("a .b"), roffText("a .b"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\efB"), roffText("\\fB"));
  }

  void minusOnlyWhereAWordStartsInProse() {
    CPPUNIT_ASSERT_EQUAL(std::string("write-back, \\-1, (\\-c) - x"),
                         roffText("write-back, -1, (-c) - x"));
    CPPUNIT_ASSERT_EQUAL(std::string("run \\-\\-module-doc, -- a"),
                         roffText("run --module-doc, -- a"));
    CPPUNIT_ASSERT_EQUAL(std::string("write\\-back \\-1"), roffCode("write-back -1"));
  }

  void nonAsciiBecomesUnicodeEscapes() {
    CPPUNIT_ASSERT_EQUAL(std::string("RFC 3261 \\[u00A7]10.3"), roffText("RFC 3261 §10.3"));
    CPPUNIT_ASSERT_EQUAL(std::string("a \\[u2192] b"), roffText("a → b"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\[uFFFD]x"), roffText("\xffx"));
    // Overlong, surrogate, past U+10FFFF and 5-byte lead bytes are no characters either.
    CPPUNIT_ASSERT_EQUAL(std::string("\\[uFFFD]\\[uFFFD]"), roffText("\xc0\x80"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\[uFFFD]\\[uFFFD]\\[uFFFD]"), roffText("\xed\xa0\x80"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\[uFFFD]\\[uFFFD]\\[uFFFD]\\[uFFFD]"),
                         roffText("\xf4\x90\x80\x80"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\[uFFFD]x"), roffText("\xf8x"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\[u1F600]"), roffText("\xf0\x9f\x98\x80"));
  }

  void whitespaceRunsBecomeOneSpace() {
    CPPUNIT_ASSERT_EQUAL(std::string("a b c"), roffText("  a\n  b\t\tc \n"));
  }

  void listsWithoutSpacesGetBreakPoints() {
    CPPUNIT_ASSERT_EQUAL(std::string("a,\\:b|\\:c, d,"), roffText("a,b|c, d,"));
  }

  void pageHasTheStandardSectionsAndModulesInNameOrder() {
    std::string page = samplePage();
    CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                         page.find(".TH SIPLINE-MODULES 7 \"2026-11-27\" \"sipline 0.1.0\""));
    CPPUNIT_ASSERT(contains(page, ".SH NAME\nsipline-modules \\- "));
    const std::size_t desc = page.find(".SH DESCRIPTION\n");
    const std::size_t alpha = page.find(".SH MODULE alpha\n");
    const std::size_t sample = page.find(".SH MODULE sample\n");
    const std::size_t see = page.find(".SH SEE ALSO\n");
    CPPUNIT_ASSERT(desc != std::string::npos && alpha != std::string::npos);
    CPPUNIT_ASSERT(desc < alpha && alpha < sample && sample < see && see != std::string::npos);
    for (const char* ref : {".BR sipline (8)", ".BR sipline.cfg (5)", ".BR sipline.routes (5)",
                            ".BR siplinectl (8)"}) {
      CPPUNIT_ASSERT_MESSAGE(ref, contains(page.substr(see), ref));
    }
    // A module without parameters, commands or statistics gets no empty subsections.
    std::string alpha_part = page.substr(alpha, sample - alpha);
    CPPUNIT_ASSERT(!contains(alpha_part, ".SS"));
  }

  void paramsShowTypeDefaultAndAllowedValues() {
    std::string page = samplePage();
    CPPUNIT_ASSERT(contains(page,
                            ".SS Parameters\n.TP\n\\fBtimeout\\fR (integer, default 30, 1 to "
                            "3600)\nseconds (RFC 3261 \\[u00A7]17)\n"));
    CPPUNIT_ASSERT(contains(page, "\\fBoffset\\fR (integer, default \\-5, \\-10 to 10)\n"));
    CPPUNIT_ASSERT(contains(
        page,
        "\\fBmode\\fR (string, default \"fast\", one of \\fBfast\\fR, \\fBwrite\\-back\\fR)"));
    CPPUNIT_ASSERT(contains(page, "\\fBpath\\fR (string, default \"C:\\edir\")\n"));
    CPPUNIT_ASSERT(contains(page, "\\fBenabled\\fR (boolean, default true)\non or off\n"));
  }

  void commandsShowSignatureArgumentsAndRoutes() {
    std::string page = samplePage();
    // The help comes first; the text line after it is wrapped at 80 bytes.
    CPPUNIT_ASSERT(contains(page,
                            ".SS Script commands\n.TP\n"
                            "\\fBdo_it\\fR(\\fItable\\fR[, \\fIcount\\fR])\n"
                            "does it; \\-1 when it cannot\n.br\n"
                            "Arguments: \\fItable\\fR (string), \\fIcount\\fR (integer, "
                            "optional). Allowed in\nroute, failure_route.\n"));
  }

  void commandHelpKeepsASignatureWithLiteralValues() {
    std::string page = samplePage();
    CPPUNIT_ASSERT(contains(page,
                            "\\fBpick\\fR(\\fIwhich\\fR)\n"
                            "pick(\"all\"|\\:\"last\"): picks\n.br\n"
                            "Arguments: \\fIwhich\\fR (string). Allowed in every route.\n"));
  }

  void miCommandsListTheirParams() {
    std::string page = samplePage();
    CPPUNIT_ASSERT(contains(page,
                            ".SS MI commands\n.TP\n"
                            "\\fBsample_show\\fR \\fIaor\\fR [\\fIlimit\\fR]\nshows samples\n"
                            ".RS\n.TP\n\\fIaor\\fR (string)\nthe address\n"
                            ".TP\n\\fIlimit\\fR (int, optional)\nat most\n.RE\n"));
  }

  void statisticsShowKindAndFamily() {
    std::string page = samplePage();
    CPPUNIT_ASSERT(
        contains(page, ".SS Statistics\n.TP\n\\fBsample:hits\\fR (counter)\nhits so far\n"));
    CPPUNIT_ASSERT(contains(page,
                            "\\fBsample:2xx_replies\\fR (gauge; \\fBclass=\"2xx\"\\fR of the "
                            "family \\fBreplies_class\\fR)\nreplies, by class\n"));
  }

  void descriptionParagraphsAndDependencies() {
    std::string page = samplePage();
    CPPUNIT_ASSERT(contains(page,
                            ".SH MODULE sample\na sample: \\-1 means off\n"
                            ".PP\n\\&.starts with a dot and wraps\n"
                            ".PP\n\\&'second paragraph, with a \\e backslash\n"
                            ".PP\nNeeds \\fBcore_dep\\fR. Uses \\fBmaybe_dep\\fR when "
                            "loaded.\n"));
  }

  void noLineIsBlankOrAStrayRequest() {
    CPPUNIT_ASSERT_EQUAL(std::string(""), firstBadLine(samplePage()));
  }

  void aCompleteModuleHasNothingUndocumented() {
    SampleModule sample;
    ModuleSpec spec("sample");
    sample.describe(spec);
    CPPUNIT_ASSERT(undocumentedItems(spec).empty());
  }

  void emptyHelpsAndAMissingSummaryAreReported() {
    std::int64_t value = 0;
    StatCounter counter;
    ModuleSpec spec("bare");
    spec.param("p", &value, IntRange{0, 1});
    spec.command("c", {}, kRequestRoute, noBind());
    spec.mi("m", {MiParamSpec::str("x")}, "", noHandler());
    spec.stat("s", &counter);
    std::vector<std::string> items = undocumentedItems(spec);
    std::string all;
    for (const std::string& i : items) all += i + "\n";
    CPPUNIT_ASSERT_EQUAL_MESSAGE(all, std::size_t(6), items.size());
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, "module 'bare' has no summary"));
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, "module 'bare': parameter 'p' has no help"));
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, "module 'bare': script command 'c' has no help"));
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, "module 'bare': MI command 'm' has no help"));
    CPPUNIT_ASSERT_MESSAGE(all,
                           contains(all, "module 'bare': MI command 'm': param 'x' has no help"));
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, "module 'bare': statistic 's' has no help"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ModuleDocTest);

}  // namespace sipline
