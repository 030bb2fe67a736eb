// Tests for MiServer: a real unix socket in a temp directory, the server loop in a thread, and a
// plain blocking socket client with receive/send timeouts so a bug fails a test instead of
// hanging the runner.
#include "core/mi/mi_server.h"

#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/mi/json.h"
#include "core/mi/jsonrpc.h"
#include "core/mi/mi_http.h"
#include "core/mi/mi_registry.h"
#include "test/stream_socket.h"

namespace sipline {
namespace {

using Clock = std::chrono::steady_clock;

// A blocking client: every read and write gives up after `timeout`.
class TestClient {
 public:
  explicit TestClient(const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~TestClient() { ::close(fd_); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }

  bool send(const std::string& data) { return testing::sendAll(fd_, data); }

  void halfClose() { ::shutdown(fd_, SHUT_WR); }

  // The next "\n"-terminated line without the newline; nullopt on EOF, error or timeout.
  std::optional<std::string> readLine() {
    while (true) {
      std::size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (!fill()) return std::nullopt;
    }
  }

  Json readJson() {
    std::optional<std::string> line = readLine();
    CPPUNIT_ASSERT_MESSAGE("no response line", line.has_value());
    Json parsed = Json::parse(*line, nullptr, false);
    CPPUNIT_ASSERT_MESSAGE("response is not JSON: " + *line, !parsed.is_discarded());
    return parsed;
  }

  // True when the server closed the connection (EOF) with nothing more to read.
  bool atEof() {
    if (!buffer_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0;
  }

 private:
  bool fill() {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string request(const std::string& method, const std::string& params, int id) {
  return R"({"jsonrpc":"2.0","method":")" + method + R"(","params":)" + params + R"(,"id":)" +
         std::to_string(id) + "}\n";
}

}  // namespace

class MiServerTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MiServerTest);
  CPPUNIT_TEST(answersTwoRequestsOnOneConnection);
  CPPUNIT_TEST(badJsonLineGetsParseErrorAndKeepsConnection);
  CPPUNIT_TEST(notificationGetsNoLine);
  CPPUNIT_TEST(oversizedLineGetsErrorThenClose);
  CPPUNIT_TEST(lineAtTheLimitIsServed);
  CPPUNIT_TEST(halfCloseWithoutNewlineIsServed);
  CPPUNIT_TEST(idleClientIsDropped);
  CPPUNIT_TEST(clientsBeyondTheLimitAreRefused);
  CPPUNIT_TEST(clientNotReadingDoesNotBlockOthers);
  CPPUNIT_TEST(stopsWhenShouldStopTurnsTrue);
  CPPUNIT_TEST(stopMethodEndsServe);
  CPPUNIT_TEST(listenAppliesModeAndRejectsBadMode);
  CPPUNIT_TEST(listenRefusesAPathThatIsNotASocket);
  CPPUNIT_TEST(listenReplacesAStaleSocket);
  CPPUNIT_TEST(listenRefusesALiveSocket);
  CPPUNIT_TEST(unlinkSocketRemovesOnlyItsOwnSocket);
  CPPUNIT_TEST(serveWithoutListenFails);
  CPPUNIT_TEST(servesSocketAndHttpOnOneLoop);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char dir[] = "/tmp/sipline-mi-XXXXXX";
    CPPUNIT_ASSERT(::mkdtemp(dir) != nullptr);
    dir_ = dir;
    path_ = dir_ + "/mi.sock";
    registry_ = MiRegistry();
    registerBuiltinMiCommands(registry_);
    Status s = registry_.add({"big",
                              {MiParamSpec::integer("size", "bytes of payload")},
                              "Returns a string of `size` x characters.",
                              "test",
                              [](const MiParams& p) -> Result<Json> {
                                return Json(std::string(p.integer("size"), 'x'));
                              }});
    CPPUNIT_ASSERT(s.isOk());
  }

  void tearDown() override {
    stopServer();
    server_.reset();
    http_.reset();
    ::unlink(path_.c_str());
    ::unlink((dir_ + "/file").c_str());
    ::rmdir(dir_.c_str());
  }

