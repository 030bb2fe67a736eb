#include "modules/usrloc/ul_mi.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <tuple>

#include "core/parser/uri.h"

namespace sipline::usrloc {
namespace {

Result<Domain*> tableOf(Service& s, const MiParams& p) {
  std::string name = p.str("table");
  if (Domain* d = s.findDomain(name)) return d;
  std::string known;
  for (const auto& d : s.domains()) known += (known.empty() ? "" : ", ") + d->name();
  return Status::notFound("no usrloc table '" + name +
                          "' (tables: " + (known.empty() ? std::string("none") : known) + ")");
}

// The `aor` param keyed as the registrar keys it, as OpenSIPS's MI does: with use_domain off
// the AOR is the user alone, so "alice@example.com" is "alice" (else the operator's AOR names
// a record save() never makes); with it on the AOR must name a domain, which is lower-cased as
// save() lower-cases it.
Result<std::string> aorParam(const Service& s, const MiParams& p) {
  std::string aor = p.str("aor");
  if (!s.config().use_domain) {
    if (std::size_t at = aor.find('@'); at != std::string::npos) aor.resize(at);
    return aor;
  }
  const std::size_t at = aor.rfind('@');
  if (at == std::string::npos || at + 1 == aor.size()) {
    return Status::invalidArgument("AOR '" + aor +
                                   "' has no domain: usrloc's use_domain is on, so an AOR is "
                                   "user@domain");
  }
  for (std::size_t i = at + 1; i < aor.size(); ++i) {
    aor[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(aor[i])));
  }
  return aor;
}

Json aorJson(const std::string& aor, const std::vector<Contact>& contacts, std::int64_t now) {
  Json out = Json::object();
  out["aor"] = aor;
  Json list = Json::array();
  for (const Contact& c : contacts) list.push_back(contactJson(c, now));
  out["contacts"] = std::move(list);
  return out;
}

// Calls visit(aor, contacts) for every AOR of table `d` that has a live contact (memory
// table or, in DB-only mode, the DB).
template <class Visit>
Status forEachAor(Service& s, Domain& d, std::int64_t now, Visit&& visit) {
  if (d.table() != nullptr) {
    d.table()->forEach(now,
                       [&](const std::string& aor, std::vector<Contact>& cs) { visit(aor, cs); });
    return Status::ok();
  }
  if (s.connection() == nullptr) {  // DB-only
    return Status::unavailable("usrloc: no DB connection in this process");
  }
  Result<std::vector<AorContact>> rows = d.sql().selectAll(*s.connection(), now);
  if (!rows.isOk()) return rows.status();
  std::vector<Contact> group;
  std::string current;
  for (AorContact& ac : rows.value()) {
    if (ac.aor != current && !group.empty()) {
      visit(current, group);
      group.clear();
    }
    current = ac.aor;
    group.push_back(std::move(ac.contact));
  }
  if (!group.empty()) visit(current, group);
  return Status::ok();
}

Result<Json> dumpTable(Service& s, Domain& d) {
  std::int64_t now = s.now();
  Json aors = Json::array();
  std::uint64_t contacts = 0;
  Status st = forEachAor(s, d, now, [&](const std::string& aor, const std::vector<Contact>& cs) {
    contacts += cs.size();
    aors.push_back(aorJson(aor, cs, now));
  });
  if (!st.isOk()) return st;
  Json out = Json::object();
  out["table"] = d.name();
  out["users"] = aors.size();
  out["contacts"] = contacts;
  out["aors"] = std::move(aors);
  return out;
}

// An optional unsigned 32-bit mask param (flags, cflags, methods).
Status maskParam(const MiParams& p, const char* name, std::uint32_t fallback, std::uint32_t& out) {
  out = fallback;
  if (!p.has(name)) return Status::ok();
  std::int64_t v = p.integer(name, -1);
  if (v < 0 || v > 0xffffffffLL) {
    return Status::invalidArgument(
        std::string(name) + " must be a bit mask from 0 to 4294967295, got " + std::to_string(v));
  }
  out = static_cast<std::uint32_t>(v);
  return Status::ok();
}

}  // namespace

