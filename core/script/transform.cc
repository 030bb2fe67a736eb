#include "core/script/transform.h"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>

#include "core/base/strings.h"
#include "core/parser/name_addr.h"
#include "core/parser/uri.h"

namespace sipline::script {
namespace {

using Op = TransformOp;

// clang-format off
const std::vector<TransformInfo> kTransforms = {
    {"s.len", Op::kLen, 0, "{s.len}", "length of the value as text (0 for null)"},
    {"s.int", Op::kInt, 0, "{s.int}",
     "the leading decimal integer of the value (\"42abc\" gives 42; 0 when there is none or for null)"},
    {"s.tolower", Op::kToLower, 0, "{s.tolower}", "the value in lower case (ASCII)"},
    {"s.toupper", Op::kToUpper, 0, "{s.toupper}", "the value in upper case (ASCII)"},
    {"s.substr", Op::kSubstr, 2, "{s.substr,offset,length}",
     "length characters from offset (negative: from the end, -1 is the last); length 0 means "
     "to the end; null when offset is outside the value"},
    {"s.select", Op::kSelect, 2, "{s.select,index,separator}",
     "field index of the value split at the one-character separator (negative: from the "
     "end); null when there is no such field"},
    {"s.trim", Op::kTrim, 0, "{s.trim}", "the value without leading and trailing whitespace"},
    {"s.md5", Op::kMd5, 0, "{s.md5}", "MD5 of the value, 32 lower-case hex digits"},
    {"s.sha256", Op::kSha256, 0, "{s.sha256}", "SHA-256 of the value, 64 lower-case hex digits"},
    {"uri.user", Op::kUriUser, 0, "{uri.user}", "user part of a URI (null when there is none)"},
    {"uri.host", Op::kUriHost, 0, "{uri.host}", "host part of a URI, as written"},
    {"uri.port", Op::kUriPort, 0, "{uri.port}",
     "port of a URI as an integer (null when the URI has none)"},
    {"uri.param", Op::kUriParam, 1, "{uri.param,name}",
     "value of the URI parameter name (\"\" for a flag such as lr; null when absent)"},
    {"param.value", Op::kParamValue, 1, "{param.value,name}",
     "value of parameter name in a \"a=1;b=2\" list (\"\" for a flag; null when absent)"},
    {"nameaddr.uri", Op::kNameAddrUri, 0, "{nameaddr.uri}",
     "the URI of a name-addr such as \"Bob\" <sip:bob@example.com>;tag=1"},
    {"nameaddr.name", Op::kNameAddrName, 0, "{nameaddr.name}",
     "the display name of a name-addr, without quotes (null when there is none)"},
    {"ip.isprivate", Op::kIpIsPrivate, 0, "{ip.isprivate}",
     "1 for a private, loopback or link-local address, 0 for another address, null when the "
     "value is not an IP address"},
};
// clang-format on

Status stepError(std::string_view step, const std::string& why) {
  return Status::invalidArgument("transformation {" + std::string(step) + "}: " + why);
}

// Splits "a,b,c" into at most max_parts pieces; the last piece takes the rest.
std::vector<std::string_view> splitArgs(std::string_view s, std::size_t max_parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_parts) {
    std::size_t comma = s.find(',');
    if (comma == std::string_view::npos) break;
    out.push_back(s.substr(0, comma));
    s.remove_prefix(comma + 1);
  }
  out.push_back(s);
  return out;
}

Result<Transform> parseStep(std::string_view body) {
  std::size_t comma = body.find(',');
  std::string_view name = trim(body.substr(0, comma));
  const TransformInfo* info = nullptr;
  std::vector<std::string_view> names;
  for (const TransformInfo& t : kTransforms) {
    names.push_back(t.name);
    if (name == t.name) info = &t;
  }
  if (info == nullptr) {
    return Status::invalidArgument("unknown transformation {" + std::string(name) + "}" +
                                   didYouMean(name, names));
  }
  std::vector<std::string_view> args;
  if (comma != std::string_view::npos) {
    // The separator of {s.select} may be ',' itself: it takes the rest.
    args = splitArgs(body.substr(comma + 1), info->op == Op::kSelect ? 2 : SIZE_MAX);
  }
  if (static_cast<int>(args.size()) != info->args) {
    std::string want = info->args == 0   ? "no arguments"
                       : info->args == 1 ? "1 argument"
                                         : std::to_string(info->args) + " arguments";
    return stepError(body, "{" + std::string(info->name) + "} takes " + want + ": " + info->usage +
                               ", got " + std::to_string(args.size()));
  }
  Transform t;
  t.op = info->op;
  for (std::string_view a : args) {
    if (!trim(a).empty() && trim(a).front() == '$') {
      return stepError(body, "arguments must be constants, not pseudo-variables");
    }
  }
  auto intArg = [&](std::string_view a, const char* what, std::int64_t& out) -> Status {
    if (!parseInt(trim(a), out)) {
      return stepError(body,
                       std::string(what) + " must be an integer, got '" + std::string(a) + "'");
    }
    return Status::ok();
  };
  switch (info->op) {
    case Op::kSubstr: {
      Status st = intArg(args[0], "offset", t.a);
      if (st.isOk()) st = intArg(args[1], "length", t.b);
      if (!st.isOk()) return st;
      if (t.b < 0) return stepError(body, "length must not be negative (0 means to the end)");
      break;
    }
    case Op::kSelect: {
      Status st = intArg(args[0], "index", t.a);
      if (!st.isOk()) return st;
      // Not trimmed: a space is a valid separator.
      if (args[1].size() != 1) {
        return stepError(body,
                         "separator must be one character, got '" + std::string(args[1]) + "'");
      }
      t.text = std::string(args[1]);
      break;
    }
    case Op::kUriParam:
    case Op::kParamValue:
      t.text = std::string(trim(args[0]));
      if (t.text.empty()) return stepError(body, "needs a parameter name");
      break;
    default:
      break;
  }
  return t;
}

// The value as text; integers in decimal (into buf).
std::string_view textOf(const Value& v, std::string& buf) {
  if (v.isInt()) {
    buf = std::to_string(v.i());
    return buf;
  }
  return v.str();
}

Value ownedOrNull(std::string_view s) {
  return s.empty() ? Value::null() : Value::owned(std::string(s));
}

Value digest(std::string_view s, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(s.data(), s.size(), out, &len, md, nullptr) != 1) return Value::null();
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0xf];
  }
  return Value::owned(std::move(hex));
}

