#include "modules/avpops/avp_db.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/db/schema.h"

namespace sipline::avpops {
namespace {

// usr_preferences.type, as OpenSIPS's avpops reads and writes it: bit 0 set = an integer value
// (bit 1 = an integer AVP name, which names nothing here: the attribute column is the name).
constexpr int kIntType = 1;
// The serial key: loads read rows in insertion order (and LIMIT keeps the same ones each call).
constexpr const char* kIdColumn = "id";

// Values go as text: PostgreSQL infers the column's type for an untyped parameter.
std::string placeholder(std::vector<db::Param>& params, std::string value) {
  params.emplace_back(std::move(value));
  return "$" + std::to_string(params.size());
}

}  // namespace

Service::Service() : connector_([this]() { return db::openUrl(config_.db_url, db_options_); }) {}

Service::~Service() = default;

Status Service::checkUrl() const {
  if (config_.db_url.empty()) return Status::invalidArgument("avpops: db_url is not set");
  Result<db::DbUrl> url = db::parseDbUrl(config_.db_url);
  if (!url.isOk()) return url.status().withPrefix("avpops: db_url");
  return Status::ok();
}

Result<std::string> Service::table(std::string_view name) {
  std::string t(name.empty() ? std::string_view(config_.avp_table) : name);
  if (!db::isSqlIdentifier(t)) {
    return Status::invalidArgument("\"" + t + "\" is not a table name ([A-Za-z_][A-Za-z0-9_]*)");
  }
  uses_db_ = true;
  Result<std::string*> known = tables_.get(t);
  if (!known.isOk()) return known.status();
  return t;
}

Status Service::init() {
  for (const std::string* c :
       {&config_.avp_table, &config_.uuid_column, &config_.username_column, &config_.domain_column,
        &config_.attribute_column, &config_.type_column, &config_.value_column}) {
    if (!db::isSqlIdentifier(*c)) {
      return Status::invalidArgument("avpops: \"" + *c + "\" is not an SQL identifier");
    }
  }
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  tables_.freeze();
  if (tables_.empty()) return Status::ok();
  // The columns, on a connection closed before fork (no child may inherit it).
  Result<std::unique_ptr<db::Connection>> opened = connector_();
  if (!opened.isOk()) return opened.status().withPrefix("avpops");
  db::Connection& conn = *opened.value();
  Status st = conn.ensureConnected();
  if (!st.isOk()) {
    // A DB outage never stops signalling: start, and answer -3 until the DB is back.
    SL_ERR(
        "avpops: cannot reach the DB %s to check the tables (%s); starting anyway: the "
        "avp_db commands return -3 until the DB is back",
        conn.url().text.c_str(), st.message().c_str());
    return Status::ok();
  }
  std::vector<std::string> columns = {kIdColumn,
                                      config_.uuid_column,
                                      config_.username_column,
                                      config_.domain_column,
                                      config_.attribute_column,
                                      config_.type_column,
                                      config_.value_column};
  for (const auto& table : tables_) {
    const std::string& t = *table;
    if (t == "usr_preferences") {
      st = db::checkTable(conn, db::TableSpec{t, 1, columns});
    } else {
      // A table of the operator's own: no version row, but the columns must be there.
      std::string list;
      for (const std::string& c : columns) list += (list.empty() ? "" : ", ") + c;
      Result<db::Rows> probe = conn.query("SELECT " + list + " FROM " + t + " LIMIT 0");
      st = probe.isOk() || probe.status().code() == Code::kUnavailable
               ? probe.status()
               : Status::failedPrecondition("table " + t + ": " + probe.status().message());
    }
    if (st.code() == Code::kUnavailable) {
      SL_ERR("avpops: the DB %s went away while checking table %s (%s); starting anyway",
             conn.url().text.c_str(), t.c_str(), st.message().c_str());
      return Status::ok();
    }
    if (!st.isOk()) return st.withPrefix("avpops");
  }
  return Status::ok();
}

Status Service::childInit() {
  outage_.reset();
  if (!uses_db_) return Status::ok();
  Result<std::unique_ptr<db::Connection>> c = connector_();
  if (!c.isOk()) return c.status().withPrefix("avpops");
  conn_ = std::move(c.value());
  return Status::ok();
}

std::string Service::whereOf(const RowKey& key, std::vector<db::Param>& params) const {
  std::string where;
  auto add = [&](const std::string& column, const std::string& value) {
    where += (where.empty() ? " WHERE " : " AND ") + column + " = " + placeholder(params, value);
  };
  if (key.by_uuid) add(config_.uuid_column, key.uuid);
  if (key.by_username) add(config_.username_column, key.username);
  if (key.by_domain) add(config_.domain_column, key.domain);
  return where;
}

Result<db::Rows> Service::run(const std::string& sql, const std::vector<db::Param>& params,
                              bool rows) {
  if (conn_ == nullptr) return Status::failedPrecondition("avpops: no DB connection");
  counters_.db_queries.inc();
  Result<db::Rows> r = db::Rows();
  if (rows) {
    r = conn_->query(sql, params);
  } else {
    Result<std::int64_t> n = conn_->exec(sql, params);
    if (n.isOk()) {
      // The count travels as a one-cell result.
      r = db::Rows({"count"}, {{std::optional<std::string>(std::to_string(n.value()))}});
    } else {
      r = n.status();
    }
  }
  if (!r.isOk()) {
    noteDbError(r.status());
  } else {
    noteDbOk();
  }
  return r;
}

int Service::load(const std::string& table, const RowKey& key,
                  const std::optional<std::string>& attribute, const std::string& avp_name,
                  script::AvpStore& avps) {
  std::vector<db::Param> params;
  std::string sql = "SELECT " + config_.attribute_column + ", " + config_.type_column + ", " +
                    config_.value_column + " FROM " + table + whereOf(key, params);
  if (attribute.has_value()) {
    sql += " AND " + config_.attribute_column + " = " + placeholder(params, *attribute);
  }
  sql += std::string(" ORDER BY ") + kIdColumn + " LIMIT " + std::to_string(kMaxValues);
  Result<db::Rows> r = run(sql, params, true);
  if (!r.isOk()) return kError;
  const db::Rows& rows = r.value();
  int loaded = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::optional<std::string_view> attr = rows.text(i, 0);
    std::optional<std::string_view> value = rows.text(i, 2);
    std::int64_t type = 0;
    if (!attr.has_value() || !value.has_value() || !rows.getInt(i, 1, type)) {
      counters_.bad_rows.inc();
      SL_ERR_RATELIMITED(
          "avpops: table %s: a row of %.*s has a NULL attribute, type or value; "
          "skipped",
          table.c_str(), SL_SV(attr.value_or("?")));
      continue;
    }
    std::string name = attribute.has_value() ? avp_name : std::string(*attr);
    if (!attribute.has_value() && !parseAvpName(name, false).isOk()) {
      counters_.bad_rows.inc();
      SL_ERR_RATELIMITED("avpops: table %s: attribute \"%s\" is not a usable AVP name; skipped",
                         table.c_str(), name.c_str());
      continue;
    }
    if ((type & kIntType) != 0) {
      std::int64_t n = 0;
      if (!parseInt(*value, n)) {
        counters_.bad_rows.inc();
        SL_ERR_RATELIMITED(
            "avpops: table %s: attribute %s has integer type but value \"%.*s\"; skipped",
            table.c_str(), name.c_str(), SL_SV(*value));
        continue;
      }
      avps.push(name, script::Value::integer(n));
    } else {
      avps.push(name, script::Value::owned(std::string(*value)));
    }
    ++loaded;
  }
  counters_.loaded_values.inc(static_cast<std::uint64_t>(loaded));
  return loaded;
}

