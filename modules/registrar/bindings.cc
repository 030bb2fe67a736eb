#include "modules/registrar/bindings.h"

#include <algorithm>

#include "core/base/log.h"
#include "modules/registrar/contact_match.h"

namespace sipline::registrar {
namespace {

enum class Op : std::uint8_t { kNone, kInsert, kUpdate, kRemove };

struct Step {
  Op op = Op::kNone;
  int existing = -1;  // index into the stored bindings, for kUpdate / kRemove
};

// One change made to the record, kept so that a later failure can undo it.
struct Change {
  enum class Kind : std::uint8_t { kAdded, kRemoved, kReplaced };
  Kind kind;
  std::string uri;                          // the binding's URI
  const usrloc::Contact* before = nullptr;  // kRemoved, kReplaced: the binding as stored
};

// RFC 3261 §10.3 step 7: when one change fails, those made before it are removed. Undone
// newest first. Best effort: with shared memory full a binding may not fit back (logged;
// usrloc counts it); the request fails either way.
void undo(usrloc::Record& record, const std::vector<Change>& changes) {
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    Status st;
    switch (it->kind) {
      case Change::Kind::kAdded:
        record.remove(it->uri);
        break;
      case Change::Kind::kRemoved:
        st = record.insert(*it->before);
        break;
      case Change::Kind::kReplaced:
        st = record.update(*it->before);
        break;
    }
    if (!st.isOk()) {
      SL_ERR("registrar: %s: binding %s not restored after a failed REGISTER: %s",
             record.aor().c_str(), it->uri.c_str(), st.message().c_str());
    }
  }
}

int findMatch(const std::vector<usrloc::Contact>& stored, const std::vector<bool>& claimed,
              const RequestedBinding& b) {
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (claimed[i]) continue;
    const usrloc::Contact& s = stored[i];
    if (sameBinding(s.uri, s.instance, s.reg_id, b.uri, b.instance, b.reg_id)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Drops the oldest (least recently modified, then first stored) bindings the request does
// not touch until `excess` are gone; false when there are not that many.
bool makeRoom(usrloc::Record& record, const std::vector<usrloc::Contact>& stored,
              const std::vector<bool>& claimed, std::size_t excess, std::vector<Change>& done) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (!claimed[i]) order.push_back(i);
  }
  if (order.size() < excess) return false;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return stored[a].last_modified < stored[b].last_modified;
  });
  for (std::size_t k = 0; k < excess; ++k) {
    const usrloc::Contact& gone = stored[order[k]];
    if (record.remove(gone.uri)) done.push_back({Change::Kind::kRemoved, gone.uri, &gone});
  }
  return true;
}

}  // namespace

usrloc::Contact makeBinding(const RegisterRequest& request, const RequestedBinding& b,
                            std::int64_t now) {
  usrloc::Contact c;
  c.uri = b.uri;
  c.received = b.received;
  c.path = request.path;
  c.callid = request.callid;
  c.user_agent = request.user_agent;
  c.socket = request.socket;
  c.instance = b.instance;
  c.expires = now + b.expires;
  c.q = b.q;
  c.cseq = request.cseq;
  c.reg_id = b.reg_id;
  c.cflags = request.cflags;
  c.flags = request.flags;
  c.methods = request.methods;
  c.last_modified = now;
  return c;
}

ApplyOutcome applyRegistration(usrloc::Record& record, const RegisterRequest& request,
                               std::int64_t max_contacts, bool force, std::int64_t now) {
  ApplyOutcome out;
  const std::vector<usrloc::Contact> stored = record.contacts();
  if (request.star) {
    // RFC 3261 §10.3 step 6: each binding goes unless it has this Call-ID and a CSeq not
    // lower than the request's; then nothing goes.
    for (const usrloc::Contact& s : stored) {
      if (s.callid == request.callid && request.cseq <= s.cseq) {
        out.result = ApplyResult::kStale;
        return out;
      }
    }
    record.removeAll();
    return out;
  }

  std::vector<Step> steps(request.bindings.size());
  std::vector<bool> claimed(stored.size(), false);
  std::size_t inserts = 0, removes = 0;
  for (std::size_t i = 0; i < request.bindings.size(); ++i) {
    const RequestedBinding& b = request.bindings[i];
    int m = findMatch(stored, claimed, b);
    if (m < 0) {
      if (b.expires > 0) {
        steps[i].op = Op::kInsert;
        ++inserts;
      }
      continue;
    }
    claimed[m] = true;
    const usrloc::Contact& s = stored[m];
    if (s.callid == request.callid) {
      // RFC 3261 §10.3 step 7: the CSeq must grow within a Call-ID.
      if (request.cseq < s.cseq) {
        out.result = ApplyResult::kStale;
        return out;
      }
      if (request.cseq == s.cseq) continue;  // a retransmission: already applied
    }
    steps[i].existing = m;
    steps[i].op = b.expires > 0 ? Op::kUpdate : Op::kRemove;
    if (b.expires == 0) ++removes;
  }

  std::size_t after = stored.size() - removes + inserts;
  std::size_t excess = 0;
  if (max_contacts > 0 && inserts > 0 && after > static_cast<std::size_t>(max_contacts)) {
    excess = after - static_cast<std::size_t>(max_contacts);
    std::size_t untouched =
        static_cast<std::size_t>(std::count(claimed.begin(), claimed.end(), false));
    if (!force || untouched < excess) {
      out.result = ApplyResult::kTooMany;
      return out;
    }
  }

  // Removals first, so that what they free serves the insertions.
  std::vector<Change> done;
  for (const Step& s : steps) {
    if (s.op != Op::kRemove) continue;
    const usrloc::Contact& gone = stored[s.existing];
    if (record.remove(gone.uri)) done.push_back({Change::Kind::kRemoved, gone.uri, &gone});
  }
  if (excess > 0) makeRoom(record, stored, claimed, excess, done);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Status st;
    if (steps[i].op == Op::kUpdate) {
      usrloc::Contact c = makeBinding(request, request.bindings[i], now);
      const usrloc::Contact& s = stored[steps[i].existing];
      // The stored flags stay, except memory-only, which this save decides.
      c.flags = (s.flags & ~usrloc::kContactMemoryOnly) | request.flags;
      if (c.uri == s.uri) {
        st = record.update(c);
        if (st.isOk()) done.push_back({Change::Kind::kReplaced, c.uri, &s});
      } else {
        // An equivalent URI written differently (RFC 4475 cparam02 after cparam01: a URI
        // parameter more): the binding takes the new text. usrloc keys bindings by their
        // text, so the new one goes in before the old one goes out.
        st = record.insert(c);
        if (st.isOk()) {
          done.push_back({Change::Kind::kAdded, c.uri, nullptr});
          if (record.remove(s.uri)) done.push_back({Change::Kind::kRemoved, s.uri, &s});
        }
      }
    } else if (steps[i].op == Op::kInsert) {
      usrloc::Contact c = makeBinding(request, request.bindings[i], now);
      st = record.insert(c);
      if (st.isOk()) done.push_back({Change::Kind::kAdded, std::move(c.uri), nullptr});
    }
    if (!st.isOk()) {
      undo(record, done);
      out.result = ApplyResult::kStoreError;
      out.store_status = st;
      return out;
    }
  }
  out.current = record.contacts();
  return out;
}

}  // namespace sipline::registrar
