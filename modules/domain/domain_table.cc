#include "modules/domain/domain_table.h"

#include <algorithm>
#include <cstring>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/db/schema.h"
#include "core/transport/sock_addr.h"
#include "modules/domain/domain_shm.h"

namespace sipline::domain {
namespace {

// A host name's characters once lower-cased (numeric addresses are handled before).
bool hostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

// A snapshot block holding `joined` ("a\nb\n"); throws bip::bad_alloc when shm is full.
SnapshotShm* makeSnapshot(shm::SegmentManager* sm, const std::string& joined, std::size_t count) {
  void* mem = shm::allocateBytes(sm, sizeof(SnapshotShm) + joined.size());
  shm::noteUsage(sm);
  auto* snap = ::new (mem) SnapshotShm;
  snap->count = static_cast<std::uint32_t>(count);
  snap->len = static_cast<std::uint32_t>(joined.size());
  std::memcpy(snap->bytes(), joined.data(), joined.size());
  return snap;
}

// The snapshot's robust mutex for one scope. A holder that died left nothing half-done that a
// copy could trip on (the pointer and the generation are each written whole), but it may have
// swapped the pointer without moving the generation: move it, so every process copies again.
class SnapshotLock {
 public:
  SnapshotLock(DomainShm* shm, int timeout_ms) : shm_(shm) {
    switch (shm_->mutex.lock(timeout_ms)) {
      case shm::RobustMutex::Locked::kOk:
        held_ = true;
        break;
      case shm::RobustMutex::Locked::kOwnerDied:
        held_ = true;
        shm_->generation.fetch_add(1, std::memory_order_release);
        SL_WARN("domain: a process died holding the snapshot lock; recovered");
        break;
      case shm::RobustMutex::Locked::kTimedOut:
      case shm::RobustMutex::Locked::kError:
        break;
    }
  }
  ~SnapshotLock() {
    if (held_) shm_->mutex.unlock();
  }
  SnapshotLock(const SnapshotLock&) = delete;
  SnapshotLock& operator=(const SnapshotLock&) = delete;
  bool held() const { return held_; }

 private:
  DomainShm* shm_;
  bool held_ = false;
};

// The lock is held only to copy a few KB or swap a pointer: a reader on the request path
// waits briefly and then answers from its previous copy; a reload waits longer.
constexpr int kReadLockMs = 20;
constexpr int kWriteLockMs = 1000;

}  // namespace

std::optional<std::string> normalizeDomain(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);  // FQDN "example.com."
  if (text.empty() || text.size() > 255) return std::nullopt;
  // A numeric address in its one canonical form, so that "::1", "[::1]" and "[0:0::1]" (or a
  // table row and a URI host written differently) are the same name.
  SockAddr addr;
  if (SockAddr::fromNumeric(text, 0, addr)) return addr.ipForUri();
  std::string out = toLower(text);
  for (char c : out) {
    if (!hostChar(c)) return std::nullopt;
  }
  return out;
}

Service::Service() : connector_([this]() { return db::openUrl(config_.db_url, db_options_); }) {}

Service::~Service() = default;

Status Service::checkConfig() const {
  for (const auto& [param, value] :
       {std::pair<const char*, const std::string*>{"domain_table", &config_.domain_table},
        {"domain_col", &config_.domain_col}}) {
    if (!db::isSqlIdentifier(*value)) {
      return Status::invalidArgument(std::string("domain: ") + param + " \"" + *value +
                                     "\" is not an SQL name ([A-Za-z_][A-Za-z0-9_]*)");
    }
  }
  if (config_.db_url.empty()) {
    return Status::invalidArgument(
        "domain: db_url is required (e.g. postgres://sipline@127.0.0.1/sipline)");
  }
  Result<db::DbUrl> url = db::parseDbUrl(config_.db_url);
  if (!url.isOk()) return url.status().withPrefix("domain: db_url");
  return Status::ok();
}

