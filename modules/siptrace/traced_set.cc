#include "modules/siptrace/traced_set.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/base/hash.h"
#include "core/base/log.h"
#include "core/trace/capture.h"
#include "modules/siptrace/trace_item.h"

namespace sipline::siptrace {
namespace {

std::size_t roundUpPow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

std::string lowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool sameNoCase(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_b[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view clipAttrs(std::string_view attrs) {
  if (attrs.size() <= kMaxAttrs) return attrs;
  // The byte after the cut continues a character (10xxxxxx): cut before its lead byte, at
  // most 3 bytes back (UTF-8 characters are at most 4 bytes).
  std::size_t n = kMaxAttrs;
  auto continuation = [&](std::size_t i) {
    return (static_cast<unsigned char>(attrs[i]) & 0xC0) == 0x80;
  };
  for (int back = 0; back < 3 && n > 0 && continuation(n); ++back) --n;
  if (continuation(n)) n = kMaxAttrs;  // not UTF-8: no boundary to keep
  return attrs.substr(0, n);
}

std::uint64_t callIdHash(std::string_view call_id) { return fnv1a({call_id}); }

std::size_t TracedCalls::bytesFor(std::size_t calls) {
  std::size_t buckets = roundUpPow2(std::max<std::size_t>(1, (calls + kSlots - 1) / kSlots));
  return header() + buckets * sizeof(Bucket);
}

TracedCalls* TracedCalls::create(void* memory, std::size_t calls) {
  std::size_t buckets = roundUpPow2(std::max<std::size_t>(1, (calls + kSlots - 1) / kSlots));
  auto* t = ::new (memory) TracedCalls(buckets);
  Bucket* b = t->buckets();
  for (std::size_t i = 0; i < buckets; ++i) {
    Bucket* made = ::new (&b[i]) Bucket();
    std::memset(made->slots, 0, sizeof made->slots);
  }
  return t;
}

bool TracedCalls::lockBucket(Bucket& b, int timeout_ms) {
  switch (b.mutex.lock(timeout_ms)) {
    case shm::RobustMutex::Locked::kOk:
      return true;
    case shm::RobustMutex::Locked::kOwnerDied:
      // Slots are written field by field: a half-written one is at worst a wrong trace of
      // one call until it expires. Nothing to repair.
      return true;
    default:
      return false;
  }
}

TracedCalls::Touch TracedCalls::touch(std::string_view call_id, std::int64_t now_ms,
                                      std::int64_t ttl_ms, std::string* attrs) {
  std::uint64_t h = callIdHash(call_id);
  Bucket& b = buckets()[h & mask_];
  if (!lockBucket(b, kLockMs)) return Touch::kLockFailed;
  bool found = false;
  for (Slot& s : b.slots) {
    if (s.expires_ms > now_ms && s.hash == h && s.length == call_id.size()) {
      s.expires_ms = now_ms + ttl_ms;
      if (attrs != nullptr) attrs->assign(s.attrs, s.attrs_size);
      found = true;
      break;
    }
  }
  b.mutex.unlock();
  return found ? Touch::kTraced : Touch::kNotTraced;
}

bool TracedCalls::add(std::string_view call_id, std::string_view attrs, std::int64_t now_ms,
                      std::int64_t ttl_ms, bool* was_traced) {
  std::uint64_t h = callIdHash(call_id);
  Bucket& b = buckets()[h & mask_];
  if (!lockBucket(b, kLockMs)) return false;
  Slot* target = nullptr;
  bool existing = false;
  for (Slot& s : b.slots) {
    if (s.expires_ms != 0 && s.hash == h && s.length == call_id.size()) {
      target = &s;
      existing = s.expires_ms > now_ms;
      break;
    }
  }
  if (target == nullptr) {
    for (Slot& s : b.slots) {
      if (s.expires_ms == 0) {
        target = &s;
        used_.fetch_add(1, std::memory_order_relaxed);
        break;
      }
    }
  }
  if (target == nullptr) {  // full: an expired slot, else the one that expires first
    target = &b.slots[0];
    for (Slot& s : b.slots) {
      if (s.expires_ms < target->expires_ms) target = &s;
    }
  }
  target->hash = h;
  target->length = static_cast<std::uint32_t>(call_id.size());
  // Refreshing keeps the first attrs unless new ones are given.
  if (!existing || !attrs.empty()) {
    std::string_view kept = clipAttrs(attrs);
    std::memcpy(target->attrs, kept.data(), kept.size());
    target->attrs_size = static_cast<std::uint8_t>(kept.size());
  }
  target->expires_ms = now_ms + ttl_ms;
  b.mutex.unlock();
  if (was_traced != nullptr) *was_traced = existing;
  return true;
}

std::size_t TracedCalls::sweep(std::int64_t now_ms) {
  // Only sweep() lowers used_ and add() raises it under a bucket lock before filling the
  // slot: if used_ did not move during the scan, the live slots counted are the true count.
  std::uint32_t before = used_.load(std::memory_order_acquire);
  std::size_t freed = 0;
  std::size_t live = 0;
  bool scanned_all = true;
  for (std::size_t i = 0; i <= mask_; ++i) {
    Bucket& b = buckets()[i];
    if (!lockBucket(b, 100)) {
      scanned_all = false;
      continue;
    }
    for (Slot& s : b.slots) {
      if (s.expires_ms != 0 && s.expires_ms <= now_ms) {
        s.expires_ms = 0;
        ++freed;
      } else if (s.expires_ms != 0) {
        ++live;
      }
    }
    b.mutex.unlock();
  }
  if (scanned_all && used_.compare_exchange_strong(before, static_cast<std::uint32_t>(live),
                                                   std::memory_order_acq_rel)) {
    return freed;
  }
  if (freed != 0) used_.fetch_sub(static_cast<std::uint32_t>(freed), std::memory_order_relaxed);
  return freed;
}

Result<TracedUser> parseTracedUser(std::string_view text) {
  std::size_t at = text.find('@');
  TracedUser u;
  u.user = std::string(text.substr(0, at));
  if (at != std::string_view::npos) u.domain = lowerCopy(text.substr(at + 1));
  if (u.user.empty()) return Status::invalidArgument("the user is empty: give user or user@domain");
  if (at != std::string_view::npos && u.domain.empty()) {
    return Status::invalidArgument("the domain after '@' is empty");
  }
  if (u.user.size() > TracedUsers::kMaxUser || u.domain.size() > TracedUsers::kMaxDomain) {
    return Status::invalidArgument("user or domain too long (at most 63 and 127 characters)");
  }
  for (char c : text) {
    if (c <= ' ' || c == '<' || c == '>' || c == ';' || c == '"') {
      return Status::invalidArgument("user@domain may not contain blanks, <, >, ; or quotes");
    }
  }
  return u;
}

bool TracedUsers::lock(int timeout_ms) {
  shm::RobustMutex::Locked l = mutex_.lock(timeout_ms);
  return l == shm::RobustMutex::Locked::kOk || l == shm::RobustMutex::Locked::kOwnerDied;
}

std::vector<TracedUser> TracedUsers::listLocked() const {
  std::vector<TracedUser> out;
  for (const Entry& e : entries_) {
    if (e.user[0] != '\0') out.push_back({e.user, e.domain});
  }
  return out;
}

Status TracedUsers::add(const TracedUser& u) {
  if (u.user.empty() || u.user.size() > kMaxUser || u.domain.size() > kMaxDomain) {
    return Status::invalidArgument("bad traced user");
  }
  if (!lock()) return Status::unavailable("the traced users are locked");
  Entry* free_entry = nullptr;
  for (Entry& e : entries_) {
    if (e.user[0] == '\0') {
      if (free_entry == nullptr) free_entry = &e;
    } else if (u.user == e.user && u.domain == e.domain) {
      mutex_.unlock();
      return Status::alreadyExists(u.text() + " is traced already");
    }
  }
  if (free_entry == nullptr) {
    mutex_.unlock();
    return Status::failedPrecondition("at most 32 users can be traced at once");
  }
  std::memcpy(free_entry->domain, u.domain.c_str(), u.domain.size() + 1);
  std::memcpy(free_entry->user, u.user.c_str(), u.user.size() + 1);
  count_.fetch_add(1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  mutex_.unlock();
  return Status::ok();
}

Status TracedUsers::remove(const TracedUser& u) {
  if (!lock()) return Status::unavailable("the traced users are locked");
  for (Entry& e : entries_) {
    if (e.user[0] != '\0' && u.user == e.user && u.domain == e.domain) {
      e.user[0] = '\0';
      e.domain[0] = '\0';
      count_.fetch_sub(1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      mutex_.unlock();
      return Status::ok();
    }
  }
  mutex_.unlock();
  return Status::notFound(u.text() + " is not traced");
}

std::vector<TracedUser> TracedUsers::list() {
  if (!lock()) return {};
  std::vector<TracedUser> out = listLocked();
  mutex_.unlock();
  return out;
}

bool TracedUsers::tryList(std::vector<TracedUser>& out, int timeout_ms) {
  if (!lock(timeout_ms)) return false;
  out = listLocked();
  mutex_.unlock();
  return true;
}

std::string UserMatcher::matchList(const std::vector<TracedUser>& users, std::string_view message) {
  for (auto [name, compact] : {std::pair{"from", "f"}, std::pair{"to", "t"}}) {
    std::optional<std::string_view> v = trace::rawHeaderValue(message, name, compact);
    if (!v) continue;
    UriUserHost uh = uriUserHost(*v);
    if (uh.user.empty()) continue;
    for (const TracedUser& u : users) {
      if (uh.user == u.user && (u.domain.empty() || sameNoCase(uh.host, u.domain))) {
        return u.text();
      }
    }
  }
  return {};
}

std::string UserMatcher::match(TracedUsers& users, std::string_view message) {
  std::uint32_t gen = users.generation();
  // A lock not had keeps the old copy; the next message tries again.
  if (gen != generation_ && users.tryList(users_, TracedCalls::kLockMs)) generation_ = gen;
  return matchList(users_, message);
}

}  // namespace sipline::siptrace
