#include "core/media/relay_set.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/base/hash.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/shm/segment.h"

namespace sipline::media {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::vector<std::string_view> splitWords(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isSpace(s[i])) ++i;
    std::size_t start = i;
    while (i < s.size() && !isSpace(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// FNV-1a's high bits barely move when only the last bytes differ (the relay's port): a
// finaliser (MurmurHash3's fmix64) spreads every input bit over the result.
std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// The largest UDP payload (IPv4: 65535 - 20 - 8; IPv6: 65535 - 8, no jumbograms).
constexpr std::size_t kMaxDatagramV4 = 65507;
constexpr std::size_t kMaxDatagramV6 = 65527;

// invalidArgument when a command of `size` bytes cannot go to `to` in one datagram.
Status fitsDatagram(std::size_t size, const SockAddr& to) {
  std::size_t max = to.isV6() ? kMaxDatagramV6 : kMaxDatagramV4;
  if (size <= max) return Status::ok();
  return Status::invalidArgument("a command of " + std::to_string(size) +
                                 " bytes does not fit one UDP datagram (at most " +
                                 std::to_string(max) + ")");
}

// A failed send: EMSGSIZE is the command's fault (invalidArgument), anything else the path's.
Status sendError(const SockAddr& to, int err) {
  std::string why = "send to " + to.toString() + ": " + std::strerror(err);
  return err == EMSGSIZE ? Status::invalidArgument(why) : Status::ioError(why);
}

Status tokenError(std::string_view token, const std::string& why) {
  return Status::invalidArgument("relay socket '" + std::string(token) + "': " + why);
}

// "udp:HOST:PORT[=WEIGHT]" with HOST numeric, IPv6 in brackets.
Result<RelaySpec> parseRelay(std::string_view token) {
  std::string_view rest = token;
  std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos || !iequals(rest.substr(0, colon), "udp")) {
    return tokenError(token, "expected udp:ADDRESS:PORT (only the udp: scheme is supported)");
  }
  rest.remove_prefix(colon + 1);
  RelaySpec spec;
  std::size_t eq = rest.find('=');
  if (eq != std::string_view::npos) {
    std::int64_t w = 0;
    if (!parseInt(rest.substr(eq + 1), w) || w < 1 || w > kMaxWeight) {
      return tokenError(token, "weight must be an integer from 1 to " + std::to_string(kMaxWeight));
    }
    spec.weight = static_cast<unsigned>(w);
    rest = rest.substr(0, eq);
  }
  std::string_view host;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return tokenError(token, "missing ']' after IPv6 address");
    host = rest.substr(0, close + 1);
    if (close + 1 >= rest.size() || rest[close + 1] != ':') {
      return tokenError(token, "missing :PORT after the address");
    }
    port_text = rest.substr(close + 2);
  } else {
    std::size_t last = rest.rfind(':');
    if (last == std::string_view::npos) return tokenError(token, "missing :PORT after the address");
    host = rest.substr(0, last);
    if (host.find(':') != std::string_view::npos) {
      return tokenError(token, "an IPv6 address needs brackets: udp:[ADDRESS]:PORT");
    }
    port_text = rest.substr(last + 1);
  }
  std::int64_t port = 0;
  if (!parseInt(port_text, port) || port < 1 || port > 65535) {
    return tokenError(token, "port must be an integer from 1 to 65535");
  }
  if (!SockAddr::fromNumeric(host, static_cast<std::uint16_t>(port), spec.addr)) {
    return tokenError(token, "'" + std::string(host) + "' is not a numeric IPv4/IPv6 address");
  }
  spec.url = std::string(token.substr(0, 4)) + std::string(rest);
  return spec;
}

}  // namespace

