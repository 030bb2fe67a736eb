#include "tools/siplinectl/schema_sql.h"

#include <algorithm>

#include "core/base/strings.h"
#include "tools/siplinectl/sql_lex.h"

namespace sipline::ctl {

namespace {

Status errorAt(std::string_view file, int line, const std::string& message) {
  return Status::invalidArgument(std::string(file) + ":" + std::to_string(line) + ": " + message);
}

// A cursor over one statement's tokens; errors name the statement's line.
class Cursor {
 public:
  Cursor(std::vector<Token> tokens, std::string_view file, int line)
      : tokens_(std::move(tokens)), file_(file), line_(line) {}

  // A cursor over some of this statement's tokens (an item of a list), for its errors' line.
  Cursor sub(std::vector<Token> tokens) const { return Cursor(std::move(tokens), file_, line_); }
  bool atEnd() const { return pos_ >= tokens_.size(); }
  const Token& peek(std::size_t ahead = 0) const {
    static const Token kEnd{Token::kPunct, ""};
    return pos_ + ahead < tokens_.size() ? tokens_[pos_ + ahead] : kEnd;
  }
  void skip(std::size_t n = 1) { pos_ += n; }
  bool accept(std::string_view keyword) {
    if (!isKeyword(peek(), keyword)) return false;
    ++pos_;
    return true;
  }
  bool acceptPunct(char c) {
    if (!isPunct(peek(), c)) return false;
    ++pos_;
    return true;
  }
  Status error(const std::string& message) const { return errorAt(file_, line_, message); }
  Status expected(std::string_view what) const {
    return error("expected " + std::string(what) +
                 (atEnd() ? " at the end of the statement" : ", found '" + peek().text + "'"));
  }
  Result<std::string> name(std::string_view what) {
    if (!isName(peek())) return expected(what);
    std::string n = peek().text;
    ++pos_;
    if (isPunct(peek(), '.'))
      return error("schema-qualified names are not supported ('" + n + ".')");
    return n;
  }
  // "( a, b, c )"
  Result<std::vector<std::string>> nameList(std::string_view what) {
    if (!acceptPunct('(')) return expected("'(' before the " + std::string(what));
    std::vector<std::string> names;
    do {
      Result<std::string> n = name(what);
      if (!n.isOk()) return n.status();
      names.push_back(std::move(n).value());
    } while (acceptPunct(','));
    if (!acceptPunct(')')) return expected("',' or ')' in the " + std::string(what));
    return names;
  }
  // Skips one token, or a whole parenthesised group.
  Status skipGroup() {
    int depth = 0;
    do {
      if (atEnd()) return error("unbalanced parentheses");
      if (isPunct(peek(), '(')) ++depth;
      if (isPunct(peek(), ')')) --depth;
      ++pos_;
    } while (depth > 0);
    return Status::ok();
  }

 private:
  std::vector<Token> tokens_;
  std::string_view file_;
  int line_;
  std::size_t pos_ = 0;
};

// Splits the items of a CREATE TABLE's parenthesised body at top-level commas. The cursor is
// after the opening '('; on return it is after the closing ')'.
Result<std::vector<std::vector<Token>>> tableItems(Cursor& c) {
  std::vector<std::vector<Token>> items(1);
  int depth = 0;
  while (true) {
    if (c.atEnd()) return c.error("the column list of CREATE TABLE is not closed");
    const Token& t = c.peek();
    if (isPunct(t, ')') && depth == 0) break;
    if (isPunct(t, ',') && depth == 0) {
      items.emplace_back();
    } else {
      if (isPunct(t, '(')) ++depth;
      if (isPunct(t, ')')) --depth;
      items.back().push_back(t);
    }
    c.skip();
  }
  c.skip();
  for (const auto& item : items) {
    if (item.empty()) return c.error("empty item in the column list of CREATE TABLE");
  }
  return items;
}

bool isColumnConstraintStart(const Token& t) {
  static const char* const kWords[] = {"not",   "null",       "default",    "primary", "unique",
                                       "check", "constraint", "references", "collate", "generated"};
  if (t.kind != Token::kWord) return false;
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](const char* w) { return t.text == w; });
}

