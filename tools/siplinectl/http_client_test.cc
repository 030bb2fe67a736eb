#include "tools/siplinectl/http_client.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tools/siplinectl/mi_args.h"

namespace sipline::ctl {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A one-connection-at-a-time HTTP server on 127.0.0.1: records each request and answers
// `reply` (with "@ID@" replaced by the request's JSON-RPC id), or never answers when `silent`,
// or with `drip_ms` sends a never-ending header one byte every drip_ms.
class FakeHttp {
 public:
  explicit FakeHttp(std::string reply, bool silent = false, int drip_ms = 0)
      : reply_(std::move(reply)), silent_(silent), drip_ms_(drip_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CPPUNIT_ASSERT(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    CPPUNIT_ASSERT(::listen(fd_, 4) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHttp() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& userinfo = "", const std::string& host = "127.0.0.1") const {
    return "http://" + userinfo + host + ":" + std::to_string(port_) + "/mi";
  }
  int port() const { return port_; }
  std::string request;  // the last one

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string data;
      char buf[4096];
      while (data.find("\r\n\r\n") == std::string::npos || !bodyComplete(data)) {
        const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        data.append(buf, static_cast<std::size_t>(n));
      }
      request = data;
      if (drip_ms_ > 0) {
        const std::string head = "HTTP/1.1 200 OK\r\nX-Slow: ";
        ::send(c, head.data(), head.size(), MSG_NOSIGNAL);
        while (!stop_ && ::send(c, "a", 1, MSG_NOSIGNAL) == 1) ::usleep(drip_ms_ * 1000);
      } else if (silent_) {
        while (!stop_) ::usleep(10000);
      } else {
        const std::size_t id_at = data.find("\"id\":");
        const std::string id =
            id_at == std::string::npos
                ? "0"
                : data.substr(id_at + 5, data.find_first_of(",}", id_at) - id_at - 5);
        std::string body = reply_;
        if (const std::size_t at = body.find("@ID@"); at != std::string::npos)
          body.replace(at, 4, id);
        const std::size_t head_end = body.find("\r\n\r\n") + 4;
        const std::string text = body.substr(0, head_end - 2) +
                                 "Content-Length: " + std::to_string(body.size() - head_end) +
                                 "\r\n\r\n" + body.substr(head_end);
        ::send(c, text.data(), text.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }
  static bool bodyComplete(const std::string& data) {
    const std::size_t cl = data.find("Content-Length: ");
    if (cl == std::string::npos) return true;
    return data.size() >= data.find("\r\n\r\n") + 4 + std::stoul(data.substr(cl + 16));
  }

  std::string reply_;
  bool silent_;
  int drip_ms_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

class HttpClientTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HttpClientTest);
  CPPUNIT_TEST(parsesUrls);
  CPPUNIT_TEST(postsJsonRpcWithBasicAuth);
  CPPUNIT_TEST(unauthorizedIsAccessDenied);
  CPPUNIT_TEST(jsonRpcErrorsMapAsOnTheSocket);
  CPPUNIT_TEST(chunkedAnswersAreJoined);
  CPPUNIT_TEST(silentServerTimesOut);
  CPPUNIT_TEST(nobodyListeningIsUnavailable);
  CPPUNIT_TEST(miArgsBecomeParams);
  CPPUNIT_TEST(drippingServerIsBoundedByOneDeadline);
  CPPUNIT_TEST(requestCarriesJsonTypeAndHost);
  CPPUNIT_TEST(oversizedAnswerIsItsOwnError);
  CPPUNIT_TEST(messagesNeverShowTheUserInfo);
  CPPUNIT_TEST(onlyAddressesAndLocalhostAreTaken);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesUrls() {
    Result<HttpUrl> u = parseHttpUrl("http://op:p%40ss@192.0.2.7:8080/x/mi");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7"), u.value().host);
    CPPUNIT_ASSERT_EQUAL(8080, u.value().port);
    CPPUNIT_ASSERT_EQUAL(std::string("/x/mi"), u.value().path);
    CPPUNIT_ASSERT_EQUAL(std::string("op"), u.value().user);
    CPPUNIT_ASSERT_EQUAL(std::string("p@ss"), u.value().password);
    CPPUNIT_ASSERT_EQUAL(std::string("http://192.0.2.7:8080"), u.value().text);
    u = parseHttpUrl("http://[::1]:9");
    CPPUNIT_ASSERT(u.isOk() && u.value().host == "::1" && u.value().port == 9 &&
                   u.value().path == "/mi");
    u = parseHttpUrl("http://127.0.0.1");
    CPPUNIT_ASSERT(u.isOk() && u.value().port == 80);
    for (const char* bad : {"https://h:1", "ftp://h", "http://:80", "http://h:0",
                            "http://h:", "http://h:65536", "http://[::1", "http://u:%zz@h:1"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, parseHttpUrl(bad).status().code() == Code::kInvalidArgument);
    }
    CPPUNIT_ASSERT_EQUAL(std::string("a%3Ab%40c%20d"), encodeUserInfo("a:b@c d"));
    // A refused URL is named without its password.
    const std::string message = parseHttpUrl("http://op:topsecret@h:99999/mi").status().message();
    CPPUNIT_ASSERT_MESSAGE(message,
                           contains(message, "http://h:99999:") && !contains(message, "topsecret"));
  }

  void postsJsonRpcWithBasicAuth() {
    FakeHttp server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
        "{\"jsonrpc\":\"2.0\",\"result\":{\"uptime\":5},\"id\":@ID@}");
    auto client = connectMiHttp(server.url("admin:s%3Acret@"));
    CPPUNIT_ASSERT(client.isOk());
    Result<Json> r = client.value()->call("uptime", nullptr);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(5, r.value().at("uptime").get<int>());
    CPPUNIT_ASSERT_MESSAGE(server.request, contains(server.request, "POST /mi HTTP/1.1\r\n"));
    // base64("admin:s:cret")
    CPPUNIT_ASSERT_MESSAGE(server.request,
                           contains(server.request, "Authorization: Basic YWRtaW46czpjcmV0\r\n"));
    CPPUNIT_ASSERT(
        contains(server.request, "{\"jsonrpc\":\"2.0\",\"method\":\"uptime\",\"id\":1}"));
    r = client.value()->call("ps", Json{{"a", 1}});  // a second call: a new connection
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT(contains(server.request, "\"params\":{\"a\":1},\"id\":2"));
  }

  void unauthorizedIsAccessDenied() {
    FakeHttp server("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"mi\"\r\n\r\n");
    Result<Json> r = connectMiHttp(server.url()).value()->call("ps", nullptr);
    CPPUNIT_ASSERT(r.status().code() == kMiAccessDenied);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           contains(r.status().message(), "authentication failed (HTTP 401"));
    CPPUNIT_ASSERT(contains(r.status().message(), "SIPLINE_MI_PASSWORD"));
    CPPUNIT_ASSERT(!contains(server.request, "Authorization:"));
    r = connectMiHttp(server.url("u:secret@")).value()->call("ps", nullptr);
    CPPUNIT_ASSERT(r.status().code() == kMiAccessDenied);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), !contains(r.status().message(), "secret"));
  }

  void jsonRpcErrorsMapAsOnTheSocket() {
    FakeHttp server(
        "HTTP/1.1 200 OK\r\n\r\n{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,"
        "\"message\":\"method 'vresion' not found\",\"data\":{\"suggestions\":"
        "[\"version\"]}},\"id\":@ID@}");
    Result<Json> r = connectMiHttp(server.url()).value()->call("vresion", nullptr);
    CPPUNIT_ASSERT(r.status().code() == Code::kUnsupported);
    CPPUNIT_ASSERT_EQUAL(std::string("method 'vresion' not found (did you mean version?)"),
                         r.status().message());
    FakeHttp missing("HTTP/1.1 404 Not Found\r\n\r\nno");
    r = connectMiHttp(missing.url()).value()->call("ps", nullptr);
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), contains(r.status().message(), "404 Not Found"));
    CPPUNIT_ASSERT(
        parseMiResponse(
            R"({"jsonrpc":"2.0","error":{"code":-32000,"message":"gone","data":{"status":"not_found"}},"id":3})",
            3)
            .status()
            .code() == Code::kNotFound);
    CPPUNIT_ASSERT(
        parseMiResponse(
            R"({"jsonrpc":"2.0","error":{"code":-32000,"message":"x","data":{"status":"unavailable"}},"id":3})",
            3)
            .status()
            .code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(parseMiResponse(R"({"jsonrpc":"2.0","result":1,"id":4})", 3).status().code() ==
                   Code::kUnavailable);
  }

  void chunkedAnswersAreJoined() {
    // FakeHttp adds a Content-Length after the head (of the framed body); chunked decides.
    FakeHttp server(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "11\r\n{\"jsonrpc\":\"2.0\",\r\n"
        "18\r\n\"result\":[1,2,3],\"id\":@ID@}\r\n0\r\n\r\n");
    Result<Json> r = connectMiHttp(server.url()).value()->call("which", nullptr);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT(r.value() == Json::array({1, 2, 3}));
  }

  void silentServerTimesOut() {
    FakeHttp server("", true);
    auto client = connectMiHttp(server.url(), std::chrono::milliseconds(200));
    Result<Json> r = client.value()->call("ps", nullptr);
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           contains(r.status().message(), "no answer within 200 ms"));
  }

  void nobodyListeningIsUnavailable() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);  // bound and released: nobody listens there
    Result<Json> r = connectMiHttp("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)))
                         .value()
                         ->call("ps", nullptr);
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), contains(r.status().message(), "refused"));
  }

  void miArgsBecomeParams() {
    CPPUNIT_ASSERT(miParamsFromArgs({}).value().is_null());
    CPPUNIT_ASSERT(
        miParamsFromArgs({"x", "12", "-3", "true", "null", "1.5", "[1]", "\"7\"", "{bad"})
            .value() ==
        Json::array({"x", 12, -3, true, nullptr, 1.5, Json::array({1}), "7", "{bad"}));
    CPPUNIT_ASSERT(miParamsFromArgs({"aor=a@x", "n=5", "s=sip:a@h;x=y"}).value() ==
                   Json({{"aor", "a@x"}, {"n", 5}, {"s", "sip:a@h;x=y"}}));
    CPPUNIT_ASSERT(miParamsFromArgs({"sip:a@h;x=y", "1.2.3.4"}).value() ==
                   Json::array({"sip:a@h;x=y", "1.2.3.4"}));
    CPPUNIT_ASSERT(miParamsFromArgs({"a=1", "a=2"}).status().code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(miParamsFromArgs({"a=1", "2"}).status().code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(miValue("") == Json(""));
  }

  void drippingServerIsBoundedByOneDeadline() {
    FakeHttp server("", false, 50);  // a byte every 50 ms: each recv() alone is quick
    auto client = connectMiHttp(server.url(), std::chrono::milliseconds(300));
    const auto t0 = std::chrono::steady_clock::now();
    Result<Json> r = client.value()->call("ps", nullptr);
    const auto took = std::chrono::steady_clock::now() - t0;
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           contains(r.status().message(), "no answer within 300 ms"));
    CPPUNIT_ASSERT(took < std::chrono::milliseconds(1500));
  }

  void requestCarriesJsonTypeAndHost() {
    FakeHttp server("HTTP/1.1 200 OK\r\n\r\n{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":@ID@}");
    const std::string port = std::to_string(server.port());
    CPPUNIT_ASSERT(connectMiHttp(server.url()).value()->call("ps", nullptr).isOk());
    CPPUNIT_ASSERT_MESSAGE(server.request,
                           contains(server.request, "\r\nContent-Type: application/json\r\n"));
    CPPUNIT_ASSERT_MESSAGE(server.request,
                           contains(server.request, "\r\nHost: 127.0.0.1:" + port + "\r\n"));
    // localhost: no resolver, the loopback addresses; the Host header as written.
    Result<Json> r = connectMiHttp(server.url("", "localhost")).value()->call("ps", nullptr);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_MESSAGE(server.request,
                           contains(server.request, "\r\nHost: localhost:" + port + "\r\n"));
  }

  void oversizedAnswerIsItsOwnError() {
    FakeHttp server("HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n{}");
    Result<Json> r = connectMiHttp(server.url()).value()->call("ul_dump", nullptr);
    CPPUNIT_ASSERT(r.status().code() == kMiAnswerTooLarge);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           contains(r.status().message(), "larger than 64 MiB"));
    CPPUNIT_ASSERT(kMaxMiResponse >= (std::size_t{64} << 20));
  }

  void messagesNeverShowTheUserInfo() {
    // A password with '/', '?', '#' and '@' unescaped, in a URL refused for its port ...
    for (const char* url :
         {"http://operator1:ab/cd?ef#gh@ij@127.0.0.1:99999/mi", "http://operator1:ab/cd@[::1/mi",
          "https://operator1:ab/cd@h:1", "http://operator1:ab/cd@example.com:1/mi"}) {
      const Status st = parseHttpUrl(url).status();
      CPPUNIT_ASSERT_MESSAGE(url, st.code() == Code::kInvalidArgument);
      for (const char* secret : {"operator1", "ab/", "cd", "gh@"}) {
        CPPUNIT_ASSERT_MESSAGE(st.message(), !contains(st.message(), secret));
      }
    }
    // ... and one that is fine: taken apart at the last '@', sent, named without user info.
    FakeHttp server("HTTP/1.1 401 Unauthorized\r\n\r\n");
    Result<HttpUrl> u = parseHttpUrl(server.url("admin:s/cr@t@"));
    CPPUNIT_ASSERT(u.isOk() && u.value().user == "admin" && u.value().password == "s/cr@t");
    CPPUNIT_ASSERT_EQUAL("http://127.0.0.1:" + std::to_string(server.port()), u.value().text);
    Result<Json> r = connectMiHttp(server.url("admin:s/cr@t@")).value()->call("ps", nullptr);
    CPPUNIT_ASSERT(r.status().code() == kMiAccessDenied);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), !contains(r.status().message(), "admin") &&
                                                     !contains(r.status().message(), "s/cr"));
    // base64("admin:s/cr@t")
    CPPUNIT_ASSERT_MESSAGE(server.request,
                           contains(server.request, "Authorization: Basic YWRtaW46cy9jckB0\r\n"));
  }

  void onlyAddressesAndLocalhostAreTaken() {
    for (const char* ok : {"http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1",
                           "http://10.1.2.3:8888/mi"}) {
      CPPUNIT_ASSERT_MESSAGE(ok, parseHttpUrl(ok).isOk());
    }
    for (const char* name : {"http://example.com:1", "http://mi-host:8888", "http://h"}) {
      const Status st = parseHttpUrl(name).status();
      CPPUNIT_ASSERT_MESSAGE(name, st.code() == Code::kInvalidArgument);
      CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "IP address or localhost"));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpClientTest);

}  // namespace sipline::ctl