Json contactJson(const Contact& c, std::int64_t now) {
  Json j = Json::object();
  j["contact"] = c.uri;
  j["expires"] = c.expires > now ? c.expires - now : 0;
  j["expires_at"] = c.expires;
  if (c.q < 0) {
    j["q"] = nullptr;
  } else {
    j["q"] = static_cast<double>(c.q) / 1000.0;
  }
  j["callid"] = c.callid;
  j["cseq"] = c.cseq;
  j["received"] = c.received;
  j["path"] = c.path;
  j["user_agent"] = c.user_agent;
  j["socket"] = c.socket;
  j["instance"] = c.instance;
  j["reg_id"] = c.reg_id;
  j["flags"] = c.flags;
  j["cflags"] = c.cflags;
  j["methods"] = c.methods;
  j["last_modified"] = c.last_modified;
  return j;
}

Result<Json> miDump(Service& s, const MiParams& p) {
  Json tables = Json::array();
  if (p.has("table")) {
    Result<Domain*> d = tableOf(s, p);
    if (!d.isOk()) return d.status();
    Result<Json> t = dumpTable(s, *d.value());
    if (!t.isOk()) return t.status();
    tables.push_back(std::move(t.value()));
  } else {
    for (const auto& d : s.domains()) {
      Result<Json> t = dumpTable(s, *d);
      if (!t.isOk()) return t.status();
      tables.push_back(std::move(t.value()));
    }
  }
  Json out = Json::object();
  out["mode"] = dbModeName(s.mode());
  out["tables"] = std::move(tables);
  return out;
}

Result<Json> miShowContact(Service& s, const MiParams& p) {
  Result<Domain*> d = tableOf(s, p);
  if (!d.isOk()) return d.status();
  Result<std::string> aor_param = aorParam(s, p);
  if (!aor_param.isOk()) return aor_param.status();
  const std::string aor = std::move(aor_param).value();
  Result<std::vector<Contact>> cs = s.get(d.value(), aor);
  if (!cs.isOk()) return cs.status();
  if (cs.value().empty()) {
    return Status::notFound("AOR " + aor + " not found in table " + d.value()->name());
  }
  return aorJson(aor, cs.value(), s.now());
}

Result<Json> miShow(Service& s, const MiParams& p) {
  std::vector<Domain*> tables;
  if (p.has("table")) {
    Result<Domain*> d = tableOf(s, p);
    if (!d.isOk()) return d.status();
    tables.push_back(d.value());
  } else {
    for (const auto& d : s.domains()) tables.push_back(d.get());
  }
  std::int64_t now = s.now();
  Json aors = Json::array();
  auto add = [&](Domain& d, const std::string& aor, const std::vector<Contact>& cs) {
    Json entry = Json::object();
    entry["table"] = d.name();
    entry.update(aorJson(aor, cs, now));
    aors.push_back(std::move(entry));
  };
  if (!p.has("aor")) {
    for (Domain* d : tables) {
      Status st = forEachAor(
          s, *d, now,
          [&](const std::string& aor, const std::vector<Contact>& cs) { add(*d, aor, cs); });
      if (!st.isOk()) return st;
    }
  } else {
    Result<std::string> aor_param = aorParam(s, p);
    if (!aor_param.isOk()) return aor_param.status();
    const std::string aor = std::move(aor_param).value();
    for (Domain* d : tables) {
      Result<std::vector<Contact>> cs = s.get(d, aor);
      if (!cs.isOk()) return cs.status();
      if (!cs.value().empty()) add(*d, aor, cs.value());
    }
    if (aors.empty()) return Status::notFound("AOR " + aor + " not found");
  }
  Json out = Json::object();
  out["aors"] = std::move(aors);
  return out;
}

