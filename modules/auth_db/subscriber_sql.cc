#include "modules/auth_db/subscriber_sql.h"

namespace sipline::auth_db {

SubscriberSql::SubscriberSql(std::string table, const Config& config,
                             std::vector<LoadedColumn> extra)
    : table_(std::move(table)),
      use_domain_(config.use_domain),
      calculate_ha1_(config.calculate_ha1),
      extra_count_(extra.size()) {
  if (calculate_ha1_) {
    columns_.push_back(config.password_column);
  } else {
    columns_.push_back(config.hash_column);
    columns_.push_back(config.hash_column_sha256);
    columns_.push_back(config.hash_column_sha512t256);
  }
  for (const LoadedColumn& lc : extra) columns_.push_back(lc.column);
  std::string list;
  for (const std::string& c : columns_) list += (list.empty() ? "" : ", ") + c;
  std::string where = " FROM " + table_ + " WHERE " + config.user_column + " = $1";
  if (use_domain_) {
    where += " AND lower(" + config.domain_column + ") = lower($2)";
  }
  fetch_sql_ = "SELECT " + list + where;
  if (!use_domain_) fetch_sql_ += " ORDER BY " + config.domain_column;
  fetch_sql_ += " LIMIT 1";
  exists_sql_ = "SELECT 1" + where + " LIMIT 1";
  // Columns that must exist, for the schema check.
  columns_.insert(columns_.begin(), {config.user_column, config.domain_column});
}

db::TableSpec SubscriberSql::spec() const {
  db::TableSpec s;
  s.table = table_;
  s.version = kSubscriberTableVersion;
  s.columns = columns_;
  return s;
}

std::vector<db::Param> SubscriberSql::params(std::string_view user, std::string_view domain) const {
  std::vector<db::Param> p{db::Param(std::string(user))};
  if (use_domain_) p.emplace_back(std::string(domain));
  return p;
}

Result<std::optional<SubscriberRow>> SubscriberSql::fetch(db::Connection& conn,
                                                          std::string_view user,
                                                          std::string_view domain) const {
  Result<db::Rows> rows = conn.query(fetch_sql_, params(user, domain));
  if (!rows.isOk()) return rows.status();
  const db::Rows& r = rows.value();
  if (r.empty()) return std::optional<SubscriberRow>();
  std::size_t expected = (calculate_ha1_ ? 1 : crypto::kDigestAlgorithmCount) + extra_count_;
  if (r.columns().size() != expected) {
    return Status::internal("auth_db: " + table_ + " returned " +
                            std::to_string(r.columns().size()) + " columns, " +
                            std::to_string(expected) + " expected");
  }
  SubscriberRow row;
  int col = 0;
  auto cell = [&](int c) { return std::string(r.text(0, c).value_or(std::string_view())); };
  if (calculate_ha1_) {
    row.password = cell(col++);
  } else {
    for (std::string& h : row.ha1) h = cell(col++);
  }
  for (std::size_t i = 0; i < extra_count_; ++i, ++col) {
    std::optional<std::string_view> v = r.text(0, col);
    row.extra.push_back(v.has_value() ? std::optional<std::string>(std::string(*v)) : std::nullopt);
  }
  return std::optional<SubscriberRow>(std::move(row));
}

Result<bool> SubscriberSql::exists(db::Connection& conn, std::string_view user,
                                   std::string_view domain) const {
  Result<db::Rows> rows = conn.query(exists_sql_, params(user, domain));
  if (!rows.isOk()) return rows.status();
  return !rows.value().empty();
}

}  // namespace sipline::auth_db
