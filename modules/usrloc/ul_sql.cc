#include "modules/usrloc/ul_sql.h"

#include <cmath>

namespace sipline::usrloc {
namespace {

// The written columns, in the order of upsert parameters.
constexpr const char* kColumns[] = {
    "username",   "domain", "contact", "received",      "path",  "expires",
    "q",          "callid", "cseq",    "last_modified", "flags", "cflags",
    "user_agent", "socket", "methods", "sip_instance",  "reg_id"};
constexpr std::size_t kNumColumns = sizeof(kColumns) / sizeof(kColumns[0]);
constexpr std::size_t kLoadPage = 5000;

std::string columnList() {
  std::string out;
  for (const char* c : kColumns) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

db::Param textOrNull(const std::string& s) {
  if (s.empty()) return std::monostate{};
  return s;
}

// Flags and method masks are unsigned bit sets in integer (int4) columns: stored as the int32
// with the same bits.
std::int64_t asInt4(std::uint32_t bits) {
  return static_cast<std::int64_t>(static_cast<std::int32_t>(bits));
}

void appendRow(std::vector<db::Param>& p, const AorParts& parts, const Contact& c) {
  p.emplace_back(std::string(parts.username));
  p.emplace_back(std::string(parts.domain));
  p.emplace_back(c.uri);
  p.push_back(textOrNull(c.received));
  p.push_back(textOrNull(c.path));
  p.emplace_back(static_cast<std::int64_t>(c.expires));
  if (c.q < 0) {
    p.emplace_back(std::monostate{});
  } else {
    p.emplace_back(static_cast<double>(c.q) / 1000.0);
  }
  p.emplace_back(c.callid);
  p.emplace_back(static_cast<std::int64_t>(c.cseq));
  p.emplace_back(static_cast<std::int64_t>(c.last_modified));
  p.emplace_back(asInt4(c.flags & ~kContactMemoryOnly));  // a row is never memory-only
  p.emplace_back(asInt4(c.cflags));
  p.emplace_back(c.user_agent);
  p.push_back(textOrNull(c.socket));
  if (c.methods == 0xffffffffu) {
    p.emplace_back(std::monostate{});
  } else {
    p.emplace_back(asInt4(c.methods));
  }
  p.push_back(textOrNull(c.instance));
  p.emplace_back(static_cast<std::int64_t>(c.reg_id));
}

// Statement sizes: the largest power of two not above what is left (so at most seven texts
// per table are ever prepared).
std::size_t chunkSize(std::size_t left) {
  std::size_t n = kMaxRowsPerStatement;
  while (n > left) n /= 2;
  return n;
}

struct Cols {
  int id, username, domain, contact, received, path, expires, q, callid, cseq, last_modified, flags,
      cflags, user_agent, socket, methods, instance, reg_id;
};

Cols columnsOf(const db::Rows& rows) {
  return Cols{rows.column("contact_id"),    rows.column("username"),
              rows.column("domain"),        rows.column("contact"),
              rows.column("received"),      rows.column("path"),
              rows.column("expires"),       rows.column("q"),
              rows.column("callid"),        rows.column("cseq"),
              rows.column("last_modified"), rows.column("flags"),
              rows.column("cflags"),        rows.column("user_agent"),
              rows.column("socket"),        rows.column("methods"),
              rows.column("sip_instance"),  rows.column("reg_id")};
}

std::string textOf(const db::Rows& rows, std::size_t i, int col) {
  std::optional<std::string_view> t = rows.text(i, col);
  return t.has_value() ? std::string(*t) : std::string();
}

// An optional integer cell: NULL gives `fallback`; false when it is not a number in range.
bool intCell(const db::Rows& rows, std::size_t i, int col, std::int64_t fallback, std::int64_t min,
             std::int64_t max, std::int64_t& out) {
  if (col < 0 || rows.isNull(i, col)) {
    out = fallback;
    return true;
  }
  return rows.getInt(i, col, out) && out >= min && out <= max;
}

}  // namespace

Status checkTableName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 63 && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) ok = false;
  }
  if (ok) return Status::ok();
  return Status::invalidArgument("table name '" + std::string(name) +
                                 "' must be lower-case letters, digits and _ (at most 63, not "
                                 "starting with a digit)");
}

db::TableSpec TableSql::spec() const {
  db::TableSpec s;
  s.table = table_;
  s.version = kTableVersion;
  s.columns.emplace_back("contact_id");
  for (const char* c : kColumns) s.columns.emplace_back(c);
  return s;
}