Result<std::vector<RelaySetSpec>> parseRelaySockets(std::string_view text) {
  std::vector<RelaySetSpec> sets;
  std::size_t total = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t semi = text.find(';', pos);
    std::string_view part = trim(
        text.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
    pos = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    if (part.empty()) continue;
    unsigned id = 0;
    std::size_t arrow = part.find("==");
    if (arrow != std::string_view::npos) {
      std::string_view id_text = trim(part.substr(0, arrow));
      std::int64_t n = 0;
      if (!parseInt(id_text, n) || n < 0 || n > 65535) {
        return Status::invalidArgument("relay set number '" + std::string(id_text) +
                                       "' is not an integer from 0 to 65535");
      }
      id = static_cast<unsigned>(n);
      part = part.substr(arrow + 2);
    }
    RelaySetSpec* set = nullptr;
    for (RelaySetSpec& s : sets) {
      if (s.id == id) set = &s;
    }
    if (set != nullptr && arrow != std::string_view::npos) {
      return Status::invalidArgument("relay set " + std::to_string(id) + " is defined twice");
    }
    std::vector<std::string_view> words = splitWords(part);
    if (words.empty()) {
      return Status::invalidArgument("relay set " + std::to_string(id) + " has no relay");
    }
    if (set == nullptr) {
      sets.push_back(RelaySetSpec{id, {}});
      set = &sets.back();
    }
    for (std::string_view w : words) {
      Result<RelaySpec> r = parseRelay(w);
      if (!r.isOk()) return r.status();
      if (++total > kMaxRelays) {
        return Status::invalidArgument("too many relays (at most " + std::to_string(kMaxRelays) +
                                       ")");
      }
      set->relays.push_back(std::move(r).value());
    }
  }
  if (sets.empty()) return Status::invalidArgument("no relay socket given");
  return sets;
}

Status RelaySets::configure(std::string_view socket_param) {
  Result<std::vector<RelaySetSpec>> sets = parseRelaySockets(socket_param);
  if (!sets.isOk()) return sets.status();
  relays_.clear();
  for (const RelaySetSpec& s : sets.value()) {
    for (const RelaySpec& r : s.relays) relays_.push_back(RelayInfo{s.id, r});
  }
  return Status::ok();
}

Status RelaySets::init(shm::Segment& segment, const char* shm_name) {
  Result<RelayHealthTable*> t = segment.construct<RelayHealthTable>(shm_name);
  if (!t.isOk()) return t.status();
  table_ = t.value();
  return Status::ok();
}

void RelaySets::initPrivateForTest() {
  private_ = std::make_unique<RelayHealthTable>();
  table_ = private_.get();
}

bool RelaySets::hasSet(unsigned set) const {
  for (const RelayInfo& r : relays_) {
    if (r.set == set) return true;
  }
  return false;
}

