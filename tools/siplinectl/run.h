// siplinectl from argv to exit code: parse the command line, find the database, open the
// connection, run the command, print the result (text or --json), map the outcome to an
// ExitCode (cli.h). Everything the outside world provides comes in through RunContext, so
// the unit tests run whole commands against a fake connection and capture the output.
#pragma once

#include <functional>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/mi_client.h"

namespace sipline::ctl {

using OpenConnection = std::function<Result<std::unique_ptr<db::Connection>>(
    const std::string& url, const db::Options& options)>;

struct RunContext {
  std::ostream& out;
  std::ostream& err;
  const char* env_db_url = nullptr;       // getenv(SIPLINE_DB_URL)
  OpenConnection open;                    // main(): db::openUrl with the linked drivers
  bool init_logging = false;              // main(): route the core log to stderr at -v's level
  std::istream* in = nullptr;             // main(): std::cin, for --stdin
  MiConnect mi_connect;                   // main(): connectMiSocket or connectMiHttp by the target;
                                          // empty = no MI (a note)
  const char* env_mi_url = nullptr;       // getenv(SIPLINE_MI_URL)
  const char* env_mi_password = nullptr;  // getenv(SIPLINE_MI_PASSWORD)
  // The settings file read without -f; nullptr = kDefaultSettingsFile. The unit tests point
  // it at a file that does not exist, so an installed server's settings do not change them.
  const char* default_settings_file = nullptr;
};

// How long siplinectl waits: connecting, and for each statement.
db::Options ctlDbOptions();

// args: argv[1..].
int runCtl(const std::vector<std::string>& args, RunContext& ctx);

}  // namespace sipline::ctl