Result<std::int64_t> TableSql::deleteExpired(db::Connection& conn, std::int64_t now) const {
  return conn.exec("DELETE FROM " + table_ + " WHERE expires <= $1", {db::Param(now)});
}

Result<std::vector<AorContact>> TableSql::rowsToContacts(const db::Rows& rows,
                                                         LoadReport* report) const {
  Cols col = columnsOf(rows);
  if (col.username < 0 || col.contact < 0 || col.expires < 0) {
    return Status::internal("usrloc: the rows of " + table_ + " lack username/contact/expires");
  }
  std::vector<AorContact> out;
  out.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::optional<std::string_view> user = rows.text(i, col.username);
    std::optional<std::string_view> uri = rows.text(i, col.contact);
    std::string domain = textOf(rows, i, col.domain);
    Contact c;
    std::int64_t expires = 0, cseq = 0, last_modified = 0, flags = 0, cflags = 0, methods = 0,
                 reg_id = 0;
    double q = -1;
    bool ok = user.has_value() && !user->empty() && uri.has_value() && !uri->empty() &&
              rows.getInt(i, col.expires, expires) &&
              intCell(rows, i, col.cseq, 0, INT32_MIN, INT32_MAX, cseq) &&
              intCell(rows, i, col.last_modified, 0, INT64_MIN, INT64_MAX, last_modified) &&
              intCell(rows, i, col.flags, 0, INT32_MIN, UINT32_MAX, flags) &&
              intCell(rows, i, col.cflags, 0, INT32_MIN, UINT32_MAX, cflags) &&
              intCell(rows, i, col.methods, -1, INT32_MIN, UINT32_MAX, methods) &&
              intCell(rows, i, col.reg_id, 0, INT32_MIN, INT32_MAX, reg_id);
    if (ok && col.q >= 0 && !rows.isNull(i, col.q)) {
      ok = rows.getDouble(i, col.q, q) && std::isfinite(q);
    }
    if (!ok) {
      if (report != nullptr) ++report->bad_rows;
      continue;
    }
    if (!use_domain_ && !domain.empty()) {
      if (report != nullptr) ++report->foreign_rows;
      continue;
    }
    c.uri = std::string(*uri);
    c.received = textOf(rows, i, col.received);
    c.path = textOf(rows, i, col.path);
    c.callid = textOf(rows, i, col.callid);
    c.user_agent = textOf(rows, i, col.user_agent);
    c.socket = textOf(rows, i, col.socket);
    c.instance = textOf(rows, i, col.instance);
    c.expires = expires;
    c.q = q < 0 ? -1 : static_cast<std::int32_t>(std::lround(std::min(q, 1.0) * 1000));
    c.cseq = static_cast<std::int32_t>(cseq);
    c.last_modified = last_modified;
    // A row is persistent by definition: a stray memory-only bit would keep it out of every
    // later write and leave it in the DB forever.
    c.flags = static_cast<std::uint32_t>(flags) & ~kContactMemoryOnly;
    c.cflags = static_cast<std::uint32_t>(cflags);
    c.methods = static_cast<std::uint32_t>(methods);
    c.reg_id = static_cast<std::int32_t>(reg_id);
    std::string aor(*user);
    if (use_domain_ && !domain.empty()) aor += "@" + domain;
    out.push_back(AorContact{std::move(aor), std::move(c)});
  }
  return out;
}

Status TableSql::loadAll(db::Connection& conn, std::int64_t now,
                         const std::function<Status(const AorContact&)>& fn,
                         LoadReport& report) const {
  std::string sql = "SELECT contact_id, " + columnList() + " FROM " + table_ +
                    " WHERE expires > $1 AND contact_id > $2 ORDER BY contact_id LIMIT " +
                    std::to_string(kLoadPage);
  std::int64_t after = 0;
  while (true) {
    Result<db::Rows> rows = conn.query(sql, {db::Param(now), db::Param(after)});
    if (!rows.isOk()) return rows.status();
    const db::Rows& r = rows.value();
    if (r.empty()) return Status::ok();
    int id_col = r.column("contact_id");
    std::int64_t last = 0;
    if (id_col < 0 || !r.getInt(r.size() - 1, id_col, last) || last <= after) {
      return Status::internal("usrloc: " + table_ + ": contact_id does not increase");
    }
    after = last;
    Result<std::vector<AorContact>> contacts = rowsToContacts(r, &report);
    if (!contacts.isOk()) return contacts.status();
    for (const AorContact& ac : contacts.value()) {
      Status st = fn(ac);
      if (st.isOk()) {
        ++report.loaded;
      } else {
        ++report.rejected_rows;
      }
    }
    if (r.size() < kLoadPage) return Status::ok();
  }
}

