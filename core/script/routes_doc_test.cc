// man/sipline.routes.5 against the script engine's own tables: every pseudo-variable
// (pvarSpecs), transformation (transformInfos) and core function (registerCoreCommands) has a
// tagged entry (.TP) in its section of the page, no entry names one the engine does not know,
// and the pseudo-variables with a setter, and only they, are marked "Writable". So neither
// the page nor the engine can gain a name the other does not know.
#include <cppunit/extensions/HelperMacros.h>

#include <cctype>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/script/command_registry.h"
#include "core/script/pvar.h"
#include "core/script/script.h"
#include "core/script/transform.h"
#include "test/test_files.h"

namespace sipline {
namespace {

std::string manPage() {
  return testing::readFile(std::string(SIPLINE_SOURCE_DIR) + "/man/sipline.routes.5");
}

// One tagged paragraph: the line after .TP and the text up to the next paragraph macro.
struct Entry {
  std::string tag;
  std::string body;
};

bool endsParagraph(const std::string& line) {
  for (const char* m : {".TP", ".PP", ".SS ", ".SH ", ".RS", ".RE", ".IP"}) {
    if (line.rfind(m, 0) == 0) return true;
  }
  return false;
}

// The .TP entries of section `name` (from ".SH name" to the next .SH).
std::vector<Entry> entriesOf(const std::string& page, const std::string& name) {
  std::vector<Entry> entries;
  std::istringstream lines(page);
  bool in_section = false;
  bool next_is_tag = false;
  bool in_body = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(".SH ", 0) == 0) in_section = line == ".SH " + name;
    if (!in_section) continue;
    if (next_is_tag) {
      entries.push_back({line, ""});
      next_is_tag = false;
      in_body = true;
      continue;
    }
    if (endsParagraph(line)) in_body = false;
    if (line == ".TP") next_is_tag = true;
    if (in_body) entries.back().body += line + "\n";
  }
  return entries;
}

// A tag line as it reads: without the macro name, font escapes and quotes
// (`.BI $hdr( Name )` -> "$hdr( Name )").
std::string plainText(const std::string& tag) {
  std::string s = tag;
  if (!s.empty() && s[0] == '.') {
    const std::size_t space = s.find(' ');
    s = space == std::string::npos ? "" : s.substr(space + 1);
  }
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 4, "\\(dq") == 0) {
      i += 4;
    } else if (s.compare(i, 2, "\\f") == 0) {
      i += 3;
    } else if (s.compare(i, 2, "\\-") == 0) {
      out += '-';
      i += 2;
    } else if (s[i] == '"') {
      ++i;
    } else {
      out += s[i++];
    }
  }
  return out;
}

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// "$ru", "$hdr(Name)[n]", "$err.class" -> ru, hdr, err.class.
std::set<std::string> pvarNamesIn(const std::string& text) {
  std::set<std::string> names;
  for (std::size_t at = text.find('$'); at != std::string::npos; at = text.find('$', at + 1)) {
    std::size_t end = at + 1;
    while (end < text.size() && (isNameChar(text[end]) || text[end] == '.')) ++end;
    std::string name = text.substr(at + 1, end - at - 1);
    while (!name.empty() && name.back() == '.') name.pop_back();
    if (!name.empty()) names.insert(name);
  }
  return names;
}

// "{s.substr, offset , length }" -> s.substr.
std::set<std::string> transformNamesIn(const std::string& text) {
  std::set<std::string> names;
  for (std::size_t at = text.find('{'); at != std::string::npos; at = text.find('{', at + 1)) {
    std::size_t end = at + 1;
    while (end < text.size() && (isNameChar(text[end]) || text[end] == '.')) ++end;
    if (end > at + 1 && end < text.size() && (text[end] == '}' || text[end] == ',')) {
      names.insert(text.substr(at + 1, end - at - 1));
    }
  }
  return names;
}