// A URI, or the URI inside a name-addr ("<sip:a@b>;tag=1"). Views point into s.
bool parseUriLenient(std::string_view s, SipUri& uri) {
  s = trim(s);
  if (parseUri(s, uri) == ParseError::kOk) return true;
  NameAddr na;
  if (parseNameAddr(s, na) != ParseError::kOk || !na.uri_ok) return false;
  uri = na.uri;
  return true;
}

// "a=1;b;c=3" (leading ';' and whitespace around parts allowed): the value of name, "" for
// a flag; false when absent.
bool paramValue(std::string_view list, std::string_view name, std::string_view& value) {
  while (!list.empty()) {
    std::size_t semi = list.find(';');
    std::string_view part = trim(list.substr(0, semi));
    list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
    std::size_t eq = part.find('=');
    if (iequals(trim(part.substr(0, eq)), name)) {
      value = eq == std::string_view::npos ? std::string_view() : trim(part.substr(eq + 1));
      return true;
    }
  }
  return false;
}

Value substr(std::string_view s, std::int64_t offset, std::int64_t length) {
  auto n = static_cast<std::int64_t>(s.size());
  std::int64_t start = offset >= 0 ? offset : n + offset;
  if (start < 0 || start > n) return Value::null();
  std::int64_t len = length == 0 ? n - start : std::min(length, n - start);
  return Value::owned(
      std::string(s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(len))));
}