Result<std::vector<Contact>> TableSql::selectAor(db::Connection& conn, std::string_view aor,
                                                 std::int64_t unexpired_at, bool for_update) const {
  AorParts parts = splitAor(aor, use_domain_);
  std::string sql =
      "SELECT " + columnList() + " FROM " + table_ + " WHERE username = $1 AND domain = $2";
  std::vector<db::Param> params{std::string(parts.username), std::string(parts.domain)};
  if (unexpired_at > 0) {
    sql += " AND expires > $3";
    params.emplace_back(unexpired_at);
  }
  sql += for_update ? " ORDER BY contact_id FOR UPDATE" : " ORDER BY contact_id";
  Result<db::Rows> rows = conn.query(sql, params);
  if (!rows.isOk()) return rows.status();
  Result<std::vector<AorContact>> all = rowsToContacts(rows.value(), nullptr);
  if (!all.isOk()) return all.status();
  std::vector<Contact> out;
  for (AorContact& ac : all.value()) out.push_back(std::move(ac.contact));
  return out;
}

Status TableSql::lockAor(db::Connection& conn, std::string_view aor) const {
  // One 64-bit key space for every table: a collision only makes two AORs take turns.
  Result<db::Rows> r = conn.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                  {db::Param(table_ + ":" + std::string(aor))});
  return r.status();
}

Result<std::vector<AorContact>> TableSql::selectAll(db::Connection& conn, std::int64_t now) const {
  Result<db::Rows> rows =
      conn.query("SELECT " + columnList() + " FROM " + table_ +
                     " WHERE expires > $1 ORDER BY username, domain, contact_id",
                 {db::Param(now)});
  if (!rows.isOk()) return rows.status();
  return rowsToContacts(rows.value(), nullptr);
}

std::string TableSql::upsertSql(std::size_t rows) const {
  std::string sql = "INSERT INTO " + table_ + " (" + columnList() + ") VALUES ";
  std::size_t n = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < kNumColumns; ++c) {
      if (c != 0) sql += ", ";
      sql += "$" + std::to_string(n++);
    }
    sql += ")";
  }
  sql += " ON CONFLICT (username, domain, contact) DO UPDATE SET ";
  for (std::size_t c = 3; c < kNumColumns; ++c) {
    if (c != 3) sql += ", ";
    sql += std::string(kColumns[c]) + " = EXCLUDED." + kColumns[c];
  }
  return sql;
}

std::string TableSql::deleteSql(std::size_t rows) const {
  std::string sql = "DELETE FROM " + table_ + " WHERE (username, domain, contact) IN (";
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t b = r * 3;
    if (r != 0) sql += ", ";
    sql += "($" + std::to_string(b + 1) + ", $" + std::to_string(b + 2) + ", $" +
           std::to_string(b + 3) + ")";
  }
  return sql + ")";
}

Status TableSql::upsert(db::Connection& conn, const std::vector<AorContact>& rows) const {
  std::size_t done = 0;
  std::vector<db::Param> params;
  while (done < rows.size()) {
    std::size_t n = chunkSize(rows.size() - done);
    params.clear();
    for (std::size_t i = done; i < done + n; ++i) {
      appendRow(params, splitAor(rows[i].aor, use_domain_), rows[i].contact);
    }
    Result<std::int64_t> r = conn.exec(upsertSql(n), params);
    if (!r.isOk()) return r.status();
    done += n;
  }
  return Status::ok();
}

Status TableSql::remove(db::Connection& conn,
                        const std::vector<std::pair<std::string, std::string>>& keys) const {
  std::size_t done = 0;
  std::vector<db::Param> params;
  while (done < keys.size()) {
    std::size_t n = chunkSize(keys.size() - done);
    params.clear();
    for (std::size_t i = done; i < done + n; ++i) {
      AorParts parts = splitAor(keys[i].first, use_domain_);
      params.emplace_back(std::string(parts.username));
      params.emplace_back(std::string(parts.domain));
      params.emplace_back(keys[i].second);
    }
    Result<std::int64_t> r = conn.exec(deleteSql(n), params);
    if (!r.isOk()) return r.status();
    done += n;
  }
  return Status::ok();
}

}  // namespace sipline::usrloc