// "setflag( n ) , resetflag( n )" -> setflag, resetflag: every name right before a '('.
std::set<std::string> functionNamesIn(const std::string& text) {
  std::set<std::string> names;
  for (std::size_t at = text.find('('); at != std::string::npos; at = text.find('(', at + 1)) {
    std::size_t start = at;
    while (start > 0 && isNameChar(text[start - 1])) --start;
    if (start < at && !std::isdigit(static_cast<unsigned char>(text[start]))) {
      names.insert(text.substr(start, at - start));
    }
  }
  return names;
}

using Extractor = std::set<std::string> (*)(const std::string&);

std::set<std::string> documented(const std::string& page, const std::string& section,
                                 Extractor names_in) {
  std::set<std::string> names;
  for (const Entry& e : entriesOf(page, section)) {
    for (const std::string& n : names_in(plainText(e.tag))) names.insert(n);
  }
  return names;
}

// Pseudo-variables named by an entry whose text says "Writable".
std::set<std::string> documentedWritable(const std::string& page) {
  std::set<std::string> names;
  for (const Entry& e : entriesOf(page, "PSEUDO-VARIABLES")) {
    if (e.body.find("Writable") == std::string::npos) continue;
    for (const std::string& n : pvarNamesIn(plainText(e.tag))) names.insert(n);
  }
  return names;
}

std::set<std::string> registeredPvars() {
  std::set<std::string> names;
  for (const script::PvarSpec& s : script::pvarSpecs()) names.insert(s.name);
  return names;
}

std::set<std::string> registeredTransforms() {
  std::set<std::string> names;
  for (const script::TransformInfo& t : script::transformInfos()) names.insert(t.name);
  return names;
}

// The core's commands, and route(), which the compiler handles itself.
std::set<std::string> coreFunctions() {
  CommandRegistry registry;
  Status st = registerCoreCommands(registry);
  CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  std::set<std::string> names = {"route"};
  for (const std::string& n : registry.names()) names.insert(n);
  return names;
}

// The names of `want` missing from `have`, space-separated ("" when none is).
std::string missingFrom(const std::set<std::string>& want, const std::set<std::string>& have) {
  std::string missing;
  for (const std::string& n : want) {
    if (have.count(n) == 0) missing += " " + n;
  }
  return missing;
}

}  // namespace

class RoutesDocTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RoutesDocTest);
  CPPUNIT_TEST(readsNamesFromTagLinesOnly);
  CPPUNIT_TEST(everyPseudoVariableIsDocumented);
  CPPUNIT_TEST(everyDocumentedPseudoVariableExists);
  CPPUNIT_TEST(writablePseudoVariablesAreMarkedWritable);
  CPPUNIT_TEST(everyTransformationIsDocumented);
  CPPUNIT_TEST(everyDocumentedTransformationExists);
  CPPUNIT_TEST(everyCoreFunctionIsDocumented);
  CPPUNIT_TEST(everyDocumentedCoreFunctionExists);
  CPPUNIT_TEST_SUITE_END();

 public:
  // The reader itself, on a page in the styles man/sipline.routes.5 uses.
  void readsNamesFromTagLinesOnly() {
    const std::string page =
        ".SH PSEUDO-VARIABLES\n"
        "Mentioned only: $nope.\n"
        ".TP\n"
        ".B $ru\\fR, \\fB$rU\n"
        "Writable: a URI.\n"
        ".TP\n"
        ".BI $hdr( Name )\n"
        "Read-only; $avp is not its entry.\n"
        ".TP\n"
        ".B $err.class \", \" $err.info\n"
        ".SH TRANSFORMATIONS\n"
        ".TP\n"
        ".BI {s.substr, offset , length }\n"
        ".TP\n"
        ".B {s.md5}\\fR, \\fB{s.sha256}\n"
        ".SH CORE FUNCTIONS\n"
        "Not an entry: forward().\n"
        ".TP\n"
        ".BI setflag( n ) \", resetflag(\" n )\n"
        ".TP\n"
        ".BI is_method( \"\\(dqM1|M2\\(dq\" )\n"
        ".SH SEE ALSO\n"
        ".TP\n"
        ".B $later\n";
    CPPUNIT_ASSERT(documented(page, "PSEUDO-VARIABLES", pvarNamesIn) ==
                   (std::set<std::string>{"ru", "rU", "hdr", "err.class", "err.info"}));
    CPPUNIT_ASSERT(documentedWritable(page) == (std::set<std::string>{"ru", "rU"}));
    CPPUNIT_ASSERT(documented(page, "TRANSFORMATIONS", transformNamesIn) ==
                   (std::set<std::string>{"s.substr", "s.md5", "s.sha256"}));
    CPPUNIT_ASSERT(documented(page, "CORE FUNCTIONS", functionNamesIn) ==
                   (std::set<std::string>{"setflag", "resetflag", "is_method"}));
  }

  void everyPseudoVariableIsDocumented() {
    const std::set<std::string> doc = documented(manPage(), "PSEUDO-VARIABLES", pvarNamesIn);
    CPPUNIT_ASSERT_MESSAGE("man/sipline.routes.5 has no PSEUDO-VARIABLES entries", !doc.empty());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "pseudo-variables of pvarSpecs() that man/sipline.routes.5 does not document (add a "
        ".TP entry to its PSEUDO-VARIABLES section)",
        std::string(), missingFrom(registeredPvars(), doc));
  }

  void everyDocumentedPseudoVariableExists() {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "PSEUDO-VARIABLES entries of man/sipline.routes.5 that the engine does not know",
        std::string(),
        missingFrom(documented(manPage(), "PSEUDO-VARIABLES", pvarNamesIn), registeredPvars()));
  }

  void writablePseudoVariablesAreMarkedWritable() {
    std::set<std::string> writable;
    for (const script::PvarSpec& s : script::pvarSpecs()) {
      if (s.set != nullptr) writable.insert(s.name);
    }
    const std::set<std::string> marked = documentedWritable(manPage());
    CPPUNIT_ASSERT_EQUAL_MESSAGE("writable pseudo-variables whose entry does not say Writable",
                                 std::string(), missingFrom(writable, marked));
    CPPUNIT_ASSERT_EQUAL_MESSAGE("read-only pseudo-variables whose entry says Writable",
                                 std::string(), missingFrom(marked, writable));
  }

  void everyTransformationIsDocumented() {
    const std::set<std::string> doc = documented(manPage(), "TRANSFORMATIONS", transformNamesIn);
    CPPUNIT_ASSERT_MESSAGE("man/sipline.routes.5 has no TRANSFORMATIONS entries", !doc.empty());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "transformations of transformInfos() that man/sipline.routes.5 does not document (add "
        "a .TP entry to its TRANSFORMATIONS section)",
        std::string(), missingFrom(registeredTransforms(), doc));
  }

  void everyDocumentedTransformationExists() {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "TRANSFORMATIONS entries of man/sipline.routes.5 that the engine does not know",
        std::string(),
        missingFrom(documented(manPage(), "TRANSFORMATIONS", transformNamesIn),
                    registeredTransforms()));
  }

  void everyCoreFunctionIsDocumented() {
    const std::set<std::string> doc = documented(manPage(), "CORE FUNCTIONS", functionNamesIn);
    CPPUNIT_ASSERT_MESSAGE("man/sipline.routes.5 has no CORE FUNCTIONS entries", !doc.empty());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "core functions of registerCoreCommands() that man/sipline.routes.5 does not document "
        "(add a .TP entry to its CORE FUNCTIONS section)",
        std::string(), missingFrom(coreFunctions(), doc));
  }

  void everyDocumentedCoreFunctionExists() {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "CORE FUNCTIONS entries of man/sipline.routes.5 that the core does not register",
        std::string(),
        missingFrom(documented(manPage(), "CORE FUNCTIONS", functionNamesIn), coreFunctions()));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RoutesDocTest);

}  // namespace sipline