bool isSerial(std::string_view raw_type) {
  return raw_type == "serial" || raw_type == "serial4" || raw_type == "bigserial" ||
         raw_type == "serial8" || raw_type == "smallserial" || raw_type == "serial2";
}

struct TableParts {
  std::string name;
  std::vector<ColumnDef> columns;
  std::vector<IndexDef> indexes;
};

Status parseColumn(Cursor& c, TableParts& table) {
  ColumnDef col;
  Result<std::string> name = c.name("a column name");
  if (!name.isOk()) return name.status();
  col.name = std::move(name).value();
  std::string raw;
  int depth = 0;
  while (!c.atEnd() && (depth > 0 || !isColumnConstraintStart(c.peek()))) {
    const Token& t = c.peek();
    if (isPunct(t, '(')) ++depth;
    if (isPunct(t, ')')) --depth;
    const bool glue =
        t.kind == Token::kPunct || raw.empty() || raw.back() == '(' || raw.back() == ',';
    if (!glue) raw += ' ';
    raw += t.text;
    c.skip();
  }
  if (raw.empty()) return c.error("column '" + col.name + "' has no type");
  col.type = normalizeType(raw);
  col.not_null = isSerial(raw);
  while (!c.atEnd()) {
    if (c.accept("not")) {
      if (!c.accept("null")) return c.expected("NULL after NOT");
      col.not_null = true;
    } else if (c.accept("null")) {
    } else if (c.accept("default")) {
      // The expression runs to the next constraint keyword (its first token may be NULL).
      do {
        Status st = c.skipGroup();
        if (!st.isOk()) return st;
      } while (!c.atEnd() && !isColumnConstraintStart(c.peek()));
    } else if (c.accept("primary")) {
      if (!c.accept("key")) return c.expected("KEY after PRIMARY");
      col.not_null = true;
      table.indexes.push_back({{col.name}, true, true});
    } else if (c.accept("unique")) {
      table.indexes.push_back({{col.name}, true, false});
    } else if (c.accept("constraint")) {
      Result<std::string> n = c.name("a constraint name");
      if (!n.isOk()) return n.status();
    } else if (c.accept("check")) {
      Status st = c.skipGroup();
      if (!st.isOk()) return st;
    } else {
      return c.error("column '" + col.name + "': '" + c.peek().text +
                     "' is not supported by siplinectl's schema reader (scripts/sql/README.md)");
    }
  }
  table.columns.push_back(std::move(col));
  return Status::ok();
}

Status parseTableConstraint(Cursor& c, TableParts& table) {
  if (c.accept("constraint")) {
    Result<std::string> n = c.name("a constraint name");
    if (!n.isOk()) return n.status();
  }
  IndexDef index;
  if (c.accept("unique")) {
    index.unique = true;
  } else if (c.accept("primary")) {
    if (!c.accept("key")) return c.expected("KEY after PRIMARY");
    index.unique = index.primary = true;
  } else if (c.accept("check")) {
    return c.skipGroup();
  } else {
    return c.error("table constraint '" + c.peek().text +
                   "' is not supported by siplinectl's schema reader (scripts/sql/README.md)");
  }
  Result<std::vector<std::string>> cols = c.nameList("key columns");
  if (!cols.isOk()) return cols.status();
  index.columns = std::move(cols).value();
  if (!c.atEnd()) return c.error("unexpected '" + c.peek().text + "' after the key columns");
  table.indexes.push_back(std::move(index));
  return Status::ok();
}