Result<Json> miRemoveAor(Service& s, const MiParams& p) {
  Result<Domain*> d = tableOf(s, p);
  if (!d.isOk()) return d.status();
  Result<std::string> aor_param = aorParam(s, p);
  if (!aor_param.isOk()) return aor_param.status();
  const std::string aor = std::move(aor_param).value();
  std::size_t removed = 0;
  Status st = s.withRecord(d.value(), aor, [&](Record& r) {
    removed = r.contacts().size();
    r.removeAll();
    return Status::ok();
  });
  if (!st.isOk()) return st;
  if (removed == 0) {
    return Status::notFound("AOR " + aor + " not found in table " + d.value()->name());
  }
  Json out = Json::object();
  out["removed"] = removed;
  return out;
}

Result<Json> miRemoveContact(Service& s, const MiParams& p) {
  Result<Domain*> d = tableOf(s, p);
  if (!d.isOk()) return d.status();
  Result<std::string> aor_param = aorParam(s, p);
  if (!aor_param.isOk()) return aor_param.status();
  const std::string aor = std::move(aor_param).value();
  std::string uri = p.str("contact");
  bool removed = false;
  Status st = s.withRecord(d.value(), aor, [&](Record& r) {
    removed = r.remove(uri);
    return Status::ok();
  });
  if (!st.isOk()) return st;
  if (!removed) return Status::notFound("contact " + uri + " of " + aor + " not found");
  Json out = Json::object();
  out["removed"] = 1;
  return out;
}

Result<Json> miAdd(Service& s, const MiParams& p) {
  Result<Domain*> d = tableOf(s, p);
  if (!d.isOk()) return d.status();
  std::int64_t expires = p.integer("expires");
  if (expires <= 0 || expires > 10LL * 365 * 86400) {
    return Status::invalidArgument("expires must be 1 .. 315360000 seconds, got " +
                                   std::to_string(expires));
  }
  Contact c;
  c.uri = p.str("contact");
  // lookup() skips a binding whose URI does not parse: such a contact would show in ul_show
  // while calls to the AOR get 404.
  if (SipUri check; parseUri(c.uri, check) != ParseError::kOk) {
    return Status::invalidArgument("contact '" + c.uri +
                                   "' is not a URI lookup() can use (sip:, sips: or tel:, "
                                   "without <>), e.g. sip:alice@192.0.2.10:5060");
  }
  c.expires = s.now() + expires;
  c.last_modified = s.now();
  c.callid = "mi-ul_add";
  c.cseq = 1;
  if (p.has("q")) {
    std::string q = p.str("q");
    double v = -1;
    auto [end, ec] = std::from_chars(q.data(), q.data() + q.size(), v);
    if (ec != std::errc() || end != q.data() + q.size() || !(v >= 0 && v <= 1)) {
      return Status::invalidArgument("q must be a number from 0 to 1, got '" + q + "'");
    }
    c.q = static_cast<std::int32_t>(std::lround(v * 1000));
  }
  for (auto [name, field, fallback] :
       {std::tuple{"flags", &c.flags, 0u}, std::tuple{"cflags", &c.cflags, 0u},
        std::tuple{"methods", &c.methods, 0xffffffffu}}) {
    Status st = maskParam(p, name, fallback, *field);
    if (!st.isOk()) return st;
  }
  Result<std::string> aor_param = aorParam(s, p);
  if (!aor_param.isOk()) return aor_param.status();
  const std::string aor = std::move(aor_param).value();
  Status st = s.withRecord(d.value(), aor, [&](Record& r) { return r.insert(c); });
  if (!st.isOk()) return st;
  Json out = Json::object();
  out["aor"] = aor;
  out["contact"] = contactJson(c, s.now());
  return out;
}

Result<Json> miFlush(Service& s, const MiParams& /*p*/) {
  int timeout_ms = static_cast<int>(s.config().db_query_timeout_ms * 4 + 5000);
  Result<FlushReport> r = s.requestFlush(timeout_ms);
  if (!r.isOk()) return r.status();
  if (!r.value().status.isOk()) return r.value().status;
  Json out = Json::object();
  out["mode"] = dbModeName(s.mode());
  out["written"] = r.value().written;
  out["pending"] = r.value().pending;
  return out;
}

}  // namespace sipline::usrloc
