#include "modules/tm/serial.h"

#include <algorithm>

#include "core/base/strings.h"

namespace sipline::tm {
namespace {

struct Contact {
  int q = -1;
  Branch branch;
};

// q -1 (none) counts as 1.0, as RFC 3261 §16.6 treats contacts without q.
int effectiveQ(int q) { return q < 0 ? 1000 : q; }

std::string encode(const Contact& c) {
  return std::to_string(effectiveQ(c.q)) + "|" + std::to_string(c.branch.bflags) + "|" +
         c.branch.uri + "|" + c.branch.dst_uri + "|" + c.branch.path;
}

bool decode(std::string_view text, Contact& out) {
  std::string_view parts[5];
  for (int i = 0; i < 4; ++i) {
    std::size_t bar = text.find('|');
    if (bar == std::string_view::npos) return false;
    parts[i] = text.substr(0, bar);
    text.remove_prefix(bar + 1);
  }
  parts[4] = text;
  std::int64_t q = 0, flags = 0;
  if (!parseInt(parts[0], q) || !parseInt(parts[1], flags) || parts[2].empty()) return false;
  out.q = static_cast<int>(q);
  out.branch.bflags = static_cast<std::uint32_t>(flags);
  out.branch.uri = std::string(parts[2]);
  out.branch.dst_uri = std::string(parts[3]);
  out.branch.path = std::string(parts[4]);
  out.branch.q = out.q;
  return true;
}

}  // namespace

int loadContacts(MsgContext& ctx) {
  std::vector<Contact> all;
  Contact first;
  first.q = ctx.ruri_q;
  first.branch.uri = std::string(ctx.ruri());
  first.branch.dst_uri = ctx.dst_uri;
  first.branch.bflags = ctx.bflags;
  first.branch.path = ctx.ruri_path;
  all.push_back(first);
  for (const Branch& b : ctx.branches) all.push_back(Contact{b.q, b});
  bool same = std::all_of(all.begin(), all.end(), [&](const Contact& c) {
    return effectiveQ(c.q) == effectiveQ(all.front().q);
  });
  if (same) return 0;
  // Highest q first; equal q keep their order. Stored so that [0] (the newest AVP value) is
  // the next contact: pushed lowest first.
  std::stable_sort(all.begin(), all.end(), [](const Contact& a, const Contact& b) {
    return effectiveQ(a.q) > effectiveQ(b.q);
  });
  ctx.avps.erase(kContactsAvp);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    ctx.avps.push(kContactsAvp, script::Value::owned(encode(*it)));
  }
  ctx.branches.clear();
  return static_cast<int>(all.size());
}

bool nextContacts(MsgContext& ctx) {
  const script::Value* head = ctx.avps.get(kContactsAvp, 0);
  Contact c;
  if (head == nullptr || !decode(head->str(), c)) {
    ctx.avps.erase(kContactsAvp);
    return false;
  }
  int group_q = c.q;
  if (!ctx.setRuri(c.branch.uri).isOk()) return false;
  ctx.dst_uri = c.branch.dst_uri;
  ctx.bflags = c.branch.bflags;
  ctx.ruri_q = c.q;
  ctx.ruri_path = c.branch.path;
  ctx.branches.clear();
  ctx.avps.eraseAt(kContactsAvp, 0);
  while (const script::Value* v = ctx.avps.get(kContactsAvp, 0)) {
    Contact more;
    if (!decode(v->str(), more) || more.q != group_q) break;
    if (!ctx.appendBranch(more.branch).isOk()) break;
    ctx.avps.eraseAt(kContactsAvp, 0);
  }
  return true;
}

}  // namespace sipline::tm
