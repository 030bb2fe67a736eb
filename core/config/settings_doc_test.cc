// man/sipline.cfg.5 against the settings loader: every key the loader accepts has a tagged
// entry (.TP) in the SETTINGS section, and every tagged entry there names a key the loader
// accepts, so neither the page nor the loader can gain a key the other does not know.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/config/settings.h"
#include "test/test_files.h"

namespace sipline {
namespace {

std::string manPage() {
  return testing::readFile(std::string(SIPLINE_SOURCE_DIR) + "/man/sipline.cfg.5");
}

// The arguments of a macro line (`.BR a ", " b`), with quotes removed.
std::vector<std::string> macroArgs(const std::string& line) {
  std::vector<std::string> args;
  std::size_t i = line.find(' ');
  while (i != std::string::npos && i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    std::string arg;
    if (line[i] == '"') {
      const std::size_t end = line.find('"', i + 1);
      arg = line.substr(i + 1, end == std::string::npos ? end : end - i - 1);
      i = end == std::string::npos ? end : end + 1;
    } else {
      const std::size_t end = line.find(' ', i);
      arg = line.substr(i, end == std::string::npos ? end : end - i);
      i = end;
    }
    args.push_back(arg);
  }
  return args;
}

// The bold words of a tag line: all arguments of .B, the odd ones of .BR, \fB...\fR spans.
std::vector<std::string> boldWords(const std::string& tag) {
  std::vector<std::string> bold;
  if (tag.rfind(".B ", 0) == 0) {
    std::istringstream words(tag.substr(3));
    for (std::string w; words >> w;) bold.push_back(w);
  } else if (tag.rfind(".BR ", 0) == 0) {
    const std::vector<std::string> args = macroArgs(tag);
    for (std::size_t i = 0; i < args.size(); i += 2) bold.push_back(args[i]);
  } else {
    for (std::size_t at = tag.find("\\fB"); at != std::string::npos;
         at = tag.find("\\fB", at + 3)) {
      const std::size_t end = tag.find("\\f", at + 3);
      bold.push_back(tag.substr(at + 3, end == std::string::npos ? end : end - at - 3));
    }
  }
  return bold;
}

bool isKeyLike(const std::string& word) {
  if (word.empty() || word[0] < 'a' || word[0] > 'z') return false;
  return std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

// Key-like bold words of the tag lines (the line after .TP) of the SETTINGS section.
std::set<std::string> documentedKeys(const std::string& page) {
  std::set<std::string> keys;
  std::istringstream lines(page);
  bool in_settings = false;
  bool next_is_tag = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(".SH ", 0) == 0) in_settings = line == ".SH SETTINGS";
    if (!in_settings) continue;
    if (next_is_tag) {
      for (const std::string& w : boldWords(line)) {
        if (isKeyLike(w)) keys.insert(w);
      }
    }
    next_is_tag = line == ".TP";
  }
  return keys;
}

}  // namespace

class SettingsDocTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsDocTest);
  CPPUNIT_TEST(knownKeysIncludeTopLevelAndMiKeys);
  CPPUNIT_TEST(everyKnownKeyIsAcceptedByTheLoader);
  CPPUNIT_TEST(everyKnownKeyIsDocumented);
  CPPUNIT_TEST(everyDocumentedKeyIsKnown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void knownKeysIncludeTopLevelAndMiKeys() {
    const std::vector<std::string> keys = knownSettingKeysForTest();
    for (const char* k : {"socket", "udp_workers", "modules", "defines", "dns_timeout", "mi",
                          "mi.socket", "mi.http_password"}) {
      CPPUNIT_ASSERT_MESSAGE(k, std::find(keys.begin(), keys.end(), k) != keys.end());
    }
  }

  // The list is the loader's: a listed key is never an "unknown setting" (whatever else is
  // wrong with the file).
  void everyKnownKeyIsAcceptedByTheLoader() {
    for (const std::string& key : knownSettingKeysForTest()) {
      const std::size_t dot = key.find('.');
      const std::string text = dot == std::string::npos ? key + " = 0;\n"
                                                        : key.substr(0, dot) + " = { " +
                                                              key.substr(dot + 1) + " = 0; };\n";
      Result<Settings> r = loadSettingsFromString(text, "/nonexistent/sipline.cfg");
      const std::string message = r.isOk() ? "" : r.status().message();
      CPPUNIT_ASSERT_MESSAGE(key + ": " + message,
                             message.find("unknown setting") == std::string::npos);
    }
  }

  void everyKnownKeyIsDocumented() {
    const std::set<std::string> documented = documentedKeys(manPage());
    CPPUNIT_ASSERT_MESSAGE("man/sipline.cfg.5 has no SETTINGS entries", !documented.empty());
    std::string missing;
    for (const std::string& key : knownSettingKeysForTest()) {
      if (documented.count(key) == 0) missing += " " + key;
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "settings the loader accepts but man/sipline.cfg.5 does not document (add a .TP entry "
        "to its SETTINGS section)",
        std::string(), missing);
  }

  void everyDocumentedKeyIsKnown() {
    const std::vector<std::string> keys = knownSettingKeysForTest();
    std::string stale;
    for (const std::string& key : documentedKeys(manPage())) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) stale += " " + key;
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "SETTINGS entries of man/sipline.cfg.5 that the loader does not accept", std::string(),
        stale);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SettingsDocTest);

}  // namespace sipline
