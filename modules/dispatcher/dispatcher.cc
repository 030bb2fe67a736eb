#include "modules/dispatcher/dispatcher.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <utility>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/db/load_retry.h"
#include "core/db/schema.h"
#include "core/parser/uri.h"
#include "core/proc/supervisor.h"
#include "core/script/socket_lookup.h"
#include "core/transport/listener.h"

namespace sipline::dispatcher {
namespace {

// The process's service, for tm's reply callback (a plain function; one dispatcher per server).
Service* g_service = nullptr;

void probeCallback(const tm::LocalReply& reply, std::uint64_t param) {
  if (g_service != nullptr) g_service->onProbeReply(reply.code, param, reply.local);
}

std::string randomTag() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

const char* const kColumns[] = {"setid",  "destination", "socket", "state",
                                "weight", "priority",    "attrs"};

// Where (set, uri) of slot lies; set to nullptr when the slot is out of range.
const Destination* destOfSlot(const DsList& list, std::size_t slot) {
  for (const DsSet& s : list.sets) {
    if (slot >= s.first_slot && slot < s.first_slot + s.dests.size()) {
      return &s.dests[slot - s.first_slot];
    }
  }
  return nullptr;
}

struct Change {
  bool changed = false;
  std::int64_t setid = 0;
  std::string uri;
  DsState from = DsState::kActive;
  DsState to = DsState::kActive;
};

void logChange(const Change& c, const char* why) {
  if (!c.changed) return;
  SL_NOTICE("dispatcher: set %lld destination %s: %s -> %s (%s)", static_cast<long long>(c.setid),
            c.uri.c_str(), stateName(c.from), stateName(c.to), why);
}

// The shared state's robust mutex for one scope. A holder that died inside a reload may have
// swapped in some of the new blob, slots and round-robin counters but not all (install()
// marks that span with `installing`): the next holder then rebuilds the slots and counters
// from the blob, in the destinations' configured states, and moves the generation so every
// process re-reads the blob. A death anywhere else left nothing torn: live states stay.
// The repair is logged once the lock is released.
class StateLock {
 public:
  explicit StateLock(DsShared& s) : s_(s) {
    switch (s_.mutex.lock()) {
      case shm::RobustMutex::Locked::kOk:
        break;
      case shm::RobustMutex::Locked::kOwnerDied:
        try {
          repair();
        } catch (...) {  // shm exhausted while rebuilding: never leave the lock held
          s_.mutex.unlock();
          throw;
        }
        break;
      case shm::RobustMutex::Locked::kTimedOut:
      case shm::RobustMutex::Locked::kError:
        // Not possible without a timeout on a robust mutex that is made consistent on
        // recovery; go on unlocked rather than stop routing.
        held_ = false;
        SL_ERR_RATELIMITED("dispatcher: the state lock failed; going on without it");
        break;
    }
  }
  ~StateLock() {
    if (held_) s_.mutex.unlock();
    if (repaired_ != nullptr) {
      SL_ERR("dispatcher: a process died holding the state lock; recovered (%s)", repaired_);
    }
  }
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  void repair() {
    DsList list;
    const bool readable = deserializeList(std::string_view(s_.blob.data(), s_.blob.size()), list);
    if (!readable) {
      // Cannot happen with whole-blob swaps, but never route on a list that does not parse:
      // no sets until a reload (the loader retries when it runs).
      list = DsList{};
      s_.blob.clear();
      s_.load_pending.store(true);
    }
    const bool torn = !readable || s_.installing || s_.slots.size() != list.size() ||
                      s_.rr.size() != list.sets.size();
    if (torn) {
      s_.slots.clear();
      for (const DsSet& set : list.sets) {
        for (const Destination& d : set.dests) {
          DsSlot slot;
          slot.state = static_cast<std::uint8_t>(d.initial);
          s_.slots.push_back(slot);
        }
      }
      s_.rr.assign(list.sets.size(), 0);
      s_.installing = false;
    }
    s_.generation.fetch_add(1);
    repaired_ = !readable ? "the sets could not be read: none until ds_reload"
                : torn ? "a reload was cut short: destination states reset to the configured ones"
                       : "nothing was torn";
  }

