// siplinectl's command line: the commands, the options, the help texts and the exit codes.
// parseArgs() turns argv into an Invocation or a usage error (a message for stderr, with a
// "did you mean" hint where a name is close to a known one); it does no I/O. Options may come
// before or after the command words; `--` ends the options.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::ctl {

// The exit status of every command (documented in siplinectl(8)).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,         // settings unreadable, no DB URL, an SQL error, ...
  kExitUsage = 2,           // bad command line
  kExitUnreachable = 3,     // cannot connect to the database
  kExitSchemaMismatch = 4,  // db check found a problem
  kExitSchemaExists = 5,    // db init: tables of the schema already exist; nothing changed
};

inline constexpr char kDefaultSettingsFile[] = "/etc/sipline/sipline.cfg";
inline constexpr char kDbUrlEnv[] = "SIPLINE_DB_URL";

enum class Command { kHelp, kVersion, kDbInit, kDbCheck };

struct Invocation {
  Command command = Command::kHelp;
  std::string help_topic;  // kHelp: "" (everything) or a command group ("db")
  std::string settings_file = kDefaultSettingsFile;
  bool settings_given = false;  // -f was used
  std::string db_url;           // --db-url; "" = not given
  bool json = false;
  int verbosity = 0;  // -v: driver logs at info, -vv: debug
};

// args: argv[1..]. kInvalidArgument carries the message for the user (without "siplinectl: ")
// and usageFor() names the help text to show after it.
Result<Invocation> parseArgs(const std::vector<std::string>& args);

// The full help (`siplinectl --help`, `siplinectl help`).
const std::string& mainHelp();
// Help of a command group ("db"), "" if there is no such group.
std::string groupHelp(std::string_view group);
// The short usage of a group ("db") or of siplinectl (any other word), for usage errors.
std::string shortUsage(std::string_view group);
// The short usage to print after a usage error in the given argv: the group's if argv names
// one.
std::string usageFor(const std::vector<std::string>& args);

// "siplinectl 0.1.0 (rev)" and the build id.
std::string versionText();

}  // namespace sipline::ctl
