#include "tools/siplinectl/mi_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tools/siplinectl/timed_io.h"

namespace sipline::ctl {

namespace {

// "(did you mean a, b?)" from the -32601 error's data.suggestions, "" without any.
std::string suggestionText(const Json& error) {
  const auto data = error.find("data");
  if (data == error.end() || !data->is_object()) return "";
  const auto list = data->find("suggestions");
  if (list == data->end() || !list->is_array()) return "";
  std::string names;
  for (const Json& n : *list) {
    if (n.is_string()) names += (names.empty() ? "" : ", ") + n.get<std::string>();
  }
  return names.empty() ? "" : " (did you mean " + names + "?)";
}

std::string dataString(const Json& error, const char* key) {
  const auto data = error.find("data");
  if (data == error.end() || !data->is_object()) return "";
  const auto v = data->find(key);
  return v != data->end() && v->is_string() ? v->get<std::string>() : "";
}

class SocketMiClient final : public MiClient {
 public:
  SocketMiClient(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  ~SocketMiClient() override { ::close(fd_); }
  SocketMiClient(const SocketMiClient&) = delete;
  SocketMiClient& operator=(const SocketMiClient&) = delete;

  Result<Json> call(const std::string& method, const Json& params) override {
    const Deadline deadline(timeout_);
    const std::int64_t id = ++last_id_;
    const int sent = sendAllBy(fd_, miRequestText(method, params, id) + "\n", deadline);
    if (sent != 0) return timedOut(sent) ? noAnswer() : failed("MI send", sent);
    Result<std::string> line = readLine(deadline);
    if (!line.isOk()) return line.status();
    return parseMiResponse(line.value(), id);
  }

  void setTimeout(std::chrono::milliseconds timeout) override { timeout_ = timeout; }

 private:
  static bool timedOut(int err) { return err == ETIMEDOUT; }
  Status noAnswer() const {
    return Status::unavailable("no MI answer within " + std::to_string(timeout_.count()) + " ms");
  }
  static Status failed(const char* what, int err) {
    return Status::unavailable(std::string(what) + ": " + std::strerror(err));
  }

  Result<std::string> readLine(const Deadline& deadline) {
    std::size_t searched = 0;  // the buffer before this holds no line end: O(n) for big answers
    while (true) {
      const std::size_t nl = buffer_.find('\n', searched);
      if (nl != std::string::npos && nl > kMaxMiResponse) return miAnswerTooLarge();
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      searched = buffer_.size();
      if (buffer_.size() > kMaxMiResponse) return miAnswerTooLarge();
      char chunk[65536];
      int err = 0;
      const ssize_t n = recvBy(fd_, chunk, sizeof(chunk), deadline, err);
      if (n < 0) return timedOut(err) ? noAnswer() : failed("MI receive", err);
      if (n == 0) return Status::unavailable("the server closed the MI connection");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_;
  std::chrono::milliseconds timeout_;
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
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::ioError(std::string("socket: ") + std::strerror(errno));
  const int err =
      connectBy(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr), Deadline(timeout));
  if (err != 0) {
    ::close(fd);
    if (err == ETIMEDOUT) {
      return Status::unavailable("MI socket " + path + ": no connection within " +
                                 std::to_string(timeout.count()) + " ms");
    }
    const std::string text = "MI socket " + path + ": " + std::strerror(err);
    if (err == ENOENT || err == ECONNREFUSED) return Status::unavailable(text);
    if (err == EACCES || err == EPERM) return miAccessDenied(text);
    return Status::ioError(text);
  }
  return std::unique_ptr<MiClient>(new SocketMiClient(fd, timeout));
}

Status miAnswerTooLarge() {
  return Status::noMemory("the MI answer is larger than " + std::to_string(kMaxMiResponse >> 20) +
                          " MiB, siplinectl's limit (ask for less, e.g. one AOR)");
}

std::string miRequestText(const std::string& method, const Json& params, std::int64_t id) {
  Json request = Json::object();
  request["jsonrpc"] = "2.0";
  request["method"] = method;
  if (!params.is_null()) request["params"] = params;
  request["id"] = id;
  return request.dump();
}

Result<Json> parseMiResponse(const std::string& text, std::int64_t id) {
  Json response = Json::parse(text, nullptr, false);
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
  std::string message = messageIt != error->end() && messageIt->is_string()
                            ? messageIt->get<std::string>()
                            : "error " + std::to_string(code);
  if (code == -32601) return Status::unsupported(message + suggestionText(*error));
  if (code == -32602) {
    const std::string usage = dataString(*error, "usage");
    if (!usage.empty() && message.find(usage) == std::string::npos) {
      message += " (usage: " + usage + ")";
    }
    return Status::invalidArgument(message);
  }
  if (dataString(*error, "status") == "not_found") return Status::notFound(message);
  return Status::failedPrecondition(message);
}

}  // namespace sipline::ctl
