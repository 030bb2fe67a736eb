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
  CPPUNIT_TEST(parsesSubscriberAndDomainCommands);
  CPPUNIT_TEST(commandOptionsOnlyWhereTheyBelong);
  CPPUNIT_TEST(limitIsANumberInRange);
  CPPUNIT_TEST(passwordFromArgumentOrStdinNotBoth);
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
    CPPUNIT_ASSERT_EQUAL(std::string("unknown command 'subscribe' (did you mean 'subscriber'?)"),
                         usageError({"subscribe", "add"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown subscriber command 'paswd' (did you mean "
                                     "'passwd'?)"),
                         usageError({"subscriber", "paswd", "a@b.c"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown option --show-hash (did you mean '--show-hashes'?)"),
                         usageError({"subscriber", "show", "a@b.c", "--show-hash"}));
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
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber needs a command: add, passwd, rm, show or list"),
                         usageError({"subscriber"}));
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber add needs USER@DOMAIN [PASSWORD]"),
                         usageError({"subscriber", "add"}));
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber rm: unexpected argument 'x'"),
                         usageError({"subscriber", "rm", "a@b.c", "x"}));
    CPPUNIT_ASSERT_EQUAL(std::string("domain list: unexpected argument 'b.c'"),
                         usageError({"domain", "list", "b.c"}));
    CPPUNIT_ASSERT_EQUAL(std::string("domain rm needs DOMAIN"), usageError({"domain", "rm"}));
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
    for (const std::string& text : {mainHelp(), groupHelp("subscriber")}) {
      for (const char* part :
           {"subscriber add USER@DOMAIN [PASSWORD]", "subscriber passwd USER@DOMAIN [PASSWORD]",
            "subscriber rm USER@DOMAIN", "subscriber show USER@DOMAIN", "subscriber list [DOMAIN]",
            "--stdin", "--store-password", "--email ADDRESS", "--show-hashes", "--limit N",
            "--mi-socket PATH", "6 already exists", "7 not found", "8 unknown domain"}) {
        CPPUNIT_ASSERT_MESSAGE(part, text.find(part) != std::string::npos);
      }
    }
    for (const std::string& text : {mainHelp(), groupHelp("domain")}) {
      for (const char* part : {"domain add DOMAIN", "domain rm DOMAIN", "domain list",
                               "9 the domain still has subscribers"}) {
        CPPUNIT_ASSERT_MESSAGE(part, text.find(part) != std::string::npos);
      }
    }
    // The group's command lines are the main help's, word for word.
    const std::string sub = groupHelp("subscriber");
    const std::size_t from = sub.find("  subscriber add USER@DOMAIN");
    const std::size_t to = sub.find("\n\n", from);
    CPPUNIT_ASSERT(from != std::string::npos && to != std::string::npos);
    CPPUNIT_ASSERT(mainHelp().find(sub.substr(from, to - from)) != std::string::npos);
    CPPUNIT_ASSERT(groupHelp("nope").empty());
    CPPUNIT_ASSERT(versionText().find("siplinectl " SIPLINE_VERSION) == 0);
  }

  void parsesSubscriberAndDomainCommands() {
    Invocation add = parsed({"subscriber", "add", "alice@example.com", "s3cret", "--email",
                             "a@example.com", "--store-password", "--force", "--json"});
    CPPUNIT_ASSERT(add.command == Command::kSubscriberAdd);
    CPPUNIT_ASSERT((add.operands == std::vector<std::string>{"alice@example.com", "s3cret"}));
    CPPUNIT_ASSERT(add.email_given && add.email == "a@example.com");
    CPPUNIT_ASSERT(add.store_password && add.force && add.json && !add.password_stdin);
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber add"), std::string(commandName(add.command)));
    CPPUNIT_ASSERT(parsed({"subscriber", "passwd", "a@b.c", "--stdin"}).password_stdin);
    CPPUNIT_ASSERT(parsed({"subscriber", "rm", "a@b.c", "--mi-socket=/x.sock"}).mi_socket ==
                   "/x.sock");
    CPPUNIT_ASSERT(parsed({"subscriber", "show", "a@b.c", "--show-hashes"}).show_hashes);
    Invocation list = parsed({"subscriber", "list"});
    CPPUNIT_ASSERT(list.command == Command::kSubscriberList && list.operands.empty());
    CPPUNIT_ASSERT_EQUAL(kDefaultListLimit, list.limit);
    CPPUNIT_ASSERT(parsed({"subscriber", "list", "b.c"}).operands.size() == 1);
    CPPUNIT_ASSERT(parsed({"domain", "add", "b.c"}).command == Command::kDomainAdd);
    CPPUNIT_ASSERT(parsed({"domain", "rm", "b.c", "--force"}).force);
    CPPUNIT_ASSERT(parsed({"domain", "list", "--limit", "5"}).limit == 5);
    // A password that starts with '-' comes after "--".
    CPPUNIT_ASSERT(parsed({"subscriber", "add", "a@b.c", "--", "-x-"}).operands[1] == "-x-");
    // --help anywhere shows the group's help.
    Invocation help = parsed({"subscriber", "add", "--help"});
    CPPUNIT_ASSERT(help.command == Command::kHelp && help.help_topic == "subscriber");
    CPPUNIT_ASSERT(parsed({"help", "domain"}).help_topic == "domain");
  }

  void commandOptionsOnlyWhereTheyBelong() {
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber rm takes no option --email"),
                         usageError({"subscriber", "rm", "a@b.c", "--email", "x@y.z"}));
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber show takes no option --stdin"),
                         usageError({"subscriber", "show", "a@b.c", "--stdin"}));
    CPPUNIT_ASSERT_EQUAL(std::string("db check takes no option --force"),
                         usageError({"db", "check", "--force"}));
    CPPUNIT_ASSERT_EQUAL(std::string("domain add takes no option --limit"),
                         usageError({"domain", "add", "b.c", "--limit", "3"}));
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber add takes no option --show-hashes"),
                         usageError({"subscriber", "add", "a@b.c", "--show-hashes"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option --email needs an ADDRESS"),
                         usageError({"subscriber", "add", "a@b.c", "--email"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option --mi-socket needs a PATH"),
                         usageError({"subscriber", "rm", "a@b.c", "--mi-socket"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option --force takes no value"),
                         usageError({"domain", "rm", "b.c", "--force=yes"}));
  }

  void limitIsANumberInRange() {
    CPPUNIT_ASSERT_EQUAL(0, parsed({"subscriber", "list", "--limit=0"}).limit);
    CPPUNIT_ASSERT_EQUAL(kMaxListLimit, parsed({"subscriber", "list", "--limit", "1000000"}).limit);
    for (const char* bad : {"-1", "x", "1000001", "12345678", "1e3"}) {
      CPPUNIT_ASSERT_MESSAGE(bad,
                             usageError({"subscriber", "list", std::string("--limit=") + bad})
                                     .find("--limit needs a number from 0 (all) to 1000000") == 0);
    }
  }

  void passwordFromArgumentOrStdinNotBoth() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("subscriber add: give the password as an argument or with --stdin, not both"),
        usageError({"subscriber", "add", "a@b.c", "pw", "--stdin"}));
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber passwd: unexpected argument 'more'"),
                         usageError({"subscriber", "passwd", "a@b.c", "pw", "more"}));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CliTest);

}  // namespace sipline::ctl