  DsShared& s_;
  bool held_ = true;
  const char* repaired_ = nullptr;
};

}  // namespace

template <class F>
auto Service::locked(F&& f) {
  // The parse happens outside the mutex; a reload elsewhere between the parse and the lock
  // costs one more round, and only reloads back to back are parsed under it.
  for (int round = 0; round < 3; ++round) {
    refresh();
    StateLock lock(*shared_);
    if (shared_->generation.load() == list_gen_) return f();
  }
  StateLock lock(*shared_);
  refreshLocked();
  return f();
}

Service::Service() : loader_([this] { return load(); }) {}

Service::~Service() {
  if (g_service == this) g_service = nullptr;
}

Status Service::checkConfig() {
  if (!cfg_.db_url.empty() && !cfg_.list_file.empty()) {
    return Status::invalidArgument(
        "dispatcher: set either db_url or list_file, not both (the sets come from one source)");
  }
  if (cfg_.db_url.empty() && cfg_.list_file.empty()) {
    return Status::invalidArgument("dispatcher: needs db_url or list_file (where the sets are)");
  }
  if (!db::isSqlIdentifier(cfg_.table_name)) {
    return Status::invalidArgument("dispatcher: table_name \"" + cfg_.table_name +
                                   "\" is not an SQL identifier");
  }
  if (cfg_.ping_method.empty() || cfg_.ping_method.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::invalidArgument("dispatcher: ds_ping_method must be one method name");
  }
  if (!cfg_.ping_from.empty()) {
    SipUri from;
    if (parseUri(cfg_.ping_from, from) != ParseError::kOk) {
      return Status::invalidArgument("dispatcher: ds_ping_from \"" + cfg_.ping_from +
                                     "\" is not a SIP URI");
    }
  }
  extra_codes_.clear();
  std::string_view codes = cfg_.options_reply_codes;
  while (!trim(codes).empty()) {
    std::size_t comma = codes.find(',');
    std::string_view item = trim(codes.substr(0, comma));
    std::int64_t code = 0;
    if (!parseInt(item, code) || code < 100 || code > 699) {
      return Status::invalidArgument("dispatcher: options_reply_codes: \"" + std::string(item) +
                                     "\" is not a reply code (100..699)");
    }
    extra_codes_.push_back(static_cast<int>(code));
    if (comma == std::string_view::npos) break;
    codes.remove_prefix(comma + 1);
  }
  db_options_.connect_timeout_ms = static_cast<int>(cfg_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(cfg_.db_query_timeout_ms);
  return Status::ok();
}

bool Service::aliveCode(int code) const {
  if (code >= 200 && code <= 299) return true;
  for (int c : extra_codes_) {
    if (c == code) return true;
  }
  return false;
}

Result<std::vector<Destination>> Service::loadFromDb(db::Connection& conn) {
  std::string sql = "SELECT ";
  for (const char* c : kColumns) sql += std::string(sql.size() > 7 ? ", " : "") + c;
  sql += " FROM " + cfg_.table_name + " ORDER BY id";
  Result<db::Rows> rows = conn.query(sql);
  if (!rows.isOk()) {
    return rows.status().withPrefix("cannot read table " + cfg_.table_name + " from " +
                                    conn.url().text);
  }
  const db::Rows& r = rows.value();
  std::vector<Destination> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    Destination d;
    std::int64_t state = 0;
    bool ok = r.getInt(i, 0, d.setid) && r.getInt(i, 3, state) && r.getInt(i, 4, d.weight) &&
              r.getInt(i, 5, d.priority) && state >= 0 && state <= 2;
    d.uri = std::string(r.text(i, 1).value_or(""));
    d.socket = std::string(r.text(i, 2).value_or(""));
    d.attrs = std::string(r.text(i, 6).value_or(""));
    d.initial = static_cast<DsState>(ok ? state : 0);
    Status st = ok ? checkDestination(d)
                   : Status::invalidArgument("setid, state (0..2), weight or priority is bad");
    if (!st.isOk()) {
      SL_ERR("dispatcher: table %s row %zu (%s) skipped: %s", cfg_.table_name.c_str(), i + 1,
             d.uri.c_str(), st.message().c_str());
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Destination>> Service::load() {
  if (!cfg_.list_file.empty()) return readListFile(cfg_.list_file);
  // A connection of its own for every load, closed when done: one kept from a ds_reload that
  // failed in an outage would still be backing off (up to 30 s) and refuse the operator's
  // ds_reload once the DB is back. Loads are rare.
  Result<std::unique_ptr<db::Connection>> opened = db::openUrl(cfg_.db_url, db_options_);
  if (!opened.isOk()) return opened.status();
  db::Connection* conn = opened.value().get();
  Status st = conn->ensureConnected();
  if (!st.isOk()) {
    return Status::unavailable("cannot reach the DB " + conn->url().text + ": " + st.message());
  }
  db::TableSpec spec{cfg_.table_name, 1, {}};
  for (const char* c : kColumns) spec.columns.emplace_back(c);
  st = db::checkTable(*conn, spec);
  if (!st.isOk()) return st;
  return loadFromDb(*conn);
}

Status Service::init(shm::SegmentManager* sm, tm::Api* tm) {
  Status st = checkConfig();
  if (!st.isOk()) return st;
  if (cfg_.ping_interval_s > 0 && tm == nullptr && !sender_) {
    return Status::failedPrecondition(
        "dispatcher: ds_ping_interval needs the tm module (load it before dispatcher)");
  }
  Result<std::vector<Destination>> dests = loader_();
  const bool degraded =
      !dests.isOk() && !cfg_.db_url.empty() && dests.status().code() == Code::kUnavailable;
  if (!dests.isOk() && !degraded) return dests.status().withPrefix("dispatcher");
  if (degraded) {
    // A DB outage never stops signalling: start with no sets, the loader process retries.
    SL_ERR(
        "dispatcher: %s; starting with no destination sets until the DB is back "
        "(retrying in the background)",
        dests.status().message().c_str());
    counters_.reload_errors.inc();
    dests = std::vector<Destination>{};
  }
  try {
    shared_ = shm::create<DsShared>(sm, sm);
  } catch (const shm::bip::bad_alloc&) {
    return Status::noMemory("dispatcher: shared memory full while creating the state");
  }
  st = install(std::move(dests.value()));
  if (!st.isOk()) return st.withPrefix("dispatcher");
  shared_->load_pending.store(degraded);
  if (cfg_.ping_interval_s > 0 && tm != nullptr) {
    tm_ = tm;
    callback_ = tm->registerCallback(&probeCallback);
  }
  g_service = this;
  return Status::ok();
}

Status Service::install(std::vector<Destination> dests) {
  std::vector<std::string> dups;
  DsList fresh = buildList(std::move(dests), &dups);
  for (const std::string& d : dups)
    SL_WARN("dispatcher: %s is listed twice; the first is used", d.c_str());
  std::string blob = serializeList(fresh);
  Status st =
      shm::guardAlloc("dispatcher sets", [&] { locked([&] { installLocked(fresh, blob); }); });
  return st;
}

void Service::installLocked(const DsList& fresh, const std::string& blob) {
  const DsList& old = list_;  // fresh: locked() adopted the current blob
  {
    shm::bip::vector<DsSlot, shm::Allocator<DsSlot>> slots(shared_->slots.get_allocator());
    shm::bip::vector<std::uint64_t, shm::Allocator<std::uint64_t>> rr(shared_->rr.get_allocator());
    for (const DsSet& s : fresh.sets) {
      const DsSet* before = old.find(s.id);
      std::uint64_t counter = 0;
      if (before != nullptr) {
        counter = shared_->rr[static_cast<std::size_t>(before - old.sets.data())];
      }
      rr.push_back(counter);
      for (const Destination& d : s.dests) {
        DsSlot slot;
        slot.state = static_cast<std::uint8_t>(d.initial);
        for (std::size_t i = 0; before != nullptr && i < before->dests.size(); ++i) {
          // A destination that stays keeps its live state, unless the operator changed its
          // state in the source: then the source's state is the newer word.
          if (before->dests[i].uri == d.uri) {
            if (before->dests[i].initial == d.initial)
              slot = shared_->slots[before->first_slot + i];
            slot.probe_sent_ms = 0;  // a reply to the old list is ignored: probe again
            break;
          }
        }
        slots.push_back(slot);
      }
    }
    shm::String fresh_blob(shared_->blob.get_allocator());
    fresh_blob.assign(blob.data(), blob.size());
    // Everything is built aside; the swaps only exchange pointers. A process killed between
    // them leaves `installing` set, and the next locker rebuilds the slots (StateLock).
    shared_->installing = true;
    shared_->blob.swap(fresh_blob);
    shared_->slots.swap(slots);
    shared_->rr.swap(rr);
    shared_->installing = false;
    shared_->generation.fetch_add(1);
    shared_->load_pending.store(false);
    recountLocked();
  }
}

bool Service::loadPending() const { return shared_ != nullptr && shared_->load_pending.load(); }

Status Service::retryLoad() {
  if (!loadPending()) return Status::ok();
  Result<std::vector<Destination>> dests = loader_();
  if (!dests.isOk()) return dests.status();
  std::size_t n = dests.value().size();
  Status st = install(std::move(dests.value()));
  if (!st.isOk()) return st;
  SL_NOTICE("dispatcher: the DB is back: loaded %zu destination(s) from table %s", n,
            cfg_.table_name.c_str());
  return Status::ok();
}

int Service::runLoader() {
  db::LoadRetry retry;
  retry.arm(monotonicMs());
  return db::runLoaderProcess(retry, [this, &retry] {
    Status st = retryLoad();
    if (!st.isOk()) {
      SL_WARN("dispatcher: still no sets (%s); next try in about %lld ms", st.message().c_str(),
              static_cast<long long>(std::min(retry.delayMs() * 2, db::LoadRetry::kMaxMs)));
    }
    return st.isOk();
  });
}

Result<std::size_t> Service::reload() {
  if (shared_ == nullptr) return Status::failedPrecondition("dispatcher is not initialised");
  Result<std::vector<Destination>> dests = loader_();
  if (!dests.isOk()) {
    counters_.reload_errors.inc();
    SL_ERR("dispatcher: reload failed, the old sets stay: %s", dests.status().message().c_str());
    return dests.status().withPrefix("dispatcher: reload failed, the old sets stay");
  }
  std::size_t n = dests.value().size();
  Status st = install(std::move(dests.value()));
  if (!st.isOk()) {
    counters_.reload_errors.inc();
    return st.withPrefix("dispatcher: reload failed, the old sets stay");
  }
  counters_.reloads.inc();
  SL_NOTICE("dispatcher: reloaded %zu destination(s) from %s", n,
            cfg_.list_file.empty() ? ("table " + cfg_.table_name).c_str() : cfg_.list_file.c_str());
  return n;
}

bool Service::refreshLocked() {
  std::uint64_t gen = shared_->generation.load();
  if (gen == list_gen_) return false;
  adopt(gen, std::string_view(shared_->blob.data(), shared_->blob.size()));
  return true;
}

void Service::adopt(std::uint64_t gen, std::string_view blob) {
  DsList fresh;
  if (!deserializeList(blob, fresh)) fresh = DsList{};
  list_ = std::move(fresh);
  list_gen_ = gen;
  addrs_.assign(list_.size(), std::nullopt);
  for (const DsSet& s : list_.sets) {
    for (std::size_t i = 0; i < s.dests.size(); ++i) {
      const Destination& d = s.dests[i];
      SockAddr a;
      // RFC 3263 §4.2 defaults: 5061 for sips:, else 5060.
      const std::uint16_t port =
          d.port != 0 ? d.port : (d.uri.rfind("sips:", 0) == 0 ? 5061 : 5060);
      if (SockAddr::fromNumeric(d.host, port, a)) addrs_[s.first_slot + i] = a;
    }
  }
}

void Service::refresh() {
  if (shared_ == nullptr || shared_->generation.load() == list_gen_) return;
  std::uint64_t gen = 0;
  std::string blob;
  {
    // The blob and its generation are copied together, so the copy is never torn.
    StateLock lock(*shared_);
    gen = shared_->generation.load();
    blob.assign(shared_->blob.data(), shared_->blob.size());
  }
  adopt(gen, blob);
}

const DsList& Service::list() {
  refresh();
  return list_;
}

void Service::recountLocked() {
  std::uint64_t n[3] = {0, 0, 0};
  for (const DsSlot& s : shared_->slots) {
    if (s.state < 3) ++n[s.state];
  }
  counters_.active.set(n[0]);
  counters_.inactive.set(n[1]);
  counters_.probing.set(n[2]);
}

Result<std::vector<Destination>> Service::select(std::int64_t setid, Alg alg, std::uint64_t key,
                                                 std::size_t max_results) {
  if (shared_ == nullptr) return Status::failedPrecondition("dispatcher is not initialised");
  std::vector<bool> usable;
  const DsSet* set = nullptr;
  locked([&] {
    set = list_.find(setid);
    if (set == nullptr) return;
    for (std::size_t i = 0; i < set->dests.size(); ++i) {
      usable.push_back(shared_->slots[set->first_slot + i].state ==
                       static_cast<std::uint8_t>(DsState::kActive));
    }
    if (alg == Alg::kRoundRobin)
      key = shared_->rr[static_cast<std::size_t>(set - list_.sets.data())]++;
  });
  if (set == nullptr) return Status::notFound("no set " + std::to_string(setid));
  std::vector<Destination> out;
  for (std::size_t i : orderCandidates(*set, usable, alg, key, max_results)) {
    out.push_back(set->dests[i]);
  }
  if (!out.empty()) counters_.selects.inc();
  return out;
}

const Destination* Service::find(std::int64_t setid, std::string_view uri) {
  const DsSet* s = list().find(setid);
  if (s == nullptr) return nullptr;
  for (const Destination& d : s->dests) {
    if (d.uri == uri) return &d;
  }
  return nullptr;
}

long Service::slotOf(std::int64_t setid, std::string_view uri) {
  const DsSet* s = list_.find(setid);
  if (s == nullptr) return -1;
  // The operator types the URI (MI ds_set_state): any case, as OpenSIPS; an exact match wins
  // over one that differs only in case.
  long loose = -1;
  for (std::size_t i = 0; i < s->dests.size(); ++i) {
    if (s->dests[i].uri == uri) return static_cast<long>(s->first_slot + i);
    if (loose < 0 && iequals(s->dests[i].uri, uri)) loose = static_cast<long>(s->first_slot + i);
  }
  return loose;
}

Status Service::setState(std::int64_t setid, std::string_view uri, DsState state, const char* why) {
  if (shared_ == nullptr) return Status::failedPrecondition("dispatcher is not initialised");
  Change c;
  long slot = locked([&] {
    long at = slotOf(setid, uri);
    if (at < 0) return at;
    DsSlot& s = shared_->slots[static_cast<std::size_t>(at)];
    c = {s.state != static_cast<std::uint8_t>(state), setid, std::string(uri),
         static_cast<DsState>(s.state), state};
    s.state = static_cast<std::uint8_t>(state);
    s.failures = 0;
    recountLocked();
    return at;
  });
  if (slot < 0) {
    return Status::notFound("no destination " + std::string(uri) + " in set " +
                            std::to_string(setid));
  }
  if (c.changed) counters_.state_changes.inc();
  logChange(c, why);
  return Status::ok();
}

Status Service::noteFailure(std::int64_t setid, std::string_view uri, const char* why) {
  if (shared_ == nullptr) return Status::failedPrecondition("dispatcher is not initialised");
  Change c;
  long slot = locked([&] {
    long at = slotOf(setid, uri);
    if (at < 0) return at;
    DsSlot& s = shared_->slots[static_cast<std::size_t>(at)];
    ++s.failures;
    if (s.state == static_cast<std::uint8_t>(DsState::kActive) &&
        s.failures >= static_cast<std::uint64_t>(cfg_.probing_threshold)) {
      c = {true, setid, std::string(uri), DsState::kActive, DsState::kProbing};
      s.state = static_cast<std::uint8_t>(DsState::kProbing);
      recountLocked();
    }
    return at;
  });
  if (slot < 0) {
    return Status::notFound("no destination " + std::string(uri) + " in set " +
                            std::to_string(setid));
  }
  if (c.changed) counters_.state_changes.inc();
  logChange(c, why);
  return Status::ok();
}

std::vector<DestView> Service::snapshot() {
  std::vector<DestView> out;
  if (shared_ == nullptr) return out;
  locked([&] {
    for (const DsSet& s : list_.sets) {
      for (std::size_t i = 0; i < s.dests.size(); ++i) {
        const DsSlot& slot = shared_->slots[s.first_slot + i];
        out.push_back({s.dests[i], static_cast<DsState>(slot.state), slot.failures});
      }
    }
  });
  return out;
}

bool Service::isInList(const SockAddr& addr, bool port_any, std::optional<std::int64_t> setid) {
  refresh();
  for (const DsSet& s : list_.sets) {
    if (setid.has_value() && s.id != *setid) continue;
    for (std::size_t i = 0; i < s.dests.size(); ++i) {
      const std::optional<SockAddr>& a = addrs_[s.first_slot + i];
      if (a.has_value() && a->sameIp(addr) && (port_any || a->port() == addr.port())) return true;
    }
  }
  return false;
}

std::vector<std::pair<std::size_t, std::uint64_t>> Service::probeTargets(std::int64_t mono_ms) {
  std::vector<std::pair<std::size_t, std::uint64_t>> out;
  if (shared_ == nullptr) return out;
  const std::int64_t now = std::max<std::int64_t>(mono_ms, 1);  // 0 means "none in flight"
  locked([&] {
    const std::uint64_t gen = (list_gen_ & 0xffffffffULL) << 32;
    for (std::size_t i = 0; i < shared_->slots.size(); ++i) {
      DsSlot& slot = shared_->slots[i];
      DsState st = static_cast<DsState>(slot.state);
      if (st == DsState::kInactive) continue;  // disabled by the operator: not probed
      if (cfg_.probing_mode == 0 && st != DsState::kProbing) continue;
      if (st == DsState::kProbing) {
        // Known down: one probe at a time, not one more timing-out transaction per round.
        if (slot.probe_sent_ms != 0 && now - slot.probe_sent_ms < kProbeLostMs) continue;
        slot.probe_sent_ms = now;
      }
      out.emplace_back(i, gen | i);
    }
  });
  return out;
}

void Service::tick(std::int64_t mono_ms) {
  if (cfg_.ping_interval_s <= 0 || shared_ == nullptr) return;
  if (last_probe_ms_ >= 0 && mono_ms - last_probe_ms_ < cfg_.ping_interval_s * 1000) return;
  last_probe_ms_ = mono_ms;
  for (const auto& [slot, param] : probeTargets(mono_ms)) sendProbe(slot, param);
}

void Service::sendProbe(std::size_t slot, std::uint64_t param) {
  const Destination* d = destOfSlot(list_, slot);
  if (d == nullptr) return;
  tm::LocalRequest r;
  r.method = cfg_.ping_method;
  r.ruri = d->uri;
  if (!cfg_.ping_from.empty()) r.from = "<" + cfg_.ping_from + ">;tag=" + randomTag();
  if (!d->socket.empty()) {
    Result<const Listener*> l = findListenerByText(listeners(), d->socket);
    if (l.isOk()) r.socket = l.value();
  }
  Status st = sender_          ? sender_(r, param)
              : tm_ != nullptr ? tm_->send(r, callback_, param)
                               : Status::failedPrecondition("no tm");
  if (!st.isOk()) {
    SL_ERR_RATELIMITED("dispatcher: %s probe to %s failed: %s", cfg_.ping_method.c_str(),
                       d->uri.c_str(), st.message().c_str());
    onProbeReply(0, param);
    return;
  }
  counters_.probes_sent.inc();
}

void Service::onProbeReply(int code, std::uint64_t param, bool local) {
  if (shared_ == nullptr) return;
  const bool alive = !local && aliveCode(code);
  Change c;
  bool current = locked([&] {
    // A probe sent before a reload answers for a list that is gone.
    if ((list_gen_ & 0xffffffffULL) != (param >> 32)) return false;
    std::size_t slot = static_cast<std::size_t>(param & 0xffffffffULL);
    const Destination* d = destOfSlot(list_, slot);
    if (d == nullptr || slot >= shared_->slots.size()) return false;
    DsSlot& s = shared_->slots[slot];
    s.probe_sent_ms = 0;
    DsState st = static_cast<DsState>(s.state);
    if (alive) {
      s.failures = 0;
      if (st == DsState::kProbing) {
        c = {true, d->setid, d->uri, st, DsState::kActive};
        s.state = static_cast<std::uint8_t>(DsState::kActive);
      }
    } else {
      ++s.failures;
      if (st == DsState::kActive &&
          s.failures >= static_cast<std::uint64_t>(cfg_.probing_threshold)) {
        c = {true, d->setid, d->uri, st, DsState::kProbing};
        s.state = static_cast<std::uint8_t>(DsState::kProbing);
      }
    }
    if (c.changed) recountLocked();
    return true;
  });
  if (!current) return;
  if (!alive) counters_.probes_failed.inc();
  if (c.changed) counters_.state_changes.inc();
  logChange(c, alive ? "probe answered" : "probes failed");
}

}  // namespace sipline::dispatcher
