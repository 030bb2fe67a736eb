#include "modules/group/group.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/db/schema.h"

namespace sipline::group {

Status checkConfig(const Config& c) {
  if (c.db_url.empty()) return Status::invalidArgument("group: db_url is required");
  const std::pair<const char*, const std::string*> names[] = {{"table", &c.table},
                                                              {"user_column", &c.user_column},
                                                              {"domain_column", &c.domain_column},
                                                              {"group_column", &c.group_column}};
  for (const auto& [param, value] : names) {
    if (!db::isSqlIdentifier(*value)) {
      return Status::invalidArgument(std::string("group: ") + param + " \"" + *value +
                                     "\" is not an SQL name ([A-Za-z_][A-Za-z0-9_]*)");
    }
  }
  return Status::ok();
}

GroupSql::GroupSql(const Config& c) : use_domain_(c.use_domain) {
  spec_.table = c.table;
  spec_.version = kGrpTableVersion;
  spec_.columns = {c.user_column, c.group_column};
  if (use_domain_) spec_.columns.push_back(c.domain_column);
  sql_ = "SELECT 1 FROM " + c.table + " WHERE " + c.user_column + " = $1 AND " + c.group_column +
         " = $2";
  if (use_domain_) sql_ += " AND lower(" + c.domain_column + ") = $3";
  sql_ += " LIMIT 1";
}

std::vector<db::Param> GroupSql::params(std::string_view user, std::string_view domain,
                                        std::string_view group) const {
  std::vector<db::Param> p{std::string(user), std::string(group)};
  if (use_domain_) p.emplace_back(toLower(domain));
  return p;
}

Service::Service()
    : connector_([this]() { return db::openUrl(config_.db_url, db_options_); }),
      clock_ms_([] { return monotonicMs(); }) {}

Service::~Service() = default;

Status Service::init() {
  Status st = checkConfig(config_);
  if (!st.isOk()) return st;
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  sql_ = std::make_unique<GroupSql>(config_);
  // The schema, on a connection closed before fork.
  Result<std::unique_ptr<db::Connection>> opened = connector_();
  if (!opened.isOk()) return opened.status().withPrefix("group");
  db::Connection& conn = *opened.value();
  st = conn.ensureConnected();
  if (st.isOk()) st = db::checkTable(conn, sql_->spec());
  if (st.code() == Code::kUnavailable) {
    // A DB outage never stops signalling: start, and answer -2 until the DB is back.
    SL_ERR(
        "group: cannot reach the DB %s to check table %s (%s); starting anyway: "
        "db_is_user_in() returns -2 until the DB is back",
        conn.url().text.c_str(), config_.table.c_str(), st.message().c_str());
    return Status::ok();
  }
  if (!st.isOk()) return st.withPrefix("group");
  return Status::ok();
}

Status Service::childInit() {
  outage_.reset();
  if (sql_ == nullptr) return Status::ok();
  Result<std::unique_ptr<db::Connection>> c = connector_();
  if (!c.isOk()) return c.status().withPrefix("group");
  conn_ = std::move(c.value());
  return Status::ok();
}

Membership Service::isUserIn(std::string_view user, std::string_view domain,
                             std::string_view group) {
  if (sql_ == nullptr || conn_ == nullptr) {
    noteDbError(Status::unavailable("no DB connection in this process"));
    return Membership::kError;
  }
  counters_.queries.inc();
  Result<db::Rows> rows = conn_->query(sql_->sql(), sql_->params(user, domain, group));
  if (!rows.isOk()) {
    noteDbError(rows.status());
    return Membership::kError;
  }
  noteDbOk();
  if (rows.value().empty()) return Membership::kNotMember;
  counters_.members.inc();
  return Membership::kMember;
}

void Service::noteDbError(const Status& st) {
  counters_.db_errors.inc();
  switch (outage_.failed(clock_ms_())) {
    case db::OutageLog::Line::kStarted:
      SL_ERR("group: the DB fails (table %s): %s; group checks return -2 until it is back",
             config_.table.c_str(), st.message().c_str());
      break;
    case db::OutageLog::Line::kReminder:
      SL_ERR(
          "group: the DB still fails (table %s): %s; %llu group checks failed in the last minute",
          config_.table.c_str(), st.message().c_str(),
          static_cast<unsigned long long>(outage_.failedSinceLine()));
      break;
    case db::OutageLog::Line::kNone:
      break;
  }
}

void Service::noteDbOk() {
  if (!outage_.succeeded()) return;
  SL_NOTICE("group: the DB answers again");
}

}  // namespace sipline::group
