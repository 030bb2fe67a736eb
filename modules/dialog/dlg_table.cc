#include "modules/dialog/dlg_table.h"

#include <random>

#include "core/base/hash.h"
#include "modules/dialog/kv_codec.h"

namespace sipline::dialog {

namespace bip = boost::interprocess;

const char* stateName(State s) {
  switch (s) {
    case State::kUnconfirmed:
      return "unconfirmed";
    case State::kEarly:
      return "early";
    case State::kConfirmed:
      return "confirmed";
    case State::kEnded:
      return "ended";
  }
  return "?";
}

Result<Table> Table::create(shm::Segment& seg, std::uint32_t hash_size, bool persist) {
  if (hash_size == 0 || (hash_size & (hash_size - 1)) != 0) {
    return Status::invalidArgument("dialog: hash_size must be a power of two");
  }
  Table t;
  t.sm_ = seg.manager();
  t.persist_ = persist;
  Status st = shm::guardAlloc("dialog table", [&] {
    t.shm_ = shm::create<TableShm>(t.sm_);
    t.shm_->mask = hash_size - 1;
    // Persisted dialogs may be loaded after new ones were made (the DB was down at start):
    // a random first id keeps the new ids clear of theirs.
    if (persist) t.shm_->next_seq = (std::random_device{}() & 0x7fffffffu) | 1u;
    auto* buckets =
        static_cast<BucketShm*>(shm::allocateBytes(t.sm_, sizeof(BucketShm) * hash_size));
    for (std::uint32_t i = 0; i < hash_size; ++i) ::new (&buckets[i]) BucketShm();
    t.shm_->buckets = buckets;
    auto* profiles = static_cast<ProfileBucketShm*>(
        shm::allocateBytes(t.sm_, sizeof(ProfileBucketShm) * kProfileBuckets));
    for (std::uint32_t i = 0; i < kProfileBuckets; ++i) ::new (&profiles[i]) ProfileBucketShm();
    t.shm_->profile_buckets = profiles;
  });
  if (!st.isOk()) return st;
  return t;
}

std::uint32_t Table::bucketOf(std::string_view call_id) const {
  return static_cast<std::uint32_t>(fnv1a({call_id})) & shm_->mask;
}

void Table::copyOut(const DialogShm& d, DialogInfo& out) {
  out.id = d.id;
  out.state = d.state;
  out.flags = d.flags;
  out.code = d.code;
  out.caller_cseq = d.caller_cseq;
  out.callee_cseq = d.callee_cseq;
  out.created_ms = d.created_ms;
  out.answered_ms = d.answered_ms;
  out.timeout_s = d.timeout_s;
  out.timeout_at_ms = d.timeout_at_ms;
  out.followed = d.followed;
  out.call_id.assign(d.call_id.data(), d.call_id.size());
  out.from_tag.assign(d.from_tag.data(), d.from_tag.size());
  out.to_tag.assign(d.to_tag.data(), d.to_tag.size());
  out.from_uri.assign(d.from_uri.data(), d.from_uri.size());
  out.to_uri.assign(d.to_uri.data(), d.to_uri.size());
  out.ruri.assign(d.ruri.data(), d.ruri.size());
  out.caller_contact.assign(d.caller_contact.data(), d.caller_contact.size());
  out.callee_contact.assign(d.callee_contact.data(), d.callee_contact.size());
  out.caller_route.assign(d.caller_route.data(), d.caller_route.size());
  out.callee_route.assign(d.callee_route.data(), d.callee_route.size());
  out.reason.assign(d.reason.data(), d.reason.size());
  out.profiles.assign(d.profiles.data(), d.profiles.size());
  out.values.assign(d.values.data(), d.values.size());
  out.watchers.assign(d.watchers.data(), d.watchers.size());
}

// Throws bip::bad_alloc when shm is full (callers guard).
void Table::copyIn(const DialogInfo& in, DialogShm& d) {
  d.id = in.id;
  d.state = in.state;
  d.flags = in.flags;
  d.code = in.code;
  d.caller_cseq = in.caller_cseq;
  d.callee_cseq = in.callee_cseq;
  d.created_ms = in.created_ms;
  d.answered_ms = in.answered_ms;
  d.timeout_s = in.timeout_s;
  d.timeout_at_ms = in.timeout_at_ms;
  d.call_id.assign(in.call_id.data(), in.call_id.size());
  d.from_tag.assign(in.from_tag.data(), in.from_tag.size());
  d.to_tag.assign(in.to_tag.data(), in.to_tag.size());
  d.from_uri.assign(in.from_uri.data(), in.from_uri.size());
  d.to_uri.assign(in.to_uri.data(), in.to_uri.size());
  d.ruri.assign(in.ruri.data(), in.ruri.size());
  d.caller_contact.assign(in.caller_contact.data(), in.caller_contact.size());
  d.callee_contact.assign(in.callee_contact.data(), in.callee_contact.size());
  d.caller_route.assign(in.caller_route.data(), in.caller_route.size());
  d.callee_route.assign(in.callee_route.data(), in.callee_route.size());
  d.reason.assign(in.reason.data(), in.reason.size());
  d.profiles.assign(in.profiles.data(), in.profiles.size());
  d.values.assign(in.values.data(), in.values.size());
  d.watchers.assign(in.watchers.data(), in.watchers.size());
}

Status Table::insert(DialogInfo& info, bool dirty) {
  std::uint32_t bucket = bucketOf(info.call_id);
  if (info.id == 0) {
    std::uint32_t seq = shm_->next_seq.fetch_add(1);
    if (seq == 0) seq = shm_->next_seq.fetch_add(1);
    info.id = (static_cast<std::uint64_t>(bucket) << 32) | seq;
  } else {
    auto seq = static_cast<std::uint32_t>(info.id);
    std::uint32_t cur = shm_->next_seq.load();
    while (cur <= seq && !shm_->next_seq.compare_exchange_weak(cur, seq + 1)) {
    }
  }
  // A reloaded id may name another bucket than its Call-ID (hash_size changed): it goes where
  // its id says, and findByTags() falls back to a scan of that bucket only by id.
  BucketShm& b = shm_->buckets[bucketOfId(info.id)];
  DialogShm* d = nullptr;
  Status st = shm::guardAlloc("dialog", [&] {
    d = shm::create<DialogShm>(sm_, shm::Allocator<char>(sm_));
    try {
      copyIn(info, *d);
    } catch (...) {
      shm::destroy(sm_, d);
      d = nullptr;
      throw;
    }
  });
  if (!st.isOk()) return st;
  shm::Lock lock(b.mutex);
  d->next = b.head;
  b.head = d;
  d->in_db = !dirty && persist_;
  if (dirty && persist_) markDirtyLocked(*d);
  shm_->live.fetch_add(1);
  // A reloaded dialog counts in its profiles again (under the lock, as end() uncounts it).
  KvList profiles;
  decodeKv(info.profiles, profiles);
  for (const auto& [name, value] : profiles) {
    addProfileCount(name, 1);
    if (!value.empty()) addProfileCount(profileKey(name, value), 1);
  }
  return Status::ok();
}

DialogShm* Table::findLocked(BucketShm& b, std::uint64_t id) {
  for (DialogShm* d = b.head.get(); d != nullptr; d = d->next.get()) {
    if (d->id == id && !d->removed) return d;
  }
  return nullptr;
}

void Table::unlinkLocked(BucketShm& b, DialogShm* d) {
  bip::offset_ptr<DialogShm>* link = &b.head;
  while (link->get() != nullptr && link->get() != d) link = &(*link)->next;
  if (link->get() == nullptr) return;
  *link = d->next;
  if (d->dirty || d->removed) shm_->pending.fetch_sub(1);
  shm::destroy(sm_, d);
}

void Table::markDirtyLocked(DialogShm& d) {
  if (!persist_) return;
  d.stamp = shm_->next_stamp.fetch_add(1);
  if (!d.dirty && !d.removed) shm_->pending.fetch_add(1);
  d.dirty = true;
}

bool Table::update(std::uint64_t id, const std::function<void(DialogShm&)>& fn) {
  BucketShm& b = shm_->buckets[bucketOfId(id)];
  shm::Lock lock(b.mutex);
  DialogShm* d = findLocked(b, id);
  if (d == nullptr) return false;
  fn(*d);
  return true;
}

bool Table::get(std::uint64_t id, DialogInfo& out) {
  BucketShm& b = shm_->buckets[bucketOfId(id)];
  shm::Lock lock(b.mutex);
  DialogShm* d = findLocked(b, id);
  if (d == nullptr) return false;
  copyOut(*d, out);
  return true;
}

namespace {

bool eq(const shm::String& s, std::string_view v) {
  return std::string_view(s.data(), s.size()) == v;
}

// Caller holds d's bucket lock.
bool tagsMatchLocked(const DialogShm& d, std::string_view from_tag, std::string_view to_tag,
                     Side& side) {
  if (eq(d.from_tag, from_tag) && (to_tag.empty() || d.to_tag.empty() || eq(d.to_tag, to_tag))) {
    side = Side::kCaller;
    return true;
  }
  if (!from_tag.empty() && eq(d.from_tag, to_tag) && eq(d.to_tag, from_tag)) {
    side = Side::kCallee;
    return true;
  }
  return false;
}

}  // namespace

bool Table::matchId(std::uint64_t id, std::string_view call_id, std::string_view from_tag,
                    std::string_view to_tag, Side& side) {
  BucketShm& b = shm_->buckets[bucketOfId(id)];
  shm::Lock lock(b.mutex);
  DialogShm* d = findLocked(b, id);
  return d != nullptr && eq(d->call_id, call_id) && tagsMatchLocked(*d, from_tag, to_tag, side);
}

bool Table::findByTags(std::string_view call_id, std::string_view from_tag, std::string_view to_tag,
                       std::uint64_t& id, Side& side) {
  BucketShm& b = shm_->buckets[bucketOf(call_id)];
  shm::Lock lock(b.mutex);
  for (DialogShm* d = b.head.get(); d != nullptr; d = d->next.get()) {
    if (d->removed || !eq(d->call_id, call_id)) continue;
    if (tagsMatchLocked(*d, from_tag, to_tag, side)) {
      id = d->id;
      return true;
    }
  }
  return false;
}

bool Table::end(std::uint64_t id, DialogInfo& out) {
  BucketShm& b = shm_->buckets[bucketOfId(id)];
  shm::Lock lock(b.mutex);
  DialogShm* d = findLocked(b, id);
  if (d == nullptr) return false;
  copyOut(*d, out);
  shm_->live.fetch_sub(1);
  // Under the bucket lock, so a profile set at the same moment cannot be counted after it was
  // already uncounted (profile locks are leaves: nothing is locked while one is held).
  KvList profiles;
  decodeKv(out.profiles, profiles);
  for (const auto& [name, value] : profiles) {
    addProfileCount(name, -1);
    if (!value.empty()) addProfileCount(profileKey(name, value), -1);
  }
  if (persist_ && d->in_db) {
    if (!d->dirty) shm_->pending.fetch_add(1);
    d->removed = true;
    d->dirty = true;
    d->state = State::kEnded;
    d->stamp = shm_->next_stamp.fetch_add(1);
  } else {
    unlinkLocked(b, d);
  }
  return true;
}

void Table::forEach(const std::function<void(const DialogInfo&)>& fn) {
  std::vector<DialogInfo> batch;
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    BucketShm& b = shm_->buckets[i];
    batch.clear();
    {
      shm::Lock lock(b.mutex);
      for (DialogShm* d = b.head.get(); d != nullptr; d = d->next.get()) {
        if (d->removed) continue;
        copyOut(*d, batch.emplace_back());
      }
    }
    for (const DialogInfo& info : batch) fn(info);
  }
}

