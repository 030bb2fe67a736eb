// The engine-independent half of the DB API: URL parsing, result rows and the driver
// registry. Drivers themselves live in modules (db_postgres).
#include "core/db/db.h"

#include <charconv>
#include <vector>

#include "core/base/strings.h"
#include "core/parser/lex.h"

namespace sipline::db {
namespace {

// RFC 3986 percent-decoding; false on a truncated or non-hex escape.
bool percentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !lex::isHex(in[i + 1]) || !lex::isHex(in[i + 2])) return false;
    out += static_cast<char>(lex::hexValue(in[i + 1]) * 16 + lex::hexValue(in[i + 2]));
    i += 2;
  }
  return true;
}

Status urlError(std::string_view url_text, const std::string& what) {
  return Status::invalidArgument("bad DB URL \"" + std::string(url_text) + "\": " + what +
                                 " (expected postgres://user:password@host:port/database)");
}

bool validSchemeChar(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// The URL for error messages: everything between "://" and the last '@' hidden, so that no
// password shows whatever else is wrong with the URL (a '?', '#' or '/' inside it included).
std::string maskedForErrors(std::string_view url) {
  std::size_t sep = url.find("://");
  std::size_t at = url.rfind('@');
  if (sep == std::string_view::npos || at == std::string_view::npos || at < sep + 3) {
    return std::string(url);
  }
  return std::string(url.substr(0, sep + 3)) + "***" + std::string(url.substr(at));
}

std::string normalisedScheme(std::string_view scheme) {
  std::string s = toLower(scheme);
  return s == "postgresql" ? "postgres" : s;
}

std::vector<Driver*>& drivers() {
  static std::vector<Driver*> registered;
  return registered;
}

}  // namespace

Result<DbUrl> parseDbUrl(std::string_view url) {
  DbUrl out;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      // Also keeps the masked text below from echoing the raw URL with its password.
      return Status::invalidArgument(
          "bad DB URL: it contains a space or control character (percent-encode it)");
    }
  }
  const std::string safe = maskedForErrors(url);
  std::size_t sep = url.find("://");
  if (url.empty()) return Status::invalidArgument("empty DB URL (expected postgres://...)");
  if (sep == std::string_view::npos || sep == 0) return urlError(safe, "no scheme://");
  for (std::size_t i = 0; i < sep; ++i) {
    if (!validSchemeChar(url[i], i == 0)) return urlError(safe, "bad scheme");
  }
  out.scheme = normalisedScheme(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return urlError(safe, "query parameters (?...) are not supported");
  }
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);

  // `text` shows the user and masks only the password; errors use `safe`.
  std::string shown(url);
  std::size_t at = authority.rfind('@');
  std::string_view hostport = authority;
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    hostport = authority.substr(at + 1);
    std::size_t colon = userinfo.find(':');
    std::string_view user = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) {
      std::string_view pass = userinfo.substr(colon + 1);
      std::size_t pass_pos = sep + 3 + colon + 1;
      shown = std::string(url.substr(0, pass_pos)) + "***" +
              std::string(url.substr(pass_pos + pass.size()));
      if (!percentDecode(pass, out.password)) return urlError(safe, "bad %-escape in password");
    }
    if (!percentDecode(user, out.user)) return urlError(safe, "bad %-escape in user name");
  }
  out.text = shown;

  std::string_view host = hostport;
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) return urlError(safe, "unterminated [IPv6 address]");
    host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return urlError(safe, "unexpected text after ]");
    }
    if (!after.empty()) {
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return urlError(safe, "bad IPv6 address in []");
    }
    out.host = std::string(host);
  } else {
    std::size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
      has_port = true;
      if (host.find(':') != std::string_view::npos) {
        return urlError(safe, "an IPv6 address needs brackets: [::1]");
      }
    }
    if (!percentDecode(host, out.host)) return urlError(safe, "bad %-escape in host");
  }
  if (has_port) {
    std::int64_t n = 0;
    if (!parseInt(port, n) || n < 1 || n > 65535 || port.front() == '-') {
      return urlError(safe, "bad port \"" + std::string(port) + "\" (1-65535)");
    }
    out.port = static_cast<std::uint16_t>(n);
  }
  if (path.find('/') != std::string_view::npos) {
    return urlError(safe, "a database name cannot contain '/'");
  }
  if (!percentDecode(path, out.database)) return urlError(safe, "bad %-escape in database name");
  return out;
}

int Rows::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

bool Rows::isNull(std::size_t row, int col) const { return !text(row, col).has_value(); }

std::optional<std::string_view> Rows::text(std::size_t row, int col) const {
  if (row >= cells_.size() || col < 0) return std::nullopt;
  const auto& cells = cells_[row];
  if (static_cast<std::size_t>(col) >= cells.size() || !cells[col].has_value()) {
    return std::nullopt;
  }
  return std::string_view(*cells[col]);
}

bool Rows::getInt(std::size_t row, int col, std::int64_t& out) const {
  std::optional<std::string_view> t = text(row, col);
  if (!t.has_value() || t->empty()) return false;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
  if (ec != std::errc() || end != t->data() + t->size()) return false;
  out = v;
  return true;
}

bool Rows::getDouble(std::size_t row, int col, double& out) const {
  std::optional<std::string_view> t = text(row, col);
  if (!t.has_value() || t->empty()) return false;
  double v = 0;
  auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
  if (ec != std::errc() || end != t->data() + t->size()) return false;
  out = v;
  return true;
}

bool Rows::getBool(std::size_t row, int col, bool& out) const {
  std::optional<std::string_view> t = text(row, col);
  if (!t.has_value()) return false;
  if (*t == "t" || *t == "true" || *t == "1") {
    out = true;
    return true;
  }
  if (*t == "f" || *t == "false" || *t == "0") {
    out = false;
    return true;
  }
  return false;
}

void registerDriver(Driver* driver) {
  if (driver == nullptr) return;
  std::string scheme = normalisedScheme(driver->scheme());
  for (Driver*& d : drivers()) {
    if (normalisedScheme(d->scheme()) == scheme) {
      d = driver;  // the latest registration of a scheme wins (a reloaded driver)
      return;
    }
  }
  drivers().push_back(driver);
}

Driver* findDriver(std::string_view scheme) {
  std::string wanted = normalisedScheme(scheme);
  for (Driver* d : drivers()) {
    if (normalisedScheme(d->scheme()) == wanted) return d;
  }
  return nullptr;
}

Result<std::unique_ptr<Connection>> openUrl(std::string_view url, const Options& options) {
  Result<DbUrl> parsed = parseDbUrl(url);
  if (!parsed.isOk()) return parsed.status();
  Driver* driver = findDriver(parsed.value().scheme);
  if (driver == nullptr) {
    const std::string& scheme = parsed.value().scheme;
    std::string hint = "load module db_" + scheme + " for " + scheme + ":// URLs";
    if (scheme != "postgres") hint += " (sipline ships db_postgres for postgres:// only)";
    return Status::notFound("no DB driver for " + parsed.value().text + ": " + hint);
  }
  return driver->open(parsed.value(), options);
}

}  // namespace sipline::db