std::optional<std::size_t> RelaySets::find(std::string_view name) const {
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    const RelayInfo& r = relays_[i];
    if (r.spec.url == name || std::to_string(r.set) + ":" + r.spec.url == name) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> RelaySets::pick(unsigned set, std::string_view key,
                                           const std::vector<bool>* exclude,
                                           std::int64_t now_ms) const {
  std::optional<std::size_t> best;
  double best_score = -1;
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    const RelayInfo& r = relays_[i];
    if (r.set != set || !isUsable(i, now_ms)) continue;
    if (exclude != nullptr && i < exclude->size() && (*exclude)[i]) continue;
    // Weighted rendezvous hashing: u uniform in (0,1), score = w / -ln(u); the highest wins,
    // which picks each relay with probability proportional to its weight.
    std::uint64_t h = mix(fnv1a({key, r.spec.url}));
    double u = (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0;  // 2^53
    double score = static_cast<double>(r.spec.weight) / -std::log(u);
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  return best;
}

namespace {

std::uint64_t stickyKey(std::string_view call_id) {
  std::uint64_t k = mix(fnv1a({call_id}));
  return k == 0 ? 1 : k;  // 0 marks a free slot
}

// Locks the table; a dead holder's half-written entry is harmless (one call falls back).
class StickyLock {
 public:
  explicit StickyLock(StickyTable& t) : t_(t) {
    shm::RobustMutex::Locked l = t_.lock.lock();
    ok_ = l == shm::RobustMutex::Locked::kOk || l == shm::RobustMutex::Locked::kOwnerDied;
  }
  ~StickyLock() {
    if (ok_) t_.lock.unlock();
  }
  StickyLock(const StickyLock&) = delete;
  StickyLock& operator=(const StickyLock&) = delete;
  bool ok() const { return ok_; }

 private:
  StickyTable& t_;
  bool ok_ = false;
};

StickyEntry* bucketOf(StickyTable& t, std::uint64_t key) {
  // The high bits pick the bucket (the low bits already went into the key's comparison).
  return &t.entries[((key >> 32) % kStickyBuckets) * kStickyWays];
}

}  // namespace

namespace {

// The live entry of `key` in its bucket (an expired one is freed on the way); nullptr if none.
StickyEntry* findLive(StickyTable& t, std::uint64_t key, std::size_t relay_count,
                      std::int64_t now_ms) {
  StickyEntry* b = bucketOf(t, key);
  for (std::size_t i = 0; i < kStickyWays; ++i) {
    StickyEntry& e = b[i];
    if (e.key != key) continue;
    if (e.expires_ms <= now_ms || e.relay < 0 || static_cast<std::size_t>(e.relay) >= relay_count) {
      e = StickyEntry{};
      return nullptr;
    }
    return &e;
  }
  return nullptr;
}

}  // namespace

int RelaySets::relayOf(std::string_view call_id, std::int64_t now_ms) const {
  if (table_ == nullptr || call_id.empty()) return -1;
  StickyLock lock(table_->sticky);
  if (!lock.ok()) return -1;
  StickyEntry* e = findLive(table_->sticky, stickyKey(call_id), relays_.size(), now_ms);
  if (e == nullptr) return -1;
  if ((e->flags & kCallDeleted) == 0) {
    e->expires_ms = now_ms + std::max<std::int64_t>(sticky_ttl_ms_, 1);
  }
  return e->relay;
}

void RelaySets::remember(std::string_view call_id, int relay, std::int64_t now_ms) {
  if (table_ == nullptr || call_id.empty() || relay < 0 ||
      static_cast<std::size_t>(relay) >= relays_.size()) {
    return;
  }
  std::uint64_t key = stickyKey(call_id);
  StickyLock lock(table_->sticky);
  if (!lock.ok()) return;
  StickyEntry* slot = findLive(table_->sticky, key, relays_.size(), now_ms);
  if (slot == nullptr) {
    // A free or expired slot, else the live one that expires first.
    StickyEntry* b = bucketOf(table_->sticky, key);
    for (std::size_t i = 0; i < kStickyWays; ++i) {
      StickyEntry& e = b[i];
      if (e.key == 0 || e.expires_ms <= now_ms) {
        slot = &e;
        break;
      }
      if (slot == nullptr || e.expires_ms < slot->expires_ms) slot = &e;
    }
    *slot = StickyEntry{};
    slot->key = key;
  }
  slot->relay = relay;
  slot->flags &= ~kCallDeleted;
  slot->expires_ms = now_ms + std::max<std::int64_t>(sticky_ttl_ms_, 1);
}

void RelaySets::forget(std::string_view call_id) {
  if (table_ == nullptr || call_id.empty()) return;
  std::uint64_t key = stickyKey(call_id);
  StickyLock lock(table_->sticky);
  if (!lock.ok()) return;
  StickyEntry* b = bucketOf(table_->sticky, key);
  for (std::size_t i = 0; i < kStickyWays; ++i) {
    if (b[i].key == key) b[i] = StickyEntry{};
  }
}

std::uint32_t RelaySets::callFlags(std::string_view call_id, std::int64_t now_ms) const {
  if (table_ == nullptr || call_id.empty()) return 0;
  StickyLock lock(table_->sticky);
  if (!lock.ok()) return 0;
  StickyEntry* e = findLive(table_->sticky, stickyKey(call_id), relays_.size(), now_ms);
  return e == nullptr ? 0 : e->flags;
}

bool RelaySets::updateCallFlags(std::string_view call_id, std::uint32_t set, std::uint32_t clear,
                                std::int64_t now_ms) {
  if (table_ == nullptr || call_id.empty()) return false;
  StickyLock lock(table_->sticky);
  if (!lock.ok()) return false;
  StickyEntry* e = findLive(table_->sticky, stickyKey(call_id), relays_.size(), now_ms);
  if (e == nullptr) return false;
  e->flags = (e->flags | set) & ~clear;
  if ((set & kCallDeleted) != 0) {
    e->expires_ms = std::min(e->expires_ms, now_ms + kStickyDeletedTtlMs);
  }
  return true;
}

std::optional<std::size_t> RelaySets::pickFor(unsigned set, std::string_view call_id,
                                              const std::vector<bool>* exclude,
                                              std::int64_t now_ms) const {
  int r = relayOf(call_id, now_ms);
  if (r >= 0) {
    std::size_t i = static_cast<std::size_t>(r);
    bool excluded = exclude != nullptr && i < exclude->size() && (*exclude)[i];
    if (relays_[i].set == set && !excluded && isUsable(i, now_ms)) return i;
  }
  return pick(set, call_id, exclude, now_ms);
}

std::vector<std::size_t> RelaySets::teardownTargets(unsigned set, std::string_view call_id,
                                                    std::int64_t now_ms) const {
  int r = relayOf(call_id, now_ms);
  if (r >= 0 && relays_[static_cast<std::size_t>(r)].set == set) {
    return {static_cast<std::size_t>(r)};
  }
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    if (relays_[i].set == set) all.push_back(i);
  }
  return all;
}

void RelaySets::markDown(std::size_t relay, std::int64_t now_ms) {
  if (table_ == nullptr || relay >= relays_.size()) return;
  health(relay).down_until_ms.store(now_ms + std::max<std::int64_t>(disable_ms_, 1));
}

void RelaySets::markUp(std::size_t relay) {
  if (table_ == nullptr || relay >= relays_.size()) return;
  health(relay).down_until_ms.store(0);
}

void RelaySets::setAdminDisabled(std::size_t relay, bool disabled) {
  if (table_ == nullptr || relay >= relays_.size()) return;
  health(relay).admin_disabled.store(disabled ? 1 : 0);
  if (!disabled) health(relay).down_until_ms.store(0);
}

bool RelaySets::isUsable(std::size_t relay, std::int64_t now_ms) const {
  if (relay >= relays_.size()) return false;
  if (table_ == nullptr) return true;
  const RelayHealth& h = health(relay);
  if (h.admin_disabled.load() != 0) return false;
  std::int64_t until = h.down_until_ms.load();
  return until == 0 || now_ms >= until;
}

RelayStatus RelaySets::status(std::size_t relay, std::int64_t now_ms) const {
  RelayStatus st;
  if (table_ == nullptr || relay >= relays_.size()) return st;
  const RelayHealth& h = health(relay);
  st.admin_disabled = h.admin_disabled.load() != 0;
  std::int64_t until = h.down_until_ms.load();
  if (until != 0 && now_ms < until) st.down_for_ms = until - now_ms;
  st.up = !st.admin_disabled && st.down_for_ms == 0;
  return st;
}

std::size_t RelaySets::downCount(std::int64_t now_ms) const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    if (!isUsable(i, now_ms)) ++n;
  }
  return n;
}

