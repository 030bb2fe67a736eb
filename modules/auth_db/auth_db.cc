#include "modules/auth_db/auth_db.h"

#include <sys/random.h>

#include <algorithm>
#include <cstring>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/db/schema.h"

namespace sipline::auth_db {
namespace {

// Payload fields: a tag byte (0 NULL, 1 value), a 16-bit length, the bytes.
void packField(std::string& out, const std::optional<std::string>& v) {
  if (!v.has_value()) {
    out.push_back('\0');
    return;
  }
  std::size_t n = std::min<std::size_t>(v->size(), 0xffff);
  out.push_back('\1');
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(v->data(), n);
}

bool unpackField(std::string_view& in, std::optional<std::string>& v) {
  if (in.empty()) return false;
  char tag = in.front();
  in.remove_prefix(1);
  if (tag == '\0') {
    v.reset();
    return true;
  }
  if (in.size() < 2) return false;
  std::size_t n = (static_cast<unsigned char>(in[0]) << 8) | static_cast<unsigned char>(in[1]);
  in.remove_prefix(2);
  if (in.size() < n) return false;
  v = std::string(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

// skip_version_check: the columns must still be there (the version row may be absent for a
// table of the operator's own).
Status checkColumnsOnly(db::Connection& conn, const db::TableSpec& spec) {
  std::string list;
  for (const std::string& c : spec.columns) list += (list.empty() ? "" : ", ") + c;
  Result<db::Rows> probe = conn.query("SELECT " + list + " FROM " + spec.table + " LIMIT 0");
  if (probe.isOk() || probe.status().code() == Code::kUnavailable) return probe.status();
  return Status::failedPrecondition(probe.status().message());
}

}  // namespace

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

Status Service::init(shm::SegmentManager* sm) {
  Status st = checkConfig(config_);
  if (!st.isOk()) return st;
  loaded_ = parseLoadCredentials(config_.load_credentials).value();
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  for (auto& t : tables_) t->sql_ = std::make_unique<SubscriberSql>(t->name(), config_, loaded_);

  if (!tables_.empty()) {
    // The schema, on a connection closed before fork (no child may inherit it).
    Result<std::unique_ptr<db::Connection>> opened = connector_();
    if (!opened.isOk()) return opened.status().withPrefix("auth_db");
    db::Connection& conn = *opened.value();
    st = conn.ensureConnected();
    if (!st.isOk()) {
      return Status::unavailable("auth_db: cannot reach the DB " + conn.url().text +
                                 " to check the subscriber tables: " + st.message());
    }
    for (auto& t : tables_) {
      db::TableSpec spec = t->sql_->spec();
      st = config_.skip_version_check
               ? checkColumnsOnly(conn, spec).withPrefix("table " + t->name())
               : db::checkTable(conn, spec);
      if (!st.isOk()) return st.withPrefix("auth_db");
    }
  }
  if (config_.cache_size > 0) {
    if (sm == nullptr) return Status::internal("auth_db: no shared memory for the cache");
    Result<std::unique_ptr<CredentialCache>> c =
        CredentialCache::create(sm, static_cast<std::uint64_t>(config_.cache_size),
                                config_.cache_ttl_s * 1000, &counters_.cache);
    if (!c.isOk())
      return c.status().withPrefix("auth_db: cache_size " + std::to_string(config_.cache_size));
    cache_ = std::move(c.value());
  }
  tables_.freeze();
  return Status::ok();
}

Status Service::childInit(const ProcessInfo& /*proc*/) {
  for (std::string& d : decoy_) d.clear();  // a new random one per process
  outage_.reset();
  if (tables_.empty()) return Status::ok();
  Result<std::unique_ptr<db::Connection>> c = connector_();
  if (!c.isOk()) return c.status().withPrefix("auth_db");
  conn_ = std::move(c.value());
  return Status::ok();
}

std::string Service::cacheKey(const Table& t, std::string_view user,
                              std::string_view domain) const {
  std::string key = t.name();
  key.push_back('\0');
  key.append(user);
  key.push_back('\0');
  if (config_.use_domain) key += toLower(domain);
  return key;
}

std::string Service::pack(const SubscriberRow& row) const {
  std::string out;
  if (config_.calculate_ha1) {
    packField(out, row.password);
  } else {
    for (const std::string& h : row.ha1) packField(out, h);
  }
  for (const auto& v : row.extra) packField(out, v);
  return out;
}

bool Service::unpack(std::string_view in, SubscriberRow& row) const {
  std::optional<std::string> v;
  if (config_.calculate_ha1) {
    if (!unpackField(in, v)) return false;
    row.password = v.value_or("");
  } else {
    for (std::string& h : row.ha1) {
      if (!unpackField(in, v)) return false;
      h = v.value_or("");
    }
  }
  row.extra.clear();
  for (std::size_t i = 0; i < loaded_.size(); ++i) {
    if (!unpackField(in, v)) return false;
    row.extra.push_back(v);
  }
  return in.empty();
}

void Service::noteDbError(const Status& st, const Table& t) {
  counters_.db_errors.inc();
  // Once per outage, then a reminder a minute: a flood of checks must not flood the log.
  switch (outage_.failed(clock_ms_())) {
    case db::OutageLog::Line::kStarted:
      SL_ERR(
          "auth_db: the DB fails (table %s): %s; authentication fails closed (only cached "
          "subscribers pass) until it is back",
          t.name().c_str(), st.message().c_str());
      break;
    case db::OutageLog::Line::kReminder:
      SL_ERR(
          "auth_db: the DB still fails (table %s): %s; %llu checks failed closed in the last "
          "minute",
          t.name().c_str(), st.message().c_str(),
          static_cast<unsigned long long>(outage_.failedSinceLine()));
      break;
    case db::OutageLog::Line::kNone:
      break;
  }
}

void Service::noteDbOk() {
  if (!outage_.succeeded()) return;
  SL_NOTICE("auth_db: the DB answers again");
}

std::int64_t Service::negativeTtlMs() const {
  return std::min(config_.negative_cache_ttl_s, config_.cache_ttl_s) * 1000;
}

bool Service::cachedLookup(const std::string& key, SubscriberRow* out, Lookup& result) {
  std::string payload;
  if (!cache_->get(key, clock_ms_(), payload)) return false;
  if (payload.empty()) {  // a cached "no such subscriber" (rows never pack to nothing)
    result = Lookup::kNotFound;
    return true;
  }
  if (out != nullptr && !unpack(payload, *out)) return false;
  result = Lookup::kFound;
  return true;
}

void Service::cacheNotFound(const std::string& key, std::uint64_t generation) {
  if (cache_ != nullptr && negativeTtlMs() > 0) {
    cache_->put(key, "", clock_ms_(), generation, negativeTtlMs());
  }
}

Lookup Service::lookup(Table& t, std::string_view user, std::string_view domain,
                       SubscriberRow& out) {
  if (t.sql() == nullptr) return Lookup::kError;
  std::string key;
  std::uint64_t generation = 0;
  if (cache_ != nullptr) {
    key = cacheKey(t, user, domain);
    // Before the fetch: a flush after this point voids the put below (credential_cache.h).
    generation = cache_->generation();
    Lookup cached;
    if (cachedLookup(key, &out, cached)) return cached;
  }
  if (conn_ == nullptr) {
    noteDbError(Status::unavailable("no DB connection in this process"), t);
    return Lookup::kError;
  }
  counters_.db_lookups.inc();
  Result<std::optional<SubscriberRow>> row = t.sql()->fetch(*conn_, user, domain);
  if (!row.isOk()) {
    noteDbError(row.status(), t);
    return Lookup::kError;
  }
  noteDbOk();
  if (!row.value().has_value()) {
    cacheNotFound(key, generation);
    return Lookup::kNotFound;
  }
  out = std::move(*row.value());
  if (cache_ != nullptr) cache_->put(key, pack(out), clock_ms_(), generation);
  return Lookup::kFound;
}

Lookup Service::exists(Table& t, std::string_view user, std::string_view domain) {
  if (t.sql() == nullptr) return Lookup::kError;
  std::string key;
  std::uint64_t generation = 0;
  if (cache_ != nullptr) {
    key = cacheKey(t, user, domain);
    generation = cache_->generation();
    Lookup cached;
    if (cachedLookup(key, nullptr, cached)) return cached;
  }
  if (conn_ == nullptr) {
    noteDbError(Status::unavailable("no DB connection in this process"), t);
    return Lookup::kError;
  }
  counters_.db_lookups.inc();
  Result<bool> found = t.sql()->exists(*conn_, user, domain);
  if (!found.isOk()) {
    noteDbError(found.status(), t);
    return Lookup::kError;
  }
  noteDbOk();
  if (!found.value()) cacheNotFound(key, generation);
  return found.value() ? Lookup::kFound : Lookup::kNotFound;
}

std::uint64_t Service::flushCache(std::optional<std::string_view> user, std::string_view domain) {
  if (cache_ == nullptr) return 0;
  if (!user.has_value()) return cache_->clear();
  std::uint64_t n = 0;
  for (const auto& t : tables_) n += cache_->erase(cacheKey(*t, *user, domain)) ? 1 : 0;
  return n;
}

const std::string& Service::decoyHa1(crypto::DigestAlgorithm a) {
  std::string& d = decoy_[static_cast<std::size_t>(a)];
  if (d.empty()) {
    char seed[32];
    if (getrandom(seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
      // Still unknown to a client: time and address of this process's state.
      std::int64_t t = clock_ms_();
      std::memcpy(seed, &t, sizeof t);
      const void* self = this;
      std::memcpy(seed + sizeof t, &self, sizeof self);
    }
    d = crypto::digestHex(a, std::string_view(seed, sizeof seed));
  }
  return d;
}

}  // namespace sipline::auth_db
