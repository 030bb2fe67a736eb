#include "tools/siplinectl/cli.h"

#include "core/base/strings.h"

namespace sipline::ctl {

namespace {

struct SubCommand {
  const char* group;
  const char* name;
  Command command;
};

// clang-format off
const SubCommand kSubCommands[] = {
    {"db", "init", Command::kDbInit},
    {"db", "check", Command::kDbCheck},
};
// clang-format on

// Candidates for "did you mean" (function statics: nothing runs before main()).
const std::vector<std::string_view>& groups() {
  static const std::vector<std::string_view> names = {"db"};
  return names;
}
const std::vector<std::string_view>& topWords() {
  static const std::vector<std::string_view> names = {"db", "help"};
  return names;
}
const std::vector<std::string_view>& longOptions() {
  static const std::vector<std::string_view> names = {"--db-url", "--json", "--verbose", "--help",
                                                      "--version"};
  return names;
}

const char kOptionsHelp[] =
    "Options (anywhere on the line):\n"
    "  -f FILE        settings file of the server (default /etc/sipline/sipline.cfg)\n"
    "  --db-url URL   the database, postgres://user:pass@host:port/dbname\n"
    "  --json         print one JSON object on standard output instead of text\n"
    "  -v, --verbose  show the database driver's log (-vv: debug)\n"
    "  -h, --help     print help and exit\n"
    "  -V, --version  print the version and the schema's table versions, then exit\n";

const char kDbUrlHelp[] =
    "The database is --db-url URL, else $SIPLINE_DB_URL, else the db_url parameter of the\n"
    "first module group in the settings file that sets one (usrloc, auth_db, ...).\n";

const char kExitHelp[] =
    "Exit status: 0 ok, 1 failure, 2 usage error, 3 cannot reach the database,\n"
    "4 schema mismatch (db check), 5 tables of the schema already exist (db init).\n";

const char kDbCommandsHelp[] =
    "  db init    create every table of the schema, with its indexes and version row, in\n"
    "             one transaction; refuses (exit 5) when any of the tables exists\n"
    "  db check   compare the database with the schema of this siplinectl: each table's\n"
    "             version row, columns, types and keys; one line per table and problem\n";

Status usageError(std::string message) { return Status::invalidArgument(std::move(message)); }

bool takesValue(std::string_view opt) { return opt == "-f" || opt == "--db-url"; }

}  // namespace

const std::string& mainHelp() {
  static const std::string text =
      std::string(
          "Usage: siplinectl [OPTIONS] COMMAND [ARGS]\n"
          "The operator's tool for the Sipline SIP server.\n"
          "\n"
          "Commands:\n") +
      kDbCommandsHelp +
      "  help [db]  this help, or the db commands' help\n"
      "\n" +
      kOptionsHelp + "\n" + kDbUrlHelp + kExitHelp +
      "Subscriber provisioning and the management commands come in later versions.\n"
      "See siplinectl(8).\n";
  return text;
}

std::string groupHelp(std::string_view group) {
  if (group != "db") return "";
  return std::string(
             "Usage: siplinectl [OPTIONS] db init\n"
             "       siplinectl [OPTIONS] db check\n"
             "The PostgreSQL schema: the tables the server's modules use (scripts/sql/ in the\n"
             "source tree; built into siplinectl).\n"
             "\n") +
         kDbCommandsHelp + "\n" + kOptionsHelp + "\n" + kDbUrlHelp + kExitHelp;
}

std::string shortUsage(std::string_view group) {
  if (group == "db") {
    return "Usage: siplinectl [OPTIONS] db init\n"
           "       siplinectl [OPTIONS] db check\n"
           "'siplinectl db --help' explains the commands and the options.\n";
  }
  return "Usage: siplinectl [OPTIONS] COMMAND [ARGS]\n"
         "Commands: db init, db check, help [db]. 'siplinectl --help' explains them and the\n"
         "options.\n";
}

std::string usageFor(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (takesValue(a)) {
      ++i;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') continue;
    if (a == "help" && i + 1 < args.size()) return shortUsage(args[i + 1]);
    return shortUsage(a);
  }
  return shortUsage("");
}

std::string versionText() {
  return std::string("siplinectl ") + SIPLINE_VERSION + " (" + SIPLINE_GIT_REV +
         ")\nbuild: " + SIPLINE_BUILD_ID + "\n";
}

Result<Invocation> parseArgs(const std::vector<std::string>& args) {
  Invocation inv;
  std::vector<std::string> words;
  bool help = false, version = false, options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      words.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    // --name=value for long options that take one.
    std::string name = a, value;
    bool inline_value = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      name = a.substr(0, a.find('='));
      value = a.substr(a.find('=') + 1);
      inline_value = true;
    } else if (a.size() > 2 && a[0] == '-' && a[1] == 'f') {
      name = "-f";  // -fFILE
      value = a.substr(2);
      inline_value = true;
    }
    if (takesValue(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) {
          return usageError("option " + name + " needs " + (name == "-f" ? "a FILE" : "a URL"));
        }
        value = args[++i];
      }
      if (value.empty()) return usageError("option " + name + " needs a non-empty value");
      if (name == "-f") {
        inv.settings_file = value;
        inv.settings_given = true;
      } else {
        inv.db_url = value;
      }
      continue;
    }
    if (inline_value) return usageError("option " + name + " takes no value");
    if (a == "-h" || a == "--help") {
      help = true;
    } else if (a == "-V" || a == "--version") {
      version = true;
    } else if (a == "--json") {
      inv.json = true;
    } else if (a == "-v" || a == "--verbose") {
      ++inv.verbosity;
    } else if (a == "-vv") {
      inv.verbosity += 2;
    } else if (a.rfind("--", 0) == 0) {
      return usageError("unknown option " + a + didYouMean(a, longOptions()));
    } else {
      return usageError("unknown option " + a);
    }
  }

  if (version) {
    inv.command = Command::kVersion;
    return inv;
  }
  if (words.empty()) {
    if (help) return inv;  // kHelp, main help
    return usageError("no command given");
  }
  const std::string& first = words[0];
  if (first == "help") {
    if (words.size() > 2) return usageError("help takes at most one topic");
    if (words.size() == 2) {
      if (groupHelp(words[1]).empty()) {
        return usageError("no help topic '" + words[1] + "'" + didYouMean(words[1], groups()));
      }
      inv.help_topic = words[1];
    }
    return inv;
  }
  if (groupHelp(first).empty()) {
    return usageError("unknown command '" + first + "'" + didYouMean(first, topWords()));
  }
  inv.help_topic = first;
  if (words.size() == 1) {
    if (help) return inv;
    return usageError(first + " needs a command: init or check");
  }
  std::vector<std::string_view> names;
  for (const SubCommand& sc : kSubCommands) {
    if (first != sc.group) continue;
    names.push_back(sc.name);
    if (words[1] == sc.name) inv.command = sc.command;
  }
  if (inv.command == Command::kHelp) {
    return usageError("unknown " + first + " command '" + words[1] + "'" +
                      didYouMean(words[1], names));
  }
  if (words.size() > 2) {
    return usageError(first + " " + words[1] + ": unexpected argument '" + words[2] + "'");
  }
  if (help) inv.command = Command::kHelp;
  return inv;
}

}  // namespace sipline::ctl
