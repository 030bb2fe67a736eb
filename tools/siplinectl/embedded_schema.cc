#include "tools/siplinectl/embedded_schema.h"

#include "tools/siplinectl/schema_sql.gen.h"

namespace sipline::ctl {

std::vector<SqlFile> embeddedSqlFiles() {
  std::vector<SqlFile> files;
  for (const generated::EmbeddedSqlFile& f : generated::kSqlFiles) {
    files.push_back({f.name, f.text});
  }
  return files;
}

Result<std::vector<TableDef>> shippedSchema() { return parseSchema(embeddedSqlFiles()); }

}  // namespace sipline::ctl