// After "CREATE TABLE".
Result<TableParts> parseCreateTable(Cursor& c) {
  TableParts table;
  if (c.accept("if")) {
    if (!c.accept("not") || !c.accept("exists")) return c.expected("IF NOT EXISTS");
  }
  Result<std::string> name = c.name("a table name");
  if (!name.isOk()) return name.status();
  table.name = std::move(name).value();
  if (!c.acceptPunct('(')) return c.expected("'(' after the table name");
  Result<std::vector<std::vector<Token>>> items = tableItems(c);
  if (!items.isOk()) return items.status();
  if (!c.atEnd()) return c.error("unexpected '" + c.peek().text + "' after the column list");
  for (auto& item : items.value()) {
    const Token& first = item.front();
    const bool constraint =
        isKeyword(first, "constraint") || isKeyword(first, "unique") || isKeyword(first, "check") ||
        isKeyword(first, "foreign") || isKeyword(first, "exclude") ||
        (isKeyword(first, "primary") && item.size() > 1 && isKeyword(item[1], "key"));
    Cursor ic = c.sub(std::move(item));
    Status st = constraint ? parseTableConstraint(ic, table) : parseColumn(ic, table);
    if (!st.isOk()) return st;
  }
  for (const IndexDef& index : table.indexes) {
    for (const std::string& col : index.columns) {
      auto it = std::find_if(table.columns.begin(), table.columns.end(),
                             [&](const ColumnDef& d) { return d.name == col; });
      if (it == table.columns.end()) return c.error("key column '" + col + "' is not a column");
      if (index.primary) it->not_null = true;
    }
  }
  return table;
}

// After "CREATE [UNIQUE] INDEX"; returns the table it is on.
Result<std::string> parseCreateIndex(Cursor& c, IndexDef& index) {
  c.accept("concurrently");
  if (c.accept("if")) {
    if (!c.accept("not") || !c.accept("exists")) return c.expected("IF NOT EXISTS");
  }
  if (!c.accept("on")) {
    Result<std::string> name = c.name("an index name");
    if (!name.isOk()) return name.status();
    if (!c.accept("on")) return c.expected("ON after the index name");
  }
  c.accept("only");
  Result<std::string> table = c.name("a table name");
  if (!table.isOk()) return table.status();
  if (c.accept("using")) {
    Result<std::string> method = c.name("an index method");
    if (!method.isOk()) return method.status();
  }
  Result<std::vector<std::string>> cols = c.nameList("index columns (plain column names only)");
  if (!cols.isOk()) return cols.status();
  if (!c.atEnd()) {
    return c.error("unexpected '" + c.peek().text + "' after the index columns (partial and " +
                   "expression indexes are not supported)");
  }
  index.columns = std::move(cols).value();
  return std::move(table).value();
}

// After "INSERT INTO version": (table_name, table_version) VALUES ('name', N).
Status parseVersionRow(Cursor& c, std::string& table, int& version) {
  Result<std::vector<std::string>> cols = c.nameList("column names");
  if (!cols.isOk()) return cols.status();
  if (!c.accept("values")) return c.expected("VALUES");
  if (!c.acceptPunct('(')) return c.expected("'(' after VALUES");
  std::vector<Token> values;
  do {
    if (c.atEnd()) return c.expected("a value");
    values.push_back(c.peek());
    c.skip();
  } while (c.acceptPunct(','));
  if (!c.acceptPunct(')')) return c.expected("')' after the values");
  if (!c.atEnd()) return c.error("one row per INSERT INTO version");
  const std::vector<std::string>& names = cols.value();
  if (names.size() != 2 || values.size() != 2) {
    return c.error("INSERT INTO version needs exactly (table_name, table_version)");
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (names[i] == "table_name" && values[i].kind == Token::kString) {
      table = values[i].text;
    } else if (names[i] == "table_version" && values[i].kind == Token::kNumber) {
      std::int64_t v = 0;
      if (!parseInt(values[i].text, v) || v <= 0 || v > 1000000) {
        return c.error("table_version must be a positive integer, got '" + values[i].text + "'");
      }
      version = static_cast<int>(v);
    } else {
      return c.error("INSERT INTO version needs (table_name, table_version) VALUES ('name', N)");
    }
  }
  return Status::ok();
}

}  // namespace

