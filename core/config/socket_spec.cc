#include "core/config/socket_spec.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <string>

namespace sipline {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parseProto(std::string_view text, Proto& out) {
  const std::string name = lower(text);
  if (name == "udp") {
    out = Proto::kUdp;
  } else if (name == "tcp") {
    out = Proto::kTcp;
  } else if (name == "tls") {
    out = Proto::kTls;
  } else {
    return false;
  }
  return true;
}

// Canonical text of a numeric address, or "" if `text` is not one of `family`.
std::string canonicalAddress(int family, std::string_view text) {
  const std::string s(text);
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(family, s.c_str(), buf) != 1) return "";
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(family, buf, out, sizeof(out)) == nullptr) return "";
  return out;
}

Result<std::uint16_t> parsePort(std::string_view text) {
  if (text.empty()) return Status::invalidArgument("missing port after ':'");
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return Status::invalidArgument("port '" + std::string(text) + "' is not a number");
    }
  }
  unsigned long value = 0;
  if (text.size() <= 6) value = std::stoul(std::string(text));
  if (text.size() > 6 || value < 1 || value > 65535) {
    return Status::invalidArgument("port '" + std::string(text) + "' is out of range 1..65535");
  }
  return static_cast<std::uint16_t>(value);
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool isHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.back() == '.') s.remove_suffix(1);  // fully qualified "example.com."
  std::size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

bool looksNumeric(std::string_view s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return true;
}

}  // namespace

const char* protoName(Proto p) {
  switch (p) {
    case Proto::kUdp:
      return "udp";
    case Proto::kTcp:
      return "tcp";
    case Proto::kTls:
      return "tls";
  }
  return "udp";
}

std::uint16_t defaultPort(Proto p) { return p == Proto::kTls ? 5061 : 5060; }

std::string HostPort::toString() const {
  std::string out = ipv6 ? "[" + host + "]" : host;
  if (port != 0) out += ":" + std::to_string(port);
  return out;
}

Result<HostPort> parseHostPort(std::string_view text, HostRule host_rule, PortRule port_rule) {
  HostPort hp;
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (text.empty()) return Status::invalidArgument("missing address");
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::invalidArgument("missing ']' after the IPv6 address");
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Status::invalidArgument("unexpected '" + std::string(rest) + "' after ']'");
      }
      port = rest.substr(1);
      has_port = true;
    }
    if (host.empty()) return Status::invalidArgument("missing address inside '[]'");
    hp.host = canonicalAddress(AF_INET6, host);
    if (hp.host.empty()) {
      if (!canonicalAddress(AF_INET, host).empty()) {
        return Status::invalidArgument("brackets are only for IPv6 addresses, '" +
                                       std::string(host) + "' is IPv4");
      }
      return Status::invalidArgument("'" + std::string(host) + "' is not a valid IPv6 address");
    }
    hp.ipv6 = true;
    hp.numeric = true;
  } else {
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      if (!canonicalAddress(AF_INET6, text).empty()) {
        return Status::invalidArgument("IPv6 address '" + std::string(text) +
                                       "' must be written in brackets, e.g. [::1]:5060");
      }
      return Status::invalidArgument("'" + std::string(text) +
                                     "' is not a valid address (too many ':')");
    }
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return Status::invalidArgument("missing address before ':'");
    if (looksNumeric(host)) {
      hp.host = canonicalAddress(AF_INET, host);
      if (hp.host.empty()) {
        return Status::invalidArgument("'" + std::string(host) + "' is not a valid IPv4 address");
      }
      hp.numeric = true;
    } else if (host_rule == HostRule::kNumericOnly) {
      if (host == "*") {
        return Status::invalidArgument("wildcard '*' is not supported; use 0.0.0.0 or [::]");
      }
      return Status::invalidArgument("'" + std::string(host) +
                                     "' is not a numeric IP address (host names are not "
                                     "resolved here)");
    } else if (!isHostName(host)) {
      return Status::invalidArgument("'" + std::string(host) + "' is not a valid host name");
    } else {
      hp.host = lower(host);
    }
  }
  if (has_port) {
    Result<std::uint16_t> p = parsePort(port);
    if (!p.isOk()) return p.status();
    hp.port = p.value();
  } else if (port_rule == PortRule::kRequired) {
    return Status::invalidArgument("missing port (expected ADDRESS:PORT)");
  }
  return hp;
}

Result<SocketSpec> parseSocketSpec(std::string_view original) {
  const std::string_view text = trim(original);
  auto fail = [&](const std::string& why) -> Status {
    return Status::invalidArgument("socket '" + std::string(text) + "': " + why);
  };
  if (text.empty()) return fail("empty socket (expected PROTO:ADDRESS[:PORT])");

  std::string_view main = text;
  std::string_view advertised;
  std::size_t blank = 0;
  while (blank < text.size() && !isBlank(text[blank])) ++blank;
  if (blank < text.size()) {
    main = text.substr(0, blank);
    std::string_view rest = trim(text.substr(blank));
    const bool as_word = rest.size() >= 2 && lower(rest.substr(0, 2)) == "as" &&
                         (rest.size() == 2 || isBlank(rest[2]));
    if (!as_word) {
      return fail("unexpected '" + std::string(rest) +
                  "' after the address (expected 'as HOST[:PORT]')");
    }
    advertised = trim(rest.substr(2));
    if (advertised.empty()) return fail("missing address after 'as'");
  }

  SocketSpec spec;
  const std::size_t colon = main.find(':');
  if (colon == std::string_view::npos) {
    if (parseProto(main, spec.proto))
      return fail("missing address (expected PROTO:ADDRESS[:PORT])");
    return fail("expected PROTO:ADDRESS[:PORT], e.g. udp:127.0.0.1:5060");
  }
  const std::string_view proto = main.substr(0, colon);
  if (!parseProto(proto, spec.proto)) {
    if (proto.empty() || proto.front() == '[' ||
        std::isdigit(static_cast<unsigned char>(proto[0]))) {
      return fail("missing protocol (expected udp:, tcp: or tls: before the address)");
    }
    return fail("unknown protocol '" + std::string(proto) + "' (expected udp, tcp or tls)");
  }
  const std::string_view address = main.substr(colon + 1);
  if (address.empty()) return fail("missing address after '" + std::string(proto) + ":'");
  Result<HostPort> hp = parseHostPort(address, HostRule::kNumericOnly, PortRule::kOptional);
  if (!hp.isOk()) return fail(hp.status().message());
  spec.address = hp.value().host;
  spec.ipv6 = hp.value().ipv6;
  spec.port = hp.value().port != 0 ? hp.value().port : defaultPort(spec.proto);
  spec.text = std::string(protoName(spec.proto)) + ":" +
              (spec.ipv6 ? "[" + spec.address + "]" : spec.address) + ":" +
              std::to_string(spec.port);

  if (!advertised.empty()) {
    Result<HostPort> adv = parseHostPort(advertised, HostRule::kNameOrAddress, PortRule::kOptional);
    if (!adv.isOk()) {
      return fail("advertised address '" + std::string(advertised) +
                  "': " + adv.status().message());
    }
    HostPort a = adv.value();
    if (a.port == 0) a.port = spec.port;
    spec.advertised_host = a.host;
    spec.advertised_port = a.port;
    spec.advertised = a.toString();
  }
  return spec;
}

}  // namespace sipline
