// Which database siplinectl talks to, and where that came from (for messages): --db-url, else
// $SIPLINE_DB_URL, else the settings file the server reads, whose module groups hold db_url
// parameters (usrloc, auth_db, ...). Reading the settings runs the server's own loader
// (loadSettings), so a broken file gets the same FILE:LINE message as `sipline -c`.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/config/settings.h"
#include "tools/siplinectl/cli.h"

namespace sipline::ctl {

struct DbTarget {
  std::string url;
  std::string source;                 // "--db-url", "SIPLINE_DB_URL", "FILE:LINE (usrloc db_url)"
  std::vector<std::string> warnings;  // e.g. two modules name different databases
};

// The db_url of the first module group that sets one (file order). When other modules set a
// different URL, a warning names them. kNotFound when no module sets db_url;
// kInvalidArgument ("FILE:LINE: ...") when a db_url is not a non-empty string.
Result<DbTarget> dbTargetFromSettings(const Settings& settings);

// The resolution order above. `env_url` is getenv(SIPLINE_DB_URL) (nullptr or "" = unset).
// Errors: the settings loader's (kInvalidArgument, "FILE: cannot be read: ..." included) or
// dbTargetFromSettings()'s, with a hint to use --db-url.
Result<DbTarget> resolveDbTarget(const Invocation& inv, const char* env_url);

}  // namespace sipline::ctl
