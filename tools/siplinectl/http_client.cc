#include "tools/siplinectl/http_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "core/base/base64.h"
#include "tools/siplinectl/timed_io.h"

namespace sipline::ctl {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percentDecode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || hexValue(text[i + 1]) < 0 || hexValue(text[i + 2]) < 0) {
      return Status::invalidArgument("a bad %-escape in the URL's user or password");
    }
    out += static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
    i += 2;
  }
  return out;
}

// What messages show of a URL: scheme://HOST:PORT only. Never the user info: a password may
// hold any of '/', '?', '#', '@' unescaped, so everything up to the last '@' goes (a path
// with an '@' loses more than it must, which is the safe side).
std::string shownUrl(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "(not a URL)";
  std::string rest = url.substr(scheme_end + 3);
  const std::size_t at = rest.rfind('@');
  if (at != std::string::npos) rest.erase(0, at + 1);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  return url.substr(0, scheme_end) + "://" + rest;
}

// Only addresses and "localhost": a name would need the resolver, which no timeout bounds.
bool hostNeedsNoResolver(const std::string& host) {
  if (host == "localhost") return true;
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0) return false;
  ::freeaddrinfo(list);
  return true;
}

// The body of a "Transfer-Encoding: chunked" answer; nullopt when it is cut or malformed
// (a chunk size beyond kMaxMiResponse included: the whole answer was read within the limit).
std::optional<std::string> unchunk(const std::string& data) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t eol = data.find("\r\n", pos);
    if (eol == std::string::npos) return std::nullopt;
    std::size_t size = 0;
    std::size_t i = pos;
    for (; i < eol && hexValue(data[i]) >= 0; ++i) {
      if (size > kMaxMiResponse) return std::nullopt;
      size = size * 16 + static_cast<std::size_t>(hexValue(data[i]));
    }
    if (i == pos) return std::nullopt;
    if (size == 0) return out;
    if (eol + 2 + size > data.size()) return std::nullopt;
    out.append(data, eol + 2, size);
    pos = eol + 2 + size + 2;  // the chunk's CRLF
  }
}

class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class HttpMiClient final : public MiClient {
 public:
  HttpMiClient(HttpUrl url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout) {}

  void setTimeout(std::chrono::milliseconds timeout) override { timeout_ = timeout; }

  Result<Json> call(const std::string& method, const Json& params) override {
    const Deadline deadline(timeout_);  // connecting, sending and reading, all of it
    const std::int64_t id = ++last_id_;
    const std::string body = miRequestText(method, params, id);
    std::string request = "POST " + url_.path + " HTTP/1.1\r\nHost: " + hostHeader() +
                          "\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
                          "User-Agent: siplinectl\r\nConnection: close\r\n";
    if (!url_.user.empty() || !url_.password.empty()) {
      request += "Authorization: Basic " + base64Encode(url_.user + ":" + url_.password) + "\r\n";
    }
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    Result<int> fd = connectTcp(deadline);
    if (!fd.isOk()) return fd.status();
    FdGuard guard(fd.value());
    const int sent = sendAllBy(guard.get(), request, deadline);
    if (sent == ETIMEDOUT) return unreachable(noAnswerText());
    if (sent != 0) return unreachable(std::string("send: ") + std::strerror(sent));
    Result<std::string> answer = readAnswer(guard.get(), deadline);
    if (!answer.isOk()) return answer.status();
    return interpret(answer.value(), id);
  }

 private:
  // The URL's host and port, as any HTTP client sends them (the server checks them).
  std::string hostHeader() const {
    const std::string host =
        url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
    return host + ":" + std::to_string(url_.port);
  }

  std::string noAnswerText() const {
    return "no answer within " + std::to_string(timeout_.count()) + " ms";
  }

  Status unreachable(const std::string& why) const {
    return Status::unavailable("MI " + url_.text + ": " + why);
  }

