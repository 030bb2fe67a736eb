#include "modules/dialog/dlg_db.h"

#include <vector>

namespace sipline::dialog {
namespace {

// The written columns, in the order of the upsert's parameters.
const char* const kColumns[] = {
    "id",
    "state",
    "flags",
    "code",
    "reason",
    "callid",
    "from_uri",
    "from_tag",
    "to_uri",
    "to_tag",
    "ruri",
    "caller_contact",
    "callee_contact",
    "caller_route_set",
    "callee_route_set",
    "caller_cseq",
    "callee_cseq",
    "start_time",
    "answer_time",
    "timeout",
    "lifetime",
    "profiles",
    "vars",
    "watchers",
};
constexpr std::size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);

std::string columnList() {
  std::string out;
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    if (i != 0) out += ", ";
    out += kColumns[i];
  }
  return out;
}

}  // namespace

Status DialogSql::checkTableName(const std::string& name) {
  if (name.empty() || name.size() > 63) {
    return Status::invalidArgument("dialog: table name must be 1..63 characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return Status::invalidArgument("dialog: table \"" + name +
                                     "\" is not a plain name ([a-z0-9_])");
    }
  }
  return Status::ok();
}

db::TableSpec DialogSql::spec() const {
  db::TableSpec s;
  s.table = table_;
  s.version = kTableVersion;
  for (const char* c : kColumns) s.columns.emplace_back(c);
  return s;
}

Status DialogSql::upsert(db::Connection& conn, const DialogInfo& d) const {
  std::string sql = "INSERT INTO " + table_ + " (" + columnList() + ") VALUES (";
  for (std::size_t i = 1; i <= kColumnCount; ++i) {
    if (i != 1) sql += ", ";
    sql += "$" + std::to_string(i);
  }
  sql += ") ON CONFLICT (id) DO UPDATE SET ";
  for (std::size_t i = 1; i < kColumnCount; ++i) {
    if (i != 1) sql += ", ";
    sql += std::string(kColumns[i]) + " = EXCLUDED." + kColumns[i];
  }
  std::vector<db::Param> p = {
      static_cast<std::int64_t>(d.id),
      static_cast<std::int64_t>(d.state),
      static_cast<std::int64_t>(d.flags),
      static_cast<std::int64_t>(d.code),
      d.reason,
      d.call_id,
      d.from_uri,
      d.from_tag,
      d.to_uri,
      d.to_tag,
      d.ruri,
      d.caller_contact,
      d.callee_contact,
      d.caller_route,
      d.callee_route,
      static_cast<std::int64_t>(d.caller_cseq),
      static_cast<std::int64_t>(d.callee_cseq),
      d.created_ms,
      d.answered_ms,
      d.timeout_at_ms,
      d.timeout_s,
      d.profiles,
      d.values,
      d.watchers,
  };
  Result<std::int64_t> r = conn.exec(sql, p);
  return r.isOk() ? Status::ok() : r.status();
}

Status DialogSql::remove(db::Connection& conn, std::uint64_t id) const {
  Result<std::int64_t> r = conn.exec("DELETE FROM " + table_ + " WHERE id = $1",
                                     {db::Param(static_cast<std::int64_t>(id))});
  return r.isOk() ? Status::ok() : r.status();
}

Status DialogSql::loadAll(db::Connection& conn, const std::function<void(DialogInfo&)>& fn,
                          std::uint64_t& bad) const {
  Result<db::Rows> r = conn.query("SELECT " + columnList() + " FROM " + table_ + " ORDER BY id");
  if (!r.isOk()) return r.status();
  const db::Rows& rows = r.value();
  for (std::size_t row = 0; row < rows.size(); ++row) {
    std::int64_t n[kColumnCount] = {};
    std::string s[kColumnCount];
    bool ok = true;
    for (std::size_t c = 0; c < kColumnCount; ++c) {
      auto col = static_cast<int>(c);
      std::optional<std::string_view> text = rows.text(row, col);
      if (!text) continue;  // NULL: empty / zero
      s[c] = std::string(*text);
      bool numeric = c <= 3 || (c >= 15 && c <= 20);
      if (numeric && !rows.getInt(row, col, n[c])) ok = false;
    }
    if (!ok || n[0] <= 0 || n[1] < 1 || n[1] > 3) {
      ++bad;
      continue;
    }
    DialogInfo d;
    d.id = static_cast<std::uint64_t>(n[0]);
    d.state = static_cast<State>(n[1]);
    d.flags = static_cast<std::uint8_t>(n[2]);
    d.code = static_cast<std::int32_t>(n[3]);
    d.reason = s[4];
    d.call_id = s[5];
    d.from_uri = s[6];
    d.from_tag = s[7];
    d.to_uri = s[8];
    d.to_tag = s[9];
    d.ruri = s[10];
    d.caller_contact = s[11];
    d.callee_contact = s[12];
    d.caller_route = s[13];
    d.callee_route = s[14];
    d.caller_cseq = static_cast<std::uint32_t>(n[15]);
    d.callee_cseq = static_cast<std::uint32_t>(n[16]);
    d.created_ms = n[17];
    d.answered_ms = n[18];
    d.timeout_at_ms = n[19];
    d.timeout_s = n[20];
    d.profiles = s[21];
    d.values = s[22];
    d.watchers = s[23];
    fn(d);
  }
  return Status::ok();
}

FlushReport flushChanges(db::Connection& conn, const DialogSql& sql, Table& table) {
  FlushReport out;
  for (const Table::Change& c : table.collectChanges()) {
    Status st = c.removed ? sql.remove(conn, c.info.id) : sql.upsert(conn, c.info);
    if (!st.isOk() && st.code() != Code::kUnavailable) {
      // The DB refused this row (a value longer than an older schema's column): it stays
      // marked and is tried again next time, but the other dialogs are written meanwhile.
      ++out.refused;
      if (out.refused == 1) {
        out.refused_status = st.withPrefix("Call-ID " + c.info.call_id);
      }
      continue;
    }
    if (!st.isOk()) {
      out.status = st;
      return out;
    }
    (c.removed ? out.deleted : out.written) += 1;
    // Ended (and freed) while we wrote it: the row we just wrote must go.
    if (!table.settle(c) && !c.removed) {
      st = sql.remove(conn, c.info.id);
      if (!st.isOk()) {
        out.status = st;
        return out;
      }
    }
  }
  return out;
}

}  // namespace sipline::dialog
