// The MI client against the server's real MI transport (core/mi MiServer on a unix socket in a
// temp directory, served by a thread), so the client and the server cannot drift apart.
#include "tools/siplinectl/mi_client.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "core/mi/mi_registry.h"
#include "core/mi/mi_server.h"

namespace sipline::ctl {

class MiClientTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MiClientTest);
  CPPUNIT_TEST(callsACommandWithParams);
  CPPUNIT_TEST(severalCallsOnOneConnection);
  CPPUNIT_TEST(unknownCommandIsUnsupported);
  CPPUNIT_TEST(handlerErrorIsFailedPrecondition);
  CPPUNIT_TEST(nobodyListeningIsUnavailable);
  CPPUNIT_TEST(silentServerTimesOut);
  CPPUNIT_TEST(malformedAnswersFailWithoutThrowing);
  CPPUNIT_TEST(drippingServerIsBoundedByOneDeadline);
  CPPUNIT_TEST(bigAnswersPassOversizedOnesAreTheirOwnError);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/siplinectl-mi-XXXXXX";
    CPPUNIT_ASSERT(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/mi.sock";
    MiCommand flush{"auth_db_cache_flush",
                    {MiParamSpec::str("aor").opt()},
                    "drops cached credentials",
                    "auth_db",
                    [this](const MiParams& p) -> Result<Json> {
                      if (p.str("aor") == "bad@x.org") return Status::notFound("no such AOR");
                      if (p.str("aor") == "busy@x.org") return Status::unavailable("DB down");
                      flushed_.push_back(p.str("aor"));
                      Json j = Json::object();
                      j["flushed"] = 1;
                      return j;
                    }};
    CPPUNIT_ASSERT(registry_.add(std::move(flush)).isOk());
  }

  void tearDown() override {
    stopServer();
    std::filesystem::remove_all(dir_);
  }

  void callsACommandWithParams() {
    startServer();
    Result<std::unique_ptr<MiClient>> c = connectMiSocket(path_);
    CPPUNIT_ASSERT_MESSAGE(c.isOk() ? "" : c.status().message(), c.isOk());
    Json params = Json::object();
    params["aor"] = "alice@example.com";
    Result<Json> r = c.value()->call("auth_db_cache_flush", params);
    CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(1, r.value()["flushed"].get<int>());
    stopServer();
    CPPUNIT_ASSERT((flushed_ == std::vector<std::string>{"alice@example.com"}));
  }

  void severalCallsOnOneConnection() {
    startServer();
    Result<std::unique_ptr<MiClient>> c = connectMiSocket(path_);
    CPPUNIT_ASSERT(c.isOk());
    for (const char* aor : {"a@x.org", "b@x.org", "c@x.org"}) {
      Json params = Json::object();
      params["aor"] = aor;
      CPPUNIT_ASSERT(c.value()->call("auth_db_cache_flush", params).isOk());
    }
    stopServer();
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, flushed_.size());
  }

  void unknownCommandIsUnsupported() {
    startServer();
    Result<std::unique_ptr<MiClient>> c = connectMiSocket(path_);
    CPPUNIT_ASSERT(c.isOk());
    Result<Json> r = c.value()->call("no_such_command", Json::object());
    CPPUNIT_ASSERT(r.status().code() == Code::kUnsupported);
    CPPUNIT_ASSERT(r.status().message().find("no_such_command") != std::string::npos);
    Json bad = Json::object();
    bad["aor"] = 5;  // wrong type
    CPPUNIT_ASSERT(c.value()->call("auth_db_cache_flush", bad).status().code() ==
                   Code::kInvalidArgument);
  }

  void handlerErrorIsFailedPrecondition() {
    startServer();
    Result<std::unique_ptr<MiClient>> c = connectMiSocket(path_);
    CPPUNIT_ASSERT(c.isOk());
    Json params = Json::object();
    params["aor"] = "bad@x.org";
    // The handler's not_found stays kNotFound (siplinectl's exit 7); any other handler error
    // is kFailedPrecondition with the handler's message.
    Result<Json> r = c.value()->call("auth_db_cache_flush", params);
    CPPUNIT_ASSERT(r.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::string("no such AOR"), r.status().message());
    params["aor"] = "busy@x.org";
    r = c.value()->call("auth_db_cache_flush", params);
    CPPUNIT_ASSERT(r.status().code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT_EQUAL(std::string("DB down"), r.status().message());
  }

  void nobodyListeningIsUnavailable() {
    Result<std::unique_ptr<MiClient>> c = connectMiSocket(path_);
    CPPUNIT_ASSERT(c.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT(c.status().message().find(path_) != std::string::npos);
    // A socket file nobody accepts on (a server that died): refused, also unavailable.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    CPPUNIT_ASSERT_EQUAL(0, ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
    ::close(fd);
    CPPUNIT_ASSERT(connectMiSocket(path_).status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT(connectMiSocket(std::string(200, 'x')).status().code() == Code::kIoError);
  }

  void silentServerTimesOut() {
    // Listens but never answers: the call gives up after the timeout.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    CPPUNIT_ASSERT_EQUAL(0, ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
    CPPUNIT_ASSERT_EQUAL(0, ::listen(fd, 4));
    Result<std::unique_ptr<MiClient>> c = connectMiSocket(path_, std::chrono::milliseconds(200));
    CPPUNIT_ASSERT(c.isOk());
    const auto t0 = std::chrono::steady_clock::now();
    Result<Json> r = c.value()->call("auth_db_cache_flush", Json::object());
    const auto took = std::chrono::steady_clock::now() - t0;
    ::close(fd);
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT(took < std::chrono::seconds(2));
  }

  void malformedAnswersFailWithoutThrowing() {
    const struct {
      const char* answer;
      Code code;
    } cases[] = {
        {"not json\n", Code::kUnavailable},
        {"[1]\n", Code::kUnavailable},
        {"{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}\n", Code::kUnavailable},
        {"{\"jsonrpc\":\"2.0\",\"id\":1}\n", Code::kUnavailable},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\",\"message\":5}}\n",
         Code::kFailedPrecondition},
        {"", Code::kUnavailable},  // closes without answering
    };
    for (const auto& c : cases) {
      const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
      ::unlink(path_.c_str());
      CPPUNIT_ASSERT_EQUAL(0, ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
      CPPUNIT_ASSERT_EQUAL(0, ::listen(fd, 1));
      std::thread peer([fd, answer = std::string(c.answer)] {
        const int conn = ::accept(fd, nullptr, nullptr);
        char buf[512];
        (void)::recv(conn, buf, sizeof(buf), 0);
        if (!answer.empty()) (void)::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(conn);
      });
      Result<std::unique_ptr<MiClient>> client = connectMiSocket(path_);
      CPPUNIT_ASSERT(client.isOk());
      Result<Json> r = client.value()->call("auth_db_cache_flush", Json::object());
      peer.join();
      ::close(fd);
      CPPUNIT_ASSERT_MESSAGE(c.answer, !r.isOk() && r.status().code() == c.code);
    }
  }

  void drippingServerIsBoundedByOneDeadline() {
    // Answers one byte every 50 ms and never a line end: each recv() alone is quick.
    const int fd = listenOn();
    std::atomic<bool> done{false};
    std::thread peer([fd, &done] {
      const int conn = ::accept(fd, nullptr, nullptr);
      char buf[512];
      (void)::recv(conn, buf, sizeof(buf), 0);
      while (!done && ::send(conn, "x", 1, MSG_NOSIGNAL) == 1) ::usleep(50000);
      ::close(conn);
    });
    Result<std::unique_ptr<MiClient>> c = connectMiSocket(path_, std::chrono::milliseconds(300));
    CPPUNIT_ASSERT(c.isOk());
    const auto t0 = std::chrono::steady_clock::now();
    Result<Json> r = c.value()->call("auth_db_cache_flush", Json::object());
    const auto took = std::chrono::steady_clock::now() - t0;
    done = true;
    peer.join();
    ::close(fd);
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           r.status().message().find("within 300 ms") != std::string::npos);
    CPPUNIT_ASSERT(took < std::chrono::milliseconds(1500));
  }

  void bigAnswersPassOversizedOnesAreTheirOwnError() {
    // 8 MiB (a few tens of thousands of contacts) is read; beyond kMaxMiResponse is refused
    // as too large, not as an unreachable server.
    for (const std::size_t size : {std::size_t{8} << 20, kMaxMiResponse + 1}) {
      const int fd = listenOn();
      std::thread peer([fd, size] {
        const int conn = ::accept(fd, nullptr, nullptr);
        char buf[512];
        (void)::recv(conn, buf, sizeof(buf), 0);
        const std::string answer =
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"" + std::string(size, 'a') + "\"}\n";
        (void)::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(conn);
      });
      Result<std::unique_ptr<MiClient>> client =
          connectMiSocket(path_, std::chrono::milliseconds(20000));
      CPPUNIT_ASSERT(client.isOk());
      Result<Json> r = client.value()->call("ul_dump", Json::object());
      client.value().reset();  // closes: a peer still sending gets EPIPE
      peer.join();
      ::close(fd);
      if (size < kMaxMiResponse) {
        CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
        CPPUNIT_ASSERT_EQUAL(size, r.value().get<std::string>().size());
      } else {
        CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.status().code() == kMiAnswerTooLarge);
        CPPUNIT_ASSERT_MESSAGE(
            r.status().message(),
            r.status().message().find("larger than 64 MiB") != std::string::npos);
      }
    }
  }

 private:
  int listenOn() {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    ::unlink(path_.c_str());
    CPPUNIT_ASSERT_EQUAL(0, ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
    CPPUNIT_ASSERT_EQUAL(0, ::listen(fd, 4));
    return fd;
  }

  void startServer() {
    server_ = std::make_unique<MiServer>();
    Status s = server_->listen(path_, "0600", "", "");
    CPPUNIT_ASSERT_MESSAGE(s.message(), s.isOk());
    stop_.store(false);
    thread_ =
        std::thread([this] { (void)server_->serve(registry_, [this] { return stop_.load(); }); });
  }

  void stopServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (server_) server_->unlinkSocket();
    server_.reset();
  }

  std::string dir_, path_;
  MiRegistry registry_;
  std::unique_ptr<MiServer> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::string> flushed_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(MiClientTest);

}  // namespace sipline::ctl
