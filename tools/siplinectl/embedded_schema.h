// The schema this siplinectl was built with: the files of scripts/sql/, embedded at build time
// (tools/siplinectl/embed-sql writes $(BUILD)/gen/tools/siplinectl/schema_sql.h), so an
// installed siplinectl needs no SQL files beside it.
#pragma once

#include <vector>

#include "core/base/status.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl {

// The embedded files, as they were in scripts/sql/ at build time.
std::vector<SqlFile> embeddedSqlFiles();

// parseSchema(embeddedSqlFiles()). The unit tests parse the same files, so an error here means
// a build from a tree whose tests fail.
Result<std::vector<TableDef>> shippedSchema();

}  // namespace sipline::ctl
