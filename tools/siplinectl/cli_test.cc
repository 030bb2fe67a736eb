#include "tools/siplinectl/cli.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline::ctl {
namespace {

Invocation parsed(const std::vector<std::string>& args) {
  Result<Invocation> r = parseArgs(args);
  CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
  return r.value();
}

std::string usageError(const std::vector<std::string>& args) {
  Result<Invocation> r = parseArgs(args);
  CPPUNIT_ASSERT_MESSAGE("expected a usage error", !r.isOk());
  CPPUNIT_ASSERT(r.status().code() == Code::kInvalidArgument);
  return r.status().message();
}

}  // namespace

class CliTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CliTest);
  CPPUNIT_TEST(parsesDbCommandsWithDefaults);
  CPPUNIT_TEST(optionsMayComeAnywhere);
  CPPUNIT_TEST(optionValuesInEveryForm);
  CPPUNIT_TEST(helpAndVersionForms);
  CPPUNIT_TEST(unknownWordsSuggestTheClosest);
  CPPUNIT_TEST(missingAndExtraArgumentsAreUsageErrors);
  CPPUNIT_TEST(doubleDashEndsOptions);
  CPPUNIT_TEST(usageFollowsTheCommandGroup);
  CPPUNIT_TEST(helpTextsNameCommandsAndExitCodes);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesDbCommandsWithDefaults() {
    Invocation init = parsed({"db", "init"});
    CPPUNIT_ASSERT(init.command == Command::kDbInit);
    CPPUNIT_ASSERT_EQUAL(std::string("/etc/sipline/sipline.cfg"), init.settings_file);
    CPPUNIT_ASSERT(!init.settings_given && !init.json && init.db_url.empty());
    CPPUNIT_ASSERT_EQUAL(0, init.verbosity);
    CPPUNIT_ASSERT(parsed({"db", "check"}).command == Command::kDbCheck);
  }

  void optionsMayComeAnywhere() {
    Invocation a = parsed({"--json", "db", "-f", "/x/s.cfg", "check", "-v"});
    CPPUNIT_ASSERT(a.command == Command::kDbCheck);
    CPPUNIT_ASSERT(a.json);
    CPPUNIT_ASSERT_EQUAL(std::string("/x/s.cfg"), a.settings_file);
    CPPUNIT_ASSERT(a.settings_given);
    CPPUNIT_ASSERT_EQUAL(1, a.verbosity);
    CPPUNIT_ASSERT_EQUAL(3, parsed({"-vv", "db", "init", "--verbose"}).verbosity);
  }

  void optionValuesInEveryForm() {
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://h/d"),
                         parsed({"db", "check", "--db-url", "postgres://h/d"}).db_url);
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://h/d?x=1"),
                         parsed({"--db-url=postgres://h/d?x=1", "db", "check"}).db_url);
    CPPUNIT_ASSERT_EQUAL(std::string("a.cfg"), parsed({"-fa.cfg", "db", "check"}).settings_file);
    CPPUNIT_ASSERT_EQUAL(std::string("option --db-url needs a URL"),
                         usageError({"db", "check", "--db-url"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option -f needs a FILE"), usageError({"db", "check", "-f"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option --db-url needs a non-empty value"),
                         usageError({"--db-url=", "db", "check"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option --json takes no value"),
                         usageError({"--json=yes", "db", "check"}));
  }

  void helpAndVersionForms() {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"help"}, {"help", "--json"}}) {
      Invocation inv = parsed(args);
      CPPUNIT_ASSERT(inv.command == Command::kHelp);
      CPPUNIT_ASSERT(inv.help_topic.empty());
    }
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"db", "--help"}, {"help", "db"}, {"db", "init", "--help"}, {"-h", "db", "check"}}) {
      Invocation inv = parsed(args);
      CPPUNIT_ASSERT(inv.command == Command::kHelp);
      CPPUNIT_ASSERT_EQUAL(std::string("db"), inv.help_topic);
    }
    CPPUNIT_ASSERT(parsed({"--version"}).command == Command::kVersion);
    CPPUNIT_ASSERT(parsed({"-V", "db", "check"}).command == Command::kVersion);
    CPPUNIT_ASSERT(parsed({"--version", "--json"}).json);
  }

  void unknownWordsSuggestTheClosest() {
    CPPUNIT_ASSERT_EQUAL(std::string("unknown command 'dv' (did you mean 'db'?)"),
                         usageError({"dv", "init"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown command 'subscriber'"),
                         usageError({"subscriber", "add"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown db command 'int' (did you mean 'init'?)"),
                         usageError({"db", "int"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown db command 'chek' (did you mean 'check'?)"),
                         usageError({"db", "chek"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown db command 'drop'"), usageError({"db", "drop"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown option --jsn (did you mean '--json'?)"),
                         usageError({"db", "check", "--jsn"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown option --dburl (did you mean '--db-url'?)"),
                         usageError({"--dburl", "x", "db", "check"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown option -x"), usageError({"db", "check", "-x"}));
    CPPUNIT_ASSERT_EQUAL(std::string("no help topic 'dc' (did you mean 'db'?)"),
                         usageError({"help", "dc"}));
  }

  void missingAndExtraArgumentsAreUsageErrors() {
    CPPUNIT_ASSERT_EQUAL(std::string("no command given"), usageError({}));
    CPPUNIT_ASSERT_EQUAL(std::string("no command given"), usageError({"--json"}));
    CPPUNIT_ASSERT_EQUAL(std::string("db needs a command: init or check"), usageError({"db"}));
    CPPUNIT_ASSERT_EQUAL(std::string("db init: unexpected argument 'now'"),
                         usageError({"db", "init", "now"}));
    CPPUNIT_ASSERT_EQUAL(std::string("help takes at most one topic"),
                         usageError({"help", "db", "init"}));
  }

  void doubleDashEndsOptions() {
    CPPUNIT_ASSERT_EQUAL(std::string("db check: unexpected argument '--json'"),
                         usageError({"db", "check", "--", "--json"}));
    Invocation inv = parsed({"--json", "--", "db", "check"});
    CPPUNIT_ASSERT(inv.json && inv.command == Command::kDbCheck);
  }

  void usageFollowsTheCommandGroup() {
    CPPUNIT_ASSERT(usageFor({"db", "int"}).find("db check") != std::string::npos);
    CPPUNIT_ASSERT(usageFor({"-f", "db", "x"}).find("COMMAND") != std::string::npos);  // -f's FILE
    CPPUNIT_ASSERT(usageFor({"--json", "db"}).find("db init") != std::string::npos);
    CPPUNIT_ASSERT(usageFor({"help", "db"}).find("db init") != std::string::npos);
    CPPUNIT_ASSERT(usageFor({"zz"}).find("COMMAND") != std::string::npos);
    CPPUNIT_ASSERT(usageFor({}).find("COMMAND") != std::string::npos);
  }

  void helpTextsNameCommandsAndExitCodes() {
    for (const std::string& text : {mainHelp(), groupHelp("db")}) {
      for (const char* part : {"db init", "db check", "--db-url", "SIPLINE_DB_URL", "--json",
                               "3 cannot reach the database", "4 schema mismatch"}) {
        CPPUNIT_ASSERT_MESSAGE(part, text.find(part) != std::string::npos);
      }
    }
    CPPUNIT_ASSERT(groupHelp("nope").empty());
    CPPUNIT_ASSERT(versionText().find("siplinectl " SIPLINE_VERSION) == 0);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CliTest);

}  // namespace sipline::ctl
