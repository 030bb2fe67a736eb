#include "modules/permissions/permissions.h"

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/db/schema.h"

namespace sipline::permissions {
namespace {

std::string selectSql(const std::string& table) {
  std::string sql = "SELECT ";
  bool first = true;
  for (const char* c : kAddressColumns) {
    if (!first) sql += ", ";
    sql += c;
    first = false;
  }
  return sql + " FROM " + table + " ORDER BY id";
}

}  // namespace

Result<std::vector<AddressRow>> readAddressRows(db::Connection& conn, const std::string& table,
                                                std::uint64_t* skipped) {
  Result<db::Rows> res = conn.query(selectSql(table));
  if (!res.isOk()) return res.status();
  const db::Rows& rows = res.value();
  std::vector<AddressRow> out;
  out.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    AddressRow r;
    bool ok = rows.getInt(i, 0, r.id) && rows.getInt(i, 1, r.grp) && rows.getInt(i, 3, r.mask) &&
              rows.getInt(i, 4, r.port);
    std::optional<std::string_view> ip = rows.text(i, 2);
    std::optional<std::string_view> proto = rows.text(i, 5);
    ok = ok && ip.has_value() && proto.has_value();
    if (!ok) {
      std::optional<std::string_view> id = rows.text(i, 0);
      SL_ERR(
          "permissions: %s row id %.*s skipped: a NULL or non-numeric id, grp, mask or port, "
          "or a NULL ip or proto",
          table.c_str(), SL_SV(id.value_or("?")));
      if (skipped != nullptr) ++*skipped;
      continue;
    }
    r.ip = std::string(trim(*ip));
    r.proto = std::string(trim(*proto));
    r.pattern = std::string(rows.text(i, 6).value_or(""));
    r.context_info = std::string(rows.text(i, 7).value_or(""));
    out.push_back(std::move(r));
  }
  return out;
}

Service::Service() : connector_([this]() { return db::openUrl(config_.db_url, db_options_); }) {}

Service::~Service() = default;

Status Service::init(shm::SegmentManager* sm) {
  if (config_.db_url.empty()) {
    return Status::invalidArgument("permissions: db_url is required (the address table)");
  }
  if (!db::isSqlIdentifier(config_.address_table)) {
    return Status::invalidArgument("permissions: address_table \"" + config_.address_table +
                                   "\" is not a table name ([A-Za-z_][A-Za-z0-9_]*)");
  }
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  if (sm == nullptr) return Status::internal("permissions: no shared memory");
  Result<std::unique_ptr<AddressStore>> store = AddressStore::create(sm);
  if (!store.isOk()) return store.status().withPrefix("permissions");
  store_ = std::move(store.value());

  // On a connection closed before fork (no child may inherit it).
  Result<std::unique_ptr<db::Connection>> opened = connector_();
  Status st = opened.isOk() ? checkSchema(*opened.value()) : opened.status();
  if (st.isOk()) {
    Result<std::size_t> n = load(*opened.value(), "start");  // counts its own failure
    if (n.isOk()) return Status::ok();
    st = n.status();
    if (st.code() != Code::kUnavailable) return st.withPrefix("permissions");
  } else if (st.code() == Code::kUnavailable) {
    counters_.reload_errors.inc();
  } else {
    return st.withPrefix("permissions");  // bad URL, no driver, a wrong table
  }
  // The DB is down: signalling must not wait for it. Start empty, load when it is back.
  Result<db::DbUrl> url = db::parseDbUrl(config_.db_url);
  SL_ERR(
      "permissions: cannot reach the DB %s to load table %s (%s); the address table is "
      "EMPTY (every check fails) until the DB is back, retrying in the background",
      url.isOk() ? url.value().text.c_str() : "?", config_.address_table.c_str(),
      st.message().c_str());
  counters_.entries.set(0);
  retry_.arm(monotonicMs());
  return Status::ok();
}

Status Service::checkSchema(db::Connection& conn) {
  Status st = conn.ensureConnected();
  if (!st.isOk()) return Status::unavailable(st.message());
  db::TableSpec spec{config_.address_table, kAddressTableVersion, {}};
  for (const char* c : kAddressColumns) spec.columns.emplace_back(c);
  return db::checkTable(conn, spec);
}

