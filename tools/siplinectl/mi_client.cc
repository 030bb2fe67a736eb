#include "tools/siplinectl/mi_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sipline::ctl {

namespace {

class SocketMiClient final : public MiClient {
 public:
  explicit SocketMiClient(int fd) : fd_(fd) {}
  ~SocketMiClient() override { ::close(fd_); }
  SocketMiClient(const SocketMiClient&) = delete;
  SocketMiClient& operator=(const SocketMiClient&) = delete;

  Result<Json> call(const std::string& method, const Json& params) override {
    const std::int64_t id = ++last_id_;
    Json request = Json::object();
    request["jsonrpc"] = "2.0";
    request["method"] = method;
    request["params"] = params;
    request["id"] = id;
    Status st = sendAll(request.dump() + "\n");
    if (!st.isOk()) return st;
    Result<std::string> line = readLine();
    if (!line.isOk()) return line.status();
    Json response = Json::parse(line.value(), nullptr, false);
    if (response.is_discarded() || !response.is_object()) {
      return Status::unavailable("the MI answer is not JSON");
    }
    auto idIt = response.find("id");
    if (idIt == response.end() || *idIt != Json(id)) {
      return Status::unavailable("the MI answer is for another request");
    }
    if (auto result = response.find("result"); result != response.end()) return *result;
    auto error = response.find("error");
    if (error == response.end() || !error->is_object()) {
      return Status::unavailable("the MI answer has neither result nor error");
    }
    // Read without nlohmann's throwing accessors: a malformed answer is not a crash.
    const auto codeIt = error->find("code");
    const auto messageIt = error->find("message");
    const std::int64_t code =
        codeIt != error->end() && codeIt->is_number_integer() ? codeIt->get<std::int64_t>() : 0;
    const std::string message = messageIt != error->end() && messageIt->is_string()
                                    ? messageIt->get<std::string>()
                                    : "error " + std::to_string(code);
    if (code == -32601) return Status::unsupported(message);
    if (code == -32602) return Status::invalidArgument(message);
    return Status::failedPrecondition(message);
  }

 private:
  Status sendAll(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::unavailable(std::string("MI send: ") + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    return Status::ok();
  }

  Result<std::string> readLine() {
    while (true) {
      const std::size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (buffer_.size() > kMaxMiResponse) return Status::unavailable("the MI answer is too long");
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return Status::unavailable("no MI answer within " + std::to_string(kMiTimeout.count()) +
                                   " ms");
      }
      if (n < 0) return Status::unavailable(std::string("MI receive: ") + std::strerror(errno));
      if (n == 0) return Status::unavailable("the server closed the MI connection");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_;
  std::int64_t last_id_ = 0;
  std::string buffer_;
};

}  // namespace

Result<std::unique_ptr<MiClient>> connectMiSocket(const std::string& path,
                                                  std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Status::ioError("MI socket " + path + ": the path is empty or too long for a socket");
  }
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::ioError(std::string("socket: ") + std::strerror(errno));
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    const std::string text = "MI socket " + path + ": " + std::strerror(err);
    if (err == ENOENT || err == ECONNREFUSED) return Status::unavailable(text);
    return Status::ioError(text);
  }
  return std::unique_ptr<MiClient>(new SocketMiClient(fd));
}

}  // namespace sipline::ctl