std::vector<DialogInfo> Table::collectDue(std::int64_t now_ms, std::int64_t early_timeout_ms,
                                          std::int64_t unfollowed_ms) {
  std::vector<DialogInfo> out;
  if (shm_->live.load() == 0) return out;
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    BucketShm& b = shm_->buckets[i];
    shm::Lock lock(b.mutex);
    for (DialogShm* d = b.head.get(); d != nullptr; d = d->next.get()) {
      if (d->removed) continue;
      bool due = d->state == State::kConfirmed
                     ? d->timeout_at_ms != 0 && d->timeout_at_ms <= now_ms
                     : d->created_ms + (d->followed ? early_timeout_ms : unfollowed_ms) <= now_ms;
      if (due) copyOut(*d, out.emplace_back());
    }
  }
  return out;
}

std::vector<Table::Change> Table::collectChanges() {
  std::vector<Change> out;
  if (!persist_ || shm_->pending.load() == 0) return out;
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    BucketShm& b = shm_->buckets[i];
    shm::Lock lock(b.mutex);
    for (DialogShm* d = b.head.get(); d != nullptr; d = d->next.get()) {
      if (!d->dirty && !d->removed) continue;
      Change& c = out.emplace_back();
      copyOut(*d, c.info);
      c.stamp = d->stamp;
      c.removed = d->removed;
    }
  }
  return out;
}

