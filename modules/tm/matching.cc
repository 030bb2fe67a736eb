#include "modules/tm/matching.h"

#include <cctype>

#include "core/base/hash.h"
#include "core/base/strings.h"

namespace sipline::tm {
namespace {

void appendLower(std::string& out, std::string_view s) {
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool parseHex(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 8) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = v * 16 + static_cast<std::uint32_t>(d);
  }
  out = v;
  return true;
}

}  // namespace

bool serverKey(SipMessage& req, ServerKey& out) {
  const Via* top = req.topVia();
  const CSeq* cseq = req.cseq();
  if (top == nullptr || cseq == nullptr) return false;
  out.key.clear();
  std::string_view branch = top->branch;
  out.rfc3261 = branch.size() > 7 && branch.substr(0, 7) == "z9hG4bK";
  if (out.rfc3261) {
    // §17.2.3: the branch compares case-sensitively; sent-by host is case-insensitive.
    out.key.reserve(branch.size() + top->host.size() + 8);
    out.key.append(branch);
    out.key += '|';
    appendLower(out.key, top->host);
    out.key += ':';
    out.key += std::to_string(top->port != 0 ? top->port : 5060);
  } else {
    const NameAddr* from = req.from();
    const NameAddr* to = req.to();
    out.key.append(req.callId());
    out.key += '|';
    out.key += std::to_string(cseq->number);
    out.key += '|';
    if (from != nullptr) out.key.append(from->tag);
    out.key += '|';
    // §17.2.3: an ACK's To tag is that of the reply it acknowledges, which the INVITE has
    // only when it is a re-INVITE; so INVITE, its ACK and its CANCEL all leave it out.
    Method m = req.method();
    bool invite_family = m == Method::kInvite || m == Method::kAck || m == Method::kCancel;
    if (to != nullptr && !invite_family) out.key.append(to->tag);
    out.key += '|';
    out.key.append(req.requestUriText());
    out.key += '|';
    out.key.append(top->text);
  }
  if (req.method() == Method::kOther) {
    // Unknown methods are told apart by name (the enum cannot).
    out.key += '|';
    out.key.append(req.methodText());
  }
  out.hash = fnv1a({out.key});
  return true;
}

std::string formatBranchId(const BranchId& id) {
  std::string out = "z9hG4bKT";
  appendHex(out, id.nonce);
  out += '.';
  appendHex(out, id.bucket);
  out += '.';
  appendHex(out, id.label);
  out += '.';
  appendHex(out, id.index);
  return out;
}

bool parseBranchId(std::string_view branch, BranchId& out) {
  if (branch.size() < 9 || branch.substr(0, 8) != "z9hG4bKT") return false;
  std::string_view rest = branch.substr(8);
  std::uint32_t fields[4];
  for (int i = 0; i < 4; ++i) {
    std::size_t dot = rest.find('.');
    std::string_view f = i < 3 ? rest.substr(0, dot) : rest;
    if ((i < 3 && dot == std::string_view::npos) || !parseHex(f, fields[i])) return false;
    rest = i < 3 ? rest.substr(dot + 1) : std::string_view();
  }
  out.nonce = fields[0];
  out.bucket = fields[1];
  out.label = fields[2];
  if (fields[3] >= 64) return false;
  out.index = static_cast<int>(fields[3]);
  return true;
}

}  // namespace sipline::tm