  void answersTwoRequestsOnOneConnection() {
    startServer();
    TestClient client(path_);
    CPPUNIT_ASSERT(client.connected());
    CPPUNIT_ASSERT(client.send(request("big", "[3]", 1)));
    Json r = client.readJson();
    CPPUNIT_ASSERT_EQUAL(std::string("xxx"), r.at("result").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(1, r.at("id").get<int>());
    CPPUNIT_ASSERT(client.send(request("help", R"({"command":"big"})", 2)));
    r = client.readJson();
    CPPUNIT_ASSERT_EQUAL(2, r.at("id").get<int>());
    CPPUNIT_ASSERT_EQUAL(std::string("test"), r.at("result").at("module").get<std::string>());
  }

  void badJsonLineGetsParseErrorAndKeepsConnection() {
    startServer();
    TestClient client(path_);
    CPPUNIT_ASSERT(client.send("{not json\r\n\n"));  // the blank line gets no answer
    Json r = client.readJson();
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcParseError}, r.at("error").at("code").get<int>());
    CPPUNIT_ASSERT(client.send(request("which", "[]", 3)));
    CPPUNIT_ASSERT_EQUAL(3, client.readJson().at("id").get<int>());
  }

  void notificationGetsNoLine() {
    startServer();
    TestClient client(path_);
    CPPUNIT_ASSERT(client.send(std::string(R"({"jsonrpc":"2.0","method":"which"})") + "\n" +
                               request("which", "[]", 4)));
    CPPUNIT_ASSERT_EQUAL(4, client.readJson().at("id").get<int>());
  }

