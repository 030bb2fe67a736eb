// Tests for MiHttp: a real TCP listener on 127.0.0.1 (port 0), served by MiServer::serve in a
// thread (HTTP only, no unix socket), and a raw HTTP/1.1 client over a blocking socket with
// timeouts, so a bug fails a test instead of hanging the runner.
#include "core/mi/mi_http.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/mi/json.h"
#include "core/mi/jsonrpc.h"
#include "core/mi/mi_registry.h"
#include "core/mi/mi_server.h"
#include "core/mi/mi_stats.h"
#include "test/stream_socket.h"

namespace sipline {
namespace {

using namespace std::chrono_literals;

struct HttpResponse {
  int status = 0;  // 0: no status line (connection closed or timed out first)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking TCP client to 127.0.0.1:port; every read and write gives up after `timeout`.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, std::chrono::milliseconds timeout = 5000ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void setTimeout(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  // Without waiting: true when the server has closed (EOF or reset).
  bool closedNow() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  bool send(const std::string& data) { return testing::sendAll(fd_, data); }

  // Everything until the server closes (requests carry "Connection: close"), parsed.
  HttpResponse readResponse() {
    std::string raw;
    char chunk[65536];
    while (true) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      raw.append(chunk, static_cast<std::size_t>(n));
    }
    return parse(raw);
  }

  // True when the server closed the connection: EOF (or a reset) before `timeout`.
  bool closedByServer() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  static HttpResponse parse(const std::string& raw) {
    HttpResponse r;
    std::size_t head_end = raw.find("\r\n\r\n");
    if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) return r;
    r.status = std::stoi(raw.substr(9, 3));
    std::size_t pos = raw.find("\r\n") + 2;
    while (pos < head_end) {
      std::size_t eol = raw.find("\r\n", pos);
      std::string line = raw.substr(pos, eol - pos);
      std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
      pos = eol + 2;
    }
    r.body = raw.substr(head_end + 4);
    return r;
  }

  int fd_ = -1;
  bool connected_ = false;
  friend int clientFd(const RawClient& c);
};

int clientFd(const RawClient& c) { return c.fd_; }

// Everything until the server closes or the client's timeout, unparsed.
std::string readAll(RawClient& client);

std::string httpRequest(const std::string& method, const std::string& path,
                        const std::string& body = "", const std::string& extra_headers = "") {
  std::string text = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  text += extra_headers;
  if (!body.empty() || method == "POST") {
    text +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return text + "\r\n" + body;
}

// "Authorization: Basic base64(user:password)\r\n"
std::string basicAuth(const std::string& user_colon_password) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string& in = user_colon_password;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return "Authorization: Basic " + out + "\r\n";
}

std::string readAll(RawClient& client) {
  std::string raw;
  char chunk[65536];
  ssize_t n;
  while ((n = ::recv(clientFd(client), chunk, sizeof(chunk), 0)) > 0) {
    raw.append(chunk, static_cast<std::size_t>(n));
  }
  return raw;
}

constexpr const char* kWhich = R"({"jsonrpc":"2.0","method":"which","id":1})";

}  // namespace

class MiHttpTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MiHttpTest);
  CPPUNIT_TEST(postMiAnswersJsonRpc);
  CPPUNIT_TEST(postRootAnswersJsonRpc);
  CPPUNIT_TEST(batchGetsAnArray);
  CPPUNIT_TEST(notificationGets204);
  CPPUNIT_TEST(badJsonGetsParseErrorWith200);
  CPPUNIT_TEST(unknownPathGets404);
  CPPUNIT_TEST(wrongMethodGets405WithAllow);
  CPPUNIT_TEST(bodyOverTheLimitGets413);
  CPPUNIT_TEST(metricsHavePrometheusContentType);
  CPPUNIT_TEST(metricsWithoutRendererIs404);
  CPPUNIT_TEST(missingCredentialsGet401WithChallenge);
  CPPUNIT_TEST(wrongCredentialsGet401);
  CPPUNIT_TEST(rightCredentialsAreServed);
  CPPUNIT_TEST(malformedAuthorizationGets401);
  CPPUNIT_TEST(authGuardsMetricsToo);
  CPPUNIT_TEST(silentClientIsDroppedAfterTheTimeout);
  CPPUNIT_TEST(stalledClientDoesNotBlockAnother);
  CPPUNIT_TEST(countsRequestsErrorsAndAuthFailures);
  CPPUNIT_TEST(parseBasicAuthAcceptsOnlyWellFormedValues);
  CPPUNIT_TEST(listenNamesTheAddressInUse);
  CPPUNIT_TEST(listenRefusesABadAddress);
  CPPUNIT_TEST(acceptErrorPausesInsteadOfSpinning);
  CPPUNIT_TEST(connectionsBeyondTheCapWaitForAFreeSlot);
  CPPUNIT_TEST(drippingClientIsCutAtTheDeadline);
  CPPUNIT_TEST(keptAliveConnectionGetsAFreshDeadlinePerRequest);
  CPPUNIT_TEST(headMetricsIs405AndKeepsTheConnectionUsable);
  CPPUNIT_TEST(postWithoutJsonContentTypeGets415);
  CPPUNIT_TEST(foreignHostGets403WithoutCredentials);
  CPPUNIT_TEST(isLoopbackHostAcceptsOnlyLoopbackLiterals);
  CPPUNIT_TEST(duplicateContentLengthGets400);
  CPPUNIT_TEST(batchOverTheCapIsRefused);
  CPPUNIT_TEST(unauthorizedAnswerIsNotCached);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    registry_ = MiRegistry();
    registerBuiltinMiCommands(registry_);
  }

  void tearDown() override { stopServer(); }

  void postMiAnswersJsonRpc() {
    startServer();
    HttpResponse r = exchange(httpRequest("POST", "/mi", kWhich));
    CPPUNIT_ASSERT_EQUAL(200, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("application/json"), r.header("content-type"));
    Json j = Json::parse(r.body);
    CPPUNIT_ASSERT_EQUAL(1, j.at("id").get<int>());
    CPPUNIT_ASSERT(j.at("result").is_array());
  }

  void postRootAnswersJsonRpc() {
    startServer();
    HttpResponse r = exchange(httpRequest(
        "POST", "/?x=1", R"({"jsonrpc":"2.0","method":"help","params":["which"],"id":"a"})"));
    CPPUNIT_ASSERT_EQUAL(200, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("a"), Json::parse(r.body).at("id").get<std::string>());
  }

  void batchGetsAnArray() {
    startServer();
    HttpResponse r = exchange(httpRequest(
        "POST", "/mi",
        R"([{"jsonrpc":"2.0","method":"which","id":1},{"jsonrpc":"2.0","method":"nope","id":2},)"
        R"({"jsonrpc":"2.0","method":"which"}])"));
    CPPUNIT_ASSERT_EQUAL(200, r.status);
    Json j = Json::parse(r.body);
    CPPUNIT_ASSERT(j.is_array());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, j.size());
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcMethodNotFound}, j.at(1).at("error").at("code").get<int>());
  }

  void notificationGets204() {
    startServer();
    HttpResponse r = exchange(httpRequest("POST", "/mi", R"({"jsonrpc":"2.0","method":"which"})"));
    CPPUNIT_ASSERT_EQUAL(204, r.status);
    CPPUNIT_ASSERT(r.body.empty());
  }

  void badJsonGetsParseErrorWith200() {
    startServer();
    HttpResponse r = exchange(httpRequest("POST", "/mi", "{not json"));
    CPPUNIT_ASSERT_EQUAL(200, r.status);
    Json j = Json::parse(r.body);
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcParseError}, j.at("error").at("code").get<int>());
    CPPUNIT_ASSERT(j.at("id").is_null());
  }

  void unknownPathGets404() {
    startServer();
    CPPUNIT_ASSERT_EQUAL(404, exchange(httpRequest("GET", "/nope")).status);
    CPPUNIT_ASSERT_EQUAL(404, exchange(httpRequest("POST", "/mi/x", kWhich)).status);
  }

  void wrongMethodGets405WithAllow() {
    startServer();
    HttpResponse r = exchange(httpRequest("GET", "/mi"));
    CPPUNIT_ASSERT_EQUAL(405, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("POST"), r.header("allow"));
    r = exchange(httpRequest("PUT", "/", kWhich));
    CPPUNIT_ASSERT_EQUAL(405, r.status);
    r = exchange(httpRequest("POST", "/metrics", "{}"));
    CPPUNIT_ASSERT_EQUAL(405, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("GET"), r.header("allow"));
  }

  void bodyOverTheLimitGets413() {
    MiHttpLimits limits;
    limits.max_body = 1024;
    startServer(limits);
    HttpResponse r = exchange(httpRequest("POST", "/mi", std::string(1025, ' ')));
    CPPUNIT_ASSERT_EQUAL(413, r.status);
    // At the limit it is read and handled (spaces are not JSON: a parse error, but a 200).
    std::string padded = std::string(kWhich) + std::string(1024 - std::string(kWhich).size(), ' ');
    CPPUNIT_ASSERT_EQUAL(200, exchange(httpRequest("POST", "/mi", padded)).status);
  }

  void metricsHavePrometheusContentType() {
    startServer();
    HttpResponse r = exchange(httpRequest("GET", "/metrics"));
    CPPUNIT_ASSERT_EQUAL(200, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"),
                         r.header("content-type"));
    CPPUNIT_ASSERT_EQUAL(std::string(kMetrics), r.body);
  }

  void metricsWithoutRendererIs404() {
    startServer(MiHttpLimits(), /*with_metrics=*/false);
    CPPUNIT_ASSERT_EQUAL(404, exchange(httpRequest("GET", "/metrics")).status);
  }

  void missingCredentialsGet401WithChallenge() {
    startServer(MiHttpLimits(), true, "ops", "s3cret");
    HttpResponse r = exchange(httpRequest("POST", "/mi", kWhich));
    CPPUNIT_ASSERT_EQUAL(401, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("Basic realm=\"sipline\""), r.header("www-authenticate"));
  }

  void wrongCredentialsGet401() {
    startServer(MiHttpLimits(), true, "ops", "s3cret");
    for (const char* bad : {"ops:s3creT", "ops:", "Ops:s3cret", "ops:s3cret ", ":s3cret"}) {
      HttpResponse r = exchange(httpRequest("POST", "/mi", kWhich, basicAuth(bad)));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 401, r.status);
      CPPUNIT_ASSERT_EQUAL(std::string("Basic realm=\"sipline\""), r.header("www-authenticate"));
    }
  }

  void rightCredentialsAreServed() {
    startServer(MiHttpLimits(), true, "ops", "s3:cret");  // a ':' in the password is fine
    HttpResponse r = exchange(httpRequest("POST", "/mi", kWhich, basicAuth("ops:s3:cret")));
    CPPUNIT_ASSERT_EQUAL(200, r.status);
    CPPUNIT_ASSERT_EQUAL(1, Json::parse(r.body).at("id").get<int>());
  }

  void malformedAuthorizationGets401() {
    startServer(MiHttpLimits(), true, "ops", "s3cret");
    for (const char* header : {"Authorization: Basic\r\n", "Authorization: Basic !!!!\r\n",
                               "Authorization: Basic b3BzOnMzY3JldA\r\n",     // no padding
                               "Authorization: Basic b3Bz\r\n",               // "ops": no colon
                               "Authorization: Bearer b3BzOnMzY3JldA==\r\n",  // another scheme
                               "Authorization: Basic b3Bz=OnMzY3JldA=\r\n"}) {
      HttpResponse r = exchange(httpRequest("POST", "/mi", kWhich, header));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(header, 401, r.status);
    }
    // The scheme is case-insensitive (RFC 7235 §2.1).
    CPPUNIT_ASSERT_EQUAL(200, exchange(httpRequest("POST", "/mi", kWhich,
                                                   "Authorization: bAsIc b3BzOnMzY3JldA==\r\n"))
                                  .status);
  }

  void authGuardsMetricsToo() {
    startServer(MiHttpLimits(), true, "ops", "s3cret");
    CPPUNIT_ASSERT_EQUAL(401, exchange(httpRequest("GET", "/metrics")).status);
    CPPUNIT_ASSERT_EQUAL(401, exchange(httpRequest("GET", "/nope")).status);
    CPPUNIT_ASSERT_EQUAL(
        200, exchange(httpRequest("GET", "/metrics", "", basicAuth("ops:s3cret"))).status);
  }

  void silentClientIsDroppedAfterTheTimeout() {
    MiHttpLimits limits;
    limits.timeout = 300ms;
    startServer(limits);
    RawClient silent(http_->port(), 5000ms);
    CPPUNIT_ASSERT(silent.connected());
    auto start = std::chrono::steady_clock::now();
    CPPUNIT_ASSERT(silent.closedByServer());
    auto waited = std::chrono::steady_clock::now() - start;
    CPPUNIT_ASSERT(waited >= 200ms && waited < 4000ms);
  }

  void stalledClientDoesNotBlockAnother() {
    MiHttpLimits limits;
    limits.timeout = 500ms;
    startServer(limits);
    RawClient stalled(http_->port(), 5000ms);
    CPPUNIT_ASSERT(stalled.send("POST /mi HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"));
    CPPUNIT_ASSERT_EQUAL(200, exchange(httpRequest("POST", "/mi", kWhich)).status);
    HttpResponse dropped = stalled.readResponse();  // closed by the timeout (maybe with a 408)
    CPPUNIT_ASSERT(dropped.status == 0 || dropped.status == 408 || dropped.status == 400);
  }

  void countsRequestsErrorsAndAuthFailures() {
    std::atomic<std::uint64_t> requests{0}, errors{0}, auth_failures{0};
    miStats().http_requests.bindForTest(&requests);
    miStats().http_errors.bindForTest(&errors);
    miStats().http_auth_failures.bindForTest(&auth_failures);
    startServer(MiHttpLimits(), true, "ops", "pw");
    exchange(httpRequest("POST", "/mi", kWhich, basicAuth("ops:pw")));
    exchange(httpRequest("GET", "/nope", "", basicAuth("ops:pw")));
    exchange(httpRequest("POST", "/mi", kWhich, basicAuth("ops:no")));
    stopServer();  // the counters are read after the loop thread is gone
    miStats().http_requests.bindForTest(nullptr);
    miStats().http_errors.bindForTest(nullptr);
    miStats().http_auth_failures.bindForTest(nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, requests.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, errors.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, auth_failures.load());
  }

  void parseBasicAuthAcceptsOnlyWellFormedValues() {
    std::string user, password;
    CPPUNIT_ASSERT(parseBasicAuth("Basic dXNlcjpwYXNz", user, password));
    CPPUNIT_ASSERT_EQUAL(std::string("user"), user);
    CPPUNIT_ASSERT_EQUAL(std::string("pass"), password);
    CPPUNIT_ASSERT(parseBasicAuth("basic  YTpiOmM= ", user, password));  // "a:b:c"
    CPPUNIT_ASSERT_EQUAL(std::string("a"), user);
    CPPUNIT_ASSERT_EQUAL(std::string("b:c"), password);
    CPPUNIT_ASSERT(parseBasicAuth("Basic Og==", user, password));  // ":" (empty both)
    CPPUNIT_ASSERT(user.empty() && password.empty());
    for (const char* bad :
         {"", "Basic", "Basic ", "Basicdxnlcjpwyxnz", "Digest dXNlcjpwYXNz", "Basic dXNlcjpwYXN",
          "Basic dXNl cjpwYXNz", "Basic ===a", "Basic dXNlcg=="}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !parseBasicAuth(bad, user, password));
    }
  }

  void listenNamesTheAddressInUse() {
    MiHttp first;
    CPPUNIT_ASSERT(first.listen("127.0.0.1:0").isOk());
    std::string taken = "127.0.0.1:" + std::to_string(first.port());
    MiHttp second;
    Status s = second.listen(taken);
    CPPUNIT_ASSERT(s.code() == Code::kIoError);
    CPPUNIT_ASSERT_MESSAGE(s.message(), s.message().find(taken) != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(s.message(), s.message().find("in use") != std::string::npos);
    CPPUNIT_ASSERT(!second.listening());
  }

  void listenRefusesABadAddress() {
    MiHttp http;
    for (const char* bad : {"127.0.0.1", "localhost:80", "[::1]80", "127.0.0.1:70000", ":80"}) {
      Status s = http.listen(bad);
      CPPUNIT_ASSERT_MESSAGE(bad, s.code() == Code::kInvalidArgument);
      CPPUNIT_ASSERT_MESSAGE(s.message(), s.message().find(bad) != std::string::npos);
    }
  }

  // EMFILE on accept: the loop pauses accepts (no busy loop) and serves again afterwards.
  void acceptErrorPausesInsteadOfSpinning() {
    MiHttpLimits limits;
    limits.accept_retry = 300ms;
    startServer(limits);
    CPPUNIT_ASSERT_EQUAL(200, exchange(httpRequest("POST", "/mi", kWhich)).status);  // running
    rlimit old{};
    CPPUNIT_ASSERT(::getrlimit(RLIMIT_NOFILE, &old) == 0);
    int highest = ::dup(0);
    ::close(highest);
    rlimit low = old;
    low.rlim_cur = static_cast<rlim_t>(highest + 64);
    CPPUNIT_ASSERT(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::vector<int> filler;
    for (int fd; (fd = ::dup(0)) >= 0;) filler.push_back(fd);
    ::close(filler.back());  // exactly one free descriptor: the client's
    filler.pop_back();
    auto client = std::make_unique<RawClient>(http_->port(), 5000ms);
    bool connected = client->connected();
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    std::this_thread::sleep_for(600ms);  // the server's accept() fails with EMFILE meanwhile
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    for (int fd : filler) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &old);
    auto cpu = [](const rusage& r) {
      return std::chrono::microseconds(r.ru_utime.tv_sec * 1000000 + r.ru_utime.tv_usec +
                                       r.ru_stime.tv_sec * 1000000 + r.ru_stime.tv_usec);
    };
    CPPUNIT_ASSERT(connected);
    auto used = cpu(after) - cpu(before);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(used.count()) + " us of CPU in 600 ms", used < 200ms);
    // Descriptors are back: after the pause the waiting client is served.
    CPPUNIT_ASSERT(client->send(httpRequest("POST", "/mi", kWhich)));
    CPPUNIT_ASSERT_EQUAL(200, client->readResponse().status);
  }

  void connectionsBeyondTheCapWaitForAFreeSlot() {
    MiHttpLimits limits;
    limits.max_connections = 2;
    limits.request_deadline = 2000ms;  // sweeps every 200 ms
    startServer(limits);
    auto idle1 = std::make_unique<RawClient>(http_->port());
    RawClient idle2(http_->port());
    CPPUNIT_ASSERT(idle1->connected() && idle2.connected());
    std::this_thread::sleep_for(200ms);  // both accepted
    RawClient third(http_->port(), 600ms);
    CPPUNIT_ASSERT(third.connected());  // the kernel's backlog takes it
    CPPUNIT_ASSERT(third.send(httpRequest("POST", "/mi", kWhich)));
    CPPUNIT_ASSERT_EQUAL(0, third.readResponse().status);  // not served while at the cap
    idle1.reset();
    third.setTimeout(3000ms);
    CPPUNIT_ASSERT_EQUAL(200, third.readResponse().status);
  }

  void drippingClientIsCutAtTheDeadline() {
    MiHttpLimits limits;
    limits.timeout = 1000ms;
    limits.request_deadline = 700ms;
    startServer(limits);
    RawClient dripper(http_->port());
    std::string request = "POST /mi HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    request += std::string(2000, 'X');  // never finishes within the test
    auto start = std::chrono::steady_clock::now();
    bool closed = false;
    for (std::size_t i = 0; i < request.size() && !closed; ++i) {
      if (!dripper.send(std::string(1, request[i])) || dripper.closedNow()) {
        closed = true;
        break;
      }
      std::this_thread::sleep_for(100ms);  // well inside the idle timeout
      if (std::chrono::steady_clock::now() - start > 4000ms) break;
    }
    auto took = std::chrono::steady_clock::now() - start;
    CPPUNIT_ASSERT_MESSAGE("a dripping client kept its connection", closed);
    CPPUNIT_ASSERT(took >= 600ms && took < 2500ms);
  }

  void keptAliveConnectionGetsAFreshDeadlinePerRequest() {
    MiHttpLimits limits;
    limits.request_deadline = 600ms;
    startServer(limits);
    RawClient client(http_->port(), 2000ms);
    std::string keep = httpRequest("POST", "/mi", kWhich);
    keep.replace(keep.find("Connection: close"), 17, "Connection: keep-alive");
    for (int i = 0; i < 4; ++i) {  // 4 x 300 ms: longer than one deadline in all
      CPPUNIT_ASSERT(client.send(keep));
      std::this_thread::sleep_for(300ms);
      CPPUNIT_ASSERT_MESSAGE(std::to_string(i), !client.closedNow());
      char buf[4096];
      CPPUNIT_ASSERT(::recv(clientFd(client), buf, sizeof(buf), MSG_DONTWAIT) > 0);
    }
  }

  void headMetricsIs405AndKeepsTheConnectionUsable() {
    startServer();
    RawClient client(http_->port());
    std::string head = "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    CPPUNIT_ASSERT(client.send(head + httpRequest("GET", "/metrics")));
    std::string raw = readAll(client);
    // Two framed answers: the 405 (Allow: GET, no body) and then the metrics.
    CPPUNIT_ASSERT_MESSAGE(raw, raw.compare(0, 12, "HTTP/1.1 405") == 0);
    CPPUNIT_ASSERT_MESSAGE(raw, raw.find("Allow: GET\r\n") != std::string::npos);
    std::size_t second = raw.find("HTTP/1.1 200");
    CPPUNIT_ASSERT_MESSAGE(raw, second != std::string::npos);
    // The 405 ends with its headers: nothing a client would have to guess the length of.
    CPPUNIT_ASSERT_MESSAGE(raw, raw.compare(second - 4, 4, "\r\n\r\n") == 0 &&
                                    raw.substr(0, second).find("\r\n\r\n") == second - 4);
    CPPUNIT_ASSERT(
        raw.size() >= std::string(kMetrics).size() &&
        raw.compare(raw.size() - std::string(kMetrics).size(), std::string::npos, kMetrics) == 0);
  }

  void postWithoutJsonContentTypeGets415() {
    startServer();
    std::string body = kWhich;
    auto post = [&](const std::string& type_header) {
      return exchange("POST /mi HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                      type_header + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                      body);
    };
    for (const char* bad :
         {"", "Content-Type: application/x-www-form-urlencoded\r\n", "Content-Type: text/plain\r\n",
          "Content-Type: application/jsonx\r\n"}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 415, post(bad).status);
    }
    for (const char* good : {"Content-Type: application/json\r\n",
                             "Content-Type: Application/JSON; charset=utf-8\r\n"}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(good, 200, post(good).status);
    }
  }

  void foreignHostGets403WithoutCredentials() {
    startServer();
    auto withHost = [](const std::string& method, const std::string& host) {
      std::string r =
          httpRequest(method, method == "GET" ? "/metrics" : "/mi", method == "GET" ? "" : kWhich);
      return r.replace(r.find("Host: 127.0.0.1"), 15, "Host: " + host);
    };
    CPPUNIT_ASSERT_EQUAL(403, exchange(withHost("POST", "evil.example:8888")).status);
    CPPUNIT_ASSERT_EQUAL(403, exchange(withHost("GET", "evil.example")).status);
    CPPUNIT_ASSERT_EQUAL(403, exchange(withHost("POST", "10.0.0.1:8888")).status);
    CPPUNIT_ASSERT_EQUAL(200, exchange(withHost("POST", "localhost:8888")).status);
    CPPUNIT_ASSERT_EQUAL(200, exchange(withHost("POST", "[::1]:8888")).status);
    stopServer();
    // With credentials the name does not matter: the attacker's page does not have them.
    startServer(MiHttpLimits(), true, "ops", "pw");
    std::string r = withHost("POST", "mi.example.org");
    r.insert(r.find("\r\n") + 2, basicAuth("ops:pw"));
    CPPUNIT_ASSERT_EQUAL(200, exchange(r).status);
  }

  void isLoopbackHostAcceptsOnlyLoopbackLiterals() {
    for (const char* good : {"127.0.0.1", "127.0.0.1:8888", "127.1.2.3:1", "localhost",
                             "LocalHost:80", "[::1]", "[::1]:8888", "[0:0:0:0:0:0:0:1]:1"}) {
      CPPUNIT_ASSERT_MESSAGE(good, isLoopbackHost(good));
    }
    for (const char* bad : {"", "evil.example", "localhost.evil.example", "128.0.0.1",
                            "127.0.0.1.evil", "127.0.0.1:", "127.0.0.1:x", "[::2]:80", "[::1",
                            "::1", "[::1]x", "localhost:80:80", "10.0.0.1", "0x7f.1", "127.1"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !isLoopbackHost(bad));
    }
  }

  void duplicateContentLengthGets400() {
    startServer();
    std::string body = kWhich;
    HttpResponse r = exchange(
        "POST /mi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\ncontent-length: 5\r\n\r\n" + body);
    CPPUNIT_ASSERT_EQUAL(400, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("close"), r.header("connection"));
  }

  void batchOverTheCapIsRefused() {
    auto batch = [](std::size_t n) {
      std::string text = "[";
      for (std::size_t i = 0; i < n; ++i) {
        text += (i > 0 ? "," : "") + std::string(R"({"jsonrpc":"2.0","method":"which","id":)") +
                std::to_string(i) + "}";
      }
      return text + "]";
    };
    Json full = Json::parse(handleJsonRpc(registry_, batch(kJsonRpcMaxBatch)));
    CPPUNIT_ASSERT_EQUAL(kJsonRpcMaxBatch, full.size());
    startServer();
    HttpResponse r = exchange(httpRequest("POST", "/mi", batch(kJsonRpcMaxBatch + 1)));
    CPPUNIT_ASSERT_EQUAL(200, r.status);
    Json j = Json::parse(r.body);
    CPPUNIT_ASSERT(j.is_object());
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest}, j.at("error").at("code").get<int>());
    std::string message = j.at("error").at("message").get<std::string>();
    CPPUNIT_ASSERT_MESSAGE(message, message.find("100") != std::string::npos);
  }

  void unauthorizedAnswerIsNotCached() {
    startServer(MiHttpLimits(), true, "ops", "pw");
    HttpResponse r = exchange(httpRequest("GET", "/metrics"));
    CPPUNIT_ASSERT_EQUAL(401, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("no-store"), r.header("cache-control"));
  }

 private:
  static constexpr const char* kMetrics =
      "# TYPE sipline_test_total counter\nsipline_test_total 1\n";

  void startServer(MiHttpLimits limits = MiHttpLimits(), bool with_metrics = true,
                   const std::string& user = "", const std::string& password = "") {
    http_ = std::make_unique<MiHttp>(limits);
    Status s = http_->listen("127.0.0.1:0");
    CPPUNIT_ASSERT_MESSAGE(s.message(), s.isOk());
    http_->setCredentials(user, password);
    if (with_metrics) http_->setMetricsRenderer([] { return std::string(kMetrics); });
    server_ = std::make_unique<MiServer>();
    thread_ =
        std::thread([this] { serve_status_ = server_->serve(registry_, nullptr, http_.get()); });
  }

  void stopServer() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    if (server_) {
      CPPUNIT_ASSERT_MESSAGE(serve_status_.message(), serve_status_.isOk());
    }
    server_.reset();
    http_.reset();
  }

  HttpResponse exchange(const std::string& request) {
    RawClient client(http_->port());
    CPPUNIT_ASSERT(client.connected());
    CPPUNIT_ASSERT(client.send(request));
    return client.readResponse();
  }

  MiRegistry registry_;
  std::unique_ptr<MiHttp> http_;
  std::unique_ptr<MiServer> server_;
  std::thread thread_;
  Status serve_status_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(MiHttpTest);

}  // namespace sipline