bool Table::settle(const Change& change) {
  BucketShm& b = shm_->buckets[bucketOfId(change.info.id)];
  shm::Lock lock(b.mutex);
  DialogShm* d = b.head.get();
  while (d != nullptr && d->id != change.info.id) d = d->next.get();
  if (d == nullptr) return false;
  if (d->stamp != change.stamp) return true;  // changed again: written next time
  if (d->removed) {
    unlinkLocked(b, d);
    return true;
  }
  if (d->dirty) shm_->pending.fetch_sub(1);
  d->dirty = false;
  d->in_db = true;
  return true;
}

void Table::setLoadPending(bool pending) {
  EarlyByeRingShm& r = shm_->early_byes;
  shm::Lock lock(r.mutex);
  r.load_pending = pending;
}

bool Table::loadPending() {
  EarlyByeRingShm& r = shm_->early_byes;
  shm::Lock lock(r.mutex);
  return r.load_pending;
}

bool Table::rememberBye(const EarlyBye& bye) {
  EarlyByeRingShm& r = shm_->early_byes;
  shm::Lock lock(r.mutex);
  if (!r.load_pending) return false;
  EarlyByeShm& e = r.byes[r.next];
  if (bye.call_id.size() > sizeof(e.call_id) || bye.from_tag.size() > sizeof(e.from_tag) ||
      bye.to_tag.size() > sizeof(e.to_tag)) {
    return true;  // too long to keep (and too odd to be a call of ours): dropped
  }
  e.at_ms = bye.at_ms;
  e.call_id_len = static_cast<std::uint8_t>(bye.call_id.size());
  e.from_tag_len = static_cast<std::uint8_t>(bye.from_tag.size());
  e.to_tag_len = static_cast<std::uint8_t>(bye.to_tag.size());
  bye.call_id.copy(e.call_id, bye.call_id.size());
  bye.from_tag.copy(e.from_tag, bye.from_tag.size());
  bye.to_tag.copy(e.to_tag, bye.to_tag.size());
  r.next = (r.next + 1) % kEarlyByes;
  if (r.count < kEarlyByes) ++r.count;
  return true;
}