std::size_t RelaySets::healthCheck(const Probe& probe, std::int64_t now_ms) {
  if (table_ == nullptr) return 0;
  std::size_t revived = 0;
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    RelayHealth& h = health(i);
    if (h.admin_disabled.load() != 0 || h.down_until_ms.load() == 0) continue;
    if (probe(i)) {
      h.down_until_ms.store(0);
      ++revived;
      SL_NOTICE("media relay %s answers again, re-enabled", relays_[i].spec.url.c_str());
    } else {
      h.down_until_ms.store(now_ms + std::max<std::int64_t>(disable_ms_, 1));
    }
  }
  return revived;
}

bool isCommandError(const Status& status) { return status.code() == Code::kInvalidArgument; }

RelayClient::~RelayClient() {
  if (fd4_ >= 0) close(fd4_);
  if (fd6_ >= 0) close(fd6_);
}

int RelayClient::socketFor(int family) {
  int& fd = family == AF_INET6 ? fd6_ : fd4_;
  if (fd < 0) fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  return fd;
}

std::string RelayClient::newCookie() {
  if (!seeded_) {
    // Seeded in the process that first sends (after fork), so workers use distinct cookies.
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), static_cast<unsigned>(getpid()),
                      static_cast<unsigned>(monotonicMs())};
    rng_.seed(seq);
    seeded_ = true;
  }
  std::string cookie;
  appendHex(cookie, rng_(), 16);
  return cookie;
}

