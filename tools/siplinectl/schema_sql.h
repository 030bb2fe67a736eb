// The schema files of scripts/sql/ as data: which tables, their versions, columns and indexes,
// and the statements that create them. siplinectl embeds the files at build time (see
// embedded_schema.h) and reads everything it expects from them, so the SQL is the one place the
// layout is written down. The parser understands the restricted shape scripts/sql/README.md
// describes (one CREATE TABLE per file; the lexical rules are sql_lex.h's); anything else is an
// error naming FILE:LINE. Process-private values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "tools/siplinectl/sql_lex.h"

namespace sipline::ctl {

struct ColumnDef {
  std::string name;
  std::string type;  // as PostgreSQL's format_type() prints it, e.g. "character varying(64)"
  bool not_null = false;
};

struct IndexDef {
  std::vector<std::string> columns;  // in index order
  bool unique = false;
  bool primary = false;
};

struct TableDef {
  std::string file;  // "location.sql"
  std::string name;  // "location"
  int version = 0;
  std::vector<ColumnDef> columns;        // in table order
  std::vector<IndexDef> indexes;         // primary key, UNIQUE constraints, CREATE INDEX
  std::vector<SqlStatement> statements;  // every statement of the file, in order

  const ColumnDef* findColumn(std::string_view column) const;
};

// One schema file as embedded or read from disk.
struct SqlFile {
  std::string name;  // "location.sql"
  std::string text;
};

// Parses one file: exactly one CREATE TABLE named after the file, one
// INSERT INTO version (table_name, table_version) VALUES ('<table>', N) with N > 0, and any
// CREATE [UNIQUE] INDEX ... ON <table> (columns). Other statements are kept (db init runs them)
// but not interpreted.
Result<TableDef> parseSchemaFile(const SqlFile& file);

// Parses every file and orders the tables for creation: "version" first (it must be there, with
// columns table_name and table_version), then the others by name. Table names are unique.
Result<std::vector<TableDef>> parseSchema(const std::vector<SqlFile>& files);

}  // namespace sipline::ctl