Status Service::init(shm::SegmentManager* sm) {
  Status st = checkConfig();
  if (!st.isOk()) return st;
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  st = createShm(sm);
  if (!st.isOk()) return st;

  // The schema and the first load, on a connection closed before fork.
  Result<std::unique_ptr<db::Connection>> opened = connector_();
  st = opened.isOk() ? checkSchema(*opened.value()) : opened.status();
  if (st.code() != Code::kOk && st.code() != Code::kUnavailable) return st.withPrefix("domain");
  if (st.isOk()) {
    Result<std::size_t> n = [&]() -> Result<std::size_t> {
      Result<std::vector<std::string>> rows = fetch(*opened.value());
      if (!rows.isOk()) return rows.status();
      return install(rows.value());
    }();
    if (n.isOk()) {
      SL_INFO("domain: %zu domains loaded from table %s", n.value(), config_.domain_table.c_str());
      return Status::ok();
    }
    if (n.status().code() != Code::kUnavailable) return n.status().withPrefix("domain");
    st = n.status();
  }
  // The DB is down: signalling must not wait for it. Start empty, load when it is back.
  counters_.reload_errors.inc();
  SL_ERR(
      "domain: cannot reach the DB %s to load table %s (%s); the domain list is EMPTY "
      "(no domain is local) until the DB is back, retrying in the background",
      db::parseDbUrl(config_.db_url).value().text.c_str(), config_.domain_table.c_str(),
      st.message().c_str());
  counters_.domains.set(0);
  retry_.arm(monotonicMs());
  return Status::ok();
}

Status Service::checkSchema(db::Connection& conn) {
  Status st = conn.ensureConnected();
  if (!st.isOk()) return Status::unavailable(st.message());
  return db::checkTable(conn, {config_.domain_table, 1, {config_.domain_col}});
}

int Service::runLoader() {
  return db::runLoaderProcess(retry_, [this] { return retryLoad(); });
}

void Service::retryTick(std::int64_t now_ms) {
  retry_.tick(now_ms, [this] { return retryLoad(); });
}

bool Service::retryLoad() {
  if (shm_ == nullptr) return true;
  if (generation() != 0) {
    SL_NOTICE("domain: table %s was loaded by domain_reload; the background retry stops",
              config_.domain_table.c_str());
    return true;
  }
  // A connection per attempt, closed when done.
  Result<std::unique_ptr<db::Connection>> opened = connector_();
  Result<std::size_t> n = [&]() -> Result<std::size_t> {
    if (!opened.isOk()) return opened.status();
    Status st = checkSchema(*opened.value());
    if (!st.isOk()) return st;
    Result<std::vector<std::string>> rows = fetch(*opened.value());
    if (!rows.isOk()) return rows.status();
    return install(rows.value());
  }();
  if (!n.isOk()) {
    counters_.reload_errors.inc();
    SL_ERR(
        "domain: background load of table %s failed (%s); the domain list stays empty, "
        "trying again later",
        config_.domain_table.c_str(), n.status().message().c_str());
    return false;
  }
  counters_.reloads.inc();
  SL_NOTICE("domain: the DB %s is back: %zu domains loaded from table %s after %llu attempts",
            opened.value()->url().text.c_str(), n.value(), config_.domain_table.c_str(),
            static_cast<unsigned long long>(retry_.attempts()));
  return true;
}

Status Service::createShm(shm::SegmentManager* sm) {
  if (sm == nullptr) return Status::internal("domain: no shared memory");
  sm_ = sm;
  return shm::guardAlloc("domain table", [&] { shm_ = shm::create<DomainShm>(sm); });
}

Result<std::vector<std::string>> Service::fetch(db::Connection& conn) {
  // Identifiers are checked SQL names (checkConfig); no data is written into the text.
  Result<db::Rows> rows =
      conn.query("SELECT " + config_.domain_col + " FROM " + config_.domain_table);
  if (!rows.isOk()) return rows.status();
  std::vector<std::string> out;
  out.reserve(rows.value().size());
  for (std::size_t i = 0; i < rows.value().size(); ++i) {
    std::optional<std::string_view> v = rows.value().text(i, 0);
    std::optional<std::string> name = v ? normalizeDomain(*v) : std::nullopt;
    if (!name) {
      SL_WARN("domain: table %s: row with %s \"%.*s\" skipped (not a domain name)",
              config_.domain_table.c_str(), config_.domain_col.c_str(),
              v ? static_cast<int>(std::min<std::size_t>(v->size(), 80)) : 4,
              v ? v->data() : "NULL");
      continue;
    }
    out.push_back(std::move(*name));
  }
  return out;
}

