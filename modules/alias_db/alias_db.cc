#include "modules/alias_db/alias_db.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/db/schema.h"

namespace sipline::alias_db {

Service::Service()
    : connector_([this]() { return db::openUrl(config_.db_url, db_options_); }),
      clock_ms_([] { return monotonicMs(); }) {}

Service::~Service() = default;

Result<Table*> Service::table(std::string_view name) {
  if (!db::isSqlIdentifier(name)) {
    return Status::invalidArgument("\"" + std::string(name) +
                                   "\" is not a table name ([A-Za-z_][A-Za-z0-9_]*)");
  }
  return tables_.get(name);
}

Status Service::init() {
  Status st = checkConfig(config_);
  if (!st.isOk()) return st;
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  const Config& c = config_;
  for (auto& t : tables_) {
    for (int reverse = 0; reverse < 2; ++reverse) {
      // Forward: alias -> subscriber; reverse: subscriber -> alias. Names are checked SQL
      // names; the values go in $1/$2.
      const std::string& out_user = reverse ? c.alias_user_column : c.user_column;
      const std::string& out_domain = reverse ? c.alias_domain_column : c.domain_column;
      const std::string& in_user = reverse ? c.user_column : c.alias_user_column;
      const std::string& in_domain = reverse ? c.domain_column : c.alias_domain_column;
      for (int with_domain = 0; with_domain < 2; ++with_domain) {
        t->sql_[reverse][with_domain] =
            "SELECT " + out_user + ", " + out_domain + " FROM " + t->name() + " WHERE " + in_user +
            " = $1" + (with_domain ? " AND " + in_domain + " = $2" : "") + " ORDER BY " + out_user +
            ", " + out_domain + " LIMIT $" + (with_domain ? "3" : "2");
      }
    }
  }
  if (!tables_.empty()) {
    // The schema, on a connection closed before fork (no child may inherit it).
    Result<std::unique_ptr<db::Connection>> opened = connector_();
    if (!opened.isOk()) return opened.status().withPrefix("alias_db");
    db::Connection& conn = *opened.value();
    st = conn.ensureConnected();
    for (auto& t : tables_) {
      if (!st.isOk()) break;
      st = db::checkTable(
          conn, {t->name(),
                 1,
                 {c.alias_user_column, c.alias_domain_column, c.user_column, c.domain_column}});
    }
    if (st.code() == Code::kUnavailable) {
      // A DB outage never stops signalling: start, and answer -2 until the DB is back.
      SL_ERR(
          "alias_db: cannot reach the DB %s to check the alias tables (%s); starting "
          "anyway: lookups return -2 until the DB is back",
          conn.url().text.c_str(), st.message().c_str());
    } else if (!st.isOk()) {
      return st.withPrefix("alias_db");
    }
  }
  tables_.freeze();
  return Status::ok();
}

Status Service::childInit() {
  outage_.reset();
  if (tables_.empty()) return Status::ok();
  Result<std::unique_ptr<db::Connection>> c = connector_();
  if (!c.isOk()) return c.status().withPrefix("alias_db");
  conn_ = std::move(c.value());
  return Status::ok();
}

std::string Service::lookupDomain(std::string_view host) const {
  std::string d = toLower(host);
  const std::string prefix = toLower(config_.domain_prefix);
  if (!prefix.empty() && d.size() > prefix.size() && d.compare(0, prefix.size(), prefix) == 0) {
    d.erase(0, prefix.size());
  }
  return d;
}

Lookup Service::find(Table& t, std::string_view user, std::string_view domain, const Flags& flags,
                     std::size_t max, std::vector<Target>& out) {
  out.clear();
  if (t.sql_[0][0].empty()) return Lookup::kError;  // init() did not run
  if (conn_ == nullptr) {
    noteDbError(Status::unavailable("no DB connection in this process"), t);
    return Lookup::kError;
  }
  bool with_domain = config_.use_domain && !flags.no_domain;
  const std::string& sql = t.sql_[flags.reverse ? 1 : 0][with_domain ? 1 : 0];
  std::vector<db::Param> params{std::string(user)};
  if (with_domain) params.emplace_back(lookupDomain(domain));
  params.emplace_back(static_cast<std::int64_t>(max == 0 ? 1 : max));
  counters_.lookups.inc();
  Result<db::Rows> rows = conn_->query(sql, params);
  if (!rows.isOk()) {
    noteDbError(rows.status(), t);
    return Lookup::kError;
  }
  noteDbOk();
  const db::Rows& r = rows.value();
  for (std::size_t i = 0; i < r.size(); ++i) {
    std::optional<std::string_view> u = r.text(i, 0);
    std::optional<std::string_view> d = r.text(i, 1);
    if (!u || u->empty()) {
      SL_ERR_RATELIMITED("alias_db: table %s: a row matching \"%.*s\" has no user; skipped",
                         t.name().c_str(), SL_SV(user));
      continue;
    }
    out.push_back({std::string(*u), d ? std::string(*d) : std::string()});
  }
  if (out.empty()) {
    counters_.not_found.inc();
    return Lookup::kNotFound;
  }
  return Lookup::kFound;
}

void Service::noteDbError(const Status& st, const Table& t) {
  counters_.db_errors.inc();
  // Once per outage, then a reminder a minute: a flood of calls must not flood the log.
  switch (outage_.failed(clock_ms_())) {
    case db::OutageLog::Line::kStarted:
      SL_ERR("alias_db: the DB fails (table %s): %s; alias lookups return -2 until it is back",
             t.name().c_str(), st.message().c_str());
      break;
    case db::OutageLog::Line::kReminder:
      SL_ERR("alias_db: the DB still fails (table %s): %s; %llu lookups failed in the last minute",
             t.name().c_str(), st.message().c_str(),
             static_cast<unsigned long long>(outage_.failedSinceLine()));
      break;
    case db::OutageLog::Line::kNone:
      break;
  }
}

void Service::noteDbOk() {
  if (!outage_.succeeded()) return;
  SL_NOTICE("alias_db: the DB answers again");
}

}  // namespace sipline::alias_db
