// How siplinectl prints results: human text by default, one JSON object with --json (the
// architecture's rule for every command). Text goes to the given stream; nothing here decides
// exit codes.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/mi/json.h"
#include "tools/siplinectl/db_check.h"
#include "tools/siplinectl/db_init.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl {

// Where the command ran: the URL without its password and where it came from.
struct TargetInfo {
  std::string url_text;  // postgres://user:***@host:port/db
  std::string source;    // "--db-url", "SIPLINE_DB_URL", "FILE:LINE (usrloc db_url)"
  std::vector<std::string> warnings;
};

void printCheckText(const CheckReport& report, const TargetInfo& target, std::ostream& out);
Json checkJson(const CheckReport& report, const TargetInfo& target);

void printInitText(const InitReport& report, const std::vector<TableDef>& schema,
                   const TargetInfo& target, std::ostream& out);
Json initJson(const InitReport& report, const std::vector<TableDef>& schema,
              const TargetInfo& target);

// {"command": ..., "ok": false, "exit": N, "error": message}
Json errorJson(const std::string& command, int exit_code, const std::string& message);

// The version line(s) and the table versions of the embedded schema.
void printVersionText(const std::vector<TableDef>& schema, std::ostream& out);
Json versionJson(const std::vector<TableDef>& schema);

}  // namespace sipline::ctl
