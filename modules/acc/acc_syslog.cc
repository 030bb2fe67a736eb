#include "modules/acc/acc_syslog.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace sipline::acc {

namespace {
// How long the writer waits for room in a full syslog socket before counting a failure.
constexpr int kFullWaitMs = 100;
}  // namespace

int facilityNumber(std::string_view name) {
  // clang-format off
  static const std::pair<const char*, int> kFacilities[] = {
      {"kern", 0}, {"user", 1}, {"mail", 2}, {"daemon", 3}, {"auth", 4}, {"syslog", 5},
      {"lpr", 6}, {"news", 7}, {"uucp", 8}, {"cron", 9}, {"authpriv", 10}, {"ftp", 11},
      {"local0", 16}, {"local1", 17}, {"local2", 18}, {"local3", 19}, {"local4", 20},
      {"local5", 21}, {"local6", 22}, {"local7", 23}};
  // clang-format on
  for (const auto& [n, v] : kFacilities) {
    if (name == n) return v;
  }
  return -1;
}

std::string formatSyslog(int facility, int pid, std::int64_t unix_ms, std::string_view what,
                         const KeyValues& kvs) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char head[96];
  std::snprintf(head, sizeof head, "<%d>%s %2d %02d:%02d:%02d sipline[%d]: ACC: ", facility * 8 + 6,
                kMonths[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, pid);
  std::string out(head);
  auto clean = [&out](std::string_view v) {
    for (char c : v) out += (c == ';' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  };
  clean(what);
  out += ": ";
  bool first = true;
  for (const auto& [k, v] : kvs) {
    if (!first) out += ';';
    first = false;
    out += k;
    out += '=';
    clean(v);
  }
  return out;
}

SyslogSender::~SyslogSender() {
  if (fd_ >= 0) ::close(fd_);
}

Status SyslogSender::send(std::string_view message) {
  if (fd_ < 0) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path) {
      return Status::invalidArgument("syslog socket path too long: " + path_);
    }
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Status::unavailable(std::string("socket: ") + std::strerror(errno));
    // Connected, so that poll() tells when the daemon's queue has room again.
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      int err = errno;
      ::close(fd_);
      fd_ = -1;
      return Status::unavailable("syslog socket " + path_ + ": " + std::strerror(err));
    }
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::send(fd_, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
      return Status::ok();
    }
    int err = errno;
    if (err == EAGAIN && attempt == 0) {
      // The daemon's queue is full (a few datagrams on Linux): give it a moment, once.
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, kFullWaitMs);
      continue;
    }
    if (err != EAGAIN) {
      ::close(fd_);  // the daemon went away: connect again next time
      fd_ = -1;
    }
    return Status::unavailable("syslog socket " + path_ + ": " + std::strerror(err));
  }
  return Status::unavailable("syslog socket " + path_ + ": full");
}

}  // namespace sipline::acc