std::vector<EarlyBye> Table::finishLoad() {
  std::vector<EarlyBye> out;
  EarlyByeRingShm& r = shm_->early_byes;
  shm::Lock lock(r.mutex);
  // Oldest first: the ring's oldest entry sits `count` places before `next`.
  for (std::uint32_t n = 0; n < r.count; ++n) {
    const EarlyByeShm& e = r.byes[(r.next + kEarlyByes - r.count + n) % kEarlyByes];
    out.push_back({std::string(e.call_id, e.call_id_len), std::string(e.from_tag, e.from_tag_len),
                   std::string(e.to_tag, e.to_tag_len), e.at_ms});
  }
  r.count = 0;
  r.load_pending = false;
  return out;
}

std::string Table::profileKey(std::string_view name, std::string_view value) {
  std::string key(name);
  if (!value.empty()) {
    key += '\x1f';
    key.append(value.data(), value.size());
  }
  return key;
}

void Table::addProfileCount(std::string_view key, std::int64_t delta) {
  ProfileBucketShm& b = shm_->profile_buckets[fnv1a({key}) % kProfileBuckets];
  shm::Lock lock(b.mutex);
  bip::offset_ptr<ProfileCountShm>* link = &b.head;
  for (; link->get() != nullptr; link = &(*link)->next) {
    ProfileCountShm* c = link->get();
    if (std::string_view(c->key.data(), c->key.size()) != key) continue;
    c->count += delta;
    if (c->count <= 0) {
      *link = c->next;
      shm::destroy(sm_, c);
    }
    return;
  }
  if (delta <= 0) return;
  Status st = shm::guardAlloc("dialog profile", [&] {
    ProfileCountShm* c = shm::create<ProfileCountShm>(sm_, shm::Allocator<char>(sm_));
    try {
      c->key.assign(key.data(), key.size());
    } catch (...) {
      shm::destroy(sm_, c);
      throw;
    }
    c->count = delta;
    c->next = b.head;
    b.head = c;
  });
  (void)st;  // a counter that cannot be made reads 0: the limit is not enforced, never a crash
}

std::int64_t Table::profileCount(std::string_view key) {
  ProfileBucketShm& b = shm_->profile_buckets[fnv1a({key}) % kProfileBuckets];
  shm::Lock lock(b.mutex);
  for (ProfileCountShm* c = b.head.get(); c != nullptr; c = c->next.get()) {
    if (std::string_view(c->key.data(), c->key.size()) == key) return c->count;
  }
  return 0;
}

}  // namespace sipline::dialog
