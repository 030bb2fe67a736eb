// Test-only: an in-process usrloc::Api for the registrar's unit tests. Bindings live in a map
// per table and AOR, in insertion order; "expired" is judged against a settable clock, as
// usrloc's timer would. Can be told to fail as the real one does: shared memory full on
// insert (kNoMemory), a field over its DB column width (kInvalidArgument), either of them
// for every insert or for one contact's, or the DB down in DB-only mode (kUnavailable).
// Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "modules/usrloc/api.h"

namespace sipline::registrar::testing {

class FakeRecord : public usrloc::Record {
 public:
  FakeRecord(std::string aor, std::vector<usrloc::Contact>& list, std::int64_t now,
             Code insert_error, const std::string& failing_uri)
      : aor_(std::move(aor)),
        list_(list),
        now_(now),
        insert_error_(insert_error),
        failing_uri_(failing_uri) {}
  const std::string& aor() const override { return aor_; }
  std::vector<usrloc::Contact> contacts() const override {
    std::vector<usrloc::Contact> live;
    for (const usrloc::Contact& c : list_) {
      if (c.expires > now_) live.push_back(c);
    }
    return live;
  }
  Status insert(const usrloc::Contact& c) override {
    if (insert_error_ != Code::kOk && (failing_uri_.empty() || failing_uri_ == c.uri)) {
      if (insert_error_ == Code::kNoMemory) return Status::noMemory("shared memory full: contact");
      return Status::invalidArgument("contact: received longer than 128 bytes");
    }
    for (usrloc::Contact& x : list_) {  // the same URI: replaced, as usrloc does
      if (x.uri == c.uri) {
        x = c;
        return Status::ok();
      }
    }
    list_.push_back(c);
    return Status::ok();
  }
  Status update(const usrloc::Contact& c) override {
    for (usrloc::Contact& x : list_) {
      if (x.uri == c.uri) {
        x = c;
        return Status::ok();
      }
    }
    return Status::notFound("no contact " + c.uri);
  }
  bool remove(std::string_view uri) override {
    auto it = std::find_if(list_.begin(), list_.end(),
                           [&](const usrloc::Contact& c) { return c.uri == uri; });
    if (it == list_.end()) return false;
    list_.erase(it);
    return true;
  }
  void removeAll() override { list_.clear(); }

 private:
  std::string aor_;
  std::vector<usrloc::Contact>& list_;
  std::int64_t now_;
  Code insert_error_;
  const std::string& failing_uri_;
};

class FakeUsrloc : public usrloc::Api {
 public:
  Result<usrloc::Domain*> domain(std::string_view name) override {
    if (name.empty()) return Status::invalidArgument("empty table name");
    // An opaque handle: the address of the table's map (never dereferenced as a Domain).
    return reinterpret_cast<usrloc::Domain*>(&tables_[std::string(name)]);
  }
  Status withRecord(usrloc::Domain* d, std::string_view aor,
                    const std::function<Status(usrloc::Record&)>& fn) override {
    ++with_record_calls;
    if (db_down) return Status::unavailable("DB-only mode: database unavailable");
    Table& t = table(d);
    std::vector<usrloc::Contact>& list = t[std::string(aor)];
    FakeRecord record{std::string(aor), list, now, insert_error, failing_uri};
    Status st = fn(record);
    if (list.empty()) t.erase(std::string(aor));
    return st;
  }
  Result<std::vector<usrloc::Contact>> get(usrloc::Domain* d, std::string_view aor) override {
    if (db_down) return Status::unavailable("DB-only mode: database unavailable");
    Table& t = table(d);
    auto it = t.find(std::string(aor));
    std::vector<usrloc::Contact> live;
    if (it == t.end()) return live;
    for (const usrloc::Contact& c : it->second) {
      if (c.expires > now) live.push_back(c);
    }
    return live;
  }
  bool useDomain() const override { return use_domain; }

  // Test access: every stored binding of aor in table "location" (expired ones too).
  std::vector<usrloc::Contact>& stored(const std::string& aor,
                                       const std::string& name = "location") {
    return tables_[name][aor];
  }
  bool hasAor(const std::string& aor, const std::string& name = "location") {
    return tables_[name].count(aor) != 0;
  }
  std::size_t aorCount(const std::string& name = "location") { return tables_[name].size(); }

  std::int64_t now = 1000000;
  bool use_domain = true;
  Code insert_error = Code::kOk;  // kNoMemory (shm full) or kInvalidArgument (too long)
  std::string failing_uri;        // with insert_error: only this contact's inserts fail
  bool db_down = false;
  int with_record_calls = 0;

 private:
  using Table = std::map<std::string, std::vector<usrloc::Contact>>;
  Table& table(usrloc::Domain* d) { return *reinterpret_cast<Table*>(d); }
  std::map<std::string, Table> tables_;
};

}  // namespace sipline::registrar::testing