Result<std::size_t> Service::install(const std::vector<std::string>& names) {
  if (shm_ == nullptr) return Status::failedPrecondition("domain: not initialised");
  std::vector<std::string> sorted;
  sorted.reserve(names.size());
  for (const std::string& n : names) {
    std::optional<std::string> norm = normalizeDomain(n);
    if (norm) sorted.push_back(std::move(*norm));
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string joined;
  for (const std::string& n : sorted) joined += n + "\n";

  SnapshotShm* fresh = nullptr;
  Status st =
      shm::guardAlloc("domain snapshot", [&] { fresh = makeSnapshot(sm_, joined, sorted.size()); });
  if (!st.isOk()) return st;
  SnapshotShm* old = nullptr;
  {
    SnapshotLock lock(shm_, kWriteLockMs);
    if (!lock.held()) {
      shm::deallocateBytes(sm_, fresh);
      return Status::unavailable("the domain snapshot stayed locked for " +
                                 std::to_string(kWriteLockMs) + " ms");
    }
    old = shm_->current.get();
    shm_->current = fresh;
    shm_->generation.fetch_add(1, std::memory_order_release);
  }
  // Readers copy the snapshot under the mutex, so nobody holds `old` any more.
  if (old != nullptr) shm::deallocateBytes(sm_, old);
  counters_.domains.set(sorted.size());
  return sorted.size();
}

Result<std::size_t> Service::reload() {
  if (shm_ == nullptr) return Status::failedPrecondition("domain: not initialised");
  Result<std::size_t> n = [&]() -> Result<std::size_t> {
    // A connection of its own for every reload: one kept from a failed reload would still be
    // backing off (up to reconnect_max_ms) and refuse the operator's next domain_reload long
    // after the DB is back. Reloads are rare; the connection is closed when done.
    Result<std::unique_ptr<db::Connection>> conn = connector_();
    if (!conn.isOk()) return conn.status();
    Result<std::vector<std::string>> rows = fetch(*conn.value());
    if (!rows.isOk()) return rows.status();
    return install(rows.value());
  }();
  if (!n.isOk()) {
    counters_.reload_errors.inc();
    SL_ERR("domain: reload of table %s failed, the previous %llu domains stay: %s",
           config_.domain_table.c_str(), static_cast<unsigned long long>(counters_.domains.get()),
           n.status().message().c_str());
    return n.status().withPrefix("domain: reload failed, the previous domains stay");
  }
  counters_.reloads.inc();
  SL_NOTICE("domain: %zu domains reloaded from table %s", n.value(), config_.domain_table.c_str());
  return n;
}

std::uint64_t Service::generation() const {
  return shm_ != nullptr ? shm_->generation.load(std::memory_order_acquire) : 0;
}

void Service::refresh() {
  if (shm_ == nullptr || shm_->generation.load(std::memory_order_acquire) == names_generation_) {
    return;
  }
  std::string joined;
  std::uint64_t gen = 0;
  {
    SnapshotLock lock(shm_, kReadLockMs);
    if (!lock.held()) {
      // Answer from the private copy a little longer; the next call tries again.
      SL_ERR_RATELIMITED(
          "domain: the snapshot stayed locked for %d ms; answering from the "
          "previous copy",
          kReadLockMs);
      return;
    }
    gen = shm_->generation.load(std::memory_order_relaxed);
    SnapshotShm* snap = shm_->current.get();
    if (snap != nullptr) joined.assign(snap->bytes(), snap->len);
  }
  names_.clear();
  std::size_t start = 0;
  while (start < joined.size()) {
    std::size_t nl = joined.find('\n', start);
    if (nl == std::string::npos) break;
    names_.push_back(joined.substr(start, nl - start));
    start = nl + 1;
  }
  names_generation_ = gen;
}

bool Service::isLocal(std::string_view host) {
  refresh();
  if (host.empty() || names_.empty()) return false;
  std::optional<std::string> key = normalizeDomain(host);
  return key && std::binary_search(names_.begin(), names_.end(), *key);
}

std::vector<std::string> Service::names() {
  refresh();
  return names_;
}

}  // namespace sipline::domain