int Service::store(const std::string& table, const RowKey& key, const std::string& attribute,
                   const std::vector<script::Value>& values) {
  if (values.empty()) return 0;
  if (values.size() > kMaxValues) {
    SL_ERR_RATELIMITED("avpops: $avp(%s) has %zu values; only the first %zu are stored",
                       attribute.c_str(), values.size(), kMaxValues);
  }
  std::vector<db::Param> params;
  std::string sql = "INSERT INTO " + table + " (" + config_.uuid_column + ", " +
                    config_.username_column + ", " + config_.domain_column + ", " +
                    config_.attribute_column + ", " + config_.type_column + ", " +
                    config_.value_column + ") VALUES ";
  std::size_t n = 0;
  for (const script::Value& v : values) {
    if (n == kMaxValues) break;
    sql += n++ == 0 ? "(" : ", (";
    // One placeholder() per statement (the order of "+" operands is unspecified), so the
    // numbering follows the column order.
    const std::string cells[] = {key.uuid,
                                 key.username,
                                 key.domain,
                                 attribute,
                                 v.isInt() ? std::to_string(kIntType) : "0",
                                 v.toString()};
    for (std::size_t c = 0; c < 6; ++c) {
      if (c > 0) sql += ", ";
      sql += placeholder(params, cells[c]);
    }
    sql += ")";
  }
  Result<db::Rows> r = run(sql, params, false);
  if (!r.isOk()) return kError;
  std::int64_t count = 0;
  r.value().getInt(0, 0, count);
  return static_cast<int>(count);
}