const ColumnDef* TableDef::findColumn(std::string_view column) const {
  for (const ColumnDef& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

Result<TableDef> parseSchemaFile(const SqlFile& file) {
  Result<std::vector<SqlStatement>> statements = splitStatements(file.name, file.text);
  if (!statements.isOk()) return statements.status();
  TableDef def;
  def.file = file.name;
  def.statements = std::move(statements).value();
  std::vector<std::pair<std::string, IndexDef>> indexes;  // table name, index
  int version_line = 0, table_line = 0;
  std::string version_table;
  for (const SqlStatement& st : def.statements) {
    Cursor c(tokenize(st.text), file.name, st.line);
    if (c.accept("create")) {
      if (c.accept("table")) {
        if (table_line != 0) {
          return errorAt(file.name, st.line,
                         "a second CREATE TABLE (the first is on line " +
                             std::to_string(table_line) + "): one table per file");
        }
        Result<TableParts> table = parseCreateTable(c);
        if (!table.isOk()) return table.status();
        table_line = st.line;
        def.name = table.value().name;
        def.columns = std::move(table.value().columns);
        def.indexes = std::move(table.value().indexes);
        continue;
      }
      IndexDef index;
      index.unique = c.accept("unique");
      if (c.accept("index")) {
        Result<std::string> on = parseCreateIndex(c, index);
        if (!on.isOk()) return on.status();
        indexes.emplace_back(std::move(on).value(), std::move(index));
      }
    } else if (c.accept("insert") && c.accept("into") && isKeyword(c.peek(), "version")) {
      c.skip();
      if (version_line != 0) {
        return errorAt(file.name, st.line,
                       "a second INSERT INTO version (the first is on line " +
                           std::to_string(version_line) + ")");
      }
      Status s = parseVersionRow(c, version_table, def.version);
      if (!s.isOk()) return s;
      version_line = st.line;
    }
  }
  if (table_line == 0) return Status::invalidArgument(file.name + ": no CREATE TABLE");
  if (file.name != def.name + ".sql") {
    return errorAt(file.name, table_line,
                   "the table is '" + def.name + "', so the file must be " + def.name + ".sql");
  }
  if (version_line == 0) {
    return Status::invalidArgument(file.name + ": no INSERT INTO version (table_name, " +
                                   "table_version) VALUES ('" + def.name + "', N)");
  }
  if (version_table != def.name) {
    return errorAt(file.name, version_line,
                   "the version row names '" + version_table + "', not '" + def.name + "'");
  }
  for (auto& [table, index] : indexes) {
    if (table != def.name) {
      return Status::invalidArgument(file.name + ": an index on table '" + table +
                                     "'; each file indexes only its own table");
    }
    for (const std::string& col : index.columns) {
      if (def.findColumn(col) == nullptr) {
        return Status::invalidArgument(file.name + ": index column '" + col +
                                       "' is not a column of " + def.name);
      }
    }
    def.indexes.push_back(std::move(index));
  }
  return def;
}

Result<std::vector<TableDef>> parseSchema(const std::vector<SqlFile>& files) {
  std::vector<TableDef> tables;
  for (const SqlFile& f : files) {
    Result<TableDef> t = parseSchemaFile(f);
    if (!t.isOk()) return t.status();
    for (const TableDef& seen : tables) {
      if (seen.name == t.value().name) {
        return Status::invalidArgument("table '" + seen.name + "' is in two files");
      }
    }
    tables.push_back(std::move(t).value());
  }
  std::sort(tables.begin(), tables.end(), [](const TableDef& a, const TableDef& b) {
    if ((a.name == "version") != (b.name == "version")) return a.name == "version";
    return a.name < b.name;
  });
  if (tables.empty() || tables.front().name != "version") {
    return Status::invalidArgument("the schema has no version.sql");
  }
  const TableDef& version = tables.front();
  if (version.findColumn("table_name") == nullptr ||
      version.findColumn("table_version") == nullptr) {
    return Status::invalidArgument(
        "version.sql: table version needs the columns table_name and table_version");
  }
  return tables;
}

}  // namespace sipline::ctl