int Service::runLoader() {
  return db::runLoaderProcess(retry_, [this] { return retryLoad(); });
}

void Service::retryTick(std::int64_t now_ms) {
  retry_.tick(now_ms, [this] { return retryLoad(); });
}

bool Service::retryLoad() {
  if (store_ == nullptr) return true;
  if (store_->generation() != 0) {
    SL_NOTICE(
        "permissions: the address table was loaded by address_reload; the background "
        "retry stops");
    return true;
  }
  // A connection per attempt, closed when done.
  Result<std::unique_ptr<db::Connection>> opened = connector_();
  Status st = opened.isOk() ? checkSchema(*opened.value()) : opened.status();
  if (!st.isOk()) {
    counters_.reload_errors.inc();
    SL_ERR(
        "permissions: background load of table %s failed (%s); the address table stays "
        "empty, trying again later",
        config_.address_table.c_str(), st.message().c_str());
    return false;
  }
  Result<std::size_t> n = load(*opened.value(), "background retry");
  if (!n.isOk()) return false;
  SL_NOTICE("permissions: the DB %s is back: address table %s loaded after %llu attempts",
            opened.value()->url().text.c_str(), config_.address_table.c_str(),
            static_cast<unsigned long long>(retry_.attempts()));
  return true;
}

Result<std::size_t> Service::load(db::Connection& conn, const char* why) {
  std::uint64_t skipped = 0;
  Result<std::vector<AddressRow>> rows = readAddressRows(conn, config_.address_table, &skipped);
  if (!rows.isOk()) {
    counters_.reload_errors.inc();
    SL_ERR("permissions: cannot read table %s (%s): %s; the previous address table stays",
           config_.address_table.c_str(), why, rows.status().message().c_str());
    return rows.status();
  }
  // Only rows that compile are published: the other processes then rebuild without errors.
  std::vector<AddressRow> good;
  good.reserve(rows.value().size());
  for (AddressRow& r : rows.value()) {
    Result<AddressRule> rule = makeRule(r);
    if (!rule.isOk()) {
      SL_ERR("permissions: %s row id %lld skipped: %s", config_.address_table.c_str(),
             static_cast<long long>(r.id), rule.status().message().c_str());
      ++skipped;
      continue;
    }
    good.push_back(std::move(r));
  }
  Status st = store_->publish(good);
  if (!st.isOk()) {
    counters_.reload_errors.inc();
    SL_ERR("permissions: cannot publish the address table (%s): %s; the previous one stays", why,
           st.message().c_str());
    return st;
  }
  counters_.reloads.inc();
  counters_.bad_rows.inc(skipped);
  last_bad_rows_ = skipped;
  counters_.entries.set(good.size());
  SL_NOTICE("permissions: %zu address rules loaded from %s (%s), %llu bad rows skipped",
            good.size(), config_.address_table.c_str(), why,
            static_cast<unsigned long long>(skipped));
  return good.size();
}

Result<std::size_t> Service::reload() {
  if (store_ == nullptr) return Status::failedPrecondition("permissions: not initialised");
  // A connection of its own for every reload, closed when done: one kept from a reload that
  // failed in an outage would still be backing off (up to 30 s) and refuse the operator's
  // address_reload once the DB is back. Reloads are rare.
  Result<std::unique_ptr<db::Connection>> conn = connector_();
  if (!conn.isOk()) {
    counters_.reload_errors.inc();
    return conn.status().withPrefix("permissions");
  }
  Result<std::size_t> n = load(*conn.value(), "address_reload");
  if (!n.isOk()) return n.status().withPrefix("permissions: address_reload");
  return n;
}

std::shared_ptr<const AddressSet> Service::addresses() {
  if (store_ == nullptr) return std::make_shared<AddressSet>();
  return store_->current();
}

const AddressRule* Service::check(const AddressQuery& q, std::shared_ptr<const AddressSet>& hold) {
  counters_.checks.inc();
  hold = addresses();
  const AddressRule* r = hold->find(q);
  if (r != nullptr) counters_.matches.inc();
  return r;
}

}  // namespace sipline::permissions