  // The addresses to try: the URL's (numeric, parseHttpUrl checked it), or both loopback
  // addresses for "localhost". No resolver, so nothing outside the deadline.
  Result<int> connectTcp(const Deadline& deadline) {
    std::vector<std::string> hosts{url_.host};
    if (url_.host == "localhost") hosts = {"127.0.0.1", "::1"};
    std::string last = "no address";
    for (const std::string& host : hosts) {
      addrinfo hints{};
      hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* list = nullptr;
      const int rc = ::getaddrinfo(host.c_str(), std::to_string(url_.port).c_str(), &hints, &list);
      if (rc != 0) {
        last = std::string("bad address ") + host + ": " + gai_strerror(rc);
        continue;
      }
      for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
        const int fd =
            ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) continue;
        const int err = connectBy(fd, a->ai_addr, a->ai_addrlen, deadline);
        if (err == 0) {
          ::freeaddrinfo(list);
          return fd;
        }
        ::close(fd);
        last = err == ETIMEDOUT ? "no connection within " + std::to_string(timeout_.count()) + " ms"
                                : std::string(std::strerror(err));
      }
      ::freeaddrinfo(list);
    }
    return unreachable(last);
  }

  // Everything the server sends until it closes, or until the body of Content-Length is in.
  Result<std::string> readAnswer(int fd, const Deadline& deadline) {
    std::string data;
    std::size_t want = std::string::npos;  // total size once the headers are known
    std::size_t searched = 0;              // no header end before this
    while (data.size() < want) {
      if (data.size() > kMaxMiResponse + kMaxHead) return miAnswerTooLarge();
      char chunk[65536];
      int err = 0;
      const ssize_t n = recvBy(fd, chunk, sizeof(chunk), deadline, err);
      if (n < 0 && err == ETIMEDOUT) return unreachable(noAnswerText());
      if (n < 0) return unreachable(std::string("receive: ") + std::strerror(err));
      if (n == 0) break;
      data.append(chunk, static_cast<std::size_t>(n));
      if (want != std::string::npos) continue;
      const std::size_t end = data.find("\r\n\r\n", searched);
      searched = data.size() < 3 ? 0 : data.size() - 3;
      if (end == std::string::npos) continue;
      const std::size_t length = contentLength(data.substr(0, end));
      if (length == kTooLong) return miAnswerTooLarge();
      if (length != std::string::npos) want = end + 4 + length;
    }
    return data;
  }

  // Room for the status line and headers besides the body's kMaxMiResponse.
  static constexpr std::size_t kMaxHead = 64 * 1024;
  static constexpr std::size_t kTooLong = std::string::npos - 1;

  // The Content-Length of a header block: npos when absent or unreadable, kTooLong beyond
  // kMaxMiResponse.
  static std::size_t contentLength(const std::string& head) {
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
      pos += 2;
      const std::size_t colon = head.find(':', pos);
      const std::size_t eol = head.find("\r\n", pos);
      if (colon == std::string::npos || (eol != std::string::npos && colon > eol)) continue;
      std::string name = head.substr(pos, colon - pos);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name != "content-length") continue;
      const std::string value =
          head.substr(colon + 1, eol == std::string::npos ? eol : eol - colon - 1);
      const std::size_t digits = value.find_first_of("0123456789");
      if (digits == std::string::npos) return std::string::npos;
      std::size_t v = 0;
      for (std::size_t i = digits;
           i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])); ++i) {
        v = v * 10 + static_cast<std::size_t>(value[i] - '0');
        if (v > kMaxMiResponse) return kTooLong;
      }
      return v;
    }
    return std::string::npos;
  }

  static bool isChunked(const std::string& head) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::size_t at = lower.find("\r\ntransfer-encoding:");
    return at != std::string::npos &&
           lower.substr(at, lower.find("\r\n", at + 2) - at).find("chunked") != std::string::npos;
  }

  Result<Json> interpret(const std::string& answer, std::int64_t id) {
    if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12) {
      return unreachable(answer.empty() ? "the server closed the connection without an answer"
                                        : "the answer is not HTTP");
    }
    const int status = std::atoi(answer.c_str() + 9);
    const std::size_t end = answer.find("\r\n\r\n");
    std::string body = end == std::string::npos ? "" : answer.substr(end + 4);
    if (end != std::string::npos && isChunked(answer.substr(0, end))) {
      std::optional<std::string> whole = unchunk(body);
      if (!whole) return unreachable("the answer's chunked body is cut or malformed");
      body = std::move(*whole);
    }
    if (body.size() > kMaxMiResponse) return miAnswerTooLarge();
    if (status == 401 || status == 403) {
      return miAccessDenied("authentication failed (HTTP " + std::to_string(status) + " from " +
                            url_.text + ")" +
                            (url_.user.empty() ? "; give a user (--http-user or in the URL) and "
                                                 "the password in SIPLINE_MI_PASSWORD"
                                               : ""));
    }
    // A JSON-RPC error may come with 4xx/5xx: the body says more than the status line.
    Result<Json> parsed = parseMiResponse(body, id);
    if (status == 200 || parsed.status().code() != Code::kUnavailable) return parsed;
    const std::size_t eol = answer.find("\r\n");
    return unreachable("the server answered " + answer.substr(9, eol - 9));
  }

  HttpUrl url_;
  std::chrono::milliseconds timeout_;
  std::int64_t last_id_ = 0;
};

}  // namespace