Result<std::string> RelayClient::exchange(std::size_t relay, std::string_view payload) {
  if (relay >= sets_.relayCount()) return Status::notFound("no such relay");
  const SockAddr& to = sets_.relay(relay).spec.addr;
  std::string cookie = newCookie();
  std::string out = cookie;
  out += ' ';
  out.append(payload);
  if (Status st = fitsDatagram(out.size(), to); !st.isOk()) return st;
  int fd = socketFor(to.family());
  if (fd < 0) return Status::ioError(std::string("relay control socket: ") + std::strerror(errno));
  std::string buf(65536, '\0');
  int timeout = std::max(options_.timeout_ms, 1);
  int attempts = std::max(options_.retries, 0) + 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (sendto(fd, out.data(), out.size(), 0, to.sa(), to.len) < 0 && errno != EAGAIN) {
      return sendError(to, errno);
    }
    std::int64_t deadline = monotonicMs() + timeout;
    for (;;) {
      std::int64_t left = deadline - monotonicMs();
      if (left <= 0) break;
      pollfd pfd{fd, POLLIN, 0};
      int n = poll(&pfd, 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      SockAddr from;
      from.len = sizeof(from.ss);
      ssize_t got = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT, from.sa(), &from.len);
      if (got < 0) continue;  // EAGAIN or an ICMP error for an earlier send: keep waiting
      std::string_view reply(buf.data(), static_cast<std::size_t>(got));
      if (!(from == to)) continue;
      if (reply.size() < cookie.size() || reply.substr(0, cookie.size()) != cookie) {
        SL_DBG("media relay %s: dropping a stale reply", to.toString().c_str());
        continue;
      }
      reply.remove_prefix(cookie.size());
      while (!reply.empty() && isSpace(reply.front())) reply.remove_prefix(1);
      return std::string(reply);
    }
  }
  return Status::unavailable("media relay " + sets_.relay(relay).spec.url + " did not answer in " +
                             std::to_string(timeout * attempts) + " ms");
}

Status RelayClient::post(std::size_t relay, std::string_view payload) {
  if (relay >= sets_.relayCount()) return Status::notFound("no such relay");
  const SockAddr& to = sets_.relay(relay).spec.addr;
  std::string out = newCookie();
  out += ' ';
  out.append(payload);
  if (Status st = fitsDatagram(out.size(), to); !st.isOk()) return st;
  int fd = socketFor(to.family());
  if (fd < 0) return Status::ioError(std::string("relay control socket: ") + std::strerror(errno));
  if (sendto(fd, out.data(), out.size(), 0, to.sa(), to.len) < 0) return sendError(to, errno);
  return Status::ok();
}

Result<RelayClient::Reply> RelayClient::request(unsigned set, std::string_view key,
                                                std::string_view payload, unsigned* failovers,
                                                const Refusal& refused) {
  if (failovers != nullptr) *failovers = 0;
  if (!sets_.hasSet(set)) return Status::notFound("no media relay set " + std::to_string(set));
  std::vector<bool> tried(sets_.relayCount(), false);
  Status last = Status::unavailable("no usable relay in set " + std::to_string(set));
  unsigned failed = 0;
  std::optional<Reply> refusal;  // the last relay that answered but refused
  for (std::size_t n = 0; n < sets_.relayCount(); ++n) {
    std::optional<std::size_t> idx = sets_.pickFor(set, key, &tried);
    if (!idx) break;
    tried[*idx] = true;
    Result<std::string> r = exchange(*idx, payload);
    if (r.isOk() && refused && refused(r.value())) {
      SL_NOTICE("media relay %s is full, trying the next one of set %u",
                sets_.relay(*idx).spec.url.c_str(), set);
      refusal = Reply{*idx, std::move(r).value(), failed};
      continue;
    }
    if (r.isOk()) {
      if (failovers != nullptr) *failovers = failed;
      return Reply{*idx, std::move(r).value(), failed};
    }
    // The command's own fault (too large): no relay would take it, and none is to blame.
    if (isCommandError(r.status())) return r.status();
    SL_WARN("media relay %s disabled: %s", sets_.relay(*idx).spec.url.c_str(),
            r.status().message().c_str());
    sets_.markDown(*idx);
    ++failed;
    last = r.status();
  }
  // No relay took the command over: nothing failed over.
  if (refusal) return *std::move(refusal);
  return Status::unavailable("no media relay of set " + std::to_string(set) +
                             " answered (last: " + last.message() + ")");
}

}  // namespace sipline::media
