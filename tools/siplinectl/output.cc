#include "tools/siplinectl/output.h"

#include <algorithm>

#include "tools/siplinectl/cli.h"

namespace sipline::ctl {

namespace {

void printTarget(const TargetInfo& target, std::ostream& out) {
  out << "database " << target.url_text << " (from " << target.source << ")\n";
}

Json targetJson(const TargetInfo& target) {
  Json j = Json::object();
  j["url"] = target.url_text;
  j["source"] = target.source;
  return j;
}

std::size_t nameWidth(const CheckReport& report) {
  std::size_t w = 0;
  for (const TableCheck& t : report.tables) w = std::max(w, t.table.size());
  return w + 2;
}

std::string padded(const std::string& s, std::size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

}  // namespace

void printCheckText(const CheckReport& report, const TargetInfo& target, std::ostream& out) {
  printTarget(target, out);
  const std::size_t w = nameWidth(report);
  for (const TableCheck& t : report.tables) {
    if (t.ok()) {
      out << padded(t.table, w) << "OK       table_version " << t.expected_version << "\n";
    }
    for (const std::string& p : t.problems) out << padded(t.table, w) << "PROBLEM  " << p << "\n";
    for (const std::string& n : t.notes) out << padded(t.table, w) << "note     " << n << "\n";
  }
  const std::size_t bad = report.tablesWithProblems();
  if (bad == 0) {
    out << "schema OK: " << report.tables.size() << " tables as expected\n";
  } else if (report.noTableExists()) {
    out << "the database has none of the schema's tables: 'siplinectl db init' creates them\n";
  } else {
    out << bad << " of " << report.tables.size() << " tables with problems ("
        << report.problemCount() << (report.problemCount() == 1 ? " problem" : " problems")
        << ")\n";
  }
}

Json checkJson(const CheckReport& report, const TargetInfo& target) {
  Json j = Json::object();
  j["command"] = "db check";
  j["ok"] = report.ok();
  j["database"] = targetJson(target);
  j["warnings"] = target.warnings;
  Json tables = Json::array();
  for (const TableCheck& t : report.tables) {
    Json tj = Json::object();
    tj["table"] = t.table;
    tj["ok"] = t.ok();
    tj["exists"] = t.exists;
    tj["expected_version"] = t.expected_version;
    tj["found_version"] = t.found_version ? Json(*t.found_version) : Json(nullptr);
    tj["problems"] = t.problems;
    tj["notes"] = t.notes;
    tables.push_back(std::move(tj));
  }
  j["tables"] = std::move(tables);
  j["problems"] = report.problemCount();
  return j;
}

void printInitText(const InitReport& report, const std::vector<TableDef>& schema,
                   const TargetInfo& target, std::ostream& out) {
  printTarget(target, out);
  for (const std::string& name : report.created) {
    auto it = std::find_if(schema.begin(), schema.end(),
                           [&](const TableDef& d) { return d.name == name; });
    out << "created table " << name;
    if (it != schema.end()) out << " (table_version " << it->version << ")";
    out << "\n";
  }
  out << "schema created: " << report.created.size() << " tables, " << report.statements
      << " statements, in one transaction\n";
}

Json initJson(const InitReport& report, const std::vector<TableDef>& schema,
              const TargetInfo& target) {
  Json j = Json::object();
  j["command"] = "db init";
  j["ok"] = true;
  j["database"] = targetJson(target);
  j["warnings"] = target.warnings;
  Json created = Json::array();
  for (const std::string& name : report.created) {
    Json t = Json::object();
    t["table"] = name;
    for (const TableDef& d : schema) {
      if (d.name == name) t["table_version"] = d.version;
    }
    created.push_back(std::move(t));
  }
  j["created"] = std::move(created);
  j["statements"] = report.statements;
  return j;
}

Json errorJson(const std::string& command, int exit_code, const std::string& message) {
  Json j = Json::object();
  j["command"] = command;
  j["ok"] = false;
  j["exit"] = exit_code;
  j["error"] = message;
  return j;
}

void printVersionText(const std::vector<TableDef>& schema, std::ostream& out) {
  out << versionText() << "schema:";
  for (const TableDef& t : schema) out << " " << t.name << " " << t.version;
  out << "\n";
}

Json versionJson(const std::vector<TableDef>& schema) {
  Json j = Json::object();
  j["version"] = SIPLINE_VERSION;
  j["revision"] = SIPLINE_GIT_REV;
  j["build"] = SIPLINE_BUILD_ID;
  Json tables = Json::object();
  for (const TableDef& t : schema) tables[t.name] = t.version;
  j["schema"] = std::move(tables);
  return j;
}

}  // namespace sipline::ctl
