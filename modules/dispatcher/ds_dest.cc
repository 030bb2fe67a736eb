#include "modules/dispatcher/ds_dest.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include "core/base/strings.h"
#include "core/parser/uri.h"

namespace sipline::dispatcher {
namespace {

std::vector<std::string_view> splitWs(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> splitTabs(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\t') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

const char* stateName(DsState s) {
  switch (s) {
    case DsState::kActive:
      return "active";
    case DsState::kInactive:
      return "inactive";
    case DsState::kProbing:
      return "probing";
  }
  return "?";
}

Result<DsState> parseState(std::string_view text) {
  std::string t = toLower(trim(text));
  if (t == "a" || t == "active" || t == "0") return DsState::kActive;
  if (t == "i" || t == "inactive" || t == "1") return DsState::kInactive;
  if (t == "p" || t == "probing" || t == "2") return DsState::kProbing;
  return Status::invalidArgument(
      "state must be \"a\" (active), \"i\" (inactive) or \"p\" "
      "(probing), got \"" +
      std::string(text) + "\"");
}

std::size_t DsList::size() const {
  std::size_t n = 0;
  for (const DsSet& s : sets) n += s.dests.size();
  return n;
}

const DsSet* DsList::find(std::int64_t setid) const {
  for (const DsSet& s : sets) {
    if (s.id == setid) return &s;
  }
  return nullptr;
}

Status checkDestination(Destination& d) {
  SipUri uri;
  if (parseUri(d.uri, uri) != ParseError::kOk || uri.scheme == SipUri::Scheme::kTel ||
      uri.host.empty()) {
    return Status::invalidArgument("destination \"" + d.uri + "\" is not a sip: URI");
  }
  if (d.setid < 0) {
    return Status::invalidArgument("setid " + std::to_string(d.setid) + " is negative");
  }
  // Bounded so that the sum of a set's weights (ds_algo.cc) cannot overflow.
  if (d.weight < 0 || d.weight > kMaxWeight) {
    return Status::invalidArgument("weight " + std::to_string(d.weight) + " is not 0.." +
                                   std::to_string(kMaxWeight));
  }
  if (d.attrs.find_first_of("\t\r\n") != std::string::npos ||
      d.socket.find_first_of("\t\r\n ") != std::string::npos) {
    return Status::invalidArgument("attrs and socket may not hold tabs or line breaks");
  }
  d.host = std::string(uri.hostNoBrackets());
  d.port = uri.port;
  d.hostport = std::string(uri.host);
  if (!uri.port_text.empty()) d.hostport += ":" + std::string(uri.port_text);
  return Status::ok();
}

DsList buildList(std::vector<Destination> dests, std::vector<std::string>* duplicates) {
  std::map<std::int64_t, DsSet> by_id;
  std::set<std::pair<std::int64_t, std::string>> seen;
  for (Destination& d : dests) {
    if (!seen.insert({d.setid, d.uri}).second) {
      if (duplicates != nullptr) {
        duplicates->push_back("set " + std::to_string(d.setid) + " " + d.uri);
      }
      continue;
    }
    DsSet& s = by_id[d.setid];
    s.id = d.setid;
    s.dests.push_back(std::move(d));
  }
  DsList out;
  std::size_t slot = 0;
  for (auto& [id, s] : by_id) {
    std::stable_sort(
        s.dests.begin(), s.dests.end(),
        [](const Destination& a, const Destination& b) { return a.priority < b.priority; });
    s.first_slot = slot;
    slot += s.dests.size();
    out.sets.push_back(std::move(s));
  }
  return out;
}

Status parseListLine(std::string_view line, Destination& out, bool& skip) {
  skip = false;
  std::string_view t = trim(line);
  if (t.empty() || t.front() == '#') {
    skip = true;
    return Status::ok();
  }
  std::vector<std::string_view> f = splitWs(t);
  if (f.size() < 2 || f.size() > 6) {
    return Status::invalidArgument(
        "expected \"setid destination [flags [priority [attrs [weight]]]]\"");
  }
  out = Destination{};
  if (!parseInt(f[0], out.setid) || out.setid < 0) {
    return Status::invalidArgument("setid \"" + std::string(f[0]) + "\" is not a number >= 0");
  }
  out.uri = std::string(f[1]);
  if (f.size() > 2) {
    std::int64_t flags = 0;
    if (!parseInt(f[2], flags) || flags < 0 || flags > 2) {
      return Status::invalidArgument("flags \"" + std::string(f[2]) +
                                     "\" must be 0 (active), 1 (inactive) or 2 (probing)");
    }
    out.initial = static_cast<DsState>(flags);
  }
  if (f.size() > 3 && !parseInt(f[3], out.priority)) {
    return Status::invalidArgument("priority \"" + std::string(f[3]) + "\" is not a number");
  }
  if (f.size() > 4) out.attrs = std::string(f[4] == "-" ? "" : f[4]);
  if (f.size() > 5 && !parseInt(f[5], out.weight)) {
    return Status::invalidArgument("weight \"" + std::string(f[5]) + "\" is not a number");
  }
  return checkDestination(out);
}

Result<std::vector<Destination>> readListFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::notFound("cannot read list_file " + path);
  std::vector<Destination> out;
  std::string errors;
  std::string line;
  int n = 0;
  constexpr int kMaxLines = 1000000;
  while (n < kMaxLines && std::getline(in, line)) {
    ++n;
    Destination d;
    bool skip = false;
    Status st = parseListLine(line, d, skip);
    if (!st.isOk()) {
      errors += (errors.empty() ? "" : "; ") + path + ":" + std::to_string(n) + ": " + st.message();
      continue;
    }
    if (!skip) out.push_back(std::move(d));
  }
  if (!errors.empty()) return Status::invalidArgument(errors);
  return out;
}

std::string serializeList(const DsList& list) {
  std::string out;
  for (const DsSet& s : list.sets) {
    for (const Destination& d : s.dests) {
      out += std::to_string(d.setid) + "\t" + d.uri + "\t" + d.socket + "\t" +
             std::to_string(static_cast<int>(d.initial)) + "\t" + std::to_string(d.weight) + "\t" +
             std::to_string(d.priority) + "\t" + d.attrs + "\n";
    }
  }
  return out;
}

bool deserializeList(std::string_view text, DsList& out) {
  std::vector<Destination> dests;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    std::vector<std::string_view> f = splitTabs(text.substr(0, nl));
    text.remove_prefix(nl + 1);
    if (f.size() != 7) return false;
    Destination d;
    std::int64_t state = 0;
    if (!parseInt(f[0], d.setid) || !parseInt(f[3], state) || state < 0 || state > 2 ||
        !parseInt(f[4], d.weight) || !parseInt(f[5], d.priority)) {
      return false;
    }
    d.uri = std::string(f[1]);
    d.socket = std::string(f[2]);
    d.initial = static_cast<DsState>(state);
    d.attrs = std::string(f[6]);
    if (!checkDestination(d).isOk()) return false;
    dests.push_back(std::move(d));
  }
  out = buildList(std::move(dests));
  return true;
}

}  // namespace sipline::dispatcher
