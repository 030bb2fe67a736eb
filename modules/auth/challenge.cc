#include "modules/auth/challenge.h"

namespace sipline::auth {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(item) for every comma-separated item, trimmed; stops at the first error.
template <class Fn>
Status forEachItem(std::string_view text, Fn fn) {
  for (;;) {
    std::size_t comma = text.find(',');
    Status st = fn(trim(text.substr(0, comma)));
    if (!st.isOk() || comma == std::string_view::npos) return st;
    text.remove_prefix(comma + 1);
  }
}

void appendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

Result<QopOffer> parseQopOffer(std::string_view text) {
  QopOffer q;
  text = trim(text);
  if (text.empty() || text == "0") return q;
  if (text == "1") {
    q.auth = true;
    return q;
  }
  Status st = forEachItem(text, [&](std::string_view item) {
    bool* which = item == "auth" ? &q.auth : item == "auth-int" ? &q.auth_int : nullptr;
    if (which == nullptr) {
      return Status::invalidArgument(
          "qop must be \"\", \"auth\", \"auth-int\" or "
          "\"auth,auth-int\", got \"" +
          std::string(item) + "\"");
    }
    if (*which) return Status::invalidArgument("qop \"" + std::string(item) + "\" is repeated");
    *which = true;
    return Status::ok();
  });
  if (!st.isOk()) return st;
  return q;
}

Result<AlgorithmList> parseAlgorithmList(std::string_view text) {
  AlgorithmList list;
  Status st = forEachItem(text, [&](std::string_view item) {
    std::optional<crypto::DigestAlgorithm> a;
    if (!item.empty()) a = crypto::parseDigestAlgorithm(item);
    if (!a.has_value()) {
      return Status::invalidArgument("unknown digest algorithm \"" + std::string(item) +
                                     "\" (MD5, SHA-256, SHA-512-256)");
    }
    for (crypto::DigestAlgorithm seen : list) {
      if (seen == *a) {
        return Status::invalidArgument("digest algorithm " + std::string(item) +
                                       " is listed twice");
      }
    }
    list.push_back(*a);
    return Status::ok();
  });
  if (!st.isOk()) return st;
  return list;
}

std::string challengeHeaders(const ChallengeSpec& spec) {
  std::string out;
  for (crypto::DigestAlgorithm a : *spec.algorithms) {
    out += spec.proxy ? "Proxy-Authenticate: Digest realm=" : "WWW-Authenticate: Digest realm=";
    appendQuoted(out, spec.realm);
    out += ", nonce=\"";
    out += spec.nonce;
    out += '"';
    if (spec.stale) out += ", stale=true";
    if (spec.qop.any()) {
      out += ", qop=\"";
      if (spec.qop.auth) out += "auth";
      if (spec.qop.auth && spec.qop.auth_int) out += ',';
      if (spec.qop.auth_int) out += "auth-int";
      out += '"';
    }
    out += ", algorithm=";
    out += crypto::digestAlgorithmName(a);
    out += "\r\n";
  }
  return out;
}

}  // namespace sipline::auth