int Service::remove(const std::string& table, const RowKey& key,
                    const std::optional<std::string>& attribute) {
  std::vector<db::Param> params;
  std::string sql = "DELETE FROM " + table + whereOf(key, params);
  if (attribute.has_value()) {
    sql += " AND " + config_.attribute_column + " = " + placeholder(params, *attribute);
  }
  Result<db::Rows> r = run(sql, params, false);
  if (!r.isOk()) return kError;
  std::int64_t count = 0;
  r.value().getInt(0, 0, count);
  return static_cast<int>(count);
}

int Service::query(const std::string& sql, const std::vector<db::Param>& params,
                   const std::vector<std::string>& dest, script::AvpStore& avps) {
  Result<db::Rows> r = run(sql, params, !dest.empty());
  if (!r.isOk()) return kError;
  const db::Rows& rows = r.value();
  if (dest.empty()) {
    std::int64_t count = 0;
    rows.getInt(0, 0, count);
    return static_cast<int>(count);
  }
  std::size_t nrows = std::min(rows.size(), kMaxValues);
  std::size_t ncols = std::min(rows.columns().size(), dest.size());
  std::uint64_t loaded = 0;
  // Last row first: the first row ends up on top ($avp(x)[0]).
  for (std::size_t i = nrows; i-- > 0;) {
    for (std::size_t c = 0; c < ncols; ++c) {
      std::optional<std::string_view> cell = rows.text(i, static_cast<int>(c));
      if (!cell.has_value()) continue;
      avps.push(dest[c], script::Value::owned(std::string(*cell)));
      ++loaded;
    }
  }
  counters_.loaded_values.inc(loaded);
  return static_cast<int>(rows.size());
}

void Service::noteDbError(const Status& st) {
  counters_.db_errors.inc();
  if (st.code() != Code::kUnavailable && st.code() != Code::kIoError) {
    // The server refused this statement (a value too long for its column, an error in
    // avp_db_query's SQL): the DB answers, so this is no outage to announce or end.
    SL_ERR_RATELIMITED("avpops: a statement failed: %s", st.message().c_str());
    return;
  }
  // Once per outage, then a reminder a minute: a flood of calls must not flood the log.
  switch (outage_.failed(monotonicMs())) {
    case db::OutageLog::Line::kStarted:
      SL_ERR("avpops: the DB fails: %s; AVP operations fail until it is back",
             st.message().c_str());
      break;
    case db::OutageLog::Line::kReminder:
      SL_ERR("avpops: the DB still fails: %s; %llu statements failed in the last minute",
             st.message().c_str(), static_cast<unsigned long long>(outage_.failedSinceLine()));
      break;
    case db::OutageLog::Line::kNone:
      break;
  }
}

void Service::noteDbOk() {
  if (!outage_.succeeded()) return;
  SL_NOTICE("avpops: the DB answers again");
}

}  // namespace sipline::avpops