Value select(std::string_view s, std::int64_t index, char sep) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (true) {
    std::size_t next = s.find(sep, pos);
    fields.push_back(s.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  auto n = static_cast<std::int64_t>(fields.size());
  std::int64_t at = index >= 0 ? index : n + index;
  if (at < 0 || at >= n) return Value::null();
  return Value::owned(std::string(fields[static_cast<std::size_t>(at)]));
}

std::int64_t leadingInt(std::string_view s) {
  s = trim(s);
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  std::size_t digits_end = i;
  while (digits_end < s.size() && std::isdigit(static_cast<unsigned char>(s[digits_end]))) {
    ++digits_end;
  }
  // At most 18 digits: no overflow.
  if (digits_end == i || digits_end - i > 18) return 0;
  std::int64_t v = 0;
  parseInt(s.substr(0, digits_end), v);
  return v;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool privateV4(const unsigned char* b) {
  return b[0] == 10 ||                            // RFC 1918
         (b[0] == 172 && (b[1] & 0xf0) == 16) ||  // RFC 1918
         (b[0] == 192 && b[1] == 168) ||          // RFC 1918
         (b[0] == 100 && (b[1] & 0xc0) == 64) ||  // RFC 6598 shared (carrier-grade NAT)
         b[0] == 127 ||                           // loopback
         (b[0] == 169 && b[1] == 254);            // link-local (RFC 3927)
}

std::string unbracketed(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  return std::string(text);
}

}  // namespace

const std::vector<TransformInfo>& transformInfos() { return kTransforms; }

Result<TransformChain> TransformChain::parse(std::string_view text) {
  TransformChain chain;
  std::size_t i = 0;
  if (text.empty()) return Status::invalidArgument("expected a transformation such as {s.len}");
  while (i < text.size()) {
    if (text[i] != '{') {
      return Status::invalidArgument("expected '{' to start a transformation, found '" +
                                     std::string(text.substr(i)) + "'");
    }
    std::size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return Status::invalidArgument("missing '}' after transformation {" +
                                     std::string(text.substr(i + 1)));
    }
    std::string_view body = text.substr(i + 1, close - i - 1);
    if (body.find('{') != std::string_view::npos) {
      return Status::invalidArgument("transformation {" + std::string(body) +
                                     "}: '{' inside a transformation");
    }
    Result<Transform> step = parseStep(body);
    if (!step.isOk()) return step.status();
    chain.steps_.push_back(std::move(step.value()));
    i = close + 1;
  }
  return chain;
}

Value TransformChain::apply(Value v) const {
  for (const Transform& t : steps_) v = applyTransform(t, v);
  return v;
}

Value applyTransform(const Transform& t, const Value& in) {
  if (in.isNull()) {
    return t.op == Op::kLen || t.op == Op::kInt ? Value::integer(0) : Value::null();
  }
  std::string buf;
  std::string_view s = textOf(in, buf);
  switch (t.op) {
    case Op::kLen:
      return Value::integer(static_cast<std::int64_t>(s.size()));
    case Op::kInt:
      return in.isInt() ? in : Value::integer(leadingInt(s));
    case Op::kToLower:
      return Value::owned(toLower(s));
    case Op::kToUpper: {
      std::string out(s);
      for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return Value::owned(std::move(out));
    }
    case Op::kSubstr:
      return substr(s, t.a, t.b);
    case Op::kSelect:
      return select(s, t.a, t.text[0]);
    case Op::kTrim: {
      std::size_t b = 0, e = s.size();
      while (b < e && isSpace(s[b])) ++b;
      while (e > b && isSpace(s[e - 1])) --e;
      return Value::owned(std::string(s.substr(b, e - b)));
    }
    case Op::kMd5:
      return digest(s, EVP_md5());
    case Op::kSha256:
      return digest(s, EVP_sha256());
    case Op::kUriUser:
    case Op::kUriHost:
    case Op::kUriPort:
    case Op::kUriParam: {
      SipUri uri;
      if (!parseUriLenient(s, uri)) return Value::null();
      if (t.op == Op::kUriUser) return ownedOrNull(uri.user);
      if (t.op == Op::kUriHost) return ownedOrNull(uri.host);
      if (t.op == Op::kUriPort) return uri.port != 0 ? Value::integer(uri.port) : Value::null();
      if (!hasUriParam(uri.params, t.text)) return Value::null();
      return Value::owned(std::string(uriParam(uri.params, t.text)));
    }
    case Op::kParamValue: {
      std::string_view value;
      if (!paramValue(s, t.text, value)) return Value::null();
      return Value::owned(std::string(value));
    }
    case Op::kNameAddrUri:
    case Op::kNameAddrName: {
      NameAddr na;
      if (parseNameAddr(trim(s), na) != ParseError::kOk) return Value::null();
      return ownedOrNull(t.op == Op::kNameAddrUri ? na.uri_text : na.display);
    }
    case Op::kIpIsPrivate:
      if (!isIpAddress(s)) return Value::null();
      return Value::integer(isPrivateIp(s) ? 1 : 0);
  }
  return Value::null();
}

bool isIpAddress(std::string_view text) {
  std::string ip = unbracketed(text);
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

bool isPrivateIp(std::string_view text) {
  std::string ip = unbracketed(text);
  unsigned char b[sizeof(in6_addr)];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1) return privateV4(b);
  if (inet_pton(AF_INET6, ip.c_str(), b) != 1) return false;
  static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kLoopback, 16) == 0) return true;
  if (std::memcmp(b, kMapped, 12) == 0) return privateV4(b + 12);  // ::ffff:a.b.c.d
  return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||                // fe80::/10 link-local
         (b[0] & 0xfe) == 0xfc;  // fc00::/7 unique local (RFC 4193)
}

}  // namespace sipline::script