bool isHttpUrl(const std::string& target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
}

std::string encodeUserInfo(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<HttpUrl> parseHttpUrl(const std::string& url) {
  const std::string shown = shownUrl(url);  // messages never carry the user info
  if (url.rfind("https://", 0) == 0) {
    return Status::invalidArgument("MI URL " + shown +
                                   ": https is not supported (use http on a trusted network)");
  }
  if (url.rfind("http://", 0) != 0) {
    return Status::invalidArgument("MI URL " + shown + " does not start with http://");
  }
  HttpUrl out;
  std::string rest = url.substr(7);
  // The user info ends at the last '@' (an unescaped '/' or '@' in a password still works);
  // the authority at the first '/' after it.
  std::string userinfo;
  bool has_userinfo = false;
  if (const std::size_t at = rest.rfind('@'); at != std::string::npos) {
    userinfo = rest.substr(0, at);
    rest.erase(0, at + 1);
    has_userinfo = true;
  }
  const std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos && rest.size() > slash + 1) out.path = rest.substr(slash);
  if (out.path.find_first_of(" \r\n\t") != std::string::npos) {
    return Status::invalidArgument("MI URL " + shown + ": blanks in the path");
  }
  if (has_userinfo) {
    const std::size_t colon = userinfo.find(':');
    Result<std::string> user = percentDecode(userinfo.substr(0, colon));
    if (!user.isOk()) return user.status();
    out.user = user.value();
    if (colon != std::string::npos) {
      Result<std::string> password = percentDecode(userinfo.substr(colon + 1));
      if (!password.isOk()) return password.status();
      out.password = password.value();
    }
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return Status::invalidArgument("MI URL " + shown + ": no ']'");
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return Status::invalidArgument("MI URL " + shown + ": junk after ']'");
      }
      port_text = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Status::invalidArgument("MI URL " + shown + " names no host");
  if (!port_text.empty() || authority.back() == ':') {
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port_text) < 1 || std::stoi(port_text) > 65535) {
      return Status::invalidArgument("MI URL " + shown + ": the port must be 1..65535");
    }
    out.port = std::stoi(port_text);
  }
  if (!hostNeedsNoResolver(out.host)) {
    return Status::invalidArgument("MI URL " + shown +
                                   ": the host must be an IP address or "
                                   "localhost (siplinectl looks up no names, so that its "
                                   "timeout holds)");
  }
  const std::string host =
      out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
  out.text = "http://" + host + ":" + std::to_string(out.port);
  return out;
}

Result<std::unique_ptr<MiClient>> connectMiHttp(const std::string& url,
                                                std::chrono::milliseconds timeout) {
  Result<HttpUrl> parsed = parseHttpUrl(url);
  if (!parsed.isOk()) return parsed.status();
  return std::unique_ptr<MiClient>(new HttpMiClient(std::move(parsed).value(), timeout));
}

}  // namespace sipline::ctl