  void oversizedLineGetsErrorThenClose() {
    startServer();  // default limits: 1 MiB
    TestClient client(path_);
    CPPUNIT_ASSERT(client.send(std::string((1 << 20) + 4096, 'x') + "\n"));
    Json r = client.readJson();
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest}, r.at("error").at("code").get<int>());
    CPPUNIT_ASSERT(r.at("error").at("message").get<std::string>().find("1048576") !=
                   std::string::npos);
    CPPUNIT_ASSERT(client.atEof());
    // The server is still fine for others.
    TestClient other(path_);
    CPPUNIT_ASSERT(other.send(request("which", "[]", 5)));
    CPPUNIT_ASSERT_EQUAL(5, other.readJson().at("id").get<int>());
  }

  void lineAtTheLimitIsServed() {
    MiServerLimits limits;
    limits.max_request = 64;
    startServer(limits);
    std::string line = request("big", "[1]", 6);
    line.pop_back();
    line.insert(1, std::string(64 - line.size(), ' '));  // pad to exactly 64 bytes
    TestClient client(path_);
    CPPUNIT_ASSERT(client.send(line + "\n"));
    CPPUNIT_ASSERT_EQUAL(6, client.readJson().at("id").get<int>());
    CPPUNIT_ASSERT(client.send(" " + line + "\n"));  // 65 bytes
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest},
                         client.readJson().at("error").at("code").get<int>());
    CPPUNIT_ASSERT(client.atEof());
  }

  void halfCloseWithoutNewlineIsServed() {
    startServer();
    TestClient client(path_);
    std::string text = request("big", "[2]", 7);
    text.pop_back();
    CPPUNIT_ASSERT(client.send(request("big", "[1]", 6) + text));
    client.halfClose();
    CPPUNIT_ASSERT_EQUAL(6, client.readJson().at("id").get<int>());
    CPPUNIT_ASSERT_EQUAL(7, client.readJson().at("id").get<int>());
    CPPUNIT_ASSERT(client.atEof());
  }

  void idleClientIsDropped() {
    MiServerLimits limits;
    limits.idle_timeout = std::chrono::milliseconds(150);
    startServer(limits);
    TestClient client(path_);
    CPPUNIT_ASSERT(client.send(request("which", "[]", 1)));
    client.readJson();
    Clock::time_point start = Clock::now();
    CPPUNIT_ASSERT(client.atEof());
    CPPUNIT_ASSERT(Clock::now() - start < std::chrono::seconds(3));
  }

  void clientsBeyondTheLimitAreRefused() {
    MiServerLimits limits;
    limits.max_clients = 2;
    startServer(limits);
    TestClient a(path_);
    TestClient b(path_);
    for (TestClient* c : {&a, &b}) {  // makes sure both are accepted
      CPPUNIT_ASSERT(c->send(request("which", "[]", 1)));
      c->readJson();
    }
    TestClient refused(path_);
    Json r = refused.readJson();
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcServerError}, r.at("error").at("code").get<int>());
    CPPUNIT_ASSERT(refused.atEof());
    // Freeing a slot admits a new client.
    a.halfClose();
    CPPUNIT_ASSERT(a.atEof());
    Clock::time_point deadline = Clock::now() + std::chrono::seconds(3);
    bool served = false;
    while (!served && Clock::now() < deadline) {
      TestClient next(path_);
      if (next.send(request("which", "[]", 2)) && next.readJson().contains("result")) {
        served = true;
      }
    }
    CPPUNIT_ASSERT(served);
  }

  void clientNotReadingDoesNotBlockOthers() {
    MiServerLimits limits;
    limits.output_pause = 64 * 1024;
    startServer(limits);
    TestClient hog(path_);
    // 100 requests asking for 32 KiB each: ~3.2 MiB of answers the hog does not read for now.
    const int kRequests = 100;
    std::string burst;
    for (int i = 0; i < kRequests; ++i) burst += request("big", "[32768]", i);
    CPPUNIT_ASSERT(hog.send(burst));
    TestClient other(path_);
    Clock::time_point start = Clock::now();
    CPPUNIT_ASSERT(other.send(request("which", "[]", 1000)));
    CPPUNIT_ASSERT_EQUAL(1000, other.readJson().at("id").get<int>());
    CPPUNIT_ASSERT(Clock::now() - start < std::chrono::seconds(2));
    // Once the hog reads, it gets every answer in order: pausing lost nothing.
    for (int i = 0; i < kRequests; ++i) {
      Json r = hog.readJson();
      CPPUNIT_ASSERT_EQUAL(i, r.at("id").get<int>());
      CPPUNIT_ASSERT_EQUAL(std::size_t{32768}, r.at("result").get_ref<const std::string&>().size());
    }
  }

  void stopsWhenShouldStopTurnsTrue() {
    startServer();
    TestClient client(path_);  // an open client must not keep serve() running
    CPPUNIT_ASSERT(client.send(request("which", "[]", 1)));
    client.readJson();
    Clock::time_point start = Clock::now();
    stopServer();
    CPPUNIT_ASSERT(Clock::now() - start < std::chrono::milliseconds(1000));
    CPPUNIT_ASSERT(serve_status_.isOk());
    CPPUNIT_ASSERT(client.atEof());
  }

  void stopMethodEndsServe() {
    startServer();
    Clock::time_point start = Clock::now();
    server_->stop();
    thread_.join();
    CPPUNIT_ASSERT(Clock::now() - start < std::chrono::milliseconds(1000));
    CPPUNIT_ASSERT(serve_status_.isOk());
  }

  void listenAppliesModeAndRejectsBadMode() {
    MiServer server;
    Status s = server.listen(path_, "0640", "", "");
    CPPUNIT_ASSERT_MESSAGE(s.message(), s.isOk());
    struct stat st;
    CPPUNIT_ASSERT_EQUAL(0, ::lstat(path_.c_str(), &st));
    CPPUNIT_ASSERT(S_ISSOCK(st.st_mode));
    CPPUNIT_ASSERT_EQUAL(0640u, static_cast<unsigned>(st.st_mode & 07777));
    server.closeListener();
    server.unlinkSocket();
    MiServer bad;
    for (const char* mode : {"0999", "rw", "077777"}) {
      s = bad.listen(path_, mode, "", "");
      CPPUNIT_ASSERT(s.code() == Code::kInvalidArgument);
      CPPUNIT_ASSERT(s.message().find(mode) != std::string::npos);
    }
    s = bad.listen(path_, "0600", "no-such-user-sipline", "");
    CPPUNIT_ASSERT(s.code() == Code::kInvalidArgument);
    s = bad.listen(dir_ + "/" + std::string(200, 'p'), "0600", "", "");
    CPPUNIT_ASSERT(s.code() == Code::kInvalidArgument);
  }

  void listenRefusesAPathThatIsNotASocket() {
    std::string file = dir_ + "/file";
    int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CPPUNIT_ASSERT(fd >= 0);
    ::close(fd);
    MiServer server;
    Status s = server.listen(file, "0600", "", "");
    CPPUNIT_ASSERT(s.code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(s.message().find(file) != std::string::npos);
    struct stat st;
    CPPUNIT_ASSERT(::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode));  // left alone
  }

  void listenReplacesAStaleSocket() {
    {
      MiServer crashed;
      CPPUNIT_ASSERT(crashed.listen(path_, "0600", "", "").isOk());
    }  // descriptor closed, file left behind: as after a crash
    startServer();
    TestClient client(path_);
    CPPUNIT_ASSERT(client.send(request("which", "[]", 1)));
    CPPUNIT_ASSERT_EQUAL(1, client.readJson().at("id").get<int>());
  }

  void listenRefusesALiveSocket() {
    startServer();
    MiServer second;
    Status s = second.listen(path_, "0600", "", "");
    CPPUNIT_ASSERT(s.code() == Code::kAlreadyExists);
    TestClient client(path_);  // the first server still owns the path
    CPPUNIT_ASSERT(client.send(request("which", "[]", 1)));
    CPPUNIT_ASSERT_EQUAL(1, client.readJson().at("id").get<int>());
  }

  void unlinkSocketRemovesOnlyItsOwnSocket() {
    MiServer old_server;
    CPPUNIT_ASSERT(old_server.listen(path_, "0600", "", "").isOk());
    CPPUNIT_ASSERT_EQUAL(0, ::unlink(path_.c_str()));  // someone removes the file...
    MiServer new_server;                               // ...and a second server starts
    CPPUNIT_ASSERT(new_server.listen(path_, "0600", "", "").isOk());
    old_server.unlinkSocket();
    struct stat st;
    CPPUNIT_ASSERT_EQUAL(0, ::lstat(path_.c_str(), &st));
    new_server.unlinkSocket();
    CPPUNIT_ASSERT(::lstat(path_.c_str(), &st) != 0);
  }

  void serveWithoutListenFails() {
    MiServer server;
    Status s = server.serve(registry_, [] { return true; });
    CPPUNIT_ASSERT(s.code() == Code::kFailedPrecondition);
    MiHttp not_listening;
    s = server.serve(
        registry_, [] { return true; }, &not_listening);
    CPPUNIT_ASSERT(s.code() == Code::kFailedPrecondition);
  }

  void servesSocketAndHttpOnOneLoop() {
    // A member, so that a failing assertion (which leaves the server thread running until
    // tearDown) cannot destroy it under the loop.
    http_ = std::make_unique<MiHttp>();
    MiHttp& http = *http_;
    CPPUNIT_ASSERT(http.listen("127.0.0.1:0").isOk());
    startServer(MiServerLimits(), &http);
    TestClient client(path_);
    CPPUNIT_ASSERT(client.send(request("big", "[2]", 7)));
    CPPUNIT_ASSERT_EQUAL(std::string("xx"), client.readJson().at("result").get<std::string>());
    std::string body = R"({"jsonrpc":"2.0","method":"big","params":[2],"id":8})";
    std::string reply =
        httpExchange(http.port(),
                     "POST /mi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Connection: close\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body);
    CPPUNIT_ASSERT_MESSAGE(reply, reply.compare(0, 12, "HTTP/1.1 200") == 0);
    CPPUNIT_ASSERT_MESSAGE(reply, reply.find(R"("result":"xx")") != std::string::npos);
    // The unix socket client is still served after the HTTP one.
    CPPUNIT_ASSERT(client.send(request("which", "[]", 9)));
    CPPUNIT_ASSERT_EQUAL(9, client.readJson().at("id").get<int>());
    stopServer();
  }

 private:
  void startServer(MiServerLimits limits = MiServerLimits(), MiHttp* http = nullptr) {
    server_ = std::make_unique<MiServer>(limits);
    Status s = server_->listen(path_, "0600", "", "");
    CPPUNIT_ASSERT_MESSAGE(s.message(), s.isOk());
    stop_.store(false);
    thread_ = std::thread([this, http] {
      serve_status_ = server_->serve(
          registry_, [this] { return stop_.load(); }, http);
    });
  }

  // One HTTP/1.1 exchange with 127.0.0.1:port: sends `request`, returns all until EOF.
  static std::string httpExchange(std::uint16_t port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
      char chunk[4096];
      ssize_t n;
      while ((n = ::recv(fd, chunk, sizeof(chunk), 0)) > 0) {
        out.append(chunk, static_cast<std::size_t>(n));
      }
    }
    ::close(fd);
    return out;
  }

  void stopServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (server_) server_->unlinkSocket();
  }

  std::string dir_;
  std::string path_;
  MiRegistry registry_;
  std::unique_ptr<MiHttp> http_;  // declared first: destroyed after server_
  std::unique_ptr<MiServer> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Status serve_status_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(MiServerTest);

}  // namespace sipline
