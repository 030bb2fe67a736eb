#include "tools/siplinectl/identity.h"

#include <arpa/inet.h>

#include <cctype>

namespace sipline::ctl {

namespace {

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// RFC 3261 §25.1: unreserved (alphanum, mark) and user-unreserved, without escapes.
bool isUserChar(char c) {
  if (isAlnum(c)) return true;
  static constexpr std::string_view kAllowed = "-_.!~*'()&=+$,;?/";
  return kAllowed.find(c) != std::string_view::npos;
}

std::string shown(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

bool isIpv4(const std::string& text) {
  in_addr addr;
  return ::inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

// RFC 3261 hostname: labels of alphanum and '-' (not at either end), separated by dots, an
// optional final dot is not accepted here (the realm must be one spelling); the last label
// starts with a letter, so "1.2.3" is neither a name nor an address.
bool isHostName(std::string_view text) {
  std::size_t start = 0;
  std::string_view last;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!isAlnum(c) && c != '-') return false;
    }
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::isalpha(static_cast<unsigned char>(last.front())) != 0;
}

}  // namespace

Status checkUser(std::string_view user) {
  if (user.empty()) return Status::invalidArgument("the user name is empty");
  if (user.size() > kMaxUserLength) {
    return Status::invalidArgument("the user name '" + shown(user) + "' is longer than " +
                                   std::to_string(kMaxUserLength) + " characters");
  }
  for (char c : user) {
    if (!isUserChar(c)) {
      return Status::invalidArgument("the user name '" + shown(user) + "' contains '" +
                                     shown(std::string_view(&c, 1)) +
                                     "' (allowed: letters, digits and -_.!~*'()&=+$,;?/)");
    }
  }
  return Status::ok();
}

Result<std::string> parseDomain(std::string_view text) {
  if (text.empty()) return Status::invalidArgument("the domain is empty");
  if (text.size() > kMaxDomainLength) {
    return Status::invalidArgument("the domain '" + shown(text) + "' is longer than " +
                                   std::to_string(kMaxDomainLength) + " characters");
  }
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (isIpv4(lower) || isHostName(lower)) return lower;
  std::string why = "a host name (letters, digits, '-' and dots) or an IPv4 address";
  if (lower.find(':') != std::string::npos) why += ", without a port";
  return Status::invalidArgument("the domain '" + shown(text) + "' is not " + why);
}

Result<Aor> parseAor(std::string_view text) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos) {
    return Status::invalidArgument("'" + shown(text) + "' is not USER@DOMAIN");
  }
  if (text.find('@', at + 1) != std::string_view::npos) {
    return Status::invalidArgument("'" + shown(text) + "' has more than one '@'");
  }
  if (text.rfind("sip:", 0) == 0 || text.rfind("sips:", 0) == 0) {
    return Status::invalidArgument("'" + shown(text) +
                                   "': give USER@DOMAIN without the sip: scheme");
  }
  Aor aor;
  aor.user = std::string(text.substr(0, at));
  Status st = checkUser(aor.user);
  if (!st.isOk()) return st;
  Result<std::string> domain = parseDomain(text.substr(at + 1));
  if (!domain.isOk()) return domain.status();
  aor.domain = std::move(domain).value();
  return aor;
}

Status checkPassword(std::string_view password) {
  if (password.empty()) return Status::invalidArgument("the password is empty");
  if (password.size() > kMaxPasswordLength) {
    return Status::invalidArgument("the password is longer than " +
                                   std::to_string(kMaxPasswordLength) + " characters");
  }
  for (char c : password) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return Status::invalidArgument("the password contains a control character");
    }
  }
  return Status::ok();
}

Status checkEmail(std::string_view email) {
  const std::size_t at = email.find('@');
  bool ok = !email.empty() && email.size() <= kMaxEmailLength && at != std::string_view::npos &&
            at > 0 && at + 1 < email.size() && email.find('@', at + 1) == std::string_view::npos;
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) ok = false;
  }
  if (ok) return Status::ok();
  return Status::invalidArgument("--email '" + shown(email) +
                                 "' is not an address (local@domain, printable, at most " +
                                 std::to_string(kMaxEmailLength) + " characters)");
}

}  // namespace sipline::ctl
