#include "modules/usrloc/db_only.h"

#include <algorithm>

namespace sipline::usrloc {

std::vector<Contact> PrivateRecord::contacts() const {
  std::vector<Contact> out;
  for (const Contact& c : contacts_) {
    if (c.expires > now_) out.push_back(c);
  }
  return out;
}

Status PrivateRecord::insert(const Contact& c) {
  if ((c.flags & kContactMemoryOnly) != 0) {
    return Status::invalidArgument(
        "usrloc: a memory-only contact cannot be kept in db_mode \"db-only\" (no shared-memory "
        "table)");
  }
  Status st = checkContact(c, limits_);
  if (!st.isOk()) return st;
  Contact copy = storableContact(c, limits_);
  for (Contact& have : contacts_) {
    if (have.uri == copy.uri) {
      have = std::move(copy);
      return Status::ok();
    }
  }
  contacts_.push_back(std::move(copy));
  return Status::ok();
}

Status PrivateRecord::update(const Contact& c) {
  auto it = std::find_if(contacts_.begin(), contacts_.end(),
                         [&](const Contact& have) { return have.uri == c.uri; });
  if (it == contacts_.end())
    return Status::notFound("usrloc: no contact " + c.uri + " for " + aor_);
  return insert(c);
}

bool PrivateRecord::remove(std::string_view uri) {
  auto it = std::find_if(contacts_.begin(), contacts_.end(),
                         [&](const Contact& have) { return have.uri == uri; });
  if (it == contacts_.end()) return false;
  contacts_.erase(it);
  return true;
}

void PrivateRecord::removeAll() { contacts_.clear(); }

namespace {

// Whether the edit adds a row: a URI in `after` that `before` did not have.
bool addsRow(const std::vector<Contact>& before, const std::vector<Contact>& after) {
  return std::any_of(after.begin(), after.end(), [&](const Contact& a) {
    return std::none_of(before.begin(), before.end(),
                        [&](const Contact& b) { return a.uri == b.uri; });
  });
}

}  // namespace

Result<DbOnlyEdit> editDbOnly(db::Connection& conn, const TableSql& sql, std::string_view aor,
                              std::int64_t now, const FieldLimits& limits,
                              const std::function<Status(Record&)>& fn) {
  Status st = conn.begin();
  if (!st.isOk()) return st;
  auto fail = [&conn](Status why) {
    Status rb = conn.rollback();
    (void)rb;  // the statement's error is what matters; a lost connection rolls back anyway
    return why;
  };
  // SELECT ... FOR UPDATE serialises the edits of the rows it finds, but not the rows another
  // transaction inserts meanwhile (a new AOR has no row to lock at all): two REGISTERs adding
  // contacts at once could both pass max_contacts. So an edit that adds a row takes the AOR's
  // lock and runs again on what is there once it holds it; refreshes never pay for that.
  bool locked = false;
  for (;;) {
    Result<std::vector<Contact>> rows = sql.selectAor(conn, aor, 0, true);
    if (!rows.isOk()) return fail(rows.status());
    const std::vector<Contact>& before = rows.value();
    DbOnlyEdit out;
    std::vector<Contact> live;
    for (const Contact& c : before) {
      if (c.expires > now) {
        live.push_back(c);
      } else {
        ++out.expired;
      }
    }
    PrivateRecord rec(std::string(aor), std::move(live), now, limits);
    out.fn_status = fn(rec);
    if (!locked && addsRow(before, rec.all())) {
      st = sql.lockAor(conn, aor);
      if (!st.isOk()) return fail(st);
      locked = true;
      continue;
    }

    std::vector<std::pair<std::string, std::string>> gone;
    std::vector<AorContact> changed;
    for (const Contact& b : before) {
      bool kept = std::any_of(rec.all().begin(), rec.all().end(),
                              [&](const Contact& a) { return a.uri == b.uri; });
      if (!kept) gone.emplace_back(std::string(aor), b.uri);
    }
    for (const Contact& a : rec.all()) {
      bool same = std::any_of(before.begin(), before.end(),
                              [&](const Contact& b) { return sameContact(a, b); });
      if (!same) changed.push_back(AorContact{std::string(aor), a});
    }
    st = sql.remove(conn, gone);
    if (st.isOk()) st = sql.upsert(conn, changed);
    if (st.isOk()) st = conn.commit();
    if (!st.isOk()) return fail(st);
    out.written = gone.size() + changed.size();
    return out;
  }
}

}  // namespace sipline::usrloc
